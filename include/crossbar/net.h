/* net.h: listening sockets and TLS server contexts for the modules that serve a network
 * protocol (mod_sip, mod_turn): one way to open a listener, one set of TLS defaults, one
 * wording of their errors. Options that belong to one protocol (datagram timestamps, what
 * to do with a connection) stay in its module. Nothing here blocks or resolves names. */
#pragma once

#include <crossbar/config.h>

#include <glib.h>

G_BEGIN_DECLS

#define XB_NET_ERROR (xb_net_error_quark())
GQuark xb_net_error_quark(void);
typedef enum {
	XB_NET_ERROR_ADDRESS, /* the address is not a literal IP address */
	XB_NET_ERROR_IN_USE,  /* another socket holds the address and port */
	XB_NET_ERROR_SOCKET,  /* any other failure of socket, bind or listen */
	XB_NET_ERROR_TLS,     /* OpenSSL refused the certificate or the key */
} XbNetError;

typedef struct {
	int rcvbuf;         /* SO_RCVBUF, set before bind (so that accepted streams inherit it); 0
	                       leaves the system's default */
	int sndbuf;         /* SO_SNDBUF, likewise */
	int backlog;        /* listen(2) backlog of a stream listener; 0 means SOMAXCONN */
	gboolean reuseport; /* SO_REUSEPORT: several sockets of this process share the address,
	                       the kernel spreading datagrams over them by source */
} XbListenOptions;

/* A socket bound to `a`, non-blocking and close-on-exec: a datagram socket for udp:, a
 * listening stream socket for tcp: and tls: (with SO_REUSEADDR). An IPv6 socket takes
 * IPv6 only (IPV6_V6ONLY), so that [::] and 0.0.0.0 can both be listened on. `opts` may
 * be NULL. Returns the descriptor, or -1 with `error` set to one line such as
 * "cannot listen on tcp:127.0.0.1:5060: Address already in use" (callers prefix the
 * setting's name). */
int xb_net_listen(const XbListenAddr *a, const XbListenOptions *opts, GError **error);

/* A TLS server context: TLS 1.2 at least, the certificate chain from the PEM file `cert`
 * (the server's certificate first), the private key from the PEM file `key`, checked to
 * match. Returns NULL with `error` set to "cannot use CERT and KEY: <OpenSSL's reason>".
 * Free with SSL_CTX_free. Typed by its struct tag so that this header needs no OpenSSL
 * include; the result is an SSL_CTX *. */
struct ssl_ctx_st *xb_tls_server_ctx_new(const char *cert, const char *key, GError **error);

G_END_DECLS
