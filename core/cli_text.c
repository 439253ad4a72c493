/* cli_text.c: crossbar-cli's text layout. A record prints as aligned "key  value" lines, a
 * table as aligned columns under upper-case headers. Both fit a width: a value wraps at
 * spaces, and a table too wide for one line per row moves its widest columns (an empty one
 * first), one at a time, out of the row onto "  column: value" lines of their own under
 * it, until the rest fits with its last column wrapped. Nothing is cut: a word longer than
 * a line is broken, never dropped. Widths count characters (UTF-8), not bytes. */
#include "cli_text.h"

#include <string.h>

/* A last column narrower than this is moved out of the row rather than wrapped. */
#define MIN_WRAP 20
/* Indent of the lines that carry a moved column's value. */
#define SPILL_INDENT 2

static char *text_of(GVariant *v)
{
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
		g_autoptr(GVariant) inner = g_variant_get_variant(v);
		return text_of(inner);
	}
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
		return g_strdup(g_variant_get_string(v, NULL));
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		return g_strdup(g_variant_get_boolean(v) ? "yes" : "no");
	return g_variant_print(v, FALSE);
}

static gsize text_width(const char *s)
{
	return g_utf8_strlen(s, -1);
}

/* The lines of s wrapped to width characters: at the last space that fits, else within
 * a word; a newline in s always breaks. An empty s is one empty line. */
static GPtrArray *wrap(const char *s, gsize width)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	const char *p = s;

	width = MAX(width, 1);
	do {
		const char *end = p, *brk = NULL;
		gsize n = 0;

		while (*end && *end != '\n' && n < width) {
			if (*end == ' ')
				brk = end;
			end = g_utf8_next_char(end);
			n++;
		}
		if (*end && *end != '\n' && *end != ' ' && brk)
			end = brk; /* the line is full inside a word: break at its last space */
		g_ptr_array_add(lines, g_strchomp(g_strndup(p, end - p)));
		p = end;
		if (*p == '\n')
			p++;
		else
			while (*p == ' ')
				p++;
	} while (*p);
	return lines;
}

static gsize longest_word(const char *s)
{
	gsize best = 0, n = 0;

	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		n = *p == ' ' || *p == '\n' ? 0 : n + 1;
		best = MAX(best, n);
	}
	return best;
}

static void pad(GString *out, gsize n)
{
	for (gsize i = 0; i < n; i++)
		g_string_append_c(out, ' ');
}

static void format_record(GString *out, GVariant *record, gsize width)
{
	gsize kw = 0, n = g_variant_n_children(record);

	for (gsize i = 0; i < n; i++) {
		const char *k;
		g_variant_get_child(record, i, "(&sv)", &k, NULL);
		kw = MAX(kw, text_width(k));
	}
	/* Keys are short; a long one still leaves its value MIN_WRAP columns. */
	gsize vw = width > kw + 2 + MIN_WRAP ? width - kw - 2 : MIN_WRAP;
	for (gsize i = 0; i < n; i++) {
		const char *k;
		g_autoptr(GVariant) v = NULL;
		g_variant_get_child(record, i, "(&sv)", &k, &v);
		g_autofree char *t = text_of(v);
		g_autoptr(GPtrArray) lines = wrap(t, vw);
		for (guint l = 0; l < lines->len; l++) {
			if (l == 0) {
				g_string_append(out, k);
				pad(out, kw - text_width(k) + 2);
			} else {
				pad(out, kw + 2);
			}
			g_string_append(out, lines->pdata[l]);
			g_string_append_c(out, '\n');
		}
	}
}

typedef struct {
	guint ncol;
	gsize nrow;
	const char **name; /* the columns' names, as in JSON */
	char **cell;       /* nrow * ncol texts */
	gsize *width;      /* widest cell or header of each column */
	gboolean *moved;   /* printed under the row rather than in it */
	guint last;        /* the last column kept in the row */
	gsize last_width;  /* what the last column wraps to */
} Table;

