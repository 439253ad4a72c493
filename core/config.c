/* config.c: settings. Reads crossbar.xml, validates it against the shipped RelaxNG schema,
 * checks every value against the declaring section's table, applies --set overrides and
 * makes the result current in one swap. A bad file never replaces a good configuration, and
 * every error names where the value came from (file and line, or --set). */
#include "core_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

GQuark xb_config_error_quark(void)
{
	return g_quark_from_static_string("xb-config-error-quark");
}

typedef struct {
	char *name;
	char *owner; /* module name, NULL for the core */
	const XbSettingDef *defs;
	const char *const *elements;
} Section;

typedef struct {
	char *section;
	char *name;
	char *value;
	char *origin; /* "file.xml:12" or "--set" */
} Entry;

struct xb_config {
	char *file;
	xmlDoc *doc;
	GPtrArray *entries;  /* Entry *, file order then overrides */
	GHashTable *values;  /* "section.name" -> value, filled by validate */
	GPtrArray *elements; /* xmlNode * of free-form elements */
};

static GHashTable *sections; /* name -> Section * */
static XbConfig *current;

/* The core's own sections. Defaults that depend on the installation are filled in by
 * xb_config_init_core(), hence not const. */
static XbSettingDef core_defs[] = {
    {"data_dir", XB_SETTING_PATH, NULL,
     "folder for the SQLite database, recordings and the control socket"},
    {"control_socket", XB_SETTING_PATH, "",
     "control socket path (default: DATA_DIR/crossbar.sock)"},
    {"modules_dir", XB_SETTING_PATH, NULL,
     "folder the modules are loaded from; several separated by ':' are searched in order"},
    {"modules", XB_SETTING_LIST, "sip,registrar,cdr,voicemail,ivr",
     "modules to load, in any order"},
    {"optional_modules", XB_SETTING_LIST, "",
     "modules whose failure to load is logged instead of fatal"},
    {"log_level", XB_SETTING_ENUM, "notice", "least important level logged", 0, 0,
     "error|warning|notice|info|debug"},
    XB_SETTINGS_END,
};

static XbSettingDef dialplan_defs[] = {
    {"file", XB_SETTING_PATH, NULL, "the XML dialplan"},
    {"timezone", XB_SETTING_STRING, "",
     "time zone of the dialplan's time conditions (Europe/Berlin, UTC, +01:00; empty: local)"},
    XB_SETTINGS_END,
};

static XbSettingDef media_defs[] = {
    {"rtp_ports", XB_SETTING_RANGE, "20000-29999", "UDP ports for RTP and RTCP", 1024, 65535},
    {"workers", XB_SETTING_INT, "0", "media worker threads (0: one per core)", 0, 64},
    {"priority", XB_SETTING_ENUM, "normal",
     "the media workers' scheduling: normal, high (nice -10) or realtime (SCHED_RR 10, "
     "ahead of every ordinary thread); both need CAP_SYS_NICE, else normal",
     0, 0, "normal|high|realtime"},
    {"anchor", XB_SETTING_BOOL, "yes",
     "anchor calls' media through crossbar (no: descriptions pass unchanged, media end to "
     "end, as bypass_media=true does for one call)"},
    {"tone_country", XB_SETTING_ENUM, "eu",
     "call progress tones (ringback, busy ...) as heard in: eu (425 Hz), us, uk", 0, 0, "eu|us|uk"},
    {"ringback", XB_SETTING_BOOL, "yes",
     "a caller whose callee rings without early media gets 183 and crossbar's ringback tone "
     "(no: the 180 is relayed; the ringback variable decides for one call)"},
    {"hold_music", XB_SETTING_STRING, "hold",
     "played to a party on hold: a file, or a prompt of sounds_dir; empty for silence"},
    {"sounds_dir", XB_SETTING_PATH, NULL,
     "folder of the prompts; a file a plan names without a folder is looked for here"},
    {"recordings_dir", XB_SETTING_PATH, "",
     "folder of the recordings a plan names without a folder (default: DATA_DIR/recordings)"},
    {"rtp_timeout", XB_SETTING_INT, "60",
     "seconds without RTP from a far end that sends before its call is hung up (0: never)", 0,
     86400},
    {"ip", XB_SETTING_STRING, "",
     "address RTP is bound to and written into session descriptions (empty: every address, "
     "and the source address of the route to each far end)"},
    XB_SETTINGS_END,
};

