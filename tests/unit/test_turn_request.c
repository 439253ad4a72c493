/* test_turn_request.c: mod_turn's request handling message by message, over real loopback
 * UDP sockets but without the daemon: Binding (RFC 8489 §6.3.1, 420), Allocate's error
 * paths in the order of RFC 8656 §7.2 (401, 438, 400, 442, 420 for DONT-FRAGMENT, 440,
 * 437, 486) and its success (lifetimes, EVEN-PORT and RESERVATION-TOKEN, retransmission),
 * Refresh (§8: 437, 441, 443, 0 deletes), CreatePermission (§9: 400, 403, 443),
 * ChannelBind (§12.2: 400), and data through Send/Data indications and ChannelData. */
#include "config.h"
#include "core/core_private.h"
#include "modules/turn/turn_private.h"
#include "test_util.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
	TurnServer *srv;
	TurnListener listener;
	GSocket *lsock;
} Fixture;

typedef struct {
	int fd;
	TurnFrom from;
	char nonce[STUN_NONCE_LEN + 1];
	const char *user, *password;
	uint8_t key[STUN_KEY_MAX];
	uint8_t rbuf[2048];
	struct stun_msg res;
	gboolean banned; /* refusals come unsigned: no key was looked at */
} Client;

static Fixture fx;

static int udp_socket(struct stun_addr *bound)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	struct timeval tv = {.tv_sec = 2};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin, &sl), ==, 0);
	g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), ==, 0);
	stun_addr_from_sockaddr(bound, (struct sockaddr *)&sin);
	return fd;
}

static void setup(gboolean loopback, guint per_user)
{
	TurnConfig *cfg = g_new0(TurnConfig, 1);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	g_autoptr(GSocketAddress) sa = g_socket_address_new_from_native(&sin, sizeof(sin));
	g_autoptr(GSocketAddress) local = NULL;
	struct sockaddr_storage ss;

	xb_clock_set_manual(1000000);
	cfg->realm = g_strdup("crossbar");
	cfg->allow_loopback = loopback;
	cfg->port_lo = 21000;
	cfg->port_hi = 29999;
	cfg->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_insert(cfg->users, g_strdup("alice"), g_strdup("wonderland"));
	g_hash_table_insert(cfg->users, g_strdup("bob"), g_strdup("builder"));
	cfg->allowed = g_array_new(FALSE, TRUE, sizeof(TurnCidr));
	cfg->denied = g_array_new(FALSE, TRUE, sizeof(TurnCidr));
	cfg->max_allocs_per_user = per_user;
	cfg->default_lifetime = 600;
	cfg->max_lifetime = 3600;
	cfg->nonce_lifetime = 600;
	fx.srv = turn_server_new(NULL, cfg);
	g_assert_true(turn_cidr_parse("127.0.0.1", &(TurnCidr){0}));
	fx.srv->relay4.family = STUN_FAMILY_IPV4;
	fx.srv->relay4.ip[0] = 127, fx.srv->relay4.ip[3] = 1;
	fx.srv->has_relay4 = TRUE;
	fx.lsock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
	g_assert_true(g_socket_bind(fx.lsock, sa, FALSE, NULL));
	local = g_socket_get_local_address(fx.lsock, NULL);
	g_assert_true(g_socket_address_to_native(local, &ss, sizeof(ss), NULL));
	fx.listener = (TurnListener){.srv = fx.srv,
	                             .transport = XB_TRANSPORT_UDP,
	                             .socket = fx.lsock,
	                             .fd = g_socket_get_fd(fx.lsock)};
	stun_addr_from_sockaddr(&fx.listener.addr, (struct sockaddr *)&ss);
}

static void teardown(void)
{
	turn_server_free(fx.srv);
	g_object_unref(fx.lsock);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	xb_timer_shutdown();
	xb_authlimit_reset();
}

