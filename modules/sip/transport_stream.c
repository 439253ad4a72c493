/* transport_stream.c: mod_sip's TCP and TLS connections: accepting and connecting, the TLS
 * handshake and the name check, framing (§18.3) and reading, the bounded output queue, idle
 * and handshake deadlines, and the byte budget shared by every connection. A connection is
 * never freed under the code reading it (the reader holds a reference). */
#define _GNU_SOURCE /* accept4 */
#include "transport_private.h"

#include <gio/gio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	return g_rc_box_acquire(c);
}

static void conn_clear(gpointer data)
{
	Conn *c = data;

	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_free(c->tls_name);
}

static void conn_unref(Conn *c)
{
	g_rc_box_release_full(c, conn_clear);
}

/* The table lets a connection go: by conn_close, or all at once when the transports are
 * freed, when nothing may call back into them any more. */
void conn_table_unref(gpointer data)
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
	        xb_transport_name(c->transport), c->id, host, port, why);
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
	Conn *c = g_rc_box_new0(Conn); /* the table's reference */

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

int conn_send(Conn *c, const char *buf, size_t len)
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

static void conn_from(const Conn *c, SipFlow *from)
{
	*from = (SipFlow){.transport = c->transport, .conn_id = c->id};
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
	SipFlow from;

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
		          xb_transport_name(l->addr.transport), l->sent_by, g_strerror(error),
		          ACCEPT_PAUSE_MS);
	l->tp->accept_paused = TRUE;
	l->watch = 0;
	l->pause = xb_timer_start(l->tp->owner, ACCEPT_PAUSE_MS, listener_resume_cb, l);
}

gboolean tcp_accept_cb(gint fd, GIOCondition cond, gpointer user_data)
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
			          xb_transport_name(l->addr.transport), l->sent_by);
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

Conn *conn_find(SipTransports *tp, const SipFlow *to)
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

Conn *conn_connect(SipTransports *tp, const SipFlow *to, int *error)
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
