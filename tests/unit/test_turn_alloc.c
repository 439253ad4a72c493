/* test_turn_alloc.c: mod_turn's state and policy without sockets to clients: allocation
 * lifetimes and Refresh (RFC 8656 §7, §8), permissions by IP for 300 s (§9), channel
 * bindings for 600 s with the rebinding rules (§12.2), EVEN-PORT reservations (§7.2),
 * that every timer and allocation is freed, the peer policy (with
 * IPv4-mapped IPv6) and the long-term credential checks (RFC 8489 §9.2.4: 400/401/438). */
#include "config.h"
#include "core/core_private.h"
#include "modules/turn/turn_private.h"
#include "test_util.h"

#include <string.h>

static TurnListener fake_udp = {.transport = XB_TRANSPORT_UDP};

static struct stun_addr addr(const char *text, uint16_t port)
{
	TurnCidr c;
	struct stun_addr a;

	g_assert_true(turn_cidr_parse(text, &c));
	a = c.net;
	a.port = port;
	return a;
}

static TurnFrom client(uint16_t port)
{
	TurnFrom f = {&fake_udp, NULL};

	f.client = addr("192.0.2.10", port);
	f.server = addr("192.0.2.1", 3478);
	return f;
}

static GString *freed;

static void on_free(TurnAlloc *a, const char *why, gpointer user_data)
{
	g_string_append_printf(freed, "%s:%s@%" G_GINT64_FORMAT " ", a->username, why,
	                       xb_clock_now());
}

static TurnTable *table(void)
{
	TurnTable *t = turn_table_new(NULL);

	freed = g_string_new(NULL);
	t->on_free = on_free;
	xb_clock_set_manual(0);
	return t;
}

static void done(TurnTable *t)
{
	turn_table_free(t);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	g_string_free(freed, TRUE);
	xb_timer_shutdown();
}

static TurnAlloc *alloc(TurnTable *t, uint16_t port, const char *user, guint32 life)
{
	TurnAuth auth = {0};
	TurnFrom f = client(port);
	struct stun_addr relayed = addr("192.0.2.1", 50000);

	g_strlcpy(auth.username, user, sizeof(auth.username));
	return turn_alloc_new(t, &f, &auth, NULL, &relayed, life);
}

/* §7.2/§8: the allocation ends exactly when its lifetime runs out, not a millisecond
 * before; Refresh moves the end; Refresh 0 deletes at once. */
static void test_lifetime_and_refresh(void)
{
	TurnTable *t = table();
	TurnAlloc *a = alloc(t, 1000, "alice", 600);
	TurnFrom f = client(1000);
	TurnTupleKey key;

	alloc(t, 1001, "alice", 600);
	alloc(t, 1002, "bob", 600);
	turn_tuple_key(&key, &f);
	g_assert_true(turn_table_lookup(t, &key) == a);
	g_assert_cmpuint(turn_table_count(t), ==, 3);
	g_assert_cmpuint(turn_table_user_count(t, "alice"), ==, 2);

	xb_clock_advance(500 * 1000);
	turn_alloc_refresh(a, 1200);
	g_assert_cmpint(turn_alloc_remaining_ms(a), ==, 1200 * 1000);
	xb_clock_advance(100 * 1000 - 1);
	g_assert_cmpuint(turn_table_count(t), ==, 3);
	xb_clock_advance(1);
	g_assert_cmpstr(freed->str, ==, "alice:expired@600000 bob:expired@600000 ");
	g_assert_cmpuint(turn_table_user_count(t, "alice"), ==, 1);
	g_assert_cmpuint(turn_table_user_count(t, "bob"), ==, 0);
	xb_clock_advance(1100 * 1000 - 1);
	g_assert_true(turn_table_lookup(t, &key) == a);
	xb_clock_advance(1);
	g_assert_null(turn_table_lookup(t, &key));
	g_assert_cmpuint(turn_table_count(t), ==, 0);

	a = alloc(t, 1000, "carol", 600);
	turn_alloc_refresh(a, 0);
	g_assert_true(g_str_has_suffix(freed->str, "carol:deleted@1700000 "));
	g_assert_cmpuint(turn_table_count(t), ==, 0);
	done(t);
}

