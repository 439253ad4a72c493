/* test_cli_text.c: crossbar-cli's text layout. Every line fits the width, nothing is cut,
 * a table that fits keeps one line per row, and one that does not moves its widest
 * column under the row and wraps its last column at spaces. */
#include "core/cli_text.h"

#include <string.h>

static GVariant *table(const char *const *cols, const char *const *cells, guint nrow)
{
	GVariantBuilder b, rows;
	guint ncol = g_strv_length((char **)cols);

	g_variant_builder_init(&rows, G_VARIANT_TYPE("aav"));
	for (guint i = 0; i < nrow; i++) {
		GVariantBuilder row;
		g_variant_builder_init(&row, G_VARIANT_TYPE("av"));
		for (guint j = 0; j < ncol; j++)
			g_variant_builder_add(&row, "v", g_variant_new_string(cells[i * ncol + j]));
		g_variant_builder_add(&rows, "av", &row);
	}
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "ok", g_variant_new_boolean(TRUE));
	g_variant_builder_add(&b, "{sv}", "columns", g_variant_new_strv(cols, -1));
	g_variant_builder_add(&b, "{sv}", "rows", g_variant_builder_end(&rows));
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void assert_fits(const char *text, gsize width)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint i = 0; lines[i]; i++)
		if (g_utf8_strlen(lines[i], -1) > (glong)width)
			g_error("line %u is %ld characters wide (over %zu): '%s'", i + 1,
			        g_utf8_strlen(lines[i], -1), width, lines[i]);
}

/* The words of text, joined by single spaces: what is left when wrapping is undone. */
static char *words(const char *text)
{
	g_auto(GStrv) w = g_strsplit_set(text, " \n", -1);
	GString *out = g_string_new(NULL);

	for (guint i = 0; w[i]; i++)
		if (*w[i])
			g_string_append_printf(out, "%s%s", out->len ? " " : "", w[i]);
	return g_string_free(out, FALSE);
}

static void test_narrow_table_unchanged(void)
{
	const char *cols[] = {"ext", "name", NULL};
	const char *cells[] = {"1000", "Alice", "1001", "Bob"};
	g_autoptr(GVariant) r = table(cols, cells, 2);
	g_autofree char *text = xb_cli_text_format(r, 80);

	g_assert_cmpstr(text, ==, "EXT   NAME\n1000  Alice\n1001  Bob\n");
}

static void test_empty_table_says_none(void)
{
	const char *cols[] = {"ext", "name", NULL};
	g_autoptr(GVariant) r = table(cols, NULL, 0);
	g_autofree char *text = xb_cli_text_format(r, 80);

	g_assert_cmpstr(text, ==, "EXT  NAME\n(none)\n");
}

static void test_help_usage_moves_under_the_row(void)
{
	const char *cols[] = {"command", "usage", "module", "help", NULL};
	const char *cells[] = {
	    "user add",
	    "EXT --password P [--name N] [--pin PIN] [--context C] [--caller-id X] "
	    "[--email E] [--max-contacts N] [--turn-password T]",
	    "registrar",
	    "add a user to the directory",
	    "turn",
	    "",
	    "turn",
	    "TURN allocations: user, client, relayed address, lifetime left, bytes each way",
	};
	g_autoptr(GVariant) r = table(cols, cells, 2);
	g_autofree char *text = xb_cli_text_format(r, 80);
	g_autofree char *all = words(text);

	assert_fits(text, 80);
	g_assert_true(g_str_has_prefix(text, "COMMAND   MODULE     HELP\n"
	                                     "user add  registrar  add a user to the directory\n"
	                                     "  usage: EXT --password P"));
	/* an empty moved cell prints no line; the long help wraps under its column */
	g_assert_null(strstr(text, "usage: \n"));
	g_assert_nonnull(strstr(all, cells[1]));
	g_assert_nonnull(strstr(all, cells[7]));
}

