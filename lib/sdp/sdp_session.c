/* sdp_session.c: the structs of crossbar/sdp.h: making, freeing and copying them, the look-ups
 * (attributes, formats, effective direction and connection, hold) and RFC 3551's static
 * payload types. No parsing and no printing here. */
#include "sdp_int.h"

#include <string.h>

GQuark xb_sdp_error_quark(void)
{
	return g_quark_from_static_string("xb-sdp-error-quark");
}

/* RFC 3551 §6, tables 4 and 5: the assigned static payload types. */
static const struct {
	unsigned pt;
	const char *encoding;
	unsigned clock_rate, channels;
} static_pts[] = {
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},   {5, "DVI4", 8000, 1},
    {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},
    {10, "L16", 44100, 2},  {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
    {14, "MPA", 90000, 1},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1}, {17, "DVI4", 22050, 1},
    {18, "G729", 8000, 1},  {25, "CelB", 90000, 1}, {26, "JPEG", 90000, 1}, {28, "nv", 90000, 1},
    {31, "H261", 90000, 1}, {32, "MPV", 90000, 1},  {33, "MP2T", 90000, 1}, {34, "H263", 90000, 1},
};

bool sdp_static_pt(unsigned pt, const char **encoding, unsigned *clock_rate, unsigned *channels)
{
	for (size_t i = 0; i < G_N_ELEMENTS(static_pts); i++) {
		if (static_pts[i].pt == pt) {
			*encoding = static_pts[i].encoding;
			*clock_rate = static_pts[i].clock_rate;
			*channels = static_pts[i].channels;
			return true;
		}
	}
	return false;
}

const char *xb_sdp_direction_name(XbSdpDirection dir)
{
	switch (dir) {
	case XB_SDP_DIR_SENDRECV:
		return "sendrecv";
	case XB_SDP_DIR_SENDONLY:
		return "sendonly";
	case XB_SDP_DIR_RECVONLY:
		return "recvonly";
	case XB_SDP_DIR_INACTIVE:
		return "inactive";
	case XB_SDP_DIR_NONE:
		break;
	}
	return NULL;
}

XbSdpLine *sdp_line_new(char type, const char *name, const char *value)
{
	XbSdpLine *l = g_new0(XbSdpLine, 1);

	l->type = type;
	l->name = g_strdup(name);
	l->value = g_strdup(value);
	return l;
}

void sdp_line_free(gpointer p)
{
	XbSdpLine *l = p;

	g_free(l->name);
	g_free(l->value);
	g_free(l);
}

void sdp_format_free(gpointer p)
{
	XbSdpFormat *f = p;

	g_free(f->encoding);
	g_free(f->fmtp);
	g_free(f);
}

XbSdpMedia *sdp_media_new(void)
{
	XbSdpMedia *m = g_new0(XbSdpMedia, 1);

	m->port_count = 1;
	m->fmts = g_ptr_array_new_with_free_func(g_free);
	m->formats = g_ptr_array_new_with_free_func(sdp_format_free);
	m->lines = g_ptr_array_new_with_free_func(sdp_line_free);
	return m;
}

void sdp_media_free(gpointer p)
{
	XbSdpMedia *m = p;

	g_free(m->media);
	g_free(m->proto);
	g_ptr_array_unref(m->fmts);
	g_ptr_array_unref(m->formats);
	g_free(m->connection.address);
	g_free(m->rtcp.address);
	g_ptr_array_unref(m->lines);
	g_free(m);
}

XbSdpSession *xb_sdp_session_new(void)
{
	XbSdpSession *s = g_new0(XbSdpSession, 1);

	s->lines = g_ptr_array_new_with_free_func(sdp_line_free);
	s->media = g_ptr_array_new_with_free_func(sdp_media_free);
	return s;
}

void xb_sdp_session_free(XbSdpSession *s)
{
	if (!s)
		return;
	g_free(s->origin.username);
	g_free(s->origin.sess_id);
	g_free(s->origin.address);
	g_free(s->name);
	g_free(s->connection.address);
	g_ptr_array_unref(s->lines);
	g_ptr_array_unref(s->media);
	g_free(s);
}

static void copy_connection(XbSdpConnection *to, const XbSdpConnection *from)
{
	to->present = from->present;
	to->ipv6 = from->ipv6;
	to->address = g_strdup(from->address);
}

static void copy_lines(GPtrArray *to, const GPtrArray *from)
{
	for (guint i = 0; i < from->len; i++) {
		const XbSdpLine *l = from->pdata[i];

		g_ptr_array_add(to, sdp_line_new(l->type, l->name, l->value));
	}
}

static XbSdpMedia *copy_media(const XbSdpMedia *from)
{
	XbSdpMedia *m = sdp_media_new();

	m->media = g_strdup(from->media);
	m->port = from->port;
	m->port_count = from->port_count;
	m->proto = g_strdup(from->proto);
	for (guint i = 0; i < from->fmts->len; i++)
		g_ptr_array_add(m->fmts, g_strdup(from->fmts->pdata[i]));
	for (guint i = 0; i < from->formats->len; i++) {
		const XbSdpFormat *f = from->formats->pdata[i];
		XbSdpFormat *c = g_memdup2(f, sizeof(*f));

		c->encoding = g_strdup(f->encoding);
		c->fmtp = g_strdup(f->fmtp);
		g_ptr_array_add(m->formats, c);
	}
	copy_connection(&m->connection, &from->connection);
	m->direction = from->direction;
	m->ptime = from->ptime;
	m->rtcp_port = from->rtcp_port;
	copy_connection(&m->rtcp, &from->rtcp);
	copy_lines(m->lines, from->lines);
	return m;
}

