/* timespec.c: the time attributes of a <condition>, as FreeSWITCH writes them: wday (1-7,
 * Sunday is 1, or sun-sat), hour, minute, minute-of-day (1-1440, midnight is 1), time-of-day
 * ("08:00-17:30"), mday, mon (1-12 or jan-dec), year, yday and date-time ("2026-12-24
 * 00:00~2026-12-26 23:59"). A value is a comma list of single values and inclusive ranges;
 * parsed once at load, matched against a clock already in the plan's time zone. */
#include "dialplan_private.h"

#include <string.h>

static const struct {
	const char *name;
	gint64 min, max;
	gboolean wraps; /* a range may run past the end back to the start (fri-mon) */
} fields[TIME_N_FIELDS] = {
    [TIME_YEAR] = {"year", 1, 9999, FALSE},
    [TIME_YDAY] = {"yday", 1, 366, FALSE},
    [TIME_MON] = {"mon", 1, 12, TRUE},
    [TIME_MDAY] = {"mday", 1, 31, FALSE},
    [TIME_WDAY] = {"wday", 1, 7, TRUE},
    [TIME_HOUR] = {"hour", 0, 23, TRUE},
    [TIME_MINUTE] = {"minute", 0, 59, TRUE},
    [TIME_MINUTE_OF_DAY] = {"minute-of-day", 1, 1440, TRUE},
    [TIME_TIME_OF_DAY] = {"time-of-day", 0, 86399, TRUE},
    [TIME_DATE_TIME] = {"date-time", 0, G_MAXINT64, FALSE},
};

static const char *const wday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const mon_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};

const char *xb_dialplan_time_name(TimeField field)
{
	return field < TIME_N_FIELDS ? fields[field].name : "?";
}

void xb_dialplan_time_free(gpointer data)
{
	TimeTest *t = data;

	if (!t)
		return;
	g_free(t->text);
	g_array_unref(t->spans);
	g_free(t);
}

/* Digits only, at most `max_digits` of them. */
static gboolean number(const char *s, gsize len, guint max_digits, gint64 *out)
{
	gint64 v = 0;

	if (len == 0 || len > max_digits)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return TRUE;
}

static gboolean named(const char *s, gsize len, const char *const *names, guint n, gint64 *out)
{
	for (guint i = 0; i < n; i++)
		if (len >= 3 && g_ascii_strncasecmp(s, names[i], 3) == 0 &&
		    (len == 3 || g_ascii_strncasecmp(s, names[i], len) == 0)) {
			*out = i + 1;
			return TRUE;
		}
	return FALSE;
}

/* HH:MM[:SS] as seconds of the day; `end` makes a time without seconds cover its minute. */
static gboolean clock_time(const char *s, gsize len, gboolean end, gint64 *out)
{
	gint64 h, m, sec = end ? 59 : 0;

	if (len != 5 && len != 8)
		return FALSE;
	if (s[2] != ':' || !number(s, 2, 2, &h) || !number(s + 3, 2, 2, &m))
		return FALSE;
	if (len == 8 && (s[5] != ':' || !number(s + 6, 2, 2, &sec)))
		return FALSE;
	if (h > 23 || m > 59 || sec > 59)
		return FALSE;
	*out = h * 3600 + m * 60 + sec;
	return TRUE;
}

/* YYYY-MM-DD HH:MM[:SS] as the number YYYYMMDDhhmmss, which orders as time does. */
static gboolean date_time(const char *s, gsize len, gboolean end, gint64 *out)
{
	gint64 y, mo, d, tod;

	while (len && s[0] == ' ')
		s++, len--;
	while (len && s[len - 1] == ' ')
		len--;
	if (len < 16 || s[4] != '-' || s[7] != '-' || s[10] != ' ')
		return FALSE;
	if (!number(s, 4, 4, &y) || !number(s + 5, 2, 2, &mo) || !number(s + 8, 2, 2, &d))
		return FALSE;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || !clock_time(s + 11, len - 11, end, &tod))
		return FALSE;
	*out = ((y * 100 + mo) * 100 + d) * 1000000 + (tod / 3600) * 10000 + (tod / 60 % 60) * 100 +
	       tod % 60;
	return TRUE;
}

static gboolean value(TimeField field, const char *s, gsize len, gboolean end, gint64 *out)
{
	while (len && s[0] == ' ')
		s++, len--;
	while (len && s[len - 1] == ' ')
		len--;
	switch (field) {
	case TIME_TIME_OF_DAY:
		return clock_time(s, len, end, out);
	case TIME_DATE_TIME:
		return date_time(s, len, end, out);
	case TIME_WDAY:
		if (named(s, len, wday_names, G_N_ELEMENTS(wday_names), out))
			return TRUE;
		break;
	case TIME_MON:
		if (named(s, len, mon_names, G_N_ELEMENTS(mon_names), out))
			return TRUE;
		break;
	default:
		break;
	}
	return number(s, len, 4, out) && *out >= fields[field].min && *out <= fields[field].max;
}

