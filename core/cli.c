/* cli.c: the registry of control commands and the replies they build. A request is a list
 * of words; the longest registered name that prefixes it wins. A reply is a GVariant a{sv}
 * with "ok", and any of "error", "message", "record" a(sv), "columns" as, "rows" aav,
 * "text_columns" as (the columns the text layout keeps), which
 * crossbar-cli turns into text or JSON. Nothing here touches the socket. */
#include "core_private.h"

#include <stdarg.h>
#include <string.h>

typedef struct {
	const XbCliCommand *cmd;
	XbModule *owner;
	gpointer user_data;
	char **words;
} Command;

struct xb_cli_reply {
	char *error;
	GString *message;
	GPtrArray *record_keys;  /* char * */
	GPtrArray *record_vals;  /* GVariant * */
	GPtrArray *columns;      /* char * */
	GPtrArray *rows;         /* GHashTable * column -> GVariant * */
	GPtrArray *text_columns; /* char *: the columns text shows; empty: every one */
};

static GPtrArray *commands; /* Command * */

static void command_free(gpointer data)
{
	Command *c = data;

	g_strfreev(c->words);
	g_free(c);
}

gboolean xb_cli_register(XbModule *owner, const XbCliCommand *table, gpointer user_data)
{
	gboolean ok = TRUE;

	if (!commands)
		commands = g_ptr_array_new_with_free_func(command_free);
	for (const XbCliCommand *cmd = table; cmd->name; cmd++) {
		gboolean taken = FALSE;
		for (guint i = 0; i < commands->len; i++)
			taken |= strcmp(((Command *)commands->pdata[i])->cmd->name, cmd->name) == 0;
		if (taken) {
			g_warning("command '%s' is already registered; %s's copy ignored",
			          cmd->name, xb_module_name(owner));
			ok = FALSE;
			continue;
		}
		if (owner &&
		    g_strcmp0(xb_module_command_declarer(cmd->name), xb_module_name(owner)) != 0)
			g_warning("module %s registers command '%s' without declaring it in its "
			          "descriptor (.commands)",
			          xb_module_name(owner), cmd->name);
		Command *c = g_new0(Command, 1);
		c->cmd = cmd;
		c->owner = owner;
		c->user_data = user_data;
		c->words = g_strsplit(cmd->name, " ", -1);
		g_ptr_array_add(commands, c);
	}
	return ok;
}

gboolean xb_cli_core_has(const char *name)
{
	static const XbCliCommand *const tables[] = {xb_builtin_cli,  xb_channel_cli,
	                                             xb_dialplan_cli, xb_directory_cli,
	                                             xb_features_cli, xb_media_cli};

	for (guint t = 0; t < G_N_ELEMENTS(tables); t++)
		for (const XbCliCommand *c = tables[t]; c->name; c++)
			if (!strcmp(c->name, name))
				return TRUE;
	return FALSE;
}

void xb_cli_forget(XbModule *owner)
{
	for (guint i = commands ? commands->len : 0; owner && i-- > 0;)
		if (((Command *)commands->pdata[i])->owner == owner)
			g_ptr_array_remove_index(commands, i);
}

void xb_cli_reset(void)
{
	g_clear_pointer(&commands, g_ptr_array_unref);
}

/* ---- replies ---- */

void xb_cli_reply_error(XbCliReply *reply, const char *format, ...)
{
	va_list ap;

	g_free(reply->error);
	va_start(ap, format);
	reply->error = g_strdup_vprintf(format, ap);
	va_end(ap);
}

void xb_cli_reply_message(XbCliReply *reply, const char *format, ...)
{
	va_list ap;

	if (reply->message->len)
		g_string_append_c(reply->message, '\n');
	va_start(ap, format);
	g_string_append_vprintf(reply->message, format, ap);
	va_end(ap);
}

void xb_cli_reply_field(XbCliReply *reply, const char *key, GVariant *value)
{
	g_ptr_array_add(reply->record_keys, g_strdup(key));
	g_ptr_array_add(reply->record_vals, g_variant_ref_sink(value));
}

static void add_column(XbCliReply *reply, const char *name)
{
	for (guint i = 0; i < reply->columns->len; i++)
		if (strcmp(reply->columns->pdata[i], name) == 0)
			return;
	g_ptr_array_add(reply->columns, g_strdup(name));
}

void xb_cli_reply_columns(XbCliReply *reply, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	for (const char *c = first; c; c = va_arg(ap, const char *))
		add_column(reply, c);
	va_end(ap);
}

void xb_cli_reply_text_columns(XbCliReply *reply, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	for (const char *c = first; c; c = va_arg(ap, const char *))
		g_ptr_array_add(reply->text_columns, g_strdup(c));
	va_end(ap);
}

