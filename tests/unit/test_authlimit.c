/* test_authlimit.c: the core's shared authentication-failure limiter: a ban after
 * `failures` failures within the window and only then, its end after ban_s, IPv6 sources
 * counted by /64 and IPv4-mapped ones as IPv4, modules adding up, and a full table that
 * forgets its oldest source instead of counting no one. Runs on the manual clock. */
#include <crossbar/crossbar.h>
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static const XbAuthLimitConfig cfg = {.failures = 3, .window_s = 60, .ban_s = 600};

static struct sockaddr_storage addr(const char *text, guint16 port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		g_assert_cmpint(inet_pton(AF_INET6, text, &in6->sin6_addr), ==, 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		g_assert_cmpint(inet_pton(AF_INET, text, &in->sin_addr), ==, 1);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void setup(void)
{
	xb_clock_set_manual(1000);
	xb_authlimit_reset();
	xb_authlimit_configure(&cfg);
}

static void test_ban_after_failures_in_window(void)
{
	struct sockaddr_storage a = addr("192.0.2.1", 5060), other = addr("192.0.2.2", 5060);

	setup();
	g_assert_false(xb_authlimit_is_banned(SA(a)));
	g_assert_false(xb_authlimit_failure(SA(a), "registrar"));
	g_assert_false(xb_authlimit_failure(SA(a), "registrar"));
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "registrar: 192.0.2.1 banned for 600 s after 3 failed*");
	g_assert_true(xb_authlimit_failure(SA(a), "registrar")); /* the third starts the ban */
	g_test_assert_expected_messages();
	g_assert_true(xb_authlimit_is_banned(SA(a)));
	g_assert_false(xb_authlimit_failure(SA(a), "registrar")); /* once */
	g_assert_false(xb_authlimit_is_banned(SA(other)));
	g_assert_cmpuint(xb_authlimit_banned_count(), ==, 1);
	g_assert_cmpuint(xb_authlimit_tracked_count(), ==, 1);
	xb_clock_advance(600 * 1000 + 1);
	g_assert_false(xb_authlimit_is_banned(SA(a)));
	g_assert_cmpuint(xb_authlimit_banned_count(), ==, 0);
	xb_authlimit_reset();
}

static void test_window_expires(void)
{
	struct sockaddr_storage a = addr("192.0.2.1", 5060);

	setup();
	xb_authlimit_failure(SA(a), "turn");
	xb_authlimit_failure(SA(a), "turn");
	xb_clock_advance(61 * 1000);
	/* The window passed: this one starts a new count. */
	g_assert_false(xb_authlimit_failure(SA(a), "turn"));
	g_assert_false(xb_authlimit_failure(SA(a), "turn"));
	g_assert_false(xb_authlimit_is_banned(SA(a)));
	xb_authlimit_reset();
}

static void test_modules_add_up(void)
{
	struct sockaddr_storage sip = addr("198.51.100.7", 5060), turn = addr("198.51.100.7", 3478);

	setup();
	xb_authlimit_failure(SA(sip), "registrar");
	xb_authlimit_failure(SA(turn), "turn");
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING, "turn: 198.51.100.7 banned*");
	g_assert_true(xb_authlimit_failure(SA(turn), "turn"));
	g_test_assert_expected_messages();
	g_assert_true(xb_authlimit_is_banned(SA(sip)));
	xb_authlimit_reset();
}

static void test_ipv6_by_64(void)
{
	struct sockaddr_storage a = addr("2001:db8:1:2::1", 5060),
	                        b = addr("2001:db8:1:2:ffff::9", 1),
	                        c = addr("2001:db8:1:3::1", 5060),
	                        mapped = addr("::ffff:192.0.2.9", 5060), v4 = addr("192.0.2.9", 7);

	setup();
	xb_authlimit_failure(SA(a), "registrar");
	xb_authlimit_failure(SA(b), "registrar");
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "registrar: 2001:db8:1:2::/64 banned*");
	g_assert_true(xb_authlimit_failure(SA(a), "registrar"));
	g_test_assert_expected_messages();
	g_assert_true(xb_authlimit_is_banned(SA(b)));
	g_assert_false(xb_authlimit_is_banned(SA(c))); /* the next /64 is someone else */
	xb_authlimit_failure(SA(mapped), "registrar");
	xb_authlimit_failure(SA(v4), "registrar");
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING, "registrar: 192.0.2.9 banned*");
	g_assert_true(xb_authlimit_failure(SA(mapped), "registrar"));
	g_test_assert_expected_messages();
	g_assert_true(xb_authlimit_is_banned(SA(v4)));
	xb_authlimit_reset();
}

/* A full table drops its least recently failed source and keeps counting new ones. */
static void test_full_table_evicts_oldest(void)
{
	struct sockaddr_storage first = addr("10.0.0.0", 1), last;

	setup();
	for (guint i = 0; i < XB_AUTHLIMIT_MAX_SOURCES; i++) {
		char ip[32];
		g_snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		struct sockaddr_storage s = addr(ip, 1);
		xb_authlimit_failure(SA(s), "registrar");
	}
	g_assert_cmpuint(xb_authlimit_tracked_count(), ==, XB_AUTHLIMIT_MAX_SOURCES);
	/* 10.0.0.0 failed first; failing again makes it the newest, so 10.0.0.1 goes next. */
	xb_authlimit_failure(SA(first), "registrar");
	last = addr("172.16.0.1", 1);
	xb_authlimit_failure(SA(last), "registrar");
	xb_authlimit_failure(SA(last), "registrar");
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING, "registrar: 172.16.0.1 banned*");
	g_assert_true(xb_authlimit_failure(SA(last), "registrar"));
	g_test_assert_expected_messages();
	g_assert_cmpuint(xb_authlimit_tracked_count(), ==, XB_AUTHLIMIT_MAX_SOURCES);
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING, "registrar: 10.0.0.0 banned*");
	g_assert_true(xb_authlimit_failure(SA(first), "registrar")); /* its count survived */
	g_test_assert_expected_messages();
	xb_authlimit_reset();
}

static void test_zero_never_bans(void)
{
	XbAuthLimitConfig off = cfg;
	struct sockaddr_storage a = addr("192.0.2.1", 5060);

	setup();
	off.failures = 0;
	xb_authlimit_configure(&off);
	for (int i = 0; i < 20; i++)
		g_assert_false(xb_authlimit_failure(SA(a), "registrar"));
	g_assert_false(xb_authlimit_is_banned(SA(a)));
	g_assert_cmpuint(xb_authlimit_tracked_count(), ==, 0);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/authlimit/ban-after-failures-in-window",
	                test_ban_after_failures_in_window);
	g_test_add_func("/authlimit/window-expires", test_window_expires);
	g_test_add_func("/authlimit/modules-add-up", test_modules_add_up);
	g_test_add_func("/authlimit/ipv6-by-64", test_ipv6_by_64);
	g_test_add_func("/authlimit/full-table-evicts-oldest", test_full_table_evicts_oldest);
	g_test_add_func("/authlimit/zero-never-bans", test_zero_never_bans);
	return g_test_run();
}
