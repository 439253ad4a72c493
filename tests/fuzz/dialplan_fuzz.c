/* dialplan_fuzz.c: libFuzzer target of the dialplan compiler (core/dialplan/compile.c and
 * timespec.c): any bytes are read as a plan and validated against the schema; a plan that
 * compiles is hunted in its contexts for a few short numbers (short, so that a fuzzed
 * regular expression cannot spend the run backtracking). The compiler is linked without
 * the module loader: in its place one section, <things>, is declared (compiled as the
 * count of its children, refused with an attribute "fail"), and <menus> is known to come
 * with mod_ivr, not loaded, so that modules' sections are fuzzed too. */
#include <crossbar/dialplan.h>
#include <crossbar/module.h>

#include <libxml/tree.h>
#include <stdint.h>

static gpointer things_compile(XbDialplanCompiler *c, xmlNode *node, GError **error)
{
	g_autoptr(GArray) logs = xb_dialplan_compiler_actions(c, "log");
	guint *n = g_new0(guint, 1);

	for (xmlNode *k = node->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (xmlHasProp(k, BAD_CAST "fail")) {
			g_free(n);
			xb_dialplan_compiler_error(c, error, k, "refused");
			return NULL;
		}
		xb_dialplan_compiler_use_app(c, (const char *)k->name, xmlGetLineNo(k));
		(*n)++;
	}
	*n += logs->len;
	return n;
}

static const XbDialplanSection things = {"things", things_compile, g_free};

/* What core/module.c and core/dialplan/dialplan_apps.c give the compiler. */
const XbDialplanSection *xb_module_dialplan_section(const char *element, XbModule **owner);
const XbDialplanSection *xb_module_dialplan_section(const char *element, XbModule **owner)
{
	if (owner)
		*owner = NULL;
	return g_str_equal(element, "things") ? &things : NULL;
}

const char *xb_dialplan_section_provider(const char *element)
{
	return g_str_equal(element, "menus") ? "mod_ivr" : NULL;
}

const char *xb_module_name(const XbModule *mod)
{
	return mod ? "?" : "core";
}

static const char *lookup_cb(const char *name, gpointer user_data)
{
	return g_str_equal(name, "destination_number") ? user_data : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const numbers[] = {"1000", "0", "*72123", ""};
	static const char *const contexts[] = {"default", "public", "d"};
	g_autoptr(GError) error = NULL;
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) now = g_date_time_new(utc, 2026, 5, 4, 10, 30, 15);
	XbDialplan *plan =
	    xb_dialplan_load_data("fuzz.xml", (const char *)data, size, "UTC", &error);

	if (!plan)
		return 0;
	g_assert(!xb_dialplan_section(plan, "menus"));
	xb_dialplan_section(plan, "things");
	for (guint c = 0; c < G_N_ELEMENTS(contexts); c++)
		for (guint n = 0; n < G_N_ELEMENTS(numbers); n++) {
			XbDialplanResult *r = xb_dialplan_hunt(plan, contexts[c], lookup_cb,
			                                       (gpointer)numbers[n], now, NULL);
			xb_dialplan_result_free(r);
		}
	xb_dialplan_unref(plan);
	return 0;
}
