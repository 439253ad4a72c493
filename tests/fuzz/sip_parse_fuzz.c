/* tests/fuzz/sip_parse_fuzz.c: libFuzzer target for the SIP message library (lib/sip/): framing,
 * parsing, validation, every structured header parser, URI parsing and comparison, printing, the
 * reply builder and the unparsed 503 of overload. It must find only crashes, leaks and broken
 * invariants: it asserts nothing about which inputs are accepted. Build:
 * tests/fuzz/build-sip-fuzz.sh OUTDIR. */
#include <crossbar/sipmsg.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void headers(const struct sip_msg *msg)
{
	for (unsigned i = 0; i < msg->nhdr; i++) {
		const struct sip_hdr *h = &msg->hdr[i];
		struct sip_addr a;
		struct sip_via v;
		struct sip_auth au;
		struct sip_ctype ct;
		struct sip_event ev;
		struct sip_cseq cs;
		uint32_t u;
		unsigned q;
		char tmp[256];

		switch (h->id) {
		case SIP_HDR_CONTACT:
			if (sip_contact_parse(&a, &h->val) == 0 && !a.star) {
				sip_contact_expires(&a, &u);
				sip_contact_q(&a, &q);
				if (a.display.l && a.display.p[0] == '"')
					sip_quoted_unescape(&a.display, tmp, sizeof(tmp), NULL);
				if (!sip_uri_equal(&a.puri, &a.puri) &&
				    a.puri.scheme != SIP_SCHEME_OTHER)
					abort();
			}
			break;
		case SIP_HDR_FROM:
		case SIP_HDR_TO:
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
		case SIP_HDR_PATH:
			sip_addr_parse(&a, &h->val);
			break;
		case SIP_HDR_VIA:
			sip_via_parse(&v, &h->val);
			break;
		case SIP_HDR_AUTHORIZATION:
		case SIP_HDR_PROXY_AUTHORIZATION:
		case SIP_HDR_WWW_AUTHENTICATE:
		case SIP_HDR_PROXY_AUTHENTICATE:
			if (sip_auth_parse(&au, &h->val) == 0 && au.realm.l)
				sip_quoted_unescape(&au.realm, tmp, sizeof(tmp), NULL);
			break;
		case SIP_HDR_CONTENT_TYPE:
			sip_ctype_parse(&ct, &h->val);
			break;
		case SIP_HDR_EVENT:
			sip_event_parse(&ev, &h->val);
			break;
		case SIP_HDR_CSEQ:
			sip_cseq_parse(&cs, &h->val);
			break;
		default:
			break;
		}
	}
}

static void roundtrip(const struct sip_msg *msg)
{
	GString *gs = g_string_new(NULL);
	struct sip_mb mb;
	struct sip_msg *again = NULL;
	struct sip_err err;
	char small[200];

	sip_mb_init_gstring(&mb, gs);
	if (sip_msg_print(&mb, msg) == 0) {
		/* what we print from a message we accepted, we accept again */
		if (sip_msg_parse(&again, gs->str, gs->len, &err) < 0 &&
		    msg->nhdr < SIP_MAX_HEADERS)
			abort();
		sip_msg_free(again);
	}
	g_string_free(gs, TRUE);

	sip_mb_init_buf(&mb, small, sizeof(small));
	sip_msg_print(&mb, msg);
	if (mb.len >= sizeof(small))
		abort();
}

/* Whether the 400 to req, as sip_msg_reply builds it, parses again. */
static bool reply_parses(const struct sip_msg *req, const char *reason)
{
	GString *gs = g_string_new(NULL);
	struct sip_msg *rsp = NULL;
	struct sip_err err;
	struct sip_mb mb;
	bool ok = false;

	sip_mb_init_gstring(&mb, gs);
	if (sip_msg_reply(&mb, req, 400, reason, "fuzz") == 0 && sip_mb_end(&mb) == 0)
		ok = sip_msg_parse(&rsp, gs->str, gs->len, &err) == 0;
	if (rsp)
		sip_msg_free(rsp);
	g_string_free(gs, TRUE);
	return ok;
}

static void message(const uint8_t *data, size_t size)
{
	struct sip_msg *msg = NULL;
	struct sip_err err;
	size_t skip, len;
	int r;

	sip_frame_stream((const char *)data, size, &skip, &len, &err);
	sip_frame_dgram((const char *)data, size, &len, &err);
	r = sip_msg_parse(&msg, (const char *)data, size, &err);
	if (r < 0 && !err.status)
		abort(); /* every failure names a status */
	if (!msg)
		return;
	headers(msg);
	if (r == 0) {
		GString *key = g_string_new(NULL);
		struct sip_dialog_id id;

		if (msg->is_request) {
			sip_msg_validate_request(msg, &err);
			sip_msg_check_max_forwards(msg, &err);
			sip_msg_tx_key(msg, true, key);
			sip_msg_cancel_key(msg, key);
		} else {
			sip_msg_validate_response(msg, &err);
			sip_msg_tx_key(msg, false, key);
		}
		sip_msg_dialog_id(msg, true, &id);
		g_string_free(key, TRUE);
		roundtrip(msg);
	}
	if (msg->is_request) {
		bool plain = reply_parses(msg, err.reason);
		/* the transport's received/rport stamp never makes a reply unparsable */
		sip_msg_stamp_via(msg, "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
		if (plain && !reply_parses(msg, err.reason))
			abort();
	}
	sip_msg_free(msg);
}

/* Two URIs separated by a newline: each parsed, compared both ways and with itself. */
static void uris(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl = memchr(s, '\n', size);
	struct sip_uri a, b;
	char out[128];
	int ra, rb;

	if (!nl)
		nl = s + size;
	ra = sip_uri_parse(&a, s, nl - s);
	rb = nl < s + size ? sip_uri_parse(&b, nl + 1, s + size - nl - 1) : -1;
	if (ra == 0) {
		if (!sip_uri_equal(&a, &a))
			abort();
		sip_uri_unescape(&a.user, out, sizeof(out), NULL);
	}
	if (ra == 0 && rb == 0 && sip_uri_equal(&a, &b) != sip_uri_equal(&b, &a))
		abort();
}

/* The 503 built from raw lines under overload: no crash, nothing appended unless built. */
static void shed_reply(const uint8_t *data, size_t size)
{
	GString *out = g_string_new("x");
	struct sip_msg *msg = NULL;
	struct sip_err err;
	uint16_t dest = 0;
	int rc = sip_dgram_reply_503((const char *)data, size, "192.0.2.1", 5060, "t", out, &dest);

	if (rc != 1 && out->len != 1)
		abort();
	if (rc == 1 && dest == 0)
		abort();
	if (rc == 1 && sip_msg_parse(&msg, out->str + 1, out->len - 1, &err) == 0)
		sip_msg_free(msg);
	g_string_free(out, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	message(data, size);
	shed_reply(data, size);
	if (size < 4200)
		uris(data, size);
	return 0;
}
