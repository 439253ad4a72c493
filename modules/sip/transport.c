/* transport.c: mod_sip's sockets. UDP datagrams and TCP/TLS streams are framed (§18.3),
 * parsed, stamped with received/rport (§18.2.1, RFC 3581) and handed up; what cannot reach a
 * transaction is answered here, statelessly, when enough of it parsed. Connections are kept
 * in a table by id and by peer so that responses and later requests reuse the same flow;
 * idle ones are closed. Nothing here blocks: sockets are non-blocking and writes that do not
 * fit wait in a bounded queue. */
#define _GNU_SOURCE /* accept4 */
#include "transport.h"

#include <gio/gio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <linux/sock_diag.h> /* SK_MEMINFO_* for SO_MEMINFO */
#include <linux/sockios.h>   /* SIOCGSTAMPNS */
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <unistd.h>

#define SIP_RCVBUF      (4 * 1024 * 1024)
#define SIP_SNDBUF      (1 * 1024 * 1024)
#define CONN_MAX_QUEUE  (4 * 1024 * 1024) /* unsent bytes before a connection is dropped */
#define CONN_MAX_INPUT  (SIP_MAX_MSG_SIZE + 4096)
#define MAX_CONNECTIONS 4096

typedef struct {
	int fd;
	guint watch;
	XbListenAddr addr;
	int family;
	char sent_by[80];
	SipTransports *tp;
} Listener;

typedef struct {
	guint64 id;
	int fd;
	XbTransport transport;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	GByteArray *in;
	GByteArray *out;
	guint watch;
	GIOCondition watching;
	XbTimer *idle;
	SSL *ssl;
	gboolean connecting; /* outgoing, connect() in progress */
	gboolean handshaking;
	gboolean outgoing;
	SipTransports *tp;
} Conn;

struct sip_transports {
	XbModule *owner;
	SipTransportConfig cfg;
	char *tls_certificate, *tls_key, *tls_ca_file, *server_header;
	SipRecvFunc recv;
	void *ctx;
	GPtrArray *listeners; /* Listener * */
	GHashTable *conns;    /* id -> Conn * */
	guint64 next_id;
	SSL_CTX *tls_server;
	SSL_CTX *tls_client;
	int udp_behind;      /* 0, 1 or 2: see udp_check_lag */
	guint64 udp_dropped; /* datagrams dropped unparsed at level 2 */
	char rxbuf[65536];
};

static gboolean same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return FALSE;
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
	return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* ---- received messages ---- */

/* §18.2.1 and RFC 3581: the top Via learns where the request really came from, for the
 * responses built from it (sip_msg_reply); the parsed message stays as it came. */
static void stamp_via(struct sip_msg *msg, const struct sockaddr_storage *src)
{
	char host[INET6_ADDRSTRLEN];
	guint16 port;

	sip_sockaddr_text(src, host, sizeof(host), &port);
	sip_msg_stamp_via(msg, host, port);
}

/* Where the responses to this request go (§18.2.2): its connection for a stream; for UDP the
 * source address when rport was asked for, else the source IP with the Via's port. */
static void response_peer(const struct sip_msg *msg, SipPeer *peer)
{
	if (peer->transport != XB_TRANSPORT_UDP || msg->via.rport >= 0)
		return;
	guint16 port = msg->via.port ? msg->via.port : 5060;
	if (peer->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&peer->addr)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&peer->addr)->sin_port = htons(port);
}

/* A request too broken for a transaction gets its error here, when its Via, From, To,
 * Call-ID and CSeq are there to answer with (§8.1.3.3 needs them). */
