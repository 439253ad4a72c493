/* transport.h: mod_sip's transport layer (RFC 3261 §18, RFC 3581, RFC 5626 §3.5.1): UDP,
 * TCP and TLS sockets on the main loop. It frames and parses what arrives, answers what is
 * too broken to reach a transaction (400, 505, 513 ...), stamps received/rport into the top
 * Via of a request, and sends bytes to a peer, reusing connections. It never decides what a
 * request means: parsed messages go up through the receive callback. */
#pragma once

#include <crossbar/crossbar.h>

#include <crossbar/sip.h> /* XB_SIP_ERROR */
#include <crossbar/sipmsg.h>
#include "transaction.h"

typedef struct sip_transports SipTransports;

/* A parsed message for the layer above; it takes ownership of msg. For a request, `from`
 * is where its responses go (§18.2.2 with rport); for a response, where it came from. */
typedef void (*SipRecvFunc)(void *ctx, struct sip_msg *msg, const SipFlow *from);
/* A whole UDP datagram before it is parsed; TRUE when the layer above took it as it is (a
 * retransmission), so it is not parsed. */
typedef gboolean (*SipRawFunc)(void *ctx, const char *buf, size_t len, const SipFlow *from);

typedef struct {
	gint64 tcp_idle_timeout_ms;      /* close a connection no message crossed for this long */
	gint64 first_message_timeout_ms; /* an accepted connection's first message is due */
	gint64 tls_handshake_timeout_ms; /* an accepted TLS connection's handshake is due */
	guint max_connections;           /* TCP and TLS connections open at once */
	guint max_per_source;            /* accepted from one IPv4 address or IPv6 /64 */
	gsize max_buffered;              /* octets queued in and out over all connections */
	const char *tls_certificate;     /* PEM files for tls: listeners ("" for none) */
	const char *tls_key;
	const char *tls_ca_file; /* trust anchors for outgoing TLS ("" for the system's) */
	gboolean tls_verify_peer;
	const char *server_header; /* for the stateless error responses */
} SipTransportConfig;

SipTransports *sip_transports_new(XbModule *owner, const SipTransportConfig *cfg, SipRecvFunc recv,
                                  void *ctx);
/* Bind every address; on the first failure close what was opened and say which. */
gboolean sip_transports_listen(SipTransports *tp, GArray *addrs, GError **error);
void sip_transports_free(SipTransports *tp);
/* Give each UDP datagram to `raw` before parsing it (with the receive callback's ctx). */
void sip_transports_set_raw(SipTransports *tp, SipRawFunc raw);

/* Send one complete message. 0, or a negative errno. For TCP/TLS the message goes on the
 * connection to->conn_id when it is still open, else on an open connection to the same
 * address, else on a new one (its bytes wait until it is connected). */
int sip_transport_send(SipTransports *tp, const SipFlow *to, const char *buf, size_t len);

/* A listen address of the given transport and family to put in Via and Contact
 * ("127.0.0.1:5060", "[::1]:5060"); NULL when there is none. */
const char *sip_transport_sent_by(SipTransports *tp, XbTransport transport, int family);

/* Counters for `sip status`. */
guint sip_transport_connections(SipTransports *tp);
gsize sip_transport_buffered(SipTransports *tp);

/* The host name that a TLS server at to->addr must prove in its certificate (RFC 5922 §7),
 * also sent as SNI, for connections opened from now on; a name that is an IP address, or
 * NULL, forgets it (the address itself is then checked). */
void sip_transport_tls_name(SipTransports *tp, const SipFlow *to, const char *name);

/* TRUE while a UDP socket's receive queue is filling faster than the loop drains it (the
 * requests waiting there already cost their senders time): the transaction layer then sheds
 * new work (sip_txl_set_shedding). */
gboolean sip_transport_behind(SipTransports *tp);
/* Datagrams dropped unparsed while far behind: new requests without credentials. */
guint64 sip_transport_dropped_behind(SipTransports *tp);
/* New requests answered 503 from their raw lines, unparsed, while behind. */
guint64 sip_transport_shed(SipTransports *tp);
