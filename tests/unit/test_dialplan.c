/* test_dialplan.c: the XML dialplan engine. Compiling (every error names the file and the
 * line), hunting with FreeSWITCH's rules (captures, each break mode, continue, anti-actions,
 * nested conditions, inline set, ${variables}), every time attribute on a fixed clock and
 * in a configured time zone, and the live plan: a reload swaps it whole or not at all, and
 * a hunt keeps the plan it started with. */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

#include <errno.h>
#include <string.h>

#define HEAD "<?xml version=\"1.0\"?>\n<include>\n"
#define TAIL "</include>\n"

static XbDialplan *compile(const char *xml, const char *tz)
{
	g_autoptr(GError) error = NULL;
	XbDialplan *plan = xb_dialplan_load_data("t.xml", xml, strlen(xml), tz, &error);

	g_assert_no_error(error);
	g_assert_nonnull(plan);
	return plan;
}

/* The error compiling xml gives, which must be of `code`. */
static char *compile_error(const char *xml, const char *tz, int code)
{
	g_autoptr(GError) error = NULL;
	XbDialplan *plan = xb_dialplan_load_data("t.xml", xml, strlen(xml), tz, &error);

	g_assert_null(plan);
	g_assert_error(error, XB_DIALPLAN_ERROR, code);
	return g_strdup(error->message);
}

static const char *table_lookup(const char *name, gpointer user_data)
{
	return user_data ? g_hash_table_lookup(user_data, name) : NULL;
}

/* "K=V" pairs, NULL-terminated, as a lookup table. */
static GHashTable *vars_of(const char *first, ...)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	va_list ap;

	va_start(ap, first);
	for (const char *kv = first; kv; kv = va_arg(ap, const char *)) {
		const char *eq = strchr(kv, '=');
		g_hash_table_replace(t, g_strndup(kv, eq - kv), g_strdup(eq + 1));
	}
	va_end(ap);
	return t;
}

static GDateTime *utc(int y, int mo, int d, int h, int mi, double s)
{
	g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
	return g_date_time_new(tz, y, mo, d, h, mi, s);
}

/* The actions a hunt chose, as "application:data" joined by spaces ("~" before an
 * anti-action, "!" before an inline one). */
static char *hunt(XbDialplan *plan, const char *context, GHashTable *vars, GDateTime *now)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) fixed = now ? g_date_time_ref(now) : utc(2026, 5, 4, 10, 30, 15);
	g_autoptr(XbDialplanResult) r =
	    xb_dialplan_hunt(plan, context, table_lookup, vars, fixed, &error);
	GString *out = g_string_new(NULL);

	g_assert_no_error(error);
	for (guint i = 0; i < r->actions->len; i++) {
		const XbDialplanAction *a = r->actions->pdata[i];
		g_string_append_printf(out, "%s%s%s:%s", i ? " " : "",
		                       a->anti         ? "~"
		                       : a->ran_inline ? "!"
		                                       : "",
		                       a->application, a->data);
	}
	return g_string_free(out, FALSE);
}

/* A destination number only. */
static char *hunt_number(XbDialplan *plan, const char *number)
{
	g_autofree char *kv = g_strconcat("destination_number=", number, NULL);
	g_autoptr(GHashTable) vars = vars_of(kv, NULL);
	return hunt(plan, "default", vars, NULL);
}

/* Regular expression captures $0..$9 are substituted at hunt time; ${variables} are left
 * for the channel layer; a group that did not take part gives nothing. */
static void test_match_captures(void)
{
	g_autoptr(XbDialplan) plan = compile(
	    HEAD
	    "<context name=\"default\">\n"
	    " <extension name=\"split\">\n"
	    "  <condition field=\"destination_number\" expression=\"^(\\d\\d)(\\d\\d)(x)?$\">\n"
	    "   <action application=\"bridge\" data=\"user/$2-$1 all=$0 none=$3 "
	    "${keep}\"/>\n"
	    "  </condition>\n"
	    " </extension>\n"
	    "</context>\n" TAIL,
	    "UTC");
	g_autofree char *a = hunt_number(plan, "1234");
	g_autofree char *b = hunt_number(plan, "12345");

	g_assert_cmpstr(a, ==, "bridge:user/34-12 all=1234 none= ${keep}");
	g_assert_cmpstr(b, ==, "");
	g_assert_cmpuint(xb_dialplan_n_contexts(plan), ==, 1);
	g_assert_cmpuint(xb_dialplan_n_extensions(plan), ==, 1);
}

