/* dialplan_cli.c: `dialplan test`, a dry run of the live plan for a number (which
 * conditions were true or false, which extensions matched, the actions a call would run
 * with captures and variables expanded), and `dialplan show`, the plan's contexts and
 * extensions with their lines. Neither touches a channel. */
#include "dialplan_private.h"

#include <stdio.h>
#include <string.h>

typedef struct {
	const char *number, *caller_id, *caller_name, *network_addr;
	GHashTable *given; /* --var K=V */
	GHashTable *vars;  /* set and export, as the actions run */
	const XbDialplanResult *result;
} DryRun;

static const char *dry_lookup(const char *name, gpointer user_data)
{
	DryRun *d = user_data;
	const char *v;

	if (d->vars && (v = g_hash_table_lookup(d->vars, name)))
		return v;
	if (d->result && (v = g_hash_table_lookup(d->result->variables, name)))
		return v;
	if ((v = g_hash_table_lookup(d->given, name)))
		return v;
	if (strcmp(name, "destination_number") == 0)
		return d->number;
	if (strcmp(name, "caller_id_number") == 0)
		return d->caller_id;
	if (strcmp(name, "caller_id_name") == 0)
		return d->caller_name;
	if (strcmp(name, "network_addr") == 0)
		return d->network_addr;
	return NULL;
}

/* --at "YYYY-MM-DD HH:MM[:SS]" in the plan's time zone. */
static GDateTime *parse_at(const XbDialplan *plan, const char *text)
{
	int y, mo, d, h, mi, n = 0;
	double s = 0;

	if (sscanf(text, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5)
		return NULL;
	if (text[n] == ':' && sscanf(text + n, ":%lf", &s) != 1)
		return NULL;
	else if (text[n] && text[n] != ':')
		return NULL;
	return g_date_time_new(plan->tz, y, mo, d, h, mi, s);
}

static void step_row(XbCliReply *r, guint line, const char *step, const char *ext, const char *what)
{
	xb_cli_reply_row(r, "line", g_variant_new_int64(line), "step", g_variant_new_string(step),
	                 "extension", g_variant_new_string(ext), "what", g_variant_new_string(what),
	                 NULL);
}

/* An action's row, its data expanded as it would be when it runs: set and export change
 * the variables the later actions see. */
static void action_row(XbCliReply *r, DryRun *d, const XbDialplanAction *a)
{
	g_autofree char *data = xb_dialplan_expand(a->data, dry_lookup, d);
	g_autofree char *what =
	    *data ? g_strconcat(a->application, " ", data, NULL) : g_strdup(a->application);
	const char *eq = strchr(data, '=');

	if (!a->ran_inline && eq && eq != data &&
	    (strcmp(a->application, "set") == 0 || strcmp(a->application, "export") == 0))
		g_hash_table_replace(d->vars, g_strstrip(g_strndup(data, eq - data)),
		                     g_strdup(eq + 1));
	step_row(r, a->line,
	         a->ran_inline ? "inline"
	         : a->anti     ? "anti"
	                       : "action",
	         a->extension, what);
}

/* Conditions and actions in the order the hunt met them, which is the file's: line
 * order, a condition before the actions on its own line. */
static void steps(XbCliReply *r, DryRun *d, const XbDialplanResult *res)
{
	guint t = 0, a = 0;

	xb_cli_reply_columns(r, "line", "step", "extension", "what", NULL);
	while (t < res->trace->len || a < res->actions->len) {
		const XbDialplanTrace *tr = t < res->trace->len ? res->trace->pdata[t] : NULL;
		const XbDialplanAction *ac = a < res->actions->len ? res->actions->pdata[a] : NULL;
		if (tr && (!ac || tr->line <= ac->line)) {
			g_autofree char *what =
			    g_strdup_printf("%*s%s", (int)tr->depth * 2, "", tr->test);
			step_row(r, tr->line, tr->result ? "true" : "false", tr->extension, what);
			t++;
		} else {
			action_row(r, d, ac);
			a++;
		}
	}
}

static gboolean parse_var(GHashTable *vars, const char *kv, XbCliReply *r)
{
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv) {
		xb_cli_reply_error(r, "--var %s: expected NAME=VALUE", kv);
		return FALSE;
	}
	g_hash_table_replace(vars, g_strndup(kv, eq - kv), g_strdup(eq + 1));
	return TRUE;
}

/* The words after `dialplan test`: the number and the call's fields into d (--var into
 * d->given), the context and --at. */
static gboolean test_args(XbCliReply *r, int argc, char **argv, DryRun *d, const char **context,
                          const char **at_text)
{
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		gboolean has = i + 1 < argc;
		if (strcmp(o, "--context") == 0 && has)
			*context = argv[++i];
		else if (strcmp(o, "--caller-id") == 0 && has)
			d->caller_id = argv[++i];
		else if (strcmp(o, "--caller-name") == 0 && has)
			d->caller_name = argv[++i];
		else if (strcmp(o, "--network-addr") == 0 && has)
			d->network_addr = argv[++i];
		else if (strcmp(o, "--at") == 0 && has)
			*at_text = argv[++i];
		else if (strcmp(o, "--var") == 0 && has) {
			if (!parse_var(d->given, argv[++i], r))
				return FALSE;
		} else if (o[0] == '-' && o[1] == '-') {
			xb_cli_reply_error(r, "dialplan test: unknown option or missing value: %s",
			                   o);
			return FALSE;
		} else if (!d->number)
			d->number = o;
		else {
			xb_cli_reply_error(r, "dialplan test: one NUMBER only ('%s' is a second)",
			                   o);
			return FALSE;
		}
	}
	if (!d->number) {
		xb_cli_reply_error(r, "usage: dialplan test NUMBER [OPTIONS] (see 'help dialplan "
		                      "test')");
		return FALSE;
	}
	return TRUE;
}

