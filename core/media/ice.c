/* ice.c: the ICE-lite agent of an endpoint (RFC 8445 §2.5, §7.3): answering the far end's
 * connectivity checks on the worker that polls the endpoint. A lite agent gathers nothing
 * and sends no checks: its one host candidate per component is in the description crossbar
 * sent, and the full agent on the far end checks it with STUN Binding requests under
 * short-term credentials (RFC 8489 §9.1). This file answers them (lib/stun does the
 * message and the HMAC) and says which source a check nominated; engine.c moves the
 * media. It runs on the packet path: no lock, no allocation, one HMAC per check that names
 * our ufrag, none for one that does not.
 *
 *   request                                   answer                      RFC
 *   not STUN, bad FINGERPRINT, no FINGERPRINT  dropped                     8445 §7.3 (FINGERPRINT
 *                                                                          is mandatory), 8489 §6.3
 *   Binding indication                        nothing (a keepalive)       8445 §11
 *   Binding response, other methods           dropped (we send no request)
 *   no USERNAME or no MESSAGE-INTEGRITY       400, no integrity           8489 §9.1.3
 *   USERNAME not "<our ufrag>:<theirs>"       401, no integrity           8489 §9.1.3, 8445 §7.3
 *   MESSAGE-INTEGRITY wrong for our ice-pwd   401, no integrity           8489 §9.1.3
 *   unknown comprehension-required attribute  420 with integrity          8489 §6.3.1
 *   ICE-CONTROLLED (the peer is controlled)   487 Role Conflict           8445 §7.3.1.1
 *   otherwise                                 success: XOR-MAPPED-ADDRESS 8445 §7.3.1.2
 *   ... with USE-CANDIDATE                    the same, and nominates     8445 §7.3.1.5
 *
 * A lite agent is always controlled (§6.1.1) and cannot take the controlling role, so it
 * acts as if its tie-breaker were the largest: a request with ICE-CONTROLLED gets 487 and
 * the full agent, as §7.2.5.1 has it, becomes the controlling one. */
#include "media_private.h"

#include <crossbar/random.h>
#include <crossbar/stun.h>

#include <string.h>

#define ANSWER_MAX 256 /* header, XOR-MAPPED-ADDRESS or ERROR-CODE, integrity, fingerprint */

gboolean xb_media_ice_is_stun(const guint8 *p, unsigned len)
{
	return len >= STUN_HEADER_LEN && p[0] < 4 &&
	       ((guint32)p[4] << 24 | (guint32)p[5] << 16 | (guint32)p[6] << 8 | p[7]) ==
	           STUN_MAGIC_COOKIE;
}

static void send_answer(struct stun_encoder *e, const MediaIce *ice, int fd,
                        const struct sockaddr_storage *from, socklen_t fromlen)
{
	size_t len;

	if (ice)
		stun_encode_integrity(e, (const uint8_t *)ice->pwd, strlen(ice->pwd));
	stun_encode_fingerprint(e);
	if (stun_encode_finish(e, &len) == 0)
		(void)sendto(fd, e->buf, len, MSG_DONTWAIT, (const struct sockaddr *)from, fromlen);
}

/* An error response; with integrity (ice) only when the request passed its check. */
static void send_error(const struct stun_msg *req, int code, const MediaIce *ice, int fd,
                       const struct sockaddr_storage *from, socklen_t fromlen)
{
	guint8 buf[ANSWER_MAX];
	struct stun_encoder e;

	stun_encode_error_response(&e, buf, sizeof buf, req, code, NULL);
	send_answer(&e, ice, fd, from, fromlen);
}

/* USERNAME is "<our ufrag>:<the far end's>" (RFC 8445 §7.2.2); the far end's part is
 * checked when its description gave one. */
static gboolean username_ok(const MediaIce *ice, const struct stun_msg *msg)
{
	const char *u;
	size_t len, ours = strlen(ice->ufrag);

	if (stun_attr_string(stun_attr_get(msg, STUN_ATTR_USERNAME), &u, &len) != 0)
		return FALSE;
	if (len <= ours || memcmp(u, ice->ufrag, ours) != 0 || u[ours] != ':')
		return FALSE;
	if (!ice->remote_ufrag[0])
		return TRUE;
	return len - ours - 1 == strlen(ice->remote_ufrag) &&
	       memcmp(u + ours + 1, ice->remote_ufrag, len - ours - 1) == 0;
}

MediaIceResult xb_media_ice_receive(const MediaIce *ice, int fd, const guint8 *p, unsigned len,
                                    const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct stun_msg msg;
	struct stun_addr mapped;

	if (stun_msg_decode(&msg, p, len) != 0 || msg.fp < 0)
		return MEDIA_ICE_REFUSED;
	if (msg.method != STUN_METHOD_BINDING)
		return MEDIA_ICE_REFUSED;
	if (msg.cls == STUN_CLASS_INDICATION)
		return MEDIA_ICE_IGNORED;
	if (msg.cls != STUN_CLASS_REQUEST)
		return MEDIA_ICE_REFUSED;
	if (!stun_attr_get(&msg, STUN_ATTR_USERNAME) || (msg.mi < 0 && msg.mi256 < 0)) {
		send_error(&msg, 400, NULL, fd, from, fromlen);
		return MEDIA_ICE_REFUSED;
	}
	if (!username_ok(ice, &msg) ||
	    stun_msg_check_integrity(&msg, (const uint8_t *)ice->pwd, strlen(ice->pwd)) != 0) {
		send_error(&msg, 401, NULL, fd, from, fromlen);
		return MEDIA_ICE_REFUSED;
	}
	if (msg.n_unknown) {
		send_error(&msg, 420, ice, fd, from, fromlen);
		return MEDIA_ICE_REFUSED;
	}
	if (stun_attr_get(&msg, STUN_ATTR_ICE_CONTROLLED)) {
		send_error(&msg, 487, ice, fd, from, fromlen);
		return MEDIA_ICE_REFUSED;
	}
	if (stun_addr_from_sockaddr(&mapped, (const struct sockaddr *)from) != 0)
		return MEDIA_ICE_REFUSED;

	guint8 buf[ANSWER_MAX];
	struct stun_encoder e;
	stun_encode_init(&e, buf, sizeof buf, STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, msg.tid);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
	send_answer(&e, ice, fd, from, fromlen);
	/* USE-CANDIDATE comes from the controlling agent alone (RFC 8445 §7.2.2). */
	return stun_attr_get(&msg, STUN_ATTR_USE_CANDIDATE) ? MEDIA_ICE_NOMINATED
	                                                    : MEDIA_ICE_ANSWERED;
}

/* ice-chars from the CSPRNG: base64 of random octets, 3 to 4 characters (RFC 8839 §5.4's
 * ice-char is base64's alphabet). */
static char *ice_token(gsize octets)
{
	guint8 raw[18];

	g_assert(octets <= sizeof raw && octets % 3 == 0);
	xb_random_bytes(raw, octets);
	return g_base64_encode(raw, octets);
}

void xb_media_ice_credentials(char **ufrag, char **pwd)
{
	*ufrag = ice_token(6);
	*pwd = ice_token(18);
}
