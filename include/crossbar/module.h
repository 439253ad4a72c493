/* module.h: what a module is. A module exports exactly one symbol, its descriptor, made with
 * XB_MODULE_DEFINE. The loader checks the ABI version, orders modules by their requirements,
 * calls load() in that order and unload() in reverse. Everything a module registers (CLI
 * commands, applications, event subscriptions, API tables) is owned by its XbModule and is
 * removed by the core after unload(), so a module cannot leave a dangling callback behind. */
#pragma once

#include <glib.h>
#include <crossbar/version.h>
#include <crossbar/config.h>
#include <crossbar/dialplan.h>

G_BEGIN_DECLS

typedef struct xb_module XbModule;

/* Why a module was refused. The loader reports these, with the module's name first; a
 * module's load() reports what lies between it and other modules (a missing API table,
 * something another module has taken) the same way. */
#define XB_MODULE_ERROR (xb_module_error_quark())
GQuark xb_module_error_quark(void);
typedef enum {
	XB_MODULE_ERROR_NAME,       /* not a valid module name */
	XB_MODULE_ERROR_NOT_FOUND,  /* no mod_NAME.so in the modules folder */
	XB_MODULE_ERROR_OPEN,       /* the shared object does not open */
	XB_MODULE_ERROR_DESCRIPTOR, /* no descriptor, or one with another name or no load() */
	XB_MODULE_ERROR_ABI,        /* built for another module ABI */
	XB_MODULE_ERROR_DEPENDENCY, /* a required module or API table is missing, or a cycle */
	XB_MODULE_ERROR_CONFLICT,   /* what it would register is another module's already */
	XB_MODULE_ERROR_LOAD,       /* load() refused without saying why */
} XbModuleError;

typedef struct {
	guint32 abi_version;         /* XB_MODULE_ABI_VERSION at build time */
	const char *name;            /* "sip": the file is mod_sip.so, the section is <sip> */
	const char *version;         /* the module's own version, shown by `modules` */
	const char *description;     /* one line */
	const char *const *requires; /* NULL-terminated names of modules loaded first, or NULL */
	const XbSettingDef
	    *settings;               /* the module's section, XB_SETTINGS_END-terminated, or NULL */
	const char *const *elements; /* free-form XML elements the module reads (NULL-terminated) */
	/* Called once on the main loop after every required module has loaded. FALSE with
	 * error set refuses the load; the module must then have released what it took. */
	gboolean (*load)(XbModule *self, GError **error);
	/* Called once on shutdown, in reverse load order. May be NULL. */
	void (*unload)(XbModule *self);
	/* Checks what load() will read of the configuration (installed: xb_config_get_* work)
	 * that a settings table cannot say: a gateway's parameters, a list's entries. It acts
	 * on nothing. Called after the configuration is read, before any module loads, and by
	 * `crossbar --check-config`; FALSE with error refuses the configuration (exit 2). May be
	 * NULL. */
	gboolean (*validate)(GError **error);
	/* The dialplan applications load() registers (NULL-terminated), so that
	 * `crossbar --check-config` knows a plan's applications without loading anything.
	 * Registering one not declared here works, with a warning. May be NULL. */
	const char *const *applications;
	/* The control commands load() registers, by their whole names ("sip status"),
	 * NULL-terminated, so that the loader refuses two modules (or a module and the core)
	 * that would claim the same command before either loads, and `crossbar --check-config`
	 * says so. Registering one not declared here works, with a warning. May be NULL. */
	const char *const *commands;
	/* The top-level elements of the dialplan file the module compiles (mod_ivr's <menus>),
	 * XB_DIALPLAN_SECTIONS_END-terminated, or NULL. The core calls their functions from
	 * the moment the module is opened, before load() (a plan is compiled before the
	 * modules load, and by --check-config, which loads none), and frees their data in
	 * every plan before the module is closed. See crossbar/dialplan.h. Two modules may
	 * not declare the same element. */
	const XbDialplanSection *dialplan_sections;
} XbModuleDesc;

#define XB_MODULE_SYMBOL "xb_module_descriptor"

/* In the module's main file:
 *   XB_MODULE_DEFINE(.name = "example", .version = "1.0", .load = example_load);
 * The descriptor is the module's only symbol with default visibility. */
#define XB_MODULE_DEFINE(...)                                                                      \
	__attribute__((visibility("default"))) const XbModuleDesc xb_module_descriptor = {         \
	    .abi_version = XB_MODULE_ABI_VERSION, __VA_ARGS__}

const char *xb_module_name(const XbModule *mod);
/* A pointer the module may keep for its state across callbacks. */
void xb_module_set_data(XbModule *mod, gpointer data);
gpointer xb_module_get_data(const XbModule *mod);

/* API tables: a module publishes a typed table of function pointers by name; another module
 * that lists the publisher in its requires fetches it. A table's first field should be its
 * version, checked by the caller. The table must live until the publisher unloads. */
void xb_api_publish(XbModule *owner, const char *name, const void *table);
const void *xb_api_get(const char *name);

G_END_DECLS
