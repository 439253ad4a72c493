/* test_channel.c: the core's call layer without any protocol: a scripted channel driver
 * ("fake") whose legs do what the test says, the dialplan executor (with applications run
 * by applications), the bridge application and the bridge, on the manual clock. Each test routes
 * one incoming fake call through a plan and checks what each leg was told and how the call ended.
 */
#include "core/dialplan/dialplan_private.h"
#include "test_util.h"

#include <crossbar/crossbar.h>
#include <crossbar/dialplan.h>
#include <errno.h>
#include <string.h>

/* ---- the fake driver: records every operation as a word in `log` ---- */

typedef struct {
	GString *log;
	GPtrArray *placed; /* XbChannel * of every placed leg (references) */
	char *last_target;
	XbChannelReplyFunc reply_func; /* the request a leg was asked to send */
	gpointer reply_data;
	XbChannel *reply_ch;
} Fake;

static Fake fake;

static void note(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void note(const char *fmt, ...)
{
	va_list ap;

	if (fake.log->len)
		g_string_append_c(fake.log, ' ');
	va_start(ap, fmt);
	g_string_append_vprintf(fake.log, fmt, ap);
	va_end(ap);
}

static const char *tag(XbChannel *ch)
{
	return xb_channel_get_var(ch, "fake_tag") ?: "A";
}

static gboolean fake_originate(const char *target, const XbOriginate *o, GPtrArray *legs,
                               GError **error);

static int fake_progress(XbChannel *ch, gboolean early)
{
	note("%s:%s", tag(ch), early ? "183" : "180");
	return 0;
}

static int fake_answer(XbChannel *ch)
{
	const XbChannelBody *b = xb_channel_local_body(ch);
	note("%s:200(%s)", tag(ch), b ? b->body : "-");
	return 0;
}

static void fake_hangup(XbChannel *ch)
{
	note("%s:hangup(%s)", tag(ch), xb_cause_name(xb_channel_cause(ch)));
	xb_channel_hangup_cb(ch, XB_CAUSE_NONE, 0);
}

static int fake_request(XbChannel *ch, XbChannelRequestKind kind, const XbChannelBody *body,
                        XbChannelReplyFunc func, gpointer user_data)
{
	note("%s:request(%s)", tag(ch), body ? body->body : "-");
	fake.reply_func = func;
	fake.reply_data = user_data;
	fake.reply_ch = ch;
	return 0;
}

static void fake_request_reply(XbChannel *ch, XbChannelRequest *req, unsigned status,
                               const XbChannelBody *body)
{
	note("%s:reply(%u,%s)", tag(ch), status, body ? body->body : "-");
}

static const char *const fake_prefixes[] = {"fake/", NULL};
static const XbChannelDriver fake_driver = {
    .name = "fake",
    .prefixes = fake_prefixes,
    .originate = fake_originate,
    .progress = fake_progress,
    .answer = fake_answer,
    .hangup = fake_hangup,
    .request = fake_request,
    .request_reply = fake_request_reply,
};

/* "fake/NAME": one leg tagged NAME; "fake/none": no leg (USER_BUSY at once). */
static gboolean fake_originate(const char *target, const XbOriginate *o, GPtrArray *legs,
                               GError **error)
{
	const char *name = target + 5;

	g_free(fake.last_target);
	fake.last_target = g_strdup(target);
	if (!strcmp(name, "none")) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_SUBSCRIBER_ABSENT, "not registered");
		return FALSE;
	}
	XbChannel *ch = xb_channel_new(&fake_driver, XB_CHANNEL_OUTBOUND, NULL, NULL);
	xb_channel_set_var(ch, "fake_tag", name);
	g_autofree char *mf = g_strdup_printf("%u", o->max_forwards);
	xb_channel_set_var(ch, "fake_mf", mf);
	note("%s:invite(%s)", name, o->offer ? o->offer->body : "-");
	g_ptr_array_add(fake.placed, xb_channel_ref(ch));
	g_ptr_array_add(legs, ch);
	return TRUE;
}

static XbChannel *placed(const char *name)
{
	for (guint i = 0; i < fake.placed->len; i++)
		if (!g_strcmp0(xb_channel_get_var(fake.placed->pdata[i], "fake_tag"), name))
			return fake.placed->pdata[i];
	g_assert_not_reached();
}

/* ---- fixture ---- */

static const XbChannelBody offer = {"application/sdp", "offerA", 6};
static const XbChannelBody answer_b = {"application/sdp", "answerB", 7};
static const XbChannelBody early_b = {"application/sdp", "earlyB", 6};

