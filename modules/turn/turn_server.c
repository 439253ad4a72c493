/* turn_server.c: mod_turn's sockets on the main loop: UDP, TCP and TLS listeners for
 * clients, stream connections framed with stun_stream_frame (RFC 8656 §3.1: ChannelData
 * padded to 4; TLS through OpenSSL memory BIOs so that sockets stay non-blocking), and the
 * relayed UDP sockets towards peers (§10.3, §11.3, §12.6). It moves bytes and frames; what
 * a message means is decided by turn_request.c. Sockets are read with recvfrom on their
 * descriptors so that no object is made per packet. */
#include "turn_private.h"

#include <crossbar/net.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#define UDP_BURST 64 /* datagrams read per wake-up, for fairness between sockets */
/* Per UDP listener socket: a few hundred ms of a busy server's datagrams, so that a worker
 * (or the main loop) held up for a moment loses none. Root may exceed net.core.rmem_max. */
#define SOCKBUF  (4 * 1024 * 1024)
#define HEADROOM 64 /* room before relayed data for a ChannelData header */

/* ---- TCP connections ---- */

static void conn_free(TurnConn *c)
{
	if (c->alloc)
		turn_alloc_free(c->alloc, "connection closed");
	xb_timer_cancel(c->idle);
	if (c->free_idle)
		g_source_remove(c->free_idle);
	if (c->in_src) {
		g_source_destroy(c->in_src);
		g_source_unref(c->in_src);
	}
	if (c->out_src) {
		g_source_destroy(c->out_src);
		g_source_unref(c->out_src);
	}
	if (c->ssl)
		SSL_free(c->ssl);
	g_socket_close(c->socket, NULL);
	g_object_unref(c->socket);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_free(c);
}

static gboolean conn_free_idle_cb(gpointer data)
{
	TurnConn *c = data;

	c->free_idle = 0;
	g_hash_table_remove(c->srv->conns, c); /* conn_free */
	return G_SOURCE_REMOVE;
}

/* Closing is deferred: the caller may be inside a callback of this connection or of its
 * allocation's relayed socket, which must not be freed under it. */
static void conn_close(TurnConn *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = TRUE;
	g_debug("tcp client %s: closing (%s)", stun_addr_to_string(&c->client, (char[64]){0}, 64),
	        why);
	if (c->in_src)
		g_source_destroy(c->in_src);
	if (c->out_src)
		g_source_destroy(c->out_src);
	xb_timer_clear(&c->idle);
	c->free_idle = g_idle_add(conn_free_idle_cb, c);
}

static gboolean conn_write_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	TurnConn *c = user_data;

	while (c->out->len) {
		ssize_t n = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return G_SOURCE_CONTINUE;
			conn_close(c, g_strerror(errno));
			return G_SOURCE_CONTINUE;
		}
		g_byte_array_remove_range(c->out, 0, (guint)n);
	}
	g_source_unref(c->out_src);
	c->out_src = NULL;
	return G_SOURCE_REMOVE;
}

static void raw_send(TurnConn *c, const uint8_t *buf, size_t len)
{
	if (c->dead)
		return;
	if (c->out->len == 0) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				conn_close(c, g_strerror(errno));
				return;
			}
			n = 0;
		}
		if ((size_t)n == len)
			return;
		buf += n;
		len -= (size_t)n;
	} else if (c->out->len + len > TURN_TCP_MAX_QUEUE) {
		/* A slow reader loses whole messages, never a part of one. */
		c->srv->counters.dropped_queue++;
		return;
	}
	g_byte_array_append(c->out, buf, (guint)len);
	if (!c->out_src) {
		c->out_src = g_socket_create_source(c->socket, G_IO_OUT, NULL);
		g_source_set_callback(c->out_src, (GSourceFunc)(void (*)(void))conn_write_cb, c,
		                      NULL);
		g_source_attach(c->out_src, NULL);
	}
}

/* TLS: what OpenSSL wrote into the connection's write BIO goes to the socket. */
static void tls_flush(TurnConn *c)
{
	uint8_t buf[16384];
	int n;

	while ((n = BIO_read(SSL_get_wbio(c->ssl), buf, sizeof(buf))) > 0)
		raw_send(c, buf, (size_t)n);
}

