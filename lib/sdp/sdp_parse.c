/* sdp_parse.c: SDP text -> XbSdpSession (RFC 8866 §5, §6; RFC 3605 for a=rtcp). Strict where
 * a wrong guess would mislead the media engine: unknown line types, misplaced lines, bad
 * numbers, addresses and rtpmaps are refused with "line N: reason". Lenient where nothing
 * is lost: LF without CR, blank lines at the very end, runs of spaces between fields, an
 * empty s=, and the order of lines within the session part or within one media section
 * (only v, o, s first, r after t, and a media's lines after its m= are enforced). Bounded by
 * XB_SDP_MAX_*; never reads outside the given length. */
#include "sdp_int.h"

#include <string.h>

typedef struct {
	XbSdpSession *sdp;
	XbSdpMedia *m; /* the media section being read, or NULL in the session part */
	unsigned m_line;
	unsigned line;
	bool have_t;
	GError **error;
} Parser;

#define FAIL(p, code, ...) fail_at((p), (code), g_strdup_printf(__VA_ARGS__))

static bool fail_at(Parser *p, XbSdpError code, char *reason)
{
	g_set_error(p->error, XB_SDP_ERROR, code, "line %u: %s", p->line, reason);
	g_free(reason);
	return false;
}

/* Splits value at runs of spaces; returns the fields or NULL when there are more than max. */
static char **split_fields(const char *value, unsigned max, unsigned *n)
{
	char **raw = g_strsplit(value, " ", -1);
	GPtrArray *out = g_ptr_array_new();

	*n = 0;
	for (char **r = raw; *r; r++) {
		if (**r == '\0') {
			g_free(*r);
			continue;
		}
		if (*n >= max) {
			for (; *r; r++)
				g_free(*r);
			g_free(raw);
			g_ptr_array_set_free_func(out, g_free);
			g_ptr_array_unref(out);
			return NULL;
		}
		g_ptr_array_add(out, *r);
		(*n)++;
	}
	g_free(raw);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* A decimal number without sign, within max. */
static bool parse_u64(const char *s, guint64 max, guint64 *out)
{
	guint64 v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (!g_ascii_isdigit(*s))
			return false;
		if (v > (max - (guint64)(*s - '0')) / 10)
			return false;
		v = v * 10 + (guint64)(*s - '0');
	}
	*out = v;
	return true;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	guint64 v;

	if (!parse_u64(s, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* A token of RFC 8866 §9 (attribute names, encoding names, media, protos): visible ASCII
 * without the separators SDP gives meaning to. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7F || strchr("\"(),/:;<=>?@[\\]", *s))
			return false;
	return true;
}

/* nettype addrtype address: "IN IP4 192.0.2.1" or "IN IP6 ::1". */
static bool parse_address(Parser *p, char **f, XbSdpConnection *c)
{
	if (strcmp(f[0], "IN") != 0)
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "network type \"%s\" is not IN", f[0]);
	if (strcmp(f[1], "IP4") == 0)
		c->ipv6 = false;
	else if (strcmp(f[1], "IP6") == 0)
		c->ipv6 = true;
	else
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "address type \"%s\" is neither IP4 nor IP6",
		            f[1]);
	for (const char *s = f[2]; *s; s++)
		if (*s <= ' ' || *s >= 0x7F)
			return FAIL(p, XB_SDP_ERROR_SYNTAX,
			            "the address has a character not allowed");
	c->address = g_strdup(f[2]);
	c->present = true;
	return true;
}

static bool parse_origin(Parser *p, const char *value)
{
	XbSdpOrigin *o = &p->sdp->origin;
	XbSdpConnection c = {0};
	unsigned n;
	g_auto(GStrv) f = split_fields(value, 6, &n);

	if (!f || n != 6)
		return FAIL(p, XB_SDP_ERROR_SYNTAX,
		            "o= needs 6 fields: username sess-id sess-version IN IP4|IP6 address");
	if (!parse_u64(f[1], G_MAXUINT64, &(guint64){0}))
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "o= session id \"%s\" is not a number", f[1]);
	if (!parse_u64(f[2], G_MAXUINT64, &o->sess_version))
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "o= session version \"%s\" is not a number",
		            f[2]);
	if (!parse_address(p, f + 3, &c))
		return false;
	o->username = g_strdup(f[0]);
	o->sess_id = g_strdup(f[1]);
	o->ipv6 = c.ipv6;
	o->address = c.address;
	return true;
}

