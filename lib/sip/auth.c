/* lib/sip/auth.c: Digest challenges and credentials (RFC 3261 §20.7, §20.27, §20.28,
 * §20.44, §25.1; RFC 2617): the scheme and the comma-separated auth-params, as slices (quoted
 * values keep their quotes: unescape with sip_quoted_unescape()). No hashing, no allocation. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <string.h>

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && sip_cis(*p, SIP_C_WS))
		p++;
	return p;
}

static void auth_store(struct sip_auth *a, const struct sip_pl *n, const struct sip_pl *v)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
	    {"realm", offsetof(struct sip_auth, realm)},
	    {"nonce", offsetof(struct sip_auth, nonce)},
	    {"opaque", offsetof(struct sip_auth, opaque)},
	    {"algorithm", offsetof(struct sip_auth, algorithm)},
	    {"qop", offsetof(struct sip_auth, qop)},
	    {"stale", offsetof(struct sip_auth, stale)},
	    {"domain", offsetof(struct sip_auth, domain)},
	    {"username", offsetof(struct sip_auth, username)},
	    {"uri", offsetof(struct sip_auth, uri)},
	    {"response", offsetof(struct sip_auth, response)},
	    {"cnonce", offsetof(struct sip_auth, cnonce)},
	    {"nc", offsetof(struct sip_auth, nc)},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
		if (sip_pl_caseeq(n, known[i].name)) {
			*(struct sip_pl *)((char *)a + known[i].off) = *v;
			return;
		}
	}
}

/* auth-param = auth-param-name EQUAL ( token / quoted-string ), joined by COMMA */
int sip_auth_parse(struct sip_auth *auth, const struct sip_pl *val)
{
	const char *p = val->p, *e = val->p + val->l;

	memset(auth, 0, sizeof(*auth));
	p = skip_ws(p, e);
	auth->scheme.p = p;
	while (p < e && sip_cis(*p, SIP_C_TOKEN))
		p++;
	auth->scheme.l = p - auth->scheme.p;
	if (!auth->scheme.l || p == e || !sip_cis(*p, SIP_C_WS))
		return -EBADMSG;
	p = skip_ws(p, e);
	auth->params.p = p;
	auth->params.l = e - p;
	if (p == e)
		return -EBADMSG;
	while (p < e) {
		struct sip_pl n, v;
		n.p = p;
		while (p < e && sip_cis(*p, SIP_C_TOKEN))
			p++;
		n.l = p - n.p;
		p = skip_ws(p, e);
		if (!n.l || p == e || *p++ != '=')
			return -EBADMSG;
		p = skip_ws(p, e);
		v.p = p;
		if (p < e && *p == '"') {
			for (p++;; p++) {
				if (p >= e)
					return -EBADMSG;
				if (*p == '\\') {
					if (++p >= e)
						return -EBADMSG;
				} else if (*p == '"') {
					p++;
					break;
				}
			}
		} else {
			while (p < e && sip_cis(*p, SIP_C_TOKEN))
				p++;
		}
		v.l = p - v.p;
		if (!v.l)
			return -EBADMSG;
		auth_store(auth, &n, &v);
		p = skip_ws(p, e);
		if (p < e) {
			if (*p++ != ',')
				return -EBADMSG;
			p = skip_ws(p, e);
			if (p == e)
				return -EBADMSG;
		}
	}
	return 0;
}
