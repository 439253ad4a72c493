/* turn_config.c: reads section "turn" into a TurnConfig and checks what the core's types
 * cannot (user:password pairs, CIDRs, lifetimes that contradict each other), with errors
 * that name the setting and the value. It must not touch sockets or allocations. */
#include "turn_private.h"

#include <string.h>

GQuark xb_turn_error_quark(void)
{
	return g_quark_from_static_string("xb-turn-error-quark");
}

static gboolean cidr_list(const char *key, GArray **out, GError **error)
{
	g_auto(GStrv) words = xb_config_get_list(key);

	*out = g_array_new(FALSE, TRUE, sizeof(TurnCidr));
	for (guint i = 0; words[i]; i++) {
		TurnCidr c;

		if (!turn_cidr_parse(words[i], &c)) {
			g_set_error(error, XB_TURN_ERROR, XB_TURN_ERROR_CONFIG,
			            "%s: '%s' is not an address or ADDRESS/PREFIX", key, words[i]);
			return FALSE;
		}
		g_array_append_val(*out, c);
	}
	return TRUE;
}

void turn_config_free(TurnConfig *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->realm);
	g_free(cfg->secret);
	if (cfg->users)
		g_hash_table_destroy(cfg->users);
	if (cfg->allowed)
		g_array_unref(cfg->allowed);
	if (cfg->denied)
		g_array_unref(cfg->denied);
	g_free(cfg);
}

TurnConfig *turn_config_read(GError **error)
{
	g_autoptr(TurnConfig) cfg = g_new0(TurnConfig, 1);
	g_auto(GStrv) users = xb_config_get_list("turn.users");
	const char *secret = xb_config_get_string("turn.static_auth_secret");
	gint64 lo, hi;

	cfg->realm = g_strdup(xb_config_get_string("turn.realm"));
	cfg->allow_loopback = xb_config_get_bool("turn.allow_loopback_peers");
	xb_config_get_range("turn.relay_ports", &lo, &hi);
	cfg->port_lo = (guint16)lo;
	cfg->port_hi = (guint16)hi;
	cfg->secret = secret && *secret ? g_strdup(secret) : NULL;
	cfg->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; users[i]; i++) {
		const char *colon = strchr(users[i], ':');

		if (!colon || colon == users[i] || !colon[1]) {
			g_set_error(error, XB_TURN_ERROR, XB_TURN_ERROR_CONFIG,
			            "turn.users: '%s' is not USER:PASSWORD", users[i]);
			return NULL;
		}
		g_hash_table_insert(cfg->users, g_strndup(users[i], (gsize)(colon - users[i])),
		                    g_strdup(colon + 1));
	}
	if (!cidr_list("turn.allowed_peers", &cfg->allowed, error) ||
	    !cidr_list("turn.denied_peers", &cfg->denied, error))
		return NULL;
	cfg->max_allocs = (guint)xb_config_get_int("turn.max_allocations");
	cfg->max_allocs_per_user = (guint)xb_config_get_int("turn.max_allocations_per_user");
	cfg->max_bps = (guint64)xb_config_get_int("turn.max_bps");
	cfg->default_lifetime = (guint)xb_config_get_int("turn.default_lifetime");
	cfg->max_lifetime = (guint)xb_config_get_int("turn.max_lifetime");
	cfg->nonce_lifetime = (guint)xb_config_get_int("turn.nonce_lifetime");
	cfg->rfc5766_channels = xb_config_get_bool("turn.rfc5766_channels");
	cfg->unauth_rate = (guint)xb_config_get_int("turn.unauth_rate");
	cfg->unauth_burst = (guint)xb_config_get_int("turn.unauth_burst");
	if (cfg->default_lifetime > cfg->max_lifetime) {
		g_set_error(error, XB_TURN_ERROR, XB_TURN_ERROR_CONFIG,
		            "turn.default_lifetime: %u is more than turn.max_lifetime (%u)",
		            cfg->default_lifetime, cfg->max_lifetime);
		return NULL;
	}
	return g_steal_pointer(&cfg);
}

/* An empty turn.realm follows the core directory's (read when needed: it may change on
 * reload), so that a directory user's SIP digest is its TURN key without any setting;
 * "crossbar" when the directory has none. */
const char *turn_realm(const TurnConfig *cfg)
{
	if (*cfg->realm)
		return cfg->realm;
	if (*xb_directory_realm())
		return xb_directory_realm();
	return "crossbar";
}