/* §9: permissions are by IP (any port), last 300 s, and CreatePermission refreshes. */
static void test_permissions(void)
{
	TurnTable *t = table();
	TurnAlloc *a = alloc(t, 1000, "alice", 3600);
	struct stun_addr p1 = addr("198.51.100.7", 4000), p1b = addr("198.51.100.7", 9),
	                 p2 = addr("198.51.100.8", 4000);

	g_assert_true(turn_alloc_permit(a, &p1));
	g_assert_true(turn_alloc_permitted(a, &p1b));
	g_assert_false(turn_alloc_permitted(a, &p2));
	xb_clock_advance(200 * 1000);
	g_assert_true(turn_alloc_permit(a, &p2));
	xb_clock_advance(100 * 1000 - 1);
	g_assert_true(turn_alloc_permitted(a, &p1));
	xb_clock_advance(1);
	g_assert_false(turn_alloc_permitted(a, &p1));
	g_assert_true(turn_alloc_permitted(a, &p2));
	turn_alloc_permit(a, &p2); /* refresh at 300 s: lasts until 600 s */
	xb_clock_advance(300 * 1000 - 1);
	g_assert_true(turn_alloc_permitted(a, &p2));
	xb_clock_advance(1);
	g_assert_cmpuint(turn_alloc_permission_count(a), ==, 0);

	/* Bounded: no more than TURN_MAX_PERMISSIONS per allocation. */
	for (guint i = 0; i < TURN_MAX_PERMISSIONS; i++) {
		struct stun_addr p = addr("203.0.113.0", 1);

		p.ip[2] = (uint8_t)(i >> 8);
		p.ip[3] = (uint8_t)i;
		g_assert_true(turn_alloc_permit(a, &p));
	}
	g_assert_false(turn_alloc_permit(a, &p1));
	done(t); /* frees 256 permission timers with the table */
}

/* §12.2: a number and a peer stay paired while bound; the binding lasts 600 s and installs
 * the peer's permission (300 s); once expired, either may be bound anew. */
static void test_channels(void)
{
	TurnTable *t = table();
	TurnAlloc *a = alloc(t, 1000, "alice", 3600);
	struct stun_addr pa = addr("198.51.100.7", 4000), pb = addr("198.51.100.7", 4001);

	g_assert_cmpint(turn_alloc_bind(a, 0x3fff, STUN_CHANNEL_MAX, &pa), ==, 400);
	g_assert_cmpint(turn_alloc_bind(a, 0x5000, STUN_CHANNEL_MAX, &pa), ==, 400);
	g_assert_cmpint(turn_alloc_bind(a, 0x4000, STUN_CHANNEL_MAX, &pa), ==, 0);
	g_assert_true(turn_alloc_permitted(a, &pa));
	g_assert_cmpint(turn_alloc_bind(a, 0x4000, STUN_CHANNEL_MAX, &pb), ==, 400);
	g_assert_cmpint(turn_alloc_bind(a, 0x4001, STUN_CHANNEL_MAX, &pa), ==, 400);
	g_assert_cmpint(turn_alloc_bind(a, 0x4001, STUN_CHANNEL_MAX, &pb), ==, 0);
	g_assert_true(turn_alloc_channel(a, 0x4000) == turn_alloc_channel_for(a, &pa));
	g_assert_cmpuint(turn_alloc_channel(a, 0x4001)->number, ==, 0x4001);
	/* RFC 5766's wider range when the caller allows it. */
	g_assert_cmpint(
	    turn_alloc_bind(a, 0x7fff, TURN_CHANNEL_MAX_RFC5766, &(struct stun_addr){0}), ==, 0);
	g_assert_cmpuint(turn_alloc_channel_count(a), ==, 3);

	xb_clock_advance(300 * 1000);
	g_assert_false(turn_alloc_permitted(a, &pa)); /* the permission needs its own refresh */
	g_assert_nonnull(turn_alloc_channel(a, 0x4000));
	g_assert_cmpint(turn_alloc_bind(a, 0x4000, STUN_CHANNEL_MAX, &pa), ==, 0); /* refresh */
	xb_clock_advance(300 * 1000);
	g_assert_null(turn_alloc_channel(a, 0x4001));
	g_assert_null(turn_alloc_channel_for(a, &pb));
	g_assert_nonnull(turn_alloc_channel(a, 0x4000));
	g_assert_cmpint(turn_alloc_bind(a, 0x4001, STUN_CHANNEL_MAX, &pa), ==, 400);
	xb_clock_advance(300 * 1000);
	g_assert_cmpuint(turn_alloc_channel_count(a), ==, 0);
	g_assert_cmpint(turn_alloc_bind(a, 0x4000, STUN_CHANNEL_MAX, &pb), ==, 0);
	done(t);
}

