/* rtp.h: the RTP library (lib/rtp/): RTP headers (RFC 3550 §5), RTCP compound packets
 * (RFC 3550 §6), a received source's sequence, loss and jitter book-keeping (RFC 3550 A.1,
 * A.3, A.8), and RFC 4733 telephone-events with a receiver for them. Hot-path code for the
 * media workers: zero-copy parsing into caller structs, no allocation, no GError, no I/O; the
 * functions return 0 (or a length) and a negative errno on failure:
 *   -EBADMSG  the bytes are not a well-formed packet of that kind
 *   -ENOSPC   the caller's buffer is too small for what is to be written
 *   -EINVAL   an argument out of range (a programming error or unusable input) */
#ifndef XB_RTP_H
#define XB_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

G_BEGIN_DECLS

#define XB_RTP_VERSION    2
#define XB_RTP_HEADER_LEN 12 /* without CSRCs and extension */
#define XB_RTP_MAX_CSRC   15

/* ---- RTP header (rtp_header.c) ---- */

/* One RTP packet; ext and payload point into the parsed buffer. */
typedef struct {
	bool padding;   /* P: pad_len padding bytes end the packet */
	bool extension; /* X: ext_profile/ext/ext_len are set */
	bool marker;    /* M */
	uint8_t pt;     /* 0-127 */
	uint8_t cc;     /* number of CSRCs, 0-15 */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint32_t csrc[XB_RTP_MAX_CSRC];
	uint16_t ext_profile; /* the extension's 16 "defined by profile" bits */
	const uint8_t *ext;   /* extension data, ext_len bytes (a multiple of 4) */
	size_t ext_len;
	const uint8_t *payload;
	size_t payload_len;
	uint8_t pad_len; /* parse: padding bytes counted by the last byte; build: to add */
} XbRtpHeader;

/* Parses one RTP packet of len bytes. -EBADMSG when the version is not 2, the CSRCs or
 * extension run past the end, or the padding count is 0 or larger than what is left. */
int xb_rtp_parse(XbRtpHeader *h, const uint8_t *buf, size_t len);

/* Writes h's header (CSRCs and extension included when cc/extension say so), then
 * payload_len bytes of payload, then pad_len padding bytes when padding is set (pad_len
 * 1-255). Returns the packet's length or -ENOSPC / -EINVAL. h->payload may be NULL when the
 * payload is already in place at buf + xb_rtp_header_len(h). */
int xb_rtp_build(const XbRtpHeader *h, const uint8_t *payload, size_t payload_len, uint8_t *buf,
                 size_t cap);

/* Length of h's header as xb_rtp_build writes it. */
size_t xb_rtp_header_len(const XbRtpHeader *h);

/* RTP or RTCP on one port (RFC 5761 §4): true when the second byte is an RTCP packet type
 * (192-223, which RTP payload types with the marker bit would be). Needs 2 bytes. */
bool xb_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* ---- RTCP (rtcp.c) ---- */

enum {
	XB_RTCP_SR = 200,
	XB_RTCP_RR = 201,
	XB_RTCP_SDES = 202,
	XB_RTCP_BYE = 203,
	XB_RTCP_APP = 204,
};

enum {
	XB_RTCP_SDES_END = 0,
	XB_RTCP_SDES_CNAME = 1,
	XB_RTCP_SDES_NAME = 2,
	XB_RTCP_SDES_EMAIL = 3,
	XB_RTCP_SDES_PHONE = 4,
	XB_RTCP_SDES_LOC = 5,
	XB_RTCP_SDES_TOOL = 6,
	XB_RTCP_SDES_NOTE = 7,
	XB_RTCP_SDES_PRIV = 8,
};

#define XB_RTCP_MAX_BLOCKS 31 /* the 5-bit count */

/* One report block (RFC 3550 §6.4.1). */
typedef struct {
	uint32_t ssrc;
	uint8_t fraction_lost;   /* lost/expected since the last report, times 256 */
	int32_t cumulative_lost; /* 24-bit signed on the wire: -8388608 .. 8388607 */
	uint32_t ext_highest_seq;
	uint32_t jitter; /* in timestamp units */
	uint32_t lsr;    /* middle 32 bits of the last SR's NTP time, or 0 */
	uint32_t dlsr;   /* delay since that SR, in 1/65536 s */
} XbRtcpReportBlock;

