/* test_loader.c: the module loader: a good module and what it registers, requirements
 * pulled in and ordered, and each refusal (wrong ABI, missing requirement, cycle, failed
 * load, not a module, no file) with its one-line reason; optional modules skipped. */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

#include <string.h>

#define DIR XB_BUILDDIR "/tests/unit/modules"

static GString *events;

static void record_cb(const char *type, GVariant *payload, gpointer user_data)
{
	const char *name;

	g_variant_get(payload, "(&s)", &name);
	g_string_append_printf(events, "%s:%s ", strcmp(type, XB_EVENT_MODULE_LOADED) ? "-" : "+",
	                       name);
}

static void setup(void)
{
	xb_event_init();
	xb_config_init_core();
	events = g_string_new(NULL);
	xb_event_subscribe(NULL, XB_EVENT_MODULE_LOADED, record_cb, NULL);
	xb_event_subscribe(NULL, XB_EVENT_MODULE_UNLOADED, record_cb, NULL);
}

static void teardown(void)
{
	xb_modules_unload_all();
	xb_cli_reset();
	xb_app_reset();
	xb_event_shutdown();
	xb_config_reset();
	g_string_free(events, TRUE);
}

static GError *open_modules(const char *names, const char *optional)
{
	g_auto(GStrv) n = g_strsplit(names, ",", -1);
	g_auto(GStrv) o = g_strsplit(optional ? optional : "", ",", -1);
	GError *error = NULL;

	if (!xb_modules_open(DIR, n, o, &error))
		return error;
	return NULL;
}

static void assert_message(GError *error, const char *expect)
{
	g_assert_nonnull(error);
	if (!strstr(error->message, expect))
		g_error("'%s' does not contain '%s'", error->message, expect);
	g_assert_null(strchr(error->message, '\n'));
}

static void test_good_module(void)
{
	g_autoptr(GError) error = NULL;

	setup();
	error = open_modules("good", NULL);
	g_assert_no_error(error);
	g_assert_true(xb_modules_load(&error));
	g_assert_no_error(error);
	XbModule *mod = xb_module_find("good");
	g_assert_nonnull(mod);
	g_assert_cmpint(mod->state, ==, XB_MODULE_LOADED);

	/* What it registered is reachable ... */
	g_assert_true(xb_app_exists("good"));
	g_assert_nonnull(xb_api_get("good"));
	char *words[] = {"good", NULL};
	g_autoptr(GVariant) reply = xb_cli_dispatch(words);
	const char *msg = NULL;
	g_assert_true(g_variant_lookup(reply, "message", "&s", &msg));
	g_assert_cmpstr(msg, ==, "good");
	/* ... and its settings section is declared. */
	char *sets[] = {"good.level=5", NULL};
	g_autoptr(XbConfig) cfg = xb_config_read(NULL, sets, &error);
	char *configured[] = {"good", NULL};
	g_assert_true(xb_config_validate(cfg, configured, FALSE, &error));

	/* ... until it unloads. */
	xb_modules_unload_all();
	g_assert_false(xb_app_exists("good"));
	g_assert_null(xb_api_get("good"));
	g_autoptr(GVariant) reply2 = xb_cli_dispatch(words);
	g_assert_true(g_variant_lookup(reply2, "error", "&s", &msg));
	xb_event_dispatch_pending();
	g_assert_cmpstr(events->str, ==, "+:good -:good ");
	teardown();
}

static void test_requirement_order(void)
{
	g_autoptr(GError) error = NULL;

	setup();
	/* needs_good names good as required: good is pulled in and loads first. */
	error = open_modules("needs_good", NULL);
	g_assert_no_error(error);
	GPtrArray *mods = xb_modules_list();
	g_assert_cmpuint(mods->len, ==, 2);
	g_assert_cmpstr(((XbModule *)mods->pdata[0])->name, ==, "good");
	g_assert_cmpstr(((XbModule *)mods->pdata[1])->name, ==, "needs_good");
	g_assert_true(xb_modules_load(&error));
	g_assert_no_error(error);
	xb_modules_unload_all();
	xb_event_dispatch_pending();
	/* Unload runs in reverse. */
	g_assert_cmpstr(events->str, ==, "+:good +:needs_good -:needs_good -:good ");
	teardown();
}

static void test_wrong_abi(void)
{
	setup();
	g_autoptr(GError) error = open_modules("badabi", NULL);
	g_autofree char *want =
	    g_strdup_printf("module 'badabi': built for module ABI %u, this crossbar has ABI %u",
	                    XB_MODULE_ABI_VERSION + 98, XB_MODULE_ABI_VERSION);
	assert_message(error, want);
	g_assert_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_ABI);
	teardown();
}

