/* test_sip_tx_server.c: the server transactions (RFC 3261 §17.2, RFC 6026 §7.1, RFC 4320
 * §4.1), CANCEL matching (§9.2) and RFC 2543 matching (§17.2.3), on the core's manual clock
 * with fake transport and TU callbacks. Client transactions are in test_sip_transaction.c. */
#include "test_sip_tx_fixture.h"

#define BRANCH(b) ";branch=z9hG4bK" b

static SipTx *fx_request(Fx *fx, guint i)
{
	g_assert_cmpuint(i, <, fx->requests->len);
	return g_ptr_array_index(fx->requests, i);
}

static struct sip_msg *sent_msg(Fx *fx, guint i)
{
	const char *t = fx_sent(fx, i)->text;
	struct sip_msg *msg = NULL;
	struct sip_err err = {0};

	g_assert_cmpint(sip_msg_parse(&msg, t, strlen(t), &err), ==, 0);
	return msg;
}

static void cancel_cb(SipTx *tx, void *user_data)
{
	Fx *fx = user_data;

	g_string_append(fx->events, "cancel ");
}

/* §17.2.1: with no word from the TU within 200 ms, the INVITE server transaction sends 100
 * Trying (no To tag, Via, From, Call-ID, CSeq copied), over UDP and TCP alike, once. */
static void test_invite_100_after_200ms(Fx *fx, gconstpointer data)
{
	struct sip_msg *m;

	fx_deliver(fx, "INVITE", "UDP", BRANCH("s1"), 1, "");
	fx_deliver(fx, "INVITE", "TCP", BRANCH("s1t"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 2);
	g_assert_cmpstr(sip_tx_state_name(fx_request(fx, 0)), ==, "Proceeding");
	xb_clock_advance(199);
	g_assert_cmpuint(fx->sent->len, ==, 0);
	xb_clock_advance(1);
	g_assert_cmpuint(fx->sent->len, ==, 2);
	fx_assert_first_line(fx, 0, "SIP/2.0 100 Trying");
	fx_assert_first_line(fx, 1, "SIP/2.0 100 Trying");
	g_assert_cmpint(fx_sent(fx, 0)->to.transport, ==, XB_TRANSPORT_UDP);
	g_assert_cmpint(fx_sent(fx, 1)->to.transport, ==, XB_TRANSPORT_TCP);
	g_assert_cmpuint(fx_sent(fx, 1)->to.conn_id, ==, 7);
	m = sent_msg(fx, 0);
	g_assert_false(m->to.has_tag);
	g_assert_true(sip_pl_eq(&m->via.branch, "z9hG4bKs1"));
	g_assert_cmpint(m->cseq.method, ==, SIP_METHOD_INVITE);
	g_assert_true(sip_pl_eq(&m->call_id, "c1@192.0.2.1"));
	sip_msg_free(m);
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 180), ==, 0);
	xb_clock_advance(10000);
	g_assert_cmpuint(fx->sent->len, ==, 3);
	fx_assert_first_line(fx, 2, "SIP/2.0 180 Ringing");
}

/* §17.2.1: no 100 when the TU sent a provisional (or a final) within 200 ms. */
static void test_invite_no_100_when_tu_answers(Fx *fx, gconstpointer data)
{
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s2"), 1, "");
	xb_clock_advance(50);
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 183), ==, 0);
	fx->auto_status = 200;
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s2b"), 1, "");
	xb_clock_advance(1000);
	fx_assert_times(fx, "50 50 ");
	fx_assert_first_line(fx, 0, "SIP/2.0 183 Session Progress");
	fx_assert_first_line(fx, 1, "SIP/2.0 200 OK");
}

/* §17.2.1: a retransmitted INVITE in Proceeding gets the most recent provisional again and
 * is not passed to the TU; one that comes before the 200 ms gets the 100 at once. */
static void test_invite_retransmission_proceeding(Fx *fx, gconstpointer data)
{
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s3"), 1, "");
	xb_clock_advance(200);
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s3"), 1, "");
	g_assert_cmpuint(fx->sent->len, ==, 2);
	g_assert_cmpstr(fx_sent(fx, 1)->text, ==, fx_sent(fx, 0)->text);
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 180), ==, 0);
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s3"), 1, "");
	g_assert_cmpuint(fx->sent->len, ==, 4);
	fx_assert_first_line(fx, 3, "SIP/2.0 180 Ringing");
	g_assert_cmpstr(fx_sent(fx, 3)->text, ==, fx_sent(fx, 2)->text);
	g_assert_cmpuint(fx->requests->len, ==, 1);

	g_ptr_array_set_size(fx->sent, 0);
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s3b"), 1, "");
	xb_clock_advance(100);
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s3b"), 1, "");
	xb_clock_advance(1000);
	fx_assert_times(fx, "300 ");
	fx_assert_first_line(fx, 0, "SIP/2.0 100 Trying");
	g_assert_cmpuint(fx->requests->len, ==, 2);
}

