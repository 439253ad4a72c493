/* gateway.h: the "gateways" API table mod_sip publishes for other modules (the B2BUA): a
 * carrier trunk's address and credentials by name, to place calls through it and answer
 * its 401/407 (SipRequest.credentials of mod_sip's request_send and call_place). A module that uses
 * it lists "sip" in its requires. Read-only: nothing here changes a gateway or its registration. */
#pragma once

#include <crossbar/sip.h>

#define XB_GATEWAY_API         "gateways"
#define XB_GATEWAY_API_VERSION 2

/* A copy of one gateway's definition and state; free with the table's free_gateway. */
typedef struct {
	char *name;
	char *proxy;         /* as configured: "127.0.0.1:5090", "sip.carrier.example" */
	SipPeer *peer;       /* where requests to it go: the literal address, or the last address
	                      * a host name resolved to (NULL until a registration or ping
	                      * looked it up) */
	char *username;      /* the account (From user by default, Contact user) */
	char *auth_username; /* the digest user name (defaults to username) */
	char *realm;         /* "" answers any realm */
	SipCredentials *credentials; /* answer its 401/407 with these; NULL without a password */
	char *from_user;             /* From/To user of its requests */
	char *from_domain;           /* From/To host of its requests (default: the proxy) */
	gboolean registered;         /* a registration of ours is in force */
	gboolean up;                 /* FALSE once an OPTIONS ping timed out (TRUE without pings) */
} XbGateway;

typedef struct {
	int version; /* XB_GATEWAY_API_VERSION */
	/* NULL when no gateway has that name. */
	XbGateway *(*lookup)(const char *name);
	void (*free_gateway)(XbGateway *gw);
	/* The names of every configured gateway (g_strfreev). */
	char **(*names)(void);
} XbGatewayApi;
