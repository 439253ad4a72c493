/* sdp_print.c: XbSdpSession -> SDP text with CRLF line ends, in the line order of RFC 8866
 * §5: the typed lines of each level first at their place, the kept lines of each type at
 * theirs, and within a media the rtpmap/fmtp of each format in the m= line's order, then
 * ptime, rtcp, the direction and the kept attributes. */
#include "sdp_int.h"

#include <string.h>

static void print_kept(GString *out, const GPtrArray *lines, char type)
{
	for (guint i = 0; i < lines->len; i++) {
		const XbSdpLine *l = lines->pdata[i];

		if (l->type != type)
			continue;
		if (type == 'a')
			g_string_append_printf(out, "a=%s%s%s\r\n", l->name, l->value ? ":" : "",
			                       l->value ? l->value : "");
		else
			g_string_append_printf(out, "%c=%s\r\n", type, l->value ? l->value : "");
	}
}

/* The t= and r= lines kept after the first t=, in their order. */
static void print_times(GString *out, const GPtrArray *lines)
{
	for (guint i = 0; i < lines->len; i++) {
		const XbSdpLine *l = lines->pdata[i];

		if (l->type == 't' || l->type == 'r')
			g_string_append_printf(out, "%c=%s\r\n", l->type, l->value ? l->value : "");
	}
}

static void print_connection(GString *out, const XbSdpConnection *c)
{
	if (c->present)
		g_string_append_printf(out, "c=IN %s %s\r\n", c->ipv6 ? "IP6" : "IP4",
		                       c->address ? c->address : "0.0.0.0");
}

static void print_direction(GString *out, XbSdpDirection dir)
{
	const char *name = xb_sdp_direction_name(dir);

	if (name)
		g_string_append_printf(out, "a=%s\r\n", name);
}

static void print_media(GString *out, const XbSdpMedia *m)
{
	g_string_append_printf(out, "m=%s %u", m->media, m->port);
	if (m->port_count > 1)
		g_string_append_printf(out, "/%u", m->port_count);
	g_string_append_printf(out, " %s", m->proto);
	for (guint i = 0; i < m->fmts->len; i++)
		g_string_append_printf(out, " %s", (const char *)m->fmts->pdata[i]);
	g_string_append(out, "\r\n");
	print_kept(out, m->lines, 'i');
	print_connection(out, &m->connection);
	print_kept(out, m->lines, 'b');
	print_kept(out, m->lines, 'k');
	for (guint i = 0; i < m->formats->len; i++) {
		const XbSdpFormat *f = m->formats->pdata[i];

		if (f->has_rtpmap && f->encoding) {
			g_string_append_printf(out, "a=rtpmap:%u %s/%u", f->pt, f->encoding,
			                       f->clock_rate);
			if (f->channels > 1)
				g_string_append_printf(out, "/%u", f->channels);
			g_string_append(out, "\r\n");
		}
		if (f->fmtp)
			g_string_append_printf(out, "a=fmtp:%u %s\r\n", f->pt, f->fmtp);
	}
	if (m->ptime)
		g_string_append_printf(out, "a=ptime:%u\r\n", m->ptime);
	if (m->rtcp_port) {
		g_string_append_printf(out, "a=rtcp:%u", m->rtcp_port);
		if (m->rtcp.present)
			g_string_append_printf(out, " IN %s %s", m->rtcp.ipv6 ? "IP6" : "IP4",
			                       m->rtcp.address);
		g_string_append(out, "\r\n");
	}
	print_direction(out, m->direction);
	print_kept(out, m->lines, 'a');
}

char *xb_sdp_print(const XbSdpSession *sdp)
{
	GString *out = g_string_sized_new(512);
	const XbSdpOrigin *o = &sdp->origin;

	g_string_append(out, "v=0\r\n");
	g_string_append_printf(out, "o=%s %s %" G_GUINT64_FORMAT " IN %s %s\r\n",
	                       o->username ? o->username : "-", o->sess_id ? o->sess_id : "0",
	                       o->sess_version, o->ipv6 ? "IP6" : "IP4",
	                       o->address ? o->address : "0.0.0.0");
	g_string_append_printf(out, "s=%s\r\n", sdp->name ? sdp->name : "-");
	print_kept(out, sdp->lines, 'i');
	print_kept(out, sdp->lines, 'u');
	print_kept(out, sdp->lines, 'e');
	print_kept(out, sdp->lines, 'p');
	print_connection(out, &sdp->connection);
	print_kept(out, sdp->lines, 'b');
	g_string_append_printf(out, "t=%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\r\n",
	                       sdp->start_time, sdp->stop_time);
	print_times(out, sdp->lines);
	print_kept(out, sdp->lines, 'z');
	print_kept(out, sdp->lines, 'k');
	print_direction(out, sdp->direction);
	print_kept(out, sdp->lines, 'a');
	for (guint i = 0; i < sdp->media->len; i++)
		print_media(out, sdp->media->pdata[i]);
	return g_string_free(out, FALSE);
}
