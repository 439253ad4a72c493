/* lib/sip/shed.c: which received datagram a transport far behind may drop unparsed.
 * Only the start line and header names are looked at, with no allocation: the point is
 * to cost a fraction of a parse. It must never select a response, an INVITE, ACK or
 * CANCEL, a request within a dialog (To tag) or one with credentials. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <string.h>

/* The header name of the line [p, e) if it is one of these, case-insensitively, followed by
 * optional whitespace and a colon; then *val is past the colon. */
static bool header_is(const char *p, const char *e, const char *name, const char **val)
{
	size_t n = strlen(name);

	if ((size_t)(e - p) <= n || !sip_casen_eq(p, name, n))
		return false;
	p += n;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= e || *p != ':')
		return false;
	*val = p + 1;
	return true;
}

/* A "tag" parameter in a To value [p, e): ";tag=" with any case and spacing. */
static bool has_tag_param(const char *p, const char *e)
{
	for (; p < e; p++) {
		const char *q = p + 1;

		if (*p != ';')
			continue;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (e - q >= 3 && sip_casen_eq(q, "tag", 3))
			return true;
	}
	return false;
}

bool sip_dgram_sheddable(const char *buf, size_t len)
{
	static const char *const keep[] = {"INVITE ", "ACK ",   "CANCEL ",
	                                   "BYE ",    "PRACK ", "UPDATE "};
	const char *p = buf, *e = buf + len, *lf, *val;

	if (len < 16 || memcmp(buf, "SIP/", 4) == 0)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(keep); i++)
		if (len > strlen(keep[i]) && memcmp(buf, keep[i], strlen(keep[i])) == 0)
			return false;
	while ((lf = memchr(p, '\n', e - p))) {
		p = lf + 1;
		if (p >= e || *p == '\r' || *p == '\n')
			return true; /* the end of the header section: none of them */
		lf = memchr(p, '\n', e - p);
		const char *eol = lf ? lf : e;
		if (header_is(p, eol, "authorization", &val) ||
		    header_is(p, eol, "proxy-authorization", &val))
			return false;
		/* a folded To value could carry its tag on the next line: keep it then */
		if ((header_is(p, eol, "to", &val) || header_is(p, eol, "t", &val)) &&
		    (has_tag_param(val, eol) ||
		     (lf && lf + 1 < e && (lf[1] == ' ' || lf[1] == '\t'))))
			return false;
	}
	return false; /* no end of headers: let the parser answer it */
}