static void test_missing_requirement(void)
{
	setup();
	g_autoptr(GError) error = open_modules("needs_missing", NULL);
	assert_message(error, "module 'missing': mod_missing.so not found");
	g_assert_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_NOT_FOUND);
	teardown();
}

static void test_missing_requirement_optional(void)
{
	setup();
	g_test_expect_message(
	    "crossbar", G_LOG_LEVEL_WARNING,
	    "module 'missing': mod_missing.so not found in * (optional, skipped)");
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "module 'needs_missing': requires module 'missing', which could not "
	                      "be loaded (optional, skipped)");
	g_autoptr(GError) error = open_modules("good,needs_missing", "needs_missing,missing");
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(xb_module_find("good"));
	g_assert_null(xb_module_find("needs_missing"));
	teardown();
}

static void test_cycle(void)
{
	setup();
	g_autoptr(GError) error = open_modules("cyc_a", NULL);
	assert_message(error, "dependency cycle cyc_a -> cyc_b -> cyc_a");
	g_assert_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DEPENDENCY);
	teardown();
}

static void test_load_failure(void)
{
	g_autoptr(GError) error = NULL;

	setup();
	error = open_modules("good,failload", NULL);
	g_assert_no_error(error);
	g_assert_false(xb_modules_load(&error));
	assert_message(error, "module 'failload': device /dev/nothing not found");
	teardown();
}

static void test_load_failure_optional(void)
{
	g_autoptr(GError) error = NULL;

	setup();
	error = open_modules("good,failload", "failload");
	g_assert_no_error(error);
	g_test_expect_message("crossbar", G_LOG_LEVEL_MESSAGE, "module good 1.0 loaded");
	g_test_expect_message(
	    "crossbar", G_LOG_LEVEL_WARNING,
	    "module 'failload': device /dev/nothing not found (optional, skipped)");
	g_assert_true(xb_modules_load(&error));
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_cmpint(xb_module_find("failload")->state, ==, XB_MODULE_FAILED);
	g_assert_cmpint(xb_module_find("good")->state, ==, XB_MODULE_LOADED);
	teardown();
}

static void test_not_a_module(void)
{
	setup();
	g_autoptr(GError) error = open_modules("nodesc", NULL);
	assert_message(error, "is not a crossbar module (no xb_module_descriptor)");
	g_assert_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DESCRIPTOR);
	teardown();
}

static void test_command_declared_twice(void)
{
	g_autoptr(GError) error = NULL;

	setup();
	error = open_modules("good,clash", NULL);
	g_assert_no_error(error);
	g_assert_false(xb_modules_validate(&error));
	assert_message(error, "module 'clash': declares command 'good', which module 'good' has "
	                      "already");
	g_assert_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT);
	g_assert_true(xb_cli_core_has("status"));
	g_assert_true(xb_cli_core_has("user dnd"));
	g_assert_false(xb_cli_core_has("good"));
	teardown();
}

static void test_command_undeclared(void)
{
	g_autoptr(GError) error = NULL;

	setup();
	error = open_modules("clash", NULL);
	g_assert_no_error(error);
	g_assert_true(xb_modules_validate(&error));
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "module clash registers command 'clash' without declaring it in "
	                      "its descriptor (.commands)");
	g_test_expect_message("crossbar", G_LOG_LEVEL_MESSAGE, "module clash 1.0 loaded");
	g_assert_true(xb_modules_load(&error));
	g_test_assert_expected_messages();
	teardown();
}

static void test_no_such_module(void)
{
	setup();
	g_autoptr(GError) error = open_modules("nothere", NULL);
	assert_message(error, "module 'nothere': mod_nothere.so not found in");
	g_assert_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_NOT_FOUND);
	g_autoptr(GError) error2 = open_modules("../etc", NULL);
	assert_message(error2, "not a valid module name");
	g_assert_error(error2, XB_MODULE_ERROR, XB_MODULE_ERROR_NAME);
	teardown();
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/loader/good-module", test_good_module);
	g_test_add_func("/loader/requirement-order", test_requirement_order);
	g_test_add_func("/loader/wrong-abi", test_wrong_abi);
	g_test_add_func("/loader/missing-requirement", test_missing_requirement);
	g_test_add_func("/loader/missing-requirement-optional", test_missing_requirement_optional);
	g_test_add_func("/loader/cycle", test_cycle);
	g_test_add_func("/loader/load-failure", test_load_failure);
	g_test_add_func("/loader/load-failure-optional", test_load_failure_optional);
	g_test_add_func("/loader/not-a-module", test_not_a_module);
	g_test_add_func("/loader/no-such-module", test_no_such_module);
	g_test_add_func("/loader/command-declared-twice", test_command_declared_twice);
	g_test_add_func("/loader/command-undeclared", test_command_undeclared);
	return g_test_run();
}
