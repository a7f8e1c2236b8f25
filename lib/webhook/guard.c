/*
 * The address guard of outbound delivery (saas/webhook.h,
 * saas_webhook_worker_run): which peer addresses the worker may connect to.
 * Checked in libcurl's open-socket callback, on the address about to be
 * connected, after name resolution: a host name that resolves to a private
 * address is refused like the literal address. The blocked ranges follow
 * the IANA special-purpose registries (as Svix's worker does), with
 * IPv4-mapped and IPv4-compatible IPv6 addresses judged as their IPv4
 * address.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/core.h"
#include "lib/webhook/webhook.h"

struct range {
	unsigned char addr[16];
	unsigned bits;
	const char *why;
};

/* IPv4 ranges as the first bytes; bits is the prefix length. */
static const struct range blocked4[] = {
	{{0}, 8, "\"this network\" (0.0.0.0/8)"},
	{{10}, 8, "private (10.0.0.0/8)"},
	{{100, 64}, 10, "shared address space (100.64.0.0/10)"},
	{{127}, 8, "loopback (127.0.0.0/8)"},
	{{169, 254}, 16, "link-local (169.254.0.0/16)"},
	{{172, 16}, 12, "private (172.16.0.0/12)"},
	{{192, 0, 0}, 24, "IETF protocol assignments (192.0.0.0/24)"},
	{{192, 0, 2}, 24, "documentation (192.0.2.0/24)"},
	{{192, 88, 99}, 24, "6to4 relay anycast (192.88.99.0/24)"},
	{{192, 168}, 16, "private (192.168.0.0/16)"},
	{{198, 18}, 15, "benchmarking (198.18.0.0/15)"},
	{{198, 51, 100}, 24, "documentation (198.51.100.0/24)"},
	{{203, 0, 113}, 24, "documentation (203.0.113.0/24)"},
	{{224}, 4, "multicast (224.0.0.0/4)"},
	{{240}, 4, "reserved (240.0.0.0/4, with broadcast)"},
};

static const struct range blocked6[] = {
	{{0}, 128, "unspecified (::)"},
	{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback (::1)"},
	{{0, 0x64, 0xff, 0x9b}, 96, "NAT64 (64:ff9b::/96)"},
	{{0, 0x64, 0xff, 0x9b, 0, 1}, 48, "NAT64 local use (64:ff9b:1::/48)"},
	{{1, 0}, 64, "discard-only (100::/64)"},
	{{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation (2001:db8::/32)"},
	{{0x20, 0x01, 0, 0}, 23, "IETF protocol assignments (2001::/23)"},
	{{0x20, 0x02}, 16, "6to4 (2002::/16)"},
	{{0x3f, 0xff}, 20, "documentation (3fff::/20)"},
	{{0x5f, 0x00}, 16, "segment routing (5f00::/16)"},
	{{0xfc}, 7, "unique local (fc00::/7)"},
	{{0xfe, 0x80}, 10, "link-local (fe80::/10)"},
	{{0xfe, 0xc0}, 10, "site-local (fec0::/10)"},
	{{0xff}, 8, "multicast (ff00::/8)"},
};

static bool in_prefix(const unsigned char *a, const unsigned char *net, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		return (a[full] & mask) == (net[full] & mask);
	}
	return true;
}

struct saas__wh_allow {
	size_t n;
	struct {
		unsigned char addr[16];
		unsigned bits;
		bool v6;
	} nets[];
};

int saas__wh_allow_parse(struct saas__wh_allow **out, const char *const *cidrs, size_t n)
{
	struct saas__wh_allow *a;

	*out = NULL;
	if (n && !cidrs)
		return saas__err(SAAS_EINVAL, "allow", "allow is NULL with %zu ranges", n);
	if (n > 256)
		return saas__err(SAAS_EINVAL, "allow", "%zu allowed ranges: at most 256", n);
	if (!(a = calloc(1, sizeof *a + n * sizeof a->nets[0])))
		return saas__enomem();
	for (size_t i = 0; i < n; i++) {
		char field[32], host[64];
		const char *s = cidrs[i], *slash;
		unsigned long bits;
		char *end;
		size_t hl;

		snprintf(field, sizeof field, "allow[%zu]", i);
		slash = s ? strchr(s, '/') : NULL;
		hl = slash ? (size_t)(slash - s) : (s ? strlen(s) : 0);
		if (!s || hl == 0 || hl >= sizeof host) {
			free(a);
			return saas__err(SAAS_EINVAL, field, "%s '%s' is not an address or a CIDR range",
			                 field, saas__q(s ? s : "(null)"));
		}
		memcpy(host, s, hl);
		host[hl] = '\0';
		a->nets[i].v6 = strchr(host, ':') != NULL;
		if (inet_pton(a->nets[i].v6 ? AF_INET6 : AF_INET, host, a->nets[i].addr) != 1) {
			free(a);
			return saas__err(SAAS_EINVAL, field, "%s '%s' is not an IPv4 or IPv6 address",
			                 field, saas__q(s));
		}
		bits = a->nets[i].v6 ? 128 : 32;
		if (slash) {
			if (!slash[1] || slash[1] == '-' || slash[1] == '+' ||
			    (bits = strtoul(slash + 1, &end, 10), *end) ||
			    bits > (a->nets[i].v6 ? 128u : 32u)) {
				free(a);
				return saas__err(SAAS_EINVAL, field, "%s '%s' has a bad prefix length",
				                 field, saas__q(s));
			}
		}
		a->nets[i].bits = (unsigned)bits;
		a->n = i + 1;
	}
	*out = a;
	return SAAS_OK;
}

void saas__wh_allow_free(struct saas__wh_allow *a)
{
	free(a);
}

static bool allowed(const struct saas__wh_allow *a, const unsigned char *addr, bool v6)
{
	for (size_t i = 0; a && i < a->n; i++)
		if (a->nets[i].v6 == v6 && in_prefix(addr, a->nets[i].addr, a->nets[i].bits))
			return true;
	return false;
}

const char *saas__wh_addr_blocked(const struct sockaddr *sa, const struct saas__wh_allow *allow)
{
	unsigned char a[16];
	bool v6;

	if (!sa)
		return "no address";
	if (sa->sa_family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		v6 = false;
	} else if (sa->sa_family == AF_INET6) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		static const unsigned char compat[12] = {0};

		memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		v6 = true;
		/* ::ffff:a.b.c.d and the old ::a.b.c.d are IPv4 addresses (but
		 * :: and ::1 themselves are IPv6's own) */
		if (memcmp(a, mapped, 12) == 0 ||
		    (memcmp(a, compat, 12) == 0 && (a[12] | a[13] | a[14] | (a[15] > 1)))) {
			memmove(a, a + 12, 4);
			v6 = false;
		}
	} else {
		return "not an IPv4 or IPv6 address";
	}
	if (allowed(allow, a, v6))
		return NULL;
	if (!v6) {
		for (size_t i = 0; i < sizeof blocked4 / sizeof blocked4[0]; i++)
			if (in_prefix(a, blocked4[i].addr, blocked4[i].bits))
				return blocked4[i].why;
		return NULL;
	}
	for (size_t i = 0; i < sizeof blocked6 / sizeof blocked6[0]; i++)
		if (in_prefix(a, blocked6[i].addr, blocked6[i].bits))
			return blocked6[i].why;
	return NULL;
}
