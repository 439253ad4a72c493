/* STUN message decoding (RFC 8489 §5, §14): header, attribute walk, ordering rules, and the
 * FINGERPRINT check. Zero-copy over the caller's buffer, no allocation, every read bounded
 * by the length checked first; it must never trust a length it has not compared. */
#include <crossbar/stun.h>

#include <string.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

const char *stun_strerror(int err)
{
	switch (err) {
	case STUN_OK:
		return "success";
	case STUN_E_TRUNCATED:
		return "message truncated";
	case STUN_E_NOT_STUN:
		return "not a STUN message";
	case STUN_E_BAD_COOKIE:
		return "no STUN magic cookie";
	case STUN_E_BAD_LENGTH:
		return "message length does not match the bytes received";
	case STUN_E_BAD_ATTR:
		return "attribute overruns the message";
	case STUN_E_BAD_PADDING:
		return "message length not a multiple of 4 (attribute padding missing)";
	case STUN_E_TOO_MANY:
		return "too many attributes";
	case STUN_E_AFTER_INTEGRITY:
		return "attribute after MESSAGE-INTEGRITY";
	case STUN_E_AFTER_FINGERPRINT:
		return "attribute after FINGERPRINT";
	case STUN_E_BAD_FINGERPRINT:
		return "FINGERPRINT mismatch";
	case STUN_E_NO_INTEGRITY:
		return "no MESSAGE-INTEGRITY";
	case STUN_E_INTEGRITY:
		return "MESSAGE-INTEGRITY mismatch";
	case STUN_E_ATTR_VALUE:
		return "malformed attribute value";
	case STUN_E_NOT_FOUND:
		return "attribute not present";
	case STUN_E_NOSPACE:
		return "buffer too small";
	case STUN_E_INVALID:
		return "invalid argument";
	case STUN_E_CRYPTO:
		return "cryptographic library failure";
	case STUN_E_EXPIRED:
		return "expired";
	case STUN_E_MALFORMED:
		return "malformed credential or nonce";
	case STUN_E_MISMATCH:
		return "nonce does not match";
	case STUN_E_NOT_CHANNEL:
		return "not a ChannelData message";
	}
	return "unknown STUN error";
}

/* RFC 8489 §5: the method bits M0-M11 are split around the class bits C0 (bit 4) and C1
 * (bit 8). */
uint16_t stun_type_make(uint16_t method, enum stun_class cls)
{
	unsigned c = (unsigned)cls;

	return (uint16_t)((method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) |
	                  ((c & 1) << 4) | ((c & 2) << 7));
}

uint16_t stun_type_method(uint16_t type)
{
	return (uint16_t)((type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2));
}

enum stun_class stun_type_class(uint16_t type)
{
	return (enum stun_class)(((type >> 4) & 1) | ((type >> 7) & 2));
}

bool stun_attr_is_comprehension_required(uint16_t type)
{
	return type < 0x8000;
}

/* Comprehension-required attributes this layer understands; anything else below 0x8000 goes
 * to msg->unknown for a 420. */
static bool known_required(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_CHANNEL_NUMBER:
	case STUN_ATTR_LIFETIME:
	case STUN_ATTR_XOR_PEER_ADDRESS:
	case STUN_ATTR_DATA:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_XOR_RELAYED_ADDRESS:
	case STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
	case STUN_ATTR_EVEN_PORT:
	case STUN_ATTR_REQUESTED_TRANSPORT:
	case STUN_ATTR_DONT_FRAGMENT:
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
	case STUN_ATTR_PASSWORD_ALGORITHM:
	case STUN_ATTR_USERHASH:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_RESERVATION_TOKEN:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
	case STUN_ATTR_CONNECTION_ID:
		return true;
	}
	return false;
}

void stun_msg_mark_unknown(struct stun_msg *msg, uint16_t type)
{
	for (unsigned i = 0; i < msg->n_unknown; i++)
		if (msg->unknown[i] == type)
			return;
	if (msg->n_unknown < STUN_MAX_UNKNOWN)
		msg->unknown[msg->n_unknown++] = type;
}

/* RFC 8489 §14.5/§14.6/§14.7: only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow
 * MESSAGE-INTEGRITY, only FINGERPRINT may follow MESSAGE-INTEGRITY-SHA256, nothing may follow
 * FINGERPRINT. The RFC lets a receiver ignore such attributes; we refuse the message, which
 * is simpler and hides nothing from the integrity check. */