/* §17.2.1: a 300-699 moves to Completed; Timer G resends it at T1, 2*T1 ... capped at T2,
 * a retransmitted INVITE gets it too; the ACK moves to Confirmed (G and H stop), its
 * retransmissions are absorbed, and Timer I (T4 over UDP) ends the transaction. */
static void test_invite_timer_g_until_ack(Fx *fx, gconstpointer data)
{
	SipTx *tx;

	fx_deliver(fx, "INVITE", "UDP", BRANCH("s4"), 1, "");
	tx = fx_request(fx, 0);
	g_assert_cmpint(fx_respond(tx, 486), ==, 0);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	xb_clock_advance(12000);
	fx_assert_times(fx, "0 500 1500 3500 7500 11500 ");
	for (guint i = 1; i < fx->sent->len; i++)
		g_assert_cmpstr(fx_sent(fx, i)->text, ==, fx_sent(fx, 0)->text);
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s4"), 1, "");
	fx_assert_times(fx, "0 500 1500 3500 7500 11500 12000 ");
	g_assert_cmpint(fx_respond(tx, 200), ==, -EINVAL); /* one final only */
	fx_deliver(fx, "ACK", "UDP", BRANCH("s4"), 1, ";tag=b2");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Confirmed");
	fx_deliver(fx, "ACK", "UDP", BRANCH("s4"), 1, ";tag=b2");
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s4"), 1, "");
	xb_clock_advance(4999);
	fx_assert_times(fx, "0 500 1500 3500 7500 11500 12000 ");
	g_assert_cmpstr(fx->events->str, ==, ""); /* no ACK to the TU */
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Confirmed");
	xb_clock_advance(1);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	g_assert_cmpuint(fx->requests->len, ==, 1);
}

/* §17.2.1: without an ACK, Timer H (64*T1) ends the transaction; a late ACK then matches
 * nothing and goes to the TU as a stray. */
static void test_invite_timer_h(Fx *fx, gconstpointer data)
{
	SipTx *tx;

	fx_deliver(fx, "INVITE", "UDP", BRANCH("s5"), 1, "");
	tx = fx_request(fx, 0);
	g_assert_cmpint(fx_respond(tx, 603), ==, 0);
	xb_clock_advance(31999);
	fx_assert_times(fx, "0 500 1500 3500 7500 11500 15500 19500 23500 27500 31500 ");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	xb_clock_advance(1);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	fx_deliver(fx, "ACK", "UDP", BRANCH("s5"), 1, ";tag=b2");
	g_assert_cmpstr(fx->events->str, ==, "stray:ACK ");
	g_assert_cmpint(fx_respond(tx, 603), ==, -EINVAL);
}

/* §17.2.1 over TCP: no Timer G; Timer I is 0 (the ACK ends it); Timer H still applies. */
static void test_invite_reliable(Fx *fx, gconstpointer data)
{
	fx_deliver(fx, "INVITE", "TCP", BRANCH("s6"), 1, "");
	fx_deliver(fx, "INVITE", "TCP", BRANCH("s6b"), 1, "");
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 486), ==, 0);
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 486), ==, 0);
	xb_clock_advance(10000);
	g_assert_cmpuint(fx->sent->len, ==, 2);
	fx_deliver(fx, "ACK", "TCP", BRANCH("s6"), 1, ";tag=b2");
	g_assert_true(sip_tx_is_terminated(fx_request(fx, 0)));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 1);
	xb_clock_advance(22000); /* Timer H at 64*T1 */
	g_assert_true(sip_tx_is_terminated(fx_request(fx, 1)));
	g_assert_cmpuint(fx->sent->len, ==, 2);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
}

/* RFC 6026 §7.1: a 2xx moves to Accepted: retransmitted INVITEs are absorbed, the TU's own
 * 2xx retransmissions (§13.3.1.4) are sent, an ACK goes to the TU, nothing else may be
 * sent; Timer L (64*T1) ends it. */
static void test_invite_accepted_timer_l(Fx *fx, gconstpointer data)
{
	SipTx *tx;

	fx_deliver(fx, "INVITE", "UDP", BRANCH("s7"), 1, "");
	tx = fx_request(fx, 0);
	g_assert_cmpint(fx_respond(tx, 200), ==, 0);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Accepted");
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s7"), 1, "");
	xb_clock_advance(500);
	g_assert_cmpuint(fx->sent->len, ==, 1); /* neither a resend nor a 100 */
	g_assert_cmpint(fx_respond(tx, 200), ==, 0);
	g_assert_cmpuint(fx->sent->len, ==, 2);
	g_assert_cmpint(fx_respond(tx, 486), ==, -EINVAL);
	g_assert_cmpint(fx_respond(tx, 180), ==, -EINVAL);
	/* the ACK for a 2xx: a new branch (§13.2.2.4), or the INVITE's (RFC 2543 peers) */
	fx_deliver(fx, "ACK", "UDP", BRANCH("s7ack"), 1, ";tag=b2");
	fx_deliver(fx, "ACK", "UDP", BRANCH("s7"), 1, ";tag=b2");
	g_assert_cmpstr(fx->events->str, ==, "stray:ACK stray:ACK ");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Accepted");
	g_assert_cmpuint(fx->requests->len, ==, 1);
	xb_clock_advance(32000 - 500 - 1);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Accepted");
	xb_clock_advance(1);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpint(fx_respond(tx, 200), ==, -EINVAL);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
}

