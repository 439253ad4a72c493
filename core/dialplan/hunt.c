/* hunt.c: which actions a call runs. FreeSWITCH's rules, on the compiled plan:
 *
 *   extension   its conditions in file order; it matched when the last condition evaluated
 *               was true or added anti-actions; a match ends the hunt unless continue="true"
 *   condition   true when every time attribute and the field's regular expression match;
 *               true: its actions (captures $0..$9 substituted) and nested conditions in file
 *               order; false: its anti-actions
 *   break       on-false (default): stop after a false condition; on-true: after a true
 *               one; always: after this one; never: go on. Nested conditions follow the
 *               same rule among their siblings, and their parent is true only when its own
 *               test is and its nested block matched
 *   inline      set, unset and export with inline="true" take effect at once, so later
 *               conditions of the same hunt see the variable
 *
 * Actions of a condition are taken when the condition is evaluated: a later false
 * condition of the same extension does not take them back (FreeSWITCH does the same). The
 * hunt only reads the plan and never blocks; ${variables} in action data are left for the
 * channel layer to expand when the action runs. */
#include "dialplan_private.h"

#include <string.h>

typedef struct {
	XbDialplanResult *r;
	const Extension *ext;
	XbDialplanLookupFunc lookup;
	gpointer user_data;
	GDateTime *now; /* in the plan's time zone */
} Hunt;

/* Variables set inline first, then the caller's, then the context hunted. */
static const char *hunt_lookup(const char *name, gpointer user_data)
{
	Hunt *h = user_data;
	const char *v = g_hash_table_lookup(h->r->variables, name);

	if (v)
		return v;
	if (h->lookup && (v = h->lookup(name, h->user_data)))
		return v;
	if (strcmp(name, "context") == 0)
		return h->r->context;
	return NULL;
}

char *xb_dialplan_expand(const char *template, XbDialplanLookupFunc lookup, gpointer user_data)
{
	GString *out = g_string_new(NULL);
	const char *p = template;

	while (*p) {
		const char *start = strstr(p, "${");
		const char *end = start ? strchr(start + 2, '}') : NULL;
		if (!end) {
			g_string_append(out, p);
			break;
		}
		g_string_append_len(out, p, start - p);
		g_autofree char *name = g_strndup(start + 2, end - start - 2);
		const char *v = lookup ? lookup(name, user_data) : NULL;
		if (v)
			g_string_append(out, v);
		p = end + 1;
	}
	return g_string_free(out, FALSE);
}

/* data with $0..$9 replaced by the captures (an absent group by nothing); untouched when
 * the condition has no regular expression. */
