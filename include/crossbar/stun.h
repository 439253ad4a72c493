/* stun.h: the STUN/TURN message library (lib/stun/; RFC 8489, RFC 8656, RFC 6156; ICE
 * attributes of RFC 8445): decoding, encoding, integrity, framing, and the pure policy helpers
 * a TURN server needs. Linked into libcrossbar. Must hold no server state and do no I/O, so
 * that ICE on crossbar's own RTP can reuse it. */
#ifndef XB_STUN_H
#define XB_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define STUN_HEADER_LEN      20
#define STUN_MAGIC_COOKIE    0x2112A442u
#define STUN_TID_LEN         12
#define STUN_FINGERPRINT_XOR 0x5354554eu
#define STUN_MI_SHA1_LEN     20
#define STUN_MI_SHA256_LEN   32
#define STUN_USERHASH_LEN    32

/* A decoded message keeps at most this many attributes; more is refused (STUN_E_TOO_MANY). */
#define STUN_MAX_ATTRS 40
/* Unknown comprehension-required attributes remembered for a 420 answer. */
#define STUN_MAX_UNKNOWN 8

/* Error codes: negative, distinct from errno, spelled by stun_strerror(). */
enum stun_error {
	STUN_OK = 0,
	STUN_E_TRUNCATED = -1,         /* fewer bytes than the header or length field says */
	STUN_E_NOT_STUN = -2,          /* first two bits not zero */
	STUN_E_BAD_COOKIE = -3,        /* no magic cookie (RFC 3489 peers are not supported) */
	STUN_E_BAD_LENGTH = -4,        /* bytes after the message the length field announces */
	STUN_E_BAD_ATTR = -5,          /* attribute header or value runs past the message */
	STUN_E_BAD_PADDING = -6,       /* length not a multiple of 4: attribute padding missing */
	STUN_E_TOO_MANY = -7,          /* more than STUN_MAX_ATTRS attributes */
	STUN_E_AFTER_INTEGRITY = -8,   /* attribute after MESSAGE-INTEGRITY(-SHA256) */
	STUN_E_AFTER_FINGERPRINT = -9, /* attribute after FINGERPRINT */
	STUN_E_BAD_FINGERPRINT = -10,  /* FINGERPRINT present and wrong */
	STUN_E_NO_INTEGRITY = -11,     /* no MESSAGE-INTEGRITY(-SHA256) to check */
	STUN_E_INTEGRITY = -12,        /* HMAC mismatch */
	STUN_E_ATTR_VALUE = -13,       /* a typed attribute's value is malformed */
	STUN_E_NOT_FOUND = -14,        /* attribute absent */
	STUN_E_NOSPACE = -15,          /* encoder buffer too small */
	STUN_E_INVALID = -16,          /* bad argument (programming error or unusable input) */
	STUN_E_CRYPTO = -17,           /* OpenSSL failed */
	STUN_E_EXPIRED = -18,          /* time-limited credential or nonce has expired */
	STUN_E_MALFORMED = -19,        /* credential user name or nonce not of our form */
	STUN_E_MISMATCH = -20,         /* nonce issued for another address or by another secret */
	STUN_E_NOT_CHANNEL = -21,      /* not ChannelData, or channel outside 0x4000-0x4FFF */
};

const char *stun_strerror(int err);

enum stun_class {
	STUN_CLASS_REQUEST = 0,
	STUN_CLASS_INDICATION = 1,
	STUN_CLASS_SUCCESS = 2,
	STUN_CLASS_ERROR = 3,
};

enum stun_method {
	STUN_METHOD_BINDING = 0x001,
	STUN_METHOD_ALLOCATE = 0x003,
	STUN_METHOD_REFRESH = 0x004,
	STUN_METHOD_SEND = 0x006,
	STUN_METHOD_DATA = 0x007,
	STUN_METHOD_CREATE_PERMISSION = 0x008,
	STUN_METHOD_CHANNEL_BIND = 0x009,
	STUN_METHOD_CONNECT = 0x00a,
	STUN_METHOD_CONNECTION_BIND = 0x00b,
	STUN_METHOD_CONNECTION_ATTEMPT = 0x00c,
};

