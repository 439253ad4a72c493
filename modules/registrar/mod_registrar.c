/* mod_registrar.c: the registrar (REGISTER, register.c) and the location service
 * (location.c). This file holds the module's life cycle and its settings, and publishes the
 * location service's API table. The users it authenticates are the core's directory
 * (crossbar/directory.h); it keeps none of its own. */
#include "register.h"
#include "registrar.h"

#include <string.h>

static const XbSettingDef settings[] = {
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
    {"digest_algorithms", XB_SETTING_ENUM, "MD5,SHA-256",
     "digest challenges, in the order offered; many phones (and baresip 1.0, SIPp 3.6) fail "
     "on a first challenge they cannot compute, so MD5 leads by default",
     0, 0, "MD5,SHA-256|SHA-256,MD5|SHA-256|MD5"},
    XB_SETTINGS_END,
};

static Registrar *the_registrar; /* for the API table's plain functions */

static void read_config(Registrar *reg, SipDigestServerConfig *dcfg)
{
	reg->cfg.min_expires = (guint32)xb_config_get_int("registrar.min_expires");
	reg->cfg.max_expires = (guint32)xb_config_get_int("registrar.max_expires");
	reg->cfg.default_expires = (guint32)xb_config_get_int("registrar.default_expires");
	dcfg->nonce_ttl_s = xb_config_get_int("registrar.nonce_ttl");
	const char *algs = xb_config_get_string("registrar.digest_algorithms");
	dcfg->offer_md5 = strstr(algs, "MD5") != NULL;
	dcfg->offer_sha256 = strstr(algs, "SHA-256") != NULL;
	dcfg->md5_first = g_str_has_prefix(algs, "MD5");
}

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	Registrar *reg = user_data;
	SipDigestServerConfig dcfg = {0};

	read_config(reg, &dcfg);
	sip_digest_server_configure(reg->digest, &dcfg);
	location_set_write_interval(reg->location,
	                            (guint)xb_config_get_int("registrar.write_interval_ms"));
}

/* ---- the API table ---- */

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
	gint64 now = xb_clock_wall_s();

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

static void registrar_free(Registrar *reg)
{
	location_free(reg->location);
	sip_digest_server_free(reg->digest);
	g_clear_pointer(&reg->current_user, xb_dir_user_free);
	g_free(reg);
}

static gboolean registrar_load(XbModule *self, GError **error)
{
	Registrar *reg = g_new0(Registrar, 1);
	SipDigestServerConfig dcfg = {0};

	reg->module = self;
	reg->sip = xb_api_get(SIP_API_NAME);
	if (!reg->sip || reg->sip->version != SIP_API_VERSION) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DEPENDENCY,
		            "mod_sip's API (version %d) is missing", SIP_API_VERSION);
		registrar_free(reg);
		return FALSE;
	}
	read_config(reg, &dcfg);
	reg->digest = sip_digest_server_new(&dcfg);
	reg->location = location_new(self, xb_core_db(), error);
	if (!reg->location) {
		registrar_free(reg);
		return FALSE;
	}
	location_set_write_interval(reg->location,
	                            (guint)xb_config_get_int("registrar.write_interval_ms"));
	if (!reg->sip->method_register(self, "REGISTER", registrar_register_cb, reg)) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT,
		            "another module already handles REGISTER");
		registrar_free(reg);
		return FALSE;
	}
	the_registrar = reg;
	xb_module_set_data(self, reg);
	location_cli_register(reg);
	xb_event_subscribe(self, XB_EVENT_CONFIG_RELOADED, reloaded_cb, reg);
	xb_api_publish(self, XB_LOCATION_API, &location_api);
	return TRUE;
}

static void registrar_unload(XbModule *self)
{
	the_registrar = NULL;
	registrar_free(xb_module_get_data(self));
}

static const char *const requires[] = {"sip", NULL};

static const char *const command_names[] = {"registrations", NULL};

XB_MODULE_DEFINE(.name = "registrar", .version = XB_VERSION_STRING,
                 .description = "registrar and location service", .requires = requires,
                 .settings = settings, .commands = command_names, .load = registrar_load,
                 .unload = registrar_unload);
