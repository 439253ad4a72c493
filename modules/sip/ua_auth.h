/* modules/sip/ua_auth.h: the UA core's answering of 401/407 for requests sent through the
 * SIP API (send_request_auth), private to modules/sip/. It resends; it never decides what
 * a request means or keeps credentials past the request's last response. */
#pragma once

#include "ua.h"

int sip_ua_send_request_auth(SipUa *ua, const SipRequest *req, SipClientFunc func, void *user_data);

/* The answers to the challenges of one request's rounds (one per realm and kind), kept for
 * its resends and, for an INVITE, its ACK (§13.2.2.4 repeats the INVITE's credentials). */
typedef struct sip_auth_answers SipAuthAnswers;

SipAuthAnswers *sip_auth_answers_new(const SipCredentials *cred);
void sip_auth_answers_free(SipAuthAnswers *aa);
/* Answer resp's challenge for a request of method to ruri; FALSE when it is not to be
 * answered (none suits, the realm was answered before without stale=true, or too many
 * rounds): resp is then the request's outcome. */
gboolean sip_auth_answers_update(SipAuthAnswers *aa, const struct sip_msg *resp, const char *method,
                                 const char *ruri);
/* Appends the Authorization / Proxy-Authorization lines of every answer so far. */
void sip_auth_answers_append(const SipAuthAnswers *aa, GString *headers);
