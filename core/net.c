/* net.c: listening sockets and TLS server contexts shared by the protocol modules (see
 * crossbar/net.h). It opens and configures descriptors and contexts only: reading,
 * accepting and framing stay with each protocol. */
#include <crossbar/net.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

GQuark xb_net_error_quark(void)
{
	return g_quark_from_static_string("xb-net-error-quark");
}

/* The socket address of a literal IPv4 or IPv6 address; FALSE for anything else. */
static gboolean listen_sockaddr(const XbListenAddr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, a->address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		*len = sizeof(*s6);
		return TRUE;
	}
	if (inet_pton(AF_INET, a->address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		*len = sizeof(*s4);
		return TRUE;
	}
	return FALSE;
}

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

int xb_net_listen(const XbListenAddr *a, const XbListenOptions *opts, GError **error)
{
	static const XbListenOptions defaults = {0};
	gboolean stream = a->transport != XB_TRANSPORT_UDP;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e;

	if (!opts)
		opts = &defaults;
	if (!listen_sockaddr(a, &ss, &len)) {
		g_set_error(error, XB_NET_ERROR, XB_NET_ERROR_ADDRESS,
		            "%s:%s:%u: the address must be a literal IP address",
		            xb_transport_name(a->transport), a->address, a->port);
		return -1;
	}
	fd = socket(ss.ss_family,
	            (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (ss.ss_family == AF_INET6 && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
		goto fail;
	/* Buffer sizes are a wish: the kernel caps them (net.core.rmem_max) without failing. */
	if (opts->rcvbuf > 0)
		(void)set_int(fd, SOL_SOCKET, SO_RCVBUF, opts->rcvbuf);
	if (opts->sndbuf > 0)
		(void)set_int(fd, SOL_SOCKET, SO_SNDBUF, opts->sndbuf);
	/* A restarted daemon rebinds while its old connections sit in TIME_WAIT. */
	if (stream && set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0)
		goto fail;
	if (opts->reuseport && set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	if (stream && listen(fd, opts->backlog > 0 ? opts->backlog : SOMAXCONN) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	gboolean v6 = ss.ss_family == AF_INET6;
	g_set_error(error, XB_NET_ERROR,
	            e == EADDRINUSE ? XB_NET_ERROR_IN_USE : XB_NET_ERROR_SOCKET,
	            "cannot listen on %s:%s%s%s:%u: %s", xb_transport_name(a->transport),
	            v6 ? "[" : "", a->address, v6 ? "]" : "", a->port, g_strerror(e));
	return -1;
}

struct ssl_ctx_st *xb_tls_server_ctx_new(const char *cert, const char *key, GError **error)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256] = "";

	if (ctx && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
	    SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 &&
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 &&
	    SSL_CTX_check_private_key(ctx) == 1)
		return ctx;
	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	ERR_clear_error();
	g_set_error(error, XB_NET_ERROR, XB_NET_ERROR_TLS, "cannot use %s and %s: %s", cert, key,
	            why);
	SSL_CTX_free(ctx);
	return NULL;
}
