/* transport_limits.c: what bounds the stream transports per source: accepted connections
 * counted by source (an IPv4 address or an IPv6 /64) and the warnings, rate-limited, when a
 * limit is reached; and the address hash the TLS names table keys on. */
#include "transport_private.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>

/* ---- limits ---- */

/* Log a limit being hit at most once a minute: a flood must not flood the log too. */
void G_GNUC_PRINTF(2, 3) limit_warn(gint64 *last, const char *fmt, ...)
{
	gint64 now = g_get_monotonic_time();
	va_list ap;

	if (*last && now - *last < 60 * G_USEC_PER_SEC)
		return;
	*last = now;
	va_start(ap, fmt);
	g_logv(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

/* Count an accepted connection against its source; FALSE when the source has its
 * sip.tcp_max_per_source already. */
gboolean source_admit(SipTransports *tp, const struct sockaddr_storage *peer)
{
	XbSourceKey key;
	SourceConns *s;

	xb_source_key((const struct sockaddr *)peer, &key);
	s = g_hash_table_lookup(tp->sources, &key);
	if (s && s->count >= tp->cfg.max_per_source) {
		char host[INET6_ADDRSTRLEN];
		guint16 port;
		sip_sockaddr_text(peer, host, sizeof(host), &port);
		limit_warn(&tp->source_limit_warned,
		           "%s has %u connections open (sip.tcp_max_per_source); refusing more",
		           host, s->count);
		return FALSE;
	}
	if (!s) {
		s = g_new0(SourceConns, 1);
		s->key = key;
		g_hash_table_insert(tp->sources, &s->key, s);
	}
	s->count++;
	return TRUE;
}

void source_release(SipTransports *tp, const struct sockaddr_storage *peer)
{
	XbSourceKey key;
	SourceConns *s;

	xb_source_key((const struct sockaddr *)peer, &key);
	s = g_hash_table_lookup(tp->sources, &key);
	if (s && --s->count == 0)
		g_hash_table_remove(tp->sources, &key);
}

guint sockaddr_hash(gconstpointer k)
{
	XbSourceKey key;
	const struct sockaddr_storage *ss = k;
	guint16 port = ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
	                                         : ((const struct sockaddr_in *)ss)->sin_port;

	xb_source_key((const struct sockaddr *)ss, &key);
	return xb_source_key_hash(&key) ^ port;
}

gboolean sockaddr_equal(gconstpointer a, gconstpointer b)
{
	return same_addr(a, b);
}
