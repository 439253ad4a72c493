/* test_net.c: listening sockets and TLS server contexts (crossbar/net.h): what a listener
 * is made with, the errors an operator reads for a port in use, a name where an address
 * belongs and an unusable certificate. */
#include "test_util.h"

#include <crossbar/net.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static XbListenAddr loopback(XbTransport transport, guint16 port)
{
	XbListenAddr a = {.transport = transport, .port = port};

	g_strlcpy(a.address, "127.0.0.1", sizeof(a.address));
	return a;
}

static guint16 bound_port(int fd, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);

	g_assert_cmpint(getsockname(fd, (struct sockaddr *)sin, &len), ==, 0);
	g_assert_cmpint(sin->sin_family, ==, AF_INET);
	return ntohs(sin->sin_port);
}

static int sockopt(int fd, int level, int name)
{
	int value = -1;
	socklen_t len = sizeof(value);

	g_assert_cmpint(getsockopt(fd, level, name, &value, &len), ==, 0);
	return value;
}

static void assert_flags(int fd)
{
	g_assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	g_assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

/* tcp: on port 0 gives a listening, non-blocking, close-on-exec stream socket on a real
 * port, which accepts a connection. */
static void test_listen_tcp(void)
{
	g_autoptr(GError) error = NULL;
	XbListenAddr a = loopback(XB_TRANSPORT_TCP, 0);
	struct sockaddr_in sin;
	int fd = xb_net_listen(&a, NULL, &error), client, conn = -1;

	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpuint(bound_port(fd, &sin), >, 0);
	assert_flags(fd);
	g_assert_cmpint(sockopt(fd, SOL_SOCKET, SO_TYPE), ==, SOCK_STREAM);
	g_assert_cmpint(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), ==, 1);
	g_assert_cmpint(sockopt(fd, SOL_SOCKET, SO_REUSEADDR), !=, 0);

	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(connect(client, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	for (guint i = 0; i < 100 && conn < 0; i++) { /* the listener does not block */
		conn = accept(fd, NULL, NULL);
		if (conn < 0) {
			g_assert_cmpint(errno, ==, EAGAIN);
			g_usleep(10000);
		}
	}
	g_assert_cmpint(conn, >=, 0);
	close(conn);
	close(client);
	close(fd);
}

/* udp: on port 0 gives a bound, non-blocking datagram socket that receives. */
static void test_listen_udp(void)
{
	g_autoptr(GError) error = NULL;
	XbListenAddr a = loopback(XB_TRANSPORT_UDP, 0);
	struct sockaddr_in sin;
	int fd = xb_net_listen(&a, &(XbListenOptions){.rcvbuf = 256 * 1024}, &error), client;
	char buf[16];

	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpuint(bound_port(fd, &sin), >, 0);
	assert_flags(fd);
	g_assert_cmpint(sockopt(fd, SOL_SOCKET, SO_TYPE), ==, SOCK_DGRAM);
	g_assert_cmpint(recv(fd, buf, sizeof(buf), 0), ==, -1); /* nothing yet, no wait */
	g_assert_cmpint(errno, ==, EAGAIN);

	client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(sendto(client, "ping", 4, 0, (struct sockaddr *)&sin, sizeof(sin)), ==, 4);
	ssize_t n = -1;
	for (guint i = 0; i < 100 && n < 0; i++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			g_usleep(10000);
	}
	g_assert_cmpint(n, ==, 4);
	g_assert_cmpmem(buf, 4, "ping", 4);
	close(client);
	close(fd);
}

/* A port that another socket holds is refused with the address and the reason, for a
 * stream and for a datagram listener. */
static void test_listen_in_use(void)
{
	static const XbTransport transports[] = {XB_TRANSPORT_TCP, XB_TRANSPORT_UDP};

	for (guint i = 0; i < G_N_ELEMENTS(transports); i++) {
		g_autoptr(GError) error = NULL;
		XbListenAddr a = loopback(transports[i], 0);
		struct sockaddr_in sin;
		int first = xb_net_listen(&a, NULL, &error);

		g_assert_no_error(error);
		a.port = bound_port(first, &sin);
		g_assert_cmpint(xb_net_listen(&a, NULL, &error), ==, -1);
		g_assert_error(error, XB_NET_ERROR, XB_NET_ERROR_IN_USE);
		g_autofree char *want =
		    g_strdup_printf("cannot listen on %s:127.0.0.1:%u: %s", i ? "udp" : "tcp",
		                    a.port, g_strerror(EADDRINUSE));
		g_assert_cmpstr(error->message, ==, want);
		close(first);
	}
}

/* A host name where a literal address belongs is refused before any socket is made. */
static void test_listen_name(void)
{
	g_autoptr(GError) error = NULL;
	XbListenAddr a = loopback(XB_TRANSPORT_TLS, 5061);

	g_strlcpy(a.address, "localhost", sizeof(a.address));
	g_assert_cmpint(xb_net_listen(&a, NULL, &error), ==, -1);
	g_assert_error(error, XB_NET_ERROR, XB_NET_ERROR_ADDRESS);
	g_assert_cmpstr(error->message, ==,
	                "tls:localhost:5061: the address must be a literal IP address");
}

/* [::1] is written in brackets in errors and takes IPv6 only; skipped without IPv6. */
static void test_listen_ipv6(void)
{
	g_autoptr(GError) error = NULL;
	XbListenAddr a = {.transport = XB_TRANSPORT_TCP, .ipv6 = TRUE};
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	int fd;

	g_strlcpy(a.address, "::1", sizeof(a.address));
	fd = xb_net_listen(&a, NULL, &error);
	if (fd < 0) {
		g_test_skip(error->message);
		return;
	}
	g_assert_cmpint(sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY), ==, 1);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin6, &len), ==, 0);
	a.port = ntohs(sin6.sin6_port);
	g_assert_cmpint(xb_net_listen(&a, NULL, &error), ==, -1);
	g_autofree char *want =
	    g_strdup_printf("cannot listen on tcp:[::1]:%u: %s", a.port, g_strerror(EADDRINUSE));
	g_assert_cmpstr(error->message, ==, want);
	close(fd);
}