static void answer_stateless(SipTransports *tp, const struct sip_msg *req, const SipPeer *from,
                             const struct sip_err *err)
{
	g_autoptr(GString) out = g_string_sized_new(512);
	struct sip_mb mb;
	SipPeer to = *from;
	char tag[17];

	if (!req || !req->is_request || req->method == SIP_METHOD_ACK ||
	    !sip_msg_hdr(req, SIP_HDR_VIA) || !sip_msg_hdr(req, SIP_HDR_FROM) ||
	    !sip_msg_hdr(req, SIP_HDR_TO) || !sip_msg_hdr(req, SIP_HDR_CALL_ID) ||
	    !sip_msg_hdr(req, SIP_HDR_CSEQ))
		return;
	g_snprintf(tag, sizeof(tag), "%08x%08x", g_random_int(), g_random_int());
	sip_mb_init_gstring(&mb, out);
	if (sip_msg_reply(&mb, req, err->status, err->reason, tag) < 0)
		return;
	if (tp->server_header && *tp->server_header)
		sip_mb_header(&mb, "Server", tp->server_header);
	if (err->status == 505 || err->status == 501 || err->status == 405)
		sip_mb_header(&mb, "Allow",
		              "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO, "
		              "UPDATE, NOTIFY, SUBSCRIBE, REFER, MESSAGE");
	if (sip_mb_end(&mb) < 0)
		return;
	response_peer(req, &to);
	sip_transport_send(tp, &to, out->str, out->len);
}

/* A request so broken that the parser gave nothing back (a header line without a colon,
 * say) still gets its 400 when the five headers a response copies can be found by name,
 * line by line, and are copied as they are. */
static void answer_unparsed(SipTransports *tp, const char *buf, size_t len, const SipPeer *from,
                            const struct sip_err *err)
{
	static const char *const wanted[][2] = {
	    {"via", "v"}, {"from", "f"}, {"to", "t"}, {"call-id", "i"}, {"cseq", NULL}};
	g_autofree char *text = g_strndup(buf, MIN(len, (size_t)SIP_MAX_MSG_SIZE));
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GString) hdrs = g_string_new(NULL);
	guint found = 0;

	if (!lines[0] || g_str_has_prefix(lines[0], "SIP/") || !err->status)
		return;
	for (guint i = 1; lines[i] && *g_strstrip(lines[i]); i++) {
		char *colon = strchr(lines[i], ':');
		if (!colon)
			continue;
		g_autofree char *name = g_ascii_strdown(lines[i], colon - lines[i]);
		g_strstrip(name);
		for (guint w = 0; w < G_N_ELEMENTS(wanted); w++) {
			if (strcmp(name, wanted[w][0]) != 0 && g_strcmp0(name, wanted[w][1]) != 0)
				continue;
			found |= 1u << w;
			g_string_append_printf(hdrs, "%s\r\n", lines[i]);
		}
	}
	if (found != (1u << G_N_ELEMENTS(wanted)) - 1 || g_str_has_prefix(lines[0], "ACK "))
		return;
	g_autoptr(GString) out = g_string_sized_new(256 + hdrs->len);
	g_string_append_printf(out, "SIP/2.0 %u %s\r\n%s", err->status, err->reason, hdrs->str);
	if (tp->server_header && *tp->server_header)
		g_string_append_printf(out, "Server: %s\r\n", tp->server_header);
	g_string_append(out, "Content-Length: 0\r\n\r\n");
	sip_transport_send(tp, from, out->str, out->len);
}

static void deliver(SipTransports *tp, const char *buf, size_t len, SipPeer *from)
{
	struct sip_msg *msg = NULL;
	struct sip_err err = {0, NULL};
	g_autofree char *who = NULL;

	if (sip_msg_parse(&msg, buf, len, &err) < 0) {
		who = sip_peer_to_string(from);
		g_info("%s: malformed message: %u %s", who, err.status,
		       err.reason ? err.reason : "");
		if (msg)
			answer_stateless(tp, msg, from, &err);
		else
			answer_unparsed(tp, buf, len, from, &err);
		g_clear_pointer(&msg, sip_msg_free);
		return;
	}
	if (msg->is_request) {
		if (sip_msg_validate_request(msg, &err) < 0) {
			answer_stateless(tp, msg, from, &err);
			sip_msg_free(msg);
			return;
		}
		stamp_via(msg, &from->addr);
		response_peer(msg, from);
	} else if (sip_msg_validate_response(msg, &err) < 0) {
		sip_msg_free(msg); /* §18.1.2: a broken response is dropped */
		return;
	}
	tp->recv(tp->ctx, msg, from);
}

/* ---- UDP ---- */

