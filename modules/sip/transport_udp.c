/* transport_udp.c: mod_sip's UDP sockets: datagrams read in batches with recvmmsg, the
 * responses a batch makes held for one sendmmsg, and the measure of how far behind the
 * socket is, which sheds new requests before they cost a transaction. */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "transport_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h> /* SK_MEMINFO_* for SO_MEMINFO */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* ---- UDP ---- */

/* How far behind the loop is on UDP, judged afresh for each batch read from a socket: how
 * long the oldest datagram of the batch waited in the receive queue (its kernel time stamp,
 * SO_TIMESTAMPNS) and how full the queue still is (SO_MEMINFO). Level 1, a wait over 250 ms
 * (T1/2 by default) or the queue over half full: new requests without credentials get a
 * stateless 503 (sip_txl_set_shedding), which ends a well-behaved client's attempt at once
 * instead of letting it retransmit. Level 2, a wait over 400 ms or the queue three quarters
 * full: the loop cannot even keep up with 503s, and such requests are dropped before
 * parsing (sip_dgram_sheddable) before the kernel starts dropping at random. At high rates
 * the queue fills long before any datagram has waited 250 ms. A short stall of the loop
 * (a WAL checkpoint, a busy machine) stays under these and sheds nothing; there is no
 * memory from one batch to the next, so shedding stops as soon as the queue is short. */
static void udp_check_lag(SipTransports *tp, int fd, struct msghdr *first)
{
	struct timespec now;
	gint64 lag_ms = 0;
	guint32 mi[SK_MEMINFO_VARS], q = 0, cap = 1;
	socklen_t len = sizeof(mi);

	for (struct cmsghdr *c = CMSG_FIRSTHDR(first); c; c = CMSG_NXTHDR(first, c)) {
		struct timespec stamp;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS ||
		    clock_gettime(CLOCK_REALTIME, &now) != 0)
			continue;
		memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
		lag_ms =
		    (now.tv_sec - stamp.tv_sec) * 1000 + (now.tv_nsec - stamp.tv_nsec) / 1000000;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
	    len >= sizeof(guint32) * (SK_MEMINFO_RCVBUF + 1) && mi[SK_MEMINFO_RCVBUF] > 0) {
		q = mi[SK_MEMINFO_RMEM_ALLOC];
		cap = mi[SK_MEMINFO_RCVBUF];
	}
	tp->udp_behind = lag_ms > 400 || q > cap / 4 * 3 ? 2 : lag_ms > 250 || q > cap / 2 ? 1 : 0;
}

gboolean sip_transport_behind(SipTransports *tp)
{
	return tp->udp_behind > 0;
}

guint64 sip_transport_dropped_behind(SipTransports *tp)
{
	return tp->udp_dropped;
}

guint64 sip_transport_shed(SipTransports *tp)
{
	return tp->udp_shed;
}

/* Send the responses held during a batch, a sendmmsg per run of the same socket. A message
 * the kernel refuses is skipped, as the sendto it stands for would have failed. */
static void udp_flush_held(SipTransports *tp)
{
	struct mmsghdr mh[UDP_HELD];
	struct iovec iov[UDP_HELD];
	guint i = 0;

	while (i < tp->n_held) {
		int fd = tp->held[i].fd;
		guint n = 0, sent = 0;

		for (; i + n < tp->n_held && tp->held[i + n].fd == fd; n++) {
			HeldSend *h = &tp->held[i + n];
			iov[n] = (struct iovec){tp->held_bytes->data + h->off, h->len};
			mh[n] = (struct mmsghdr){.msg_hdr = {.msg_name = &h->to,
			                                     .msg_namelen = h->to_len,
			                                     .msg_iov = &iov[n],
			                                     .msg_iovlen = 1}};
		}
		while (sent < n) {
			int r = sendmmsg(fd, mh + sent, n - sent, MSG_DONTWAIT);
			sent += r > 0 ? (guint)r : 1;
		}
		i += n;
	}
	tp->n_held = 0;
	g_byte_array_set_size(tp->held_bytes, 0);
}

