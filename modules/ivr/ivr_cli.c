/* ivr_cli.c: `ivr list`, the live plan's menus, and `ivr test MENU KEYS...`, where a
 * caller's keys would lead, step by step, without a call: each word of KEYS is one entry
 * typed and followed by a pause ("-" for a pause with no key at all: a timeout), and
 * within a word the keys make entries exactly as a caller's would (an entry that no longer
 * entry could match is judged at once). A transfer is followed into the live dialplan, to
 * the extension it would reach. */
#include "ivr.h"

#include <string.h>

/* "main.xml:12" */
static char *where(const char *file, guint line)
{
	g_autofree char *base = g_path_get_basename(file);

	return g_strdup_printf("%s:%u", base, line);
}

/* The prompts of a step by their names ("ivr-invalid ivr-main-short"). */
static char *plays_text(const IvrStep *step)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; step->plays[i]; i++) {
		g_autofree char *base = g_path_get_basename(step->plays[i]);
		if (g_str_has_suffix(base, ".wav"))
			base[strlen(base) - 4] = 0;
		g_string_append_printf(out, "%s%s", out->len ? " " : "", base);
	}
	return g_string_free(out, FALSE);
}

static gboolean cmd_list(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(XbDialplan) plan = xb_dialplan_current();
	const IvrMenus *menus = plan ? xb_dialplan_section(plan, IVR_SECTION) : NULL;

	if (argc > 0) {
		xb_cli_reply_error(r, "usage: ivr list");
		return FALSE;
	}
	if (plan)
		xb_cli_reply_field(r, "dialplan", g_variant_new_string(xb_dialplan_file(plan)));
	xb_cli_reply_field(r, "menus", g_variant_new_int64(menus ? menus->menus->len : 0));
	xb_cli_reply_columns(r, "menu", "where", "entries", "greeting", "timeout_ms",
	                     "inter_digit_ms", "max_failures", "max_timeouts", "digit_len", NULL);
	xb_cli_reply_text_columns(r, "menu", "where", "entries", "greeting", "timeout_ms",
	                          "max_failures", NULL);
	for (guint i = 0; menus && i < menus->menus->len; i++) {
		const IvrMenu *m = menus->menus->pdata[i];
		g_autofree char *at = where(menus->file, m->line);
		xb_cli_reply_row(r, "menu", g_variant_new_string(m->name), "where",
		                 g_variant_new_string(at), "entries",
		                 g_variant_new_int64(m->entries->len), "greeting",
		                 g_variant_new_string(m->greet_long.written), "timeout_ms",
		                 g_variant_new_int64(m->timeout_ms), "inter_digit_ms",
		                 g_variant_new_int64(m->inter_digit_ms), "max_failures",
		                 g_variant_new_int64(m->max_failures), "max_timeouts",
		                 g_variant_new_int64(m->max_timeouts), "digit_len",
		                 g_variant_new_int64(m->digit_len), NULL);
	}
	return TRUE;
}

/* ---- ivr test ---- */

typedef struct {
	const char *number, *context;
} Probe;

static const char *probe_lookup(const char *name, gpointer user_data)
{
	const Probe *p = user_data;

	if (!strcmp(name, "destination_number"))
		return p->number;
	if (!strcmp(name, "context"))
		return p->context;
	return NULL;
}

/* Where `transfer DATA` leads in the live plan, for a caller in `context`. */
static char *transfer_text(XbDialplan *plan, const char *data, const char *context)
{
	g_auto(GStrv) w = xb_channel_app_words(data);
	guint n = g_strv_length(w);
	Probe p = {n ? w[0] : "", n == 3 ? w[2] : n == 2 ? w[1] : context};
	g_autoptr(XbDialplanResult) res = NULL;
	g_autoptr(GError) error = NULL;
	const XbDialplanAction *act = NULL;

	res = xb_dialplan_hunt(plan, p.context, probe_lookup, &p, NULL, &error);
	if (!res)
		return g_strdup_printf("to %s in context %s: %s", p.number, p.context,
		                       error->message);
	if (res->matched->len == 0)
		return g_strdup_printf("to %s in context %s: no extension (the call would be "
		                       "refused)",
		                       p.number, p.context);
	/* What the extension does: its first action beyond setting variables. */
	for (guint i = 0; i < res->actions->len && !act; i++) {
		const XbDialplanAction *a = res->actions->pdata[i];
		if (!a->ran_inline && strcmp(a->application, "set") != 0 &&
		    strcmp(a->application, "export") != 0 && strcmp(a->application, "unset") != 0 &&
		    strcmp(a->application, "log") != 0)
			act = a;
	}
	return g_strdup_printf("to %s in context %s: extension %s%s%s%s%s%s", p.number, p.context,
	                       (const char *)res->matched->pdata[res->matched->len - 1],
	                       act ? " (" : "", act ? act->application : "",
	                       act && *act->data ? " " : "", act ? act->data : "", act ? ")" : "");
}