static Client *client_new(const char *user, const char *password)
{
	Client *c = g_new0(Client, 1);

	c->fd = udp_socket(&c->from.client);
	c->from.listener = &fx.listener;
	c->from.server = fx.listener.addr;
	c->user = user;
	c->password = password;
	if (user)
		stun_key_long_term(STUN_PWALG_MD5, user, "crossbar", password, c->key);
	return c;
}

static void client_free(Client *c)
{
	close(c->fd);
	g_free(c);
}

/* Reads one datagram from the server into c->res; runs the main loop for relayed data. */
static void receive(Client *c, gboolean loop)
{
	ssize_t n = -1;

	for (int i = 0; i < 2000 && n < 0; i++) {
		if (loop)
			g_main_context_iteration(NULL, FALSE);
		n = recv(c->fd, c->rbuf, sizeof(c->rbuf), loop ? MSG_DONTWAIT : 0);
		if (n < 0 && loop)
			g_usleep(1000);
	}
	g_assert_cmpint(n, >, 0);
	g_assert_cmpint(stun_msg_decode(&c->res, c->rbuf, (size_t)n), ==, 0);
}

typedef void (*AddAttrs)(struct stun_encoder *e, gpointer data);

/* Sends a request (signed when the client has credentials and a nonce) and reads the
 * answer; returns the error code, or 0 for a success response. */
static int transact_tid(Client *c, uint16_t method, AddAttrs add, gpointer data,
                        const uint8_t *tid_in)
{
	uint8_t buf[1024], tid[STUN_TID_LEN];
	struct stun_encoder e;
	size_t len;
	int code = 0;
	const char *reason;
	size_t rlen;

	if (tid_in)
		memcpy(tid, tid_in, sizeof(tid));
	else
		stun_tid_random(tid);
	stun_encode_init(&e, buf, sizeof(buf), method, STUN_CLASS_REQUEST, tid);
	if (add)
		add(&e, data);
	if (c->user && c->nonce[0]) {
		stun_encode_string(&e, STUN_ATTR_USERNAME, c->user);
		stun_encode_string(&e, STUN_ATTR_REALM, "crossbar");
		stun_encode_string(&e, STUN_ATTR_NONCE, c->nonce);
		stun_encode_integrity(&e, c->key, 16);
	}
	stun_encode_fingerprint(&e);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	turn_request_handle(fx.srv, &c->from, buf, len);
	receive(c, FALSE);
	g_assert_cmpmem(c->res.tid, STUN_TID_LEN, tid, STUN_TID_LEN);
	g_assert_cmpuint(c->res.method, ==, method);
	g_assert_cmpint(c->res.fp, >=, 0);
	if (c->res.cls == STUN_CLASS_ERROR) {
		g_assert_cmpint(stun_attr_error_code(stun_attr_get(&c->res, STUN_ATTR_ERROR_CODE),
		                                     &code, &reason, &rlen),
		                ==, 0);
		if (code == 401 || code == 438) {
			const char *nonce;
			size_t nlen;

			g_assert_cmpint(stun_attr_string(stun_attr_get(&c->res, STUN_ATTR_NONCE),
			                                 &nonce, &nlen),
			                ==, 0);
			g_assert_cmpuint(nlen, ==, STUN_NONCE_LEN);
			memcpy(c->nonce, nonce, nlen);
			g_assert_nonnull(stun_attr_get(&c->res, STUN_ATTR_REALM));
		}
	} else {
		g_assert_cmpint(c->res.cls, ==, STUN_CLASS_SUCCESS);
	}
	/* Once authenticated, every answer but 401/438 is signed with the user's key. */
	if (c->user && c->nonce[0] && method != STUN_METHOD_BINDING && code != 401 && code != 438 &&
	    code != 400 && !c->banned)
		g_assert_cmpint(stun_msg_check_integrity(&c->res, c->key, 16), ==, 0);
	return code;
}

static int transact(Client *c, uint16_t method, AddAttrs add, gpointer data)
{
	return transact_tid(c, method, add, data, NULL);
}

/* ---- attribute builders ---- */

static void add_udp(struct stun_encoder *e, gpointer data)
{
	stun_encode_requested_transport(e, STUN_TRANSPORT_UDP);
}

