/* mail.c: each new message mailed to its box's owner, with its WAV attached, through a
 * sendmail-compatible command (voicemail.mailer, e.g. "/usr/bin/msmtp -t": the message on
 * its standard input, the recipients in its To header). The text comes from a template
 * (voicemail.mail_template, else the built-in one below): header lines, an empty line, the
 * body, with ${field} replaced by the message's envelope. The mail is multipart/mixed: the
 * text, then the WAV in base64.
 *
 * Nothing here waits on the main loop: the file is read and the mail built on a worker
 * thread (GTask), the command runs as a child (GSubprocess) whose end is told on the main
 * loop. A command that cannot start, fails or takes over MAILER_TIMEOUT_S is logged and
 * killed; the message is in the box all the same. Caller ID is the caller's to choose:
 * control characters are taken out of every field, and a field in a header line keeps
 * only printable ASCII, so that no field can add a header or a recipient. */
#include "vm.h"

#include <gio/gio.h>
#include <string.h>

#define MAILER_TIMEOUT_S 60
#define MAX_ATTACHMENT   (64 * 1024 * 1024) /* bigger files are mailed without the audio */

static const char default_template[] =
    "From: ${from}\n"
    "To: ${to}\n"
    "Subject: New voicemail from ${caller_id_number} for ${box}\n"
    "\n"
    "You have a new voicemail message in box ${box}.\n"
    "\n"
    "From:     ${caller_id_name} <${caller_id_number}>\n"
    "Received: ${date}\n"
    "Length:   ${duration} seconds\n"
    "Message:  ${id}\n"
    "\n"
    "The recording is attached (${file_name}).\n";

typedef struct {
	char *mailer;
	char *template_file; /* NULL: the built-in template */
	char *wav;           /* the message's file */
	GHashTable *fields;  /* name -> value */
	char *box, *id;      /* for the log */
	char *boundary;
	GBytes *mail; /* built on the worker */
	GSubprocess *child;
	guint timeout;
} Mail;

static void mail_free(Mail *m)
{
	g_free(m->mailer);
	g_free(m->template_file);
	g_free(m->wav);
	g_hash_table_unref(m->fields);
	g_free(m->box);
	g_free(m->id);
	g_free(m->boundary);
	if (m->mail)
		g_bytes_unref(m->mail);
	if (m->child)
		g_object_unref(m->child);
	if (m->timeout)
		g_source_remove(m->timeout);
	g_free(m);
}

/* `value` with control characters made spaces; in a header, only printable ASCII. */
static char *clean(const char *value, gboolean header)
{
	GString *s = g_string_new(NULL);

	for (const char *p = value ? value : ""; *p; p++) {
		guchar c = (guchar)*p;
		if (c < 0x20 || c == 0x7f)
			g_string_append_c(s, ' ');
		else if (header && c > 0x7e)
			g_string_append_c(s, '?');
		else
			g_string_append_c(s, (char)c);
	}
	return g_string_free(s, FALSE);
}

/* The template with ${field}s replaced; header lines (before the first empty one) get
 * header-clean values. */
static char *expand(const char *template, GHashTable *fields, gboolean header)
{
	GString *out = g_string_new(NULL);
	const char *p = template;

	while (*p) {
		const char *start = strstr(p, "${");
		const char *end = start ? strchr(start + 2, '}') : NULL;
		if (!start || !end) {
			g_string_append(out, p);
			break;
		}
		g_string_append_len(out, p, start - p);
		g_autofree char *name = g_strndup(start + 2, end - start - 2);
		g_autofree char *value = clean(g_hash_table_lookup(fields, name), header);
		g_string_append(out, value);
		p = end + 1;
	}
	return g_string_free(out, FALSE);
}

/* Base64 in lines of 76 characters (RFC 2045 §6.8). */
static void append_base64(GString *out, const guint8 *data, gsize len)
{
	g_autofree char *b64 = g_base64_encode(data, len);
	gsize n = strlen(b64);

	for (gsize i = 0; i < n; i += 76) {
		g_string_append_len(out, b64 + i, MIN(76, n - i));
		g_string_append(out, "\r\n");
	}
}

