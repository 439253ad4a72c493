/* core_private.h: what the core's files share and modules never see: the structures behind
 * the public handles, and the functions the daemon calls to bring the core up and down. */
#pragma once

#include <crossbar/crossbar.h>
#include <gmodule.h>
#include <sys/types.h>

/* ---- configuration (config.c) ---- */

typedef struct xb_config XbConfig;

/* A section of settings: the core's own or a module's. */
void xb_config_declare_section(const char *section, const char *owner, const XbSettingDef *defs,
                               const char *const *elements);
void xb_config_forget_sections(const char *owner);
/* Defaults that depend on where the binary runs (installed or in the build tree). */
void xb_config_init_core(void);
/* Parse `file` (NULL: defaults only) with `overrides` ("key=value", NULL-terminated) into a
 * configuration that is not yet current. Only the structure and the core's settings are
 * checked here; module sections are checked by xb_config_validate once their descriptors are
 * known. */
XbConfig *xb_config_read(const char *file, char **overrides, GError **error);
gboolean xb_config_validate(XbConfig *config, char **configured_modules, gboolean core_only,
                            GError **error);
/* Make `config` current (takes ownership) and free the previous one. */
void xb_config_install(XbConfig *config);
void xb_config_free(XbConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbConfig, xb_config_free)
const char *xb_config_lookup(XbConfig *config, const char *key);
guint xb_config_count(XbConfig *config);
/* Drop the current configuration and every declared section (for tests and shutdown). */
void xb_config_reset(void);
/* Effective data paths, derived from the current configuration. */
char *xb_config_control_socket_path(void);

/* ---- modules (module.c) ---- */

typedef enum {
	XB_MODULE_OPENED,
	XB_MODULE_LOADED,
	XB_MODULE_FAILED,
	XB_MODULE_UNLOADED,
} XbModuleState;

struct xb_module {
	char *name;
	char *path;
	GModule *gmodule;
	const XbModuleDesc *desc;
	XbModuleState state;
	gboolean optional;
	char *error; /* why it failed, for `modules` */
	gpointer data;
};

/* Open the modules named in `names` (and what they require) from `dir`, check their
 * descriptors and order them. Every failure of a module not in `optional` is fatal. */
gboolean xb_modules_open(const char *dir, char **names, char **optional, GError **error);
/* The opened module whose descriptor declares a dialplan application, or NULL. */
const char *xb_module_app_declarer(const char *application);
/* The section of the dialplan file an opened module's descriptor declares for `element`,
 * with that module in *owner; NULL when none does. */
const XbDialplanSection *xb_module_dialplan_section(const char *element, XbModule **owner);
/* The opened module whose descriptor declares a control command, or NULL. */
const char *xb_module_command_declarer(const char *command);
/* Call each opened module's validate() (the configuration is installed); the first
 * refusal is an XB_CONFIG_ERROR naming the module. */
gboolean xb_modules_validate(GError **error);
/* Call load() in dependency order. */
gboolean xb_modules_load(GError **error);
/* Unload in reverse order and close everything. */
void xb_modules_unload_all(void);
/* Modules in load order (XbModule *), owned by the core. */
GPtrArray *xb_modules_list(void);
XbModule *xb_module_find(const char *name);
/* Where mod_<name>.so is under `dirs` (one folder or several separated by ':'; installed
 * or build-tree layout), or NULL. */
char *xb_module_path(const char *dir, const char *name);
/* Names of the modules that are open (for config validation). */
char **xb_modules_names(void);

/* ---- registrations owned by modules ---- */
void xb_cli_forget(XbModule *owner);
void xb_app_forget(XbModule *owner);
void xb_event_forget(XbModule *owner);
void xb_timer_forget(XbModule *owner);
void xb_api_forget(XbModule *owner);

/* ---- events, timers ---- */
void xb_event_init(void);
void xb_event_shutdown(void);
void xb_timer_shutdown(void);

/* ---- control (control.c, cli.c) ---- */
#define XB_CONTROL_MAX_REQUEST (64 * 1024)
#define XB_CONTROL_ERROR       (xb_control_error_quark())
GQuark xb_control_error_quark(void);
typedef enum {
	XB_CONTROL_ERROR_PATH,   /* too long for a UNIX socket's name */
	XB_CONTROL_ERROR_IN_USE, /* another daemon answers on it */
	XB_CONTROL_ERROR_SOCKET, /* it cannot be made, bound, listened on or given its mode */
} XbControlError;
gboolean xb_control_start(const char *path, GError **error);
/* Sets the mode of the socket at path without following a symbolic link: FALSE with errno
 * set when path is not a socket (someone swapped it) or the mode cannot be set. */
gboolean xb_control_chmod_socket(const char *path, mode_t mode);
void xb_control_stop(void);
/* Run one request (words) and return the reply dictionary a{sv}. */
GVariant *xb_cli_dispatch(char **words);
void xb_cli_builtin_register(void);
void xb_cli_reset(void);
/* For `help`: the registered commands (const XbCliCommand *), and who registered one. */
GPtrArray *xb_cli_commands(void);
/* The core's own command tables (registered at start, known before any module loads). */
extern const XbCliCommand xb_builtin_cli[], xb_channel_cli[], xb_dialplan_cli[], xb_directory_cli[],
    xb_features_cli[], xb_media_cli[];
/* The media engine (core/media): started before the modules load, stopped after. */
gboolean xb_media_start(GError **error);
void xb_media_stop(void);
/* Whether the core has a command of that name. */
gboolean xb_cli_core_has(const char *name);
const char *xb_cli_command_owner(const XbCliCommand *cmd);

