#!/usr/bin/env bash
# Integration test of saasctl's billing verbs (docs/billing.md, "saasctl"):
# billing plans load|list, status, event, change-plan, tick, stripe-event,
# stripe-reconcile, link-customer; usage record|show; entitlement
# check|summary|override. Each step checks the exit status and what is
# printed on stdout and stderr.
#
#   bash tests/cli/test_saasctl_billing.sh PATH/TO/saasctl
#
# Ends with "N passed, M failed" and exits non-zero if anything failed.
set -u

SAASCTL=${1:?usage: test_saasctl_billing.sh PATH/TO/saasctl}
[[ $SAASCTL == /* ]] || SAASCTL=$PWD/$SAASCTL
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIXTURES=$HERE/../fixtures/stripe

tmp=$(mktemp -d "${TMPDIR:-/tmp}/saasctl-billing.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export SAAS_DB="sqlite:$tmp/t.db"
unset SAAS_LOG STRIPE_SECRET_KEY 2>/dev/null || true

# sc, expect, holds, jq_py
. "$HERE/harness.sh"

cat >plans.json <<'JSON'
{
  "features": {
    "sso": {"kind": "boolean"},
    "seats": {"kind": "limit"},
    "api_calls": {"kind": "metered", "period": "month", "enforcement": "hard"},
    "support": {"kind": "config"}
  },
  "plans": [
    {"id": "free", "name": "Free", "rank": 0,
     "features": {"seats": 2, "api_calls": 10, "support": "community"}},
    {"id": "pro", "name": "Pro", "rank": 10, "trial_days": 14,
     "prices": {"stripe": ["price_pro_monthly"]},
     "features": {"sso": true, "seats": 10, "api_calls": 1000, "support": {"tier": "email"}}},
    {"id": "team", "name": "Team", "rank": 20, "prices": {"stripe": ["price_team_monthly"]},
     "features": {"sso": true, "seats": 50, "api_calls": 10000}}
  ],
  "default_plan": "free",
  "permission_features": {"sso:*": "sso"}
}
JSON

# ---- the catalogue -------------------------------------------------------------------

sc billing plans load plans.json
expect "plans load stores version 1" 0 '^catalogue version 1$' ''
sc billing plans load - <plans.json
expect "the same document again is the same version" 0 '^catalogue version 1$' ''
sc billing plans list
expect "plans list prints the plans" 0 'catalogue version 1.*free	Free	rank 0.*pro	Pro	rank 10	trial 14 days' ''
sc --json billing plans list
expect "plans list --json" 0 '"version":1' ''
sc billing plans load /dev/null
expect "a bad document is refused" 1 '' 'SAAS_EINVAL'
echo '{"features":{},"plans":[{"id":"x","name":"X","features":{"nope":1}}]}' >bad.json
sc billing plans load bad.json
expect "the error names the plan and the feature" 1 '' 'plan "x": feature "nope" is not declared.*SAAS_EINVAL'
sc billing plans load
expect "plans needs load FILE or list" 2 '' "give 'load FILE' or 'list'"
sc billing plans list --catalog-version 7
expect "an unknown version" 1 '' 'SAAS_ENOTFOUND'

# ---- a tenant's subscription ----------------------------------------------------------

sc tenant create --slug acme --name Acme
expect "tenant create" 0 '^ten_' ''
TEN=$STDOUT
sc billing status --tenant acme
expect "no subscription: the default plan" 0 '^no subscription.*access full.*plan free \(default\)' ''
sc entitlement check --tenant acme --feature sso
expect "the free plan lacks sso: exit 1" 1 'refused \(not_in_plan\)' "plan 'free' does not include feature 'sso'"
sc entitlement check --tenant acme --feature seats --amount 2
expect "two seats fit" 0 '^allowed' ''
sc entitlement check --tenant acme --feature nope
expect "an unknown feature: exit 2" 2 '' 'SAAS_ENOTFOUND'
sc billing event --tenant acme trial_started --plan pro --payment-method yes
expect "trial_started" 0 'state trialing.*access full.*plan pro' ''
sc entitlement check --tenant acme --feature sso
expect "the trial has sso" 0 '^allowed \(allowed\): boolean true' ''
sc billing event --tenant acme resume
expect "a refused event names state and event" 1 '' 'resume is not allowed in state trialing.*SAAS_ESTATE'
sc billing event --tenant acme flying
expect "an unknown event" 2 '' "unknown event 'flying'"
sc billing event --tenant acme cancel_at_period_end
expect "cancel at period end" 0 'pending cancellation' ''
sc billing event --tenant acme uncancel
expect "uncancel" 0 'state trialing' ''
sc billing change-plan --tenant acme --plan team --when now
expect "change-plan now" 0 'plan team' ''
sc billing change-plan --tenant acme --plan free --when period_end
expect "change-plan at the period's end" 0 'pending plan change to free' ''
sc billing tick --tenant acme
expect "tick: nothing due yet" 0 '^0 events applied$' ''
sc --json billing status --tenant acme
expect "status --json" 0 '"state":"trialing"' ''
[[ $(jq_py 'd["pending_plan"]') == free ]]
holds "the JSON names the pending plan"

# ---- usage and overrides ---------------------------------------------------------------

sc usage record --tenant acme --feature api_calls --quantity 9000 --key k1
expect "usage record" 0 '^allowed .*used 9000' ''
sc usage record --tenant acme --feature api_calls --quantity 9000 --key k1
expect "the same key records once" 0 'used 9000' ''
sc usage record --tenant acme --feature api_calls --quantity 5 --key k1
expect "the same key with another quantity conflicts" 1 '' 'SAAS_ECONFLICT'
sc usage record --tenant acme --feature api_calls --quantity 1001 --key k2
expect "a hard limit refuses: exit 1" 1 'refused \(limit\)' '9000 used \+ 1001 requested passes the limit of 10000'
sc usage show --tenant acme
expect "usage show" 0 'api_calls	metered	10000	allowed	used 9000' ''
sc entitlement override --tenant acme --feature seats --value 3 --reason pilot
expect "override set" 0 '' ''
sc entitlement summary --tenant acme
expect "the summary shows the override" 0 'seats	limit	3	allowed	used 0.*\(override\)' ''
sc entitlement override --tenant acme --feature seats --value '"lots"'
expect "a bad override value" 1 '' 'SAAS_EINVAL'
sc entitlement override --tenant acme --feature seats --remove
expect "override removed" 0 '' ''
sc entitlement override --tenant acme --feature seats --remove
expect "nothing to remove" 1 '' 'SAAS_ENOTFOUND'
sc entitlement override --tenant acme --feature seats
expect "override wants --value or --remove" 2 '' 'exactly one of --value and --remove'

# ---- the audit trail -------------------------------------------------------------------

sc audit list --tenant acme
expect "audit list" 0 'subscription.trial_started.*subscription.plan_change_now.*entitlement.limit_refused.*entitlement.override_set' ''

# ---- Stripe ----------------------------------------------------------------------------

sc tenant create --slug beta --name Beta
expect "tenant beta" 0 '^ten_' ''
BETA=$STDOUT
for f in "$FIXTURES"/lifecycle/*.json; do
	sed "s/TENANT_ID/$BETA/g" "$f" >"$(basename "$f")"
done
sc billing stripe-event --file 02-customer.subscription.created.json
expect "a Stripe event applies" 0 '^applied$' ''
sc billing stripe-event --file 02-customer.subscription.created.json
expect "again: duplicate" 0 '^duplicate$' ''
sc billing stripe-event --file 09-customer.subscription.updated.json
expect "a later snapshot" 0 '^applied$' ''
sc billing stripe-event --file 07-customer.subscription.updated.json
expect "an older snapshot is stale" 0 '^stale$' ''
sc --json billing stripe-event --file - <"$FIXTURES/customer-created.json"
expect "an unknown type is ignored" 0 '^\{"outcome":"ignored"\}$' ''
sc billing stripe-event --file "$FIXTURES/malformed/truncated.json"
expect "a malformed body changes nothing" 1 '' 'SAAS_EINVAL'
sc billing status --tenant beta
expect "status shows Stripe's subscription" 0 'state active.*plan pro.*provider stripe sub_1SkR4vLkdIwHu7ixQ2pZt8Mn \(active\)' ''
sc billing link-customer --tenant acme --customer cus_TfQ8m2LkR4vWx9
expect "a customer of another tenant" 1 '' 'SAAS_ECONFLICT'
sc billing link-customer --tenant acme --customer cus_acme1
expect "link-customer" 0 '' ''
sc billing stripe-reconcile --tenant beta
expect "reconcile needs a key" 1 '' 'api_key|Stripe API key'
STRIPE_SECRET_KEY=sk_test_x sc billing stripe-reconcile --tenant beta --api-base http://127.0.0.1:9
expect "reconcile: Stripe unreachable" 1 '' 'unreachable.*SAAS_ESTORE'
[[ $STDERR != *sk_test_x* ]]
holds "the key never reaches the output"
sc billing stripe-event --file x.json --api-key-env NO_SUCH_VAR
expect "a named key variable must be set" 1 '' 'NO_SUCH_VAR is not set'

sc --help
[[ $STDOUT == *"usage"* && $STDOUT == *"entitlement"* ]]
holds "--help lists usage and entitlement"

printf '%d passed, %d failed\n' "$npass" "$nfail"
((nfail == 0))
