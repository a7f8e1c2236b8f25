#!/usr/bin/env bash
# Integration test of saasctl's identity verbs (docs/auth.md, "saasctl"):
# user set-password, login, session verify|list|revoke, apikey
# create|list|revoke|verify, totp enroll. Each step checks the exit status
# and what is printed on stdout and stderr.
#
#   bash tests/cli/test_saasctl_auth.sh PATH/TO/saasctl
#
# Ends with "N passed, M failed" and exits non-zero if anything failed.
set -u

SAASCTL=${1:?usage: test_saasctl_auth.sh PATH/TO/saasctl}
[[ $SAASCTL == /* ]] || SAASCTL=$PWD/$SAASCTL

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/saasctl-auth.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export SAAS_DB="sqlite:$tmp/t.db"
# A cheap Argon2id, so that the test runs in seconds (docs/auth.md, "Policy").
CHEAP='"password":{"opslimit":1,"memlimit":8192},"recovery_codes":{"opslimit":1,"memlimit":8192}'
export SAAS_AUTH_POLICY="{$CHEAP}"
unset SAAS_LOG 2>/dev/null || true
trap '' PIPE # a write to a co-process that has exited fails instead of ending the test

# sc, expect, holds, jq_py
. "$HERE/harness.sh"

PASSWORD='correct horse battery staple '
TOKEN_RE='^sst_[A-Za-z0-9_-]{43}$'
KEY_RE='^sk_live_[0-9A-Za-z]{49}$'

# ---- set-up with the existing verbs --------------------------------------------------

sc tenant create --slug acme --name Acme
expect "tenant create" 0 '^ten_' ''
TEN=$STDOUT
sc user create --email Ann@Example.com
expect "user create" 0 '^usr_' ''
USR=$STDOUT
sc member add --tenant acme --user ann@example.com --role admin
expect "member add --role admin" 0 '^mem_' ''

# ---- user set-password -----------------------------------------------------------

sc user set-password --email ann@example.com <<<"$PASSWORD"
expect "user set-password reads stdin, prints nothing" 0 '' ''
sc user set-password --email ann@example.com <<<"short"
expect "user set-password: a too short password is refused" 1 '' 'password.*\(SAAS_EINVAL\)$'
sc user set-password --email nobody@example.com <<<"$PASSWORD"
expect "user set-password: unknown email" 1 '' '\(SAAS_ENOTFOUND\)$'
sc user set-password --email ann@example.com </dev/null
expect "user set-password: nothing on stdin" 1 '' 'no password'
sc user set-password <<<"$PASSWORD"
expect "user set-password without --email is a usage error" 2 '' 'missing required option --email'

# ---- login and sessions --------------------------------------------------------------

sc login --email ANN@example.com --tenant acme --ip 192.0.2.7 <<<"$PASSWORD"
expect "login prints the session token" 0 "$TOKEN_RE" ''
TOKEN1=$STDOUT

sc session verify "$TOKEN1"
expect "session verify: the session's user and tenant" 0 "^ses_[^ ]+  $USR  $TEN  " ''
SES1=${STDOUT%% *}
sc --json session verify "$TOKEN1"
expect "session verify --json" 0 '^\{' ''
[[ $(jq_py 'd["user_id"] == "'"$USR"'" and d["tenant_id"] == "'"$TEN"'" and d["ip"] == "192.0.2.7" and d["expires_at"].endswith("Z")') == True ]]
holds "session verify --json: user_id, tenant_id, ip, expires_at"

sc --json login --email ann@example.com <<<"$PASSWORD"
expect "login --json" 0 '^\{' ''
TOKEN2=$(jq_py 'd["token"]')
[[ $TOKEN2 =~ $TOKEN_RE && $(jq_py 'd["session"]["user_id"] == "'"$USR"'" and d["session"]["tenant_id"] is None') == True ]]
holds "login --json: the token and the session (no tenant)"

sc session list --user ann@example.com
expect "session list: both sessions" 0 "^ses_.*$USR.*
ses_.*$USR.*$" ''
[[ -n $SES1 && $STDOUT == *"$SES1"* ]]
holds "session list names the first session"

sc session revoke "$SES1"
expect "session revoke ID" 0 '' ''
sc session verify "$TOKEN1"
expect "session verify after revoke: refused" 1 '' '\(SAAS_EEXPIRED\)$'
sc session revoke "$SES1"
expect "session revoke twice: not found" 1 '' '\(SAAS_ENOTFOUND\)$'
sc session verify "sst_notatoken"
expect "session verify: a malformed token" 1 '' '\(SAAS_EINVAL\)$'
sc session verify "sst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect "session verify: an unknown token" 1 '' '\(SAAS_ENOTFOUND\)$'

sc login --email ann@example.com <<<"wrong password here"
expect "login: wrong password" 1 '' '\(SAAS_ESIGNATURE\)$'
WRONG=$STDERR
sc login --email nobody@example.com <<<"$PASSWORD"
expect "login: unknown email" 1 '' '\(SAAS_ESIGNATURE\)$'
[[ -n $WRONG && $STDERR == "$WRONG" ]]
holds "login: the same message for an unknown email and a wrong password"
sc login --email ann@example.com --tenant nosuchslug <<<"$PASSWORD"
expect "login: unknown tenant is an error, not an answer" 2 '' '\(SAAS_ENOTFOUND\)$'
sc login --email ann@example.com </dev/null
expect "login: nothing on stdin" 2 '' 'no password'

sc session revoke --user ann@example.com --all
expect "session revoke --user --all prints how many" 0 '^1$' ''
sc session verify "$TOKEN2"
expect "session verify after revoke --all: refused" 1 '' '\(SAAS_EEXPIRED\)$'
sc session list --user "$USR"
expect "session list: none left" 0 '' ''
sc session revoke "$SES1" --all
expect "session revoke: an ID and --all is a usage error" 2 '' 'give a session ID'
sc session revoke
expect "session revoke: nothing to revoke is a usage error" 2 '' 'give a session ID'

# Rate limit per account: a burst of 2 attempts, then refused with a retry time.
sc user create --email bob@example.com
sc user set-password --email bob@example.com <<<"$PASSWORD"
for _ in 1 2; do
	SAAS_AUTH_POLICY="{$CHEAP,\"login\":{\"account\":{\"count\":2,\"period_seconds\":3600,\"burst\":2}}}" \
		sc login --email bob@example.com <<<"not the password"
done
SAAS_AUTH_POLICY="{$CHEAP,\"login\":{\"account\":{\"count\":2,\"period_seconds\":3600,\"burst\":2}}}" \
	sc login --email bob@example.com <<<"$PASSWORD"
expect "login: rate limited, with the time to wait" 1 '' 'retry.*\(SAAS_ERATELIMIT\)$'

# ---- API keys -----------------------------------------------------------------------

sc apikey create --tenant acme --name "CI deploy" --permissions member:read,apikey:read --user ann@example.com
expect "apikey create prints the key" 0 "$KEY_RE" ''
KEY=$STDOUT
sc apikey verify "$KEY"
expect "apikey verify: id, tenant and permissions" 0 "^key_[^ ]+  $TEN  sk_live_[0-9A-Za-z]{4}  member:read,apikey:read  $USR  -  .*  active  CI deploy$" ''
KEYID=${STDOUT%% *}
sc --json apikey verify "$KEY"
[[ $(jq_py 'd["id"] == "'"$KEYID"'" and d["permissions"] == ["member:read", "apikey:read"] and d["expires_at"] is None') == True ]]
holds "apikey verify --json"

last=${KEY: -1}
[[ $last == A ]] && typo=${KEY%?}B || typo=${KEY%?}A
(cd "$tmp" && mkdir -p nodb && cd nodb && env -u SAAS_DB "$SAASCTL" apikey verify "$typo" >"$tmp/stdout" 2>"$tmp/stderr")
STATUS=$? STDOUT=$(<"$tmp/stdout") STDERR=$(<"$tmp/stderr") CMD="(no SAAS_DB) saasctl apikey verify TYPO"
expect "apikey verify: a typo is refused by its checksum" 1 '' 'checksum.*\(SAAS_ESIGNATURE\)$'
[[ ! -e $tmp/nodb/saas.db ]]
holds "apikey verify of a typo opens no database"
sc --db "sqlite:$tmp/no/such/dir/x.db" apikey verify "$typo"
expect "apikey verify of a typo with an unusable --db: still the checksum" 1 '' 'checksum'
sc --db "sqlite:$tmp/no/such/dir/x.db" apikey verify "$KEY"
expect "apikey verify of a good key with an unusable --db: no answer" 2 '' '\(SAAS_ESTORE\)$'
sc apikey verify sk_live_short
expect "apikey verify: a malformed key" 1 '' '\(SAAS_EINVAL\)$'

sc apikey create --tenant acme --name "too much" --permissions billing:manage --user ann@example.com
expect "apikey create: a permission the creator lacks is refused" 1 '' 'billing:manage.*\(SAAS_EDENIED\)$'
sc apikey create --tenant acme --name "too much" --permissions 'member:read' --permissions '*' --user ann@example.com
expect "apikey create: a wildcard beyond the creator is refused" 1 '' '\(SAAS_EDENIED\)$'
sc apikey create --tenant acme --name old --permissions member:read --expires 2001-01-01T00:00:00Z --user ann@example.com
expect "apikey create: an expiry in the past" 1 '' 'expires_at.*\(SAAS_EINVAL\)$'
sc apikey create --tenant acme --name bad --permissions member:read --expires tomorrow --user ann@example.com
expect "apikey create: --expires that is not a time" 2 '' 'not a time'
sc apikey create --tenant acme --name later --permissions member:read --expires 2999-01-01T00:00:00Z --user "$USR"
expect "apikey create --expires" 0 "$KEY_RE" ''
sc --json apikey list --tenant acme
[[ $(jq_py 'len(d["items"]) == 2 and sorted(k["expires_at"] or "-" for k in d["items"]) == ["-", "2999-01-01T00:00:00.000Z"] and all(k["status"] == "active" for k in d["items"])') == True ]]
holds "apikey list --json: both keys, active, with their expiry"

sc apikey revoke --tenant acme "$KEYID"
expect "apikey revoke" 0 '' ''
sc apikey verify "$KEY"
expect "apikey verify after revoke: refused" 1 '' '\(SAAS_EEXPIRED\)$'
sc apikey list --tenant acme
expect "apikey list: the revoked key is listed as revoked" 0 "(^|
)$KEYID  .*  revoked  CI deploy($|
)" ''
sc apikey revoke --tenant acme "$KEYID"
expect "apikey revoke twice: not found" 1 '' '\(SAAS_ENOTFOUND\)$'

# ---- totp enroll, then a login that needs the second factor ---------------------------

# enroll_with USER CODE_CMD: run totp enroll as a co-process, read the URI and
# the secret, answer with the output of CODE_CMD (given the secret as $1);
# STDOUT keeps everything printed, SECRET the secret.
enroll_with() {
	local user=$1 code_cmd=$2 uri
	CMD="saasctl totp enroll --user $user --issuer 'Acme Co'"
	coproc ENR { "$SAASCTL" totp enroll --user "$user" --issuer 'Acme Co' 2>"$tmp/stderr"; }
	local pid=$ENR_PID out=${ENR[0]} in=${ENR[1]}
	SECRET=
	# (a refused enrolment prints nothing and exits: then there is no code to give)
	IFS= read -r -t 20 uri <&"$out" && IFS= read -r -t 20 SECRET <&"$out" &&
		printf '%s\n' "$($code_cmd "$SECRET")" >&"$in"
	exec {in}>&-
	STDOUT=${uri:+$uri$'\n'$SECRET$'\n'}$(cat <&"$out")
	wait "$pid"
	STATUS=$?
	STDERR=$(<"$tmp/stderr")
}
code_now() { "$SAASCTL" totp code --secret "$1"; }
code_wrong() { printf '%06d\n' $(((10#$("$SAASCTL" totp code --secret "$1") + 500000) % 1000000)); }

enroll_with ann@example.com code_wrong
expect "totp enroll: a wrong code is refused" 1 '^otpauth://totp/Acme%20Co:ann%40example\.com\?secret=[A-Z2-7]{32}&issuer=Acme%20Co' '\(SAAS_ESIGNATURE\)$'
sc login --email ann@example.com <<<"$PASSWORD"
expect "login: a pending factor asks for nothing more" 0 "$TOKEN_RE" ''

enroll_with ann@example.com code_now
expect "totp enroll: the URI, the secret, then 10 recovery codes" 0 '^otpauth://totp/[^
]*
[A-Z2-7]{32}
([a-z2-7]{5}-[a-z2-7]{5}
){9}[a-z2-7]{5}-[a-z2-7]{5}$' ''
RECOVERY=$(printf '%s\n' "$STDOUT" | tail -n 1)
[[ $STDOUT == *"secret=$SECRET&"* ]]
holds "totp enroll: the URI holds the secret printed"
enroll_with ann@example.com code_now
expect "totp enroll again: the factor is already on" 1 '' '\(SAAS_EEXISTS\)$'

sc login --email ann@example.com <<<"$PASSWORD"
expect "login with a factor and no code: second factor required" 1 '' 'second factor required.*\(SAAS_EMFA\)$'
sc login --email ann@example.com <<<"$PASSWORD
000000"
expect "login with a wrong code" 1 '' '\(SAAS_ESIGNATURE\)$'
sc login --email ann@example.com --tenant acme <<<"$PASSWORD
$RECOVERY"
expect "login with a recovery code" 0 "$TOKEN_RE" ''
sc --json session verify "$STDOUT"
[[ $(jq_py 'd["mfa"]') == True ]]
holds "the session records the second factor"
sc login --email ann@example.com <<<"$PASSWORD
$RECOVERY"
expect "login with a used recovery code" 1 '' '\(SAAS_EUSED\)$'

# ---- billing states (no database) -------------------------------------------------

sc billing states --markdown
expect "billing states --markdown prints the table" 0 '^\| from \| event \| when \| to \| flags \|' ''
[[ $STDOUT == *"| paused | resume | payment_method | active |  |"* ]]
holds "the table has the resume row with its condition"
sc billing states --dot
expect "billing states --dot prints a digraph" 0 '^digraph subscription \{' ''
sc billing states
expect "billing states wants --markdown or --dot" 2 '' 'exactly one of --markdown and --dot'

# ---- help ----------------------------------------------------------------------

sc --help
[[ $STDOUT == *"login --email E"* && $STDOUT == *"session revoke [ID]"* && $STDOUT == *"apikey verify KEY"* && $STDOUT == *"user set-password"* && $STDOUT == *SAAS_AUTH_POLICY* ]]
holds "--help lists the new verbs and SAAS_AUTH_POLICY"

printf '%d passed, %d failed\n' "$npass" "$nfail"
((nfail == 0))
