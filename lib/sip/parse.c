/* lib/sip/parse.c: SIP message parsing (RFC 3261 §7, §20, §25): start line, header lines
 * (folding, compact names, comma-separated lists) indexed into a fixed array of slots, and the
 * few values every layer needs (top Via, From, To, Call-ID, CSeq, Content-Length,
 * Max-Forwards). One allocation per message, none per header; never reads past the input. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <string.h>

#define FAIL(st, why, code)                                                                        \
	do {                                                                                       \
		err->status = (st);                                                                \
		err->reason = (why);                                                               \
		rc = (code);                                                                       \
		goto out;                                                                          \
	} while (0)

/* The Request-URI scheme and the version are checked after the header section is indexed, so
 * that a 416 or 505 can still be answered; the first such error is kept here. */
struct deferred {
	uint16_t status;
	const char *reason;
	int rc;
};

static void defer(struct deferred *d, uint16_t status, const char *reason, int rc)
{
	if (!d->status) {
		d->status = status;
		d->reason = reason;
		d->rc = rc;
	}
}

/* SIP-Version: "SIP/2.0" (case-insensitive) is ours; "SIP/x.y" another version (505). */
static int version_check(const char *p, size_t l)
{
	size_t i = 4, d1 = 0, d2 = 0;

	if (l < 4 || g_ascii_strncasecmp(p, "SIP/", 4) != 0)
		return -EBADMSG;
	if (l == 7 && memcmp(p + 4, "2.0", 3) == 0)
		return 0;
	while (i < l && g_ascii_isdigit(p[i]))
		i++, d1++;
	if (i < l && p[i] == '.')
		i++;
	else
		return -EBADMSG;
	while (i < l && g_ascii_isdigit(p[i]))
		i++, d2++;
	return (i == l && d1 && d2) ? -EPROTONOSUPPORT : -EBADMSG;
}

static int parse_request_line(struct sip_msg *msg, const char *p, const char *e,
                              struct sip_err *err, struct deferred *d)
{
	const char *sp1, *sp2;
	int r;

	msg->is_request = true;
	msg->method_name.p = p;
	while (p < e && sip_cis(*p, SIP_C_TOKEN))
		p++;
	msg->method_name.l = p - msg->method_name.p;
	if (!msg->method_name.l || p == e || *p != ' ')
		goto bad;
	msg->method = sip_method_from_pl(&msg->method_name);
	sp1 = p;
	sp2 = memchr(sp1 + 1, ' ', e - sp1 - 1);
	if (!sp2 || sp2 == sp1 + 1 || memchr(sp2 + 1, ' ', e - sp2 - 1))
		goto bad;
	msg->ruri_pl.p = sp1 + 1;
	msg->ruri_pl.l = sp2 - sp1 - 1;

	r = version_check(sp2 + 1, e - sp2 - 1);
	if (r == -EPROTONOSUPPORT)
		defer(d, 505, "Version Not Supported", r);
	else if (r < 0)
		goto bad;