/* §17.2.4: a response that cannot be sent ends the server transaction, on the TU's send or
 * on a Timer G retransmission. */
static void test_server_send_error(Fx *fx, gconstpointer data)
{
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s8"), 1, "");
	fx_deliver(fx, "INVITE", "UDP", BRANCH("s8b"), 1, "");
	fx->send_error = -EPIPE;
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 486), ==, -EPIPE);
	g_assert_true(sip_tx_is_terminated(fx_request(fx, 0)));
	fx->send_ok_left = 1;
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 486), ==, 0);
	xb_clock_advance(500);
	g_assert_true(sip_tx_is_terminated(fx_request(fx, 1)));
	g_assert_cmpuint(fx->sent->len, ==, 1);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
}

/* RFC 4320 §4.1 (and §17.2.2): a non-INVITE request gets no 100 from the layer, however long
 * the TU takes; its retransmissions in Trying are absorbed, not answered. */
static void test_non_invite_never_100(Fx *fx, gconstpointer data)
{
	fx_deliver(fx, "OPTIONS", "UDP", BRANCH("n1"), 1, "");
	fx_deliver(fx, "REGISTER", "TCP", BRANCH("n1t"), 1, "");
	g_assert_cmpstr(sip_tx_state_name(fx_request(fx, 0)), ==, "Trying");
	xb_clock_advance(10000);
	fx_deliver(fx, "OPTIONS", "UDP", BRANCH("n1"), 1, "");
	xb_clock_advance(10000);
	g_assert_cmpuint(fx->sent->len, ==, 0);
	g_assert_cmpuint(fx->requests->len, ==, 2);
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 200), ==, 0);
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 200), ==, 0);
}

/* RFC 4320 §4.1, §4.2: the TU may send no 101-199 and no 408 to a non-INVITE request, and a
 * 100 over UDP only once T2 has passed; a 100 sent moves to Proceeding and answers
 * retransmissions. */
static void test_non_invite_rfc4320_rules(Fx *fx, gconstpointer data)
{
	SipTx *tx;

	fx_deliver(fx, "SUBSCRIBE", "UDP", BRANCH("n2"), 1, "");
	tx = fx_request(fx, 0);
	g_assert_cmpint(fx_respond(tx, 180), ==, -EINVAL);
	g_assert_cmpint(fx_respond(tx, 100), ==, -EINVAL);
	g_assert_cmpint(fx_respond(tx, 408), ==, -EINVAL);
	xb_clock_advance(3999);
	g_assert_cmpint(fx_respond(tx, 100), ==, -EINVAL);
	xb_clock_advance(1);
	g_assert_cmpint(fx_respond(tx, 100), ==, 0);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Proceeding");
	fx_deliver(fx, "SUBSCRIBE", "UDP", BRANCH("n2"), 1, "");
	g_assert_cmpuint(fx->sent->len, ==, 2);
	g_assert_cmpstr(fx_sent(fx, 1)->text, ==, fx_sent(fx, 0)->text);
	g_assert_cmpint(fx_respond(tx, 200), ==, 0);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");

	/* over TCP a 100 may go at once */
	fx_deliver(fx, "SUBSCRIBE", "TCP", BRANCH("n2t"), 1, "");
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 100), ==, 0);
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 489), ==, 0);
}

/* §17.2.2 with the datagram absorber: an identical datagram from the same source is taken
 * as a retransmission before parsing and gets the final again; a datagram from another
 * source, an ACK, or one after the transaction ended is not. */
static void test_absorb_datagram(Fx *fx, gconstpointer data)
{
	g_autofree char *text = fx_request_text("OPTIONS", "UDP", BRANCH("ab"), 1, "");
	g_autofree char *ack = fx_request_text("ACK", "UDP", BRANCH("ab"), 1, "");
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *wire = g_strjoinv("\r\n", lines);
	size_t len = strlen(wire);

	g_assert_false(sip_txl_absorb_datagram(fx->txl, wire, len, &fx->udp));
	sip_txl_receive(fx->txl, fx_parse(wire), &fx->udp);
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 200), ==, 0);
	g_assert_cmpuint(fx->sent->len, ==, 1);
	g_assert_true(sip_txl_absorb_datagram(fx->txl, wire, len, &fx->udp));
	g_assert_cmpuint(fx->sent->len, ==, 2);
	g_assert_cmpstr(fx_sent(fx, 1)->text, ==, fx_sent(fx, 0)->text);
	g_assert_cmpuint(sip_txl_absorbed(fx->txl), ==, 1);
	SipFlow other = fx->udp;
	((struct sockaddr_in *)&other.addr)->sin_port ^= 1;
	g_assert_false(sip_txl_absorb_datagram(fx->txl, wire, len, &other));
	g_assert_false(sip_txl_absorb_datagram(fx->txl, ack, strlen(ack), &fx->udp));
	xb_clock_advance(64 * 500); /* Timer J */
	g_assert_false(sip_txl_absorb_datagram(fx->txl, wire, len, &fx->udp));
	g_assert_cmpuint(fx->requests->len, ==, 1);
}

