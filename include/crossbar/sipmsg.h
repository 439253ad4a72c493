/* sipmsg.h: the SIP message library (lib/sip/; RFC 3261 §7, §19, §20, §25): types and
 * functions to parse, frame, check, compare and build SIP messages, and SipPeer, where a
 * message came from or goes to. Linked into libcrossbar for mod_sip, the registrar and any
 * module that reads SIP. Pure code: GLib and libc only; nothing here may touch sockets,
 * timers or the core's API. */
#ifndef XB_SIP_MSG_H
#define XB_SIP_MSG_H

#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <crossbar/config.h>

/* Limits. A message past any of them is refused with 513 (our limit, not the peer's error). */
#define SIP_MAX_MSG_SIZE   65535 /* octets in one message, start line to end of body */
#define SIP_MAX_HEADERS    128   /* header slots (one per value after comma splitting) */
#define SIP_MAX_LINE       8192  /* one header line, folded continuations included */
#define SIP_MAX_VIA        64    /* Via values (Max-Forwards is 70 by default) */
#define SIP_MAX_URI        4096  /* octets in one URI */
#define SIP_MAX_URI_PARAMS 32    /* parameters in one URI */

/* A slice of a buffer: pointer and length, never NUL-terminated. */
struct sip_pl {
	const char *p;
	size_t l;
};

#define SIP_PL_INIT                                                                                \
	{                                                                                          \
		NULL, 0                                                                            \
	}
#define SIP_PL(s) ((struct sip_pl){(s), sizeof(s) - 1})

/* What a failed parse or check should be answered with (or, for a response, that it is to be
 * dropped). reason is a static string, never freed. */
struct sip_err {
	uint16_t status;
	const char *reason;
};

enum sip_method {
	SIP_METHOD_UNKNOWN = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_UPDATE,
	SIP_METHOD_COUNT
};

/* Every header of RFC 3261 §20 plus the common extensions a PBX meets. */
enum sip_hdrid {
	SIP_HDR_OTHER = 0, /* unknown: kept opaque, found by name */
	SIP_HDR_ACCEPT,
	SIP_HDR_ACCEPT_ENCODING,
	SIP_HDR_ACCEPT_LANGUAGE,
	SIP_HDR_ALERT_INFO,
	SIP_HDR_ALLOW,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_CALL_ID,
	SIP_HDR_CALL_INFO,
	SIP_HDR_CONTACT,
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_CONTENT_ENCODING,
	SIP_HDR_CONTENT_LANGUAGE,
	SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_CONTENT_TYPE,
	SIP_HDR_CSEQ,
	SIP_HDR_DATE,
	SIP_HDR_ERROR_INFO,
	SIP_HDR_EXPIRES,
	SIP_HDR_FROM,
	SIP_HDR_IN_REPLY_TO,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_MIME_VERSION,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_ORGANIZATION,
	SIP_HDR_PRIORITY,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_REPLY_TO,
	SIP_HDR_REQUIRE,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_ROUTE,
	SIP_HDR_SERVER,
	SIP_HDR_SUBJECT,
	SIP_HDR_SUPPORTED,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_TO,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_USER_AGENT,
	SIP_HDR_VIA,
	SIP_HDR_WARNING,
	SIP_HDR_WWW_AUTHENTICATE,
	/* extensions */
	SIP_HDR_ALLOW_EVENTS,        /* RFC 6665, compact u */
	SIP_HDR_EVENT,               /* RFC 6665, compact o */
	SIP_HDR_SUBSCRIPTION_STATE,  /* RFC 6665 */
	SIP_HDR_PATH,                /* RFC 3327 */
	SIP_HDR_SERVICE_ROUTE,       /* RFC 3608 */
	SIP_HDR_RSEQ,                /* RFC 3262 */
	SIP_HDR_RACK,                /* RFC 3262 */
	SIP_HDR_REFER_TO,            /* RFC 3515, compact r */
	SIP_HDR_REFERRED_BY,         /* RFC 3892, compact b */
	SIP_HDR_REPLACES,            /* RFC 3891 */
	SIP_HDR_SESSION_EXPIRES,     /* RFC 4028, compact x */
	SIP_HDR_MIN_SE,              /* RFC 4028 */
	SIP_HDR_P_ASSERTED_IDENTITY, /* RFC 3325 */
	SIP_HDR_PRIVACY,             /* RFC 3323 */
	SIP_HDR_REASON,              /* RFC 3326 */
	SIP_HDR_COUNT
};

