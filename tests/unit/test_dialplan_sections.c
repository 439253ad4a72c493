/* test_dialplan_sections.c: a module's section of the dialplan file (crossbar/dialplan.h),
 * with the test module mod_sections and its <things>. The section is compiled with the
 * plan from the module's descriptor, before any load(); its errors refuse the plan with
 * file and line; the applications it names are checked like the plan's; the plan owns the
 * data, so a plan held across a reload keeps its own; the data goes with the last
 * reference to its plan, or when the module is closed, never twice. An element that no
 * module declares is refused, one a part of crossbar not loaded provides is left. */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

#include <string.h>

#define DIR  XB_BUILDDIR "/tests/unit/modules"
#define HEAD "<?xml version=\"1.0\"?>\n<include>\n"
#define CONTEXT                                                                                    \
	"<context name=\"default\">\n"                                                             \
	"  <extension name=\"e\">\n"                                                               \
	"    <condition field=\"destination_number\" expression=\"^1$\">\n"                        \
	"      <action application=\"log\" data=\"one\"/>\n"                                       \
	"      <anti-action application=\"log\" data=\"two\"/>\n"                                  \
	"    </condition>\n"                                                                       \
	"  </extension>\n"                                                                         \
	"</context>\n"
#define TAIL "</include>\n"

/* What mod_sections compiles <things> to. */
typedef struct {
	guint things, logs;
} Things;

static void setup(const char *modules)
{
	g_auto(GStrv) names = g_strsplit(modules, ",", -1);
	g_autoptr(GError) error = NULL;

	xb_event_init();
	xb_config_init_core();
	if (*modules) {
		g_assert_true(xb_modules_open(DIR, names, NULL, &error));
		g_assert_no_error(error);
	}
}

static void teardown(void)
{
	xb_dialplan_reset();
	xb_modules_unload_all();
	xb_app_reset();
	xb_cli_reset();
	xb_event_shutdown();
	xb_config_reset();
}

static XbDialplan *load(const char *xml, GError **error)
{
	return xb_dialplan_load_data("t.xml", xml, strlen(xml), NULL, error);
}

static XbDialplan *load_ok(const char *xml)
{
	g_autoptr(GError) error = NULL;
	XbDialplan *plan = load(xml, &error);

	g_assert_no_error(error);
	g_assert_nonnull(plan);
	return plan;
}

static void expect_freed(guint things)
{
	g_autofree char *msg = g_strdup_printf("things freed: %u", things);
	g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, msg);
}

/* The plan's <things>, compiled by the module (which sees the plan's actions), belong to
 * the plan: they go with its last reference. */
static void test_compiled_and_owned(void)
{
	setup("sections");
	XbDialplan *plan = load_ok(HEAD CONTEXT "<things>\n"
	                                        "  <thing name=\"a\"/>\n"
	                                        "  <thing name=\"b\"/>\n"
	                                        "</things>\n" TAIL);
	const Things *t = xb_dialplan_section(plan, "things");

	g_assert_nonnull(t);
	g_assert_cmpuint(t->things, ==, 2);
	g_assert_cmpuint(t->logs, ==, 2); /* an action and an anti-action */
	g_assert_null(xb_dialplan_section(plan, "menus"));
	xb_dialplan_ref(plan);
	xb_dialplan_unref(plan);
	g_assert_true(xb_dialplan_section(plan, "things") == t);
	expect_freed(2);
	xb_dialplan_unref(plan);
	g_test_assert_expected_messages();
	teardown();
}

/* What the module refuses refuses the plan, with file and line; what it compiled before
 * the error is freed with the plan that never was. */
static void test_errors_name_file_and_line(void)
{
	g_autoptr(GError) error = NULL;

	setup("sections");
	g_assert_null(load(HEAD CONTEXT "<things>\n"
	                                "  <thing name=\"a\"/>\n"
	                                "  <thing/>\n"
	                                "</things>\n" TAIL,
	                   &error));
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==, "t.xml:13: a <thing> needs a name");
	g_clear_error(&error);

	expect_freed(1);
	g_assert_null(
	    load(HEAD "<things><thing name=\"a\"/></things>\n" CONTEXT "<things/>\n" TAIL, &error));
	g_test_assert_expected_messages();
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==,
	                "t.xml:12: <things> is already at line 3 (one per plan)");
	teardown();
}

/* An application a section names is checked as an action's is, at its line. */
static void test_section_apps_checked(void)
{
	g_autoptr(GError) error = NULL;

	setup("sections");
	g_autoptr(XbDialplan) plan = load_ok(HEAD "<things>\n"
	                                          "  <thing name=\"a\" app=\"frobnicate\"/>\n"
	                                          "</things>\n" TAIL);
	g_assert_false(xb_dialplan_check_apps(plan, &error));
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_APPLICATION);
	g_assert_cmpstr(error->message, ==,
	                "t.xml:4: unknown application 'frobnicate' (crossbar-cli apps lists them)");
	expect_freed(1);
	g_clear_pointer(&plan, xb_dialplan_unref);
	g_test_assert_expected_messages();
	teardown();
}