static bool parse_connection(Parser *p, const char *value, XbSdpConnection *c)
{
	unsigned n;
	g_auto(GStrv) f = split_fields(value, 3, &n);

	if (c->present)
		return FAIL(p, XB_SDP_ERROR_ORDER, "a second c= line at this level");
	if (!f || n != 3)
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "c= needs 3 fields: IN IP4|IP6 address");
	return parse_address(p, f, c);
}

static bool parse_time(Parser *p, const char *value)
{
	guint64 start, stop;
	unsigned n;
	g_auto(GStrv) f = split_fields(value, 2, &n);

	if (!f || n != 2 || !parse_u64(f[0], G_MAXUINT64, &start) ||
	    !parse_u64(f[1], G_MAXUINT64, &stop))
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "t= needs two numbers: start and stop time");
	if (p->have_t) {
		g_ptr_array_add(p->sdp->lines, sdp_line_new('t', NULL, value));
		return true;
	}
	p->sdp->start_time = start;
	p->sdp->stop_time = stop;
	p->have_t = true;
	return true;
}

static bool parse_media(Parser *p, const char *value)
{
	XbSdpMedia *m;
	unsigned n, port, count = 1;
	char *slash;
	g_auto(GStrv) f = split_fields(value, 3 + XB_SDP_MAX_FORMATS, &n);

	if (p->sdp->media->len >= XB_SDP_MAX_MEDIA)
		return FAIL(p, XB_SDP_ERROR_LIMIT, "more than %u m= lines", XB_SDP_MAX_MEDIA);
	if (!f)
		return FAIL(p, XB_SDP_ERROR_LIMIT, "more than %u formats", XB_SDP_MAX_FORMATS);
	if (n < 4)
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "m= needs: media port proto format...");
	if (!is_token(f[0]))
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "m= media \"%s\" is not a token", f[0]);
	slash = strchr(f[1], '/');
	if (slash) {
		*slash = '\0';
		if (!parse_uint(slash + 1, 65535, &count) || count == 0)
			return FAIL(p, XB_SDP_ERROR_SYNTAX, "m= port count \"%s\" is not valid",
			            slash + 1);
	}
	if (!parse_uint(f[1], 65535, &port))
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "m= port \"%s\" is not 0-65535", f[1]);
	for (const char *s = f[2]; *s; s++)
		if (*s != '/' && (*s <= ' ' || *s >= 0x7F || strchr("\"(),:;<=>?@[\\]{}", *s)))
			return FAIL(p, XB_SDP_ERROR_SYNTAX, "m= proto \"%s\" is not valid", f[2]);
	m = xb_sdp_media_add(p->sdp, f[0], port, f[2]);
	m->port_count = count;
	p->m = m;
	p->m_line = p->line;
	for (unsigned i = 3; i < n; i++) {
		unsigned pt;

		if (!is_token(f[i]))
			return FAIL(p, XB_SDP_ERROR_SYNTAX, "m= format \"%s\" is not a token",
			            f[i]);
		if (!xb_sdp_proto_is_rtp(m->proto)) {
			g_ptr_array_add(m->fmts, g_strdup(f[i]));
			continue;
		}
		if (!parse_uint(f[i], 127, &pt))
			return FAIL(p, XB_SDP_ERROR_SYNTAX,
			            "m= format \"%s\" is not an RTP payload type (0-127)", f[i]);
		if (xb_sdp_media_format(m, pt))
			return FAIL(p, XB_SDP_ERROR_SYNTAX, "m= lists payload type %u twice", pt);
		xb_sdp_format_add(m, pt, NULL, 0, 0, NULL);
	}
	return true;
}

