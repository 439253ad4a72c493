/* test_cli.c: command dispatch (longest prefix wins, unknown commands, duplicate names
 * refused) and the reply's shape (record, table, error). */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

#include <sys/stat.h>
#include <unistd.h>

static gboolean cmd_user(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	xb_cli_reply_message(r, "user %d", argc);
	return TRUE;
}

static gboolean cmd_user_add(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	const char *pw = xb_cli_option(argc, argv, "--password");

	if (argc < 1 || !pw) {
		xb_cli_reply_error(r, "usage: user add EXT --password P");
		return FALSE;
	}
	xb_cli_reply_row(r, "ext", g_variant_new_string(argv[0]), "password_set",
	                 g_variant_new_boolean(TRUE), NULL);
	return TRUE;
}

static const XbCliCommand table[] = {
    {"user", "", "users", cmd_user},
    {"user add", "EXT --password P", "add a user", cmd_user_add},
    XB_CLI_END,
};

static GVariant *run(const char *line)
{
	g_auto(GStrv) words = g_strsplit(line, " ", -1);
	return xb_cli_dispatch(words);
}

static void test_dispatch(void)
{
	const char *s;
	gboolean ok;

	g_assert_true(xb_cli_register(NULL, table, NULL));
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "command 'user' is already registered; core's copy ignored");
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "command 'user add' is already registered; core's copy ignored");
	g_assert_false(xb_cli_register(NULL, table, NULL)); /* names are taken */
	g_test_assert_expected_messages();

	g_autoptr(GVariant) r1 = run("user add 1000 --password secret");
	g_assert_true(g_variant_lookup(r1, "ok", "b", &ok) && ok);
	g_autoptr(GVariant) cols = g_variant_lookup_value(r1, "columns", NULL);
	g_autofree const char **c = g_variant_get_strv(cols, NULL);
	g_assert_cmpstr(c[0], ==, "ext");
	g_assert_cmpstr(c[1], ==, "password_set");

	g_autoptr(GVariant) r2 = run("user list");
	g_assert_true(g_variant_lookup(r2, "message", "&s", &s));
	g_assert_cmpstr(s, ==, "user 1"); /* "user" got the rest as arguments */

	g_autoptr(GVariant) r3 = run("user add 1000");
	g_assert_true(g_variant_lookup(r3, "ok", "b", &ok) && !ok);
	g_assert_true(g_variant_lookup(r3, "error", "&s", &s));
	g_assert_cmpstr(s, ==, "usage: user add EXT --password P");

	g_autoptr(GVariant) r4 = run("frobnicate now");
	g_assert_true(g_variant_lookup(r4, "error", "&s", &s));
	g_assert_cmpstr(s, ==, "unknown command 'frobnicate now' (try 'help')");
	xb_cli_reset();
}

/* The control socket's mode is set without following a link: a name swapped for a link to
 * another file is refused and that file keeps its mode. */
static void test_control_chmod_no_follow(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *target = xb_test_write(dir, "target", "x");
	g_autofree char *link = g_build_filename(dir, "ctl.sock", NULL);
	struct stat st;

	g_assert_cmpint(g_chmod(target, 0644), ==, 0);
	g_assert_cmpint(symlink(target, link), ==, 0);
	g_assert_false(xb_control_chmod_socket(link, 0600));
	g_assert_cmpint(stat(target, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 07777, ==, 0644);
	g_assert_false(xb_control_chmod_socket(target, 0600)); /* not a socket either */
	g_assert_cmpint(stat(target, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 07777, ==, 0644);
	xb_test_rmdir(dir);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/cli/dispatch", test_dispatch);
	g_test_add_func("/cli/control-chmod-no-follow", test_control_chmod_no_follow);
	return g_test_run();
}