static void load_plan(const char *actions)
{
	g_autofree char *xml = g_strdup_printf(
	    "<include><context name=\"public\"><extension name=\"x\">"
	    "<condition field=\"destination_number\" expression=\"^(\\d+)$\">%s</condition>"
	    "</extension></context></include>",
	    actions);
	g_autoptr(GError) error = NULL;
	g_autoptr(XbDialplan) plan =
	    xb_dialplan_load_data("test.xml", xml, strlen(xml), NULL, &error);

	g_assert_no_error(error);
	xb_dialplan_install(plan);
}

static void setup(void)
{
	xb_clock_set_manual(1000);
	xb_event_init();
	xb_channel_init();
	xb_dialplan_apps_register();
	fake.log = g_string_new(NULL);
	fake.placed = g_ptr_array_new_with_free_func((GDestroyNotify)xb_channel_unref);
	g_assert_true(xb_channel_driver_register(NULL, &fake_driver));
}

static void teardown(void)
{
	xb_channel_hangup_all(XB_CAUSE_NORMAL_CLEARING);
	g_ptr_array_unref(fake.placed);
	g_string_free(fake.log, TRUE);
	g_clear_pointer(&fake.last_target, g_free);
	xb_channel_driver_reset();
	xb_dialplan_reset();
	xb_app_reset();
	g_assert_cmpuint(xb_channel_count(), ==, 0);
	g_assert_cmpuint(xb_dialplan_exec_count(), ==, 0);
	xb_event_dispatch_pending();
}

/* An incoming call to `number` with an offer, routed. */
static XbChannel *call_in(const char *number, const char *max_forwards)
{
	XbChannel *a = xb_channel_new(&fake_driver, XB_CHANNEL_INBOUND, NULL, NULL);

	xb_channel_set_var(a, "destination_number", number);
	xb_channel_set_var(a, "caller_id_number", "1001");
	xb_channel_set_var(a, "context", "public");
	if (max_forwards)
		xb_channel_set_var(a, "max_forwards", max_forwards);
	xb_channel_set_remote_body(a, &offer);
	xb_channel_route(a);
	return a;
}

#define assert_log(expected) g_assert_cmpstr(fake.log->str, ==, (expected))

/* ---- tests ---- */

/* The B-leg rings, gives early media, answers: the A-leg gets 180, 183 with B's description
 * and 200 with B's answer; the legs are bridged; B's BYE ends A. */
static void test_bridge_answer(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);
	XbChannel *b = placed("B");

	xb_channel_progress_cb(b, NULL);
	xb_channel_progress_cb(b, &early_b);
	xb_channel_answered_cb(b, &answer_b);
	assert_log("B:invite(offerA) A:180 A:183 A:200(answerB)");
	g_assert_cmpint(xb_channel_state(a), ==, XB_CHANNEL_BRIDGED);
	g_assert_true(xb_channel_partner(a) == b);
	xb_channel_hangup_cb(b, XB_CAUSE_NORMAL_CLEARING, 0);
	assert_log("B:invite(offerA) A:180 A:183 A:200(answerB) A:hangup(NORMAL_CLEARING)");
	g_assert_cmpint(xb_channel_state(a), ==, XB_CHANNEL_GONE);
	teardown();
}

/* A's hang-up while bridged ends B with A's cause. */
static void test_bridge_a_hangs_up(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);
	XbChannel *b = placed("B");

	xb_channel_answered_cb(b, &answer_b);
	g_string_truncate(fake.log, 0);
	xb_channel_hangup_cb(a, XB_CAUSE_NORMAL_CLEARING, 0);
	assert_log("B:hangup(NORMAL_CLEARING)");
	teardown();
}

/* A busy B-leg: the A-leg is refused with USER_BUSY and B's SIP status (486 stays 486). */
static void test_busy_stays_busy(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	xb_channel_hangup_cb(placed("B"), xb_cause_from_sip(486), 486);
	assert_log("B:invite(offerA) A:hangup(USER_BUSY)");
	g_assert_cmpuint(xb_channel_sip_status(a), ==, 486);
	g_assert_cmpuint(xb_cause_to_sip(xb_channel_cause(a)), ==, 486);
	teardown();
}