/* Destroying an allocation cancels every timer of its permissions and channels. */
static void test_destroy_cancels_timers(void)
{
	TurnTable *t = table();
	TurnAlloc *a = alloc(t, 1000, "alice", 600);
	struct stun_addr p = addr("198.51.100.7", 4000);

	turn_alloc_permit(a, &p);
	turn_alloc_bind(a, 0x4000, STUN_CHANNEL_MAX, &p);
	g_assert_cmpuint(xb_timer_pending(), ==, 3);
	turn_alloc_free(a, "test");
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	g_assert_cmpstr(freed->str, ==, "alice:test@0 ");
	done(t);
}

/* EVEN-PORT with R (§7.2): an even port with the next one held for a token, 30 s. */
static void test_reservation(void)
{
	TurnTable *t = table();
	struct stun_addr lo = addr("127.0.0.1", 0);
	GSocket *next = NULL, *s;
	uint16_t port = 0, got = 0;
	TurnReservation *r;
	uint8_t token[8], unknown[8] = {0};

	s = turn_relay_bind(&lo, 40000, 40999, TRUE, &next, &port);
	g_assert_nonnull(s);
	g_assert_nonnull(next);
	g_assert_cmpuint(port % 2, ==, 0);
	r = turn_reservation_add(t, next, (uint16_t)(port + 1));
	memcpy(token, r->token, 8);
	g_assert_null(turn_reservation_take(t, unknown, &got));
	next = turn_reservation_take(t, token, &got);
	g_assert_nonnull(next);
	g_assert_cmpuint(got, ==, port + 1);
	g_assert_null(turn_reservation_take(t, token, &got)); /* a token is used once */

	r = turn_reservation_add(t, next, got);
	memcpy(token, r->token, 8);
	xb_clock_advance(TURN_RESERVATION_MS);
	g_assert_null(turn_reservation_take(t, token, &got));
	g_socket_close(s, NULL);
	g_object_unref(s);
	done(t);
}

/* ---- peer policy ---- */

static TurnConfig *policy(gboolean loopback, const char *allowed, const char *denied)
{
	TurnConfig *cfg = g_new0(TurnConfig, 1);
	const char *lists[2] = {allowed, denied};
	GArray **out[2] = {&cfg->allowed, &cfg->denied};

	cfg->allow_loopback = loopback;
	for (int i = 0; i < 2; i++) {
		g_auto(GStrv) words = g_strsplit(lists[i] ? lists[i] : "", ",", -1);

		*out[i] = g_array_new(FALSE, TRUE, sizeof(TurnCidr));
		for (guint j = 0; words[j]; j++) {
			TurnCidr c;

			if (!*words[j])
				continue;
			g_assert_true(turn_cidr_parse(words[j], &c));
			g_array_append_val(*out[i], c);
		}
	}
	return cfg;
}

static int peer(const TurnConfig *cfg, const char *ip)
{
	struct stun_addr a = addr(ip, 5000);

	return turn_peer_check(cfg, &a);
}

