/* location.h: the location service, as other modules see it. mod_registrar publishes this
 * table as "location"; the B2BUA's `bridge user/EXT` asks it where an extension is
 * registered, and sends each INVITE along the flow the REGISTER came in on. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XB_LOCATION_API         "location"
#define XB_LOCATION_API_VERSION 1

typedef struct {
	char *contact;     /* the registered Contact URI */
	char *path;        /* Path values (RFC 3327), comma-separated, "" when none */
	char *source;      /* the flow the REGISTER came on: "udp:192.0.2.1:5060" */
	guint64 conn_id;   /* its TCP/TLS connection in mod_sip, 0 for none */
	gint64 expires_in; /* seconds left */
	int q;             /* q-value x 1000, -1 when absent */
} XbContact;

typedef struct {
	int version; /* XB_LOCATION_API_VERSION */
	/* The live contacts of an extension (XbContact *), best first; free with
	 * g_ptr_array_unref. Empty when it is not registered. */
	GPtrArray *(*lookup)(const char *ext);
} XbLocationApi;

G_END_DECLS
