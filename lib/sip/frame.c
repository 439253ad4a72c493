/* lib/sip/frame.c: where one SIP message ends in what a transport received (RFC 3261
 * §18.3): over a stream, the empty line and a mandatory Content-Length; in a datagram, the
 * datagram bounds it. Only scans; never copies, allocates or reads past len. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <string.h>

/* Offset just past the CRLF CRLF ending the header section, or 0 if not in [0, len). */
static size_t header_end(const char *buf, size_t len)
{
	const char *p = buf, *e = buf + len;

	while (p < e) {
		const char *lf = memchr(p, '\n', e - p);
		if (!lf)
			return 0;
		if (lf > buf && lf[-1] == '\r' && e - lf >= 3 && lf[1] == '\r' && lf[2] == '\n')
			return (size_t)(lf + 3 - buf);
		p = lf + 1;
	}
	return 0;
}

/* Content-Length (or "l") in the header section [buf, buf + hlen): 1 found, 0 absent,
 * -EBADMSG bad or conflicting. */
static int content_length(const char *buf, size_t hlen, uint32_t *cl)
{
	const char *p = buf, *e = buf + hlen;
	bool found = false;

	/* skip the start line */
	p = memchr(p, '\n', e - p);
	if (!p)
		return 0;
	p++;
	while (p < e) {
		const char *ls = p, *eol, *v, *ve;
		size_t nl;
		uint32_t n = 0;

		/* the logical line: up to a CRLF not followed by SP/HT */
		eol = p;
		for (;;) {
			eol = memchr(eol, '\n', e - eol);
			if (!eol)
				eol = e;
			if (eol + 1 < e && sip_cis(eol[1], SIP_C_WS)) {
				eol++;
				continue;
			}
			break;
		}
		p = eol < e ? eol + 1 : e;
		v = ls;
		while (v < eol && sip_cis(*v, SIP_C_TOKEN))
			v++;
		nl = v - ls;
		if (!((nl == 14 && g_ascii_strncasecmp(ls, "Content-Length", 14) == 0) ||
		      (nl == 1 && (*ls == 'l' || *ls == 'L'))))
			continue;
		while (v < eol && sip_cis(*v, SIP_C_WS))
			v++;
		if (v == eol || *v++ != ':')
			continue;
		while (v < eol && (sip_cis(*v, SIP_C_WS) || *v == '\r' || *v == '\n'))
			v++;
		ve = eol;
		while (ve > v && (sip_cis(ve[-1], SIP_C_WS) || ve[-1] == '\r' || ve[-1] == '\n'))
			ve--;
		{
			struct sip_pl pl = {v, ve - v};
			if (sip_pl_u32(&pl, UINT32_MAX, &n) < 0)
				return -EBADMSG;
		}
		if (found && n != *cl)
			return -EBADMSG;
		*cl = n;
		found = true;
	}
	return found ? 1 : 0;
}

int sip_frame_stream_resume(const char *buf, size_t len, struct sip_frame_state *st, size_t *skip,
                            size_t *msglen, struct sip_err *err)
{
	size_t s = 0, hlen;
	uint32_t cl = 0;
	int r;

	err->status = 0;
	err->reason = NULL;
	*msglen = 0;
	/* CRLFs between messages are keep-alives (§7.5, RFC 5626 §3.5.1) */
	while (len - s >= 2 && buf[s] == '\r' && buf[s + 1] == '\n')
		s += 2;
	*skip = s;
	if (s)
		*st = (struct sip_frame_state){0, 0}; /* a new message starts after them */
	buf += s;
	len -= s;
	if (st->need) {
		if (len < st->need)
			return -EAGAIN;
		*msglen = st->need;
		return 0;
	}
	/* The header end is four octets: resume three before where the last scan stopped. */
	size_t from = st->scanned > 3 ? st->scanned - 3 : 0;
	hlen = from < len ? header_end(buf + from, len - from) : 0;
	if (!hlen) {
		st->scanned = len;
		if (len > SIP_MAX_MSG_SIZE) {
			err->status = 513;
			err->reason = "Message Too Large";
			return -EMSGSIZE;
		}
		return -EAGAIN;
	}
	hlen += from;
	r = content_length(buf, hlen, &cl);
	if (r <= 0) {
		err->status = 400;
		err->reason = r < 0 ? "Bad Content-Length" : "Missing Content-Length";
		return -EBADMSG;
	}
	if (hlen > SIP_MAX_MSG_SIZE || cl > SIP_MAX_MSG_SIZE - hlen) {
		err->status = 513;
		err->reason = "Message Too Large";
		return -EMSGSIZE;
	}
	st->need = hlen + cl;
	if (len < hlen + cl)
		return -EAGAIN;
	*msglen = hlen + cl;
	return 0;
}

int sip_frame_stream(const char *buf, size_t len, size_t *skip, size_t *msglen, struct sip_err *err)
{
	struct sip_frame_state st = {0, 0};

	return sip_frame_stream_resume(buf, len, &st, skip, msglen, err);
}

int sip_frame_dgram(const char *buf, size_t len, size_t *msglen, struct sip_err *err)
{
	size_t s = 0, hlen;
	uint32_t cl = 0;
	int r;

	err->status = 0;
	err->reason = NULL;
	*msglen = 0;
	while (len - s >= 2 && buf[s] == '\r' && buf[s + 1] == '\n')
		s += 2;
	if (s == len)
		return -ENODATA; /* a keep-alive */
	if (len > SIP_MAX_MSG_SIZE) {
		err->status = 513;
		err->reason = "Message Too Large";
		return -EMSGSIZE;
	}
	hlen = header_end(buf + s, len - s);
	if (!hlen) {
		err->status = 400;
		err->reason = "Missing Empty Line After Headers";
		return -EBADMSG;
	}
	r = content_length(buf + s, hlen, &cl);
	if (r < 0) {
		err->status = 400;
		err->reason = "Bad Content-Length";
		return -EBADMSG;
	}
	if (r == 0) {
		*msglen = len; /* the datagram's end is the body's end (§18.3) */
		return 0;
	}
	if (cl > len - s - hlen) {
		err->status = 400;
		err->reason = "Content-Length Larger Than Datagram";
		return -EBADMSG;
	}
	*msglen = s + hlen + cl; /* octets past Content-Length are ignored */
	return 0;
}