static void test_peer_policy(void)
{
	g_autoptr(TurnConfig) def = policy(FALSE, NULL, NULL);
	g_autoptr(TurnConfig) loop = policy(TRUE, NULL, NULL);
	g_autoptr(TurnConfig) lists = policy(FALSE, "10.1.0.0/16,0.0.0.0/0,::ffff:192.168.1.0/120",
	                                     "8.8.8.0/24,2001:4860::/32");
	struct stun_addr zero_port = addr("8.8.4.4", 0);
	TurnCidr c;

	/* Special-purpose ranges are refused by default, mapped ones as their IPv4 address. */
	g_assert_cmpint(peer(def, "8.8.4.4"), ==, 0);
	g_assert_cmpint(peer(def, "2001:4860:4860::8888"), ==, 0);
	g_assert_cmpint(turn_peer_check(def, &zero_port), ==, 403);
	for (const char *const *ip =
	         (const char *const[]){"127.0.0.1", "::1", "::ffff:127.0.0.1", "0.0.0.0",
	                               "::", "::ffff:0.0.0.0", "10.0.0.1", "::ffff:10.0.0.1",
	                               "169.254.169.254", "224.0.0.1", "255.255.255.255", "fe80::1",
	                               "fc00::1", "100.64.0.1", NULL};
	     *ip; ip++)
		g_assert_cmpint((g_test_message("%s", *ip), peer(def, *ip)), ==, 403);
	/* The test switch opens loopback, and only loopback. */
	g_assert_cmpint(peer(loop, "127.0.0.1"), ==, 0);
	g_assert_cmpint(peer(loop, "::1"), ==, 0);
	g_assert_cmpint(peer(loop, "::ffff:127.0.0.1"), ==, 0);
	g_assert_cmpint(peer(loop, "0.0.0.0"), ==, 403);
	g_assert_cmpint(peer(loop, "10.0.0.1"), ==, 403);
	/* Deny wins; allow opens private ranges but never the unspecified address. */
	g_assert_cmpint(peer(lists, "8.8.8.8"), ==, 403);
	g_assert_cmpint(peer(lists, "::ffff:8.8.8.8"), ==, 403);
	g_assert_cmpint(peer(lists, "2001:4860::1"), ==, 403);
	g_assert_cmpint(peer(lists, "10.1.2.3"), ==, 0);
	g_assert_cmpint(peer(lists, "::ffff:10.1.2.3"), ==, 0);
	g_assert_cmpint(peer(lists, "192.168.1.9"), ==, 0);
	g_assert_cmpint(peer(lists, "0.0.0.0"), ==, 403);
	g_assert_cmpint(peer(lists, "::ffff:0.0.0.0"), ==, 403);
	g_assert_false(turn_cidr_parse("10.0.0.0/33", &c));
	g_assert_false(turn_cidr_parse("10.0.0.0/", &c));
	g_assert_false(turn_cidr_parse("host.example", &c));
}

/* ---- long-term credentials ---- */

static const uint8_t nonce_key[32] = "0123456789abcdef0123456789abcdef";

static TurnConfig *auth_config(void)
{
	TurnConfig *cfg = policy(FALSE, NULL, NULL);

	cfg->realm = g_strdup("crossbar");
	cfg->secret = g_strdup("s3cret");
	cfg->nonce_lifetime = 600;
	cfg->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_insert(cfg->users, g_strdup("alice"), g_strdup("wonderland"));
	return cfg;
}

typedef struct {
	const char *user, *password, *realm, *nonce;
	gboolean sha256;
} Req;

