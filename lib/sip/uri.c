/* lib/sip/uri.c: SIP, SIPS (RFC 3261 §19.1, §25) and tel (RFC 3966) URI parsing, with IPv6
 * references (RFC 5118). Slices point into the caller's text; %HH escapes are checked but left
 * escaped (unescaping is once, on demand, never recursive). Never allocates. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <arpa/inet.h>
#include <string.h>

/* All octets of [p, e) in class cls, with every '%' starting a valid %HH escape. */
static bool run_valid(const char *p, const char *e, unsigned cls)
{
	for (; p < e; p++) {
		if (!sip_cis(*p, cls))
			return false;
		if (*p == '%') {
			if (e - p < 3 || sip_hexval(p[1]) < 0 || sip_hexval(p[2]) < 0)
				return false;
			p += 2;
		}
	}
	return true;
}

static bool ipv4_valid(const char *p, size_t l)
{
	char tmp[16];
	struct in_addr a;

	if (l < 7 || l > 15)
		return false;
	memcpy(tmp, p, l);
	tmp[l] = '\0';
	return inet_pton(AF_INET, tmp, &a) == 1;
}

/* IPv6address of RFC 3261 §25, brackets excluded: inet_pton's forms, and also a hexpart that
 * ends in "::" followed by ":" IPv4address ("2001:db8:::192.0.2.1"), which that ABNF allows
 * and RFC 5118 §4.10 says must be accepted as the same address as "2001:db8::192.0.2.1". */
bool sip_ipv6_parse(const char *p, size_t l, struct in6_addr *a)
{
	char tmp[48];
	const char *last;

	if (!l || l >= sizeof(tmp) || memchr(p, '\0', l))
		return false;
	memcpy(tmp, p, l);
	tmp[l] = '\0';
	if (inet_pton(AF_INET6, tmp, a) == 1)
		return true;
	last = strrchr(tmp, ':');
	if (!last || last - tmp < 2 || last[-1] != ':' || last[-2] != ':' || !strchr(last, '.'))
		return false;
	/* drop the third colon; "::::" stays invalid (inet_pton refuses ":::") */
	memmove(tmp + (last - tmp), last + 1, strlen(last + 1) + 1);
	return inet_pton(AF_INET6, tmp, a) == 1;
}

/* An IPv6 reference "[...]", brackets included. */
static bool ipv6ref_valid(const char *p, size_t l)
{
	struct in6_addr a;

	if (l < 4 || p[0] != '[' || p[l - 1] != ']')
		return false;
	return sip_ipv6_parse(p + 1, l - 2, &a);
}

/* hostname / IPv4address (§25): labels of alphanum and '-', not starting or ending in '-';
 * a name whose last label is numeric must be a dotted quad. */
static bool hostname_valid(const char *p, size_t l)
{
	const char *e = p + l, *label = p, *last = p;

	if (!l)
		return false;
	if (e[-1] == '.') /* fully qualified with the root dot */
		e--;
	for (const char *q = p; q <= e; q++) {
		if (q == e || *q == '.') {
			size_t n = q - label;
			if (!n || label[0] == '-' || label[n - 1] == '-')
				return false;
			last = label;
			label = q + 1;
		} else if (!sip_cis(*q, SIP_C_HOST)) {
			return false;
		}
	}
	if (last < e && g_ascii_isdigit(*last)) {
		for (const char *q = last; q < e; q++)
			if (!g_ascii_isdigit(*q))
				return false;
		return ipv4_valid(p, e - p);
	}
	return true;
}

bool sip_host_valid(const char *p, size_t l)
{
	if (l && p[0] == '[')
		return ipv6ref_valid(p, l);
	return hostname_valid(p, l);
}

