#!/usr/bin/env bash
# Interoperability of libsaas's webhook signatures with the providers' own
# Node libraries (webhook_interop.js): installs stripe, standardwebhooks and
# @octokit/webhooks-methods with npm into a temporary folder, runs the
# script against saasctl, and removes the folder.
#
#   bash tests/interop/webhook_interop.sh PATH/TO/saasctl
#
# Exits 77 (skipped) when node or npm is missing, or when the npm registry
# cannot be reached from this machine at all (`npm ping` fails: no network,
# or a TLS-intercepting proxy whose certificate this machine does not
# trust); a failed npm install from a registry that answers fails the test.
set -u

SAASCTL=${1:?usage: webhook_interop.sh PATH/TO/saasctl}
[[ $SAASCTL == /* ]] || SAASCTL=$PWD/$SAASCTL
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The major versions the script is written against; each supports Node 18
# (Debian 12's nodejs).
PACKAGES=(stripe@17 standardwebhooks@1 @octokit/webhooks-methods@5)

skip() {
	printf '\n*** SKIPPED: %s: the webhook interop test did not run ***\n' "$1" >&2
	printf '*** %s ***\n\n' "$2" >&2
	exit 77
}
NODE=$(command -v node || command -v nodejs) ||
	skip "node is not installed" "install it (scripts/deps.sh: nodejs npm) to run it"
NPM=$(command -v npm) || skip "npm is not installed" "install it (scripts/deps.sh: nodejs npm) to run it"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/webhook-interop.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# npm's cache in the home folder when it can write there, else in the temporary folder.
if [[ -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ]]; then
	export npm_config_cache=$tmp/npm-cache
fi

echo "# node $("$NODE" --version), npm $("$NPM" --version)"
if ! npm_config_fetch_retries=0 timeout 90 "$NPM" ping >"$tmp/ping.log" 2>&1; then
	why=$(grep -v '^npm ERR! *$' "$tmp/ping.log" | grep -m1 -i -E 'error|ERR!' || tail -n 1 "$tmp/ping.log")
	skip "the npm registry is unreachable from here (npm ping: ${why:-timed out})" \
		"run it where the registry answers (CI does)"
fi
echo "# npm install ${PACKAGES[*]} into $tmp"
if ! "$NPM" install --no-audit --no-fund --silent --prefix "$tmp" "${PACKAGES[@]}" \
	>"$tmp/npm.log" 2>&1; then
	cat "$tmp/npm.log" >&2
	echo "FAIL: npm install ${PACKAGES[*]} failed (is the registry reachable?)" >&2
	exit 1
fi

"$NODE" "$HERE/webhook_interop.js" "$SAASCTL" "$tmp/node_modules"
