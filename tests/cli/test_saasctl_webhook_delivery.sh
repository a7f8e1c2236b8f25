#!/usr/bin/env bash
# Integration test of saasctl's outbound webhook verbs (docs/webhooks.md,
# "Sending"): webhook endpoint add|list|remove|enable|disable|rotate|secret,
# webhook deliver and webhook attempts, against a local receiver (Python's
# http.server) that answers 500 to its first request and 200 after, and
# whose requests saasctl webhook verify then checks with the endpoint's
# secret. Each step checks the exit status and what is printed.
#
#   bash tests/cli/test_saasctl_webhook_delivery.sh PATH/TO/saasctl
#
# Ends with "N passed, M failed" and exits non-zero if anything failed.
set -u

SAASCTL=${1:?usage: test_saasctl_webhook_delivery.sh PATH/TO/saasctl}
[[ $SAASCTL == /* ]] || SAASCTL=$PWD/$SAASCTL
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/saasctl-webhook-delivery.XXXXXX") || exit 1
receiver_pid=
cleanup() {
	[[ -n $receiver_pid ]] && kill "$receiver_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
export SAAS_DB="sqlite:$tmp/t.db"
unset SAAS_LOG 2>/dev/null || true

# sc, expect, holds, jq_py
. "$HERE/harness.sh"

# The receiver: each POST saved as reqN.body and reqN.headers ("Name: value"
# lines); the first answered 500, the others 200. Prints its port.
cat >receiver.py <<'PY'
import http.server, sys, os
n = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global n
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open('req%d.body' % n, 'wb') as f:
            f.write(body)
        with open('req%d.headers' % n, 'w') as f:
            for k in ('webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type'):
                f.write('%s: %s\n' % (k, self.headers.get(k, '')))
        status = 500 if n == 0 else 200
        n += 1
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'first one fails' if status == 500 else b'thanks')
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 receiver.py >port 2>receiver.err &
receiver_pid=$!
for _ in $(seq 50); do [[ -s port ]] && break; sleep 0.1; done
PORT=$(<port)
URL="http://127.0.0.1:$PORT/hook"

sc migrate
expect "migrate" 0 '.*' ''
sc tenant create --slug acme --name Acme
expect "a tenant" 0 '.*' ''

# ---- endpoints ----
sc webhook endpoint add --tenant acme --url "$URL" --event 'member.*' --event 'app.*' --description CRM
expect "endpoint add prints the id and the secret once" 0 $'^endpoint whe_[0-9A-Z]{26}\nsecret whsec_[A-Za-z0-9+/]{43}=$' ''
EP=$(sed -n 's/^endpoint //p' <<<"$STDOUT")
SECRET=$(sed -n 's/^secret //p' <<<"$STDOUT")
sc webhook endpoint list --tenant acme
expect "list: enabled, the sorted patterns, no secret" 0 "^$EP	enabled	$URL	\\[\"app.\\*\",\"member.\\*\"\\]	pending 0	secrets 1\$" ''
[[ $STDOUT != *"${SECRET#whsec_}"* ]]
holds "list never prints the secret"
sc --json webhook endpoint secret "$EP" --tenant acme
expect "secret: the same secret" 0 "\"secret\":\"${SECRET//+/\\+}\"" ''
sc webhook endpoint add --tenant acme --url "ftp://x/" --event '*'
expect "a bad URL is refused" 1 '' 'url .ftp.* is not http:// or https://'
sc webhook endpoint add --tenant acme --url "$URL"
expect "add needs an --event" 2 '' 'at least one --event'
sc webhook endpoint add --tenant acme --url "$URL" --event 'Bad.Type'
expect "a bad pattern is refused" 1 '' "event type 'Bad.Type'"
sc webhook endpoint remove --tenant acme
expect "remove needs the id" 2 '' "needs the endpoint's id"
sc webhook endpoint frobnicate --tenant acme
expect "an unknown action" 2 '' 'give add, list'
sc webhook endpoint disable whe_01AAAAAAAAAAAAAAAAAAAAAAAA --tenant acme
expect "an unknown endpoint" 1 '' 'no webhook endpoint'

# ---- an event, delivered: the first attempt fails, the retry succeeds ----
sc member list --tenant acme
expect "nothing before" 0 '' '.*'
sc user create --email a@acme.example --name A
expect "a user" 0 '.*' ''
sc member add --tenant acme --user a@acme.example --role owner
expect "member.added: an event the endpoint wants" 0 '.*' ''
sc webhook deliver --allow 127.0.0.0/8
expect "deliver: the request reaches the receiver, which fails it" 0 '^fanned out 1, attempts 1: succeeded 0, retrying 1' ''
sc webhook deliver --allow 127.0.0.0/8
expect "deliver: nothing due yet (the retry waits 5 s)" 0 '^fanned out 0, attempts 0:' ''
sleep 6.2
sc --json webhook deliver --allow 127.0.0.0/8 --concurrency 2 --timeout-ms 5000
expect "deliver: the retry succeeds" 0 '"attempts":1,"succeeded":1' ''
sc webhook attempts --tenant acme
expect "attempts: 2 attempts, 500 then 200" 0 $'member.added\tsucceeded\tattempts 2\n  #1\t.*HTTP 500\n  #2\t.*HTTP 200' ''
sc --json webhook attempts --tenant acme --endpoint "$EP" --limit 1
expect "--json attempts: the response excerpt kept" 0 '"response":"first one fails"' ''

# ---- what the receiver got verifies with the endpoint's secret ----
for i in 0 1; do
	args=()
	while IFS= read -r line; do args+=(--header "$line"); done <"req$i.headers"
	WH_SECRET=$SECRET "$SAASCTL" webhook verify --provider standard --secret-env WH_SECRET "${args[@]}" \
		--body-file "req$i.body" >"$tmp/stdout" 2>"$tmp/stderr"
	STATUS=$? STDOUT=$(<"$tmp/stdout") STDERR=$(<"$tmp/stderr") CMD="webhook verify req$i"
	expect "request $i verifies with the endpoint's secret" 0 '^valid$' ''
done
cmp -s <(sed -n 's/^webhook-id: //p' req0.headers) <(sed -n 's/^webhook-id: //p' req1.headers)
holds "both attempts carry the same webhook-id"
grep -q '^content-type: application/json$' req1.headers
holds "the body is sent as JSON"
python3 -c 'import json,sys; d=json.load(open("req1.body")); assert d["type"]=="member.added" and d["data"]["tenant_id"].startswith("ten_") and d["data"]["target"]["type"]=="member"'
holds "the body is the event"
WH_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw "$SAASCTL" webhook verify --provider standard --secret-env WH_SECRET \
	--header "webhook-id: $(sed -n 's/^webhook-id: //p' req1.headers)" \
	--header "webhook-timestamp: $(sed -n 's/^webhook-timestamp: //p' req1.headers)" \
	--header "webhook-signature: $(sed -n 's/^webhook-signature: //p' req1.headers)" \
	--body-file req1.body >"$tmp/stdout" 2>"$tmp/stderr"
STATUS=$? STDOUT=$(<"$tmp/stdout") STDERR=$(<"$tmp/stderr") CMD="webhook verify with another secret"
expect "another secret does not verify it" 1 '^invalid: mismatch$' '.*'

# ---- the address guard: private targets are refused without --allow ----
sc webhook endpoint add --tenant acme --url http://10.0.0.1:9/x --event 'member.*'
expect "an endpoint on a private address" 0 '^endpoint whe_' ''
EP2=$(sed -n 's/^endpoint //p' <<<"$STDOUT")
sc member set-roles --tenant acme --user a@acme.example --role owner --role admin
expect "member.roles_changed: for both endpoints" 0 '.*' '.*'
sc webhook deliver
expect "deliver without --allow: both refused" 0 '^fanned out 2, attempts 2: succeeded 0, retrying 2' ''
sc webhook attempts --tenant acme --endpoint "$EP2"
expect "the guard named the private range" 0 'HTTP 0	refused by the address guard: 10.0.0.1 is private \(10.0.0.0/8\)' ''
sc webhook attempts --tenant acme --endpoint "$EP" --limit 1
expect "and loopback" 0 'refused by the address guard: 127.0.0.1 is loopback' ''
[[ ! -e req2.body ]]
holds "nothing more reached the receiver"
sc webhook endpoint remove "$EP2" --tenant acme
expect "remove the private one" 0 '' ''

# ---- rotate, disable, enable, remove: each audited ----
sc webhook endpoint rotate "$EP" --tenant acme --overlap 60
expect "rotate prints the new secret" 0 $'^endpoint whe_.*\nsecret whsec_' ''
sc webhook endpoint list --tenant acme
expect "two secrets sign during the overlap" 0 'secrets 2$' ''
sc webhook endpoint rotate "$EP" --tenant acme --overlap 604801
expect "an overlap beyond 7 days is refused" 1 '' 'overlap_seconds 604801 is out of range'
sc webhook endpoint disable "$EP" --tenant acme
expect "disable" 0 '' ''
sc webhook endpoint list --tenant acme
expect "list: disabled by hand" 0 "	manual	" ''
sc webhook endpoint enable "$EP" --tenant acme
expect "enable" 0 '' ''
sc --json webhook endpoint remove "$EP" --tenant acme
expect "remove" 0 '^\{"ok":true\}$' ''
sc webhook endpoint list --tenant acme
expect "no endpoints left" 0 '' ''
sc audit list --tenant acme
expect "every change audited" 0 'webhook.endpoint_created.*webhook.secret_rotated.*webhook.endpoint_disabled.*webhook.endpoint_enabled.*webhook.endpoint_removed' ''
[[ $STDOUT != *whsec_* ]]
holds "no secret in the audit log"

echo "$npass passed, $nfail failed"
[[ $nfail -eq 0 ]]