static gboolean cmd_test(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(XbDialplan) plan = xb_dialplan_current();
	g_autoptr(GHashTable) given =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GDateTime) at = NULL;
	g_autoptr(XbDialplanResult) res = NULL;
	g_autoptr(GError) error = NULL;
	const char *context = "default", *at_text = NULL;
	DryRun d = {.caller_id = "", .caller_name = "", .network_addr = "", .given = given};

	if (!test_args(r, argc, argv, &d, &context, &at_text))
		return FALSE;
	if (!plan) {
		xb_cli_reply_error(r, "no dialplan is loaded");
		return FALSE;
	}
	at = at_text ? parse_at(plan, at_text) : g_date_time_new_now(plan->tz);
	if (!at) {
		xb_cli_reply_error(r, "--at %s: expected \"YYYY-MM-DD HH:MM[:SS]\"", at_text);
		return FALSE;
	}
	res = xb_dialplan_hunt(plan, context, dry_lookup, &d, at, &error);
	if (!res) {
		xb_cli_reply_error(r, "%s", error->message);
		return FALSE;
	}
	d.result = res;
	d.vars = vars;

	g_autoptr(GDateTime) local = g_date_time_to_timezone(at, plan->tz);
	g_autofree char *when = g_date_time_format(local, "%Y-%m-%d %H:%M:%S %Z (%A)");
	g_autofree char *matched = NULL;
	g_ptr_array_add(res->matched, NULL);
	matched = g_strjoinv(", ", (char **)res->matched->pdata);
	g_ptr_array_remove_index(res->matched, res->matched->len - 1);
	xb_cli_reply_field(r, "dialplan", g_variant_new_string(plan->file));
	xb_cli_reply_field(r, "context", g_variant_new_string(context));
	xb_cli_reply_field(r, "number", g_variant_new_string(d.number));
	xb_cli_reply_field(r, "at", g_variant_new_string(when));
	xb_cli_reply_field(r, "matched", g_variant_new_string(*matched ? matched : "(none)"));
	xb_cli_reply_field(r, "actions", g_variant_new_int64(res->actions->len));
	steps(r, &d, res);
	return TRUE;
}

static void count_items(const GPtrArray *items, guint *conds, guint *actions)
{
	for (guint i = 0; i < items->len; i++) {
		const Condition *c = items->pdata[i];
		if (c->kind == ITEM_ACTION) {
			(*actions)++;
			continue;
		}
		(*conds)++;
		*actions += c->anti->len;
		count_items(c->items, conds, actions);
	}
}

static gboolean cmd_show(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(XbDialplan) plan = xb_dialplan_current();
	g_autofree char *base = NULL;

	if (!plan) {
		xb_cli_reply_error(r, "no dialplan is loaded");
		return FALSE;
	}
	base = g_path_get_basename(plan->file);
	xb_cli_reply_field(r, "dialplan", g_variant_new_string(plan->file));
	xb_cli_reply_field(r, "timezone",
	                   g_variant_new_string(*plan->tz_name ? plan->tz_name : "(local)"));
	xb_cli_reply_field(r, "contexts", g_variant_new_int64(plan->contexts->len));
	xb_cli_reply_field(r, "extensions", g_variant_new_int64(plan->n_extensions));
	xb_cli_reply_columns(r, "context", "extension", "where", "conditions", "actions",
	                     "continue", NULL);
	for (guint i = 0; i < plan->contexts->len; i++) {
		const Context *ctx = plan->contexts->pdata[i];
		if (argc > 0 && strcmp(argv[0], ctx->name) != 0)
			continue;
		for (guint j = 0; j < ctx->extensions->len; j++) {
			const Extension *e = ctx->extensions->pdata[j];
			guint conds = 0, actions = 0;
			g_autofree char *where = g_strdup_printf("%s:%u", base, e->line);
			count_items(e->conditions, &conds, &actions);
			xb_cli_reply_row(r, "context", g_variant_new_string(ctx->name), "extension",
			                 g_variant_new_string(e->name), "where",
			                 g_variant_new_string(where), "conditions",
			                 g_variant_new_int64(conds), "actions",
			                 g_variant_new_int64(actions), "continue",
			                 g_variant_new_boolean(e->cont), NULL);
		}
	}
	return TRUE;
}

const XbCliCommand xb_dialplan_cli[] = {
    {"dialplan test",
     "NUMBER [--context C] [--caller-id X] [--caller-name N] [--network-addr A] "
     "[--var K=V]... [--at \"YYYY-MM-DD HH:MM\"]",
     "dry run: the extensions a number matches and the actions it would run", cmd_test},
    {"dialplan show", "[CONTEXT]", "the live dialplan's contexts and extensions", cmd_show},
    XB_CLI_END,
};

void xb_dialplan_cli_register(void)
{
	xb_cli_register(NULL, xb_dialplan_cli, NULL);
}
