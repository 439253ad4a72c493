/* modules/sip/ua_auth.h: the UA core's answering of 401/407 for requests sent through the
 * SIP API (send_request_auth), private to modules/sip/. It resends; it never decides what
 * a request means or keeps credentials past the request's last response. */
#pragma once

#include "ua.h"

int sip_ua_send_request_auth(SipUa *ua, const SipRequest *req, SipClientFunc func, void *user_data);
