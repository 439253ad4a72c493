/* lib/sip/uri_cmp.c: URI equivalence, RFC 3261 §19.1.4 for sip/sips and RFC 3966 §4 for
 * tel. %HH is unescaped once while comparing (an escaped reserved character stays distinct
 * from the literal one); nothing is allocated and nothing is resolved through DNS. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <arpa/inet.h>
#include <string.h>

/* Next logical character of a component: escapes decoded, and a decoded reserved character
 * marked with 0x100 so that it never equals its literal form. -1 at the end. */
static int next_char(const char **pp, const char *e, bool fold)
{
	const char *p = *pp;
	int c;

	if (p >= e)
		return -1;
	c = (unsigned char)*p++;
	if (c == '%' && e - p >= 2 && sip_hexval(p[0]) >= 0 && sip_hexval(p[1]) >= 0) {
		c = sip_hexval(p[0]) << 4 | sip_hexval(p[1]);
		p += 2;
		if (sip_cis((unsigned char)c, SIP_C_RESERVED))
			c |= 0x100;
	}
	if (fold && c < 0x100)
		c = (unsigned char)g_ascii_tolower((char)c);
	*pp = p;
	return c;
}

/* Escape-aware comparison of one URI component (case-insensitive when fold). */
bool sip_uri_comp_equal(const struct sip_pl *a, const struct sip_pl *b, bool fold)
{
	const char *pa, *ea, *pb, *eb;

	if (!a->l || !b->l)
		return a->l == b->l;
	pa = a->p;
	ea = a->p + a->l;
	pb = b->p;
	eb = b->p + b->l;

	for (;;) {
		int ca = next_char(&pa, ea, fold), cb = next_char(&pb, eb, fold);
		if (ca != cb)
			return false;
		if (ca < 0)
			return true;
	}
}

static bool host_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->host_is_ipv6 != b->host_is_ipv6)
		return false;
	if (a->host_is_ipv6) {
		struct in6_addr ia, ib;
		if (a->host.l < 2 || b->host.l < 2 ||
		    !sip_ipv6_parse(a->host.p + 1, a->host.l - 2, &ia) ||
		    !sip_ipv6_parse(b->host.p + 1, b->host.l - 2, &ib))
			return false;
		return memcmp(&ia, &ib, sizeof(ia)) == 0;
	}
	return sip_pl_caseeq_pl(&a->host, &b->host);
}

/* Look a URI parameter up by (escape-aware, case-insensitive) name. */
static bool uri_param_find(const struct sip_pl *params, const struct sip_pl *name,
                           struct sip_param *out)
{
	struct sip_pl rest = *params;
	struct sip_param prm;

	while (sip_param_next(&rest, &prm) > 0) {
		if (sip_uri_comp_equal(&prm.name, name, true)) {
			*out = prm;
			return true;
		}
	}
	return false;
}

static bool param_is_strict(const struct sip_pl *name)
{
	static const char *const strict[] = {"user", "ttl", "method", "maddr", "transport"};
	for (size_t i = 0; i < G_N_ELEMENTS(strict); i++) {
		struct sip_pl s = sip_pl_str(strict[i]);
		if (sip_uri_comp_equal(name, &s, true))
			return true;
	}
	return false;
}

/* Every parameter of a found in b with an equal value; a parameter only in a is ignored
 * unless all_strict or it is one of §19.1.4's (user, ttl, method, maddr, transport). */
static bool params_subset(const struct sip_pl *a, const struct sip_pl *b, bool all_strict)
{
	struct sip_pl rest = *a;
	struct sip_param pa, pb;
	int r;

	while ((r = sip_param_next(&rest, &pa)) > 0) {
		if (uri_param_find(b, &pa.name, &pb)) {
			if (pa.has_val != pb.has_val || !sip_uri_comp_equal(&pa.val, &pb.val, true))
				return false;
		} else if (all_strict || param_is_strict(&pa.name)) {
			return false;
		}
	}
	return r == 0;
}

static bool header_find(const struct sip_pl *hdrs, const struct sip_pl *h)
{
	const char *p, *e;

	if (!hdrs->l)
		return false;
	p = hdrs->p;
	e = hdrs->p + hdrs->l;

	while (p < e) {
		const char *amp = memchr(p, '&', e - p);
		struct sip_pl cur = {p, (amp ? amp : e) - p};
		if (sip_uri_comp_equal(&cur, h, true))
			return true;
		p = amp ? amp + 1 : e;
	}
	return false;
}

/* Header components are never ignored: the same set on both sides, order aside. */
static bool headers_subset(const struct sip_pl *a, const struct sip_pl *b)
{
	const char *p, *e;

	if (!a->l)
		return true;
	p = a->p;
	e = a->p + a->l;

	while (p < e) {
		const char *amp = memchr(p, '&', e - p);
		struct sip_pl cur = {p, (amp ? amp : e) - p};
		if (!header_find(b, &cur))
			return false;
		p = amp ? amp + 1 : e;
	}
	return true;
}

/* tel numbers compare with visual separators removed (RFC 3966 §4). */
static bool tel_number_equal(const struct sip_pl *a, const struct sip_pl *b)
{
	const char *pa, *ea, *pb, *eb;

	if (!a->l || !b->l)
		return a->l == b->l;
	pa = a->p;
	ea = pa + a->l;
	pb = b->p;
	eb = pb + b->l;

	for (;;) {
		while (pa < ea && *pa && strchr("-.()", *pa))
			pa++;
		while (pb < eb && *pb && strchr("-.()", *pb))
			pb++;
		if (pa == ea || pb == eb)
			return pa == ea && pb == eb;
		if (g_ascii_tolower(*pa++) != g_ascii_tolower(*pb++))
			return false;
	}
}

bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case SIP_SCHEME_TEL:
		return tel_number_equal(&a->user, &b->user) &&
		       params_subset(&a->params, &b->params, true) &&
		       params_subset(&b->params, &a->params, true);
	case SIP_SCHEME_OTHER:
		return sip_pl_caseeq_pl(&a->scheme_pl, &b->scheme_pl) &&
		       sip_pl_eq_pl(&a->opaque, &b->opaque);
	default:
		break;
	}
	if (a->has_user != b->has_user || a->has_password != b->has_password ||
	    a->has_port != b->has_port || a->port != b->port)
		return false;
	if (!sip_uri_comp_equal(&a->user, &b->user, false) ||
	    !sip_uri_comp_equal(&a->password, &b->password, false))
		return false;
	if (!host_equal(a, b))
		return false;
	if (!params_subset(&a->params, &b->params, false) ||
	    !params_subset(&b->params, &a->params, false))
		return false;
	return headers_subset(&a->headers, &b->headers) && headers_subset(&b->headers, &a->headers);
}