/* Text with bare LF made CRLF, as mail wants it. */
static void append_crlf(GString *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			g_string_append_c(out, '\r');
		g_string_append_c(out, *p);
	}
}

static GBytes *build_mail(Mail *m, GError **error)
{
	g_autofree char *template = NULL;
	g_autofree char *audio = NULL;
	gsize audio_len = 0;
	const char *boundary = m->boundary;
	GString *out = g_string_new(NULL);
	const char *split;
	g_autofree char *head_t = NULL;
	g_autofree char *head = NULL;
	g_autofree char *body = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *date = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S %z");

	if (m->template_file) {
		if (!g_file_get_contents(m->template_file, &template, NULL, error)) {
			g_string_free(out, TRUE);
			return NULL;
		}
	} else {
		template = g_strdup(default_template);
	}
	split = strstr(template, "\n\n");
	head_t = split ? g_strndup(template, split - template + 1) : g_strdup(template);
	head = expand(head_t, m->fields, TRUE);
	body = expand(split ? split + 2 : "", m->fields, FALSE);
	if (!g_file_get_contents(m->wav, &audio, &audio_len, error)) {
		g_string_free(out, TRUE);
		return NULL;
	}
	append_crlf(out, head);
	if (!strstr(head, "\nDate:") && !g_str_has_prefix(head, "Date:"))
		g_string_append_printf(out, "Date: %s\r\n", date);
	g_string_append_printf(out,
	                       "MIME-Version: 1.0\r\n"
	                       "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
	                       "\r\n"
	                       "This is a message in MIME format.\r\n"
	                       "--%s\r\n"
	                       "Content-Type: text/plain; charset=utf-8\r\n"
	                       "Content-Transfer-Encoding: 8bit\r\n"
	                       "\r\n",
	                       boundary, boundary);
	append_crlf(out, body);
	if (audio_len <= MAX_ATTACHMENT) {
		g_string_append_printf(out,
		                       "\r\n--%s\r\n"
		                       "Content-Type: audio/wav; name=\"%s\"\r\n"
		                       "Content-Transfer-Encoding: base64\r\n"
		                       "Content-Disposition: attachment; filename=\"%s\"\r\n"
		                       "\r\n",
		                       boundary,
		                       (char *)g_hash_table_lookup(m->fields, "file_name"),
		                       (char *)g_hash_table_lookup(m->fields, "file_name"));
		append_base64(out, (const guint8 *)audio, audio_len);
	}
	g_string_append_printf(out, "--%s--\r\n", boundary);
	return g_string_free_to_bytes(out);
}

static void build_thread(GTask *task, gpointer source, gpointer task_data,
                         GCancellable *cancellable)
{
	GError *error = NULL;
	GBytes *mail = build_mail(task_data, &error);

	if (mail)
		g_task_return_pointer(task, mail, (GDestroyNotify)g_bytes_unref);
	else
		g_task_return_error(task, error);
}

static gboolean timeout_cb(gpointer user_data)
{
	Mail *m = user_data;

	m->timeout = 0;
	xb_warning("voicemail: mail of message %s (box %s): the mailer took over %d s; killed",
	           m->id, m->box, MAILER_TIMEOUT_S);
	g_subprocess_force_exit(m->child);
	return G_SOURCE_REMOVE;
}

static void sent_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Mail *m = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) err_out = NULL;

	if (!g_subprocess_communicate_finish(m->child, res, NULL, &err_out, &error)) {
		xb_warning("voicemail: mail of message %s (box %s): %s", m->id, m->box,
		           error->message);
	} else if (!g_subprocess_get_successful(m->child)) {
		gsize len = 0;
		const char *text = err_out ? g_bytes_get_data(err_out, &len) : NULL;
		g_autofree char *said = text ? g_strndup(text, MIN(len, 300)) : g_strdup("");
		g_autofree char *said_clean = clean(g_strstrip(said), FALSE);
		xb_warning("voicemail: mail of message %s (box %s): '%s' failed (%s %d)%s%s", m->id,
		           m->box, m->mailer,
		           g_subprocess_get_if_exited(m->child) ? "exit status" : "signal",
		           g_subprocess_get_if_exited(m->child)
		               ? g_subprocess_get_exit_status(m->child)
		               : g_subprocess_get_term_sig(m->child),
		           *said_clean ? ": " : "", said_clean);
	} else {
		xb_info("voicemail: message %s mailed to the owner of box %s", m->id, m->box);
	}
	mail_free(m);
}

