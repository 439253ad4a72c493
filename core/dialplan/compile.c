/* compile.c: reads a dialplan file, validates it against dialplans/dialplan.rng (compiled
 * into libcrossbar as a GResource) and compiles it: every regular expression once, every
 * time attribute into spans, every field name checked. Each error names the file and the
 * line of the element at fault, and no half-compiled plan ever escapes. Applications are
 * checked separately (xb_dialplan_check_apps), once the modules that register them loaded. */
#include "dialplan_private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

GQuark xb_dialplan_error_quark(void)
{
	return g_quark_from_static_string("xb-dialplan-error-quark");
}

/* Fields a condition may test besides ${variables}. */
static const char *const known_fields[] = {
    "destination_number", "caller_id_number", "caller_id_name", "network_addr", "context", NULL,
};

/* Applications that may run inline, during the hunt: those that only touch variables. */
static const char *const inline_apps[] = {"set", "unset", "export", NULL};

/* ---- freeing ---- */

static void action_free(gpointer data)
{
	Action *a = data;

	g_free(a->application);
	g_free(a->data);
	g_free(a);
}

static void item_free(gpointer data);

static void condition_free(Condition *c)
{
	g_free(c->field);
	g_free(c->expression);
	g_clear_pointer(&c->regex, g_regex_unref);
	g_ptr_array_unref(c->times);
	g_ptr_array_unref(c->items);
	g_ptr_array_unref(c->anti);
	g_free(c);
}

static void item_free(gpointer data)
{
	if (*(ItemKind *)data == ITEM_ACTION)
		action_free(data);
	else
		condition_free(data);
}

static void extension_free(gpointer data)
{
	Extension *e = data;

	g_free(e->name);
	g_ptr_array_unref(e->conditions);
	g_free(e);
}

static void context_free(gpointer data)
{
	Context *c = data;

	g_free(c->name);
	g_ptr_array_unref(c->extensions);
	g_free(c);
}

/* Every plan alive (compiled and not freed yet), so that a module closing can take back
 * the data its sections compiled in each. Main thread only. */
static GHashTable *live_plans;

static void section_free(gpointer p)
{
	SectionData *sd = p;

	if (sd->def && sd->data)
		sd->def->free(sd->data);
	g_free(sd);
}

void xb_dialplan_forget_sections(XbModule *owner)
{
	GHashTableIter it;
	XbDialplan *plan;

	if (!live_plans)
		return;
	g_hash_table_iter_init(&it, live_plans);
	while (g_hash_table_iter_next(&it, (gpointer *)&plan, NULL)) {
		for (guint i = 0; plan->sections && i < plan->sections->len; i++) {
			SectionData *sd = plan->sections->pdata[i];
			if (sd->owner != owner || !sd->def)
				continue;
			if (sd->data)
				sd->def->free(sd->data);
			sd->data = NULL;
			sd->def = NULL;
		}
	}
}

gpointer xb_dialplan_section(const XbDialplan *plan, const char *element)
{
	for (guint i = 0; plan && plan->sections && i < plan->sections->len; i++) {
		const SectionData *sd = plan->sections->pdata[i];
		if (sd->def && strcmp(sd->def->element, element) == 0)
			return sd->data;
	}
	return NULL;
}

static void plan_clear(gpointer data)
{
	XbDialplan *plan = data;

	if (live_plans)
		g_hash_table_remove(live_plans, plan);
	g_clear_pointer(&plan->sections, g_ptr_array_unref);
	g_clear_pointer(&plan->foreign, g_array_unref);
	g_free(plan->file);
	g_free(plan->tz_name);
	g_clear_pointer(&plan->tz, g_time_zone_unref);
	g_clear_pointer(&plan->contexts, g_ptr_array_unref);
	g_clear_pointer(&plan->apps, g_array_unref);
}

XbDialplan *xb_dialplan_ref(XbDialplan *plan)
{
	return g_rc_box_acquire(plan);
}

void xb_dialplan_unref(XbDialplan *plan)
{
	if (plan)
		g_rc_box_release_full(plan, plan_clear);
}

const char *xb_dialplan_file(const XbDialplan *plan)
{
	return plan->file;
}

guint xb_dialplan_n_contexts(const XbDialplan *plan)
{
	return plan->contexts->len;
}

guint xb_dialplan_n_extensions(const XbDialplan *plan)
{
	return plan->n_extensions;
}

/* ---- reading and validating ---- */

/* The document of `name`, read from memory when xml is given, else from the file; well
 * formed and valid against the schema, or NULL with the first error and its line. The
 * schema knows <context>s only: every other top-level element (a module's section) is
 * unlinked into `sections` before the document is validated. */
