/* authlimit.c: the shared authentication-failure limiter (see crossbar/authlimit.h). One
 * hash table of sources keyed by address (IPv6 by /64) and one queue of the same entries in
 * the order they last failed, so that lookup, counting and eviction of the oldest entry are
 * each O(1) on the REGISTER and TURN hot paths. It must not log per packet: only the failure
 * that starts a ban is logged. */
#include "../core_private.h"

#include <crossbar/authlimit.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

typedef struct {
	XbSourceKey key;
	guint failures;
	gint64 window_start; /* ms on the core clock */
	gint64 banned_until; /* ms on the core clock; 0: never banned */
	GList link;          /* in `order`, data = this entry */
} Source;

static XbAuthLimitConfig config = {
    .failures = XB_AUTHLIMIT_DEFAULT_FAILURES,
    .window_s = XB_AUTHLIMIT_DEFAULT_WINDOW_S,
    .ban_s = XB_AUTHLIMIT_DEFAULT_BAN_S,
};
static GHashTable *sources; /* XbSourceKey * (inside the Source) -> Source (owned) */
static GQueue order;        /* least recently failed first */
static guint64 hash_seed;   /* so that no one can pick colliding sources */

/* A 64-bit mix (splitmix64's finaliser): spreads every input bit over the hash. */
guint xb_source_key_hash(gconstpointer p)
{
	const XbSourceKey *k = p;
	guint64 x;

	if (!hash_seed) { /* made once, and never changed: tables keep their hashes */
		xb_random_bytes(&hash_seed, sizeof(hash_seed));
		hash_seed |= 1;
	}
	x = k->bits ^ hash_seed ^ ((guint64)k->family << 56);

	x ^= x >> 30;
	x *= G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= G_GUINT64_CONSTANT(0x94d049bb133111eb);
	x ^= x >> 31;
	return (guint)x;
}

gboolean xb_source_key_equal(gconstpointer a, gconstpointer b)
{
	const XbSourceKey *x = a, *y = b;

	return x->bits == y->bits && x->family == y->family;
}

static void ensure_table(void)
{
	if (sources)
		return;
	sources = g_hash_table_new_full(xb_source_key_hash, xb_source_key_equal, NULL, g_free);
}

gboolean xb_source_key(const struct sockaddr *sa, XbSourceKey *k)
{
	const guint8 *b;

	memset(k, 0, sizeof(*k));
	if (!sa)
		return FALSE;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		k->family = 4;
		k->bits = ntohl(in->sin_addr.s_addr);
		return TRUE;
	}
	if (sa->sa_family != AF_INET6)
		return FALSE;
	b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)b)) {
		k->family = 4;
		k->bits = (guint64)b[12] << 24 | (guint64)b[13] << 16 | (guint64)b[14] << 8 | b[15];
		return TRUE;
	}
	k->family = 6;
	for (int i = 0; i < 8; i++)
		k->bits = k->bits << 8 | b[i];
	return TRUE;
}

/* "192.0.2.1" or "2001:db8:1:2::/64", for the log. */
static void key_text(const XbSourceKey *k, char *out, size_t len)
{
	if (k->family == 4) {
		struct in_addr a = {.s_addr = htonl((guint32)k->bits)};
		inet_ntop(AF_INET, &a, out, (socklen_t)len);
		return;
	}
	struct in6_addr a;
	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 8; i++)
		a.s6_addr[i] = (guint8)(k->bits >> (56 - 8 * i));
	inet_ntop(AF_INET6, &a, out, (socklen_t)len);
	g_strlcat(out, "/64", len);
}

void xb_authlimit_configure(const XbAuthLimitConfig *cfg)
{
	config = *cfg;
}

void xb_authlimit_get_config(XbAuthLimitConfig *out)
{
	*out = config;
}

static Source *lookup(const struct sockaddr *sa)
{
	XbSourceKey k;

	if (!sources || !xb_source_key(sa, &k))
		return NULL;
	return g_hash_table_lookup(sources, &k);
}

gboolean xb_authlimit_is_banned(const struct sockaddr *sa)
{
	Source *s = lookup(sa);

	return s && s->banned_until > xb_clock_now();
}

static void evict_oldest(void)
{
	GList *l = g_queue_pop_head_link(&order);

	if (l)
		g_hash_table_remove(sources, &((Source *)l->data)->key);
}

gboolean xb_authlimit_failure(const struct sockaddr *sa, const char *module)
{
	gint64 now = xb_clock_now();
	XbSourceKey k;
	Source *s;

	if (config.failures == 0 || !xb_source_key(sa, &k))
		return FALSE;
	ensure_table();
	s = g_hash_table_lookup(sources, &k);
	if (s) {
		g_queue_unlink(&order, &s->link);
	} else {
		if (g_hash_table_size(sources) >= XB_AUTHLIMIT_MAX_SOURCES)
			evict_oldest();
		s = g_new0(Source, 1);
		s->key = k;
		s->window_start = now;
		s->link.data = s;
		g_hash_table_insert(sources, &s->key, s);
	}
	g_queue_push_tail_link(&order, &s->link);
	if (s->banned_until > now)
		return FALSE; /* already banned: its callers refuse it before checking */
	if (now - s->window_start > config.window_s * 1000) {
		s->window_start = now;
		s->failures = 0;
	}
	if (++s->failures < config.failures)
		return FALSE;
	s->banned_until = now + config.ban_s * 1000;
	s->failures = 0;
	s->window_start = now;

	char text[INET6_ADDRSTRLEN + 4];
	key_text(&s->key, text, sizeof(text));
	g_warning("%s: %s banned for %" G_GINT64_FORMAT " s after %u failed authentications",
	          module ? module : "auth", text, config.ban_s, config.failures);
	return TRUE;
}

guint xb_authlimit_tracked_count(void)
{
	return sources ? g_hash_table_size(sources) : 0;
}

guint xb_authlimit_banned_count(void)
{
	gint64 now = xb_clock_now();
	guint n = 0;

	for (GList *l = order.head; l; l = l->next)
		n += ((Source *)l->data)->banned_until > now;
	return n;
}

void xb_authlimit_reset(void)
{
	g_queue_init(&order);
	g_clear_pointer(&sources, g_hash_table_unref);
}
