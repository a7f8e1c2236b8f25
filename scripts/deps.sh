#!/usr/bin/env bash
# Install the Debian packages libsaas needs to build and test (Debian 12).
# Idempotent: does nothing when every package is already installed.
# Runs as root, or through sudo for any other user.
set -euo pipefail

packages=(
	build-essential pkg-config meson ninja-build python3
	libjansson-dev libsodium-dev libpcre2-dev libsqlite3-dev libssl-dev
	check valgrind
	libpq-dev postgresql # the PostgreSQL backend, and a server for its tests
	libcurl4-openssl-dev # the Stripe adapter's API calls
	libmicrohttpd-dev # the fake Stripe server of the tests
	nodejs npm # the interop tests with the providers' own libraries
)

# The names the installed packages also provide: NodeSource's nodejs, say,
# provides (and conflicts with) npm, which must then not be installed.
provided=" $(dpkg-query -W -f='${db:Status-Status} ${Provides}\n' 2>/dev/null |
	awk '$1 == "installed" { $1 = ""; print }' | tr ',' '\n' | sed 's/(.*)//; s/:any//' |
	tr -d ' ' | tr '\n' ' ' || true) "
missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || [[ $provided == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages already installed"
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: not root and sudo is not installed" >&2; exit 1; }
	sudo=(sudo)
fi
echo "deps: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