static void add_tcp(struct stun_encoder *e, gpointer data)
{
	stun_encode_requested_transport(e, STUN_TRANSPORT_TCP);
}

static void add_udp_df(struct stun_encoder *e, gpointer data)
{
	add_udp(e, data);
	stun_encode_flag(e, STUN_ATTR_DONT_FRAGMENT);
}

static void add_udp_v6(struct stun_encoder *e, gpointer data)
{
	add_udp(e, data);
	stun_encode_address_family(e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
}

static void add_udp_even_token(struct stun_encoder *e, gpointer data)
{
	add_udp(e, data);
	stun_encode_even_port(e, false);
	stun_encode_attr(e, STUN_ATTR_RESERVATION_TOKEN, "12345678", 8);
}

static void add_udp_even_reserve(struct stun_encoder *e, gpointer data)
{
	add_udp(e, data);
	stun_encode_even_port(e, true);
}

static void add_udp_token(struct stun_encoder *e, gpointer data)
{
	add_udp(e, data);
	stun_encode_attr(e, STUN_ATTR_RESERVATION_TOKEN, data, 8);
}

static void add_udp_aaf(struct stun_encoder *e, gpointer data)
{
	add_udp(e, data);
	stun_encode_address_family(e, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, GPOINTER_TO_UINT(data));
}

static void add_udp_raf_aaf(struct stun_encoder *e, gpointer data)
{
	add_udp_aaf(e, data);
	stun_encode_address_family(e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV4);
}

static void add_lifetime(struct stun_encoder *e, gpointer data)
{
	stun_encode_u32(e, STUN_ATTR_LIFETIME, GPOINTER_TO_UINT(data));
}

static void add_udp_lifetime(struct stun_encoder *e, gpointer data)
{
	add_udp(e, data);
	add_lifetime(e, data);
}

static void add_family_v6(struct stun_encoder *e, gpointer data)
{
	stun_encode_address_family(e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
}

static void add_unknown(struct stun_encoder *e, gpointer data)
{
	stun_encode_u32(e, 0x0033, 7); /* comprehension-required, unassigned */
}

static void add_peer(struct stun_encoder *e, gpointer data)
{
	if (data)
		stun_encode_xor_addr(e, STUN_ATTR_XOR_PEER_ADDRESS, data);
}

typedef struct {
	uint16_t number;
	struct stun_addr peer;
} Bind;

static void add_bind(struct stun_encoder *e, gpointer data)
{
	Bind *b = data;

	stun_encode_channel_number(e, b->number);
	stun_encode_xor_addr(e, STUN_ATTR_XOR_PEER_ADDRESS, &b->peer);
}

static struct stun_addr ip(const char *text, uint16_t port)
{
	TurnCidr c;

	g_assert_true(turn_cidr_parse(text, &c));
	c.net.port = port;
	return c.net;
}

static uint32_t lifetime_of(Client *c)
{
	uint32_t v = 0;

	g_assert_cmpint(stun_attr_u32(stun_attr_get(&c->res, STUN_ATTR_LIFETIME), &v), ==, 0);
	return v;
}

static struct stun_addr relayed_of(Client *c)
{
	struct stun_addr a;

	g_assert_cmpint(
	    stun_attr_xor_addr(&c->res, stun_attr_get(&c->res, STUN_ATTR_XOR_RELAYED_ADDRESS), &a),
	    ==, 0);
	return a;
}

/* ---- events ---- */

static GString *events;

static void event_cb(const char *type, GVariant *payload, gpointer user_data)
{
	g_autofree char *text = g_variant_print(payload, FALSE);

	g_string_append_printf(events, "%s %s\n", type, text);
}

/* ---- tests ---- */

static void test_binding(void)
{
	Client *c;
	struct stun_addr mapped;
	uint16_t unknown[4];
	size_t n;

	setup(FALSE, 0);
	c = client_new(NULL, NULL);
	g_assert_cmpint(transact(c, STUN_METHOD_BINDING, NULL, NULL), ==, 0);
	g_assert_cmpint(stun_attr_xor_addr(
	                    &c->res, stun_attr_get(&c->res, STUN_ATTR_XOR_MAPPED_ADDRESS), &mapped),
	                ==, 0);
	g_assert_true(stun_addr_equal(&mapped, &c->from.client, true));
	g_assert_cmpint(transact(c, STUN_METHOD_BINDING, add_unknown, NULL), ==, 420);
	g_assert_cmpint(stun_attr_unknown_list(stun_attr_get(&c->res, STUN_ATTR_UNKNOWN_ATTRIBUTES),
	                                       unknown, 4, &n),
	                ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmphex(unknown[0], ==, 0x0033);
	client_free(c);
	teardown();
}

static void test_allocate_errors(void)
{
	Client *c, *eve;

	setup(FALSE, 0);
	c = client_new("alice", "wonderland");
	/* §7.2 step 1: the challenge, then the checks in order. */
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, NULL, NULL), ==, 400);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_tcp, NULL), ==, 442);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp_df, NULL), ==, 420);
	g_assert_nonnull(stun_attr_get(&c->res, STUN_ATTR_UNKNOWN_ATTRIBUTES));
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp_even_token, NULL), ==, 400);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp_v6, NULL), ==, 440);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp_token, "nosuchtk"), ==, 508);
	g_assert_cmpuint(turn_table_count(fx.srv->table), ==, 0);

	/* A wrong password: 401 again, and nothing made. */
	eve = client_new("alice", "guess");
	g_assert_cmpint(transact(eve, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpint(transact(eve, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpuint(turn_table_count(fx.srv->table), ==, 0);

	/* A flood of Allocates that fail authentication leaves no state behind (checks come
	 * before state). */
	XbAuthLimitConfig limit, off = {0};
	xb_authlimit_get_config(&limit);
	xb_authlimit_configure(&off); /* the flood would ban its source: off here */
	for (int i = 0; i < 5000; i++) {
		uint8_t buf[256], tid[STUN_TID_LEN];
		struct stun_encoder e;
		size_t len;

		stun_tid_random(tid);
		stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST,
		                 tid);
		stun_encode_requested_transport(&e, STUN_TRANSPORT_UDP);
		stun_encode_string(&e, STUN_ATTR_USERNAME, "alice");
		stun_encode_string(&e, STUN_ATTR_REALM, "crossbar");
		stun_encode_string(&e, STUN_ATTR_NONCE, eve->nonce);
		stun_encode_integrity(&e, eve->key, 16);
		g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
		turn_request_handle(fx.srv, &eve->from, buf, len);
	}
	g_assert_cmpuint(turn_table_count(fx.srv->table), ==, 0);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	g_assert_cmpuint(fx.srv->counters.auth_failures, >=, 5000);
	xb_authlimit_configure(&limit);

	/* A stale nonce: 438 with a fresh one, which then works. */
	xb_clock_advance(601 * 1000);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 438);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 0);
	client_free(eve);
	client_free(c);
	teardown();
}