/* §17.2.2: a final moves to Completed; retransmissions get it again; Timer J (64*T1 over
 * UDP) ends the transaction. */
static void test_non_invite_timer_j(Fx *fx, gconstpointer data)
{
	SipTx *tx;

	fx_deliver(fx, "BYE", "UDP", BRANCH("n3"), 1, ";tag=b2");
	tx = fx_request(fx, 0);
	g_assert_cmpint(fx_respond(tx, 200), ==, 0);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	g_assert_null(sip_tx_request(tx)); /* only the key and the final are kept for Timer J */
	xb_clock_advance(1000);
	fx_deliver(fx, "BYE", "UDP", BRANCH("n3"), 1, ";tag=b2");
	fx_assert_times(fx, "0 1000 ");
	g_assert_cmpstr(fx_sent(fx, 1)->text, ==, fx_sent(fx, 0)->text);
	g_assert_cmpint(fx_respond(tx, 500), ==, -EINVAL);
	xb_clock_advance(30999);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	xb_clock_advance(1);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	g_assert_cmpuint(fx->requests->len, ==, 1);
}

/* §17.2.2: Timer J is 0 over TCP; the response goes back on the request's connection. */
static void test_non_invite_timer_j_zero_tcp(Fx *fx, gconstpointer data)
{
	fx_deliver(fx, "INFO", "TCP", BRANCH("n4"), 1, ";tag=b2");
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 200), ==, 0);
	g_assert_true(sip_tx_is_terminated(fx_request(fx, 0)));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	g_assert_cmpint(fx_last(fx)->to.transport, ==, XB_TRANSPORT_TCP);
	g_assert_cmpuint(fx_last(fx)->to.conn_id, ==, 7);
}

/* §9.2: a CANCEL matching an INVITE in Proceeding gets 200 from the layer (same To tag as the
 * INVITE's responses, CSeq CANCEL), the TU is told once and never sees the CANCEL; the
 * CANCEL's retransmissions get the 200 again; the TU's 487 then runs the INVITE's course. */
static void test_cancel_matched(Fx *fx, gconstpointer data)
{
	struct sip_msg *ok;
	SipTx *inv;

	fx_deliver(fx, "INVITE", "UDP", BRANCH("c1"), 1, "");
	inv = fx_request(fx, 0);
	sip_tx_set_cancel_cb(inv, cancel_cb, fx);
	g_assert_cmpint(fx_respond(inv, 180), ==, 0);
	fx_deliver(fx, "CANCEL", "UDP", BRANCH("c1"), 1, "");
	g_assert_cmpuint(fx->sent->len, ==, 2);
	ok = sent_msg(fx, 1);
	g_assert_cmpuint(ok->status, ==, 200);
	g_assert_cmpint(ok->cseq.method, ==, SIP_METHOD_CANCEL);
	g_assert_true(sip_pl_eq(&ok->to.tag, "b2"));
	g_assert_true(sip_pl_eq(&ok->via.branch, "z9hG4bKc1"));
	sip_msg_free(ok);
	g_assert_cmpstr(fx->events->str, ==, "cancel ");
	g_assert_true(sip_tx_cancelled(inv));
	g_assert_cmpuint(fx->requests->len, ==, 1);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 2);

	fx_deliver(fx, "CANCEL", "UDP", BRANCH("c1"), 1, "");
	g_assert_cmpuint(fx->sent->len, ==, 3);
	g_assert_cmpstr(fx_sent(fx, 2)->text, ==, fx_sent(fx, 1)->text);
	g_assert_cmpstr(fx->events->str, ==, "cancel ");

	g_assert_cmpint(fx_respond(inv, 487), ==, 0);
	fx_assert_first_line(fx, 3, "SIP/2.0 487 Request Terminated");
	fx_deliver(fx, "ACK", "UDP", BRANCH("c1"), 1, ";tag=b2");
	g_assert_cmpstr(sip_tx_state_name(inv), ==, "Confirmed");
	xb_clock_advance(32000);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
}