/* Four conditions, each with an action named after it; the first (A) is true or false as
 * asked, the rest always true. */
static char *break_plan(const char *brk, gboolean first_true)
{
	return g_strdup_printf(
	    HEAD "<context name=\"default\">\n"
	         " <extension name=\"e\">\n"
	         "  <condition field=\"destination_number\" expression=\"^%s$\" break=\"%s\">\n"
	         "   <action application=\"log\" data=\"A\"/>\n"
	         "   <anti-action application=\"log\" data=\"notA\"/>\n"
	         "  </condition>\n"
	         "  <condition field=\"destination_number\" expression=\".\">\n"
	         "   <action application=\"log\" data=\"B\"/>\n"
	         "  </condition>\n"
	         " </extension>\n"
	         " <extension name=\"next\">\n"
	         "  <condition><action application=\"log\" data=\"next\"/></condition>\n"
	         " </extension>\n"
	         "</context>\n" TAIL,
	    first_true ? "1" : "2", brk);
}

static void check_break(const char *brk, const char *when_true, const char *when_false)
{
	g_autofree char *xt = break_plan(brk, TRUE), *xf = break_plan(brk, FALSE);
	g_autoptr(XbDialplan) pt = compile(xt, "UTC");
	g_autoptr(XbDialplan) pf = compile(xf, "UTC");
	g_autofree char *t = hunt_number(pt, "1"), *f = hunt_number(pf, "1");

	g_assert_cmpstr(t, ==, when_true);
	g_assert_cmpstr(f, ==, when_false);
}

/* break=on-false stops at a false condition (its anti-actions taken, and they make the
 * extension match); on-true at a true one; always after the condition either way; never
 * goes on. A match ends the hunt: "next" is never reached. */
static void test_break_modes(void)
{
	check_break("on-false", "log:A log:B", "~log:notA");
	check_break("on-true", "log:A", "~log:notA log:B");
	check_break("always", "log:A", "~log:notA");
	check_break("never", "log:A log:B", "~log:notA log:B");
}

/* An extension with continue="true" lets the hunt go on after it matched; a false
 * extension without anti-actions does not match; one without conditions never does. */
static void test_continue(void)
{
	g_autoptr(XbDialplan) plan =
	    compile(HEAD "<context name=\"default\">\n"
	                 " <extension name=\"empty\"/>\n"
	                 " <extension name=\"first\" continue=\"true\">\n"
	                 "  <condition field=\"destination_number\" expression=\"^1\">\n"
	                 "   <action application=\"log\" data=\"first\"/>\n"
	                 "  </condition>\n"
	                 " </extension>\n"
	                 " <extension name=\"no\">\n"
	                 "  <condition field=\"destination_number\" expression=\"^2\">\n"
	                 "   <action application=\"log\" data=\"no\"/>\n"
	                 "  </condition>\n"
	                 " </extension>\n"
	                 " <extension name=\"second\">\n"
	                 "  <condition field=\"destination_number\" expression=\"^1\">\n"
	                 "   <action application=\"log\" data=\"second\"/>\n"
	                 "  </condition>\n"
	                 " </extension>\n"
	                 " <extension name=\"third\">\n"
	                 "  <condition><action application=\"log\" data=\"third\"/></condition>\n"
	                 " </extension>\n"
	                 "</context>\n" TAIL,
	            "UTC");
	g_autoptr(GHashTable) vars = vars_of("destination_number=100", NULL);
	g_autoptr(GDateTime) now = utc(2026, 5, 4, 10, 30, 15);
	g_autoptr(XbDialplanResult) r =
	    xb_dialplan_hunt(plan, "default", table_lookup, vars, now, NULL);
	g_autofree char *two = hunt_number(plan, "200");

	g_assert_cmpuint(r->actions->len, ==, 2);
	g_assert_cmpuint(r->matched->len, ==, 2);
	g_assert_cmpstr(r->matched->pdata[0], ==, "first");
	g_assert_cmpstr(r->matched->pdata[1], ==, "second");
	g_assert_cmpstr(two, ==, "log:no");
	/* Every condition evaluated is in the trace, true or false, with its line. */
	g_assert_cmpuint(r->trace->len, ==, 3);
	const XbDialplanTrace *t = r->trace->pdata[1];
	g_assert_cmpstr(t->extension, ==, "no");
	g_assert_cmpuint(t->line, ==, 11);
	g_assert_false(t->result);
	g_assert_cmpstr(t->test, ==, "destination_number '100' =~ /^2/");
}