/* Other names of settings: a value given under `alias` sets `key`, and getters answer for
 * either. The directory's settings are also accepted as registrar.*, as the README says. */
static const struct {
	const char *alias, *key;
} aliases[] = {
    {"registrar.realm", "directory.realm"},
    {"registrar.demo_users", "directory.demo_users"},
    {"registrar.default_max_contacts", "directory.default_max_contacts"},
    {"registrar.ban_failures", "directory.ban_failures"},
    {"registrar.ban_window", "directory.ban_window"},
    {"registrar.ban_time", "directory.ban_time"},
};

static const char *canonical(const char *key)
{
	for (guint i = 0; i < G_N_ELEMENTS(aliases); i++)
		if (strcmp(key, aliases[i].alias) == 0)
			return aliases[i].key;
	return key;
}

static void section_free(gpointer data)
{
	Section *s = data;

	g_free(s->name);
	g_free(s->owner);
	g_free(s);
}

static void entry_free(gpointer data)
{
	Entry *e = data;

	g_free(e->section);
	g_free(e->name);
	g_free(e->value);
	g_free(e->origin);
	g_free(e);
}

static void ensure_sections(void)
{
	if (!sections)
		sections = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, section_free);
}

void xb_config_declare_section(const char *section, const char *owner, const XbSettingDef *defs,
                               const char *const *elements)
{
	ensure_sections();
	Section *s = g_new0(Section, 1);
	s->name = g_strdup(section);
	s->owner = g_strdup(owner);
	s->defs = defs;
	s->elements = elements;
	g_hash_table_replace(sections, s->name, s);
}

void xb_config_forget_sections(const char *owner)
{
	GHashTableIter it;
	Section *s;

	if (!sections)
		return;
	g_hash_table_iter_init(&it, sections);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (g_strcmp0(s->owner, owner) == 0)
			g_hash_table_iter_remove(&it);
}

gboolean xb_core_running_uninstalled(void)
{
	static int uninstalled = -1;

	if (uninstalled < 0) {
		/* Both sides resolved: the build folder may be reached through a symlink. */
		g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
		g_autofree char *build = realpath(XB_BUILDDIR, NULL);
		g_autofree char *prefix = build ? g_strconcat(build, "/", NULL) : NULL;
		uninstalled = exe && prefix && g_str_has_prefix(exe, prefix);
	}
	return uninstalled;
}

void xb_config_init_core(void)
{
	const char *sounds_default;

	if (xb_core_running_uninstalled()) {
		core_defs[0].def = "./var";
		core_defs[2].def = XB_BUILDDIR "/modules";
		dialplan_defs[0].def = XB_SRCDIR "/dialplans/default.xml";
		sounds_default = XB_BUILDDIR "/sounds";
	} else {
		core_defs[0].def = XB_LOCALSTATEDIR "/lib/crossbar";
		core_defs[2].def = XB_MODULEDIR;
		dialplan_defs[0].def = XB_DATADIR "/dialplans/default.xml";
		sounds_default = XB_DATADIR "/sounds";
	}
	xb_config_declare_section("core", NULL, core_defs, NULL);
	xb_config_declare_section("dialplan", NULL, dialplan_defs, NULL);
	for (XbSettingDef *d = media_defs; d->name; d++)
		if (!strcmp(d->name, "sounds_dir"))
			d->def = sounds_default;
	xb_config_declare_section("media", NULL, media_defs, NULL);
	xb_directory_declare();
}

/* ---- values ---- */

gboolean xb_bool_parse(const char *text, gboolean *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(text, yes[i]) == 0) {
			*out = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(text, no[i]) == 0) {
			*out = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean int_parse(const char *text, gint64 min, gint64 max, gint64 *out, GError **error)
{
	char *end;
	gint64 v;

	errno = 0;
	v = g_ascii_strtoll(text, &end, 10);
	if (!*text || *end || errno) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "'%s' is not a whole number", text);
		return FALSE;
	}
	if ((min || max) && (v < min || v > max)) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT
		            "-%" G_GINT64_FORMAT ")",
		            v, min, max);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

