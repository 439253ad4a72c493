/* rtcp.c: RTCP compound packets (RFC 3550 §6): cutting a compound packet into its packets,
 * the A.2 validity checks, decoding SR, RR, SDES, BYE and APP, and writing SR, RR, SDES
 * (CNAME) and BYE, and NTP timestamps for SRs. Zero-copy; never reads or writes outside the given
 * length. */
#include <crossbar/rtp.h>

#include <errno.h>
#include <string.h>

#include "rtp_bytes.h"

#define RTCP_HEADER_LEN 4
#define SENDER_INFO_LEN 20
#define BLOCK_LEN       24

int xb_rtcp_next(const uint8_t *buf, size_t len, size_t *off, XbRtcpPacket *pkt)
{
	size_t left, plen;

	if (*off >= len)
		return 0;
	left = len - *off;
	buf += *off;
	if (left < RTCP_HEADER_LEN || buf[0] >> 6 != XB_RTP_VERSION)
		return -EBADMSG;
	plen = ((size_t)rd16(buf + 2) + 1) * 4;
	if (plen > left)
		return -EBADMSG;
	pkt->type = buf[1];
	pkt->count = buf[0] & 0x1F;
	pkt->padding = buf[0] & 0x20;
	pkt->data = buf;
	pkt->len = plen;
	if (pkt->padding) {
		uint8_t pad = buf[plen - 1];

		if (pad == 0 || pad > plen - RTCP_HEADER_LEN)
			return -EBADMSG;
	}
	*off += plen;
	return 1;
}

int xb_rtcp_validate(const uint8_t *buf, size_t len)
{
	XbRtcpPacket pkt;
	size_t off = 0;
	int rc, n = 0;

	while ((rc = xb_rtcp_next(buf, len, &off, &pkt)) == 1) {
		if (n++ == 0 && ((pkt.type != XB_RTCP_SR && pkt.type != XB_RTCP_RR) || pkt.padding))
			return -EBADMSG;
		if (pkt.padding && off != len)
			return -EBADMSG;
	}
	return rc < 0 || n == 0 ? -EBADMSG : 0;
}

/* The packet's bytes without its padding. */
static size_t unpadded_len(const XbRtcpPacket *pkt)
{
	return pkt->padding ? pkt->len - pkt->data[pkt->len - 1] : pkt->len;
}

static void read_block(const uint8_t *p, XbRtcpReportBlock *b)
{
	uint32_t lost = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];

	b->ssrc = rd32(p);
	b->fraction_lost = p[4];
	b->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	b->ext_highest_seq = rd32(p + 8);
	b->jitter = rd32(p + 12);
	b->lsr = rd32(p + 16);
	b->dlsr = rd32(p + 20);
}

int xb_rtcp_report(const XbRtcpPacket *pkt, XbRtcpReport *out)
{
	size_t len = unpadded_len(pkt), off = RTCP_HEADER_LEN + 4;
	const uint8_t *p = pkt->data;

	if ((pkt->type != XB_RTCP_SR && pkt->type != XB_RTCP_RR) || len < off)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->ssrc = rd32(p + 4);
	if (pkt->type == XB_RTCP_SR) {
		if (len - off < SENDER_INFO_LEN)
			return -EBADMSG;
		out->ntp = (uint64_t)rd32(p + off) << 32 | rd32(p + off + 4);
		out->rtp_ts = rd32(p + off + 8);
		out->packet_count = rd32(p + off + 12);
		out->octet_count = rd32(p + off + 16);
		off += SENDER_INFO_LEN;
	}
	if ((len - off) / BLOCK_LEN < pkt->count)
		return -EBADMSG;
	out->n_blocks = pkt->count;
	for (unsigned i = 0; i < pkt->count; i++, off += BLOCK_LEN)
		read_block(p + off, &out->blocks[i]);
	return 0;
}

void xb_rtcp_sdes_iter_init(XbRtcpSdesIter *it, const XbRtcpPacket *pkt)
{
	it->chunk = RTCP_HEADER_LEN;
	it->off = RTCP_HEADER_LEN + 4;
	it->left = pkt->count;
}

int xb_rtcp_sdes_next(const XbRtcpPacket *pkt, XbRtcpSdesIter *it, XbRtcpSdesItem *item)
{
	size_t len = unpadded_len(pkt);
	const uint8_t *p = pkt->data;

	if (pkt->type != XB_RTCP_SDES)
		return -EBADMSG;
	while (it->left > 0) {
		/* A chunk holds its SSRC and at least the END byte. */
		if (it->chunk > len || len - it->chunk < 4 || it->off >= len)
			return -EBADMSG;
		if (p[it->off] != XB_RTCP_SDES_END) {
			if (len - it->off < 2 || len - it->off - 2 < p[it->off + 1])
				return -EBADMSG;
			item->ssrc = rd32(p + it->chunk);
			item->type = p[it->off];
			item->len = p[it->off + 1];
			item->text = p + it->off + 2;
			it->off += 2 + (size_t)item->len;
			return 1;
		}
		/* END: the next chunk starts at the next 32-bit boundary. */
		it->left--;
		it->chunk = (it->off + 4) & ~(size_t)3;
		it->off = it->chunk + 4;
	}
	return 0;
}

int xb_rtcp_bye(const XbRtcpPacket *pkt, XbRtcpBye *out)
{
	size_t len = unpadded_len(pkt), off = RTCP_HEADER_LEN;
	const uint8_t *p = pkt->data;

	if (pkt->type != XB_RTCP_BYE || (len - off) / 4 < pkt->count)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->n_ssrc = pkt->count;
	for (unsigned i = 0; i < pkt->count; i++, off += 4)
		out->ssrc[i] = rd32(p + off);
	if (off < len) {
		if (len - off - 1 < p[off])
			return -EBADMSG;
		out->reason_len = p[off];
		out->reason = p + off + 1;
	}
	return 0;
}

