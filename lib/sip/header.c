/* lib/sip/header.c: header field names (RFC 3261 §20 and common extensions): long and
 * compact forms to an id, and which headers hold comma-separated lists. Names are compared
 * case-insensitively (§7.3.1); no allocation, no state but a table. */
#include <crossbar/sipmsg.h>

#include <string.h>

struct hdrname {
	const char *name;
	char compact; /* 0: none */
	bool list;    /* the grammar is 1#value or #value: a comma splits values */
};

static const struct hdrname names[SIP_HDR_COUNT] = {
    [SIP_HDR_ACCEPT] = {"Accept", 0, true},
    [SIP_HDR_ACCEPT_ENCODING] = {"Accept-Encoding", 0, true},
    [SIP_HDR_ACCEPT_LANGUAGE] = {"Accept-Language", 0, true},
    [SIP_HDR_ALERT_INFO] = {"Alert-Info", 0, true},
    [SIP_HDR_ALLOW] = {"Allow", 0, true},
    [SIP_HDR_AUTHENTICATION_INFO] = {"Authentication-Info", 0, false},
    [SIP_HDR_AUTHORIZATION] = {"Authorization", 0, false},
    [SIP_HDR_CALL_ID] = {"Call-ID", 'i', false},
    [SIP_HDR_CALL_INFO] = {"Call-Info", 0, true},
    [SIP_HDR_CONTACT] = {"Contact", 'm', true},
    [SIP_HDR_CONTENT_DISPOSITION] = {"Content-Disposition", 0, false},
    [SIP_HDR_CONTENT_ENCODING] = {"Content-Encoding", 'e', true},
    [SIP_HDR_CONTENT_LANGUAGE] = {"Content-Language", 0, true},
    [SIP_HDR_CONTENT_LENGTH] = {"Content-Length", 'l', false},
    [SIP_HDR_CONTENT_TYPE] = {"Content-Type", 'c', false},
    [SIP_HDR_CSEQ] = {"CSeq", 0, false},
    [SIP_HDR_DATE] = {"Date", 0, false},
    [SIP_HDR_ERROR_INFO] = {"Error-Info", 0, true},
    [SIP_HDR_EXPIRES] = {"Expires", 0, false},
    [SIP_HDR_FROM] = {"From", 'f', false},
    [SIP_HDR_IN_REPLY_TO] = {"In-Reply-To", 0, true},
    [SIP_HDR_MAX_FORWARDS] = {"Max-Forwards", 0, false},
    [SIP_HDR_MIME_VERSION] = {"MIME-Version", 0, false},
    [SIP_HDR_MIN_EXPIRES] = {"Min-Expires", 0, false},
    [SIP_HDR_ORGANIZATION] = {"Organization", 0, false},
    [SIP_HDR_PRIORITY] = {"Priority", 0, false},
    [SIP_HDR_PROXY_AUTHENTICATE] = {"Proxy-Authenticate", 0, false},
    [SIP_HDR_PROXY_AUTHORIZATION] = {"Proxy-Authorization", 0, false},
    [SIP_HDR_PROXY_REQUIRE] = {"Proxy-Require", 0, true},
    [SIP_HDR_RECORD_ROUTE] = {"Record-Route", 0, true},
    [SIP_HDR_REPLY_TO] = {"Reply-To", 0, false},
    [SIP_HDR_REQUIRE] = {"Require", 0, true},
    [SIP_HDR_RETRY_AFTER] = {"Retry-After", 0, false},
    [SIP_HDR_ROUTE] = {"Route", 0, true},
    [SIP_HDR_SERVER] = {"Server", 0, false},
    [SIP_HDR_SUBJECT] = {"Subject", 's', false},
    [SIP_HDR_SUPPORTED] = {"Supported", 'k', true},
    [SIP_HDR_TIMESTAMP] = {"Timestamp", 0, false},
    [SIP_HDR_TO] = {"To", 't', false},
    [SIP_HDR_UNSUPPORTED] = {"Unsupported", 0, true},
    [SIP_HDR_USER_AGENT] = {"User-Agent", 0, false},
    [SIP_HDR_VIA] = {"Via", 'v', true},
    [SIP_HDR_WARNING] = {"Warning", 0, true},
    [SIP_HDR_WWW_AUTHENTICATE] = {"WWW-Authenticate", 0, false},
    [SIP_HDR_ALLOW_EVENTS] = {"Allow-Events", 'u', true},
    [SIP_HDR_EVENT] = {"Event", 'o', false},
    [SIP_HDR_SUBSCRIPTION_STATE] = {"Subscription-State", 0, false},
    [SIP_HDR_PATH] = {"Path", 0, true},
    [SIP_HDR_SERVICE_ROUTE] = {"Service-Route", 0, true},
    [SIP_HDR_RSEQ] = {"RSeq", 0, false},
    [SIP_HDR_RACK] = {"RAck", 0, false},
    [SIP_HDR_REFER_TO] = {"Refer-To", 'r', false},
    [SIP_HDR_REFERRED_BY] = {"Referred-By", 'b', false},
    [SIP_HDR_REPLACES] = {"Replaces", 0, false},
    [SIP_HDR_SESSION_EXPIRES] = {"Session-Expires", 'x', false},
    [SIP_HDR_MIN_SE] = {"Min-SE", 0, false},
    [SIP_HDR_P_ASSERTED_IDENTITY] = {"P-Asserted-Identity", 0, true},
    [SIP_HDR_PRIVACY] = {"Privacy", 0, false},
    [SIP_HDR_REASON] = {"Reason", 0, true},
};

