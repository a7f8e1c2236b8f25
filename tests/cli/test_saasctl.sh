#!/usr/bin/env bash
# Integration test of saasctl: drives the tool as a user would and checks the
# stdout, stderr and exit status of every step.
#
#   bash tests/cli/test_saasctl.sh PATH/TO/saasctl
#
# Ends with "N passed, M failed" and exits non-zero if anything failed.
set -u

SAASCTL=${1:?usage: test_saasctl.sh PATH/TO/saasctl}
case $SAASCTL in
/*) ;;
*) SAASCTL=$PWD/$SAASCTL ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/saasctl-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export SAAS_DB="sqlite:$tmp/t.db"
unset SAAS_LOG 2>/dev/null || true

pass=0
fail=0
OUT=
ERR=
RC=
STEP=

# run ARGS...: run saasctl, keeping its stdout in OUT, stderr in ERR, status in RC.
run() {
	STEP="saasctl $*"
	"$SAASCTL" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	RC=$?
	OUT=$(cat "$tmp/out")
	ERR=$(cat "$tmp/err")
}

# run_in INPUT ARGS...: like run, with INPUT on stdin.
run_in() {
	local input=$1
	shift
	STEP="saasctl $* <<< input"
	printf '%s\n' "$input" | "$SAASCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	RC=$?
	OUT=$(cat "$tmp/out")
	ERR=$(cat "$tmp/err")
}

ok() {
	pass=$((pass + 1))
	printf 'ok %d - %s\n' $((pass + fail)) "$1"
}

not_ok() {
	fail=$((fail + 1))
	printf 'not ok %d - %s\n' $((pass + fail)) "$1"
	printf '#   step:   %s\n#   status: %s\n' "$STEP" "$RC"
	printf '#   stdout: %s\n' "$(printf '%s' "$OUT" | head -c 600)"
	printf '#   stderr: %s\n' "$(printf '%s' "$ERR" | head -c 600)"
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

rc_is() { [[ $RC == "$1" ]]; }
out_matches() { [[ $OUT =~ $1 ]]; }
err_matches() { [[ $ERR =~ $1 ]]; }
out_has() { [[ $OUT == *"$1"* ]]; }
err_has() { [[ $ERR == *"$1"* ]]; }
out_is() { [[ $OUT == "$1" ]]; }
out_empty() { [[ -z $OUT ]]; }
err_empty() { [[ -z $ERR ]]; }
out_lines() { [[ $(printf '%s' "$OUT" | grep -c '') == "$1" ]]; }

# json_ok: stdout is one JSON document.
json_ok() { printf '%s' "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; }
# json_eval EXPR: evaluate a Python expression on the document `d` (stdout); prints its value.
json_eval() {
	printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null
}
json_true() { [[ $(json_eval "$1") == True ]]; }

# expect_ok DESC ARGS...: status 0 and nothing on stderr.
expect_ok() {
	local desc=$1
	shift
	run "$@"
	check "$desc" eval 'rc_is 0 && err_empty'
}

# expect_refused DESC CODE ARGS...: status 1, nothing on stdout, the code on stderr.
expect_refused() {
	local desc=$1 code=$2
	shift 2
	run "$@"
	check "$desc" eval 'rc_is 1 && out_empty && err_matches "^saasctl: .*\($code\)\$"'
}

# expect_usage DESC ARGS...: status 2, nothing on stdout, a message and a usage hint on stderr.
expect_usage() {
	local desc=$1
	shift
	run "$@"
	check "$desc" eval 'rc_is 2 && out_empty && err_matches "^saasctl: " && err_matches "(usage|Try)"'
}

ID_RE='[0-9A-Z]{26}'

# ---- help and usage ---------------------------------------------------------------

run --help
check "--help exits 0 with nothing on stderr" eval 'rc_is 0 && err_empty'
check "--help lists every noun" eval 'out_has "migrate" && out_has "tenant create" && out_has "user create" && out_has "member add" && out_has "invite accept"'
check "--help names the URL forms" eval 'out_has "memory:" && out_has "sqlite:PATH" && out_has "postgres://"'
check "--help names SAAS_DB and the exit statuses" eval 'out_has "SAAS_DB" && out_has "Exit status" && out_matches "2 +usage error"'
help_text=$OUT

run help
check "help is the same as --help" eval 'rc_is 0 && [[ $OUT == "$help_text" ]]'

run tenant --help
check "tenant --help lists the tenant verbs and their options" \
	eval 'rc_is 0 && err_empty && out_has "tenant suspend T --reason R" && out_has "--retention-days N" && out_has "tenant export T"'
run member --help
check "member --help lists the member verbs" eval 'rc_is 0 && out_has "member set-roles" && out_has "--role R"'
run help invite accept
check "help invite accept shows that verb" eval 'rc_is 0 && out_has "invite accept --tenant T --token TOKEN --user U" && ! out_has "invite revoke"'
run tenant create --help
check "tenant create --help shows that verb" eval 'rc_is 0 && out_has "--slug S" && ! out_has "tenant list"'

run --version
check "--version prints the library version" eval 'rc_is 0 && out_matches "libsaas [0-9]+\.[0-9]+\.[0-9]+"'

expect_usage "no arguments is a usage error" 
expect_usage "unknown noun exits 2" frobnicate
check "unknown noun is named on stderr" err_has "frobnicate"
expect_usage "unknown verb exits 2" tenant frob
check "unknown verb is named on stderr" err_has "frob"
expect_usage "a noun without a verb exits 2" tenant
expect_usage "unknown global option exits 2" --bogus tenant list
expect_usage "unknown verb option exits 2" tenant list --bogus 1
check "unknown option is named on stderr" err_has "--bogus"
expect_usage "missing required option exits 2" tenant create --slug acme
check "missing option is named on stderr" err_has "--name"
expect_usage "option without its value exits 2" tenant create --name Acme --slug
expect_usage "stray argument exits 2" tenant create stray --slug acme --name Acme
check "stray argument is named on stderr" err_has "stray"
expect_usage "missing positional argument exits 2" tenant get
expect_usage "second positional argument exits 2" tenant get a b
expect_usage "non-numeric --limit exits 2" tenant list --limit ten
expect_usage "unknown --status exits 2" tenant list --status sleeping
check "usage errors did not create the database" test ! -e "$tmp/t.db"

# ---- migrate ----------------------------------------------------------------------

run migrate
check "migrate applies the schema" eval 'rc_is 0 && out_matches "^applied [1-9][0-9]* migrations?; schema version [1-9][0-9]*$"'
check "migrate created the database" test -e "$tmp/t.db"
run migrate
check "migrate again applies nothing" eval 'rc_is 0 && out_matches "^applied 0 migrations; schema version [1-9][0-9]*$"'
run --json migrate
check "migrate --json reports the versions" eval 'rc_is 0 && json_ok && json_true "d[\"applied\"] == 0 and d[\"schema_version\"] == d[\"library_schema_version\"] >= 1"'

# migrate --grant ROLE is PostgreSQL's (its effect is tested in tests/test_pg_extension.c):
# a build with PostgreSQL offers it and refuses it on another URL before
# touching the database; a build without it does not know the option.
run migrate --help
if out_has "--grant ROLE"; then
	for url in "sqlite:$tmp/grant.db" memory:; do
		run --db "$url" migrate --grant saas_app
		check "migrate --grant on $url is a usage error" eval 'rc_is 2 && out_empty && err_has "--grant needs a PostgreSQL URL" && err_has "usage: saasctl migrate"'
	done
	check "migrate --grant on SQLite did not create the database" test ! -e "$tmp/grant.db"
else
	expect_usage "migrate --grant is unknown without PostgreSQL" migrate --grant saas_app
	check "... as an unknown option" err_has "unknown option '--grant'"
fi

# ---- tenants ----------------------------------------------------------------------

run tenant create --slug acme --name "Acme Inc"
check "tenant create prints the id alone" eval 'rc_is 0 && err_empty && out_matches "^ten_${ID_RE}$"'
ACME=$OUT

run tenant create --name="Beta Co" --slug=beta
check "--opt=value in any order" eval 'rc_is 0 && out_matches "^ten_${ID_RE}$"'
BETA=$OUT
run tenant create --slug gamma --name Gamma
GAMMA=$OUT
check "a third tenant" eval 'rc_is 0 && out_matches "^ten_${ID_RE}$"'

expect_refused "duplicate slug is refused" SAAS_EEXISTS tenant create --slug acme --name Other
check "duplicate slug message names the slug" err_has "acme"
expect_refused "invalid slug is refused" SAAS_EINVAL tenant create --slug "Bad Slug" --name X
check "invalid slug message names the slug" err_has "Bad Slug"
expect_refused "empty name is refused" SAAS_EINVAL tenant create --slug empty-name --name ""

run tenant get acme
check "tenant get by slug prints a line" eval 'rc_is 0 && err_empty && out_is "$ACME  acme  active  Acme Inc"'
run tenant get "$ACME"
check "tenant get by id prints the same line" eval 'rc_is 0 && out_is "$ACME  acme  active  Acme Inc"'
expect_refused "tenant get of an unknown slug" SAAS_ENOTFOUND tenant get nosuch
check "not-found message names the slug" err_has "nosuch"
expect_refused "tenant get of an unknown id" SAAS_ENOTFOUND tenant get ten_00000000000000000000000001
expect_refused "tenant get of a malformed id" SAAS_EINVAL tenant get ten_nope

run --json tenant get acme
check "tenant get --json is one JSON document" eval 'rc_is 0 && json_ok'
check "tenant get --json has the tenant's fields" eval 'json_true "d[\"id\"] == \"$ACME\" and d[\"slug\"] == \"acme\" and d[\"status\"] == \"active\""'
run tenant get beta --json
check "--json also works after the verb" eval 'rc_is 0 && json_ok && json_true "d[\"name\"] == \"Beta Co\""'

run tenant list
check "tenant list prints one line per tenant, oldest first" \
	eval 'rc_is 0 && out_lines 3 && [[ $(printf "%s\n" "$OUT" | cut -d" " -f1 | paste -sd" ") == "$ACME $BETA $GAMMA" ]]'
run tenant list --limit 1
check "tenant list --limit 1 prints one tenant" eval 'rc_is 0 && out_is "$ACME  acme  active  Acme Inc"'
check "tenant list --limit 1 gives the next cursor on stderr" err_matches "^next cursor: [^ ]+$"
cursor=${ERR#next cursor: }
run tenant list --limit 1 --cursor "$cursor"
check "the cursor gives the next page" eval 'rc_is 0 && out_matches "^$BETA  beta  active  Beta Co$"'
run tenant list --limit=2 --json
check "tenant list --json is one document with items and a next cursor" \
	eval 'rc_is 0 && json_ok && json_true "len(d[\"items\"]) == 2 and d[\"next_cursor\"] is not None"'
cursor=$(json_eval 'd["next_cursor"]')
run tenant list --json --limit 2 --cursor "$cursor"
check "the last page has the rest and no next cursor" \
	eval 'rc_is 0 && json_true "[t[\"id\"] for t in d[\"items\"]] == [\"$GAMMA\"] and d[\"next_cursor\"] is None"'
expect_refused "a bad cursor is refused" SAAS_EINVAL tenant list --cursor "not a cursor"
expect_refused "--limit 0 is refused by the library" SAAS_EINVAL tenant list --limit 0

# ---- users ------------------------------------------------------------------------

run user create --email Alice@Example.COM --name "Alice Liddell"
check "user create prints the id alone" eval 'rc_is 0 && err_empty && out_matches "^usr_${ID_RE}$"'
ALICE=$OUT
run user create --email bob@example.com
BOB=$OUT
check "user create without a name" eval 'rc_is 0 && out_matches "^usr_${ID_RE}$"'

run user get ALICE@example.com
check "user get by email is case-insensitive" eval 'rc_is 0 && out_is "$ALICE  alice@example.com  Alice Liddell"'
run user get "$ALICE"
check "user get by id" eval 'rc_is 0 && out_is "$ALICE  alice@example.com  Alice Liddell"'
run --json user get alice@example.com
check "user get --json" eval 'rc_is 0 && json_ok && json_true "d[\"id\"] == \"$ALICE\" and d[\"email\"] == \"alice@example.com\""'
expect_refused "the same email in another case is taken" SAAS_EEXISTS user create --email ALICE@example.com
expect_refused "a malformed email is refused" SAAS_EINVAL user create --email not-an-email
expect_refused "user get of an unknown email" SAAS_ENOTFOUND user get nobody@example.com

# ---- memberships ------------------------------------------------------------------

run member add --tenant acme --user alice@example.com --role owner
check "member add prints the membership id" eval 'rc_is 0 && err_empty && out_matches "^mem_${ID_RE}$"'
ALICE_MEM=$OUT
run member add --role admin --user "$BOB" --tenant "$ACME" --role member
check "member add by ids with repeated --role" eval 'rc_is 0 && out_matches "^mem_${ID_RE}$"'
BOB_MEM=$OUT

run member list --tenant acme
check "member list prints one line per member" eval 'rc_is 0 && out_lines 2'
check "member list shows id, user, email and roles" \
	eval 'out_has "$ALICE_MEM  $ALICE  alice@example.com  owner" && out_has "$BOB_MEM  $BOB  bob@example.com  admin,member"'
run member list --tenant acme --json
check "member list --json" eval 'rc_is 0 && json_ok && json_true "sorted(m[\"id\"] for m in d[\"items\"]) == sorted([\"$ALICE_MEM\", \"$BOB_MEM\"]) and d[\"next_cursor\"] is None"'
run member list --tenant acme --limit 1
check "member list --limit 1 gives a next cursor" eval 'rc_is 0 && out_lines 1 && err_matches "^next cursor: "'
cursor=${ERR#next cursor: }
run member list --tenant acme --limit 1 --cursor "$cursor"
check "member list next page" eval 'rc_is 0 && out_lines 1 && out_has "$BOB_MEM"'

expect_refused "adding a member twice" SAAS_EEXISTS member add --tenant acme --user bob@example.com --role member
expect_refused "adding an unknown user" SAAS_ENOTFOUND member add --tenant acme --user ghost@example.com --role member
expect_refused "adding to an unknown tenant" SAAS_ENOTFOUND member add --tenant nosuch --user bob@example.com --role member
expect_refused "an invalid role name" SAAS_EINVAL member add --tenant beta --user bob@example.com --role "Not A Role"

run member set-roles --tenant acme --user bob@example.com --role viewer
check "member set-roles prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run member list --tenant acme
check "set-roles replaced the roles" out_has "$BOB_MEM  $BOB  bob@example.com  viewer"
expect_refused "set-roles cannot leave the tenant without an owner" SAAS_ESTATE \
	member set-roles --tenant acme --user alice@example.com --role admin

run member remove --tenant acme --user bob@example.com
check "member remove prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run member list --tenant acme
check "the removed member is gone" eval 'rc_is 0 && out_lines 1 && ! out_has "$BOB"'
expect_refused "removing the last owner is refused" SAAS_ESTATE member remove --tenant acme --user alice@example.com
check "last-owner message names the rule" err_has "owner"
expect_refused "removing a non-member" SAAS_ENOTFOUND member remove --tenant acme --user bob@example.com
run --json member add --tenant beta --user bob@example.com --role owner,admin
check "member add --json prints the membership" eval 'rc_is 0 && json_ok && json_true "d[\"user_id\"] == \"$BOB\" and sorted(d[\"roles\"]) == [\"admin\", \"owner\"]"'

# ---- invitations ------------------------------------------------------------------

run invite create --tenant acme --email Carol@Example.com --role member --ttl-hours 48
check "invite create prints a token alone on stdout" eval 'rc_is 0 && out_lines 1 && out_matches "^[A-Za-z0-9_-]{16,}$"'
TOKEN=$OUT
check "invite create names the invitation on stderr" err_matches "^invitation inv_${ID_RE} created; the token above is shown only once$"
check "the token is not on stderr" eval '! err_has "$TOKEN"'

run user create --email carol@example.com
CAROL=$OUT
run invite accept --tenant acme --token "$TOKEN" --user CAROL@example.com
check "invite accept prints the membership id" eval 'rc_is 0 && err_empty && out_matches "^mem_${ID_RE}$"'
CAROL_MEM=$OUT
run member list --tenant acme
check "the invited user is a member with the invited roles" out_has "$CAROL_MEM  $CAROL  carol@example.com  member"
expect_refused "accepting the same invitation again" SAAS_EUSED invite accept --tenant acme --token "$TOKEN" --user carol@example.com
expect_refused "a made-up token" SAAS_ENOTFOUND invite accept --tenant acme --token "ivt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" --user carol@example.com

run invite create --tenant acme --email dave@example.com --role viewer
TOKEN2=$OUT
run user create --email erin@example.com
expect_refused "accepting as a user with another email" SAAS_EDENIED invite accept --tenant acme --token "$TOKEN2" --user erin@example.com
run user create --email dave@example.com
run_in "$TOKEN2" invite accept --tenant acme --token - --user dave@example.com
check "--token - reads the token from stdin" eval 'rc_is 0 && out_matches "^mem_${ID_RE}$"'

run invite create --tenant acme --email frank@example.com --role member
TOKEN3=$OUT
INV3=$(printf '%s' "$ERR" | grep -oE "inv_${ID_RE}")
check "the invitation id can be read from stderr" eval '[[ $INV3 =~ ^inv_${ID_RE}$ ]]'
run invite revoke --tenant acme --id "$INV3"
check "invite revoke prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run user create --email frank@example.com
expect_refused "a revoked invitation cannot be accepted" SAAS_ESTATE invite accept --tenant acme --token "$TOKEN3" --user frank@example.com
expect_refused "revoking twice" SAAS_ESTATE invite revoke --tenant acme --id "$INV3"
expect_refused "an invitation with a bad ttl" SAAS_EINVAL invite create --tenant acme --email g@example.com --role member --ttl-hours 5000
run --json invite create --tenant beta --email gina@example.com --role member
check "invite create --json has the token and the invitation" \
	eval 'rc_is 0 && json_ok && json_true "d[\"invitation\"][\"email\"] == \"gina@example.com\" and len(d[\"token\"]) >= 16 and \"token\" not in d[\"invitation\"]"'

# ---- suspend, reactivate ----------------------------------------------------------

run tenant suspend acme --reason "unpaid invoice"
check "tenant suspend prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run tenant get acme
check "the tenant is suspended" out_is "$ACME  acme  suspended  Acme Inc"
run --json tenant get acme
check "the suspension reason is kept" json_true 'd["suspend_reason"] == "unpaid invoice"'
run tenant list --status suspended
check "tenant list --status suspended" eval 'rc_is 0 && out_is "$ACME  acme  suspended  Acme Inc"'
expect_refused "member add on a suspended tenant" SAAS_ESUSPENDED member add --tenant acme --user erin@example.com --role member
check "the suspended message names the tenant" err_has "suspended"
run member list --tenant acme
check "a suspended tenant can still be read" eval 'rc_is 0 && out_lines 3'
expect_refused "suspending twice" SAAS_ESTATE tenant suspend acme --reason again
expect_usage "suspend without --reason" tenant suspend acme
run tenant reactivate acme
check "tenant reactivate prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run member add --tenant acme --user erin@example.com --role member
check "member add works again after reactivation" eval 'rc_is 0 && out_matches "^mem_${ID_RE}$"'
expect_refused "reactivating an active tenant" SAAS_ESTATE tenant reactivate acme
run --json tenant suspend beta --reason test
check "a mutation with --json prints {\"ok\":true}" eval 'rc_is 0 && out_is "{\"ok\":true}"'
run tenant reactivate beta

# ---- export -----------------------------------------------------------------------

run tenant export acme
check "tenant export prints one JSON document" eval 'rc_is 0 && json_ok'
check "the export is of this tenant" json_true "d['format'] == 'libsaas.export' and '$ACME' in json.dumps(d)"
check "the export holds the tenant's memberships" \
	json_true "{'$ALICE_MEM', '$CAROL_MEM'} <= {m['id'] for m in d['tables']['memberships']}"
check "the export holds no other tenant's data" eval '! out_has "$BETA" && ! out_has "gina@example.com"'
check "the export holds no token" eval '! out_has "$TOKEN" && ! out_has "$TOKEN2"'
run tenant export acme --output "$tmp/acme.json"
check "export --output writes the file and prints nothing" eval 'rc_is 0 && out_empty && err_empty && test -s "$tmp/acme.json"'
check "the exported file parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/acme.json"
check "the exported file is private (0600)" eval '[[ $(stat -c %a "$tmp/acme.json") == 600 ]]'
run tenant export acme --output "$tmp/no/such/dir/x.json"
check "export to an unwritable path exits 1" eval 'rc_is 1 && err_has "cannot write"'

# ---- delete, restore, purge -------------------------------------------------------

run tenant delete acme
check "tenant delete prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run tenant get acme
check "the tenant is pending deletion" out_is "$ACME  acme  pending_deletion  Acme Inc"
expect_refused "member list on a tenant pending deletion" SAAS_EDELETED member list --tenant acme
expect_refused "deleting twice" SAAS_EDELETED tenant delete acme
run tenant restore acme
check "tenant restore prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run tenant get acme
check "the restored tenant is active" out_is "$ACME  acme  active  Acme Inc"
expect_refused "restoring an active tenant" SAAS_ESTATE tenant restore acme
expect_refused "purging an active tenant" SAAS_ESTATE tenant purge acme
expect_refused "a retention beyond the library's bound" SAAS_EINVAL tenant delete acme --retention-days 99999
expect_usage "a non-numeric retention" tenant delete acme --retention-days soon
run tenant delete acme --retention-days 0
check "tenant delete --retention-days 0" eval 'rc_is 0 && out_empty'
run tenant export acme
check "a tenant pending deletion can still be exported" eval 'rc_is 0 && json_ok'
run tenant purge acme
check "tenant purge prints nothing" eval 'rc_is 0 && out_empty && err_empty'
expect_refused "tenant get after purge (slug)" SAAS_ENOTFOUND tenant get acme
expect_refused "tenant get after purge (id)" SAAS_ENOTFOUND tenant get "$ACME"
run tenant list
check "the purged tenant is not listed" eval 'rc_is 0 && out_lines 2 && ! out_has "$ACME"'
run user get alice@example.com
check "users outlive a purged tenant" eval 'rc_is 0 && out_has "$ALICE"'

# ---- actor ------------------------------------------------------------------------

run --actor ops-bot tenant suspend gamma --reason audit
check "--actor NAME" eval 'rc_is 0'
run tenant export gamma
check "the audit log records the --actor name" json_true "any(e.get('actor_id') == 'ops-bot' for e in d['tables'].get('audit_events', []))"
check "the default actor is saasctl" json_true "any(e.get('actor_id') == 'saasctl' for e in d['tables'].get('audit_events', []))"
expect_refused "an invalid actor name" SAAS_EINVAL --actor "two words" tenant list

# ---- audit ------------------------------------------------------------------------

# A database of its own, so that the events are known exactly.
AUD="sqlite:$tmp/audit.db"
run --db "$AUD" tenant create --slug shop --name Shop
SHOP=$OUT
run --db "$AUD" user create --email carol@example.com
CAROL=$OUT
run --db "$AUD" member add --tenant shop --user carol@example.com --role owner
run --db "$AUD" --actor ops-bot tenant suspend shop --reason unpaid
run --db "$AUD" --actor ops-bot tenant reactivate shop
run --db "$AUD" invite create --tenant shop --email dave@example.com --role member

run audit --help
check "audit --help lists list and verify with their options" eval 'rc_is 0 && out_has "audit list --tenant T" && out_has "--since TIME" && out_has "--until TIME" && out_has "--action PREFIX" && out_has "audit verify [--tenant T]" && out_has "--file FILE" && out_has "audit export --tenant T --out FILE" && out_has "audit checkpoint --tenant T" && out_has "audit keygen"'
run --help
check "--help lists the audit verbs" eval 'out_has "audit list" && out_has "audit verify"'

run --db "$AUD" audit list --tenant shop
check "audit list: one line per event, oldest first" eval 'rc_is 0 && err_empty && out_lines 5'
check "audit list: seq, time, actor, action, target" out_matches "^1  2[0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z  system:saasctl  tenant\.created  tenant:$SHOP"
check "audit list: every mutation is there" eval 'out_has "member.added" && out_has "tenant.suspended" && out_has "tenant.reactivated" && out_has "invitation.created"'
run --db "$AUD" audit list --tenant "$SHOP"
check "audit list --tenant takes an id too" eval 'rc_is 0 && out_lines 5'
run --db "$AUD" audit list --tenant shop --action tenant.
check "audit list --action PREFIX" eval 'rc_is 0 && out_lines 3 && ! out_has "member.added"'
run --db "$AUD" audit list --tenant shop --action tenant_
check "--action is a literal prefix ('_' is no wildcard)" eval 'rc_is 0 && out_empty'
run --db "$AUD" audit list --tenant shop --actor-id ops-bot
check "audit list --actor-id ID" eval 'rc_is 0 && out_lines 2 && out_has "system:ops-bot  tenant.suspended"'
run --db "$AUD" audit list --tenant shop --target-type member
check "audit list --target-type" eval 'rc_is 0 && out_lines 1 && out_has "member.added"'
run --db "$AUD" audit list --tenant shop --target-type tenant --target-id "$SHOP" --actor-id saasctl
check "audit list with filters combined" eval 'rc_is 0 && out_lines 1 && out_has "tenant.created"'
run --db "$AUD" audit list --tenant shop --since 2000-01-01T00:00:00Z --until 2999-01-01T00:00:00Z
check "audit list --since/--until in RFC 3339" eval 'rc_is 0 && out_lines 5'
run --db "$AUD" audit list --tenant shop --since 2999-01-01T00:00:00+02:00
check "audit list --since in the future selects nothing" eval 'rc_is 0 && out_empty'
run --db "$AUD" audit list --tenant shop --until 946684800000
check "audit list --until in milliseconds" eval 'rc_is 0 && out_empty'
run --db "$AUD" audit list --tenant shop --limit 2
check "audit list --limit: one page, the next cursor on stderr" eval 'rc_is 0 && out_lines 2 && err_has "next cursor: 2"'
run --db "$AUD" audit list --tenant shop --limit 2 --cursor 2
check "audit list --cursor: the next page" eval 'rc_is 0 && out_lines 2 && out_matches "^3  " && err_has "next cursor: 4"'
run --db "$AUD" audit list --tenant shop --limit 2 --cursor 4
check "audit list: the last page has no cursor" eval 'rc_is 0 && out_lines 1 && out_matches "^5  " && err_empty'
run --db "$AUD" --json audit list --tenant shop
check "audit list --json parses" eval 'rc_is 0 && json_ok'
check "audit list --json: items and next_cursor" json_true "len(d['items']) == 5 and d['next_cursor'] is None"
check "audit list --json: the documented event fields" json_true "all(set(e) >= {'seq','id','tenant_id','occurred_at','actor','action','target','context','metadata','format','prev_hash','hash'} for e in d['items'])"
check "audit list --json: a chain of hashes" json_true "all(d['items'][i+1]['prev_hash'] == d['items'][i]['hash'] for i in range(4)) and d['items'][0]['prev_hash'] == '0'*64"
check "audit list --json: metadata is an object" json_true "d['items'][2]['metadata'] == {'reason': 'unpaid', 'status': 'suspended'}"
run --db "$AUD" --json audit list --tenant shop --limit 1
check "audit list --json --limit: next_cursor" json_true "len(d['items']) == 1 and d['next_cursor'] == '1'"
run --db "$AUD" audit list --tenant system
check "audit list --tenant system: the deployment's stream" eval 'rc_is 0 && out_lines 2 && out_has "tenant.created  tenant:$SHOP" && out_has "user.created  user:$CAROL"'
run --db "$AUD" audit verify --tenant shop
check "audit verify on an intact log exits 0" eval 'rc_is 0 && err_empty && out_has "intact"'
run --db "$AUD" --json audit verify --tenant shop
check "audit verify --json" json_true "d['ok'] is True and d['damage'] == 'ok' and d['first_bad_seq'] == 0 and d['events'] == 5 and d['last_seq'] == 5 and len(d['last_hash']) == 64"
run --db "$AUD" audit verify --tenant system
check "audit verify --tenant system" eval 'rc_is 0 && out_has "intact"'
expect_usage "audit list --since that is not a time" --db "$AUD" audit list --tenant shop --since yesterday
check "the bad time is named" err_has "yesterday"
expect_usage "audit list --until with a bad date" --db "$AUD" audit list --tenant shop --until 2026-02-30T00:00:00Z
expect_usage "audit list without --tenant" --db "$AUD" audit list
expect_usage "audit verify without --tenant" --db "$AUD" audit verify
expect_usage "audit list --limit that is not a number" --db "$AUD" audit list --tenant shop --limit many
expect_refused "audit list --since after --until" SAAS_EINVAL --db "$AUD" audit list --tenant shop --since 2026-06-01T00:00:00Z --until 2026-01-01T00:00:00Z
expect_refused "audit list with a bad cursor" SAAS_EINVAL --db "$AUD" audit list --tenant shop --cursor abc
expect_refused "audit list --limit 0" SAAS_EINVAL --db "$AUD" audit list --tenant shop --limit 0
expect_refused "audit list on an unknown tenant" SAAS_ENOTFOUND --db "$AUD" audit list --tenant nosuch
expect_refused "audit verify on an unknown tenant" SAAS_ENOTFOUND --db "$AUD" audit verify --tenant nosuch

# ---- audit checkpoints --------------------------------------------------------------

unset SAAS_AUDIT_SIGNING_KEY
run audit keygen --key-id ops1 --out "$tmp/ops1.key"
check "audit keygen --out: the public line on stdout" eval 'rc_is 0 && err_empty && out_matches "^saas-audit-pub-v1:ops1:[A-Za-z0-9+/]{43}=$"'
PUB1=$OUT
check "audit keygen --out: the secret in the file" grep -qE '^saas-audit-key-v1:ops1:[A-Za-z0-9+/]{43}=$' "$tmp/ops1.key"
check "audit keygen --out: the file is mode 0600" eval '[[ $(stat -c %a "$tmp/ops1.key") == 600 ]]'
check "audit keygen --out: the secret is not printed" eval '! out_has "saas-audit-key"'
run audit keygen --key-id ops1 --out "$tmp/ops1.key"
check "audit keygen --out refuses to overwrite a file" eval 'rc_is 1 && out_empty && err_has "File exists"'
run audit keygen --key-id ops2
check "audit keygen: secret then public line, and a warning" eval 'rc_is 0 && out_lines 2 && out_matches "^saas-audit-key-v1:ops2:" && out_has "saas-audit-pub-v1:ops2:" && err_has "warning"'
SEC2=$(printf '%s\n' "$OUT" | head -n 1)
expect_refused "audit keygen with a bad key id" SAAS_EINVAL audit keygen --key-id "Bad Id"
check "the secret never reaches stderr" eval '! err_has "saas-audit-key"'

expect_refused "audit checkpoint without a key" SAAS_ENOTFOUND --db "$AUD" audit checkpoint --tenant shop
run --db "$AUD" --audit-key "file:$tmp/ops1.key" audit checkpoint --tenant shop
check "audit checkpoint --audit-key file:PATH prints the seq" eval 'rc_is 0 && err_empty && out_is 5'
run --db "$AUD" --audit-key "file:$tmp/ops1.key" --json audit checkpoint --tenant shop
check "audit checkpoint is idempotent (--json)" json_true "d['seq'] == 5"
run --db "$AUD" --audit-key "file:$tmp/ops1.key" audit verify --tenant shop
check "audit verify reports the checkpoints checked" eval 'rc_is 0 && out_has "1 signed checkpoint verified"'
run --db "$AUD" --audit-key "file:$tmp/ops1.key" --json audit verify --tenant shop
check "audit verify --json: checkpoints" json_true "d['ok'] is True and d['checkpoints'] == 1"
run --db "$AUD" audit verify --tenant shop
check "audit verify without the key: bad_signature naming the key id" eval 'rc_is 1 && out_has "ops1" && err_has "bad_signature at sequence number 5"'
run --db "$AUD" audit verify --tenant shop --trust-key "$PUB1"
check "audit verify --trust-key PUB verifies with the public key only" eval 'rc_is 0 && out_has "1 signed checkpoint verified"'
STEP="SAAS_AUDIT_SIGNING_KEY=... saasctl audit checkpoint --tenant system"
OUT=$(SAAS_AUDIT_SIGNING_KEY="$SEC2" "$SAASCTL" --db "$AUD" audit checkpoint --tenant system 2>"$tmp/err")
RC=$?
ERR=$(cat "$tmp/err")
check "audit checkpoint takes the key from SAAS_AUDIT_SIGNING_KEY" eval 'rc_is 0 && out_is 2'
expect_refused "audit checkpoint with a malformed key" SAAS_EINVAL --db "$AUD" --audit-key env:PATH audit checkpoint --tenant shop
expect_refused "audit checkpoint with a missing key file" SAAS_ENOTFOUND --db "$AUD" --audit-key "file:$tmp/nokey" audit checkpoint --tenant shop
check "the missing file is named" err_has "$tmp/nokey"
expect_usage "audit checkpoint without --tenant" --db "$AUD" audit checkpoint

# ---- audit export and verify --file ---------------------------------------------------

run --db "$AUD" audit export --tenant shop --out "$tmp/shop.jsonl"
check "audit export --out writes the file, mode 0600" eval 'rc_is 0 && err_empty && [[ $(stat -c %a "$tmp/shop.jsonl") == 600 ]]'
check "audit export: a header, 5 events, 1 checkpoint" eval '[[ $(wc -l < "$tmp/shop.jsonl") == 7 ]] && head -n 1 "$tmp/shop.jsonl" | grep -q libsaas.audit.export'
expect_refused "audit export refuses to overwrite a file" SAAS_EEXISTS --db "$AUD" audit export --tenant shop --out "$tmp/shop.jsonl"
run --db "sqlite:$tmp/no/such/dir/x.db" audit verify --file "$tmp/shop.jsonl" --public-key "$PUB1"
check "audit verify --file --public-key: intact, no database opened" eval 'rc_is 0 && out_has "5 events, 1 signed checkpoint verified" && [[ ! -e "$tmp/no" ]]'
run --json audit verify --file "$tmp/shop.jsonl" --public-key "$PUB1"
check "audit verify --file --json" json_true "d['ok'] is True and d['events'] == 5 and d['checkpoints'] == 1"
run audit verify --file "$tmp/shop.jsonl"
check "audit verify --file without the key: bad_signature" eval 'rc_is 1 && err_has "bad_signature at sequence number 5"'
sed '4s/unpaid/unpaId/' "$tmp/shop.jsonl" > "$tmp/shop-changed.jsonl"
run audit verify --file "$tmp/shop-changed.jsonl" --public-key "$PUB1"
check "audit verify --file: a changed line is named" eval 'rc_is 1 && err_has "changed at sequence number 3"'
sed '3d' "$tmp/shop.jsonl" > "$tmp/shop-missing.jsonl"
run audit verify --file "$tmp/shop-missing.jsonl" --public-key "$PUB1"
check "audit verify --file: a deleted line is missing" eval 'rc_is 1 && err_has "missing at sequence number 2"'
printf 'oops\n' > "$tmp/bad.jsonl"
expect_refused "audit verify --file on a file that is not an export" SAAS_EINVAL audit verify --file "$tmp/bad.jsonl"
check "the bad line is named" err_has "line 1"
expect_usage "audit verify --file with --tenant" audit verify --file "$tmp/shop.jsonl" --tenant shop
expect_usage "audit verify --public-key without --file" --db "$AUD" audit verify --tenant shop --public-key "$PUB1"
expect_usage "audit export without --out" --db "$AUD" audit export --tenant shop

# ---- audit retention (purge) ------------------------------------------------------------

# now_rfc3339: the current time in RFC 3339 with milliseconds, as saasctl prints it.
now_rfc3339() {
	python3 -c 'import datetime; t = datetime.datetime.now(datetime.timezone.utc); print(t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000))'
}

# Events before CUT (purged) and after it (kept), in a database of their own.
RET="sqlite:$tmp/retention.db"
run --db "$RET" tenant create --slug keep --name Keep
KEEP=$OUT
run --db "$RET" tenant suspend keep --reason old
run --db "$RET" tenant create --slug idle --name Idle
run --db "$RET" tenant delete idle
run --db "$RET" tenant create --slug paused --name Paused
run --db "$RET" tenant suspend paused --reason unpaid
check "retention: tenants in every status" eval 'rc_is 0'
sleep 0.05
CUT=$(now_rfc3339)
sleep 0.05
run --db "$RET" tenant reactivate keep

run audit --help
check "audit --help lists purge and forget with their options" eval 'rc_is 0 && out_has "audit purge --before TIME [--tenant T] [--system]" && out_has "audit forget --subject ID"'
expect_refused "audit purge without a signing key" SAAS_ENOTFOUND --db "$RET" audit purge --tenant keep --before "$CUT"
check "... names audit_signing_key" err_has "audit_signing_key"
expect_refused "audit purge without a key, even with nothing to purge" SAAS_ENOTFOUND --db "$RET" audit purge --system --before 1
check "... names audit_signing_key" err_has "audit_signing_key"
expect_usage "audit purge without --before" --db "$RET" audit purge --tenant keep
expect_usage "audit purge --before that is not a time" --db "$RET" audit purge --tenant keep --before "last year"
check "... names the option" err_has "--before"
expect_usage "audit purge with --tenant and --system" --db "$RET" audit purge --tenant keep --system --before "$CUT"
expect_usage "audit purge --system takes no value" --db "$RET" audit purge --system=yes --before "$CUT"
expect_refused "audit purge --before in the future" SAAS_EINVAL --db "$RET" --audit-key "file:$tmp/ops1.key" audit purge --tenant keep --before 2999-01-01T00:00:00Z
check "... names before" err_has "before"
expect_refused "audit purge on an unknown tenant" SAAS_ENOTFOUND --db "$RET" --audit-key "file:$tmp/ops1.key" audit purge --tenant nosuch --before "$CUT"

run --db "$RET" --audit-key "file:$tmp/ops1.key" audit purge --tenant keep --before "$CUT"
check "audit purge --tenant: how many, from which stream, before when" eval 'rc_is 0 && err_empty && out_is "purged 2 events from keep (before $CUT)"'
run --db "$RET" audit list --tenant keep
check "audit list after a purge: the kept event and audit.purged" eval 'rc_is 0 && out_lines 2 && out_matches "^3  .*tenant\.reactivated" && out_has "audit.purged" && ! out_has "tenant.created"'
run --db "$RET" --json audit list --tenant keep --action audit.purged
check "audit.purged metadata: through_seq and events" json_true "d['items'][0]['metadata']['through_seq'] == 2 and d['items'][0]['metadata']['events'] == 2"
run --db "$RET" audit verify --tenant keep --trust-key "$PUB1"
check "audit verify after a purge: intact, after the anchor" eval 'rc_is 0 && out_has "intact" && out_has "anchor"'
run --db "$RET" --json audit verify --tenant keep --trust-key "$PUB1"
check "audit verify --json: first_seq after the anchor" json_true "d['ok'] is True and d['first_seq'] == 3 and d['last_seq'] == 4 and d['events'] == 2"
run --db "$RET" audit verify --tenant keep
check "audit verify without the key cannot trust the anchor" eval 'rc_is 1 && out_has "ops1" && err_has "bad_signature"'
run --db "$RET" --json audit verify --tenant idle
check "audit verify --json: first_seq 1 when nothing was purged" json_true "d['ok'] is True and d['first_seq'] == 1"
run --db "$RET" audit export --tenant keep --out "$tmp/keep.jsonl"
check "audit export after a purge" eval 'rc_is 0 && grep -q "\"anchor\"" "$tmp/keep.jsonl"'
run audit verify --file "$tmp/keep.jsonl" --public-key "$PUB1"
check "audit verify --file of a purged stream: intact" eval 'rc_is 0 && out_has "intact"'
run --json audit verify --file "$tmp/keep.jsonl" --public-key "$PUB1"
check "audit verify --file --json: first_seq" json_true "d['ok'] is True and d['first_seq'] == 3"
run --db "$RET" --audit-key "file:$tmp/ops1.key" audit purge --tenant "$KEEP" --before "$CUT"
check "audit purge when nothing is old enough prints 0" eval 'rc_is 0 && out_is "purged 0 events from keep (before $CUT)"'
run --db "$RET" --audit-key "file:$tmp/ops1.key" --json audit purge --tenant keep --before "$CUT"
check "audit purge --tenant --json: one object" json_true "d == {'stream': 'keep', 'tenant_id': '$KEEP', 'purged': 0, 'before': '$CUT'}"

run --db "$RET" --audit-key "file:$tmp/ops1.key" --json audit purge --before "$CUT"
check "audit purge of every stream --json: every tenant, whatever its status, then the deployment" \
	json_true "[(s['stream'], s['purged']) for s in d] == [('keep', 0), ('idle', 2), ('paused', 2), ('system', 3)]"
run --db "$RET" --audit-key "file:$tmp/ops1.key" audit purge --before "$CUT"
check "audit purge of every stream: a line per stream" eval 'rc_is 0 && out_lines 4 && out_has "purged 0 events from paused (before $CUT)" && out_matches "from system \(before [^)]*\)$"'
run --db "$RET" --json audit verify --tenant system --trust-key "$PUB1"
check "the deployment stream still verifies after its purge" json_true "d['ok'] is True and d['first_seq'] == 4"
run --db "$RET" --audit-key "file:$tmp/ops1.key" audit purge --system --before 1
check "audit purge --system --before 1 ms purges nothing" eval 'rc_is 0 && out_is "purged 0 events from system (before 1970-01-01T00:00:00.001Z)"'

# ---- audit personal data (forget), support actors -------------------------------------------

run --help
check "--help lists --actor-email, --support and --on-behalf-of" eval 'out_has "--actor-email E" && out_has "--support" && out_has "--on-behalf-of USER"'
run --db "$RET" --actor alice-ops --actor-email Alice.Ops@Example.com tenant suspend keep --reason checks
check "--actor-email EMAIL" eval 'rc_is 0 && err_empty'
run --db "$RET" --json audit list --tenant keep --actor-id alice-ops
check "audit list --json: the actor's email, readable" json_true "len(d['items']) == 1 and d['items'][0]['actor']['email'] == 'alice.ops@example.com' and d['items'][0]['personal']['readable'] is True and d['items'][0]['personal']['subject_id'] == 'alice-ops'"
run --db "$RET" tenant export keep
check "the email is not stored in the clear" eval 'rc_is 0 && ! out_has "alice.ops@example.com"'
expect_refused "an invalid --actor-email" SAAS_EINVAL --db "$RET" --actor-email not-an-email tenant list
run --db "$RET" audit forget --subject alice-ops
check "audit forget --subject prints what it forgot" eval 'rc_is 0 && err_empty && out_is "forgot the personal data of alice-ops"'
run --db "$RET" --json audit list --tenant keep --actor-id alice-ops
check "audit list --json after forget: email null, personal unreadable" json_true "d['items'][0]['actor']['email'] is None and d['items'][0]['personal']['readable'] is False"
run --db "$RET" audit verify --tenant keep --trust-key "$PUB1"
check "audit verify after forget: still intact" eval 'rc_is 0 && out_has "intact"'
run --db "$RET" audit list --tenant system --action audit.subject_forgotten
check "the deployment stream records the forgetting" eval 'rc_is 0 && out_lines 1 && out_has "subject:alice-ops"'
expect_refused "audit forget again: nothing to forget" SAAS_ENOTFOUND --db "$RET" audit forget --subject alice-ops
check "... names the subject" err_has "alice-ops"
expect_refused "audit forget of a subject never recorded with personal data" SAAS_ENOTFOUND --db "$RET" audit forget --subject saasctl
expect_usage "audit forget without --subject" --db "$RET" audit forget
run --db "$RET" --actor bob-ops --actor-email bob@ops.example tenant reactivate keep
run --db "$RET" --json audit forget --subject bob-ops
check "audit forget --json" eval 'rc_is 0 && json_true "d == {\"subject_id\": \"bob-ops\", \"forgotten\": True}"'

run --db "$RET" --support --actor sam --on-behalf-of "$CAROL" tenant suspend keep --reason "asked by the owner"
check "--support --on-behalf-of USER" eval 'rc_is 0 && err_empty'
run --db "$RET" --json audit list --tenant keep --actor-id sam
check "audit list --json: the support actor and the user it acted for" json_true "[e['actor']['type'] for e in d['items']] == ['support'] and d['items'][0]['actor']['id'] == 'sam' and d['items'][0]['actor']['on_behalf_of'] == '$CAROL'"
run --db "$RET" audit list --tenant keep --actor-id sam
check "audit list: the support actor" eval 'rc_is 0 && out_has "support:sam  tenant.suspended"'
expect_usage "--on-behalf-of without --support is refused" --db "$RET" --on-behalf-of "$CAROL" tenant reactivate keep
check "... saying it needs --support" err_has "--on-behalf-of needs --support"
run --db "$RET" tenant get keep
check "... before anything changed" out_has "  keep  suspended  "
expect_refused "--on-behalf-of with a malformed user" SAAS_EINVAL --db "$RET" --support --actor sam --on-behalf-of "two words" tenant reactivate keep

# An independent verifier (docs/audit.md, "A verifier of your own") agrees
# on a stream with an anchor, format-2 events, forgotten personal data and a
# support actor's second identity.
run --db "$RET" audit export --tenant keep --out "$tmp/keep2.jsonl"
check "the Python verifier of docs/audit.md finds the export intact" \
	python3 "$SAAS_SOURCE_ROOT/tests/cli/verify_export.py" "$tmp/keep2.jsonl"
sed 's/"on_behalf_of":"usr_/"on_behalf_of":"usx_/' "$tmp/keep2.jsonl" > "$tmp/keep3.jsonl"
check "... and finds a changed second identity" eval '! python3 "$SAAS_SOURCE_ROOT/tests/cli/verify_export.py" "$tmp/keep3.jsonl" >/dev/null 2>&1'
run audit verify --file "$tmp/keep3.jsonl" --public-key "$PUB1"
check "... as the library does" eval 'rc_is 1 && err_has "changed"'

# ---- roles (the deployment's catalog) ---------------------------------------------

run --db memory: role list
check "role list: the four built-in roles, one line each" eval 'rc_is 0 && out_lines 4 && out_has "owner  builtin  admin  *" && out_has "viewer  builtin  -  member:read,role:read,tenant:read"'
run --db memory: --json role list
check "role list --json: name, builtin, inherits, permissions, effective" json_true "[r['name'] for r in d['roles']] == ['admin', 'member', 'owner', 'viewer'] and d['roles'][1]['inherits'] == ['viewer'] and 'tenant:read' in d['roles'][1]['effective'] and d['roles'][1]['permissions'] == ['apikey:create', 'apikey:read']"
POLICY='{"roles":{"member":{"permissions":["project:*"]},"auditor":{"inherits":["viewer"],"permissions":["audit:read"]}}}'
run --db memory: --rbac-policy "$POLICY" role list
check "--rbac-policy extends a built-in role and adds one" eval 'rc_is 0 && out_lines 5 && out_has "auditor  deployment  viewer  audit:read,member:read,role:read,tenant:read" && out_matches "member  builtin  viewer  [^ ]*project:\*"'
printf '%s\n' "$POLICY" > "$tmp/policy.json"
run --db memory: --rbac-policy "file:$tmp/policy.json" --json role list
check "--rbac-policy file:PATH" json_true "'auditor' in [r['name'] for r in d['roles']]"
OUT=$(SAAS_RBAC_POLICY="$POLICY" "$SAASCTL" --db memory: role list 2>&1); RC=$?
check "SAAS_RBAC_POLICY when --rbac-policy is not given" eval 'rc_is 0 && out_has "auditor  deployment"'
expect_refused "a policy naming an unknown role" SAAS_EINVAL --db memory: --rbac-policy '{"roles":{"x":{"inherits":["nobody"]}}}' role list
check "... names the entry and the role" err_has "roles.x.inherits: role 'nobody' is not defined"
expect_refused "a policy with a bad permission" SAAS_EINVAL --db memory: --rbac-policy '{"roles":{"member":{"permissions":["Project:Read"]}}}' role list
check "... names its position" err_has "roles.member.permissions[0]"
expect_usage "role with no verb" --db memory: role

# ---- custom roles of a tenant -----------------------------------------------------

# A database of its own, so that the tenant's audit events are known exactly.
RDB="sqlite:$tmp/roles.db"
run --db "$RDB" tenant create --slug studio --name Studio
check "a tenant for custom roles" eval 'rc_is 0 && out_matches "^ten_${ID_RE}$"'
STUDIO=$OUT
run --db "$RDB" user create --email erin@example.com
run --db "$RDB" member add --tenant studio --user erin@example.com --role owner
run --db "$RDB" user create --email frank@example.com
FRANK=$OUT
check "an owner and a second user" eval 'rc_is 0 && out_matches "^usr_${ID_RE}$"'

run role --help
check "role --help lists the verbs with their options" eval 'rc_is 0 && err_empty && out_has "role list [--tenant T]" && out_has "role create --tenant T --name N [--permissions P,Q,...] [--inherits R,S,...]" && out_has "role update --tenant T --name N [--permissions P,Q,...] [--inherits R,S,...]" && out_has "role delete --tenant T --name N [--move-to R]"'
check "role --help says that update empties a set left out" out_has "an option left out (or given as '') empties its set"
run --help
check "--help lists the role verbs" eval 'out_has "role create" && out_has "role update" && out_has "role delete"'

run --db "$RDB" role create --tenant studio --name editor --permissions project:write,project:read --inherits viewer
check "role create prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run --db "$RDB" role list --tenant studio
check "role list --tenant: the catalog and the custom role, one line each" eval 'rc_is 0 && err_empty && out_lines 5 && out_has "owner  builtin  admin  *" && out_has "viewer  builtin  -  member:read,role:read,tenant:read"'
check "... the custom role: scope tenant, its effective set with viewer's" out_has "editor  tenant  viewer  member:read,project:read,project:write,role:read,tenant:read"
run --db "$RDB" role list
check "role list without --tenant: the deployment's catalog alone" eval 'rc_is 0 && out_lines 4 && ! out_has "editor"'
run --db "$RDB" --json role list --tenant "$STUDIO"
check "role list --tenant --json: every role, sorted by name, with its scope" json_true "[(r['name'], r['scope']) for r in d['roles']] == [('admin', 'deployment'), ('editor', 'tenant'), ('member', 'deployment'), ('owner', 'deployment'), ('viewer', 'deployment')]"
check "... the custom role's own and effective sets and its times" json_true "(lambda r: r['inherits'] == ['viewer'] and r['permissions'] == ['project:read', 'project:write'] and {'project:read', 'tenant:read'} <= set(r['effective']) and not r.get('builtin') and 'created_at' in r and 'updated_at' in r)(next(r for r in d['roles'] if r['name'] == 'editor'))"

run --db "$RDB" role create --tenant "$STUDIO" --name reader --inherits viewer
check "role create without --permissions: a role that only inherits" eval 'rc_is 0 && out_empty && err_empty'
run --db "$RDB" --json role create --tenant studio --name lead --permissions "" --inherits editor,member
check "role create --json (an empty --permissions is none)" eval 'rc_is 0 && json_true "d == {\"ok\": True}"'
run --db "$RDB" role list --tenant studio
check "... both are listed" eval 'rc_is 0 && out_lines 7 && out_has "reader  tenant  viewer  member:read,role:read,tenant:read" && out_matches "lead  tenant  editor,member  [^ ]*project:write"'

run --db "$RDB" role update --tenant studio --name editor --permissions 'project:*'
check "role update prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run --db "$RDB" role list --tenant studio
check "role update replaced both sets (--inherits left out: none)" out_has "editor  tenant  -  project:*"
check "... and a role inheriting it grants the new set" eval 'out_matches "lead  tenant  editor,member  [^ ]*project:\*" && ! out_has "project:write"'
run --db "$RDB" --json role update --tenant studio --name editor --permissions 'project:*,report:read' --inherits viewer
check "role update --json" eval 'rc_is 0 && json_true "d == {\"ok\": True}"'
run --db "$RDB" role list --tenant studio
check "... sets both" out_has "editor  tenant  viewer  member:read,project:*,report:read,role:read,tenant:read"

expect_refused "a bad permission is refused" SAAS_EINVAL --db "$RDB" role create --tenant studio --name bad --permissions project:read,Project:Write
check "... the message names it" err_has "Project:Write"
expect_refused "role update with a bad permission" SAAS_EINVAL --db "$RDB" role update --tenant studio --name editor --permissions 'proj*:read'
check "... names it" err_has "proj*:read"
expect_refused "a built-in role's name is taken" SAAS_EEXISTS --db "$RDB" role create --tenant studio --name admin --permissions project:read
expect_refused "a custom role's name is taken" SAAS_EEXISTS --db "$RDB" role create --tenant studio --name editor
expect_refused "a bad role name" SAAS_EINVAL --db "$RDB" role create --tenant studio --name "Bad Name"
expect_refused "inheriting an unknown role" SAAS_EINVAL --db "$RDB" role create --tenant studio --name bad --inherits nobody
check "... the message names it" err_has "nobody"
expect_refused "role create in an unknown tenant" SAAS_ENOTFOUND --db "$RDB" role create --tenant nosuch --name x
expect_refused "role update of an unknown role" SAAS_ENOTFOUND --db "$RDB" role update --tenant studio --name nobody
expect_refused "role update of a built-in role" SAAS_ENOTFOUND --db "$RDB" role update --tenant studio --name member --permissions project:read
expect_refused "role list --tenant of an unknown tenant" SAAS_ENOTFOUND --db "$RDB" role list --tenant nosuch
run --db "$RDB" role create --tenant studio --name ops-b --permissions deploy:read
run --db "$RDB" role create --tenant studio --name ops-a --inherits ops-b
check "ops-a inherits ops-b" eval 'rc_is 0 && out_empty && err_empty'
expect_refused "a cycle between custom roles is refused" SAAS_EINVAL --db "$RDB" role update --tenant studio --name ops-b --inherits ops-a
run --db "$RDB" role list --tenant studio
check "... and the refused changes changed nothing" eval 'rc_is 0 && out_lines 9 && out_has "ops-b  tenant  -  deploy:read" && ! out_has "bad  "'

run --db "$RDB" role delete --tenant studio --name lead
check "role delete of a role nobody has prints nothing" eval 'rc_is 0 && out_empty && err_empty'
run --db "$RDB" member add --tenant studio --user frank@example.com --role editor
check "member add with a custom role" eval 'rc_is 0 && out_matches "^mem_${ID_RE}$"'
FRANK_MEM=$OUT
expect_refused "role delete of a role a member has" SAAS_EUSED --db "$RDB" role delete --tenant studio --name editor
check "... says a member has it" err_matches "1 member"
expect_refused "role delete of a role another inherits, even with --move-to" SAAS_EUSED --db "$RDB" role delete --tenant studio --name ops-b --move-to member
check "... names the role that inherits it" err_has "ops-a"
expect_refused "role delete --move-to an unknown role" SAAS_ENOTFOUND --db "$RDB" role delete --tenant studio --name editor --move-to nobody
expect_refused "role delete --move-to itself" SAAS_EINVAL --db "$RDB" role delete --tenant studio --name editor --move-to editor
run --db "$RDB" role delete --tenant studio --name editor --move-to member
check "role delete --move-to" eval 'rc_is 0 && out_empty && err_empty'
run --db "$RDB" member list --tenant studio
check "... the member now has the role moved to" out_has "$FRANK_MEM  $FRANK  frank@example.com  member"
run --db "$RDB" role list --tenant studio
check "... and the deleted roles are gone" eval 'rc_is 0 && out_lines 7 && ! out_has "editor" && ! out_has "lead"'
run --db "$RDB" member set-roles --tenant studio --user frank@example.com --role member,reader
check "member set-roles with a custom role" eval 'rc_is 0 && out_empty && err_empty'
run --db "$RDB" --json role delete --tenant studio --name reader --move-to member
check "role delete --move-to a role the member already has (--json)" eval 'rc_is 0 && json_true "d == {\"ok\": True}"'
run --db "$RDB" member list --tenant studio
check "... leaves it once" out_has "$FRANK_MEM  $FRANK  frank@example.com  member"
expect_refused "role delete of an unknown role" SAAS_ENOTFOUND --db "$RDB" role delete --tenant studio --name nobody
expect_refused "role delete of a built-in role" SAAS_ENOTFOUND --db "$RDB" role delete --tenant studio --name viewer

run --db "$RDB" --actor ops-bot role create --tenant studio --name temp --permissions deploy:write
check "role create as another actor" eval 'rc_is 0 && out_empty && err_empty'
run --db "$RDB" audit list --tenant studio --action role.
check "the audit log has every change to roles, and no refused one" eval 'rc_is 0 && out_lines 11 && [[ $(grep -c "  role\.created  " <<<"$OUT") == 6 && $(grep -c "  role\.updated  " <<<"$OUT") == 2 && $(grep -c "  role\.deleted  " <<<"$OUT") == 3 ]]'
check "... by the actor given" out_matches "system:ops-bot  role\.created"
run --db "$RDB" audit verify --tenant studio
check "... and the chain is intact" eval 'rc_is 0 && out_has "intact"'

expect_usage "role create without --name" --db "$RDB" role create --tenant studio
check "... names the option" err_has "--name"
expect_usage "role create without --tenant" --db "$RDB" role create --name x
check "... names the option" err_has "--tenant"
expect_usage "role update without --name" --db "$RDB" role update --tenant studio --permissions a:b
expect_usage "role delete without --tenant" --db "$RDB" role delete --name x
expect_usage "role list --tenant without its value" --db "$RDB" role list --tenant
expect_usage "--permissions given twice" --db "$RDB" role create --tenant studio --name x --permissions a:b --permissions c:d
expect_usage "role delete with a stray argument" --db "$RDB" role delete stray --tenant studio --name x

# ---- policy import and export (rbac) ----------------------------------------------

PDB="sqlite:$tmp/policy.db"
run --db "$PDB" tenant create --slug acme --name Acme
run --db "$PDB" user create --email ann@acme.example
run --db "$PDB" member add --tenant acme --user ann@acme.example --role owner
check "a tenant with an owner for the policy" eval 'rc_is 0 && out_matches "^mem_${ID_RE}$"'
expect_refused "member add with a role that does not exist" SAAS_ENOTFOUND --db "$PDB" member add --tenant acme --user ann@acme.example --role billing
check "... names the role" err_has "role 'billing' is neither a role of the deployment nor a custom role of the tenant"
expect_refused "invite create with a role that does not exist" SAAS_ENOTFOUND --db "$PDB" invite create --tenant acme --email x@acme.example --role billing

run rbac --help
check "rbac --help lists import and export" eval 'rc_is 0 && out_has "rbac import FILE [--tenant T]" && out_has "rbac export [--tenant T]"'
expect_usage "rbac import without FILE" --db "$PDB" rbac import
expect_usage "rbac export with a stray argument" --db "$PDB" rbac export stray

cat >"$tmp/policy.json" <<'JSON'
{"tenants": [{"slug": "acme", "name": "Acme"}, {"slug": "globex", "name": "Globex"}],
 "users": [{"email": "ann@acme.example"}, {"email": "Bob@Acme.example"},
           {"email": "cy@globex.example"}],
 "roles": [{"tenant": "acme", "name": "editor", "permissions": ["project:write", "project:read"],
            "inherits": ["viewer"]},
           {"tenant": "globex", "name": "ops", "permissions": ["deploy:*"]}],
 "memberships": [{"tenant": "acme", "user": "ann@acme.example", "roles": ["owner"]},
                 {"tenant": "acme", "user": "bob@acme.example", "roles": ["editor"]},
                 {"tenant": "globex", "user": "cy@globex.example", "roles": ["owner", "ops"]}]}
JSON
run --db "$PDB" rbac import "$tmp/policy.json"
check "rbac import prints a line per kind" eval 'rc_is 0 && err_empty && out_lines 4 && out_has "tenants: 1 created, 0 updated, 1 unchanged" && out_has "users: 2 created, 0 updated, 1 unchanged" && out_has "roles: 2 created, 0 updated, 0 unchanged" && out_has "memberships: 2 created, 0 updated, 1 unchanged"'
run --db "$PDB" member list --tenant globex
check "... the new tenant has its member, with the custom role" eval 'rc_is 0 && out_has "cy@globex.example  ops,owner"'
run --db "$PDB" audit list --tenant acme --action rbac.
check "... recorded as rbac.imported in the tenant's stream, by the actor" eval 'rc_is 0 && out_lines 1 && out_matches "system:saasctl  rbac\.imported  tenant:"'
run_in "$(cat "$tmp/policy.json")" --db "$PDB" --json rbac import -
check "rbac import - (stdin) again: nothing changes (--json report)" eval 'rc_is 0 && json_true "d[\"memberships\"] == {\"created\": 0, \"updated\": 0, \"unchanged\": 3} and d[\"roles\"][\"unchanged\"] == 2"'
run --db "$PDB" audit list --tenant acme --action rbac.
check "... and records nothing" eval 'rc_is 0 && out_lines 1'

run --db "$PDB" rbac export
check "rbac export prints the document, indented" eval 'rc_is 0 && err_empty && json_ok && [[ $(printf "%s" "$OUT" | grep -c "") -gt 10 ]]'
check "... sorted, with every kind" json_true "[t['slug'] for t in d['tenants']] == ['acme', 'globex'] and [u['email'] for u in d['users']] == ['ann@acme.example', 'bob@acme.example', 'cy@globex.example'] and d['roles'][0] == {'tenant': 'acme', 'name': 'editor', 'permissions': ['project:read', 'project:write'], 'inherits': ['viewer']} and len(d['memberships']) == 3"
printf '%s\n' "$OUT" >"$tmp/export1.json"
run --db "$PDB" --json rbac export --tenant globex
check "rbac export --tenant --json: one line, that tenant only" eval 'rc_is 0 && out_lines 1 && json_true "d == {\"tenants\": [{\"slug\": \"globex\", \"name\": \"Globex\"}], \"users\": [{\"email\": \"cy@globex.example\"}], \"roles\": [{\"tenant\": \"globex\", \"name\": \"ops\", \"permissions\": [\"deploy:*\"], \"inherits\": []}], \"memberships\": [{\"tenant\": \"globex\", \"user\": \"cy@globex.example\", \"roles\": [\"ops\", \"owner\"]}]}"'
expect_refused "rbac export --tenant of an unknown tenant" SAAS_ENOTFOUND --db "$PDB" rbac export --tenant nosuch

run --db "sqlite:$tmp/policy2.db" rbac import "$tmp/export1.json"
check "the export imports into an empty database" eval 'rc_is 0 && out_has "tenants: 2 created" && out_has "memberships: 3 created"'
run --db "sqlite:$tmp/policy2.db" rbac export
printf '%s\n' "$OUT" >"$tmp/export2.json"
check "... whose export is the same" cmp -s "$tmp/export1.json" "$tmp/export2.json"

cat >"$tmp/bad.json" <<'JSON'
{"users": [{"email": "dee@acme.example"}],
 "memberships": [{"tenant": "acme", "user": "dee@acme.example", "roles": ["viewer"]},
                 {"tenant": "acme", "user": "bob@acme.example", "roles": ["editor", "ghost"]}]}
JSON
expect_refused "rbac import of a bad document" SAAS_EINVAL --db "$PDB" rbac import "$tmp/bad.json"
check "... names the entry by its position" err_has "policy: memberships[1].roles[1]: role 'ghost' is neither"
expect_refused "... and created nobody" SAAS_ENOTFOUND --db "$PDB" user get dee@acme.example
expect_refused "rbac import of another tenant's policy with --tenant" SAAS_EINVAL --db "$PDB" rbac import --tenant acme "$tmp/policy.json"
check "... says why" err_has "tenant 'globex' is not the scope's tenant ('acme')"
run --db "$PDB" rbac import "$tmp/nosuch.json"
check "rbac import of a missing file" eval 'rc_is 1 && out_empty && err_has "nosuch.json: No such file or directory"'
run_in '{"roles": [' --db "$PDB" rbac import -
check "rbac import of text that is not JSON" eval 'rc_is 1 && out_empty && err_has "policy: not valid JSON" && err_has "(SAAS_EINVAL)"'

# ---- the storage URL --------------------------------------------------------------

run --db "sqlite:$tmp/other.db" tenant list
check "--db picks another database" eval 'rc_is 0 && out_empty'
check "--db created that database" test -e "$tmp/other.db"
run --db="sqlite:$tmp/other.db" tenant create --slug other --name Other
check "--db=URL" eval 'rc_is 0 && out_matches "^ten_${ID_RE}$"'
STEP="SAAS_DB=sqlite:other.db saasctl tenant get other"
OUT=$(SAAS_DB="sqlite:$tmp/other.db" "$SAASCTL" tenant get other 2>"$tmp/err")
RC=$?
ERR=$(cat "$tmp/err")
check "SAAS_DB selects the database" eval 'rc_is 0 && out_has "  other  active  Other"'
STEP="SAAS_DB=sqlite:other.db saasctl tenant get beta"
OUT=$(SAAS_DB="sqlite:$tmp/other.db" "$SAASCTL" tenant get beta 2>"$tmp/err")
RC=$?
ERR=$(cat "$tmp/err")
check "SAAS_DB: the other database has no beta" eval 'rc_is 1 && err_has SAAS_ENOTFOUND'
STEP="SAAS_DB=sqlite:other.db saasctl --db sqlite:t.db tenant get beta"
OUT=$(SAAS_DB="sqlite:$tmp/other.db" "$SAASCTL" --db "sqlite:$tmp/t.db" tenant get beta 2>"$tmp/err")
RC=$?
ERR=$(cat "$tmp/err")
check "--db wins over SAAS_DB" eval 'rc_is 0 && out_has "$BETA  beta"'
STEP="env -u SAAS_DB saasctl tenant create (default sqlite:saas.db)"
mkdir -p "$tmp/default" && OUT=$(cd "$tmp/default" && env -u SAAS_DB "$SAASCTL" tenant create --slug d --name D 2>"$tmp/err")
RC=$?
ERR=$(cat "$tmp/err")
check "the default URL is sqlite:saas.db" eval 'rc_is 0 && test -e "$tmp/default/saas.db"'
run --db memory: tenant create --slug m --name M
check "--db memory:" eval 'rc_is 0 && out_matches "^ten_${ID_RE}$"'
expect_refused "an unknown URL scheme" SAAS_EINVAL --db "bogus:x" tenant list
expect_refused "an unopenable database" SAAS_ESTORE --db "sqlite:$tmp/no/such/dir/x.db" tenant list

# ---- authorization: check, check --batch, rbac test ---------------------------------

# A database of its own: an owner and a viewer in one tenant, a second tenant suspended.
CDB="sqlite:$tmp/check.db"
run --db "$CDB" tenant create --slug shop --name Shop
SHOP=$OUT
run --db "$CDB" tenant create --slug frozen --name Frozen
run --db "$CDB" user create --email olga@example.com
run --db "$CDB" user create --email vic@example.com
VIC=$OUT
run --db "$CDB" user create --email nemo@example.com
run --db "$CDB" member add --tenant shop --user olga@example.com --role owner
run --db "$CDB" member add --tenant shop --user vic@example.com --role viewer
run --db "$CDB" member add --tenant frozen --user olga@example.com --role owner
run --db "$CDB" tenant suspend frozen --reason unpaid
check "a database for check" eval 'rc_is 0 && err_empty'

run --help
check "--help lists check and rbac test" eval 'out_has "saasctl check [--tenant T]" && out_has "rbac test FILE"'
run check --help
check "check --help names every option" eval 'rc_is 0 && out_has "--user U" && out_has "--staff S" && out_has "--system" && out_has "--permission P" && out_has "--explain" && out_has "--batch FILE"'

run --db "$CDB" check --tenant shop --user vic@example.com --permission tenant:read
check "check: allowed exits 0 and prints 'allowed'" eval 'rc_is 0 && out_is allowed && err_empty'
run --db "$CDB" check --tenant "$SHOP" --user "$VIC" --permission tenant:update
check "check: denied exits 1 and prints the reason" eval 'rc_is 1 && out_is "denied (no_role_grants)" && err_empty'
run --db "$CDB" check --tenant shop --user olga@example.com --permission 'project:*'
check "check: a wildcard request granted through owner's *" eval 'rc_is 0 && out_is allowed'
run --db "$CDB" check --tenant shop --user nemo@example.com --permission tenant:read
check "check: a user who is not a member" eval 'rc_is 1 && out_is "denied (not_member)"'
run --db "$CDB" check --tenant shop --staff sam --permission tenant:read
check "check --staff: support staff without a grant" eval 'rc_is 1 && out_is "denied (support_grant_missing)"'
run --db "$CDB" check --tenant shop --system --permission tenant:delete
check "check --system: the system actor" eval 'rc_is 0 && out_is allowed'
run --db "$CDB" check --tenant frozen --system --permission tenant:update
check "check: a suspended tenant denies writes, even to the system" eval 'rc_is 1 && out_is "denied (tenant_suspended)"'
run --db "$CDB" check --tenant frozen --user olga@example.com --permission tenant:update --explain
check "check --explain: the explanation names the reason" eval 'rc_is 1 && out_lines 1 && out_matches "^denied: user usr_${ID_RE} may not do tenant:update in tenant ten_${ID_RE}: .*suspended"'
run --db "$CDB" check --tenant shop --user vic@example.com --permission tenant:update --explain
check "check --explain: the member's roles when none grants" eval 'rc_is 1 && out_matches "^denied: " && out_has "viewer" && out_has "tenant:update"'
run --db "$CDB" check --tenant shop --user vic@example.com --permission member:read --explain
check "check --explain of an allowed request: the role and the pattern" eval 'rc_is 0 && out_matches "^allowed: " && out_has "viewer" && out_has "member:read"'
run --db "$CDB" --json check --tenant shop --user vic@example.com --permission tenant:update
check "check --json: the decision" eval 'rc_is 1 && json_true "d[\"allowed\"] is False and d[\"reason\"] == \"no_role_grants\" and d[\"roles\"] == [\"viewer\"] and d[\"tenant_id\"] == \"$SHOP\" and d[\"explanation\"].startswith(\"denied\")"'
expect_refused "check: an unknown tenant slug" SAAS_ENOTFOUND --db "$CDB" check --tenant nosuch --user vic@example.com --permission tenant:read
expect_refused "check: an unknown email" SAAS_ENOTFOUND --db "$CDB" check --tenant shop --user nobody@example.com --permission tenant:read
expect_refused "check: a malformed permission" SAAS_EINVAL --db "$CDB" check --tenant shop --user vic@example.com --permission Tenant:Read
check "... named" err_has "Tenant:Read"
expect_usage "check without an actor" --db "$CDB" check --tenant shop --permission tenant:read
expect_usage "check with two actors" --db "$CDB" check --tenant shop --user vic@example.com --system --permission tenant:read
expect_usage "check without --permission" --db "$CDB" check --tenant shop --system
expect_usage "check without --tenant" --db "$CDB" check --system --permission tenant:read
expect_usage "check --batch with --tenant" --db "$CDB" check --batch x --tenant shop
expect_usage "check --batch without its value" --db "$CDB" check --batch
expect_usage "check with a stray argument" --db "$CDB" check stray --tenant shop --system --permission a:b

# check --batch: one JSON line out per request line, in order; bad lines are error objects.
cat >"$tmp/batch.jsonl" <<'JSONL'
# policy probes
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read"}

{"tenant":"shop","user":"vic@example.com","permission":"tenant:update"}
{"tenant":"shop","staff":"sam","permission":"tenant:read"}
{"tenant":"frozen","system":true,"permission":"tenant:update"}
{"tenant":"shop","user":"olga@example.com","permission":"*"}
JSONL
run --db "$CDB" check --batch "$tmp/batch.jsonl"
check "check --batch: a decision per request line, in order, exit 0" eval 'rc_is 0 && err_empty && out_lines 5'
check "... numbered by the file's lines (comments and blank lines skipped)" eval '[[ $(printf "%s\n" "$OUT" | python3 -c "import json,sys; print([(d[\"line\"], d[\"reason\"]) for d in map(json.loads, sys.stdin)])") == "[(2, '"'"'role'"'"'), (4, '"'"'no_role_grants'"'"'), (5, '"'"'support_grant_missing'"'"'), (6, '"'"'tenant_suspended'"'"'), (7, '"'"'role'"'"')]" ]]'
cat >"$tmp/batch-bad.jsonl" <<'JSONL'
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read"}
{"tenant":"shop","user":"vic@example.com"
{"tenant":"shop","user":"vic@example.com","permission":"tenant:update"}
{"tenant":"shop","usr":"vic@example.com","permission":"tenant:read"}
{"tenant":"nosuch","user":"vic@example.com","permission":"tenant:read"}
{"tenant":"shop","user":"vic@example.com","permission":"Bad"}
["not","an","object"]
{"tenant":"shop","user":"vic@example.com","staff":"sam","permission":"tenant:read"}
{"tenant":"shop","system":false,"permission":"tenant:read"}
{"tenant":"shop","system":true,"permission":"tenant:read"}
JSONL
run --db "$CDB" check --batch "$tmp/batch-bad.jsonl"
check "check --batch with bad lines: every line answered in order, exit 2" eval 'rc_is 2 && out_lines 10 && [[ $(printf "%s\n" "$OUT" | python3 -c "import json,sys; print([d[\"line\"] for d in map(json.loads, sys.stdin)])") == "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]" ]]'
check "... a bad line is {\"line\",\"error\"} saying what is wrong" eval '[[ $(printf "%s\n" "$OUT" | python3 -c "import json,sys; print([(\"error\" in d, d.get(\"reason\")) for d in map(json.loads, sys.stdin)])") == "[(False, '"'"'role'"'"'), (True, None), (False, '"'"'no_role_grants'"'"'), (True, None), (True, None), (True, None), (True, None), (True, None), (True, None), (False, '"'"'system'"'"')]" ]] && out_has "not JSON" && out_has "unknown key \\\"usr\\\"" && out_has "no tenant with slug" && out_has "SAAS_ENOTFOUND" && out_has "not a JSON object" && out_has "give one actor"'
run_in '{"tenant":"shop","user":"vic@example.com","permission":"member:read"}' --db "$CDB" check --batch -
check "check --batch - reads stdin" eval 'rc_is 0 && out_lines 1 && json_true "d[\"line\"] == 1 and d[\"allowed\"] is True and d[\"role\"] == \"viewer\""'
run --db "$CDB" check --batch "$tmp/no-such.jsonl"
check "check --batch of a missing file" eval 'rc_is 1 && out_empty && err_has "cannot read" && err_has "no-such.jsonl"'

# rbac test: policy tests with expectations.
cat >"$tmp/pass.jsonl" <<'JSONL'
# what a viewer may do
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read","expect":true}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:update","expect":false}
{"tenant":"shop","user":"nemo@example.com","permission":"tenant:read","expect":false,"reason":"not_member"}
{"tenant":"frozen","user":"olga@example.com","permission":"tenant:read","expect":true,"reason":"role"}
{"tenant":"shop","staff":"sam","permission":"tenant:read","expect":false}
JSONL
run --db "$CDB" rbac test "$tmp/pass.jsonl"
check "rbac test: every expectation met, exit 0" eval 'rc_is 0 && err_empty && out_is "5 passed, 0 failed"'
cat >"$tmp/fail.jsonl" <<'JSONL'
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read","expect":true}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:update","expect":true}
{"tenant":"shop","user":"olga@example.com","permission":"tenant:delete","expect":false}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:update","expect":false,"reason":"not_member"}
JSONL
run --db "$CDB" rbac test "$tmp/fail.jsonl"
check "rbac test: mismatches exit 1" eval 'rc_is 1 && err_empty && out_lines 4'
check "... each as FILE:LINE: expected, got: tenant/user/permission" eval 'out_has "$tmp/fail.jsonl:2: expected allowed, got denied (no_role_grants): shop/vic@example.com/tenant:update" && out_has "$tmp/fail.jsonl:3: expected denied, got allowed (role): shop/olga@example.com/tenant:delete" && out_has "$tmp/fail.jsonl:4: expected denied (not_member), got denied (no_role_grants): shop/vic@example.com/tenant:update"'
check "... and the summary" eval '[[ $(printf "%s\n" "$OUT" | tail -n 1) == "1 passed, 3 failed" ]]'
run --db "$CDB" rbac test --explain "$tmp/fail.jsonl"
check "rbac test --explain: the explanation under each mismatch" eval 'rc_is 1 && out_lines 7 && out_matches "fail.jsonl:2: [^
]*
    denied: user usr_${ID_RE} may not do tenant:update"'
run --db "$CDB" --json rbac test "$tmp/fail.jsonl"
check "rbac test --json: counts and the mismatches with their decisions" eval 'rc_is 1 && json_true "d[\"passed\"] == 1 and d[\"failed\"] == 3 and [m[\"line\"] for m in d[\"mismatches\"]] == [2, 3, 4] and d[\"mismatches\"][0][\"decision\"][\"reason\"] == \"no_role_grants\" and d[\"mismatches\"][2][\"reason\"] == \"not_member\" and d[\"errors\"] == []"'
cat >"$tmp/malformed.jsonl" <<'JSONL'
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read","expect":true}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read"}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:update","expect":true}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read","expect":"yes"}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read","expect":true,"reason":"no_such"}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read","expect":true,"reason":"not_member"}
{"tenant":"shop","user":"vic@example.com","permission":"tenant:read","expect":true
JSONL
run --db "$CDB" rbac test "$tmp/malformed.jsonl"
check "rbac test: a malformed line exits 2, the other lines still tested" eval 'rc_is 2 && out_has "malformed.jsonl:3: expected allowed, got denied (no_role_grants)" && [[ $(printf "%s\n" "$OUT" | tail -n 1) == "1 passed, 1 failed, 5 bad lines" ]]'
check "... each bad line named on stderr" eval 'err_has "malformed.jsonl:2: missing \"expect\"" && err_has "malformed.jsonl:4: \"expect\" must be true or false" && err_has "malformed.jsonl:5: \"reason\": unknown reason '"'"'no_such'"'"'" && err_has "malformed.jsonl:6: \"reason\" '"'"'not_member'"'"' denies, but \"expect\" is true" && err_has "malformed.jsonl:7: not JSON"'
STEP="saasctl rbac test - < pass.jsonl"
OUT=$("$SAASCTL" --db "$CDB" rbac test - <"$tmp/pass.jsonl" 2>"$tmp/err"); RC=$?; ERR=$(cat "$tmp/err")
check "rbac test - reads stdin" eval 'rc_is 0 && out_is "5 passed, 0 failed"'
STEP="saasctl rbac test - < fail.jsonl"
OUT=$("$SAASCTL" --db "$CDB" rbac test - <"$tmp/fail.jsonl" 2>"$tmp/err"); RC=$?; ERR=$(cat "$tmp/err")
check "... whose mismatches name <stdin>" eval 'rc_is 1 && out_has "<stdin>:2: expected allowed"'
run --db "$CDB" rbac test "$tmp/no-such.jsonl"
check "rbac test of a missing file" eval 'rc_is 1 && out_empty && err_has "cannot read"'
mkdir -p "$tmp/a-dir"
run --db "$CDB" rbac test "$tmp/a-dir"
check "rbac test of a file that cannot be read (a directory)" eval 'rc_is 1 && out_empty && err_has "a-dir: read error after line 0"'
run --db "$CDB" check --batch "$tmp/a-dir"
check "check --batch of a file that cannot be read" eval 'rc_is 1 && out_empty && err_has "read error"'
expect_usage "rbac test without FILE" --db "$CDB" rbac test
expect_usage "rbac test with two files" --db "$CDB" rbac test a b
run --db "$CDB" support grant --tenant shop --staff sam --role viewer
check "a support grant for sam" eval 'rc_is 0'
run --db "$CDB" check --tenant shop --staff sam --permission member:read
check "check --staff: allowed through the support grant" eval 'rc_is 0 && out_is allowed'
run --db "$CDB" --json check --tenant shop --staff sam --permission member:remove
check "check --staff: what the grant's role lacks" eval 'rc_is 1 && json_true "d[\"reason\"] == \"support_grant_lacks\" and d[\"role\"] == \"viewer\" and d[\"grant_id\"].startswith(\"sgr_\") and d[\"actor_type\"] == \"support\""'

# ---- support grants (docs/authz.md) ----
run --db "$CDB" check --tenant shop --user vic@example.com --permission member:remove
run --db "$CDB" --json audit list --tenant shop --action authz.denied
check "check records no denial in the audit log (a question, not an attempt)" eval 'rc_is 0 && json_true "len(d[\"items\"]) == 0"'
run --db "$CDB" --json support grant --tenant shop --role admin --hours 2
check "support grant to every staff, --json gives its id" eval 'rc_is 0 && json_true "d[\"id\"].startswith(\"sgr_\")"'
ALLSTAFF=$(json_eval 'd["id"]')
run --db "$CDB" support list --tenant shop
check "support list: newest first, * for every staff, active" eval 'rc_is 0 && out_lines 2 && out_matches "^$ALLSTAFF  \*  admin  2[0-9-]+T[0-9:.]+Z  active"'
run --db "$CDB" check --tenant shop --staff kim --permission member:remove
check "check --staff: another staff member through the grant to all" eval 'rc_is 0 && out_is allowed'
run --db "$CDB" support revoke --tenant shop --id "$ALLSTAFF"
check "support revoke" eval 'rc_is 0 && out_empty'
run --db "$CDB" check --tenant shop --staff kim --permission member:remove
check "... takes effect at once" eval 'rc_is 1 && out_is "denied (support_grant_missing)"'
run --db "$CDB" support list --tenant shop
check "... and shows as revoked" eval 'out_matches "^$ALLSTAFF  \*  admin  [^ ]+  revoked"'
run --db "$CDB" support revoke --tenant shop --id "$ALLSTAFF"
check "revoking twice is refused" eval 'rc_is 1 && err_has "SAAS_ENOTFOUND"'
run --db "$CDB" support grant --tenant shop --role nobody
check "support grant of an unknown role" eval 'rc_is 1 && err_has "role '"'"'nobody'"'"'" && err_has "SAAS_ENOTFOUND"'
run --db "$CDB" support grant --tenant shop --role viewer --hours 721
check "support grant longer than 30 days" eval 'rc_is 1 && err_has "expires_at"'
run --db "$CDB" --json audit list --tenant shop --action support.
check "support grants and revocations are audited" eval 'rc_is 0 && json_true "[e[\"action\"] for e in d[\"items\"]] == [\"support.granted\", \"support.granted\", \"support.revoked\"]"'
expect_usage "support grant without --role" --db "$CDB" support grant --tenant shop

# ---- totp (docs/auth.md "TOTP"): no database needed ----
NODB="sqlite:$tmp/no/such/dir/t.db"
RFC_SECRET=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
run --db "$NODB" totp code --secret "$RFC_SECRET" --time 59 --digits 8
check "totp code: RFC 6238 SHA1 at T=59, 8 digits" eval 'rc_is 0 && out_is 94287082 && err_empty'
check "totp code opens no database" eval '[[ ! -e "$tmp/no" ]]'
run totp code --secret "$RFC_SECRET" --time 59
check "totp code: 6 digits by default" eval 'rc_is 0 && out_is 287082'
run totp code --secret "gezd gnbv gy3t qojq gezd gnbv gy3t qojq" --time 1111111109 --digits 8
check "totp code: lower case and spaces in the secret" eval 'rc_is 0 && out_is 07081804'
run totp code --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA==== --time 1111111109 --digits 8 --algorithm sha256
check "totp code: RFC 6238 SHA256 (32-byte seed)" eval 'rc_is 0 && out_is 68084774'
run totp code --secret "$RFC_SECRET" --time 20000000000 --digits=8
check "totp code: a time after 2038" eval 'rc_is 0 && out_is 65353130'
run --json totp code --secret "$RFC_SECRET" --time 59
check "totp code --json" eval 'rc_is 0 && json_true "d == {\"code\": \"287082\", \"step\": 1}"'
run totp code --secret "$RFC_SECRET"
check "totp code: now by default" eval 'rc_is 0 && out_matches "^[0-9]{6}$"'
run totp code --secret GEZDGNBVGY3TQOJQ1EZDGNBVGY3TQOJQ --time 59
check "totp code: a bad secret names the position, not the secret" eval 'rc_is 1 && out_empty && err_has "character 17" && err_has "SAAS_EINVAL" && ! err_has GEZDG'
expect_usage "totp code without --secret" totp code --time 59
expect_usage "totp code --digits 7" totp code --secret "$RFC_SECRET" --digits 7
expect_usage "totp code --algorithm md5" totp code --secret "$RFC_SECRET" --algorithm md5
expect_usage "totp code --time -5" totp code --secret "$RFC_SECRET" --time -5
expect_usage "totp code --time 12x" totp code --secret "$RFC_SECRET" --time 12x
run --db "$NODB" totp secret
check "totp secret: 32 base32 characters (20 bytes)" eval 'rc_is 0 && out_matches "^[A-Z2-7]{32}$" && err_empty'
NEWSECRET=$OUT
run totp code --secret "$NEWSECRET" --time 59
check "totp secret: its code can be computed" eval 'rc_is 0 && out_matches "^[0-9]{6}$"'
run totp secret --bytes 16
check "totp secret --bytes 16: 26 characters, no padding" eval 'rc_is 0 && out_matches "^[A-Z2-7]{26}$"'
run totp secret --bytes 8
check "totp secret --bytes 8 is refused" eval 'rc_is 1 && err_has "nbytes" && err_has "SAAS_EINVAL"'
run totp secret --issuer "Acme & Co" --account "jane doe@example.com" --digits 8 --algorithm sha256
check "totp secret --issuer --account: the secret, then the otpauth URI" eval 'rc_is 0 && out_lines 2 && out_matches "^([A-Z2-7]{32})
otpauth://totp/Acme%20%26%20Co:jane%20doe%40example\.com\?secret=\1&issuer=Acme%20%26%20Co&algorithm=SHA256&digits=8&period=30$"'
run --json totp secret --account a:b
check "totp secret --json: secret and uri (no issuer)" eval 'rc_is 0 && json_true "d[\"uri\"] == \"otpauth://totp/a%3Ab?secret=\" + d[\"secret\"] + \"&algorithm=SHA1&digits=6&period=30\""'
expect_usage "totp secret --issuer without --account" totp secret --issuer Acme

printf '%d passed, %d failed\n' "$pass" "$fail"
[[ $fail -eq 0 ]]