	if (msg->ruri_pl.l > SIP_MAX_URI) {
		defer(d, 414, "Request-URI Too Long", -EMSGSIZE);
	} else if (sip_uri_parse(&msg->ruri, msg->ruri_pl.p, msg->ruri_pl.l) < 0) {
		defer(d, 400, "Bad Request-URI", -EBADMSG);
	} else if (msg->ruri.scheme == SIP_SCHEME_OTHER) {
		defer(d, 416, "Unsupported URI Scheme", -EPROTONOSUPPORT);
	}
	return 0;
bad:
	err->status = 400;
	err->reason = "Bad Request Line";
	return -EBADMSG;
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; the reason may be empty. */
static int parse_status_line(struct sip_msg *msg, const char *p, const char *e, struct sip_err *err)
{
	struct sip_pl code;
	uint32_t st;

	msg->is_request = false;
	/* a response in another version is dropped like any malformed one */
	if (e - p < 11 || version_check(p, 7) < 0 || p[7] != ' ')
		goto bad;
	code.p = p + 8;
	code.l = 3;
	if (sip_pl_u32(&code, 699, &st) < 0 || st < 100)
		goto bad;
	msg->status = (uint16_t)st;
	if (p + 11 < e && p[11] != ' ')
		goto bad;
	msg->reason.p = p + 11 < e ? p + 12 : e;
	msg->reason.l = e - msg->reason.p;
	for (const char *q = msg->reason.p; q < e; q++)
		if (sip_cis(*q, SIP_C_CTL))
			goto bad;
	return 0;
bad:
	err->status = 400;
	err->reason = "Bad Status Line";
	return -EBADMSG;
}

static int add_slot(struct sip_msg *msg, enum sip_hdrid id, const struct sip_pl *name,
                    const char *vp, size_t vl)
{
	struct sip_hdr *h;
	uint16_t i;

	while (vl && sip_cis(vp[vl - 1], SIP_C_WS))
		vl--;
	if (msg->nhdr >= SIP_MAX_HEADERS)
		return -EMSGSIZE;
	i = (uint16_t)msg->nhdr++;
	h = &msg->hdr[i];
	h->name = *name;
	h->val.p = vp;
	h->val.l = vl;
	h->id = (uint16_t)id;
	h->next = SIP_HDR_NONE;
	if (msg->first[id] == SIP_HDR_NONE)
		msg->first[id] = i;
	else
		msg->hdr[msg->last[id]].next = i;
	msg->last[id] = i;
	if (msg->count[id] < 255)
		msg->count[id]++;
	return 0;
}

/* A list-valued header: one slot per element. Commas inside quoted strings or <...> do not
 * split; empty elements are skipped; an empty value still gets one (empty) slot. */
static int add_list(struct sip_msg *msg, enum sip_hdrid id, const struct sip_pl *name,
                    const char *p, const char *e)
{
	const char *s = p;
	unsigned added = 0;
	bool quoted = false, angle = false;
	int r;

	for (;; p++) {
		if (p < e && quoted) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '"')
				quoted = false;
			continue;
		}
		if (p < e && *p != ',') {
			if (*p == '"')
				quoted = true;
			else if (*p == '<')
				angle = true;
			else if (*p == '>')
				angle = false;
			continue;
		}
		if (p < e && angle)
			continue;
		while (s < p && sip_cis(*s, SIP_C_WS))
			s++;
		if (s < p) {
			if ((r = add_slot(msg, id, name, s, p - s)) < 0)
				return r;
			added++;
		}
		if (p >= e)
			break;
		s = p + 1;
	}
	if (quoted)
		return -EBADMSG;
	if (!added)
		return add_slot(msg, id, name, e, 0);
	return 0;
}

/* Whether every NUL in [p, e) is the second octet of a quoted-pair inside a quoted-string:
 * RFC 3261 §25.1's quoted-pair allows %x00 (RFC 4475 §3.1.1.2 sends "\" NUL in a display
 * name); anywhere else a NUL is not SIP. Consumers that make C strings must check for it. */
static bool nul_quoted(const char *p, const char *e)
{
	bool quoted = false;

	for (; p < e; p++) {
		if (!*p)
			return false;
		if (quoted && *p == '\\' && p + 1 < e)
			p++;
		else if (*p == '"')
			quoted = !quoted;
	}
	return !quoted;
}

/* Header lines from p up to the empty line; folds are blanked in place (LWS equals SP, §7.3.1).
 * Returns the start of the body, or NULL with err set. */
