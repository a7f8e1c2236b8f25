// Interoperability of libsaas's webhook signatures with the providers' own
// libraries, both ways, through saasctl:
//
//   stripe (stripe-node)        generateTestHeaderString -> saasctl webhook verify;
//                               saasctl webhook sign -> webhooks.constructEvent
//   standardwebhooks            Webhook.sign -> saasctl; saasctl -> Webhook.verify
//   @octokit/webhooks-methods   sign -> saasctl; saasctl -> verify
//
//   node webhook_interop.js PATH/TO/saasctl PATH/TO/node_modules
//
// Prints one line per case ("ok - ..." or "FAIL - ...: why"), then the
// failures again and "N passed, M failed"; exits 1 if any case failed.
// CommonJS, for Node 18 and later (webhook_interop.sh installs the packages).
'use strict';

const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const [SAASCTL, NODE_MODULES] = process.argv.slice(2);
if (!SAASCTL || !NODE_MODULES) {
	console.error('usage: node webhook_interop.js PATH/TO/saasctl PATH/TO/node_modules');
	process.exit(2);
}

const passed = [];
const failed = [];

function ok(desc) {
	passed.push(desc);
	console.log(`ok - ${desc}`);
}

function fail(desc, why) {
	failed.push(`${desc}: ${why}`);
	console.log(`FAIL - ${desc}: ${why}`);
}

// check(desc, cond, why): one case.
function check(desc, cond, why) {
	if (cond)
		ok(desc);
	else
		fail(desc, why || 'condition false');
}

