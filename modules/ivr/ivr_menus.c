/* ivr_menus.c: <menus>, compiled with the dialplan. Every attribute is checked, every
 * prompt file must exist, every regular expression compiles, every sub-menu and every menu
 * an `ivr` action names exists, every application an entry runs is one the plan may name,
 * and no menu traps its callers (the rule is below, at check_ways_out). The first error
 * refuses the whole plan with its file and line. Also here: how keys make an entry and
 * which entry they match, for the live menus and `ivr test` alike. */
#include "ivr.h"

#include <libxml/tree.h>
#include <string.h>

/* Keys a caller can press. */
#define KEYS "0123456789*#ABCD"

static const struct {
	const char *name;
	IvrActionKind action;
} actions[] = {
    {"menu-sub", IVR_ACTION_SUB},           {"menu-back", IVR_ACTION_BACK},
    {"menu-top", IVR_ACTION_TOP},           {"menu-exit", IVR_ACTION_EXIT},
    {"menu-play-sound", IVR_ACTION_PLAY},   {"menu-exec-app", IVR_ACTION_EXEC},
    {"menu-transfer", IVR_ACTION_TRANSFER},
};

const char *ivr_action_name(IvrActionKind action)
{
	for (guint i = 0; i < G_N_ELEMENTS(actions); i++)
		if (actions[i].action == action)
			return actions[i].name;
	return "?";
}

static const char *const menu_attributes[] = {
    "name",
    "greet-long",
    "greet-short",
    "invalid-sound",
    "exit-sound",
    "timeout-sound",
    "timeout",
    "inter-digit-timeout",
    "max-failures",
    "max-timeouts",
    "digit-len",
    "exec-on-max-failures",
    "exec-on-max-timeouts",
    NULL,
};
static const char *const entry_attributes[] = {"action", "digits", "param", NULL};

/* ---- freeing ---- */

static void sound_clear(IvrSound *s)
{
	g_free(s->file);
	g_free(s->written);
}

static void entry_free(gpointer p)
{
	IvrEntry *e = p;

	g_free(e->digits);
	g_free(e->literal);
	if (e->regex)
		g_regex_unref(e->regex);
	g_free(e->param);
	g_free(e->app);
	g_free(e->app_data);
	g_free(e->sound);
	g_free(e);
}

static void menu_free(gpointer p)
{
	IvrMenu *m = p;

	g_free(m->name);
	sound_clear(&m->greet_long);
	sound_clear(&m->greet_short);
	sound_clear(&m->invalid_sound);
	sound_clear(&m->exit_sound);
	sound_clear(&m->timeout_sound);
	g_free(m->max_failures_app);
	g_free(m->max_failures_data);
	g_free(m->max_timeouts_app);
	g_free(m->max_timeouts_data);
	g_ptr_array_unref(m->entries);
	g_free(m);
}

void ivr_menus_free(gpointer p)
{
	IvrMenus *menus = p;

	if (!menus)
		return;
	g_hash_table_unref(menus->by_name);
	g_ptr_array_unref(menus->menus);
	g_free(menus->file);
	g_free(menus);
}

const IvrMenu *ivr_menus_find(const IvrMenus *menus, const char *name)
{
	return menus && name ? g_hash_table_lookup(menus->by_name, name) : NULL;
}

/* ---- compiling ---- */

typedef struct {
	XbDialplanCompiler *dc;
	GError **error;
	IvrMenus *menus;
	GHashTable *sub_nodes; /* IvrEntry * (SUB) -> xmlNode * of the entry, for errors */
} Compile;

static gboolean is(xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && xmlStrcmp(node->name, BAD_CAST name) == 0;
}

static char *prop(xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetProp(node, BAD_CAST name);
	char *out = v ? g_strdup((const char *)v) : NULL;

	xmlFree(v);
	return out;
}

