#!/usr/bin/env bash
# Install what libsaas needs, build it, and run the quickstart example
# (examples/quickstart): the first command of the README's Quick start.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
if [ -f build/meson-private/coredata.dat ]; then
	meson setup --reconfigure build
else
	meson setup build
fi
meson compile -C build
echo
echo "== build/examples/quickstart/quickstart"
exec ./build/examples/quickstart/quickstart