static void test_allocate_and_refresh(void)
{
	Client *c, *c2, *bob;
	struct stun_addr r1, r2;
	uint8_t tid[STUN_TID_LEN] = "retransmit!";
	TurnTupleKey key;

	guint sub1, sub2;

	setup(FALSE, 0);
	events = g_string_new(NULL);
	sub1 = xb_event_subscribe(NULL, "turn.allocation.created", event_cb, NULL);
	sub2 = xb_event_subscribe(NULL, "turn.allocation.deleted", event_cb, NULL);
	c = client_new("alice", "wonderland");
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpint(transact_tid(c, STUN_METHOD_ALLOCATE, add_udp, NULL, tid), ==, 0);
	r1 = relayed_of(c);
	g_assert_cmpuint(r1.port, >=, 21000);
	g_assert_cmpuint(r1.port, <=, 29999);
	g_assert_cmpuint(lifetime_of(c), ==, 600);
	g_assert_nonnull(stun_attr_get(&c->res, STUN_ATTR_XOR_MAPPED_ADDRESS));
	/* A retransmission gets the same answer; another Allocate on the 5-tuple gets 437. */
	g_assert_cmpint(transact_tid(c, STUN_METHOD_ALLOCATE, add_udp, NULL, tid), ==, 0);
	r2 = relayed_of(c);
	g_assert_true(stun_addr_equal(&r2, &r1, true));
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 437);

	/* Lifetimes: capped at max_lifetime, raised to the default. */
	c2 = client_new("alice", "wonderland");
	memcpy(c2->nonce, c->nonce, sizeof(c->nonce));
	g_assert_cmpint(
	    transact(c2, STUN_METHOD_ALLOCATE, add_udp_lifetime, GUINT_TO_POINTER(99999)), ==, 0);
	g_assert_cmpuint(lifetime_of(c2), ==, 3600);
	g_assert_cmpint(transact(c2, STUN_METHOD_REFRESH, add_lifetime, GUINT_TO_POINTER(5)), ==,
	                0);
	g_assert_cmpuint(lifetime_of(c2), ==, 600);
	g_assert_cmpint(transact(c2, STUN_METHOD_REFRESH, add_family_v6, NULL), ==, 443);

	/* Another user on alice's 5-tuple: 441. */
	bob = client_new("bob", "builder");
	bob->from = c->from;
	close(bob->fd);
	bob->fd = dup(c->fd);
	memcpy(bob->nonce, c->nonce, sizeof(c->nonce));
	g_assert_cmpint(transact(bob, STUN_METHOD_REFRESH, NULL, NULL), ==, 441);
	r2 = ip("198.51.200.1", 5000);
	g_assert_cmpint(transact(bob, STUN_METHOD_CREATE_PERMISSION, add_peer, &r2), ==, 441);

	/* Refresh 0 deletes at once; afterwards the 5-tuple has no allocation: 437. */
	g_assert_cmpint(transact(c, STUN_METHOD_REFRESH, add_lifetime, GUINT_TO_POINTER(0)), ==, 0);
	g_assert_cmpuint(lifetime_of(c), ==, 0);
	turn_tuple_key(&key, &c->from);
	g_assert_null(turn_table_lookup(fx.srv->table, &key));
	g_assert_cmpint(transact(c, STUN_METHOD_REFRESH, NULL, NULL), ==, 437);
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, NULL, NULL), ==, 437);

	/* c2's allocation ends exactly 600 s after its last Refresh. */
	xb_clock_advance(600 * 1000 - 1);
	g_assert_cmpuint(turn_table_count(fx.srv->table), ==, 1);
	xb_clock_advance(1);
	g_assert_cmpuint(turn_table_count(fx.srv->table), ==, 0);
	/* Operations: each allocation's start and end are on the bus. */
	xb_event_dispatch_pending();
	g_assert_true(strstr(events->str, "turn.allocation.created ('alice', 'udp', '127.0.0.1:"));
	g_assert_true(strstr(events->str, "', 'deleted', 0, 0)"));
	g_assert_true(strstr(events->str, "', 'expired', 0, 0)"));
	xb_event_unsubscribe(sub1);
	xb_event_unsubscribe(sub2);
	g_string_free(events, TRUE);
	client_free(bob);
	client_free(c2);
	client_free(c);
	teardown();
}