static int check_order(const struct stun_msg *msg, uint16_t type)
{
	if (msg->fp >= 0)
		return STUN_E_AFTER_FINGERPRINT;
	if (type == STUN_ATTR_FINGERPRINT)
		return 0;
	if (msg->mi256 >= 0)
		return STUN_E_AFTER_INTEGRITY;
	if (msg->mi >= 0 && type != STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
		return STUN_E_AFTER_INTEGRITY;
	return 0;
}

static int note_special(struct stun_msg *msg, const struct stun_attr *a, int idx)
{
	switch (a->type) {
	case STUN_ATTR_MESSAGE_INTEGRITY:
		if (a->len != STUN_MI_SHA1_LEN)
			return STUN_E_ATTR_VALUE;
		msg->mi = idx;
		break;
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
		/* RFC 8489 §14.6: 16 to 32 bytes, a multiple of 4 (truncation allowed). */
		if (a->len < 16 || a->len > STUN_MI_SHA256_LEN || a->len % 4)
			return STUN_E_ATTR_VALUE;
		msg->mi256 = idx;
		break;
	case STUN_ATTR_FINGERPRINT:
		if (a->len != 4)
			return STUN_E_ATTR_VALUE;
		msg->fp = idx;
		break;
	default:
		if (stun_attr_is_comprehension_required(a->type) && !known_required(a->type))
			stun_msg_mark_unknown(msg, a->type);
	}
	return 0;
}

static int check_fingerprint(const struct stun_msg *msg)
{
	const struct stun_attr *a = &msg->attrs[msg->fp];
	uint32_t want = stun_crc32(0, msg->buf, a->offset) ^ STUN_FINGERPRINT_XOR;

	return rd32(a->value) == want ? 0 : STUN_E_BAD_FINGERPRINT;
}

static int decode_header(struct stun_msg *msg, const uint8_t *buf, size_t len)
{
	size_t mlen;

	if (len < 1)
		return STUN_E_TRUNCATED;
	if (buf[0] & 0xc0)
		return STUN_E_NOT_STUN;
	if (len < STUN_HEADER_LEN)
		return STUN_E_TRUNCATED;
	if (rd32(buf + 4) != STUN_MAGIC_COOKIE)
		return STUN_E_BAD_COOKIE;
	mlen = rd16(buf + 2);
	if (mlen % 4) /* every attribute is padded to 4, so this is missing padding */
		return STUN_E_BAD_PADDING;
	if (STUN_HEADER_LEN + mlen > len)
		return STUN_E_TRUNCATED;
	if (STUN_HEADER_LEN + mlen < len)
		return STUN_E_BAD_LENGTH;

	msg->buf = buf;
	msg->len = STUN_HEADER_LEN + mlen;
	msg->type = rd16(buf);
	msg->method = stun_type_method(msg->type);
	msg->cls = stun_type_class(msg->type);
	msg->tid = buf + 8;
	return 0;
}

int stun_msg_decode(struct stun_msg *msg, const uint8_t *buf, size_t len)
{
	size_t pos = STUN_HEADER_LEN;
	int err;

	g_return_val_if_fail(msg != NULL, STUN_E_INVALID);
	msg->n_attrs = 0;
	msg->n_unknown = 0;
	msg->mi = msg->mi256 = msg->fp = -1;
	msg->buf = NULL;
	msg->len = 0;
	if (buf == NULL)
		return STUN_E_TRUNCATED;

	err = decode_header(msg, buf, len);
	if (err)
		goto out;

	/* pos and msg->len are multiples of 4, so a value that fits has room for its padding. */
	while (pos < msg->len) {
		size_t room = msg->len - pos;
		struct stun_attr *a;
		uint16_t type, alen;

		if (room < 4) {
			err = STUN_E_BAD_ATTR;
			goto out;
		}
		type = rd16(buf + pos);
		alen = rd16(buf + pos + 2);
		if (alen > room - 4) {
			err = STUN_E_BAD_ATTR;
			goto out;
		}
		err = check_order(msg, type);
		if (err)
			goto out;
		if (msg->n_attrs == STUN_MAX_ATTRS) {
			err = STUN_E_TOO_MANY;
			goto out;
		}
		a = &msg->attrs[msg->n_attrs];
		a->type = type;
		a->len = alen;
		a->offset = (uint16_t)pos;
		a->value = buf + pos + 4;
		err = note_special(msg, a, (int)msg->n_attrs);
		if (err)
			goto out;
		msg->n_attrs++;
		pos += 4 + ((alen + 3u) & ~3u);
	}

	if (msg->fp >= 0)
		err = check_fingerprint(msg);
out:
	if (err)
		msg->n_attrs = 0;
	return err;
}