/* Every attribute of node is one of `known`. */
static gboolean attributes_known(Compile *c, xmlNode *node, const char *const *known)
{
	for (xmlAttr *a = node->properties; a; a = a->next) {
		if (g_strv_contains(known, (const char *)a->name))
			continue;
		g_autofree char *list = g_strjoinv(", ", (char **)known);
		return xb_dialplan_compiler_error(
		    c->dc, c->error, node, "<%s> has no attribute '%s' (it takes %s)",
		    (const char *)node->name, (const char *)a->name, list);
	}
	return TRUE;
}

static gboolean number(Compile *c, xmlNode *node, const char *name, guint min, guint max,
                       guint fallback, guint *out)
{
	g_autofree char *text = prop(node, name);
	guint64 v;

	if (!text) {
		*out = fallback;
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, min, max, &v, NULL))
		return xb_dialplan_compiler_error(c->dc, c->error, node,
		                                  "%s=\"%s\": not a whole number from %u to %u",
		                                  name, text, min, max);
	*out = (guint)v;
	return TRUE;
}

/* A prompt file as the menus name it: a file of media.sounds_dir, with or without its
 * ".wav", or a path. It must be there now, unless it holds ${variables} (then it is looked
 * up when it plays). *out NULL when it is empty or absent. */
static gboolean sound_file(Compile *c, xmlNode *node, const char *what, const char *written,
                           char **out)
{
	*out = NULL;
	if (!written || !*written)
		return TRUE;
	if (strstr(written, "${")) {
		*out = g_strdup(written);
		return TRUE;
	}
	if (g_str_has_prefix(written, "phrase:") || g_str_has_prefix(written, "say:"))
		return xb_dialplan_compiler_error(c->dc, c->error, node,
		                                  "%s=\"%s\": phrase macros and text to speech are "
		                                  "not supported; name a sound file",
		                                  what, written);
	g_autofree char *path = xb_channel_sound_path(written);
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
		return xb_dialplan_compiler_error(c->dc, c->error, node,
		                                  "%s=\"%s\": no such sound file (%s)", what,
		                                  written, path);
	*out = g_steal_pointer(&path);
	return TRUE;
}

static gboolean menu_sound(Compile *c, xmlNode *node, const char *name, IvrSound *s)
{
	s->written = prop(node, name);
	return sound_file(c, node, name, s->written, &s->file);
}

/* "APP [DATA]" into its application (which the plan then names, checked as an action's
 * is) and data. */
static gboolean app_words(Compile *c, xmlNode *node, const char *what, const char *text, char **app,
                          char **data)
{
	g_autofree char *t = g_strstrip(g_strdup(text ? text : ""));
	const char *sp = strpbrk(t, " \t");

	if (!*t)
		return xb_dialplan_compiler_error(c->dc, c->error, node,
		                                  "%s needs an application and its data (\"APP "
		                                  "DATA\")",
		                                  what);
	*app = g_strndup(t, sp ? (gsize)(sp - t) : strlen(t));
	*data = g_strdup(sp ? g_strchug((char *)sp + 1) : "");
	for (const char *p = *app; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("_.-", *p))
			return xb_dialplan_compiler_error(c->dc, c->error, node,
			                                  "%s: '%s' is not an application's name",
			                                  what, *app);
	xb_dialplan_compiler_use_app(c->dc, *app, xmlGetLineNo(node));
	return TRUE;
}