static void test_even_port_and_quota(void)
{
	Client *a, *b, *q;
	struct stun_addr r1, r2;
	const struct stun_attr *tok;

	setup(FALSE, 2);
	a = client_new("alice", "wonderland");
	b = client_new("alice", "wonderland");
	q = client_new("alice", "wonderland");
	g_assert_cmpint(transact(a, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	memcpy(b->nonce, a->nonce, sizeof(a->nonce));
	memcpy(q->nonce, a->nonce, sizeof(a->nonce));
	g_assert_cmpint(transact(a, STUN_METHOD_ALLOCATE, add_udp_even_reserve, NULL), ==, 0);
	r1 = relayed_of(a);
	g_assert_cmpuint(r1.port % 2, ==, 0);
	tok = stun_attr_get(&a->res, STUN_ATTR_RESERVATION_TOKEN);
	g_assert_nonnull(tok);
	g_assert_cmpint(transact(b, STUN_METHOD_ALLOCATE, add_udp_token, (gpointer)tok->value), ==,
	                0);
	r2 = relayed_of(b);
	g_assert_cmpuint(r2.port, ==, r1.port + 1);
	/* turn.max_allocations_per_user = 2 */
	g_assert_cmpint(transact(q, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 486);
	client_free(a);
	client_free(b);
	client_free(q);
	teardown();
}

/* RFC 8656 §7.2, dual allocation: not offered, so the IPv6 half is refused in
 * ADDRESS-ERROR-CODE (440) while the IPv4 relay is made; malformed asks get 400. */
static void test_additional_family(void)
{
	Client *c;
	uint8_t family;
	int code;
	const char *reason;
	size_t rlen;

	setup(FALSE, 0);
	c = client_new("alice", "wonderland");
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpint(
	    transact(c, STUN_METHOD_ALLOCATE, add_udp_aaf, GUINT_TO_POINTER(STUN_FAMILY_IPV4)), ==,
	    400);
	g_assert_cmpint(
	    transact(c, STUN_METHOD_ALLOCATE, add_udp_raf_aaf, GUINT_TO_POINTER(STUN_FAMILY_IPV6)),
	    ==, 400);
	g_assert_cmpint(
	    transact(c, STUN_METHOD_ALLOCATE, add_udp_aaf, GUINT_TO_POINTER(STUN_FAMILY_IPV6)), ==,
	    0);
	g_assert_cmpuint(relayed_of(c).family, ==, STUN_FAMILY_IPV4);
	g_assert_cmpint(
	    stun_attr_address_error_code(stun_attr_get(&c->res, STUN_ATTR_ADDRESS_ERROR_CODE),
	                                 &family, &code, &reason, &rlen),
	    ==, 0);
	g_assert_cmpuint(family, ==, STUN_FAMILY_IPV6);
	g_assert_cmpint(code, ==, 440);
	client_free(c);
	teardown();
}

static void test_permissions_and_channels(void)
{
	Client *c;
	struct stun_addr loop = ip("127.0.0.1", 5000), pub = ip("198.51.200.1", 5000),
	                 v6 = ip("2001:4860::1", 5000), mapped = v6;

	/* ::ffff:127.0.0.1 (turn_cidr_parse would fold it to IPv4) */
	memset(mapped.ip, 0, 16);
	mapped.ip[10] = mapped.ip[11] = 0xff;
	mapped.ip[12] = 127, mapped.ip[15] = 1;

	setup(FALSE, 0);
	c = client_new("alice", "wonderland");
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 0);
	g_assert_cmpint(transact(c, STUN_METHOD_CREATE_PERMISSION, add_peer, NULL), ==, 400);
	g_assert_cmpint(transact(c, STUN_METHOD_CREATE_PERMISSION, add_peer, &loop), ==, 403);
	g_assert_cmpint(transact(c, STUN_METHOD_CREATE_PERMISSION, add_peer, &v6), ==, 443);
	g_assert_cmpint(transact(c, STUN_METHOD_CREATE_PERMISSION, add_peer, &mapped), ==, 443);
	g_assert_cmpint(transact(c, STUN_METHOD_CREATE_PERMISSION, add_peer, &pub), ==, 0);
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, add_bind, &(Bind){0x3fff, pub}), ==,
	                400);
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, add_bind, &(Bind){0x5000, pub}), ==,
	                400);
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, add_bind, &(Bind){0x4000, loop}), ==,
	                403);
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, add_bind, &(Bind){0x4000, pub}), ==,
	                0);
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, add_bind, &(Bind){0x4000, pub}), ==,
	                0);
	pub.port++;
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, add_bind, &(Bind){0x4000, pub}), ==,
	                400);
	client_free(c);
	teardown();
}