int xb_rtcp_app(const XbRtcpPacket *pkt, XbRtcpApp *out)
{
	size_t len = unpadded_len(pkt);
	const uint8_t *p = pkt->data;

	if (pkt->type != XB_RTCP_APP || len < 12)
		return -EBADMSG;
	out->subtype = pkt->count;
	out->ssrc = rd32(p + 4);
	memcpy(out->name, p + 8, 4);
	out->data = p + 12;
	out->len = (len - 12) & ~(size_t)3;
	return 0;
}

static void write_header(uint8_t *buf, uint8_t count, uint8_t type, size_t len)
{
	buf[0] = (uint8_t)(XB_RTP_VERSION << 6 | count);
	buf[1] = type;
	wr16(buf + 2, (uint16_t)(len / 4 - 1));
}

static void write_block(uint8_t *p, const XbRtcpReportBlock *b)
{
	int32_t lost = b->cumulative_lost;

	if (lost > 0x7FFFFF)
		lost = 0x7FFFFF;
	if (lost < -0x800000)
		lost = -0x800000;
	wr32(p, b->ssrc);
	p[4] = b->fraction_lost;
	p[5] = (uint8_t)((uint32_t)lost >> 16);
	p[6] = (uint8_t)((uint32_t)lost >> 8);
	p[7] = (uint8_t)lost;
	wr32(p + 8, b->ext_highest_seq);
	wr32(p + 12, b->jitter);
	wr32(p + 16, b->lsr);
	wr32(p + 20, b->dlsr);
}

static int build_report(const XbRtcpReport *r, bool sr, uint8_t *buf, size_t cap)
{
	size_t off = RTCP_HEADER_LEN + 4;
	size_t len = off + (sr ? SENDER_INFO_LEN : 0) + (size_t)r->n_blocks * BLOCK_LEN;

	if (r->n_blocks > XB_RTCP_MAX_BLOCKS)
		return -EINVAL;
	if (cap < len)
		return -ENOSPC;
	write_header(buf, (uint8_t)r->n_blocks, sr ? XB_RTCP_SR : XB_RTCP_RR, len);
	wr32(buf + 4, r->ssrc);
	if (sr) {
		wr32(buf + off, (uint32_t)(r->ntp >> 32));
		wr32(buf + off + 4, (uint32_t)r->ntp);
		wr32(buf + off + 8, r->rtp_ts);
		wr32(buf + off + 12, r->packet_count);
		wr32(buf + off + 16, r->octet_count);
		off += SENDER_INFO_LEN;
	}
	for (unsigned i = 0; i < r->n_blocks; i++, off += BLOCK_LEN)
		write_block(buf + off, &r->blocks[i]);
	return (int)len;
}

int xb_rtcp_build_sr(const XbRtcpReport *r, uint8_t *buf, size_t cap)
{
	return build_report(r, true, buf, cap);
}

int xb_rtcp_build_rr(const XbRtcpReport *r, uint8_t *buf, size_t cap)
{
	return build_report(r, false, buf, cap);
}

int xb_rtcp_build_sdes_cname(uint32_t ssrc, const char *cname, uint8_t *buf, size_t cap)
{
	size_t n = strlen(cname), len;

	if (n == 0 || n > 255)
		return -EINVAL;
	/* header, SSRC, CNAME item, at least one END byte, padded to 32 bits */
	len = (RTCP_HEADER_LEN + 4 + 2 + n + 1 + 3) & ~(size_t)3;
	if (cap < len)
		return -ENOSPC;
	memset(buf, 0, len);
	write_header(buf, 1, XB_RTCP_SDES, len);
	wr32(buf + 4, ssrc);
	buf[8] = XB_RTCP_SDES_CNAME;
	buf[9] = (uint8_t)n;
	memcpy(buf + 10, cname, n);
	return (int)len;
}

int xb_rtcp_build_bye(const uint32_t *ssrc, unsigned n_ssrc, const char *reason, uint8_t *buf,
                      size_t cap)
{
	size_t rlen = reason ? strlen(reason) : 0, len, off = RTCP_HEADER_LEN;

	if (n_ssrc > XB_RTCP_MAX_BLOCKS || rlen > 255)
		return -EINVAL;
	len = off + (size_t)n_ssrc * 4 + (reason ? (1 + rlen + 3) & ~(size_t)3 : 0);
	if (cap < len)
		return -ENOSPC;
	memset(buf, 0, len);
	write_header(buf, (uint8_t)n_ssrc, XB_RTCP_BYE, len);
	for (unsigned i = 0; i < n_ssrc; i++, off += 4)
		wr32(buf + off, ssrc[i]);
	if (reason) {
		buf[off] = (uint8_t)rlen;
		memcpy(buf + off + 1, reason, rlen);
	}
	return (int)len;
}

/* Seconds from 1900 (NTP's era 0) to 1970. */
#define NTP_UNIX_OFFSET 2208988800ull

uint64_t xb_rtcp_ntp_from_unix_us(int64_t us)
{
	uint64_t secs = (uint64_t)(us / 1000000) + NTP_UNIX_OFFSET;
	uint64_t frac = ((uint64_t)(us % 1000000) << 32) / 1000000;

	return secs << 32 | frac;
}

uint32_t xb_rtcp_ntp_middle(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}