/* §9.2: before any response the 200 gets a To tag of its own (§8.2.6.2), and the TU is told. */
static void test_cancel_before_provisional(Fx *fx, gconstpointer data)
{
	struct sip_msg *ok;

	fx_deliver(fx, "INVITE", "UDP", BRANCH("c2"), 1, "");
	sip_tx_set_cancel_cb(fx_request(fx, 0), cancel_cb, fx);
	xb_clock_advance(10);
	fx_deliver(fx, "CANCEL", "UDP", BRANCH("c2"), 1, "");
	ok = sent_msg(fx, 0);
	g_assert_cmpuint(ok->status, ==, 200);
	g_assert_true(ok->to.has_tag);
	sip_msg_free(ok);
	g_assert_cmpstr(fx->events->str, ==, "cancel ");
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 487), ==, 0);
	xb_clock_advance(1000); /* no 100 Trying after the 487; Timer G at 510 */
	fx_assert_times(fx, "10 10 510 ");
	fx_assert_first_line(fx, 1, "SIP/2.0 487 Request Terminated");
	fx_assert_first_line(fx, 2, "SIP/2.0 487 Request Terminated");
}

/* §9.2: a CANCEL that matches no INVITE is a new request for the TU (which answers 481). */
static void test_cancel_no_match(Fx *fx, gconstpointer data)
{
	fx_deliver(fx, "INVITE", "UDP", BRANCH("c3"), 1, "");
	fx_deliver(fx, "CANCEL", "UDP", BRANCH("c3other"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 2);
	g_assert_cmpint(sip_tx_request(fx_request(fx, 1))->method, ==, SIP_METHOD_CANCEL);
	g_assert_cmpuint(fx->sent->len, ==, 0);
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 481), ==, 0);
	fx_assert_first_line(fx, 0, "SIP/2.0 481 Call/Transaction Does Not Exist");
	g_assert_false(sip_tx_cancelled(fx_request(fx, 0)));
}

/* §9.2: a CANCEL after the final response still gets 200, but changes nothing. */
static void test_cancel_after_final(Fx *fx, gconstpointer data)
{
	SipTx *inv;

	fx_deliver(fx, "INVITE", "UDP", BRANCH("c4"), 1, "");
	inv = fx_request(fx, 0);
	sip_tx_set_cancel_cb(inv, cancel_cb, fx);
	g_assert_cmpint(fx_respond(inv, 486), ==, 0);
	fx_deliver(fx, "CANCEL", "UDP", BRANCH("c4"), 1, "");
	fx_assert_first_line(fx, 1, "SIP/2.0 200 OK");
	g_assert_cmpstr(fx->events->str, ==, "");
	g_assert_false(sip_tx_cancelled(inv));
	g_assert_cmpstr(sip_tx_state_name(inv), ==, "Completed");
	g_assert_cmpuint(fx->requests->len, ==, 1);
}

/* §17.2.3: without the magic cookie, requests match by Request-URI, tags, Call-ID, CSeq and
 * top Via; the ACK by the same with its To tag equal to our response's. */
static void test_rfc2543_matching(Fx *fx, gconstpointer data)
{
	SipTx *inv;

	fx_deliver(fx, "INVITE", "UDP", "", 1, "");
	fx_deliver(fx, "INVITE", "UDP", "", 1, ""); /* retransmission: 100 at once */
	g_assert_cmpuint(fx->requests->len, ==, 1);
	fx_assert_first_line(fx, 0, "SIP/2.0 100 Trying");
	inv = fx_request(fx, 0);
	g_assert_cmpint(fx_respond(inv, 486), ==, 0);
	fx_deliver(fx, "INVITE", "UDP", "", 1, "");
	g_assert_cmpuint(fx->sent->len, ==, 3);
	fx_assert_first_line(fx, 2, "SIP/2.0 486 Busy Here");

	fx_deliver(fx, "ACK", "UDP", "", 1, ";tag=other");
	g_assert_cmpstr(fx->events->str, ==, "stray:ACK ");
	g_assert_cmpstr(sip_tx_state_name(inv), ==, "Completed");
	fx_deliver(fx, "ACK", "UDP", "", 1, ";tag=b2");
	g_assert_cmpstr(sip_tx_state_name(inv), ==, "Confirmed");
	g_assert_cmpstr(fx->events->str, ==, "stray:ACK ");

	/* a new CSeq, or a non-magic branch with a different Via, is a new transaction */
	fx_deliver(fx, "INVITE", "UDP", "", 2, "");
	fx_deliver(fx, "OPTIONS", "UDP", ";branch=1234", 3, "");
	fx_deliver(fx, "OPTIONS", "UDP", ";branch=1234", 3, "");
	g_assert_cmpuint(fx->requests->len, ==, 3);
	g_assert_cmpint(fx_respond(fx_request(fx, 2), 200), ==, 0);
	fx_deliver(fx, "OPTIONS", "UDP", ";branch=1234", 3, "");
	fx_assert_first_line(fx, fx->sent->len - 1, "SIP/2.0 200 OK");
	fx_assert_first_line(fx, fx->sent->len - 2, "SIP/2.0 200 OK");
}

/* A flood cannot grow memory without bound: past the limit of live server transactions
 * that are all still at work, a new request gets a stateless 503 with Retry-After
 * (§21.5.4) and the TU never sees it. */
