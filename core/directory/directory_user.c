/* directory_user.c: users and their secrets. Digest HA1 values are computed here, once,
 * when a password is set; the password itself is dropped. Nothing here talks SIP: the
 * REGISTER handler asks for a user and compares digests. */
#include "directory_private.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <crossbar/random.h>
#include <string.h>

void xb_dir_user_free(DirUser *u)
{
	if (!u)
		return;
	g_free(u->ext);
	g_free(u->name);
	g_free(u->realm);
	g_free(u->ha1_md5);
	g_free(u->ha1_sha256);
	g_free(u->pin_hash);
	g_free(u->pin_salt);
	g_free(u->context);
	g_free(u->caller_id);
	g_free(u->email);
	g_free(u->turn_key);
	g_free(u->turn_realm);
	g_free(u->source);
	g_free(u);
}

DirUser *dir_user_new(const char *ext, const char *source)
{
	DirUser *u = g_new0(DirUser, 1);

	u->ext = g_strdup(ext);
	u->name = g_strdup("");
	u->context = g_strdup("default");
	u->caller_id = g_strdup("");
	u->email = g_strdup("");
	u->source = g_strdup(source);
	u->max_contacts = (int)xb_config_get_int("directory.default_max_contacts");
	dir_user_set_pin(u, NULL);
	dir_user_set_turn_password(u, "", NULL);
	return u;
}

char *dir_hash_hex(const char *algorithm, const char *text)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const EVP_MD *type = strcmp(algorithm, "MD5") == 0 ? EVP_md5() : EVP_sha256();
	GString *hex = g_string_sized_new(64);

	EVP_Digest(text, strlen(text), md, &len, type, NULL);
	for (unsigned int i = 0; i < len; i++)
		g_string_append_printf(hex, "%02x", md[i]);
	return g_string_free(hex, FALSE);
}

void dir_user_set_password(DirUser *u, const char *realm, const char *password)
{
	g_autofree char *a1 = g_strdup_printf("%s:%s:%s", u->ext, realm, password);

	g_free(u->realm);
	u->realm = g_strdup(realm);
	g_free(u->ha1_md5);
	u->ha1_md5 = dir_hash_hex("MD5", a1);
	g_free(u->ha1_sha256);
	u->ha1_sha256 = dir_hash_hex("SHA256", a1);
	OPENSSL_cleanse(a1, strlen(a1));
}

void dir_user_set_pin(DirUser *u, const char *pin)
{
	g_free(u->pin_salt);
	g_free(u->pin_hash);
	if (!pin || !*pin) {
		u->pin_salt = g_strdup("");
		u->pin_hash = g_strdup("");
		return;
	}
	u->pin_salt = xb_random_hex_new(16); /* 8 octets */
	g_autofree char *salted = g_strconcat(u->pin_salt, pin, NULL);
	u->pin_hash = dir_hash_hex("SHA256", salted);
}

gboolean xb_directory_check_pin(const DirUser *u, const char *pin)
{
	if (!u || !u->pin_hash || !*u->pin_hash || !pin)
		return FALSE;
	g_autofree char *salted = g_strconcat(u->pin_salt, pin, NULL);
	g_autofree char *hash = dir_hash_hex("SHA256", salted);
	return strlen(hash) == strlen(u->pin_hash) &&
	       CRYPTO_memcmp(hash, u->pin_hash, strlen(hash)) == 0;
}

void dir_user_set_turn_password(DirUser *u, const char *turn_realm, const char *password)
{
	g_free(u->turn_key);
	g_free(u->turn_realm);
	if (!password || !*password) {
		u->turn_key = g_strdup("");
		u->turn_realm = g_strdup("");
		return;
	}
	g_autofree char *a1 = g_strdup_printf("%s:%s:%s", u->ext, turn_realm, password);
	u->turn_key = dir_hash_hex("MD5", a1);
	u->turn_realm = g_strdup(turn_realm);
	OPENSSL_cleanse(a1, strlen(a1));
}

gboolean dir_ext_valid(const char *ext)
{
	if (!ext || !*ext || strlen(ext) > 64)
		return FALSE;
	for (const char *p = ext; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("_.+-", *p))
			return FALSE;
	return TRUE;
}

char *dir_password_random(guint len)
{
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char *out = g_malloc(len + 1);
	unsigned char r;

	for (guint i = 0; i < len;) {
		xb_random_bytes(&r, 1);
		if (r >= 256 - 256 % (sizeof(alphabet) - 1))
			continue; /* no modulo bias */
		out[i++] = alphabet[r % (sizeof(alphabet) - 1)];
	}
	out[len] = 0;
	return out;
}
