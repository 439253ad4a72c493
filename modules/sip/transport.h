/* transport.h: mod_sip's listening sockets (UDP, TCP; TLS once certificates are set). */
#pragma once

#include <crossbar/crossbar.h>

typedef struct sip_transports SipTransports;

SipTransports *sip_transports_new(XbModule *owner);
/* Bind every address; on the first failure close what was opened and say which. */
gboolean sip_transports_listen(SipTransports *tp, GArray *addrs, GError **error);
void sip_transports_free(SipTransports *tp);