static gboolean entry_digits(Compile *c, xmlNode *node, IvrMenu *m, IvrEntry *e)
{
	gsize len = e->digits ? strlen(e->digits) : 0;

	if (!len)
		return xb_dialplan_compiler_error(c->dc, c->error, node,
		                                  "<entry> needs digits: keys (\"1\", \"*9\") or "
		                                  "a regular expression between slashes");
	if (len >= 2 && e->digits[0] == '/' && e->digits[len - 1] == '/') {
		g_autoptr(GError) rerr = NULL;
		g_autofree char *expr = g_strndup(e->digits + 1, len - 2);
		if (!*expr)
			return xb_dialplan_compiler_error(c->dc, c->error, node,
			                                  "digits=\"//\": an empty expression");
		e->regex = g_regex_new(expr, 0, 0, &rerr);
		if (!e->regex)
			return xb_dialplan_compiler_error(
			    c->dc, c->error, node, "digits=\"%s\": %s", e->digits, rerr->message);
		return TRUE;
	}
	e->literal = g_ascii_strup(e->digits, -1);
	for (const char *p = e->literal; *p; p++)
		if (!strchr(KEYS, *p))
			return xb_dialplan_compiler_error(
			    c->dc, c->error, node,
			    "digits=\"%s\": keys are 0-9, *, # and A-D (a regular expression goes "
			    "between slashes: \"/^1[0-9]$/\")",
			    e->digits);
	if (strlen(e->literal) > m->digit_len)
		return xb_dialplan_compiler_error(c->dc, c->error, node,
		                                  "digits=\"%s\" is longer than the menu's "
		                                  "digit-len (%u): no caller can type it",
		                                  e->digits, m->digit_len);
	for (guint i = 0; i < m->entries->len; i++) {
		const IvrEntry *o = m->entries->pdata[i];
		if (o->literal && strcmp(o->literal, e->literal) == 0)
			return xb_dialplan_compiler_error(c->dc, c->error, node,
			                                  "digits=\"%s\" is already the entry at "
			                                  "line %u",
			                                  e->digits, o->line);
	}
	return TRUE;
}

static gboolean no_param(Compile *c, xmlNode *node, IvrEntry *e)
{
	if (!*e->param)
		return TRUE;
	return xb_dialplan_compiler_error(c->dc, c->error, node, "%s takes no param",
	                                  ivr_action_name(e->action));
}

/* menu-transfer's param: NUMBER, NUMBER CONTEXT or NUMBER XML CONTEXT (as `transfer`). */
static gboolean transfer_param(Compile *c, xmlNode *node, IvrEntry *e)
{
	g_auto(GStrv) w = xb_channel_app_words(e->param);
	guint n = g_strv_length(w);

	if (n == 0 || n > 3 || (n == 3 && g_ascii_strcasecmp(w[1], "XML") != 0))
		return xb_dialplan_compiler_error(c->dc, c->error, node,
		                                  "menu-transfer param=\"%s\": expected \"NUMBER "
		                                  "[XML CONTEXT]\"",
		                                  e->param);
	e->app = g_strdup("transfer");
	e->app_data = g_strdup(e->param);
	xb_dialplan_compiler_use_app(c->dc, "transfer", e->line);
	return TRUE;
}

static IvrEntry *compile_entry(Compile *c, xmlNode *node, IvrMenu *m)
{
	IvrEntry *e = g_new0(IvrEntry, 1);
	g_autofree char *action = prop(node, "action");
	gboolean known = FALSE;

	e->line = xmlGetLineNo(node);
	e->digits = prop(node, "digits");
	e->param = prop(node, "param");
	if (!e->param)
		e->param = g_strdup("");
	if (!attributes_known(c, node, entry_attributes))
		goto fail;
	for (guint i = 0; action && i < G_N_ELEMENTS(actions); i++)
		if (strcmp(actions[i].name, action) == 0) {
			e->action = actions[i].action;
			known = TRUE;
		}
	if (!known) {
		xb_dialplan_compiler_error(c->dc, c->error, node,
		                           "%s action%s%s%s (menu-sub, menu-back, menu-top, "
		                           "menu-exit, menu-play-sound, menu-exec-app, "
		                           "menu-transfer)",
		                           action ? "unknown" : "<entry> needs an",
		                           action ? " '" : "", action ? action : "",
		                           action ? "'" : "");
		goto fail;
	}
	if (!entry_digits(c, node, m, e))
		goto fail;
	switch (e->action) {
	case IVR_ACTION_SUB:
		if (!*e->param) {
			xb_dialplan_compiler_error(c->dc, c->error, node,
			                           "menu-sub needs the sub-menu's name in param");
			goto fail;
		}
		g_hash_table_insert(c->sub_nodes, e, node); /* resolved once all menus are read */
		break;
	case IVR_ACTION_BACK:
	case IVR_ACTION_TOP:
	case IVR_ACTION_EXIT:
		if (!no_param(c, node, e))
			goto fail;
		break;
	case IVR_ACTION_PLAY:
		if (!*e->param) {
			xb_dialplan_compiler_error(c->dc, c->error, node,
			                           "menu-play-sound needs a file in param");
			goto fail;
		}
		if (!sound_file(c, node, "param", e->param, &e->sound))
			goto fail;
		break;
	case IVR_ACTION_EXEC:
		if (!app_words(c, node, "menu-exec-app param", e->param, &e->app, &e->app_data))
			goto fail;
		break;
	case IVR_ACTION_TRANSFER:
		if (!transfer_param(c, node, e))
			goto fail;
		break;
	}
	return e;
fail:
	entry_free(e);
	return NULL;
}