static void conn_send(TurnConn *c, const uint8_t *buf, size_t len)
{
	if (!c->ssl) {
		raw_send(c, buf, len);
		return;
	}
	if (c->dead || (c->out->len && c->out->len + len > TURN_TCP_MAX_QUEUE)) {
		c->srv->counters.dropped_queue++;
		return;
	}
	if (SSL_write(c->ssl, buf, (int)len) <= 0) {
		ERR_clear_error();
		c->srv->counters.dropped_queue++; /* not yet, or no longer, able to write */
		return;
	}
	tls_flush(c);
}

/* Feeds received TLS records to OpenSSL and appends the plaintext to c->in. FALSE when the
 * connection must go. */
static gboolean tls_input(TurnConn *c, const uint8_t *raw, size_t n)
{
	const guint chunk = 16384;

	if (BIO_write(SSL_get_rbio(c->ssl), raw, (int)n) != (int)n)
		return FALSE;
	for (;;) {
		guint old = c->in->len;
		int r;

		g_byte_array_set_size(c->in, old + chunk);
		r = SSL_read(c->ssl, c->in->data + old, (int)chunk);
		g_byte_array_set_size(c->in, old + (guint)MAX(r, 0));
		if (r > 0)
			continue;
		r = SSL_get_error(c->ssl, r);
		tls_flush(c); /* handshake records */
		if (r == SSL_ERROR_WANT_READ)
			return TRUE;
		ERR_clear_error();
		return FALSE;
	}
}