XbSdpSession *xb_sdp_session_copy(const XbSdpSession *from)
{
	XbSdpSession *s = xb_sdp_session_new();

	s->origin = from->origin;
	s->origin.username = g_strdup(from->origin.username);
	s->origin.sess_id = g_strdup(from->origin.sess_id);
	s->origin.address = g_strdup(from->origin.address);
	s->name = g_strdup(from->name);
	copy_connection(&s->connection, &from->connection);
	s->start_time = from->start_time;
	s->stop_time = from->stop_time;
	s->direction = from->direction;
	copy_lines(s->lines, from->lines);
	for (guint i = 0; i < from->media->len; i++)
		g_ptr_array_add(s->media, copy_media(from->media->pdata[i]));
	return s;
}

XbSdpMedia *xb_sdp_media_add(XbSdpSession *sdp, const char *media, unsigned port, const char *proto)
{
	XbSdpMedia *m = sdp_media_new();

	m->media = g_strdup(media);
	m->port = port;
	m->proto = g_strdup(proto);
	g_ptr_array_add(sdp->media, m);
	return m;
}

XbSdpFormat *xb_sdp_format_add(XbSdpMedia *m, unsigned pt, const char *encoding,
                               unsigned clock_rate, unsigned channels, const char *fmtp)
{
	XbSdpFormat *f = g_new0(XbSdpFormat, 1);
	const char *senc;
	unsigned srate, sch;

	f->pt = pt;
	if (encoding) {
		f->encoding = g_strdup(encoding);
		f->clock_rate = clock_rate;
		f->channels = channels ? channels : 1;
		f->has_rtpmap = true;
	} else if (sdp_static_pt(pt, &senc, &srate, &sch)) {
		f->encoding = g_strdup(senc);
		f->clock_rate = srate;
		f->channels = sch;
	}
	f->fmtp = g_strdup(fmtp);
	g_ptr_array_add(m->fmts, g_strdup_printf("%u", pt));
	g_ptr_array_add(m->formats, f);
	return f;
}

XbSdpLine *xb_sdp_attr_add(GPtrArray *lines, const char *name, const char *value)
{
	XbSdpLine *l = sdp_line_new('a', name, value);

	g_ptr_array_add(lines, l);
	return l;
}

const char *xb_sdp_attr_get(const GPtrArray *lines, const char *name, bool *found)
{
	for (guint i = 0; i < lines->len; i++) {
		const XbSdpLine *l = lines->pdata[i];

		if (l->type == 'a' && strcmp(l->name, name) == 0) {
			if (found)
				*found = true;
			return l->value;
		}
	}
	if (found)
		*found = false;
	return NULL;
}

const char *xb_sdp_media_attr(const XbSdpSession *sdp, const XbSdpMedia *m, const char *name,
                              bool *found)
{
	bool here;
	const char *v = xb_sdp_attr_get(m->lines, name, &here);

	if (here) {
		if (found)
			*found = true;
		return v;
	}
	return xb_sdp_attr_get(sdp->lines, name, found);
}

const XbSdpFormat *xb_sdp_media_format(const XbSdpMedia *m, unsigned pt)
{
	for (guint i = 0; i < m->formats->len; i++) {
		const XbSdpFormat *f = m->formats->pdata[i];

		if (f->pt == pt)
			return f;
	}
	return NULL;
}

bool xb_sdp_proto_is_rtp(const char *proto)
{
	/* RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP(F), TCP/RTP/AVP ... */
	const char *p = strstr(proto, "RTP/");

	return p && (p == proto || p[-1] == '/');
}

XbSdpDirection xb_sdp_media_direction(const XbSdpSession *sdp, const XbSdpMedia *m)
{
	if (m->direction != XB_SDP_DIR_NONE)
		return m->direction;
	if (sdp->direction != XB_SDP_DIR_NONE)
		return sdp->direction;
	return XB_SDP_DIR_SENDRECV;
}

const XbSdpConnection *xb_sdp_media_connection(const XbSdpSession *sdp, const XbSdpMedia *m)
{
	if (m->connection.present)
		return &m->connection;
	if (sdp->connection.present)
		return &sdp->connection;
	return NULL;
}

bool xb_sdp_media_is_hold(const XbSdpSession *sdp, const XbSdpMedia *m)
{
	const XbSdpConnection *c = xb_sdp_media_connection(sdp, m);
	XbSdpDirection dir = xb_sdp_media_direction(sdp, m);

	if (m->port == 0)
		return false;
	if (dir == XB_SDP_DIR_SENDONLY || dir == XB_SDP_DIR_INACTIVE)
		return true;
	return c && (strcmp(c->address, "0.0.0.0") == 0 || strcmp(c->address, "::") == 0);
}

XbSdpMedia *xb_sdp_find_media(const XbSdpSession *sdp, const char *media)
{
	for (guint i = 0; i < sdp->media->len; i++) {
		XbSdpMedia *m = sdp->media->pdata[i];

		if (m->port != 0 && strcmp(m->media, media) == 0)
			return m;
	}
	return NULL;
}