/* continue_on_fail: a busy B-leg lets the next action run (forward on busy). */
static void test_continue_on_fail(void)
{
	setup();
	load_plan("<action application=\"set\" data=\"continue_on_fail=USER_BUSY\"/>"
	          "<action application=\"bridge\" data=\"fake/B\"/>"
	          "<action application=\"bridge\" data=\"fake/C\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	xb_channel_hangup_cb(placed("B"), XB_CAUSE_USER_BUSY, 486);
	g_assert_cmpstr(xb_channel_get_var(a, "originate_disposition"), ==, "USER_BUSY");
	xb_channel_answered_cb(placed("C"), &answer_b);
	assert_log("B:invite(offerA) C:invite(offerA) A:200(answerB)");
	teardown();
}

/* "B,C": both ring at once; C answers, B is cancelled with LOSE_RACE. "B|C": C only after B
 * failed. */
static void test_ring_and_hunt_groups(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B,fake/C|fake/D\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	assert_log("B:invite(offerA) C:invite(offerA)");
	xb_channel_answered_cb(placed("C"), &answer_b);
	assert_log("B:invite(offerA) C:invite(offerA) B:hangup(LOSE_RACE) A:200(answerB)");
	teardown();

	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B,fake/C|fake/D\"/>");
	g_autoptr(XbChannel) a2 = call_in("100", NULL);
	xb_channel_hangup_cb(placed("B"), XB_CAUSE_USER_BUSY, 486);
	assert_log("B:invite(offerA) C:invite(offerA)");
	xb_channel_hangup_cb(placed("C"), XB_CAUSE_NO_USER_RESPONSE, 480);
	assert_log("B:invite(offerA) C:invite(offerA) D:invite(offerA)");
	teardown();
}

/* No answer within call_timeout: the leg ends NO_ANSWER and the caller gets 480. */
static void test_no_answer_timeout(void)
{
	setup();
	load_plan("<action application=\"set\" data=\"call_timeout=5\"/>"
	          "<action application=\"bridge\" data=\"fake/B|[leg_timeout=2]fake/C\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	xb_clock_advance(4999);
	assert_log("B:invite(offerA)");
	xb_clock_advance(1);
	assert_log("B:invite(offerA) B:hangup(NO_ANSWER) C:invite(offerA)");
	xb_clock_advance(2000);
	assert_log("B:invite(offerA) B:hangup(NO_ANSWER) C:invite(offerA) C:hangup(NO_ANSWER) "
	           "A:hangup(NO_ANSWER)");
	g_assert_cmpuint(xb_cause_to_sip(xb_channel_cause(a)), ==, 480);
	teardown();
}

/* The caller cancels while B rings: B is cancelled (ORIGINATOR_CANCEL). */
static void test_cancel_while_ringing(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B,fake/C\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	xb_channel_progress_cb(placed("B"), NULL);
	xb_channel_hangup_cb(a, XB_CAUSE_ORIGINATOR_CANCEL, 487);
	assert_log("B:invite(offerA) C:invite(offerA) A:180 B:hangup(ORIGINATOR_CANCEL) "
	           "C:hangup(ORIGINATOR_CANCEL)");
	teardown();
}

/* A re-offer from A (hold) goes to B; B's answer comes back to A. */
static void test_reoffer_passes_across(void)
{
	static const XbChannelBody hold = {"application/sdp", "holdA", 5};
	static const XbChannelBody held = {"application/sdp", "heldB", 5};

	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);
	XbChannel *b = placed("B");
	xb_channel_answered_cb(b, &answer_b);
	g_string_truncate(fake.log, 0);

	xb_channel_request_cb(a, xb_channel_request_new(NULL), XB_CHANNEL_REQ_REOFFER, &hold);
	assert_log("B:request(holdA)");
	fake.reply_func(fake.reply_ch, 200, &held, fake.reply_data);
	assert_log("B:request(holdA) A:reply(200,heldB)");
	g_assert_cmpstr(xb_channel_local_body(a)->body, ==, "heldB");
	teardown();
}

/* Max-Forwards: the B-leg gets what is left; none left is a loop (483). */
static void test_max_forwards(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B\"/>");
	g_autoptr(XbChannel) a = call_in("100", "9");
	g_assert_cmpstr(xb_channel_get_var(placed("B"), "fake_mf"), ==, "9");
	teardown();

	setup();
	load_plan("<action application=\"bridge\" data=\"fake/B\"/>");
	g_autoptr(XbChannel) a2 = call_in("100", "0");
	assert_log("A:hangup(EXCHANGE_ROUTING_ERROR)");
	g_assert_cmpuint(xb_channel_sip_status(a2), ==, 483);
	teardown();
}

/* No extension matches: 404-worthy NO_ROUTE_DESTINATION. A target no driver places: the same. */
static void test_no_route(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"nowhere/x\"/>");
	g_autoptr(XbChannel) a = call_in("abc", NULL);
	assert_log("A:hangup(NO_ROUTE_DESTINATION)");
	g_assert_cmpuint(xb_cause_to_sip(xb_channel_cause(a)), ==, 404);
	teardown();

	setup();
	load_plan("<action application=\"bridge\" data=\"nowhere/x\"/>");
	g_autoptr(XbChannel) a2 = call_in("100", NULL);
	assert_log("A:hangup(NO_ROUTE_DESTINATION)");
	teardown();
}