/* The format an rtpmap or fmtp names: 1 and *out, or 0 when the m= line does not list it
 * (the line is then kept as it is), or -1 on a malformed line. *rest is what follows the
 * payload type and its space. */
static int attr_format(Parser *p, const char *value, const char *attr, XbSdpFormat **out,
                       const char **rest)
{
	const char *sp = strchr(value, ' ');
	g_autofree char *num = g_strndup(value, sp ? (gsize)(sp - value) : strlen(value));
	unsigned pt;

	if (!sp || !parse_uint(num, 127, &pt)) {
		FAIL(p, XB_SDP_ERROR_SYNTAX, "a=%s needs a payload type (0-127) and a space", attr);
		return -1;
	}
	*rest = sp + 1;
	for (guint i = 0; i < p->m->formats->len; i++) {
		XbSdpFormat *f = p->m->formats->pdata[i];

		if (f->pt == pt) {
			*out = f;
			return 1;
		}
	}
	return 0;
}

/* a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>] */
static bool parse_rtpmap(Parser *p, const char *value, bool *keep)
{
	const char *rest;
	XbSdpFormat *f;
	unsigned rate, channels = 1;
	g_auto(GStrv) parts = NULL;
	guint n;
	int rc = attr_format(p, value, "rtpmap", &f, &rest);

	if (rc <= 0) {
		*keep = rc == 0;
		return rc == 0;
	}
	if (f->has_rtpmap)
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "a second rtpmap for payload type %u", f->pt);
	parts = g_strsplit(rest, "/", 4);
	n = g_strv_length(parts);
	if (n < 2 || n > 3 || !is_token(parts[0]))
		return FAIL(p, XB_SDP_ERROR_SYNTAX,
		            "a=rtpmap needs <encoding>/<clock rate>[/<channels>]");
	if (!parse_uint(parts[1], 10000000, &rate) || rate == 0)
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "a=rtpmap clock rate \"%s\" is not valid",
		            parts[1]);
	if (n == 3 && (!parse_uint(parts[2], 255, &channels) || channels == 0))
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "a=rtpmap channels \"%s\" is not 1-255",
		            parts[2]);
	g_free(f->encoding);
	f->encoding = g_strdup(parts[0]);
	f->clock_rate = rate;
	f->channels = channels;
	f->has_rtpmap = true;
	return true;
}

static bool parse_fmtp(Parser *p, const char *value, bool *keep)
{
	const char *rest;
	XbSdpFormat *f;
	int rc;

	if (!xb_sdp_proto_is_rtp(p->m->proto)) {
		*keep = true;
		return true;
	}
	rc = attr_format(p, value, "fmtp", &f, &rest);
	if (rc <= 0) {
		*keep = rc == 0;
		return rc == 0;
	}
	if (f->fmtp)
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "a second fmtp for payload type %u", f->pt);
	f->fmtp = g_strdup(rest);
	return true;
}

/* a=ptime: milliseconds, an integer or a decimal (RFC 8866 §6.4); the fraction is dropped. */
static bool parse_ptime(Parser *p, const char *value)
{
	const char *dot = strchr(value, '.');
	g_autofree char *whole = g_strndup(value, dot ? (gsize)(dot - value) : strlen(value));
	unsigned ms;

	if (p->m->ptime)
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "a second a=ptime");
	if (!parse_uint(whole, 100000, &ms) || ms == 0 || (dot && !dot[1]))
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "a=ptime \"%s\" is not a positive number",
		            value);
	for (const char *s = dot ? dot + 1 : ""; *s; s++)
		if (!g_ascii_isdigit(*s))
			return FAIL(p, XB_SDP_ERROR_SYNTAX,
			            "a=ptime \"%s\" is not a positive number", value);
	p->m->ptime = ms;
	return true;
}

