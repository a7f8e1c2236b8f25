#!/usr/bin/env bash
# Install the build into a staging folder and build a program against it the
# way a user would: pkg-config --cflags --libs libsaas (shared), then
# pkg-config --static (static). Run as a meson test: $1 is the build root.
set -euo pipefail
build=$1
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

meson install -C "$build" --destdir "$stage" --quiet >/dev/null
pcfile=$(find "$stage" -name libsaas.pc | head -n 1)
[ -n "$pcfile" ] || { echo "FAIL: libsaas.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pcfile")
export PKG_CONFIG_SYSROOT_DIR=$stage
for f in saas.h saas/common.h saas/version.h saas/tenant.h saas/identity.h; do
	find "$stage" -path "*/include/$f" | grep -q . || { echo "FAIL: header $f not installed"; exit 1; }
done
find "$stage" -name saasctl -type f -perm -u+x | grep -q . || { echo "FAIL: saasctl not installed"; exit 1; }

cat >"$stage/user.c" <<'C'
#include <stdio.h>
#include <saas.h>
int main(void)
{
	saas_ctx *ctx;
	saas_scope *scope;
	saas_tenant *t;
	if (saas_ctx_open(&ctx, "memory:", NULL) || saas_scope_new(&scope, NULL, SAAS_ACTOR_SYSTEM, "install-test") ||
	    saas_tenant_create(&t, ctx, scope, "acme", "Acme")) {
		fprintf(stderr, "%s\n", saas_error_message(saas_error_last()));
		return 1;
	}
	printf("%s %s\n", saas_version(), saas_tenant_slug(t));
	saas_tenant_free(t);
	saas_scope_free(scope);
	saas_ctx_free(ctx);
	return 0;
}
C
libdir=$(dirname "$(find "$stage" -name 'libsaas.so' | head -n 1)")
cc -Wall -Werror -o "$stage/user-shared" "$stage/user.c" $(pkg-config --cflags --libs libsaas)
out=$(LD_LIBRARY_PATH=$libdir "$stage/user-shared")
[ "$out" = "$(pkg-config --modversion libsaas) acme" ] || { echo "FAIL: shared program printed '$out'"; exit 1; }
# The PostgreSQL extension header: installed only in a build with PostgreSQL,
# never pulled in by saas.h, and usable with libpq's own flags (taken without
# the sysroot: libpq is the system's, not the staging folder's).
pg_header=$(find "$stage" -path '*/include/saas/postgres.h' | head -n 1)
if pkg-config --print-requires-private libsaas | grep -q '^libpq'; then
	[ -n "$pg_header" ] || { echo "FAIL: saas/postgres.h not installed"; exit 1; }
	cat >"$stage/pg.c" <<'C'
#include <saas.h>
#include <saas/postgres.h>
static int cb(PGconn *conn, void *payload)
{
	(void)payload;
	return PQstatus(conn) == CONNECTION_OK ? 0 : 1;
}
int main(void)
{
	saas_ctx *ctx;
	int rc;
	if (saas_ctx_open(&ctx, "memory:", NULL))
		return 1;
	rc = saas_pg_with_tenant(ctx, NULL, cb, NULL); /* refused: not PostgreSQL */
	saas_ctx_free(ctx);
	return rc == SAAS_EINVAL ? 0 : 1;
}
C
	cc -Wall -Werror -o "$stage/pg-shared" "$stage/pg.c" $(pkg-config --cflags --libs libsaas) \
		$(PKG_CONFIG_SYSROOT_DIR= pkg-config --cflags --libs libpq)
	LD_LIBRARY_PATH=$libdir "$stage/pg-shared" || { echo "FAIL: the saas/postgres.h program failed"; exit 1; }
elif [ -n "$pg_header" ]; then
	echo "FAIL: saas/postgres.h installed by a build without PostgreSQL"
	exit 1
fi
# Debian's libpq.pc names static libraries (-lpgcommon, -lpgport) that Debian
# does not ship, so a static link is checked only for builds without PostgreSQL.
if pkg-config --print-requires-private libsaas | grep -q '^libpq'; then
	echo "OK: installed headers, libsaas.pc, saasctl; a program builds and runs against the shared library"
	echo "(static link not checked: this build uses libpq, which Debian ships without its static dependencies)"
	exit 0
fi
cc -Wall -Werror -o "$stage/user-static" "$stage/user.c" $(pkg-config --cflags libsaas) \
	"$libdir/libsaas.a" $(pkg-config --static --libs-only-l --libs-only-other libsaas | sed 's/-lsaas//')
out=$("$stage/user-static")
[ "$out" = "$(pkg-config --modversion libsaas) acme" ] || { echo "FAIL: static program printed '$out'"; exit 1; }
echo "OK: installed headers, libsaas.pc, saasctl; a program builds and runs against the shared and the static library"