/* sleep waits on the clock, not on the loop; answer and hangup act on the call. */
static void test_sleep_answer_hangup(void)
{
	setup();
	load_plan("<action application=\"answer\"/>"
	          "<action application=\"sleep\" data=\"1500\"/>"
	          "<action application=\"hangup\" data=\"USER_BUSY\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	assert_log("A:200(-)");
	xb_clock_advance(1499);
	assert_log("A:200(-)");
	xb_clock_advance(1);
	assert_log("A:200(-) A:hangup(USER_BUSY)");
	teardown();
}

/* transfer hunts again; a plan that transfers in a circle ends instead of spinning. */
static void test_transfer_loop(void)
{
	setup();
	load_plan("<action application=\"transfer\" data=\"$1\"/>");
	/* It warns of the loop: the warning is this test's, not a failure. */
	GLogLevelFlags fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
	g_autoptr(XbChannel) a = call_in("100", NULL);
	g_log_set_always_fatal(fatal);
	assert_log("A:hangup(EXCHANGE_ROUTING_ERROR)");
	teardown();
}

/* ---- applications that run applications (xb_app_exec_nested) ----
 * "outer APP DATA" runs APP with DATA nested, notes what it got ("outer:rc(N)" at once,
 * "outer:done(N)" later) and ends with it (a transfer: 0, the dialplan goes on there). */

static void outer_done(XbChannel *ch, int result, gpointer user_data)
{
	note("outer:done(%d)", result);
	xb_app_done(ch, result == XB_APP_TRANSFERRED ? 0 : result);
}

static int app_outer(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = g_strsplit(data, " ", 2);
	int rc = xb_app_exec_nested(ch, w[0], w[1] ? w[1] : "", outer_done, NULL);

	note("outer:rc(%d)", rc);
	return rc == XB_APP_TRANSFERRED ? 0 : rc;
}

static const XbApp outer_apps[] = {
    {"outer", "APP DATA", "run APP nested", app_outer},
    XB_APPS_END,
};

static void load_xml(const char *xml)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(XbDialplan) plan =
	    xb_dialplan_load_data("test.xml", xml, strlen(xml), NULL, &error);

	g_assert_no_error(error);
	xb_dialplan_install(plan);
}

/* An inner application over at once gives its result at once; one that lasts tells the
 * outer one when it is over, and the dialplan goes on only then. */
