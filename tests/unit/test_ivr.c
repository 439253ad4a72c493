/* test_ivr.c: mod_ivr's menus without a call. The real module is opened (as the daemon
 * does before any load) so that the core compiles <menus> through its descriptor: every
 * refusal with its file and line (unknown actions and sub-menus, missing files, menus
 * without a way out, bad attributes ...), the defaults, how keys make entries, what
 * entries match, and the steps of the state machine that the `ivr` application and
 * `ivr test` both follow. */
#include "config.h"
#include "core/core_private.h"
#include "modules/ivr/ivr.h"
#include "test_util.h"

#include <string.h>

#define HEAD "<?xml version=\"1.0\"?>\n<include>\n"
#define PLAN                                                                                       \
	"<context name=\"default\">\n"                                                             \
	"  <extension name=\"menu\">\n"                                                            \
	"    <condition field=\"destination_number\" expression=\"^5000$\">\n"                     \
	"      <action application=\"ivr\" data=\"main\"/>\n"                                      \
	"    </condition>\n"                                                                       \
	"  </extension>\n"                                                                         \
	"</context>\n"
#define TAIL "</include>\n"

static char *sounds;

static void setup(void)
{
	char *sets[] = {NULL, NULL};
	g_autoptr(GError) error = NULL;
	char *modules[] = {"ivr", NULL};

	xb_event_init();
	xb_config_init_core();
	sounds = xb_test_tmpdir();
	for (const char *const *n = (const char *const[]){"a", "b", "c", "bye", "bad", NULL}; *n;
	     n++) {
		g_autofree char *name = g_strconcat(*n, ".wav", NULL);
		g_free(xb_test_write(sounds, name, "RIFF"));
	}
	sets[0] = g_strconcat("media.sounds_dir=", sounds, NULL);
	XbConfig *cfg = xb_config_read(NULL, sets, &error);
	g_assert_no_error(error);
	g_assert_true(xb_config_validate(cfg, NULL, TRUE, &error));
	xb_config_install(cfg);
	g_free(sets[0]);
	g_assert_true(xb_modules_open(XB_BUILDDIR "/modules", modules, NULL, &error));
	g_assert_no_error(error);
}

static void teardown(void)
{
	xb_dialplan_reset();
	xb_modules_unload_all();
	xb_app_reset();
	xb_cli_reset();
	xb_event_shutdown();
	xb_config_reset();
	xb_test_rmdir(sounds);
	g_clear_pointer(&sounds, g_free);
}

static XbDialplan *compile(const char *menus)
{
	g_autofree char *xml = g_strconcat(HEAD PLAN "<menus>\n", menus, "</menus>\n" TAIL, NULL);
	g_autoptr(GError) error = NULL;
	XbDialplan *plan = xb_dialplan_load_data("t.xml", xml, strlen(xml), NULL, &error);

	g_assert_no_error(error);
	return plan;
}

/* The error compiling menus gives ("t.xml:LINE: ..."); <menus> is line 10, its first child
 * line 11. */
static char *refusal(const char *menus)
{
	g_autofree char *xml = g_strconcat(HEAD PLAN "<menus>\n", menus, "</menus>\n" TAIL, NULL);
	g_autoptr(GError) error = NULL;
	XbDialplan *plan = xb_dialplan_load_data("t.xml", xml, strlen(xml), NULL, &error);

	g_assert_null(plan);
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID);
	return g_strdup(error->message);
}

static void assert_refused(const char *menus, const char *expect)
{
	g_autofree char *msg = refusal(menus);

	if (!g_str_has_prefix(msg, expect))
		g_error("refused with '%s', wanted '%s...'", msg, expect);
}

static const IvrMenus *menus_of(XbDialplan *plan)
{
	const IvrMenus *m = xb_dialplan_section(plan, IVR_SECTION);

	g_assert_nonnull(m);
	return m;
}

#define MAIN_OPEN "<menu name=\"main\" greet-long=\"a\""

