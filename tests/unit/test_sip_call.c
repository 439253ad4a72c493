/* test_sip_call.c: INVITE sessions (call.c, RFC 3261 §9, §12-§15) on the core's manual clock.
 * Each test runs a real SipUa (transports, transaction layer, UA core, call.c) listening on
 * loopback UDP, against a plain UDP socket that plays the other agent message by message;
 * the main context is only iterated without blocking to move datagrams, and every timer
 * (2xx retransmission, Timer E/F, 64*T1) fires from xb_clock_advance(), never from sleeping.
 *
 * Why a real UA rather than stubs of ua.c: call.c's behaviour lives in its seams with the
 * UA core (which request reaches it, 481 for unknown dialogs, ACKs of 2xx as strays) and
 * with the transaction layer (CANCEL's 200, the ACK of a non-2xx, Timers A, E, F); stubbing
 * them would test our stubs. The peer is a socket, not a mock: what it checks is what went
 * on the wire. The calls are driven through the SIP API table, as the B2BUA drives them.
 * Known limit: the UA's port is found by binding and closing a probe socket (the listener
 * must be configured with its real port, which goes into Via and Contact). */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "modules/sip/ua.h"

#define T1 500
#define T2 4000
#define T4 5000

typedef struct {
	SipUa *ua;
	const SipApi *api;
	int fd;          /* the peer's socket */
	guint16 ua_port; /* where the UA listens */
	guint16 port;    /* the peer's port */
	SipFlow peer;    /* the peer, for call_place */
	GQueue inbox;    /* struct sip_msg *: what the peer received and the test did not read */
	GPtrArray *read; /* struct sip_msg *: what the test read (valid until the teardown) */
	GString *events; /* what the call's handler was told, "progress/180 answered/200 " */
	SipCall *call;   /* the call under test (one reference) */
	char *ua_tag;    /* UAS: the To tag of the UA's responses to the peer's INVITE */
	gboolean hold;   /* SIP_CALL_REQUEST: keep the request (held) instead of answering */
	SipServerReq *held;
} Fx;

/* ---- the call's user ---- */

static const char *errno_name(int e)
{
	switch (e) {
	case -ETIMEDOUT:
		return "ETIMEDOUT";
	case -ENOENT:
		return "ENOENT";
	default:
		return "other-error";
	}
}

static void on_event(SipCall *call, const SipCallEvent *ev, void *user_data)
{
	static const char *const names[] = {"progress", "answered", "failed", "cancelled",
	                                    "request",  "response", "ended",  "ack"};
	Fx *fx = user_data;

	g_assert_true(call == fx->call);
	g_string_append(fx->events, names[ev->type]);
	if (ev->status)
		g_string_append_printf(fx->events, "/%u", ev->status);
	if (ev->error)
		g_string_append_printf(fx->events, "/%s", errno_name(ev->error));
	if (ev->type == SIP_CALL_REQUEST)
		g_string_append_printf(fx->events, "/%s", sip_method_name(ev->msg->method));
	g_string_append_c(fx->events, ' ');
	if (ev->type == SIP_CALL_REQUEST && fx->hold) {
		g_assert_null(fx->held);
		fx->held = fx->api->req_ref(ev->req);
	}
}

/* A new INVITE: the test keeps the call and answers it itself. */
static gboolean on_incoming(SipCall *call, void *user_data)
{
	Fx *fx = user_data;

	g_assert_null(fx->call);
	fx->call = fx->api->call_ref(call);
	fx->api->call_set_handler(call, on_event, fx);
	return TRUE;
}

static void assert_events(Fx *fx, const char *expect)
{
	g_assert_cmpstr(fx->events->str, ==, expect);
	g_string_truncate(fx->events, 0);
}

/* ---- the wire ---- */

