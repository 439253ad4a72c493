/* lib/sip/build.c: writes SIP messages (RFC 3261 §7) into a GString or a caller's fixed
 * buffer, and the response to a request (§8.2.6). Refuses CR/LF inside a field so that nothing
 * given can inject a header; a full fixed buffer is an error, never a truncated message. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sip_mb_init_gstring(struct sip_mb *mb, GString *gs)
{
	memset(mb, 0, sizeof(*mb));
	mb->gs = gs;
}

void sip_mb_init_buf(struct sip_mb *mb, char *buf, size_t size)
{
	memset(mb, 0, sizeof(*mb));
	mb->buf = buf;
	mb->size = size;
	if (size)
		buf[0] = '\0';
}

static int put(struct sip_mb *mb, const char *s, size_t l)
{
	if (mb->overflow)
		return -ENOBUFS;
	if (mb->gs) {
		g_string_append_len(mb->gs, s, (gssize)l);
		mb->len = mb->gs->len;
		return 0;
	}
	if (l >= mb->size - mb->len) { /* keep room for the NUL */
		mb->overflow = true;
		return -ENOBUFS;
	}
	memcpy(mb->buf + mb->len, s, l);
	mb->len += l;
	mb->buf[mb->len] = '\0';
	return 0;
}

static int puts_(struct sip_mb *mb, const char *s)
{
	return put(mb, s, strlen(s));
}

static bool field_safe(const char *s, size_t l)
{
	for (size_t i = 0; i < l; i++)
		if (sip_cis(s[i], SIP_C_CTL))
			return false;
	return true;
}

int sip_mb_request_line(struct sip_mb *mb, const char *method, const char *uri)
{
	struct sip_pl m = sip_pl_str(method);

	if (!sip_token_valid(&m) || !*uri || strpbrk(uri, " \t\r\n"))
		return -EINVAL;
	if (puts_(mb, method) || put(mb, " ", 1) || puts_(mb, uri) || put(mb, " SIP/2.0\r\n", 10))
		return -ENOBUFS;
	return 0;
}

int sip_mb_status_line(struct sip_mb *mb, unsigned status, const char *reason)
{
	char code[16];

	if (status < 100 || status > 699)
		return -EINVAL;
	if (!reason)
		reason = sip_reason_default(status);
	if (!field_safe(reason, strlen(reason)))
		return -EINVAL;
	snprintf(code, sizeof(code), "SIP/2.0 %03u ", status);
	if (puts_(mb, code) || puts_(mb, reason) || put(mb, "\r\n", 2))
		return -ENOBUFS;
	return 0;
}

int sip_mb_header_pl(struct sip_mb *mb, const char *name, const struct sip_pl *value)
{
	struct sip_pl n = sip_pl_str(name);

	if (!sip_token_valid(&n) || !field_safe(value->p, value->l))
		return -EINVAL;
	if (puts_(mb, name) || put(mb, ": ", 2) || put(mb, value->p, value->l) ||
	    put(mb, "\r\n", 2))
		return -ENOBUFS;
	return 0;
}

int sip_mb_header(struct sip_mb *mb, const char *name, const char *value)
{
	struct sip_pl v = sip_pl_str(value);

	return sip_mb_header_pl(mb, name, &v);
}

int sip_mb_headerf(struct sip_mb *mb, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *v;
	int r;

	va_start(ap, fmt);
	v = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r = sip_mb_header(mb, name, v);
	g_free(v);
	return r;
}

/* Ends the header section with Content-Type (if a body) and Content-Length, then the body. */
int sip_mb_body(struct sip_mb *mb, const char *ctype, const void *body, size_t len)
{
	char cl[48];

	if (len && ctype && sip_mb_header(mb, "Content-Type", ctype) < 0)
		return mb->overflow ? -ENOBUFS : -EINVAL;
	snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", len);
	if (puts_(mb, cl) || (len && put(mb, body, len)))
		return -ENOBUFS;
	return 0;
}

int sip_mb_end(struct sip_mb *mb)
{
	return sip_mb_body(mb, NULL, NULL, 0);
}

