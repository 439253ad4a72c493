/* transport_private.h: the bodies of SipTransports and of its listeners and connections, and
 * what the transport*.c files share (transport.c received messages, sending and set-up;
 * transport_udp.c; transport_stream.c for TCP and TLS; transport_limits.c). Private to
 * those files: the UA core sees transport.h. */
#pragma once

#include "transport.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

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

/* A g_rc_box: the table holds a reference, and the reader another while it runs. */
typedef struct {
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

/* transport.c: received messages */
void answer_stateless(SipTransports *tp, const struct sip_msg *req, const SipFlow *from,
                      const struct sip_err *err);
void deliver(SipTransports *tp, const char *buf, size_t len, SipFlow *from);
gboolean same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* transport_udp.c: UDP sockets */
gboolean udp_hold(SipTransports *tp, int fd, const SipFlow *to, const char *buf, size_t len);
gboolean udp_read_cb(gint fd, GIOCondition cond, gpointer user_data);

/* transport_limits.c: limits per source */
void G_GNUC_PRINTF(2, 3) limit_warn(gint64 *last, const char *fmt, ...);
gboolean sockaddr_equal(gconstpointer a, gconstpointer b);
guint sockaddr_hash(gconstpointer k);
gboolean source_admit(SipTransports *tp, const struct sockaddr_storage *peer);
void source_release(SipTransports *tp, const struct sockaddr_storage *peer);

/* transport_stream.c: TCP and TLS connections */
Conn *conn_connect(SipTransports *tp, const SipFlow *to, int *error);
Conn *conn_find(SipTransports *tp, const SipFlow *to);
int conn_send(Conn *c, const char *buf, size_t len);
void conn_table_unref(gpointer data);
gboolean tcp_accept_cb(gint fd, GIOCondition cond, gpointer user_data);
