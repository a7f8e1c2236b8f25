-- SQLite only: the tenants whose memberships, roles, grants or status
-- changed, in commit order (SQLite has one writer at a time), so that the
-- decision caches of other processes drop just those tenants (docs/authz.md).
-- Each writer prunes all but the newest 10,000 rows.
CREATE TABLE authz_changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    changed   TEXT NOT NULL -- the tenant's id (not a tenant row: purges leave it)
);