/* A menu with every attribute, and one with the defaults. */
static void test_compile(void)
{
	setup();
	g_autoptr(XbDialplan) plan = compile(
	    MAIN_OPEN
	    " greet-short=\"b\" invalid-sound=\"c\" exit-sound=\"bye\" "
	    "timeout-sound=\"c\" timeout=\"4000\" inter-digit-timeout=\"1500\" max-failures=\"2\" "
	    "max-timeouts=\"4\" digit-len=\"5\" exec-on-max-failures=\"transfer 0 XML default\">\n"
	    "  <entry action=\"menu-sub\" digits=\"1\" param=\"other\"/>\n"
	    "  <entry action=\"menu-transfer\" digits=\"/^(10[0-9][0-9])$/\" param=\"$1 XML "
	    "default\"/>\n"
	    "  <entry action=\"menu-exec-app\" digits=\"*\" param=\"playback b\"/>\n"
	    "  <entry action=\"menu-play-sound\" digits=\"#\" param=\""
	    "c"
	    "\"/>\n"
	    "  <entry action=\"menu-exit\" digits=\"9\"/>\n"
	    "</menu>\n"
	    "<menu name=\"other\" greet-long=\"b\">\n"
	    "  <entry action=\"menu-back\" digits=\"*\"/>\n"
	    "  <entry action=\"menu-top\" digits=\"0\"/>\n"
	    "</menu>\n");
	const IvrMenus *menus = menus_of(plan);
	const IvrMenu *m = ivr_menus_find(menus, "main"), *o = ivr_menus_find(menus, "other");

	g_assert_cmpuint(menus->menus->len, ==, 2);
	g_assert_cmpuint(m->line, ==, 11);
	g_assert_cmpuint(m->timeout_ms, ==, 4000);
	g_assert_cmpuint(m->inter_digit_ms, ==, 1500);
	g_assert_cmpuint(m->max_failures, ==, 2);
	g_assert_cmpuint(m->max_timeouts, ==, 4);
	g_assert_cmpuint(m->digit_len, ==, 5);
	g_assert_cmpstr(m->max_failures_app, ==, "transfer");
	g_assert_cmpstr(m->max_failures_data, ==, "0 XML default");
	g_assert_true(g_str_has_suffix(m->greet_long.file, "/a.wav"));
	g_assert_cmpstr(m->greet_long.written, ==, "a");
	const IvrEntry *sub = m->entries->pdata[0], *tr = m->entries->pdata[1];
	g_assert_true(sub->sub == o);
	g_assert_nonnull(tr->regex);
	g_assert_cmpstr(tr->app, ==, "transfer");
	/* The defaults: FreeSWITCH's timings, digit-len the longest literal entry's. */
	g_assert_cmpuint(o->timeout_ms, ==, IVR_DEFAULT_TIMEOUT_MS);
	g_assert_cmpuint(o->inter_digit_ms, ==, IVR_DEFAULT_INTER_DIGIT_MS);
	g_assert_cmpuint(o->max_failures, ==, 3);
	g_assert_cmpuint(o->max_timeouts, ==, 3);
	g_assert_cmpuint(o->digit_len, ==, 1);
	g_assert_null(o->greet_short.file);
	/* The applications its entries run are the plan's, checked like any. */
	gboolean seen_playback = FALSE;
	g_autoptr(GArray) missing = xb_dialplan_unregistered_apps(plan);
	for (guint i = 0; i < missing->len; i++)
		seen_playback |=
		    !strcmp(g_array_index(missing, XbDialplanAppUse, i).application, "playback");
	g_assert_true(seen_playback);
	teardown();
}