/* Encodes an Allocate with the given credentials and checks it at time now_s. */
static int check(const TurnConfig *cfg, const Req *r, gint64 now_s, TurnAuth *auth)
{
	static uint8_t buf[1024];
	uint8_t tid[STUN_TID_LEN] = {1, 2, 3};
	struct stun_encoder e;
	struct stun_msg msg;
	struct stun_addr cl = addr("192.0.2.10", 1000);
	uint8_t key[STUN_KEY_MAX];
	size_t len;
	int klen;

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, tid);
	stun_encode_requested_transport(&e, STUN_TRANSPORT_UDP);
	if (r->user)
		stun_encode_string(&e, STUN_ATTR_USERNAME, r->user);
	if (r->realm)
		stun_encode_string(&e, STUN_ATTR_REALM, r->realm);
	if (r->nonce)
		stun_encode_string(&e, STUN_ATTR_NONCE, r->nonce);
	if (r->password) {
		klen = stun_key_long_term(STUN_PWALG_MD5, r->user, r->realm ? r->realm : "",
		                          r->password, key);
		g_assert_cmpint(klen, ==, 16);
		if (r->sha256)
			stun_encode_integrity_sha256(&e, key, (size_t)klen);
		else
			stun_encode_integrity(&e, key, (size_t)klen);
	}
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	g_assert_cmpint(stun_msg_decode(&msg, buf, len), ==, 0);
	return turn_auth_check(cfg, nonce_key, sizeof(nonce_key), &msg, &cl, now_s, auth);
}

static void test_auth(void)
{
	g_autoptr(TurnConfig) cfg = auth_config();
	struct stun_addr cl = addr("192.0.2.10", 1000), other = addr("192.0.2.11", 1000);
	char nonce[STUN_NONCE_LEN + 1], foreign[STUN_NONCE_LEN + 1];
	char eph_user[64], eph_pw[STUN_EPHEMERAL_PASSWORD_LEN + 1];
	char old_user[] = "1000:bob", old_pw[STUN_EPHEMERAL_PASSWORD_LEN + 1];
	gint64 unix_now = g_get_real_time() / G_USEC_PER_SEC;
	TurnAuth auth;

	g_assert_cmpint(stun_nonce_make(nonce_key, 32, 5000, &cl, nonce), ==, 0);
	g_assert_cmpint(stun_nonce_make(nonce_key, 32, 5000, &other, foreign), ==, 0);

	/* No integrity: the challenge. Integrity without NONCE: 400. */
	g_assert_cmpint(check(cfg, &(Req){.user = "alice"}, 5000, &auth), ==, 401);
	g_assert_cmpint(check(cfg, &(Req){"alice", "wonderland", "crossbar", NULL}, 5000, &auth),
	                ==, 400);
	/* Good credentials, with either integrity attribute. */
	g_assert_cmpint(check(cfg, &(Req){"alice", "wonderland", "crossbar", nonce}, 5000, &auth),
	                ==, 0);
	g_assert_cmpstr(auth.username, ==, "alice");
	g_assert_cmpuint(auth.key_len, ==, 16);
	g_assert_false(auth.sha256);
	g_assert_cmpint(
	    check(cfg, &(Req){"alice", "wonderland", "crossbar", nonce, TRUE}, 5000, &auth), ==, 0);
	g_assert_true(auth.sha256);
	/* Wrong password, unknown user, another realm: 401. */
	g_assert_cmpint(check(cfg, &(Req){"alice", "wrong", "crossbar", nonce}, 5000, &auth), ==,
	                401);
	g_assert_cmpint(check(cfg, &(Req){"mallory", "x", "crossbar", nonce}, 5000, &auth), ==,
	                401);
	g_assert_cmpint(check(cfg, &(Req){"alice", "wonderland", "other", nonce}, 5000, &auth), ==,
	                401);
	/* Stale (older than nonce_lifetime), made for another address, or garbage: 438. */
	g_assert_cmpint(check(cfg, &(Req){"alice", "wonderland", "crossbar", nonce}, 5600, &auth),
	                ==, 0);
	g_assert_cmpint(check(cfg, &(Req){"alice", "wonderland", "crossbar", nonce}, 5601, &auth),
	                ==, 438);
	g_assert_cmpint(check(cfg, &(Req){"alice", "wonderland", "crossbar", foreign}, 5000, &auth),
	                ==, 438);
	g_assert_cmpint(check(cfg, &(Req){"alice", "wonderland", "crossbar", "abc"}, 5000, &auth),
	                ==, 438);

	/* coturn's use-auth-secret: "expiry:user", base64(HMAC-SHA1(secret, name)). */
	g_snprintf(eph_user, sizeof(eph_user), "%" G_GINT64_FORMAT ":bob", unix_now + 3600);
	g_assert_cmpint(
	    stun_cred_ephemeral_password("s3cret", 6, eph_user, strlen(eph_user), unix_now, eph_pw),
	    ==, 0);
	g_assert_cmpint(check(cfg, &(Req){eph_user, eph_pw, "crossbar", nonce}, 5000, &auth), ==,
	                0);
	g_assert_cmpint(check(cfg, &(Req){eph_user, "nope", "crossbar", nonce}, 5000, &auth), ==,
	                401);
	g_assert_cmpint(
	    stun_cred_ephemeral_password("s3cret", 6, old_user, strlen(old_user), 0, old_pw), ==,
	    0);
	g_assert_cmpint(check(cfg, &(Req){old_user, old_pw, "crossbar", nonce}, 5000, &auth), ==,
	                401);
	/* Without a secret, a time-limited name is just an unknown user. */
	g_clear_pointer(&cfg->secret, g_free);
	g_assert_cmpint(check(cfg, &(Req){eph_user, eph_pw, "crossbar", nonce}, 5000, &auth), ==,
	                401);
}

