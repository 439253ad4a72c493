/* channel_cli.c: the operator's view of calls: `calls` (every live leg, the A-leg first and
 * the leg bridged to it beside it), `hangup UUID` and `originate TARGET EXTENSION`. A uuid may
 * be given by any unique prefix, as `calls` prints eight characters of it. */
#include "channel_private.h"

#include <string.h>

/* The live channel whose uuid starts with prefix, or NULL with *ambiguous set when several do. */
static XbChannel *find_prefix(const char *prefix, gboolean *ambiguous)
{
	g_autoptr(GPtrArray) all = xb_channel_list();
	XbChannel *found = NULL;

	*ambiguous = FALSE;
	for (guint i = 0; i < all->len; i++) {
		XbChannel *ch = all->pdata[i];
		if (!g_str_has_prefix(ch->uuid, prefix))
			continue;
		if (found) {
			*ambiguous = TRUE;
			return NULL;
		}
		found = ch;
	}
	return found ? xb_channel_ref(found) : NULL;
}

static char *short_uuid(const XbChannel *ch)
{
	return ch ? g_strndup(ch->uuid, 8) : g_strdup("");
}

static void add_row(XbCliReply *r, XbChannel *ch, gint64 now)
{
	g_autofree char *id = short_uuid(ch);
	g_autofree char *peer = short_uuid(ch->partner);
	gint64 since = ch->answered_us ? ch->answered_us : ch->created_us;
	const char *from = xb_channel_get_var(ch, "caller_id_number");
	const char *to = xb_channel_get_var(ch, "destination_number");

	xb_cli_reply_row(
	    r, "uuid", g_variant_new_string(id), "dir",
	    g_variant_new_string(ch->direction == XB_CHANNEL_INBOUND ? "in" : "out"), "from",
	    g_variant_new_string(from ? from : ""), "to", g_variant_new_string(to ? to : ""),
	    "state", g_variant_new_string(xb_channel_state_name(ch->state)), "bridged",
	    g_variant_new_string(peer), "secs", g_variant_new_int64((now - since) / G_USEC_PER_SEC),
	    "channel", g_variant_new_string(ch->name), NULL);
}

static gboolean cmd_calls(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GPtrArray) all = xb_channel_list();
	g_autoptr(GHashTable) shown = g_hash_table_new(NULL, NULL);
	gint64 now = g_get_real_time();

	xb_cli_reply_columns(r, "uuid", "dir", "from", "to", "state", "bridged", "secs", "channel",
	                     NULL);
	for (guint i = 0; i < all->len; i++) {
		XbChannel *ch = all->pdata[i];
		if (g_hash_table_contains(shown, ch))
			continue;
		add_row(r, ch, now);
		g_hash_table_add(shown, ch);
		/* The leg bridged to it, or the legs it rings, right after it. */
		for (guint j = i + 1; j < all->len; j++) {
			XbChannel *other = all->pdata[j];
			const char *origin = xb_channel_get_var(other, "originator_uuid");
			if (g_hash_table_contains(shown, other))
				continue;
			if (other == ch->partner || !g_strcmp0(origin, ch->uuid)) {
				add_row(r, other, now);
				g_hash_table_add(shown, other);
			}
		}
	}
	return TRUE;
}

static gboolean cmd_hangup(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	gboolean ambiguous;
	g_autoptr(XbChannel) ch = NULL;
	XbCause cause = XB_CAUSE_NORMAL_CLEARING;

	if (argc < 1 || argc > 2) {
		xb_cli_reply_error(r, "usage: hangup UUID [CAUSE]");
		return FALSE;
	}
	if (argc == 2 && !(cause = xb_cause_from_name(argv[1]))) {
		xb_cli_reply_error(r, "hangup: unknown cause '%s' (NORMAL_CLEARING, USER_BUSY ...)",
		                   argv[1]);
		return FALSE;
	}
	ch = find_prefix(argv[0], &ambiguous);
	if (!ch) {
		xb_cli_reply_error(r,
		                   ambiguous ? "hangup: several calls start with '%s'; give more"
		                             : "hangup: no call '%s' (see 'calls')",
		                   argv[0]);
		return FALSE;
	}
	xb_channel_hangup(ch, cause, 0);
	xb_cli_reply_message(r, "hung up %s (%s)", ch->name, xb_cause_name(cause));
	return TRUE;
}

