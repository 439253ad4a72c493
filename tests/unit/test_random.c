/* test_random.c: unguessable tokens (crossbar/random.h). */
#include <crossbar/random.h>

#include <string.h>

/* Exactly the digits asked for, lowercase hex, NUL-terminated, odd lengths too. */
static void test_hex_shape(void)
{
	for (gsize n = 0; n <= 200; n++) {
		char buf[202];

		memset(buf, 'x', sizeof(buf));
		xb_random_hex(buf, n);
		g_assert_cmpuint(strlen(buf), ==, n);
		g_assert_cmpint(buf[n + 1], ==, 'x'); /* nothing written past the NUL */
		for (gsize i = 0; i < n; i++)
			g_assert_true(g_ascii_isxdigit(buf[i]) && !g_ascii_isupper(buf[i]));
	}
}

/* 10,000 tags of 64 bits: none twice, and every hex digit about equally often. */
static void test_hex_spread(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint count[16] = {0};

	for (guint i = 0; i < 10000; i++) {
		char *t = xb_random_hex_new(16);
		for (const char *p = t; *p; p++)
			count[g_ascii_xdigit_value(*p)]++;
		g_assert_true(g_hash_table_add(seen, t));
	}
	for (guint d = 0; d < 16; d++) { /* 10,000 expected of each; one sigma is ~100 */
		g_assert_cmpuint(count[d], >, 9000);
		g_assert_cmpuint(count[d], <, 11000);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/random/hex-shape", test_hex_shape);
	g_test_add_func("/random/hex-spread", test_hex_spread);
	return g_test_run();
}
