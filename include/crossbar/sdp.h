/* sdp.h: the SDP library (lib/sdp/): parsing a session description (RFC 8866, which
 * obsoletes RFC 4566) into plain structs, printing one back, and the offer/answer model of
 * RFC 3264 for audio over RTP. The parser is strict (an unknown line type, a line out of
 * order or a malformed field is refused, with the line number and the reason) and bounded
 * (XB_SDP_MAX_*), since every SDP comes from the network. No I/O, no global state.
 *
 * What is typed: v=, o=, s=, c=, t=, m=, and of the attributes rtpmap and fmtp (folded into
 * each media's formats), the direction (sendrecv/sendonly/recvonly/inactive), ptime and
 * rtcp (RFC 3605). Every other line is kept as text, in order: i=, u=, e=, p=, b=, r=, z=,
 * k= lines and all other attributes (ICE's ice-ufrag, ice-pwd, ice-lite and candidate among
 * them; xb_sdp_attr_get() finds them). The printer writes the typed lines first, then the
 * kept ones, so parse -> print -> parse gives the same structs, though not always the same
 * line order as the original. */
#ifndef XB_SDP_H
#define XB_SDP_H

#include <stdbool.h>

#include <glib.h>

G_BEGIN_DECLS

#define XB_SDP_ERROR (xb_sdp_error_quark())
GQuark xb_sdp_error_quark(void);
typedef enum {
	XB_SDP_ERROR_SYNTAX, /* a line is not "<letter>=<value>", or a field is malformed */
	XB_SDP_ERROR_ORDER,  /* a line where RFC 8866 §5 does not allow it, or one missing */
	XB_SDP_ERROR_LIMIT,  /* the description exceeds one of the XB_SDP_MAX_* bounds */
	XB_SDP_ERROR_ANSWER, /* an offer that cannot be answered at all (xb_sdp_answer) */
} XbSdpError;

#define XB_SDP_MAX_LEN     32768 /* bytes of a whole description */
#define XB_SDP_MAX_LINES   512
#define XB_SDP_MAX_LINE    2048 /* bytes of one line, without its line end */
#define XB_SDP_MAX_MEDIA   16
#define XB_SDP_MAX_FORMATS 64 /* formats on one m= line */

/* The direction attribute (RFC 8866 §6.7, RFC 3264 §5.1). NONE means the section did not
 * say; the effective direction of a media is its own, else the session's, else sendrecv. */
typedef enum {
	XB_SDP_DIR_NONE = 0,
	XB_SDP_DIR_SENDRECV,
	XB_SDP_DIR_SENDONLY,
	XB_SDP_DIR_RECVONLY,
	XB_SDP_DIR_INACTIVE,
} XbSdpDirection;

/* "sendrecv" ... "inactive", or NULL for NONE. */
const char *xb_sdp_direction_name(XbSdpDirection dir);

/* A kept line: an attribute (name, value or NULL for a property attribute such as
 * "ice-lite"), or another line type (type is its letter, name is NULL, value the text). */
typedef struct {
	char type; /* 'a' for attributes, else 'i', 'u', 'e', 'p', 'b', 'r', 'z', 'k' */
	char *name;
	char *value;
} XbSdpLine;

/* c= (RFC 8866 §5.7). address is as written: a unicast address or host name, or a multicast
 * group with its "/ttl[/count]" suffix. */
typedef struct {
	bool present;
	bool ipv6; /* IP6, else IP4 (the only two address types accepted, network type IN) */
	char *address;
} XbSdpConnection;

/* A payload format of an RTP media: its number and, from a=rtpmap or RFC 3551's static
 * table, encoding name, clock rate and channels; encoding is NULL for a dynamic number
 * without rtpmap. */
typedef struct {
	unsigned pt; /* 0-127 */
	char *encoding;
	unsigned clock_rate;
	unsigned channels; /* 1 unless rtpmap says otherwise */
	bool has_rtpmap;   /* the rtpmap was written (printed back even for a static type) */
	char *fmtp;        /* the a=fmtp parameters after the number, or NULL */
} XbSdpFormat;

typedef struct {
	char *media;         /* "audio", "video", "application", "image" ... */
	unsigned port;       /* 0: the stream is rejected or disabled */
	unsigned port_count; /* 1 unless "port/count" */
	char *proto;         /* "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", "udptl" ... */
	/* The format tokens as written; for RTP protos each is a payload type 0-127 and has its
	 * entry, same index, in formats. */
	GPtrArray *fmts;    /* of char * */
	GPtrArray *formats; /* of XbSdpFormat *; empty for non-RTP protos */
	XbSdpConnection connection;
	XbSdpDirection direction;
	unsigned ptime;       /* a=ptime in ms, 0 when absent */
	unsigned rtcp_port;   /* a=rtcp (RFC 3605), 0 when absent */
	XbSdpConnection rtcp; /* its optional address */
	GPtrArray *lines;     /* of XbSdpLine *: the kept lines of this media, in order */
} XbSdpMedia;

