/* modules/sip/gateway_cli.c: `crossbar-cli gateways [NAME]`: each carrier trunk with
 * its proxy, registration state, ping state, seconds left, next retry and last error; and
 * `gateway show NAME`: one trunk's address in use and the targets its DNS look-up found. It
 * only reads; it never starts or stops a registration or a look-up. */
#include "gateway.h"

static gboolean cmd_gateways(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	gateways_report(user_data, r, argc > 0 ? argv[0] : NULL);
	return TRUE;
}

static gboolean cmd_gateway_show(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	if (argc != 1) {
		xb_cli_reply_error(r, "usage: gateway show NAME");
		return FALSE;
	}
	return gateways_show(user_data, r, argv[0]);
}

static const XbCliCommand commands[] = {
    {"gateways", "[NAME]", "carrier trunks: registration state, ping, last error", cmd_gateways},
    {"gateway show", "NAME", "one carrier trunk: its address in use and its DNS (SRV) targets",
     cmd_gateway_show},
    XB_CLI_END,
};

void gateway_cli_register(XbModule *module, Gateways *gws)
{
	xb_cli_register(module, commands, gws);
}
