/* Input validation: PCRE2 patterns compiled once per process, text and role checks. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static const char *const pattern_src[SAAS__PAT_COUNT] = {
	/* slug: 1..63 of [a-z0-9-], not starting or ending with '-' */
	[SAAS__PAT_SLUG] = "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
	/* email, already lower-cased: a dot-atom local part and a hostname with a dot */
	[SAAS__PAT_EMAIL] = "^(?=.{1,64}@)[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
	                    "@(?=.{4,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
	                    "(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$",
	[SAAS__PAT_ROLE] = "^[a-z][a-z0-9_-]{0,63}$",
	[SAAS__PAT_METRIC] = "^[a-z][a-z0-9_.]{0,63}$",
	[SAAS__PAT_ID_PREFIX] = "^[a-z]{2,8}$",
};

static pcre2_code *patterns[SAAS__PAT_COUNT];
static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void)
{
	for (int i = 0; i < SAAS__PAT_COUNT; i++) {
		int errcode;
		PCRE2_SIZE erroff;

		patterns[i] = pcre2_compile((PCRE2_SPTR)pattern_src[i], PCRE2_ZERO_TERMINATED,
		                            PCRE2_DOLLAR_ENDONLY | PCRE2_NO_UTF_CHECK, &errcode,
		                            &erroff, NULL);
	}
}

/* Free the patterns when the library is unloaded (keeps leak checkers quiet). */
__attribute__((destructor)) static void free_patterns(void)
{
	for (int i = 0; i < SAAS__PAT_COUNT; i++) {
		pcre2_code_free(patterns[i]);
		patterns[i] = NULL;
	}
}

bool saas__match(enum saas__pattern p, const char *s)
{
	pcre2_match_data *md;
	int rc;

	if (!s)
		return false;
	pthread_once(&patterns_once, compile_patterns);
	if (!patterns[p])
		return false;
	md = pcre2_match_data_create(1, NULL);
	if (!md)
		return false;
	rc = pcre2_match(patterns[p], (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* Valid UTF-8 without C0/C1 controls or DEL. */
static bool text_ok(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n, cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
		s += n + 1;
	}
	return true;
}

int saas__check_text(const char *field, const char *s, size_t max, bool allow_empty)
{
	size_t len;

	if (!s)
		return saas__err(SAAS_EINVAL, field, "%s is required", field);
	len = strlen(s);
	if (len == 0 && !allow_empty)
		return saas__err(SAAS_EINVAL, field, "%s must not be empty", field);
	if (len > max)
		return saas__err(SAAS_EINVAL, field, "%s is %zu bytes long; at most %zu are allowed",
		                 field, len, max);
	if (!text_ok((const unsigned char *)s))
		return saas__err(SAAS_EINVAL, field,
		                 "%s '%s' is not valid UTF-8 text without control characters", field,
		                 saas__q(s));
	return SAAS_OK;
}

int saas__check_slug(const char *slug)
{
	if (!slug)
		return saas__err(SAAS_EINVAL, "slug", "slug is required");
	if (!saas__match(SAAS__PAT_SLUG, slug))
		return saas__err(SAAS_EINVAL, "slug",
		                 "slug '%s' is invalid: use 1 to 63 of a-z, 0-9 and '-', "
		                 "starting and ending with a letter or digit",
		                 saas__q(slug));
	return SAAS_OK;
}

int saas__check_role(const char *role)
{
	if (!role)
		return saas__err(SAAS_EINVAL, "roles", "role name is NULL");
	if (!saas__match(SAAS__PAT_ROLE, role))
		return saas__err(SAAS_EINVAL, "roles",
		                 "role '%s' is invalid: use 1 to 64 of a-z, 0-9, '_' and '-', "
		                 "starting with a letter",
		                 saas__q(role));
	return SAAS_OK;
}

void saas__strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int saas__cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int saas__roles_normalize(char ***out, size_t *out_n, const char *const *roles, size_t n)
{
	char **v;
	size_t k = 0;

	if (!roles || n == 0)
		return saas__err(SAAS_EINVAL, "roles", "at least one role is required");
	if (n > 16)
		return saas__err(SAAS_EINVAL, "roles", "%zu roles given; at most 16 are allowed", n);
	for (size_t i = 0; i < n; i++) {
		int rc = saas__check_role(roles[i]);
		if (rc)
			return rc;
	}
	v = calloc(n + 1, sizeof *v);
	if (!v)
		return saas__enomem();
	for (size_t i = 0; i < n; i++) {
		v[i] = saas__strdup(roles[i]);
		if (!v[i]) {
			saas__strv_free(v);
			return saas__enomem();
		}
	}
	qsort(v, n, sizeof *v, saas__cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && strcmp(v[k - 1], v[i]) == 0) {
			free(v[i]);
			v[i] = NULL;
			continue;
		}
		v[k++] = v[i];
		if (k - 1 != i)
			v[i] = NULL;
	}
	v[k] = NULL;
	*out = v;
	if (out_n)
		*out_n = k;
	return SAAS_OK;
}

char *saas__strv_join(char *const *v, size_t n, char sep)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (i)
			*p++ = sep;
		memcpy(p, v[i], l);
		p += l;
	}
	*p = '\0';
	return s;
}

int saas__check_ip(const char *field, const char *ip)
{
	unsigned char buf[16];

	if (!ip || (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1))
		return saas__err(SAAS_EINVAL, field, "%s '%s' is not an IPv4 or IPv6 address", field,
		                 saas__q(ip ? ip : "(null)"));
	return SAAS_OK;
}
