/* The embedded schema migrations (generated from the NNNN_name.sql files beside this header). */
#ifndef SAAS_MIGRATIONS_H
#define SAAS_MIGRATIONS_H

#include <stddef.h>

struct saas__migration {
	int version;
	const char *name;
	const char *sql;          /* both dialects, or NULL */
	const char *sql_sqlite;   /* SQLite only, run after sql, or NULL */
	const char *sql_postgres; /* PostgreSQL only, run after sql, or NULL */
};

extern const struct saas__migration saas__migrations[];
extern const int saas__migration_count;

#endif