static gboolean conn_read_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	static uint8_t raw[16384]; /* TLS records before decryption */
	TurnConn *c = user_data;
	const guint chunk = sizeof(raw);

	while (!c->dead) {
		guint old = c->in->len;
		uint8_t *into = raw;
		ssize_t n;
		size_t off = 0;

		if (!c->ssl) {
			g_byte_array_set_size(c->in, old + chunk);
			into = c->in->data + old;
		}
		n = recv(c->fd, into, chunk, MSG_DONTWAIT);
		if (n <= 0) {
			g_byte_array_set_size(c->in, old);
			if (n == 0)
				conn_close(c, "closed by the client");
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				conn_close(c, g_strerror(errno));
			break;
		}
		c->last_rx = xb_clock_now();
		if (!c->ssl) {
			g_byte_array_set_size(c->in, old + (guint)n);
		} else if (!tls_input(c, raw, (size_t)n)) {
			conn_close(c, "TLS failed");
			break;
		}
		while (!c->dead) {
			TurnFrom from = {c->listener, c, c->client, c->server};
			size_t flen = 0;
			int r = turn_stream_frame(c->srv->cfg->rfc5766_channels, c->in->data + off,
			                          c->in->len - off, &flen);

			if (r < 0) {
				conn_close(c, "not STUN or ChannelData");
				break;
			}
			if (r == 0)
				break;
			turn_request_handle(c->srv, &from, c->in->data + off, flen);
			off += flen;
		}
		if (off)
			g_byte_array_remove_range(c->in, 0, (guint)off);
		if ((size_t)n < chunk)
			break;
	}
	if (c->dead) {
		g_source_unref(c->in_src);
		c->in_src = NULL;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* RFC 8656 §3.1 leaves idle TCP connections to the server; one without an allocation that
 * has been silent for TURN_TCP_IDLE_MS goes. */
static void conn_idle_cb(XbTimer *timer, gpointer user_data)
{
	TurnConn *c = user_data;

	gint64 quiet = xb_clock_now() - c->last_rx;

	c->idle = NULL;
	if (c->alloc || quiet < TURN_TCP_IDLE_MS) {
		c->idle = xb_timer_start(c->srv->owner,
		                         c->alloc ? TURN_TCP_IDLE_MS : TURN_TCP_IDLE_MS - quiet,
		                         conn_idle_cb, c);
		return;
	}
	conn_close(c, "idle");
}

static gboolean tcp_accept_cb(GSocket *socket, GIOCondition cond, gpointer user_data);
static gboolean udp_read_cb(GSocket *socket, GIOCondition cond, gpointer user_data);

static void listener_watch(TurnListener *l)
{
	l->source = g_socket_create_source(l->socket, G_IO_IN, NULL);
	g_source_set_callback(l->source,
	                      l->transport == XB_TRANSPORT_UDP
	                          ? (GSourceFunc)(void (*)(void))udp_read_cb
	                          : (GSourceFunc)(void (*)(void))tcp_accept_cb,
	                      l, NULL);
	g_source_attach(l->source, NULL);
}

static void accept_resume_cb(XbTimer *t, gpointer user_data)
{
	TurnListener *l = user_data;

	l->resume = NULL;
	listener_watch(l);
}

/* Out of file descriptors, the pending connection stays in the backlog and the listening
 * socket stays readable: watching it would spin. Stop watching it for a moment instead, and
 * say so once until an accept works again. */
static void accept_pause(TurnListener *l, const char *why)
{
	if (!l->srv->fd_exhausted)
		g_warning(
		    "out of file descriptors (%s): not accepting TURN TCP/TLS connections for "
		    "%d ms at a time until some are freed (raise RLIMIT_NOFILE, or lower "
		    "turn.max_allocations)",
		    why, TURN_ACCEPT_PAUSE_MS);
	l->srv->fd_exhausted = TRUE;
	g_source_destroy(l->source);
	g_source_unref(l->source);
	l->source = NULL;
	l->resume = xb_timer_start(l->srv->owner, TURN_ACCEPT_PAUSE_MS, accept_resume_cb, l);
}

static gboolean tcp_accept_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	TurnListener *l = user_data;
	TurnServer *srv = l->srv;

	for (int i = 0; i < 16; i++) {
		g_autoptr(GError) err = NULL;
		GSocket *s = g_socket_accept(socket, NULL, &err);
		g_autoptr(GSocketAddress) remote = NULL, local = NULL;
		struct sockaddr_storage ss;
		TurnConn *c;

		if (!s && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)) {
			accept_pause(l, err->message);
			return G_SOURCE_REMOVE; /* accept_pause destroyed it already */
		}
		if (!s)
			break;
		if (srv->fd_exhausted) {
			srv->fd_exhausted = FALSE;
			g_message("accepting TURN TCP/TLS connections again");
		}
		if (g_hash_table_size(srv->conns) >= TURN_MAX_CONNECTIONS) {
			g_socket_close(s, NULL);
			g_object_unref(s);
			continue;
		}
		c = g_new0(TurnConn, 1);
		c->srv = srv;
		c->listener = l;
		c->socket = s;
		c->fd = g_socket_get_fd(s);
		c->in = g_byte_array_new();
		c->out = g_byte_array_new();
		g_socket_set_blocking(s, FALSE);
		remote = g_socket_get_remote_address(s, NULL);
		local = g_socket_get_local_address(s, NULL);
		if (remote && g_socket_address_to_native(remote, &ss, sizeof(ss), NULL))
			stun_addr_from_sockaddr(&c->client, (struct sockaddr *)&ss);
		if (local && g_socket_address_to_native(local, &ss, sizeof(ss), NULL))
			stun_addr_from_sockaddr(&c->server, (struct sockaddr *)&ss);
		if (l->transport == XB_TRANSPORT_TLS) {
			c->ssl = SSL_new(srv->tls);
			SSL_set_bio(c->ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
			SSL_set_accept_state(c->ssl);
		}
		c->in_src = g_socket_create_source(s, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
		g_source_set_callback(c->in_src, (GSourceFunc)(void (*)(void))conn_read_cb, c,
		                      NULL);
		g_source_attach(c->in_src, NULL);
		c->last_rx = xb_clock_now();
		c->idle = xb_timer_start(srv->owner, TURN_TCP_IDLE_MS, conn_idle_cb, c);
		g_hash_table_add(srv->conns, c);
	}
	return G_SOURCE_CONTINUE;
}

/* ---- sending to clients ---- */

void turn_send_client(const TurnFrom *to, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage ss;
	size_t sl;

	if (to->conn) {
		conn_send(to->conn, buf, len);
		return;
	}
	sl = stun_addr_to_sockaddr(&to->client, &ss, sizeof(ss));
	if (sl)
		(void)sendto(to->listener->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss,
		             (socklen_t)sl);
}

/* ---- UDP listeners ---- */

static gboolean udp_read_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	TurnListener *l = user_data;
	static uint8_t buf[65536];

	for (int i = 0; i < UDP_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		TurnFrom from = {l, NULL};
		ssize_t n =
		    recvfrom(l->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		if (stun_addr_from_sockaddr(&from.client, (struct sockaddr *)&ss) != 0)
			continue;
		from.server = l->addr;
		turn_request_handle(l->srv, &from, buf, (size_t)n);
	}
	return G_SOURCE_CONTINUE;
}

/* ---- relayed sockets ---- */

gboolean turn_server_rate_ok(TurnServer *srv, TurnAlloc *a, size_t len, gboolean to_peer)
{
	gint64 second;
	guint64 *used;

	if (!srv->cfg->max_bps)
		return TRUE;
	second = xb_clock_now() / 1000;
	if (second != a->rate_second) {
		a->rate_second = second;
		a->rate_up = a->rate_down = 0;
	}
	used = to_peer ? &a->rate_up : &a->rate_down;
	if (*used + len > srv->cfg->max_bps) {
		srv->counters.dropped_rate++;
		a->traffic.dropped++;
		return FALSE;
	}
	*used += len;
	return TRUE;
}

void turn_server_send_peer(TurnServer *srv, TurnAlloc *a, const struct stun_addr *peer,
                           const uint8_t *data, size_t len)
{
	struct sockaddr_storage ss;
	size_t sl;

	if (a->relay_fd < 0 || !turn_server_rate_ok(srv, a, len, TRUE))
		return;
	sl = stun_addr_to_sockaddr(peer, &ss, sizeof(ss));
	if (!sl ||
	    sendto(a->relay_fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&ss, (socklen_t)sl) < 0)
		return;
	a->traffic.bytes_to_peer += len;
	a->traffic.pkts_to_peer++;
	srv->counters.bytes_to_peer += len;
	srv->counters.pkts_to_peer++;
}

/* A Data indication (RFC 8656 §11.3) for data from a peer without a channel. */
static void send_data_indication(TurnAlloc *a, const struct stun_addr *peer, const uint8_t *data,
                                 size_t len)
{
	static uint8_t out[65536 + 128];
	uint8_t tid[STUN_TID_LEN];
	struct stun_encoder e;
	size_t n;

	if (stun_tid_random(tid) != 0)
		return;
	stun_encode_init(&e, out, sizeof(out), STUN_METHOD_DATA, STUN_CLASS_INDICATION, tid);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	stun_encode_attr(&e, STUN_ATTR_DATA, data, len);
	if (stun_encode_finish(&e, &n) == 0)
		turn_send_client(&a->from, out, n);
}

static void relay_read(gpointer user_data)
{
	TurnAlloc *a = user_data;
	TurnServer *srv = a->table->user_data;
	static uint8_t buf[HEADROOM + 65536 + 4];
	uint8_t *data = buf + HEADROOM;

	for (int i = 0; i < UDP_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct stun_addr peer;
		TurnChannel *ch;
		ssize_t n =
		    recvfrom(a->relay_fd, data, 65536, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		if (stun_addr_from_sockaddr(&peer, (struct sockaddr *)&ss) != 0)
			continue;
		/* §10.3: nothing passes without a permission for the peer's IP. */
		if (!turn_alloc_permitted(a, &peer)) {
			srv->counters.dropped_no_permission++;
			a->traffic.dropped++;
			continue;
		}
		if (!turn_server_rate_ok(srv, a, (size_t)n, FALSE))
			continue;
		ch = turn_alloc_channel_for(a, &peer);
		if (ch && n <= 65535) {
			gboolean stream = a->from.conn != NULL;
			size_t flen = stun_channel_data_frame_len((size_t)n, stream);

			turn_channel_header(data - STUN_CHANNEL_HEADER_LEN, ch->number, (size_t)n);
			memset(data + n, 0, 3); /* padding over TCP (§12.5) */
			turn_send_client(&a->from, data - STUN_CHANNEL_HEADER_LEN, flen);
		} else {
			send_data_indication(a, &peer, data, (size_t)n);
		}
		a->traffic.bytes_to_client += (guint64)n;
		a->traffic.pkts_to_client++;
		srv->counters.bytes_to_client += (guint64)n;
		srv->counters.pkts_to_client++;
	}
}

/* Relayed sockets are watched by one epoll set, itself one source on the main loop: a
 * wake-up costs what is ready, not what is open (one GSource each made the main loop
 * poll every relayed socket on every iteration). Handlers never free an allocation (TCP
 * closes are deferred), so a batch cannot hold a stale pointer; closing a socket takes it
 * out of the set. */
static gboolean epoll_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	struct epoll_event ev[256];
	int n = epoll_wait(fd, ev, G_N_ELEMENTS(ev), 0);

	for (int i = 0; i < n; i++)
		relay_read(ev[i].data.ptr);
	return G_SOURCE_CONTINUE;
}

void turn_server_watch_relay(TurnServer *srv, TurnAlloc *a)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = a};

	if (a->relay && !a->from.conn && a->from.listener && a->from.listener->wk) {
		turn_worker_alloc_start(a->from.listener->wk, a);
		return;
	}
	if (a->relay && epoll_ctl(srv->epfd, EPOLL_CTL_ADD, a->relay_fd, &ev) != 0)
		g_warning("epoll_ctl: %s", g_strerror(errno));
}