// Run a case's function; an exception fails the case.
async function runCase(desc, fn) {
	try {
		await fn();
	} catch (e) {
		fail(desc, `threw ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
	}
}

// saasctl ARGS with BODY (a string or Buffer) on stdin: {status, stdout, stderr}.
function saasctl(args, body, env) {
	const opts = {
		input: body === undefined ? '' : body,
		stdio: ['pipe', 'pipe', 'pipe'],
		env: Object.assign({}, process.env, env || {}),
		maxBuffer: 16 * 1024 * 1024,
	};
	try {
		const stdout = execFileSync(SAASCTL, args, opts);
		return { status: 0, stdout: stdout.toString('utf8'), stderr: '' };
	} catch (e) {
		if (typeof e.status !== 'number')
			throw e;
		return {
			status: e.status,
			stdout: e.stdout ? e.stdout.toString('utf8') : '',
			stderr: e.stderr ? e.stderr.toString('utf8') : '',
		};
	}
}

// The headers `saasctl webhook sign` printed, as {name: value}.
function parseHeaders(stdout) {
	const h = {};
	for (const line of stdout.split('\n')) {
		if (!line)
			continue;
		const i = line.indexOf(': ');
		if (i < 1)
			throw new Error(`not a header line: ${JSON.stringify(line)}`);
		h[line.slice(0, i)] = line.slice(i + 2);
	}
	return h;
}

// `saasctl webhook sign` with ARGS over BODY: the headers (throws unless exit 0).
function sign(args, body, env) {
	const r = saasctl(['webhook', 'sign', '--body-file', '-'].concat(args), body, env);
	if (r.status !== 0)
		throw new Error(`saasctl webhook sign exited ${r.status}: ${r.stderr.trim()}`);
	return parseHeaders(r.stdout);
}

// `saasctl webhook verify` with ARGS and HEADERS ({name: value}) over BODY.
function verify(args, headers, body) {
	const hargs = [];
	for (const name of Object.keys(headers))
		hargs.push('--header', `${name}: ${headers[name]}`);
	return saasctl(['webhook', 'verify', '--body-file', '-'].concat(args, hargs), body);
}

// Case: the verify result R is valid (exit 0, "valid").
function expectValid(desc, r) {
	check(desc, r.status === 0 && r.stdout === 'valid\n',
	      `exit ${r.status}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr.trim())}`);
}

// Case: the verify result R failed check CHECK (exit 1, "invalid: CHECK").
function expectInvalid(desc, r, checkName) {
	check(desc, r.status === 1 && r.stdout === `invalid: ${checkName}\n`,
	      `want exit 1 "invalid: ${checkName}", got exit ${r.status}, stdout ${JSON.stringify(r.stdout)}, ` +
	      `stderr ${JSON.stringify(r.stderr.trim())}`);
}

// Case: FN throws (the library refused), with a message matching RE.
function expectThrows(desc, fn, re) {
	try {
		fn();
	} catch (e) {
		check(desc, !re || re.test(String(e && e.message)), `threw ${e && e.message}, want ${re}`);
		return;
	}
	fail(desc, 'did not throw');
}

async function expectRejects(desc, fn, re) {
	try {
		await fn();
	} catch (e) {
		check(desc, !re || re.test(String(e && e.message)), `threw ${e && e.message}, want ${re}`);
		return;
	}
	fail(desc, 'did not throw');
}

const whsec = () => 'whsec_' + crypto.randomBytes(32).toString('base64');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const TS = 1700000000;

// A Stripe event body (constructEvent parses it), with non-ASCII text: the
// signed bytes are UTF-8.
function stripeEvent(id) {
	return JSON.stringify({
		id,
		object: 'event',
		api_version: '2024-06-20',
		type: 'invoice.paid',
		data: { object: { id: 'in_1', object: 'invoice', description: 'Café ☕ — naïve 日本' } },
	});
}

// ---- Stripe --------------------------------------------------------------------------

async function stripeCases() {
	const Stripe = require(path.join(NODE_MODULES, 'stripe'));
	const stripe = new Stripe('sk_test_interop_not_a_key');
	const secret = whsec();
	const secret2 = whsec();
	const payload = stripeEvent('evt_interop_1');

	await runCase('stripe -> libsaas', () => {
		const header = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: TS });
		const h = { 'Stripe-Signature': header };
		expectValid('stripe: generateTestHeaderString verifies in libsaas',
		            verify(['--provider', 'stripe', '--secret', secret, '--now', String(TS)], h, payload));
		expectValid('stripe: ... 300 s later (the edge): valid',
		            verify(['--provider', 'stripe', '--secret', secret, '--now', String(TS + 300)], h, payload));
		expectInvalid('stripe: ... 301 s later: too_old',
		              verify(['--provider', 'stripe', '--secret', secret, '--now', String(TS + 301)], h, payload),
		              'too_old');
		expectInvalid('stripe: ... under another secret: mismatch',
		              verify(['--provider', 'stripe', '--secret', secret2, '--now', String(TS)], h, payload),
		              'mismatch');
		expectInvalid('stripe: ... over another body: mismatch',
		              verify(['--provider', 'stripe', '--secret', secret, '--now', String(TS)], h,
		                     stripeEvent('evt_interop_2')),
		              'mismatch');

		// Rotation: two v1 entries, one per secret.
		const h1 = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: TS });
		const h2 = stripe.webhooks.generateTestHeaderString({ payload, secret: secret2, timestamp: TS });
		const v1a = h1.split(',v1=')[1];
		const v1b = h2.split(',v1=')[1];
		const rot = { 'Stripe-Signature': `t=${TS},v1=${v1a},v1=${v1b}` };
		expectValid('stripe: t=..,v1=a,v1=b verifies under the first secret',
		            verify(['--provider', 'stripe', '--secret', secret, '--now', String(TS)], rot, payload));
		expectValid('stripe: t=..,v1=a,v1=b verifies under the second secret',
		            verify(['--provider', 'stripe', '--secret', secret2, '--now', String(TS)], rot, payload));
		const r = saasctl(['--json', 'webhook', 'verify', '--provider', 'stripe', '--body-file', '-',
		                   '--secret', whsec(), '--secret', secret2, '--now', String(TS),
		                   '--header', `Stripe-Signature: ${rot['Stripe-Signature']}`], payload);
		let doc = null;
		try {
			doc = JSON.parse(r.stdout);
		} catch (e) {
			doc = null;
		}
		check('stripe: rotation --json names the matching secret (index 1)',
		      r.status === 0 && doc && doc.valid === true && doc.secret_index === 1,
		      `exit ${r.status}, stdout ${r.stdout.trim()}`);
		expectInvalid('stripe: t=..,v1=a,v1=b under a third secret: mismatch',
		              verify(['--provider', 'stripe', '--secret', whsec(), '--now', String(TS)], rot, payload),
		              'mismatch');

		const v0 = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: TS, scheme: 'v0' });
		expectInvalid('stripe: a header with only a v0 signature: no_known_scheme',
		              verify(['--provider', 'stripe', '--secret', secret, '--now', String(TS)],
		                     { 'Stripe-Signature': v0 }, payload),
		              'no_known_scheme');

		const now = nowSeconds();
		const live = stripe.webhooks.generateTestHeaderString({ payload, secret });
		expectValid('stripe: a header made now verifies at the clock\'s time',
		            verify(['--provider', 'stripe', '--secret', secret], { 'Stripe-Signature': live }, payload));
		check('stripe: ... (its t is now)', Math.abs(Number(live.slice(2, live.indexOf(','))) - now) <= 5,
		      live);
	});

	await runCase('libsaas -> stripe', () => {
		const h = sign(['--provider', 'stripe', '--secret', secret, '--now', String(TS)], payload);
		const header = h['Stripe-Signature'];
		check('stripe: libsaas signs exactly as generateTestHeaderString',
		      header === stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: TS }),
		      `libsaas ${header}`);
		const ev = stripe.webhooks.constructEvent(payload, header, secret, 300, undefined, TS * 1000);
		check('stripe: constructEvent accepts libsaas\'s header', ev && ev.id === 'evt_interop_1',
		      JSON.stringify(ev));
		const evb = stripe.webhooks.constructEvent(Buffer.from(payload, 'utf8'), header, secret, 300,
		                                           undefined, TS * 1000);
		check('stripe: ... given the body as a Buffer', evb && evb.id === 'evt_interop_1', JSON.stringify(evb));
		const ev300 = stripe.webhooks.constructEvent(payload, header, secret, 300, undefined, (TS + 300) * 1000);
		check('stripe: ... received 300 s later (the edge)', ev300 && ev300.id === 'evt_interop_1',
		      JSON.stringify(ev300));
		expectThrows('stripe: ... received 301 s later: refused as stale',
		             () => stripe.webhooks.constructEvent(payload, header, secret, 300, undefined,
		                                                  (TS + 301) * 1000),
		             /tolerance/i);
		expectThrows('stripe: constructEvent refuses libsaas\'s header under another secret',
		             () => stripe.webhooks.constructEvent(payload, header, secret2, 300, undefined, TS * 1000),
		             /No signatures found matching/);
		expectThrows('stripe: ... and over another body',
		             () => stripe.webhooks.constructEvent(stripeEvent('evt_other'), header, secret, 300,
		                                                  undefined, TS * 1000),
		             /No signatures found matching/);

		const two = sign(['--provider', 'stripe', '--secret', secret, '--secret', secret2,
		                  '--now', String(TS)], payload)['Stripe-Signature'];
		check('stripe: two secrets: libsaas emits two v1', /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/.test(two),
		      two);
		for (const [name, s] of [['first', secret], ['second', secret2]]) {
			const e = stripe.webhooks.constructEvent(payload, two, s, 300, undefined, TS * 1000);
			check(`stripe: two v1 from libsaas: constructEvent accepts the ${name} secret`,
			      e && e.id === 'evt_interop_1', JSON.stringify(e));
		}
		expectThrows('stripe: two v1 from libsaas: a third secret is refused',
		             () => stripe.webhooks.constructEvent(payload, two, whsec(), 300, undefined, TS * 1000),
		             /No signatures found matching/);

		const live = sign(['--provider', 'stripe', '--secret-env', 'WH_INTEROP_SECRET'], payload,
		                  { WH_INTEROP_SECRET: secret })['Stripe-Signature'];
		const evl = stripe.webhooks.constructEvent(payload, live, secret);
		check('stripe: signed now (secret from --secret-env): constructEvent at the real clock',
		      evl && evl.id === 'evt_interop_1', JSON.stringify(evl));
	});
}

// ---- Standard Webhooks ----------------------------------------------------------------

async function standardCases() {
	const { Webhook } = require(path.join(NODE_MODULES, 'standardwebhooks'));
	const secret = whsec();
	const secret2 = whsec();
	const payload = JSON.stringify({ type: 'user.created', data: { id: 'usr_1', name: 'Zoë ✓' } });
	const msgId = 'msg_interop_1';

	await runCase('standardwebhooks -> libsaas', () => {
		const sig = new Webhook(secret).sign(msgId, new Date(TS * 1000), payload);
		const h = { 'webhook-id': msgId, 'webhook-timestamp': String(TS), 'webhook-signature': sig };
		const at = (t, s) => verify(['--provider', 'standard', '--secret', s || secret, '--now', String(t)], h,
		                            payload);
		expectValid('standard: Webhook.sign verifies in libsaas', at(TS));
		expectValid('standard: ... 300 s later (the edge): valid', at(TS + 300));
		expectValid('standard: ... 300 s earlier (the edge): valid', at(TS - 300));
		expectInvalid('standard: ... 301 s later: too_old', at(TS + 301), 'too_old');
		expectInvalid('standard: ... 301 s earlier: in_future', at(TS - 301), 'in_future');
		expectInvalid('standard: ... under another secret: mismatch', at(TS, secret2), 'mismatch');
		expectValid('standard: the same with svix-* headers (--provider svix)',
		            verify(['--provider', 'svix', '--secret', secret, '--now', String(TS)],
		                   { 'svix-id': msgId, 'svix-timestamp': String(TS), 'svix-signature': sig }, payload));
		expectValid('standard: the bare base64 secret (no whsec_) verifies too',
		            at(TS, secret.slice('whsec_'.length)));

		// Rotation on the sending side: two signatures, space-separated.
		const sig2 = new Webhook(secret2).sign(msgId, new Date(TS * 1000), payload);
		const rot = Object.assign({}, h, { 'webhook-signature': `${sig} ${sig2}` });
		for (const [name, s] of [['first', secret], ['second', secret2]])
			expectValid(`standard: two signatures from the Node lib: libsaas accepts the ${name} secret`,
			            verify(['--provider', 'standard', '--secret', s, '--now', String(TS)], rot, payload));
		expectInvalid('standard: two signatures: a third secret is refused',
		              verify(['--provider', 'standard', '--secret', whsec(), '--now', String(TS)], rot, payload),
		              'mismatch');

		const libsaas = sign(['--provider', 'standard', '--secret', secret, '--id', msgId, '--now', String(TS)],
		                     payload);
		check('standard: libsaas signs exactly as Webhook.sign', libsaas['webhook-signature'] === sig,
		      `libsaas ${libsaas['webhook-signature']}, node ${sig}`);
	});

	await runCase('libsaas -> standardwebhooks', () => {
		// Webhook.verify checks the timestamp against the real clock: sign now.
		const now = nowSeconds();
		const h = sign(['--provider', 'standard', '--secret', secret, '--id', msgId, '--now', String(now)],
		               payload);
		const doc = new Webhook(secret).verify(payload, h);
		check('standard: Webhook.verify accepts libsaas\'s headers', doc && doc.data && doc.data.id === 'usr_1',
		      JSON.stringify(doc));
		const docb = new Webhook(secret).verify(Buffer.from(payload, 'utf8'), h);
		check('standard: ... given the body as a Buffer', docb && docb.type === 'user.created',
		      JSON.stringify(docb));
		expectThrows('standard: Webhook.verify refuses them under another secret',
		             () => new Webhook(secret2).verify(payload, h), /No matching signature/);
		expectThrows('standard: ... and over another body',
		             () => new Webhook(secret).verify(payload.replace('usr_1', 'usr_2'), h),
		             /No matching signature/);

		const auto = sign(['--provider', 'standard', '--secret', secret], payload);
		check('standard: libsaas\'s own id is msg_...', /^msg_/.test(auto['webhook-id'] || ''),
		      JSON.stringify(auto));
		const da = new Webhook(secret).verify(payload, auto);
		check('standard: ... and Webhook.verify accepts it (clock time)', da && da.type === 'user.created',
		      JSON.stringify(da));

		// Rotation: libsaas signs with two secrets; either verifies in the Node lib.
		const two = sign(['--provider', 'standard', '--secret', secret, '--secret', secret2,
		                  '--now', String(now)], payload);
		check('standard: two secrets: two v1 signatures',
		      /^v1,\S+ v1,\S+$/.test(two['webhook-signature'] || ''), two['webhook-signature']);
		for (const [name, s] of [['first', secret], ['second', secret2]]) {
			const d = new Webhook(s).verify(payload, two);
			check(`standard: two signatures from libsaas: Webhook.verify accepts the ${name} secret`,
			      d && d.type === 'user.created', JSON.stringify(d));
		}
		expectThrows('standard: two signatures from libsaas: a third secret is refused',
		             () => new Webhook(whsec()).verify(payload, two), /No matching signature/);

		// An ed25519 (v1a) signature next to the v1: the Node lib skips it.
		const kp = saasctl(['webhook', 'secret', '--ed25519']);
		const sk = (kp.stdout.match(/^secret: (whsk_\S+)$/m) || [])[1];
		check('standard: saasctl webhook secret --ed25519', kp.status === 0 && sk, kp.stdout + kp.stderr);
		if (sk) {
			const mixed = sign(['--provider', 'standard', '--secret', sk, '--secret', secret,
			                    '--now', String(now)], payload);
			check('standard: a whsk_ and a whsec_: v1a then v1',
			      /^v1a,\S+ v1,\S+$/.test(mixed['webhook-signature'] || ''), mixed['webhook-signature']);
			const d = new Webhook(secret).verify(payload, mixed);
			check('standard: Webhook.verify skips the v1a and accepts the v1', d && d.type === 'user.created',
			      JSON.stringify(d));
		}

		// The tolerance, both ways, as the Node lib applies it to libsaas's timestamps.
		for (const [off, good] of [[-290, true], [290, true], [-310, false], [310, false]]) {
			const hh = sign(['--provider', 'standard', '--secret', secret, '--id', msgId,
			                 '--now', String(now + off)], payload);
			const desc = `standard: signed at now${off > 0 ? '+' : ''}${off} s: Webhook.verify ` +
			             (good ? 'accepts' : 'refuses');
			if (good) {
				const d = new Webhook(secret).verify(payload, hh);
				check(desc, d && d.type === 'user.created', JSON.stringify(d));
			} else {
				expectThrows(desc, () => new Webhook(secret).verify(payload, hh),
				             off < 0 ? /too old/ : /too new/);
			}
		}
	});
}

// ---- GitHub: @octokit/webhooks-methods -------------------------------------------------------

async function octokitCases() {
	// An ES module: import it by file, as its package.json's "exports" name it for Node.
	const dir = path.join(NODE_MODULES, '@octokit', 'webhooks-methods');
	const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
	const dot = pkg.exports && pkg.exports['.'];
	const entry = (dot && dot.node && dot.node.import) || (dot && dot.default && dot.default.import) ||
	              'dist-node/index.js';
	const { sign: ghSign, verify: ghVerify } = await import(pathToFileURL(path.join(dir, entry)).href);
	const secret = 'gh-secret-' + crypto.randomBytes(12).toString('hex');
	const payload = JSON.stringify({ action: 'opened', issue: { number: 1, title: 'Ünïcödé 🚀' } });

	await runCase('octokit -> libsaas', async () => {
		const sig = await ghSign(secret, payload);
		const h = { 'X-Hub-Signature-256': sig, 'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };
		expectValid('github: octokit sign() verifies in libsaas',
		            verify(['--provider', 'github', '--secret', secret], h, payload));
		expectInvalid('github: ... under another secret: mismatch',
		              verify(['--provider', 'github', '--secret', secret + 'x'], h, payload), 'mismatch');
		expectInvalid('github: ... over another body: mismatch',
		              verify(['--provider', 'github', '--secret', secret], h, payload + ' '), 'mismatch');
	});

	await runCase('libsaas -> octokit', async () => {
		const h = sign(['--provider', 'github', '--secret', secret], payload);
		const sig = h['X-Hub-Signature-256'];
		check('github: libsaas signs exactly as octokit sign()', sig === await ghSign(secret, payload),
		      `libsaas ${sig}`);
		check('github: octokit verify() accepts libsaas\'s X-Hub-Signature-256',
		      (await ghVerify(secret, payload, sig)) === true, sig);
		check('github: octokit verify() refuses it under another secret',
		      (await ghVerify(secret + 'x', payload, sig)) === false, sig);
		check('github: ... and over another body', (await ghVerify(secret, payload + ' ', sig)) === false, sig);
	});
}

async function main() {
	console.log(`node ${process.version}; saasctl ${SAASCTL}`);
	for (const [name, fn] of [['stripe', stripeCases], ['standardwebhooks', standardCases],
	                          ['@octokit/webhooks-methods', octokitCases]]) {
		let version = '?';
		try {
			version = JSON.parse(fs.readFileSync(path.join(NODE_MODULES, name, 'package.json'), 'utf8')).version;
		} catch (e) {
			version = '(not installed)';
		}
		console.log(`# ${name} ${version}`);
		await runCase(`${name}: the cases`, fn);
	}
	if (failed.length) {
		console.log('\nFailures:');
		for (const f of failed)
			console.log(`  ${f}`);
	}
	console.log(`${passed.length} passed, ${failed.length} failed`);
	process.exit(failed.length ? 1 : 0);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