/* Hold a UDP response for the batch's sendmmsg; FALSE when it must go out now. */
gboolean udp_hold(SipTransports *tp, int fd, const SipFlow *to, const char *buf, size_t len)
{
	HeldSend *h;

	if (!tp->holding || len > UDP_HELD_MAX || len < 8 || memcmp(buf, "SIP/2.0 ", 8) != 0) {
		/* What goes out now does not pass what the batch held before it: a B2BUA relays
		 * a response and then a request read in the same batch (the 200 of an INFO, then
		 * a BYE), and the far end must see them in that order. */
		if (tp->n_held)
			udp_flush_held(tp);
		return FALSE;
	}
	if (tp->n_held == UDP_HELD)
		udp_flush_held(tp);
	h = &tp->held[tp->n_held++];
	h->fd = fd;
	memcpy(&h->to, &to->addr, to->addr_len);
	h->to_len = to->addr_len;
	h->off = tp->held_bytes->len;
	h->len = len;
	g_byte_array_append(tp->held_bytes, (const guint8 *)buf, len);
	return TRUE;
}

/* Level 1: a new request without credentials gets its 503 with no parse (the parser still
 * answers those too unusual to be answered from their raw lines). */
static gboolean udp_shed(SipTransports *tp, const char *buf, size_t len, const SipFlow *from)
{
	char host[INET6_ADDRSTRLEN], tag[17];
	guint16 port, dest;
	SipFlow to = *from;

	sip_sockaddr_text(&from->addr, host, sizeof(host), &port);
	xb_random_hex(tag, sizeof(tag) - 1);
	g_string_truncate(tp->shed_out, 0);
	if (sip_dgram_reply_503(buf, len, host, port, tag, tp->shed_out, &dest) != 1)
		return FALSE;
	if (to.addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&to.addr)->sin6_port = htons(dest);
	else
		((struct sockaddr_in *)&to.addr)->sin_port = htons(dest);
	tp->udp_shed++;
	sip_transport_send(tp, &to, tp->shed_out->str, tp->shed_out->len);
	return TRUE;
}

static void udp_datagram(SipTransports *tp, const char *buf, size_t n, SipFlow *from)
{
	size_t msglen;
	struct sip_err err;
	int r = sip_frame_dgram(buf, n, &msglen, &err);

	if (r == -ENODATA)
		return; /* a CRLF keep-alive */
	if (r < 0) {
		/* Parse what there is only to answer it (413/513/400 ...). */
		struct sip_msg *msg = NULL;
		struct sip_err perr;
		sip_msg_parse(&msg, buf, MIN(n, (size_t)SIP_MAX_MSG_SIZE), &perr);
		if (msg)
			answer_stateless(tp, msg, from, &err);
		g_clear_pointer(&msg, sip_msg_free);
		return;
	}
	if (tp->raw && tp->raw(tp->ctx, buf, msglen, from))
		return; /* a retransmission, answered without parsing */
	if (tp->udp_behind > 1 && sip_dgram_sheddable(buf, msglen)) {
		tp->udp_dropped++;
		return;
	}
	if (tp->udp_behind == 1 && udp_shed(tp, buf, msglen, from))
		return;
	deliver(tp, buf, msglen, from);
}

gboolean udp_read_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	Listener *l = user_data;
	SipTransports *tp = l->tp;
	struct mmsghdr mh[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	SipFlow from[UDP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl[UDP_BATCH];

	for (int b = 0; b < UDP_BATCHES; b++) {
		int n;

		for (int i = 0; i < UDP_BATCH; i++) {
			from[i] = (SipFlow){.transport = XB_TRANSPORT_UDP};
			iov[i] = (struct iovec){tp->rx[i], sizeof(tp->rx[i])};
			mh[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &from[i].addr,
			                                     .msg_namelen = sizeof(from[i].addr),
			                                     .msg_iov = &iov[i],
			                                     .msg_iovlen = 1,
			                                     .msg_control = ctl[i].buf,
			                                     .msg_controllen = sizeof(ctl[i].buf)}};
		}
		n = recvmmsg(fd, mh, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			tp->udp_behind = 0; /* drained: caught up */
			break;
		}
		udp_check_lag(tp, fd, &mh[0].msg_hdr);
		tp->holding = TRUE;
		for (int i = 0; i < n; i++) {
			from[i].addr_len = mh[i].msg_hdr.msg_namelen;
			udp_datagram(tp, tp->rx[i], mh[i].msg_len, &from[i]);
		}
		tp->holding = FALSE;
		udp_flush_held(tp);
		if (n < UDP_BATCH)
			break;
	}
	return G_SOURCE_CONTINUE;
}