static const char *syntax(TimeField field)
{
	switch (field) {
	case TIME_WDAY:
		return "1-7 (Sunday is 1) or sun-sat";
	case TIME_MON:
		return "1-12 or jan-dec";
	case TIME_TIME_OF_DAY:
		return "HH:MM[:SS]-HH:MM[:SS]";
	case TIME_DATE_TIME:
		return "YYYY-MM-DD HH:MM[:SS]~YYYY-MM-DD HH:MM[:SS]";
	default:
		break;
	}
	return NULL;
}

TimeTest *xb_dialplan_time_parse(TimeField field, const char *text, char **why)
{
	g_auto(GStrv) items = g_strsplit(text, ",", -1);
	g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(TimeSpan));
	const char sep = field == TIME_DATE_TIME ? '~' : '-';

	for (guint i = 0; items[i]; i++) {
		const char *item = items[i];
		/* A date has '-' inside it: date-time ranges are split at '~'. */
		const char *dash = strchr(item, sep);
		TimeSpan span;
		gboolean ok;

		if (dash)
			ok = value(field, item, dash - item, FALSE, &span.lo) &&
			     value(field, dash + 1, strlen(dash + 1), TRUE, &span.hi);
		else {
			ok = value(field, item, strlen(item), FALSE, &span.lo) &&
			     value(field, item, strlen(item), TRUE, &span.hi);
		}
		if (!ok) {
			const char *how = syntax(field);
			if (how)
				*why =
				    g_strdup_printf("%s=\"%s\": '%s' is not %s", fields[field].name,
				                    text, g_strstrip(items[i]), how);
			else
				*why =
				    g_strdup_printf("%s=\"%s\": '%s' is not a value or range "
				                    "within %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
				                    fields[field].name, text, g_strstrip(items[i]),
				                    fields[field].min, fields[field].max);
			return NULL;
		}
		if (span.lo > span.hi && !fields[field].wraps) {
			*why = g_strdup_printf("%s=\"%s\": '%s' ends before it starts",
			                       fields[field].name, text, g_strstrip(items[i]));
			return NULL;
		}
		g_array_append_val(spans, span);
	}
	TimeTest *t = g_new0(TimeTest, 1);
	t->field = field;
	t->text = g_strdup(text);
	t->spans = g_steal_pointer(&spans);
	return t;
}

static gint64 now_value(TimeField field, GDateTime *now)
{
	switch (field) {
	case TIME_YEAR:
		return g_date_time_get_year(now);
	case TIME_YDAY:
		return g_date_time_get_day_of_year(now);
	case TIME_MON:
		return g_date_time_get_month(now);
	case TIME_MDAY:
		return g_date_time_get_day_of_month(now);
	case TIME_WDAY:
		/* GLib counts Monday as 1 and Sunday as 7; FreeSWITCH Sunday as 1. */
		return g_date_time_get_day_of_week(now) % 7 + 1;
	case TIME_HOUR:
		return g_date_time_get_hour(now);
	case TIME_MINUTE:
		return g_date_time_get_minute(now);
	case TIME_MINUTE_OF_DAY:
		return g_date_time_get_hour(now) * 60 + g_date_time_get_minute(now) + 1;
	case TIME_TIME_OF_DAY:
		return g_date_time_get_hour(now) * 3600 + g_date_time_get_minute(now) * 60 +
		       g_date_time_get_second(now);
	case TIME_DATE_TIME:
		return (((gint64)g_date_time_get_year(now) * 100 + g_date_time_get_month(now)) *
		            100 +
		        g_date_time_get_day_of_month(now)) *
		           1000000 +
		       g_date_time_get_hour(now) * 10000 + g_date_time_get_minute(now) * 100 +
		       g_date_time_get_second(now);
	case TIME_N_FIELDS:
		break;
	}
	return -1;
}

gboolean xb_dialplan_time_match(const TimeTest *test, GDateTime *now)
{
	gint64 v = now_value(test->field, now);

	for (guint i = 0; i < test->spans->len; i++) {
		const TimeSpan *s = &g_array_index(test->spans, TimeSpan, i);
		if (s->lo <= s->hi ? (v >= s->lo && v <= s->hi) : (v >= s->lo || v <= s->hi))
			return TRUE;
	}
	return FALSE;
}

char *xb_dialplan_time_value(TimeField field, GDateTime *now)
{
	switch (field) {
	case TIME_TIME_OF_DAY:
		return g_date_time_format(now, "%H:%M:%S");
	case TIME_DATE_TIME:
		return g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
	default:
		break;
	}
	return g_strdup_printf("%" G_GINT64_FORMAT, now_value(field, now));
}
