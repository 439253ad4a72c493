/* lib/sip/method.c: SIP request methods (RFC 3261 §7.1 and extensions) as an enum. Method
 * names are case-sensitive; an unknown method is kept as text by the caller, never refused here. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <string.h>

static const char *const method_names[SIP_METHOD_COUNT] = {
    [SIP_METHOD_UNKNOWN] = NULL,
    [SIP_METHOD_INVITE] = "INVITE",
    [SIP_METHOD_ACK] = "ACK",
    [SIP_METHOD_BYE] = "BYE",
    [SIP_METHOD_CANCEL] = "CANCEL",
    [SIP_METHOD_OPTIONS] = "OPTIONS",
    [SIP_METHOD_REGISTER] = "REGISTER",
    [SIP_METHOD_PRACK] = "PRACK",
    [SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
    [SIP_METHOD_NOTIFY] = "NOTIFY",
    [SIP_METHOD_PUBLISH] = "PUBLISH",
    [SIP_METHOD_INFO] = "INFO",
    [SIP_METHOD_REFER] = "REFER",
    [SIP_METHOD_MESSAGE] = "MESSAGE",
    [SIP_METHOD_UPDATE] = "UPDATE",
};

enum sip_method sip_method_from_pl(const struct sip_pl *pl)
{
	for (int m = 1; m < SIP_METHOD_COUNT; m++) {
		const char *n = method_names[m];
		if (pl->l && n[0] == pl->p[0] && sip_pl_eq(pl, n))
			return (enum sip_method)m;
	}
	return SIP_METHOD_UNKNOWN;
}

const char *sip_method_name(enum sip_method m)
{
	if ((unsigned)m >= SIP_METHOD_COUNT)
		return NULL;
	return method_names[m];
}

bool sip_token_valid(const struct sip_pl *pl)
{
	if (!pl->l)
		return false;
	for (size_t i = 0; i < pl->l; i++)
		if (!sip_cis(pl->p[i], SIP_C_TOKEN))
			return false;
	return true;
}
