/* STUN integrity (RFC 8489 §9, §14.5, §14.6): long-term keys, USERHASH, and checking
 * MESSAGE-INTEGRITY(-SHA256) over a received message without copying it. Keys are the
 * caller's; nothing here remembers a credential, and every comparison is constant-time. */
#include <crossbar/stun.h>

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

static EVP_MAC *mac;

static EVP_MAC *hmac_fetch(void)
{
	EVP_MAC *m = g_atomic_pointer_get(&mac);

	/* Fetching is costly in OpenSSL 3; the fetched EVP_MAC is immutable and may be shared
	 * between threads, so it is fetched once and kept until stun_auth_shutdown (after
	 * which the next use fetches it again). Two threads racing here keep the first. */
	if (m)
		return m;
	m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (m && !g_atomic_pointer_compare_and_exchange(&mac, NULL, m)) {
		EVP_MAC_free(m);
		m = g_atomic_pointer_get(&mac);
	}
	return m;
}

void stun_auth_shutdown(void)
{
	/* The daemon is stopping: every user (mod_turn, the media workers) is gone. */
	EVP_MAC_free(g_atomic_pointer_exchange(&mac, NULL));
}

/* HMAC over the concatenation of parts, truncated to out_len (which must not exceed the
 * digest size). digest is an OpenSSL name: "SHA1" or "SHA256". */
int stun_hmac(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *const *parts,
              const size_t *part_lens, size_t n_parts, uint8_t *out, size_t out_len)
{
	static const uint8_t empty_key[1];
	uint8_t full[EVP_MAX_MD_SIZE];
	EVP_MAC *mac = hmac_fetch();
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t full_len = 0;
	int err = STUN_E_CRYPTO;

	if (mac == NULL)
		return STUN_E_CRYPTO;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* A NULL key means "keep the previous one" to OpenSSL: an empty key needs a pointer. */
	if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params))
		goto out;
	for (size_t i = 0; i < n_parts; i++)
		if (part_lens[i] && !EVP_MAC_update(ctx, parts[i], part_lens[i]))
			goto out;
	if (!EVP_MAC_final(ctx, full, &full_len, sizeof(full)) || full_len < out_len)
		goto out;
	memcpy(out, full, out_len);
	err = 0;
out:
	OPENSSL_cleanse(full, sizeof(full));
	EVP_MAC_CTX_free(ctx);
	return err;
}

static int digest_parts(const EVP_MD *md, const char *const *parts, size_t n, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int err = STUN_E_CRYPTO;

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, md, NULL))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])))
			goto out;
	if (!EVP_DigestFinal_ex(ctx, out, &len))
		goto out;
	err = (int)len;
out:
	EVP_MD_CTX_free(ctx);
	return err;
}

int stun_key_long_term(enum stun_password_alg alg, const char *username, const char *realm,
                       const char *password, uint8_t key[STUN_KEY_MAX])
{
	const char *parts[] = {username, ":", realm, ":", password};

	g_return_val_if_fail(username && realm && password && key, STUN_E_INVALID);
	switch (alg) {
	case STUN_PWALG_MD5:
		return digest_parts(EVP_md5(), parts, G_N_ELEMENTS(parts), key);
	case STUN_PWALG_SHA256:
		return digest_parts(EVP_sha256(), parts, G_N_ELEMENTS(parts), key);
	}
	return STUN_E_INVALID;
}

int stun_userhash(const char *username, const char *realm, uint8_t out[STUN_USERHASH_LEN])
{
	const char *parts[] = {username, ":", realm};
	int n;

	g_return_val_if_fail(username && realm && out, STUN_E_INVALID);
	n = digest_parts(EVP_sha256(), parts, G_N_ELEMENTS(parts), out);
	return n < 0 ? n : 0;
}

/* RFC 8489 §14.5: the HMAC covers the message up to the integrity attribute, with the
 * header's length field counting up to and including that attribute (so any later
 * FINGERPRINT is excluded). The received buffer stays untouched: the header is hashed in
 * three pieces with a rewritten length in the middle. */
static int check_one(const struct stun_msg *msg, const struct stun_attr *a, const char *digest,
                     const uint8_t *key, size_t key_len)
{
	uint8_t mac[STUN_MI_SHA256_LEN];
	size_t covered = a->offset + 4u + a->len - STUN_HEADER_LEN;
	uint8_t len_field[2] = {(uint8_t)(covered >> 8), (uint8_t)covered};
	const uint8_t *parts[] = {msg->buf, len_field, msg->buf + 4};
	size_t lens[] = {2, 2, a->offset - 4u};
	int err;

	err = stun_hmac(digest, key, key_len, parts, lens, 3, mac, a->len);
	if (err)
		return err;
	return CRYPTO_memcmp(mac, a->value, a->len) == 0 ? 0 : STUN_E_INTEGRITY;
}

int stun_msg_check_integrity(const struct stun_msg *msg, const uint8_t *key, size_t key_len)
{
	g_return_val_if_fail(msg != NULL, STUN_E_INVALID);
	if (msg->buf == NULL)
		return STUN_E_NO_INTEGRITY;
	if (key == NULL && key_len)
		return STUN_E_INVALID;
	/* RFC 8489 §9.1.4/§9.2.4: with both present, the SHA-256 one is the one checked. */
	if (msg->mi256 >= 0)
		return check_one(msg, &msg->attrs[msg->mi256], "SHA256", key, key_len);
	if (msg->mi >= 0)
		return check_one(msg, &msg->attrs[msg->mi], "SHA1", key, key_len);
	return STUN_E_NO_INTEGRITY;
}
