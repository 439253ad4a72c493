/* STUN message encoding (RFC 8489 §5, §14; RFC 8656 §18) into caller memory: no allocation,
 * sticky errors, header length kept current after every attribute. It must not let an
 * attribute follow MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT, nor write past cap. */
#include <crossbar/stun.h>

#include <string.h>

#include <openssl/rand.h>

enum { SEAL_MI = 1, SEAL_MI256 = 2, SEAL_FP = 4 };

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void fail(struct stun_encoder *e, int err)
{
	if (e->err == 0)
		e->err = err;
}

int stun_tid_random(uint8_t tid[STUN_TID_LEN])
{
	return RAND_bytes(tid, STUN_TID_LEN) == 1 ? 0 : STUN_E_CRYPTO;
}

void stun_encode_init(struct stun_encoder *e, uint8_t *buf, size_t cap, uint16_t method,
                      enum stun_class cls, const uint8_t tid[STUN_TID_LEN])
{
	memset(e, 0, sizeof(*e));
	e->buf = buf;
	e->cap = cap;
	if (buf == NULL || tid == NULL || method > 0x0fff) {
		fail(e, STUN_E_INVALID);
		return;
	}
	if (cap < STUN_HEADER_LEN) {
		fail(e, STUN_E_NOSPACE);
		return;
	}
	wr16(buf, stun_type_make(method, cls));
	wr16(buf + 2, 0);
	wr32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	e->len = STUN_HEADER_LEN;
}

/* Reserves an attribute of len value bytes (plus padding), writes its header and padding,
 * updates the message length, and returns where the value goes. */
static uint8_t *attr_reserve(struct stun_encoder *e, uint16_t type, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	uint8_t *p;

	if (e->err)
		return NULL;
	if (len > 0xffff || e->len - STUN_HEADER_LEN + 4 + padded > 0xfffc) {
		fail(e, STUN_E_INVALID);
		return NULL;
	}
	if (e->cap - e->len < 4 + padded) {
		fail(e, STUN_E_NOSPACE);
		return NULL;
	}
	p = e->buf + e->len;
	wr16(p, type);
	wr16(p + 2, (uint16_t)len);
	memset(p + 4 + len, e->pad, padded - len);
	e->len += 4 + padded;
	wr16(e->buf + 2, (uint16_t)(e->len - STUN_HEADER_LEN));
	return p + 4;
}

static uint8_t *attr_begin(struct stun_encoder *e, uint16_t type, size_t len)
{
	if (e->sealed) {
		fail(e, STUN_E_INVALID);
		return NULL;
	}
	return attr_reserve(e, type, len);
}

void stun_encode_attr(struct stun_encoder *e, uint16_t type, const void *value, size_t len)
{
	uint8_t *p;

	if (value == NULL && len) {
		fail(e, STUN_E_INVALID);
		return;
	}
	if (type == STUN_ATTR_MESSAGE_INTEGRITY || type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
	    type == STUN_ATTR_FINGERPRINT) {
		fail(e, STUN_E_INVALID); /* computed ones have their own calls */
		return;
	}
	p = attr_begin(e, type, len);
	if (p && len)
		memcpy(p, value, len);
}

void stun_encode_string(struct stun_encoder *e, uint16_t type, const char *s)
{
	if (s == NULL) {
		fail(e, STUN_E_INVALID);
		return;
	}
	stun_encode_attr(e, type, s, strlen(s));
}

void stun_encode_u32(struct stun_encoder *e, uint16_t type, uint32_t v)
{
	uint8_t *p = attr_begin(e, type, 4);

	if (p)
		wr32(p, v);
}

void stun_encode_u64(struct stun_encoder *e, uint16_t type, uint64_t v)
{
	uint8_t *p = attr_begin(e, type, 8);

	if (p) {
		wr32(p, (uint32_t)(v >> 32));
		wr32(p + 4, (uint32_t)v);
	}
}

void stun_encode_flag(struct stun_encoder *e, uint16_t type)
{
	attr_begin(e, type, 0);
}

static void put_addr(struct stun_encoder *e, uint16_t type, const struct stun_addr *a, bool x)
{
	size_t iplen;
	uint8_t *p;

	if (a == NULL || (a->family != STUN_FAMILY_IPV4 && a->family != STUN_FAMILY_IPV6)) {
		fail(e, STUN_E_INVALID);
		return;
	}
	iplen = a->family == STUN_FAMILY_IPV4 ? 4 : 16;
	p = attr_begin(e, type, 4 + iplen);
	if (p == NULL)
		return;
	p[0] = 0;
	p[1] = a->family;
	wr16(p + 2, x ? (uint16_t)(a->port ^ (STUN_MAGIC_COOKIE >> 16)) : a->port);
	for (size_t i = 0; i < iplen; i++)
		p[4 + i] = x ? (uint8_t)(a->ip[i] ^ e->buf[4 + i]) : a->ip[i];
}

void stun_encode_addr(struct stun_encoder *e, uint16_t type, const struct stun_addr *a)
{
	put_addr(e, type, a, false);
}

/* The XOR pad is the cookie then the transaction id: exactly header bytes 4..19. */
void stun_encode_xor_addr(struct stun_encoder *e, uint16_t type, const struct stun_addr *a)
{
	put_addr(e, type, a, true);
}

