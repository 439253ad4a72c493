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

/* The top Via, from the value on the line [val, eol): "Via: " with received and, when asked
 * for, rport stamped (§18.2.1, RFC 3581), then the line's other values as a Via of their
 * own. FALSE when it is not plain enough to answer without the parser: a quoted string,
 * not UDP, or maddr, received or an rport value already there. */
static bool put_top_via(GString *out, const char *val, const char *eol, const char *host,
                        guint16 host_port, guint16 *via_port, bool *rport)
{
	const char *comma = memchr(val, ',', eol - val);
	struct sip_pl top = {val, (size_t)((comma ? comma : eol) - val)};
	struct sip_via via;
	struct sip_mb mb;
	char stamp[80];

	if (memchr(val, '"', eol - val) || sip_via_parse(&via, &top) < 0 ||
	    !sip_pl_caseeq(&via.transport, "UDP") || via.maddr.l || via.received.l || via.rport > 0)
		return false;
	*via_port = via.port;
	*rport = via.rport == 0;
	if (*rport)
		g_snprintf(stamp, sizeof(stamp), ";received=%s;rport=%u", host, host_port);
	else
		g_snprintf(stamp, sizeof(stamp), ";received=%s", host);
	sip_mb_init_gstring(&mb, out);
	sip_mb_stamped_via(&mb, &top, &via, stamp);
	if (comma) {
		g_string_append(out, "Via:");
		put_line(out, comma + 1, eol);
	}
	return true;
}

int sip_dgram_reply_503(const char *buf, size_t len, const char *src_host, guint16 src_port,
                        const char *tag, GString *out, guint16 *dest_port)
{
	const char *p = buf, *e = buf + len, *lf, *val;
	const char *line_start[4] = {0}, *line_end[4] = {0};
	static const char *const names[4][2] = {
	    {"from", "f"}, {"to", "t"}, {"call-id", "i"}, {"cseq", NULL}};
	guint seen[4] = {0}, seen_via = 0;
	bool rport = false;
	guint16 via_port = 0;
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
			if (seen_via++)
				put_line(out, p, eol);
			else if (!put_top_via(out, val, eol, src_host, src_port, &via_port, &rport))
				goto fail;
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
	if (!seen_via || seen[0] != 1 || seen[1] != 1 || seen[2] != 1 || seen[3] != 1)
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
