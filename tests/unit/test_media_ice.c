/* test_media_ice.c: an endpoint as an ICE-lite agent (RFC 8445 §2.5, §7.3) on loopback. A
 * test "phone" (a UDP socket playing the full, controlling agent) sends STUN Binding
 * requests to the endpoint's RTP and RTCP ports: a check with the right credentials is
 * answered with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT; wrong or missing
 * ones get 401 or 400 without integrity, ICE-CONTROLLED gets 487, all counted; USE-CANDIDATE
 * makes the checking socket the destination of the relayed RTP, which a new description
 * with the same credentials does not move and a stranger's RTP cannot; an ICE restart
 * changes the endpoint's credentials; without ICE, STUN is dropped as before. */
#include "config.h"
#include "core/media/media_private.h"
#include "test_util.h"

#include <crossbar/stun.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LO 58200
#define HI 58299

#define PHONE_UFRAG "phoneUfrag"
#define PHONE_PWD   "phonePasswordOf24chars++"

typedef struct {
	int fd;
	guint16 port;
} Phone;

static Phone phone_new(void)
{
	Phone p = {socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	struct timeval tv = {0, 300 * 1000};

	g_assert_cmpint(p.fd, >=, 0);
	g_assert_cmpint(bind(p.fd, (struct sockaddr *)&a, sizeof a), ==, 0);
	g_assert_cmpint(getsockname(p.fd, (struct sockaddr *)&a, &len), ==, 0);
	setsockopt(p.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	p.port = ntohs(a.sin_port);
	return p;
}

static void send_to(Phone *p, guint16 to, const void *buf, size_t len)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons(to)};

	g_assert_cmpint(sendto(p->fd, buf, len, 0, (struct sockaddr *)&a, sizeof a), ==, len);
}

static void rtp_send(Phone *p, guint16 to, guint32 ssrc, guint16 seq)
{
	guint8 pkt[172] = {0x80, 0x00, seq >> 8, seq & 0xff};

	pkt[8] = ssrc >> 24;
	pkt[9] = ssrc >> 16;
	pkt[10] = ssrc >> 8;
	pkt[11] = ssrc;
	send_to(p, to, pkt, sizeof pkt);
}

