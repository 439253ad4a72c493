/* mod_registrar.c: the directory of users and (as mod_sip's UA core lands) the registrar
 * and location service. This file holds the module's life cycle, its settings, the seeding
 * of users from <directory> and the demo users of a first start, and publishes the
 * directory's API table. The `user` commands are in directory_cli.c. */
#include "directory.h"
#include "gateway.h"
#include "register.h"
#include "registrar.h"

#include <string.h>

static const XbSettingDef settings[] = {
    {"realm", XB_SETTING_STRING, "",
     "digest realm of the directory (default: sip.domain, else the host name)"},
    {"demo_users", XB_SETTING_BOOL, "yes",
     "create users 1000-1004 with random passwords when the directory starts empty"},
    {"default_max_contacts", XB_SETTING_INT, "3", "contacts a user may register at once", 1, 100},
    {"min_expires", XB_SETTING_INT, "60", "shortest registration accepted (s); shorter: 423", 1,
     86400},
    {"max_expires", XB_SETTING_INT, "3600", "longest registration granted (s)", 1, 604800},
    {"default_expires", XB_SETTING_INT, "3600", "registration time when none is asked (s)", 1,
     604800},
    {"nonce_ttl", XB_SETTING_INT, "300", "seconds a digest nonce stays fresh", 1, 86400},
    {"write_interval_ms", XB_SETTING_INT, "20",
     "bindings written within this many ms share one database commit; a crash loses at "
     "most this window (0: each REGISTER commits before its 200)",
     0, 60000},
    /* The core's shared limiter (crossbar/authlimit.h) runs on these three: failures
     * through every module that checks a password (REGISTER, TURN) add up. */
    {"ban_failures", XB_SETTING_INT, "10",
     "failed authentications from one address (IPv6: one /64), through any module, that "
     "start a ban (0: never)",
     0, 100000},
    {"ban_window", XB_SETTING_INT, "60", "seconds in which those failures count", 1, 86400},
    {"ban_time", XB_SETTING_INT, "600", "seconds a banned address is refused", 1, 604800},
    {"digest_algorithms", XB_SETTING_ENUM, "MD5,SHA-256",
     "digest challenges, in the order offered; many phones (and baresip 1.0, SIPp 3.6) fail "
     "on a first challenge they cannot compute, so MD5 leads by default",
     0, 0, "MD5,SHA-256|SHA-256,MD5|SHA-256|MD5"},
    XB_SETTINGS_END,
};

static const char *const elements[] = {"directory", "gateways", NULL};

static Gateways *the_gateway_set; /* carrier trunks (gateway.c) */

static Registrar *the_registrar; /* for the API table's plain functions */

const char *registrar_realm(Registrar *reg)
{
	return reg->realm;
}

static char *realm_from_config(void)
{
	const char *r = xb_config_get_string("registrar.realm");

	if (*r)
		return g_strdup(r);
	if (xb_config_has("sip.domain") && *xb_config_get_string("sip.domain"))
		return g_strdup(xb_config_get_string("sip.domain"));
	return g_strdup(g_get_host_name());
}

static const char *attr(xmlNode *node, const char *name, char **hold)
{
	g_free(*hold);
	*hold = (char *)xmlGetProp(node, BAD_CAST name);
	return *hold;
}

/* Users of <directory> are put into the store with source "config"; users that an earlier
 * file put there and this one no longer lists are removed. Users made with crossbar-cli are
 * left alone unless the file names them, in which case the file wins. */
static gboolean seed_from_config(Registrar *reg, GError **error)
{
	const xmlNode *dir = xb_config_get_node("directory");
	g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (const xmlNode *n = dir ? dir->children : NULL; n; n = n->next) {
		g_autofree char *hold = NULL;
		g_autoptr(GError) err = NULL;
		xmlNode *node = (xmlNode *)n;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		g_autofree char *ext = (char *)xmlGetProp(node, BAD_CAST "id");
		DirUser *old = reg->store->get(reg->store, ext, &err);
		if (err) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_autoptr(XbDirUser) u = old ? old : g_new0(DirUser, 1);
		if (!old) {
			u->ext = g_strdup(ext);
			u->context = g_strdup("default");
			u->max_contacts = (int)xb_config_get_int("registrar.default_max_contacts");
			dir_user_set_pin(u, NULL);
			dir_user_set_turn_password(u, "", NULL);
		}
		const char *password = attr(node, "password", &hold);
		if (password && *password) {
			dir_user_set_password(u, reg->realm, password);
		} else if (!old) {
			g_warning("directory: user %s (line %ld) has no password; not added", ext,
			          xmlGetLineNo(node));
			continue;
		}
#define COPY_ATTR(field, name)                                                                     \
	if (attr(node, name, &hold)) {                                                             \
		g_free(u->field);                                                                  \
		u->field = g_strdup(hold);                                                         \
	}
		COPY_ATTR(name, "name");
		COPY_ATTR(context, "context");
		COPY_ATTR(caller_id, "caller_id");
		COPY_ATTR(email, "email");
#undef COPY_ATTR
		if (attr(node, "pin", &hold))
			dir_user_set_pin(u, hold);
		if (attr(node, "max_contacts", &hold))
			u->max_contacts = (int)g_ascii_strtoll(hold, NULL, 10);
		if (attr(node, "turn_password", &hold))
			dir_user_set_turn_password(u, registrar_turn_realm(), hold);
		g_free(u->source);
		u->source = g_strdup("config");
		if (!reg->store->put(reg->store, u, error))
			return FALSE;
		g_hash_table_add(listed, g_strdup(ext));
	}

	g_autoptr(GPtrArray) all = reg->store->list(reg->store, error);
	if (!all)
		return FALSE;
	for (guint i = 0; i < all->len; i++) {
		DirUser *u = all->pdata[i];
		if (strcmp(u->source, "config") == 0 && !g_hash_table_contains(listed, u->ext)) {
			if (!reg->store->del(reg->store, u->ext, NULL, error))
				return FALSE;
			g_message("directory: user %s removed (no longer in <directory>)", u->ext);
		}
	}
	return TRUE;
}

