/* crossbar-cli.c: the control client. Sends the words of its command line to the daemon's
 * control socket and prints the answer as a table or record (default) or as JSON (--json).
 * Exit codes: 0 done, 1 the daemon refused the command, 2 bad usage, 3 no daemon. */
#include "config.h"

#include "cli_text.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_REPLY (16 * 1024 * 1024)

static char *default_socket(void)
{
	const char *env = g_getenv("CROSSBAR_SOCKET");
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);

	if (env && *env)
		return g_strdup(env);
	g_autofree char *build = realpath(XB_BUILDDIR, NULL);
	g_autofree char *prefix = build ? g_strconcat(build, "/", NULL) : NULL;

	if (exe && prefix && g_str_has_prefix(exe, prefix))
		return g_strdup("./var/crossbar.sock");
	return g_strdup(XB_LOCALSTATEDIR "/lib/crossbar/crossbar.sock");
}

static gboolean io_all(int fd, void *buf, size_t len, gboolean writing)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = writing ? write(fd, (char *)buf + off, len - off)
		                    : read(fd, (char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		off += n;
	}
	return TRUE;
}

/* ---- output ---- */

static void json_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		default:
			if (*p < 0x20)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, *p);
		}
	}
	g_string_append_c(out, '"');
}

static void json_value(GString *out, GVariant *v)
{
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
		g_autoptr(GVariant) inner = g_variant_get_variant(v);
		json_value(out, inner);
	} else if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
		g_string_append(out, g_variant_get_boolean(v) ? "true" : "false");
	} else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64)) {
		g_string_append_printf(out, "%" G_GINT64_FORMAT, g_variant_get_int64(v));
	} else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32)) {
		g_string_append_printf(out, "%d", g_variant_get_int32(v));
	} else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32)) {
		g_string_append_printf(out, "%u", g_variant_get_uint32(v));
	} else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64)) {
		g_string_append_printf(out, "%" G_GUINT64_FORMAT, g_variant_get_uint64(v));
	} else if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE)) {
		g_string_append_printf(out, "%g", g_variant_get_double(v));
	} else if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
		json_string(out, g_variant_get_string(v, NULL));
	} else if (g_variant_is_container(v)) {
		g_string_append_c(out, '[');
		for (gsize i = 0; i < g_variant_n_children(v); i++) {
			g_autoptr(GVariant) c = g_variant_get_child_value(v, i);
			if (i)
				g_string_append_c(out, ',');
			json_value(out, c);
		}
		g_string_append_c(out, ']');
	} else {
		g_autofree char *s = g_variant_print(v, FALSE);
		json_string(out, s);
	}
}

static void print_json(GVariant *reply)
{
	GString *out = g_string_new("{");
	g_autoptr(GVariant) record = g_variant_lookup_value(reply, "record", NULL);
	g_autoptr(GVariant) columns = g_variant_lookup_value(reply, "columns", NULL);
	g_autoptr(GVariant) rows = g_variant_lookup_value(reply, "rows", NULL);
	const char *s;
	gboolean ok = FALSE;

	g_variant_lookup(reply, "ok", "b", &ok);
	g_string_append_printf(out, "\"ok\":%s", ok ? "true" : "false");
	if (g_variant_lookup(reply, "error", "&s", &s)) {
		g_string_append(out, ",\"error\":");
		json_string(out, s);
	}
	if (g_variant_lookup(reply, "message", "&s", &s)) {
		g_string_append(out, ",\"message\":");
		json_string(out, s);
	}
	if (record) {
		g_string_append(out, ",\"record\":{");
		for (gsize i = 0; i < g_variant_n_children(record); i++) {
			const char *k;
			g_autoptr(GVariant) v = NULL;
			g_variant_get_child(record, i, "(&sv)", &k, &v);
			if (i)
				g_string_append_c(out, ',');
			json_string(out, k);
			g_string_append_c(out, ':');
			json_value(out, v);
		}
		g_string_append_c(out, '}');
	}
	if (columns && rows) {
		g_autofree const char **cols = g_variant_get_strv(columns, NULL);
		g_string_append(out, ",\"rows\":[");
		for (gsize i = 0; i < g_variant_n_children(rows); i++) {
			g_autoptr(GVariant) row = g_variant_get_child_value(rows, i);
			g_string_append(out, i ? ",{" : "{");
			for (gsize j = 0; cols[j] && j < g_variant_n_children(row); j++) {
				g_autoptr(GVariant) v = g_variant_get_child_value(row, j);
				if (j)
					g_string_append_c(out, ',');
				json_string(out, cols[j]);
				g_string_append_c(out, ':');
				json_value(out, v);
			}
			g_string_append_c(out, '}');
		}
		g_string_append_c(out, ']');
	}
	g_string_append(out, "}\n");
	fputs(out->str, stdout);
	g_string_free(out, TRUE);
}