static char *parse_headers(struct sip_msg *msg, char *p, char *end, struct sip_err *err, int *rc)
{
	while (p < end) {
		struct sip_pl name;
		enum sip_hdrid id;
		char *ls = p, *v;
		int r;

		if (p[0] == '\r' && p + 1 < end && p[1] == '\n') {
			msg->hdrs.l = p - msg->hdrs.p;
			return p + 2;
		}
		name.p = p;
		while (sip_cis(*p, SIP_C_TOKEN))
			p++;
		name.l = p - name.p;
		while (sip_cis(*p, SIP_C_WS))
			p++;
		if (!name.l || *p != ':')
			goto malformed;
		p++;
		while (sip_cis(*p, SIP_C_WS))
			p++;
		v = p;
		/* up to a CRLF not followed by SP/HT; a bare LF is refused, a NUL unless it is
		 * quoted (other control octets are let through: harmless, and checking them costs
		 * a pass per line) */
		for (;;) {
			char *cr = memchr(p, '\r', end - p);
			if (!cr || cr + 1 >= end || cr[1] != '\n' || memchr(p, '\n', cr - p))
				goto malformed;
			p = cr;
			if (p + 2 < end && sip_cis(p[2], SIP_C_WS)) {
				p[0] = ' ';
				p[1] = ' ';
				continue;
			}
			break;
		}
		if (memchr(v, '\0', p - v) && !nul_quoted(v, p))
			goto malformed;
		if (p - ls > SIP_MAX_LINE) {
			err->status = 513;
			err->reason = "Header Line Too Long";
			*rc = -EMSGSIZE;
			return NULL;
		}
		id = sip_hdr_id(name.p, name.l);
		if (sip_hdr_is_list(id) && memchr(v, ',', p - v))
			r = add_list(msg, id, &name, v, p);
		else
			r = add_slot(msg, id, &name, v, p - v);
		if (r == -EMSGSIZE) {
			err->status = 513;
			err->reason = "Too Many Headers";
			*rc = r;
			return NULL;
		}
		if (r < 0)
			goto malformed;
		p += 2;
	}
	err->status = 400;
	err->reason = "Missing Empty Line After Headers";
	*rc = -EBADMSG;
	return NULL;
malformed:
	err->status = 400;
	err->reason = "Malformed Header Line";
	*rc = -EBADMSG;
	return NULL;
}

static bool single_u32(const struct sip_msg *msg, enum sip_hdrid id, uint32_t max, uint32_t *v)
{
	struct sip_pl pl = msg->hdr[msg->first[id]].val;

	return sip_pl_u32(&pl, max, v) == 0;
}

/* The values every layer reads, parsed once; the first bad one names the error. */
static int parse_core(struct sip_msg *msg, struct sip_err *err)
{
	const struct sip_hdr *h;
	int rc = 0;

	msg->nvia = msg->count[SIP_HDR_VIA];
	if (msg->nvia > SIP_MAX_VIA)
		FAIL(513, "Too Many Via Headers", -EMSGSIZE);
	if ((h = sip_msg_hdr(msg, SIP_HDR_VIA)) && sip_via_parse(&msg->via, &h->val) < 0)
		FAIL(400, "Bad Via", -EBADMSG);
	if ((h = sip_msg_hdr(msg, SIP_HDR_FROM)) && sip_addr_parse(&msg->from, &h->val) < 0)
		FAIL(400, "Bad From", -EBADMSG);
	if ((h = sip_msg_hdr(msg, SIP_HDR_TO)) && sip_addr_parse(&msg->to, &h->val) < 0)
		FAIL(400, "Bad To", -EBADMSG);
	if ((h = sip_msg_hdr(msg, SIP_HDR_CALL_ID))) {
		msg->call_id = h->val;
		if (sip_callid_check(&h->val) < 0)
			FAIL(400, "Bad Call-ID", -EBADMSG);
	}
	if ((h = sip_msg_hdr(msg, SIP_HDR_CSEQ)) && sip_cseq_parse(&msg->cseq, &h->val) < 0)
		FAIL(400, "Bad CSeq", -EBADMSG);
	if (msg->first[SIP_HDR_MAX_FORWARDS] != SIP_HDR_NONE &&
	    !single_u32(msg, SIP_HDR_MAX_FORWARDS, 255, &msg->max_forwards))
		FAIL(400, "Bad Max-Forwards", -EBADMSG);
out:
	return rc;
}

/* Content-Length decides where the body ends; octets past it are ignored (§18.3). */
static int parse_body(struct sip_msg *msg, const char *body, const char *end, struct sip_err *err)
{
	size_t avail = end - body;
	int rc = 0;

	msg->body.p = body;
	msg->body.l = avail;
	if (msg->first[SIP_HDR_CONTENT_LENGTH] == SIP_HDR_NONE)
		return 0;
	for (uint16_t i = msg->first[SIP_HDR_CONTENT_LENGTH]; i != SIP_HDR_NONE;
	     i = msg->hdr[i].next) {
		uint32_t v;
		if (sip_pl_u32(&msg->hdr[i].val, UINT32_MAX, &v) < 0)
			FAIL(400, "Bad Content-Length", -EBADMSG);
		if (i != msg->first[SIP_HDR_CONTENT_LENGTH] && v != msg->content_length)
			FAIL(400, "Conflicting Content-Length", -EBADMSG);
		msg->content_length = v;
	}
	if (msg->content_length > avail)
		FAIL(400, "Content-Length Larger Than Message", -EBADMSG);
	msg->body.l = msg->content_length;
out:
	return rc;
}

