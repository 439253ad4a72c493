/* turn_request.c: what each message from a client means (RFC 8489 §6.3, RFC 8656 §7-§12,
 * RFC 6156): Binding, Allocate, Refresh, CreatePermission, ChannelBind, Send indications
 * and ChannelData. Every check that can refuse a request runs before any state is made;
 * the tables and sockets it changes belong to turn_alloc.c and turn_server.c. The error
 * codes follow the RFC's order of checks:
 *
 *   any request      unknown comprehension-required attribute → 420 (after auth)
 *   Allocate §7.2    auth 401/438/400 → 5-tuple in use 437 → REQUESTED-TRANSPORT missing
 *                    400, not UDP 442 → DONT-FRAGMENT 420 → RESERVATION-TOKEN with EVEN-PORT
 *                    or REQUESTED-ADDRESS-FAMILY 400 → family 440 → quota 486 → ports 508
 *   Refresh §8       auth → no allocation 437 → other user 441 → family 443 → 0 deletes
 *   CreatePerm §9    auth → 437 → 441 → no XOR-PEER-ADDRESS 400 → family 443 → policy 403
 *   ChannelBind §12  auth → 437 → 441 → bad number/peer 400 → 443 → 403 → rebinding 400
 *   Send §11.2, ChannelData §12.5: dropped silently unless a permission exists. */
#include "turn_private.h"

#include <string.h>

#define REPLY_MAX 1024
#define SOFTWARE  "crossbar"

typedef struct {
	TurnServer *srv;
	const TurnFrom *from;
	const struct stun_msg *msg;
	const TurnAuth *auth; /* NULL before authentication */
} Ctx;

static gint64 now_seconds(void)
{
	return xb_clock_now() / 1000;
}

static void finish_send(Ctx *c, struct stun_encoder *e)
{
	size_t len;

	if (c->auth) {
		if (c->auth->sha256)
			stun_encode_integrity_sha256(e, c->auth->key, c->auth->key_len);
		else
			stun_encode_integrity(e, c->auth->key, c->auth->key_len);
	}
	if (c->msg->fp >= 0)
		stun_encode_fingerprint(e);
	if (stun_encode_finish(e, &len) == 0)
		turn_send_client(c->from, e->buf, len);
}

/* Whether the request carries a nonce we made for its source address, still fresh: then
 * the source received our earlier answer there and is not forged. */
static gboolean source_proven(Ctx *c)
{
	const struct stun_attr *n = stun_attr_get(c->msg, STUN_ATTR_NONCE);

	return n && stun_nonce_check(c->srv->nonce_key, sizeof(c->srv->nonce_key),
	                             (const char *)n->value, n->len, now_seconds(),
	                             c->srv->cfg->nonce_lifetime, &c->from->client) == 0;
}

/* Whether an answer to a request not (yet) authenticated may go out. Over UDP the source
 * may be forged, so such answers are rate-limited per source address (turn_limit.c) and
 * dropped silently past it; a TCP or TLS client has completed a handshake, and a request
 * with our nonce for its address proves its source too (checked only past the limit). */
static gboolean unauth_answer_ok(Ctx *c)
{
	const TurnConfig *cfg = c->srv->cfg;

	if (c->from->conn || turn_limiter_take(c->srv->unauth, &c->from->client, cfg->unauth_rate,
	                                       cfg->unauth_burst, xb_clock_now()))
		return TRUE;
	if (source_proven(c))
		return TRUE;
	c->srv->counters.dropped_unauth++;
	return FALSE;
}

/* Before authentication the answer carries only what RFC 8489 §9.2.4 needs (ERROR-CODE with
 * an empty reason phrase, REALM and NONCE for 401/438, FINGERPRINT when the request had
 * one), no SOFTWARE: 84 bytes for a 401 with the default realm, 92 with FINGERPRINT. */