/* Every refusal names the file and the line of what is wrong. */
static void test_refusals(void)
{
	setup();
	assert_refused(MAIN_OPEN "><entry action=\"menu-jump\" digits=\"1\"/></menu>\n",
	               "t.xml:11: unknown action 'menu-jump' (menu-sub, menu-back, menu-top");
	assert_refused(MAIN_OPEN ">\n  <entry action=\"menu-exit\" digits=\"1\"/>\n"
	                         "  <entry action=\"menu-sub\" digits=\"2\" param=\"nowhere\"/>\n"
	                         "</menu>\n",
	               "t.xml:13: menu-sub: unknown sub-menu 'nowhere'");
	assert_refused("<menu name=\"main\" greet-long=\"missing\">\n"
	               "  <entry action=\"menu-exit\" digits=\"1\"/>\n</menu>\n",
	               "t.xml:11: greet-long=\"missing\": no such sound file (");
	assert_refused(MAIN_OPEN
	               ">\n  <entry action=\"menu-exit\" digits=\"1\"/>\n"
	               "  <entry action=\"menu-play-sound\" digits=\"2\" param=\"gone\"/>\n"
	               "</menu>\n",
	               "t.xml:13: param=\"gone\": no such sound file");
	assert_refused(MAIN_OPEN
	               " greet-lng=\"a\"><entry action=\"menu-exit\" digits=\"1\"/></menu>\n",
	               "t.xml:11: <menu> has no attribute 'greet-lng' (it takes name, greet-long");
	assert_refused("<menu name=\"main\"><entry action=\"menu-exit\" digits=\"1\"/></menu>\n",
	               "t.xml:11: menu 'main' needs a greet-long");
	assert_refused(MAIN_OPEN
	               " timeout=\"soon\"><entry action=\"menu-exit\" digits=\"1\"/></menu>\n",
	               "t.xml:11: timeout=\"soon\": not a whole number from 1 to 3600000");
	assert_refused(MAIN_OPEN "><entry action=\"menu-exit\" digits=\"/^(1/\"/></menu>\n",
	               "t.xml:11: digits=\"/^(1/\": ");
	assert_refused(MAIN_OPEN "><entry action=\"menu-exit\" digits=\"1x\"/></menu>\n",
	               "t.xml:11: digits=\"1x\": keys are 0-9, *, # and A-D");
	assert_refused(MAIN_OPEN ">\n  <entry action=\"menu-exit\" digits=\"1\"/>\n"
	                         "  <entry action=\"menu-top\" digits=\"1\"/>\n</menu>\n",
	               "t.xml:13: digits=\"1\" is already the entry at line 12");
	assert_refused(MAIN_OPEN
	               " digit-len=\"2\"><entry action=\"menu-exit\" digits=\"123\"/></menu>\n",
	               "t.xml:11: digits=\"123\" is longer than the menu's digit-len (2)");
	assert_refused(MAIN_OPEN "><entry action=\"menu-exit\" digits=\"1\" param=\"x\"/></menu>\n",
	               "t.xml:11: menu-exit takes no param");
	assert_refused(
	    MAIN_OPEN "><entry action=\"menu-transfer\" digits=\"1\" param=\"1 2 3\"/></menu>\n",
	    "t.xml:11: menu-transfer param=\"1 2 3\": expected \"NUMBER [XML CONTEXT]\"");
	assert_refused(MAIN_OPEN "><entry action=\"menu-exec-app\" digits=\"1\"/></menu>\n",
	               "t.xml:11: menu-exec-app param needs an application");
	assert_refused(MAIN_OPEN "></menu>\n", "t.xml:11: menu 'main' has no <entry>");
	assert_refused(MAIN_OPEN "><item/></menu>\n", "t.xml:11: <item> in a <menu>");
	assert_refused("<submenu/>\n", "t.xml:11: <submenu> in <menus>");
	assert_refused(MAIN_OPEN "><entry action=\"menu-exit\" digits=\"1\"/></menu>\n" MAIN_OPEN
	                         "><entry action=\"menu-exit\" digits=\"1\"/></menu>\n",
	               "t.xml:12: menu 'main' is already defined at line 11");
	assert_refused("<menu name=\"main\" greet-long=\"say:hello\">"
	               "<entry action=\"menu-exit\" digits=\"1\"/></menu>\n",
	               "t.xml:11: greet-long=\"say:hello\": phrase macros and text to speech");
	/* The plan's `ivr` action names a menu that is not there: its own line. */
	assert_refused("<menu name=\"mian\" greet-long=\"a\"><entry action=\"menu-exit\" "
	               "digits=\"1\"/></menu>\n",
	               "t.xml:6: ivr: no menu 'main' in <menus> (line 10)");
	teardown();
}

