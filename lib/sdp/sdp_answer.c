/* sdp_answer.c: the answerer's side of RFC 3264 for a PBX's audio: one m= line per offered
 * one (§6), the first usable audio stream accepted with the codecs both sides have (in the
 * offerer's order and numbering, §6.1), every other stream rejected with port 0, and the
 * session version rules of §8 for re-offers. It decides nothing about ports or sockets. */
#include "sdp_int.h"

#include <string.h>

/* RFC 3264 §6.1: the answer's direction from the offer's and what we want. */
static XbSdpDirection answer_direction(XbSdpDirection offer, XbSdpDirection want)
{
	bool offer_sends = offer == XB_SDP_DIR_SENDRECV || offer == XB_SDP_DIR_SENDONLY;
	bool offer_recvs = offer == XB_SDP_DIR_SENDRECV || offer == XB_SDP_DIR_RECVONLY;
	bool want_send, want_recv, send, recv;

	if (want == XB_SDP_DIR_NONE)
		want = XB_SDP_DIR_SENDRECV;
	want_send = want == XB_SDP_DIR_SENDRECV || want == XB_SDP_DIR_SENDONLY;
	want_recv = want == XB_SDP_DIR_SENDRECV || want == XB_SDP_DIR_RECVONLY;
	send = offer_recvs && want_send;
	recv = offer_sends && want_recv;
	if (send && recv)
		return XB_SDP_DIR_SENDRECV;
	if (send)
		return XB_SDP_DIR_SENDONLY;
	if (recv)
		return XB_SDP_DIR_RECVONLY;
	return XB_SDP_DIR_INACTIVE;
}

static const XbSdpCodec *local_codec(const XbSdpLocal *local, const XbSdpFormat *f)
{
	for (unsigned i = 0; i < local->n_codecs; i++) {
		const XbSdpCodec *c = &local->codecs[i];

		if (g_ascii_strcasecmp(c->name, f->encoding) == 0 &&
		    c->clock_rate == f->clock_rate &&
		    (c->channels ? c->channels : 1) == f->channels)
			return c;
	}
	return NULL;
}

static bool is_telephone_event(const XbSdpFormat *f)
{
	return f->encoding && g_ascii_strcasecmp(f->encoding, "telephone-event") == 0;
}

/* A stream we could accept: audio over plain RTP (no SRTP here yet), not disabled. */
static bool usable_audio(const XbSdpMedia *m)
{
	return m->port != 0 && strcmp(m->media, "audio") == 0 &&
	       (strcmp(m->proto, "RTP/AVP") == 0 || strcmp(m->proto, "RTP/AVPF") == 0);
}

/* Fills am with the codecs of om both sides have, then telephone-event at their rates;
 * returns the number of codecs (telephone-event not counted). */
static unsigned intersect(XbSdpMedia *am, const XbSdpMedia *om, const XbSdpLocal *local)
{
	unsigned n = 0;

	for (guint i = 0; i < om->formats->len; i++) {
		const XbSdpFormat *f = om->formats->pdata[i];
		const XbSdpCodec *c;

		if (!f->encoding || is_telephone_event(f) || !(c = local_codec(local, f)))
			continue;
		xb_sdp_format_add(am, f->pt, f->encoding, f->clock_rate, f->channels,
		                  c->fmtp ? c->fmtp : f->fmtp);
		n++;
	}
	for (guint i = 0; n && local->telephone_event && i < om->formats->len; i++) {
		const XbSdpFormat *f = om->formats->pdata[i];
		bool rate_ok = false;

		if (!is_telephone_event(f))
			continue;
		for (guint k = 0; k < am->formats->len; k++) {
			const XbSdpFormat *a = am->formats->pdata[k];

			rate_ok |= !is_telephone_event(a) && a->clock_rate == f->clock_rate;
		}
		if (rate_ok && !xb_sdp_media_format(am, f->pt))
			xb_sdp_format_add(am, f->pt, f->encoding, f->clock_rate, 1, f->fmtp);
	}
	return n;
}