#define SIP_HDR_NONE 0xffff

/* One header value. A line holding a comma-separated list of a list-valued header yields one
 * slot per element; folded continuation lines have been turned into spaces. */
struct sip_hdr {
	struct sip_pl name; /* as written (may be a compact form) */
	struct sip_pl val;  /* trimmed value */
	uint16_t id;        /* enum sip_hdrid */
	uint16_t next;      /* next slot with the same id, SIP_HDR_NONE at the end */
};

enum sip_uri_scheme {
	SIP_SCHEME_OTHER = 0, /* any absoluteURI: kept opaque */
	SIP_SCHEME_SIP,
	SIP_SCHEME_SIPS,
	SIP_SCHEME_TEL,
};

/* A parsed URI; every slice points into the parsed text. host keeps the brackets of an IPv6
 * reference; for tel: user holds the number and host is empty. Escapes stay escaped. */
struct sip_uri {
	enum sip_uri_scheme scheme;
	struct sip_pl scheme_pl;
	struct sip_pl user;
	struct sip_pl password;
	struct sip_pl host;
	uint16_t port; /* 0: absent */
	bool has_user;
	bool has_password;
	bool has_port;
	bool host_is_ipv6;
	struct sip_pl params;  /* after the first ';' of the parameters, up to '?' or the end */
	struct sip_pl headers; /* after '?' */
	struct sip_pl opaque;  /* SIP_SCHEME_OTHER: everything after ':' */
};

/* name-addr / addr-spec with header parameters (From, To, Contact, Route, Path, ...). */
struct sip_addr {
	struct sip_pl display; /* raw (quotes and escapes kept); empty if none */
	struct sip_pl uri;     /* text of the URI, without the angle brackets */
	struct sip_uri puri;   /* the same, parsed */
	struct sip_pl params;  /* header parameters after the URI (first ';' excluded) */
	struct sip_pl tag;
	bool has_tag;
	bool star; /* Contact: * */
};

struct sip_via {
	struct sip_pl proto;     /* "SIP" */
	struct sip_pl version;   /* "2.0" */
	struct sip_pl transport; /* "UDP", "TCP", "TLS", ... */
	struct sip_pl sent_by;   /* host[:port] as written */
	struct sip_pl host;      /* with brackets for IPv6 */
	uint16_t port;           /* 0: absent */
	struct sip_pl params;    /* all parameters (first ';' excluded) */
	struct sip_pl branch;
	struct sip_pl received;
	struct sip_pl maddr;
	int ttl;   /* -1: absent */
	int rport; /* -1: absent; 0: present without value */
	bool has_branch;
};

struct sip_cseq {
	uint32_t num;
	enum sip_method method;
	struct sip_pl method_name;
};

struct sip_param {
	struct sip_pl name;
	struct sip_pl val; /* empty if no '=' (quotes kept for a quoted-string) */
	bool has_val;
};

/* Digest (RFC 2617 / 3261 §22.4, §25.1) credentials and challenges. */
struct sip_auth {
	struct sip_pl scheme; /* "Digest" */
	struct sip_pl params; /* everything after the scheme */
	struct sip_pl realm, nonce, opaque, algorithm, qop, stale, domain;
	struct sip_pl username, uri, response, cnonce, nc;
};

struct sip_ctype {
	struct sip_pl type;
	struct sip_pl subtype;
	struct sip_pl params;
};

struct sip_event {
	struct sip_pl package;
	struct sip_pl id;
	struct sip_pl params;
};

/* A parsed message. One allocation holds the struct, the header slots and a private copy of
 * the octets, which every slice points into. Free with sip_msg_free(). */
struct sip_msg {
	bool is_request;
	/* request line */
	enum sip_method method;
	struct sip_pl method_name;
	struct sip_pl ruri_pl;
	struct sip_uri ruri;
	/* status line */
	uint16_t status;
	struct sip_pl reason;

	struct sip_pl body;
	struct sip_pl hdrs; /* the header section, start line excluded, final CRLF CRLF excluded */

	/* parsed once (valid when the header exists: msg->first[id] != SIP_HDR_NONE) */
	struct sip_via via; /* the top Via */
	struct sip_addr from, to;
	struct sip_cseq cseq;
	struct sip_pl call_id;
	uint32_t content_length;
	uint32_t max_forwards;
	unsigned nvia;

