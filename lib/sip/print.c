/* lib/sip/print.c: serialises a parsed message back to the wire (for a proxy or a B2BUA
 * relaying it): long header names, one value per line, Content-Length recomputed from the body.
 * Writes through a builder; never modifies the message. */
#include <crossbar/sipmsg.h>

#include <string.h>

int sip_msg_print(struct sip_mb *mb, const struct sip_msg *msg)
{
	int r;

	if (msg->is_request) {
		char *m = sip_pl_dup(&msg->method_name), *u = sip_pl_dup(&msg->ruri_pl);
		r = sip_mb_request_line(mb, m, u);
		g_free(m);
		g_free(u);
	} else {
		char *reason = sip_pl_dup(&msg->reason);
		r = sip_mb_status_line(mb, msg->status, reason);
		g_free(reason);
	}
	if (r < 0)
		return r;
	for (unsigned i = 0; i < msg->nhdr; i++) {
		const struct sip_hdr *h = &msg->hdr[i];
		char name[128];

		if (h->id == SIP_HDR_CONTENT_LENGTH)
			continue;
		if (h->id != SIP_HDR_OTHER) {
			g_strlcpy(name, sip_hdr_name(h->id), sizeof(name));
		} else {
			if (h->name.l >= sizeof(name))
				return -EINVAL;
			memcpy(name, h->name.p, h->name.l);
			name[h->name.l] = '\0';
		}
		if ((r = sip_mb_header_pl(mb, name, &h->val)) < 0)
			return r;
	}
	return sip_mb_body(mb, NULL, msg->body.p, msg->body.l);
}
