/* mod_example.c: a third-party crossbar module, built out of tree against the installed
 * headers and crossbar.pc. It shows the whole shape of a module: a descriptor with a
 * settings section and a requirement, a control command, a dialplan application, an event
 * listener, and a SIP method of its own taken over through mod_sip's API table: MESSAGE
 * (RFC 3428), whose text it keeps and shows. */
#include <crossbar/crossbar.h>
#include <crossbar/sip.h>

#include <string.h>

static const XbSettingDef settings[] = {
    {.name = "greeting",
     .type = XB_SETTING_STRING,
     .def = "Hello",
     .help = "the word the example greets with"},
    XB_SETTINGS_END,
};

/* The module's own error domain, for what its load reports. */
#define EXAMPLE_ERROR (example_error_quark())
static GQuark example_error_quark(void)
{
	return g_quark_from_static_string("example-error-quark");
}

enum { EXAMPLE_ERROR_SIP_API, EXAMPLE_ERROR_METHOD_TAKEN };

typedef struct {
	const SipApi *sip;
	guint reloads;
	guint subscription;
	guint messages;
	char *last_from; /* the From URI of the last MESSAGE */
	char *last_text; /* and its text */
} Example;

/* crossbar-cli example hello [NAME] */
static gboolean cmd_hello(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	Example *ex = user_data;

	xb_cli_reply_field(r, "greeting",
	                   g_variant_new_take_string(
	                       g_strdup_printf("%s, %s!", xb_config_get_string("example.greeting"),
	                                       argc > 0 ? argv[0] : "world")));
	xb_cli_reply_field(r, "reloads_seen", g_variant_new_int64(ex->reloads));
	xb_cli_reply_field(r, "messages_seen", g_variant_new_int64(ex->messages));
	if (ex->last_text) {
		xb_cli_reply_field(r, "last_message_from", g_variant_new_string(ex->last_from));
		xb_cli_reply_field(r, "last_message", g_variant_new_string(ex->last_text));
	}
	return TRUE;
}

/* A MESSAGE outside a dialog (RFC 3428 §7): text/plain is kept and answered 200; another type
 * is refused with 415 and the type we accept (RFC 3261 §21.4.13). */
static gboolean message_cb(SipServerReq *req, void *user_data)
{
	Example *ex = user_data;
	const struct sip_msg *msg = ex->sip->req_msg(req);
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;
	g_autofree char *source = sip_peer_to_string(ex->sip->req_peer(req));

	if (!h || sip_ctype_parse(&ct, &h->val) < 0 || !sip_pl_caseeq(&ct.type, "text") ||
	    !sip_pl_caseeq(&ct.subtype, "plain")) {
		SipResponse unsupported = {.status = 415, .headers = "Accept: text/plain\r\n"};
		return ex->sip->req_respond(req, &unsupported) == 0;
	}
	g_free(ex->last_from);
	g_free(ex->last_text);
	ex->last_from = g_strndup(msg->from.uri.p, msg->from.uri.l);
	ex->last_text = g_utf8_make_valid(msg->body.p, (gssize)msg->body.l);
	ex->messages++;
	g_message("MESSAGE from %s (%s): %s", ex->last_from, source, ex->last_text);
	return ex->sip->req_respond(req, &(SipResponse){.status = 200}) == 0;
}

static const XbCliCommand commands[] = {
    {"example hello", "[NAME]", "greet from the example module", cmd_hello},
    XB_CLI_END,
};

/* <action application="example_greet" data="NAME"/>: sets ${greeting} on the channel. */
static int app_greet(XbChannel *ch, const char *data, gpointer user_data)
{
	g_autofree char *text = g_strdup_printf("%s, %s", xb_config_get_string("example.greeting"),
	                                        *data ? data : "caller");
	xb_channel_set_var(ch, "greeting", text);
	return 0;
}

static const XbApp apps[] = {
    {"example_greet", "NAME", "set ${greeting} to a greeting for NAME", app_greet},
    XB_APPS_END,
};

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	Example *ex = user_data;

	ex->reloads++;
	g_message("configuration reloaded; greeting is now '%s'",
	          xb_config_get_string("example.greeting"));
}

static gboolean example_load(XbModule *self, GError **error)
{
	Example *ex = g_new0(Example, 1);

	ex->sip = xb_api_get(SIP_API_NAME);
	if (!ex->sip || ex->sip->version != SIP_API_VERSION) {
		g_set_error(error, EXAMPLE_ERROR, EXAMPLE_ERROR_SIP_API,
		            "mod_sip's API is version %d; this module was built for %d",
		            ex->sip ? ex->sip->version : 0, SIP_API_VERSION);
		g_free(ex);
		return FALSE;
	}
	if (!ex->sip->method_register(self, "MESSAGE", message_cb, ex)) {
		g_set_error(error, EXAMPLE_ERROR, EXAMPLE_ERROR_METHOD_TAKEN,
		            "another module answers MESSAGE already");
		g_free(ex);
		return FALSE;
	}
	xb_module_set_data(self, ex);
	xb_cli_register(self, commands, ex);
	xb_app_register(self, apps, ex);
	ex->subscription = xb_event_subscribe(self, XB_EVENT_CONFIG_RELOADED, reloaded_cb, ex);
	return TRUE;
}

static void example_unload(XbModule *self)
{
	/* Commands, applications, subscriptions and the SIP method go with the module; its
	 * memory is ours. */
	Example *ex = xb_module_get_data(self);

	g_free(ex->last_from);
	g_free(ex->last_text);
	g_free(ex);
}

static const char *const requires[] = {"sip", NULL};
/* Declared, so that `crossbar --check-config` knows a plan naming it is fine. */
static const char *const applications[] = {"example_greet", NULL};

static const char *const command_names[] = {"example hello", NULL};

XB_MODULE_DEFINE(.name = "example", .version = "1.0.0",
                 .description = "out-of-tree example: a command, an application, MESSAGE",
                 .requires = requires, .settings = settings, .applications = applications,
                 .commands = command_names, .load = example_load, .unload = example_unload);