/* How far behind the loop is on UDP, judged once per batch from the socket's receive queue:
 * how long the datagram just read waited there (its kernel time stamp, SIOCGSTAMPNS; the
 * first call only turns stamping on) and how full the queue is (SO_MEMINFO; at high rates
 * it fills before the wait grows long, and past full the kernel drops what clients then
 * retransmit). Level 1, over 250 ms (T1/2 by default) or half full: new requests without
 * credentials get 503 (sip_txl_set_shedding). Level 2, over 400 ms or three quarters full:
 * such requests are dropped before parsing (sip_dgram_sheddable), since even a 503 costs a
 * parse and a client retransmits at T1 (500 ms) what has waited that long anyway. A short
 * stall of the loop (a WAL checkpoint, a busy machine) stays under these and sheds nothing.
 * While the queue stays non-empty, level 2 ends below 250 ms and half full, level 1 below
 * 100 ms and an eighth full; an empty queue ends both (one level for all UDP sockets: any
 * of them drained resets it). */
static void udp_check_lag(SipTransports *tp, int fd)
{
	struct timespec stamp, now;
	gint64 lag_ms = 0;
	guint32 mi[SK_MEMINFO_VARS], q = 0, cap = 1;
	socklen_t len = sizeof(mi);
	int want;

	if (ioctl(fd, SIOCGSTAMPNS, &stamp) == 0 && clock_gettime(CLOCK_REALTIME, &now) == 0)
		lag_ms =
		    (now.tv_sec - stamp.tv_sec) * 1000 + (now.tv_nsec - stamp.tv_nsec) / 1000000;
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
	    len >= sizeof(guint32) * (SK_MEMINFO_RCVBUF + 1) && mi[SK_MEMINFO_RCVBUF] > 0) {
		q = mi[SK_MEMINFO_RMEM_ALLOC];
		cap = mi[SK_MEMINFO_RCVBUF];
	}
	want = lag_ms > 400 || q > cap / 4 * 3 ? 2 : lag_ms > 250 || q > cap / 2 ? 1 : 0;
	if (want > tp->udp_behind)
		tp->udp_behind = want;
	else if (lag_ms < 100 && q < cap / 8)
		tp->udp_behind = 0;
	else if (tp->udp_behind == 2 && lag_ms < 250 && q < cap / 2)
		tp->udp_behind = 1;
}

gboolean sip_transport_behind(SipTransports *tp)
{
	return tp->udp_behind > 0;
}

guint64 sip_transport_dropped_behind(SipTransports *tp)
{
	return tp->udp_dropped;
}

static gboolean udp_read_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	Listener *l = user_data;
	SipTransports *tp = l->tp;

	/* Drain a bounded batch per wake-up so that one busy socket cannot starve the loop. */
	for (int i = 0; i < 64; i++) {
		SipPeer from = {.transport = XB_TRANSPORT_UDP};
		from.addr_len = sizeof(from.addr);
		ssize_t n = recvfrom(fd, tp->rxbuf, sizeof(tp->rxbuf), MSG_DONTWAIT,
		                     (struct sockaddr *)&from.addr, &from.addr_len);
		size_t msglen;
		struct sip_err err;

		if (n < 0) {
			tp->udp_behind = 0; /* drained: caught up */
			break;
		}
		if (i == 0)
			udp_check_lag(tp, fd);
		int r = sip_frame_dgram(tp->rxbuf, n, &msglen, &err);
		if (r == -ENODATA)
			continue; /* a CRLF keep-alive */
		if (r < 0) {
			/* Parse what there is only to answer it (413/513/400 ...). */
			struct sip_msg *msg = NULL;
			struct sip_err perr;
			sip_msg_parse(&msg, tp->rxbuf, MIN((size_t)n, (size_t)SIP_MAX_MSG_SIZE),
			              &perr);
			if (msg)
				answer_stateless(tp, msg, &from, &err);
			g_clear_pointer(&msg, sip_msg_free);
			continue;
		}
		if (tp->udp_behind > 1 && sip_dgram_sheddable(tp->rxbuf, msglen)) {
			tp->udp_dropped++;
			continue;
		}
		deliver(tp, tp->rxbuf, msglen, &from);
	}
	return G_SOURCE_CONTINUE;
}

/* ---- connections ---- */

static void conn_close(Conn *c, const char *why)
{
	SipTransports *tp = c->tp;
	char host[INET6_ADDRSTRLEN];
	guint16 port;

	sip_sockaddr_text(&c->peer, host, sizeof(host), &port);
	g_debug("%s connection %" G_GUINT64_FORMAT " with %s:%u closed: %s",
	        sip_transport_name(c->transport), c->id, host, port, why);
	g_hash_table_remove(tp->conns, &c->id);
}

