#!/usr/bin/env bash
# Install what libsaas needs, then build it twice and run every test in each:
#   build-ci    warnings are errors
#   build-asan  the same, under AddressSanitizer and UndefinedBehaviorSanitizer
# and, in build-ci, the Check suites once more under valgrind.
# The second command of the README's Quick start; .ci/run calls it.
# The PostgreSQL suites run on a throwaway server (scripts/pg-test-server.sh)
# started here, unless SAAS_TEST_POSTGRES_URL already names one.
# The last line printed is "N passed, N failed" over both runs; the exit
# status is non-zero if anything failed (a build step that fails counts as one
# failure).
set -euo pipefail
cd "$(dirname "$0")/.."

builds=(build-ci build-asan)
step_failures=0
pg_state=

summary() {
	local rc=$?
	if [ -n "$pg_state" ]; then
		PG_TEST_STATE=$pg_state ./scripts/pg-test-server.sh stop 2>/dev/null || true
	fi
	python3 - "$step_failures" "${builds[@]}" <<'PY'
import json, os, sys
failures, dirs = int(sys.argv[1]), sys.argv[2:]
passed = failed = skipped = 0
import glob
# testlog.json, and valgrind-valgrind.json (meson adds the wrapper's name)
logs = [p for d in dirs for p in sorted(glob.glob(os.path.join(d, 'meson-logs', '*.json')))]
for path in logs:
    if not os.path.exists(path):
        continue
    with open(path, encoding='utf-8') as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line).get('result')
            if r in ('OK', 'EXPECTEDFAIL'):
                passed += 1
            elif r == 'SKIP':
                skipped += 1
            else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, ...
                failed += 1
if skipped:
    print('%d skipped' % skipped)
print('%d passed, %d failed' % (passed, failed + failures))
PY
	exit "$rc"
}

# setup_and_test DIR [meson setup options...]: returns 2 if the build fails,
# 1 if a test fails.
setup_and_test() {
	local dir=$1
	shift
	echo "== $dir: configure and build"
	if ! meson setup "$dir" -Dwerror=true "$@" || ! meson compile -C "$dir"; then
		step_failures=$((step_failures + 1))
		return 2
	fi
	echo "== $dir: test"
	meson test -C "$dir" --print-errorlogs || return 1
}

./scripts/deps.sh
rm -rf "${builds[@]}" # fresh build dirs: no stale options or test logs
trap summary EXIT

if [ -z "${SAAS_TEST_POSTGRES_URL:-}" ] && [ -x scripts/pg-test-server.sh ]; then
	pg_state=$(mktemp -u /tmp/libsaas-pg-test-ci.XXXXXX.state)
	if ! pg_env=$(PG_TEST_STATE=$pg_state ./scripts/pg-test-server.sh start); then
		step_failures=$((step_failures + 1))
		exit 1
	fi
	eval "$pg_env"
fi

status=0
setup_and_test build-ci || status=$?
[ "$status" -eq 2 ] && exit 1
# The Check suites once more under valgrind (memcheck, leaks included), in
# the same build; logged under meson-logs/valgrind-*. CK_FORK=no keeps each
# suite in one process so that valgrind sees every test. (meson names the
# log after the wrapper too: valgrind-valgrind.json.)
echo "== build-ci: unit and conformance suites under valgrind"
CK_FORK=no meson test -C build-ci --suite unit --suite conformance --logbase valgrind \
	--print-errorlogs --timeout-multiplier 5 \
	--wrapper 'valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --trace-children=yes --trace-children-skip=/usr/*,/bin/*' ||
	status=1
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	setup_and_test build-asan -Db_sanitize=address,undefined -Db_lundef=false || status=$?
[ "$status" -eq 0 ] || exit 1