/* Data both ways: Send → peer, peer → Data indication; ChannelData → peer, peer →
 * ChannelData; and nothing from a peer without a permission. */
static void test_data_path(void)
{
	Client *c;
	struct stun_addr peer, relayed, from;
	int pfd;
	uint8_t buf[256], frame[64];
	struct sockaddr_storage ss;
	size_t sl;
	ssize_t n;
	uint16_t ch;
	const uint8_t *data;
	size_t dlen;
	uint8_t tid[STUN_TID_LEN];
	struct stun_encoder e;
	size_t len;

	setup(TRUE, 0);
	c = client_new("alice", "wonderland");
	pfd = udp_socket(&peer);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 0);
	relayed = relayed_of(c);
	sl = stun_addr_to_sockaddr(&relayed, &ss, sizeof(ss));

	/* Without a permission the peer's datagram is dropped. */
	g_assert_cmpint(sendto(pfd, "early", 5, 0, (struct sockaddr *)&ss, (socklen_t)sl), ==, 5);
	for (int i = 0; i < 50; i++)
		g_main_context_iteration(NULL, FALSE), g_usleep(1000);
	g_assert_cmpint(recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT), <, 0);
	g_assert_cmpuint(fx.srv->counters.dropped_no_permission, ==, 1);

	g_assert_cmpint(transact(c, STUN_METHOD_CREATE_PERMISSION, add_peer, &peer), ==, 0);
	stun_tid_random(tid);
	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_SEND, STUN_CLASS_INDICATION, tid);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_PEER_ADDRESS, &peer);
	stun_encode_attr(&e, STUN_ATTR_DATA, "hello", 5);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	turn_request_handle(fx.srv, &c->from, buf, len);
	n = recv(pfd, buf, sizeof(buf), 0);
	g_assert_cmpint(n, ==, 5);
	g_assert_cmpmem(buf, 5, "hello", 5);

	g_assert_cmpint(sendto(pfd, "world", 5, 0, (struct sockaddr *)&ss, (socklen_t)sl), ==, 5);
	receive(c, TRUE);
	g_assert_cmpuint(c->res.method, ==, STUN_METHOD_DATA);
	g_assert_cmpint(c->res.cls, ==, STUN_CLASS_INDICATION);
	g_assert_cmpint(
	    stun_attr_xor_addr(&c->res, stun_attr_get(&c->res, STUN_ATTR_XOR_PEER_ADDRESS), &from),
	    ==, 0);
	g_assert_true(stun_addr_equal(&from, &peer, true));
	g_assert_cmpmem(stun_attr_get(&c->res, STUN_ATTR_DATA)->value, 5, "world", 5);

	/* A channel: ChannelData both ways (unpadded over UDP). */
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, add_bind, &(Bind){0x4abc, peer}), ==,
	                0);
	stun_channel_data_header(frame, 0x4abc, 3);
	memcpy(frame + 4, "abc", 3);
	turn_request_handle(fx.srv, &c->from, frame, 7);
	n = recv(pfd, buf, sizeof(buf), 0);
	g_assert_cmpint(n, ==, 3);
	g_assert_cmpmem(buf, 3, "abc", 3);
	g_assert_cmpint(sendto(pfd, "xyz!", 4, 0, (struct sockaddr *)&ss, (socklen_t)sl), ==, 4);
	for (n = -1; n < 0;) {
		g_main_context_iteration(NULL, FALSE);
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	}
	g_assert_cmpint(stun_channel_data_parse(buf, (size_t)n, false, &ch, &data, &dlen), ==, 0);
	g_assert_cmphex(ch, ==, 0x4abc);
	g_assert_cmpmem(data, dlen, "xyz!", 4);
	g_assert_cmpuint(fx.srv->counters.pkts_to_peer, ==, 2);
	g_assert_cmpuint(fx.srv->counters.pkts_to_client, ==, 2);
	close(pfd);
	client_free(c);
	teardown();
}