/* Answers to unauthenticated requests: a token bucket per source address (ports ignored),
 * refilled from the clock; a full table makes room by dropping its oldest source, which then
 * starts with a full bucket again (never locked out). */
static void test_unauth_limiter(void)
{
	TurnLimiter *l = turn_limiter_new(4);
	struct stun_addr a = {STUN_FAMILY_IPV4, 1000, {192, 0, 2, 1}};
	struct stun_addr b = {STUN_FAMILY_IPV4, 2000, {192, 0, 2, 2}};
	struct stun_addr v6 = {STUN_FAMILY_IPV6, 1, {0x20, 0x01, 0x0d, 0xb8}};
	guint n = 0;

	for (int i = 0; i < 1000; i++)
		n += turn_limiter_take(l, &a, 10, 20, 5000);
	g_assert_cmpuint(n, ==, 20);
	a.port = 1001; /* another port of the same address shares the bucket */
	g_assert_false(turn_limiter_take(l, &a, 10, 20, 5000));
	g_assert_true(turn_limiter_take(l, &b, 10, 20, 5000));
	g_assert_true(turn_limiter_take(l, &v6, 10, 20, 5000));
	/* 10 per second: one token every 100 ms, never more than the burst */
	g_assert_false(turn_limiter_take(l, &a, 10, 20, 5099));
	g_assert_true(turn_limiter_take(l, &a, 10, 20, 5100));
	g_assert_false(turn_limiter_take(l, &a, 10, 20, 5100));
	n = 0;
	for (int i = 0; i < 100; i++)
		n += turn_limiter_take(l, &a, 10, 20, 600000);
	g_assert_cmpuint(n, ==, 20);
	/* rate 0 is no limit */
	for (int i = 0; i < 100; i++)
		g_assert_true(turn_limiter_take(l, &a, 0, 20, 600000));
	/* a bounded table: the oldest source (a) makes room and comes back with a full bucket */
	for (uint8_t i = 10; i < 20; i++) {
		struct stun_addr x = {STUN_FAMILY_IPV4, 1, {198, 51, 100, i}};
		g_assert_true(turn_limiter_take(l, &x, 10, 20, 600000));
		g_assert_cmpuint(turn_limiter_count(l), <=, 4);
	}
	g_assert_true(turn_limiter_take(l, &a, 10, 20, 600000));
	turn_limiter_free(l);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/turn/alloc/lifetime-and-refresh", test_lifetime_and_refresh);
	g_test_add_func("/turn/alloc/permissions", test_permissions);
	g_test_add_func("/turn/alloc/channels", test_channels);
	g_test_add_func("/turn/alloc/destroy-cancels-timers", test_destroy_cancels_timers);
	g_test_add_func("/turn/alloc/reservation", test_reservation);
	g_test_add_func("/turn/peer/policy", test_peer_policy);
	g_test_add_func("/turn/auth/long-term", test_auth);
	g_test_add_func("/turn/limit/unauthenticated-answers", test_unauth_limiter);
	return g_test_run();
}