static void test_long_word_gets_a_line_of_its_own(void)
{
	const char *cols[] = {"ext", "contact", "source", "expires_in", "user_agent", NULL};
	const char *contact =
	    "sip:2000@127.0.0.1:6001;transport=udp;line=0123456789abcdef0123456789abcdef";
	const char *cells[] = {"2000", contact, "udp:127.0.0.1:24999", "600",
	                       "A Very Long User Agent String/12.34.56 (x86_64; Linux)"};
	g_autoptr(GVariant) r = table(cols, cells, 1);
	g_autofree char *text = xb_cli_text_format(r, 80);

	assert_fits(text, 80);
	g_assert_nonnull(strstr(text, "\n  contact:\n    sip:2000@"));
	g_assert_nonnull(strstr(text, contact)); /* whole, on one line */
}

static void test_every_width_fits_and_keeps_every_word(void)
{
	const char *cols[] = {
	    "user",        "transport", "client",        "relayed",         "lifetime_left",
	    "permissions", "channels",  "bytes_to_peer", "bytes_to_client", NULL};
	const char *cells[] = {"alice-with-a-long-turn-name",
	                       "udp",
	                       "127.0.0.1:40000",
	                       "127.0.0.1:50000",
	                       "599",
	                       "1",
	                       "1",
	                       "123456789",
	                       "987654321"};
	g_autoptr(GVariant) r = table(cols, cells, 1);

	for (gsize w = XB_CLI_TEXT_MIN_WIDTH; w <= 200; w++) {
		g_autofree char *text = xb_cli_text_format(r, w);
		assert_fits(text, w);
		for (guint j = 0; j < G_N_ELEMENTS(cells); j++)
			g_assert_nonnull(strstr(text, cells[j]));
	}
}

static void test_record_wraps_its_values(void)
{
	GVariantBuilder b, rec;
	const char *usage = "user add EXT --password P [--name N] [--pin PIN] [--context C] "
	                    "[--caller-id X] [--email E] [--max-contacts N] [--turn-password T]";

	g_variant_builder_init(&rec, G_VARIANT_TYPE("a(sv)"));
	g_variant_builder_add(&rec, "(sv)", "command", g_variant_new_string("user add"));
	g_variant_builder_add(&rec, "(sv)", "usage", g_variant_new_string(usage));
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "record", g_variant_builder_end(&rec));
	g_autoptr(GVariant) r = g_variant_ref_sink(g_variant_builder_end(&b));
	g_autofree char *text = xb_cli_text_format(r, 80);
	g_autofree char *all = words(text);

	assert_fits(text, 80);
	g_assert_true(g_str_has_prefix(text, "command  user add\nusage    user add EXT"));
	g_assert_nonnull(strstr(text, "\n         [--caller-id X]"));
	g_assert_nonnull(strstr(all, usage));
}

/* text_columns: the text keeps the columns named, in their order; the others are --json's. */
static void test_text_columns_choose_what_text_shows(void)
{
	const char *cols[] = {"uuid", "caller_id_number", "from", "secs", NULL};
	const char *cells[] = {"0f4c", "1000", "1000", "12", "77aa", "1001", "1001", "3"};
	g_autoptr(GVariant) full = table(cols, cells, 2);
	GVariantDict d;
	const char *keep[] = {"from", "secs", "nonexistent", NULL};

	g_variant_dict_init(&d, full);
	g_variant_dict_insert_value(&d, "text_columns", g_variant_new_strv(keep, -1));
	g_autoptr(GVariant) r = g_variant_ref_sink(g_variant_dict_end(&d));
	g_autofree char *text = xb_cli_text_format(r, 80);

	g_assert_cmpstr(text, ==, "FROM  SECS\n1000  12\n1001  3\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/text/narrow-table-unchanged", test_narrow_table_unchanged);
	g_test_add_func("/cli/text/empty-table-says-none", test_empty_table_says_none);
	g_test_add_func("/cli/text/help-usage-moves-under-the-row",
	                test_help_usage_moves_under_the_row);
	g_test_add_func("/cli/text/long-word-gets-a-line-of-its-own",
	                test_long_word_gets_a_line_of_its_own);
	g_test_add_func("/cli/text/every-width-fits-and-keeps-every-word",
	                test_every_width_fits_and_keeps_every_word);
	g_test_add_func("/cli/text/record-wraps-its-values", test_record_wraps_its_values);
	g_test_add_func("/cli/text/text-columns-choose-what-text-shows",
	                test_text_columns_choose_what_text_shows);
	return g_test_run();
}
