/* lib/sip/validate.c: checks a parsed message before a transaction sees it (RFC 3261
 * §8.1.1, §8.2.2, §16.3): mandatory headers, single-valued headers, CSeq against the method,
 * Max-Forwards. Answers with a status and a specific reason; never changes the message. */
#include <crossbar/sipmsg.h>

#include <string.h>

#define REFUSE(st, why)                                                                            \
	do {                                                                                       \
		err->status = (st);                                                                \
		err->reason = (why);                                                               \
		return -EBADMSG;                                                                   \
	} while (0)

static const struct {
	enum sip_hdrid id;
	const char *missing;
	const char *multiple;
} mandatory[] = {
    {SIP_HDR_VIA, "Missing Via", NULL},
    {SIP_HDR_FROM, "Missing From", "Multiple From"},
    {SIP_HDR_TO, "Missing To", "Multiple To"},
    {SIP_HDR_CALL_ID, "Missing Call-ID", "Multiple Call-ID"},
    {SIP_HDR_CSEQ, "Missing CSeq", "Multiple CSeq"},
};

static const struct {
	enum sip_hdrid id;
	const char *multiple;
} single[] = {
    {SIP_HDR_MAX_FORWARDS, "Multiple Max-Forwards"},
    {SIP_HDR_CONTENT_TYPE, "Multiple Content-Type"},
    {SIP_HDR_EXPIRES, "Multiple Expires"},
    {SIP_HDR_MIN_EXPIRES, "Multiple Min-Expires"},
};

static int check_common(const struct sip_msg *msg, struct sip_err *err)
{
	for (size_t i = 0; i < G_N_ELEMENTS(mandatory); i++) {
		if (!msg->count[mandatory[i].id])
			REFUSE(400, mandatory[i].missing);
		if (mandatory[i].multiple && msg->count[mandatory[i].id] > 1)
			REFUSE(400, mandatory[i].multiple);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(single); i++)
		if (msg->count[single[i].id] > 1)
			REFUSE(400, single[i].multiple);
	/* the top Via was parsed with the message; the others are checked here */
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_VIA); h;
	     h = sip_msg_hdr_next(msg, h)) {
		struct sip_via v;
		if (sip_via_parse(&v, &h->val) < 0)
			REFUSE(400, "Bad Via");
	}
	if (msg->count[SIP_HDR_EXPIRES]) {
		uint32_t v;
		const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_EXPIRES);
		if (sip_pl_u32(&h->val, UINT32_MAX, &v) == -EINVAL)
			REFUSE(400, "Bad Expires");
	}
	if (msg->body.l && !msg->count[SIP_HDR_CONTENT_TYPE])
		REFUSE(400, "Missing Content-Type"); /* §7.4.1 */
	return 0;
}

/* Contact values parse; '*' only alone, in REGISTER, with Expires: 0 (§10.3 step 6). */
static int check_contacts(const struct sip_msg *msg, struct sip_err *err)
{
	bool star = false;
	unsigned n = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(msg, h), n++) {
		struct sip_addr a;
		if (sip_contact_parse(&a, &h->val) < 0)
			REFUSE(400, "Bad Contact");
		star |= a.star;
	}
	if (star) {
		const struct sip_hdr *ex = sip_msg_hdr(msg, SIP_HDR_EXPIRES);
		if (msg->method != SIP_METHOD_REGISTER || n != 1 || !ex ||
		    !sip_pl_eq(&ex->val, "0"))
			REFUSE(400, "Bad Wildcard Contact");
	}
	return 0;
}

int sip_msg_validate_request(const struct sip_msg *msg, struct sip_err *err)
{
	int r;

	g_return_val_if_fail(msg && msg->is_request, -EINVAL);
	err->status = 0;
	err->reason = NULL;
	if ((r = check_common(msg, err)) < 0)
		return r;
	if (!sip_pl_eq_pl(&msg->cseq.method_name, &msg->method_name))
		REFUSE(400, "CSeq Method Does Not Match Request Method"); /* §8.1.1.5 */
	if (msg->method == SIP_METHOD_INVITE && !msg->count[SIP_HDR_CONTACT])
		REFUSE(400, "Missing Contact"); /* §8.1.1.8 */
	return check_contacts(msg, err);
}

/* A response failing this is dropped (§18.1.2 and §17.1.3 need these to match it). */
int sip_msg_validate_response(const struct sip_msg *msg, struct sip_err *err)
{
	g_return_val_if_fail(msg && !msg->is_request, -EINVAL);
	err->status = 0;
	err->reason = NULL;
	return check_common(msg, err);
}

/* §16.3 step 3 and §16.6 step 3: a request that would be forwarded with no hops left. */
int sip_msg_check_max_forwards(const struct sip_msg *msg, struct sip_err *err)
{
	if (msg->count[SIP_HDR_MAX_FORWARDS] && msg->max_forwards == 0) {
		err->status = 483;
		err->reason = "Too Many Hops";
		return -ELOOP;
	}
	return 0;
}