/* Anti-actions run when a condition is false, with no captures of their own; actions of
 * an earlier true condition stay taken when a later one is false. */
static void test_anti_actions(void)
{
	g_autoptr(XbDialplan) plan = compile(
	    HEAD "<context name=\"default\">\n"
	         " <extension name=\"e\">\n"
	         "  <condition field=\"destination_number\" expression=\"^(1)\" break=\"never\">\n"
	         "   <action application=\"log\" data=\"one $1\"/>\n"
	         "  </condition>\n"
	         "  <condition field=\"caller_id_number\" expression=\"^vip$\">\n"
	         "   <action application=\"log\" data=\"vip\"/>\n"
	         "   <anti-action application=\"log\" data=\"plain $1\"/>\n"
	         "   <anti-action application=\"hangup\"/>\n"
	         "  </condition>\n"
	         " </extension>\n"
	         "</context>\n" TAIL,
	    "UTC");
	g_autoptr(GHashTable) plain = vars_of("destination_number=1", "caller_id_number=bob", NULL);
	g_autoptr(GHashTable) vip = vars_of("destination_number=1", "caller_id_number=vip", NULL);
	g_autofree char *p = hunt(plan, "default", plain, NULL);
	g_autofree char *v = hunt(plan, "default", vip, NULL);

	g_assert_cmpstr(p, ==, "log:one 1 ~log:plain $1 ~hangup:");
	g_assert_cmpstr(v, ==, "log:one 1 log:vip");
}

/* A nested condition is evaluated only when its parent is true, in file order among the
 * parent's actions, and sees the parent's captures when it has no expression of its own; its break
 * governs its later siblings; the parent is true only when its nested block matched. */
static void test_nested(void)
{
	g_autoptr(XbDialplan) plan = compile(
	    HEAD "<context name=\"default\">\n"
	         " <extension name=\"outer\">\n"
	         "  <condition field=\"destination_number\" expression=\"^(\\d+)$\">\n"
	         "   <action application=\"log\" data=\"before $1\"/>\n"
	         "   <condition field=\"caller_id_number\" expression=\"^1\">\n"
	         "    <action application=\"log\" data=\"inner $0\"/>\n"
	         "    <anti-action application=\"log\" data=\"not-1\"/>\n"
	         "   </condition>\n"
	         "   <condition field=\"caller_id_number\" expression=\"^(.)2\">\n"
	         "    <action application=\"log\" data=\"own $1\"/>\n"
	         "   </condition>\n"
	         "   <condition hour=\"0-23\">\n"
	         "    <action application=\"log\" data=\"parent $1\"/>\n"
	         "   </condition>\n"
	         "   <action application=\"log\" data=\"after\"/>\n"
	         "  </condition>\n"
	         " </extension>\n"
	         " <extension name=\"fallback\">\n"
	         "  <condition><action application=\"log\" data=\"fallback\"/></condition>\n"
	         " </extension>\n"
	         "</context>\n" TAIL,
	    "UTC");
	g_autoptr(GHashTable) a = vars_of("destination_number=55", "caller_id_number=123", NULL);
	g_autoptr(GHashTable) b = vars_of("destination_number=55", "caller_id_number=923", NULL);
	g_autoptr(GHashTable) c = vars_of("destination_number=55", "caller_id_number=133", NULL);
	g_autoptr(GHashTable) d = vars_of("destination_number=x", "caller_id_number=123", NULL);
	g_autofree char *ra = hunt(plan, "default", a, NULL);
	g_autofree char *rb = hunt(plan, "default", b, NULL);
	g_autofree char *rc = hunt(plan, "default", c, NULL);
	g_autofree char *rd = hunt(plan, "default", d, NULL);

	g_assert_cmpstr(ra, ==, "log:before 55 log:inner 1 log:own 1 log:parent 55 log:after");
	/* The first nested condition is false with anti-actions (a match) and breaks. */
	g_assert_cmpstr(rb, ==, "log:before 55 ~log:not-1 log:after");
	/* The last nested condition is false: the parent is false and the hunt goes on. */
	g_assert_cmpstr(rc, ==, "log:before 55 log:inner 1 log:after log:fallback");
	g_assert_cmpstr(rd, ==, "log:fallback");
}