static void test_server_limit(Fx *fx, gconstpointer data)
{
	sip_txl_set_max_server(fx->txl, 2);
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("lim1"), 1, "");
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("lim2"), 1, "");
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("lim3"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 2);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 2);
	g_assert_true(g_str_has_prefix(fx_last(fx)->text, "SIP/2.0 503 Service Unavailable\r\n"));
	g_assert_nonnull(strstr(fx_last(fx)->text, "Retry-After: 5\r\n"));
	/* When one ends, room is made again. */
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 200), ==, 0);
	xb_clock_advance(64 * 500);
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("lim4"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 3);
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 200), ==, 0);
	g_assert_cmpint(fx_respond(fx_request(fx, 2), 200), ==, 0);
	xb_clock_advance(64 * 500);
}

/* At the limit, the oldest transaction that only waits out Timer J makes room for a new
 * request instead of a 503; its request, retransmitted late, then reaches the TU again. */
static void test_server_limit_evicts_completed(Fx *fx, gconstpointer data)
{
	sip_txl_set_max_server(fx->txl, 2);
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("ev1"), 1, "");
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 200), ==, 0);
	xb_clock_advance(10);
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("ev2"), 1, "");
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 200), ==, 0);
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("ev3"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 3); /* no 503: ev1 made room */
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 2);
	fx_assert_first_line(fx, fx->sent->len - 1, "SIP/2.0 200 OK"); /* ev2's, the last sent */
	/* ev2 is still remembered: its retransmission gets the 200 again, the TU nothing */
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("ev2"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 3);
	/* ev3 is at work and ev2 waits: ev2 makes room for ev1's late copy, a new request */
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("ev1"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 4);
	/* both live ones at work now: 503 */
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("ev4"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 4);
	g_assert_true(g_str_has_prefix(fx_last(fx)->text, "SIP/2.0 503 Service Unavailable\r\n"));
	g_assert_cmpint(fx_respond(fx_request(fx, 2), 200), ==, 0);
	g_assert_cmpint(fx_respond(fx_request(fx, 3), 200), ==, 0);
	xb_clock_advance(64 * 500);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
}

/* An answered INVITE's transaction (Accepted, RFC 6026 §7.1) keeps its request for the call
 * but no longer counts it against the byte limit meant for strangers' requests: a busy
 * PBX's answered calls within Timer L must not push every new request (BYE included) into
 * 503. */
static void test_accepted_not_counted(Fx *fx, gconstpointer data)
{
	SipTxlStats st;
	gsize proceeding;

	fx_deliver(fx, "INVITE", "UDP", BRANCH("acc"), 1, "");
	sip_txl_stats(fx->txl, &st);
	proceeding = st.server_bytes;
	g_assert_cmpuint(proceeding, >, sizeof(struct sip_msg));
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 200), ==, 0);
	sip_txl_stats(fx->txl, &st);
	g_assert_cmpstr(sip_tx_state_name(fx_request(fx, 0)), ==, "Accepted");
	g_assert_nonnull(sip_tx_request(fx_request(fx, 0))); /* still there for the call */
	g_assert_cmpuint(st.server_bytes, <, sizeof(struct sip_msg));
	xb_clock_advance(32000);
	sip_txl_stats(fx->txl, &st);
	g_assert_cmpuint(st.server_bytes, ==, 0);
}

/* A flood of large requests cannot hold more than the byte limit: each big transaction
 * counts its key, request and response; at the limit the oldest that only wait out
 * Timer J make room, and when all are at work a new request gets 503 (§21.5.4). */
