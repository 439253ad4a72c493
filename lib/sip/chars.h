/* lib/sip/chars.h: character classes of the RFC 3261 §25 grammar as one lookup table, for
 * the parsers of lib/sip/. Private to the folder; holds no state and allocates nothing. */
#ifndef XB_SIP_CHARS_H
#define XB_SIP_CHARS_H

#include <stdint.h>

enum {
	SIP_C_TOKEN = 1 << 0, /* token */
	SIP_C_WS = 1 << 1,    /* SP HT */
	SIP_C_HEX = 1 << 2,
	SIP_C_USER = 1 << 3,  /* unreserved / user-unreserved / '%' */
	SIP_C_PASS = 1 << 4,  /* unreserved / "&=+$," / '%' */
	SIP_C_PARAM = 1 << 5, /* paramchar / '%' */
	SIP_C_HNV = 1 << 6,   /* hname / hvalue chars / '%' */
	SIP_C_HOST = 1 << 7,  /* alphanum / '-' / '.' */
	SIP_C_WORD = 1 << 8,  /* word (Call-ID) */
	SIP_C_DIGIT = 1 << 9,
	SIP_C_TEL = 1 << 10,      /* tel: number chars */
	SIP_C_CTL = 1 << 11,      /* control octets that may not appear in a header value */
	SIP_C_RESERVED = 1 << 12, /* ; / ? : @ & = + $ , */
};

extern const uint16_t sip_ctab[256];

static inline int sip_cis(unsigned char c, unsigned cls)
{
	return (sip_ctab[c] & cls) != 0;
}

static inline int sip_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