static void reply_error(Ctx *c, int code)
{
	uint8_t buf[REPLY_MAX];
	struct stun_encoder e;
	char client[64];

	if (!c->auth && !unauth_answer_ok(c))
		return;
	g_debug("%s: method 0x%03x answered %d", stun_addr_to_string(&c->from->client, client, 64),
	        c->msg->method, code);
	if (c->msg->method == STUN_METHOD_ALLOCATE && code != 438 &&
	    (code != 401 || c->msg->mi >= 0 || c->msg->mi256 >= 0))
		c->srv->counters.allocate_errors++;
	stun_encode_error_response(&e, buf, sizeof(buf), c->msg, code, c->auth ? NULL : "");
	if (code == 401 || code == 438) {
		char nonce[STUN_NONCE_LEN + 1];

		stun_encode_string(&e, STUN_ATTR_REALM, turn_realm(c->srv->cfg));
		if (stun_nonce_make(c->srv->nonce_key, sizeof(c->srv->nonce_key), now_seconds(),
		                    &c->from->client, nonce) == 0)
			stun_encode_string(&e, STUN_ATTR_NONCE, nonce);
	}
	if (c->auth)
		stun_encode_string(&e, STUN_ATTR_SOFTWARE, SOFTWARE);
	finish_send(c, &e);
}

static void reply_start(Ctx *c, struct stun_encoder *e, uint8_t *buf, size_t cap)
{
	stun_encode_init(e, buf, cap, c->msg->method, STUN_CLASS_SUCCESS, c->msg->tid);
	stun_encode_string(e, STUN_ATTR_SOFTWARE, SOFTWARE);
}

/* ---- Binding (RFC 8489 §6.3.1) ---- */

static void handle_binding(Ctx *c)
{
	uint8_t buf[REPLY_MAX];
	struct stun_encoder e;

	if (c->msg->n_unknown) {
		reply_error(c, 420);
		return;
	}
	if (!unauth_answer_ok(c))
		return;
	/* unauthenticated: no SOFTWARE, 32 bytes (IPv4) or 44 (IPv6) plus FINGERPRINT */
	stun_encode_init(&e, buf, sizeof(buf), c->msg->method, STUN_CLASS_SUCCESS, c->msg->tid);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &c->from->client);
	finish_send(c, &e);
}

/* ---- lifetimes (RFC 8656 §7.2 and §8) ---- */

static guint32 granted_lifetime(const TurnConfig *cfg, const struct stun_msg *msg)
{
	const struct stun_attr *a = stun_attr_get(msg, STUN_ATTR_LIFETIME);
	uint32_t want = cfg->default_lifetime;

	if (a && stun_attr_u32(a, &want) != 0)
		want = cfg->default_lifetime;
	want = MIN(want, cfg->max_lifetime);
	return MAX(want, cfg->default_lifetime);
}

/* ---- Allocate (RFC 8656 §7.2, RFC 6156 §4.2) ---- */

static void reply_allocated(Ctx *c, TurnAlloc *a, const uint8_t *token)
{
	uint8_t buf[REPLY_MAX];
	struct stun_encoder e;

	reply_start(c, &e, buf, sizeof(buf));
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_RELAYED_ADDRESS, &a->relayed);
	/* Dual allocation is not offered: the IPv6 half is refused (RFC 8656 §7.2). */
	if (stun_attr_get(c->msg, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY))
		stun_encode_address_error_code(&e, STUN_FAMILY_IPV6, 440, NULL);
	stun_encode_u32(&e, STUN_ATTR_LIFETIME, (uint32_t)(turn_alloc_remaining_ms(a) / 1000));
	if (token)
		stun_encode_attr(&e, STUN_ATTR_RESERVATION_TOKEN, token, 8);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &c->from->client);
	finish_send(c, &e);
}

