/* test_db.c: the SQLite helper: migrations run once and in order, survive a reopen, roll
 * back whole when one fails; prepared statements are cached; a corrupt, foreign, newer or
 * unwritable database is refused with an error that names the file. */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const XbMigration v1_v2[] = {
    {1, "CREATE TABLE users (ext TEXT PRIMARY KEY, name TEXT);"},
    {2, "ALTER TABLE users ADD COLUMN pin TEXT; CREATE INDEX users_name ON users(name);"},
};

static const XbMigration v1_v3[] = {
    {1, "CREATE TABLE users (ext TEXT PRIMARY KEY, name TEXT);"},
    {2, "ALTER TABLE users ADD COLUMN pin TEXT; CREATE INDEX users_name ON users(name);"},
    {3, "INSERT INTO users(ext, name) VALUES ('1000', 'Alice');"},
};

static void test_migrations_and_reopen(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "crossbar.db", NULL);
	g_autoptr(GError) error = NULL;
	XbDb *db = xb_db_open(path, &error);

	g_assert_no_error(error);
	g_assert_cmpint(xb_db_schema_version(db, "users"), ==, 0);
	g_assert_true(xb_db_migrate(db, "users", v1_v2, 2, &error));
	g_assert_cmpint(xb_db_schema_version(db, "users"), ==, 2);
	/* Running the same migrations again changes nothing. */
	g_assert_true(xb_db_migrate(db, "users", v1_v2, 2, &error));
	g_assert_true(xb_db_run(db, &error, "INSERT INTO users(ext, name, pin) VALUES (?1, ?2, ?3)",
	                        "1001", "Bob", "1234", NULL));
	g_assert_no_error(error);
	xb_db_close(db);

	/* Reopen: data and version are kept, and only migration 3 runs. */
	db = xb_db_open(path, &error);
	g_assert_no_error(error);
	g_assert_cmpint(xb_db_schema_version(db, "users"), ==, 2);
	g_assert_true(xb_db_migrate(db, "users", v1_v3, 3, &error));
	g_assert_cmpint(xb_db_schema_version(db, "users"), ==, 3);
	sqlite3_stmt *st = xb_db_prepare(db, "SELECT count(*) FROM users", &error);
	g_assert_nonnull(st);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	g_assert_cmpint(sqlite3_column_int(st, 0), ==, 2);
	/* The same SQL gives the same cached statement, reset. */
	g_assert_true(xb_db_prepare(db, "SELECT count(*) FROM users", NULL) == st);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);

	/* WAL mode is on. */
	sqlite3_stmt *jm = xb_db_prepare(db, "PRAGMA journal_mode", NULL);
	g_assert_cmpint(sqlite3_step(jm), ==, SQLITE_ROW);
	g_assert_cmpstr((const char *)sqlite3_column_text(jm, 0), ==, "wal");
	xb_db_close(db);
	xb_test_rmdir(dir);
}

static void test_failed_migration_rolls_back(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "crossbar.db", NULL);
	g_autoptr(GError) error = NULL;
	static const XbMigration broken[] = {
	    {1, "CREATE TABLE t (a INTEGER);"},
	    {2, "CREATE TABLE u (b INTEGER); INSERT INTO nosuch VALUES (1);"},
	};
	XbDb *db = xb_db_open(path, &error);

	g_assert_false(xb_db_migrate(db, "t", broken, 2, &error));
	g_assert_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL);
	g_assert_nonnull(strstr(error->message, "migration 2 of 't'"));
	g_assert_cmpint(xb_db_schema_version(db, "t"), ==, 1);
	/* Table u of the failed migration is gone with it. */
	g_assert_null(xb_db_prepare(db, "SELECT * FROM u", NULL));
	xb_db_close(db);
	xb_test_rmdir(dir);
}

static void test_newer_schema_refused(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "crossbar.db", NULL);
	g_autoptr(GError) error = NULL;
	XbDb *db = xb_db_open(path, &error);

	g_assert_true(xb_db_migrate(db, "users", v1_v3, 3, &error));
	g_assert_false(xb_db_migrate(db, "users", v1_v2, 2, &error));
	g_assert_error(error, XB_DB_ERROR, XB_DB_ERROR_NEWER);
	xb_db_close(db);
	xb_test_rmdir(dir);
}

static void test_corrupt_file(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = xb_test_write(dir, "crossbar.db",
	                                      "this is not a database, it is a text file that "
	                                      "someone put here by mistake.................\n");
	g_autoptr(GError) error = NULL;

	g_assert_null(xb_db_open(path, &error));
	g_assert_error(error, XB_DB_ERROR, XB_DB_ERROR_CORRUPT);
	g_assert_nonnull(strstr(error->message, path));
	g_assert_nonnull(strstr(error->message, "not a crossbar database or is damaged"));
	xb_test_rmdir(dir);
}

static void test_unopenable(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "no", "such", "folder", "x.db", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_null(xb_db_open(path, &error));
	g_assert_error(error, XB_DB_ERROR, XB_DB_ERROR_OPEN);
	g_assert_nonnull(strstr(error->message, "cannot open"));
	xb_test_rmdir(dir);
}

/* Opening a database file that cannot be written is refused with a clear error. Root
 * writes anyway, so as root the check runs in a child that has become "nobody". */
static void expect_not_writable(const char *path)
{
	g_autoptr(GError) error = NULL;

	g_assert_null(xb_db_open(path, &error));
	g_assert_error(error, XB_DB_ERROR, XB_DB_ERROR_READONLY);
	g_assert_nonnull(strstr(error->message, "not writable"));
}

