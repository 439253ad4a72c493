/* test_cdr.c: mod_cdr without the daemon: the SQLite store (a new record is on disk before
 * insert returns, rewrites wait for the write window, newest first, uuid prefixes), and the
 * recorder fed with hand-made XB_EVENT_CHANNEL_STATE payloads, in the order the channel
 * layer publishes them: an answered and bridged call, a busy callee, a ring group whose
 * second leg answers, and a run killed during calls whose records the next start closes. */
#include "modules/cdr/cdr.h"
#include "test_util.h"

#include <string.h>
#include <unistd.h>

#define NODE "node-a"
#define T0   G_GINT64_CONSTANT(1700000000) /* a call's start, Unix seconds */
#define S(s) ((s)*G_USEC_PER_SEC)

typedef struct {
	char *dir;
	char *path;
	XbDb *db;
	Cdr *cdr;
} Fixture;

static void fixture_open(Fixture *f, guint write_interval_ms)
{
	g_autoptr(GError) error = NULL;
	CdrStore *store;

	f->db = xb_db_open(f->path, &error);
	g_assert_no_error(error);
	store = cdr_store_sqlite_new(f->db, write_interval_ms, &error);
	g_assert_no_error(error);
	f->cdr = cdr_new(NULL, store, NODE, &error);
	g_assert_no_error(error);
}

static void setup(Fixture *f, gconstpointer data)
{
	xb_clock_set_manual(0);
	f->dir = xb_test_tmpdir();
	f->path = g_build_filename(f->dir, "crossbar.db", NULL);
	fixture_open(f, 20);
}

static void fixture_close(Fixture *f)
{
	g_clear_pointer(&f->cdr, cdr_free);
	g_clear_pointer(&f->db, xb_db_close);
}

static void teardown(Fixture *f, gconstpointer data)
{
	fixture_close(f);
	xb_test_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->path);
}

/* ---- hand-made channels ---- */

typedef struct {
	const char *uuid;
	const char *direction; /* "in" or "out" */
	const char *origin;    /* originator_uuid, or NULL */
	const char *bridge;    /* bridge_uuid, or NULL */
	const char *cid, *cid_name, *dest, *context, *gateway;
	gint64 created_us, answered_us, ended_us;
	const char *cause;
	guint sip_status;
} Chan;

/* What the channel layer publishes for ch entering state (see XB_EVENT_CHANNEL_STATE). */
static void emit(Fixture *f, const Chan *ch, const char *state)
{
	GVariantBuilder b;
	g_autoptr(GVariant) payload = NULL;
	const struct {
		const char *key, *value;
	} vars[] = {
	    {"originator_uuid", ch->origin},  {"bridge_uuid", ch->bridge},
	    {"caller_id_number", ch->cid},    {"caller_id_name", ch->cid_name},
	    {"destination_number", ch->dest}, {"context", ch->context},
	    {"gateway", ch->gateway},
	};

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	for (guint i = 0; i < G_N_ELEMENTS(vars); i++)
		if (vars[i].value)
			g_variant_builder_add(&b, "{sv}", vars[i].key,
			                      g_variant_new_string(vars[i].value));
	g_variant_builder_add(&b, "{sv}", "name", g_variant_new_string("sip/x"));
	g_variant_builder_add(&b, "{sv}", "driver", g_variant_new_string("sip"));
	g_variant_builder_add(&b, "{sv}", "direction", g_variant_new_string(ch->direction));
	g_variant_builder_add(&b, "{sv}", "created_us", g_variant_new_int64(ch->created_us));
	g_variant_builder_add(&b, "{sv}", "answered_us", g_variant_new_int64(ch->answered_us));
	g_variant_builder_add(&b, "{sv}", "ended_us", g_variant_new_int64(ch->ended_us));
	g_variant_builder_add(&b, "{sv}", "sip_status", g_variant_new_uint32(ch->sip_status));
	payload = g_variant_ref_sink(
	    g_variant_new("(sssa{sv})", ch->uuid, state, ch->cause ? ch->cause : "NONE", &b));
	cdr_channel_event(f->cdr, payload);
}