static gboolean max_app(Compile *c, xmlNode *node, const char *name, char **app, char **data)
{
	g_autofree char *text = prop(node, name);
	g_autofree char *what = g_strdup_printf("%s=\"%s\"", name, text ? text : "");

	if (!text)
		return TRUE;
	return app_words(c, node, what, text, app, data);
}

static IvrMenu *compile_menu(Compile *c, xmlNode *node)
{
	IvrMenu *m = g_new0(IvrMenu, 1);
	guint longest = 1;
	gboolean has_regex = FALSE;

	m->line = xmlGetLineNo(node);
	m->name = prop(node, "name");
	m->entries = g_ptr_array_new_with_free_func(entry_free);
	if (!attributes_known(c, node, menu_attributes))
		goto fail;
	if (!m->name || !*m->name || strpbrk(m->name, " \t\r\n")) {
		xb_dialplan_compiler_error(c->dc, c->error, node,
		                           "<menu> needs a name without blanks (name=\"main\")");
		goto fail;
	}
	const IvrMenu *other = ivr_menus_find(c->menus, m->name);
	if (other) {
		xb_dialplan_compiler_error(c->dc, c->error, node,
		                           "menu '%s' is already defined at line %u", m->name,
		                           other->line);
		goto fail;
	}
	if (!menu_sound(c, node, "greet-long", &m->greet_long) ||
	    !menu_sound(c, node, "greet-short", &m->greet_short) ||
	    !menu_sound(c, node, "invalid-sound", &m->invalid_sound) ||
	    !menu_sound(c, node, "exit-sound", &m->exit_sound) ||
	    !menu_sound(c, node, "timeout-sound", &m->timeout_sound))
		goto fail;
	if (!m->greet_long.file) {
		xb_dialplan_compiler_error(c->dc, c->error, node,
		                           "menu '%s' needs a greet-long (the prompt that says "
		                           "its choices)",
		                           m->name);
		goto fail;
	}
	/* digit-len defaults to the longest literal entry's keys, at least 1, or 4 with a
	 * regular expression (an extension's number): see the entries first. */
	for (xmlNode *n = node->children; n; n = n->next) {
		g_autofree char *d = is(n, "entry") ? prop(n, "digits") : NULL;
		gsize len = d ? strlen(d) : 0;
		if (len >= 2 && d[0] == '/' && d[len - 1] == '/')
			has_regex = TRUE;
		else
			longest = MAX(longest, (guint)len);
	}
	if (!number(c, node, "timeout", 1, 3600000, IVR_DEFAULT_TIMEOUT_MS, &m->timeout_ms) ||
	    !number(c, node, "inter-digit-timeout", 1, 600000, IVR_DEFAULT_INTER_DIGIT_MS,
	            &m->inter_digit_ms) ||
	    !number(c, node, "max-failures", 1, 100, IVR_DEFAULT_MAX_FAILURES, &m->max_failures) ||
	    !number(c, node, "max-timeouts", 1, 100, IVR_DEFAULT_MAX_TIMEOUTS, &m->max_timeouts) ||
	    !number(c, node, "digit-len", 1, IVR_MAX_DIGIT_LEN,
	            MIN(IVR_MAX_DIGIT_LEN, MAX(longest, has_regex ? 4u : 1u)), &m->digit_len) ||
	    !max_app(c, node, "exec-on-max-failures", &m->max_failures_app,
	             &m->max_failures_data) ||
	    !max_app(c, node, "exec-on-max-timeouts", &m->max_timeouts_app, &m->max_timeouts_data))
		goto fail;
	for (xmlNode *n = node->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!is(n, "entry")) {
			xb_dialplan_compiler_error(c->dc, c->error, n,
			                           "<%s> in a <menu>: a menu holds <entry>s",
			                           (const char *)n->name);
			goto fail;
		}
		IvrEntry *e = compile_entry(c, n, m);
		if (!e)
			goto fail;
		g_ptr_array_add(m->entries, e);
	}
	if (m->entries->len == 0) {
		xb_dialplan_compiler_error(c->dc, c->error, node,
		                           "menu '%s' has no <entry>: a caller could do nothing "
		                           "in it",
		                           m->name);
		goto fail;
	}
	return m;