static void test_nested_exec(void)
{
	setup();
	xb_app_register(NULL, outer_apps, NULL);
	load_plan("<action application=\"outer\" data=\"set x=1\"/>"
	          "<action application=\"outer\" data=\"sleep 500\"/>"
	          "<action application=\"answer\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	g_assert_cmpstr(xb_channel_get_var(a, "x"), ==, "1");
	assert_log("outer:rc(0) outer:rc(1)");
	g_assert_cmpint(xb_app_exec_nested(a, "nosuch", "", outer_done, NULL), ==, -ENOENT);
	xb_clock_advance(499);
	assert_log("outer:rc(0) outer:rc(1)");
	xb_clock_advance(1);
	assert_log("outer:rc(0) outer:rc(1) outer:done(0) A:200(-) A:hangup(NORMAL_CLEARING)");
	/* No channel of the dialplan, no application. */
	g_autoptr(XbChannel) lone = xb_channel_new(&fake_driver, XB_CHANNEL_INBOUND, NULL, NULL);
	g_assert_cmpint(xb_app_exec_nested(lone, "set", "y=1", outer_done, NULL), ==, -ESRCH);
	xb_channel_hangup(lone, XB_CAUSE_NORMAL_CLEARING, 0);
	teardown();
}

/* A transfer run nested hands the call to the new extension: XB_APP_TRANSFERRED. */
static void test_nested_transfer(void)
{
	setup();
	xb_app_register(NULL, outer_apps, NULL);
	load_xml(
	    "<include><context name=\"public\">"
	    "<extension name=\"x\"><condition field=\"destination_number\" expression=\"^100$\">"
	    "<action application=\"outer\" data=\"transfer 200\"/>"
	    "<action application=\"hangup\" data=\"USER_BUSY\"/></condition></extension>"
	    "<extension name=\"y\"><condition field=\"destination_number\" expression=\"^200$\">"
	    "<action application=\"outer\" data=\"sleep 100\"/>"
	    "<action application=\"answer\"/></condition></extension>"
	    "</context></include>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	assert_log("outer:rc(2) outer:rc(1)");
	g_assert_cmpstr(xb_channel_get_var(a, "destination_number"), ==, "200");
	xb_clock_advance(100);
	assert_log("outer:rc(2) outer:rc(1) outer:done(0) A:200(-) A:hangup(NORMAL_CLEARING)");
	teardown();
}

/* The caller hangs up while the inner application lasts: the outer one hears it, and the
 * call's dialplan ends. */
static void test_nested_hangup(void)
{
	setup();
	xb_app_register(NULL, outer_apps, NULL);
	load_plan("<action application=\"outer\" data=\"sleep 500\"/>"
	          "<action application=\"answer\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);

	xb_channel_hangup_cb(a, XB_CAUSE_NORMAL_CLEARING, 0);
	g_autofree char *want = g_strdup_printf("outer:rc(1) outer:done(%d)", -ECONNRESET);
	assert_log(want);
	g_assert_cmpuint(xb_dialplan_exec_count(), ==, 0);
	teardown();
}

/* The outer application forgets the inner one (its module unloads): the inner one's end
 * is the outer one's, and the dialplan goes on. xb_app_plan is the plan the call was
 * routed with, whatever is live since. */
static void test_nested_forget_and_plan(void)
{
	setup();
	xb_app_register(NULL, outer_apps, NULL);
	load_plan("<action application=\"outer\" data=\"sleep 500\"/>"
	          "<action application=\"answer\"/>");
	g_autoptr(XbDialplan) routed = xb_dialplan_current();
	g_autoptr(XbChannel) a = call_in("100", NULL);
	load_plan("<action application=\"hangup\"/>");

	g_autoptr(XbDialplan) plan = xb_app_plan(a);
	g_assert_true(plan == routed);
	xb_app_nested_forget(a, NULL);
	xb_clock_advance(500);
	assert_log("outer:rc(1) A:200(-) A:hangup(NORMAL_CLEARING)");
	teardown();
}

/* The maximum call duration hangs both legs up. */
static void test_max_duration(void)
{
	setup();
	load_plan("<action application=\"set\" data=\"max_call_duration=60\"/>"
	          "<action application=\"bridge\" data=\"fake/B\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);
	xb_channel_answered_cb(placed("B"), &answer_b);
	g_string_truncate(fake.log, 0);
	xb_clock_advance(60000);
	assert_log("A:hangup(ALLOTTED_TIMEOUT) B:hangup(ALLOTTED_TIMEOUT)");
	teardown();
}

/* ---- transfer ---- */

static const XbChannelBody answer_c = {"application/sdp", "answerC", 7};

static void outcome_cb(XbChannel *t, unsigned status, gpointer user_data)
{
	note("%s:outcome(%u)", tag(t), status);
}

/* A call to 100 answered by fake/T100 (the plan bridges NUMBER to fake/TNUMBER). */
static XbChannel *call_answered(const char *number, const char *name)
{
	g_autofree char *leg = g_strdup_printf("T%s", number);
	XbChannel *a = call_in(number, NULL);

	if (name)
		xb_channel_set_var(a, "fake_tag", name);
	xb_channel_answered_cb(placed(leg), &answer_b);
	return a;
}

/* Blind transfer by the caller: the callee leaves the bridge and is routed to the number in
 * the caller's context, its new leg offered the callee's description; once that answers,
 * the callee is re-offered its new partner's, the outcome 200 is told a turn later and the
 * caller's leg is hung up XB_TRANSFER_HANGUP_DELAY_MS after that. */
static void test_transfer_blind(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/T$1\"/>");
	g_autoptr(XbChannel) a = call_answered("100", NULL);
	XbChannel *b = placed("T100");
	g_autoptr(GError) error = NULL;

	g_string_truncate(fake.log, 0);
	g_assert_true(xb_channel_transfer(a, "200", NULL, outcome_cb, NULL, &error));
	g_assert_no_error(error);
	assert_log("T200:invite(answerB)");
	g_assert_null(xb_channel_partner(a));
	g_assert_cmpint(xb_channel_state(a), ==, XB_CHANNEL_ANSWERED);
	g_assert_cmpstr(xb_channel_get_var(b, "context"), ==, "public");
	xb_channel_answered_cb(placed("T200"), &answer_c);
	assert_log("T200:invite(answerB) T100:200(answerC) T100:request(answerC)");
	g_assert_true(xb_channel_partner(b) == placed("T200"));
	xb_clock_advance(1);
	assert_log("T200:invite(answerB) T100:200(answerC) T100:request(answerC) A:outcome(200)");
	xb_clock_advance(XB_TRANSFER_HANGUP_DELAY_MS);
	assert_log("T200:invite(answerB) T100:200(answerC) T100:request(answerC) A:outcome(200) "
	           "A:hangup(NORMAL_CLEARING)");
	g_assert_cmpint(xb_channel_state(b), ==, XB_CHANNEL_BRIDGED);
	teardown();
}

/* Blind transfer by the callee: the caller is routed again, its dialplan let go of first. */
static void test_transfer_blind_by_callee(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/T$1\"/>");
	g_autoptr(XbChannel) a = call_answered("100", NULL);
	XbChannel *b = placed("T100");
	g_autoptr(GError) error = NULL;

	xb_channel_set_var(b, "context", "public");
	g_string_truncate(fake.log, 0);
	g_assert_true(xb_channel_transfer(b, "300", NULL, outcome_cb, NULL, &error));
	assert_log("T300:invite(offerA)");
	g_assert_cmpuint(xb_dialplan_exec_count(), ==, 1);
	xb_channel_hangup_cb(placed("T300"), xb_cause_from_sip(486), 486);
	assert_log("T300:invite(offerA) A:hangup(USER_BUSY)");
	xb_clock_advance(1);
	assert_log("T300:invite(offerA) A:hangup(USER_BUSY) T100:outcome(486)");
	xb_channel_hangup_cb(b, XB_CAUSE_NORMAL_CLEARING, 0); /* its BYE before the delay */
	xb_clock_advance(XB_TRANSFER_HANGUP_DELAY_MS);
	assert_log("T300:invite(offerA) A:hangup(USER_BUSY) T100:outcome(486)");
	teardown();
}

/* What cannot be transferred is refused and changes nothing. */
static void test_transfer_refused(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/T$1\"/>");
	g_autoptr(XbChannel) a = call_in("100", NULL);
	XbChannel *b = placed("T100");
	GError *error = NULL;

	g_assert_false(xb_channel_transfer(a, "200", NULL, outcome_cb, NULL, &error));
	g_assert_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_NOT_BRIDGED);
	g_clear_error(&error);
	xb_channel_answered_cb(b, &answer_b);
	g_string_truncate(fake.log, 0);
	const char *bad[] = {"", "2 0", "200\n", "<sip:200>",
	                     "12345678901234567890123456789012345678901234567890123456789012345"};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(xb_channel_transfer(a, bad[i], NULL, outcome_cb, NULL, &error));
		g_assert_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_INVALID);
		g_clear_error(&error);
	}
	g_assert_false(xb_channel_transfer(a, "abc", NULL, outcome_cb, NULL, &error));
	g_assert_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_NO_ROUTE);
	g_clear_error(&error);
	g_assert_false(xb_channel_transfer(a, "200", "nowhere", outcome_cb, NULL, &error));
	g_assert_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_NO_ROUTE);
	g_clear_error(&error);
	g_assert_false(xb_channel_transfer_join(a, a, outcome_cb, NULL, &error));
	g_assert_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_FORBIDDEN);
	g_clear_error(&error);
	g_assert_false(xb_channel_transfer_join(a, b, outcome_cb, NULL, &error));
	g_assert_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_FORBIDDEN);
	g_clear_error(&error);
	assert_log("");
	g_assert_true(xb_channel_partner(a) == b);
	teardown();
}

