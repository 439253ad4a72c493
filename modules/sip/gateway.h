/* modules/sip/gateway.h: carrier trunks ("gateways") of mod_sip, private to modules/sip/:
 * their definitions from <gateways> (gateway_config.c), the UAC registration and OPTIONS
 * ping of each (gateway.c), and the `gateways` and `gateway show` commands
 * (gateway_cli.c). Nothing here places
 * calls; calls go through a gateway by its name, address and credentials (gateways_lookup,
 * or the "gateways" API table of crossbar/gateway.h for other modules). */
#pragma once

#include <crossbar/crossbar.h>
#include <crossbar/gateway.h>

#include "gateway_proxy.h"

/* One <gateway>, validated. */
typedef struct {
	char *name;
	char *proxy;       /* as written */
	GatewayProxy dest; /* parsed; dest.peer is complete only for a literal address */
	char *username, *auth_username, *password, *realm;
	char *from_user, *from_domain;
	gboolean reg;
	guint expiry;         /* s asked for */
	guint retry_interval; /* s: the first retry after a failure; doubles up to a cap */
	guint ping;           /* s between OPTIONS pings, 0: none */
	long line;
	gboolean caller_id_in_from; /* calls: the From user is the caller's number */
	char *context;              /* calls from it are routed in this dialplan context */
} GatewayDef;

void gateway_def_free(GatewayDef *def);
gboolean gateway_def_equal(const GatewayDef *a, const GatewayDef *b);
/* Every <gateway> of the current configuration (GatewayDef, owned), or NULL with error
 * naming the file, line, gateway and parameter at fault. */
GPtrArray *gateway_defs_from_config(GError **error);

typedef struct gateways Gateways;

/* Reads the definitions and starts registering; FALSE with error on a bad <gateways>. */
Gateways *gateways_new(XbModule *module, const SipApi *sip, GError **error);
/* Apply the current configuration: new gateways start, removed ones unregister, changed
 * ones unregister and start again. A bad <gateways> changes nothing (logged). */
void gateways_reload(Gateways *gws);
/* Unregister everything registered and wait (running the main context, at most about two
 * seconds: this is shutdown) for the answers, then free. */
void gateways_free(Gateways *gws);
void gateway_cli_register(XbModule *module, Gateways *gws);
/* The rows of `gateways` (only `name`'s when not NULL), for gateway_cli.c. */
void gateways_report(Gateways *gws, XbCliReply *reply, const char *name);
/* `gateway show NAME`: where the gateway is now, what its look-up asked, and the targets it
 * found; FALSE (an error in reply) when there is no such gateway. */
gboolean gateways_show(Gateways *gws, XbCliReply *reply, const char *name);
/* For calls through a gateway (sip_channel.c): its definition, valid until the next reload
 * or the module's unload (copy what outlives the caller), where its requests go now into
 * *peer (addr_len 0 while a host name was never looked up), and into *targets (a reference,
 * or NULL) the targets its last successful look-up found, which a call walks after *peer
 * when that fails (RFC 3263 §4.3). NULL when there is none by that name. */
const GatewayDef *gateways_find(Gateways *gws, const char *name, SipFlow *peer,
                                GatewayTargets **targets);
/* The gateway a request from `from` came from: the one whose address (the literal proxy,
 * or what its host name last resolved to) is from's IP address, whatever the port (a
 * carrier sends from ports of its own). NULL when none is. */
const GatewayDef *gateways_find_source(Gateways *gws, const SipFlow *from);
/* The API table's functions. */
XbGateway *gateways_lookup(Gateways *gws, const char *name);
char **gateways_names(Gateways *gws);
void xb_gateway_free(XbGateway *gw);