static void publish_created(TurnAlloc *a)
{
	char client[64], relayed[64];

	stun_addr_to_string(&a->from.client, client, sizeof(client));
	stun_addr_to_string(&a->relayed, relayed, sizeof(relayed));
	xb_event_publish(
	    "turn.allocation.created",
	    g_variant_new("(ssss)", a->username, a->from.conn ? "tcp" : "udp", client, relayed));
}

/* Picks the relayed family, or answers the error (§7.2, RFC 6156 §4.2). 0 is answered. */
static uint8_t allocate_family(Ctx *c, gboolean has_token)
{
	const struct stun_attr *raf = stun_attr_get(c->msg, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	const struct stun_attr *aaf = stun_attr_get(c->msg, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY);
	uint8_t family = STUN_FAMILY_IPV4;

	if (raf && (has_token || aaf)) {
		reply_error(c, 400);
		return 0;
	}
	if (raf && stun_attr_address_family(raf, &family) != 0) {
		reply_error(c, 400);
		return 0;
	}
	if (aaf) {
		/* Dual allocation (RFC 8656 §7.2) is not offered: the IPv4 relay is made and
		 * the additional IPv6 one is refused with ADDRESS-ERROR-CODE 440 in the
		 * success response. Known limit. */
		uint8_t extra;

		if (stun_attr_address_family(aaf, &extra) != 0 || extra != STUN_FAMILY_IPV6) {
			reply_error(c, 400);
			return 0;
		}
	}
	if ((family == STUN_FAMILY_IPV4 && !c->srv->has_relay4) ||
	    (family == STUN_FAMILY_IPV6 && !c->srv->has_relay6)) {
		reply_error(c, 440);
		return 0;
	}
	return family;
}

static void handle_allocate(Ctx *c)
{
	TurnServer *srv = c->srv;
	const TurnConfig *cfg = srv->cfg;
	const struct stun_msg *msg = c->msg;
	const struct stun_attr *rt = stun_attr_get(msg, STUN_ATTR_REQUESTED_TRANSPORT);
	const struct stun_attr *ep = stun_attr_get(msg, STUN_ATTR_EVEN_PORT);
	const struct stun_attr *rtok = stun_attr_get(msg, STUN_ATTR_RESERVATION_TOKEN);
	TurnTupleKey key;
	TurnAlloc *a;
	uint8_t proto, family, token[8];
	bool reserve = false;
	GSocket *relay = NULL, *next = NULL;
	struct stun_addr relayed;
	uint16_t port = 0;
	TurnReservation *res = NULL;

	turn_tuple_key(&key, c->from);
	a = turn_table_lookup(srv->table, &key);
	if (a) {
		/* A retransmission of the request that made it gets the same answer. */
		if (memcmp(a->tid, msg->tid, STUN_TID_LEN) == 0 &&
		    strcmp(a->username, c->auth->username) == 0)
			reply_allocated(c, a, NULL);
		else
			reply_error(c, 437);
		return;
	}
	if (!rt || stun_attr_requested_transport(rt, &proto) != 0) {
		reply_error(c, 400);
		return;
	}
	if (proto != STUN_TRANSPORT_UDP) {
		reply_error(c, 442);
		return;
	}
	if (stun_attr_get(msg, STUN_ATTR_DONT_FRAGMENT))
		stun_msg_mark_unknown((struct stun_msg *)msg, STUN_ATTR_DONT_FRAGMENT);
	if (msg->n_unknown) {
		reply_error(c, 420);
		return;
	}
	if (rtok && (ep || stun_attr_reservation_token(rtok, token) != 0)) {
		reply_error(c, 400);
		return;
	}
	if (ep && stun_attr_even_port(ep, &reserve) != 0) {
		reply_error(c, 400);
		return;
	}
	/* Reserved ports outlive a deleted allocation for 30 s: bound them too. */
	if (reserve && g_hash_table_size(srv->table->reservations) >= TURN_MAX_RESERVATIONS) {
		reply_error(c, 508);
		return;
	}
	family = allocate_family(c, rtok != NULL);
	if (!family)
		return;
	if ((cfg->max_allocs && turn_table_count(srv->table) >= cfg->max_allocs) ||
	    (cfg->max_allocs_per_user &&
	     turn_table_user_count(srv->table, c->auth->username) >= cfg->max_allocs_per_user)) {
		reply_error(c, 486);
		return;
	}
	relayed = family == STUN_FAMILY_IPV6 ? srv->relay6 : srv->relay4;
	if (rtok) {
		/* The token's socket decides the family (RFC 6156 §4.2: no
		 * REQUESTED-ADDRESS-FAMILY beside a token). */
		relay = turn_reservation_take(srv->table, token, &port);
		if (relay && g_socket_get_family(relay) == G_SOCKET_FAMILY_IPV6)
			relayed = srv->relay6;
	} else {
		relay = turn_relay_bind(&relayed, cfg->port_lo, cfg->port_hi, ep != NULL,
		                        reserve ? &next : NULL, &port);
	}
	if (!relay) {
		reply_error(c, 508);
		return;
	}
	relayed.port = port;
	if (next)
		res = turn_reservation_add(srv->table, next, (uint16_t)(port + 1));
	a = turn_alloc_new(srv->table, c->from, c->auth, relay, &relayed,
	                   granted_lifetime(cfg, msg));
	memcpy(a->tid, msg->tid, STUN_TID_LEN);
	turn_server_watch_relay(srv, a);
	srv->counters.allocations++;
	reply_allocated(c, a, res ? res->token : NULL);
	publish_created(a);
}

/* ---- requests on an existing allocation ---- */

/* The allocation of the 5-tuple, owned by the same user, or NULL after answering 437/441. */
static TurnAlloc *own_allocation(Ctx *c)
{
	TurnTupleKey key;
	TurnAlloc *a;

	turn_tuple_key(&key, c->from);
	a = turn_table_lookup(c->srv->table, &key);
	if (!a) {
		reply_error(c, 437);
		return NULL;
	}
	if (strcmp(a->username, c->auth->username) != 0) {
		reply_error(c, 441);
		return NULL;
	}
	if (c->msg->n_unknown) {
		reply_error(c, 420);
		return NULL;
	}
	return a;
}

static void handle_refresh(Ctx *c)
{
	const struct stun_attr *raf = stun_attr_get(c->msg, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	const struct stun_attr *lt = stun_attr_get(c->msg, STUN_ATTR_LIFETIME);
	TurnAlloc *a = own_allocation(c);
	uint8_t buf[REPLY_MAX];
	struct stun_encoder e;
	uint32_t want = 1;
	uint8_t family;

	if (!a)
		return;
	if (raf && (stun_attr_address_family(raf, &family) != 0 || family != a->relayed.family)) {
		reply_error(c, 443);
		return;
	}
	if (lt && stun_attr_u32(lt, &want) != 0) {
		reply_error(c, 400);
		return;
	}
	reply_start(c, &e, buf, sizeof(buf));
	if (lt && want == 0) {
		turn_alloc_free(a, "deleted");
		stun_encode_u32(&e, STUN_ATTR_LIFETIME, 0);
	} else {
		guint32 life = granted_lifetime(c->srv->cfg, c->msg);

		turn_alloc_refresh(a, life);
		stun_encode_u32(&e, STUN_ATTR_LIFETIME, life);
	}
	finish_send(c, &e);
}

/* A peer address the allocation may use: 0, or the error to answer (400, 443, 403). */
static int check_peer(Ctx *c, TurnAlloc *a, const struct stun_attr *attr, struct stun_addr *peer)
{
	if (stun_attr_xor_addr(c->msg, attr, peer) != 0)
		return 400;
	if (peer->family != a->relayed.family)
		return 443;
	return turn_peer_check(c->srv->cfg, peer);
}

static void reply_empty(Ctx *c)
{
	uint8_t buf[REPLY_MAX];
	struct stun_encoder e;

	reply_start(c, &e, buf, sizeof(buf));
	finish_send(c, &e);
}

static void handle_create_permission(Ctx *c)
{
	TurnAlloc *a = own_allocation(c);
	struct stun_addr peers[STUN_MAX_ATTRS];
	const struct stun_attr *attr = NULL;
	guint n = 0;

	if (!a)
		return;
	/* All or nothing (§9.2): every address is checked before any is installed. */
	while ((attr = stun_attr_next(c->msg, STUN_ATTR_XOR_PEER_ADDRESS, attr))) {
		int err = check_peer(c, a, attr, &peers[n]);

		if (err) {
			reply_error(c, err);
			return;
		}
		n++;
	}
	if (n == 0) {
		reply_error(c, 400);
		return;
	}
	if (turn_alloc_permission_count(a) + n > TURN_MAX_PERMISSIONS) {
		guint fresh = 0;

		for (guint i = 0; i < n; i++)
			fresh += !turn_alloc_permitted(a, &peers[i]);
		if (turn_alloc_permission_count(a) + fresh > TURN_MAX_PERMISSIONS) {
			reply_error(c, 508);
			return;
		}
	}
	for (guint i = 0; i < n; i++)
		turn_alloc_permit(a, &peers[i]);
	reply_empty(c);
}

static void handle_channel_bind(Ctx *c)
{
	const struct stun_attr *cn = stun_attr_get(c->msg, STUN_ATTR_CHANNEL_NUMBER);
	const struct stun_attr *pa = stun_attr_get(c->msg, STUN_ATTR_XOR_PEER_ADDRESS);
	TurnAlloc *a = own_allocation(c);
	struct stun_addr peer;
	uint16_t number;
	int err;
	uint16_t max = c->srv->cfg->rfc5766_channels ? TURN_CHANNEL_MAX_RFC5766 : STUN_CHANNEL_MAX;

	if (!a)
		return;
	if (!cn || !pa || stun_attr_channel_number(cn, &number) != 0 || number < STUN_CHANNEL_MIN ||
	    number > max) {
		reply_error(c, 400);
		return;
	}
	err = check_peer(c, a, pa, &peer);
	if (!err)
		err = turn_alloc_bind(a, number, max, &peer);
	if (err) {
		reply_error(c, err);
		return;
	}
	reply_empty(c);
}

/* ---- data from the client ---- */

static TurnAlloc *alloc_of(TurnServer *srv, const TurnFrom *from)
{
	TurnTupleKey key;

	turn_tuple_key(&key, from);
	return turn_table_lookup(srv->table, &key);
}

/* §11.2: a Send indication is dropped silently when anything is wrong with it. */
static void handle_send(TurnServer *srv, const TurnFrom *from, const struct stun_msg *msg)
{
	const struct stun_attr *pa = stun_attr_get(msg, STUN_ATTR_XOR_PEER_ADDRESS);
	const struct stun_attr *data = stun_attr_get(msg, STUN_ATTR_DATA);
	TurnAlloc *a = alloc_of(srv, from);
	struct stun_addr peer;

	if (!a || !pa || !data || msg->n_unknown || stun_attr_xor_addr(msg, pa, &peer) != 0)
		return;
	if (!turn_alloc_permitted(a, &peer)) {
		srv->counters.dropped_no_permission++;
		a->traffic.dropped++;
		return;
	}
	turn_server_send_peer(srv, a, &peer, data->value, data->len);
}

static void handle_channel_data(TurnServer *srv, const TurnFrom *from, const uint8_t *buf,
                                size_t len)
{
	TurnAlloc *a = alloc_of(srv, from);
	const uint8_t *data;
	size_t data_len;
	uint16_t number;
	TurnChannel *ch;

	if (!a || turn_channel_parse(srv->cfg->rfc5766_channels, buf, len, from->conn != NULL,
	                             &number, &data, &data_len) != 0)
		return;
	ch = turn_alloc_channel(a, number);
	if (!ch)
		return;
	if (!turn_alloc_permitted(a, &ch->peer)) {
		srv->counters.dropped_no_permission++;
		a->traffic.dropped++;
		return;
	}
	turn_server_send_peer(srv, a, &ch->peer, data, data_len);
}

/* ---- dispatch ---- */

/* Password guesses meet the core's shared limiter (crossbar/authlimit.h), so that guesses
 * through TURN and through REGISTER add up. A banned source gets 403 Forbidden before any
 * credential is looked at: a 401 would invite it to try again, and 403 is what RFC 8656
 * answers a request the server will not serve for policy. Only a wrong MESSAGE-INTEGRITY
 * (or unknown user) on a request carrying a nonce that we made for that client address and
 * that has not expired is counted: turn_auth_check answers 438 to any other nonce before it
 * looks at the key. Over UDP the source can be forged, but the forger must then have
 * received our 401 (its nonce) at that address, i.e. be that address or on its path. */
static void handle_authenticated(Ctx *c)
{
	struct sockaddr_storage ss;
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	TurnAuth auth;
	int code;

	if (stun_addr_to_sockaddr(&c->from->client, &ss, sizeof(ss)) == 0)
		sa = NULL;
	if (sa && xb_authlimit_is_banned(sa)) {
		c->srv->counters.auth_refused_banned++;
		reply_error(c, 403);
		return;
	}
	code = turn_auth_check(c->srv->cfg, c->srv->nonce_key, sizeof(c->srv->nonce_key), c->msg,
	                       &c->from->client, now_seconds(), &auth);
	if (code) {
		gboolean integrity = c->msg->mi >= 0 || c->msg->mi256 >= 0;

		/* The first 401 (no integrity yet) is the normal challenge, not a failure. */
		if (code != 438 && integrity)
			c->srv->counters.auth_failures++;
		/* A 401 with integrity comes only after the nonce was found genuine. */
		if (code == 401 && integrity && sa && xb_authlimit_failure(sa, "turn"))
			code = 403;
		reply_error(c, code);
		return;
	}
	c->auth = &auth;
	switch (c->msg->method) {
	case STUN_METHOD_ALLOCATE:
		handle_allocate(c);
		break;
	case STUN_METHOD_REFRESH:
		handle_refresh(c);
		break;
	case STUN_METHOD_CREATE_PERMISSION:
		handle_create_permission(c);
		break;
	case STUN_METHOD_CHANNEL_BIND:
		handle_channel_bind(c);
		break;
	}
}

void turn_request_handle(TurnServer *srv, const TurnFrom *from, const uint8_t *buf, size_t len)
{
	struct stun_msg msg;
	Ctx c = {srv, from, &msg, NULL};

	if (turn_is_channel_data(srv->cfg->rfc5766_channels, buf, len)) {
		handle_channel_data(srv, from, buf, len);
		return;
	}
	if (stun_pkt_classify(buf, len) != STUN_PKT_STUN)
		return;
	if (stun_msg_decode(&msg, buf, len) != 0)
		return; /* not a message we can answer (RFC 8489 §6.3: silently discarded) */
	if (msg.cls == STUN_CLASS_INDICATION) {
		if (msg.method == STUN_METHOD_SEND)
			handle_send(srv, from, &msg);
		return; /* Binding indications are keep-alives */
	}
	if (msg.cls != STUN_CLASS_REQUEST)
		return;
	srv->counters.requests++;
	switch (msg.method) {
	case STUN_METHOD_BINDING:
		handle_binding(&c);
		break;
	case STUN_METHOD_ALLOCATE:
	case STUN_METHOD_REFRESH:
	case STUN_METHOD_CREATE_PERMISSION:
	case STUN_METHOD_CHANNEL_BIND:
		handle_authenticated(&c);
		break;
	default:
		reply_error(&c, 400); /* Connect & co. (RFC 6062) are not offered */
		break;
	}
}