/* One packet of a compound packet, as xb_rtcp_next() cuts it. */
typedef struct {
	uint8_t type;  /* XB_RTCP_* or another (unknown types are returned, not refused) */
	uint8_t count; /* the 5-bit RC / SC / subtype field */
	bool padding;
	const uint8_t *data; /* the whole packet, header included */
	size_t len;          /* its length in bytes (length field + 1) * 4, padding included */
} XbRtcpPacket;

/* Walks a compound packet. Start with off = 0; each call returns 1 and the next packet, 0 at
 * the end, or -EBADMSG. */
int xb_rtcp_next(const uint8_t *buf, size_t len, size_t *off, XbRtcpPacket *pkt);

/* The validity checks of RFC 3550 A.2 on a whole compound packet: version 2 everywhere, the
 * first packet SR or RR without padding, padding only on the last, lengths adding up exactly.
 * Returns 0 or -EBADMSG. */
int xb_rtcp_validate(const uint8_t *buf, size_t len);

/* A sender or receiver report. For an RR the sender-info fields are 0. */
typedef struct {
	uint32_t ssrc;
	uint64_t ntp;          /* SR: NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;       /* SR: the RTP time of that instant */
	uint32_t packet_count; /* SR: packets sent */
	uint32_t octet_count;  /* SR: payload octets sent */
	unsigned n_blocks;
	XbRtcpReportBlock blocks[XB_RTCP_MAX_BLOCKS];
} XbRtcpReport;

/* Decodes an SR or RR (by pkt->type); -EBADMSG when the blocks do not fit. Profile-specific
 * extensions after the blocks are ignored. */
int xb_rtcp_report(const XbRtcpPacket *pkt, XbRtcpReport *out);

/* One SDES item; text points into the packet, len bytes, not terminated. */
typedef struct {
	uint32_t ssrc; /* the chunk's SSRC/CSRC */
	uint8_t type;  /* XB_RTCP_SDES_* */
	const uint8_t *text;
	uint8_t len;
} XbRtcpSdesItem;

/* Walks the items of an SDES packet: the count's chunks in turn, END items and the padding
 * after them skipped. Returns 1 and an item, 0 at the end, or -EBADMSG. */
typedef struct {
	size_t chunk;  /* offset of the current chunk (its SSRC) in the packet */
	size_t off;    /* offset of the next item */
	unsigned left; /* chunks not yet finished */
} XbRtcpSdesIter;

void xb_rtcp_sdes_iter_init(XbRtcpSdesIter *it, const XbRtcpPacket *pkt);
int xb_rtcp_sdes_next(const XbRtcpPacket *pkt, XbRtcpSdesIter *it, XbRtcpSdesItem *item);

typedef struct {
	unsigned n_ssrc;
	uint32_t ssrc[XB_RTCP_MAX_BLOCKS];
	const uint8_t *reason; /* or NULL */
	uint8_t reason_len;
} XbRtcpBye;

int xb_rtcp_bye(const XbRtcpPacket *pkt, XbRtcpBye *out);

typedef struct {
	uint8_t subtype;
	uint32_t ssrc;
	char name[4]; /* four ASCII characters, not terminated */
	const uint8_t *data;
	size_t len; /* a multiple of 4 */
} XbRtcpApp;

int xb_rtcp_app(const XbRtcpPacket *pkt, XbRtcpApp *out);

/* Write one packet at buf; each returns its length or -ENOSPC / -EINVAL. A compound packet
 * is these written one after the other (an SR or RR first, then an SDES with a CNAME). */
int xb_rtcp_build_sr(const XbRtcpReport *r, uint8_t *buf, size_t cap);
int xb_rtcp_build_rr(const XbRtcpReport *r, uint8_t *buf, size_t cap);
int xb_rtcp_build_sdes_cname(uint32_t ssrc, const char *cname, uint8_t *buf, size_t cap);
/* The NTP timestamp (RFC 5905: seconds since 1900, 32.32 fixed point) of a wall-clock time
 * in microseconds since 1970 (g_get_real_time), for a sender report. */