enum stun_attr_type {
	/* comprehension-required (0x0000-0x7FFF) */
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000a,
	STUN_ATTR_CHANNEL_NUMBER = 0x000c,
	STUN_ATTR_LIFETIME = 0x000d,
	STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
	STUN_ATTR_DATA = 0x0013,
	STUN_ATTR_REALM = 0x0014,
	STUN_ATTR_NONCE = 0x0015,
	STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
	STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
	STUN_ATTR_EVEN_PORT = 0x0018,
	STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
	STUN_ATTR_DONT_FRAGMENT = 0x001a,
	STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001c,
	STUN_ATTR_PASSWORD_ALGORITHM = 0x001d,
	STUN_ATTR_USERHASH = 0x001e,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_RESERVATION_TOKEN = 0x0022,
	STUN_ATTR_PRIORITY = 0x0024,
	STUN_ATTR_USE_CANDIDATE = 0x0025,
	STUN_ATTR_CONNECTION_ID = 0x002a,
	/* comprehension-optional (0x8000-0xFFFF) */
	STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
	STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,
	STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
	STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
	STUN_ATTR_ICMP = 0x8004,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_ALTERNATE_SERVER = 0x8023,
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,
	STUN_ATTR_ICE_CONTROLLING = 0x802a,
};

/* Address family values on the wire (RFC 8489 §14.1, RFC 6156 §4.1.1). */
#define STUN_FAMILY_IPV4 0x01
#define STUN_FAMILY_IPV6 0x02

/* REQUESTED-TRANSPORT protocol numbers (RFC 8656 §18.11, RFC 6062). */
#define STUN_TRANSPORT_UDP 17
#define STUN_TRANSPORT_TCP 6

/* PASSWORD-ALGORITHM values (RFC 8489 §18.5). */
enum stun_password_alg {
	STUN_PWALG_MD5 = 0x0001,
	STUN_PWALG_SHA256 = 0x0002,
};

/* A transport address, independent of the sockets API. ip holds 4 or 16 bytes, network order. */
struct stun_addr {
	uint8_t family; /* STUN_FAMILY_IPV4 or STUN_FAMILY_IPV6 */
	uint16_t port;
	uint8_t ip[16];
};

struct sockaddr;
int stun_addr_from_sockaddr(struct stun_addr *out, const struct sockaddr *sa);
/* Fills a struct sockaddr_in or sockaddr_in6 into ss (sizeof(struct sockaddr_storage)). */
size_t stun_addr_to_sockaddr(const struct stun_addr *a, void *ss, size_t cap);
/* "1.2.3.4:5" or "[::1]:5"; returns out. */
char *stun_addr_to_string(const struct stun_addr *a, char *out, size_t cap);
bool stun_addr_equal(const struct stun_addr *a, const struct stun_addr *b, bool with_port);

/* ---- decoding (stun_decode.c) ---- */

/* One attribute, pointing into the received buffer. */
struct stun_attr {
	uint16_t type;
	uint16_t len;    /* value length without padding */
	uint32_t offset; /* offset of the attribute header from the message start */
	const uint8_t *value;
};

/* A decoded message. Zero-copy: attrs point into buf, which must outlive the message. */
struct stun_msg {
	const uint8_t *buf;
	size_t len; /* STUN_HEADER_LEN + the header's length field */
	uint16_t type;
	uint16_t method;
	enum stun_class cls;
	const uint8_t *tid; /* STUN_TID_LEN bytes */
	unsigned n_attrs;
	int mi;             /* index in attrs of MESSAGE-INTEGRITY, or -1 */
	int mi256;          /* index of MESSAGE-INTEGRITY-SHA256, or -1 */
	int fp;             /* index of FINGERPRINT, or -1 (checked by decode when present) */
	unsigned n_unknown; /* unknown comprehension-required types, deduplicated */
	uint16_t unknown[STUN_MAX_UNKNOWN];
	struct stun_attr attrs[STUN_MAX_ATTRS];
};

uint16_t stun_type_make(uint16_t method, enum stun_class cls);
uint16_t stun_type_method(uint16_t type);
enum stun_class stun_type_class(uint16_t type);

/* Decodes exactly one message of len bytes (a datagram, or a frame from stun_stream_frame()).
 * Verifies FINGERPRINT when present, never MESSAGE-INTEGRITY (that needs a key).
 * Returns 0 or a STUN_E_* code; unknown comprehension-required attributes are not an error
 * here: check msg->n_unknown and answer 420. */
int stun_msg_decode(struct stun_msg *msg, const uint8_t *buf, size_t len);