/* What the phone receives within 300 ms: its length (0: nothing). */
static size_t phone_recv(Phone *p, guint8 *buf, size_t cap, guint16 *from_port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	for (int spins = 0; spins < 10; spins++) {
		ssize_t n = recvfrom(p->fd, buf, cap, 0, (struct sockaddr *)&a, &len);
		if (n > 0) {
			if (from_port)
				*from_port = ntohs(a.sin_port);
			return (size_t)n;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		xb_media_dispatch_events();
	}
	return 0;
}

/* The sequence number of the RTP packet the phone receives within 300 ms, or -1. */
static int rtp_recv(Phone *p)
{
	guint8 buf[2048];
	size_t n = phone_recv(p, buf, sizeof buf, NULL);

	return n >= 12 && buf[0] >> 6 == 2 ? buf[2] << 8 | buf[3] : -1;
}

typedef struct {
	const char *username; /* NULL: none */
	const char *key;      /* MESSAGE-INTEGRITY's; NULL: none */
	gboolean controlled;  /* ICE-CONTROLLED instead of ICE-CONTROLLING */
	gboolean use_candidate;
	gboolean no_fingerprint;
} Check;

/* A Binding request as a full agent's check (RFC 8445 §7.2.2) with transaction id tid. */
static size_t check_build(const Check *c, guint8 *buf, size_t cap, guint8 tid[STUN_TID_LEN])
{
	struct stun_encoder e;
	size_t len = 0;

	g_assert_cmpint(stun_tid_random(tid), ==, 0);
	stun_encode_init(&e, buf, cap, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid);
	if (c->username)
		stun_encode_string(&e, STUN_ATTR_USERNAME, c->username);
	stun_encode_u32(&e, STUN_ATTR_PRIORITY, 1853824767);
	stun_encode_u64(&e, c->controlled ? STUN_ATTR_ICE_CONTROLLED : STUN_ATTR_ICE_CONTROLLING,
	                0x0123456789abcdefull);
	if (c->use_candidate)
		stun_encode_flag(&e, STUN_ATTR_USE_CANDIDATE);
	if (c->key)
		stun_encode_integrity(&e, (const uint8_t *)c->key, strlen(c->key));
	if (!c->no_fingerprint)
		stun_encode_fingerprint(&e);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	return len;
}

typedef struct {
	gboolean answered;
	enum stun_class cls;
	int code;              /* ERROR-CODE, 0 for none */
	gboolean integrity_ok; /* MESSAGE-INTEGRITY present and right for the key */
	gboolean has_integrity, has_fingerprint;
	struct stun_addr mapped;
	guint16 from_port;
} Answer;

/* Sends the check from the phone to `port` and reads what comes back (if anything). */
static Answer check(Phone *p, guint16 port, const Check *c, const char *key)
{
	guint8 req[512], buf[2048], tid[STUN_TID_LEN];
	size_t len = check_build(c, req, sizeof req, tid);
	struct stun_msg msg;
	Answer a = {0};

	send_to(p, port, req, len);
	len = phone_recv(p, buf, sizeof buf, &a.from_port);
	if (!len)
		return a;
	g_assert_cmpint(stun_msg_decode(&msg, buf, len), ==, 0);
	g_assert_cmpmem(msg.tid, STUN_TID_LEN, tid, STUN_TID_LEN);
	g_assert_cmpuint(msg.method, ==, STUN_METHOD_BINDING);
	a.answered = TRUE;
	a.cls = msg.cls;
	a.has_integrity = msg.mi >= 0;
	a.has_fingerprint = msg.fp >= 0;
	a.integrity_ok = a.has_integrity &&
	                 stun_msg_check_integrity(&msg, (const uint8_t *)key, strlen(key)) == 0;
	const struct stun_attr *ec = stun_attr_get(&msg, STUN_ATTR_ERROR_CODE);
	const char *reason;
	size_t reason_len;
	if (ec)
		g_assert_cmpint(stun_attr_error_code(ec, &a.code, &reason, &reason_len), ==, 0);
	const struct stun_attr *xa = stun_attr_get(&msg, STUN_ATTR_XOR_MAPPED_ADDRESS);
	if (xa)
		g_assert_cmpint(stun_attr_xor_addr(&msg, xa, &a.mapped), ==, 0);
	return a;
}

static GPtrArray *seen; /* "nominated:COMPONENT:PORT" */

static void event_cb(XbMediaEndpoint *ep, const XbMediaEvent *ev, gpointer user_data)
{
	if (ev->type == XB_MEDIA_EV_NOMINATED)
		g_ptr_array_add(seen, g_strdup_printf("nominated:%u:%u", ev->component,
		                                      g_inet_socket_address_get_port(ev->source)));
}

static gboolean saw(const char *what)
{
	for (int spins = 0; spins < 50; spins++) {
		xb_media_dispatch_events();
		for (guint i = 0; i < seen->len; i++)
			if (!strcmp(seen->pdata[i], what))
				return TRUE;
		g_usleep(10 * 1000);
	}
	return FALSE;
}

static void setup(void)
{
	g_autoptr(GError) error = NULL;

	seen = g_ptr_array_new_with_free_func(g_free);
	g_assert_true(xb_media_engine_start(2, LO, HI, 0, &error));
	g_assert_no_error(error);
}

static void teardown(void)
{
	xb_media_engine_stop();
	g_ptr_array_unref(seen);
}

static XbMediaEndpoint *endpoint(XbMediaEndpoint *near)
{
	g_autoptr(GError) error = NULL;
	XbMediaEndpoint *ep = xb_media_endpoint_new("127.0.0.1", near, event_cb, NULL, &error);

	g_assert_no_error(error);
	return ep;
}

/* An endpoint whose far end offered ICE; the username the far end's checks carry. */
static XbMediaEndpoint *ice_endpoint(XbMediaEndpoint *near, char **username)
{
	XbMediaEndpoint *ep = endpoint(near);

	g_assert_null(xb_media_endpoint_ice_ufrag(ep));
	g_assert_true(xb_media_endpoint_set_ice(ep, PHONE_UFRAG, PHONE_PWD));
	*username = g_strdup_printf("%s:%s", xb_media_endpoint_ice_ufrag(ep), PHONE_UFRAG);
	g_usleep(20 * 1000); /* the worker has the credentials */
	return ep;
}

/* RFC 8445 §5.3, RFC 8839 §5.4: the endpoint's own credentials are random ice-chars of
 * the lengths RFC 8839 allows, different for each endpoint; malformed ones of the far end
 * leave ICE off. */
/* The endpoint's counters once its worker is done with what came: the worker counts just
 * after it answers, so a reading is taken when two in a row, 20 ms apart, agree. */
static void settled_counters(XbMediaEndpoint *ep, XbMediaCounters *c)
{
	XbMediaCounters prev;

	xb_media_endpoint_counters(ep, &prev);
	for (int i = 0; i < 50; i++) {
		g_usleep(20 * 1000);
		xb_media_endpoint_counters(ep, c);
		if (!memcmp(&prev, c, sizeof *c))
			return;
		prev = *c;
	}
}

static void test_credentials(void)
{
	setup();
	XbMediaEndpoint *a = endpoint(NULL), *b = endpoint(NULL);

	g_assert_true(xb_media_endpoint_set_ice(a, PHONE_UFRAG, PHONE_PWD));
	g_assert_true(xb_media_endpoint_set_ice(b, PHONE_UFRAG, PHONE_PWD));
	g_assert_true(xb_sdp_ice_ufrag_valid(xb_media_endpoint_ice_ufrag(a)));
	g_assert_true(xb_sdp_ice_pwd_valid(xb_media_endpoint_ice_pwd(a)));
	g_assert_cmpuint(strlen(xb_media_endpoint_ice_ufrag(a)), ==, 8);
	g_assert_cmpuint(strlen(xb_media_endpoint_ice_pwd(a)), ==, 24);
	g_assert_cmpstr(xb_media_endpoint_ice_ufrag(a), !=, xb_media_endpoint_ice_ufrag(b));
	g_assert_cmpstr(xb_media_endpoint_ice_pwd(a), !=, xb_media_endpoint_ice_pwd(b));
	/* the same far end's credentials again (a re-offer): ours stay */
	g_autofree char *ufrag = g_strdup(xb_media_endpoint_ice_ufrag(a));
	g_assert_true(xb_media_endpoint_set_ice(a, PHONE_UFRAG, PHONE_PWD));
	g_assert_cmpstr(xb_media_endpoint_ice_ufrag(a), ==, ufrag);
	/* malformed: off */
	g_assert_false(xb_media_endpoint_set_ice(a, "x", PHONE_PWD));
	g_assert_null(xb_media_endpoint_ice_ufrag(a));
	g_assert_false(xb_media_endpoint_set_ice(b, PHONE_UFRAG, "short"));
	g_assert_null(xb_media_endpoint_ice_pwd(b));
	g_assert_true(xb_media_endpoint_set_ice(b, NULL, NULL));
	xb_media_endpoint_unref(a);
	xb_media_endpoint_unref(b);
	teardown();
}

/* RFC 8445 §7.3.1.2, RFC 8489 §9.1: a check with our ufrag and the far end's in USERNAME,
 * integrity under our ice-pwd and a fingerprint is answered with the source's
 * XOR-MAPPED-ADDRESS, integrity under the same key and a fingerprint, on RTP's port and
 * RTCP's alike. */
static void test_check_answered(void)
{
	setup();
	g_autofree char *username = NULL;
	XbMediaEndpoint *ep = ice_endpoint(NULL, &username);
	const char *pwd = xb_media_endpoint_ice_pwd(ep);
	guint16 port = xb_media_endpoint_port(ep);
	Phone p = phone_new();

	for (int which = 0; which < 2; which++) {
		Answer a = check(&p, port + which, &(Check){.username = username, .key = pwd}, pwd);
		g_assert_true(a.answered);
		g_assert_cmpint(a.cls, ==, STUN_CLASS_SUCCESS);
		g_assert_cmpint(a.from_port, ==, port + which);
		g_assert_true(a.integrity_ok);
		g_assert_true(a.has_fingerprint);
		g_assert_cmpuint(a.mapped.family, ==, STUN_FAMILY_IPV4);
		g_assert_cmpuint(a.mapped.port, ==, p.port);
		g_assert_cmpmem(a.mapped.ip, 4, "\x7f\x00\x00\x01", 4);
	}
	XbMediaCounters c;
	settled_counters(ep, &c);
	g_assert_cmpuint(c.ice_checks, ==, 2);
	g_assert_cmpuint(c.ice_refused, ==, 0);
	g_assert_cmpuint(c.dropped, ==, 0);
	xb_media_endpoint_unref(ep);
	close(p.fd);
	teardown();
}

/* RFC 8489 §9.1.3, RFC 8445 §7.3 and §7.3.1.1: no USERNAME or no integrity: 400; another
 * ufrag (ours or the far end's) or integrity under another password: 401, never with
 * integrity; no fingerprint: dropped; ICE-CONTROLLED (a lite agent stays controlled): 487
 * with integrity. Each is counted as refused, and none nominates. */
static void test_check_refused(void)
{
	setup();
	g_autofree char *username = NULL;
	XbMediaEndpoint *ep = ice_endpoint(NULL, &username);
	const char *pwd = xb_media_endpoint_ice_pwd(ep);
	guint16 port = xb_media_endpoint_port(ep);
	g_autofree char *stranger =
	    g_strdup_printf("%s:someoneElse", xb_media_endpoint_ice_ufrag(ep));
	Phone p = phone_new();
	Answer a;

	a = check(&p, port, &(Check){.username = username, .use_candidate = TRUE}, pwd);
	g_assert_true(a.answered);
	g_assert_cmpint(a.code, ==, 400);
	a = check(&p, port, &(Check){.key = pwd, .use_candidate = TRUE}, pwd);
	g_assert_cmpint(a.code, ==, 400);
	a = check(&p, port,
	          &(Check){.username = username,
	                   .key = "wrongPasswordOf24chars++",
	                   .use_candidate = TRUE},
	          pwd);
	g_assert_cmpint(a.cls, ==, STUN_CLASS_ERROR);
	g_assert_cmpint(a.code, ==, 401);
	g_assert_false(a.has_integrity);
	g_assert_true(a.has_fingerprint);
	a = check(&p, port, &(Check){.username = "abcdefgh:" PHONE_UFRAG, .key = pwd}, pwd);
	g_assert_cmpint(a.code, ==, 401);
	a = check(&p, port, &(Check){.username = stranger, .key = pwd}, pwd);
	g_assert_cmpint(a.code, ==, 401);
	a = check(
	    &p, port,
	    &(Check){
	        .username = username, .key = pwd, .no_fingerprint = TRUE, .use_candidate = TRUE},
	    pwd);
	g_assert_false(a.answered);
	a = check(
	    &p, port + 1,
	    &(Check){.username = username, .key = pwd, .controlled = TRUE, .use_candidate = TRUE},
	    pwd);
	g_assert_cmpint(a.code, ==, 487);
	g_assert_true(a.integrity_ok);
	XbMediaCounters c;
	settled_counters(ep, &c);
	g_assert_cmpuint(c.ice_checks, ==, 0);
	g_assert_cmpuint(c.ice_refused, ==, 7);
	xb_media_dispatch_events();
	g_assert_cmpuint(seen->len, ==, 0);
	xb_media_endpoint_unref(ep);
	close(p.fd);
	teardown();
}

/* RFC 8445 §7.3.1.5 and §8.2 (a lite agent's nominated pair): a check with USE-CANDIDATE
 * from another address than the description's makes it where RTP and RTCP go; RTP from
 * elsewhere is dropped, however young the stream; a new description with the same
 * credentials leaves the nominated address; a later nominating check moves it. */
static void test_use_candidate(void)
{
	setup();
	g_autofree char *username = NULL;
	XbMediaEndpoint *ea = ice_endpoint(NULL, &username);
	XbMediaEndpoint *eb = endpoint(ea);
	const char *pwd = xb_media_endpoint_ice_pwd(ea);
	guint16 pa = xb_media_endpoint_port(ea), pb = xb_media_endpoint_port(eb);
	Phone sdp_addr = phone_new(), host = phone_new(), host_rtcp = phone_new(), b = phone_new();
	Phone other = phone_new();

	g_assert_true(xb_media_endpoint_set_remote(ea, "127.0.0.1", sdp_addr.port));
	g_assert_true(xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port));
	xb_media_join(ea, eb);
	g_usleep(50 * 1000);
	/* before any nomination: the description's address */
	rtp_send(&b, pb, 0xbbbb, 1);
	g_assert_cmpint(rtp_recv(&sdp_addr), ==, 1);

	/* a check without USE-CANDIDATE moves nothing */
	Answer a = check(&host, pa, &(Check){.username = username, .key = pwd}, pwd);
	g_assert_cmpint(a.cls, ==, STUN_CLASS_SUCCESS);
	rtp_send(&b, pb, 0xbbbb, 2);
	g_assert_cmpint(rtp_recv(&sdp_addr), ==, 2);

	/* nominated: RTP to host, RTCP to host_rtcp */
	a = check(&host, pa, &(Check){.username = username, .key = pwd, .use_candidate = TRUE},
	          pwd);
	g_assert_cmpint(a.cls, ==, STUN_CLASS_SUCCESS);
	a = check(&host_rtcp, pa + 1,
	          &(Check){.username = username, .key = pwd, .use_candidate = TRUE}, pwd);
	g_assert_cmpint(a.cls, ==, STUN_CLASS_SUCCESS);
	g_autofree char *ev = g_strdup_printf("nominated:1:%u", host.port);
	g_assert_true(saw(ev));
	g_autofree char *ev2 = g_strdup_printf("nominated:2:%u", host_rtcp.port);
	g_assert_true(saw(ev2));
	rtp_send(&b, pb, 0xbbbb, 3);
	g_assert_cmpint(rtp_recv(&host), ==, 3);
	g_assert_cmpint(rtp_recv(&sdp_addr), ==, -1);
	guint8 rr[8] = {0x80, 201, 0, 1, 0xbb, 0xbb, 0xbb, 0xbb};
	Phone b_rtcp = phone_new();
	send_to(&b_rtcp, pb + 1, rr, sizeof rr);
	guint8 buf[64];
	g_assert_cmpuint(phone_recv(&host_rtcp, buf, sizeof buf, NULL), ==, sizeof rr);

	/* the phone's RTP from the nominated address goes on; a stranger's does not, even
	 * within the latching window */
	rtp_send(&host, pa, 0xaaaa, 10);
	g_assert_cmpint(rtp_recv(&b), ==, 10);
	rtp_send(&other, pa, 0xaaaa, 11);
	g_assert_cmpint(rtp_recv(&b), ==, -1);
	rtp_send(&b, pb, 0xbbbb, 4);
	g_assert_cmpint(rtp_recv(&host), ==, 4);

	/* a re-offer with the same credentials and the old address: still the nominated one */
	g_assert_true(xb_media_endpoint_set_ice(ea, PHONE_UFRAG, PHONE_PWD));
	g_assert_true(xb_media_endpoint_set_remote(ea, "127.0.0.1", sdp_addr.port));
	g_usleep(20 * 1000);
	rtp_send(&b, pb, 0xbbbb, 5);
	g_assert_cmpint(rtp_recv(&host), ==, 5);

	/* another nominating check moves RTP */
	a = check(&other, pa, &(Check){.username = username, .key = pwd, .use_candidate = TRUE},
	          pwd);
	g_assert_cmpint(a.cls, ==, STUN_CLASS_SUCCESS);
	rtp_send(&b, pb, 0xbbbb, 6);
	g_assert_cmpint(rtp_recv(&other), ==, 6);
	g_assert_cmpint(rtp_recv(&host), ==, -1);

	XbMediaCounters c;
	settled_counters(ea, &c);
	g_assert_cmpuint(c.ice_checks, ==, 4);
	g_assert_cmpuint(c.dropped, ==, 1); /* the stranger's packet */
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	Phone *all[] = {&sdp_addr, &host, &host_rtcp, &b, &other, &b_rtcp};
	for (guint i = 0; i < G_N_ELEMENTS(all); i++)
		close(all[i]->fd);
	teardown();
}