uint64_t xb_rtcp_ntp_from_unix_us(int64_t us);
/* The middle 32 bits of an NTP timestamp: a report block's LSR (RFC 3550 §6.4.1). */
uint32_t xb_rtcp_ntp_middle(uint64_t ntp);
int xb_rtcp_build_bye(const uint32_t *ssrc, unsigned n_ssrc, const char *reason, uint8_t *buf,
                      size_t cap);

/* ---- a received source (rtp_source.c) ---- */

/* What a receiver keeps about one SSRC (RFC 3550 A.1, A.3, A.8). A source is "valid" after
 * XB_RTP_MIN_SEQUENTIAL packets in sequence; a jump of more than XB_RTP_MAX_DROPOUT ahead or
 * XB_RTP_MAX_MISORDER behind is taken as a restart only when the next packet confirms it. */
#define XB_RTP_MIN_SEQUENTIAL 2
#define XB_RTP_MAX_DROPOUT    3000
#define XB_RTP_MAX_MISORDER   100

typedef struct {
	uint16_t max_seq;        /* highest sequence number seen */
	uint32_t cycles;         /* wrap-arounds, shifted left 16 */
	uint32_t base_seq;       /* first sequence number counted */
	uint32_t bad_seq;        /* the sequence number a restart is expected at */
	uint32_t probation;      /* packets still needed before the source is valid */
	uint32_t received;       /* packets counted */
	uint32_t expected_prior; /* for the next report's fraction lost */
	uint32_t received_prior;
	bool have_transit;
	uint32_t transit; /* last arrival minus RTP timestamp */
	uint32_t jitter;  /* interarrival jitter, times 16 (A.8) */
} XbRtpSource;

/* Starts tracking at the first packet's sequence number. */
void xb_rtp_source_init(XbRtpSource *s, uint16_t seq);
/* Counts one packet; true when it is to be used, false while on probation, for a duplicate
 * out of range or an unconfirmed jump (RFC 3550 A.1 update_seq). */
bool xb_rtp_source_update(XbRtpSource *s, uint16_t seq);
/* Highest sequence number extended with its wrap-arounds. */
uint32_t xb_rtp_source_ext_max(const XbRtpSource *s);
/* Packets expected, and lost (negative when duplicates arrived), since the start. */
uint32_t xb_rtp_source_expected(const XbRtpSource *s);
int64_t xb_rtp_source_lost(const XbRtpSource *s);
/* Feeds one packet's timestamp and its arrival time in the same clock units (A.8). */
void xb_rtp_source_jitter(XbRtpSource *s, uint32_t rtp_ts, uint32_t arrival);
/* The jitter in timestamp units, as a report block carries it. */
uint32_t xb_rtp_source_jitter_ts(const XbRtpSource *s);
/* Fills a report block about this source (A.3) and starts the next interval; the caller
 * sets ssrc, lsr and dlsr. */
void xb_rtp_source_report(XbRtpSource *s, XbRtcpReportBlock *rb);

/* ---- RFC 4733 telephone-events (rtp_dtmf.c) ---- */

#define XB_RTP_DTMF_LEN 4 /* one event's payload */

/* One telephone-event payload (RFC 4733 §2.3). */
typedef struct {
	uint8_t event;     /* 0-9, 10 '*', 11 '#', 12-15 'A'-'D', 16 flash; others exist */
	bool end;          /* E */
	uint8_t volume;    /* 0-63, in -dBm0 */
	uint16_t duration; /* in timestamp units since the event's timestamp */
} XbRtpDtmf;

/* Decodes the first event of a payload (len >= 4); -EBADMSG when shorter. */
int xb_rtp_dtmf_decode(XbRtpDtmf *ev, const uint8_t *payload, size_t len);
/* Writes 4 bytes; -ENOSPC, or -EINVAL for a volume over 63. */
int xb_rtp_dtmf_encode(const XbRtpDtmf *ev, uint8_t *buf, size_t cap);
/* '0'-'9', '*', '#', 'A'-'D' for events 0-15, '!' for flash (16), else 0. */
char xb_rtp_dtmf_char(uint8_t event);
/* The event of a DTMF character (case-insensitive letters), or -1. */
int xb_rtp_dtmf_event(char c);

