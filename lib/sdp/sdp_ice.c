/* sdp_ice.c: ICE in a session description (RFC 8839) as far as an ICE-lite answerer needs
 * it: reading the far end's credentials and writing crossbar's own ice-lite, ice-ufrag,
 * ice-pwd and host candidates. It neither gathers nor checks candidates, and knows nothing
 * of sockets. */
#include "sdp_int.h"

#include <string.h>

/* ice-char (RFC 8839 §5.4): ALPHA / DIGIT / "+" / "/". */
static bool ice_chars(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (!g_ascii_isalnum(s[n]) && s[n] != '+' && s[n] != '/')
			return false;
	return n >= min && n <= max;
}

bool xb_sdp_ice_ufrag_valid(const char *ufrag)
{
	return ice_chars(ufrag, XB_SDP_ICE_UFRAG_MIN, XB_SDP_ICE_UFRAG_MAX);
}

bool xb_sdp_ice_pwd_valid(const char *pwd)
{
	return ice_chars(pwd, XB_SDP_ICE_PWD_MIN, XB_SDP_ICE_PWD_MAX);
}

bool xb_sdp_ice_remote(const XbSdpSession *sdp, const XbSdpMedia *m, const char **ufrag,
                       const char **pwd)
{
	const char *u = xb_sdp_media_attr(sdp, m, "ice-ufrag", NULL);
	const char *p = xb_sdp_media_attr(sdp, m, "ice-pwd", NULL);

	*ufrag = *pwd = NULL;
	if (!xb_sdp_ice_ufrag_valid(u) || !xb_sdp_ice_pwd_valid(p) ||
	    !xb_sdp_attr_get(m->lines, "candidate", NULL))
		return false;
	*ufrag = u;
	*pwd = p;
	return true;
}

guint32 xb_sdp_ice_priority(unsigned type_pref, unsigned local_pref, unsigned component)
{
	return (guint32)type_pref << 24 | (guint32)(local_pref & 0xffff) << 8 |
	       (256u - (component & 0xff));
}

static void add_host(XbSdpMedia *m, unsigned component, const char *address, unsigned port)
{
	/* The only candidate, so the highest local preference (RFC 8445 §5.1.2.1). */
	g_autofree char *v = g_strdup_printf(
	    "1 %u UDP %u %s %u typ host", component,
	    xb_sdp_ice_priority(XB_SDP_ICE_TYPE_HOST, 65535, component), address, port);
	xb_sdp_attr_add(m->lines, "candidate", v);
}

void xb_sdp_ice_add_lite(XbSdpSession *sdp, XbSdpMedia *m, const char *ufrag, const char *pwd,
                         const char *address, bool rtcp_mux)
{
	bool lite;

	xb_sdp_attr_get(sdp->lines, "ice-lite", &lite);
	if (!lite)
		xb_sdp_attr_add(sdp->lines, "ice-lite", NULL);
	xb_sdp_attr_add(m->lines, "ice-ufrag", ufrag);
	xb_sdp_attr_add(m->lines, "ice-pwd", pwd);
	add_host(m, 1, address, m->port);
	if (!rtcp_mux)
		add_host(m, 2, address, m->port + 1);
}