/* A rejected stream (RFC 3264 §6): port 0, the offer's media, proto and formats. */
static void reject(XbSdpSession *answer, const XbSdpMedia *om)
{
	XbSdpMedia *am = xb_sdp_media_add(answer, om->media, 0, om->proto);

	for (guint i = 0; i < om->fmts->len; i++)
		g_ptr_array_add(am->fmts, g_strdup(om->fmts->pdata[i]));
	for (guint i = 0; i < om->formats->len; i++) {
		const XbSdpFormat *f = om->formats->pdata[i];
		XbSdpFormat *c = g_new0(XbSdpFormat, 1);

		c->pt = f->pt;
		c->encoding = g_strdup(f->encoding);
		c->clock_rate = f->clock_rate;
		c->channels = f->channels;
		g_ptr_array_add(am->formats, c);
	}
}

XbSdpSession *xb_sdp_answer(const XbSdpSession *offer, const XbSdpLocal *local, GError **error)
{
	g_autoptr(XbSdpSession) answer = xb_sdp_session_new();
	bool accepted = false;

	g_return_val_if_fail(offer && local && local->address, NULL);
	if (offer->media->len == 0) {
		g_set_error(error, XB_SDP_ERROR, XB_SDP_ERROR_ANSWER,
		            "the offer has no m= line to answer");
		return NULL;
	}
	answer->origin.username = g_strdup(local->username ? local->username : "-");
	answer->origin.sess_id = g_strdup(local->sess_id ? local->sess_id : "0");
	answer->origin.sess_version = local->sess_version;
	answer->origin.ipv6 = local->ipv6;
	answer->origin.address = g_strdup(local->address);
	answer->name = g_strdup(local->session_name ? local->session_name : "-");
	answer->connection.present = true;
	answer->connection.ipv6 = local->ipv6;
	answer->connection.address = g_strdup(local->address);
	for (guint i = 0; i < offer->media->len; i++) {
		const XbSdpMedia *om = offer->media->pdata[i];
		XbSdpMedia *am;

		if (accepted || !usable_audio(om)) {
			reject(answer, om);
			continue;
		}
		am = xb_sdp_media_add(answer, "audio", local->port, om->proto);
		if (intersect(am, om, local) == 0) {
			g_ptr_array_remove_index(answer->media, answer->media->len - 1);
			reject(answer, om);
			continue;
		}
		am->ptime = om->ptime;
		am->direction = answer_direction(xb_sdp_media_direction(offer, om), local->want);
		accepted = true;
	}
	return g_steal_pointer(&answer);
}

bool xb_sdp_answer_accepted(const XbSdpSession *answer)
{
	for (guint i = 0; i < answer->media->len; i++)
		if (((const XbSdpMedia *)answer->media->pdata[i])->port != 0)
			return true;
	return false;
}

XbSdpVersionCheck xb_sdp_version_check(const XbSdpSession *previous, const XbSdpSession *next)
{
	const XbSdpOrigin *a = &previous->origin, *b = &next->origin;

	if (g_strcmp0(a->username, b->username) != 0 || g_strcmp0(a->sess_id, b->sess_id) != 0 ||
	    g_strcmp0(a->address, b->address) != 0 || a->ipv6 != b->ipv6)
		return XB_SDP_VERSION_INVALID;
	if (b->sess_version == a->sess_version)
		return XB_SDP_VERSION_SAME;
	/* RFC 3264 §8 says "one higher"; a larger step is taken as newer all the same */
	return b->sess_version > a->sess_version ? XB_SDP_VERSION_NEWER : XB_SDP_VERSION_INVALID;
}

bool xb_sdp_update_version(const XbSdpSession *previous, XbSdpSession *next)
{
	XbSdpOrigin *o = &next->origin;
	g_autofree char *before = NULL, *after = NULL;
	bool changed;

	g_free(o->username);
	g_free(o->sess_id);
	g_free(o->address);
	o->username = g_strdup(previous->origin.username);
	o->sess_id = g_strdup(previous->origin.sess_id);
	o->address = g_strdup(previous->origin.address);
	o->ipv6 = previous->origin.ipv6;
	o->sess_version = previous->origin.sess_version;
	before = xb_sdp_print(previous);
	after = xb_sdp_print(next);
	changed = strcmp(before, after) != 0;
	if (changed)
		o->sess_version = previous->origin.sess_version + 1;
	return changed;
}