/* a=rtcp:<port> [IN IP4|IP6 <address>] (RFC 3605 §2.1). */
static bool parse_rtcp(Parser *p, const char *value)
{
	unsigned n;
	g_auto(GStrv) f = split_fields(value, 4, &n);

	if (p->m->rtcp_port)
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "a second a=rtcp");
	if (!f || (n != 1 && n != 4) || !parse_uint(f[0], 65535, &p->m->rtcp_port) ||
	    p->m->rtcp_port == 0)
		return FAIL(p, XB_SDP_ERROR_SYNTAX,
		            "a=rtcp needs a port 1-65535 [IN IP4|IP6 address]");
	return n == 1 || parse_address(p, f + 1, &p->m->rtcp);
}

static XbSdpDirection direction_of(const char *name)
{
	static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i]) == 0)
			return (XbSdpDirection)(XB_SDP_DIR_SENDRECV + i);
	return XB_SDP_DIR_NONE;
}

static bool parse_attribute(Parser *p, const char *text)
{
	const char *colon = strchr(text, ':');
	g_autofree char *name = g_strndup(text, colon ? (gsize)(colon - text) : strlen(text));
	const char *value = colon ? colon + 1 : NULL;
	XbSdpDirection dir = direction_of(name);
	GPtrArray *lines = p->m ? p->m->lines : p->sdp->lines;
	bool keep = false;

	if (!is_token(name))
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "attribute name \"%s\" is not a token", name);
	if (dir != XB_SDP_DIR_NONE) {
		XbSdpDirection *at = p->m ? &p->m->direction : &p->sdp->direction;

		if (value)
			return FAIL(p, XB_SDP_ERROR_SYNTAX, "a=%s takes no value", name);
		if (*at != XB_SDP_DIR_NONE)
			return FAIL(p, XB_SDP_ERROR_SYNTAX, "a second direction attribute (a=%s)",
			            name);
		*at = dir;
		return true;
	}
	if (p->m && value && strcmp(name, "rtpmap") == 0 && xb_sdp_proto_is_rtp(p->m->proto)) {
		if (!parse_rtpmap(p, value, &keep))
			return false;
	} else if (p->m && value && strcmp(name, "fmtp") == 0) {
		if (!parse_fmtp(p, value, &keep))
			return false;
	} else if (p->m && strcmp(name, "ptime") == 0) {
		if (!value || !parse_ptime(p, value))
			return value ? false
			             : FAIL(p, XB_SDP_ERROR_SYNTAX, "a=ptime needs a value");
	} else if (p->m && strcmp(name, "rtcp") == 0) {
		if (!value || !parse_rtcp(p, value))
			return value ? false : FAIL(p, XB_SDP_ERROR_SYNTAX, "a=rtcp needs a value");
	} else {
		keep = true;
	}
	if (keep)
		g_ptr_array_add(lines, sdp_line_new('a', name, value));
	return true;
}

/* The end of a media section: it needs a connection, its own or the session's, unless it is
 * rejected (port 0). */
static bool finish_media(Parser *p)
{
	XbSdpMedia *m = p->m;

	if (m && m->port != 0 && !m->connection.present && !p->sdp->connection.present) {
		g_set_error(p->error, XB_SDP_ERROR, XB_SDP_ERROR_ORDER,
		            "line %u: m=%s has no c= line, nor has the session", p->m_line,
		            m->media);
		return false;
	}
	return true;
}