/* turn.max_bps: bytes per second each way per allocation; the excess is dropped. */
static void test_bandwidth_cap(void)
{
	Client *c;
	struct stun_addr peer;
	int pfd;
	uint8_t buf[64], frame[64];

	setup(TRUE, 0);
	fx.srv->cfg->max_bps = 100;
	c = client_new("alice", "wonderland");
	pfd = udp_socket(&peer);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 0);
	g_assert_cmpint(transact(c, STUN_METHOD_CHANNEL_BIND, add_bind, &(Bind){0x4001, peer}), ==,
	                0);
	stun_channel_data_header(frame, 0x4001, 40);
	memset(frame + 4, 'x', 40);
	for (int i = 0; i < 3; i++) /* 120 bytes in one second: the third is dropped */
		turn_request_handle(fx.srv, &c->from, frame, 44);
	g_assert_cmpuint(fx.srv->counters.pkts_to_peer, ==, 2);
	g_assert_cmpuint(fx.srv->counters.dropped_rate, ==, 1);
	g_assert_cmpint(recv(pfd, buf, sizeof(buf), 0), ==, 40);
	g_assert_cmpint(recv(pfd, buf, sizeof(buf), 0), ==, 40);
	xb_clock_advance(1000); /* a new second, a new budget */
	turn_request_handle(fx.srv, &c->from, frame, 44);
	g_assert_cmpuint(fx.srv->counters.pkts_to_peer, ==, 3);
	g_assert_cmpint(recv(pfd, buf, sizeof(buf), 0), ==, 40);
	close(pfd);
	client_free(c);
	teardown();
}