static void conn_free(gpointer data)
{
	Conn *c = data;

	if (c->watch)
		g_source_remove(c->watch);
	xb_timer_clear(&c->idle);
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_free(c);
}

static gboolean conn_io_cb(gint fd, GIOCondition cond, gpointer user_data);

static void conn_watch(Conn *c, GIOCondition cond)
{
	if (c->watch && c->watching == cond)
		return;
	if (c->watch)
		g_source_remove(c->watch);
	c->watching = cond;
	c->watch = g_unix_fd_add(c->fd, cond, conn_io_cb, c);
}

static void conn_idle_cb(XbTimer *t, gpointer user_data)
{
	Conn *c = user_data;

	c->idle = NULL;
	conn_close(c, "idle");
}

static void conn_touch(Conn *c)
{
	xb_timer_clear(&c->idle);
	c->idle = xb_timer_start(c->tp->owner, c->tp->cfg.tcp_idle_timeout_ms, conn_idle_cb, c);
}

static Conn *conn_new(SipTransports *tp, int fd, XbTransport transport,
                      const struct sockaddr_storage *peer, socklen_t peer_len)
{
	Conn *c = g_new0(Conn, 1);

	c->id = ++tp->next_id;
	c->fd = fd;
	c->transport = transport;
	memcpy(&c->peer, peer, peer_len);
	c->peer_len = peer_len;
	c->in = g_byte_array_new();
	c->out = g_byte_array_new();
	c->tp = tp;
	g_hash_table_insert(tp->conns, &c->id, c);
	conn_touch(c);
	return c;
}

/* TLS handshakes and records over the non-blocking socket: each call makes what progress
 * it can and says what it waits for. */
static int tls_want(Conn *c, int rc)
{
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		conn_watch(c, G_IO_IN | G_IO_OUT);
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		return -EPROTO;
	}
}

/* Drive the TLS handshake as far as it goes: 0 when done, else what it waits for. */
static int tls_handshake(Conn *c)
{
	if (!c->handshaking)
		return 0;
	int rc = c->outgoing ? SSL_connect(c->ssl) : SSL_accept(c->ssl);
	if (rc != 1)
		return tls_want(c, rc);
	c->handshaking = FALSE;
	return 0;
}

static ssize_t conn_raw_read(Conn *c, void *buf, size_t len)
{
	if (c->ssl) {
		int hs = tls_handshake(c);
		if (c->handshaking)
			return hs;
		int n = SSL_read(c->ssl, buf, (int)len);
		return n > 0 ? n : tls_want(c, n);
	}
	ssize_t n = read(c->fd, buf, len);
	return n >= 0 ? n : (errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno);
}

static ssize_t conn_raw_write(Conn *c, const void *buf, size_t len)
{
	if (c->ssl) {
		int hs = tls_handshake(c);
		if (c->handshaking)
			return hs;
		int n = SSL_write(c->ssl, buf, (int)len);
		return n > 0 ? n : tls_want(c, n);
	}
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	return n >= 0 ? n : (errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno);
}

/* Push queued bytes; FALSE when the connection died. */
static gboolean conn_flush(Conn *c)
{
	while (c->out->len) {
		ssize_t n = conn_raw_write(c, c->out->data, c->out->len);
		if (n == -EAGAIN) {
			conn_watch(c, G_IO_IN | G_IO_OUT);
			return TRUE;
		}
		if (n <= 0) {
			conn_close(c, "write failed");
			return FALSE;
		}
		g_byte_array_remove_range(c->out, 0, (guint)n);
	}
	conn_watch(c, G_IO_IN);
	return TRUE;
}

static int conn_send(Conn *c, const char *buf, size_t len)
{
	if (c->out->len + len > CONN_MAX_QUEUE) {
		conn_close(c, "send queue full");
		return -ENOBUFS;
	}
	g_byte_array_append(c->out, (const guint8 *)buf, (guint)len);
	conn_touch(c);
	if (c->connecting)
		return 0;
	return conn_flush(c) ? 0 : -ECONNRESET;
}

/* Frame and deliver every complete message in the input; FALSE when the stream is broken
 * (the connection is then closed: a stream that lost its framing cannot be resynchronised,
 * §18.3). */