fail:
	menu_free(m);
	return NULL;
}

/* ---- whole-menus checks ---- */

static gboolean resolve_subs(Compile *c)
{
	for (guint i = 0; i < c->menus->menus->len; i++) {
		IvrMenu *m = c->menus->menus->pdata[i];
		for (guint j = 0; j < m->entries->len; j++) {
			IvrEntry *e = m->entries->pdata[j];
			if (e->action != IVR_ACTION_SUB)
				continue;
			e->sub = ivr_menus_find(c->menus, e->param);
			if (!e->sub)
				return xb_dialplan_compiler_error(
				    c->dc, c->error, g_hash_table_lookup(c->sub_nodes, e),
				    "menu-sub: unknown sub-menu '%s'", e->param);
		}
	}
	return TRUE;
}

/* A menu name as an `ivr` action or a menu-exec-app of ivr gives it: one word without
 * variables or captures, else NULL (it is known only when the call gets there). */
static const char *literal_menu(const char *data)
{
	return data && *data && !strchr(data, '$') && !strpbrk(data, " \t") ? data : NULL;
}

static gboolean is_exit_app(const char *app)
{
	return app &&
	       (!strcmp(app, "transfer") || !strcmp(app, "hangup") || !strcmp(app, "bridge"));
}

/* The rule against traps. A caller leaves the menus through an entry that leaves: a
 * menu-exit, a menu-transfer, a menu-exec-app of transfer, hangup or bridge, or menu-back
 * in a top menu. From a menu the caller can also go to: the sub-menu of a menu-sub, the
 * menus that open it (menu-back) and the top menus (menu-top). A top menu is one that an
 * `ivr` action of the plan (or a menu-exec-app of ivr) names, or that no menu opens. Every
 * menu must reach an entry that leaves that way; one that cannot could only be left by
 * hanging up or by running out of tries (max-failures, max-timeouts), which is a mistake
 * in the menus, not a design, and is refused. */