static void test_server_byte_limit(Fx *fx, gconstpointer data)
{
	g_autofree char *pad = g_strnfill(8000, 'x');
	SipTxlStats st;
	gsize one;
	guint i;

	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("small"), 1, "");
	sip_txl_stats(fx->txl, &st);
	g_assert_cmpuint(st.server_bytes, >, sizeof(struct sip_msg));
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 200), ==, 0);
	sip_txl_stats(fx->txl, &st);
	g_assert_cmpuint(st.server_bytes, <, 2048); /* the request went with the final response */
	xb_clock_advance(64 * 500);
	sip_txl_stats(fx->txl, &st);
	g_assert_cmpuint(st.server_bytes, ==, 0);

	/* one answered 8 KB-branch request holds its key and its response: 16 KB or more */
	g_autofree char *via0 = g_strdup_printf(";branch=z9hG4bK%s0", pad);
	fx_deliver(fx, "MESSAGE", "UDP", via0, 1, "");
	g_assert_cmpint(fx_respond(fx_request(fx, 1), 200), ==, 0);
	sip_txl_stats(fx->txl, &st);
	one = st.server_bytes;
	g_assert_cmpuint(one, >, 16000);
	sip_txl_set_max_server_bytes(fx->txl, 3 * one + sizeof(struct sip_msg) + 9000);
	for (i = 1; i < 20; i++) {
		g_autofree char *via = g_strdup_printf(";branch=z9hG4bK%s%u", pad, i);
		fx_deliver(fx, "MESSAGE", "UDP", via, 1, "");
		g_assert_cmpint(fx_respond(fx_request(fx, i + 1), 200), ==, 0);
		sip_txl_stats(fx->txl, &st);
		g_assert_cmpuint(st.server_bytes, <=, st.max_server_bytes + one);
	}
	g_assert_cmpuint(fx->requests->len, ==, 21); /* every one reached the TU */
	g_assert_cmpuint(st.evicted, >=, 15);
	g_assert_cmpuint(st.rejected, ==, 0);
	g_assert_cmpuint(st.server, <=, 4);
	/* the newest is still remembered: its retransmission gets the 200, the TU nothing */
	g_autofree char *via19 = g_strdup_printf(";branch=z9hG4bK%s19", pad);
	fx_deliver(fx, "MESSAGE", "UDP", via19, 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 21);
	fx_assert_first_line(fx, fx->sent->len - 1, "SIP/2.0 200 OK");

	/* requests at work make nothing evictable: past the limit, 503 with Retry-After */
	g_test_expect_message("crossbar-sip", G_LOG_LEVEL_WARNING,
	                      "* server transactions alive holding * bytes: new requests get 503*");
	for (i = 100; i < 110 && st.rejected == 0; i++) {
		g_autofree char *via = g_strdup_printf(";branch=z9hG4bK%s%u", pad, i);
		fx_deliver(fx, "MESSAGE", "UDP", via, 1, "");
		sip_txl_stats(fx->txl, &st);
	}
	g_test_assert_expected_messages();
	g_assert_cmpuint(st.rejected, ==, 1);
	g_assert_true(g_str_has_prefix(fx_last(fx)->text, "SIP/2.0 503 Service Unavailable\r\n"));
	g_assert_nonnull(strstr(fx_last(fx)->text, "Retry-After: 5\r\n"));
	g_assert_cmpuint(st.server_bytes, <=, st.max_server_bytes);
	for (i = 0; i < fx->requests->len; i++)
		if (!sip_tx_is_terminated(fx_request(fx, i)))
			fx_respond(fx_request(fx, i), 200);
	xb_clock_advance(64 * 500);
	sip_txl_stats(fx->txl, &st);
	g_assert_cmpuint(st.server, ==, 0);
	g_assert_cmpuint(st.server_bytes, ==, 0);
}

/* Shedding while the transport is behind: a new non-INVITE request without credentials
 * gets a stateless 503 with Retry-After (§21.5.4) and never reaches the TU; the second
 * half of a digest exchange, an INVITE and retransmissions of live transactions go on. */
static void test_server_shedding(Fx *fx, gconstpointer data)
{
	SipTxlStats st;

	fx_deliver(fx, "REGISTER", "UDP", BRANCH("live"), 1, "");
	sip_txl_set_shedding(fx->txl, TRUE);
	fx_deliver(fx, "REGISTER", "UDP", BRANCH("new"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 1);
	g_assert_true(g_str_has_prefix(fx_last(fx)->text, "SIP/2.0 503 Service Unavailable\r\n"));
	g_assert_nonnull(strstr(fx_last(fx)->text, "Retry-After: 5\r\n"));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 1); /* stateless: nothing kept */

	/* the live one's retransmission is absorbed, then gets its final response again */
	fx_deliver(fx, "REGISTER", "UDP", BRANCH("live"), 1, "");
	g_assert_cmpuint(fx->sent->len, ==, 1);
	g_assert_cmpint(fx_respond(fx_request(fx, 0), 401), ==, 0);
	fx_deliver(fx, "REGISTER", "UDP", BRANCH("live"), 1, "");
	g_assert_cmpuint(fx->sent->len, ==, 3);
	fx_assert_first_line(fx, 2, "SIP/2.0 401 Unauthorized");

	/* credentials: the digest exchange a client began is finished */
	g_autofree char *text = fx_request_text("REGISTER", "UDP", BRANCH("auth"), 2, "");
	text[strlen(text) - 1] = '\0'; /* the empty line ends the headers: it comes last */
	g_autofree char *with_auth = g_strconcat(
	    text,
	    "Authorization: Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
	    "response=\"00\"\n\n",
	    NULL);
	sip_txl_receive(fx->txl, fx_parse(with_auth), &fx->udp);
	g_assert_cmpuint(fx->requests->len, ==, 2);
	/* a call goes on, and so does a request within a dialog */
	fx_deliver(fx, "INVITE", "UDP", BRANCH("inv"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 3);
	fx_deliver(fx, "BYE", "UDP", BRANCH("bye"), 2, ";tag=x");
	g_assert_cmpuint(fx->requests->len, ==, 4);

	sip_txl_stats(fx->txl, &st);
	g_assert_cmpuint(st.shed, ==, 1);
	sip_txl_set_shedding(fx->txl, FALSE);
	fx_deliver(fx, "REGISTER", "UDP", BRANCH("new"), 1, "");
	g_assert_cmpuint(fx->requests->len, ==, 5);
	for (guint i = 1; i < fx->requests->len; i++)
		g_assert_cmpint(fx_respond(fx_request(fx, i), 500), ==, 0);
	xb_clock_advance(64 * 500);
	fx_deliver(fx, "ACK", "UDP", BRANCH("inv"), 1, ";tag=b2");
	xb_clock_advance(64 * 500);
}

/* §17.2: server transactions' memory goes when they end, whatever the path; sip_txl_free
 * with live ones leaks nothing and leaves the TU's references usable. */
static void test_server_memory(Fx *fx, gconstpointer data)
{
	static const unsigned st[] = {0, 180, 200, 486};

	for (int i = 0; i < 40; i++) {
		g_autofree char *via = g_strdup_printf(";branch=z9hG4bKmem%d", i);
		const char *tr = i % 5 == 0 ? "TCP" : "UDP";

		fx_deliver(fx, i % 2 ? "INVITE" : "NOTIFY", tr, via, 1, ";tag=t");
		if (st[i % 4] && (i % 2 || st[i % 4] != 180))
			g_assert_cmpint(fx_respond(fx_request(fx, i), st[i % 4]), ==, 0);
		if (i % 4 == 3 && i % 2)
			fx_deliver(fx, "ACK", tr, via, 1, ";tag=b2");
	}
	/* the unanswered ones stay until the TU answers (§17.2: no timer in Trying/Proceeding) */
	xb_clock_advance(64 * 500);
	for (guint i = 0; i < fx->requests->len; i++)
		if (!sip_tx_is_terminated(fx_request(fx, i)))
			g_assert_cmpint(fx_respond(fx_request(fx, i), 500), ==, 0);
	xb_clock_advance(64 * 500);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);

	fx_deliver(fx, "INVITE", "UDP", BRANCH("live"), 1, "");
	fx_deliver(fx, "MESSAGE", "UDP", BRANCH("live2"), 1, "");
	g_assert_cmpint(fx_respond(fx_request(fx, 41), 200), ==, 0);
	sip_txl_free(fx->txl);
	fx->txl = sip_txl_new(NULL, &fx_ops, fx);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	g_assert_cmpint(fx_respond(fx_request(fx, 40), 486), ==, -EINVAL);
	g_assert_true(sip_tx_is_terminated(fx_request(fx, 41)));
}

