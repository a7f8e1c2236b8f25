/* Shared by the PostgreSQL driver and the extension's typed operations. */
#ifndef SAAS_PG_INTERNAL_H
#define SAAS_PG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Copy a server message into buf[size], new lines folded into "; ", trailing
 * space cut ("unknown error" for an empty one). */
void saas__pg_fold_message(char *buf, size_t size, const char *msg);
/* SQLSTATE classes meaning the connection is gone (08…, 57P01..03). */
bool saas__pg_is_connection_error(const char *state);

#endif