/* Adds a type the caller understands but does not implement (e.g. DONT-FRAGMENT on a server
 * without it, RFC 8656 §7.2) to msg->unknown, so that the 420 lists it. Duplicates are kept
 * once; beyond STUN_MAX_UNKNOWN types the rest are dropped. */
void stun_msg_mark_unknown(struct stun_msg *msg, uint16_t type);

/* ---- typed attribute access (stun_attr.c) ---- */

/* First attribute of that type (RFC 8489 §14: later duplicates are ignored), or NULL. */
const struct stun_attr *stun_attr_get(const struct stun_msg *msg, uint16_t type);
/* The next one of that type after prev (for repeated XOR-PEER-ADDRESS), or NULL. */
const struct stun_attr *stun_attr_next(const struct stun_msg *msg, uint16_t type,
                                       const struct stun_attr *prev);
bool stun_attr_is_comprehension_required(uint16_t type);

int stun_attr_addr(const struct stun_attr *a, struct stun_addr *out);
int stun_attr_xor_addr(const struct stun_msg *msg, const struct stun_attr *a,
                       struct stun_addr *out);
int stun_attr_u32(const struct stun_attr *a, uint32_t *out);
int stun_attr_u64(const struct stun_attr *a, uint64_t *out);
/* USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN: bounded length, valid UTF-8. */
int stun_attr_string(const struct stun_attr *a, const char **str, size_t *len);
int stun_attr_error_code(const struct stun_attr *a, int *code, const char **reason,
                         size_t *reason_len);
/* Fills up to cap types; *n gets the count present (may exceed cap). */
int stun_attr_unknown_list(const struct stun_attr *a, uint16_t *types, size_t cap, size_t *n);
int stun_attr_channel_number(const struct stun_attr *a, uint16_t *channel);
int stun_attr_requested_transport(const struct stun_attr *a, uint8_t *protocol);
int stun_attr_even_port(const struct stun_attr *a, bool *reserve_next);
/* REQUESTED-ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY. */
int stun_attr_address_family(const struct stun_attr *a, uint8_t *family);
int stun_attr_address_error_code(const struct stun_attr *a, uint8_t *family, int *code,
                                 const char **reason, size_t *reason_len);
int stun_attr_reservation_token(const struct stun_attr *a, uint8_t token[8]);
int stun_attr_userhash(const struct stun_attr *a, const uint8_t **hash);
/* ICMP (RFC 8656 §18.13): 7-bit type, 9-bit code, 32-bit error data. */
int stun_attr_icmp(const struct stun_attr *a, uint8_t *type, uint16_t *code, uint32_t *data);
int stun_attr_password_algorithm(const struct stun_attr *a, uint16_t *alg);
/* Walks PASSWORD-ALGORITHMS: *pos starts at 0; returns 1 with *alg set, 0 at the end. */
int stun_attr_password_algorithms_next(const struct stun_attr *a, size_t *pos, uint16_t *alg);

/* ---- encoding (stun_encode.c) ---- */

/* Builds a message into caller memory. Errors are sticky: after the first failure every call
 * is a no-op and stun_encode_finish() returns it, so a builder needs one check at the end.
 * The header length is kept current, so integrity and fingerprint can be added at any point;
 * they must be the last attributes (MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256, FINGERPRINT). */
struct stun_encoder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
	uint8_t pad;    /* padding byte; 0, but any value is legal (RFC 5769 uses 0x20) */
	uint8_t sealed; /* 1 after integrity, 2 after fingerprint */
};

/* A fresh random transaction id (OpenSSL RAND_bytes). */
int stun_tid_random(uint8_t tid[STUN_TID_LEN]);

void stun_encode_init(struct stun_encoder *e, uint8_t *buf, size_t cap, uint16_t method,
                      enum stun_class cls, const uint8_t tid[STUN_TID_LEN]);