/* A transferee handed on and on stops at XB_TRANSFER_MAX (two phones sending it to each
 * other); a second transfer of a call while one is carried out is refused. */
static void test_transfer_limit(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/T$1\"/>");
	g_autoptr(XbChannel) a = call_answered("100", NULL);
	XbChannel *b = placed("T100");
	GError *error = NULL;

	for (guint i = 0; i < XB_TRANSFER_MAX; i++) {
		XbChannel *t = xb_channel_partner(b);
		g_autofree char *number = g_strdup_printf("%u", 200 + i);
		g_autofree char *leg = g_strdup_printf("T%u", 200 + i);
		xb_channel_set_var(t, "context", "public");
		g_assert_true(xb_channel_transfer(t, number, NULL, NULL, NULL, &error));
		g_assert_no_error(error);
		if (i == 0) {
			g_assert_false(xb_channel_transfer(t, "300", NULL, NULL, NULL, &error));
			g_assert_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_NOT_BRIDGED);
			g_clear_error(&error);
		}
		xb_channel_answered_cb(placed(leg), &answer_c);
		xb_clock_advance(1);
	}
	XbChannel *t = xb_channel_partner(b);
	xb_channel_set_var(t, "context", "public");
	g_assert_false(xb_channel_transfer(t, "300", NULL, NULL, NULL, &error));
	g_assert_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_LOOP);
	g_clear_error(&error);
	xb_clock_advance(XB_TRANSFER_HANGUP_DELAY_MS);
	teardown();
}

/* Attended: the partners of the transferor's two calls are bridged to each other, each
 * re-offered the other's description; the replaced leg ends at once, the transferor's
 * after the delay; the joined call ends with either party. */
