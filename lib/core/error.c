/* Error codes, names and the thread-local last-error record. */
#include <stdio.h>
#include <string.h>

#include "core.h"

struct saas_error {
	int code;
	char field[96];
	char message[512];
};

static _Thread_local struct saas_error tls_error;
static _Thread_local int tls_error_set;

static const struct {
	const char *name;
	const char *text;
} codes[] = {
	{"SAAS_OK", "success"},
	{"SAAS_EINVAL", "invalid argument"},
	{"SAAS_ENOTFOUND", "not found"},
	{"SAAS_EEXISTS", "already exists"},
	{"SAAS_ECONFLICT", "conflicting concurrent change"},
	{"SAAS_EDENIED", "permission denied"},
	{"SAAS_ESUSPENDED", "tenant is suspended"},
	{"SAAS_ESTATE", "transition not allowed in the current state"},
	{"SAAS_ELIMIT", "limit exceeded"},
	{"SAAS_ERATELIMIT", "rate limited"},
	{"SAAS_EEXPIRED", "expired"},
	{"SAAS_ESIGNATURE", "signature verification failed"},
	{"SAAS_ESTORE", "storage failure"},
	{"SAAS_ENOMEM", "out of memory"},
	{"SAAS_EUSER", "stopped by a callback"},
	{"SAAS_EINTERNAL", "internal error"},
	{"SAAS_EDELETED", "tenant is scheduled for deletion"},
	{"SAAS_EUSED", "already used"},
	{"SAAS_EMFA", "second factor required"},
};

_Static_assert(sizeof(codes) / sizeof(codes[0]) == (size_t)(-SAAS_CODE_MIN) + 1,
               "every code has a name");

const char *saas_code_name(int code)
{
	if (code > 0 || code < SAAS_CODE_MIN)
		return "SAAS_E?";
	return codes[-code].name;
}

const char *saas_strerror(int code)
{
	if (code > 0 || code < SAAS_CODE_MIN)
		return "unknown error";
	return codes[-code].text;
}

int saas__err(int code, const char *field, const char *fmt, ...)
{
	char message[sizeof tls_error.message], fieldbuf[sizeof tls_error.field] = "";
	va_list ap;

	/* Format first: the arguments may point into the current record (a
	 * message that wraps the previous one). */
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (field)
		snprintf(fieldbuf, sizeof fieldbuf, "%s", field);
	tls_error.code = code;
	memcpy(tls_error.message, message, sizeof message);
	memcpy(tls_error.field, fieldbuf, sizeof fieldbuf);
	tls_error_set = 1;
	return code;
}

int saas__err_text(int code, const char *field, const char *text)
{
	size_t n = strlen(text), f = field ? strlen(field) : 0;

	if (n >= sizeof tls_error.message)
		n = sizeof tls_error.message - 1;
	if (f >= sizeof tls_error.field)
		f = sizeof tls_error.field - 1;
	if (text != tls_error.message)
		memmove(tls_error.message, text, n);
	tls_error.message[n] = '\0';
	memcpy(tls_error.field, field ? field : "", f);
	tls_error.field[f] = '\0';
	tls_error.code = code;
	tls_error_set = 1;
	return code;
}

int saas__enomem(void)
{
	return saas__err(SAAS_ENOMEM, NULL, "out of memory");
}

const char *saas__q(const char *s)
{
	static _Thread_local char ring[4][80];
	static _Thread_local unsigned next;
	char *buf = ring[next++ % 4];
	size_t i, n = 0;

	if (!s)
		return "(null)";
	for (i = 0; s[i] && n < 64; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s[i]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

const saas_error *saas_error_last(void)
{
	return tls_error_set ? &tls_error : NULL;
}

int saas_error_code(const saas_error *e)
{
	return e ? e->code : SAAS_OK;
}

const char *saas_error_message(const saas_error *e)
{
	return e ? e->message : "";
}

const char *saas_error_field(const saas_error *e)
{
	return (e && e->field[0]) ? e->field : NULL;
}

void saas_error_clear(void)
{
	tls_error_set = 0;
	memset(&tls_error, 0, sizeof tls_error);
}