static char *substitute(const char *data, char **caps)
{
	GString *out;
	guint n;

	if (!caps || !strchr(data, '$'))
		return g_strdup(data);
	n = g_strv_length(caps);
	out = g_string_new(NULL);
	for (const char *p = data; *p; p++) {
		if (p[0] == '$' && g_ascii_isdigit(p[1])) {
			guint i = p[1] - '0';
			if (i < n)
				g_string_append(out, caps[i]);
			p++;
			continue;
		}
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static void run_inline(Hunt *h, const Action *a, XbDialplanAction *out)
{
	g_autofree char *expanded = xb_dialplan_expand(out->data, hunt_lookup, h);
	const char *eq = strchr(expanded, '=');
	char *name;

	g_free(out->data);
	out->data = g_strdup(expanded);
	if (strcmp(a->application, "unset") == 0) {
		name = g_strstrip(g_strdup(expanded));
		/* Empty hides a value the caller's lookup would give. */
		g_hash_table_replace(h->r->variables, name, g_strdup(""));
		return;
	}
	if (!eq || eq == expanded)
		return;
	name = g_strstrip(g_strndup(expanded, eq - expanded));
	g_hash_table_replace(h->r->variables, name, g_strdup(eq + 1));
}

static void take(Hunt *h, const Action *a, char **caps, gboolean anti)
{
	XbDialplanAction *out = g_new0(XbDialplanAction, 1);

	out->application = a->application;
	out->data = substitute(a->data, caps);
	out->extension = h->ext->name;
	out->line = a->line;
	out->anti = anti;
	out->ran_inline = a->is_inline;
	if (a->is_inline)
		run_inline(h, a, out);
	g_ptr_array_add(h->r->actions, out);
}

/* Evaluates the test of one condition, without its children; *caps gets the captures of
 * a matching regular expression. The trace line says what was tested against what. */
static gboolean test(Hunt *h, const Condition *c, guint depth, char ***caps)
{
	GString *what = g_string_new(NULL);
	gboolean ok = TRUE;

	for (guint i = 0; i < c->times->len; i++) {
		const TimeTest *t = c->times->pdata[i];
		g_autofree char *now = xb_dialplan_time_value(t->field, h->now);
		gboolean m = xb_dialplan_time_match(t, h->now);
		g_string_append_printf(what, "%s%s=%s (%s)", what->len ? ", " : "",
		                       xb_dialplan_time_name(t->field), t->text, now);
		ok &= m;
	}
	if (c->field) {
		g_autofree char *value = NULL;
		g_autoptr(GMatchInfo) mi = NULL;

		if (strstr(c->field, "${"))
			value = xb_dialplan_expand(c->field, hunt_lookup, h);
		else
			value = g_strdup(hunt_lookup(c->field, h));
		if (!value)
			value = g_strdup("");
		if (g_regex_match(c->regex, value, 0, &mi))
			*caps = g_match_info_fetch_all(mi);
		else
			ok = FALSE;
		g_string_append_printf(what, "%s%s '%s' =~ /%s/", what->len ? "; " : "", c->field,
		                       value, c->expression);
	}
	if (!what->len)
		g_string_append(what, "(always)");

	XbDialplanTrace *tr = g_new0(XbDialplanTrace, 1);
	tr->extension = h->ext->name;
	tr->line = c->line;
	tr->depth = depth;
	tr->test = g_string_free(what, FALSE);
	tr->result = ok;
	g_ptr_array_add(h->r->trace, tr);
	return ok;
}

static gboolean condition(Hunt *h, const Condition *c, guint depth, char **outer_caps,
                          gboolean *anti_taken);

typedef struct {
	gboolean any;     /* a condition was evaluated */
	gboolean proceed; /* the last one was true or added anti-actions */
	gboolean stopped; /* a break ended the block */
} Block;

/* One condition of a block (an extension's conditions, or those nested in a condition)
 * and what its break attribute makes of the rest. */
static void block_step(Hunt *h, Block *b, const Condition *c, guint depth, char **caps)
{
	gboolean anti = FALSE, ok;

	if (b->stopped)
		return;
	ok = condition(h, c, depth, caps, &anti);
	b->any = TRUE;
	b->proceed = ok || anti;
	if ((!ok && (c->brk == BREAK_ON_FALSE || c->brk == BREAK_ALWAYS)) ||
	    (ok && (c->brk == BREAK_ON_TRUE || c->brk == BREAK_ALWAYS)))
		b->stopped = TRUE;
}

static gboolean condition(Hunt *h, const Condition *c, guint depth, char **outer_caps,
                          gboolean *anti_taken)
{
	g_auto(GStrv) own_caps = NULL;
	Block nested = {0};
	char **caps;

	if (!test(h, c, depth, &own_caps)) {
		for (guint i = 0; i < c->anti->len; i++)
			take(h, c->anti->pdata[i], outer_caps, TRUE);
		*anti_taken = c->anti->len > 0;
		return FALSE;
	}
	caps = own_caps ? own_caps : outer_caps;
	for (guint i = 0; i < c->items->len; i++) {
		const Action *item = c->items->pdata[i];
		if (item->kind == ITEM_ACTION)
			take(h, item, caps, FALSE);
		else
			block_step(h, &nested, c->items->pdata[i], depth + 1, caps);
	}
	return !nested.any || nested.proceed;
}

static const Context *find_context(const XbDialplan *plan, const char *name)
{
	for (guint i = 0; i < plan->contexts->len; i++) {
		const Context *c = plan->contexts->pdata[i];
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

static void action_free(gpointer data)
{
	XbDialplanAction *a = data;

	g_free(a->data);
	g_free(a);
}

static void trace_free(gpointer data)
{
	XbDialplanTrace *t = data;

	g_free(t->test);
	g_free(t);
}

void xb_dialplan_result_free(XbDialplanResult *r)
{
	if (!r)
		return;
	g_ptr_array_unref(r->actions);
	g_ptr_array_unref(r->matched);
	g_ptr_array_unref(r->trace);
	g_hash_table_unref(r->variables);
	g_free(r->context);
	xb_dialplan_unref(r->plan);
	g_free(r);
}

static char *context_names(const XbDialplan *plan)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < plan->contexts->len; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "",
		                       ((const Context *)plan->contexts->pdata[i])->name);
	return g_string_free(s, FALSE);
}

XbDialplanResult *xb_dialplan_hunt(XbDialplan *plan, const char *context,
                                   XbDialplanLookupFunc lookup, gpointer user_data, GDateTime *now,
                                   GError **error)
{
	const Context *ctx;
	XbDialplanResult *r;
	Hunt h = {0};

	g_return_val_if_fail(plan != NULL && context != NULL, NULL);
	ctx = find_context(plan, context);
	if (!ctx) {
		g_autofree char *names = context_names(plan);
		g_set_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_NO_CONTEXT,
		            "%s has no context '%s' (it has: %s)", plan->file, context,
		            *names ? names : "none");
		return NULL;
	}
	r = g_new0(XbDialplanResult, 1);
	r->plan = xb_dialplan_ref(plan);
	r->context = g_strdup(context);
	r->actions = g_ptr_array_new_with_free_func(action_free);
	r->matched = g_ptr_array_new();
	r->trace = g_ptr_array_new_with_free_func(trace_free);
	r->variables = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	h.r = r;
	h.lookup = lookup;
	h.user_data = user_data;
	h.now = now ? g_date_time_to_timezone(now, plan->tz) : g_date_time_new_now(plan->tz);
	for (guint i = 0; i < ctx->extensions->len; i++) {
		Block b = {0};

		h.ext = ctx->extensions->pdata[i];
		for (guint j = 0; j < h.ext->conditions->len; j++)
			block_step(&h, &b, h.ext->conditions->pdata[j], 0, NULL);
		if (!b.proceed)
			continue;
		g_ptr_array_add(r->matched, h.ext->name);
		if (!h.ext->cont)
			break;
	}
	g_date_time_unref(h.now);
	return r;
}