typedef struct {
	char *username;       /* "-" when the host has no notion of users */
	char *sess_id;        /* a numeric string, kept as written */
	guint64 sess_version; /* increased by one on each change (RFC 3264 §8) */
	bool ipv6;
	char *address;
} XbSdpOrigin;

typedef struct {
	XbSdpOrigin origin;
	char *name; /* s=; "-" or " " when there is none (RFC 8866 §5.3) */
	XbSdpConnection connection;
	guint64 start_time, stop_time; /* the first t= line; further t= lines are kept */
	XbSdpDirection direction;
	GPtrArray *lines; /* of XbSdpLine *: the kept session-level lines, in order */
	GPtrArray *media; /* of XbSdpMedia * */
} XbSdpSession;

/* Parses len bytes (len < 0: up to the NUL). Lines end in CRLF or in LF alone. Errors are
 * XB_SDP_ERROR with the message "line N: reason". */
XbSdpSession *xb_sdp_parse(const char *text, gssize len, GError **error);
/* The description as text with CRLF line ends. */
char *xb_sdp_print(const XbSdpSession *sdp);

XbSdpSession *xb_sdp_session_new(void);
void xb_sdp_session_free(XbSdpSession *sdp);
XbSdpSession *xb_sdp_session_copy(const XbSdpSession *sdp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbSdpSession, xb_sdp_session_free)

/* Building: each returns the new item, owned by its parent. */
XbSdpMedia *xb_sdp_media_add(XbSdpSession *sdp, const char *media, unsigned port,
                             const char *proto);
/* Adds a payload type to an RTP media (its token and its format); encoding NULL takes
 * the static one of RFC 3551 when there is one. */
XbSdpFormat *xb_sdp_format_add(XbSdpMedia *m, unsigned pt, const char *encoding,
                               unsigned clock_rate, unsigned channels, const char *fmtp);
/* Adds a kept attribute to lines (a session's or a media's); value may be NULL. */
XbSdpLine *xb_sdp_attr_add(GPtrArray *lines, const char *name, const char *value);

/* The value of the first attribute called name in lines, or NULL; *found (may be NULL)
 * tells a property attribute (value NULL) from an absent one. */
const char *xb_sdp_attr_get(const GPtrArray *lines, const char *name, bool *found);
/* The value at media level, else at session level (ICE's ice-ufrag, ice-pwd ...). */
const char *xb_sdp_media_attr(const XbSdpSession *sdp, const XbSdpMedia *m, const char *name,
                              bool *found);

/* The format with that payload type, or NULL. */
const XbSdpFormat *xb_sdp_media_format(const XbSdpMedia *m, unsigned pt);
/* Is proto one carrying RTP payload types ("RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVP" ...)? */
bool xb_sdp_proto_is_rtp(const char *proto);

/* The media's direction: its own, else the session's, else sendrecv. */
XbSdpDirection xb_sdp_media_direction(const XbSdpSession *sdp, const XbSdpMedia *m);
/* The connection that applies to the media: its own, else the session's (or NULL). */
const XbSdpConnection *xb_sdp_media_connection(const XbSdpSession *sdp, const XbSdpMedia *m);
/* Is the peer putting this stream on hold: sendonly or inactive (RFC 3264 §8.4), or the
 * connection address 0.0.0.0 of RFC 2543 (or "::")? A rejected stream (port 0) is not. */
bool xb_sdp_media_is_hold(const XbSdpSession *sdp, const XbSdpMedia *m);
/* The first media of that kind with a non-zero port, or NULL. */
XbSdpMedia *xb_sdp_find_media(const XbSdpSession *sdp, const char *media);

/* ---- offer/answer (RFC 3264) ---- */

/* A codec the local side can use. */
typedef struct {
	const char *name;    /* encoding name, compared without case: "PCMU", "G722" */
	unsigned clock_rate; /* as SDP writes it: G.722 is 8000 (RFC 3551 §4.5.2) */
	unsigned channels;   /* 0 or 1 for mono */
	const char *fmtp;    /* parameters to answer with, or NULL to echo the offer's */
} XbSdpCodec;