/* A self-signed certificate and its key, made by the openssl command in dir; FALSE when
 * the command is not there. */
static gboolean make_pair(const char *dir, const char *name)
{
	g_autofree char *cert = g_strdup_printf("%s/%s.pem", dir, name);
	g_autofree char *key = g_strdup_printf("%s/%s.key", dir, name);
	const char *argv[] = {"openssl",
	                      "req",
	                      "-x509",
	                      "-newkey",
	                      "ec",
	                      "-pkeyopt",
	                      "ec_paramgen_curve:prime256v1",
	                      "-nodes",
	                      "-days",
	                      "1",
	                      "-subj",
	                      "/CN=localhost",
	                      "-keyout",
	                      key,
	                      "-out",
	                      cert,
	                      NULL};
	g_autoptr(GError) error = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL,
	                  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
	                      G_SPAWN_STDERR_TO_DEV_NULL,
	                  NULL, NULL, NULL, NULL, &status, &error))
		return FALSE;
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return TRUE;
}

/* A matching pair gives a context that offers nothing below TLS 1.2. */
static void test_tls_good_pair(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *cert = g_build_filename(dir, "a.pem", NULL);
	g_autofree char *key = g_build_filename(dir, "a.key", NULL);
	g_autoptr(GError) error = NULL;
	SSL_CTX *ctx;

	if (!make_pair(dir, "a")) {
		g_test_skip("no openssl command");
		xb_test_rmdir(dir);
		return;
	}
	ctx = xb_tls_server_ctx_new(cert, key, &error);
	g_assert_no_error(error);
	g_assert_nonnull(ctx);
	g_assert_cmpint(SSL_CTX_get_min_proto_version(ctx), ==, TLS1_2_VERSION);
	g_assert_nonnull(SSL_CTX_get0_certificate(ctx));
	SSL_CTX_free(ctx);
	xb_test_rmdir(dir);
}

/* A missing certificate file is named in the error. */
static void test_tls_missing_file(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *cert = g_build_filename(dir, "none.pem", NULL);
	g_autofree char *key = g_build_filename(dir, "none.key", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_null(xb_tls_server_ctx_new(cert, key, &error));
	g_assert_error(error, XB_NET_ERROR, XB_NET_ERROR_TLS);
	g_assert_nonnull(strstr(error->message, cert));
	g_assert_true(g_str_has_prefix(error->message, "cannot use "));
	xb_test_rmdir(dir);
}

/* A key that belongs to another certificate is refused. */
static void test_tls_key_mismatch(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *cert = g_build_filename(dir, "a.pem", NULL);
	g_autofree char *key = g_build_filename(dir, "b.key", NULL);
	g_autoptr(GError) error = NULL;

	if (!make_pair(dir, "a") || !make_pair(dir, "b")) {
		g_test_skip("no openssl command");
		xb_test_rmdir(dir);
		return;
	}
	g_assert_null(xb_tls_server_ctx_new(cert, key, &error));
	g_assert_error(error, XB_NET_ERROR, XB_NET_ERROR_TLS);
	g_assert_nonnull(strstr(error->message, key));
	xb_test_rmdir(dir);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/net/listen/tcp", test_listen_tcp);
	g_test_add_func("/net/listen/udp", test_listen_udp);
	g_test_add_func("/net/listen/in-use", test_listen_in_use);
	g_test_add_func("/net/listen/name-refused", test_listen_name);
	g_test_add_func("/net/listen/ipv6-only", test_listen_ipv6);
	g_test_add_func("/net/tls/good-pair", test_tls_good_pair);
	g_test_add_func("/net/tls/missing-file", test_tls_missing_file);
	g_test_add_func("/net/tls/key-mismatch", test_tls_key_mismatch);
	return g_test_run();
}
