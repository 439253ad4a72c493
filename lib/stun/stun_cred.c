/* Credentials a TURN server can check without storing anything: coturn-compatible
 * time-limited ("TURN REST API") passwords and self-validating nonces. Pure functions of a
 * secret, the clock value passed in and the client address; nothing is kept between calls. */
#include <crossbar/stun.h>

#include <string.h>

#include <openssl/crypto.h>

#define NONCE_TIME_HEX  16
#define NONCE_MAC_BYTES 12
/* Nonces from a node whose clock runs a little ahead are accepted. */
#define NONCE_SKEW 30

/* "expiry" or "expiry:user": expiry is the first field, decimal UNIX seconds. */
static int parse_expiry(const char *u, size_t len, gint64 *expiry)
{
	guint64 v = 0;
	size_t i;

	for (i = 0; i < len && u[i] != ':'; i++) {
		if (!g_ascii_isdigit(u[i]) || i >= 18)
			return STUN_E_MALFORMED;
		v = v * 10 + (guint64)(u[i] - '0');
	}
	if (i == 0)
		return STUN_E_MALFORMED;
	*expiry = (gint64)v;
	return 0;
}

int stun_cred_ephemeral_password(const char *secret, size_t secret_len, const char *username,
                                 size_t username_len, gint64 now,
                                 char out[STUN_EPHEMERAL_PASSWORD_LEN + 1])
{
	const uint8_t *parts[1] = {(const uint8_t *)username};
	size_t lens[1] = {username_len};
	uint8_t mac[20];
	char b64[40];
	gint64 expiry;
	gint state = 0, save = 0;
	gsize n;
	int err;

	g_return_val_if_fail(secret != NULL && out != NULL, STUN_E_INVALID);
	out[0] = '\0';
	if (username == NULL)
		return STUN_E_MALFORMED;
	err = parse_expiry(username, username_len, &expiry);
	if (err)
		return err;
	if (expiry < now)
		return STUN_E_EXPIRED;
	err = stun_hmac("SHA1", (const uint8_t *)secret, secret_len, parts, lens, 1, mac,
	                sizeof(mac));
	if (err)
		return err;
	n = g_base64_encode_step(mac, sizeof(mac), FALSE, b64, &state, &save);
	n += g_base64_encode_close(FALSE, b64 + n, &state, &save);
	OPENSSL_cleanse(mac, sizeof(mac));
	if (n != STUN_EPHEMERAL_PASSWORD_LEN)
		return STUN_E_CRYPTO;
	memcpy(out, b64, n);
	out[n] = '\0';
	return 0;
}

static int nonce_mac(const uint8_t *secret, size_t secret_len, guint64 t,
                     const struct stun_addr *client, uint8_t mac[NONCE_MAC_BYTES])
{
	uint8_t tbuf[8];
	const uint8_t *parts[3] = {tbuf, &client->family, client->ip};
	size_t lens[3] = {8, 1, client->family == STUN_FAMILY_IPV4 ? 4u : 16u};

	for (int i = 0; i < 8; i++)
		tbuf[i] = (uint8_t)(t >> (56 - 8 * i));
	return stun_hmac("SHA256", secret, secret_len, parts, lens, 3, mac, NONCE_MAC_BYTES);
}

static void hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

int stun_nonce_make(const uint8_t *secret, size_t secret_len, gint64 now,
                    const struct stun_addr *client, char out[STUN_NONCE_LEN + 1])
{
	uint8_t tbuf[8], mac[NONCE_MAC_BYTES];
	int err;

	g_return_val_if_fail(secret != NULL && client != NULL && out != NULL, STUN_E_INVALID);
	if (now < 0 || (client->family != STUN_FAMILY_IPV4 && client->family != STUN_FAMILY_IPV6))
		return STUN_E_INVALID;
	err = nonce_mac(secret, secret_len, (guint64)now, client, mac);
	if (err)
		return err;
	for (int i = 0; i < 8; i++)
		tbuf[i] = (uint8_t)((guint64)now >> (56 - 8 * i));
	hex(tbuf, 8, out);
	hex(mac, NONCE_MAC_BYTES, out + NONCE_TIME_HEX);
	out[STUN_NONCE_LEN] = '\0';
	return 0;
}

int stun_nonce_check(const uint8_t *secret, size_t secret_len, const char *nonce, size_t nonce_len,
                     gint64 now, gint64 lifetime, const struct stun_addr *client)
{
	uint8_t mac[NONCE_MAC_BYTES];
	char want[2 * NONCE_MAC_BYTES];
	guint64 t = 0;
	int err;

	g_return_val_if_fail(secret != NULL && client != NULL, STUN_E_INVALID);
	if (nonce == NULL || nonce_len != STUN_NONCE_LEN)
		return STUN_E_MALFORMED;
	if (client->family != STUN_FAMILY_IPV4 && client->family != STUN_FAMILY_IPV6)
		return STUN_E_INVALID;
	for (int i = 0; i < NONCE_TIME_HEX; i++) {
		int d = g_ascii_xdigit_value(nonce[i]);

		if (d < 0 || g_ascii_isupper(nonce[i]))
			return STUN_E_MALFORMED;
		t = (t << 4) | (guint64)d;
	}
	if (t > (guint64)G_MAXINT64)
		return STUN_E_MALFORMED;
	err = nonce_mac(secret, secret_len, t, client, mac);
	if (err)
		return err;
	hex(mac, NONCE_MAC_BYTES, want);
	if (CRYPTO_memcmp(want, nonce + NONCE_TIME_HEX, sizeof(want)) != 0)
		return STUN_E_MISMATCH;
	if ((gint64)t > now + NONCE_SKEW)
		return STUN_E_MISMATCH;
	if (now - (gint64)t > lifetime)
		return STUN_E_EXPIRED;
	return 0;
}
