#!/usr/bin/env bash
# A throwaway PostgreSQL server for the PostgreSQL test suites.
#
#   eval "$(scripts/pg-test-server.sh start)"   # start; exports the URLs
#   meson test -C build --print-errorlogs       # conformance-postgres, postgres run
#   scripts/pg-test-server.sh url                # print the exports again
#   scripts/pg-test-server.sh restart            # pg_ctl restart -m fast (same data)
#   scripts/pg-test-server.sh stop               # stop it and delete its files
#
# The server listens on a Unix socket only, in a fresh temporary directory,
# with fsync off (test data only). It has a database `saas` and two roles:
#   saas_owner  owns the database and its schema; migrations run as it; with
#               CREATEROLE, so the extension tests can create and drop roles;
#   saas_app    the application: NOSUPERUSER NOBYPASSRLS, not an owner, with
#               SELECT/INSERT/UPDATE/DELETE on the tables (also on tables
#               saas_owner creates later), so row-level security applies to it.
# `start` prints
#   export SAAS_TEST_POSTGRES_URL=postgresql:///saas?host=DIR&user=saas_app
#   export SAAS_TEST_POSTGRES_OWNER_URL=postgresql:///saas?host=DIR&user=saas_owner
#   export SAAS_TEST_POSTGRES_RESTART='PG_TEST_STATE=STATE /path/to/pg-test-server.sh restart'
# (the last one is the command the restart test runs in the middle of its writes).
# Authentication is `trust` (the socket directory is the only way in), except
# for a role `saas_pw` (password 'saas-test-password', no privileges) that the
# tests use to check how a wrong password is reported, and a role `saas_bypass`
# (NOLOGIN BYPASSRLS, which only a superuser can create) that
# saas_pg_grant_app_role must refuse.
#
# Needs PostgreSQL's server binaries (Debian/Ubuntu: apt-get install postgresql);
# PG_BINDIR overrides where they are looked for. When run as root the server
# runs as the `postgres` user (initdb refuses root). The state (the directory)
# is kept in $PG_TEST_STATE (default: /tmp/libsaas-pg-test.state).
set -euo pipefail

STATE=${PG_TEST_STATE:-/tmp/libsaas-pg-test.state}
case "$STATE" in /*) ;; *) STATE=$PWD/$STATE ;; esac
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

die() {
	echo "pg-test-server: $*" >&2
	exit 1
}

find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] || die "PG_BINDIR=$PG_BINDIR has no initdb"
		echo "$PG_BINDIR"
		return
	fi
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; }
	done | sort -V | tail -n 1 | grep . && return
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir)
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	fi
	if command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return
	fi
	die "PostgreSQL server binaries (initdb, pg_ctl) not found: install them" \
		"(Debian/Ubuntu: apt-get install postgresql) or set PG_BINDIR"
}

# Run a command as the server's user: postgres when we are root, else ourselves.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

urls() {
	local dir=$1
	echo "export SAAS_TEST_POSTGRES_URL='postgresql:///saas?host=$dir&user=saas_app'"
	echo "export SAAS_TEST_POSTGRES_OWNER_URL='postgresql:///saas?host=$dir&user=saas_owner'"
	echo "export SAAS_TEST_POSTGRES_RESTART=$(printf '%q' "$(printf 'PG_TEST_STATE=%q %q restart' "$STATE" "$SELF")")"
}

cmd_start() {
	local bin dir
	if [ -f "$STATE" ]; then
		dir=$(cat "$STATE")
		if [ -d "$dir/data" ] && as_pg "$(find_bindir)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
			echo "pg-test-server: already running in $dir" >&2
			urls "$dir"
			return
		fi
		rm -f "$STATE"
	fi
	bin=$(find_bindir)
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the server"
	fi
	dir=$(mktemp -d /tmp/libsaas-pg.XXXXXX)
	echo "$dir" >"$STATE"
	chmod 755 "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
	fi
	as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed (see above)"; }
	# One role authenticates with a password, so the tests can try a wrong one.
	as_pg sed -i '1i local all saas_pw scram-sha-256' "$dir/data/pg_hba.conf"
	# In the configuration file rather than on the command line, so that a
	# plain `pg_ctl -D DIR/data start` (a restart test, say) keeps them.
	as_pg tee -a "$dir/data/postgresql.conf" >/dev/null <<-EOF
		unix_socket_directories = '$dir'
		listen_addresses = ''
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 100
	EOF
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null ||
		{ cat "$dir/log" >&2; die "the server did not start (log above)"; }

	local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres)
	as_pg "${psql[@]}" -d postgres <<-'SQL' >/dev/null
		CREATE ROLE saas_owner LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE;
		CREATE ROLE saas_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
		CREATE ROLE saas_pw LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'saas-test-password';
		CREATE ROLE saas_bypass NOLOGIN NOSUPERUSER BYPASSRLS;
		CREATE DATABASE saas OWNER saas_owner ENCODING 'UTF8' TEMPLATE template0;
	SQL
	as_pg "${psql[@]}" -d saas <<-'SQL' >/dev/null
		ALTER SCHEMA public OWNER TO saas_owner;
		REVOKE CREATE ON SCHEMA public FROM PUBLIC;
		GRANT USAGE ON SCHEMA public TO saas_app;
		GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO saas_app;
		ALTER DEFAULT PRIVILEGES FOR ROLE saas_owner IN SCHEMA public
		    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO saas_app;
		ALTER DEFAULT PRIVILEGES FOR ROLE saas_owner IN SCHEMA public
		    GRANT USAGE, SELECT ON SEQUENCES TO saas_app;
	SQL
	echo "pg-test-server: PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') running in $dir" >&2
	urls "$dir"
}

cmd_stop() {
	[ -f "$STATE" ] || { echo "pg-test-server: not running" >&2; return 0; }
	local dir
	dir=$(cat "$STATE")
	case "$dir" in
	/tmp/libsaas-pg.*) ;;
	*) die "state file $STATE names '$dir', which this script did not create" ;;
	esac
	if [ -d "$dir/data" ]; then
		as_pg "$(find_bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	rm -f "$STATE"
	echo "pg-test-server: stopped and removed $dir" >&2
}

# Restart the server (fast shutdown: open connections are terminated), keeping
# its data and settings; waits until it accepts connections again.
cmd_restart() {
	[ -f "$STATE" ] || die "not running (start it with: $0 start)"
	local dir
	dir=$(cat "$STATE")
	[ -d "$dir/data" ] || die "state file $STATE names '$dir', which has no data directory"
	as_pg "$(find_bindir)/pg_ctl" -D "$dir/data" -l "$dir/log" -m fast -w -t 60 restart >/dev/null ||
		{ tail -n 20 "$dir/log" >&2; die "the server did not restart (log above)"; }
}

cmd_url() {
	[ -f "$STATE" ] || die "not running (start it with: $0 start)"
	urls "$(cat "$STATE")"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
url) cmd_url ;;
restart) cmd_restart ;;
*)
	echo "usage: $0 start|stop|restart|url" >&2
	exit 2
	;;
esac