static void test_transfer_join(void)
{
	setup();
	load_plan("<action application=\"bridge\" data=\"fake/T$1\"/>");
	g_autoptr(XbChannel) a1 = call_in("100", NULL);
	g_autoptr(XbChannel) a2 = call_in("101", NULL);
	xb_channel_set_var(a2, "fake_tag", "A2");
	xb_channel_answered_cb(placed("T100"), &answer_b);
	xb_channel_answered_cb(placed("T101"), &answer_c);
	g_autoptr(GError) error = NULL;

	g_string_truncate(fake.log, 0);
	g_assert_true(xb_channel_transfer_join(a1, a2, outcome_cb, NULL, &error));
	g_assert_no_error(error);
	assert_log("T100:request(answerC) T101:request(answerB) A2:hangup(NORMAL_CLEARING)");
	g_assert_true(xb_channel_partner(placed("T100")) == placed("T101"));
	g_assert_cmpuint(xb_dialplan_exec_count(), ==, 0);
	xb_clock_advance(1);
	xb_clock_advance(XB_TRANSFER_HANGUP_DELAY_MS);
	assert_log("T100:request(answerC) T101:request(answerB) A2:hangup(NORMAL_CLEARING) "
	           "A:outcome(200) A:hangup(NORMAL_CLEARING)");
	xb_channel_hangup_cb(placed("T100"), XB_CAUSE_NORMAL_CLEARING, 0);
	assert_log("T100:request(answerC) T101:request(answerB) A2:hangup(NORMAL_CLEARING) "
	           "A:outcome(200) A:hangup(NORMAL_CLEARING) T101:hangup(NORMAL_CLEARING)");
	teardown();
}

/* The cause tables: names both ways, SIP both ways (RFC 3398). */
static void test_causes(void)
{
	g_assert_cmpstr(xb_cause_name(XB_CAUSE_USER_BUSY), ==, "USER_BUSY");
	g_assert_cmpint(xb_cause_from_name("user_busy"), ==, XB_CAUSE_USER_BUSY);
	g_assert_cmpint(xb_cause_from_name("17"), ==, XB_CAUSE_USER_BUSY);
	g_assert_cmpint(xb_cause_from_name("nonsense"), ==, XB_CAUSE_NONE);
	g_assert_cmpint(xb_cause_from_sip(404), ==, XB_CAUSE_UNALLOCATED_NUMBER);
	g_assert_cmpint(xb_cause_from_sip(486), ==, XB_CAUSE_USER_BUSY);
	g_assert_cmpint(xb_cause_from_sip(603), ==, XB_CAUSE_CALL_REJECTED);
	g_assert_cmpint(xb_cause_from_sip(480), ==, XB_CAUSE_NO_USER_RESPONSE);
	g_assert_cmpuint(xb_cause_to_sip(XB_CAUSE_USER_BUSY), ==, 486);
	g_assert_cmpuint(xb_cause_to_sip(XB_CAUSE_NO_ANSWER), ==, 480);
	g_assert_cmpuint(xb_cause_to_sip(XB_CAUSE_CALL_REJECTED), ==, 603);
	g_assert_cmpuint(xb_cause_to_sip(XB_CAUSE_ORIGINATOR_CANCEL), ==, 487);
	g_assert_cmpuint(xb_cause_to_sip(XB_CAUSE_EXCHANGE_ROUTING_ERROR), ==, 483);
}

/* ---- channel.state events ---- */

static GVariant *last_event;

static void state_cb(const char *type, GVariant *payload, gpointer user_data)
{
	g_clear_pointer(&last_event, g_variant_unref);
	last_event = g_variant_ref(payload);
}

/* The details of a state event, written in serialised form, are what GLib would write for
 * the same entries (in normal form, byte for byte), whatever the size of the framing
 * offsets (1, 2 and 4 octets). */