/* An inline set takes effect during the hunt: a later condition tests it and the hunt's
 * variables hold it; ${variables} in its data are expanded then. unset hides a value the
 * caller gives. */
static void test_inline_set(void)
{
	g_autoptr(XbDialplan) plan = compile(
	    HEAD "<context name=\"default\">\n"
	         " <extension name=\"mark\" continue=\"true\">\n"
	         "  <condition field=\"destination_number\" expression=\"^(\\d+)$\">\n"
	         "   <action application=\"set\" data=\"target=${prefix}$1\" inline=\"true\"/>\n"
	         "   <action application=\"unset\" data=\"secret\" inline=\"true\"/>\n"
	         "  </condition>\n"
	         " </extension>\n"
	         " <extension name=\"use\">\n"
	         "  <condition field=\"${target}\" expression=\"^pre(\\d+)$\">\n"
	         "   <action application=\"bridge\" data=\"user/$1 ${target}\"/>\n"
	         "  </condition>\n"
	         "  <condition field=\"${secret}\" expression=\"^$\">\n"
	         "   <action application=\"log\" data=\"hidden\"/>\n"
	         "  </condition>\n"
	         " </extension>\n"
	         "</context>\n" TAIL,
	    "UTC");
	g_autoptr(GHashTable) vars =
	    vars_of("destination_number=42", "prefix=pre", "secret=s3", NULL);
	g_autoptr(GDateTime) now = utc(2026, 5, 4, 10, 30, 15);
	g_autoptr(XbDialplanResult) r =
	    xb_dialplan_hunt(plan, "default", table_lookup, vars, now, NULL);
	g_autofree char *s = hunt(plan, "default", vars, NULL);

	g_assert_cmpstr(s, ==,
	                "!set:target=pre42 !unset:secret bridge:user/42 ${target} log:hidden");
	g_assert_cmpstr(g_hash_table_lookup(r->variables, "target"), ==, "pre42");
}

/* ${name} expands through the lookup, to nothing when it has no value; a "${" without
 * its "}" stays; the context hunted answers ${context}. */
static void test_variables(void)
{
	g_autoptr(GHashTable) vars = vars_of("a=1", "b=two", NULL);
	g_autofree char *e1 = xb_dialplan_expand("x${a}y${b}z${none}", table_lookup, vars);
	g_autofree char *e2 = xb_dialplan_expand("${a} ${open", table_lookup, vars);
	g_autofree char *e3 = xb_dialplan_expand("plain", table_lookup, vars);

	g_assert_cmpstr(e1, ==, "x1ytwoz");
	g_assert_cmpstr(e2, ==, "1 ${open");
	g_assert_cmpstr(e3, ==, "plain");

	g_autoptr(XbDialplan) plan =
	    compile(HEAD "<context name=\"office\">\n"
	                 " <extension name=\"ctx\">\n"
	                 "  <condition field=\"context\" expression=\"^office$\"/>\n"
	                 "  <condition field=\"${a}-${b}\" expression=\"^1-(two)$\">\n"
	                 "   <action application=\"log\" data=\"$1\"/>\n"
	                 "  </condition>\n"
	                 " </extension>\n"
	                 "</context>\n" TAIL,
	            "UTC");
	g_autofree char *r = hunt(plan, "office", vars, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(XbDialplanResult) none =
	    xb_dialplan_hunt(plan, "nowhere", table_lookup, vars, NULL, &error);

	g_assert_cmpstr(r, ==, "log:two");
	g_assert_null(none);
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_NO_CONTEXT);
	g_assert_cmpstr(error->message, ==, "t.xml has no context 'nowhere' (it has: office)");
}

/* One extension per test, each continuing, its action's data naming it: the hunt's
 * result lists the tests that matched. */
static char *time_plan(const char *const *attrs)
{
	GString *x = g_string_new(HEAD "<context name=\"default\">\n");

	for (guint i = 0; attrs[i]; i++)
		g_string_append_printf(x,
		                       " <extension name=\"t%u\" continue=\"true\">\n"
		                       "  <condition %s>\n"
		                       "   <action application=\"log\" data=\"%u\"/>\n"
		                       "  </condition>\n"
		                       " </extension>\n",
		                       i, attrs[i], i);
	g_string_append(x, "</context>\n" TAIL);
	return g_string_free(x, FALSE);
}