/* No menu may trap its callers (ivr_menus.c, check_ways_out). */
static void test_ways_out(void)
{
	setup();
	/* Two menus that only lead to each other. */
	assert_refused(MAIN_OPEN
	               "><entry action=\"menu-sub\" digits=\"1\" param=\"b\"/></menu>\n"
	               "<menu name=\"b\" greet-long=\"b\"><entry action=\"menu-sub\" digits=\"1\" "
	               "param=\"main\"/></menu>\n",
	               "t.xml:11: menu 'main' has no way out");
	/* A sub-menu that only plays something, with no way back. */
	assert_refused(MAIN_OPEN
	               ">\n  <entry action=\"menu-exit\" digits=\"0\"/>\n"
	               "  <entry action=\"menu-sub\" digits=\"1\" param=\"info\"/>\n</menu>\n"
	               "<menu name=\"info\" greet-long=\"b\">\n"
	               "  <entry action=\"menu-play-sound\" digits=\"1\" param=\"c\"/>\n</menu>\n",
	               "t.xml:15: menu 'info' has no way out");
	/* A run application that does not leave (playback) is no way out either. */
	assert_refused(MAIN_OPEN "><entry action=\"menu-exec-app\" digits=\"1\" param=\"playback "
	                         "c\"/></menu>\n",
	               "t.xml:11: menu 'main' has no way out");
	/* Back to the menu that opened it, the top menu, a transfer run as an application,
	 * back out of a top menu: all ways out. */
	g_autoptr(XbDialplan) plan = compile(
	    MAIN_OPEN
	    ">\n  <entry action=\"menu-exit\" digits=\"0\"/>\n"
	    "  <entry action=\"menu-sub\" digits=\"1\" param=\"info\"/>\n"
	    "  <entry action=\"menu-sub\" digits=\"2\" param=\"deep\"/>\n</menu>\n"
	    "<menu name=\"info\" greet-long=\"b\"><entry action=\"menu-back\" "
	    "digits=\"*\"/></menu>\n"
	    "<menu name=\"deep\" greet-long=\"b\"><entry action=\"menu-sub\" digits=\"1\" "
	    "param=\"deeper\"/></menu>\n"
	    "<menu name=\"deeper\" greet-long=\"b\"><entry action=\"menu-top\" "
	    "digits=\"*\"/></menu>\n"
	    "<menu name=\"alone\" greet-long=\"b\"><entry action=\"menu-back\" "
	    "digits=\"*\"/></menu>\n"
	    "<menu name=\"app\" greet-long=\"b\"><entry action=\"menu-exec-app\" digits=\"1\" "
	    "param=\"transfer 1000\"/></menu>\n");
	g_assert_cmpuint(menus_of(plan)->menus->len, ==, 6);
	teardown();
}

static const IvrMenu *the_menu(XbDialplan *plan)
{
	return ivr_menus_find(menus_of(plan), "main");
}

/* Keys make an entry that is judged as soon as no entry could take more, at digit-len,
 * or at a '#' no entry uses; else the menu waits for the inter-digit timeout. */
static void test_keys(void)
{
	setup();
	g_autoptr(XbDialplan) plan = compile(
	    MAIN_OPEN
	    " digit-len=\"4\">\n"
	    "  <entry action=\"menu-exit\" digits=\"0\"/>\n"
	    "  <entry action=\"menu-exit\" digits=\"5\"/>\n"
	    "  <entry action=\"menu-exit\" digits=\"55\"/>\n"
	    "  <entry action=\"menu-transfer\" digits=\"/^(1[0-9][0-9])$/\" param=\"$1\"/>\n"
	    "</menu>\n");
	const IvrMenu *m = the_menu(plan);
	g_autoptr(GString) e = g_string_new(NULL);

	g_assert_cmpint(ivr_menu_key(m, e, '0'), ==, IVR_KEY_JUDGE);
	g_assert_cmpstr(e->str, ==, "0");
	g_string_truncate(e, 0);
	g_assert_cmpint(ivr_menu_key(m, e, '5'), ==, IVR_KEY_MORE); /* 55 may come */
	g_assert_cmpint(ivr_menu_key(m, e, '5'), ==, IVR_KEY_JUDGE);
	g_string_truncate(e, 0);
	g_assert_cmpint(ivr_menu_key(m, e, '1'), ==, IVR_KEY_MORE);
	g_assert_cmpint(ivr_menu_key(m, e, '2'), ==, IVR_KEY_MORE);
	g_assert_cmpint(ivr_menu_key(m, e, '3'), ==, IVR_KEY_JUDGE); /* 123: nothing longer */
	g_string_truncate(e, 0);
	g_assert_cmpint(ivr_menu_key(m, e, '7'), ==, IVR_KEY_JUDGE); /* nothing starts so */
	g_string_truncate(e, 0);
	g_assert_cmpint(ivr_menu_key(m, e, '1'), ==, IVR_KEY_MORE);
	g_assert_cmpint(ivr_menu_key(m, e, '#'), ==, IVR_KEY_JUDGE); /* a terminator */
	g_assert_cmpstr(e->str, ==, "1");

	/* digit-len cuts an entry off; a '#' an entry uses is a key. */
	g_autoptr(XbDialplan) plan2 =
	    compile(MAIN_OPEN " digit-len=\"3\">\n"
	                      "  <entry action=\"menu-exit\" digits=\"/^[0-9]+#?$/\"/>\n"
	                      "  <entry action=\"menu-exit\" digits=\"#\"/>\n</menu>\n");
	const IvrMenu *m2 = the_menu(plan2);
	g_string_truncate(e, 0);
	g_assert_cmpint(ivr_menu_key(m2, e, '#'), ==, IVR_KEY_JUDGE);
	g_assert_cmpstr(e->str, ==, "#");
	g_string_truncate(e, 0);
	g_assert_cmpint(ivr_menu_key(m2, e, '1'), ==, IVR_KEY_MORE);
	g_assert_cmpint(ivr_menu_key(m2, e, '#'), ==, IVR_KEY_JUDGE);
	g_assert_cmpstr(e->str, ==, "1#");
	g_string_truncate(e, 0);
	g_assert_cmpint(ivr_menu_key(m2, e, '1'), ==, IVR_KEY_MORE);
	g_assert_cmpint(ivr_menu_key(m2, e, '2'), ==, IVR_KEY_MORE);
	g_assert_cmpint(ivr_menu_key(m2, e, '3'), ==, IVR_KEY_JUDGE);
	teardown();
}