typedef struct {
	XbCliReply *r;
	XbDialplan *plan;
	const char *context;
	IvrState state;
	IvrStep step;
	guint n;
	gboolean out;  /* the caller left the menus */
	GString *rest; /* keys that came after */
	char *result;
} Test;

static void row(Test *t, const char *menu, const char *keys, const char *what)
{
	g_autofree char *plays = plays_text(&t->step);

	xb_cli_reply_row(t->r, "step", g_variant_new_int64(++t->n), "menu",
	                 g_variant_new_string(menu), "keys", g_variant_new_string(keys), "what",
	                 g_variant_new_string(what), "plays", g_variant_new_string(plays), NULL);
}

/* The row of the step the state machine just made from `keys` in `menu`. */
static void step_row(Test *t, const IvrMenu *m, const char *keys, const char *why)
{
	const IvrStep *s = &t->step;
	const IvrEntry *e = s->entry;
	g_autofree char *entry =
	    e ? g_strdup_printf("%s%s%s (line %u): ", ivr_action_name(e->action),
	                        *e->param ? " " : "", e->param, e->line)
	      : g_strdup(why ? why : "");
	g_autofree char *what = NULL;

	switch (s->go) {
	case IVR_GO_COLLECT:
		what = g_strdup_printf("%s%s '%s'", entry,
		                       s->entered ? "enters menu" : "again in menu",
		                       ivr_state_menu(&t->state)->name);
		break;
	case IVR_GO_LEAVE:
		what = g_strdup_printf("%s%s%s%sleaves the menus (%s): the dialplan goes on after "
		                       "ivr",
		                       entry, s->app ? "runs " : "", s->app ? s->app : "",
		                       s->app ? ", then " : "", s->reason);
		g_free(t->result);
		t->result = g_strdup_printf("left the menus (%s)", s->reason);
		t->out = TRUE;
		break;
	case IVR_GO_EXEC: {
		what = g_strdup_printf("%sruns %s%s%s, then comes back to menu '%s'", entry, s->app,
		                       *s->data ? " " : "", s->data, m->name);
		break;
	}
	case IVR_GO_TRANSFER: {
		g_autofree char *to = transfer_text(t->plan, s->data, t->context);
		what = g_strdup_printf("%stransfer %s", entry, to);
		g_free(t->result);
		t->result = g_strdup_printf("transfer %s", to);
		t->out = TRUE;
		break;
	}
	}
	row(t, m->name, keys, what);
	/* The application returns (as far as a dry run knows): the menu comes round. */
	if (s->go == IVR_GO_EXEC) {
		ivr_state_resume(&t->state, &t->step);
		row(t, m->name, "", "comes round");
	}
}

static void test_entry(Test *t, const char *keys)
{
	const IvrMenu *m = ivr_state_menu(&t->state);
	g_autofree char *why = g_strdup_printf(
	    "not a valid choice (failure %u of %u): ", t->state.failures + 1, m->max_failures);

	ivr_state_entry(&t->state, keys, &t->step);
	step_row(t, m, keys, why);
}

static void test_timeout(Test *t)
{
	const IvrMenu *m = ivr_state_menu(&t->state);
	g_autofree char *why =
	    g_strdup_printf("no key (timeout %u of %u): ", t->state.timeouts + 1, m->max_timeouts);

	ivr_state_timeout(&t->state, &t->step);
	step_row(t, m, "-", why);
}