static char *time_hits(const char *const *attrs, const char *tz, GDateTime *now)
{
	g_autofree char *xml = time_plan(attrs);
	g_autoptr(XbDialplan) plan = compile(xml, tz);
	g_autofree char *s = hunt(plan, "default", NULL, now);
	g_auto(GStrv) parts = g_strsplit(s, " ", -1);

	for (guint i = 0; parts[i]; i++) {
		char *colon = strchr(parts[i], ':');
		memmove(parts[i], colon + 1, strlen(colon + 1) + 1);
	}
	return g_strjoinv(",", parts);
}

/* Each time attribute at 2026-05-04 10:30:15 UTC, a Monday (wday 2), day 124 of the year,
 * minute of the day 631. A false and a true value each; ranges, lists, names, and ranges
 * that wrap (fri-mon, 22:00-11:00). */
static void test_time_attributes(void)
{
	static const char *const attrs[] = {
	    "wday=\"2\"",                     /* 0 */
	    "wday=\"mon-fri\"",               /* 1 */
	    "wday=\"1,7\"",                   /* 2 no */
	    "wday=\"fri-mon\"",               /* 3 */
	    "hour=\"10\"",                    /* 4 */
	    "hour=\"11-23,0-9\"",             /* 5 no */
	    "minute=\"30\"",                  /* 6 */
	    "minute=\"0-29\"",                /* 7 no */
	    "minute-of-day=\"631\"",          /* 8 */
	    "minute-of-day=\"1-630\"",        /* 9 no */
	    "time-of-day=\"10:00-11:00\"",    /* 10 */
	    "time-of-day=\"10:30:16-11:00\"", /* 11 no */
	    "time-of-day=\"22:00-10:30\"",    /* 12: wraps, 10:30 covers its minute */
	    "mday=\"4\"",                     /* 13 */
	    "mday=\"1-3,5-31\"",              /* 14 no */
	    "mon=\"5\"",                      /* 15 */
	    "mon=\"may\"",                    /* 16 */
	    "mon=\"jan-apr\"",                /* 17 no */
	    "year=\"2026\"",                  /* 18 */
	    "year=\"2020-2025\"",             /* 19 no */
	    "yday=\"124\"",                   /* 20 */
	    "yday=\"125-366\"",               /* 21 no */
	    "date-time=\"2026-05-04 10:00~2026-05-04 10:30\"",            /* 22 */
	    "date-time=\"2026-05-04 10:31~2026-12-31 00:00\"",            /* 23 no */
	    "wday=\"mon\" hour=\"10\"",                                   /* 24: all must hold */
	    "wday=\"mon\" hour=\"11\"",                                   /* 25 no */
	    "field=\"destination_number\" expression=\"^$\" hour=\"10\"", /* 26 */
	    NULL,
	};
	g_autofree char *hits = time_hits(attrs, "UTC", NULL);

	g_assert_cmpstr(hits, ==, "0,1,3,4,6,8,10,12,13,15,16,18,20,22,24,26");
}

/* Time conditions are evaluated in the plan's time zone: 23:30 UTC on Monday 4 May is
 * 01:30 on Tuesday 5 May in Berlin (summer time) and 20:30 on Monday at -03:00. */
static void test_time_zone(void)
{
	static const char *const attrs[] = {
	    "wday=\"tue\" mday=\"5\" hour=\"1\"",              /* 0 */
	    "wday=\"mon\" hour=\"23\"",                        /* 1 */
	    "wday=\"mon\" time-of-day=\"20:00-21:00\"",        /* 2 */
	    "date-time=\"2026-05-05 01:00~2026-05-05 02:00\"", /* 3 */
	    NULL,
	};
	g_autoptr(GDateTime) now = utc(2026, 5, 4, 23, 30, 0);
	g_autofree char *berlin = time_hits(attrs, "Europe/Berlin", now);
	g_autofree char *utc_hits = time_hits(attrs, "UTC", now);
	g_autofree char *minus3 = time_hits(attrs, "-03:00", now);
	g_autofree char *msg =
	    compile_error(HEAD TAIL, "Mars/Olympus_Mons", XB_DIALPLAN_ERROR_TIMEZONE);

	g_assert_cmpstr(berlin, ==, "0,3");
	g_assert_cmpstr(utc_hits, ==, "1");
	g_assert_cmpstr(minus3, ==, "2");
	g_assert_cmpstr(msg, ==,
	                "dialplan.timezone: 'Mars/Olympus_Mons' is not a known time zone (e.g. "
	                "Europe/Berlin, UTC, +01:00)");
}