void stun_encode_attr(struct stun_encoder *e, uint16_t type, const void *value, size_t len);
void stun_encode_string(struct stun_encoder *e, uint16_t type, const char *s);
void stun_encode_u32(struct stun_encoder *e, uint16_t type, uint32_t v);
void stun_encode_u64(struct stun_encoder *e, uint16_t type, uint64_t v);
void stun_encode_flag(struct stun_encoder *e, uint16_t type); /* zero-length attribute */
void stun_encode_addr(struct stun_encoder *e, uint16_t type, const struct stun_addr *a);
void stun_encode_xor_addr(struct stun_encoder *e, uint16_t type, const struct stun_addr *a);
/* reason NULL: the standard phrase of stun_reason_phrase(). */
void stun_encode_error_code(struct stun_encoder *e, int code, const char *reason);
void stun_encode_unknown_attributes(struct stun_encoder *e, const uint16_t *types, size_t n);
void stun_encode_channel_number(struct stun_encoder *e, uint16_t channel);
void stun_encode_requested_transport(struct stun_encoder *e, uint8_t protocol);
void stun_encode_even_port(struct stun_encoder *e, bool reserve_next);
void stun_encode_address_family(struct stun_encoder *e, uint16_t type, uint8_t family);
void stun_encode_address_error_code(struct stun_encoder *e, uint8_t family, int code,
                                    const char *reason);
void stun_encode_icmp(struct stun_encoder *e, uint8_t type, uint16_t code, uint32_t data);
void stun_encode_password_algorithm(struct stun_encoder *e, uint16_t alg);
void stun_encode_password_algorithms(struct stun_encoder *e, const uint16_t *algs, size_t n);
void stun_encode_integrity(struct stun_encoder *e, const uint8_t *key, size_t key_len);
void stun_encode_integrity_sha256(struct stun_encoder *e, const uint8_t *key, size_t key_len);
void stun_encode_fingerprint(struct stun_encoder *e);
/* Returns 0 and the message length in *len, or the first error. */
int stun_encode_finish(struct stun_encoder *e, size_t *len);

/* ---- error responses (stun_error.c) ---- */

/* Standard reason phrase for a STUN/TURN error code, "" for an unknown one. */
const char *stun_reason_phrase(int code);
/* Starts an error response to req (same method and transaction id) with ERROR-CODE, and for
 * 420 the UNKNOWN-ATTRIBUTES collected when req was decoded. Add REALM/NONCE, integrity and
 * fingerprint after it as the case needs. */
void stun_encode_error_response(struct stun_encoder *e, uint8_t *buf, size_t cap,
                                const struct stun_msg *req, int code, const char *reason);

/* ---- integrity and fingerprint (stun_auth.c, stun_crc32.c) ---- */

uint32_t stun_crc32(uint32_t crc, const uint8_t *data, size_t len);

#define STUN_KEY_MAX 32
/* Long-term key (RFC 8489 §9.2.2): MD5 (16 bytes) or SHA-256 (32 bytes) of
 * username ":" realm ":" password. Passwords are used as given: SASLprep/OpaqueString is not
 * applied (known limit; ASCII passwords are unaffected). Returns the key length or < 0. */
int stun_key_long_term(enum stun_password_alg alg, const char *username, const char *realm,
                       const char *password, uint8_t key[STUN_KEY_MAX]);
/* The short-term key is the password itself: pass it straight to the check and encode calls. */

/* USERHASH (RFC 8489 §14.4): SHA-256(username ":" realm). */
int stun_userhash(const char *username, const char *realm, uint8_t out[STUN_USERHASH_LEN]);

/* Releases what the integrity code keeps for the life of the process. The library lives in
 * libcrossbar and serves mod_turn and the media workers alike, so the core calls it once,
 * when both have stopped; no module may. */
void stun_auth_shutdown(void);
/* Checks MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY, in constant time.
 * Returns 0, STUN_E_NO_INTEGRITY or STUN_E_INTEGRITY. */
int stun_msg_check_integrity(const struct stun_msg *msg, const uint8_t *key, size_t key_len);

/* HMAC helpers shared by the encoder, the credential and nonce helpers. */
int stun_hmac(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *const *parts,
              const size_t *part_lens, size_t n_parts, uint8_t *out, size_t out_len);

/* ---- framing: STUN vs ChannelData, streams (stun_frame.c) ---- */

enum stun_pkt_kind {
	STUN_PKT_STUN,         /* first two bits 00 */
	STUN_PKT_CHANNEL_DATA, /* first byte 0x40-0x4F (RFC 7983 demultiplexing) */
	STUN_PKT_OTHER,
};

#define STUN_CHANNEL_MIN        0x4000
#define STUN_CHANNEL_MAX        0x4fff
#define STUN_CHANNEL_HEADER_LEN 4

enum stun_pkt_kind stun_pkt_classify(const uint8_t *buf, size_t len);

/* Parses a ChannelData message. stream: over TCP/TLS the frame is padded to 4 bytes and
 * len must be at least the padded size; over UDP, bytes after the data are ignored. */
