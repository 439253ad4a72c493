/* lib/sip/via.c: one Via value (RFC 3261 §20.42, §18.2.1, RFC 3581 rport, RFC 5118 IPv6):
 * sent-protocol, sent-by and the parameters a transaction layer reads. Slices only; no
 * allocation; the branch's magic cookie is checked by the key code, not here. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <arpa/inet.h>
#include <string.h>

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && sip_cis(*p, SIP_C_WS))
		p++;
	return p;
}

static const char *token(const char *p, const char *e, struct sip_pl *out)
{
	out->p = p;
	while (p < e && sip_cis(*p, SIP_C_TOKEN))
		p++;
	out->l = p - out->p;
	return out->l ? p : NULL;
}

/* received = IPv4address / IPv6address (bare or bracketed, RFC 5118 §4.5) */
static bool addr_valid(const struct sip_pl *v)
{
	char tmp[48];
	struct in6_addr a6;
	struct in_addr a4;
	const char *p = v->p;
	size_t l = v->l;

	if (l > 2 && p[0] == '[' && p[l - 1] == ']') {
		p++;
		l -= 2;
	}
	if (!l || l >= sizeof(tmp))
		return false;
	memcpy(tmp, p, l);
	tmp[l] = '\0';
	return inet_pton(AF_INET, tmp, &a4) == 1 || sip_ipv6_parse(p, l, &a6);
}

static int via_param(struct sip_via *via, const struct sip_param *prm)
{
	uint32_t n;

	if (!sip_token_valid(&prm->name))
		return -EBADMSG;
	if (prm->has_val && prm->val.l && prm->val.p[0] == '"')
		return sip_pl_caseeq(&prm->name, "branch") ? -EBADMSG : 0;
	if (prm->has_val && !prm->val.l)
		return -EBADMSG;
	if (sip_pl_caseeq(&prm->name, "branch")) {
		if (!prm->has_val || !sip_token_valid(&prm->val))
			return -EBADMSG;
		via->branch = prm->val;
		via->has_branch = true;
	} else if (sip_pl_caseeq(&prm->name, "received")) {
		if (!prm->has_val || !addr_valid(&prm->val))
			return -EBADMSG;
		via->received = prm->val;
	} else if (sip_pl_caseeq(&prm->name, "rport")) {
		via->rport = 0;
		if (prm->has_val) {
			if (sip_pl_u32(&prm->val, 65535, &n) < 0)
				return -EBADMSG;
			via->rport = (int)n;
		}
	} else if (sip_pl_caseeq(&prm->name, "maddr")) {
		if (!prm->has_val || !sip_host_valid(prm->val.p, prm->val.l))
			return -EBADMSG;
		via->maddr = prm->val;
	} else if (sip_pl_caseeq(&prm->name, "ttl")) {
		if (!prm->has_val || sip_pl_u32(&prm->val, 255, &n) < 0)
			return -EBADMSG;
		via->ttl = (int)n;
	} else if (prm->has_val) {
		/* generic: token / host */
		for (size_t i = 0; i < prm->val.l; i++) {
			char c = prm->val.p[i];
			if (!sip_cis(c, SIP_C_TOKEN) && c != ':' && c != '[' && c != ']')
				return -EBADMSG;
		}
	}
	return 0;
}

int sip_via_parse(struct sip_via *via, const struct sip_pl *val)
{
	const char *p = val->p, *e = val->p + val->l, *hs;
	struct sip_pl rest;
	struct sip_param prm;
	int r;

	memset(via, 0, sizeof(*via));
	via->ttl = -1;
	via->rport = -1;

	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
	p = skip_ws(p, e);
	if (!(p = token(p, e, &via->proto)))
		return -EBADMSG;
	p = skip_ws(p, e);
	if (p == e || *p++ != '/')
		return -EBADMSG;
	p = skip_ws(p, e);
	if (!(p = token(p, e, &via->version)))
		return -EBADMSG;
	p = skip_ws(p, e);
	if (p == e || *p++ != '/')
		return -EBADMSG;
	p = skip_ws(p, e);
	if (!(p = token(p, e, &via->transport)))
		return -EBADMSG;
	if (p == e || !sip_cis(*p, SIP_C_WS))
		return -EBADMSG;
	p = skip_ws(p, e);

	/* sent-by = host [ COLON port ] */
	hs = p;
	if (p < e && *p == '[') {
		const char *rb = memchr(p, ']', e - p);
		if (!rb)
			return -EBADMSG;
		p = rb + 1;
	} else {
		while (p < e && sip_cis(*p, SIP_C_HOST))
			p++;
	}
	via->host.p = hs;
	via->host.l = p - hs;
	if (!sip_host_valid(via->host.p, via->host.l))
		return -EBADMSG;
	via->sent_by = via->host;
	p = skip_ws(p, e);
	if (p < e && *p == ':') {
		struct sip_pl port;
		uint32_t n;
		p = skip_ws(p + 1, e);
		port.p = p;
		while (p < e && g_ascii_isdigit(*p))
			p++;
		port.l = p - port.p;
		if (sip_pl_u32(&port, 65535, &n) < 0)
			return -EBADMSG;
		via->port = (uint16_t)n;
		via->sent_by.l = p - hs;
	}
	p = skip_ws(p, e);
	if (p == e)
		return 0;
	if (*p != ';')
		return -EBADMSG;
	via->params.p = p + 1;
	via->params.l = e - p - 1;
	rest = via->params;
	rest.p--; /* the iterator wants to see the first ';' */
	rest.l++;
	while ((r = sip_param_next(&rest, &prm)) > 0)
		if (via_param(via, &prm) < 0)
			return -EBADMSG;
	return r;
}