static void put_error(struct stun_encoder *e, uint16_t type, uint8_t first, int code,
                      const char *reason)
{
	size_t rlen;
	uint8_t *p;

	if (code < 300 || code > 699) {
		fail(e, STUN_E_INVALID);
		return;
	}
	if (reason == NULL)
		reason = stun_reason_phrase(code);
	rlen = strlen(reason);
	p = attr_begin(e, type, 4 + rlen);
	if (p == NULL)
		return;
	p[0] = first;
	p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, rlen);
}

void stun_encode_error_code(struct stun_encoder *e, int code, const char *reason)
{
	put_error(e, STUN_ATTR_ERROR_CODE, 0, code, reason);
}

void stun_encode_address_error_code(struct stun_encoder *e, uint8_t family, int code,
                                    const char *reason)
{
	put_error(e, STUN_ATTR_ADDRESS_ERROR_CODE, family, code, reason);
}

void stun_encode_unknown_attributes(struct stun_encoder *e, const uint16_t *types, size_t n)
{
	uint8_t *p;

	if (types == NULL && n) {
		fail(e, STUN_E_INVALID);
		return;
	}
	p = attr_begin(e, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n);
	for (size_t i = 0; p && i < n; i++)
		wr16(p + 2 * i, types[i]);
}

void stun_encode_channel_number(struct stun_encoder *e, uint16_t channel)
{
	stun_encode_u32(e, STUN_ATTR_CHANNEL_NUMBER, (uint32_t)channel << 16);
}

void stun_encode_requested_transport(struct stun_encoder *e, uint8_t protocol)
{
	stun_encode_u32(e, STUN_ATTR_REQUESTED_TRANSPORT, (uint32_t)protocol << 24);
}

void stun_encode_even_port(struct stun_encoder *e, bool reserve_next)
{
	uint8_t v = reserve_next ? 0x80 : 0;

	stun_encode_attr(e, STUN_ATTR_EVEN_PORT, &v, 1);
}

void stun_encode_address_family(struct stun_encoder *e, uint16_t type, uint8_t family)
{
	stun_encode_u32(e, type, (uint32_t)family << 24);
}

void stun_encode_icmp(struct stun_encoder *e, uint8_t type, uint16_t code, uint32_t data)
{
	uint8_t *p;

	if (type > 0x7f || code > 0x1ff) {
		fail(e, STUN_E_INVALID);
		return;
	}
	p = attr_begin(e, STUN_ATTR_ICMP, 8);
	if (p == NULL)
		return;
	wr16(p, 0);
	wr16(p + 2, (uint16_t)((type << 9) | code));
	wr32(p + 4, data);
}

void stun_encode_password_algorithm(struct stun_encoder *e, uint16_t alg)
{
	stun_encode_u32(e, STUN_ATTR_PASSWORD_ALGORITHM, (uint32_t)alg << 16);
}

/* MD5 and SHA-256 take no parameters, so each entry is 4 bytes. */
void stun_encode_password_algorithms(struct stun_encoder *e, const uint16_t *algs, size_t n)
{
	uint8_t *p;

	if (algs == NULL && n) {
		fail(e, STUN_E_INVALID);
		return;
	}
	p = attr_begin(e, STUN_ATTR_PASSWORD_ALGORITHMS, 4 * n);
	for (size_t i = 0; p && i < n; i++)
		wr32(p + 4 * i, (uint32_t)algs[i] << 16);
}

/* RFC 8489 §14.5/§14.6: the length field must already count the integrity attribute when
 * the HMAC is computed; attr_reserve() sets it, then the HMAC covers everything before. */
static void put_integrity(struct stun_encoder *e, uint16_t type, const char *digest, size_t mac_len,
                          const uint8_t *key, size_t key_len)
{
	const uint8_t *parts[1];
	size_t lens[1];
	uint8_t *p;
	int err;

	if (key == NULL && key_len) {
		fail(e, STUN_E_INVALID);
		return;
	}
	p = attr_reserve(e, type, mac_len);
	if (p == NULL)
		return;
	parts[0] = e->buf;
	lens[0] = (size_t)(p - 4 - e->buf);
	err = stun_hmac(digest, key, key_len, parts, lens, 1, p, mac_len);
	if (err)
		fail(e, err);
}

void stun_encode_integrity(struct stun_encoder *e, const uint8_t *key, size_t key_len)
{
	if (e->sealed) {
		fail(e, STUN_E_INVALID);
		return;
	}
	put_integrity(e, STUN_ATTR_MESSAGE_INTEGRITY, "SHA1", STUN_MI_SHA1_LEN, key, key_len);
	e->sealed |= SEAL_MI;
}

void stun_encode_integrity_sha256(struct stun_encoder *e, const uint8_t *key, size_t key_len)
{
	if (e->sealed & (SEAL_MI256 | SEAL_FP)) {
		fail(e, STUN_E_INVALID);
		return;
	}
	put_integrity(e, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "SHA256", STUN_MI_SHA256_LEN, key,
	              key_len);
	e->sealed |= SEAL_MI256;
}

void stun_encode_fingerprint(struct stun_encoder *e)
{
	uint8_t *p;

	if (e->sealed & SEAL_FP) {
		fail(e, STUN_E_INVALID);
		return;
	}
	p = attr_reserve(e, STUN_ATTR_FINGERPRINT, 4);
	if (p == NULL)
		return;
	wr32(p, stun_crc32(0, e->buf, (size_t)(p - 4 - e->buf)) ^ STUN_FINGERPRINT_XOR);
	e->sealed |= SEAL_FP;
}

int stun_encode_finish(struct stun_encoder *e, size_t *len)
{
	if (e->err)
		return e->err;
	if (len != NULL)
		*len = e->len;
	return 0;
}
