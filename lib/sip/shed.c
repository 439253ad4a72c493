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

/* ---- the stateless 503 built from the raw datagram ---- */

/* One header line [p, e) (no CR or LF) as the output copies it. */
static void put_line(GString *out, const char *p, const char *e)
{
	g_string_append_len(out, p, e - p);
	g_string_append(out, "\r\n");
}

/* The top Via value [v, e): its sent-by port (0 when absent) and whether it asks for rport
 * (RFC 3581). FALSE when it is not plain enough to answer without the parser: a quoted
 * string, maddr or received already there, no SIP/2.0/UDP, a host that does not end. */
static bool top_via_scan(const char *v, const char *e, guint16 *port, bool *rport,
                         const char **params)
{
	const char *p = v;
	unsigned long n = 0;

	*port = 0;
	*rport = false;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (e - p < 11 || !sip_casen_eq(p, "SIP", 3))
		return false;
	p = memchr(p, '/', e - p);
	p = p ? memchr(p + 1, '/', e - p - 1) : NULL;
	if (!p)
		return false;
	p++;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (e - p < 3 || !sip_casen_eq(p, "UDP", 3))
		return false;
	p += 3;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p < e && *p == '[') {
		p = memchr(p, ']', e - p);
		if (!p)
			return false;
		p++;
	} else {
		while (p < e && *p != ':' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
	}
	if (p < e && *p == ':') {
		for (p++; p < e && *p >= '0' && *p <= '9' && n <= 65535; p++)
			n = n * 10 + (*p - '0');
		if (n == 0 || n > 65535)
			return false;
		*port = (guint16)n;
	}
	*params = p;
	for (; p < e; p++) {
		const char *q = p + 1;

		if (*p == '"')
			return false;
		if (*p != ';')
			continue;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (e - q >= 5 && sip_casen_eq(q, "rport", 5)) {
			const char *r = q + 5;
			while (r < e && (*r == ' ' || *r == '\t'))
				r++;
			if (r < e && *r == '=')
				return false; /* a value already: not a request's own Via */
			*rport = true;
		} else if ((e - q >= 5 && sip_casen_eq(q, "maddr", 5)) ||
		           (e - q >= 8 && sip_casen_eq(q, "received", 8))) {
			return false;
		}
	}
	return true;
}

/* The top Via with received and rport filled in (§18.2.1, RFC 3581): the value [v, e) is
 * copied without a bare rport, then ;received=HOST and, when asked for, ;rport=PORT. */
static void put_top_via(GString *out, const char *v, const char *e, const char *params,
                        const char *host, guint16 port, bool rport)
{
	const char *p = params;

	g_string_append_len(out, v, params - v);
	while (p < e) {
		const char *q = memchr(p + 1, ';', e - p - 1);
		const char *end = q ? q : e, *n = p + 1;

		while (n < end && (*n == ' ' || *n == '\t'))
			n++;
		if (!(end - n >= 5 && sip_casen_eq(n, "rport", 5)))
			g_string_append_len(out, p, end - p);
		p = end;
	}
	g_string_append_printf(out, ";received=%s", host);
	if (rport)
		g_string_append_printf(out, ";rport=%u", port);
}

int sip_dgram_reply_503(const char *buf, size_t len, const char *src_host, guint16 src_port,
                        const char *tag, GString *out, guint16 *dest_port)
{
	const char *p = buf, *e = buf + len, *lf, *val;
	const char *via_first = NULL, *via_first_end = NULL;
	const char *line_start[4] = {0}, *line_end[4] = {0};
	static const char *const names[4][2] = {
	    {"from", "f"}, {"to", "t"}, {"call-id", "i"}, {"cseq", NULL}};
	guint seen[4] = {0};
	bool rport = false;
	guint16 via_port = 0;
	const char *params;
	gsize mark = out->len;

	if (!sip_dgram_sheddable(buf, len))
		return 0;
	g_string_append(out, "SIP/2.0 503 Service Unavailable\r\n");
	lf = memchr(p, '\n', e - p);
	for (p = lf ? lf + 1 : e; p < e && *p != '\r' && *p != '\n'; p = lf ? lf + 1 : e) {
		const char *eol;

		if (*p == ' ' || *p == '\t')
			goto fail; /* a folded line: leave it to the parser */
		lf = memchr(p, '\n', e - p);
		eol = lf ? lf : e;
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (header_is(p, eol, "via", &val) || header_is(p, eol, "v", &val)) {
			if (via_first) {
				put_line(out, p, eol);
				continue;
			}
			const char *comma = memchr(val, ',', eol - val);
			via_first = val;
			via_first_end = comma ? comma : eol;
			if (!top_via_scan(via_first, via_first_end, &via_port, &rport, &params))
				goto fail;
			g_string_append_len(out, p, val - p);
			put_top_via(out, via_first, via_first_end, params, src_host, src_port,
			            rport);
			put_line(out, via_first_end, eol); /* the line's other values, if any */
			continue;
		}
		for (guint i = 0; i < 4; i++)
			if (header_is(p, eol, names[i][0], &val) ||
			    (names[i][1] && header_is(p, eol, names[i][1], &val))) {
				seen[i]++;
				line_start[i] = p;
				line_end[i] = eol;
			}
	}
	if (!via_first || seen[0] != 1 || seen[1] != 1 || seen[2] != 1 || seen[3] != 1)
		goto fail;
	put_line(out, line_start[0], line_end[0]);
	while (line_end[1] > line_start[1] && (line_end[1][-1] == ' ' || line_end[1][-1] == '\t'))
		line_end[1]--;
	g_string_append_len(out, line_start[1], line_end[1] - line_start[1]);
	g_string_append_printf(out, ";tag=%s\r\n", tag);
	put_line(out, line_start[2], line_end[2]);
	put_line(out, line_start[3], line_end[3]);
	g_string_append(out, "Retry-After: 5\r\nContent-Length: 0\r\n\r\n");
	*dest_port = rport ? src_port : via_port ? via_port : 5060;
	return 1;
fail:
	g_string_truncate(out, mark);
	return -1;
}