static gboolean listen_one(const char *item, XbListenAddr *addr, GError **error)
{
	const char *colon = strchr(item, ':');
	const char *host, *host_end, *port;
	g_autofree char *transport = NULL;
	gint64 portnum;

	memset(addr, 0, sizeof(*addr));
	if (!colon) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "'%s' is not transport:address:port", item);
		return FALSE;
	}
	transport = g_ascii_strdown(item, colon - item);
	if (strcmp(transport, "udp") == 0)
		addr->transport = XB_TRANSPORT_UDP;
	else if (strcmp(transport, "tcp") == 0)
		addr->transport = XB_TRANSPORT_TCP;
	else if (strcmp(transport, "tls") == 0)
		addr->transport = XB_TRANSPORT_TLS;
	else {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "'%s': unknown transport '%s' (udp, tcp or tls)", item, transport);
		return FALSE;
	}
	host = colon + 1;
	if (*host == '[') {
		host++;
		host_end = strchr(host, ']');
		if (!host_end || host_end[1] != ':') {
			g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
			            "'%s': IPv6 address must be written [address]:port", item);
			return FALSE;
		}
		port = host_end + 2;
		addr->ipv6 = TRUE;
	} else {
		host_end = strrchr(host, ':');
		if (!host_end) {
			g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
			            "'%s': port missing (transport:address:port)", item);
			return FALSE;
		}
		port = host_end + 1;
		if (memchr(host, ':', host_end - host)) {
			g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
			            "'%s': IPv6 address must be written [address]:port", item);
			return FALSE;
		}
	}
	if (host_end == host || (gsize)(host_end - host) >= sizeof(addr->address)) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE, "'%s': bad address",
		            item);
		return FALSE;
	}
	memcpy(addr->address, host, host_end - host);
	if (addr->ipv6 && !g_hostname_is_ip_address(addr->address)) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "'%s': '%s' is not an IPv6 address", item, addr->address);
		return FALSE;
	}
	g_autoptr(GError) perr = NULL;
	if (!int_parse(port, 1, 65535, &portnum, &perr)) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE, "'%s': bad port: %s",
		            item, perr->message);
		return FALSE;
	}
	addr->port = (guint16)portnum;
	return TRUE;
}

gboolean xb_listen_parse(const char *text, GArray **out, GError **error)
{
	g_auto(GStrv) items = g_strsplit(text, ",", -1);
	g_autoptr(GArray) arr = g_array_new(FALSE, TRUE, sizeof(XbListenAddr));

	for (guint i = 0; items[i]; i++) {
		XbListenAddr addr;
		char *item = g_strstrip(items[i]);

		if (!*item)
			continue;
		if (!listen_one(item, &addr, error))
			return FALSE;
		g_array_append_val(arr, addr);
	}
	if (out)
		*out = g_steal_pointer(&arr);
	return TRUE;
}

static gboolean range_parse(const char *text, const XbSettingDef *def, gint64 *lo, gint64 *hi,
                            GError **error)
{
	g_auto(GStrv) parts = g_strsplit(text, "-", 2);

	if (!parts[0] || !parts[1] ||
	    !int_parse(g_strstrip(parts[0]), def->min, def->max, lo, error) ||
	    !int_parse(g_strstrip(parts[1]), def->min, def->max, hi, error)) {
		g_clear_error(error);
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "'%s' is not a range LOW-HIGH within %" G_GINT64_FORMAT
		            "-%" G_GINT64_FORMAT,
		            text, def->min, def->max);
		return FALSE;
	}
	if (*lo > *hi) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "'%s': the low end is above the high end", text);
		return FALSE;
	}
	return TRUE;
}

