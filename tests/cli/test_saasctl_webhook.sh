#!/usr/bin/env bash
# Integration test of saasctl's webhook signature verbs (docs/webhooks.md):
# webhook verify|sign|secret|public-key, against the providers' published
# vectors (/work/shared/reference/webhooks.md §9: Standard Webhooks, Svix,
# GitHub, Slack, and the derived Stripe and Shopify ones), sign→verify round
# trips, every failed check, the tolerance's edges, empty and 1 MiB bodies,
# usage errors, and that no secret ever reaches the output. Each step checks
# the exit status and what is printed on stdout and stderr.
#
#   bash tests/cli/test_saasctl_webhook.sh PATH/TO/saasctl
#
# Ends with "N passed, M failed" and exits non-zero if anything failed.
set -u

SAASCTL=${1:?usage: test_saasctl_webhook.sh PATH/TO/saasctl}
[[ $SAASCTL == /* ]] || SAASCTL=$PWD/$SAASCTL

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/saasctl-webhook.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
# The webhook verbs need no database: none may be created.
export SAAS_DB="sqlite:$tmp/t.db"
unset SAAS_LOG WH_SECRET WH_UNSET 2>/dev/null || true

# sc, expect, holds, jq_py
. "$HERE/harness.sh"

# re STRING: STRING as an extended regex matching itself.
re() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'
}

# expect_line DESC STATUS LINE: the last run exited STATUS, printed LINE as
# one whole line of stdout and nothing on stderr.
expect_line() {
	local nl=$'\n'
	expect "$1" "$2" "(^|$nl)$(re "$3")($nl|\$)" ''
}

# expect_invalid DESC CHECK: the last verify exited 1 printing exactly
# "invalid: CHECK", and the library's reason on stderr.
expect_invalid() {
	expect "$1" 1 "^invalid: $2\$" 'saasctl: .+\(SAAS_ESIGNATURE\)'
}

# no_secret DESC SECRET: the last run printed SECRET nowhere.
no_secret() {
	[[ $STDOUT != *"$2"* && $STDERR != *"$2"* ]]
	holds "$1"
}

# hmac_hex KEY: the hex HMAC-SHA256 of stdin's bytes under KEY (Python's hmac).
hmac_hex() {
	python3 -c 'import hashlib, hmac, sys
print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())' "$1"
}

# headers: the last sign's output lines as --header arguments, in H.
headers() {
	H=()
	while IFS= read -r line; do
		[[ -n $line ]] && H+=(--header "$line")
	done <<<"$STDOUT"
}

# ---- the vectors (reference §9) -------------------------------------------------------

# 9.1 Standard Webhooks (the JS, Go, Python, PHP, C#, Java libraries; Svix server).
SW_KEY=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
SW_ID=msg_p5jXN8AQM9LWM0D4loKWxJek
SW_TS=1614265330
SW_SIG='v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
printf '%s' '{"test": 2432232314}' >sw.json
SW_DECOYS=(
	'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='
	'v1,dawfeoifkpqwoekfpqoekf'
	'v1,'
	'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA='
	'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLawdd'
)
SW_V2='v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='

# sw SIG [ARGS...]: verify the 9.1 message with signature header SIG, at
# its timestamp (or at $SW_NOW).
sw() {
	local sig=$1
	shift
	sc webhook verify --provider standard --header "webhook-id: $SW_ID" \
		--header "webhook-timestamp: $SW_TS" --header "webhook-signature: $sig" \
		--body-file sw.json --now "${SW_NOW:-$SW_TS}" "$@"
}

sw "$SW_SIG" --secret "$SW_KEY"
expect "9.1: the official vector verifies" 0 '^valid$' ''
sw "$SW_SIG" --secret "${SW_KEY#whsec_}"
expect "9.1: the bare base64 key (Svix server's form) verifies" 0 '^valid$' ''
sc --json webhook verify --provider standard --secret "$SW_KEY" --body-file sw.json \
	--header "webhook-id: $SW_ID" --header "webhook-timestamp: $SW_TS" \
	--header "webhook-signature: $SW_SIG" --now "$SW_TS"
expect "9.1 --json" 0 '^\{"valid":true,"check":"valid","id":"msg_p5jXN8AQM9LWM0D4loKWxJek","timestamp":1614265330,"secret_index":0\}$' ''
[[ $(jq_py 'd["valid"] is True and d["secret_index"] == 0') == True ]]
holds "9.1 --json is JSON"
sc webhook verify --provider standard --secret "$SW_KEY" --body-file sw.json --now "$SW_TS" \
	--header " Webhook-ID :  $SW_ID  " --header "WEBHOOK-TIMESTAMP:$SW_TS" \
	--header "webhook-signature:	$SW_SIG	"
expect "9.1: header names in any case; spaces and tabs around names and values ignored" 0 '^valid$' ''
sw "${SW_DECOYS[0]} $SW_V2 $SW_SIG ${SW_DECOYS[0]}" --secret "$SW_KEY"
expect "9.1: decoy v1, decoy v2, the valid one, decoy v1: valid" 0 '^valid$' ''
sw "${SW_DECOYS[*]} $SW_V2 $SW_SIG" --secret "$SW_KEY"
expect "9.1: every decoy, then the valid one: valid" 0 '^valid$' ''
for d in "${SW_DECOYS[@]}"; do
	sw "$d" --secret "$SW_KEY"
	expect_invalid "9.1: decoy '$d' alone does not verify" mismatch
done
sw "${SW_DECOYS[*]}" --secret "$SW_KEY"
expect_invalid "9.1: every v1 decoy together does not verify" mismatch
sw "$SW_V2" --secret "$SW_KEY"
expect_invalid "9.1: a v2 signature alone is no known scheme" no_known_scheme
sw 'v1,TcxlhK9b6UD6iVI1ZU2tTqp8PEVfYRseNNfa6b+LcUg=' --secret "$SW_KEY"
expect_invalid "9.9: a signature keyed with the whsec_ string itself does not verify" mismatch
sc webhook sign --provider standard --secret "$SW_KEY" --id "$SW_ID" --now "$SW_TS" \
	--body-file sw.json
expect_line "9.1: sign gives the official signature" 0 "webhook-signature: $SW_SIG"
[[ $STDOUT == "webhook-id: $SW_ID"$'\n'"webhook-timestamp: $SW_TS"$'\n'"webhook-signature: $SW_SIG" ]]
holds "9.1: sign prints webhook-id, webhook-timestamp, webhook-signature"
[[ $STDOUT != *TcxlhK9b6UD6iVI1ZU2tTqp8PEVfYRseNNfa6b* ]]
holds "9.9: sign does not key with the whsec_ string"
sc --json webhook sign --provider standard --secret "$SW_KEY" --id "$SW_ID" --now "$SW_TS" \
	--body-file sw.json
expect "9.1: sign --json" 0 '^\{"webhook-id":"msg_p5jXN8AQM9LWM0D4loKWxJek","webhook-timestamp":"1614265330","webhook-signature":"v1,g0hM9SsE\+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="\}$' ''

# 9.2 Standard Webhooks, the Rust library's vector.
R_KEY='whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
R_ID=msg_27UH4WbU6Z5A5EzD8u03UvzRbpk
R_TS=1649367553
R_SIG='v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw='
printf '%s' '{"email":"test@example.com","username":"test_user"}' >rust.json
R_DECOYS=(
	'v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ='
	'v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q='
	'v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE='
	'v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU='
)
rv() {
	local sig=$1
	shift
	sc webhook verify --provider standard --secret "$R_KEY" --header "webhook-id: $R_ID" \
		--header "webhook-timestamp: $R_TS" --header "webhook-signature: $sig" \
		--body-file rust.json --now "$R_TS" "$@"
}
rv "$R_SIG"
expect "9.2: the Rust vector verifies" 0 '^valid$' ''
rv "${R_DECOYS[0]} ${R_DECOYS[1]} $R_SIG ${R_DECOYS[2]} ${R_DECOYS[3]}"
expect "9.2: the valid one among the four decoys" 0 '^valid$' ''
for d in "${R_DECOYS[@]}"; do
	rv "$d"
	expect_invalid "9.2: decoy '$d' alone does not verify" mismatch
done
rv "${R_DECOYS[*]}"
expect_invalid "9.2: the four decoys together do not verify" mismatch
sc webhook sign --provider standard --secret "$R_KEY" --id "$R_ID" --now "$R_TS" \
	--body-file rust.json
expect_line "9.2: sign gives the Rust vector" 0 "webhook-signature: $R_SIG"

# 9.3 Svix server: ed25519 v1a, the 64-byte whsk_ (seed || public key) and its whpk_.
ED_SK='whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=='
ED_PK='whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4='
ED_SIG='v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=='
sw "$ED_SIG" --secret "$ED_PK"
expect "9.3: v1a verifies with the whpk_ public key" 0 '^valid$' ''
sw "$ED_SIG" --secret "$ED_SK"
expect "9.3: v1a verifies with the 64-byte whsk_ key" 0 '^valid$' ''
sw "$SW_SIG $ED_SIG" --secret "$ED_PK"
expect "9.3: v1 and v1a, checked with the public key: valid" 0 '^valid$' ''
sc --json webhook verify --provider standard --secret whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD \
	--secret "$ED_PK" --header "webhook-id: $SW_ID" --header "webhook-timestamp: $SW_TS" \
	--header "webhook-signature: $SW_SIG $ED_SIG" --body-file sw.json --now "$SW_TS"
expect "9.3: a wrong HMAC secret, then the public key: secret_index 1" 0 '"secret_index":1' ''
sw "$ED_SIG" --secret "$SW_KEY"
expect_invalid "9.3: v1a with only an HMAC secret is no known scheme" no_known_scheme
sw "$SW_SIG" --secret "$ED_PK"
expect_invalid "9.3: v1 with only a public key is no known scheme" no_known_scheme
sc webhook verify --provider standard --secret "$ED_PK" --header "webhook-id: msg_2KWPBgLlAfxdpx2AI54pPJ85f4W" \
	--header "webhook-timestamp: $SW_TS" --header "webhook-signature: $ED_SIG" \
	--body-file sw.json --now "$SW_TS"
expect_invalid "9.3: the same v1a for another message id does not verify" mismatch
sc webhook sign --provider standard --secret "$ED_SK" --id "$SW_ID" --now "$SW_TS" \
	--body-file sw.json
expect_line "9.3: sign with the whsk_ key gives the Svix server's v1a" 0 "webhook-signature: $ED_SIG"
sc webhook sign --provider standard --secret "$SW_KEY" --secret "$ED_SK" --id "$SW_ID" \
	--now "$SW_TS" --body-file sw.json
expect_line "9.3: an HMAC secret and an ed25519 key: v1 then v1a" 0 "webhook-signature: $SW_SIG $ED_SIG"
sc webhook public-key --secret "$ED_SK"
expect "9.3: the public key of the whsk_ key" 0 "^$(re "$ED_PK")\$" ''
sc webhook sign --provider standard --secret "$ED_PK" --id "$SW_ID" --now "$SW_TS" \
	--body-file sw.json
expect "9.3: a whpk_ public key cannot sign" 1 '' 'SAAS_EINVAL'
no_secret "9.3: the refusal does not print the key" "${ED_PK#whpk_}"

# 9.3b The two proposed ed25519 vectors: Go's 32-byte seed, JS's 64-byte key.
GO_SEED='VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk='
GO_SIG='v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=='
JS_SK='whsk_AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQGKiOPddAnxlf1S2y08ul1yymcJvx2UEhvzdIgBtA9vXA=='
JS_PK='whpk_iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w='
JS_SIG='v1a,Ykcu7AtGZGmZxFEH1Gaa2Nd7feY/CTuruoL4fqgnKwfbHU4DhemoVHZdvGfIvKvn4BIgwktLGGPGIr/i9nK7AA=='
sc webhook sign --provider standard --secret "whsk_$GO_SEED" --id "$SW_ID" --now "$SW_TS" \
	--body-file sw.json
expect_line "9.3b (Go): the 32-byte seed as whsk_ signs the proposal's v1a" 0 "webhook-signature: $GO_SIG"
sw "$GO_SIG" --secret "whsk_$GO_SEED"
expect "9.3b (Go): it verifies with the whsk_ seed" 0 '^valid$' ''
sc webhook public-key --secret "whsk_$GO_SEED"
expect "9.3b (Go): the seed's public key" 0 '^whpk_[A-Za-z0-9+/]{43}=$' ''
GO_PK=$STDOUT
sw "$GO_SIG" --secret "$GO_PK"
expect "9.3b (Go): it verifies with that public key" 0 '^valid$' ''
sw "$GO_SIG" --secret "$GO_SEED"
expect_invalid "9.3b (Go): the bare base64 seed is an HMAC key, not an ed25519 one" no_known_scheme
sw "$GO_SIG" --secret "$ED_PK"
expect_invalid "9.3b (Go): another public key does not verify it" mismatch
sc webhook sign --provider standard --secret "$JS_SK" --id "$SW_ID" --now "$SW_TS" \
	--body-file sw.json
expect_line "9.3b (JS): the 64-byte whsk_ signs the proposal's v1a" 0 "webhook-signature: $JS_SIG"
sw "$JS_SIG" --secret "$JS_PK"
expect "9.3b (JS): it verifies with the whpk_" 0 '^valid$' ''
sc webhook public-key --secret "$JS_SK"
expect "9.3b (JS): public-key gives the fixture's whpk_" 0 "^$(re "$JS_PK")\$" ''
# A 64-byte whsk_ whose second half is not the seed's public key.
BAD_SK=whsk_$(python3 -c 'import base64; print(base64.b64encode(bytes([1]*32 + [0]*32)).decode())')
sc webhook public-key --secret "$BAD_SK"
expect "a whsk_ whose halves disagree is refused" 1 '' 'SAAS_EINVAL'
no_secret "... without printing the key" "${BAD_SK#whsk_}"
sw "$JS_SIG" --secret "$BAD_SK"
expect "verify: a whsk_ whose halves disagree: no answer (exit 2)" 2 '' 'secrets\[0\].*SAAS_EINVAL'
no_secret "... without printing the key" "${BAD_SK#whsk_}"

# 9.4 The Svix docs' example: svix-* headers, an 18-byte key.
SVIX_KEY=whsec_plJ3nmyCDGBKInavdOK15jsl
SVIX_SIG='v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0='
printf '%s' '{"event_type":"ping","data":{"success":true}}' >svix.json
sc webhook verify --provider svix --secret "$SVIX_KEY" --header 'svix-id: msg_loFOjxBNrRLzqYUf' \
	--header 'svix-timestamp: 1731705121' --header "svix-signature: $SVIX_SIG" \
	--body-file svix.json --now 1731705121
expect "9.4: the Svix docs vector (svix-* headers, 18-byte key)" 0 '^valid$' ''
sc webhook verify --provider standard --secret "$SVIX_KEY" --header 'Svix-Id: msg_loFOjxBNrRLzqYUf' \
	--header 'Svix-Timestamp: 1731705121' --header "Svix-Signature: $SVIX_SIG" \
	--body-file svix.json --now 1731705121
expect "9.4: --provider standard reads svix-* too, any case" 0 '^valid$' ''
sc webhook sign --provider svix --secret "$SVIX_KEY" --id msg_loFOjxBNrRLzqYUf --now 1731705121 \
	--body-file svix.json
expect_line "9.4: sign --provider svix names the headers svix-*" 0 "svix-signature: $SVIX_SIG"
sc webhook sign --provider standard --svix-headers --secret "$SVIX_KEY" \
	--id msg_loFOjxBNrRLzqYUf --now 1731705121 --body-file svix.json
expect_line "9.4: sign --svix-headers" 0 "svix-id: msg_loFOjxBNrRLzqYUf"
sw 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,bm9ldHUjKzFob2VudXRob2VodWUzMjRvdWVvdW9ldQo= v2,MzJsNDk4MzI0K2VvdSMjMTEjQEBAQDEyMzMzMzEyMwo=' \
	--secret "$SW_KEY"
expect "9.4: the docs' multi-signature header verifies the 9.1 message" 0 '^valid$' ''

# 9.5 GitHub.
GH_KEY="It's a Secret to Everybody"
GH_SIG=sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
printf '%s' 'Hello, World!' >gh.txt
sc webhook verify --provider github --secret "$GH_KEY" --header "X-Hub-Signature-256: $GH_SIG" \
	--body-file gh.txt
expect "9.5: GitHub's vector" 0 '^valid$' ''
sc --json webhook verify --provider github --secret "$GH_KEY" --body-file gh.txt \
	--header "x-hub-signature-256: $GH_SIG" --header 'X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958'
expect "9.5: --json: the delivery id, no timestamp" 0 '^\{"valid":true,"check":"valid","id":"72d3162e-cc78-11e3-81ab-4c9367dc0958","timestamp":null,"secret_index":0\}$' ''
sc webhook sign --provider github --secret "$GH_KEY" --body-file gh.txt
expect "9.5: sign gives GitHub's signature" 0 "^X-Hub-Signature-256: $GH_SIG\$" ''
sc webhook sign --provider github --secret "$GH_KEY" --body-file gh.txt --id 72d3162e-cc78
expect_line "9.5: sign --id adds X-GitHub-Delivery" 0 'X-GitHub-Delivery: 72d3162e-cc78'
sc webhook verify --provider github --secret "$GH_KEY" --body-file gh.txt \
	--header 'X-Hub-Signature: sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59'
expect_invalid "9.5: the SHA-1 X-Hub-Signature alone is refused" no_known_scheme
no_secret "... without printing the secret" "$GH_KEY"
sc webhook sign --provider github --secret "$GH_KEY" --secret other --body-file gh.txt
expect "GitHub signs with one secret only" 1 '' 'SAAS_EINVAL'
no_secret "... without printing either secret" "$GH_KEY"

# 9.6 Slack.
SL_KEY=8f742231b10e8888abcd99yyyzzz85a5
SL_TS=1531420618
SL_SIG=v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503
printf '%s' 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c' >slack.txt
slack() {
	sc webhook verify --provider slack --secret "$SL_KEY" --header "X-Slack-Signature: $SL_SIG" \
		--header "X-Slack-Request-Timestamp: $SL_TS" --body-file slack.txt "$@"
}
slack --now "$SL_TS"
expect "9.6: Slack's vector" 0 '^valid$' ''
sc webhook sign --provider slack --secret "$SL_KEY" --now "$SL_TS" --body-file slack.txt
[[ $STATUS == 0 && $STDOUT == *"X-Slack-Request-Timestamp: $SL_TS"* && $STDOUT == *"X-Slack-Signature: $SL_SIG"* ]]
holds "9.6: sign gives Slack's headers"

# 9.9 Derived: Stripe and Shopify.
ST_KEY=whsec_test_secret
ST_TS=1614265330
ST_SIG=3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff
printf '%s' '{"id":"evt_test_webhook","object":"event"}' >stripe.json
stripe() {
	local h=$1
	shift
	sc webhook verify --provider stripe --header "Stripe-Signature: $h" --body-file stripe.json "$@"
}
stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --now "$ST_TS"
expect "9.9: the derived Stripe vector" 0 '^valid$' ''
sc --json webhook verify --provider stripe --secret "$ST_KEY" --body-file stripe.json \
	--header "Stripe-Signature: t=$ST_TS,v1=$ST_SIG" --now "$ST_TS"
# verify never parses the body: Stripe's event id is read only by receive
expect "9.9: --json: no id (Stripe's is in the body)" 0 '^\{"valid":true,"check":"valid","id":null,"timestamp":1614265330,"secret_index":0\}$' ''
stripe "t=$ST_TS,v1=$(printf '0%.0s' {1..64}),v1=$ST_SIG,v0=$ST_SIG" --secret "$ST_KEY" --now "$ST_TS"
expect "9.9: Stripe: a wrong v1, the right v1, a v0: valid" 0 '^valid$' ''
stripe "t=$ST_TS,v1=$ST_SIG" --secret whsec_other --secret "$ST_KEY" --now "$ST_TS" --json
expect "9.9: Stripe: the second secret matches" 0 '"secret_index":1' ''
sc webhook sign --provider stripe --secret "$ST_KEY" --now "$ST_TS" --body-file stripe.json
expect "9.9: sign gives the derived Stripe header" 0 "^Stripe-Signature: t=$ST_TS,v1=$ST_SIG\$" ''
stripe "t=$ST_TS,v1=$ST_SIG" --secret "${ST_KEY#whsec_}" --now "$ST_TS"
expect_invalid "Stripe keys with the whole whsec_ string, not its tail" mismatch

SH_KEY=hush
SH_SIG='VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY='
printf '%s' '{"id":1}' >shopify.json
sc webhook verify --provider shopify --secret "$SH_KEY" --header "X-Shopify-Hmac-Sha256: $SH_SIG" \
	--body-file shopify.json
expect "9.9: the derived Shopify vector" 0 '^valid$' ''
sc webhook verify --provider shopify --secret "$SH_KEY" --header "shopify-hmac-sha256: $SH_SIG" \
	--body-file shopify.json
expect "9.9: Shopify's events-style header name" 0 '^valid$' ''
sc webhook sign --provider shopify --secret "$SH_KEY" --body-file shopify.json
expect "9.9: sign gives the derived Shopify header" 0 "^X-Shopify-Hmac-Sha256: $(re "$SH_SIG")\$" ''

# ---- round trips: sign, then verify -----------------------------------------------------

NOW=1700000000
printf '%s' '{"id":"evt_round","object":"event","data":{"n":1}}' >rt.json
# Two 32-byte secrets (base64 of 32 'a' and 32 'b' bytes).
RT_A=whsec_$(printf 'a%.0s' {1..32} | base64)
RT_B=whsec_$(printf 'b%.0s' {1..32} | base64)
for p in stripe standard svix github slack shopify; do
	sc webhook sign --provider "$p" --secret "$RT_A" --now "$NOW" --body-file rt.json
	expect "$p: sign" 0 '.' ''
	headers
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file rt.json --now "$NOW"
	expect "$p: what sign printed verifies" 0 '^valid$' ''
	sc webhook verify --provider "$p" --secret "$RT_B" "${H[@]}" --body-file rt.json --now "$NOW"
	expect_invalid "$p: another secret does not" mismatch
	no_secret "$p: the failure prints no secret" "${RT_B#whsec_}"
	printf '%s' '{"id":"evt_round","object":"event","data":{"n":2}}' >rt2.json
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file rt2.json --now "$NOW"
	expect_invalid "$p: another body does not" mismatch
	sc webhook sign --provider "$p" --secret "$RT_A" --body-file rt.json
	headers
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file rt.json
	expect "$p: signed and verified at the clock's time" 0 '^valid$' ''
done
for p in stripe standard; do
	sc webhook sign --provider "$p" --secret "$RT_A" --secret "$RT_B" --now "$NOW" --body-file rt.json
	expect "$p: sign with two secrets" 0 '.' ''
	headers
	sc --json webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file rt.json --now "$NOW"
	expect "$p: two signatures, the first secret verifies" 0 '"valid":true' ''
	sc --json webhook verify --provider "$p" --secret "$RT_B" "${H[@]}" --body-file rt.json --now "$NOW"
	expect "$p: two signatures, the second secret verifies" 0 '"valid":true' ''
done
sc webhook sign --provider stripe --secret "$RT_A" --secret "$RT_B" --now "$NOW" --body-file rt.json
expect "stripe: two secrets, two v1" 0 "^Stripe-Signature: t=$NOW,v1=[0-9a-f]{64},v1=[0-9a-f]{64}\$" ''
sc webhook sign --provider standard --secret "$RT_A" --secret "$RT_B" --now "$NOW" --body-file rt.json
expect "standard: two secrets, two v1, a new msg_ id" 0 "^webhook-id: msg_[^ ]+
webhook-timestamp: $NOW
webhook-signature: v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=\$" ''

# ed25519: a new key pair signs, its public key verifies.
sc webhook secret --ed25519
expect "secret --ed25519 prints secret: whsk_ and public: whpk_" 0 '^secret: whsk_[A-Za-z0-9+/]{86}==
public: whpk_[A-Za-z0-9+/]{43}=$' ''
KP_SK=${STDOUT%%$'\n'*}
KP_SK=${KP_SK#secret: }
KP_PK=${STDOUT##*public: }
sc webhook public-key --secret "$KP_SK"
expect "public-key of the new key is its whpk_" 0 "^$(re "$KP_PK")\$" ''
WH_SECRET=$KP_SK sc webhook public-key --secret-env WH_SECRET
expect "public-key --secret-env" 0 "^$(re "$KP_PK")\$" ''
WH_SECRET=$KP_SK sc webhook sign --provider standard --secret-env WH_SECRET --now "$NOW" --body-file rt.json
expect "sign with the whsk_ from the environment" 0 'webhook-signature: v1a,' ''
headers
sc webhook verify --provider standard --secret "$KP_PK" "${H[@]}" --body-file rt.json --now "$NOW"
expect "ed25519: the public key verifies what the new key signed" 0 '^valid$' ''
sc --json webhook secret --ed25519
expect "secret --ed25519 --json" 0 '^\{"secret":"whsk_[^"]+","public":"whpk_[^"]+"\}$' ''
sc webhook secret
expect "secret prints a whsec_ of 32 bytes" 0 '^whsec_[A-Za-z0-9+/]{43}=$' ''
NEW=$STDOUT
sc webhook secret
[[ $STDOUT != "$NEW" ]]
holds "two new secrets differ"
sc --json webhook secret
expect "secret --json" 0 '^\{"secret":"whsec_[A-Za-z0-9+/]{43}="\}$' ''
sc webhook sign --provider standard --secret "$NEW" --now "$NOW" --body-file rt.json
headers
sc webhook verify --provider standard --secret "$NEW" "${H[@]}" --body-file rt.json --now "$NOW"
expect "a new secret signs and verifies" 0 '^valid$' ''

# --secret-env: the secret stays out of argv; --secret ones count first.
WH_SECRET=$ST_KEY sc webhook verify --provider stripe --secret-env WH_SECRET \
	--header "Stripe-Signature: t=$ST_TS,v1=$ST_SIG" --body-file stripe.json --now "$ST_TS"
expect "verify --secret-env" 0 '^valid$' ''
WH_SECRET=$ST_KEY sc --json webhook verify --provider stripe --secret-env WH_SECRET \
	--secret whsec_nope --header "Stripe-Signature: t=$ST_TS,v1=$ST_SIG" --body-file stripe.json \
	--now "$ST_TS"
expect "--secret first, then --secret-env: secret_index 1" 0 '"secret_index":1' ''
WH_SECRET=whsec_not_it sc webhook verify --provider stripe --secret-env WH_SECRET \
	--header "Stripe-Signature: t=$ST_TS,v1=$ST_SIG" --body-file stripe.json --now "$ST_TS"
expect_invalid "a wrong secret from the environment" mismatch
no_secret "... is not printed" whsec_not_it

# ---- every failed check -------------------------------------------------------------------

# A secret every provider takes (Standard Webhooks: base64 after whsec_); its
# base64 part must never be printed.
SECRET=whsec_$(printf 'do not print me, ever: 4242' | base64)
sc webhook sign --provider stripe --secret "$SECRET" --now "$ST_TS" --body-file stripe.json
GOOD_ST=${STDOUT#Stripe-Signature: }
fail_case() { # DESC CHECK ARGS...: verify with $SECRET, expect CHECK, no secret printed
	local desc=$1 check=$2
	shift 2
	sc webhook verify --secret "$SECRET" "$@"
	expect_invalid "$desc" "$check"
	no_secret "$desc: the secret is not printed" "${SECRET#whsec_}"
	sc --json webhook verify --secret "$SECRET" "$@"
	expect "$desc (--json)" 1 "^\\{\"valid\":false,\"check\":\"$check\",.*\"secret_index\":-1\\}\$" 'SAAS_ESIGNATURE'
	no_secret "$desc (--json): the secret is not printed" "${SECRET#whsec_}"
}
fail_case "stripe: no Stripe-Signature" no_header --provider stripe --body-file stripe.json \
	--now "$ST_TS"
fail_case "standard: no headers at all" no_header --provider standard --body-file sw.json
fail_case "standard: no webhook-signature" no_header --provider standard --body-file sw.json \
	--header "webhook-id: $SW_ID" --header "webhook-timestamp: $SW_TS" --now "$SW_TS"
fail_case "github: no X-Hub-Signature-256" no_header --provider github --body-file gh.txt
fail_case "slack: no timestamp" no_header --provider slack --body-file slack.txt \
	--header "X-Slack-Signature: $SL_SIG"
fail_case "shopify: no HMAC header" no_header --provider shopify --body-file shopify.json
fail_case "stripe: t is not a number" malformed_header --provider stripe --body-file stripe.json \
	--header "Stripe-Signature: t=abc,v1=$ST_SIG" --now "$ST_TS"
fail_case "stripe: no t=" malformed_header --provider stripe --body-file stripe.json \
	--header "Stripe-Signature: v1=$ST_SIG" --now "$ST_TS"
fail_case "stripe: an element without '='" malformed_header --provider stripe \
	--body-file stripe.json --header "Stripe-Signature: t=$ST_TS,garbage" --now "$ST_TS"
fail_case "standard: a timestamp with a letter" malformed_header --provider standard \
	--body-file sw.json --header "webhook-id: $SW_ID" --header "webhook-timestamp: ${SW_TS}x" \
	--header "webhook-signature: $SW_SIG" --now "$SW_TS"
fail_case "standard: an empty webhook-signature" malformed_header --provider standard \
	--body-file sw.json --header "webhook-id: $SW_ID" --header "webhook-timestamp: $SW_TS" \
	--header "webhook-signature:   " --now "$SW_TS"
fail_case "standard: webhook-id given twice" malformed_header --provider standard \
	--body-file sw.json --header "webhook-id: $SW_ID" --header "webhook-id: $SW_ID" \
	--header "webhook-timestamp: $SW_TS" --header "webhook-signature: $SW_SIG" --now "$SW_TS"
fail_case "github: not sha256=" malformed_header --provider github --body-file gh.txt \
	--header "X-Hub-Signature-256: ${GH_SIG#sha256=}"
fail_case "shopify: not base64" malformed_header --provider shopify --body-file shopify.json \
	--header 'X-Shopify-Hmac-Sha256: not base64!'
fail_case "stripe: only v0" no_known_scheme --provider stripe --body-file stripe.json \
	--header "Stripe-Signature: t=$ST_TS,v0=$ST_SIG" --now "$ST_TS"
fail_case "standard: only v2" no_known_scheme --provider standard --body-file sw.json \
	--header "webhook-id: $SW_ID" --header "webhook-timestamp: $SW_TS" \
	--header "webhook-signature: $SW_V2" --now "$SW_TS"
fail_case "slack: not v0=" no_known_scheme --provider slack --body-file slack.txt \
	--header "X-Slack-Signature: v1=${SL_SIG#v0=}" --header "X-Slack-Request-Timestamp: $SL_TS" \
	--now "$SL_TS"
fail_case "stripe: 301 s old" too_old --provider stripe --body-file stripe.json \
	--header "Stripe-Signature: $GOOD_ST" --now $((ST_TS + 301))
fail_case "stripe: 301 s ahead" in_future --provider stripe --body-file stripe.json \
	--header "Stripe-Signature: $GOOD_ST" --now $((ST_TS - 301))
fail_case "stripe: the real clock, years later" too_old --provider stripe --body-file stripe.json \
	--header "Stripe-Signature: $GOOD_ST"
fail_case "stripe: a signature by another secret" mismatch --provider stripe \
	--body-file stripe.json --header "Stripe-Signature: t=$ST_TS,v1=$ST_SIG" --now "$ST_TS"
fail_case "github: a signature by another secret" mismatch --provider github --body-file gh.txt \
	--header "X-Hub-Signature-256: $GH_SIG"
sc webhook verify --provider stripe --secret "$SECRET" --header "Stripe-Signature: $GOOD_ST" \
	--body-file stripe.json --now $((ST_TS + 301))
expect "too_old: the reason names the age and the tolerance" 1 '^invalid: too_old$' '301 s.*300 s|300 s.*301 s'

# ---- the tolerance's edges -------------------------------------------------------------------

for d in 300 -300; do
	stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --now $((ST_TS + d))
	expect "stripe: now = t + ($d): valid" 0 '^valid$' ''
	SW_NOW=$((SW_TS + d)) sw "$SW_SIG" --secret "$SW_KEY"
	expect "standard: now = t + ($d): valid" 0 '^valid$' ''
	slack --now $((SL_TS + d))
	expect "slack: now = t + ($d): valid" 0 '^valid$' ''
done
stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --now $((ST_TS + 301))
expect_invalid "stripe: now = t + 301: too old" too_old
stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --now $((ST_TS - 301))
expect_invalid "stripe: now = t - 301: in the future" in_future
SW_NOW=$((SW_TS + 301)) sw "$SW_SIG" --secret "$SW_KEY"
expect_invalid "standard: now = t + 301: too old" too_old
SW_NOW=$((SW_TS - 301)) sw "$SW_SIG" --secret "$SW_KEY"
expect_invalid "standard: now = t - 301: in the future" in_future
slack --now $((SL_TS + 301))
expect_invalid "slack: now = t + 301: too old" too_old
slack --now $((SL_TS - 301))
expect_invalid "slack: now = t - 301: in the future" in_future
stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --now $((ST_TS + 10)) --tolerance 10
expect "--tolerance 10: 10 s old is valid" 0 '^valid$' ''
stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --now $((ST_TS + 11)) --tolerance 10
expect_invalid "--tolerance 10: 11 s old is too old" too_old
stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --now "$ST_TS" --tolerance 0
expect "--tolerance 0: the same second is valid" 0 '^valid$' ''
stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --now $((ST_TS - 1)) --tolerance 0
expect_invalid "--tolerance 0: a second ahead is in the future" in_future
stripe "t=$ST_TS,v1=$ST_SIG" --secret "$ST_KEY" --ignore-timestamp
expect "--ignore-timestamp: an old delivery verifies" 0 '^valid$' ''
stripe "t=$ST_TS,v1=$ST_SIG" --secret whsec_nope --ignore-timestamp
expect_invalid "--ignore-timestamp still checks the signature" mismatch

# ---- bodies: empty, 1 MiB, binary, stdin --------------------------------------------------------

: >empty
for p in stripe standard github slack shopify; do
	sc webhook sign --provider "$p" --secret "$RT_A" --now "$NOW" --body-file empty
	expect "$p: sign an empty body" 0 '.' ''
	headers
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file empty --now "$NOW"
	expect "$p: an empty body verifies" 0 '^valid$' ''
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file rt.json --now "$NOW"
	expect_invalid "$p: a non-empty body with the empty body's signature" mismatch
done
sc webhook sign --provider github --secret "$GH_KEY" --body-file empty
expect "github: the empty body's HMAC" 0 "^X-Hub-Signature-256: sha256=$(hmac_hex "$GH_KEY" <empty)\$" ''

head -c 1048576 /dev/urandom >big.bin
printf '\0\r\n\0' >>big.bin # NULs and a CRLF in the middle of nowhere: bytes are bytes
for p in standard stripe shopify; do
	sc webhook sign --provider "$p" --secret "$RT_A" --now "$NOW" --body-file big.bin
	expect "$p: sign a 1 MiB binary body" 0 '.' ''
	headers
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file big.bin --now "$NOW"
	expect "$p: the 1 MiB body verifies from the file" 0 '^valid$' ''
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file - --now "$NOW" <big.bin
	expect "$p: ... and from stdin" 0 '^valid$' ''
	cp big.bin big2.bin
	printf 'X' | dd of=big2.bin bs=1 seek=524288 conv=notrunc status=none
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file big2.bin --now "$NOW"
	expect_invalid "$p: one byte changed in the middle" mismatch
	head -c 1048575 big.bin >big3.bin
	sc webhook verify --provider "$p" --secret "$RT_A" "${H[@]}" --body-file big3.bin --now "$NOW"
	expect_invalid "$p: the last byte cut off" mismatch
done
sc webhook sign --provider github --secret "$GH_KEY" --body-file - <big.bin
expect "github: sign from stdin" 0 "^X-Hub-Signature-256: sha256=$(hmac_hex "$GH_KEY" <big.bin)\$" ''

# ---- usage errors (exit 2) -------------------------------------------------------------------------

usage_case() { # DESC ERR_RE ARGS...
	local desc=$1 err=$2
	shift 2
	sc "$@"
	expect "$desc" 2 '' "$err"
	no_secret "$desc: the secret is not printed" "${SECRET#whsec_}"
}
usage_case "verify: no --provider" 'missing required option --provider' webhook verify \
	--secret "$SECRET" --body-file sw.json
usage_case "verify: an unknown provider" "--provider 'paddle' is not one of" webhook verify \
	--provider paddle --secret "$SECRET" --body-file sw.json
usage_case "verify: no --body-file" 'missing required option --body-file' webhook verify \
	--provider stripe --secret "$SECRET"
usage_case "verify: no secret" 'give a secret' webhook verify --provider stripe --body-file sw.json
usage_case "verify: a header without ':'" "--header 'Stripe-Signature t=1' has no ':'" webhook verify \
	--provider stripe --secret "$SECRET" --body-file sw.json --header 'Stripe-Signature t=1'
usage_case "verify: a header without a name" "--header ': x' has no name" webhook verify \
	--provider stripe --secret "$SECRET" --body-file sw.json --header ': x'
usage_case "verify: a header whose name is blank" "--header '  : x' has no name" webhook \
	verify --provider stripe --secret "$SECRET" --body-file sw.json --header '  : x'
usage_case "verify: --now not a number" "--now 'soon' is not a whole number" webhook verify \
	--provider stripe --secret "$SECRET" --body-file sw.json --now soon
usage_case "verify: --now -5" "--now '-5' is not a whole number" webhook verify \
	--provider stripe --secret "$SECRET" --body-file sw.json --now=-5
usage_case "verify: --now 0" '--now must be at least 1' webhook verify --provider stripe \
	--secret "$SECRET" --body-file sw.json --now 0
usage_case "verify: --now too large" "--now '99999999999999999999' is not" webhook verify \
	--provider stripe --secret "$SECRET" --body-file sw.json --now 99999999999999999999
usage_case "verify: --tolerance not a number" "--tolerance 'x' is not a whole number" webhook \
	verify --provider stripe --secret "$SECRET" --body-file sw.json --tolerance x
usage_case "verify: --tolerance beyond a year" 'tolerance.*SAAS_EINVAL' webhook verify \
	--provider stripe --secret "$SECRET" --body-file stripe.json --tolerance 31536001 \
	--header "Stripe-Signature: $GOOD_ST"
usage_case "verify: --ignore-timestamp takes no value" 'takes no value' webhook verify \
	--provider stripe --secret "$SECRET" --body-file sw.json --ignore-timestamp=1
usage_case "verify: an unknown option" "unknown option '--secrets'" webhook verify \
	--provider stripe --secrets "$SECRET" --body-file sw.json
usage_case "verify: a missing body file" 'cannot open no-such-file' webhook verify \
	--provider stripe --secret "$SECRET" --body-file no-such-file
usage_case "verify: an unset --secret-env" 'environment variable WH_UNSET is not set' webhook \
	verify --provider stripe --secret-env WH_UNSET --body-file sw.json
WH_SECRET= usage_case "verify: an empty --secret-env" 'environment variable WH_SECRET is empty' \
	webhook verify --provider stripe --secret-env WH_SECRET --body-file sw.json
usage_case "verify: an undecodable Standard Webhooks secret" 'secrets\[1\].*SAAS_EINVAL' webhook \
	verify --provider standard --secret "$SW_KEY" --secret 'whsec_!!!not base64' \
	--body-file sw.json --header "webhook-id: $SW_ID" --header "webhook-timestamp: $SW_TS" \
	--header "webhook-signature: $SW_SIG"
no_secret "... the bad secret is not printed either" '!!!not base64'
usage_case "verify: 17 secrets" 'secrets.*SAAS_EINVAL' webhook verify --provider stripe \
	$(for i in {1..17}; do printf -- '--secret s%d ' "$i"; done) --body-file stripe.json \
	--header "Stripe-Signature: $GOOD_ST"
usage_case "verify: a positional argument" "unexpected argument 'extra'" webhook verify \
	--provider stripe --secret "$SECRET" --body-file sw.json extra
usage_case "sign: no --provider" 'missing required option --provider' webhook sign \
	--secret "$SECRET" --body-file sw.json
usage_case "sign: no secret" 'give a secret' webhook sign --provider stripe --body-file sw.json
usage_case "sign: --svix-headers with stripe" '--svix-headers is for --provider standard' \
	webhook sign --provider stripe --secret "$SECRET" --body-file sw.json --svix-headers
usage_case "sign: --id with stripe" '--id is not sent by stripe' webhook sign \
	--provider stripe --secret "$SECRET" --body-file sw.json --id evt_1
usage_case "sign: --now not a number" "--now '1.5' is not a whole number" webhook sign \
	--provider stripe --secret "$SECRET" --body-file sw.json --now 1.5
usage_case "public-key: no key" 'give the signing key' webhook public-key
usage_case "public-key: both --secret and --secret-env" 'one of them' webhook public-key \
	--secret "$SECRET" --secret-env WH_SECRET
usage_case "secret: an unknown option" "unknown option '--bytes'" webhook secret --bytes 32
usage_case "webhook: an unknown verb" "unknown verb 'webhook frobnicate'" webhook frobnicate
usage_case "webhook: no verb" "missing verb after 'webhook'" webhook

# Refusals outside verify exit 1 (the library's message, never the secret).
sc webhook sign --provider stripe --secret "$SECRET" --body-file no-such-file
expect "sign: a missing body file is refused" 1 '' 'cannot open no-such-file'
sc webhook sign --provider standard --secret 'whsec_!!!not base64' --body-file sw.json
expect "sign: an undecodable secret is refused" 1 '' 'secrets\[0\].*SAAS_EINVAL'
no_secret "... and not printed" '!!!not base64'
sc webhook sign --provider standard --secret "$SW_KEY" --id 'msg.with.dots' --body-file sw.json
expect "sign: an id with a '.' is refused" 1 '' 'SAAS_EINVAL'
no_secret "... without the secret" "${SW_KEY#whsec_}"
sc webhook public-key --secret "$SECRET"
expect "public-key: a whsec_ is not a signing key" 1 '' 'SAAS_EINVAL'
no_secret "... and is not printed" "${SECRET#whsec_}"
sc webhook public-key --secret "$ED_PK"
expect "public-key: a whpk_ is not a signing key" 1 '' 'SAAS_EINVAL'

# ---- help, and no database ----------------------------------------------------------------

sc webhook --help
[[ $STATUS == 0 && $STDOUT == *"webhook verify --provider P"* && $STDOUT == *"--secret-env NAME"* ]]
holds "webhook --help shows the verbs and --secret-env"
sc --help
[[ $STDOUT == *"saasctl webhook sign"* ]]
holds "--help lists the webhook verbs"
[[ ! -e $tmp/t.db ]]
holds "no webhook verb opened the database"

printf '%d passed, %d failed\n' "$npass" "$nfail"
((nfail == 0))