/* A first start with an empty directory gets a few users to try the PBX with. Their
 * passwords are random and shown once, here; only their digests are kept. */
static gboolean seed_demo_users(Registrar *reg, GError **error)
{
	g_autoptr(GPtrArray) all = reg->store->list(reg->store, error);

	if (!all)
		return FALSE;
	if (all->len > 0 || xb_config_get_node("directory") ||
	    !xb_config_get_bool("registrar.demo_users"))
		return TRUE;
	for (int i = 0; i < 5; i++) {
		g_autoptr(XbDirUser) u = g_new0(DirUser, 1);
		g_autofree char *password = dir_password_random(12);
		g_autofree char *pin = g_strdup_printf("%04u", g_random_int_range(0, 10000));

		u->ext = g_strdup_printf("%d", 1000 + i);
		u->name = g_strdup_printf("Demo %d", 1000 + i);
		u->context = g_strdup("default");
		u->caller_id = g_strdup(u->ext);
		u->email = g_strdup("");
		u->source = g_strdup("cli");
		u->max_contacts = (int)xb_config_get_int("registrar.default_max_contacts");
		dir_user_set_password(u, reg->realm, password);
		dir_user_set_pin(u, pin);
		dir_user_set_turn_password(u, "", NULL);
		if (!reg->store->put(reg->store, u, error))
			return FALSE;
		g_message("demo user %s: password %s, voicemail PIN %s (shown once)", u->ext,
		          password, pin);
	}
	g_message("demo users created for realm '%s'; manage them with crossbar-cli user ...",
	          reg->realm);
	return TRUE;
}

static void warn_realm_mismatch(Registrar *reg)
{
	g_autoptr(GPtrArray) all = reg->store->list(reg->store, NULL);

	for (guint i = 0; all && i < all->len; i++) {
		DirUser *u = all->pdata[i];
		if (strcmp(u->realm, reg->realm) != 0)
			g_warning(
			    "directory: user %s's digest is for realm '%s', not '%s': set its "
			    "password again",
			    u->ext, u->realm, reg->realm);
	}
}

static void read_config(Registrar *reg, AuthConfig *acfg)
{
	reg->cfg.min_expires = (guint32)xb_config_get_int("registrar.min_expires");
	reg->cfg.max_expires = (guint32)xb_config_get_int("registrar.max_expires");
	reg->cfg.default_expires = (guint32)xb_config_get_int("registrar.default_expires");
	acfg->nonce_ttl_s = xb_config_get_int("registrar.nonce_ttl");
	XbAuthLimitConfig limit = {
	    .failures = (guint)xb_config_get_int("registrar.ban_failures"),
	    .window_s = xb_config_get_int("registrar.ban_window"),
	    .ban_s = xb_config_get_int("registrar.ban_time"),
	};
	xb_authlimit_configure(&limit);
	const char *algs = xb_config_get_string("registrar.digest_algorithms");
	acfg->offer_md5 = strstr(algs, "MD5") != NULL;
	acfg->offer_sha256 = strstr(algs, "SHA-256") != NULL;
	acfg->md5_first = g_str_has_prefix(algs, "MD5");
}

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	Registrar *reg = user_data;
	g_autoptr(GError) error = NULL;
	AuthConfig acfg;

	read_config(reg, &acfg);
	auth_configure(reg->auth, &acfg);
	location_set_write_interval(reg->location,
	                            (guint)xb_config_get_int("registrar.write_interval_ms"));

	g_free(reg->realm);
	reg->realm = realm_from_config();
	if (!seed_from_config(reg, &error))
		g_warning("directory: reseeding from the configuration failed: %s", error->message);
}

/* ---- the API table ---- */

static XbDirUser *api_lookup(const char *ext)
{
	return the_registrar ? the_registrar->store->get(the_registrar->store, ext, NULL) : NULL;
}

