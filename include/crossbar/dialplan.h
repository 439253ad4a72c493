/* dialplan.h: the XML dialplan. A plan is read once from a file in FreeSWITCH's vocabulary
 * (<context>, <extension>, <condition>, <action>, <anti-action>), checked against
 * dialplans/dialplan.rng and compiled: regular expressions and time conditions are parsed at
 * load, and every error names the file and line. A compiled plan is immutable and reference
 * counted, so a reload swaps in a new one while hunts still hold the old. The hunt decides
 * which actions a call runs; running them on a channel is the channel layer's. Modules may
 * own top-level sections of the file (mod_ivr's <menus>), compiled and swapped with the
 * plan (below). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct xb_dialplan XbDialplan;

#define XB_DIALPLAN_ERROR (xb_dialplan_error_quark())
GQuark xb_dialplan_error_quark(void);
typedef enum {
	XB_DIALPLAN_ERROR_IO,          /* the file cannot be read */
	XB_DIALPLAN_ERROR_MALFORMED,   /* not well-formed XML, or against dialplans/dialplan.rng */
	XB_DIALPLAN_ERROR_INVALID,     /* a bad regular expression, field, time or attribute */
	XB_DIALPLAN_ERROR_APPLICATION, /* an application nobody registers or provides */
	XB_DIALPLAN_ERROR_TIMEZONE,    /* the time zone names none known */
	XB_DIALPLAN_ERROR_NO_CONTEXT,  /* a hunt in a context the plan does not have */
} XbDialplanError;

/* Reads and compiles `file`. Time conditions are evaluated in `timezone` (an identifier
 * such as "Europe/Berlin" or "+01:00"; NULL or "" for local time). Applications are not
 * checked here: see xb_dialplan_check_apps(). */
XbDialplan *xb_dialplan_load(const char *file, const char *timezone, GError **error);
/* The same from memory; `name` stands for the file in errors. */
XbDialplan *xb_dialplan_load_data(const char *name, const char *xml, gsize len,
                                  const char *timezone, GError **error);
XbDialplan *xb_dialplan_ref(XbDialplan *plan);
void xb_dialplan_unref(XbDialplan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbDialplan, xb_dialplan_unref)

const char *xb_dialplan_file(const XbDialplan *plan);
guint xb_dialplan_n_contexts(const XbDialplan *plan);
guint xb_dialplan_n_extensions(const XbDialplan *plan);

/* The live plan, the one dialplan.file compiled to at start or at the last good reload: a
 * new reference (xb_dialplan_unref), or NULL before the core has loaded one. */
XbDialplan *xb_dialplan_current(void);

/* ---- applications ---- */

/* An application the plan names: the first line naming it, and who provides it when it
 * is not registered (NULL for one nobody is known to provide). */
typedef struct {
	const char *application;
	guint line;
	const char *provider;
} XbDialplanAppUse;

/* FALSE with XB_DIALPLAN_ERROR_APPLICATION ("default.xml:12: unknown application 'x'")
 * for the first application that is neither registered now (xb_app_exists) nor one that
 * a part of crossbar not loaded provides (xb_dialplan_app_provider). Run it once the
 * modules have loaded: before, their applications are not registered. */
gboolean xb_dialplan_check_apps(const XbDialplan *plan, GError **error);
/* The applications the plan names that are not registered now, in file order: an array
 * of XbDialplanAppUse (the strings are the plan's and crossbar's), caller unrefs. */
GArray *xb_dialplan_unregistered_apps(const XbDialplan *plan);
/* What provides an application a plan may name although nothing registers it now
 * ("mod_voicemail" for voicemail, "the B2BUA" for bridge), or NULL. */
const char *xb_dialplan_app_provider(const char *application);

/* ---- sections of modules ----
 *
 * Beside its <context>s, a plan file may hold one top-level element per module that owns
 * one (mod_ivr's <menus>). The module lists it in its descriptor (XbModuleDesc
 * .dialplan_sections), so the core knows it as soon as the module is opened, before its
 * load(): the element is compiled with the rest of the plan, at start, at --check-config
 * and at every reload, and a broken one refuses the plan (and so the start or the reload)
 * with its file and line, like any other error of the plan. The compiled data belongs to
 * the plan: a reload makes new data with the new plan, and whoever holds the old plan (a
 * call routed with it, a caller inside a menu) keeps the old data with it, unchanged, until
 * the last reference to that plan goes, when the section's free() is called.
 *
 * When the module is closed (shutdown), the core first frees the data it compiled in every
 * plan still alive, so no plan ever calls into a module that is gone; from then on
 * xb_dialplan_section() of those plans is NULL. A module whose element is in the file but
 * which is not in core.modules leaves the element uncompiled, with a warning, when the
 * core knows who provides it (xb_dialplan_section_provider: "menus" is mod_ivr's); any
 * other unknown top-level element is an error.
 *
 * The schema (dialplans/dialplan.rng) checks the <context>s only: a section is set aside
 * before the file is validated, and checking it is the compile function's work, with
 * libxml2 (xmlGetProp, xmlGetLineNo). Everything runs on the main thread. */
