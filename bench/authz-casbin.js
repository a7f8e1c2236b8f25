// bench/authz-casbin.js: the node-casbin side of bench/authz (run by it; not
// on its own). Reads the JSON file bench/authz wrote:
//
//   {"model": "<Casbin model text>",
//    "tenants": [{"dom": "ten_...", "policy": "<CSV lines>"}, ...],  // one enforcer each
//    "requests": [[tenant index, sub, obj, act, expected 0/1], ...],
//    "warmup": W}
//
// builds one enforcer per tenant (newEnforcer(model, StringAdapter)), runs W
// untimed checks (so V8 has compiled the hot paths), then times the requests
// in order: `await e.enforce(sub, dom, obj, act)` (the documented call), then
// `e.enforceSync(...)` (the same rule scan without the promise). Prints one
// JSON line on stdout. Needs `casbin` resolvable (NODE_PATH).
'use strict';

const fs = require('fs');
const casbin = require('casbin');

async function main() {
	const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
	const reqs = input.requests;
	const t0 = process.hrtime.bigint();
	const doms = [];
	const enforcers = [];
	let lines = 0;
	for (const t of input.tenants) {
		const e = await casbin.newEnforcer(casbin.newModelFromString(input.model),
			new casbin.StringAdapter(t.policy));
		enforcers.push(e);
		doms.push(t.dom);
		lines += t.policy.split('\n').filter(Boolean).length;
	}
	const buildS = Number(process.hrtime.bigint() - t0) / 1e9;

	const warm = Math.min(input.warmup || 0, reqs.length);
	for (let i = 0; i < warm; i++) {
		const [t, sub, obj, act] = reqs[i];
		await enforcers[t].enforce(sub, doms[t], obj, act);
		enforcers[t].enforceSync(sub, doms[t], obj, act);
	}

	let allowed = 0, mismatches = 0, firstMismatch = null;
	let s = process.hrtime.bigint();
	for (let i = 0; i < reqs.length; i++) {
		const [t, sub, obj, act, want] = reqs[i];
		const ok = await enforcers[t].enforce(sub, doms[t], obj, act);
		if (ok)
			allowed++;
		if ((ok ? 1 : 0) !== want) {
			mismatches++;
			if (!firstMismatch)
				firstMismatch = reqs[i];
		}
	}
	const asyncNs = Number(process.hrtime.bigint() - s) / reqs.length;

	let allowedSync = 0;
	s = process.hrtime.bigint();
	for (let i = 0; i < reqs.length; i++) {
		const [t, sub, obj, act] = reqs[i];
		if (enforcers[t].enforceSync(sub, doms[t], obj, act))
			allowedSync++;
	}
	const syncNs = Number(process.hrtime.bigint() - s) / reqs.length;

	let version = 'unknown';
	try {
		version = require('casbin/package.json').version;
	} catch (e) {
		/* exports may hide package.json */
	}
	process.stdout.write(JSON.stringify({
		casbin: version, node: process.version, enforcers: enforcers.length,
		policy_lines: lines, build_s: buildS, n: reqs.length, enforce_ns: asyncNs,
		enforce_sync_ns: syncNs, allowed, allowed_sync: allowedSync, mismatches,
		first_mismatch: firstMismatch, rss_kb: Math.round(process.memoryUsage().rss / 1024),
	}) + '\n');
}

main().catch((e) => {
	process.stderr.write(`authz-casbin: ${e && e.stack ? e.stack : e}\n`);
	process.exit(1);
});