static const char *api_realm(void)
{
	return the_registrar ? the_registrar->realm : "";
}

static void contact_free(gpointer data)
{
	XbContact *c = data;

	g_free(c->contact);
	g_free(c->path);
	g_free(c->source);
	g_free(c);
}

static GPtrArray *api_locate(const char *ext)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(contact_free);
	g_autoptr(GPtrArray) all =
	    the_registrar ? location_bindings(the_registrar->location, ext, NULL) : NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	for (guint i = 0; all && i < all->len; i++) {
		Binding *b = all->pdata[i];
		XbContact *c = g_new0(XbContact, 1);
		c->contact = g_strdup(b->contact);
		c->path = g_strdup(b->path);
		c->source = g_strdup(b->source);
		c->conn_id = b->conn_id;
		c->expires_in = MAX(b->expires_at - now, 0);
		c->q = b->q;
		g_ptr_array_add(out, c);
	}
	return out;
}

static const XbLocationApi location_api = {
    .version = XB_LOCATION_API_VERSION,
    .lookup = api_locate,
};

static const XbDirectoryApi directory_api = {
    .version = XB_DIRECTORY_API_VERSION,
    .lookup = api_lookup,
    .free_user = dir_user_free,
    .realm = api_realm,
    .check_pin = dir_user_check_pin,
};

const char *registrar_turn_realm(void)
{
	/* mod_turn's default (empty) follows the directory's realm, as here without mod_turn */
	if (xb_config_has("turn.realm") && *xb_config_get_string("turn.realm"))
		return xb_config_get_string("turn.realm");
	return api_realm();
}

static void registrar_free(Registrar *reg)
{
	if (reg->store)
		reg->store->free(reg->store);
	location_free(reg->location);
	auth_free(reg->auth);
	g_clear_pointer(&reg->current_user, dir_user_free);
	g_free(reg->realm);
	g_free(reg);
}

static gboolean registrar_load(XbModule *self, GError **error)
{
	Registrar *reg = g_new0(Registrar, 1);
	AuthConfig acfg;

	reg->module = self;
	reg->realm = realm_from_config();
	reg->sip = xb_api_get(SIP_API_NAME);
	if (!reg->sip || reg->sip->version != SIP_API_VERSION) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_NOT_LOADED,
		            "mod_sip's API (version %d) is missing", SIP_API_VERSION);
		registrar_free(reg);
		return FALSE;
	}
	read_config(reg, &acfg);
	reg->auth = auth_new(&acfg);
	reg->store = dir_store_sqlite_new(xb_core_db(), error);
	if (!reg->store || !seed_from_config(reg, error) || !seed_demo_users(reg, error)) {
		registrar_free(reg);
		return FALSE;
	}
	reg->location = location_new(self, xb_core_db(), error);
	if (!reg->location) {
		registrar_free(reg);
		return FALSE;
	}
	location_set_write_interval(reg->location,
	                            (guint)xb_config_get_int("registrar.write_interval_ms"));
	/* Carrier trunks: register to them as a UAC (gateway.c). */
	the_gateway_set = gateways_new(self, reg->sip, error);
	if (!the_gateway_set) {
		registrar_free(reg);
		return FALSE;
	}
	if (!reg->sip->method_register(self, "REGISTER", registrar_register_cb, reg)) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_NOT_LOADED,
		            "another module already handles REGISTER");
		g_clear_pointer(&the_gateway_set, gateways_free);
		registrar_free(reg);
		return FALSE;
	}
	warn_realm_mismatch(reg);
	the_registrar = reg;
	xb_module_set_data(self, reg);
	directory_cli_register(reg);
	location_cli_register(reg);
	xb_event_subscribe(self, XB_EVENT_CONFIG_RELOADED, reloaded_cb, reg);
	xb_api_publish(self, XB_DIRECTORY_API, &directory_api);
	xb_api_publish(self, XB_LOCATION_API, &location_api);
	gateway_cli_register(self, the_gateway_set);
	return TRUE;
}

static void registrar_unload(XbModule *self)
{
	/* Trunks first: their unregistrations go out while mod_sip is still there. */
	g_clear_pointer(&the_gateway_set, gateways_free);
	the_registrar = NULL;
	registrar_free(xb_module_get_data(self));
}

static const char *const requires[] = {"sip", NULL};

/* --check-config and start-up: the <gateways> section parses (file, line, gateway and
 * parameter in the error). */
static gboolean registrar_validate(GError **error)
{
	g_autoptr(GPtrArray) defs = gateway_defs_from_config(error);

	return defs != NULL;
}

XB_MODULE_DEFINE(.name = "registrar", .version = XB_VERSION_STRING,
                 .description = "directory of users, registrar and location service",
                 .requires = requires, .settings = settings, .elements = elements,
                 .load = registrar_load, .unload = registrar_unload,
                 .validate = registrar_validate);