/* Guesses meet the core's shared limiter: only a wrong key on a nonce we made for this
 * client counts (a made-up nonce gets 438 and counts nothing), the failure that reaches
 * ban_failures starts the ban, and a banned source gets 403 before any credential is checked,
 * even with the right password. */
static void test_guesses_meet_the_limiter(void)
{
	const XbAuthLimitConfig limit = {.failures = 3, .window_s = 60, .ban_s = 600};
	Client *eve, *c;

	setup(FALSE, 0);
	xb_authlimit_configure(&limit);
	eve = client_new("alice", "guess");
	g_assert_cmpint(transact(eve, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	for (int i = 0; i < 10; i++) {
		memset(eve->nonce, '0', STUN_NONCE_LEN);
		eve->nonce[STUN_NONCE_LEN] = '\0';
		g_assert_cmpint(transact(eve, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 438);
	}
	g_assert_cmpuint(xb_authlimit_tracked_count(), ==, 0);
	g_assert_cmpint(transact(eve, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_assert_cmpint(transact(eve, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 401);
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING, "turn: 127.0.0.1 banned for 600 s*");
	eve->banned = TRUE;
	g_assert_cmpint(transact(eve, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 403);
	g_test_assert_expected_messages();

	c = client_new("alice", "wonderland");
	c->banned = TRUE;
	g_assert_cmpint(transact(c, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 403);
	g_assert_cmpint(transact(eve, STUN_METHOD_ALLOCATE, add_udp, NULL), ==, 403);
	g_assert_cmpuint(fx.srv->counters.auth_refused_banned, ==, 2);
	g_assert_cmpuint(turn_table_count(fx.srv->table), ==, 0);
	client_free(eve);
	client_free(c);
	teardown();
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/turn/request/binding", test_binding);
	g_test_add_func("/turn/request/allocate-errors", test_allocate_errors);
	g_test_add_func("/turn/request/guesses-meet-the-limiter", test_guesses_meet_the_limiter);
	g_test_add_func("/turn/request/allocate-and-refresh", test_allocate_and_refresh);
	g_test_add_func("/turn/request/even-port-and-quota", test_even_port_and_quota);
	g_test_add_func("/turn/request/additional-family", test_additional_family);
	g_test_add_func("/turn/request/permissions-and-channels", test_permissions_and_channels);
	g_test_add_func("/turn/request/data-path", test_data_path);
	g_test_add_func("/turn/request/bandwidth-cap", test_bandwidth_cap);
	return g_test_run();
}
