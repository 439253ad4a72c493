/* test_directory.c: the directory's functions for modules on a real SQLite store: setting a
 * user's voicemail PIN (xb_directory_set_pin) as a salted hash that xb_directory_check_pin
 * then accepts, and what it refuses without changing anything. */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

#include <string.h>

typedef struct {
	char *dir;
	XbDb *db;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	char *overrides[] = {"directory.demo_users=no", "directory.realm=pbx.test", NULL};
	char *modules[] = {NULL};
	g_autofree char *path = NULL;
	XbConfig *cfg;

	g_autofree char *file = NULL;

	f->dir = xb_test_tmpdir();
	file = xb_test_write(f->dir, "crossbar.xml",
	                     "<crossbar><directory><user id=\"2001\" password=\"secret\" "
	                     "pin=\"1234\"/></directory></crossbar>");
	xb_config_init_core();
	xb_directory_declare();
	cfg = xb_config_read(file, overrides, &error);
	g_assert_no_error(error);
	g_assert_true(xb_config_validate(cfg, modules, TRUE, &error));
	xb_config_install(cfg);
	path = g_build_filename(f->dir, "crossbar.db", NULL);
	f->db = xb_db_open(path, &error);
	g_assert_no_error(error);
	g_assert_true(xb_directory_start(f->db, &error));
	g_assert_no_error(error);
}

static void teardown(Fixture *f, gconstpointer data)
{
	xb_directory_stop();
	xb_cli_reset();
	xb_db_close(f->db);
	xb_config_reset();
	xb_test_rmdir(f->dir);
	g_free(f->dir);
}

static gboolean pin_is(const char *ext, const char *pin)
{
	g_autoptr(XbDirUser) u = xb_directory_lookup(ext);

	g_assert_nonnull(u);
	return xb_directory_check_pin(u, pin);
}

static void test_set_pin(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(XbDirUser) before = xb_directory_lookup("2001");
	g_autoptr(XbDirUser) after = NULL;

	g_assert_true(pin_is("2001", "1234"));
	g_assert_true(xb_directory_set_pin("2001", "987654", &error));
	g_assert_no_error(error);
	g_assert_true(pin_is("2001", "987654"));
	g_assert_false(pin_is("2001", "1234"));
	g_assert_false(pin_is("2001", "98765"));
	/* a new salt, and the rest of the user unchanged */
	after = xb_directory_lookup("2001");
	g_assert_cmpstr(after->pin_salt, !=, before->pin_salt);
	g_assert_cmpstr(after->ha1_md5, ==, before->ha1_md5);
	g_assert_cmpstr(after->context, ==, before->context);
	g_assert_null(strstr(after->pin_hash, "987654"));
}

static void test_set_pin_refused(Fixture *f, gconstpointer data)
{
	static const char *const bad[] = {"", "12a4", "12 34", "-123", "12345678901234567", "١٢٣٤"};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(xb_directory_set_pin("2001", bad[i], &error));
		g_assert_nonnull(error);
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(xb_directory_set_pin("2001", NULL, &error));
		g_assert_nonnull(error);
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(xb_directory_set_pin("2999", "1234", &error));
		g_assert_nonnull(strstr(error->message, "no user 2999"));
	}
	g_assert_true(pin_is("2001", "1234"));
	{
		g_autoptr(GError) error = NULL;
		g_assert_true(xb_directory_set_pin("2001", "1234567890123456", &error));
		g_assert_true(pin_is("2001", "1234567890123456"));
	}
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add("/directory/pin/set", Fixture, NULL, setup, test_set_pin, teardown);
	g_test_add("/directory/pin/refused", Fixture, NULL, setup, test_set_pin_refused, teardown);
	return g_test_run();
}