#define ADD(name, fn) g_test_add(name, Fx, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	ADD("/sip/tx/server/invite/100-trying-after-200ms-17.2.1", test_invite_100_after_200ms);
	ADD("/sip/tx/server/non-invite/identical-datagram-absorbed-17.2.2", test_absorb_datagram);
	ADD("/sip/tx/server/invite/no-100-when-tu-answers-17.2.1",
	    test_invite_no_100_when_tu_answers);
	ADD("/sip/tx/server/invite/retransmission-gets-last-provisional-17.2.1",
	    test_invite_retransmission_proceeding);
	ADD("/sip/tx/server/invite/timer-g-until-ack-then-timer-i-17.2.1",
	    test_invite_timer_g_until_ack);
	ADD("/sip/tx/server/invite/timer-h-without-ack-17.2.1", test_invite_timer_h);
	ADD("/sip/tx/server/invite/reliable-no-g-i-zero-17.2.1", test_invite_reliable);
	ADD("/sip/tx/server/invite/2xx-accepted-timer-l-rfc6026-7.1", test_invite_accepted_timer_l);
	ADD("/sip/tx/server/send-error-terminates-17.2.4", test_server_send_error);
	ADD("/sip/tx/server/non-invite/never-100-trying-rfc4320-4.1", test_non_invite_never_100);
	ADD("/sip/tx/server/non-invite/provisional-and-408-rules-rfc4320-4",
	    test_non_invite_rfc4320_rules);
	ADD("/sip/tx/server/non-invite/completed-timer-j-17.2.2", test_non_invite_timer_j);
	ADD("/sip/tx/server/non-invite/timer-j-zero-over-tcp-17.2.2",
	    test_non_invite_timer_j_zero_tcp);
	ADD("/sip/tx/server/cancel/matched-200-and-tu-told-9.2", test_cancel_matched);
	ADD("/sip/tx/server/cancel/before-provisional-9.2", test_cancel_before_provisional);
	ADD("/sip/tx/server/cancel/no-match-is-new-request-9.2", test_cancel_no_match);
	ADD("/sip/tx/server/cancel/after-final-changes-nothing-9.2", test_cancel_after_final);
	ADD("/sip/tx/server/rfc2543-fallback-matching-17.2.3", test_rfc2543_matching);
	ADD("/sip/tx/server/memory-released-and-free-with-live-17.2", test_server_memory);
	ADD("/sip/tx/server/limit-503-retry-after-21.5.4", test_server_limit);
	ADD("/sip/tx/server/limit-evicts-completed", test_server_limit_evicts_completed);
	ADD("/sip/tx/server/byte-limit-evicts-then-503-21.5.4", test_server_byte_limit);
	ADD("/sip/tx/server/invite/accepted-not-counted-rfc6026-7.1", test_accepted_not_counted);
	ADD("/sip/tx/server/shedding-503-retry-after-21.5.4", test_server_shedding);
	return g_test_run();
}
