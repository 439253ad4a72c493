/* turn_limit.c: a token bucket per source address for what mod_turn answers over UDP to
 * requests it has not authenticated (Binding, the 401/438 challenge, errors before the
 * credential check). A UDP source can be forged, so without it the server would reflect a
 * flood of small requests at a victim, larger. The table holds at most TURN_LIMIT_SOURCES
 * addresses (ports ignored: a forger picks them freely); when it is full the oldest entry
 * makes room, and a source that comes back starts with a full bucket, so an eviction never
 * locks anyone out. No I/O, no timers: buckets refill from the clock when touched. */
#include "turn_private.h"

#include <string.h>

typedef struct {
	uint8_t addr[TURN_IP_KEY_LEN]; /* family + address */
	gint64 last_ms;                /* when tokens were last counted */
	guint64 tokens_milli;          /* tokens x 1000 */
} Bucket;

struct turn_limiter {
	GHashTable *by_addr; /* Bucket* (its addr) -> Bucket* in slots */
	Bucket *slots;
	guint used, next; /* slots in use; the oldest, reused next when all are */
	guint cap;
};

TurnLimiter *turn_limiter_new(guint cap)
{
	TurnLimiter *l = g_new0(TurnLimiter, 1);

	l->cap = cap ? cap : 1;
	l->slots = g_new0(Bucket, l->cap);
	l->by_addr = g_hash_table_new(turn_ip_key_hash, turn_ip_key_equal);
	return l;
}

void turn_limiter_free(TurnLimiter *l)
{
	if (!l)
		return;
	g_hash_table_destroy(l->by_addr);
	g_free(l->slots);
	g_free(l);
}

guint turn_limiter_count(const TurnLimiter *l)
{
	return g_hash_table_size(l->by_addr);
}

static Bucket *bucket_for(TurnLimiter *l, const uint8_t key[TURN_IP_KEY_LEN], guint burst,
                          gint64 now_ms)
{
	Bucket *b = g_hash_table_lookup(l->by_addr, key);

	if (b)
		return b;
	if (l->used < l->cap) {
		b = &l->slots[l->used++];
	} else {
		b = &l->slots[l->next];
		l->next = (l->next + 1) % l->cap;
		g_hash_table_remove(l->by_addr, b->addr);
	}
	memcpy(b->addr, key, sizeof(b->addr));
	b->last_ms = now_ms;
	b->tokens_milli = (guint64)burst * 1000;
	g_hash_table_add(l->by_addr, b);
	return b;
}

gboolean turn_limiter_take(TurnLimiter *l, const struct stun_addr *src, guint rate, guint burst,
                           gint64 now_ms)
{
	uint8_t key[TURN_IP_KEY_LEN];
	Bucket *b;

	if (!rate)
		return TRUE;
	turn_ip_key(key, src);
	b = bucket_for(l, key, burst, now_ms);
	if (now_ms > b->last_ms) {
		guint64 add = (guint64)(now_ms - b->last_ms) * rate; /* ms x tokens/s = milli */
		b->tokens_milli = MIN(b->tokens_milli + add, (guint64)burst * 1000);
		b->last_ms = now_ms;
	}
	if (b->tokens_milli < 1000)
		return FALSE;
	b->tokens_milli -= 1000;
	return TRUE;
}
