/* config.h: settings. Every setting has a section, a name, a type, a built-in default and a
 * line of help; the core declares its own sections (core, dialplan, media) and each module
 * declares its section in its descriptor. Values come from, in order of precedence: the
 * command line (--set section.name=value), the XML file, the default. Getters read the
 * configuration that is current on the main loop; a reload swaps it whole. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	XB_SETTING_STRING = 1, /* any text */
	XB_SETTING_INT,        /* decimal integer within [min, max] */
	XB_SETTING_BOOL,       /* true/false, yes/no, on/off, 1/0 */
	XB_SETTING_PATH,       /* a file or directory name; relative ones stay relative to cwd */
	XB_SETTING_LISTEN,     /* comma list of transport:address:port */
	XB_SETTING_RANGE,      /* LOW-HIGH, both within [min, max], LOW <= HIGH */
	XB_SETTING_LIST,       /* comma list of words */
	XB_SETTING_ENUM,       /* one of the words in choices, separated by '|' */
} XbSettingType;

typedef struct {
	const char *name; /* within the section: "listen" for sip.listen */
	XbSettingType type;
	const char *def;     /* default value as text; NULL means unset (empty) */
	const char *help;    /* one line */
	gint64 min, max;     /* for INT and RANGE; both 0 means no bound */
	const char *choices; /* for ENUM: "udp|tcp|tls" */
} XbSettingDef;

#define XB_SETTINGS_END                                                                            \
	{                                                                                          \
		NULL, 0, NULL, NULL, 0, 0, NULL                                                    \
	}

/* One address of a LISTEN setting. */
typedef enum { XB_TRANSPORT_UDP, XB_TRANSPORT_TCP, XB_TRANSPORT_TLS } XbTransport;
/* "udp", "tcp", "tls": the transport as listen settings and peers write it. */
const char *xb_transport_name(XbTransport transport);

typedef struct {
	XbTransport transport;
	char address[64]; /* literal IPv4 or IPv6 address (no brackets) or host name */
	guint16 port;
	gboolean ipv6;
} XbListenAddr;

#define XB_CONFIG_ERROR (xb_config_error_quark())
GQuark xb_config_error_quark(void);
typedef enum {
	XB_CONFIG_ERROR_MALFORMED,  /* the file is not well-formed XML or breaks the schema */
	XB_CONFIG_ERROR_UNKNOWN,    /* a setting or section nobody declared */
	XB_CONFIG_ERROR_VALUE,      /* a value of the wrong type or out of range */
	XB_CONFIG_ERROR_IO,         /* the file cannot be read */
	XB_CONFIG_ERROR_NOT_LOADED, /* a setting of a module that is not configured */
} XbConfigError;

/* Is `key` a declared setting (its section's module is loaded)? */
gboolean xb_config_has(const char *key);

/* Getters take the full key "section.name". Asking for a key nobody declared is a
 * programming error (g_critical) and returns the type's zero. */
const char *xb_config_get_string(const char *key);
gint64 xb_config_get_int(const char *key);
gboolean xb_config_get_bool(const char *key);
/* LIST: a NULL-terminated vector owned by the caller (g_strfreev). */
char **xb_config_get_list(const char *key);
/* RANGE: low and high. */
void xb_config_get_range(const char *key, gint64 *low, gint64 *high);
/* LISTEN: an array of XbListenAddr owned by the caller (g_array_unref). */
GArray *xb_config_get_listen(const char *key);

/* Parsing helpers, shared by the loader and by modules that take similar syntax. */
gboolean xb_listen_parse(const char *text, GArray **out, GError **error);
gboolean xb_bool_parse(const char *text, gboolean *out);

/* The XML node of a module's own free-form section (<directory>, <gateways> ...) in the
 * current file, or NULL. The section element is a direct child of <crossbar>; the pointer
 * is valid until the next reload. Typed as void * so that this header does not pull in
 * libxml2; cast it to xmlNode *. */
const void *xb_config_get_node(const char *element);
/* The file the configuration was read from, or NULL when running on defaults. */
const char *xb_config_file(void);

G_END_DECLS