	/* §18.2.1, RFC 3581: what the top Via of a received request gains in the responses
	 * built from it (";received=ADDR;rport=PORT"), set by sip_msg_stamp_via(); the parsed
	 * top Via itself stays as it came. Empty: nothing to add. */
	char via_stamp[72];

	unsigned nhdr;
	uint16_t first[SIP_HDR_COUNT];
	uint16_t last[SIP_HDR_COUNT];
	uint8_t count[SIP_HDR_COUNT]; /* saturates at 255 */
	struct sip_hdr hdr[SIP_MAX_HEADERS];

	size_t len;
	char buf[]; /* the message octets, with folds blanked */
};

/* pl.c: slices */
struct sip_pl sip_pl_str(const char *s);
bool sip_pl_isset(const struct sip_pl *pl);
/* Inline so that the length of a literal folds at compile time. */
static inline bool sip_pl_eq(const struct sip_pl *pl, const char *s) /* case-sensitive */
{
	size_t n = __builtin_strlen(s);
	return pl->l == n && (n == 0 || __builtin_memcmp(pl->p, s, n) == 0);
}
static inline bool sip_casen_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		x = (x >= 'A' && x <= 'Z') ? x + 32 : x;
		y = (y >= 'A' && y <= 'Z') ? y + 32 : y;
		if (x != y)
			return false;
	}
	return true;
}
static inline bool sip_pl_caseeq(const struct sip_pl *pl, const char *s) /* ASCII, no case */
{
	size_t n = __builtin_strlen(s);
	return pl->l == n && sip_casen_eq(pl->p, s, n);
}
bool sip_pl_caseeq_pl(const struct sip_pl *a, const struct sip_pl *b);
bool sip_pl_eq_pl(const struct sip_pl *a, const struct sip_pl *b);
int sip_pl_u32(const struct sip_pl *pl, uint32_t max, uint32_t *v); /* 1*DIGIT, <= max */
void sip_pl_trim(struct sip_pl *pl);
bool sip_pl_has_nul(const struct sip_pl *pl);
/* g_free() it. A slice holding a NUL (which the parser lets through only as a quoted-pair in a
 * quoted-string) would come out cut: check sip_pl_has_nul() first where one may be. */
char *sip_pl_dup(const struct sip_pl *pl);
int sip_param_next(struct sip_pl *rest, struct sip_param *prm);
bool sip_param_get(const struct sip_pl *params, const char *name, struct sip_pl *val);
bool sip_param_exists(const struct sip_pl *params, const char *name);
const char *sip_quoted_skip(const char *p, const char *e); /* past a quoted-string, or NULL */
int sip_quoted_unescape(const struct sip_pl *q, char *out, size_t size, size_t *len);

/* method.c */
enum sip_method sip_method_from_pl(const struct sip_pl *pl);
const char *sip_method_name(enum sip_method m);
bool sip_token_valid(const struct sip_pl *pl);

/* header.c: header names */
enum sip_hdrid sip_hdr_id(const char *name, size_t len);
const char *sip_hdr_name(enum sip_hdrid id);
bool sip_hdr_is_list(enum sip_hdrid id);

/* parse.c */
int sip_msg_parse(struct sip_msg **msgp, const char *buf, size_t len, struct sip_err *err);
void sip_msg_free(struct sip_msg *msg);
typedef struct sip_msg SipMsg; /* the name g_autoptr needs */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SipMsg, sip_msg_free)
/* The bytes a parsed message holds (its structure and its copy of the octets). */
size_t sip_msg_bytes(const struct sip_msg *msg);
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdrid id);
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h);
const struct sip_hdr *sip_msg_hdr_byname(const struct sip_msg *msg, const char *name);
unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdrid id);

/* uri.c, uri_cmp.c */
int sip_uri_parse(struct sip_uri *uri, const char *s, size_t len);
bool sip_host_valid(const char *p, size_t l);                     /* hostname, IPv4 or [IPv6] */
bool sip_ipv6_parse(const char *p, size_t l, struct in6_addr *a); /* no brackets */
bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);
bool sip_uri_comp_equal(const struct sip_pl *a, const struct sip_pl *b, bool fold);
int sip_uri_unescape(const struct sip_pl *pl, char *out, size_t size, size_t *len);

