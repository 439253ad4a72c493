/* mod_mediatest.c: a test module that makes bridged media without SIP, so that the media
 * benchmark (tests/bench/bench_media.sh) measures the engine alone. A pair is two endpoints
 * of the media engine on one worker, each with its far end set and joined to the other:
 * what side A sends to the first port comes out of the second to side B, and back.
 * Commands: `mediatest` (the pairs held), `mediatest pair IP PORT_A PORT_B [PORT_A PORT_B]...`
 * (one pair for each two ports, bound to IP, whose far ends are IP:PORT_A and IP:PORT_B; it
 * replies with crossbar's two ports of each pair, in order) and `mediatest clear` (ends
 * every pair). Not for production: anyone with the control socket may relay anywhere. */
#include <crossbar/crossbar.h>

#include <stdlib.h>

typedef struct {
	GPtrArray *endpoints; /* XbMediaEndpoint *, two a pair */
} MediaTest;

static gboolean cmd_list(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	MediaTest *mt = user_data;

	xb_cli_reply_columns(r, "port_a", "port_b", NULL);
	for (guint i = 0; i + 1 < mt->endpoints->len; i += 2)
		xb_cli_reply_row(
		    r, "port_a",
		    g_variant_new_int64(xb_media_endpoint_port(mt->endpoints->pdata[i])), "port_b",
		    g_variant_new_int64(xb_media_endpoint_port(mt->endpoints->pdata[i + 1])), NULL);
	return TRUE;
}

/* A port number of the command line, or 0. */
static guint16 port_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v > 0 && v < 65536 ? (guint16)v : 0;
}

static gboolean cmd_pair(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	MediaTest *mt = user_data;
	g_autoptr(GInetAddress) ip = argc > 0 ? g_inet_address_new_from_string(argv[0]) : NULL;

	if (!ip || argc < 3 || argc % 2 == 0) {
		xb_cli_reply_error(r, "usage: mediatest pair IP PORT_A PORT_B [PORT_A PORT_B]...");
		return FALSE;
	}
	for (int i = 1; i < argc; i++)
		if (!port_arg(argv[i])) {
			xb_cli_reply_error(r, "mediatest pair: '%s' is not a port", argv[i]);
			return FALSE;
		}
	xb_cli_reply_columns(r, "port_a", "port_b", NULL);
	for (int i = 1; i < argc; i += 2) {
		g_autoptr(GError) error = NULL;
		XbMediaEndpoint *a = xb_media_endpoint_new(argv[0], NULL, NULL, NULL, &error);
		XbMediaEndpoint *b =
		    a ? xb_media_endpoint_new(argv[0], a, NULL, NULL, &error) : NULL;
		if (!b) {
			xb_media_endpoint_unref(a);
			xb_cli_reply_error(r, "mediatest pair: %s", error->message);
			return FALSE;
		}
		xb_media_endpoint_set_remote(a, argv[0], port_arg(argv[i]));
		xb_media_endpoint_set_remote(b, argv[0], port_arg(argv[i + 1]));
		xb_media_join(a, b);
		g_ptr_array_add(mt->endpoints, a);
		g_ptr_array_add(mt->endpoints, b);
		xb_cli_reply_row(r, "port_a", g_variant_new_int64(xb_media_endpoint_port(a)),
		                 "port_b", g_variant_new_int64(xb_media_endpoint_port(b)), NULL);
	}
	return TRUE;
}

static gboolean cmd_clear(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	MediaTest *mt = user_data;
	guint n = mt->endpoints->len / 2;

	g_ptr_array_set_size(mt->endpoints, 0);
	xb_cli_reply_message(r, "%u pairs ended", n);
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"mediatest", "", "bridged endpoint pairs (test module)", cmd_list},
    {"mediatest pair", "IP PORT_A PORT_B [PORT_A PORT_B]...",
     "bridged endpoint pairs relaying between IP:PORT_A and IP:PORT_B (test module)", cmd_pair},
    {"mediatest clear", "", "end every pair (test module)", cmd_clear},
    XB_CLI_END,
};

static gboolean mediatest_load(XbModule *self, GError **error)
{
	MediaTest *mt = g_new0(MediaTest, 1);

	mt->endpoints = g_ptr_array_new_with_free_func((GDestroyNotify)xb_media_endpoint_unref);
	xb_module_set_data(self, mt);
	xb_cli_register(self, commands, mt);
	return TRUE;
}

static void mediatest_unload(XbModule *self)
{
	MediaTest *mt = xb_module_get_data(self);

	g_ptr_array_unref(mt->endpoints);
	g_free(mt);
}

static const char *const command_names[] = {"mediatest", "mediatest pair", "mediatest clear", NULL};

XB_MODULE_DEFINE(.name = "mediatest", .version = "1.0",
                 .description = "test: bridged media endpoint pairs without SIP",
                 .commands = command_names, .load = mediatest_load, .unload = mediatest_unload);
