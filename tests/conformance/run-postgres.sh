#!/usr/bin/env bash
# Run a test program on PostgreSQL: tests/meson.build's conformance-postgres
# and postgres tests.
#
#   run-postgres.sh SAASCTL PROGRAM [ARGS...]
#
# Needs SAAS_TEST_POSTGRES_URL (the application role) and
# SAAS_TEST_POSTGRES_OWNER_URL (the owner: migrations, and emptying the
# database between tests); scripts/pg-test-server.sh start prints both. Without
# them the test is SKIPPED (exit 77) and says so loudly. The schema is migrated
# as the owner, then PROGRAM runs with the application's URL as its last
# argument.
set -euo pipefail

if [ -z "${SAAS_TEST_POSTGRES_URL:-}" ]; then
	echo "*** SAAS_TEST_POSTGRES_URL is not set: PostgreSQL suites SKIPPED ***" >&2
	echo "*** start a server with: eval \"\$(scripts/pg-test-server.sh start)\" ***" >&2
	exit 77
fi
if [ -z "${SAAS_TEST_POSTGRES_OWNER_URL:-}" ]; then
	echo "run-postgres: SAAS_TEST_POSTGRES_URL is set but SAAS_TEST_POSTGRES_OWNER_URL is not:" \
		"the suites need the owner's URL to migrate and empty the database" >&2
	exit 1
fi
saasctl=$1
shift
"$saasctl" --db "$SAAS_TEST_POSTGRES_OWNER_URL" migrate >/dev/null
exec "$@" "$SAAS_TEST_POSTGRES_URL"