/* ---- life cycle ---- */

/* Stops the workers reading the listeners, and waits until they have let go of them and of
 * removed allocations. */
static void workers_stop(TurnServer *srv)
{
	for (guint i = 0; i < srv->listeners->len; i++) {
		TurnListener *l = g_ptr_array_index(srv->listeners, i);

		if (l->task)
			xb_media_task_remove(g_steal_pointer(&l->task), NULL, NULL);
	}
	if (srv->workers->len)
		xb_media_task_sync();
}

static void listener_free(gpointer data)
{
	TurnListener *l = data;

	if (l->source) {
		g_source_destroy(l->source);
		g_source_unref(l->source);
	}
	xb_timer_clear(&l->resume);
	if (l->socket) {
		g_socket_close(l->socket, NULL);
		g_object_unref(l->socket);
	}
	g_free(l);
}

/* Every allocation's end is counted and published, whatever ended it. */
static void on_alloc_free(TurnAlloc *a, const char *why, gpointer user_data)
{
	TurnServer *srv = user_data;
	char client[64], relayed[64];
	TurnTraffic t;

	if (g_strcmp0(why, "expired") == 0)
		srv->counters.expired++;
	turn_alloc_traffic(a, &t);
	stun_addr_to_string(&a->from.client, client, sizeof(client));
	stun_addr_to_string(&a->relayed, relayed, sizeof(relayed));
	g_info("allocation %s of '%s' from %s ended (%s): %" G_GUINT64_FORMAT
	       " bytes to peers, %" G_GUINT64_FORMAT " to the client",
	       relayed, a->username, client, why, t.bytes_to_peer, t.bytes_to_client);
	xb_event_publish("turn.allocation.deleted",
	                 g_variant_new("(ssssstt)", a->username, a->from.conn ? "tcp" : "udp",
	                               client, relayed, why, t.bytes_to_peer, t.bytes_to_client));
}