/* host [":" port] at [p, e); returns the end of it. */
static const char *parse_hostport(const char *p, const char *e, struct sip_pl *host, uint16_t *port,
                                  bool *has_port, bool *ipv6)
{
	const char *h = p;
	uint32_t v;

	if (p < e && *p == '[') {
		const char *rb = memchr(p, ']', e - p);
		if (!rb)
			return NULL;
		p = rb + 1;
		*ipv6 = true;
	} else {
		while (p < e && sip_cis(*p, SIP_C_HOST))
			p++;
	}
	host->p = h;
	host->l = p - h;
	if (!sip_host_valid(host->p, host->l))
		return NULL;
	if (p < e && *p == ':') {
		struct sip_pl pp = {++p, 0};
		while (p < e && g_ascii_isdigit(*p))
			p++;
		pp.l = p - pp.p;
		if (sip_pl_u32(&pp, 65535, &v) < 0)
			return NULL;
		*port = (uint16_t)v;
		*has_port = true;
	}
	return p;
}

/* ";name[=value]" pairs of paramchar; an empty name or value is an error. */
static bool params_valid(const char *p, const char *e)
{
	if (p == e)
		return false;
	while (p < e) {
		const char *s = p, *eq = NULL;
		while (p < e && *p != ';') {
			if (*p == '=' && !eq)
				eq = p;
			p++;
		}
		if (eq) {
			if (eq == s || eq + 1 == p || !run_valid(s, eq, SIP_C_PARAM) ||
			    !run_valid(eq + 1, p, SIP_C_PARAM))
				return false;
		} else if (p == s || !run_valid(s, p, SIP_C_PARAM)) {
			return false;
		}
		if (p < e)
			p++; /* ';' */
		if (p == e && p[-1] == ';')
			return false;
	}
	return true;
}

/* "hname=hvalue" pairs joined by '&'; hname not empty, hvalue may be. */
static bool headers_valid(const char *p, const char *e)
{
	if (p == e)
		return false;
	while (p < e) {
		const char *s = p, *eq = NULL;
		while (p < e && *p != '&') {
			if (*p == '=' && !eq)
				eq = p;
			p++;
		}
		if (!eq || eq == s || !run_valid(s, eq, SIP_C_HNV) ||
		    !run_valid(eq + 1, p, SIP_C_HNV))
			return false;
		if (p < e && ++p == e)
			return false;
	}
	return true;
}

/* §19.1.1: a parameter name appears at most once (names compared as §19.1.4 does). A repeat
 * that agrees with the first (same value, or both without one) is tolerated, as some phones
 * send ";transport=tls;transport=tls"; a repeat with another value is refused, since which one
 * applies could not be said. */
static bool params_unique(const struct sip_pl *params)
{
	struct sip_param seen[SIP_MAX_URI_PARAMS];
	struct sip_pl rest = *params;
	struct sip_param prm;
	unsigned n = 0, i;
	int r;

	while ((r = sip_param_next(&rest, &prm)) > 0) {
		for (i = 0; i < n; i++)
			if (sip_uri_comp_equal(&seen[i].name, &prm.name, true))
				break;
		if (i < n) {
			if (seen[i].has_val != prm.has_val ||
			    !sip_uri_comp_equal(&seen[i].val, &prm.val, true))
				return false;
			continue;
		}
		if (n == SIP_MAX_URI_PARAMS)
			return false;
		seen[n++] = prm;
	}
	return r == 0;
}

static int parse_params_headers(struct sip_uri *uri, const char *p, const char *e, bool hdrs)
{
	if (p < e && *p == ';') {
		const char *s = ++p;
		while (p < e && *p != '?')
			p++;
		uri->params.p = s;
		uri->params.l = p - s;
		if (!params_valid(s, p) || !params_unique(&uri->params))
			return -EINVAL;
	}
	if (p < e && *p == '?' && hdrs) {
		uri->headers.p = p + 1;
		uri->headers.l = e - p - 1;
		if (!headers_valid(p + 1, e))
			return -EINVAL;
		p = e;
	}
	return p == e ? 0 : -EINVAL;
}