/* The width text is laid out to: COLUMNS when set, else the terminal's, else 80. */
static gsize out_width(void)
{
	const char *env = g_getenv("COLUMNS");
	struct winsize ws;

	if (env && atoi(env) > 0)
		return atoi(env);
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void print_text(GVariant *reply)
{
	g_autofree char *text = xb_cli_text_format(reply, out_width());

	fputs(text, stdout);
}

int main(int argc, char **argv)
{
	g_autofree char *socket_path = NULL;
	gboolean json = FALSE, version = FALSE;
	g_autoptr(GError) error = NULL;
	GOptionEntry entries[] = {
	    {"socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path, "control socket of the daemon",
	     "PATH"},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON for scripts", NULL},
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND [ARGUMENTS...]");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_strict_posix(ctx, TRUE); /* options after the command are its own */
	g_option_context_set_summary(ctx,
	                             "Talks to a running crossbar; 'help' lists the commands,\n"
	                             "'help COMMAND' shows one with its whole usage.");
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "crossbar-cli: %s\n", error->message);
		return 2;
	}
	/* Options may also follow the command words' first position: --json at the end. */
	GPtrArray *words = g_ptr_array_new();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = TRUE;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc && words->len == 0)
			socket_path = g_strdup(argv[++i]);
		else
			g_ptr_array_add(words, argv[i]);
	}
	g_ptr_array_add(words, NULL);
	if (version) {
		printf("crossbar-cli %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (words->len == 1) {
		fprintf(stderr, "crossbar-cli: no command given (try 'crossbar-cli help')\n");
		return 2;
	}
	if (!socket_path)
		socket_path = default_socket();
	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "crossbar-cli: socket path %s is too long\n", socket_path);
		return 2;
	}
	g_strlcpy(sa.sun_path, socket_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		fprintf(stderr, "crossbar-cli: cannot reach crossbar at %s: %s%s\n", socket_path,
		        g_strerror(e),
		        e == ENOENT || e == ECONNREFUSED ? " (is the daemon running? see --socket)"
		                                         : "");
		return 3;
	}

	g_autoptr(GVariant) req = g_variant_ref_sink(
	    g_variant_new_strv((const char *const *)words->pdata, words->len - 1));
	gsize len = g_variant_get_size(req);
	guint32 be = GUINT32_TO_BE((guint32)len);
	g_autofree guint8 *buf = g_malloc(len + 4);
	memcpy(buf, &be, 4);
	memcpy(buf + 4, g_variant_get_data(req), len);
	if (!io_all(fd, buf, len + 4, TRUE) || !io_all(fd, &be, 4, FALSE)) {
		fprintf(stderr,
		        "crossbar-cli: the daemon closed the connection without answering\n");
		return 3;
	}
	guint32 rlen = GUINT32_FROM_BE(be);
	if (rlen > MAX_REPLY) {
		fprintf(stderr, "crossbar-cli: reply too large (%u bytes)\n", rlen);
		return 3;
	}
	g_autofree guint8 *rbuf = g_malloc(rlen ? rlen : 1);
	if (!io_all(fd, rbuf, rlen, FALSE)) {
		fprintf(stderr, "crossbar-cli: the daemon's answer was cut short\n");
		return 3;
	}
	close(fd);
	g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&rbuf), rlen);
	g_autoptr(GVariant) reply =
	    g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE_VARDICT, bytes, FALSE));
	gboolean ok = FALSE;
	const char *err;

	g_variant_lookup(reply, "ok", "b", &ok);
	if (json)
		print_json(reply);
	else
		print_text(reply);
	if (!ok && g_variant_lookup(reply, "error", "&s", &err) && !json)
		fprintf(stderr, "crossbar-cli: %s\n", err);
	g_ptr_array_free(words, TRUE);
	return ok ? 0 : 1;
}