static gboolean column_empty(Table *t, guint j)
{
	for (gsize i = 0; i < t->nrow; i++)
		if (*t->cell[i * t->ncol + j])
			return FALSE;
	return TRUE;
}

/* Whether column a leaves the row before column b: an empty one first (it prints nothing
 * under the rows), then the wider, then the later. */
static gboolean move_before(Table *t, guint a, guint b)
{
	gboolean ea = t->nrow > 0 && column_empty(t, a), eb = t->nrow > 0 && column_empty(t, b);

	if (ea != eb)
		return ea;
	return t->width[a] >= t->width[b];
}

/* Decide which columns stay in the row and how wide the last one is. */
static void table_fit(Table *t, gsize width)
{
	for (;;) {
		gsize total = 0, kept = 0;
		int widest = -1;

		for (guint j = 0; j < t->ncol; j++) {
			if (t->moved[j])
				continue;
			total += t->width[j] + (kept++ ? 2 : 0);
			t->last = j;
			if (j > 0 && (widest < 0 || move_before(t, j, widest)))
				widest = (int)j;
		}
		gsize rest = total - t->width[t->last];
		gsize min_last = MAX(MIN_WRAP, text_width(t->name[t->last]));
		if (total <= width) {
			t->last_width = t->width[t->last];
			return;
		}
		if (rest + min_last <= width || widest < 0) {
			t->last_width = width > rest + 1 ? width - rest : 1;
			return;
		}
		t->moved[widest] = TRUE;
	}
}

static void format_row(GString *out, Table *t, gsize i, gsize width)
{
	char **row = t->cell + i * t->ncol;
	g_autoptr(GPtrArray) last = wrap(row[t->last], t->last_width);
	gsize rest = 0;

	for (guint j = 0; j < t->last; j++) {
		if (t->moved[j])
			continue;
		g_string_append(out, row[j]);
		pad(out, t->width[j] - text_width(row[j]) + 2);
		rest += t->width[j] + 2;
	}
	for (guint l = 0; l < last->len; l++) {
		if (l > 0)
			pad(out, rest);
		g_string_append(out, last->pdata[l]);
		g_string_append_c(out, '\n');
	}
	for (guint j = 0; j < t->ncol; j++) {
		if (!t->moved[j] || !*row[j])
			continue;
		gsize indent = SPILL_INDENT + text_width(t->name[j]) + 2;
		/* A word that would be broken beside the name gets lines of its own. */
		if (indent + MAX(MIN_WRAP, longest_word(row[j])) > width)
			indent = 2 * SPILL_INDENT;
		g_autoptr(GPtrArray) lines = wrap(row[j], width - indent);
		pad(out, SPILL_INDENT);
		g_string_append_printf(out, "%s:", t->name[j]);
		if (indent == 2 * SPILL_INDENT)
			g_string_append_c(out, '\n');
		for (guint l = 0; l < lines->len; l++) {
			if (l > 0 || indent == 2 * SPILL_INDENT)
				pad(out, indent);
			else
				g_string_append_c(out, ' ');
			g_string_append(out, lines->pdata[l]);
			g_string_append_c(out, '\n');
		}
	}
}