static gboolean check_ways_out(Compile *c, GHashTable *named_tops)
{
	GPtrArray *all = c->menus->menus;
	g_autoptr(GHashTable) opened = g_hash_table_new(NULL, NULL); /* menu -> TRUE */
	g_autoptr(GHashTable) tops = g_hash_table_new(NULL, NULL);
	g_autoptr(GHashTable) out = g_hash_table_new(NULL, NULL); /* menus with a way out */
	gboolean changed = TRUE;

	for (guint i = 0; i < all->len; i++) {
		const IvrMenu *m = all->pdata[i];
		for (guint j = 0; j < m->entries->len; j++) {
			const IvrEntry *e = m->entries->pdata[j];
			if (e->action == IVR_ACTION_SUB)
				g_hash_table_add(opened, (gpointer)e->sub);
		}
	}
	for (guint i = 0; i < all->len; i++) {
		const IvrMenu *m = all->pdata[i];
		if (!g_hash_table_contains(opened, m) || g_hash_table_contains(named_tops, m->name))
			g_hash_table_add(tops, (gpointer)m);
	}
	/* A fixed point: a menu has a way out when one of its entries leaves, or leads to a
	 * menu that has one. */
	while (changed) {
		changed = FALSE;
		for (guint i = 0; i < all->len; i++) {
			const IvrMenu *m = all->pdata[i];
			gboolean found = FALSE;
			if (g_hash_table_contains(out, m))
				continue;
			for (guint j = 0; j < m->entries->len && !found; j++) {
				const IvrEntry *e = m->entries->pdata[j];
				switch (e->action) {
				case IVR_ACTION_EXIT:
				case IVR_ACTION_TRANSFER:
					found = TRUE;
					break;
				case IVR_ACTION_EXEC:
					found = is_exit_app(e->app);
					break;
				case IVR_ACTION_SUB:
					found = g_hash_table_contains(out, e->sub);
					break;
				case IVR_ACTION_BACK:
					found = g_hash_table_contains(tops, m);
					for (guint k = 0; k < all->len && !found; k++) {
						const IvrMenu *p = all->pdata[k];
						for (guint l = 0; l < p->entries->len && !found;
						     l++) {
							const IvrEntry *pe = p->entries->pdata[l];
							found = pe->action == IVR_ACTION_SUB &&
							        pe->sub == m &&
							        g_hash_table_contains(out, p);
						}
					}
					break;
				case IVR_ACTION_TOP: {
					GHashTableIter it;
					gpointer t;
					g_hash_table_iter_init(&it, tops);
					while (!found && g_hash_table_iter_next(&it, &t, NULL))
						found = t != m && g_hash_table_contains(out, t);
					break;
				}
				case IVR_ACTION_PLAY:
					break;
				}
			}
			if (found) {
				g_hash_table_add(out, (gpointer)m);
				changed = TRUE;
			}
		}
	}
	for (guint i = 0; i < all->len; i++) {
		const IvrMenu *m = all->pdata[i];
		if (g_hash_table_contains(out, m))
			continue;
		g_set_error(
		    c->error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID,
		    "%s:%u: menu '%s' has no way out: no entry of it, nor of the menus it "
		    "leads to, leaves the menus (menu-exit, menu-transfer, menu-exec-app of "
		    "transfer, hangup or bridge, menu-back in a top menu); its callers "
		    "could only hang up or fail",
		    xb_dialplan_compiler_file(c->dc), m->line, m->name);
		return FALSE;
	}
	return TRUE;
}

/* Menus the plan's `ivr` actions and the entries' menu-exec-app of ivr name: they must
 * exist, and they are top menus. */
static gboolean check_named(Compile *c, GHashTable *named_tops)
{
	g_autoptr(GArray) uses = xb_dialplan_compiler_actions(c->dc, "ivr");

	for (guint i = 0; i < uses->len; i++) {
		const XbDialplanActionUse *u = &g_array_index(uses, XbDialplanActionUse, i);
		g_autofree char *name = g_strstrip(g_strdup(u->data));
		if (!literal_menu(name))
			continue;
		if (!ivr_menus_find(c->menus, name)) {
			g_set_error(c->error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID,
			            "%s:%u: ivr: no menu '%s' in <menus> (line %u)",
			            xb_dialplan_compiler_file(c->dc), u->line, name,
			            c->menus->line);
			return FALSE;
		}
		g_hash_table_add(named_tops, g_steal_pointer(&name));
	}
	for (guint i = 0; i < c->menus->menus->len; i++) {
		const IvrMenu *m = c->menus->menus->pdata[i];
		for (guint j = 0; j < m->entries->len; j++) {
			const IvrEntry *e = m->entries->pdata[j];
			if (e->action != IVR_ACTION_EXEC || strcmp(e->app, "ivr") != 0 ||
			    !literal_menu(e->app_data))
				continue;
			if (!ivr_menus_find(c->menus, e->app_data)) {
				g_set_error(c->error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_INVALID,
				            "%s:%u: menu-exec-app ivr: no menu '%s'",
				            xb_dialplan_compiler_file(c->dc), e->line, e->app_data);
				return FALSE;
			}
			g_hash_table_add(named_tops, g_strdup(e->app_data));
		}
	}
	return TRUE;
}