/* Sending one event (RFC 4733 §2.5.1): a packet every `step` timestamp units, all with the
 * event's timestamp; the first carries the marker bit, each the duration so far, and the
 * one that reaches the event's duration the E bit, sent three times (§2.5.1.4). The caller
 * gives each packet its own sequence number and sends one per `step`.
 *
 *   packet  | duration                 | E | M
 *   --------+--------------------------+---+---
 *   1       | step                     | - | 1
 *   k       | min(k * step, duration)  | when it reaches duration
 *   last 3  | duration                 | 1 | -                                        */
typedef struct {
	uint8_t event;
	uint8_t volume;    /* 0-63, in -dBm0 */
	uint16_t duration; /* of the whole event, in timestamp units */
	uint16_t step;     /* timestamp units between packets (160: 20 ms at 8 kHz) */
	uint16_t sent;     /* the duration the last packet carried */
	unsigned packets;  /* sent so far */
	unsigned ends;     /* end packets sent so far */
} XbRtpDtmfTx;

/* -EINVAL for a volume over 63, or a step or duration of 0. */
int xb_rtp_dtmf_tx_init(XbRtpDtmfTx *tx, uint8_t event, uint16_t duration, uint16_t step,
                        uint8_t volume);
/* The next packet's payload (4 bytes at buf) and whether it carries the marker bit; returns
 * its length, 0 when the event's packets are all sent, or -ENOSPC. */
int xb_rtp_dtmf_tx_next(XbRtpDtmfTx *tx, uint8_t *buf, size_t cap, bool *marker);

/* Receiving events from their packets. An event is the packets sharing one RTP timestamp:
 * the first (usually with the marker bit), updates with growing durations, and the end bit,
 * sent three times. Each event is reported once as it begins and once as it ends.
 *
 *   state   | packet                                 | reports            | next
 *   --------+----------------------------------------+--------------------+-------
 *   IDLE    | any, not end                           | BEGIN              | ACTIVE
 *   IDLE    | end (its start lost)                   | BEGIN, END         | ENDED
 *   ACTIVE  | same timestamp, not end                | -                  | ACTIVE
 *   ACTIVE  | same timestamp, end                    | END                | ENDED
 *   ACTIVE  | newer timestamp (our end lost)         | END, then as IDLE  | ...
 *   ENDED   | same timestamp (redundant end, update) | -                  | ENDED
 *   ENDED   | newer timestamp                        | as IDLE            | ...
 *   any     | older timestamp (late, reordered)      | -                  | same
 *
 * A sender that stops without an end packet leaves the event ACTIVE: the caller ends it
 * with xb_rtp_dtmf_rx_timeout() when no packet came for a while (its own clock). Long
 * events split by RFC 4733 §2.5.1.3 are reported as one event per segment. */
typedef enum {
	XB_RTP_DTMF_RX_IDLE,
	XB_RTP_DTMF_RX_ACTIVE,
	XB_RTP_DTMF_RX_ENDED,
} XbRtpDtmfRxState;

typedef enum {
	XB_RTP_DTMF_BEGIN,
	XB_RTP_DTMF_END,
} XbRtpDtmfReportKind;

typedef struct {
	XbRtpDtmfReportKind kind;
	uint8_t event;
	uint32_t ts;       /* the event's RTP timestamp */
	uint16_t duration; /* END: the longest duration seen; BEGIN: the first packet's */
} XbRtpDtmfReport;

typedef struct {
	XbRtpDtmfRxState state;
	uint8_t event;
	uint32_t ts;
	uint16_t duration;
} XbRtpDtmfRx;

void xb_rtp_dtmf_rx_init(XbRtpDtmfRx *rx);
/* Feeds one packet's timestamp and payload; fills up to 3 reports and returns how many
 * (0-3: an END of the previous event, then BEGIN and END of this one). */
unsigned xb_rtp_dtmf_rx_feed(XbRtpDtmfRx *rx, uint32_t ts, const XbRtpDtmf *ev,
                             XbRtpDtmfReport out[3]);
/* Ends an ACTIVE event whose end packets never came; returns 1 and its END, or 0. */
unsigned xb_rtp_dtmf_rx_timeout(XbRtpDtmfRx *rx, XbRtpDtmfReport *out);

G_END_DECLS

#endif /* XB_RTP_H */
