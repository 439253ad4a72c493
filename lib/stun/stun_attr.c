/* Typed access to decoded STUN/TURN/ICE attributes (RFC 8489 §14, RFC 8656 §18, RFC 6156,
 * RFC 8445 §16). Each getter checks the value's exact length and form before reading; none
 * allocates, and none decides policy (range checks that answer 400 belong to the caller). */
#include <crossbar/stun.h>

#include <string.h>

/* Longest USERNAME (RFC 5389 §15.3 said < 513 bytes; RFC 8489 keeps old clients working),
 * and longest REALM/NONCE/SOFTWARE/reason (128 characters, up to 763 bytes). */
#define USERNAME_MAX 512
#define TEXT_MAX     763

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

const struct stun_attr *stun_attr_get(const struct stun_msg *msg, uint16_t type)
{
	return stun_attr_next(msg, type, NULL);
}

const struct stun_attr *stun_attr_next(const struct stun_msg *msg, uint16_t type,
                                       const struct stun_attr *prev)
{
	unsigned i = 0;

	g_return_val_if_fail(msg != NULL, NULL);
	if (prev != NULL) {
		g_return_val_if_fail(prev >= msg->attrs && prev < msg->attrs + msg->n_attrs, NULL);
		i = (unsigned)(prev - msg->attrs) + 1;
	}
	for (; i < msg->n_attrs; i++)
		if (msg->attrs[i].type == type)
			return &msg->attrs[i];
	return NULL;
}

/* MAPPED-ADDRESS layout (RFC 8489 §14.1): reserved byte, family, port, 4 or 16 bytes. */
int stun_attr_addr(const struct stun_attr *a, struct stun_addr *out)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len < 4)
		return STUN_E_ATTR_VALUE;
	memset(out, 0, sizeof(*out));
	out->family = a->value[1];
	out->port = rd16(a->value + 2);
	if (out->family == STUN_FAMILY_IPV4 && a->len == 8)
		memcpy(out->ip, a->value + 4, 4);
	else if (out->family == STUN_FAMILY_IPV6 && a->len == 20)
		memcpy(out->ip, a->value + 4, 16);
	else
		return STUN_E_ATTR_VALUE;
	return 0;
}

/* XOR-MAPPED-ADDRESS (RFC 8489 §14.2): port XOR the cookie's top 16 bits, address XOR the
 * cookie (IPv4) or the cookie followed by the transaction id (IPv6). */
int stun_attr_xor_addr(const struct stun_msg *msg, const struct stun_attr *a, struct stun_addr *out)
{
	uint8_t pad[16];
	int err = stun_attr_addr(a, out);

	if (err)
		return err;
	pad[0] = 0x21;
	pad[1] = 0x12;
	pad[2] = 0xa4;
	pad[3] = 0x42;
	memcpy(pad + 4, msg->tid, STUN_TID_LEN);
	out->port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	for (size_t i = 0; i < (out->family == STUN_FAMILY_IPV4 ? 4u : 16u); i++)
		out->ip[i] ^= pad[i];
	return 0;
}

int stun_attr_u32(const struct stun_attr *a, uint32_t *out)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len != 4)
		return STUN_E_ATTR_VALUE;
	*out = rd32(a->value);
	return 0;
}

int stun_attr_u64(const struct stun_attr *a, uint64_t *out)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len != 8)
		return STUN_E_ATTR_VALUE;
	*out = ((uint64_t)rd32(a->value) << 32) | rd32(a->value + 4);
	return 0;
}

int stun_attr_string(const struct stun_attr *a, const char **str, size_t *len)
{
	size_t max = TEXT_MAX;

	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->type == STUN_ATTR_USERNAME)
		max = USERNAME_MAX;
	/* g_utf8_validate_len() also refuses embedded NULs, which C callers could not see. */
	if (a->len > max || !g_utf8_validate_len((const char *)a->value, a->len, NULL))
		return STUN_E_ATTR_VALUE;
	*str = (const char *)a->value;
	*len = a->len;
	return 0;
}

/* ERROR-CODE (RFC 8489 §14.8): 21 reserved bits, class 3-6, number 0-99, reason. */
static int error_code_at(const uint8_t *v, size_t len, int *code, const char **reason,
                         size_t *reason_len)
{
	unsigned cls = v[2] & 0x07, num = v[3];

	if (cls < 3 || cls > 6 || num > 99 || len - 4 > TEXT_MAX)
		return STUN_E_ATTR_VALUE;
	*code = (int)(cls * 100 + num);
	if (reason != NULL)
		*reason = (const char *)v + 4;
	if (reason_len != NULL)
		*reason_len = len - 4;
	return 0;
}

