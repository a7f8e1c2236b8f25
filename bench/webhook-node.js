// bench/webhook-node.js: the Node side of bench/webhook (run by it; not on
// its own). Reads the JSON file bench/webhook wrote:
//
//   {"seconds": S, "passes": P,
//    "cases": [{"scheme": "stripe" | "standard", "size": N, "body": "<path>",
//               "secret": "whsec_...", "headers": {"<name>": "<value>", ...}}, ...]}
//
// and for each case verifies the body (read once into a Buffer, as a raw-body
// middleware hands it over) with the headers libsaas signed:
// stripe.webhooks.constructEvent(body, header, secret) for "stripe", new
// Webhook(secret).verify(body, headers) (made once) for "standard"; both
// check the timestamp against the real clock and JSON.parse the body. An
// untimed warm-up first (V8 compiles the hot paths), then P passes of about
// S seconds each; the best pass counts. Prints "case SCHEME SIZE NS_PER_OP N"
// per case and "versions NODE STRIPE STANDARDWEBHOOKS". Needs `stripe` and
// `standardwebhooks` resolvable (NODE_PATH).
'use strict';

const fs = require('fs');
const path = require('path');
const Stripe = require('stripe');
const { Webhook } = require('standardwebhooks');

function version(pkg) {
	for (const dir of (process.env.NODE_PATH || '').split(path.delimiter)) {
		try {
			return JSON.parse(fs.readFileSync(path.join(dir, pkg, 'package.json'), 'utf8')).version;
		} catch (e) {
			/* try the next */
		}
	}
	return 'unknown';
}

// Run fn n times; nanoseconds per call.
function timed(fn, n) {
	const t0 = process.hrtime.bigint();
	for (let i = 0; i < n; i++)
		fn();
	return Number(process.hrtime.bigint() - t0) / n;
}

function main() {
	const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
	const stripe = new Stripe('sk_test_bench_no_network');
	let sink = 0;

	for (const c of input.cases) {
		const body = fs.readFileSync(c.body);
		let fn;
		if (c.scheme === 'stripe') {
			const header = c.headers['Stripe-Signature'];
			fn = () => { sink += stripe.webhooks.constructEvent(body, header, c.secret).id.length; };
		} else {
			const wh = new Webhook(c.secret);
			fn = () => { sink += wh.verify(body, c.headers).id.length; };
		}
		fn(); // throws if it does not verify

		// Warm up for about one pass, and size a pass to input.seconds.
		let n = 1, ns = timed(fn, n);
		while (n * ns < 2e7 && n < (1 << 24)) {
			n *= 4;
			ns = timed(fn, n);
		}
		n = Math.max(1, Math.round(input.seconds * 1e9 / ns));
		timed(fn, n);
		let best = Infinity;
		for (let p = 0; p < input.passes; p++)
			best = Math.min(best, timed(fn, n));
		process.stdout.write(`case ${c.scheme} ${c.size} ${best.toFixed(1)} ${n}\n`);
	}
	process.stdout.write(`versions ${process.version} ${version('stripe')} ${version('standardwebhooks')}\n`);
	if (sink < 0)
		process.stdout.write('\n');
}

try {
	main();
} catch (e) {
	process.stderr.write(`webhook-node: ${e && e.stack ? e.stack : e}\n`);
	process.exit(1);
}
