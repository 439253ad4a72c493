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
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

#define SIP_RCVBUF      (4 * 1024 * 1024)
#define SIP_SNDBUF      (1 * 1024 * 1024)
#define CONN_MAX_QUEUE  (1024 * 1024) /* unsent bytes before a connection is dropped */
#define CONN_MAX_INPUT  (SIP_MAX_MSG_SIZE + 4096)
#define ACCEPT_PAUSE_MS 250  /* between attempts to accept while out of descriptors */
#define UDP_BATCH       32   /* datagrams read by one recvmmsg */
#define UDP_BATCHES     2    /* recvmmsg calls per wake-up, so one socket cannot starve the loop */
#define UDP_HELD        64   /* responses held for one sendmmsg */
#define UDP_HELD_MAX    4096 /* a longer response is sent at once */
#define BUDGET_WARNING                                                                             \
	"TCP/TLS buffers over sip.tcp_max_buffered (%" G_GSIZE_FORMAT                              \
	" KiB): closing the connections that hold the most"

typedef struct {
	int fd;
	guint watch;
	XbTimer *pause; /* accepting resumes when it fires */
	XbListenAddr addr;
	int family;
	char sent_by[80];
	SipTransports *tp;
} Listener;

/* Connections from one source (xb_source_key: an IPv4 address or an IPv6 /64, one
 * subscriber's whole prefix, as bans count it). */
typedef struct {
	XbSourceKey key;
	guint count;
} SourceConns;

/* A UDP response held back while a batch of datagrams is processed. */
typedef struct {
	int fd;
	struct sockaddr_storage to;
	socklen_t to_len;
	guint off, len; /* in held_bytes */
} HeldSend;

typedef struct {
	int refs; /* the table's, and the reader's while it runs */
	gboolean closed;
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
	char *tls_name;    /* outgoing TLS: the name the certificate must carry, also the SNI */
	XbTimer *deadline; /* accepted: the TLS handshake, then the first message, is due */
	struct sip_frame_state frame;
	gsize accounted; /* in->len + out->len as counted in tp->buffered */
	SipTransports *tp;
} Conn;