static gboolean conn_consume(Conn *c)
{
	SipTransports *tp = c->tp;

	while (c->in->len) {
		size_t skip = 0, msglen = 0;
		struct sip_err err;

		/* RFC 5626 §3.5.1: a double CRLF ping gets a single CRLF pong. */
		if (c->in->len >= 4 && memcmp(c->in->data, "\r\n\r\n", 4) == 0) {
			g_byte_array_remove_range(c->in, 0, 4);
			conn_send(c, "\r\n", 2);
			continue;
		}
		/* Half a ping may be all that arrived so far: wait for the rest. */
		if (c->in->len == 2 && memcmp(c->in->data, "\r\n", 2) == 0)
			return TRUE;
		int r =
		    sip_frame_stream((const char *)c->in->data, c->in->len, &skip, &msglen, &err);
		if (r == -EAGAIN) {
			if (skip)
				g_byte_array_remove_range(c->in, 0, (guint)skip);
			return TRUE;
		}
		if (r < 0) {
			struct sip_msg *msg = NULL;
			struct sip_err perr;
			SipPeer from = {.transport = c->transport, .conn_id = c->id};
			memcpy(&from.addr, &c->peer, c->peer_len);
			from.addr_len = c->peer_len;
			sip_msg_parse(&msg, (const char *)c->in->data + skip,
			              MIN(c->in->len - skip, (size_t)SIP_MAX_MSG_SIZE), &perr);
			if (msg)
				answer_stateless(tp, msg, &from, &err);
			g_clear_pointer(&msg, sip_msg_free);
			return FALSE;
		}
		SipPeer from = {.transport = c->transport, .conn_id = c->id};
		memcpy(&from.addr, &c->peer, c->peer_len);
		from.addr_len = c->peer_len;
		guint64 id = c->id;
		deliver(tp, (const char *)c->in->data + skip, msglen, &from);
		/* The layer above may have closed this connection while handling the message. */
		if (!g_hash_table_contains(tp->conns, &id))
			return TRUE;
		g_byte_array_remove_range(c->in, 0, (guint)(skip + msglen));
	}
	return TRUE;
}

static gboolean conn_io_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	Conn *c = user_data;
	guint8 buf[16384];

	if (c->connecting) {
		int err = 0;
		socklen_t elen = sizeof(err);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			c->watch = 0;
			conn_close(c, g_strerror(err));
			return G_SOURCE_REMOVE;
		}
		c->connecting = FALSE;
	}
	if (cond & G_IO_OUT) {
		if (!conn_flush(c))
			return G_SOURCE_REMOVE;
	}
	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
		for (;;) {
			ssize_t n = conn_raw_read(c, buf, sizeof(buf));
			if (n == -EAGAIN)
				break;
			if (n <= 0) {
				conn_close(c, n == 0 ? "closed by peer" : "read failed");
				return G_SOURCE_REMOVE;
			}
			if (c->in->len + n > CONN_MAX_INPUT * 2) {
				conn_close(c, "input over the message size limit");
				return G_SOURCE_REMOVE;
			}
			g_byte_array_append(c->in, buf, (guint)n);
			conn_touch(c);
			guint64 id = c->id;
			if (!conn_consume(c)) {
				if (g_hash_table_contains(c->tp->conns, &id))
					conn_close(c, "malformed stream");
				return G_SOURCE_REMOVE;
			}
			if (!g_hash_table_contains(c->tp->conns, &id))
				return G_SOURCE_REMOVE;
			if (!c->ssl && (size_t)n < sizeof(buf))
				break;
		}
	}
	return G_SOURCE_CONTINUE;
}

static gboolean tcp_accept_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	Listener *l = user_data;
	SipTransports *tp = l->tp;

	for (int i = 0; i < 32; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int cfd =
		    accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;

		if (cfd < 0)
			break;
		if (g_hash_table_size(tp->conns) >= MAX_CONNECTIONS) {
			g_warning("connection limit (%d) reached; refusing a new one",
			          MAX_CONNECTIONS);
			close(cfd);
			continue;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		Conn *c = conn_new(tp, cfd, l->addr.transport, &peer, plen);
		if (l->addr.transport == XB_TRANSPORT_TLS) {
			c->ssl = SSL_new(tp->tls_server);
			SSL_set_fd(c->ssl, cfd);
			c->handshaking = TRUE;
		}
		conn_watch(c, G_IO_IN);
	}
	return G_SOURCE_CONTINUE;
}

