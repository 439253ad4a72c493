/* test_util.h: what every unit test shares: a fresh temporary folder per test and GLib's
 * test set-up, under which any warning a test does not expect (g_test_expect_message) is
 * fatal. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

static inline void xb_test_init(int *argc, char ***argv)
{
	g_test_init(argc, argv, NULL);
}

/* A new empty folder under the test's temporary area; remove it with xb_test_rmdir. */
static inline char *xb_test_tmpdir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("crossbar-test-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static inline void xb_test_rmdir(const char *path)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", path);
	g_assert_cmpint(system(cmd), ==, 0);
}

static inline char *xb_test_write(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	return path;
}