/* The first entry (file order) that matches, with the captures of an expression. */
static void test_match(void)
{
	setup();
	g_autoptr(XbDialplan) plan =
	    compile(MAIN_OPEN ">\n"
	                      "  <entry action=\"menu-exit\" digits=\"1\"/>\n"
	                      "  <entry action=\"menu-transfer\" digits=\"/^1([0-9])([0-9])$/\" "
	                      "param=\"20$2$1 XML ${ctx}\"/>\n"
	                      "  <entry action=\"menu-top\" digits=\"/^1/\"/>\n</menu>\n");
	const IvrMenu *m = the_menu(plan);
	g_auto(GStrv) caps = NULL;
	const IvrEntry *e = ivr_menu_match(m, "1", NULL);

	g_assert_cmpint(e->action, ==, IVR_ACTION_EXIT);
	e = ivr_menu_match(m, "123", &caps);
	g_assert_cmpint(e->action, ==, IVR_ACTION_TRANSFER);
	g_autofree char *param = ivr_substitute(e->app_data, caps);
	g_assert_cmpstr(param, ==, "2032 XML ${ctx}");
	g_assert_cmpint(ivr_menu_match(m, "1234", NULL)->action, ==, IVR_ACTION_TOP);
	g_assert_null(ivr_menu_match(m, "2", NULL));
	g_assert_null(ivr_menu_match(m, "", NULL));
	teardown();
}

/* "greet-long a | invalid c, b" for a step's go and plays. */
static char *step_text(const IvrStep *s)
{
	GString *out = g_string_new(NULL);
	static const char *const go[] = {"collect", "leave", "exec", "transfer"};

	g_string_append(out, go[s->go]);
	if (s->reason)
		g_string_append_printf(out, "(%s)", s->reason);
	if (s->app)
		g_string_append_printf(out, " %s[%s]", s->app, s->data);
	for (guint i = 0; s->plays[i]; i++) {
		g_autofree char *base = g_path_get_basename(s->plays[i]);
		base[strlen(base) - 4] = 0;
		g_string_append_printf(out, " %s", base);
	}
	return g_string_free(out, FALSE);
}

#define assert_step(s, want)                                                                       \
	do {                                                                                       \
		g_autofree char *got_ = step_text(s);                                              \
		g_assert_cmpstr(got_, ==, (want));                                                 \
	} while (0)

/* The state machine: greetings, invalid entries and timeouts coming round with greet-short,
 * giving up, sub-menus, back, top, exit, applications with captures. */