int sip_msg_parse(struct sip_msg **msgp, const char *buf, size_t len, struct sip_err *err)
{
	struct sip_err dummy;
	struct deferred d = {0, NULL, 0};
	struct sip_msg *msg = NULL;
	char *p, *end, *eol, *body;
	int rc = 0;

	if (!err)
		err = &dummy;
	err->status = 0;
	err->reason = NULL;
	*msgp = NULL;
	if (!buf)
		FAIL(400, "Empty Message", -EBADMSG);
	/* CRLFs before the start line are keep-alives (§7.5, RFC 5626 §3.5.1) */
	while (len >= 2 && buf[0] == '\r' && buf[1] == '\n') {
		buf += 2;
		len -= 2;
	}
	if (!len)
		FAIL(400, "Empty Message", -EBADMSG);
	if (len > SIP_MAX_MSG_SIZE)
		FAIL(513, "Message Too Large", -EMSGSIZE);

	msg = g_malloc(sizeof(*msg) + len + 1);
	memset(msg, 0, offsetof(struct sip_msg, first));
	memset(msg->first, 0xff, sizeof(msg->first));
	memset(msg->last, 0xff, sizeof(msg->last));
	memset(msg->count, 0, sizeof(msg->count));
	msg->len = len;
	memcpy(msg->buf, buf, len);
	msg->buf[len] = '\0';
	p = msg->buf;
	end = p + len;

	eol = memchr(p, '\r', len);
	if (!eol || eol + 1 >= end || eol[1] != '\n' || memchr(p, '\0', eol - p))
		FAIL(400, "Bad Start Line", -EBADMSG);
	if (len >= 4 && g_ascii_strncasecmp(p, "SIP/", 4) == 0)
		rc = parse_status_line(msg, p, eol, err);
	else
		rc = parse_request_line(msg, p, eol, err, &d);
	if (rc < 0)
		goto out;

	msg->hdrs.p = eol + 2;
	body = parse_headers(msg, eol + 2, end, err, &rc);
	if (!body)
		goto out;
	if (d.status)
		FAIL(d.status, d.reason, d.rc);
	if ((rc = parse_core(msg, err)) < 0)
		goto out;
	rc = parse_body(msg, body, end, err);
out:
	if (rc < 0) {
		/* a request whose headers are indexed can still be answered */
		if (msg && msg->is_request && msg->hdrs.l)
			*msgp = msg;
		else
			g_free(msg);
		return rc;
	}
	*msgp = msg;
	return 0;
}

size_t sip_msg_bytes(const struct sip_msg *msg)
{
	return sizeof(*msg) + msg->len + 1;
}

void sip_msg_free(struct sip_msg *msg)
{
	g_free(msg);
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdrid id)
{
	if ((unsigned)id >= SIP_HDR_COUNT || msg->first[id] == SIP_HDR_NONE)
		return NULL;
	return &msg->hdr[msg->first[id]];
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h)
{
	return h->next == SIP_HDR_NONE ? NULL : &msg->hdr[h->next];
}

const struct sip_hdr *sip_msg_hdr_byname(const struct sip_msg *msg, const char *name)
{
	size_t l = strlen(name);
	enum sip_hdrid id = sip_hdr_id(name, l);
	const struct sip_hdr *h;

	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr(msg, id);
	for (h = sip_msg_hdr(msg, SIP_HDR_OTHER); h; h = sip_msg_hdr_next(msg, h))
		if (h->name.l == l && g_ascii_strncasecmp(h->name.p, name, l) == 0)
			return h;
	return NULL;
}

unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdrid id)
{
	unsigned n = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h; h = sip_msg_hdr_next(msg, h))
		n++;
	return n;
}