static Conn *conn_find(SipTransports *tp, const SipPeer *to)
{
	GHashTableIter it;
	Conn *c;

	if (to->conn_id) {
		c = g_hash_table_lookup(tp->conns, &to->conn_id);
		if (c)
			return c;
	}
	g_hash_table_iter_init(&it, tp->conns);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&c))
		if (c->transport == to->transport && same_addr(&c->peer, &to->addr))
			return c;
	return NULL;
}

static Conn *conn_connect(SipTransports *tp, const SipPeer *to, int *error)
{
	int fd = socket(to->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0) {
		*error = -errno;
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&to->addr, to->addr_len) < 0 &&
	    errno != EINPROGRESS) {
		*error = -errno;
		close(fd);
		return NULL;
	}
	Conn *c = conn_new(tp, fd, to->transport, &to->addr, to->addr_len);
	c->outgoing = TRUE;
	c->connecting = TRUE;
	if (to->transport == XB_TRANSPORT_TLS) {
		c->ssl = SSL_new(tp->tls_client);
		SSL_set_fd(c->ssl, fd);
		c->handshaking = TRUE;
	}
	conn_watch(c, G_IO_OUT | G_IO_IN);
	return c;
}

/* ---- sending ---- */

static Listener *udp_listener_for(SipTransports *tp, int family)
{
	for (guint i = 0; i < tp->listeners->len; i++) {
		Listener *l = tp->listeners->pdata[i];
		if (l->addr.transport == XB_TRANSPORT_UDP && l->family == family)
			return l;
	}
	return NULL;
}

int sip_transport_send(SipTransports *tp, const SipPeer *to, const char *buf, size_t len)
{
	if (to->transport == XB_TRANSPORT_UDP) {
		Listener *l = udp_listener_for(tp, to->addr.ss_family);
		if (!l)
			return -EAFNOSUPPORT;
		ssize_t n = sendto(l->fd, buf, len, MSG_DONTWAIT,
		                   (const struct sockaddr *)&to->addr, to->addr_len);
		return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EMSGSIZE);
	}
	if (to->transport == XB_TRANSPORT_TLS && !tp->tls_client)
		return -EPROTONOSUPPORT;
	Conn *c = conn_find(tp, to);
	if (!c) {
		int error = 0;
		if (g_hash_table_size(tp->conns) >= MAX_CONNECTIONS)
			return -EMFILE;
		c = conn_connect(tp, to, &error);
		if (!c)
			return error;
	}
	return conn_send(c, buf, len);
}

const char *sip_transport_sent_by(SipTransports *tp, XbTransport transport, int family)
{
	for (guint i = 0; i < tp->listeners->len; i++) {
		Listener *l = tp->listeners->pdata[i];
		if (l->addr.transport == transport && l->family == family)
			return l->sent_by;
	}
	return NULL;
}

guint sip_transport_connections(SipTransports *tp)
{
	return g_hash_table_size(tp->conns);
}

/* ---- set-up ---- */

static void listener_free(gpointer data)
{
	Listener *l = data;

	if (l->watch)
		g_source_remove(l->watch);
	if (l->fd >= 0)
		close(l->fd);
	g_free(l);
}

static gboolean tls_setup(SipTransports *tp, GError **error)
{
	if (tp->tls_server)
		return TRUE;
	tp->tls_server = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_min_proto_version(tp->tls_server, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(tp->tls_server, tp->tls_certificate) != 1 ||
	    SSL_CTX_use_PrivateKey_file(tp->tls_server, tp->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(tp->tls_server) != 1) {
		char why[256];
		ERR_error_string_n(ERR_get_error(), why, sizeof(why));
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		            "sip.tls_certificate %s / sip.tls_key %s: %s", tp->tls_certificate,
		            tp->tls_key, why);
		return FALSE;
	}
	return TRUE;
}