static void test_state(void)
{
	setup();
	g_autoptr(XbDialplan) plan = compile(
	    MAIN_OPEN
	    " greet-short=\"b\" invalid-sound=\"c\" timeout-sound=\"bad\" "
	    "exit-sound=\"bye\" max-failures=\"2\" max-timeouts=\"2\">\n"
	    "  <entry action=\"menu-sub\" digits=\"1\" param=\"sub\"/>\n"
	    "  <entry action=\"menu-play-sound\" digits=\"2\" param=\"c\"/>\n"
	    "  <entry action=\"menu-exec-app\" digits=\"/^3([0-9])$/\" param=\"log got $1\"/>\n"
	    "  <entry action=\"menu-exec-app\" digits=\"4\" param=\"transfer 1000 XML default\"/>\n"
	    "  <entry action=\"menu-exit\" digits=\"9\"/>\n"
	    "  <entry action=\"menu-back\" digits=\"*\"/>\n"
	    "</menu>\n"
	    "<menu name=\"sub\" greet-long=\"c\" max-failures=\"1\" "
	    "exec-on-max-failures=\"transfer 0\">\n"
	    "  <entry action=\"menu-back\" digits=\"*\"/>\n"
	    "  <entry action=\"menu-top\" digits=\"0\"/>\n"
	    "  <entry action=\"menu-sub\" digits=\"1\" param=\"sub\"/>\n"
	    "</menu>\n");
	const IvrMenus *menus = menus_of(plan);
	IvrState st;
	IvrStep s = {0};

	ivr_state_init(&st, menus, ivr_menus_find(menus, "main"));
	ivr_state_start(&st, &s);
	assert_step(&s, "collect a");
	g_assert_true(s.entered);
	ivr_state_entry(&st, "7", &s);
	assert_step(&s, "collect c b");
	ivr_state_timeout(&st, &s);
	assert_step(&s, "collect bad b");
	ivr_state_entry(&st, "2", &s); /* valid: the counts start again */
	assert_step(&s, "collect c b");
	ivr_state_entry(&st, "7", &s);
	assert_step(&s, "collect c b");
	ivr_state_entry(&st, "8", &s);
	assert_step(&s, "leave(max-failures) c bye");
	ivr_state_clear(&st);

	ivr_state_init(&st, menus, ivr_menus_find(menus, "main"));
	ivr_state_start(&st, &s);
	ivr_state_timeout(&st, &s);
	ivr_state_timeout(&st, &s);
	assert_step(&s, "leave(max-timeouts) bad bye");
	ivr_state_clear(&st);

	ivr_state_init(&st, menus, ivr_menus_find(menus, "main"));
	ivr_state_start(&st, &s);
	ivr_state_entry(&st, "37", &s);
	assert_step(&s, "exec log[got 7]");
	ivr_state_resume(&st, &s);
	assert_step(&s, "collect b");
	ivr_state_entry(&st, "4", &s);
	assert_step(&s, "transfer transfer[1000 XML default]");
	ivr_state_entry(&st, "1", &s);
	assert_step(&s, "collect c");
	g_assert_cmpstr(ivr_state_menu(&st)->name, ==, "sub");
	ivr_state_entry(&st, "1", &s); /* sub in sub */
	g_assert_cmpuint(st.stack->len, ==, 3);
	ivr_state_entry(&st, "*", &s);
	g_assert_cmpuint(st.stack->len, ==, 2);
	ivr_state_entry(&st, "1", &s);
	ivr_state_entry(&st, "0", &s); /* top */
	assert_step(&s, "collect a");
	g_assert_cmpuint(st.stack->len, ==, 1);
	ivr_state_entry(&st, "1", &s);
	ivr_state_entry(&st, "5", &s); /* sub gives up at once: exec-on-max-failures */
	assert_step(&s, "leave(max-failures) transfer[0]");
	ivr_state_clear(&st);

	ivr_state_init(&st, menus, ivr_menus_find(menus, "main"));
	ivr_state_entry(&st, "*", &s); /* back out of the top menu */
	assert_step(&s, "leave(back) bye");
	ivr_state_entry(&st, "9", &s);
	assert_step(&s, "leave(exit) bye");
	ivr_state_clear(&st);
	ivr_step_clear(&s);
	teardown();
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/ivr/compile", test_compile);
	g_test_add_func("/ivr/refusals-file-and-line", test_refusals);
	g_test_add_func("/ivr/ways-out", test_ways_out);
	g_test_add_func("/ivr/keys", test_keys);
	g_test_add_func("/ivr/match", test_match);
	g_test_add_func("/ivr/state", test_state);
	return g_test_run();
}