struct _xmlNode; /* libxml2's xmlNode: a module that compiles a section links libxml2 */

/* The plan being compiled, as a section's compile function sees it. */
typedef struct xb_dialplan_compiler XbDialplanCompiler;

typedef struct {
	const char *element; /* the top-level element's name: "menus" */
	/* Compiles the element (at most one per plan file). Its contexts are compiled
	 * already (xb_dialplan_compiler_actions sees them). NULL with error set refuses the
	 * plan: an XB_DIALPLAN_ERROR whose message starts with "FILE:LINE: "
	 * (xb_dialplan_compiler_error makes one). Never called on a plan that lives. */
	gpointer (*compile)(XbDialplanCompiler *compiler, struct _xmlNode *node, GError **error);
	/* Frees what compile returned. */
	void (*free)(gpointer data);
} XbDialplanSection;

#define XB_DIALPLAN_SECTIONS_END                                                                   \
	{                                                                                          \
		NULL, NULL, NULL                                                                   \
	}

/* The file the plan is read from (or the name given to xb_dialplan_load_data). */
const char *xb_dialplan_compiler_file(const XbDialplanCompiler *compiler);
/* Sets error to "FILE:LINE: message" (XB_DIALPLAN_ERROR_INVALID), LINE being node's.
 * Returns FALSE. */
gboolean xb_dialplan_compiler_error(XbDialplanCompiler *compiler, GError **error,
                                    struct _xmlNode *node, const char *format, ...)
    G_GNUC_PRINTF(4, 5);
/* The section runs `application` (a menu entry's): the plan names it at `line`, and it is
 * checked like an <action>'s (xb_dialplan_check_apps, --check-config). */
void xb_dialplan_compiler_use_app(XbDialplanCompiler *compiler, const char *application,
                                  guint line);

/* An <action> or <anti-action> of the plan's contexts. */
typedef struct {
	const char *data; /* as written (captures and ${variables} unsubstituted) */
	guint line;
} XbDialplanActionUse;
/* Every <action> and <anti-action> of the plan that runs `application`, in file order: an
 * array of XbDialplanActionUse whose strings are the plan's; caller unrefs. */
GArray *xb_dialplan_compiler_actions(const XbDialplanCompiler *compiler, const char *application);

/* Who provides the section `element` when no module of core.modules declares it
 * ("mod_ivr" for menus), or NULL. */
const char *xb_dialplan_section_provider(const char *element);

/* What the section `element` of `plan` compiled to, or NULL when the plan has none (or its
 * module has been closed). Valid for as long as the caller holds its reference to the
 * plan. */
gpointer xb_dialplan_section(const XbDialplan *plan, const char *element);

/* ---- hunting ---- */

/* The value of a field (destination_number, caller_id_number, caller_id_name,
 * network_addr, context) or a channel variable, or NULL when it has none. The string must
 * stay valid until the next call. */
typedef const char *(*XbDialplanLookupFunc)(const char *name, gpointer user_data);

/* One action the hunt chose, in the order to run. */
typedef struct {
	const char *application; /* the plan's */
	char *data;              /* $0..$9 substituted; ${name} left for execution time */
	const char *extension;   /* the extension it belongs to (the plan's) */
	guint line;
	gboolean anti;       /* an <anti-action> of a condition that was false */
	gboolean ran_inline; /* inline="true": it took effect during the hunt, not to run again */
} XbDialplanAction;

/* One condition the hunt evaluated, in the order it did. */
typedef struct {
	const char *extension; /* the plan's */
	guint line;
	guint depth; /* 0 for a condition of the extension, 1 for one nested in it ... */
	char *test;  /* what was tested, with the value: "destination_number '1005' =~ /^1/" */
	gboolean result;
} XbDialplanTrace;

typedef struct {
	XbDialplan *plan; /* held for as long as the result lives */
	char *context;
	GPtrArray *actions;    /* XbDialplanAction * */
	GPtrArray *matched;    /* names (const char *) of the extensions that matched */
	GPtrArray *trace;      /* XbDialplanTrace * */
	GHashTable *variables; /* name -> value, set by inline actions during the hunt */
} XbDialplanResult;

/* Hunts `context` of `plan` for a call whose fields and variables `lookup` answers, at
 * time `now` (converted to the plan's time zone). FALSE-y NULL with
 * XB_DIALPLAN_ERROR_NO_CONTEXT when the plan has no such context. An empty action list is
 * a valid answer: nothing matched. */
XbDialplanResult *xb_dialplan_hunt(XbDialplan *plan, const char *context,
                                   XbDialplanLookupFunc lookup, gpointer user_data, GDateTime *now,
                                   GError **error);
void xb_dialplan_result_free(XbDialplanResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbDialplanResult, xb_dialplan_result_free)

/* `template` with every ${name} replaced by lookup(name), or by nothing when it has no
 * value. A "${" without its "}" stays as written. */
char *xb_dialplan_expand(const char *template, XbDialplanLookupFunc lookup, gpointer user_data);

G_END_DECLS
