/* test_timer.c: timers on the manual clock: firing in deadline order (ties in start order),
 * nothing early, cancel, timers started from a callback, module-owned timers dropped on
 * unload; and one real-clock timer through the main loop. */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

static GString *fired;

static void mark_cb(XbTimer *t, gpointer user_data)
{
	g_string_append_printf(fired, "%s@%" G_GINT64_FORMAT " ", (const char *)user_data,
	                       xb_clock_now());
}

static void test_order_and_cancel(void)
{
	fired = g_string_new(NULL);
	xb_clock_set_manual(1000);
	xb_timer_start(NULL, 500, mark_cb, "A");
	xb_timer_start(NULL, 100, mark_cb, "B");
	XbTimer *c = xb_timer_start(NULL, 300, mark_cb, "C");
	xb_timer_start(NULL, 100, mark_cb, "D"); /* same deadline as B: after it */
	g_assert_cmpuint(xb_timer_pending(), ==, 4);
	g_assert_cmpint(xb_timer_deadline(c), ==, 1300);

	g_assert_cmpuint(xb_clock_advance(99), ==, 0); /* nothing early */
	xb_timer_cancel(c);
	g_assert_cmpuint(xb_clock_advance(1), ==, 2);
	g_assert_cmpstr(fired->str, ==, "B@1100 D@1100 ");
	g_assert_cmpuint(xb_clock_advance(10000), ==, 1);
	g_assert_cmpstr(fired->str, ==, "B@1100 D@1100 A@1500 ");
	g_assert_cmpint(xb_clock_now(), ==, 11100);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	g_string_free(fired, TRUE);
	xb_timer_shutdown();
}

/* A retransmission-style timer that doubles its interval, as SIP's Timer A does. */
static gint64 interval;

static void backoff_cb(XbTimer *t, gpointer user_data)
{
	g_string_append_printf(fired, "%" G_GINT64_FORMAT " ", xb_clock_now());
	interval *= 2;
	if (interval <= 4000)
		xb_timer_start(NULL, interval, backoff_cb, NULL);
}

static void test_restart_from_callback(void)
{
	fired = g_string_new(NULL);
	xb_clock_set_manual(0);
	interval = 500;
	xb_timer_start(NULL, interval, backoff_cb, NULL);
	/* One long advance fires each restarted timer at its own time, in order. */
	g_assert_cmpuint(xb_clock_advance(32000), ==, 4);
	g_assert_cmpstr(fired->str, ==, "500 1500 3500 7500 ");
	g_string_free(fired, TRUE);
	xb_timer_shutdown();
}

static void test_forget_owner(void)
{
	XbModule *fake = (XbModule *)&fired; /* any distinct pointer serves as an owner */

	fired = g_string_new(NULL);
	xb_clock_set_manual(0);
	xb_timer_start(fake, 10, mark_cb, "owned");
	xb_timer_start(NULL, 10, mark_cb, "core");
	xb_timer_forget(fake);
	xb_clock_advance(10);
	g_assert_cmpstr(fired->str, ==, "core@10 ");
	g_string_free(fired, TRUE);
	xb_timer_shutdown();
}

static void quit_cb(XbTimer *t, gpointer user_data)
{
	g_main_loop_quit(user_data);
}

static void test_real_clock(void)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	gint64 start = xb_clock_now();

	xb_timer_start(NULL, 20, quit_cb, loop);
	g_main_loop_run(loop);
	g_assert_cmpint(xb_clock_now() - start, >=, 20);
	xb_timer_shutdown();
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/timer/order-and-cancel", test_order_and_cancel);
	g_test_add_func("/timer/restart-from-callback", test_restart_from_callback);
	g_test_add_func("/timer/forget-owner", test_forget_owner);
	g_test_add_func("/timer/real-clock", test_real_clock);
	return g_test_run();
}