static void test_state_event_details(void)
{
	static const gsize value_len[] = {1, 300, 70000};

	xb_event_init();
	xb_channel_init();
	guint sub = xb_event_subscribe(NULL, XB_EVENT_CHANNEL_STATE, state_cb, NULL);
	for (guint t = 0; t < G_N_ELEMENTS(value_len); t++) {
		XbChannel *ch = xb_channel_new(NULL, XB_CHANNEL_INBOUND, "test/details", NULL);
		g_autofree char *big = g_strnfill(value_len[t], 'v');
		g_autoptr(GVariant) d = NULL, rebuilt = NULL, uuid = NULL;
		GVariantBuilder b;
		const char *s;
		guint32 status;

		xb_channel_set_var(ch, "destination_number", "100");
		xb_channel_set_var(ch, "big", big);
		xb_channel_set_var(ch, "e", "");
		xb_channel_hangup_cb(ch, XB_CAUSE_USER_BUSY, 486);
		xb_event_dispatch_pending();
		g_assert_nonnull(last_event);
		g_assert_true(g_variant_is_of_type(last_event, G_VARIANT_TYPE("(sssa{sv})")));
		uuid = g_variant_get_child_value(last_event, 0);
		g_assert_cmpstr(g_variant_get_string(uuid, NULL), ==, xb_channel_uuid(ch));
		d = g_variant_get_child_value(last_event, 3);
		g_assert_true(g_variant_is_normal_form(d));
		g_assert_cmpuint(g_variant_n_children(d), ==, 3 + 7);
		g_assert_true(g_variant_lookup(d, "big", "&s", &s));
		g_assert_cmpstr(s, ==, big);
		g_assert_true(g_variant_lookup(d, "e", "&s", &s));
		g_assert_cmpstr(s, ==, "");
		g_assert_true(g_variant_lookup(d, "name", "&s", &s));
		g_assert_cmpstr(s, ==, "test/details");
		g_assert_true(g_variant_lookup(d, "direction", "&s", &s));
		g_assert_cmpstr(s, ==, "in");
		g_assert_true(g_variant_lookup(d, "sip_status", "u", &status));
		g_assert_cmpuint(status, ==, 486);

		/* The same entries in the same order, serialised by GLib. */
		g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
		for (gsize i = 0; i < g_variant_n_children(d); i++) {
			g_autoptr(GVariant) entry = g_variant_get_child_value(d, i);
			g_autoptr(GVariant) k = g_variant_get_child_value(entry, 0);
			g_autoptr(GVariant) boxed = g_variant_get_child_value(entry, 1);
			g_autoptr(GVariant) v = g_variant_get_variant(boxed);
			/* The notify gets user_data: the copy frees itself with it. */
			gpointer bytes = g_memdup2(g_variant_get_data(v), g_variant_get_size(v));
			GVariant *copy =
			    g_variant_new_from_data(g_variant_get_type(v), bytes,
			                            g_variant_get_size(v), FALSE, g_free, bytes);
			g_variant_builder_add(&b, "{sv}", g_variant_get_string(k, NULL), copy);
		}
		rebuilt = g_variant_ref_sink(g_variant_builder_end(&b));
		g_assert_cmpuint(g_variant_get_size(rebuilt), ==, g_variant_get_size(d));
		g_assert_cmpmem(g_variant_get_data(rebuilt), g_variant_get_size(rebuilt),
		                g_variant_get_data(d), g_variant_get_size(d));
		g_clear_pointer(&last_event, g_variant_unref);
		xb_channel_unref(ch);
	}
	xb_event_unsubscribe(sub);
	g_assert_cmpuint(xb_channel_count(), ==, 0);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/channel/cause/q850-sip-rfc3398", test_causes);
	g_test_add_func("/channel/bridge/answer-early-media-bye", test_bridge_answer);
	g_test_add_func("/channel/bridge/a-hangs-up", test_bridge_a_hangs_up);
	g_test_add_func("/channel/bridge/busy-stays-busy", test_busy_stays_busy);
	g_test_add_func("/channel/bridge/continue-on-fail", test_continue_on_fail);
	g_test_add_func("/channel/bridge/ring-and-hunt-groups", test_ring_and_hunt_groups);
	g_test_add_func("/channel/bridge/no-answer-timeout", test_no_answer_timeout);
	g_test_add_func("/channel/bridge/cancel-while-ringing", test_cancel_while_ringing);
	g_test_add_func("/channel/bridge/reoffer-passes-across", test_reoffer_passes_across);
	g_test_add_func("/channel/bridge/max-forwards-rfc3261-16.3", test_max_forwards);
	g_test_add_func("/channel/bridge/max-duration", test_max_duration);
	g_test_add_func("/channel/exec/no-route", test_no_route);
	g_test_add_func("/channel/exec/sleep-answer-hangup", test_sleep_answer_hangup);
	g_test_add_func("/channel/exec/transfer-loop", test_transfer_loop);
	g_test_add_func("/channel/exec/nested", test_nested_exec);
	g_test_add_func("/channel/exec/nested-transfer", test_nested_transfer);
	g_test_add_func("/channel/exec/nested-hangup", test_nested_hangup);
	g_test_add_func("/channel/exec/nested-forget-and-plan", test_nested_forget_and_plan);
	g_test_add_func("/channel/event/state-details-serialised", test_state_event_details);
	g_test_add_func("/channel/transfer/blind-rfc3515", test_transfer_blind);
	g_test_add_func("/channel/transfer/blind-by-callee-busy", test_transfer_blind_by_callee);
	g_test_add_func("/channel/transfer/refused", test_transfer_refused);
	g_test_add_func("/channel/transfer/limit", test_transfer_limit);
	g_test_add_func("/channel/transfer/attended-rfc3891", test_transfer_join);
	return g_test_run();
}
