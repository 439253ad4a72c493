/* log.c: the core's log writer. One line per message on stderr: UTC time, level, domain,
 * text. systemd's journal takes stderr as it is; nothing here may block the main loop for
 * long or allocate per message beyond the line itself. */
#include "core_private.h"

#include <stdio.h>
#include <string.h>

static XbLogLevel log_level = XB_LOG_NOTICE;

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};

gboolean xb_log_level_parse(const char *text, XbLogLevel *out)
{
	for (guint i = 0; i < G_N_ELEMENTS(level_names); i++) {
		if (g_ascii_strcasecmp(text, level_names[i]) == 0) {
			*out = (XbLogLevel)i;
			return TRUE;
		}
	}
	return FALSE;
}

void xb_log_set_level(XbLogLevel level)
{
	log_level = level;
}

XbLogLevel xb_log_get_level(void)
{
	return log_level;
}

static XbLogLevel level_of(GLogLevelFlags flags)
{
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return XB_LOG_ERROR;
	if (flags & G_LOG_LEVEL_WARNING)
		return XB_LOG_WARNING;
	if (flags & G_LOG_LEVEL_MESSAGE)
		return XB_LOG_NOTICE;
	if (flags & G_LOG_LEVEL_INFO)
		return XB_LOG_INFO;
	return XB_LOG_DEBUG;
}

static GLogWriterOutput writer_cb(GLogLevelFlags flags, const GLogField *fields, gsize n_fields,
                                  gpointer user_data)
{
	const char *domain = NULL, *message = NULL;
	XbLogLevel level = level_of(flags);

	if (level > log_level)
		return G_LOG_WRITER_HANDLED;
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (strcmp(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if (!domain)
		domain = "crossbar";
	else if (g_str_has_prefix(domain, "crossbar-"))
		domain += strlen("crossbar-");

	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
	fprintf(stderr, "%s.%03dZ %-7s [%s] %s\n", stamp, g_date_time_get_microsecond(now) / 1000,
	        level_names[level], domain, message ? message : "");
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

void xb_log_init(void)
{
	static gboolean done;

	if (done)
		return;
	done = TRUE;
	g_log_set_writer_func(writer_cb, NULL, NULL);
}