/* addr.c, via.c, hval.c, auth.c: header values, parsed on demand */
int sip_addr_parse(struct sip_addr *addr, const struct sip_pl *val);
int sip_contact_parse(struct sip_addr *addr, const struct sip_pl *val); /* allows '*' */
int sip_hparams_check(const struct sip_pl *params);
int sip_contact_expires(const struct sip_addr *addr, uint32_t *expires);
int sip_contact_q(const struct sip_addr *addr, unsigned *q_milli);
int sip_via_parse(struct sip_via *via, const struct sip_pl *val);
int sip_cseq_parse(struct sip_cseq *cseq, const struct sip_pl *val);
int sip_callid_check(const struct sip_pl *val);
int sip_ctype_parse(struct sip_ctype *ct, const struct sip_pl *val);
int sip_event_parse(struct sip_event *ev, const struct sip_pl *val);
int sip_auth_parse(struct sip_auth *auth, const struct sip_pl *val);

/* shed.c: TRUE when a datagram is a request that a transport far behind may drop without
 * parsing it: not a response, not INVITE, ACK, CANCEL, BYE, PRACK or UPDATE, no To tag,
 * no Authorization or Proxy-Authorization. Looks at the start line and header lines only. */
bool sip_dgram_sheddable(const char *buf, size_t len);
/* shed.c: the stateless 503 Service Unavailable with Retry-After (§21.5.4) for a sheddable
 * datagram, built from its raw header lines without parsing it, appended to out: the Via
 * lines (the top one with received=src_host, and rport=src_port when asked for), From, To
 * with `tag`, Call-ID and CSeq as they came. *dest_port is where it goes on src_host
 * (§18.2.2: the source port for rport, else the Via's port, else 5060). 1: built; 0: not
 * sheddable; -1: sheddable but not plain enough (folded lines, a header missing or twice,
 * a top Via with maddr, received or a quoted string): out is unchanged, parse it. */
int sip_dgram_reply_503(const char *buf, size_t len, const char *src_host, guint16 src_port,
                        const char *tag, GString *out, guint16 *dest_port);

/* frame.c: one message out of a stream or a datagram */
int sip_frame_stream(const char *buf, size_t len, size_t *skip, size_t *msglen,
                     struct sip_err *err);
/* How far a stream's next message has been scanned, kept between reads so that each octet
 * is looked at once however slowly the message arrives (a message sent an octet at a time
 * would otherwise cost the square of its length). Zero it for each new message, and after
 * taking anything off the front of the buffer other than the `skip` octets of -EAGAIN. */
struct sip_frame_state {
	size_t scanned; /* octets after the skipped CRLFs known to hold no header end */
	size_t need;    /* the message's length, from skip, once its headers are in; else 0 */
};
/* sip_frame_stream, resuming where st says the last call stopped. */
int sip_frame_stream_resume(const char *buf, size_t len, struct sip_frame_state *st, size_t *skip,
                            size_t *msglen, struct sip_err *err);
int sip_frame_dgram(const char *buf, size_t len, size_t *msglen, struct sip_err *err);

/* validate.c */
int sip_msg_validate_request(const struct sip_msg *msg, struct sip_err *err);
int sip_msg_validate_response(const struct sip_msg *msg, struct sip_err *err);
int sip_msg_check_max_forwards(const struct sip_msg *msg, struct sip_err *err);

/* key.c: transaction (§17.1.3, §17.2.3) and dialog (§12) identification */
#define SIP_BRANCH_MAGIC "z9hG4bK"
bool sip_msg_rfc3261_branch(const struct sip_msg *msg);
int sip_msg_tx_key(const struct sip_msg *msg, bool server, GString *key);
int sip_msg_cancel_key(const struct sip_msg *msg, GString *key);
struct sip_dialog_id {
	struct sip_pl call_id;
	struct sip_pl local_tag;
	struct sip_pl remote_tag;
};
int sip_msg_dialog_id(const struct sip_msg *msg, bool uas, struct sip_dialog_id *id);
bool sip_dialog_id_equal(const struct sip_dialog_id *a, const struct sip_dialog_id *b);

/* build.c: message builder into a GString or a fixed buffer */
struct sip_mb {
	GString *gs; /* either this ... */
	char *buf;   /* ... or this fixed buffer */
	size_t size;
	size_t len;
	bool overflow;
};
void sip_mb_init_gstring(struct sip_mb *mb, GString *gs);
/* "Via: " and the top Via value val (parsed into via) without its own received and rport,
 * then stamp (";received=...;rport=...", §18.2.1, RFC 3581) and CRLF. */