int stun_channel_data_parse(const uint8_t *buf, size_t len, bool stream, uint16_t *channel,
                            const uint8_t **data, size_t *data_len);
/* Writes the 4-byte ChannelData header. */
int stun_channel_data_header(uint8_t out[STUN_CHANNEL_HEADER_LEN], uint16_t channel,
                             size_t data_len);
/* Size of a ChannelData frame carrying data_len bytes. */
size_t stun_channel_data_frame_len(size_t data_len, bool stream);

/* Stream framing: returns 1 with *frame_len of the complete message at buf, 0 if more bytes
 * are needed (*frame_len: the total needed when known, else 0), or STUN_E_NOT_STUN /
 * STUN_E_NOT_CHANNEL / STUN_E_BAD_PADDING when the stream is garbage and must be closed. */
int stun_stream_frame(const uint8_t *buf, size_t avail, size_t *frame_len);

/* ---- peer address policy (stun_addr.c) ---- */

enum stun_addr_class {
	STUN_ADDR_PUBLIC = 0,
	STUN_ADDR_UNSPECIFIED,   /* 0.0.0.0, :: */
	STUN_ADDR_LOOPBACK,      /* 127/8, ::1 */
	STUN_ADDR_THIS_NETWORK,  /* 0/8 */
	STUN_ADDR_PRIVATE,       /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 */
	STUN_ADDR_CGNAT,         /* 100.64/10 */
	STUN_ADDR_LINK_LOCAL,    /* 169.254/16, fe80::/10 */
	STUN_ADDR_MULTICAST,     /* 224/4, ff00::/8 */
	STUN_ADDR_BROADCAST,     /* 255.255.255.255 */
	STUN_ADDR_RESERVED,      /* 240/4, 192.0.0/24, 198.18/15, 100::/64, 2001::/23, ... */
	STUN_ADDR_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32,
	                          * 3fff::/20 */
	STUN_ADDR_CLASS_COUNT,
};

const char *stun_addr_class_name(enum stun_addr_class c);
/* Classifies an address; an IPv6 address that embeds an IPv4 one (IPv4-mapped,
 * IPv4-compatible, SIIT, NAT64 64:ff9b::/96, 6to4, Teredo) gets the class of the IPv4 address
 * when that is not public, so ::ffff:127.0.0.1 is loopback. */
enum stun_addr_class stun_addr_classify(const struct stun_addr *a);
/* True if a TURN server may relay to a; allow is a mask of (1u << class) also allowed
 * (e.g. loopback for tests). Port 0 is never allowed. */
bool stun_addr_peer_allowed(const struct stun_addr *a, unsigned allow);

/* ---- time-limited credentials and stateless nonces (stun_cred.c) ---- */

#define STUN_EPHEMERAL_PASSWORD_LEN 28 /* base64 of a 20-byte HMAC-SHA1 */

/* coturn-compatible "TURN REST API" credentials: username "expiry" or "expiry:user" (expiry in
 * UNIX seconds), password base64(HMAC-SHA1(secret, username)). Returns 0 with the password,
 * STUN_E_MALFORMED, or STUN_E_EXPIRED when expiry < now. out must hold
 * STUN_EPHEMERAL_PASSWORD_LEN + 1 bytes. */
int stun_cred_ephemeral_password(const char *secret, size_t secret_len, const char *username,
                                 size_t username_len, gint64 now,
                                 char out[STUN_EPHEMERAL_PASSWORD_LEN + 1]);

#define STUN_NONCE_LEN 40 /* 16 hex of time + 24 hex of MAC */

/* Stateless nonce: hex(issue time) + hex(HMAC-SHA256(secret, time | client IP))[0..24].
 * The client's port is left out so that a TCP reconnect or a NAT rebinding keeps the nonce;
 * freshness, not binding to one socket, is the nonce's job. */
int stun_nonce_make(const uint8_t *secret, size_t secret_len, gint64 now,
                    const struct stun_addr *client, char out[STUN_NONCE_LEN + 1]);
/* Returns 0, STUN_E_EXPIRED (answer 438 with a fresh nonce), STUN_E_MALFORMED or
 * STUN_E_MISMATCH (another address or secret: also answer 438). */
int stun_nonce_check(const uint8_t *secret, size_t secret_len, const char *nonce, size_t nonce_len,
                     gint64 now, gint64 lifetime, const struct stun_addr *client);

#endif
