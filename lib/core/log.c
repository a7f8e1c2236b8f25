/* JSON-lines logging through the context's callback. */
#include <stdio.h>
#include <stdlib.h>

#include "core.h"

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void saas__log(saas_ctx *ctx, int level, const char *msg, json_t *fields)
{
	json_t *obj;
	char *line;

	if (!ctx || !ctx->opts.log || level < ctx->opts.log_level || level < 0 || level > 3) {
		json_decref(fields);
		return;
	}
	obj = json_is_object(fields) ? fields : json_object();
	if (!json_is_object(fields))
		json_decref(fields);
	if (!obj)
		return;
	json_object_set_new(obj, "level", json_string(level_names[level]));
	json_object_set_new(obj, "time", saas__json_time(saas__now(ctx)));
	json_object_set_new(obj, "msg", json_string(msg));
	line = saas__json_take_dump(obj);
	if (line) {
		ctx->opts.log(level, line, ctx->opts.log_payload);
		free(line);
	}
}

void saas_log_stderr(int level, const char *line, void *payload)
{
	(void)level;
	(void)payload;
	fprintf(stderr, "%s\n", line);
}