static void test_not_writable(void)
{
	g_autofree char *dir = NULL, *path = NULL;
	g_autoptr(GError) error = NULL;

	if (g_test_subprocess()) {
		const char *p = g_getenv("XB_TEST_DB_PATH");
		if (setgid(65534) < 0 || setuid(65534) < 0)
			g_error("cannot become nobody: %s", g_strerror(errno));
		expect_not_writable(p);
		return;
	}
	dir = xb_test_tmpdir();
	path = g_build_filename(dir, "crossbar.db", NULL);
	xb_db_close(xb_db_open(path, &error));
	g_assert_no_error(error);
	chmod(path, 0444);
	if (access(path, W_OK) != 0) {
		expect_not_writable(path);
	} else {
		/* root: the folder must let "nobody" reach the file; the child re-runs this
		 * test from the top and finds it by the environment */
		chmod(dir, 0755);
		g_setenv("XB_TEST_DB_PATH", path, TRUE);
		g_test_trap_subprocess(NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
	}
	xb_test_rmdir(dir);
}

/* Rows of t as another process sees them: committed ones only. */
static int committed_rows(const char *path)
{
	sqlite3 *other = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	g_assert_cmpint(sqlite3_open_v2(path, &other, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(other, "SELECT count(*) FROM t", -1, &st, NULL), ==,
	                SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(other);
	return n;
}

static int own_rows(XbDb *db)
{
	sqlite3_stmt *st = xb_db_prepare(db, "SELECT count(*) FROM t", NULL);
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;

	sqlite3_reset(st);
	return n;
}

static const XbMigration table_t[] = {{1, "CREATE TABLE t (a TEXT);"}};

static void insert_batched(XbDb *db, guint window_ms, const char *value)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(xb_db_batch(db, window_ms, &error));
	g_assert_true(xb_db_run(db, &error, "INSERT INTO t(a) VALUES (?1)", value, NULL));
	g_assert_no_error(error);
}

/* Writes of one window share a commit: this connection reads them at once, another
 * process only once the window's timer committed them. */
static void test_batch_commits_after_window(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "crossbar.db", NULL);
	g_autoptr(GError) error = NULL;
	XbDb *db = xb_db_open(path, &error);

	xb_clock_set_manual(0);
	g_assert_true(xb_db_migrate(db, "t", table_t, 1, &error));
	insert_batched(db, 20, "a");
	xb_clock_advance(10);
	insert_batched(db, 20, "b"); /* joins the open batch: its window does not restart */
	g_assert_cmpint(own_rows(db), ==, 2);
	g_assert_cmpint(committed_rows(path), ==, 0);
	xb_clock_advance(9);
	g_assert_cmpint(committed_rows(path), ==, 0);
	xb_clock_advance(1);
	g_assert_cmpint(committed_rows(path), ==, 2);
	/* The next write opens a new batch; flushing commits it early. */
	insert_batched(db, 20, "c");
	g_assert_true(xb_db_flush(db, &error));
	g_assert_cmpint(committed_rows(path), ==, 3);
	g_assert_true(xb_db_flush(db, &error)); /* nothing open: nothing to do */
	g_assert_cmpint(xb_timer_pending(), ==, 0);
	xb_db_close(db);
	xb_test_rmdir(dir);
}

/* An explicit transaction commits the batch before it starts; closing commits it too, so a
 * clean stop loses nothing. */
static void test_batch_begin_and_close_commit(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "crossbar.db", NULL);
	g_autoptr(GError) error = NULL;
	XbDb *db = xb_db_open(path, &error);

	xb_clock_set_manual(0);
	g_assert_true(xb_db_migrate(db, "t", table_t, 1, &error));
	insert_batched(db, 1000, "a");
	g_assert_true(xb_db_begin(db, &error));
	g_assert_cmpint(committed_rows(path), ==, 1);
	g_assert_true(xb_db_run(db, &error, "INSERT INTO t(a) VALUES ('b')", NULL));
	xb_db_rollback(db);
	g_assert_cmpint(own_rows(db), ==, 1);
	insert_batched(db, 1000, "c");
	insert_batched(db, 1000, "d");
	g_assert_cmpint(committed_rows(path), ==, 1);
	xb_db_close(db);
	g_assert_cmpint(committed_rows(path), ==, 3);
	g_assert_cmpint(xb_timer_pending(), ==, 0);
	xb_test_rmdir(dir);
}

static void test_column_dup(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "crossbar.db", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(XbDb) db = xb_db_open(path, &error);

	g_assert_no_error(error);
	sqlite3_stmt *st = xb_db_prepare(db, "SELECT 'Bob', NULL", &error);
	g_assert_nonnull(st);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	g_autofree char *text = xb_db_column_dup(st, 0);
	g_autofree char *null = xb_db_column_dup(st, 1);
	g_assert_cmpstr(text, ==, "Bob");
	g_assert_cmpstr(null, ==, "");
	g_clear_pointer(&db, xb_db_close);
	xb_test_rmdir(dir);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/db/migrations-and-reopen", test_migrations_and_reopen);
	g_test_add_func("/db/failed-migration-rolls-back", test_failed_migration_rolls_back);
	g_test_add_func("/db/newer-schema-refused", test_newer_schema_refused);
	g_test_add_func("/db/corrupt-file", test_corrupt_file);
	g_test_add_func("/db/unopenable", test_unopenable);
	g_test_add_func("/db/not-writable", test_not_writable);
	g_test_add_func("/db/batch-commits-after-window", test_batch_commits_after_window);
	g_test_add_func("/db/batch-begin-and-close-commit", test_batch_begin_and_close_commit);
	g_test_add_func("/db/column-dup-null-is-empty", test_column_dup);
	return g_test_run();
}