/* ---- core life cycle (core.c) ---- */
typedef struct {
	const char *config_file;
	char **overrides;
} XbCoreOptions;

#define XB_CORE_ERROR (xb_core_error_quark())
GQuark xb_core_error_quark(void);
typedef enum {
	XB_CORE_ERROR_DATA_DIR, /* core.data_dir cannot be created */
} XbCoreError;

gboolean xb_core_configure(const XbCoreOptions *opts, GError **error);
gboolean xb_core_start(GError **error);
int xb_core_run(void);
void xb_core_quit(void);
gboolean xb_core_reload(GError **error);
void xb_core_stop(void);
/* When xb_core_start ran, on g_get_monotonic_time's clock (for the uptime). */
gint64 xb_core_started_at(void);
gboolean xb_core_running_uninstalled(void);

/* ---- storage ---- */
void xb_core_set_db(XbDb *db);

/* ---- the directory of users (core/directory/) ---- */
/* Declares the "directory" settings section and the <directory> element. */
void xb_directory_declare(void);
/* Opens the store on `db`, applies the limiter's settings, seeds <directory> and the demo
 * users, and registers the `user` commands; before any module loads. */
gboolean xb_directory_start(XbDb *db, GError **error);
/* After a new configuration is installed, before modules hear of it. */
void xb_directory_reload(void);
/* After the modules have unloaded, before the database closes. */
void xb_directory_stop(void);

/* ---- the dialplan (core/dialplan/) ---- */
/* Registers the core's applications and compiles dialplan.file as the live plan; its
 * applications are checked by xb_dialplan_start, once the modules have loaded. */
gboolean xb_dialplan_configure(GError **error);
/* Checks the live plan's applications and registers the `dialplan` commands. */
gboolean xb_dialplan_start(GError **error);
/* Compiles `file` and checks its applications, without making it live. */
XbDialplan *xb_dialplan_prepare(const char *file, const char *timezone, GError **error);
/* Makes `plan` live (takes a reference of its own); hunts keep the plan they hold. */
void xb_dialplan_install(XbDialplan *plan);
/* xb_dialplan_prepare, then xb_dialplan_install when it succeeded. */
gboolean xb_dialplan_reload(const char *file, const char *timezone, GError **error);
void xb_dialplan_reset(void);
/* What --check-config says of the live plan: its size, the applications it names that are
 * not registered without modules (with the module whose descriptor declares each, or the
 * part of crossbar that will bring it), and those that are; FALSE with an
 * XB_DIALPLAN_ERROR naming the file and line of an application nothing declares. */
gboolean xb_dialplan_check_report(char **report, GError **error);
void xb_dialplan_cli_register(void);
/* Frees the data the sections of `owner` compiled in every plan still alive (before the
 * module is closed); those plans' xb_dialplan_section() is NULL from then on. */
void xb_dialplan_forget_sections(XbModule *owner);

/* ---- applications ---- */
void xb_app_reset(void);
GPtrArray *xb_app_list(void); /* const XbApp * each, sorted by name; caller unrefs */
const char *xb_app_owner(const char *name);

/* ---- channels (core/channel/) ---- */

/* The channel event type and the `calls`, `hangup`, `originate` commands (core start). */
void xb_channel_init(void);
void xb_channel_cli_register(void);
/* Hang up every live channel (shutdown): a final response, CANCEL or BYE for each. */
void xb_channel_hangup_all(XbCause cause);
/* The drivers a module registered go when it unloads; all of them at shutdown. */
void xb_channel_driver_forget(XbModule *owner);
void xb_channel_driver_reset(void);
/* features.c: the dnd and call_forward applications (at configure, for --check-config). */
void xb_directory_apps_register(void);
/* originate.c: the bridge application. */
/* The echo application (core/channel/media.c). */
void xb_channel_media_apps_register(void);
void xb_channel_apps_register(void);
/* The executor (core/dialplan/exec.c): calls whose dialplan is running. */
guint xb_dialplan_exec_count(void);
/* Hunt the channel's plan again for number (in context, NULL: its own), as `transfer` does:
 * 0 when the executor goes on with the new actions, a negative errno when the call ended
 * (no route, or too many transfers). Only from an application of that channel. */
int xb_dialplan_transfer(XbChannel *channel, const char *number, const char *context);

/* ---- XML files (xml.c) ---- */

struct _xmlDoc; /* libxml2's xmlDoc, without its headers here */

/* A kind of XML file crossbar reads: its built-in RelaxNG schema (a GResource path), what
 * errors call it ("configuration", "dialplan") and the error they are reported as. When
 * `own` is set, the schema checks only the top-level elements it names: the others (the
 * sections of modules in a dialplan) are set aside before the document is validated. */
typedef struct {
	const char *schema;
	const char *what;
	GQuark domain;
	int code;
	const char *const *own; /* NULL-terminated, or NULL: the schema checks everything */
} XbXmlKind;

struct _xmlNode;

/* The document `name` (from data when given, else the file), well formed and valid against
 * the kind's schema, or NULL with the first error as "NAME:LINE: message". With kind->own,
 * the top-level elements it does not name are unlinked from the document before it is
 * validated and appended to `aside` (xmlNode *, in file order; may be NULL to drop them):
 * free each with xmlFreeNode before the document. */
struct _xmlDoc *xb_xml_read(const XbXmlKind *kind, const char *name, const char *data, gsize len,
                            GPtrArray *aside, GError **error);