static void built_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Mail *m = user_data;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) argv = NULL;

	m->mail = g_task_propagate_pointer(G_TASK(res), &error);
	if (!m->mail) {
		xb_warning("voicemail: mail of message %s (box %s) not sent: %s", m->id, m->box,
		           error->message);
		mail_free(m);
		return;
	}
	if (!g_shell_parse_argv(m->mailer, NULL, &argv, &error)) {
		xb_warning("voicemail: voicemail.mailer '%s': %s", m->mailer, error->message);
		mail_free(m);
		return;
	}
	m->child =
	    g_subprocess_newv((const char *const *)argv,
	                      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
	                          G_SUBPROCESS_FLAGS_STDERR_PIPE,
	                      &error);
	if (!m->child) {
		xb_warning("voicemail: mail of message %s (box %s): cannot run '%s': %s", m->id,
		           m->box, m->mailer, error->message);
		mail_free(m);
		return;
	}
	m->timeout = g_timeout_add_seconds(MAILER_TIMEOUT_S, timeout_cb, m);
	g_subprocess_communicate_async(m->child, m->mail, NULL, sent_cb, m);
}

void vm_mail_message(const VmMessage *msg)
{
	const char *mailer = xb_config_get_string("voicemail.mailer");
	const char *template_file = xb_config_get_string("voicemail.mail_template");
	g_autoptr(XbDirUser) user = NULL;
	g_autoptr(GDateTime) t = NULL;
	g_autoptr(GTask) task = NULL;
	Mail *m;

	if (!mailer || !*mailer)
		return;
	user = xb_directory_lookup(msg->box);
	if (!user || !user->email || !*user->email)
		return;
	t = g_date_time_new_from_unix_local(msg->created);
	m = g_new0(Mail, 1);
	m->mailer = g_strdup(mailer);
	m->template_file = template_file && *template_file ? g_strdup(template_file) : NULL;
	m->wav = g_strdup(msg->file);
	m->box = g_strdup(msg->box);
	m->id = g_strdup(msg->id);
	m->boundary = xb_random_hex_new(32);
	m->fields = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_hash_table_insert(m->fields, "box", g_strdup(msg->box));
	g_hash_table_insert(m->fields, "to", g_strdup(user->email));
	g_hash_table_insert(m->fields, "name", g_strdup(user->name ? user->name : ""));
	g_hash_table_insert(m->fields, "from",
	                    g_strdup(xb_config_get_string("voicemail.mail_from") ?: ""));
	g_hash_table_insert(m->fields, "caller_id_number",
	                    g_strdup(*msg->caller_id_number ? msg->caller_id_number : "unknown"));
	g_hash_table_insert(m->fields, "caller_id_name", g_strdup(msg->caller_id_name));
	g_hash_table_insert(m->fields, "date",
	                    t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S %z") : g_strdup(""));
	g_hash_table_insert(m->fields, "duration",
	                    g_strdup_printf("%u", (msg->duration_ms + 500) / 1000));
	g_hash_table_insert(m->fields, "id", g_strdup(msg->id));
	g_hash_table_insert(m->fields, "file", g_strdup(msg->file));
	g_hash_table_insert(m->fields, "file_name", g_strdup_printf("voicemail-%s.wav", msg->id));
	task = g_task_new(NULL, NULL, built_cb, m);
	g_task_set_task_data(task, m, NULL);
	g_task_run_in_thread(task, build_thread);
}
