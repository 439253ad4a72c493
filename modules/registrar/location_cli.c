/* location_cli.c: `crossbar-cli registrations`: every live binding with its source flow
 * and the seconds it has left. */
#include "registrar.h"

static gboolean cmd_registrations(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	Registrar *reg = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) all = location_all(reg->location, &error);
	gint64 now = xb_clock_wall_s();

	if (!all) {
		xb_cli_reply_error(r, "location: %s", error->message);
		return FALSE;
	}
	xb_cli_reply_columns(r, "ext", "contact", "source", "expires_in", "user_agent", NULL);
	for (guint i = 0; i < all->len; i++) {
		Binding *b = all->pdata[i];
		if (argc > 0 && g_strcmp0(argv[0], b->ext) != 0)
			continue;
		xb_cli_reply_row(r, "ext", g_variant_new_string(b->ext), "contact",
		                 g_variant_new_string(b->contact), "source",
		                 g_variant_new_string(b->source), "expires_in",
		                 g_variant_new_int64(MAX(b->expires_at - now, 0)), "user_agent",
		                 g_variant_new_string(b->user_agent), NULL);
	}
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"registrations", "[EXT]", "registered contacts and where they came from", cmd_registrations},
    XB_CLI_END,
};

void location_cli_register(Registrar *reg)
{
	xb_cli_register(reg->module, commands, reg);
}