static void check_invalid(const char *body, int code, const char *message)
{
	g_autofree char *xml = g_strconcat(HEAD, body, TAIL, NULL);
	g_autofree char *msg = compile_error(xml, "UTC", code);

	/* A message ending in '*' is a prefix. */
	if (g_str_has_suffix(message, "*")) {
		g_autofree char *prefix = g_strndup(message, strlen(message) - 1);
		if (!g_str_has_prefix(msg, prefix))
			g_assert_cmpstr(msg, ==, message);
		return;
	}
	g_assert_cmpstr(msg, ==, message);
}

/* Every error names the file and the line of what is wrong. */
static void test_invalid(void)
{
	check_invalid("<context name=\"default\">\n<extension name=\"x\">\n</context>\n",
	              XB_DIALPLAN_ERROR_MALFORMED,
	              "t.xml:5: Opening and ending tag mismatch: extension line 4 and context");
	check_invalid("<context name=\"default\">\n <extension>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_MALFORMED,
	              "t.xml:4: Element extension failed to validate attributes (does not match "
	              "the dialplan schema)");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition break=\"sometimes\"/>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_MALFORMED,
	              "t.xml:5: Invalid attribute break for element condition (does not "
	              "match the dialplan schema)");
	/* The regular expression library's own words follow (they vary between versions). */
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition field=\"destination_number\" expression=\"^(1\"/>\n"
	              " </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_INVALID, "t.xml:5: expression \"^(1\": *");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition field=\"destination_number\"/>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:5: field=\"destination_number\" without an expression");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition field=\"dest\" expression=\"1\"/>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:5: unknown field 'dest' (destination_number, caller_id_number, "
	              "caller_id_name, network_addr, context, or ${variable})");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition wday=\"mon-fry\"/>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:5: wday=\"mon-fry\": 'mon-fry' is not 1-7 (Sunday is 1) or sun-sat");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition hour=\"8-24\"/>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:5: hour=\"8-24\": '8-24' is not a value or range within 0-23");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition mday=\"20-10\"/>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:5: mday=\"20-10\": '20-10' ends before it starts");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition time-of-day=\"8:00-17:00\"/>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:5: time-of-day=\"8:00-17:00\": '8:00-17:00' is not "
	              "HH:MM[:SS]-HH:MM[:SS]");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n"
	              "  <condition date-time=\"2026-12-24~2026-12-26\"/>\n </extension>\n"
	              "</context>\n",
	              XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:5: date-time=\"2026-12-24~2026-12-26\": '2026-12-24~2026-12-26' is "
	              "not YYYY-MM-DD HH:MM[:SS]~YYYY-MM-DD HH:MM[:SS]");
	check_invalid("<context name=\"d\">\n <extension name=\"x\">\n  <condition>\n"
	              "   <action application=\"bridge\" data=\"user/1\" inline=\"true\"/>\n"
	              "  </condition>\n </extension>\n</context>\n",
	              XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:6: application 'bridge' cannot run inline (only set, unset and "
	              "export do)");
	check_invalid("<context name=\"d\"/>\n\n<context name=\"d\"/>\n", XB_DIALPLAN_ERROR_INVALID,
	              "t.xml:5: context 'd' is already defined at line 3");

	g_autoptr(GError) error = NULL;
	g_assert_null(xb_dialplan_load("/nonexistent/plan.xml", NULL, &error));
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_IO);
	g_assert_cmpstr(error->message, ==,
	                "/nonexistent/plan.xml: cannot read: No such file or directory");
}

static int app_noop(XbChannel *ch, const char *data, gpointer user_data)
{
	return 0;
}

static const XbApp test_apps[] = {
    {"test_app", "", "does nothing", app_noop},
    XB_APPS_END,
};

/* An application is known when registered, or when a part of crossbar not loaded provides
 * it (listed, not an error); any other name is an error naming the line of its first use. */