struct sip_transports {
	XbModule *owner;
	SipTransportConfig cfg;
	char *tls_certificate, *tls_key, *tls_ca_file, *server_header;
	SipRecvFunc recv;
	SipRawFunc raw;
	void *ctx;
	GPtrArray *listeners;  /* Listener * */
	GHashTable *conns;     /* id -> Conn * */
	GHashTable *sources;   /* SourceConns.key -> SourceConns *, accepted connections */
	GHashTable *tls_names; /* struct sockaddr_storage * -> expected certificate name */
	gsize buffered;        /* octets in every connection's input and output */
	gint64 budget_warned, conn_limit_warned, source_limit_warned; /* last logged, monotonic */
	gboolean accept_paused;
	guint64 next_id;
	SSL_CTX *tls_server;
	SSL_CTX *tls_client;
	int udp_behind;      /* 0, 1 or 2: see udp_check_lag */
	guint64 udp_dropped; /* datagrams dropped unparsed at level 2 */
	guint64 udp_shed;    /* answered 503 unparsed at level 1 */
	GString *shed_out;
	char (*rx)[65536]; /* UDP_BATCH receive buffers */
	gboolean holding;  /* in a UDP batch: responses wait for one sendmmsg */
	HeldSend held[UDP_HELD];
	guint n_held;
	GByteArray *held_bytes;
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
static gboolean udp_hold(SipTransports *tp, int fd, const SipPeer *to, const char *buf, size_t len)
{
	HeldSend *h;

	if (!tp->holding || len > UDP_HELD_MAX || len < 8 || memcmp(buf, "SIP/2.0 ", 8) != 0)
		return FALSE;
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
static gboolean udp_shed(SipTransports *tp, const char *buf, size_t len, const SipPeer *from)
{
	char host[INET6_ADDRSTRLEN], tag[17];
	guint16 port, dest;
	SipPeer to = *from;

	sip_sockaddr_text(&from->addr, host, sizeof(host), &port);
	g_snprintf(tag, sizeof(tag), "%08x%08x", g_random_int(), g_random_int());
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

static void udp_datagram(SipTransports *tp, const char *buf, size_t n, SipPeer *from)
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

static gboolean udp_read_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	Listener *l = user_data;
	SipTransports *tp = l->tp;
	struct mmsghdr mh[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	SipPeer from[UDP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl[UDP_BATCH];

	for (int b = 0; b < UDP_BATCHES; b++) {
		int n;

		for (int i = 0; i < UDP_BATCH; i++) {
			from[i] = (SipPeer){.transport = XB_TRANSPORT_UDP};
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

/* ---- limits ---- */

/* Log a limit being hit at most once a minute: a flood must not flood the log too. */
static void G_GNUC_PRINTF(2, 3) limit_warn(gint64 *last, const char *fmt, ...)
{
	gint64 now = g_get_monotonic_time();
	va_list ap;

	if (*last && now - *last < 60 * G_USEC_PER_SEC)
		return;
	*last = now;
	va_start(ap, fmt);
	g_logv(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

/* Count an accepted connection against its source; FALSE when the source has its
 * sip.tcp_max_per_source already. */
static gboolean source_admit(SipTransports *tp, const struct sockaddr_storage *peer)
{
	XbSourceKey key;
	SourceConns *s;

	xb_source_key((const struct sockaddr *)peer, &key);
	s = g_hash_table_lookup(tp->sources, &key);
	if (s && s->count >= tp->cfg.max_per_source) {
		char host[INET6_ADDRSTRLEN];
		guint16 port;
		sip_sockaddr_text(peer, host, sizeof(host), &port);
		limit_warn(&tp->source_limit_warned,
		           "%s has %u connections open (sip.tcp_max_per_source); refusing more",
		           host, s->count);
		return FALSE;
	}
	if (!s) {
		s = g_new0(SourceConns, 1);
		s->key = key;
		g_hash_table_insert(tp->sources, &s->key, s);
	}
	s->count++;
	return TRUE;
}

static void source_release(SipTransports *tp, const struct sockaddr_storage *peer)
{
	XbSourceKey key;
	SourceConns *s;

	xb_source_key((const struct sockaddr *)peer, &key);
	s = g_hash_table_lookup(tp->sources, &key);
	if (s && --s->count == 0)
		g_hash_table_remove(tp->sources, &key);
}

static guint sockaddr_hash(gconstpointer k)
{
	XbSourceKey key;
	const struct sockaddr_storage *ss = k;
	guint16 port = ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
	                                         : ((const struct sockaddr_in *)ss)->sin_port;

	xb_source_key((const struct sockaddr *)ss, &key);
	return xb_source_key_hash(&key) ^ port;
}

static gboolean sockaddr_equal(gconstpointer a, gconstpointer b)
{
	return same_addr(a, b);
}

/* ---- connections ----
 *
 * Ownership: the table tp->conns holds one reference to each open connection, and the code
 * reading a connection (conn_io_cb) holds another for as long as it runs. conn_close takes
 * the connection out of the table and stops its watch and timers at once, whoever calls it
 * (a failed write under the reader, the layer above answering a request, an idle timer), but
 * the memory, the socket and the TLS session go only with the last reference, so nothing
 * can free a connection under the code reading it; that code checks c->closed after
 * anything that may have closed it. */

static void conn_account(Conn *c)
{
	gsize now = c->in->len + c->out->len;

	c->tp->buffered = c->tp->buffered - c->accounted + now;
	c->accounted = now;
}

static Conn *conn_ref(Conn *c)
{
	c->refs++;
	return c;
}

static void conn_unref(Conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_free(c->tls_name);
	g_free(c);
}

/* The table lets a connection go: by conn_close, or all at once when the transports are
 * freed, when nothing may call back into them any more. */
static void conn_table_unref(gpointer data)
{
	Conn *c = data;

	if (!c->closed) {
		c->closed = TRUE;
		if (c->watch)
			g_source_remove(c->watch);
		xb_timer_clear(&c->idle);
		xb_timer_clear(&c->deadline);
	}
	conn_unref(c);
}

static void conn_close(Conn *c, const char *why)
{
	SipTransports *tp = c->tp;
	char host[INET6_ADDRSTRLEN];
	guint16 port;

	if (c->closed)
		return;
	c->closed = TRUE;
	sip_sockaddr_text(&c->peer, host, sizeof(host), &port);
	g_debug("%s connection %" G_GUINT64_FORMAT " with %s:%u closed: %s",
	        sip_transport_name(c->transport), c->id, host, port, why);
	if (c->watch)
		g_source_remove(c->watch);
	c->watch = 0;
	xb_timer_clear(&c->idle);
	xb_timer_clear(&c->deadline);
	g_byte_array_set_size(c->in, 0);
	g_byte_array_set_size(c->out, 0);
	conn_account(c);
	if (!c->outgoing)
		source_release(tp, &c->peer);
	g_hash_table_remove(tp->conns, &c->id); /* the table's reference */
}

static gboolean conn_io_cb(gint fd, GIOCondition cond, gpointer user_data);
static gboolean tcp_accept_cb(gint fd, GIOCondition cond, gpointer user_data);

static void conn_watch(Conn *c, GIOCondition cond)
{
	if (c->closed || (c->watch && c->watching == cond))
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

/* A connection stays open while messages go either way on it; octets that never make a
 * message (a trickle, a half request) do not keep it. */
static void conn_touch(Conn *c)
{
	xb_timer_clear(&c->idle);
	c->idle = xb_timer_start(c->tp->owner, c->tp->cfg.tcp_idle_timeout_ms, conn_idle_cb, c);
}

static void conn_deadline_cb(XbTimer *t, gpointer user_data)
{
	Conn *c = user_data;

	c->deadline = NULL;
	conn_close(c, c->handshaking ? "no TLS handshake in time" : "no message in time");
}

/* An accepted connection must finish its TLS handshake, and then bring a whole message,
 * each within its own time, or make room for someone else. */
static void conn_deadline(Conn *c)
{
	gint64 ms = c->handshaking ? c->tp->cfg.tls_handshake_timeout_ms
	                           : c->tp->cfg.first_message_timeout_ms;

	xb_timer_clear(&c->deadline);
	if (!c->outgoing && ms > 0)
		c->deadline = xb_timer_start(c->tp->owner, ms, conn_deadline_cb, c);
}

static Conn *conn_new(SipTransports *tp, int fd, XbTransport transport,
                      const struct sockaddr_storage *peer, socklen_t peer_len)
{
	Conn *c = g_new0(Conn, 1);

	c->refs = 1; /* the table's */
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

/* Why a TLS session failed, for the log: the certificate check's verdict when that was it. */
static void tls_log_failure(Conn *c)
{
	char host[INET6_ADDRSTRLEN], why[256] = "";
	guint16 port;
	long v = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_peek_last_error();

	if (!c->outgoing)
		return;
	sip_sockaddr_text(&c->peer, host, sizeof(host), &port);
	if (v != X509_V_OK)
		g_strlcpy(why, X509_verify_cert_error_string(v), sizeof(why));
	else if (e)
		ERR_error_string_n(e, why, sizeof(why));
	g_warning("TLS to %s (%s:%u) failed: %s", c->tls_name ? c->tls_name : host, host, port,
	          *why ? why : "handshake failed");
}

/* TLS handshakes and records over the non-blocking socket: each call makes what progress
 * it can and says what it waits for. */
static int tls_want(Conn *c, int rc)
{
	int e = SSL_get_error(c->ssl, rc);
	int r;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		r = -EAGAIN;
		break;
	case SSL_ERROR_WANT_WRITE:
		conn_watch(c, G_IO_IN | G_IO_OUT);
		r = -EAGAIN;
		break;
	case SSL_ERROR_ZERO_RETURN:
		r = 0;
		break;
	default:
		if (c->handshaking)
			tls_log_failure(c);
		r = -EPROTO;
		break;
	}
	ERR_clear_error();
	return r;
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
	conn_deadline(c);
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

/* Push queued bytes; FALSE when the connection died (it is then closed). */
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
		conn_account(c);
	}
	conn_watch(c, G_IO_IN);
	return TRUE;
}

/* Keep every connection's buffers together, plus `need` octets more, within
 * sip.tcp_max_buffered by closing those holding the most unread input (half messages are
 * what a flood of connections holds), `keep` last. FALSE when that is not enough. */
static gboolean budget_make_room(SipTransports *tp, gsize need, Conn *keep)
{
	while (tp->buffered + need > tp->cfg.max_buffered) {
		GHashTableIter it;
		Conn *c, *big = NULL;

		g_hash_table_iter_init(&it, tp->conns);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&c))
			if (c != keep && c->in->len && (!big || c->in->len > big->in->len))
				big = c;
		if (!big && keep && keep->in->len && !keep->closed)
			big = keep;
		if (!big)
			return FALSE;
		limit_warn(&tp->budget_warned, BUDGET_WARNING, tp->cfg.max_buffered / 1024);
		conn_close(big, "over the buffer budget");
	}
	return TRUE;
}

static int conn_send(Conn *c, const char *buf, size_t len)
{
	if (c->closed)
		return -ECONNRESET;
	if (c->out->len + len > CONN_MAX_QUEUE) {
		conn_close(c, "send queue full");
		return -ENOBUFS;
	}
	if (!budget_make_room(c->tp, len, c) || c->closed) {
		limit_warn(&c->tp->budget_warned, BUDGET_WARNING, c->tp->cfg.max_buffered / 1024);
		conn_close(c, "over the buffer budget");
		return -ENOBUFS;
	}
	g_byte_array_append(c->out, (const guint8 *)buf, (guint)len);
	conn_account(c);
	conn_touch(c);
	if (c->connecting)
		return 0;
	return conn_flush(c) ? 0 : -ECONNRESET;
}

static void conn_from(const Conn *c, SipPeer *from)
{
	*from = (SipPeer){.transport = c->transport, .conn_id = c->id};
	memcpy(&from->addr, &c->peer, c->peer_len);
	from->addr_len = c->peer_len;
}

/* Take n octets off the front of the input. */
static void conn_drop_input(Conn *c, size_t n)
{
	g_byte_array_remove_range(c->in, 0, (guint)n);
	conn_account(c);
}

/* Frame and deliver every complete message in the input; FALSE when the stream is broken
 * (the connection is then closed: a stream that lost its framing cannot be resynchronised,
 * §18.3). The caller holds a reference; whatever is delivered may close the connection. */
static gboolean conn_consume(Conn *c)
{
	SipTransports *tp = c->tp;
	SipPeer from;

	while (c->in->len && !c->closed) {
		size_t skip = 0, msglen = 0;
		struct sip_err err;

		/* RFC 5626 §3.5.1: a double CRLF ping gets a single CRLF pong. */
		if (c->in->len >= 4 && memcmp(c->in->data, "\r\n\r\n", 4) == 0) {
			conn_drop_input(c, 4);
			c->frame = (struct sip_frame_state){0, 0};
			conn_touch(c);
			conn_send(c, "\r\n", 2);
			continue;
		}
		/* Half a ping may be all that arrived so far: wait for the rest. */
		if (c->in->len == 2 && memcmp(c->in->data, "\r\n", 2) == 0)
			return TRUE;
		int r = sip_frame_stream_resume((const char *)c->in->data, c->in->len, &c->frame,
		                                &skip, &msglen, &err);
		if (r == -EAGAIN) {
			if (skip)
				conn_drop_input(c, skip);
			return TRUE;
		}
		conn_from(c, &from);
		if (r < 0) {
			struct sip_msg *msg = NULL;
			struct sip_err perr;
			sip_msg_parse(&msg, (const char *)c->in->data + skip,
			              MIN(c->in->len - skip, (size_t)SIP_MAX_MSG_SIZE), &perr);
			if (msg)
				answer_stateless(tp, msg, &from, &err);
			g_clear_pointer(&msg, sip_msg_free);
			return FALSE;
		}
		c->frame = (struct sip_frame_state){0, 0};
		xb_timer_clear(&c->deadline);
		conn_touch(c);
		deliver(tp, (const char *)c->in->data + skip, msglen, &from);
		if (!c->closed)
			conn_drop_input(c, skip + msglen);
	}
	return TRUE;
}

/* Read what the socket has into the input and deliver the messages in it. */
static void conn_read(Conn *c)
{
	SipTransports *tp = c->tp;
	guint8 buf[16384];

	while (!c->closed) {
		ssize_t n = conn_raw_read(c, buf, sizeof(buf));
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			conn_close(c, n == 0 ? "closed by peer" : "read failed");
			break;
		}
		if (c->in->len + n > CONN_MAX_INPUT * 2) {
			conn_close(c, "input over the message size limit");
			break;
		}
		g_byte_array_append(c->in, buf, (guint)n);
		conn_account(c);
		budget_make_room(tp, 0, NULL);
		if (!c->closed && !conn_consume(c))
			conn_close(c, "malformed stream");
		if (!c->ssl && (size_t)n < sizeof(buf))
			break;
	}
}

static gboolean conn_io_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	Conn *c = conn_ref(user_data);

	if (c->connecting) {
		int err = 0;
		socklen_t elen = sizeof(err);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err)
			conn_close(c, g_strerror(err));
		else
			c->connecting = FALSE;
	}
	if (!c->closed && (cond & G_IO_OUT))
		conn_flush(c);
	if (!c->closed && (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
		conn_read(c);
	gboolean closed = c->closed;
	conn_unref(c);
	/* A closed connection's watch is already gone (conn_close removed it). */
	return closed ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* Accepting again after the process ran out of file descriptors. */
static void listener_resume_cb(XbTimer *t, gpointer user_data)
{
	Listener *l = user_data;

	l->pause = NULL;
	l->watch = g_unix_fd_add(l->fd, G_IO_IN, tcp_accept_cb, l);
}

/* accept4 failed for want of descriptors or memory: the pending connection stays in the
 * backlog and the socket stays readable, so a watch left armed would spin. Stop accepting
 * for a moment instead, and say so once until accepting works again. */
static void listener_pause(Listener *l, int error)
{
	if (!l->tp->accept_paused)
		g_warning("cannot accept %s connections on %s: %s; pausing for %d ms at a time "
		          "(raise the open-file limit, or lower sip.tcp_max_connections)",
		          sip_transport_name(l->addr.transport), l->sent_by, g_strerror(error),
		          ACCEPT_PAUSE_MS);
	l->tp->accept_paused = TRUE;
	l->watch = 0;
	l->pause = xb_timer_start(l->tp->owner, ACCEPT_PAUSE_MS, listener_resume_cb, l);
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

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				listener_pause(l, errno);
				return G_SOURCE_REMOVE;
			}
			break;
		}
		if (tp->accept_paused) {
			g_message("accepting %s connections on %s again",
			          sip_transport_name(l->addr.transport), l->sent_by);
			tp->accept_paused = FALSE;
		}
		if (g_hash_table_size(tp->conns) >= tp->cfg.max_connections) {
			limit_warn(&tp->conn_limit_warned,
			           "connection limit (sip.tcp_max_connections) "
			           "reached; refusing new connections");
			close(cfd);
			continue;
		}
		if (!source_admit(tp, &peer)) {
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
		conn_deadline(c);
		conn_watch(c, G_IO_IN);
	}
	return G_SOURCE_CONTINUE;
}

static Conn *conn_find(SipTransports *tp, const SipPeer *to)
{
	GHashTableIter it;
	const char *name = NULL;
	Conn *c;

	if (to->conn_id) {
		c = g_hash_table_lookup(tp->conns, &to->conn_id);
		if (c)
			return c;
	}
	/* An outgoing TLS connection serves only the name its certificate was checked for. */
	if (to->transport == XB_TRANSPORT_TLS)
		name = g_hash_table_lookup(tp->tls_names, &to->addr);
	g_hash_table_iter_init(&it, tp->conns);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&c))
		if (c->transport == to->transport && same_addr(&c->peer, &to->addr) &&
		    (!c->outgoing || c->transport != XB_TRANSPORT_TLS ||
		     g_strcmp0(c->tls_name, name) == 0))
			return c;
	return NULL;
}

/* An outgoing TLS session checks that the server's certificate names the host we meant:
 * the name given with sip_transport_tls_name for this address (also sent as SNI), else the
 * address itself (RFC 5922 §7.3 and RFC 6125; an IP address is matched against the
 * certificate's iPAddress entries). */
static gboolean tls_client_setup(SipTransports *tp, Conn *c)
{
	char host[INET6_ADDRSTRLEN];
	guint16 port;
	const char *name = g_hash_table_lookup(tp->tls_names, &c->peer);

	c->ssl = SSL_new(tp->tls_client);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return FALSE;
	c->handshaking = TRUE;
	if (name) {
		c->tls_name = g_strdup(name);
		if (SSL_set_tlsext_host_name(c->ssl, name) != 1)
			return FALSE;
	}
	if (!tp->cfg.tls_verify_peer)
		return TRUE;
	if (name) {
		SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		return SSL_set1_host(c->ssl, name) == 1;
	}
	sip_sockaddr_text(&c->peer, host, sizeof(host), &port);
	return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) == 1;
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
	if (to->transport == XB_TRANSPORT_TLS && !tls_client_setup(tp, c)) {
		conn_close(c, "TLS set-up failed");
		*error = -EPROTO;
		return NULL;
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
		if (udp_hold(tp, l->fd, to, buf, len))
			return 0;
		ssize_t n = sendto(l->fd, buf, len, MSG_DONTWAIT,
		                   (const struct sockaddr *)&to->addr, to->addr_len);
		return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EMSGSIZE);
	}
	if (to->transport == XB_TRANSPORT_TLS && !tp->tls_client)
		return -EPROTONOSUPPORT;
	Conn *c = conn_find(tp, to);
	if (!c) {
		int error = 0;
		if (g_hash_table_size(tp->conns) >= tp->cfg.max_connections)
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

gsize sip_transport_buffered(SipTransports *tp)
{
	return tp->buffered;
}

void sip_transport_tls_name(SipTransports *tp, const SipPeer *to, const char *name)
{
	struct sockaddr_storage *key;

	if (!name || !*name || sip_peer_from_host(&(SipPeer){0}, to->transport, name, 1)) {
		g_hash_table_remove(tp->tls_names, &to->addr);
		return;
	}
	key = g_memdup2(&to->addr, sizeof(to->addr));
	g_hash_table_replace(tp->tls_names, key, g_strdup(name));
}

/* ---- set-up ---- */

static void listener_free(gpointer data)
{
	Listener *l = data;

	if (l->watch)
		g_source_remove(l->watch);
	xb_timer_clear(&l->pause);
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
	if (udp) /* each datagram's arrival time, for udp_check_lag */
		setsockopt(l->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	else
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
	/* Zero means the default, for callers that set only what they care about. */
	if (!tp->cfg.max_connections)
		tp->cfg.max_connections = 4096;
	if (!tp->cfg.max_per_source)
		tp->cfg.max_per_source = 256;
	if (!tp->cfg.max_buffered)
		tp->cfg.max_buffered = 64 * 1024 * 1024;
	tp->tls_certificate = g_strdup(cfg->tls_certificate ? cfg->tls_certificate : "");
	tp->tls_key = g_strdup(cfg->tls_key ? cfg->tls_key : "");
	tp->tls_ca_file = g_strdup(cfg->tls_ca_file ? cfg->tls_ca_file : "");
	tp->server_header = g_strdup(cfg->server_header ? cfg->server_header : "");
	tp->recv = recv;
	tp->ctx = ctx;
	tp->rx = g_malloc(UDP_BATCH * sizeof(*tp->rx));
	tp->held_bytes = g_byte_array_sized_new(UDP_HELD * 512);
	tp->shed_out = g_string_sized_new(1024);
	tp->listeners = g_ptr_array_new_with_free_func(listener_free);
	tp->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, conn_table_unref);
	tp->sources = g_hash_table_new_full(xb_source_key_hash, xb_source_key_equal, NULL, g_free);
	tp->tls_names = g_hash_table_new_full(sockaddr_hash, sockaddr_equal, g_free, g_free);
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

void sip_transports_set_raw(SipTransports *tp, SipRawFunc raw)
{
	tp->raw = raw;
}

void sip_transports_free(SipTransports *tp)
{
	if (!tp)
		return;
	g_ptr_array_unref(tp->listeners);
	g_hash_table_unref(tp->conns);
	g_hash_table_unref(tp->sources);
	g_hash_table_unref(tp->tls_names);
	if (tp->tls_server)
		SSL_CTX_free(tp->tls_server);
	if (tp->tls_client)
		SSL_CTX_free(tp->tls_client);
	g_free(tp->tls_certificate);
	g_free(tp->tls_key);
	g_free(tp->tls_ca_file);
	g_free(tp->server_header);
	g_free(tp->rx);
	g_byte_array_unref(tp->held_bytes);
	g_string_free(tp->shed_out, TRUE);
	g_free(tp);
}