static xmlDoc *read_doc(const char *name, const char *xml, gsize len, GPtrArray *sections,
                        GError **error)
{
	static const char *const own[] = {"context", NULL};
	const XbXmlKind kind = {"/org/crossbar/dialplan.rng", "dialplan", XB_DIALPLAN_ERROR,
	                        XB_DIALPLAN_ERROR_MALFORMED, own};

	return xb_xml_read(&kind, name, xml, len, sections, error);
}

/* ---- compiling ---- */

typedef struct xb_dialplan_compiler {
	XbDialplan *plan;
	GHashTable *apps_seen; /* application name -> TRUE */
	GError **error;
} Compiler;

static gboolean fail(Compiler *c, xmlNode *node, const char *format, ...) G_GNUC_PRINTF(3, 4);

/* The plan names `application` (the first time: at `line`). */
static void use_app(Compiler *c, const char *application, guint line)
{
	if (g_hash_table_contains(c->apps_seen, application))
		return;
	XbDialplanAppUse use = {application, line, NULL};
	g_hash_table_add(c->apps_seen, (gpointer)application);
	g_array_append_val(c->plan->apps, use);
}

static gboolean fail(Compiler *c, xmlNode *node, const char *format, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(c->error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID, "%s:%ld: %s",
	            c->plan->file, xmlGetLineNo(node), msg);
	return FALSE;
}

static char *prop(xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetProp(node, BAD_CAST name);
	char *out = v ? g_strdup((const char *)v) : NULL;

	xmlFree(v);
	return out;
}

static gboolean is(xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && xmlStrcmp(node->name, BAD_CAST name) == 0;
}

static Action *compile_action(Compiler *c, xmlNode *node)
{
	Action *a = g_new0(Action, 1);
	g_autofree char *inl = prop(node, "inline");

	a->kind = ITEM_ACTION;
	a->line = xmlGetLineNo(node);
	a->application = prop(node, "application");
	a->data = prop(node, "data");
	if (!a->data)
		a->data = g_strdup("");
	a->is_inline = g_strcmp0(inl, "true") == 0;
	if (a->is_inline && !g_strv_contains(inline_apps, a->application)) {
		fail(c, node, "application '%s' cannot run inline (only set, unset and export do)",
		     a->application);
		action_free(a);
		return NULL;
	}
	use_app(c, a->application, a->line);
	return a;
}

static gboolean compile_field(Compiler *c, xmlNode *node, Condition *cond)
{
	g_autoptr(GError) rerr = NULL;

	cond->field = prop(node, "field");
	cond->expression = prop(node, "expression");
	if (cond->field && !cond->expression)
		return fail(c, node, "field=\"%s\" without an expression", cond->field);
	if (!cond->field && cond->expression)
		return fail(c, node, "expression=\"%s\" without a field", cond->expression);
	if (!cond->field)
		return TRUE;
	if (!strstr(cond->field, "${") && !g_strv_contains(known_fields, cond->field))
		return fail(c, node,
		            "unknown field '%s' (destination_number, caller_id_number, "
		            "caller_id_name, network_addr, context, or ${variable})",
		            cond->field);
	cond->regex = g_regex_new(cond->expression, G_REGEX_OPTIMIZE, 0, &rerr);
	if (!cond->regex)
		return fail(c, node, "expression \"%s\": %s", cond->expression, rerr->message);
	return TRUE;
}

static Condition *compile_condition(Compiler *c, xmlNode *node)
{
	Condition *cond = g_new0(Condition, 1);
	g_autofree char *brk = prop(node, "break");

	cond->kind = ITEM_CONDITION;
	cond->line = xmlGetLineNo(node);
	cond->times = g_ptr_array_new_with_free_func(xb_dialplan_time_free);
	cond->items = g_ptr_array_new_with_free_func(item_free);
	cond->anti = g_ptr_array_new_with_free_func(action_free);
	cond->brk = !brk || strcmp(brk, "on-false") == 0 ? BREAK_ON_FALSE
	            : strcmp(brk, "on-true") == 0        ? BREAK_ON_TRUE
	            : strcmp(brk, "always") == 0         ? BREAK_ALWAYS
	                                                 : BREAK_NEVER;
	if (!compile_field(c, node, cond))
		goto fail;
	for (TimeField f = 0; f < TIME_N_FIELDS; f++) {
		g_autofree char *text = prop(node, xb_dialplan_time_name(f));
		g_autofree char *why = NULL;
		if (!text)
			continue;
		TimeTest *t = xb_dialplan_time_parse(f, text, &why);
		if (!t) {
			fail(c, node, "%s", why);
			goto fail;
		}
		g_ptr_array_add(cond->times, t);
	}
	for (xmlNode *n = node->children; n; n = n->next) {
		gpointer item = NULL;
		if (is(n, "action"))
			item = compile_action(c, n);
		else if (is(n, "condition"))
			item = compile_condition(c, n);
		else if (is(n, "anti-action")) {
			Action *a = compile_action(c, n);
			if (!a)
				goto fail;
			g_ptr_array_add(cond->anti, a);
			continue;
		} else
			continue;
		if (!item)
			goto fail;
		g_ptr_array_add(cond->items, item);
	}
	return cond;
fail:
	condition_free(cond);
	return NULL;
}