static void conn_free_cb(gpointer data)
{
	conn_free(data);
}

TurnServer *turn_server_new(XbModule *owner, TurnConfig *cfg)
{
	TurnServer *srv = g_new0(TurnServer, 1);

	srv->owner = owner;
	srv->cfg = cfg;
	srv->listeners = g_ptr_array_new_with_free_func(listener_free);
	srv->conns = g_hash_table_new_full(g_direct_hash, g_direct_equal, conn_free_cb, NULL);
	srv->table = turn_table_new(owner);
	srv->table->user_data = srv;
	srv->table->on_free = on_alloc_free;
	srv->unauth = turn_limiter_new(TURN_LIMIT_SOURCES);
	srv->workers = g_ptr_array_new_with_free_func((GDestroyNotify)turn_worker_free);
	for (guint i = 0; i < xb_media_task_workers(); i++)
		g_ptr_array_add(srv->workers, turn_worker_new(srv, i, cfg));
	xb_event_type_register("turn.allocation.created", "(ssss)");
	xb_event_type_register("turn.allocation.deleted", "(ssssstt)");
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0)
		g_error("turn: epoll_create1: %s", g_strerror(errno));
	srv->epoll_src = g_unix_fd_add(srv->epfd, G_IO_IN, epoll_cb, srv);
	if (stun_tid_random(srv->nonce_key) != 0 || stun_tid_random(srv->nonce_key + 12) != 0 ||
	    stun_tid_random(srv->nonce_key + 20) != 0)
		g_error("turn: no random bytes from OpenSSL");
	return srv;
}

