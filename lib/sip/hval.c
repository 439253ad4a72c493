/* lib/sip/hval.c: small structured header values: CSeq (§20.16), Call-ID (§20.8),
 * Content-Type (§20.15), Event (RFC 6665 §8.2.1). Slices of the given value; no allocation. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <string.h>

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && sip_cis(*p, SIP_C_WS))
		p++;
	return p;
}

static const char *run(const char *p, const char *e, unsigned cls, struct sip_pl *out)
{
	out->p = p;
	while (p < e && sip_cis(*p, cls))
		p++;
	out->l = p - out->p;
	return p;
}

/* CSeq = 1*DIGIT LWS Method; the number is below 2^31 (§8.1.1.5). */
int sip_cseq_parse(struct sip_cseq *cseq, const struct sip_pl *val)
{
	const char *p = val->p, *e = val->p + val->l;
	struct sip_pl num;

	memset(cseq, 0, sizeof(*cseq));
	p = run(skip_ws(p, e), e, SIP_C_DIGIT, &num);
	if (sip_pl_u32(&num, 0x7fffffffu, &cseq->num) < 0)
		return -EBADMSG;
	if (p == e || !sip_cis(*p, SIP_C_WS))
		return -EBADMSG;
	p = run(skip_ws(p, e), e, SIP_C_TOKEN, &cseq->method_name);
	if (!cseq->method_name.l || skip_ws(p, e) != e)
		return -EBADMSG;
	cseq->method = sip_method_from_pl(&cseq->method_name);
	return 0;
}

/* callid = word [ "@" word ] */
int sip_callid_check(const struct sip_pl *val)
{
	bool at = false;
	size_t w = 0;

	for (size_t i = 0; i < val->l; i++) {
		char c = val->p[i];
		if (c == '@') {
			if (at || !w)
				return -EBADMSG;
			at = true;
			w = 0;
		} else if (sip_cis(c, SIP_C_WORD)) {
			w++;
		} else {
			return -EBADMSG;
		}
	}
	return w ? 0 : -EBADMSG;
}

/* What may follow a value: nothing, or ";" and header parameters (kept in *params). */
static int params_tail(const char *p, const char *e, struct sip_pl *params)
{
	p = skip_ws(p, e);
	if (p == e)
		return 0;
	if (*p != ';')
		return -EBADMSG;
	params->p = p + 1;
	params->l = e - p - 1;
	return sip_hparams_check(params) < 0 ? -EBADMSG : 0;
}

/* media-type = m-type SLASH m-subtype *(SEMI m-parameter) */
int sip_ctype_parse(struct sip_ctype *ct, const struct sip_pl *val)
{
	const char *p = val->p, *e = val->p + val->l;

	memset(ct, 0, sizeof(*ct));
	p = run(skip_ws(p, e), e, SIP_C_TOKEN, &ct->type);
	p = skip_ws(p, e);
	if (!ct->type.l || p == e || *p++ != '/')
		return -EBADMSG;
	p = run(skip_ws(p, e), e, SIP_C_TOKEN, &ct->subtype);
	if (!ct->subtype.l)
		return -EBADMSG;
	return params_tail(p, e, &ct->params);
}

/* Event = event-type *( SEMI event-param ), event-param includes id */
int sip_event_parse(struct sip_event *ev, const struct sip_pl *val)
{
	const char *p = val->p, *e = val->p + val->l;

	memset(ev, 0, sizeof(*ev));
	p = run(skip_ws(p, e), e, SIP_C_TOKEN, &ev->package);
	if (!ev->package.l)
		return -EBADMSG;
	if (params_tail(p, e, &ev->params) < 0)
		return -EBADMSG;
	sip_param_get(&ev->params, "id", &ev->id);
	return 0;
}