int sip_mb_stamped_via(struct sip_mb *mb, const struct sip_pl *val, const struct sip_via *via,
                       const char *stamp);
void sip_mb_init_buf(struct sip_mb *mb, char *buf, size_t size);
int sip_mb_request_line(struct sip_mb *mb, const char *method, const char *uri);
int sip_mb_status_line(struct sip_mb *mb, unsigned status, const char *reason);
int sip_mb_header(struct sip_mb *mb, const char *name, const char *value);
int sip_mb_header_pl(struct sip_mb *mb, const char *name, const struct sip_pl *value);
int sip_mb_headerf(struct sip_mb *mb, const char *name, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
int sip_mb_body(struct sip_mb *mb, const char *ctype, const void *body, size_t len);
int sip_mb_end(struct sip_mb *mb);
const char *sip_reason_default(unsigned status);
int sip_msg_reply(struct sip_mb *mb, const struct sip_msg *req, unsigned status, const char *reason,
                  const char *to_tag);
/* The transport's note on a received request (§18.2.1, RFC 3581): its responses are to carry
 * received=host (and rport=port when the top Via asked with a bare rport) in the top Via. Not
 * needed, and not noted, when the Via's host is host already and rport was not asked. host
 * is an address without brackets. */
void sip_msg_stamp_via(struct sip_msg *msg, const char *host, uint16_t port);

/* print.c */
int sip_msg_print(struct sip_mb *mb, const struct sip_msg *msg);

/* peer.c: SipPeer, where a message came from or goes to: a transport, a remote address and,
 * for TCP/TLS, the connection a message came on (responses go back on it, RFC 3261 §18.2.2;
 * 0 lets the transport pick or open one). Opaque; made with sip_peer_new* and freed with
 * sip_peer_free. */
typedef struct sip_peer SipPeer;

/* An address without brackets into host (INET6_ADDRSTRLEN), its port into *port. */
void sip_sockaddr_text(const struct sockaddr_storage *ss, char *host, size_t hlen, guint16 *port);
/* A literal IPv4 or IPv6 address (brackets allowed) and a port into *ss; FALSE for anything
 * else (names need DNS, RFC 3263, which is not done here). */
gboolean sip_sockaddr_from_host(struct sockaddr_storage *ss, socklen_t *len, const char *host,
                                guint16 port);
/* "udp:127.0.0.1:5060", "tcp:[::1]:5060"; g_free it. */
char *sip_addr_to_string(XbTransport transport, const struct sockaddr *sa);

SipPeer *sip_peer_new(XbTransport transport, const struct sockaddr *sa, socklen_t len,
                      guint64 conn_id);
/* NULL unless host is a literal address (see sip_sockaddr_from_host). */
SipPeer *sip_peer_new_from_host(XbTransport transport, const char *host, guint16 port);
SipPeer *sip_peer_dup(const SipPeer *peer);
void sip_peer_free(SipPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SipPeer, sip_peer_free)
XbTransport sip_peer_transport(const SipPeer *peer);
const struct sockaddr *sip_peer_sockaddr(const SipPeer *peer, socklen_t *len);
guint64 sip_peer_conn_id(const SipPeer *peer);
/* The address without brackets into host (INET6_ADDRSTRLEN), the port into *port. */
void sip_peer_host(const SipPeer *peer, char *host, size_t hlen, guint16 *port);
/* "udp:127.0.0.1:5060", "tcp:[::1]:5060"; g_free it. */
char *sip_peer_to_string(const SipPeer *peer);

/* credentials.c: what answers a digest challenge (RFC 3261 §22.2). realm NULL or "" answers a
 * challenge of any realm; otherwise only that realm's. Opaque: the strings are copies, and
 * the password is wiped when the credentials are freed. */
typedef struct sip_credentials SipCredentials;

SipCredentials *sip_credentials_new(const char *username, const char *password, const char *realm);
SipCredentials *sip_credentials_dup(const SipCredentials *c);
void sip_credentials_free(SipCredentials *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SipCredentials, sip_credentials_free)
const char *sip_credentials_username(const SipCredentials *c);
const char *sip_credentials_password(const SipCredentials *c);
/* "" when any realm will do. */
const char *sip_credentials_realm(const SipCredentials *c);

#endif
