/* lib/sip/addr.c: name-addr / addr-spec values with header parameters (RFC 3261 §20.10,
 * §20.20, §20.39, §25: From, To, Contact, Route, Record-Route, Path ...). Parses into slices of
 * the value it is given; validates the URI; never allocates. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <string.h>

/* gen-value = token / host / quoted-string (§25). */
static bool gen_value_valid(const struct sip_pl *v)
{
	if (v->l && v->p[0] == '"')
		return v->l >= 2 && sip_quoted_skip(v->p, v->p + v->l) == v->p + v->l;
	if (sip_token_valid(v))
		return true;
	return v->l > 2 && v->p[0] == '[' && sip_host_valid(v->p, v->l);
}

/* Header parameters after the URI: every one a token, with an optional gen-value. */
int sip_hparams_check(const struct sip_pl *params)
{
	struct sip_pl rest = *params;
	struct sip_param prm;
	int r;

	while ((r = sip_param_next(&rest, &prm)) > 0) {
		if (!sip_token_valid(&prm.name))
			return -EBADMSG;
		if (prm.has_val && !gen_value_valid(&prm.val))
			return -EBADMSG;
	}
	return r;
}

static bool display_valid(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p == '"' || *p == '<' || *p == '>' || sip_cis(*p, SIP_C_CTL))
			return false;
	return true;
}

int sip_addr_parse(struct sip_addr *addr, const struct sip_pl *val)
{
	struct sip_pl v = *val;
	const char *p, *e, *lt = NULL;

	memset(addr, 0, sizeof(*addr));
	sip_pl_trim(&v);
	p = v.p;
	e = v.p + v.l;
	if (p == e)
		return -EBADMSG;

	if (*p == '"') {
		const char *q = sip_quoted_skip(p, e);
		if (!q)
			return -EBADMSG;
		addr->display.p = p;
		addr->display.l = q - p;
		p = q;
		while (p < e && sip_cis(*p, SIP_C_WS))
			p++;
		if (p == e || *p != '<')
			return -EBADMSG;
		lt = p;
	} else {
		lt = memchr(p, '<', e - p);
		if (lt) {
			addr->display.p = p;
			addr->display.l = lt - p;
			sip_pl_trim(&addr->display);
			if (!display_valid(p, lt))
				return -EBADMSG;
		}
	}

	if (lt) {
		const char *gt = memchr(lt + 1, '>', e - lt - 1);
		if (!gt)
			return -EBADMSG;
		addr->uri.p = lt + 1;
		addr->uri.l = gt - lt - 1;
		p = gt + 1;
	} else {
		/* addr-spec: any ';' starts header parameters (§20.10) */
		addr->uri.p = p;
		while (p < e && *p != ';' && !sip_cis(*p, SIP_C_WS))
			p++;
		addr->uri.l = p - addr->uri.p;
	}
	if (sip_uri_parse(&addr->puri, addr->uri.p, addr->uri.l) < 0)
		return -EBADMSG;

	while (p < e && sip_cis(*p, SIP_C_WS))
		p++;
	if (p < e) {
		if (*p != ';')
			return -EBADMSG;
		addr->params.p = p + 1;
		addr->params.l = e - p - 1;
		if (sip_hparams_check(&addr->params) < 0)
			return -EBADMSG;
		addr->has_tag = sip_param_get(&addr->params, "tag", &addr->tag);
		if (addr->has_tag && !sip_token_valid(&addr->tag))
			return -EBADMSG;
	}
	return 0;
}

int sip_contact_parse(struct sip_addr *addr, const struct sip_pl *val)
{
	struct sip_pl v = *val;

	sip_pl_trim(&v);
	if (v.l == 1 && v.p[0] == '*') {
		memset(addr, 0, sizeof(*addr));
		addr->star = true;
		return 0;
	}
	return sip_addr_parse(addr, &v);
}

int sip_contact_expires(const struct sip_addr *addr, uint32_t *expires)
{
	struct sip_pl v;

	if (!sip_param_get(&addr->params, "expires", &v))
		return -ENOENT;
	/* delta-seconds: values past 2^32-1 are taken as 2^32-1 (§20.19) */
	if (sip_pl_u32(&v, UINT32_MAX, expires) == -ERANGE) {
		*expires = UINT32_MAX;
		return 0;
	}
	return sip_pl_u32(&v, UINT32_MAX, expires);
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths. */
int sip_contact_q(const struct sip_addr *addr, unsigned *q_milli)
{
	struct sip_pl v;
	unsigned q = 0, scale = 100;

	if (!sip_param_get(&addr->params, "q", &v))
		return -ENOENT;
	if (!v.l || (v.p[0] != '0' && v.p[0] != '1'))
		return -EBADMSG;
	q = (v.p[0] - '0') * 1000;
	if (v.l > 1) {
		if (v.p[1] != '.' || v.l > 5)
			return -EBADMSG;
		for (size_t i = 2; i < v.l; i++, scale /= 10) {
			if (!g_ascii_isdigit(v.p[i]))
				return -EBADMSG;
			q += (v.p[i] - '0') * scale;
		}
	}
	if (q > 1000)
		return -EBADMSG;
	*q_milli = q;
	return 0;
}