static gboolean listen_one(SipTransports *tp, const XbListenAddr *a, GError **error)
{
	gboolean udp = a->transport == XB_TRANSPORT_UDP;
	SipPeer where;
	int one = 1, rcvbuf = SIP_RCVBUF, sndbuf = SIP_SNDBUF;
	const char *what = NULL;
	Listener *l;

	if (!sip_peer_from_host(&where, a->transport, a->address, a->port)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "sip.listen: %s:%s:%u: the address must be a literal IP address",
		            sip_transport_name(a->transport), a->address, a->port);
		return FALSE;
	}
	if (a->transport == XB_TRANSPORT_TLS) {
		if (!*tp->tls_certificate || !*tp->tls_key) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			            "sip.listen: tls:%s:%u needs sip.tls_certificate and "
			            "sip.tls_key",
			            a->address, a->port);
			return FALSE;
		}
		if (!tls_setup(tp, error))
			return FALSE;
	}
	l = g_new0(Listener, 1);
	l->tp = tp;
	l->addr = *a;
	l->family = where.addr.ss_family;
	l->fd =
	    socket(l->family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		what = "socket";
		goto fail;
	}
	if (l->family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Large buffers absorb bursts (a REGISTER storm after a power cut) without loss. */
	setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (!udp)
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&where.addr, where.addr_len) < 0) {
		what = "bind";
		goto fail;
	}
	if (!udp && listen(l->fd, 256) < 0) {
		what = "listen";
		goto fail;
	}
	if (l->family == AF_INET6)
		g_snprintf(l->sent_by, sizeof(l->sent_by), "[%s]:%u", a->address, a->port);
	else
		g_snprintf(l->sent_by, sizeof(l->sent_by), "%s:%u", a->address, a->port);
	l->watch = g_unix_fd_add(l->fd, G_IO_IN, udp ? udp_read_cb : tcp_accept_cb, l);
	g_ptr_array_add(tp->listeners, l);
	g_message("listening on %s:%s", sip_transport_name(a->transport), l->sent_by);
	return TRUE;
fail:;
	int e = errno;
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
	            "sip.listen: cannot listen on %s:%s%s%s:%u: %s",
	            sip_transport_name(a->transport), a->ipv6 ? "[" : "", a->address,
	            a->ipv6 ? "]" : "", a->port, g_strerror(e));
	(void)what;
	listener_free(l);
	return FALSE;
}

gboolean sip_transports_listen(SipTransports *tp, GArray *addrs, GError **error)
{
	for (guint i = 0; i < addrs->len; i++) {
		if (!listen_one(tp, &g_array_index(addrs, XbListenAddr, i), error)) {
			g_ptr_array_set_size(tp->listeners, 0);
			return FALSE;
		}
	}
	return TRUE;
}

SipTransports *sip_transports_new(XbModule *owner, const SipTransportConfig *cfg, SipRecvFunc recv,
                                  void *ctx)
{
	SipTransports *tp = g_new0(SipTransports, 1);

	tp->owner = owner;
	tp->cfg = *cfg;
	tp->tls_certificate = g_strdup(cfg->tls_certificate ? cfg->tls_certificate : "");
	tp->tls_key = g_strdup(cfg->tls_key ? cfg->tls_key : "");
	tp->tls_ca_file = g_strdup(cfg->tls_ca_file ? cfg->tls_ca_file : "");
	tp->server_header = g_strdup(cfg->server_header ? cfg->server_header : "");
	tp->recv = recv;
	tp->ctx = ctx;
	tp->listeners = g_ptr_array_new_with_free_func(listener_free);
	tp->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, conn_free);
	tp->tls_client = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(tp->tls_client, TLS1_2_VERSION);
	if (cfg->tls_verify_peer) {
		SSL_CTX_set_verify(tp->tls_client, SSL_VERIFY_PEER, NULL);
		if (*tp->tls_ca_file)
			SSL_CTX_load_verify_locations(tp->tls_client, tp->tls_ca_file, NULL);
		else
			SSL_CTX_set_default_verify_paths(tp->tls_client);
	}
	return tp;
}

void sip_transports_free(SipTransports *tp)
{
	if (!tp)
		return;
	g_ptr_array_unref(tp->listeners);
	g_hash_table_unref(tp->conns);
	if (tp->tls_server)
		SSL_CTX_free(tp->tls_server);
	if (tp->tls_client)
		SSL_CTX_free(tp->tls_client);
	g_free(tp->tls_certificate);
	g_free(tp->tls_key);
	g_free(tp->tls_ca_file);
	g_free(tp->server_header);
	g_free(tp);
}