/* Ids by lower-case first letter of the long form, built once: a name is compared only with
 * the few that share its first letter and length. */
static uint8_t by_letter[26][16];
static uint8_t name_len[SIP_HDR_COUNT];

static void build_index(void)
{
	static gsize done;

	if (!g_once_init_enter(&done))
		return;
	memset(by_letter, 0, sizeof(by_letter));
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		unsigned l = g_ascii_tolower(names[id].name[0]) - 'a';
		name_len[id] = (uint8_t)strlen(names[id].name);
		for (int k = 0; k < 16; k++) {
			if (!by_letter[l][k]) {
				by_letter[l][k] = (uint8_t)id;
				break;
			}
		}
	}
	g_once_init_leave(&done, 1);
}

enum sip_hdrid sip_hdr_id(const char *name, size_t len)
{
	unsigned l;

	if (!len)
		return SIP_HDR_OTHER;
	l = (unsigned)g_ascii_tolower(name[0]) - 'a';
	if (l >= 26)
		return SIP_HDR_OTHER;
	if (len == 1) {
		static const uint8_t compact[26] = {
		    ['b' - 'a'] = SIP_HDR_REFERRED_BY,
		    ['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
		    ['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
		    ['f' - 'a'] = SIP_HDR_FROM,
		    ['i' - 'a'] = SIP_HDR_CALL_ID,
		    ['k' - 'a'] = SIP_HDR_SUPPORTED,
		    ['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
		    ['m' - 'a'] = SIP_HDR_CONTACT,
		    ['o' - 'a'] = SIP_HDR_EVENT,
		    ['r' - 'a'] = SIP_HDR_REFER_TO,
		    ['s' - 'a'] = SIP_HDR_SUBJECT,
		    ['t' - 'a'] = SIP_HDR_TO,
		    ['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
		    ['v' - 'a'] = SIP_HDR_VIA,
		    ['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
		};
		return (enum sip_hdrid)compact[l];
	}
	build_index();
	for (int k = 0; k < 16 && by_letter[l][k]; k++) {
		uint8_t id = by_letter[l][k];
		if (name_len[id] == len && sip_casen_eq(names[id].name, name, len))
			return (enum sip_hdrid)id;
	}
	return SIP_HDR_OTHER;
}

const char *sip_hdr_name(enum sip_hdrid id)
{
	if ((unsigned)id >= SIP_HDR_COUNT)
		return NULL;
	return names[id].name;
}

bool sip_hdr_is_list(enum sip_hdrid id)
{
	return (unsigned)id < SIP_HDR_COUNT && names[id].list;
}