/* Without the module: <things> is an unknown element (file and line); <menus>, which
 * mod_ivr provides, is left uncompiled and said so. */
static void test_without_the_module(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *report = NULL;

	setup("");
	g_assert_null(load(HEAD CONTEXT "<things/>\n" TAIL, &error));
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID);
	g_assert_true(g_str_has_prefix(error->message, "t.xml:11: unknown element <things>"));
	g_clear_error(&error);

	g_autoptr(XbDialplan) plan = load_ok(HEAD "<menus><menu name=\"x\"/></menus>\n" TAIL);
	g_assert_null(xb_dialplan_section(plan, "menus"));
	xb_dialplan_install(plan);
	g_assert_true(xb_dialplan_check_report(&report, &error));
	g_assert_no_error(error);
	g_assert_nonnull(strstr(report, "t.xml:3: <menus> comes with mod_ivr (not checked)"));
	g_assert_cmpstr(xb_dialplan_section_provider("menus"), ==, "mod_ivr");
	g_assert_null(xb_dialplan_section_provider("things"));
	/* The schema takes any such element, with anything in it; a <context> is still one. */
	g_assert_null(load(HEAD "<context/>\n" TAIL, &error));
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_MALFORMED);
	teardown();
}

/* A plan held across a reload keeps its own data; the new plan has new data. */
static void test_reload_keeps_the_old(void)
{
	setup("sections");
	g_autoptr(XbDialplan) first = load_ok(HEAD "<things><thing name=\"a\"/></things>" TAIL);
	xb_dialplan_install(first);
	g_autoptr(XbDialplan) held = xb_dialplan_current(); /* a call routed with it */
	g_clear_pointer(&first, xb_dialplan_unref);
	g_autoptr(XbDialplan) second = load_ok(
	    HEAD "<things><thing name=\"a\"/><thing name=\"b\"/><thing name=\"c\"/></things>" TAIL);
	xb_dialplan_install(second);
	g_clear_pointer(&second, xb_dialplan_unref);

	g_autoptr(XbDialplan) now = xb_dialplan_current();
	g_assert_cmpuint(((const Things *)xb_dialplan_section(held, "things"))->things, ==, 1);
	g_assert_cmpuint(((const Things *)xb_dialplan_section(now, "things"))->things, ==, 3);
	expect_freed(1);
	g_clear_pointer(&held, xb_dialplan_unref);
	g_test_assert_expected_messages();
	g_clear_pointer(&now, xb_dialplan_unref);
	expect_freed(3);
	xb_dialplan_reset();
	g_test_assert_expected_messages();
	teardown();
}

/* The module closing frees the data of every plan still alive, while its code is there;
 * those plans have no such section any more, and their last reference frees nothing. */
static void test_module_closed_first(void)
{
	setup("sections");
	XbDialplan *a = load_ok(HEAD "<things><thing name=\"a\"/></things>" TAIL);
	XbDialplan *b =
	    load_ok(HEAD "<things><thing name=\"a\"/><thing name=\"b\"/></things>" TAIL);

	/* (in no particular order) */
	g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, "things freed: ?");
	g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, "things freed: ?");
	xb_modules_unload_all();
	g_test_assert_expected_messages();
	g_assert_null(xb_dialplan_section(a, "things"));
	g_assert_null(xb_dialplan_section(b, "things"));
	xb_dialplan_unref(a);
	xb_dialplan_unref(b);
	teardown();
}

/* Two modules may not declare one element. */
static void test_two_declarers(void)
{
	g_autoptr(GError) error = NULL;

	setup("sections,sections2");
	g_assert_false(xb_modules_validate(&error));
	g_assert_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT);
	g_assert_cmpstr(error->message, ==,
	                "module 'sections2': declares the dialplan section <things>, which module "
	                "'sections' has already");
	teardown();
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/dialplan/sections/compiled-and-owned", test_compiled_and_owned);
	g_test_add_func("/dialplan/sections/errors-file-and-line", test_errors_name_file_and_line);
	g_test_add_func("/dialplan/sections/apps-checked", test_section_apps_checked);
	g_test_add_func("/dialplan/sections/without-the-module", test_without_the_module);
	g_test_add_func("/dialplan/sections/reload-keeps-the-old", test_reload_keeps_the_old);
	g_test_add_func("/dialplan/sections/module-closed-first", test_module_closed_first);
	g_test_add_func("/dialplan/sections/two-declarers", test_two_declarers);
	return g_test_run();
}
