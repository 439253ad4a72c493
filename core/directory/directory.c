/* directory.c: the directory as a core service: its settings (the "directory" section; the
 * registrar.* names for them are aliases in config.c), its life with the core (opened with the
 * database before any module loads, re-read on reload before modules hear of it, closed
 * after they unload) and the functions of crossbar/directory.h. It also configures the
 * shared authentication-failure limiter (authlimit.c), whose settings sit in the same
 * section. It knows nothing of SIP or TURN. */
#include "directory_private.h"

#include <string.h>

static const XbSettingDef settings[] = {
    {"realm", XB_SETTING_STRING, "",
     "digest realm of the directory (default: sip.domain, else the host name)"},
    {"demo_users", XB_SETTING_BOOL, "yes",
     "create users 1000-1004 with random passwords when the directory starts empty"},
    {"default_max_contacts", XB_SETTING_INT, "3", "contacts a user may register at once", 1, 100},
    /* The shared limiter (crossbar/authlimit.h): failures through every module that
     * checks a password (REGISTER, TURN) add up. */
    {"ban_failures", XB_SETTING_INT, "10",
     "failed authentications from one address (IPv6: one /64), through any module, that "
     "start a ban (0: never)",
     0, 100000},
    {"ban_window", XB_SETTING_INT, "60", "seconds in which those failures count", 1, 86400},
    {"ban_time", XB_SETTING_INT, "600", "seconds a banned address is refused", 1, 604800},
    XB_SETTINGS_END,
};

static const char *const elements[] = {"directory", NULL};

static DirStore *store;
static char *realm;

void xb_directory_declare(void)
{
	xb_config_declare_section("directory", NULL, settings, elements);
}

DirStore *dir_store(void)
{
	return store;
}

static char *realm_from_config(void)
{
	const char *r = xb_config_get_string("directory.realm");

	if (*r)
		return g_strdup(r);
	if (xb_config_has("sip.domain") && *xb_config_get_string("sip.domain"))
		return g_strdup(xb_config_get_string("sip.domain"));
	return g_strdup(g_get_host_name());
}

const char *xb_directory_realm(void)
{
	return realm ? realm : "";
}

const char *dir_turn_realm(void)
{
	if (xb_config_has("turn.realm") && *xb_config_get_string("turn.realm"))
		return xb_config_get_string("turn.realm");
	return xb_directory_realm();
}

/* Called per REGISTER and TURN request: a storage failure is not logged here, where a
 * flood of requests would repeat it. */
XbDirUser *xb_directory_lookup(const char *ext)
{
	return store && ext ? store->get(store, ext, NULL) : NULL;
}

gboolean xb_directory_set_pin(const char *ext, const char *pin, GError **error)
{
	g_autoptr(XbDirUser) u = NULL;
	gsize len = pin ? strlen(pin) : 0;

	if (len == 0 || len > XB_DIRECTORY_PIN_MAX || strspn(pin, "0123456789") != len) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL,
		            "a PIN is 1 to %d digits, and nothing else", XB_DIRECTORY_PIN_MAX);
		return FALSE;
	}
	if (!store) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_OPEN, "the directory is not started");
		return FALSE;
	}
	u = ext ? store->get(store, ext, error) : NULL;
	if (!u) {
		if (error && !*error)
			g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "no user %s",
			            ext ? ext : "");
		return FALSE;
	}
	dir_user_set_pin(u, pin);
	return store->put(store, u, error);
}

static void limiter_configure(void)
{
	XbAuthLimitConfig limit = {
	    .failures = (guint)xb_config_get_int("directory.ban_failures"),
	    .window_s = xb_config_get_int("directory.ban_window"),
	    .ban_s = xb_config_get_int("directory.ban_time"),
	};

	xb_authlimit_configure(&limit);
}

static void warn_realm_mismatch(void)
{
	g_autoptr(GPtrArray) all = store->list(store, NULL);

	for (guint i = 0; all && i < all->len; i++) {
		DirUser *u = all->pdata[i];
		if (strcmp(u->realm, realm) != 0)
			g_warning(
			    "directory: user %s's digest is for realm '%s', not '%s': set its "
			    "password again",
			    u->ext, u->realm, realm);
	}
}

gboolean xb_directory_start(XbDb *db, GError **error)
{
	limiter_configure();
	realm = realm_from_config();
	store = dir_store_sqlite_new(db, error);
	if (!store || !dir_features_migrate(db, error) ||
	    !dir_seed_from_config(store, realm, error) ||
	    !dir_seed_demo_users(store, realm, error)) {
		xb_directory_stop();
		return FALSE;
	}
	warn_realm_mismatch();
	dir_cli_register();
	dir_features_register();
	return TRUE;
}

void xb_directory_reload(void)
{
	g_autoptr(GError) error = NULL;

	limiter_configure();
	if (!store)
		return;
	g_free(realm);
	realm = realm_from_config();
	if (!dir_seed_from_config(store, realm, &error))
		g_warning("directory: reseeding from the configuration failed: %s", error->message);
}

void xb_directory_stop(void)
{
	if (store)
		store->free(store);
	store = NULL;
	g_clear_pointer(&realm, g_free);
}