/* One word of KEYS: its keys, then a pause. */
static void test_word(Test *t, const char *word)
{
	g_autoptr(GString) entry = g_string_new(NULL);

	if (strcmp(word, "-") == 0) {
		if (t->out)
			g_string_append(t->rest, " -");
		else
			test_timeout(t);
		return;
	}
	for (const char *k = word; *k; k++) {
		if (t->out) {
			g_string_append_c(t->rest, *k);
			continue;
		}
		if (ivr_menu_key(ivr_state_menu(&t->state), entry, *k) == IVR_KEY_JUDGE) {
			g_autofree char *keys = g_strdup(entry->len ? entry->str : "#");
			g_string_truncate(entry, 0);
			test_entry(t, keys);
		}
	}
	if (entry->len && !t->out)
		test_entry(t, entry->str);
	if (t->out && t->rest->len)
		g_string_append_c(t->rest, ' ');
}

static gboolean keys_valid(XbCliReply *r, const char *word)
{
	if (strcmp(word, "-") == 0)
		return TRUE;
	for (const char *k = word; *k; k++)
		if (!strchr("0123456789*#ABCDabcd", *k)) {
			xb_cli_reply_error(r,
			                   "ivr test: '%c' is not a key (0-9, *, #, A-D; '-' "
			                   "for a timeout)",
			                   *k);
			return FALSE;
		}
	return TRUE;
}

static gboolean cmd_test(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(XbDialplan) plan = xb_dialplan_current();
	const IvrMenus *menus = plan ? xb_dialplan_section(plan, IVR_SECTION) : NULL;
	g_autoptr(GPtrArray) words = g_ptr_array_new();
	const char *name = NULL, *context = "default";
	const IvrMenu *top;
	Test t = {.r = r, .plan = plan};

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--context") == 0 && i + 1 < argc)
			context = argv[++i];
		else if (g_str_has_prefix(argv[i], "--")) {
			xb_cli_reply_error(r, "ivr test: unknown option or missing value: %s",
			                   argv[i]);
			return FALSE;
		} else if (!name)
			name = argv[i];
		else if (!keys_valid(r, argv[i]))
			return FALSE;
		else
			g_ptr_array_add(words, argv[i]);
	}
	if (!name) {
		xb_cli_reply_error(r, "usage: ivr test MENU [KEYS]... [--context C]");
		return FALSE;
	}
	top = ivr_menus_find(menus, name);
	if (!top) {
		xb_cli_reply_error(r, "no menu '%s' in the dialplan%s%s (ivr list shows them)",
		                   name, plan ? " " : "", plan ? xb_dialplan_file(plan) : "");
		return FALSE;
	}
	t.context = context;
	t.rest = g_string_new(NULL);
	ivr_state_init(&t.state, menus, top);
	xb_cli_reply_columns(r, "step", "menu", "keys", "what", "plays", NULL);
	ivr_state_start(&t.state, &t.step);
	step_row(&t, top, "", "");
	for (guint i = 0; i < words->len; i++)
		test_word(&t, words->pdata[i]);
	xb_cli_reply_field(r, "dialplan", g_variant_new_string(xb_dialplan_file(plan)));
	xb_cli_reply_field(r, "menu", g_variant_new_string(top->name));
	if (!t.out)
		t.result = g_strdup_printf("waiting for keys in menu '%s'",
		                           ivr_state_menu(&t.state)->name);
	xb_cli_reply_field(r, "result", g_variant_new_string(t.result));
	g_strstrip(t.rest->str);
	if (*t.rest->str)
		xb_cli_reply_field(r, "unheard", g_variant_new_string(t.rest->str));
	g_free(t.result);
	g_string_free(t.rest, TRUE);
	ivr_state_clear(&t.state);
	ivr_step_clear(&t.step);
	return TRUE;
}

const XbCliCommand ivr_cli[] = {
    {"ivr list", "", "the menus of the live dialplan (<menus>)", cmd_list},
    {"ivr test", "MENU [KEYS]... [--context C]",
     "where keys would lead in a menu, without a call (a word of KEYS is one entry; - is "
     "a timeout)",
     cmd_test},
    XB_CLI_END,
};
