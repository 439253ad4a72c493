/* transport.c: mod_sip's sockets. UDP datagrams and TCP/TLS streams are framed (§18.3),
 * parsed, stamped with received/rport (§18.2.1, RFC 3581) and handed up; what cannot reach a
 * transaction is answered here, statelessly, when enough of it parsed. Connections are kept
 * in a table by id and by peer so that responses and later requests reuse the same flow;
 * idle ones are closed. Nothing here blocks: sockets are non-blocking and writes that do not
 * fit wait in a bounded queue. */
#define _GNU_SOURCE /* accept4 */
#include "transport_private.h"

#include <crossbar/net.h>
#include <gio/gio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <linux/sock_diag.h> /* SK_MEMINFO_* for SO_MEMINFO */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

gboolean same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
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
static void response_peer(const struct sip_msg *msg, SipFlow *peer)
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
void answer_stateless(SipTransports *tp, const struct sip_msg *req, const SipFlow *from,
                      const struct sip_err *err)
{
	g_autoptr(GString) out = g_string_sized_new(512);
	struct sip_mb mb;
	SipFlow to = *from;
	char tag[17];

	if (!req || !req->is_request || req->method == SIP_METHOD_ACK ||
	    !sip_msg_hdr(req, SIP_HDR_VIA) || !sip_msg_hdr(req, SIP_HDR_FROM) ||
	    !sip_msg_hdr(req, SIP_HDR_TO) || !sip_msg_hdr(req, SIP_HDR_CALL_ID) ||
	    !sip_msg_hdr(req, SIP_HDR_CSEQ))
		return;
	xb_random_hex(tag, sizeof(tag) - 1);
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
static void answer_unparsed(SipTransports *tp, const char *buf, size_t len, const SipFlow *from,
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

void deliver(SipTransports *tp, const char *buf, size_t len, SipFlow *from)
{
	struct sip_msg *msg = NULL;
	struct sip_err err = {0, NULL};
	g_autofree char *who = NULL;

	if (sip_msg_parse(&msg, buf, len, &err) < 0) {
		who = sip_flow_to_string(from);
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

int sip_transport_send(SipTransports *tp, const SipFlow *to, const char *buf, size_t len)
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

void sip_transport_tls_name(SipTransports *tp, const SipFlow *to, const char *name)
{
	struct sockaddr_storage *key;

	if (!name || !*name || sip_flow_from_host(&(SipFlow){0}, to->transport, name, 1)) {
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
	tp->tls_server = xb_tls_server_ctx_new(tp->tls_certificate, tp->tls_key, error);
	if (!tp->tls_server) {
		g_prefix_error(error, "sip.tls_certificate/sip.tls_key: ");
		return FALSE;
	}
	return TRUE;
}

/* A listener's watch, which GLib does not block while it runs: blocking a source takes
 * its fd out of the poll set and puts it back, each time a write to the main loop's
 * wake-up eventfd and a spare poll and read after every dispatch. The callbacks run no
 * nested main loop, so they are never re-entered. */
static guint watch_listener(int fd, GUnixFDSourceFunc func, gpointer data)
{
	GSource *src = g_unix_fd_source_new(fd, G_IO_IN);
	guint id;

	g_source_set_can_recurse(src, TRUE);
	g_source_set_callback(src, G_SOURCE_FUNC(func), data, NULL);
	id = g_source_attach(src, NULL);
	g_source_unref(src);
	return id;
}

static gboolean listen_one(SipTransports *tp, const XbListenAddr *a, GError **error)
{
	/* Large buffers absorb bursts (a REGISTER storm after a power cut) without loss. */
	const XbListenOptions opts = {.rcvbuf = SIP_RCVBUF, .sndbuf = SIP_SNDBUF, .backlog = 256};
	struct sockaddr_storage local = {.ss_family = a->ipv6 ? AF_INET6 : AF_INET};
	socklen_t local_len = sizeof(local);
	gboolean udp = a->transport == XB_TRANSPORT_UDP;
	int one = 1, fd;
	Listener *l;

	if (a->transport == XB_TRANSPORT_TLS) {
		if (!*tp->tls_certificate || !*tp->tls_key) {
			g_set_error(error, XB_SIP_ERROR, XB_SIP_ERROR_LISTEN,
			            "sip.listen: tls:%s:%u needs sip.tls_certificate and "
			            "sip.tls_key",
			            a->address, a->port);
			return FALSE;
		}
		if (!tls_setup(tp, error))
			return FALSE;
	}
	fd = xb_net_listen(a, &opts, error);
	if (fd < 0) {
		g_prefix_error(error, "sip.listen: ");
		return FALSE;
	}
	getsockname(fd, (struct sockaddr *)&local, &local_len); /* the family it parsed to */
	l = g_new0(Listener, 1);
	l->tp = tp;
	l->addr = *a;
	l->family = local.ss_family;
	l->fd = fd;
	if (udp) /* each datagram's arrival time, for udp_check_lag */
		setsockopt(l->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (l->family == AF_INET6)
		g_snprintf(l->sent_by, sizeof(l->sent_by), "[%s]:%u", a->address, a->port);
	else
		g_snprintf(l->sent_by, sizeof(l->sent_by), "%s:%u", a->address, a->port);
	l->watch = watch_listener(l->fd, udp ? udp_read_cb : tcp_accept_cb, l);
	g_ptr_array_add(tp->listeners, l);
	g_message("listening on %s:%s", xb_transport_name(a->transport), l->sent_by);
	return TRUE;
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
