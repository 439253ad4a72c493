/* Error responses: the standard reason phrases of RFC 8489 §14.8, RFC 8656 §19, RFC 6156
 * and RFC 6062, and a builder that starts an error response to a decoded request. It decides
 * no policy: which code to send is the server's business. */
#include <crossbar/stun.h>

const char *stun_reason_phrase(int code)
{
	switch (code) {
	case 300:
		return "Try Alternate";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthenticated"; /* RFC 5389 called it "Unauthorized" */
	case 403:
		return "Forbidden";
	case 405:
		return "Mobility Forbidden";
	case 420:
		return "Unknown Attribute";
	case 437:
		return "Allocation Mismatch";
	case 438:
		return "Stale Nonce";
	case 440:
		return "Address Family not Supported";
	case 441:
		return "Wrong Credentials";
	case 442:
		return "Unsupported Transport Protocol";
	case 443:
		return "Peer Address Family Mismatch";
	case 446:
		return "Connection Already Exists";
	case 447:
		return "Connection Timeout or Failure";
	case 486:
		return "Allocation Quota Reached";
	case 487:
		return "Role Conflict";
	case 500:
		return "Server Error";
	case 508:
		return "Insufficient Capacity";
	}
	return "";
}

void stun_encode_error_response(struct stun_encoder *e, uint8_t *buf, size_t cap,
                                const struct stun_msg *req, int code, const char *reason)
{
	if (req == NULL || req->buf == NULL) {
		stun_encode_init(e, buf, cap, 0, STUN_CLASS_ERROR, NULL); /* records the error */
		return;
	}
	stun_encode_init(e, buf, cap, req->method, STUN_CLASS_ERROR, req->tid);
	stun_encode_error_code(e, code, reason);
	if (code == 420 && req->n_unknown)
		stun_encode_unknown_attributes(e, req->unknown, req->n_unknown);
}