const char *sip_reason_default(unsigned status)
{
	static const struct {
		unsigned code;
		const char *reason;
	} reasons[] = {
	    {100, "Trying"},
	    {180, "Ringing"},
	    {181, "Call Is Being Forwarded"},
	    {182, "Queued"},
	    {183, "Session Progress"},
	    {200, "OK"},
	    {202, "Accepted"},
	    {300, "Multiple Choices"},
	    {301, "Moved Permanently"},
	    {302, "Moved Temporarily"},
	    {305, "Use Proxy"},
	    {380, "Alternative Service"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {402, "Payment Required"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {406, "Not Acceptable"},
	    {407, "Proxy Authentication Required"},
	    {408, "Request Timeout"},
	    {410, "Gone"},
	    {413, "Request Entity Too Large"},
	    {414, "Request-URI Too Long"},
	    {415, "Unsupported Media Type"},
	    {416, "Unsupported URI Scheme"},
	    {420, "Bad Extension"},
	    {421, "Extension Required"},
	    {423, "Interval Too Brief"},
	    {480, "Temporarily Unavailable"},
	    {481, "Call/Transaction Does Not Exist"},
	    {482, "Loop Detected"},
	    {483, "Too Many Hops"},
	    {484, "Address Incomplete"},
	    {485, "Ambiguous"},
	    {486, "Busy Here"},
	    {487, "Request Terminated"},
	    {488, "Not Acceptable Here"},
	    {489, "Bad Event"},
	    {491, "Request Pending"},
	    {493, "Undecipherable"},
	    {500, "Server Internal Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Server Time-out"},
	    {505, "Version Not Supported"},
	    {513, "Message Too Large"},
	    {600, "Busy Everywhere"},
	    {603, "Decline"},
	    {604, "Does Not Exist Anywhere"},
	    {606, "Not Acceptable"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(reasons); i++)
		if (reasons[i].code == status)
			return reasons[i].reason;
	return status < 200   ? "Progress"
	       : status < 300 ? "Success"
	       : status < 400 ? "Redirect"
	       : status < 500 ? "Client Error"
	       : status < 600 ? "Server Error"
	                      : "Global Failure";
}

/* A header copied from a parsed request, octets as they came (a quoted-pair may escape any
 * control octet, NUL included, RFC 3261 §25.1); only CR and LF, which would end the line, are
 * refused. The parser blanked folds, so a parsed value holds neither. */
static int copy_one(struct sip_mb *mb, const char *name, const struct sip_pl *v, const char *tag)
{
	if (memchr(v->p, '\r', v->l) || memchr(v->p, '\n', v->l))
		return -EINVAL;
	if (puts_(mb, name) || put(mb, ": ", 2) || put(mb, v->p, v->l))
		return -ENOBUFS;
	if (tag && (put(mb, ";tag=", 5) || puts_(mb, tag)))
		return -ENOBUFS;
	return put(mb, "\r\n", 2);
}

static int copy_all(struct sip_mb *mb, const struct sip_msg *req, enum sip_hdrid id)
{
	for (const struct sip_hdr *h = sip_msg_hdr(req, id); h; h = sip_msg_hdr_next(req, h))
		if (copy_one(mb, sip_hdr_name(id), &h->val, NULL) < 0)
			return -ENOBUFS;
	return 0;
}

void sip_msg_stamp_via(struct sip_msg *msg, const char *host, uint16_t port)
{
	struct sip_pl vh = msg->via.host;
	size_t hl = strlen(host);

	msg->via_stamp[0] = '\0';
	if (!sip_msg_hdr(msg, SIP_HDR_VIA))
		return;
	if (vh.l >= 2 && vh.p[0] == '[') { /* an IPv6 reference: compare without brackets */
		vh.p++;
		vh.l -= 2;
	}
	if (msg->via.rport < 0 && vh.l == hl && !memcmp(vh.p, host, hl))
		return;
	if (msg->via.rport >= 0)
		snprintf(msg->via_stamp, sizeof(msg->via_stamp), ";received=%s;rport=%u", host,
		         port);
	else
		snprintf(msg->via_stamp, sizeof(msg->via_stamp), ";received=%s", host);
}

int sip_mb_stamped_via(struct sip_mb *mb, const struct sip_pl *val, const struct sip_via *via,
                       const char *stamp)
{
	struct sip_pl rest = via->params;
	struct sip_param prm;
	const char *params = via->params.p ? via->params.p : val->p + val->l;
	size_t head = (size_t)(params - val->p);

	if (via->params.p && head && val->p[head - 1] == ';')
		head--;
	if (puts_(mb, "Via: ") || put(mb, val->p, head))
		return -ENOBUFS;
	while (sip_param_next(&rest, &prm) > 0) {
		if (sip_pl_caseeq(&prm.name, "rport") || sip_pl_caseeq(&prm.name, "received"))
			continue;
		if (put(mb, ";", 1) || put(mb, prm.name.p, prm.name.l))
			return -ENOBUFS;
		if (prm.has_val && (put(mb, "=", 1) || put(mb, prm.val.p, prm.val.l)))
			return -ENOBUFS;
	}
	if (puts_(mb, stamp) || put(mb, "\r\n", 2))
		return -ENOBUFS;
	return 0;
}

static int copy_vias(struct sip_mb *mb, const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_VIA);

	if (h && req->via_stamp[0]) {
		if (sip_mb_stamped_via(mb, &h->val, &req->via, req->via_stamp) < 0)
			return -ENOBUFS;
		h = sip_msg_hdr_next(req, h);
	}
	for (; h; h = sip_msg_hdr_next(req, h))
		if (copy_one(mb, "Via", &h->val, NULL) < 0)
			return -ENOBUFS;
	return 0;
}

/* §8.2.6.2: Via (all, in order), From, To, Call-ID and CSeq copied; a To without a tag gets
 * to_tag, except in 100 Trying; Timestamp copied into a 100 (§8.2.6.1). The caller then adds
 * its own headers and ends with sip_mb_end() or sip_mb_body(). */
int sip_msg_reply(struct sip_mb *mb, const struct sip_msg *req, unsigned status, const char *reason,
                  const char *to_tag)
{
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	int r;

	if (!req->is_request)
		return -EINVAL;
	if ((r = sip_mb_status_line(mb, status, reason)) < 0)
		return r;
	if (copy_vias(mb, req) || copy_all(mb, req, SIP_HDR_FROM))
		return -ENOBUFS;
	if (to) {
		if (status > 100 && to_tag && !req->to.has_tag) {
			struct sip_pl tag = sip_pl_str(to_tag);
			if (!sip_token_valid(&tag))
				return -EINVAL;
			if (copy_one(mb, "To", &to->val, to_tag) < 0)
				return -ENOBUFS;
		} else if (copy_one(mb, "To", &to->val, NULL) < 0) {
			return -ENOBUFS;
		}
	}
	if (copy_all(mb, req, SIP_HDR_CALL_ID) || copy_all(mb, req, SIP_HDR_CSEQ))
		return -ENOBUFS;
	if (status == 100 && copy_all(mb, req, SIP_HDR_TIMESTAMP))
		return -ENOBUFS;
	return 0;
}
