/* turn_alloc.c: the allocation table of RFC 8656 §5 (one allocation per 5-tuple) with each
 * allocation's permissions (§9) and channel bindings (§12), and their lifetimes on xb_timer.
 * It owns memory and timers only: no protocol parsing and no I/O beyond closing sockets.
 *
 *   object       created by                      refreshed by             ends when
 *   allocation   Allocate (§7.2)                 Refresh (§8)             lifetime runs out,
 *                                                                         Refresh 0, TCP close
 *   permission   CreatePermission (§9.2),        the same, 300 s          300 s pass, or its
 *                ChannelBind (§12.2)                                      allocation ends
 *   channel      ChannelBind (§12.2)             ChannelBind, 600 s       600 s pass, or its
 *                                                                         allocation ends
 *   reservation  Allocate with EVEN-PORT R=1     never                    30 s pass, or taken
 *
 * A channel's number and peer stay paired until the binding expires (§12.2 rebinding
 * rules). The client-side wait of 5 minutes before reusing them (§12) is the client's duty
 * and is not enforced here. */
#include "turn_private.h"

#include <string.h>

guint turn_tuple_hash(gconstpointer p)
{
	const guint8 *b = p;
	guint h = 2166136261u;

	for (size_t i = 0; i < sizeof(TurnTupleKey); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

gboolean turn_tuple_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(TurnTupleKey)) == 0;
}

guint turn_addr_hash(gconstpointer p)
{
	const struct stun_addr *a = p;
	guint h = 2166136261u ^ a->port ^ ((guint)a->family << 16);
	size_t n = a->family == STUN_FAMILY_IPV6 ? 16 : 4;

	for (size_t i = 0; i < n; i++)
		h = (h ^ a->ip[i]) * 16777619u;
	return h;
}

gboolean turn_addr_equal(gconstpointer a, gconstpointer b)
{
	return stun_addr_equal(a, b, true);
}

guint turn_ip_key_hash(gconstpointer p)
{
	const guint8 *b = p;
	guint h = 2166136261u;

	for (size_t i = 0; i < TURN_IP_KEY_LEN; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

gboolean turn_ip_key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, TURN_IP_KEY_LEN) == 0;
}

void turn_ip_key(uint8_t out[TURN_IP_KEY_LEN], const struct stun_addr *a)
{
	memset(out, 0, TURN_IP_KEY_LEN);
	out[0] = a->family;
	memcpy(out + 1, a->ip, a->family == STUN_FAMILY_IPV6 ? 16 : 4);
}

void turn_addr_copy(struct stun_addr *dst, const struct stun_addr *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->family = src->family;
	dst->port = src->port;
	memcpy(dst->ip, src->ip, src->family == STUN_FAMILY_IPV6 ? 16 : 4);
}

void turn_tuple_key(TurnTupleKey *key, const TurnFrom *from)
{
	memset(key, 0, sizeof(*key));
	key->transport = (uint8_t)(from->listener ? from->listener->transport : XB_TRANSPORT_UDP);
	turn_addr_copy(&key->client, &from->client);
	turn_addr_copy(&key->server, &from->server);
}

/* ---- permissions and channels ---- */

static void perm_free(gpointer data)
{
	TurnPerm *p = data;

	xb_timer_cancel(p->timer);
	g_free(p);
}

static void perm_expired_cb(XbTimer *timer, gpointer user_data)
{
	TurnPerm *p = user_data;

	p->timer = NULL;
	if (p->alloc->wa)
		turn_worker_perm(p->alloc->wa, p->ip, FALSE);
	g_hash_table_remove(p->alloc->perms, p->ip);
}

gboolean turn_alloc_permit(TurnAlloc *a, const struct stun_addr *peer)
{
	uint8_t key[TURN_IP_KEY_LEN];
	TurnPerm *p;

	turn_ip_key(key, peer);
	p = g_hash_table_lookup(a->perms, key);
	if (!p) {
		if (g_hash_table_size(a->perms) >= TURN_MAX_PERMISSIONS)
			return FALSE;
		p = g_new0(TurnPerm, 1);
		memcpy(p->ip, key, sizeof(key));
		p->alloc = a;
		g_hash_table_insert(a->perms, p->ip, p);
		if (a->wa)
			turn_worker_perm(a->wa, p->ip, TRUE);
	}
	xb_timer_cancel(p->timer);
	p->timer = xb_timer_start(a->table->owner, TURN_PERMISSION_MS, perm_expired_cb, p);
	return TRUE;
}