static gboolean value_check(const XbSettingDef *def, const char *value, GError **error)
{
	gint64 n, lo, hi;
	gboolean b;

	switch (def->type) {
	case XB_SETTING_STRING:
	case XB_SETTING_PATH:
	case XB_SETTING_LIST:
		return TRUE;
	case XB_SETTING_INT:
		return int_parse(value, def->min, def->max, &n, error);
	case XB_SETTING_BOOL:
		if (xb_bool_parse(value, &b))
			return TRUE;
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "'%s' is not a boolean (true/false, yes/no, on/off)", value);
		return FALSE;
	case XB_SETTING_LISTEN:
		return xb_listen_parse(value, NULL, error);
	case XB_SETTING_RANGE:
		return range_parse(value, def, &lo, &hi, error);
	case XB_SETTING_ENUM: {
		g_auto(GStrv) words = g_strsplit(def->choices ? def->choices : "", "|", -1);
		if (g_strv_contains((const char *const *)words, value))
			return TRUE;
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE, "'%s' is not one of %s",
		            value, def->choices);
		return FALSE;
	}
	}
	return TRUE;
}

static const XbSettingDef *def_find(const char *key, Section **section_out)
{
	const char *dot = strchr(key = canonical(key), '.');
	g_autofree char *section = NULL;
	Section *s;

	if (!dot || !sections)
		return NULL;
	section = g_strndup(key, dot - key);
	s = g_hash_table_lookup(sections, section);
	if (section_out)
		*section_out = s;
	if (!s || !s->defs)
		return NULL;
	for (const XbSettingDef *d = s->defs; d->name; d++)
		if (strcmp(d->name, dot + 1) == 0)
			return d;
	return NULL;
}

/* ---- reading ---- */

static xmlDoc *parse_file(const char *file, GError **error)
{
	const XbXmlKind kind = {"/org/crossbar/crossbar.rng", "configuration", XB_CONFIG_ERROR,
	                        XB_CONFIG_ERROR_MALFORMED};

	if (access(file, R_OK) != 0) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_IO, "%s: cannot read: %s", file,
		            g_strerror(errno));
		return NULL;
	}
	return xb_xml_read(&kind, file, NULL, 0, NULL, error);
}

static void entry_add(XbConfig *cfg, const char *section, const char *name, const char *value,
                      char *origin)
{
	Entry *e = g_new0(Entry, 1);

	e->section = g_strdup(section);
	e->name = g_strdup(name);
	e->value = g_strdup(value);
	e->origin = origin;
	g_ptr_array_add(cfg->entries, e);
}

static gboolean is_param_section(xmlNode *node)
{
	for (xmlNode *c = node->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, BAD_CAST "param") != 0)
			return FALSE;
	return TRUE;
}

/* The <param> children of `sec` as entries of the section named like it. */
static void collect_params(XbConfig *cfg, xmlNode *sec, gboolean empty_names_section)
{
	gboolean any = FALSE;

	for (xmlNode *p = sec->children; p; p = p->next) {
		if (p->type != XML_ELEMENT_NODE || xmlStrcmp(p->name, BAD_CAST "param") != 0)
			continue;
		g_autofree xmlChar *name = xmlGetProp(p, BAD_CAST "name");
		g_autofree xmlChar *value = xmlGetProp(p, BAD_CAST "value");
		entry_add(cfg, (const char *)sec->name, (const char *)name, (const char *)value,
		          g_strdup_printf("%s:%ld", cfg->file, xmlGetLineNo(p)));
		any = TRUE;
	}
	/* An empty section still names a section that must exist. */
	if (!any && empty_names_section)
		entry_add(cfg, (const char *)sec->name, "", "",
		          g_strdup_printf("%s:%ld", cfg->file, xmlGetLineNo(sec)));
}

/* <directory> is both the core's directory section (its <param>s) and the users it seeds
 * (its <user>s, read through xb_config_get_node); <gateways> and any element that holds
 * more than <param>s are free-form. */
static void collect_file(XbConfig *cfg)
{
	xmlNode *root = xmlDocGetRootElement(cfg->doc);

	for (xmlNode *sec = root->children; sec; sec = sec->next) {
		if (sec->type != XML_ELEMENT_NODE)
			continue;
		gboolean directory = xmlStrcmp(sec->name, BAD_CAST "directory") == 0;
		if (!is_param_section(sec) || directory ||
		    xmlStrcmp(sec->name, BAD_CAST "gateways") == 0) {
			g_ptr_array_add(cfg->elements, sec);
			if (directory)
				collect_params(cfg, sec, FALSE);
			continue;
		}
		collect_params(cfg, sec, TRUE);
	}
}

