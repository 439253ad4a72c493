/* libFuzzer target for the SDP library (lib/sdp/): the parser, the printer (what it prints
 * must parse again and print the same), copying, every look-up, and answering the input as
 * an offer (the answer must print and parse). Pure library code only. */
#include <crossbar/sdp.h>

#include <stdint.h>
#include <string.h>

static const XbSdpCodec codecs[] = {
    {"PCMU", 8000, 1, NULL},
    {"PCMA", 8000, 1, NULL},
    {"G722", 8000, 1, NULL},
    {"opus", 48000, 2, "useinbandfec=1"},
};

/* text must parse unless printing made it longer than the bounds (LF -> CRLF). */
static XbSdpSession *reparse(const char *text)
{
	GError *error = NULL;
	XbSdpSession *sdp = xb_sdp_parse(text, -1, &error);

	if (!sdp) {
		if (!g_error_matches(error, XB_SDP_ERROR, XB_SDP_ERROR_LIMIT))
			__builtin_trap(); /* the printer wrote what the parser refuses */
		g_error_free(error);
	}
	return sdp;
}

static void poke(const XbSdpSession *sdp)
{
	static const char *const names[] = {"ice-ufrag", "ice-pwd", "ice-lite", "candidate",
	                                    "rtcp-mux"};
	bool found;

	for (guint i = 0; i < sdp->media->len; i++) {
		const XbSdpMedia *m = sdp->media->pdata[i];

		(void)xb_sdp_media_direction(sdp, m);
		(void)xb_sdp_media_connection(sdp, m);
		(void)xb_sdp_media_is_hold(sdp, m);
		(void)xb_sdp_media_format(m, 101);
		for (size_t k = 0; k < G_N_ELEMENTS(names); k++)
			(void)xb_sdp_media_attr(sdp, m, names[k], &found);
		if (xb_sdp_proto_is_rtp(m->proto) && m->fmts->len != m->formats->len)
			__builtin_trap(); /* every RTP format token has its format */
	}
	(void)xb_sdp_find_media(sdp, "audio");
}

static void answer(const XbSdpSession *offer)
{
	XbSdpLocal local = {
	    .codecs = codecs,
	    .n_codecs = G_N_ELEMENTS(codecs),
	    .telephone_event = true,
	    .address = "192.0.2.10",
	    .port = 20000,
	    .sess_id = "1",
	    .sess_version = 1,
	};
	XbSdpSession *a = xb_sdp_answer(offer, &local, NULL), *b, *again;
	char *text;

	if (!a)
		return;
	if (a->media->len != offer->media->len)
		__builtin_trap(); /* RFC 3264 §6: one m= line per offered one */
	(void)xb_sdp_answer_accepted(a);
	text = xb_sdp_print(a);
	again = reparse(text);
	local.want = XB_SDP_DIR_SENDONLY;
	b = xb_sdp_answer(offer, &local, NULL);
	(void)xb_sdp_update_version(a, b);
	(void)xb_sdp_version_check(a, b);
	xb_sdp_session_free(again);
	xb_sdp_session_free(b);
	xb_sdp_session_free(a);
	g_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	XbSdpSession *sdp, *copy, *again;
	char *p1, *p2, *p3;

	sdp = xb_sdp_parse((const char *)data, (gssize)size, NULL);
	if (!sdp)
		return 0;
	poke(sdp);
	p1 = xb_sdp_print(sdp);
	copy = xb_sdp_session_copy(sdp);
	p2 = xb_sdp_print(copy);
	if (strcmp(p1, p2) != 0)
		__builtin_trap(); /* a copy prints as its original */
	again = reparse(p1);
	if (again) {
		p3 = xb_sdp_print(again);
		if (strcmp(p1, p3) != 0)
			__builtin_trap(); /* parse -> print is idempotent */
		g_free(p3);
		(void)xb_sdp_version_check(sdp, again);
		xb_sdp_session_free(again);
	}
	answer(sdp);
	xb_sdp_session_free(copy);
	xb_sdp_session_free(sdp);
	g_free(p1);
	g_free(p2);
	return 0;
}