/* What the answerer brings. */
typedef struct {
	const XbSdpCodec *codecs;
	unsigned n_codecs;
	bool telephone_event; /* accept RFC 4733 telephone-event at an accepted codec's rate */
	const char *address;  /* our media address (c= and o=) */
	bool ipv6;
	unsigned port;            /* our RTP port for the accepted audio stream */
	const char *username;     /* o= user name, NULL for "-" */
	const char *sess_id;      /* o= session id: the same for the life of the dialog */
	guint64 sess_version;     /* o= version of this answer */
	XbSdpDirection want;      /* what we want: sendrecv, or sendonly when we hold; NONE is
	                           * sendrecv */
	const char *session_name; /* s=, NULL for "-" */
} XbSdpLocal;

/* The answer to offer (RFC 3264 §6): one m= line per offered one, in order. The first
 * audio stream over RTP/AVP or RTP/AVPF with a non-zero port and at least one codec in
 * common is accepted, with the common codecs in the offerer's order and payload types,
 * then telephone-event with the offerer's payload type when both support it, and the
 * offer's ptime; every other stream is rejected with port 0. The answer's direction
 * follows RFC 3264 §6.1: we send only if the offerer receives and we want to send, we
 * receive only if the offerer sends and we want to receive (sendonly -> recvonly,
 * inactive -> inactive). Fails (XB_SDP_ERROR_ANSWER) only on an offer with no m= line;
 * an offer with nothing acceptable gets every stream rejected: see xb_sdp_answer_accepted. */
XbSdpSession *xb_sdp_answer(const XbSdpSession *offer, const XbSdpLocal *local, GError **error);
/* Does the answer accept at least one stream (non-zero port)? When not, the caller should
 * answer the INVITE with 488 Not Acceptable Here instead. */
bool xb_sdp_answer_accepted(const XbSdpSession *answer);

/* Whether a peer's new description changed (RFC 3264 §8: the version grows by one with
 * each change, stays for a repeat; the session id never changes). */
typedef enum {
	XB_SDP_VERSION_SAME,    /* same origin and version: nothing changed */
	XB_SDP_VERSION_NEWER,   /* same origin, a higher version: a modified session */
	XB_SDP_VERSION_INVALID, /* another origin, or a lower version */
} XbSdpVersionCheck;

XbSdpVersionCheck xb_sdp_version_check(const XbSdpSession *previous, const XbSdpSession *next);

/* Our own next description (a re-offer or a new answer) against the previous one we sent:
 * keeps previous's origin (user, id, address) and sets next's version to previous + 1 when
 * anything else differs, or to previous's when nothing does. Returns true when it changed. */
bool xb_sdp_update_version(const XbSdpSession *previous, XbSdpSession *next);

/* ---- ICE (RFC 8839), for an ICE-lite agent (RFC 8445 §2.5) ---- */

/* Lengths of ice-ufrag and ice-pwd, in ice-chars (ALPHA / DIGIT / "+" / "/"). */
#define XB_SDP_ICE_UFRAG_MIN 4
#define XB_SDP_ICE_UFRAG_MAX 256
#define XB_SDP_ICE_PWD_MIN   22
#define XB_SDP_ICE_PWD_MAX   256
/* Type preference of a host candidate (RFC 8445 §5.1.2.2). */
#define XB_SDP_ICE_TYPE_HOST 126

bool xb_sdp_ice_ufrag_valid(const char *ufrag);
bool xb_sdp_ice_pwd_valid(const char *pwd);
/* Does the description offer ICE for media m: ice-ufrag and ice-pwd (the media's, else the
 * session's), well formed, and at least one a=candidate? Then true with both pointing into
 * sdp; else false and NULLs (a description without ICE, or with ICE that cannot be used). */
bool xb_sdp_ice_remote(const XbSdpSession *sdp, const XbSdpMedia *m, const char **ufrag,
                       const char **pwd);
/* A candidate's priority (RFC 8445 §5.1.2.1): 2^24 type + 2^8 local + (256 - component). */
guint32 xb_sdp_ice_priority(unsigned type_pref, unsigned local_pref, unsigned component);
/* Makes the description an ICE-lite agent's: a=ice-lite at session level (once), and in m
 * a=ice-ufrag, a=ice-pwd and a host candidate "1 1 UDP <prio> address m->port typ host"
 * for RTP, with one for RTCP (component 2, the port above) unless rtcp_mux. The caller has
 * removed any ICE attributes m held before. */
void xb_sdp_ice_add_lite(XbSdpSession *sdp, XbSdpMedia *m, const char *ufrag, const char *pwd,
                         const char *address, bool rtcp_mux);

G_END_DECLS

#endif /* XB_SDP_H */