void xb_config_free(XbConfig *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->file);
	if (cfg->doc)
		xmlFreeDoc(cfg->doc);
	g_ptr_array_unref(cfg->entries);
	g_ptr_array_unref(cfg->elements);
	g_hash_table_unref(cfg->values);
	g_free(cfg);
}

XbConfig *xb_config_read(const char *file, char **overrides, GError **error)
{
	g_autoptr(XbConfig) cfg = g_new0(XbConfig, 1);

	cfg->entries = g_ptr_array_new_with_free_func(entry_free);
	cfg->elements = g_ptr_array_new();
	cfg->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (file) {
		cfg->file = g_strdup(file);
		cfg->doc = parse_file(file, error);
		if (!cfg->doc)
			return NULL;
		collect_file(cfg);
	}
	for (guint i = 0; overrides && overrides[i]; i++) {
		const char *eq = strchr(overrides[i], '=');
		const char *dot = strchr(overrides[i], '.');

		if (!eq || !dot || dot > eq || dot == overrides[i] || dot + 1 == eq) {
			g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
			            "--set %s: expected SECTION.NAME=VALUE", overrides[i]);
			return NULL;
		}
		g_autofree char *section = g_strndup(overrides[i], dot - overrides[i]);
		g_autofree char *name = g_strndup(dot + 1, eq - dot - 1);
		entry_add(cfg, section, name, eq + 1, g_strdup("--set"));
	}
	return g_steal_pointer(&cfg);
}

static gboolean module_file_exists(XbConfig *cfg, const char *name)
{
	g_autofree char *path = xb_module_path(xb_config_lookup(cfg, "core.modules_dir"), name);
	return path != NULL;
}

static gboolean entry_check(XbConfig *cfg, Entry *e, char **configured, gboolean core_only,
                            GError **error)
{
	g_autofree char *key = g_strconcat(e->section, ".", e->name, NULL);
	const char *ckey = canonical(key);
	g_autofree char *csection = g_strndup(ckey, strchr(ckey, '.') - ckey);
	Section *s = sections ? g_hash_table_lookup(sections, csection) : NULL;
	const XbSettingDef *def;
	g_autoptr(GError) verr = NULL;

	if (!s || s->owner) {
		if (core_only)
			return TRUE;
		gboolean is_configured =
		    configured && g_strv_contains((const char *const *)configured, e->section);
		if (!s && is_configured)
			return TRUE; /* an optional module that did not open: nothing to check */
		if (!s && module_file_exists(cfg, e->section)) {
			g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_NOT_LOADED,
			            "%s: %s: module '%s' is not loaded (add it to core.modules)",
			            e->origin, *e->name ? key : e->section, e->section);
			return FALSE;
		}
		if (!s) {
			g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_UNKNOWN,
			            "%s: unknown section '%s'", e->origin, e->section);
			return FALSE;
		}
	}
	if (!*e->name)
		return TRUE;
	def = def_find(key, NULL);
	if (!def) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_UNKNOWN,
		            "%s: unknown setting '%s'", e->origin, key);
		return FALSE;
	}
	if (!value_check(def, e->value, &verr)) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE, "%s: %s: %s", e->origin,
		            key, verr->message);
		return FALSE;
	}
	g_hash_table_replace(cfg->values, g_strdup(ckey), g_strdup(e->value));
	return TRUE;
}

static gboolean element_check(XbConfig *cfg, xmlNode *node, char **configured, GError **error)
{
	GHashTableIter it;
	Section *s;

	g_hash_table_iter_init(&it, sections);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s)) {
		if (s->elements && g_strv_contains(s->elements, (const char *)node->name))
			return TRUE;
	}
	g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_UNKNOWN,
	            "%s:%ld: element <%s> is not read by any loaded module", cfg->file,
	            xmlGetLineNo(node), node->name);
	return FALSE;
}