int stun_attr_error_code(const struct stun_attr *a, int *code, const char **reason,
                         size_t *reason_len)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len < 4)
		return STUN_E_ATTR_VALUE;
	return error_code_at(a->value, a->len, code, reason, reason_len);
}

/* ADDRESS-ERROR-CODE (RFC 8656 §18.15): family, 11 reserved bits, class, number, reason. */
int stun_attr_address_error_code(const struct stun_attr *a, uint8_t *family, int *code,
                                 const char **reason, size_t *reason_len)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len < 4)
		return STUN_E_ATTR_VALUE;
	*family = a->value[0];
	return error_code_at(a->value, a->len, code, reason, reason_len);
}

int stun_attr_unknown_list(const struct stun_attr *a, uint16_t *types, size_t cap, size_t *n)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len % 2)
		return STUN_E_ATTR_VALUE;
	*n = a->len / 2u;
	for (size_t i = 0; i < *n && i < cap; i++)
		types[i] = rd16(a->value + 2 * i);
	return 0;
}

/* CHANNEL-NUMBER (RFC 8656 §18.1): number, then 16 RFFU bits. */
int stun_attr_channel_number(const struct stun_attr *a, uint16_t *channel)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len != 4)
		return STUN_E_ATTR_VALUE;
	*channel = rd16(a->value);
	return 0;
}

/* REQUESTED-TRANSPORT (RFC 8656 §18.11): protocol, then 24 RFFU bits. */
int stun_attr_requested_transport(const struct stun_attr *a, uint8_t *protocol)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len != 4)
		return STUN_E_ATTR_VALUE;
	*protocol = a->value[0];
	return 0;
}

/* EVEN-PORT (RFC 8656 §18.6) is one byte (R bit then 7 RFFU bits). Some clients count the
 * padding in the length, so up to 4 bytes are taken. */
int stun_attr_even_port(const struct stun_attr *a, bool *reserve_next)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len < 1 || a->len > 4)
		return STUN_E_ATTR_VALUE;
	*reserve_next = (a->value[0] & 0x80) != 0;
	return 0;
}

/* REQUESTED-/ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.8, §18.9): family, 24 reserved bits.
 * An unsupported family is returned as is: the server answers 440, not 400. */
int stun_attr_address_family(const struct stun_attr *a, uint8_t *family)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len != 4)
		return STUN_E_ATTR_VALUE;
	*family = a->value[0];
	return 0;
}

int stun_attr_reservation_token(const struct stun_attr *a, uint8_t token[8])
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len != 8)
		return STUN_E_ATTR_VALUE;
	memcpy(token, a->value, 8);
	return 0;
}

int stun_attr_userhash(const struct stun_attr *a, const uint8_t **hash)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len != STUN_USERHASH_LEN)
		return STUN_E_ATTR_VALUE;
	*hash = a->value;
	return 0;
}

/* ICMP (RFC 8656 §18.13): 16 reserved bits, type (7 bits), code (9 bits), error data. */
int stun_attr_icmp(const struct stun_attr *a, uint8_t *type, uint16_t *code, uint32_t *data)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len != 8)
		return STUN_E_ATTR_VALUE;
	*type = a->value[2] >> 1;
	*code = (uint16_t)(((a->value[2] & 1) << 8) | a->value[3]);
	*data = rd32(a->value + 4);
	return 0;
}

/* PASSWORD-ALGORITHM (RFC 8489 §14.12): algorithm, parameters length, parameters. */
int stun_attr_password_algorithm(const struct stun_attr *a, uint16_t *alg)
{
	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (a->len < 4 || 4u + rd16(a->value + 2) > a->len)
		return STUN_E_ATTR_VALUE;
	*alg = rd16(a->value);
	return 0;
}

/* PASSWORD-ALGORITHMS (RFC 8489 §14.11): a list of the entries above, each padded to 4. */
int stun_attr_password_algorithms_next(const struct stun_attr *a, size_t *pos, uint16_t *alg)
{
	size_t plen;

	if (a == NULL)
		return STUN_E_NOT_FOUND;
	if (*pos >= a->len)
		return 0;
	if (a->len - *pos < 4)
		return STUN_E_ATTR_VALUE;
	plen = rd16(a->value + *pos + 2);
	if (plen > a->len - *pos - 4)
		return STUN_E_ATTR_VALUE;
	*alg = rd16(a->value + *pos);
	*pos += 4 + ((plen + 3) & ~(size_t)3);
	if (*pos > a->len)
		*pos = a->len;
	return 1;
}