static Extension *compile_extension(Compiler *c, xmlNode *node)
{
	Extension *e = g_new0(Extension, 1);
	g_autofree char *cont = prop(node, "continue");

	e->name = prop(node, "name");
	e->line = xmlGetLineNo(node);
	e->cont = g_strcmp0(cont, "true") == 0;
	e->conditions = g_ptr_array_new_with_free_func(item_free);
	for (xmlNode *n = node->children; n; n = n->next) {
		if (!is(n, "condition"))
			continue;
		Condition *cond = compile_condition(c, n);
		if (!cond) {
			extension_free(e);
			return NULL;
		}
		g_ptr_array_add(e->conditions, cond);
	}
	return e;
}

static Context *compile_context(Compiler *c, xmlNode *node)
{
	Context *ctx = g_new0(Context, 1);

	ctx->name = prop(node, "name");
	ctx->line = xmlGetLineNo(node);
	ctx->extensions = g_ptr_array_new_with_free_func(extension_free);
	for (guint i = 0; i < c->plan->contexts->len; i++) {
		Context *other = c->plan->contexts->pdata[i];
		if (strcmp(other->name, ctx->name) == 0) {
			fail(c, node, "context '%s' is already defined at line %u", ctx->name,
			     other->line);
			context_free(ctx);
			return NULL;
		}
	}
	for (xmlNode *n = node->children; n; n = n->next) {
		if (!is(n, "extension"))
			continue;
		Extension *e = compile_extension(c, n);
		if (!e) {
			context_free(ctx);
			return NULL;
		}
		g_ptr_array_add(ctx->extensions, e);
		c->plan->n_extensions++;
	}
	return ctx;
}

static gboolean set_timezone(XbDialplan *plan, const char *timezone, GError **error)
{
	plan->tz_name = g_strdup(timezone ? timezone : "");
	if (!*plan->tz_name) {
		plan->tz = g_time_zone_new_local();
		return TRUE;
	}
	plan->tz = g_time_zone_new_identifier(plan->tz_name);
	if (!plan->tz) {
		g_set_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_TIMEZONE,
		            "dialplan.timezone: '%s' is not a known time zone (e.g. Europe/Berlin, "
		            "UTC, +01:00)",
		            plan->tz_name);
		return FALSE;
	}
	return TRUE;
}

/* ---- the sections of modules ---- */

const char *xb_dialplan_compiler_file(const XbDialplanCompiler *c)
{
	return c->plan->file;
}

gboolean xb_dialplan_compiler_error(XbDialplanCompiler *c, GError **error, xmlNode *node,
                                    const char *format, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID, "%s:%ld: %s",
	            c->plan->file, node ? xmlGetLineNo(node) : 0L, msg);
	return FALSE;
}

void xb_dialplan_compiler_use_app(XbDialplanCompiler *c, const char *application, guint line)
{
	/* Interned: the plan's list outlives the module's data (a module closing frees it). */
	use_app(c, g_intern_string(application), line);
}

static void actions_of(const GPtrArray *items, const GPtrArray *anti, const char *application,
                       GArray *out)
{
	for (guint i = 0; items && i < items->len; i++) {
		const Action *a = items->pdata[i];
		if (a->kind == ITEM_CONDITION) {
			const Condition *cond = items->pdata[i];
			actions_of(cond->items, cond->anti, application, out);
		} else if (strcmp(a->application, application) == 0) {
			XbDialplanActionUse use = {a->data, a->line};
			g_array_append_val(out, use);
		}
	}
	for (guint i = 0; anti && i < anti->len; i++) {
		const Action *a = anti->pdata[i];
		if (strcmp(a->application, application) == 0) {
			XbDialplanActionUse use = {a->data, a->line};
			g_array_append_val(out, use);
		}
	}
}