gpointer ivr_menus_compile(XbDialplanCompiler *dc, xmlNode *node, GError **error)
{
	IvrMenus *menus = g_new0(IvrMenus, 1);
	g_autoptr(GHashTable) subs = g_hash_table_new(NULL, NULL);
	g_autoptr(GHashTable) named = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	Compile c = {dc, error, menus, subs};

	menus->file = g_strdup(xb_dialplan_compiler_file(dc));
	menus->line = xmlGetLineNo(node);
	menus->menus = g_ptr_array_new_with_free_func(menu_free);
	menus->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	if (node->properties) {
		xb_dialplan_compiler_error(dc, error, node, "<menus> takes no attributes");
		goto fail;
	}
	for (xmlNode *n = node->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!is(n, "menu")) {
			xb_dialplan_compiler_error(dc, error, n,
			                           "<%s> in <menus>: <menus> holds <menu>s",
			                           (const char *)n->name);
			goto fail;
		}
		IvrMenu *m = compile_menu(&c, n);
		if (!m)
			goto fail;
		g_ptr_array_add(menus->menus, m);
		g_hash_table_insert(menus->by_name, m->name, m);
	}
	if (!resolve_subs(&c) || !check_named(&c, named) || !check_ways_out(&c, named))
		goto fail;
	return menus;
fail:
	ivr_menus_free(menus);
	return NULL;
}

/* ---- keys and entries ---- */

/* Some entry matches `keys`, or could once more keys come. */
static gboolean possible(const IvrMenu *m, const char *keys)
{
	for (guint i = 0; i < m->entries->len; i++) {
		const IvrEntry *e = m->entries->pdata[i];
		if (e->literal) {
			if (g_str_has_prefix(e->literal, keys))
				return TRUE;
			continue;
		}
		g_autoptr(GMatchInfo) info = NULL;
		if (g_regex_match_full(e->regex, keys, -1, 0, G_REGEX_MATCH_PARTIAL_SOFT, &info,
		                       NULL) ||
		    g_match_info_is_partial_match(info))
			return TRUE;
	}
	return FALSE;
}

/* Some entry could match the keys with one or more keys after them. */
static gboolean can_grow(const IvrMenu *m, const GString *entry)
{
	g_autoptr(GString) next = g_string_new(entry->str);

	if (entry->len >= m->digit_len)
		return FALSE;
	for (const char *k = KEYS; *k; k++) {
		g_string_truncate(next, entry->len);
		g_string_append_c(next, *k);
		if (possible(m, next->str))
			return TRUE;
	}
	return FALSE;
}

IvrKeyResult ivr_menu_key(const IvrMenu *m, GString *entry, char key)
{
	key = g_ascii_toupper(key);
	if (key == '#') {
		g_autofree char *with = g_strdup_printf("%s#", entry->str);
		if (entry->len >= m->digit_len || !possible(m, with))
			return IVR_KEY_JUDGE; /* a terminator */
	}
	g_string_append_c(entry, key);
	return can_grow(m, entry) ? IVR_KEY_MORE : IVR_KEY_JUDGE;
}

const IvrEntry *ivr_menu_match(const IvrMenu *m, const char *keys, char ***captures)
{
	if (captures)
		*captures = NULL;
	for (guint i = 0; keys && *keys && i < m->entries->len; i++) {
		const IvrEntry *e = m->entries->pdata[i];
		if (e->literal) {
			if (g_ascii_strcasecmp(e->literal, keys) != 0)
				continue;
			if (captures) {
				char *one[] = {(char *)keys, NULL};
				*captures = g_strdupv(one);
			}
			return e;
		}
		g_autoptr(GMatchInfo) info = NULL;
		if (!g_regex_match(e->regex, keys, 0, &info))
			continue;
		if (captures)
			*captures = g_match_info_fetch_all(info);
		return e;
	}
	return NULL;
}

char *ivr_substitute(const char *text, char **captures)
{
	GString *out = g_string_new(NULL);
	guint n = captures ? g_strv_length(captures) : 0;

	for (const char *p = text ? text : ""; *p; p++) {
		if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			guint i = (guint)(p[1] - '0');
			if (i < n)
				g_string_append(out, captures[i]);
			p++;
			continue;
		}
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}