gboolean turn_alloc_permitted(const TurnAlloc *a, const struct stun_addr *peer)
{
	uint8_t key[TURN_IP_KEY_LEN];

	turn_ip_key(key, peer);
	return g_hash_table_contains(a->perms, key);
}

guint turn_alloc_permission_count(const TurnAlloc *a)
{
	return g_hash_table_size(a->perms);
}

static void channel_free(gpointer data)
{
	TurnChannel *c = data;

	xb_timer_cancel(c->timer);
	g_free(c);
}

static void channel_expired_cb(XbTimer *timer, gpointer user_data)
{
	TurnChannel *c = user_data;

	c->timer = NULL;
	if (c->alloc->wa)
		turn_worker_channel(c->alloc->wa, c->number, &c->peer, FALSE);
	g_hash_table_remove(c->alloc->chan_peer, &c->peer);
	g_hash_table_remove(c->alloc->chan_num, GUINT_TO_POINTER(c->number)); /* frees c */
}

int turn_alloc_bind(TurnAlloc *a, uint16_t number, uint16_t max, const struct stun_addr *peer)
{
	TurnChannel *by_num = turn_alloc_channel(a, number);
	TurnChannel *by_peer = turn_alloc_channel_for(a, peer);
	TurnChannel *c = by_num;

	if (number < STUN_CHANNEL_MIN || number > max)
		return 400;
	if (by_num != by_peer)
		return 400; /* number bound to another peer, or peer to another number */
	if (!turn_alloc_permit(a, peer))
		return 508;
	if (!c) {
		c = g_new0(TurnChannel, 1);
		turn_addr_copy(&c->peer, peer);
		c->number = number;
		c->alloc = a;
		g_hash_table_insert(a->chan_num, GUINT_TO_POINTER(number), c);
		g_hash_table_insert(a->chan_peer, &c->peer, c);
		if (a->wa)
			turn_worker_channel(a->wa, number, &c->peer, TRUE);
	}
	xb_timer_cancel(c->timer);
	c->timer = xb_timer_start(a->table->owner, TURN_CHANNEL_MS, channel_expired_cb, c);
	return 0;
}

TurnChannel *turn_alloc_channel(const TurnAlloc *a, uint16_t number)
{
	return g_hash_table_lookup(a->chan_num, GUINT_TO_POINTER(number));
}

TurnChannel *turn_alloc_channel_for(const TurnAlloc *a, const struct stun_addr *peer)
{
	struct stun_addr key;

	turn_addr_copy(&key, peer);
	return g_hash_table_lookup(a->chan_peer, &key);
}

guint turn_alloc_channel_count(const TurnAlloc *a)
{
	return g_hash_table_size(a->chan_num);
}

/* ---- allocations ---- */

static void alloc_free(gpointer data)
{
	TurnAlloc *a = data;
	TurnTable *t = a->table;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(t->per_user, a->username));

	if (n > 1)
		g_hash_table_insert(t->per_user, g_strdup(a->username), GUINT_TO_POINTER(n - 1));
	else
		g_hash_table_remove(t->per_user, a->username);
	if (a->from.conn && a->from.conn->alloc == a)
		a->from.conn->alloc = NULL;
	xb_timer_cancel(a->expiry);
	g_hash_table_destroy(a->chan_peer);
	g_hash_table_destroy(a->chan_num);
	g_hash_table_destroy(a->perms);
	if (a->wa)
		turn_worker_alloc_stop(a->wa, g_steal_pointer(&a->relay)); /* closes it later */
	if (a->relay) {
		g_socket_close(a->relay, NULL);
		g_object_unref(a->relay);
	}
	g_free(a->username);
	g_free(a);
}

static void alloc_expired_cb(XbTimer *timer, gpointer user_data)
{
	TurnAlloc *a = user_data;

	a->expiry = NULL;
	turn_alloc_free(a, "expired");
}

TurnAlloc *turn_alloc_new(TurnTable *t, const TurnFrom *from, const TurnAuth *auth, GSocket *relay,
                          const struct stun_addr *relayed, guint32 lifetime_s)
{
	TurnAlloc *a;
	TurnTupleKey key;
	guint n;

	turn_tuple_key(&key, from);
	g_return_val_if_fail(!g_hash_table_contains(t->by_tuple, &key), NULL);
	a = g_new0(TurnAlloc, 1);
	a->table = t;
	a->from = *from;
	turn_tuple_key(&a->key, from);
	a->client_salen =
	    (socklen_t)stun_addr_to_sockaddr(&from->client, &a->client_sa, sizeof(a->client_sa));
	a->auth = *auth;
	a->username = g_strdup(auth->username);
	a->relay = relay;
	a->relay_fd = relay ? g_socket_get_fd(relay) : -1;
	turn_addr_copy(&a->relayed, relayed);
	a->perms = g_hash_table_new_full(turn_ip_key_hash, turn_ip_key_equal, NULL, perm_free);
	a->chan_num = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, channel_free);
	a->chan_peer = g_hash_table_new(turn_addr_hash, turn_addr_equal);
	a->created = xb_clock_now();
	g_hash_table_insert(t->by_tuple, &a->key, a);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(t->per_user, a->username));
	g_hash_table_insert(t->per_user, g_strdup(a->username), GUINT_TO_POINTER(n + 1));
	if (from->conn)
		from->conn->alloc = a;
	turn_alloc_refresh(a, lifetime_s);
	return a;
}