/* RFC 8445 §9: new credentials from the far end (an ICE restart) give the endpoint new
 * ones of its own; checks under the old ones are refused and the nomination is forgotten.
 * With ICE off, STUN is dropped unanswered like anything that is not RTP. */
static void test_restart_and_off(void)
{
	setup();
	g_autofree char *username = NULL;
	XbMediaEndpoint *ep = ice_endpoint(NULL, &username);
	g_autofree char *old_pwd = g_strdup(xb_media_endpoint_ice_pwd(ep));
	guint16 port = xb_media_endpoint_port(ep);
	Phone p = phone_new();

	g_assert_true(xb_media_endpoint_set_ice(ep, "restartUfrag", PHONE_PWD "x"));
	g_assert_cmpstr(xb_media_endpoint_ice_pwd(ep), !=, old_pwd);
	g_usleep(20 * 1000);
	Answer a = check(&p, port, &(Check){.username = username, .key = old_pwd}, old_pwd);
	g_assert_cmpint(a.code, ==, 401);
	g_autofree char *fresh =
	    g_strdup_printf("%s:restartUfrag", xb_media_endpoint_ice_ufrag(ep));
	const char *pwd = xb_media_endpoint_ice_pwd(ep);
	a = check(&p, port, &(Check){.username = fresh, .key = pwd}, pwd);
	g_assert_cmpint(a.cls, ==, STUN_CLASS_SUCCESS);
	g_assert_true(a.integrity_ok);

	g_autofree char *pwd_copy = g_strdup(pwd);
	g_assert_true(xb_media_endpoint_set_ice(ep, NULL, NULL));
	g_assert_null(xb_media_endpoint_ice_ufrag(ep));
	g_usleep(20 * 1000);
	a = check(&p, port, &(Check){.username = fresh, .key = pwd_copy}, pwd_copy);
	g_assert_false(a.answered);
	XbMediaCounters c;
	settled_counters(ep, &c);
	g_assert_cmpuint(c.dropped, ==, 1);
	xb_media_endpoint_unref(ep);
	close(p.fd);
	teardown();
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/media/ice/credentials-8445-5.3", test_credentials);
	g_test_add_func("/media/ice/check-answered-8445-7.3.1.2", test_check_answered);
	g_test_add_func("/media/ice/check-refused-8489-9.1.3-8445-7.3.1.1", test_check_refused);
	g_test_add_func("/media/ice/use-candidate-nominates-8445-7.3.1.5", test_use_candidate);
	g_test_add_func("/media/ice/restart-and-off-8445-9", test_restart_and_off);
	return g_test_run();
}