gboolean xb_config_validate(XbConfig *cfg, char **configured, gboolean core_only, GError **error)
{
	ensure_sections();
	g_hash_table_remove_all(cfg->values);
	for (guint i = 0; i < cfg->entries->len; i++)
		if (!entry_check(cfg, cfg->entries->pdata[i], configured, core_only, error))
			return FALSE;
	if (core_only)
		return TRUE;
	for (guint i = 0; i < cfg->elements->len; i++)
		if (!element_check(cfg, cfg->elements->pdata[i], configured, error))
			return FALSE;
	return TRUE;
}

const char *xb_config_lookup(XbConfig *cfg, const char *key)
{
	const char *v = cfg ? g_hash_table_lookup(cfg->values, canonical(key)) : NULL;
	const XbSettingDef *def;

	if (v)
		return v;
	def = def_find(key, NULL);
	return def && def->def ? def->def : "";
}

guint xb_config_count(XbConfig *cfg)
{
	return cfg ? g_hash_table_size(cfg->values) : 0;
}

void xb_config_install(XbConfig *cfg)
{
	XbLogLevel level;

	if (current != cfg)
		xb_config_free(current);
	current = cfg;
	if (xb_log_level_parse(xb_config_lookup(cfg, "core.log_level"), &level))
		xb_log_set_level(level);
}

void xb_config_reset(void)
{
	g_clear_pointer(&current, xb_config_free);
	g_clear_pointer(&sections, g_hash_table_unref);
}

/* ---- getters ---- */

static const char *get_checked(const char *key, XbSettingType type)
{
	const XbSettingDef *def = def_find(key, NULL);

	if (!def) {
		g_critical("no setting '%s' is declared", key);
		return NULL;
	}
	if (def->type != type && !(type == XB_SETTING_STRING && def->type != XB_SETTING_LISTEN)) {
		g_critical("setting '%s' is not of the type asked for", key);
		return NULL;
	}
	return xb_config_lookup(current, key);
}

gboolean xb_config_has(const char *key)
{
	return def_find(key, NULL) != NULL;
}

const char *xb_config_get_string(const char *key)
{
	const char *v = get_checked(key, XB_SETTING_STRING);
	return v ? v : "";
}

gint64 xb_config_get_int(const char *key)
{
	const char *v = get_checked(key, XB_SETTING_INT);
	return v ? g_ascii_strtoll(v, NULL, 10) : 0;
}

gboolean xb_config_get_bool(const char *key)
{
	const char *v = get_checked(key, XB_SETTING_BOOL);
	gboolean b = FALSE;

	if (v)
		xb_bool_parse(v, &b);
	return b;
}

char **xb_config_get_list(const char *key)
{
	const char *v = get_checked(key, XB_SETTING_LIST);
	g_auto(GStrv) parts = g_strsplit(v ? v : "", ",", -1);
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; parts[i]; i++) {
		char *w = g_strstrip(parts[i]);
		if (*w)
			g_ptr_array_add(out, g_strdup(w));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

void xb_config_get_range(const char *key, gint64 *low, gint64 *high)
{
	const char *v = get_checked(key, XB_SETTING_RANGE);
	const XbSettingDef *def = def_find(key, NULL);

	*low = *high = 0;
	if (v)
		range_parse(v, def, low, high, NULL);
}

GArray *xb_config_get_listen(const char *key)
{
	const char *v = get_checked(key, XB_SETTING_LISTEN);
	GArray *out = NULL;

	if (!v || !xb_listen_parse(v, &out, NULL))
		return g_array_new(FALSE, TRUE, sizeof(XbListenAddr));
	return out;
}

const void *xb_config_get_node(const char *element)
{
	if (!current)
		return NULL;
	for (guint i = 0; i < current->elements->len; i++) {
		xmlNode *n = current->elements->pdata[i];
		if (xmlStrcmp(n->name, BAD_CAST element) == 0)
			return n;
	}
	return NULL;
}

const char *xb_config_file(void)
{
	return current ? current->file : NULL;
}

char *xb_config_control_socket_path(void)
{
	const char *sock = xb_config_get_string("core.control_socket");

	if (*sock)
		return g_strdup(sock);
	return g_build_filename(xb_config_get_string("core.data_dir"), "crossbar.sock", NULL);
}

const char *xb_transport_name(XbTransport t)
{
	return t == XB_TRANSPORT_TCP ? "tcp" : t == XB_TRANSPORT_TLS ? "tls" : "udp";
}