void turn_alloc_refresh(TurnAlloc *a, guint32 lifetime_s)
{
	if (lifetime_s == 0) {
		turn_alloc_free(a, "deleted");
		return;
	}
	a->lifetime = lifetime_s;
	xb_timer_cancel(a->expiry);
	a->expiry = xb_timer_start(a->table->owner, (gint64)lifetime_s * 1000, alloc_expired_cb, a);
	a->expires = xb_timer_deadline(a->expiry);
}

void turn_alloc_free(TurnAlloc *a, const char *why)
{
	TurnTable *t = a->table;

	if (t->on_free)
		t->on_free(a, why, t->user_data);
	g_hash_table_remove(t->by_tuple, &a->key); /* frees a */
}

gint64 turn_alloc_remaining_ms(const TurnAlloc *a)
{
	return MAX(a->expires - xb_clock_now(), 0);
}

/* ---- reservations (EVEN-PORT with R, RFC 8656 §7.2, §14.6) ---- */

static void reservation_free(gpointer data)
{
	TurnReservation *r = data;

	xb_timer_cancel(r->timer);
	if (r->socket) {
		g_socket_close(r->socket, NULL);
		g_object_unref(r->socket);
	}
	g_free(r);
}

static void reservation_expired_cb(XbTimer *timer, gpointer user_data)
{
	TurnReservation *r = user_data;

	r->timer = NULL;
	g_hash_table_remove(r->table->reservations, r->token);
}

static guint token_hash(gconstpointer p)
{
	guint h;

	memcpy(&h, p, sizeof(h));
	return h;
}

static gboolean token_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, 8) == 0;
}

TurnReservation *turn_reservation_add(TurnTable *t, GSocket *socket, uint16_t port)
{
	TurnReservation *r = g_new0(TurnReservation, 1);

	uint8_t rnd[STUN_TID_LEN];

	do {
		xb_random_bytes(rnd, sizeof(rnd)); /* tokens must not be guessed */
		memcpy(r->token, rnd, sizeof(r->token));
	} while (g_hash_table_contains(t->reservations, r->token));
	r->socket = socket;
	r->port = port;
	r->table = t;
	r->timer = xb_timer_start(t->owner, TURN_RESERVATION_MS, reservation_expired_cb, r);
	g_hash_table_insert(t->reservations, r->token, r);
	return r;
}

GSocket *turn_reservation_take(TurnTable *t, const uint8_t token[8], uint16_t *port)
{
	TurnReservation *r = g_hash_table_lookup(t->reservations, token);
	GSocket *s;

	if (!r)
		return NULL;
	s = g_steal_pointer(&r->socket);
	*port = r->port;
	g_hash_table_remove(t->reservations, token);
	return s;
}

/* ---- the table ---- */

TurnTable *turn_table_new(XbModule *owner)
{
	TurnTable *t = g_new0(TurnTable, 1);

	t->owner = owner;
	t->by_tuple = g_hash_table_new_full(turn_tuple_hash, turn_tuple_equal, NULL, alloc_free);
	t->per_user = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	t->reservations = g_hash_table_new_full(token_hash, token_equal, NULL, reservation_free);
	return t;
}

void turn_table_free(TurnTable *t)
{
	if (!t)
		return;
	t->on_free = NULL; /* no events on the way out */
	g_hash_table_destroy(t->by_tuple);
	g_hash_table_destroy(t->reservations);
	g_hash_table_destroy(t->per_user);
	g_free(t);
}

guint turn_table_count(const TurnTable *t)
{
	return g_hash_table_size(t->by_tuple);
}

guint turn_table_user_count(const TurnTable *t, const char *username)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(t->per_user, username));
}

TurnAlloc *turn_table_lookup(const TurnTable *t, const TurnTupleKey *key)
{
	return g_hash_table_lookup(t->by_tuple, key);
}