static void format_table(GString *out, GVariant *columns, GVariant *rows, gsize width)
{
	Table t = {0};
	g_autofree const char **cols = g_variant_get_strv(columns, NULL);

	t.name = cols;
	t.ncol = g_strv_length((char **)cols);
	t.nrow = g_variant_n_children(rows);
	if (t.ncol == 0)
		return;
	t.cell = g_new0(char *, t.nrow *t.ncol);
	t.width = g_new0(gsize, t.ncol);
	t.moved = g_new0(gboolean, t.ncol);
	for (guint j = 0; j < t.ncol; j++)
		t.width[j] = text_width(cols[j]);
	for (gsize i = 0; i < t.nrow; i++) {
		g_autoptr(GVariant) row = g_variant_get_child_value(rows, i);
		for (guint j = 0; j < t.ncol; j++) {
			char *s = j < g_variant_n_children(row) ? NULL : g_strdup("");
			if (!s) {
				g_autoptr(GVariant) v = g_variant_get_child_value(row, j);
				s = text_of(v);
			}
			t.cell[i * t.ncol + j] = s;
			t.width[j] = MAX(t.width[j], text_width(s));
		}
	}
	table_fit(&t, width);
	for (guint j = 0; j <= t.last; j++) {
		if (t.moved[j])
			continue;
		g_autofree char *up = g_ascii_strup(cols[j], -1);
		g_string_append(out, up);
		if (j < t.last)
			pad(out, t.width[j] - text_width(up) + 2);
	}
	g_string_append_c(out, '\n');
	for (gsize i = 0; i < t.nrow; i++)
		format_row(out, &t, i, width);
	if (t.nrow == 0)
		g_string_append(out, "(none)\n");
	for (gsize i = 0; i < t.nrow * t.ncol; i++)
		g_free(t.cell[i]);
	g_free(t.cell);
	g_free(t.width);
	g_free(t.moved);
}

/* The table cut down to the columns named in keep (those that exist, in keep's order). */
static void keep_columns(GVariant **columns, GVariant **rows, GVariant *keep)
{
	g_autofree const char **cols = g_variant_get_strv(*columns, NULL);
	g_autofree const char **wanted = g_variant_get_strv(keep, NULL);
	g_autoptr(GArray) index = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GVariantBuilder rb;

	for (guint k = 0; wanted[k]; k++)
		for (guint j = 0; cols[j]; j++)
			if (strcmp(wanted[k], cols[j]) == 0) {
				g_array_append_val(index, j);
				g_ptr_array_add(names, (gpointer)cols[j]);
				break;
			}
	g_variant_builder_init(&rb, G_VARIANT_TYPE("aav"));
	for (gsize i = 0; i < g_variant_n_children(*rows); i++) {
		g_autoptr(GVariant) row = g_variant_get_child_value(*rows, i);
		GVariantBuilder b;
		g_variant_builder_init(&b, G_VARIANT_TYPE("av"));
		for (guint k = 0; k < index->len; k++) {
			guint j = g_array_index(index, guint, k);
			g_autoptr(GVariant) v = j < g_variant_n_children(row)
			                            ? g_variant_get_child_value(row, j)
			                            : g_variant_ref_sink(g_variant_new_variant(
			                                  g_variant_new_string("")));
			g_variant_builder_add_value(&b, v);
		}
		g_variant_builder_add(&rb, "av", &b);
	}
	g_variant_unref(*columns);
	g_variant_unref(*rows);
	*columns =
	    g_variant_ref_sink(g_variant_new_strv((const char *const *)names->pdata, names->len));
	*rows = g_variant_ref_sink(g_variant_builder_end(&rb));
}

char *xb_cli_text_format(GVariant *reply, gsize width)
{
	g_autoptr(GVariant) record = g_variant_lookup_value(reply, "record", NULL);
	g_autoptr(GVariant) columns = g_variant_lookup_value(reply, "columns", NULL);
	g_autoptr(GVariant) rows = g_variant_lookup_value(reply, "rows", NULL);
	g_autoptr(GVariant) keep = g_variant_lookup_value(reply, "text_columns", NULL);
	GString *out = g_string_new(NULL);
	const char *s;

	width = MAX(width, XB_CLI_TEXT_MIN_WIDTH);
	if (g_variant_lookup(reply, "message", "&s", &s)) {
		g_string_append(out, s);
		g_string_append_c(out, '\n');
	}
	if (record)
		format_record(out, record, width);
	if (columns && rows && keep)
		keep_columns(&columns, &rows, keep);
	if (columns && rows)
		format_table(out, columns, rows, width);
	return g_string_free(out, FALSE);
}
