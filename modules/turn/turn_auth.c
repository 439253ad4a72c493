/* turn_auth.c: the long-term credential mechanism for TURN requests (RFC 8489 §9.2.4,
 * RFC 8656 §5): stateless nonces that expire with 438, passwords from turn.users, keys from
 * the core's directory of users, or coturn's use-auth-secret scheme. It keeps no state
 * per client, so a flood of unauthenticated requests costs no memory. Known limits: keys
 * are MD5 (PASSWORD-ALGORITHM SHA-256 and USERHASH, RFC 8489 §9.2.1, are not offered). */
#include "turn_private.h"

#include <string.h>

/* The long-term key of a directory user (crossbar/directory.h). The directory keeps no
 * password, only H(user:realm:password): with MD5 that is exactly the TURN long-term key
 * (RFC 8489 §9.2.2) when the realms agree. A separate TURN password (user set --turn-password)
 * wins; else the SIP digest serves when turn.realm equals the directory's realm. */
static gboolean directory_key(const TurnConfig *cfg, const char *username, uint8_t key[16])
{
	g_autoptr(XbDirUser) u = xb_directory_lookup(username);
	const char *hex = NULL;
	gboolean ok = FALSE;

	if (!u)
		return FALSE;
	if (*u->turn_key && strcmp(u->turn_realm, turn_realm(cfg)) == 0)
		hex = u->turn_key;
	else if (strcmp(u->realm, turn_realm(cfg)) == 0)
		hex = u->ha1_md5;
	if (hex && strlen(hex) == 32) {
		ok = TRUE;
		for (int i = 0; i < 16 && ok; i++) {
			int hi = g_ascii_xdigit_value(hex[2 * i]),
			    lo = g_ascii_xdigit_value(hex[2 * i + 1]);
			ok = hi >= 0 && lo >= 0;
			key[i] = (uint8_t)(hi << 4 | lo);
		}
	}
	return ok;
}

/* "expiry" or "expiry:user" with expiry in decimal UNIX seconds. */
static gboolean looks_ephemeral(const char *username)
{
	const char *p = username;

	if (!g_ascii_isdigit(*p))
		return FALSE;
	while (g_ascii_isdigit(*p))
		p++;
	return *p == '\0' || *p == ':';
}

char *turn_auth_password(const TurnConfig *cfg, const char *username, gint64 unix_now,
                         gboolean *expired)
{
	const char *pw = cfg->users ? g_hash_table_lookup(cfg->users, username) : NULL;
	char eph[STUN_EPHEMERAL_PASSWORD_LEN + 1];
	int err;

	*expired = FALSE;
	if (pw)
		return g_strdup(pw);
	if (!cfg->secret || !looks_ephemeral(username))
		return NULL;
	err = stun_cred_ephemeral_password(cfg->secret, strlen(cfg->secret), username,
	                                   strlen(username), unix_now, eph);
	if (err == STUN_E_EXPIRED)
		*expired = TRUE;
	return err == 0 ? g_strdup(eph) : NULL;
}

static int get_string(const struct stun_msg *msg, uint16_t type, const char **s, size_t *len)
{
	const struct stun_attr *a = stun_attr_get(msg, type);

	if (!a)
		return STUN_E_NOT_FOUND;
	return stun_attr_string(a, s, len);
}

int turn_auth_check(const TurnConfig *cfg, const uint8_t *nonce_key, size_t nonce_key_len,
                    const struct stun_msg *msg, const struct stun_addr *client, gint64 now_s,
                    TurnAuth *auth)
{
	const char *user, *realm, *nonce;
	size_t user_len, realm_len, nonce_len;
	g_autofree char *password = NULL;
	gboolean expired = FALSE;
	int key_len;

	memset(auth, 0, sizeof(*auth));
	/* §9.2.4 step 1: no integrity at all → 401 with REALM and NONCE. */
	if (msg->mi < 0 && msg->mi256 < 0)
		return 401;
	/* step 2: integrity without USERNAME, REALM or NONCE → 400. */
	if (get_string(msg, STUN_ATTR_USERNAME, &user, &user_len) != 0 ||
	    get_string(msg, STUN_ATTR_REALM, &realm, &realm_len) != 0 ||
	    get_string(msg, STUN_ATTR_NONCE, &nonce, &nonce_len) != 0)
		return 400;
	if (user_len >= sizeof(auth->username) || memchr(user, '\0', user_len))
		return 400;
	/* step 3: a nonce that is not ours, or too old → 438 with a fresh one. */
	if (stun_nonce_check(nonce_key, nonce_key_len, nonce, nonce_len, now_s, cfg->nonce_lifetime,
	                     client) != 0)
		return 438;
	/* step 4: unknown user → 401; an expired time-limited user name is unknown. */
	memcpy(auth->username, user, user_len);
	auth->username[user_len] = '\0';
	/* The realm the key is made of is ours; a client that sent another one fails. */
	if (realm_len != strlen(turn_realm(cfg)) || memcmp(realm, turn_realm(cfg), realm_len) != 0)
		return 401;
	password = turn_auth_password(cfg, auth->username, xb_clock_wall_s(), &expired);
	if (!password && directory_key(cfg, auth->username, auth->key)) {
		auth->key_len = 16;
		auth->sha256 = msg->mi256 >= 0;
		return stun_msg_check_integrity(msg, auth->key, auth->key_len) == 0 ? 0 : 401;
	}
	if (!password) {
		if (expired)
			g_info("user '%s': time-limited credential has expired", auth->username);
		return 401;
	}
	/* The realm the key is made of is ours; a client that sent another one fails below. */
	if (realm_len != strlen(turn_realm(cfg)) || memcmp(realm, turn_realm(cfg), realm_len) != 0)
		return 401;
	key_len = stun_key_long_term(STUN_PWALG_MD5, auth->username, turn_realm(cfg), password,
	                             auth->key);
	if (key_len < 0)
		return 401;
	auth->key_len = (size_t)key_len;
	auth->sha256 = msg->mi256 >= 0;
	/* step 5: the HMAC. */
	if (stun_msg_check_integrity(msg, auth->key, auth->key_len) != 0)
		return 401;
	return 0;
}