static gint use_cmp(gconstpointer a, gconstpointer b)
{
	const XbDialplanActionUse *x = a, *y = b;
	return x->line < y->line ? -1 : x->line > y->line;
}

GArray *xb_dialplan_compiler_actions(const XbDialplanCompiler *c, const char *application)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(XbDialplanActionUse));

	for (guint i = 0; i < c->plan->contexts->len; i++) {
		const Context *ctx = c->plan->contexts->pdata[i];
		for (guint j = 0; j < ctx->extensions->len; j++) {
			const Extension *e = ctx->extensions->pdata[j];
			actions_of(e->conditions, NULL, application, out);
		}
	}
	g_array_sort(out, use_cmp); /* anti-actions come after their condition's actions */
	return out;
}

/* A top-level element other than <context>: a section a module declares is compiled by
 * it; one that a part of crossbar not loaded provides is noted and left; anything else is
 * an error. */
static gboolean compile_section(Compiler *c, xmlNode *node)
{
	const char *element = (const char *)node->name;
	XbModule *owner = NULL;
	const XbDialplanSection *def = xb_module_dialplan_section(element, &owner);
	const char *provider = xb_dialplan_section_provider(element);
	guint line = xmlGetLineNo(node);

	for (guint i = 0; i < c->plan->sections->len; i++) {
		const SectionData *other = c->plan->sections->pdata[i];
		if (strcmp(other->def->element, element) == 0)
			return fail(c, node, "<%s> is already at line %u (one per plan)", element,
			            other->line);
	}
	if (!def && provider) {
		XbDialplanAppUse use = {g_intern_string(element), line, provider};
		g_array_append_val(c->plan->foreign, use);
		return TRUE;
	}
	if (!def)
		return fail(c, node,
		            "unknown element <%s>: a dialplan holds <context>s, and the "
		            "sections of the modules of core.modules",
		            element);
	gpointer data = def->compile(c, node, c->error);
	if (!data) {
		if (c->error && !*c->error)
			fail(c, node, "<%s> refused by module %s", element, xb_module_name(owner));
		return FALSE;
	}
	SectionData *sd = g_new0(SectionData, 1);
	sd->def = def;
	sd->owner = owner;
	sd->line = line;
	sd->data = data;
	g_ptr_array_add(c->plan->sections, sd);
	return TRUE;
}

static XbDialplan *load(const char *name, const char *xml, gsize len, const char *timezone,
                        GError **error)
{
	g_autoptr(XbDialplan) plan = g_rc_box_new0(XbDialplan);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) sections = g_ptr_array_new();
	Compiler c = {plan, seen, error};
	gboolean ok = TRUE;
	xmlDoc *doc;

	plan->file = g_strdup(name);
	plan->contexts = g_ptr_array_new_with_free_func(context_free);
	plan->apps = g_array_new(FALSE, FALSE, sizeof(XbDialplanAppUse));
	plan->sections = g_ptr_array_new_with_free_func(section_free);
	plan->foreign = g_array_new(FALSE, FALSE, sizeof(XbDialplanAppUse));
	if (!live_plans)
		live_plans = g_hash_table_new(NULL, NULL);
	g_hash_table_add(live_plans, plan);
	if (!set_timezone(plan, timezone, error))
		return NULL;
	doc = read_doc(name, xml, len, sections, error);
	if (!doc)
		return NULL;
	/* The contexts first: a section may look at their actions. */
	for (xmlNode *n = xmlDocGetRootElement(doc)->children; n && ok; n = n->next) {
		if (!is(n, "context"))
			continue;
		Context *ctx = compile_context(&c, n);
		if (ctx)
			g_ptr_array_add(plan->contexts, ctx);
		ok = ctx != NULL;
	}
	for (guint i = 0; i < sections->len && ok; i++)
		ok = compile_section(&c, sections->pdata[i]);
	for (guint i = 0; i < sections->len; i++)
		xmlFreeNode(sections->pdata[i]);
	xmlFreeDoc(doc);
	return ok ? g_steal_pointer(&plan) : NULL;
}

XbDialplan *xb_dialplan_load(const char *file, const char *timezone, GError **error)
{
	g_return_val_if_fail(file != NULL, NULL);

	if (access(file, R_OK) != 0) {
		int e = errno;
		g_set_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_IO, "%s: cannot read: %s",
		            file, g_strerror(e));
		return NULL;
	}
	return load(file, NULL, 0, timezone, error);
}

XbDialplan *xb_dialplan_load_data(const char *name, const char *xml, gsize len,
                                  const char *timezone, GError **error)
{
	g_return_val_if_fail(name != NULL && xml != NULL, NULL);
	return load(name, xml, len, timezone, error);
}