static void test_unknown_app(void)
{
	g_autoptr(XbDialplan) plan =
	    compile(HEAD "<context name=\"d\">\n <extension name=\"x\">\n  <condition>\n"
	                 "   <action application=\"test_app\"/>\n"
	                 "   <action application=\"voicemail\" data=\"default 1000\"/>\n"
	                 "   <anti-action application=\"test_typo\"/>\n"
	                 "   <action application=\"test_typo\"/>\n"
	                 "  </condition>\n </extension>\n</context>\n" TAIL,
	            "UTC");
	g_autoptr(GError) error = NULL;

	xb_app_register(NULL, test_apps, NULL);
	g_assert_false(xb_dialplan_check_apps(plan, &error));
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_APPLICATION);
	g_assert_cmpstr(error->message, ==,
	                "t.xml:8: unknown application 'test_typo' (crossbar-cli apps lists them)");

	g_autoptr(GArray) missing = xb_dialplan_unregistered_apps(plan);
	g_assert_cmpuint(missing->len, ==, 2);
	const XbDialplanAppUse *vm = &g_array_index(missing, XbDialplanAppUse, 0);
	g_assert_cmpstr(vm->application, ==, "voicemail");
	g_assert_cmpuint(vm->line, ==, 7);
	g_assert_cmpstr(vm->provider, ==, "mod_voicemail");
	g_assert_null(g_array_index(missing, XbDialplanAppUse, 1).provider);
	xb_app_reset();
}

/* The plan file of the reload tests: one extension whose action's data is `word`. */
static void write_plan(const char *path, const char *word, const char *extra)
{
	g_autofree char *xml = g_strdup_printf(
	    HEAD "<context name=\"default\">\n <extension name=\"e\">\n  <condition>\n"
	         "   <action application=\"test_app\" data=\"%s\"/>\n%s"
	         "  </condition>\n </extension>\n</context>\n" TAIL,
	    word, extra);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, xml, -1, &error);
	g_assert_no_error(error);
}

/* A reload compiles aside: a broken file (bad regex, unknown application) leaves the live
 * plan as it was, and says what is wrong and where; a good one replaces it. */
static void test_reload(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "plan.xml", NULL);
	g_autoptr(GError) error = NULL;

	xb_app_register(NULL, test_apps, NULL);
	write_plan(path, "one", "");
	g_assert_true(xb_dialplan_reload(path, "UTC", &error));
	g_autoptr(XbDialplan) first = xb_dialplan_current();

	write_plan(path, "two", "   <condition field=\"context\" expression=\"(\"/>\n");
	g_assert_false(xb_dialplan_reload(path, "UTC", &error));
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID);
	g_autofree char *where = g_strconcat(path, ":7: ", NULL);
	g_assert_true(g_str_has_prefix(error->message, where));
	g_clear_error(&error);
	g_autoptr(XbDialplan) still = xb_dialplan_current();
	g_assert_true(still == first);

	write_plan(path, "two", "   <action application=\"nosuch_app\"/>\n");
	g_assert_false(xb_dialplan_reload(path, "UTC", &error));
	g_assert_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_APPLICATION);
	g_clear_error(&error);
	g_autoptr(XbDialplan) again = xb_dialplan_current();
	g_assert_true(again == first);

	write_plan(path, "two", "");
	g_assert_true(xb_dialplan_reload(path, "UTC", &error));
	g_autoptr(XbDialplan) second = xb_dialplan_current();
	g_assert_true(second != first);
	g_autofree char *s = hunt(second, "default", NULL, NULL);
	g_assert_cmpstr(s, ==, "test_app:two");

	xb_dialplan_reset();
	xb_app_reset();
	xb_test_rmdir(dir);
}

/* A hunt holds the plan it started with: a reload that swaps the live plan meanwhile does
 * not free it, and the old plan goes only when its last holder lets go. */
static void test_hunt_holds_plan(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "plan.xml", NULL);
	g_autoptr(GError) error = NULL;

	xb_app_register(NULL, test_apps, NULL);
	write_plan(path, "old", "");
	g_assert_true(xb_dialplan_reload(path, NULL, &error));

	XbDialplan *held = xb_dialplan_current();
	g_autoptr(XbDialplanResult) r =
	    xb_dialplan_hunt(held, "default", table_lookup, NULL, NULL, &error);
	g_assert_no_error(error);
	/* The call's hunt result keeps the plan: the caller's own reference may go. */
	xb_dialplan_unref(held);

	write_plan(path, "new", "");
	g_assert_true(xb_dialplan_reload(path, NULL, &error));
	g_autoptr(XbDialplan) now = xb_dialplan_current();
	g_assert_true(now != r->plan);

	const XbDialplanAction *a = r->actions->pdata[0];
	g_assert_cmpstr(a->application, ==, "test_app");
	g_assert_cmpstr(a->data, ==, "old");
	g_assert_cmpstr(a->extension, ==, "e");
	g_assert_cmpstr(xb_dialplan_file(r->plan), ==, path);

	xb_dialplan_reset();
	xb_app_reset();
	xb_test_rmdir(dir);
}