/* One line "<type>=<value>", value NUL-terminated without its line end. */
static bool parse_line(Parser *p, char type, const char *value)
{
	static const char order[] = "vos";

	if (p->line <= 3) {
		if (type != order[p->line - 1])
			return FAIL(p, XB_SDP_ERROR_ORDER,
			            "expected %c= (an SDP starts v=, o=, s=)", order[p->line - 1]);
	} else if (type == 'v' || type == 'o' || type == 's') {
		return FAIL(p, XB_SDP_ERROR_ORDER, "a second %c= line", type);
	}
	switch (type) {
	case 'v':
		if (strcmp(value, "0") != 0)
			return FAIL(p, XB_SDP_ERROR_SYNTAX, "unsupported version v=%s", value);
		return true;
	case 'o':
		return parse_origin(p, value);
	case 's':
		p->sdp->name = g_strdup(value);
		return true;
	case 'c':
		return parse_connection(p, value, p->m ? &p->m->connection : &p->sdp->connection);
	case 't':
		if (p->m)
			return FAIL(p, XB_SDP_ERROR_ORDER, "t= inside a media section");
		return parse_time(p, value);
	case 'm':
		if (!p->have_t)
			return FAIL(p, XB_SDP_ERROR_ORDER, "m= before any t= line");
		return finish_media(p) && parse_media(p, value);
	case 'a':
		return parse_attribute(p, value);
	case 'r':
		if (p->m || !p->have_t)
			return FAIL(p, XB_SDP_ERROR_ORDER, "r= not after a t= line");
		break;
	case 'u':
	case 'e':
	case 'p':
	case 'z':
		if (p->m)
			return FAIL(p, XB_SDP_ERROR_ORDER, "%c= inside a media section", type);
		break;
	case 'i':
	case 'b':
	case 'k':
		break;
	default:
		return FAIL(p, XB_SDP_ERROR_SYNTAX, "unknown line type '%c'", type);
	}
	g_ptr_array_add(p->m ? p->m->lines : p->sdp->lines, sdp_line_new(type, NULL, value));
	return true;
}

XbSdpSession *xb_sdp_parse(const char *text, gssize len, GError **error)
{
	Parser p = {.error = error};
	g_autoptr(XbSdpSession) sdp = xb_sdp_session_new();
	const char *s, *end;
	size_t n;

	g_return_val_if_fail(text != NULL, NULL);
	n = len < 0 ? strlen(text) : (size_t)len;
	if (n > XB_SDP_MAX_LEN) {
		g_set_error(error, XB_SDP_ERROR, XB_SDP_ERROR_LIMIT,
		            "line 1: the description is longer than %u bytes", XB_SDP_MAX_LEN);
		return NULL;
	}
	p.sdp = sdp;
	s = text;
	end = text + n;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		size_t llen;
		g_autofree char *value = NULL;

		if (eol > s && eol[-1] == '\r')
			eol--;
		llen = (size_t)(eol - s);
		p.line++;
		if (llen == 0) {
			/* blank lines are allowed only at the very end */
			const char *r = s;

			while (r < end && (*r == '\r' || *r == '\n'))
				r++;
			if (r == end && p.line > 1)
				break;
			FAIL(&p, XB_SDP_ERROR_SYNTAX, "empty line");
			return NULL;
		}
		if (p.line > XB_SDP_MAX_LINES) {
			FAIL(&p, XB_SDP_ERROR_LIMIT, "more than %u lines", XB_SDP_MAX_LINES);
			return NULL;
		}
		if (llen > XB_SDP_MAX_LINE) {
			FAIL(&p, XB_SDP_ERROR_LIMIT, "longer than %u bytes", XB_SDP_MAX_LINE);
			return NULL;
		}
		if (llen < 2 || s[1] != '=' || s[0] < 'a' || s[0] > 'z') {
			FAIL(&p, XB_SDP_ERROR_SYNTAX, "not of the form <letter>=<value>");
			return NULL;
		}
		if (memchr(s, '\0', llen) || memchr(s, '\r', llen)) {
			FAIL(&p, XB_SDP_ERROR_SYNTAX, "a NUL or CR inside the line");
			return NULL;
		}
		value = g_strndup(s + 2, llen - 2);
		if (!parse_line(&p, s[0], value))
			return NULL;
		s = nl ? nl + 1 : end;
	}
	if (p.line < 3 || !sdp->name) {
		p.line++;
		FAIL(&p, XB_SDP_ERROR_ORDER, "the description ends before v=, o= and s=");
		return NULL;
	}
	if (!p.have_t) {
		p.line++;
		FAIL(&p, XB_SDP_ERROR_ORDER, "no t= line");
		return NULL;
	}
	if (!finish_media(&p))
		return NULL;
	return g_steal_pointer(&sdp);
}