/* originate: the placed leg, once answered, is routed to an extension like an incoming call. */
typedef struct {
	char *extension;
	char *context;
} Originated;

static void originated_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Originated *o = user_data;

	if (ev->type == XB_CHANNEL_EV_ANSWERED) {
		xb_channel_set_controller(ch, NULL, NULL);
		xb_channel_set_var(ch, "destination_number", o->extension);
		xb_channel_set_var(ch, "context", o->context);
		g_free(o->extension);
		g_free(o->context);
		g_free(o);
		xb_channel_route(ch);
		return;
	}
	if (ev->type == XB_CHANNEL_EV_HANGUP) {
		xb_info("originate to %s: %s", xb_channel_name(ch), xb_cause_name(ch->cause));
		g_free(o->extension);
		g_free(o->context);
		g_free(o);
		return;
	}
	if (ev->type == XB_CHANNEL_EV_REQUEST)
		xb_channel_request_reply(ch, ev->request,
		                         ev->kind == XB_CHANNEL_REQ_REOFFER ? 488 : 200, NULL);
}

static gboolean cmd_originate(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	const char *context = xb_cli_option(argc, argv, "--context");
	const char *cid = xb_cli_option(argc, argv, "--caller-id");
	g_autoptr(GPtrArray) legs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)xb_channel_unref);
	g_autoptr(GError) error = NULL;
	const XbChannelDriver *driver;

	if (argc < 2 || argv[0][0] == '-' || argv[1][0] == '-') {
		xb_cli_reply_error(r, "usage: originate TARGET EXTENSION [--context C] "
		                      "[--caller-id NUMBER]");
		return FALSE;
	}
	driver = xb_channel_driver_for(argv[0]);
	if (!driver) {
		xb_cli_reply_error(r,
		                   "originate: no channel driver places '%s' (sip:URI, "
		                   "user/EXT, gateway/NAME/NUMBER)",
		                   argv[0]);
		return FALSE;
	}
	XbOriginate params = {
	    .caller_id_number = cid ? cid : argv[1],
	    .caller_id_name = "crossbar",
	    .max_forwards = 70,
	};
	if (!driver->originate(argv[0], &params, legs, &error)) {
		xb_cli_reply_error(r, "originate %s: %s", argv[0],
		                   error ? error->message : "failed");
		return FALSE;
	}
	for (guint i = 0; i < legs->len; i++) {
		XbChannel *ch = legs->pdata[i];
		Originated *o = g_new0(Originated, 1);
		o->extension = g_strdup(argv[1]);
		o->context = g_strdup(context ? context : "default");
		xb_channel_set_var(ch, "caller_id_number", cid ? cid : argv[1]);
		xb_channel_set_controller(ch, originated_event, o);
		xb_cli_reply_row(r, "uuid", g_variant_new_string(ch->uuid), "channel",
		                 g_variant_new_string(ch->name), NULL);
	}
	return TRUE;
}

const XbCliCommand xb_channel_cli[] = {
    {"calls", "", "live calls: each leg, the legs bridged side by side", cmd_calls},
    {"hangup", "UUID [CAUSE]", "end a call leg (a uuid prefix will do)", cmd_hangup},
    {"originate", "TARGET EXTENSION [--context C] [--caller-id N]",
     "call TARGET; once answered, route it to EXTENSION", cmd_originate},
    XB_CLI_END,
};

void xb_channel_cli_register(void)
{
	xb_cli_register(NULL, xb_channel_cli, NULL);
}