void turn_server_free(TurnServer *srv)
{
	if (!srv)
		return;
	/* No events on the way out; connections first, each takes its allocation along. The
	 * workers let go of the listeners and allocations before anything is freed. */
	srv->closing = TRUE;
	srv->table->on_free = NULL;
	g_hash_table_destroy(srv->conns);
	turn_table_free(srv->table);
	workers_stop(srv);
	g_ptr_array_unref(srv->workers);
	turn_limiter_free(srv->unauth);
	g_source_remove(srv->epoll_src);
	close(srv->epfd);
	g_ptr_array_unref(srv->listeners);
	if (srv->tls)
		SSL_CTX_free(srv->tls);
	turn_config_free(srv->cfg);
	g_free(srv);
}

static TurnListener *listener_add(TurnServer *srv, XbTransport transport, int fd, GError **error);

/* Binds and closes a socket at `at` without SO_REUSEPORT: FALSE when the address is in
 * use; a port 0 becomes the port the system chose. */
static gboolean probe_free(XbListenAddr *at, GError **error)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct stun_addr bound;
	int fd = xb_net_listen(at, NULL, error);

	if (fd < 0) {
		g_prefix_error(error, "turn.listen: ");
		return FALSE;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    stun_addr_from_sockaddr(&bound, (struct sockaddr *)&ss) == 0)
		at->port = bound.port;
	close(fd);
	return TRUE;
}

static gboolean listen_one(TurnServer *srv, const XbListenAddr *a, GError **error)
{
	gboolean udp = a->transport == XB_TRANSPORT_UDP;
	guint nworkers = udp ? srv->workers->len : 0;
	/* A stream listener queues up to 10 connections not yet accepted; a burst beyond that
	 * waits for the clients' SYN retries. */
	XbListenOptions opts = {.rcvbuf = udp ? SOCKBUF : 0,
	                        .sndbuf = udp ? SOCKBUF : 0,
	                        .backlog = 10,
	                        .reuseport = nworkers > 1};
	XbListenAddr at = *a;
	TurnListener *l;
	int fd;

	if (a->transport == XB_TRANSPORT_TLS && !srv->tls) {
		g_set_error(error, XB_TURN_ERROR, XB_TURN_ERROR_LISTEN,
		            "turn.listen: tls:%s:%u needs turn.tls_certificate and turn.tls_key",
		            a->address, a->port);
		return FALSE;
	}
	/* Read on the media workers: one socket each, the kernel spreading clients over them.
	 * Another process's SO_REUSEPORT socket (of the same user) would let the group bind, so
	 * a socket without it first proves the address free (and picks the port for port 0). */
	if (opts.reuseport && !probe_free(&at, error))
		return FALSE;
	for (guint i = 0; i < MAX(nworkers, 1); i++) {
		fd = xb_net_listen(&at, &opts, error);
		if (fd < 0) {
			g_prefix_error(error, "turn.listen: ");
			return FALSE;
		}
		l = listener_add(srv, a->transport, fd, error);
		if (!l)
			return FALSE;
		at.port = l->addr.port; /* port 0: the others share the first one's */
		if (nworkers)
			turn_worker_listen(g_ptr_array_index(srv->workers, i), l);
		else
			listener_watch(l);
	}
	g_message("listening on %s:%s%s%s:%u%s", xb_transport_name(a->transport),
	          a->ipv6 ? "[" : "", a->address, a->ipv6 ? "]" : "", at.port,
	          nworkers ? " (relaying on the media workers)" : "");
	return TRUE;
}