static int parse_sip(struct sip_uri *uri, const char *p, const char *e)
{
	const char *at = memchr(p, '@', e - p);

	if (at) {
		const char *colon = memchr(p, ':', at - p);
		uri->user.p = p;
		uri->user.l = (colon ? colon : at) - p;
		uri->has_user = true;
		if (!uri->user.l || !run_valid(p, p + uri->user.l, SIP_C_USER))
			return -EINVAL;
		if (colon) {
			uri->password.p = colon + 1;
			uri->password.l = at - colon - 1;
			uri->has_password = true;
			if (!run_valid(colon + 1, at, SIP_C_PASS))
				return -EINVAL;
		}
		p = at + 1;
	}
	p = parse_hostport(p, e, &uri->host, &uri->port, &uri->has_port, &uri->host_is_ipv6);
	if (!p)
		return -EINVAL;
	return parse_params_headers(uri, p, e, true);
}

/* RFC 3966: global ("+" digits) or local number, visual separators allowed, then ;params. */
static int parse_tel(struct sip_uri *uri, const char *p, const char *e)
{
	const char *s = p;

	if (p < e && *p == '+')
		p++;
	while (p < e && sip_cis(*p, SIP_C_TEL) && *p != '+')
		p++;
	uri->user.p = s;
	uri->user.l = p - s;
	uri->has_user = true;
	if (!uri->user.l || (s[0] == '+' && uri->user.l == 1))
		return -EINVAL;
	return parse_params_headers(uri, p, e, false);
}

int sip_uri_parse(struct sip_uri *uri, const char *s, size_t len)
{
	const char *e = s + len, *colon;

	memset(uri, 0, sizeof(*uri));
	if (!s || !len || len > SIP_MAX_URI)
		return -EINVAL;
	colon = memchr(s, ':', len);
	if (!colon || colon == s || !g_ascii_isalpha(s[0]))
		return -EINVAL;
	for (const char *p = s; p < colon; p++)
		if (!g_ascii_isalnum(*p) && *p != '+' && *p != '-' && *p != '.')
			return -EINVAL;
	uri->scheme_pl.p = s;
	uri->scheme_pl.l = colon - s;
	if (sip_pl_caseeq(&uri->scheme_pl, "sip"))
		uri->scheme = SIP_SCHEME_SIP;
	else if (sip_pl_caseeq(&uri->scheme_pl, "sips"))
		uri->scheme = SIP_SCHEME_SIPS;
	else if (sip_pl_caseeq(&uri->scheme_pl, "tel"))
		uri->scheme = SIP_SCHEME_TEL;
	else
		uri->scheme = SIP_SCHEME_OTHER;

	switch (uri->scheme) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		return parse_sip(uri, colon + 1, e);
	case SIP_SCHEME_TEL:
		return parse_tel(uri, colon + 1, e);
	default:
		uri->opaque.p = colon + 1;
		uri->opaque.l = e - colon - 1;
		if (!uri->opaque.l)
			return -EINVAL;
		for (const char *p = colon + 1; p < e; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' ||
			    *p == '"')
				return -EINVAL;
		return 0;
	}
}

int sip_uri_unescape(const struct sip_pl *pl, char *out, size_t size, size_t *len)
{
	size_t n = 0;

	if (!size)
		return -ENOBUFS;
	for (size_t i = 0; i < pl->l; i++) {
		char c = pl->p[i];
		if (c == '%' && i + 2 < pl->l && sip_hexval(pl->p[i + 1]) >= 0 &&
		    sip_hexval(pl->p[i + 2]) >= 0) {
			c = (char)(sip_hexval(pl->p[i + 1]) << 4 | sip_hexval(pl->p[i + 2]));
			i += 2;
			if (!c)
				return -EINVAL; /* %00 would cut the C string short */
		}
		if (n + 1 >= size)
			return -ENOBUFS;
		out[n++] = c;
	}
	out[n] = '\0';
	if (len)
		*len = n;
	return 0;
}
