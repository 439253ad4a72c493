/* mwi_cli.c: `crossbar-cli voicemail subscriptions [EXT]`: the live message-waiting
 * subscriptions, by box, with the flow their NOTIFYs go to and the seconds they have left.
 * The text table fits 80 columns; --json adds the dialog's Call-ID, Contact and CSeqs. */
#include "mwi_private.h"

#include <string.h>

static gint by_box(gconstpointer a, gconstpointer b)
{
	const MwiSub *x = *(const MwiSub *const *)a, *y = *(const MwiSub *const *)b;
	int c = strcmp(x->box, y->box);

	return c ? c : (x->expires_at > y->expires_at) - (x->expires_at < y->expires_at);
}

static gboolean cmd_subscriptions(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GPtrArray) all = mwi_subscriptions();
	gint64 now = xb_clock_wall_s();

	if (argc > 1) {
		xb_cli_reply_error(r, "usage: voicemail subscriptions [EXT]");
		return FALSE;
	}
	g_ptr_array_sort(all, by_box);
	xb_cli_reply_columns(r, "box", "source", "expires_in", "notify_cseq", NULL);
	for (guint i = 0; i < all->len; i++) {
		const MwiSub *s = all->pdata[i];
		if (argc == 1 && strcmp(argv[0], s->box) != 0)
			continue;
		xb_cli_reply_row(r, "box", g_variant_new_string(s->box), "source",
		                 g_variant_new_string(s->source), "expires_in",
		                 g_variant_new_int64(MAX(s->expires_at - now, 0)), "notify_cseq",
		                 g_variant_new_uint32(s->local_cseq), "call_id",
		                 g_variant_new_string(s->call_id), "contact",
		                 g_variant_new_string(s->target), "subscribe_cseq",
		                 g_variant_new_uint32(s->remote_cseq), NULL);
	}
	xb_cli_reply_text_columns(r, "box", "source", "expires_in", "notify_cseq", NULL);
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"voicemail subscriptions", "[EXT]",
     "message-waiting subscriptions: box, where NOTIFYs go, seconds left", cmd_subscriptions},
    XB_CLI_END,
};

void mwi_cli_register(XbModule *module)
{
	xb_cli_register(module, commands, NULL);
}