/* A leg hung up: its HANGING_UP and GONE events, as xb_channel_hangup_cb publishes them. */
static void hang_up(Fixture *f, Chan *ch, const char *cause, guint status, gint64 at_s)
{
	ch->cause = cause;
	ch->sip_status = status;
	emit(f, ch, "hanging-up");
	ch->ended_us = S(at_s);
	emit(f, ch, "gone");
}

static CdrRecord *record(Fixture *f, const char *uuid)
{
	CdrStore *store = cdr_store(f->cdr);
	g_autoptr(GError) error = NULL;
	gboolean ambiguous;
	CdrRecord *r = store->find(store, uuid, &ambiguous, &error);

	g_assert_no_error(error);
	g_assert_nonnull(r);
	return r;
}

/* What another connection counts with sql: what is committed, not what a batch holds. */
static int committed(Fixture *f, const char *sql)
{
	sqlite3 *other;
	sqlite3_stmt *st;
	int n = -1;

	g_assert_cmpint(sqlite3_open_v2(f->path, &other, SQLITE_OPEN_READONLY, NULL), ==,
	                SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(other, sql, -1, &st, NULL), ==, SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(other);
	return n;
}

static int committed_rows(Fixture *f, const char *where)
{
	g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM cdr WHERE %s", where);

	return committed(f, sql);
}

static Chan a_leg(const char *uuid)
{
	return (Chan){.uuid = uuid,
	              .direction = "in",
	              .cid = "1001",
	              .cid_name = "Alice",
	              .dest = "1002",
	              .context = "default",
	              .created_us = S(T0)};
}

static Chan b_leg(const char *uuid, const char *a_uuid, gint64 created_s)
{
	return (Chan){.uuid = uuid,
	              .direction = "out",
	              .origin = a_uuid,
	              .cid = "1001",
	              .dest = "1002",
	              .created_us = S(created_s)};
}

/* ---- the store ---- */

static void test_store_insert_is_on_disk(Fixture *f, gconstpointer data)
{
	CdrStore *store = cdr_store(f->cdr);
	g_autoptr(CdrRecord) r = cdr_record_new();
	g_autoptr(GError) error = NULL;

	g_free(r->uuid);
	r->uuid = g_strdup("11111111-aaaa");
	g_free(r->node);
	r->node = g_strdup(NODE);
	r->start_time = T0;
	g_assert_true(store->insert(store, r, &error));
	g_assert_no_error(error);
	g_assert_cmpint(committed_rows(f, "uuid = '11111111-aaaa' AND end_time IS NULL"), ==, 1);

	/* A rewrite waits for the window's commit; the flush (or the window) commits it. */
	r->answer_time = T0 + 3;
	cdr_record_set_end(r, T0 + 10);
	g_assert_true(store->update(store, r, &error));
	g_assert_cmpint(committed_rows(f, "end_time IS NOT NULL"), ==, 0);
	g_assert_true(store->flush(store, &error));
	g_assert_cmpint(committed_rows(f, "end_time = 1700000010 AND duration = 10 AND "
	                                  "billsec = 7"),
	                ==, 1);

	/* A new record is committed even while a window holds other writes (with them). */
	r->billsec = 8;
	g_assert_true(store->update(store, r, &error));
	g_free(r->uuid);
	r->uuid = g_strdup("22222222-bbbb");
	g_assert_true(store->insert(store, r, &error));
	g_assert_cmpint(committed_rows(f, "uuid = '22222222-bbbb'"), ==, 1);
}

static void put(CdrStore *store, const char *uuid, gint64 start)
{
	g_autoptr(CdrRecord) r = cdr_record_new();
	g_autoptr(GError) error = NULL;

	g_free(r->uuid);
	r->uuid = g_strdup(uuid);
	r->start_time = start;
	g_assert_true(store->insert(store, r, &error));
	g_assert_no_error(error);
}

static void test_store_list_and_find(Fixture *f, gconstpointer data)
{
	CdrStore *store = cdr_store(f->cdr);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) two = NULL;
	gboolean ambiguous;
	CdrRecord *r;

	put(store, "abc-1", T0);
	put(store, "abd-2", T0 + 20);
	put(store, "xyz-3", T0 + 10);
	two = store->list(store, 2, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(two->len, ==, 2);
	g_assert_cmpstr(((CdrRecord *)two->pdata[0])->uuid, ==, "abd-2");
	g_assert_cmpstr(((CdrRecord *)two->pdata[1])->uuid, ==, "xyz-3");

	r = store->find(store, "abc", &ambiguous, &error);
	g_assert_cmpstr(r->uuid, ==, "abc-1");
	g_assert_false(ambiguous);
	cdr_record_free(r);
	g_assert_null(store->find(store, "ab", &ambiguous, &error));
	g_assert_true(ambiguous);
	g_assert_null(store->find(store, "nothing", &ambiguous, &error));
	g_assert_false(ambiguous);
	g_assert_no_error(error);
	/* LIKE's wildcards mean nothing in a prefix. */
	g_assert_null(store->find(store, "%", &ambiguous, &error));
	g_assert_false(ambiguous);
}

/* ---- calls ---- */

static const char A[] = "aaaaaaaa-0000-4000-8000-000000000001";
static const char B[] = "bbbbbbbb-0000-4000-8000-000000000002";
static const char B2[] = "cccccccc-0000-4000-8000-000000000003";
static const char B3[] = "dddddddd-0000-4000-8000-000000000004";

static void test_call_answered_bridged(Fixture *f, gconstpointer data)
{
	Chan a = a_leg(A), b = b_leg(B, A, T0 + 1);
	g_autoptr(CdrRecord) r = NULL;

	emit(f, &a, "routing");
	/* The record is on disk before anything else happens to the call. */
	g_assert_cmpint(committed_rows(f, "end_time IS NULL"), ==, 1);
	b.gateway = "carrier";
	emit(f, &b, "ringing");
	emit(f, &a, "ringing");
	b.answered_us = S(T0 + 5);
	emit(f, &b, "answered");
	a.answered_us = S(T0 + 5);
	emit(f, &a, "answered");
	a.bridge = B;
	b.bridge = A;
	emit(f, &a, "bridged");
	emit(f, &b, "bridged");
	g_assert_cmpuint(cdr_live_calls(f->cdr), ==, 1);
	/* The caller hangs up (BYE); the B-leg is hung up after it and ends later. */
	hang_up(f, &a, "NORMAL_CLEARING", 0, T0 + 65);
	b.cause = "NORMAL_CLEARING";
	emit(f, &b, "hanging-up");
	g_assert_cmpuint(cdr_live_calls(f->cdr), ==, 0);
	b.sip_status = 200;
	b.ended_us = S(T0 + 66);
	emit(f, &b, "gone");

	r = record(f, A);
	g_assert_cmpstr(r->uuid, ==, A);
	g_assert_cmpstr(r->b_uuid, ==, B);
	g_assert_cmpstr(r->node, ==, NODE);
	g_assert_cmpstr(r->direction, ==, "in");
	g_assert_cmpstr(r->driver, ==, "sip");
	g_assert_cmpstr(r->b_driver, ==, "sip");
	g_assert_cmpstr(r->caller_id_number, ==, "1001");
	g_assert_cmpstr(r->caller_id_name, ==, "Alice");
	g_assert_cmpstr(r->destination_number, ==, "1002");
	g_assert_cmpstr(r->context, ==, "default");
	g_assert_cmpint(r->start_time, ==, T0);
	g_assert_cmpint(r->answer_time, ==, T0 + 5);
	g_assert_cmpint(r->end_time, ==, T0 + 65);
	g_assert_cmpint(r->duration, ==, 65);
	g_assert_cmpint(r->billsec, ==, 60);
	g_assert_cmpstr(r->hangup_cause, ==, "NORMAL_CLEARING");
	g_assert_cmpstr(r->b_hangup_cause, ==, "NORMAL_CLEARING");
	g_assert_cmpuint(r->b_sip_status, ==, 200); /* learnt after the A-leg had gone */
	g_assert_cmpstr(r->gateway, ==, "carrier");
	g_assert_false(r->closed_by_restart);
}

static void test_call_busy(Fixture *f, gconstpointer data)
{
	Chan a = a_leg(A), b = b_leg(B, A, T0);
	g_autoptr(CdrRecord) r = NULL;

	emit(f, &a, "routing");
	emit(f, &b, "ringing");
	hang_up(f, &b, "USER_BUSY", 486, T0 + 3);
	hang_up(f, &a, "USER_BUSY", 486, T0 + 3);

	r = record(f, A);
	g_assert_cmpstr(r->b_uuid, ==, B);
	g_assert_cmpint(r->answer_time, ==, 0);
	g_assert_cmpint(r->duration, ==, 3);
	g_assert_cmpint(r->billsec, ==, 0);
	g_assert_cmpstr(r->hangup_cause, ==, "USER_BUSY");
	g_assert_cmpuint(r->sip_status, ==, 486);
	g_assert_cmpstr(r->b_hangup_cause, ==, "USER_BUSY");
	g_assert_cmpuint(r->b_sip_status, ==, 486);
	g_assert_cmpstr(r->gateway, ==, "");
	g_assert_cmpuint(cdr_live_calls(f->cdr), ==, 0);
}

/* "user/1002" rings three phones; the second answers and the others lose the race. Their
 * ends come after the winner's answer: one's while the call is bridged, the other's (its
 * CANCEL slow to finish) after the call ended. Neither is the record's B-leg. */
static void test_call_ring_group_second_answers(Fixture *f, gconstpointer data)
{
	Chan a = a_leg(A), b1 = b_leg(B, A, T0), b2 = b_leg(B2, A, T0), b3 = b_leg(B3, A, T0);
	g_autoptr(CdrRecord) r = NULL;

	emit(f, &a, "routing");
	emit(f, &b1, "ringing");
	emit(f, &b2, "ringing");
	emit(f, &b3, "ringing");
	emit(f, &a, "ringing");
	b2.answered_us = S(T0 + 4);
	emit(f, &b2, "answered");
	b1.cause = b3.cause = "LOSE_RACE";
	emit(f, &b1, "hanging-up");
	emit(f, &b3, "hanging-up");
	a.answered_us = S(T0 + 4);
	emit(f, &a, "answered");
	a.bridge = B2;
	b2.bridge = A;
	emit(f, &a, "bridged");
	emit(f, &b2, "bridged");
	b1.sip_status = 487;
	b1.ended_us = S(T0 + 5);
	emit(f, &b1, "gone");
	hang_up(f, &b2, "NORMAL_CLEARING", 0, T0 + 34);
	hang_up(f, &a, "NORMAL_CLEARING", 0, T0 + 34);
	b3.sip_status = 487;
	b3.ended_us = S(T0 + 36);
	emit(f, &b3, "gone");

	r = record(f, A);
	g_assert_cmpstr(r->b_uuid, ==, B2);
	g_assert_cmpstr(r->b_hangup_cause, ==, "NORMAL_CLEARING");
	g_assert_cmpuint(r->b_sip_status, ==, 0);
	g_assert_cmpint(r->billsec, ==, 30);
	g_assert_cmpint(r->duration, ==, 34);
}

/* A hunt group where every leg fails: the last leg tried is the record's B-leg. */
static void test_call_hunt_group_fails(Fixture *f, gconstpointer data)
{
	Chan a = a_leg(A), b1 = b_leg(B, A, T0), b2 = b_leg(B2, A, T0 + 20);
	g_autoptr(CdrRecord) r = NULL;

	emit(f, &a, "routing");
	emit(f, &b1, "ringing");
	hang_up(f, &b1, "NO_ANSWER", 0, T0 + 20);
	emit(f, &b2, "ringing");
	hang_up(f, &b2, "NO_USER_RESPONSE", 480, T0 + 21);
	hang_up(f, &a, "NO_USER_RESPONSE", 480, T0 + 21);

	r = record(f, A);
	g_assert_cmpstr(r->b_uuid, ==, B2);
	g_assert_cmpstr(r->b_hangup_cause, ==, "NO_USER_RESPONSE");
	g_assert_cmpuint(r->b_sip_status, ==, 480);
}

/* A channel with no B-leg that is hung up at once (`crossbar-cli app exec`): its first
 * event is its hang-up. */
static void test_call_without_b_leg(Fixture *f, gconstpointer data)
{
	Chan a = {.uuid = A, .direction = "in", .created_us = S(T0)};
	g_autoptr(CdrRecord) r = NULL;

	hang_up(f, &a, "NORMAL_CLEARING", 0, T0);
	r = record(f, A);
	g_assert_cmpstr(r->b_uuid, ==, "");
	g_assert_cmpint(r->answer_time, ==, 0);
	g_assert_cmpint(r->end_time, ==, T0);
	g_assert_cmpstr(r->hangup_cause, ==, "NORMAL_CLEARING");
}

/* A clean stop closes the calls still up, with the cause the core hung them up with. */
static void test_clean_stop_closes_calls(Fixture *f, gconstpointer data)
{
	Chan a = a_leg(A);

	a.created_us = g_get_real_time() - S(5);
	emit(f, &a, "routing");
	a.cause = "NORMAL_CLEARING";
	emit(f, &a, "hanging-up");
	fixture_close(f);
	g_assert_cmpint(committed_rows(f, "end_time IS NOT NULL AND closed_by_restart = 0 AND "
	                                  "hangup_cause = 'NORMAL_CLEARING' AND duration >= 5"),
	                ==, 1);
}

static void test_heartbeat_every_10s(Fixture *f, gconstpointer data)
{
	CdrStore *store = cdr_store(f->cdr);
	g_autoptr(GError) error = NULL;
	g_autofree char *beat = NULL;

	g_assert_cmpint(committed(f, "SELECT count(*) FROM cdr_heartbeat WHERE node = '" NODE "'"),
	                ==, 1);
	g_assert_true(xb_db_run(f->db, &error, "UPDATE cdr_heartbeat SET at = 7", NULL));
	xb_clock_advance(CDR_HEARTBEAT_S * 1000 - 1);
	g_assert_true(store->flush(store, &error));
	g_assert_cmpint(committed(f, "SELECT at FROM cdr_heartbeat"), ==, 7);
	xb_clock_advance(1);
	g_assert_true(store->flush(store, &error));
	beat = g_strdup_printf("SELECT count(*) FROM cdr_heartbeat WHERE at >= %" G_GINT64_FORMAT,
	                       xb_clock_wall_s() - 1);
	g_assert_cmpint(committed(f, beat), ==, 1);
}

/* ---- a run that did not stop cleanly ---- */

/* The records a run left open are closed at the next start: at the node's last heartbeat
 * (or the record's last write, when later), cause CRASH unless one was known, marked
 * closed_by_restart. Another node's open record is its own. */
static void put_open(CdrStore *store, const char *uuid, const char *node, gint64 answer,
                     const char *cause)
{
	g_autoptr(CdrRecord) r = cdr_record_new();
	g_autoptr(GError) error = NULL;

	g_free(r->uuid);
	r->uuid = g_strdup(uuid);
	g_free(r->node);
	r->node = g_strdup(node);
	g_free(r->hangup_cause);
	r->hangup_cause = g_strdup(cause);
	r->start_time = T0;
	r->answer_time = answer;
	g_assert_true(store->insert(store, r, &error));
	g_assert_no_error(error);
}

static void test_restart_closes_open_records(Fixture *f, gconstpointer data)
{
	CdrStore *store = cdr_store(f->cdr);
	g_autoptr(GError) error = NULL;
	g_autoptr(CdrRecord) r1 = NULL, r2 = NULL, r3 = NULL;

	/* What a crash leaves: open records last written 50 and 200 s after their start, a
	 * heartbeat at 100 s, and another node's open record. */
	put_open(store, A, NODE, T0 + 10, "");
	put_open(store, B, NODE, 0, "NORMAL_CLEARING");
	put_open(store, B2, "node-b", 0, "");
	g_assert_true(xb_db_run(f->db, &error, "UPDATE cdr SET updated_at = 1700000050", NULL));
	g_assert_true(xb_db_run(f->db, &error,
	                        "UPDATE cdr SET updated_at = 1700000200 WHERE uuid = ?1", B, NULL));
	g_assert_true(xb_db_run(f->db, &error, "UPDATE cdr_heartbeat SET at = 1700000100", NULL));
	g_assert_no_error(error);
	fixture_close(f);
	fixture_open(f, 20);

	r1 = record(f, A);
	g_assert_true(r1->closed_by_restart);
	g_assert_cmpint(r1->end_time, ==, T0 + 100); /* the heartbeat */
	g_assert_cmpint(r1->duration, ==, 100);
	g_assert_cmpint(r1->billsec, ==, 90);
	g_assert_cmpstr(r1->hangup_cause, ==, "CRASH");
	r2 = record(f, B);
	g_assert_true(r2->closed_by_restart);
	g_assert_cmpint(r2->end_time, ==, T0 + 200); /* its own last write */
	g_assert_cmpint(r2->billsec, ==, 0);
	g_assert_cmpstr(r2->hangup_cause, ==, "NORMAL_CLEARING"); /* known before the crash */
	r3 = record(f, B2);
	g_assert_false(r3->closed_by_restart);
	g_assert_cmpint(r3->end_time, ==, 0);
}

/* The daemon killed during calls, for real: a child process records two calls and ends
 * with _exit() (no clean stop, no flush). The record committed at the call's start is there;
 * a rewrite still in the write window is lost (the first call, written with a long window,
 * lost its answer), one committed is kept (the second, with no window). */
static void test_killed_run_leaves_records_to_close(Fixture *f, gconstpointer data)
{
	if (g_test_subprocess()) {
		const char *path = g_getenv("CDR_TEST_DB");
		g_autoptr(GError) error = NULL;
		XbDb *db;
		CdrStore *store;
		Fixture child = {.path = (char *)path};
		Chan a = a_leg(A), c = a_leg(B);

		teardown(f, NULL); /* this process's own fixture; the parent's database is used */
		db = xb_db_open(path, &error);
		store = cdr_store_sqlite_new(db, 0, &error);
		child.db = db;
		child.cdr = cdr_new(NULL, store, NODE, &error);
		g_assert_no_error(error);
		a.created_us = c.created_us = g_get_real_time() - S(30);
		emit(&child, &c, "routing");
		c.answered_us = g_get_real_time() - S(20);
		emit(&child, &c, "answered"); /* committed at once */
		cdr_store_sqlite_set_write_interval(store, 60000);
		emit(&child, &a, "routing");
		a.answered_us = g_get_real_time() - S(20);
		emit(&child, &a, "answered"); /* waits in the 60 s window */
		_exit(0);
	}
	g_autoptr(CdrRecord) r1 = NULL, r2 = NULL;
	gint64 now;

	fixture_close(f);
	g_setenv("CDR_TEST_DB", f->path, TRUE);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_assert_cmpint(committed_rows(f, "end_time IS NULL"), ==, 2);
	fixture_open(f, 20);
	now = xb_clock_wall_s();

	r1 = record(f, A);
	g_assert_true(r1->closed_by_restart);
	g_assert_cmpstr(r1->hangup_cause, ==, "CRASH");
	g_assert_cmpint(r1->answer_time, ==, 0);
	g_assert_cmpint(r1->end_time, >=, now - 2);
	g_assert_cmpint(r1->duration, >=, 29);
	r2 = record(f, B);
	g_assert_true(r2->closed_by_restart);
	g_assert_cmpint(r2->answer_time, >, 0);
	g_assert_cmpint(r2->billsec, >=, 19);
	g_assert_cmpint(r2->billsec, <=, 22);
	g_assert_cmpint(committed_rows(f, "end_time IS NULL"), ==, 0);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
	ADD("/cdr/store/insert-is-on-disk-rewrite-waits-for-window", test_store_insert_is_on_disk);
	ADD("/cdr/store/newest-first-and-uuid-prefix", test_store_list_and_find);
	ADD("/cdr/call/answered-and-bridged", test_call_answered_bridged);
	ADD("/cdr/call/busy-callee", test_call_busy);
	ADD("/cdr/call/ring-group-second-leg-answers", test_call_ring_group_second_answers);
	ADD("/cdr/call/hunt-group-last-leg-tried", test_call_hunt_group_fails);
	ADD("/cdr/call/channel-without-b-leg", test_call_without_b_leg);
	ADD("/cdr/stop/clean-stop-closes-calls-up", test_clean_stop_closes_calls);
	ADD("/cdr/heartbeat/every-10s", test_heartbeat_every_10s);
	ADD("/cdr/restart/closes-open-records", test_restart_closes_open_records);
	ADD("/cdr/restart/killed-run", test_killed_run_leaves_records_to_close);
	return g_test_run();
}