static int udp_socket(guint16 *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin, &sl), ==, 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Let the main context dispatch whatever is ready (datagrams to the UA); never blocks. */
static void pump(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* Move the manual clock; timers send at once, the datagrams wait in the peer's socket. */
static void advance(gint64 ms)
{
	xb_clock_advance(ms);
	pump();
}

/* Move what the UA sent into the peer's inbox, parsed. */
static void peer_receive(Fx *fx)
{
	char buf[65536];
	ssize_t n;

	pump();
	while ((n = recv(fx->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct sip_msg *msg = NULL;
		struct sip_err err = {0};

		g_assert_cmpint(sip_msg_parse(&msg, buf, (size_t)n, &err), ==, 0);
		g_queue_push_tail(&fx->inbox, msg);
	}
}

static char *start_line(const struct sip_msg *m)
{
	return g_strndup(m->buf, strcspn(m->buf, "\r"));
}

/* The next message the peer received; it must have received one. */
static const struct sip_msg *take(Fx *fx)
{
	struct sip_msg *m;

	peer_receive(fx);
	m = g_queue_pop_head(&fx->inbox);
	if (!m)
		g_error("the peer expected a message at %" G_GINT64_FORMAT " ms; none came",
		        xb_clock_now());
	g_ptr_array_add(fx->read, m);
	return m;
}

static const struct sip_msg *expect_request(Fx *fx, const char *method)
{
	const struct sip_msg *m = take(fx);
	g_autofree char *line = start_line(m);

	if (!m->is_request || !sip_pl_eq(&m->method_name, method))
		g_error("expected a %s request at %" G_GINT64_FORMAT " ms, got \"%s\"", method,
		        xb_clock_now(), line);
	g_assert_true(sip_pl_eq(&m->cseq.method_name, method));
	return m;
}

/* The next message must be a response with status to a request of cseq_method. */
static const struct sip_msg *expect_response(Fx *fx, unsigned status, const char *cseq_method)
{
	const struct sip_msg *m = take(fx);
	g_autofree char *line = start_line(m);
	g_autofree char *cseq = sip_pl_dup(&m->cseq.method_name);

	if (m->is_request || m->status != status || strcmp(cseq, cseq_method) != 0)
		g_error("expected %u (%s) at %" G_GINT64_FORMAT " ms, got \"%s\" (%s)", status,
		        cseq_method, xb_clock_now(), line, cseq);
	return m;
}

static void expect_nothing(Fx *fx)
{
	peer_receive(fx);
	if (!g_queue_is_empty(&fx->inbox)) {
		g_autofree char *line = start_line(g_queue_peek_head(&fx->inbox));
		g_error("expected silence at %" G_GINT64_FORMAT " ms, got \"%s\"", xb_clock_now(),
		        line);
	}
}

/* How many messages came that match start (a start-line prefix); nothing else may have. */
static guint expect_only(Fx *fx, const char *start)
{
	guint n = 0;

	peer_receive(fx);
	while (!g_queue_is_empty(&fx->inbox)) {
		const struct sip_msg *m = take(fx);
		g_autofree char *line = start_line(m);
		if (!g_str_has_prefix(line, start))
			g_error("expected only \"%s\", got \"%s\"", start, line);
		n++;
	}
	return n;
}

/* A header's value (the first of the name), or NULL. */
static char *header(const struct sip_msg *m, const char *name)
{
	const struct sip_hdr *h = sip_msg_hdr_byname(m, name);

	return h ? sip_pl_dup(&h->val) : NULL;
}

static char *pl(const struct sip_pl *p)
{
	return sip_pl_dup(p);
}

/* The peer sends text (a bare "\n" becomes CRLF) to the UA and the UA handles it. */
static void peer_send(Fx *fx, const char *text)
{
	g_autoptr(GString) crlf = g_string_new(NULL);
	struct sockaddr_in to = {.sin_family = AF_INET,
	                         .sin_port = htons(fx->ua_port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	for (const char *p = text; *p; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			g_string_append_c(crlf, '\r');
		g_string_append_c(crlf, *p);
	}
	g_assert_cmpint(sendto(fx->fd, crlf->str, crlf->len, 0, (struct sockaddr *)&to, sizeof(to)),
	                ==, (ssize_t)crlf->len);
	pump();
}

/* A request of the peer's call (Call-ID peer-call-1, From tag "peer"), as its UAC: to_tag
 * NULL outside the dialog, else the UA's tag; extra: header lines ending in "\n". */
/* A request from the peer; body (an SDP offer, say) NULL for none. */
static void peer_request_body(Fx *fx, const char *method, const char *branch, unsigned cseq,
                              const char *to_tag, const char *extra, const char *body)
{
	g_autofree char *text =
	    g_strdup_printf("%s sip:crossbar@127.0.0.1:%u SIP/2.0\n"
	                    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\n"
	                    "Max-Forwards: 70\n"
	                    "From: <sip:alice@127.0.0.1>;tag=peer\n"
	                    "To: <sip:crossbar@127.0.0.1>%s%s\n"
	                    "Call-ID: peer-call-1\n"
	                    "CSeq: %u %s\n"
	                    "Contact: <sip:alice@127.0.0.1:%u>\n"
	                    "%s%s"
	                    "Content-Length: %zu\n"
	                    "\n%s",
	                    method, fx->ua_port, fx->port, branch, to_tag ? ";tag=" : "",
	                    to_tag ? to_tag : "", cseq, method, fx->port, extra ? extra : "",
	                    body ? "Content-Type: application/sdp\n" : "", body ? strlen(body) : 0,
	                    body ? body : "");

	peer_send(fx, text);
}

static void peer_request(Fx *fx, const char *method, const char *branch, unsigned cseq,
                         const char *to_tag, const char *extra)
{
	peer_request_body(fx, method, branch, cseq, to_tag, extra, NULL);
}

/* The peer answers a request the UA sent, as its UAS (To tag "callee" when it had none;
 * Contact for a 1xx/2xx to INVITE); extra: header lines ending in "\n". */
/* A response from the callee whose To tag is tag (a fork of its own). */
static void peer_reply_tag(Fx *fx, const struct sip_msg *req, unsigned status, const char *extra,
                           const char *tag)
{
	g_autoptr(GString) out = g_string_new(NULL);
	struct sip_mb mb;

	sip_mb_init_gstring(&mb, out);
	g_assert_cmpint(sip_msg_reply(&mb, req, status, NULL, tag), ==, 0);
	if (req->method == SIP_METHOD_INVITE && status > 100 && status < 300)
		g_string_append_printf(out, "Contact: <sip:bob@127.0.0.1:%u>\n", fx->port);
	g_string_append(out, extra ? extra : "");
	g_assert_cmpint(sip_mb_end(&mb), ==, 0);
	peer_send(fx, out->str);
}

static void peer_reply(Fx *fx, const struct sip_msg *req, unsigned status, const char *extra)
{
	peer_reply_tag(fx, req, status, extra, "callee");
}

/* ---- set-up ---- */

static void setup(Fx *fx, gconstpointer data)
{
	XbListenAddr la = {.transport = XB_TRANSPORT_UDP, .address = "127.0.0.1"};
	g_autoptr(GArray) listen = g_array_new(FALSE, TRUE, sizeof(XbListenAddr));
	g_autoptr(GError) error = NULL;
	int probe;

	xb_clock_set_manual(0);
	/* a free port for the UA: its Via and Contact carry the configured one */
	probe = udp_socket(&la.port);
	close(probe);
	g_array_append_val(listen, la);
	fx->ua_port = la.port;
	fx->fd = udp_socket(&fx->port);
	SipUaConfig cfg = {
	    .listen = listen,
	    .domain = "crossbar.test",
	    .user_agent = "crossbar-test",
	    .timers = {.t1 = T1, .t2 = T2, .t4 = T4},
	    .transport = {.tcp_idle_timeout_ms = 60000},
	};
	fx->ua = sip_ua_new(NULL, &cfg, &error);
	g_assert_no_error(error);
	fx->api = xb_api_get(SIP_API_NAME);
	g_assert_nonnull(fx->api);
	g_assert_true(fx->api->call_handler_register(NULL, on_incoming, fx));
	g_assert_true(sip_flow_from_host(&fx->peer, XB_TRANSPORT_UDP, "127.0.0.1", fx->port));
	g_queue_init(&fx->inbox);
	fx->read = g_ptr_array_new_with_free_func((GDestroyNotify)sip_msg_free);
	fx->events = g_string_new(NULL);
}

static void teardown(Fx *fx, gconstpointer data)
{
	if (fx->held)
		fx->api->req_unref(fx->held);
	if (fx->call)
		fx->api->call_unref(fx->call);
	sip_ua_free(fx->ua);
	xb_api_forget(NULL);
	xb_event_forget(NULL);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	xb_timer_shutdown();
	close(fx->fd);
	g_queue_clear_full(&fx->inbox, (GDestroyNotify)sip_msg_free);
	g_ptr_array_unref(fx->read);
	g_string_free(fx->events, TRUE);
	g_free(fx->ua_tag);
}

/* ---- UAS steps ---- */

/* The peer's INVITE (branch "inv1", CSeq 1) reaches the test's incoming handler. */
static void uas_invite(Fx *fx)
{
	peer_request(fx, "INVITE", "inv1", 1, NULL, NULL);
	g_assert_nonnull(fx->call);
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "incoming");
}

/* The UA's response to the INVITE; remembers its To tag. */
static const struct sip_msg *uas_expect_answer(Fx *fx, unsigned status)
{
	const struct sip_msg *m = expect_response(fx, status, "INVITE");

	g_assert_true(m->to.has_tag);
	g_free(fx->ua_tag);
	fx->ua_tag = pl(&m->to.tag);
	return m;
}

/* INVITE, 200, ACK: a confirmed call as UAS. */
static void uas_confirmed(Fx *fx)
{
	uas_invite(fx);
	g_assert_cmpint(fx->api->call_respond(fx->call, &(SipResponse){.status = 200}), ==, 0);
	uas_expect_answer(fx, 200);
	peer_request(fx, "ACK", "ack1", 1, fx->ua_tag, NULL);
	assert_events(fx, "answered ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "confirmed");
}

static gboolean same_bytes(const struct sip_msg *a, const struct sip_msg *b)
{
	return a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0;
}

/* ---- UAS ---- */

/* §13.3.1.4: the 2xx goes again at T1, then at doubling intervals capped at T2, and not
 * before each deadline; the ACK stops it and answers the call. */
static void test_uas_2xx_retransmitted_until_ack(Fx *fx, gconstpointer data)
{
	/* the copies, from the first 2xx: intervals T1, 2T1, 4T1, then T2 (8T1 capped) */
	static const gint64 copies[] = {T1, 3 * T1, 7 * T1, 7 * T1 + T2, 7 * T1 + 2 * T2};
	const struct sip_msg *ok, *copy;
	gint64 t0, now = 0;
	g_autofree char *contact = NULL;

	uas_invite(fx);
	t0 = xb_clock_now();
	g_assert_cmpint(fx->api->call_respond(fx->call, &(SipResponse){.status = 200}), ==, 0);
	ok = uas_expect_answer(fx, 200);
	contact = header(ok, "Contact");
	g_assert_nonnull(contact);
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "confirmed");
	for (guint i = 0; i < G_N_ELEMENTS(copies); i++) {
		advance(copies[i] - now - 1);
		expect_nothing(fx);
		advance(1);
		g_assert_cmpint(xb_clock_now() - t0, ==, copies[i]);
		copy = expect_response(fx, 200, "INVITE");
		g_assert_true(same_bytes(ok, copy));
		expect_nothing(fx);
		now = copies[i];
	}
	assert_events(fx, "");
	peer_request(fx, "ACK", "ack1", 1, fx->ua_tag, NULL);
	assert_events(fx, "answered ");
	/* no more copies, and no BYE at 64*T1 */
	advance(64 * T1);
	expect_nothing(fx);
	assert_events(fx, "");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "confirmed");
}

/* §13.3.1.4: no ACK in 64*T1: the session ends with a BYE within the dialog. */
static void test_uas_no_ack_bye_after_64t1(Fx *fx, gconstpointer data)
{
	const struct sip_msg *bye;
	g_autofree char *ruri = NULL, *to_tag = NULL, *from_tag = NULL, *call_id = NULL;
	g_autofree char *contact = g_strdup_printf("sip:alice@127.0.0.1:%u", fx->port);

	uas_invite(fx);
	g_assert_cmpint(fx->api->call_respond(fx->call, &(SipResponse){.status = 200}), ==, 0);
	uas_expect_answer(fx, 200);
	advance(64 * T1 - 1);
	/* T1 3T1 7T1 11T1 ... 63T1: ten copies, nothing else */
	g_assert_cmpuint(expect_only(fx, "SIP/2.0 200 "), ==, 10);
	assert_events(fx, "");
	advance(1);
	bye = expect_request(fx, "BYE");
	ruri = pl(&bye->ruri_pl);
	to_tag = pl(&bye->to.tag);
	from_tag = pl(&bye->from.tag);
	call_id = pl(&bye->call_id);
	g_assert_cmpstr(ruri, ==, contact); /* the remote target: the INVITE's Contact */
	g_assert_cmpstr(to_tag, ==, "peer");
	g_assert_cmpstr(from_tag, ==, fx->ua_tag);
	g_assert_cmpstr(call_id, ==, "peer-call-1");
	g_assert_cmpuint(bye->cseq.num, >=, 1);
	expect_nothing(fx);
	assert_events(fx, "ended/ETIMEDOUT ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "ended");
	peer_reply(fx, bye, 200, NULL);
	advance(64 * T1);
	expect_nothing(fx);
	assert_events(fx, "");
}

/* §9.2: CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE, the call cancelled. */
static void test_uas_cancel_while_ringing(Fx *fx, gconstpointer data)
{
	const struct sip_msg *ringing, *terminated;
	g_autofree char *tag180 = NULL, *tag487 = NULL;

	uas_invite(fx);
	g_assert_cmpint(fx->api->call_respond(fx->call, &(SipResponse){.status = 180}), ==, 0);
	ringing = uas_expect_answer(fx, 180);
	tag180 = pl(&ringing->to.tag);
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "early");
	peer_request(fx, "CANCEL", "inv1", 1, NULL, NULL);
	expect_response(fx, 200, "CANCEL");
	terminated = expect_response(fx, 487, "INVITE");
	tag487 = pl(&terminated->to.tag);
	g_assert_cmpstr(tag487, ==, tag180);
	assert_events(fx, "cancelled ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "ended");
	g_assert_cmpint(fx->api->call_respond(fx->call, &(SipResponse){.status = 200}), ==,
	                -ESHUTDOWN);
	/* the peer ACKs the 487 (same branch): no retransmission of it after that */
	peer_request(fx, "ACK", "inv1", 1, fx->ua_tag, NULL);
	advance(64 * T1);
	expect_nothing(fx);
	assert_events(fx, "");
}

/* §14.1, §14.2: re-INVITE glare. While our re-INVITE is pending theirs gets 491; while
 * theirs is unanswered a second one gets 500 with Retry-After; call_request("INVITE") is
 * -EBUSY while either is in progress. */
static void test_uas_reinvite_glare(Fx *fx, gconstpointer data)
{
	const struct sip_msg *ours, *ack, *busy, *ok;
	g_autofree char *retry = NULL, *contact = NULL;
	guint32 ours_cseq;

	uas_confirmed(fx);

	/* our re-INVITE is in progress */
	g_assert_cmpint(fx->api->call_request(fx->call, &(SipRequest){.method = "INVITE"}), ==, 0);
	ours = expect_request(fx, "INVITE");
	g_assert_true(ours->to.has_tag);
	ours_cseq = ours->cseq.num;
	g_assert_cmpint(fx->api->call_request(fx->call, &(SipRequest){.method = "INVITE"}), ==,
	                -EBUSY);
	peer_request(fx, "INVITE", "reinv2", 2, fx->ua_tag, NULL);
	expect_response(fx, 491, "INVITE");
	peer_request(fx, "ACK", "reinv2", 2, fx->ua_tag, NULL);
	assert_events(fx, "");
	/* the peer accepts ours: ACK (CSeq of our re-INVITE), response to the user */
	peer_reply(fx, ours, 200, NULL);
	ack = expect_request(fx, "ACK");
	g_assert_cmpuint(ack->cseq.num, ==, ours_cseq);
	assert_events(fx, "response/200 ");

	/* their re-INVITE is in progress (the user holds it) */
	fx->hold = TRUE;
	peer_request(fx, "INVITE", "reinv3", 3, fx->ua_tag, NULL);
	assert_events(fx, "request/INVITE ");
	g_assert_nonnull(fx->held);
	expect_nothing(fx);
	peer_request(fx, "INVITE", "reinv4", 4, fx->ua_tag, NULL);
	busy = expect_response(fx, 500, "INVITE");
	retry = header(busy, "Retry-After");
	g_assert_nonnull(retry);
	g_assert_cmpint(atoi(retry), >=, 0);
	g_assert_cmpint(atoi(retry), <=, 10);
	peer_request(fx, "ACK", "reinv4", 4, fx->ua_tag, NULL);
	assert_events(fx, "");
	g_assert_cmpint(fx->api->call_request(fx->call, &(SipRequest){.method = "INVITE"}), ==,
	                -EBUSY);

	/* the user answers theirs: a 2xx with Contact, retransmitted until its ACK */
	g_assert_cmpint(fx->api->req_respond(fx->held, &(SipResponse){.status = 200}), ==, 0);
	ok = expect_response(fx, 200, "INVITE");
	g_assert_cmpuint(ok->cseq.num, ==, 3);
	contact = header(ok, "Contact");
	g_assert_nonnull(contact);
	g_assert_cmpint(fx->api->call_request(fx->call, &(SipRequest){.method = "INVITE"}), ==,
	                -EBUSY);
	peer_request(fx, "ACK", "ack3", 3, fx->ua_tag, NULL);
	assert_events(fx, "ack "); /* the ACK of their re-INVITE: told as such, not as an answer */
	/* nothing is in progress any more */
	g_assert_cmpint(fx->api->call_request(fx->call, &(SipRequest){.method = "INVITE"}), ==, 0);
	expect_request(fx, "INVITE");
	expect_nothing(fx);
}

/* ---- UAC ---- */

static SipCall *place(Fx *fx, const SipCredentials *cred)
{
	g_autofree char *ruri = g_strdup_printf("sip:bob@127.0.0.1:%u", fx->port);
	g_autoptr(SipPeer) to = sip_flow_to_peer(&fx->peer);
	SipRequest p = {
	    .ruri = ruri,
	    .to = to,
	    .from_uri = "sip:pbx@crossbar.test",
	    .from_display = "PBX",
	    .credentials = cred,
	};
	int error = 0;

	fx->call = fx->api->call_place(&p, on_event, fx, &error);
	g_assert_cmpint(error, ==, 0);
	g_assert_nonnull(fx->call);
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "calling");
	return fx->call;
}

static char *branch_of(const struct sip_msg *m)
{
	g_assert_true(m->via.has_branch);
	return sip_pl_dup(&m->via.branch);
}

/* §13.2.2.4: the 2xx is ACKed (the INVITE's CSeq number, method ACK, a new branch, within
 * the dialog), and each copy of the 2xx gets the same ACK again. */
static void test_uac_progress_answer_ack(Fx *fx, gconstpointer data)
{
	const struct sip_msg *invite, *ack, *ack2;
	g_autofree char *inv_branch = NULL, *ack_branch = NULL, *ruri = NULL, *to_tag = NULL;
	g_autofree char *contact = g_strdup_printf("sip:bob@127.0.0.1:%u", fx->port);
	g_autofree char *inv_callid = NULL, *ack_callid = NULL;

	place(fx, NULL);
	invite = expect_request(fx, "INVITE");
	g_assert_false(invite->to.has_tag);
	peer_reply(fx, invite, 180, NULL);
	assert_events(fx, "progress/180 ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "early");
	expect_nothing(fx);
	peer_reply(fx, invite, 200, NULL);
	ack = expect_request(fx, "ACK");
	assert_events(fx, "answered/200 ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "confirmed");
	inv_branch = branch_of(invite);
	ack_branch = branch_of(ack);
	g_assert_cmpstr(ack_branch, !=, inv_branch);
	g_assert_cmpuint(ack->cseq.num, ==, invite->cseq.num);
	ruri = pl(&ack->ruri_pl);
	g_assert_cmpstr(ruri, ==, contact); /* the remote target from the 2xx's Contact */
	to_tag = pl(&ack->to.tag);
	g_assert_cmpstr(to_tag, ==, "callee");
	inv_callid = pl(&invite->call_id);
	ack_callid = pl(&ack->call_id);
	g_assert_cmpstr(ack_callid, ==, inv_callid);
	expect_nothing(fx);

	/* the 2xx again (our ACK was lost): the same ACK again, no new event */
	peer_reply(fx, invite, 200, NULL);
	ack2 = expect_request(fx, "ACK");
	g_assert_true(same_bytes(ack, ack2));
	expect_nothing(fx);
	assert_events(fx, "");
}

/* §9.1: a hangup before any provisional response sends no CANCEL until one arrives; the
 * CANCEL then carries the INVITE's branch, and the 487 (ACKed by the transaction) ends it. */
static void test_uac_cancel_waits_for_provisional(Fx *fx, gconstpointer data)
{
	const struct sip_msg *invite, *again, *cancel, *ack;
	g_autofree char *inv_branch = NULL, *cancel_branch = NULL, *ack_branch = NULL;
	g_autofree char *inv_ruri = NULL, *cancel_ruri = NULL, *inv_to = NULL, *cancel_to = NULL;

	place(fx, NULL);
	invite = expect_request(fx, "INVITE");
	fx->api->call_hangup(fx->call, 0);
	expect_nothing(fx);
	/* Timer A: the INVITE goes again, still no CANCEL */
	advance(T1);
	again = expect_request(fx, "INVITE");
	g_assert_true(same_bytes(invite, again));
	expect_nothing(fx);

	peer_reply(fx, invite, 180, NULL);
	cancel = expect_request(fx, "CANCEL");
	inv_branch = branch_of(invite);
	cancel_branch = branch_of(cancel);
	g_assert_cmpstr(cancel_branch, ==, inv_branch);
	g_assert_cmpuint(cancel->cseq.num, ==, invite->cseq.num);
	inv_ruri = pl(&invite->ruri_pl);
	cancel_ruri = pl(&cancel->ruri_pl);
	g_assert_cmpstr(cancel_ruri, ==, inv_ruri);
	inv_to = header(invite, "To");
	cancel_to = header(cancel, "To");
	g_assert_cmpstr(cancel_to, ==, inv_to); /* no To tag: as in the INVITE */
	expect_nothing(fx);

	peer_reply(fx, cancel, 200, NULL);
	peer_reply(fx, invite, 487, NULL);
	ack = expect_request(fx, "ACK");
	ack_branch = branch_of(ack);
	g_assert_cmpstr(ack_branch, ==, inv_branch); /* §17.1.1.3: the transaction's ACK */
	g_assert_cmpuint(ack->cseq.num, ==, invite->cseq.num);
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "ended");
	expect_nothing(fx);
	assert_events(fx, ""); /* hung up: the handler hears nothing more */
	advance(64 * T1);
	expect_nothing(fx);
}

/* §9.1, §15: a 2xx that crosses our CANCEL is ACKed, and the call ended with a BYE. */
static void test_uac_2xx_after_cancel_gets_ack_and_bye(Fx *fx, gconstpointer data)
{
	const struct sip_msg *invite, *cancel, *ack, *bye;
	g_autofree char *bye_tag = NULL;

	place(fx, NULL);
	invite = expect_request(fx, "INVITE");
	peer_reply(fx, invite, 180, NULL);
	assert_events(fx, "progress/180 ");
	fx->api->call_hangup(fx->call, 0);
	cancel = expect_request(fx, "CANCEL");
	peer_reply(fx, cancel, 200, NULL);
	expect_nothing(fx);
	peer_reply(fx, invite, 200, NULL);
	ack = expect_request(fx, "ACK");
	g_assert_cmpuint(ack->cseq.num, ==, invite->cseq.num);
	bye = expect_request(fx, "BYE");
	g_assert_cmpuint(bye->cseq.num, >, invite->cseq.num);
	bye_tag = pl(&bye->to.tag);
	g_assert_cmpstr(bye_tag, ==, "callee");
	expect_nothing(fx);
	peer_reply(fx, bye, 200, NULL);
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "ended");
	assert_events(fx, "");
	advance(64 * T1);
	expect_nothing(fx);
}

/* §13.2.2.4: forks. The 2xx of a fork other than the one that rang makes the call's dialog
 * (the early one is dropped); a 2xx of yet another fork after that is ACKed and sent a BYE,
 * and the call stays up. */
static void test_uac_forks(Fx *fx, gconstpointer data)
{
	const struct sip_msg *invite, *ack, *ack2, *bye;
	g_autofree char *ack_tag = NULL, *ack2_tag = NULL, *bye_tag = NULL;

	place(fx, NULL);
	invite = expect_request(fx, "INVITE");
	peer_reply_tag(fx, invite, 180, NULL, "forka");
	assert_events(fx, "progress/180 ");
	peer_reply_tag(fx, invite, 200, NULL, "forkb");
	ack = expect_request(fx, "ACK");
	ack_tag = pl(&ack->to.tag);
	g_assert_cmpstr(ack_tag, ==, "forkb");
	assert_events(fx, "answered/200 ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "confirmed");
	expect_nothing(fx);

	peer_reply_tag(fx, invite, 200, NULL, "forkc");
	ack2 = expect_request(fx, "ACK");
	ack2_tag = pl(&ack2->to.tag);
	g_assert_cmpstr(ack2_tag, ==, "forkc");
	bye = expect_request(fx, "BYE");
	bye_tag = pl(&bye->to.tag);
	g_assert_cmpstr(bye_tag, ==, "forkc");
	peer_reply_tag(fx, bye, 200, NULL, NULL);
	expect_nothing(fx);
	assert_events(fx, "");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "confirmed");

	/* the call's own dialog is intact: our hangup goes to forkb */
	fx->api->call_hangup(fx->call, 0);
	bye = expect_request(fx, "BYE");
	g_clear_pointer(&bye_tag, g_free);
	bye_tag = pl(&bye->to.tag);
	g_assert_cmpstr(bye_tag, ==, "forkb");
}

/* RFC 3264 with §13.2.2.4: our INVITE had no offer, the 2xx carries one: no ACK until the
 * user gives the answer with call_ack, and that ACK carries it; the 2xx's copies meanwhile
 * get nothing; after call_ack they get the same ACK. */
static void test_uac_late_offer_ack_waits(Fx *fx, gconstpointer data)
{
	static const char offer[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n";
	static const char answer[] = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\n";
	const struct sip_msg *invite, *ack, *ack2;
	g_autofree char *offer_2xx = g_strdup_printf("Content-Type: application/sdp\n"
	                                             "Content-Length: %zu\n\n%s",
	                                             sizeof(offer) - 1, offer);

	place(fx, NULL); /* no body: a late offer */
	invite = expect_request(fx, "INVITE");
	g_assert_cmpuint(invite->body.l, ==, 0);
	g_assert_cmpint(fx->api->call_ack(fx->call, NULL, NULL, 0), ==, -EINVAL);
	peer_reply_tag(fx, invite, 200, offer_2xx, "callee");
	assert_events(fx, "answered/200 ");
	expect_nothing(fx);
	peer_reply_tag(fx, invite, 200, offer_2xx, "callee"); /* a copy: still no ACK */
	expect_nothing(fx);
	assert_events(fx, "");

	g_assert_cmpint(fx->api->call_ack(fx->call, "application/sdp", answer, sizeof(answer) - 1),
	                ==, 0);
	ack = expect_request(fx, "ACK");
	g_assert_cmpuint(ack->cseq.num, ==, invite->cseq.num);
	g_assert_true(sip_pl_eq(&ack->body, answer));
	g_assert_cmpint(fx->api->call_ack(fx->call, NULL, NULL, 0), ==, -EINVAL);
	peer_reply_tag(fx, invite, 200, offer_2xx, "callee");
	ack2 = expect_request(fx, "ACK");
	g_assert_true(same_bytes(ack, ack2));
	assert_events(fx, "");
}

/* A trunk challenges our BYE: it goes again (same Call-ID and tags, CSeq + 1) with the
 * call's credentials; the dialog being over does not stop it. */
static void test_uac_bye_challenged(Fx *fx, gconstpointer data)
{
	g_autoptr(SipCredentials) cred = sip_credentials_new("alice", "secret", NULL);
	const struct sip_msg *invite, *bye, *bye2;
	g_autofree char *tag1 = NULL, *tag2 = NULL, *id1 = NULL, *id2 = NULL;

	place(fx, cred);
	invite = expect_request(fx, "INVITE");
	peer_reply(fx, invite, 200, NULL);
	expect_request(fx, "ACK");
	assert_events(fx, "answered/200 ");
	fx->api->call_hangup(fx->call, 0);
	bye = expect_request(fx, "BYE");
	g_assert_null(sip_msg_hdr(bye, SIP_HDR_AUTHORIZATION));
	peer_reply(fx, bye, 407,
	           "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"b1\", algorithm=MD5\n");
	bye2 = expect_request(fx, "BYE");
	g_assert_nonnull(sip_msg_hdr(bye2, SIP_HDR_PROXY_AUTHORIZATION));
	g_assert_cmpuint(bye2->cseq.num, ==, bye->cseq.num + 1);
	tag1 = pl(&bye->to.tag);
	tag2 = pl(&bye2->to.tag);
	g_assert_cmpstr(tag2, ==, tag1);
	id1 = pl(&bye->call_id);
	id2 = pl(&bye2->call_id);
	g_assert_cmpstr(id2, ==, id1);
	/* the same challenge again (not stale): wrong credentials, no third BYE */
	peer_reply(fx, bye2, 407,
	           "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"b2\", algorithm=MD5\n");
	expect_nothing(fx);
	assert_events(fx, "");
}

/* A re-INVITE the handler neither answers nor keeps gets 488 (an UPDATE without an offer
 * 200); one it keeps and leaves unanswered gets 487 when the call is hung up (§15.1.2). */
static void test_uas_unanswered_requests(Fx *fx, gconstpointer data)
{
	const struct sip_msg *bye;

	uas_confirmed(fx);
	peer_request(fx, "INVITE", "reinv5", 5, fx->ua_tag, NULL);
	expect_response(fx, 488, "INVITE");
	peer_request(fx, "ACK", "reinv5", 5, fx->ua_tag, NULL);
	peer_request(fx, "UPDATE", "upd6", 6, fx->ua_tag, NULL);
	expect_response(fx, 200, "UPDATE"); /* no offer in it: a plain refresh */
	assert_events(fx, "request/INVITE request/UPDATE ");

	fx->hold = TRUE;
	peer_request(fx, "INVITE", "reinv7", 7, fx->ua_tag, NULL);
	assert_events(fx, "request/INVITE ");
	expect_nothing(fx);
	fx->api->call_hangup(fx->call, 0);
	expect_response(fx, 487, "INVITE");
	bye = expect_request(fx, "BYE");
	g_assert_cmpuint(bye->cseq.num, >, 0);
	g_assert_cmpint(fx->api->req_respond(fx->held, &(SipResponse){.status = 200}), <, 0);
}

/* §13.2.2.4: the 2xx to our re-INVITE that crosses our BYE is still ACKed. */
static void test_reinvite_2xx_after_bye_acked(Fx *fx, gconstpointer data)
{
	const struct sip_msg *reinvite, *ack;

	uas_confirmed(fx);
	g_assert_cmpint(fx->api->call_request(fx->call, &(SipRequest){.method = "INVITE"}), ==, 0);
	reinvite = expect_request(fx, "INVITE");
	fx->api->call_hangup(fx->call, 0);
	expect_request(fx, "BYE");
	peer_reply_tag(fx, reinvite, 200, NULL, NULL);
	ack = expect_request(fx, "ACK");
	g_assert_cmpuint(ack->cseq.num, ==, reinvite->cseq.num);
	expect_nothing(fx);
	assert_events(fx, "");
}

/* RFC 3311 §5.2: offers cross. While our UPDATE's offer is unanswered theirs gets 491, and
 * so does their re-INVITE; while theirs is unanswered a second one gets 500 with
 * Retry-After, and we may not send one (-EBUSY). An UPDATE without an offer is no glare. */
static void test_update_offer_glare(Fx *fx, gconstpointer data)
{
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n";
#define SDP_REQUEST(m)                                                                             \
	(&(SipRequest){.method = (m),                                                              \
	               .content_type = "application/sdp",                                          \
	               .body = sdp,                                                                \
	               .body_len = sizeof(sdp) - 1})
#define SDP_RESPONSE(s)                                                                            \
	(&(SipResponse){.status = (s),                                                             \
	                .content_type = "application/sdp",                                         \
	                .body = sdp,                                                               \
	                .body_len = sizeof(sdp) - 1})
	const struct sip_msg *ours, *busy;
	g_autofree char *retry = NULL;

	uas_confirmed(fx);
	g_assert_cmpint(fx->api->call_request(fx->call, SDP_REQUEST("UPDATE")), ==, 0);
	ours = expect_request(fx, "UPDATE");
	g_assert_cmpint(fx->api->call_request(fx->call, SDP_REQUEST("UPDATE")), ==, -EBUSY);
	peer_request_body(fx, "UPDATE", "up2", 2, fx->ua_tag, NULL, sdp);
	expect_response(fx, 491, "UPDATE");
	peer_request_body(fx, "INVITE", "inv3", 3, fx->ua_tag, NULL, sdp);
	expect_response(fx, 491, "INVITE");
	peer_request(fx, "ACK", "inv3", 3, fx->ua_tag, NULL);
	peer_request(fx, "UPDATE", "up4", 4, fx->ua_tag, NULL); /* no offer: no glare */
	expect_response(fx, 200, "UPDATE"); /* unanswered by the handler: a plain refresh */
	assert_events(fx, "request/UPDATE ");
	peer_reply_tag(fx, ours, 200, NULL, NULL);
	assert_events(fx, "response/200 ");

	fx->hold = TRUE;
	peer_request_body(fx, "UPDATE", "up5", 5, fx->ua_tag, NULL, sdp);
	assert_events(fx, "request/UPDATE ");
	peer_request_body(fx, "UPDATE", "up6", 6, fx->ua_tag, NULL, sdp);
	busy = expect_response(fx, 500, "UPDATE");
	retry = header(busy, "Retry-After");
	g_assert_nonnull(retry);
	g_assert_cmpint(fx->api->call_request(fx->call, SDP_REQUEST("UPDATE")), ==, -EBUSY);
	g_assert_cmpint(fx->api->call_request(fx->call, SDP_REQUEST("INVITE")), ==, -EBUSY);
	g_assert_cmpint(fx->api->req_respond(fx->held, SDP_RESPONSE(200)), ==, 0);
	expect_response(fx, 200, "UPDATE");
	g_assert_cmpint(fx->api->call_request(fx->call, SDP_REQUEST("UPDATE")), ==, 0);
	expect_request(fx, "UPDATE");
}

static char *md5_hex(const char *s)
{
	return g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
}

/* §22.2, RFC 2617: a 401 is answered with a new INVITE (CSeq + 1, same Call-ID and From
 * tag, a new branch, Authorization); a second 401 for the same realm (not stale) fails. */
static void test_uac_401_answered_once(Fx *fx, gconstpointer data)
{
	g_autoptr(SipCredentials) cred = sip_credentials_new("alice", "secret", NULL);
	const char *challenge = "WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n1\", "
	                        "algorithm=MD5\n";
	const char *again = "WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n2\", "
	                    "algorithm=MD5\n";
	const struct sip_msg *inv1, *inv2, *ack;
	const struct sip_hdr *authz;
	struct sip_auth auth;
	g_autofree char *b1 = NULL, *b2 = NULL, *ackb = NULL, *c1 = NULL, *c2 = NULL;
	g_autofree char *t1 = NULL, *t2 = NULL, *user = NULL, *realm = NULL, *nonce = NULL;
	g_autofree char *uri = NULL, *response = NULL, *ruri = NULL;
	g_autofree char *ha1 = NULL, *ha2 = NULL, *kd = NULL, *digest = NULL, *expect = NULL;

	place(fx, cred);
	inv1 = expect_request(fx, "INVITE");
	g_assert_null(sip_msg_hdr(inv1, SIP_HDR_AUTHORIZATION));
	peer_reply(fx, inv1, 401, challenge);
	ack = expect_request(fx, "ACK"); /* the transaction's, for the 401 */
	b1 = branch_of(inv1);
	ackb = branch_of(ack);
	g_assert_cmpstr(ackb, ==, b1);
	inv2 = expect_request(fx, "INVITE");
	expect_nothing(fx);
	assert_events(fx, "");

	g_assert_cmpuint(inv2->cseq.num, ==, inv1->cseq.num + 1);
	b2 = branch_of(inv2);
	g_assert_cmpstr(b2, !=, b1);
	c1 = pl(&inv1->call_id);
	c2 = pl(&inv2->call_id);
	g_assert_cmpstr(c2, ==, c1);
	t1 = pl(&inv1->from.tag);
	t2 = pl(&inv2->from.tag);
	g_assert_cmpstr(t2, ==, t1);
	authz = sip_msg_hdr(inv2, SIP_HDR_AUTHORIZATION);
	g_assert_nonnull(authz);
	g_assert_cmpint(sip_auth_parse(&auth, &authz->val), ==, 0);
	user = pl(&auth.username);
	realm = pl(&auth.realm);
	nonce = pl(&auth.nonce);
	uri = pl(&auth.uri);
	response = pl(&auth.response);
	ruri = pl(&inv2->ruri_pl);
	g_assert_cmpstr(user, ==, "\"alice\"");
	g_assert_cmpstr(realm, ==, "\"pbx\"");
	g_assert_cmpstr(nonce, ==, "\"n1\"");
	g_assert_true(g_str_has_prefix(uri, "\"") && strstr(uri, ruri));
	/* RFC 2617 §3.2.2.1 without qop: MD5(HA1:nonce:HA2) */
	ha1 = md5_hex("alice:pbx:secret");
	g_autofree char *a2 = g_strdup_printf("INVITE:%s", ruri);
	ha2 = md5_hex(a2);
	kd = g_strdup_printf("%s:n1:%s", ha1, ha2);
	digest = md5_hex(kd);
	expect = g_strdup_printf("\"%s\"", digest);
	g_assert_cmpstr(response, ==, expect);

	/* the same realm challenges again: the credentials are wrong; no third round */
	peer_reply(fx, inv2, 401, again);
	expect_request(fx, "ACK");
	expect_nothing(fx);
	assert_events(fx, "failed/401 ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "ended");
	advance(64 * T1);
	expect_nothing(fx);
}

/* ---- within the dialog ---- */

/* §12.2.2: a lower CSeq gets 500, an unknown To tag 481 (from the UA core); §15.1.2: a BYE
 * gets 200 and ends the call; after it the dialog is gone (481). */
static void test_dialog_bye_cseq_and_unknown_tag(Fx *fx, gconstpointer data)
{
	const struct sip_msg *ok;

	uas_confirmed(fx);
	peer_request(fx, "INFO", "info5", 5, fx->ua_tag, NULL);
	expect_response(fx, 200, "INFO");
	assert_events(fx, "request/INFO ");
	peer_request(fx, "INFO", "info3", 3, fx->ua_tag, NULL);
	expect_response(fx, 500, "INFO");
	peer_request(fx, "INFO", "info6", 6, "nosuchtag", NULL);
	expect_response(fx, 481, "INFO");
	assert_events(fx, "");
	/* The ENDED event carries the BYE (told before the 200, which frees it). */
	peer_request(fx, "BYE", "bye7", 7, fx->ua_tag, NULL);
	ok = expect_response(fx, 200, "BYE");
	g_assert_cmpuint(ok->cseq.num, ==, 7);
	assert_events(fx, "ended ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "ended");
	peer_request(fx, "INFO", "info8", 8, fx->ua_tag, NULL);
	expect_response(fx, 481, "INFO");
	expect_nothing(fx);
	assert_events(fx, "");
}

/* §12.2.1.2: no answer to a request within the dialog (Timer F) ends it with a BYE. */
static void test_uac_dialog_request_timeout_sends_bye(Fx *fx, gconstpointer data)
{
	const struct sip_msg *invite, *update, *bye;

	place(fx, NULL);
	invite = expect_request(fx, "INVITE");
	peer_reply(fx, invite, 200, NULL);
	expect_request(fx, "ACK");
	assert_events(fx, "answered/200 ");
	g_assert_cmpint(fx->api->call_request(fx->call, &(SipRequest){.method = "UPDATE"}), ==, 0);
	update = expect_request(fx, "UPDATE");
	g_assert_cmpuint(update->cseq.num, >, invite->cseq.num);
	/* Timer E: T1 3T1 7T1 then every T2 up to 63T1: ten copies, nothing else */
	advance(64 * T1 - 1);
	g_assert_cmpuint(expect_only(fx, "UPDATE "), ==, 10);
	assert_events(fx, "");
	advance(1); /* Timer F */
	bye = expect_request(fx, "BYE");
	g_assert_cmpuint(bye->cseq.num, >, update->cseq.num);
	expect_nothing(fx);
	assert_events(fx, "ended/ETIMEDOUT ");
	g_assert_cmpstr(fx->api->call_state(fx->call), ==, "ended");
	peer_reply(fx, bye, 200, NULL);
	expect_nothing(fx);
}

/* §8.1.1.6: the INVITE carries the Max-Forwards it was given (a B2BUA passes on what is left
 * of its caller's), and each authentication round keeps it; the ACK, being built anew, and
 * the CANCEL do not need it. 0 means 70. */
static void test_uac_max_forwards(Fx *fx, gconstpointer data)
{
	g_autofree char *ruri = g_strdup_printf("sip:bob@127.0.0.1:%u", fx->port);
	g_autoptr(SipPeer) to = sip_flow_to_peer(&fx->peer);
	g_autoptr(SipCredentials) cred = sip_credentials_new("user", "secret", NULL);
	SipRequest p = {
	    .ruri = ruri,
	    .to = to,
	    .from_uri = "sip:pbx@crossbar.test",
	    .credentials = cred,
	    .max_forwards = 12,
	};
	const struct sip_msg *invite, *again;
	int error = 0;

	fx->call = fx->api->call_place(&p, on_event, fx, &error);
	g_assert_cmpint(error, ==, 0);
	invite = expect_request(fx, "INVITE");
	g_assert_cmpuint(invite->max_forwards, ==, 12);
	peer_reply(fx, invite, 401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\"\n");
	expect_request(fx, "ACK");
	again = expect_request(fx, "INVITE");
	g_assert_cmpuint(again->max_forwards, ==, 12);
	fx->api->call_hangup(fx->call, 0);
	fx->api->call_unref(g_steal_pointer(&fx->call));

	p.max_forwards = 0;
	p.credentials = NULL;
	fx->call = fx->api->call_place(&p, on_event, fx, &error);
	invite = expect_request(fx, "INVITE");
	g_assert_cmpuint(invite->max_forwards, ==, 70);
}

#define ADD(name, fn) g_test_add(name, Fx, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	ADD("/sip/call/uas/2xx-retransmitted-until-ack-13.3.1.4",
	    test_uas_2xx_retransmitted_until_ack);
	ADD("/sip/call/uas/no-ack-bye-after-64t1-13.3.1.4", test_uas_no_ack_bye_after_64t1);
	ADD("/sip/call/uas/cancel-while-ringing-9.2", test_uas_cancel_while_ringing);
	ADD("/sip/call/uas/reinvite-glare-491-500-14", test_uas_reinvite_glare);
	ADD("/sip/call/uac/progress-answer-ack-13.2.2.4", test_uac_progress_answer_ack);
	ADD("/sip/call/uac/cancel-waits-for-provisional-9.1",
	    test_uac_cancel_waits_for_provisional);
	ADD("/sip/call/uac/2xx-after-cancel-ack-and-bye-9.1",
	    test_uac_2xx_after_cancel_gets_ack_and_bye);
	ADD("/sip/call/uac/401-answered-once-22.2", test_uac_401_answered_once);
	ADD("/sip/call/uac/forks-13.2.2.4", test_uac_forks);
	ADD("/sip/call/uac/max-forwards-8.1.1.6", test_uac_max_forwards);
	ADD("/sip/call/uac/late-offer-ack-waits-rfc3264", test_uac_late_offer_ack_waits);
	ADD("/sip/call/uac/bye-challenged-22.2", test_uac_bye_challenged);
	ADD("/sip/call/uas/unanswered-requests-488-487-15.1.2", test_uas_unanswered_requests);
	ADD("/sip/call/reinvite-2xx-after-bye-acked-13.2.2.4", test_reinvite_2xx_after_bye_acked);
	ADD("/sip/call/update-offer-glare-rfc3311", test_update_offer_glare);
	ADD("/sip/call/dialog/bye-cseq-unknown-tag-12.2.2", test_dialog_bye_cseq_and_unknown_tag);
	ADD("/sip/call/uac/dialog-request-timeout-bye-12.2.1.2",
	    test_uac_dialog_request_timeout_sends_bye);
	return g_test_run();
}
