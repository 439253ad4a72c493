/* test_event.c: the event bus: typed registration, delivery in publication order on the
 * main loop (never inside publish), wildcard subscribers, refusal of a wrong payload, and
 * unsubscribing from inside a callback. */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

static GString *seen;

static void record_cb(const char *type, GVariant *payload, gpointer user_data)
{
	g_autofree char *p = g_variant_print(payload, FALSE);
	g_string_append_printf(seen, "%s%s%s ", (const char *)user_data, type, p);
}

static void test_typed_delivery_in_order(void)
{
	xb_event_init();
	seen = g_string_new(NULL);
	g_assert_true(xb_event_type_register("registration", "(si)"));
	g_assert_true(xb_event_type_register("registration", "(si)")); /* same again is fine */
	g_assert_false(xb_event_type_register("registration", "(s)")); /* another type is not */
	g_assert_cmpuint(xb_event_subscribe(NULL, "nosuch", record_cb, "x"), ==, 0);
	xb_event_subscribe(NULL, "registration", record_cb, "a:");
	xb_event_subscribe(NULL, "*", record_cb, "all:");

	g_assert_true(xb_event_publish("registration", g_variant_new("(si)", "1000", 1)));
	g_assert_true(xb_event_publish("registration", g_variant_new("(si)", "1001", 0)));
	/* Nothing is delivered inside publish. */
	g_assert_cmpstr(seen->str, ==, "");
	/* Wrong payload and unknown type are refused. */
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "event 'registration' expects another payload: payload (s) refused");
	g_assert_false(xb_event_publish("registration", g_variant_new("(s)", "1000")));
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "event 'nosuch' is not a registered type: payload (s) refused");
	g_assert_false(xb_event_publish("nosuch", g_variant_new("(s)", "x")));
	g_test_assert_expected_messages();

	/* The main loop delivers, in order. */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpstr(seen->str, ==,
	                "a:registration('1000', 1) all:registration('1000', 1) "
	                "a:registration('1001', 0) all:registration('1001', 0) ");
	g_string_free(seen, TRUE);
	xb_event_shutdown();
}

static guint self_id;
static int calls;

static void once_cb(const char *type, GVariant *payload, gpointer user_data)
{
	calls++;
	xb_event_unsubscribe(self_id);
	/* Publishing from a callback queues; it does not recurse. */
	xb_event_publish(XB_EVENT_SHUTDOWN, g_variant_new("()"));
}

static void test_unsubscribe_in_callback(void)
{
	xb_event_init();
	self_id = xb_event_subscribe(NULL, XB_EVENT_SHUTDOWN, once_cb, NULL);
	calls = 0;
	xb_event_publish(XB_EVENT_SHUTDOWN, g_variant_new("()"));
	xb_event_publish(XB_EVENT_SHUTDOWN, g_variant_new("()"));
	g_assert_cmpuint(xb_event_dispatch_pending(), ==, 3);
	g_assert_cmpint(calls, ==, 1);
	xb_event_shutdown();
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/event/typed-delivery-in-order", test_typed_delivery_in_order);
	g_test_add_func("/event/unsubscribe-in-callback", test_unsubscribe_in_callback);
	return g_test_run();
}
