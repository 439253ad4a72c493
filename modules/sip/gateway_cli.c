/* modules/sip/gateway_cli.c: `crossbar-cli gateways [NAME]`: each carrier trunk with
 * its proxy, registration state, ping state, seconds left, next retry and last error. It
 * only reads; it never starts or stops a registration. */
#include "gateway.h"

static gboolean cmd_gateways(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	gateways_report(user_data, r, argc > 0 ? argv[0] : NULL);
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"gateways", "[NAME]", "carrier trunks: registration state, ping, last error", cmd_gateways},
    XB_CLI_END,
};

void gateway_cli_register(XbModule *module, Gateways *gws)
{
	xb_cli_register(module, commands, gws);
}
