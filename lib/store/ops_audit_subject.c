/* Typed operations on audit_subject_keys (global): the per-subject keys that
 * encrypt personal data in audit events (lib/audit/personal.c). */
#include <stdlib.h>

#include "store.h"

static saas_query q_get = SAAS_QUERY(
	"SELECT key_id, key FROM audit_subject_keys WHERE subject_id = $1");
static saas_query q_add = SAAS_QUERY(
	"INSERT INTO audit_subject_keys (subject_id, key_id, key, created_at) VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (subject_id) DO NOTHING");
static saas_query q_delete = SAAS_QUERY(
	"DELETE FROM audit_subject_keys WHERE subject_id = $1");

int saas__st_subject_key_get(char **out_key_id, char **out_key, saas_tx *tx,
                             const char *subject_id)
{
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, &q_get, "s", subject_id);

	*out_key_id = *out_key = NULL;
	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1) {
		const char *id = saas__q_text(st, 0), *k = saas__q_text(st, 1);
		*out_key_id = saas__strdup(id ? id : "");
		*out_key = saas__strdup(k ? k : "");
		if (!*out_key_id || !*out_key) {
			free(*out_key_id);
			free(*out_key);
			*out_key_id = *out_key = NULL;
			rc = saas__enomem();
		}
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_subject_key_add(saas_tx *tx, const char *subject_id, const char *key_id,
                             const char *key, int64_t created_at)
{
	return saas__q_exec(tx, &q_add, NULL, "sssi", subject_id, key_id, key, created_at);
}

int saas__st_subject_key_delete(bool *out_deleted, saas_tx *tx, const char *subject_id)
{
	int64_t n = 0;
	int rc = saas__q_exec(tx, &q_delete, &n, "s", subject_id);

	*out_deleted = !rc && n > 0;
	return rc;
}