/* A bound socket becomes a listener (not yet watched). */
static TurnListener *listener_add(TurnServer *srv, XbTransport transport, int fd, GError **error)
{
	g_autoptr(GError) err = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	TurnListener *l;

	if (transport == XB_TRANSPORT_UDP) {
		int size = SOCKBUF;

		/* Past net.core.rmem_max/wmem_max when allowed (CAP_NET_ADMIN). */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	}
	l = g_new0(TurnListener, 1);
	l->srv = srv;
	l->transport = transport;
	l->socket = g_socket_new_from_fd(fd, &err);
	if (!l->socket) {
		close(fd);
		g_propagate_prefixed_error(error, g_steal_pointer(&err), "turn.listen: ");
		listener_free(l);
		return NULL;
	}
	g_socket_set_blocking(l->socket, FALSE);
	l->fd = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		stun_addr_from_sockaddr(&l->addr, (struct sockaddr *)&ss);
	g_ptr_array_add(srv->listeners, l);
	return l;
}

/* Each allocation holds a relayed socket (and, over TCP/TLS, its connection), each TCP/TLS
 * client a connection and each port reservation a socket; the rest of the daemon needs some
 * too (TURN_FD_SPARE is a guess at that, not a measure). */
void turn_server_check_fd_limit(TurnServer *srv)
{
	struct rlimit rl;
	guint64 need;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	if (!srv->cfg->max_allocs) {
		g_message(
		    "turn.max_allocations is 0 (no limit): allocations are bounded by the %llu "
		    "file descriptors of RLIMIT_NOFILE",
		    (unsigned long long)rl.rlim_cur);
		return;
	}
	need = (guint64)srv->cfg->max_allocs + TURN_MAX_CONNECTIONS + TURN_MAX_RESERVATIONS +
	       srv->listeners->len + TURN_FD_SPARE;
	if (need > rl.rlim_cur)
		g_warning(
		    "turn.max_allocations=%u and up to %u TCP/TLS connections need about %llu "
		    "file descriptors, but RLIMIT_NOFILE is %llu: allocations and connections "
		    "past it will fail (raise the limit, e.g. LimitNOFILE= in the unit, or "
		    "lower turn.max_allocations)",
		    srv->cfg->max_allocs, TURN_MAX_CONNECTIONS, (unsigned long long)need,
		    (unsigned long long)rl.rlim_cur);
}

gboolean turn_server_tls(TurnServer *srv, const char *cert, const char *key, GError **error)
{
	srv->tls = xb_tls_server_ctx_new(cert, key, error);
	if (!srv->tls) {
		g_prefix_error(error, "turn.tls_certificate/turn.tls_key: ");
		return FALSE;
	}
	return TRUE;
}

gboolean turn_server_listen(TurnServer *srv, GArray *addrs, GError **error)
{
	for (guint i = 0; i < addrs->len; i++) {
		if (!listen_one(srv, &g_array_index(addrs, XbListenAddr, i), error)) {
			workers_stop(srv);
			g_ptr_array_set_size(srv->listeners, 0);
			return FALSE;
		}
	}
	return TRUE;
}

/* The address the host would send from towards a documentation address: a UDP connect
 * sends nothing, it only asks the routing table. */
static gboolean route_source(gboolean v6, struct stun_addr *out)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof(ss);
	struct stun_addr probe = {0};
	size_t len;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	gboolean ok;

	if (fd < 0)
		return FALSE;
	probe.family = v6 ? STUN_FAMILY_IPV6 : STUN_FAMILY_IPV4;
	probe.port = 9;
	if (v6) {
		probe.ip[0] = 0x20, probe.ip[1] = 0x01, probe.ip[2] = 0x0d, probe.ip[3] = 0xb8;
		probe.ip[15] = 1;
	} else {
		probe.ip[0] = 192, probe.ip[1] = 0, probe.ip[2] = 2, probe.ip[3] = 1;
	}
	len = stun_addr_to_sockaddr(&probe, &ss, sizeof(ss));
	ok = connect(fd, (struct sockaddr *)&ss, (socklen_t)len) == 0 &&
	     getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	     stun_addr_from_sockaddr(out, (struct sockaddr *)&ss) == 0;
	close(fd);
	out->port = 0;
	return ok;
}