/* The shipped plan compiles; the office's numbers reach what the README says; the public
 * context never names a gateway. */
static void test_shipped_plan(void)
{
	g_autofree char *path = g_build_filename(XB_SRCDIR, "dialplans", "default.xml", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(XbDialplan) plan = xb_dialplan_load(path, "Europe/Berlin", &error);
	g_autoptr(GDateTime) weekday = utc(2026, 5, 4, 10, 0, 0);
	g_autoptr(GDateTime) sunday = utc(2026, 5, 3, 10, 0, 0);
	static const char *const public_numbers[] = {
	    "1005",       "+49301234561010",
	    "4930123456", "+4930123456",
	    "9005551234", "95551234",
	    "*72555",     "0",
	    "",           NULL,
	};

	g_assert_no_error(error);
	g_autofree char *ext = hunt_number(plan, "1017");
	g_assert_true(strstr(ext, "bridge:user/1017") != NULL);
	g_autofree char *none = hunt_number(plan, "1020");
	g_assert_cmpstr(none, ==, "!set:default_gateway=carrier");
	g_autofree char *out = hunt_number(plan, "900441234567");
	g_assert_true(strstr(out, "bridge:gateway/${default_gateway}/00441234567") != NULL);
	g_autofree char *echo = hunt_number(plan, "9196");
	g_assert_true(strstr(echo, "echo:") != NULL);
	g_autofree char *fwd = hunt_number(plan, "*72555");
	g_assert_true(strstr(fwd, "call_forward:${caller_id_number} 555") != NULL);

	g_autoptr(GHashTable) op = vars_of("destination_number=0", NULL);
	g_autofree char *open = hunt(plan, "default", op, weekday);
	g_autofree char *closed = hunt(plan, "default", op, sunday);
	g_assert_true(strstr(open, "bridge:user/1000,user/1001") != NULL);
	g_assert_true(strstr(closed, "~voicemail:default 1000") != NULL);

	for (guint i = 0; public_numbers[i]; i++) {
		g_autofree char *kv = g_strconcat("destination_number=", public_numbers[i], NULL);
		g_autoptr(GHashTable) vars = vars_of(kv, NULL);
		g_autofree char *s = hunt(plan, "public", vars, NULL);
		g_assert_null(strstr(s, "gateway"));
		g_assert_cmpstr(s, !=, "");
	}
	g_autoptr(GHashTable) did = vars_of("destination_number=+49301234561010", NULL);
	g_autofree char *d = hunt(plan, "public", did, NULL);
	g_assert_true(strstr(d, "bridge:user/1010") != NULL);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/dialplan/hunt/match-captures", test_match_captures);
	g_test_add_func("/dialplan/hunt/break-modes", test_break_modes);
	g_test_add_func("/dialplan/hunt/continue", test_continue);
	g_test_add_func("/dialplan/hunt/anti-actions", test_anti_actions);
	g_test_add_func("/dialplan/hunt/nested-conditions", test_nested);
	g_test_add_func("/dialplan/hunt/inline-set", test_inline_set);
	g_test_add_func("/dialplan/hunt/variables", test_variables);
	g_test_add_func("/dialplan/time/attributes", test_time_attributes);
	g_test_add_func("/dialplan/time/zone", test_time_zone);
	g_test_add_func("/dialplan/compile/errors-name-file-and-line", test_invalid);
	g_test_add_func("/dialplan/compile/unknown-application", test_unknown_app);
	g_test_add_func("/dialplan/live/reload-swaps-whole-or-not", test_reload);
	g_test_add_func("/dialplan/live/hunt-holds-its-plan", test_hunt_holds_plan);
	g_test_add_func("/dialplan/shipped-plan", test_shipped_plan);
	return g_test_run();
}