void xb_cli_reply_row(XbCliReply *reply, const char *first, ...)
{
	GHashTable *row =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
	va_list ap;

	va_start(ap, first);
	for (const char *c = first; c; c = va_arg(ap, const char *)) {
		GVariant *v = va_arg(ap, GVariant *);
		add_column(reply, c);
		g_hash_table_replace(row, g_strdup(c), g_variant_ref_sink(v));
	}
	va_end(ap);
	g_ptr_array_add(reply->rows, row);
}

const char *xb_cli_option(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static XbCliReply *reply_new(void)
{
	XbCliReply *r = g_new0(XbCliReply, 1);

	r->message = g_string_new(NULL);
	r->record_keys = g_ptr_array_new_with_free_func(g_free);
	r->record_vals = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
	r->columns = g_ptr_array_new_with_free_func(g_free);
	r->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
	r->text_columns = g_ptr_array_new_with_free_func(g_free);
	return r;
}

static void reply_free(XbCliReply *r)
{
	g_free(r->error);
	g_string_free(r->message, TRUE);
	g_ptr_array_unref(r->record_keys);
	g_ptr_array_unref(r->record_vals);
	g_ptr_array_unref(r->columns);
	g_ptr_array_unref(r->rows);
	g_ptr_array_unref(r->text_columns);
	g_free(r);
}

static GVariant *reply_finish(XbCliReply *r)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "ok", g_variant_new_boolean(r->error == NULL));
	if (r->error)
		g_variant_builder_add(&b, "{sv}", "error", g_variant_new_string(r->error));
	if (r->message->len)
		g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string(r->message->str));
	if (r->record_keys->len) {
		GVariantBuilder rec;
		g_variant_builder_init(&rec, G_VARIANT_TYPE("a(sv)"));
		for (guint i = 0; i < r->record_keys->len; i++)
			g_variant_builder_add(&rec, "(sv)", r->record_keys->pdata[i],
			                      r->record_vals->pdata[i]);
		g_variant_builder_add(&b, "{sv}", "record", g_variant_builder_end(&rec));
	}
	if (r->columns->len) {
		GVariantBuilder rows;
		g_variant_builder_add(
		    &b, "{sv}", "columns",
		    g_variant_new_strv((const char *const *)r->columns->pdata, r->columns->len));
		g_variant_builder_init(&rows, G_VARIANT_TYPE("aav"));
		for (guint i = 0; i < r->rows->len; i++) {
			GVariantBuilder row;
			g_variant_builder_init(&row, G_VARIANT_TYPE("av"));
			for (guint j = 0; j < r->columns->len; j++) {
				GVariant *v =
				    g_hash_table_lookup(r->rows->pdata[i], r->columns->pdata[j]);
				g_variant_builder_add(&row, "v", v ? v : g_variant_new_string(""));
			}
			g_variant_builder_add(&rows, "av", &row);
		}
		g_variant_builder_add(&b, "{sv}", "rows", g_variant_builder_end(&rows));
		if (r->text_columns->len)
			g_variant_builder_add(
			    &b, "{sv}", "text_columns",
			    g_variant_new_strv((const char *const *)r->text_columns->pdata,
			                       r->text_columns->len));
	}
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

/* ---- dispatch ---- */

static guint prefix_len(Command *c, char **words)
{
	guint n = 0;

	for (; c->words[n]; n++)
		if (!words[n] || strcmp(c->words[n], words[n]) != 0)
			return 0;
	return n;
}

GVariant *xb_cli_dispatch(char **words)
{
	XbCliReply *reply = reply_new();
	Command *best = NULL;
	guint best_len = 0;
	GVariant *out;

	for (guint i = 0; commands && i < commands->len; i++) {
		guint n = prefix_len(commands->pdata[i], words);
		if (n > best_len) {
			best = commands->pdata[i];
			best_len = n;
		}
	}
	if (!words[0]) {
		xb_cli_reply_error(reply, "no command given (try 'help')");
	} else if (!best) {
		g_autofree char *line = g_strjoinv(" ", words);
		xb_cli_reply_error(reply, "unknown command '%s' (try 'help')", line);
	} else {
		int argc = (int)g_strv_length(words + best_len);
		if (!best->cmd->func(reply, argc, words + best_len, best->user_data) &&
		    !reply->error)
			xb_cli_reply_error(reply, "%s failed", best->cmd->name);
	}
	out = reply_finish(reply);
	reply_free(reply);
	return out;
}

GPtrArray *xb_cli_commands(void)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; commands && i < commands->len; i++)
		g_ptr_array_add(out, (gpointer)((Command *)commands->pdata[i])->cmd);
	return out;
}

const char *xb_cli_command_owner(const XbCliCommand *cmd)
{
	for (guint i = 0; commands && i < commands->len; i++)
		if (((Command *)commands->pdata[i])->cmd == cmd)
			return xb_module_name(((Command *)commands->pdata[i])->owner);
	return "core";
}
