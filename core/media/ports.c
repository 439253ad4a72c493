/* ports.c: the RTP port pairs of media.rtp_ports. A pair is an even port for RTP and the odd
 * one above it for RTCP (RFC 3550 §11). Pairs are handed out round-robin, so that a port
 * just freed is the last to come back, and a pair given back rests for a quiet period:
 * packets still on their way to an ended call must not reach the next one. While it rests
 * its sockets stay bound (their packets unread), so that a phone still sending to an ended
 * call gets no ICMP "port unreachable" (which some phones take as the call's end before
 * the BYE comes); they close when the rest is over. A pair whose ports another program
 * holds is skipped. Main loop only. */
#include "media_private.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

static guint first_port; /* even */
static guint npairs;
static gint64 *rest_until; /* per pair: -1 in use, else free from then (ms, monotonic) */
static guint cursor;
static gint64 rest;

/* The sockets of resting pairs, in the order they were given back (so their rests end in
 * that order too). */
typedef struct {
	int fd[2];
	gint64 until;
} Resting;
static GQueue resting = G_QUEUE_INIT;

static void resting_close(Resting *r)
{
	close(r->fd[0]);
	close(r->fd[1]);
	g_free(r);
}

/* Closes the sockets of pairs whose rest is over. */
static void resting_sweep(gint64 now)
{
	Resting *r;

	while ((r = g_queue_peek_head(&resting)) && r->until <= now)
		resting_close(g_queue_pop_head(&resting));
}

void xb_media_ports_init(guint lo, guint hi, gint64 rest_ms)
{
	xb_media_ports_reset();
	first_port = lo + (lo & 1);
	npairs = hi > first_port ? (hi - first_port + 1) / 2 : 0;
	rest_until = g_new0(gint64, MAX(npairs, 1));
	rest = rest_ms;
	cursor = 0;
}

void xb_media_ports_reset(void)
{
	g_queue_clear_full(&resting, (GDestroyNotify)resting_close);
	g_clear_pointer(&rest_until, g_free);
	npairs = 0;
}

static int bound_socket(GInetAddress *ip, guint16 port)
{
	GSocketFamily family = g_inet_address_get_family(ip);
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd, size = 256 * 1024;

	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(ip, port);
	len = g_socket_address_get_native_size(sa);
	if (!g_socket_address_to_native(sa, &ss, sizeof ss, NULL))
		return -EINVAL;
	fd = socket(family == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET,
	            SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Room for a burst of packets while the worker is busy with other sockets. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	if (family == G_SOCKET_FAMILY_IPV6) {
		int on = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

gboolean xb_media_ports_open(const char *bind_ip, int fd[2], guint16 *port, GError **error)
{
	g_autoptr(GInetAddress) ip = bind_ip ? g_inet_address_new_from_string(bind_ip)
	                                     : g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
	gint64 now = g_get_monotonic_time() / 1000;

	if (!ip) {
		g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_SOCKET,
		            "media: '%s' is not an IP address", bind_ip);
		return FALSE;
	}
	resting_sweep(now);
	for (guint tried = 0; tried < npairs; tried++) {
		guint i = cursor;
		cursor = (cursor + 1) % npairs;
		if (rest_until[i] < 0 || rest_until[i] > now)
			continue;
		guint16 p = (guint16)(first_port + 2 * i);
		int a = bound_socket(ip, p);
		if (a == -EADDRINUSE || a == -EACCES)
			continue;
		if (a < 0) {
			g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_SOCKET,
			            "media: cannot bind %s port %u: %s",
			            bind_ip ? bind_ip : "0.0.0.0", p, g_strerror(-a));
			return FALSE;
		}
		int b = bound_socket(ip, p + 1);
		if (b < 0) {
			close(a);
			continue;
		}
		rest_until[i] = -1;
		fd[0] = a;
		fd[1] = b;
		*port = p;
		return TRUE;
	}
	g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_NO_PORTS,
	            "media: no free port pair in media.rtp_ports (%u-%u: %u in use, %u resting)",
	            first_port, first_port + 2 * npairs - 1, xb_media_ports_in_use(),
	            xb_media_ports_resting());
	return FALSE;
}

void xb_media_ports_release(guint16 port, const int fd[2])
{
	gint64 now = g_get_monotonic_time() / 1000;
	Resting *r = g_new(Resting, 1);

	r->fd[0] = fd[0];
	r->fd[1] = fd[1];
	r->until = now + rest;
	if (port >= first_port && (port - first_port) / 2 < npairs)
		rest_until[(port - first_port) / 2] = r->until;
	g_queue_push_tail(&resting, r);
	resting_sweep(now); /* (which closes r at once when there is no rest) */
}

guint xb_media_ports_in_use(void)
{
	guint n = 0;
	for (guint i = 0; i < npairs; i++)
		n += rest_until[i] < 0;
	return n;
}

guint xb_media_ports_resting(void)
{
	gint64 now = g_get_monotonic_time() / 1000;
	guint n = 0;
	for (guint i = 0; i < npairs; i++)
		n += rest_until[i] > now;
	return n;
}

guint xb_media_ports_total(void)
{
	return npairs;
}