static gboolean is_unspecified(const struct stun_addr *a)
{
	return stun_addr_classify(a) == STUN_ADDR_UNSPECIFIED;
}

static void set_relay(TurnServer *srv, const struct stun_addr *a)
{
	if (a->family == STUN_FAMILY_IPV4 && !srv->has_relay4) {
		srv->relay4 = *a;
		srv->relay4.port = 0;
		srv->has_relay4 = TRUE;
	} else if (a->family == STUN_FAMILY_IPV6 && !srv->has_relay6) {
		srv->relay6 = *a;
		srv->relay6.port = 0;
		srv->has_relay6 = TRUE;
	}
}

gboolean turn_server_set_relay(TurnServer *srv, char **addresses, GError **error)
{
	gboolean wild4 = FALSE, wild6 = FALSE;
	char text[64];

	for (guint i = 0; addresses && addresses[i]; i++) {
		TurnCidr c;

		if (!turn_cidr_parse(addresses[i], &c) || strchr(addresses[i], '/') ||
		    is_unspecified(&c.net)) {
			g_set_error(error, XB_TURN_ERROR, XB_TURN_ERROR_CONFIG,
			            "turn.relay_address: '%s' is not a specific IP address",
			            addresses[i]);
			return FALSE;
		}
		set_relay(srv, &c.net);
	}
	if (addresses && addresses[0])
		goto done;
	/* Derived: each family takes the first specific listen address; a wildcard listener
	 * gives the host's routing source address for its family. */
	for (guint i = 0; i < srv->listeners->len; i++) {
		TurnListener *l = g_ptr_array_index(srv->listeners, i);

		if (!is_unspecified(&l->addr))
			set_relay(srv, &l->addr);
		else if (l->addr.family == STUN_FAMILY_IPV4)
			wild4 = TRUE;
		else
			wild6 = TRUE;
	}
	if (wild4 && !srv->has_relay4) {
		struct stun_addr a;

		if (route_source(FALSE, &a))
			set_relay(srv, &a);
	}
	if (wild6 && !srv->has_relay6) {
		struct stun_addr a;

		if (route_source(TRUE, &a))
			set_relay(srv, &a);
	}
done:
	for (int v6 = 0; v6 < 2; v6++) {
		const struct stun_addr *a = v6 ? &srv->relay6 : &srv->relay4;
		char *colon;

		if (!(v6 ? srv->has_relay6 : srv->has_relay4))
			continue;
		stun_addr_to_string(a, text, sizeof(text));
		colon = strrchr(text, ':'); /* the port (0) goes */
		if (colon)
			*colon = '\0';
		g_message("relaying on %s ports %u-%u", text, srv->cfg->port_lo, srv->cfg->port_hi);
	}
	if (!srv->has_relay4 && !srv->has_relay6) {
		g_set_error(error, XB_TURN_ERROR, XB_TURN_ERROR_CONFIG,
		            "turn.relay_address: no address to relay from; set one");
		return FALSE;
	}
	return TRUE;
}

void turn_server_counters(const TurnServer *srv, TurnCounters *out)
{
	TurnWorkerCounters w = {0};

	*out = srv->counters;
	for (guint i = 0; i < srv->workers->len; i++)
		turn_worker_counters_add(g_ptr_array_index(srv->workers, i), &w);
	out->bytes_to_peer += w.bytes_to_peer;
	out->bytes_to_client += w.bytes_to_client;
	out->pkts_to_peer += w.pkts_to_peer;
	out->pkts_to_client += w.pkts_to_client;
	out->dropped_no_permission += w.dropped_no_permission;
	out->dropped_rate += w.dropped_rate;
	out->dropped_busy += w.dropped_busy;
}

void turn_server_config_changed(TurnServer *srv)
{
	for (guint i = 0; i < srv->workers->len; i++)
		turn_worker_config(g_ptr_array_index(srv->workers, i), srv->cfg);
}
