/* test_sip_transaction.c: the client transactions (RFC 3261 §17.1, RFC 6026 §7.2, RFC 4320)
 * and the layer's dispatch and memory, on the core's manual clock with fake transport and TU
 * callbacks. Server transactions and CANCEL are in test_sip_tx_server.c. */
#include "test_sip_tx_fixture.h"

static void client_cb(SipTx *tx, const struct sip_msg *resp, int error, void *user_data)
{
	Fx *fx = user_data;

	if (resp)
		g_string_append_printf(fx->events, "%u ", resp->status);
	else
		g_string_append_printf(fx->events, "E%d ", error);
}

/* A request as a UAC's TU hands it over: two Vias (ours on top), two Routes in one line. */
static SipTx *client_start(Fx *fx, const char *method, const SipFlow *to, const char *branch)
{
	const char *transport = sip_flow_reliable(to) ? "TCP" : "UDP";
	g_autofree char *text =
	    g_strdup_printf("%s sip:bob@example.com SIP/2.0\r\n"
	                    "Via: SIP/2.0/%s 10.0.0.1:5060;branch=%s\r\n"
	                    "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKupstream\r\n"
	                    "Max-Forwards: 69\r\n"
	                    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
	                    "From: Alice <sip:alice@example.com>;tag=a1\r\n"
	                    "To: Bob <sip:bob@example.com>\r\n"
	                    "Call-ID: out1@10.0.0.1\r\n"
	                    "CSeq: 7 %s\r\n"
	                    "Contact: <sip:alice@10.0.0.1>\r\n"
	                    "Content-Length: 0\r\n"
	                    "\r\n",
	                    method, transport, branch, method);

	return sip_tx_client_new(fx->txl, text, strlen(text), to, client_cb, fx);
}

static char *etimedout(void)
{
	return g_strdup_printf("E%d ", -ETIMEDOUT);
}

/* §17.1.1.2: over UDP Timer A resends the INVITE at T1, 2*T1, 4*T1 ... with no cap; Timer B
 * (64*T1) ends the transaction in Calling and the TU hears -ETIMEDOUT, never a 408. */
static void test_invite_timer_a_b(Fx *fx, gconstpointer data)
{
	g_autofree char *timeout = etimedout();
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKa1");

	g_assert_nonnull(tx);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Calling");
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 1);
	xb_clock_advance(31999);
	fx_assert_times(fx, "0 500 1500 3500 7500 15500 31500 ");
	g_assert_cmpstr(fx->events->str, ==, "");
	xb_clock_advance(1);
	g_assert_cmpstr(fx->events->str, ==, timeout);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	/* every copy is the same request, to the same peer */
	for (guint i = 1; i < fx->sent->len; i++)
		g_assert_cmpstr(fx_sent(fx, i)->text, ==, fx_sent(fx, 0)->text);
	g_assert_cmpint(fx_sent(fx, 0)->to.transport, ==, XB_TRANSPORT_UDP);
	sip_tx_unref(tx);
}

/* §17.1.1.2: over TCP no Timer A; Timer B still ends it. */
static void test_invite_reliable_no_timer_a(Fx *fx, gconstpointer data)
{
	g_autofree char *timeout = etimedout();
	SipTx *tx = client_start(fx, "INVITE", &fx->tcp, "z9hG4bKa2");

	xb_clock_advance(31999);
	fx_assert_times(fx, "0 ");
	xb_clock_advance(1);
	g_assert_cmpstr(fx->events->str, ==, timeout);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	sip_tx_unref(tx);
}

/* §17.1.1.2: a 1xx moves Calling to Proceeding: no more retransmissions, and Timer B no
 * longer applies (the TU's Timer C does). */
static void test_invite_1xx_proceeding(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKa3");

	xb_clock_advance(600);
	fx_deliver_response(fx, tx, 100, NULL);
	fx_deliver_response(fx, tx, 180, "b2");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Proceeding");
	xb_clock_advance(120000);
	fx_assert_times(fx, "0 500 ");
	g_assert_cmpstr(fx->events->str, ==, "100 180 ");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Proceeding");
	fx_deliver_response(fx, tx, 183, "b2");
	g_assert_cmpstr(fx->events->str, ==, "100 180 183 ");
	fx_deliver_response(fx, tx, 486, "b2");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	sip_tx_unref(tx);
}

/* §17.1.1.3: the ACK for a 300-699 has the original's Request-URI, Call-ID, From, its top
 * Via only, its Route headers, the response's To (with its tag) and CSeq "<n> ACK". */
static void test_invite_ack_for_non2xx(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKa4");
	struct sip_msg *ack = NULL;
	struct sip_err err = {0};
	const struct sip_hdr *h;

	fx_deliver_response(fx, tx, 302, "b2");
	g_assert_cmpstr(fx->events->str, ==, "302 ");
	g_assert_cmpuint(fx->sent->len, ==, 2);
	fx_assert_first_line(fx, 1, "ACK sip:bob@example.com SIP/2.0");
	g_assert_cmpint(sip_msg_parse(&ack, fx_last(fx)->text, strlen(fx_last(fx)->text), &err), ==,
	                0);
	g_assert_cmpuint(ack->nvia, ==, 1);
	g_assert_true(sip_pl_eq(&ack->via.branch, "z9hG4bKa4"));
	g_assert_true(sip_pl_eq(&ack->via.sent_by, "10.0.0.1:5060"));
	g_assert_true(sip_pl_eq(&ack->call_id, "out1@10.0.0.1"));
	g_assert_true(sip_pl_eq(&ack->from.tag, "a1"));
	g_assert_true(ack->to.has_tag);
	g_assert_true(sip_pl_eq(&ack->to.tag, "b2"));
	g_assert_true(sip_pl_eq(&ack->to.uri, "sip:bob@example.com"));
	g_assert_cmpuint(ack->cseq.num, ==, 7);
	g_assert_cmpint(ack->cseq.method, ==, SIP_METHOD_ACK);
	g_assert_cmpuint(sip_msg_hdr_count(ack, SIP_HDR_ROUTE), ==, 2);
	h = sip_msg_hdr(ack, SIP_HDR_ROUTE);
	g_assert_true(sip_pl_eq(&h->val, "<sip:p1.example.com;lr>"));
	h = sip_msg_hdr_next(ack, h);
	g_assert_true(sip_pl_eq(&h->val, "<sip:p2.example.com;lr>"));
	g_assert_cmpuint(ack->max_forwards, ==, 69);
	g_assert_cmpuint(ack->content_length, ==, 0);
	g_assert_cmpuint(sip_msg_hdr_count(ack, SIP_HDR_CONTACT), ==, 0);
	/* the ACK goes where the INVITE went */
	g_assert_cmpint(fx_last(fx)->to.transport, ==, XB_TRANSPORT_UDP);
	sip_msg_free(ack);
	sip_tx_unref(tx);
}

/* §17.1.1.2: in Completed, each retransmitted final gets the same ACK again and is not
 * passed up; Timer D (32 s over UDP) then ends the transaction. */
static void test_invite_completed_timer_d(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKa5");

	xb_clock_advance(100);
	fx_deliver_response(fx, tx, 486, "b2");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	xb_clock_advance(400); /* Timer A stopped: nothing at 500 */
	fx_deliver_response(fx, tx, 486, "b2");
	fx_deliver_response(fx, tx, 486, "b2");
	g_assert_cmpuint(fx->sent->len, ==, 4);
	for (guint i = 2; i < 4; i++)
		g_assert_cmpstr(fx_sent(fx, i)->text, ==, fx_sent(fx, 1)->text);
	g_assert_cmpstr(fx->events->str, ==, "486 ");
	fx_deliver_response(fx, tx, 180, "b2"); /* late: ignored */
	fx_deliver_response(fx, tx, 200, "b2");
	g_assert_cmpstr(fx->events->str, ==, "486 ");
	g_assert_cmpuint(fx->sent->len, ==, 4);
	xb_clock_advance(32100 - 500 - 1); /* Timer D started at 100 */
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	xb_clock_advance(1);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	sip_tx_unref(tx);
}

/* §17.1.1.2: Timer D is 0 over TCP: the ACK is sent and the transaction ends at once. */
static void test_invite_timer_d_zero_tcp(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->tcp, "z9hG4bKa6");

	fx_deliver_response(fx, tx, 603, "b2");
	g_assert_cmpuint(fx->sent->len, ==, 2);
	fx_assert_first_line(fx, 1, "ACK sip:bob@example.com SIP/2.0");
	g_assert_cmpint(fx_last(fx)->to.transport, ==, XB_TRANSPORT_TCP);
	g_assert_cmpuint(fx_last(fx)->to.conn_id, ==, 7);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	g_assert_cmpstr(fx->events->str, ==, "603 ");
	sip_tx_unref(tx);
}

/* RFC 6026 §7.2: a 2xx moves to Accepted; every 2xx (retransmission or another fork) goes
 * to the TU, the layer sends no ACK; Timer M (64*T1) ends it, and a 2xx after that is a
 * stray the TU still gets. */
static void test_invite_accepted_timer_m(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKa7");

	fx_deliver_response(fx, tx, 180, "b2");
	xb_clock_advance(1000);
	fx_deliver_response(fx, tx, 200, "b2");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Accepted");
	fx_deliver_response(fx, tx, 200, "b2");
	fx_deliver_response(fx, tx, 200, "fork3");
	fx_deliver_response(fx, tx, 486, "b9"); /* not a 2xx: ignored in Accepted */
	g_assert_cmpstr(fx->events->str, ==, "180 200 200 200 ");
	g_assert_cmpuint(fx->sent->len, ==, 1); /* the INVITE only: no ACK, no retransmission */
	xb_clock_advance(32000 - 1);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Accepted");
	xb_clock_advance(1);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	fx_deliver_response(fx, tx, 200, "b2");
	g_assert_cmpstr(fx->events->str, ==, "180 200 200 200 stray:200 ");
	sip_tx_unref(tx);
}

/* §17.1.4: a transport error on a retransmission is told to the TU and ends the
 * transaction; a failing first send gives no transaction at all. */
static void test_client_transport_error(Fx *fx, gconstpointer data)
{
	g_autofree char *expect = g_strdup_printf("E%d ", -ECONNREFUSED);
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKa8");

	fx->send_error = -ECONNREFUSED;
	xb_clock_advance(500);
	g_assert_cmpstr(fx->events->str, ==, expect);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	xb_clock_advance(64000);
	g_assert_cmpstr(fx->events->str, ==, expect); /* told once */
	sip_tx_unref(tx);

	g_assert_null(client_start(fx, "OPTIONS", &fx->udp, "z9hG4bKa9"));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
}

/* §17.1.2.2: Timer E doubles from T1 up to T2 and stays there; Timer F (64*T1) ends the
 * transaction with -ETIMEDOUT to the TU (RFC 4320 §4.2: no 408 made up). */
static void test_non_invite_timer_e_f(Fx *fx, gconstpointer data)
{
	g_autofree char *timeout = etimedout();
	SipTx *tx = client_start(fx, "OPTIONS", &fx->udp, "z9hG4bKe1");

	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Trying");
	xb_clock_advance(31999);
	fx_assert_times(fx, "0 500 1500 3500 7500 11500 15500 19500 23500 27500 31500 ");
	g_assert_cmpstr(fx->events->str, ==, "");
	xb_clock_advance(1);
	g_assert_cmpstr(fx->events->str, ==, timeout);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	sip_tx_unref(tx);
}

/* §17.1.2.2 (and RFC 4321 §1.2): after a 1xx, Timer E keeps resending the request, every T2;
 * Timer F still applies in Proceeding. */
static void test_non_invite_proceeding_t2(Fx *fx, gconstpointer data)
{
	g_autofree char *timeout = etimedout();
	SipTx *tx = client_start(fx, "BYE", &fx->udp, "z9hG4bKe2");

	xb_clock_advance(600);
	fx_deliver_response(fx, tx, 100, NULL);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Proceeding");
	xb_clock_advance(31399);
	fx_assert_times(fx, "0 500 1500 5500 9500 13500 17500 21500 25500 29500 ");
	xb_clock_advance(1);
	{
		g_autofree char *expect = g_strconcat("100 ", timeout, NULL);

		g_assert_cmpstr(fx->events->str, ==, expect);
	}
	sip_tx_unref(tx);
}

/* §17.1.2.2: a final moves to Completed, is passed up once; its retransmissions are absorbed;
 * Timer K (T4 over UDP) ends the transaction. */
static void test_non_invite_completed_timer_k(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "REGISTER", &fx->udp, "z9hG4bKe3");

	xb_clock_advance(700);
	fx_deliver_response(fx, tx, 401, "b2");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	fx_deliver_response(fx, tx, 401, "b2");
	fx_deliver_response(fx, tx, 100, NULL);
	g_assert_cmpstr(fx->events->str, ==, "401 ");
	xb_clock_advance(4999);
	fx_assert_times(fx, "0 500 "); /* E stopped; no ACK for non-INVITE */
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Completed");
	xb_clock_advance(1);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	sip_tx_unref(tx);
}

/* §17.1.2.2: over TCP no Timer E, and Timer K is 0. */
static void test_non_invite_reliable(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "MESSAGE", &fx->tcp, "z9hG4bKe4");

	xb_clock_advance(20000);
	fx_assert_times(fx, "0 ");
	fx_deliver_response(fx, tx, 202, "b2");
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	g_assert_cmpstr(fx->events->str, ==, "202 ");
	sip_tx_unref(tx);
}

/* §17.1.1.1 (T1, T2 configurable): the timers follow sip_txl_set_timers. */
static void test_custom_timers(Fx *fx, gconstpointer data)
{
	const SipTimers t = {.t1 = 100, .t2 = 400, .t4 = 1000};
	SipTx *tx;

	sip_txl_set_timers(fx->txl, &t);
	tx = client_start(fx, "OPTIONS", &fx->udp, "z9hG4bKc1");
	xb_clock_advance(6399);
	fx_assert_times(fx, "0 100 300 700 1100 1500 1900 2300 2700 3100 3500 3900 4300 "
	                    "4700 5100 5500 5900 6300 ");
	xb_clock_advance(1); /* Timer F = 64*T1 = 6400 */
	g_assert_true(sip_tx_is_terminated(tx));
	sip_tx_unref(tx);

	g_ptr_array_set_size(fx->sent, 0);
	tx = client_start(fx, "OPTIONS", &fx->udp, "z9hG4bKc2");
	fx_deliver_response(fx, tx, 200, "b2");
	xb_clock_advance(999);
	g_assert_false(sip_tx_is_terminated(tx));
	xb_clock_advance(1); /* Timer K = T4 */
	g_assert_true(sip_tx_is_terminated(tx));
	sip_tx_unref(tx);
}

/* §17.1.3: a response matches by its top Via's branch and its CSeq method; one that
 * matches nothing is dropped, except a 2xx to an INVITE, which goes to the TU. */
static void test_response_matching(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKm1");
	g_autofree char *cancel = NULL;
	g_autofree char *other = NULL;

	/* the same branch with CSeq CANCEL is the CANCEL's transaction, not this one */
	cancel = fx_request_text("CANCEL", "UDP", ";branch=z9hG4bKm1", 7, "");
	{
		struct sip_msg *req = fx_parse(cancel);
		g_autofree char *resp = fx_reply_text(req, 200, "b2");

		sip_txl_receive(fx->txl, fx_parse(resp), &fx->udp);
		sip_msg_free(req);
	}
	g_assert_cmpstr(fx->events->str, ==, "");
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Calling");

	/* another branch: a 486 and a 200 OPTIONS are dropped, a 200 INVITE is a stray */
	other = fx_request_text("INVITE", "UDP", ";branch=z9hG4bKnone", 1, "");
	{
		struct sip_msg *req = fx_parse(other);
		g_autofree char *r486 = fx_reply_text(req, 486, "x");
		g_autofree char *r200 = fx_reply_text(req, 200, "x");
		g_autofree char *opt =
		    fx_request_text("OPTIONS", "UDP", ";branch=z9hG4bKn2", 1, "");
		struct sip_msg *oreq = fx_parse(opt);
		g_autofree char *o200 = fx_reply_text(oreq, 200, "x");

		sip_txl_receive(fx->txl, fx_parse(r486), &fx->udp);
		sip_txl_receive(fx->txl, fx_parse(o200), &fx->udp);
		g_assert_cmpstr(fx->events->str, ==, "");
		sip_txl_receive(fx->txl, fx_parse(r200), &fx->udp);
		g_assert_cmpstr(fx->events->str, ==, "stray:200 ");
		sip_msg_free(req);
		sip_msg_free(oreq);
	}
	g_assert_cmpuint(fx->sent->len, ==, 1);
	sip_tx_unref(tx);
}

/* A branch already in use, an ACK, and a request without a z9hG4bK branch make no client
 * transaction (§17.1.1.3: the layer builds non-2xx ACKs itself; §8.1.1.7). */
static void test_client_refused(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKr1");

	g_test_expect_message("crossbar-sip", G_LOG_LEVEL_WARNING,
	                      "client transaction: branch z9hG4bKr1 already in use");
	g_assert_null(client_start(fx, "INVITE", &fx->udp, "z9hG4bKr1"));
	g_test_assert_expected_messages();
	for (int i = 0; i < 2; i++)
		g_test_expect_message("crossbar-sip", G_LOG_LEVEL_WARNING,
		                      "client transaction: not a request with a z9hG4bK branch, "
		                      "Call-ID and CSeq, or an ACK");
	g_test_expect_message("crossbar-sip", G_LOG_LEVEL_WARNING,
	                      "client transaction: the TU's request does not parse: 400 *");
	g_assert_null(client_start(fx, "ACK", &fx->udp, "z9hG4bKr2"));
	g_assert_null(client_start(fx, "OPTIONS", &fx->udp, "rfc2543branch"));
	g_assert_null(sip_tx_client_new(fx->txl, "garbage", 7, &fx->udp, client_cb, fx));
	g_test_assert_expected_messages();
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 1);
	g_assert_cmpuint(fx->sent->len, ==, 1);
	sip_tx_unref(tx);
}

/* sip_tx_detach: the TU hears nothing more, the state machine still runs (the ACK is
 * still sent). */
static void test_client_detach(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKd1");

	sip_tx_detach(tx);
	sip_tx_unref(tx); /* the TU is gone; the layer keeps the transaction */
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 1);
	xb_clock_advance(500);
	g_assert_cmpuint(fx->sent->len, ==, 2);
	{
		g_autofree char *text = g_strdup(fx_sent(fx, 0)->text);
		struct sip_msg *req = fx_parse(text);
		g_autofree char *resp = fx_reply_text(req, 486, "b2");

		sip_txl_receive(fx->txl, fx_parse(resp), &fx->udp);
		sip_msg_free(req);
	}
	g_assert_cmpuint(fx->sent->len, ==, 3);
	fx_assert_first_line(fx, 2, "ACK sip:bob@example.com SIP/2.0");
	g_assert_cmpstr(fx->events->str, ==, "");
	xb_clock_advance(32000);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
}

/* §9.1: the UAC core may end an INVITE in Proceeding (Timer B no longer runs) when its CANCEL
 * got nothing back; the transaction then tells no one and leaves the table. */
static void test_client_terminate(Fx *fx, gconstpointer data)
{
	SipTx *tx = client_start(fx, "INVITE", &fx->udp, "z9hG4bKt1");

	fx_deliver_response(fx, tx, 180, "b2");
	xb_clock_advance(200000);
	g_assert_cmpstr(sip_tx_state_name(tx), ==, "Proceeding");
	sip_tx_terminate(tx);
	g_assert_true(sip_tx_is_terminated(tx));
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	sip_tx_terminate(tx);                   /* twice is harmless */
	fx_deliver_response(fx, tx, 487, "b2"); /* now matches nothing: dropped */
	g_assert_cmpstr(fx->events->str, ==, "180 ");
	g_assert_cmpuint(fx->sent->len, ==, 1);
	sip_tx_unref(tx);
}

/* §17: a transaction's memory goes when it terminates; the caller's reference outlives it
 * and still answers questions. Freeing the layer with live transactions cancels their
 * timers and tells no one (ASan/LSan check the rest). */
static void test_memory(Fx *fx, gconstpointer data)
{
	SipTx *held;

	for (int i = 0; i < 20; i++) {
		g_autofree char *branch = sip_branch_new();
		SipTx *tx = client_start(fx, i % 2 ? "INVITE" : "OPTIONS", &fx->udp, branch);

		g_assert_nonnull(tx);
		if (i % 3 == 0)
			fx_deliver_response(fx, tx, i % 2 ? 486 : 200, "b2");
		sip_tx_unref(tx);
	}
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 20);
	xb_clock_advance(64 * 500);
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 0);
	g_assert_cmpuint(xb_timer_pending(), ==, 0);

	/* live ones at sip_txl_free: one held by the TU, some not */
	held = client_start(fx, "INVITE", &fx->udp, "z9hG4bKlive1");
	sip_tx_unref(client_start(fx, "OPTIONS", &fx->udp, "z9hG4bKlive2"));
	fx_deliver(fx, "INVITE", "UDP", ";branch=z9hG4bKlive3", 1, "");
	g_assert_cmpuint(sip_txl_count(fx->txl), ==, 3);
	g_string_truncate(fx->events, 0);
	sip_txl_free(fx->txl);
	fx->txl = sip_txl_new(NULL, &fx_ops, fx); /* for the teardown */
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	g_assert_cmpstr(fx->events->str, ==, "");
	g_assert_true(sip_tx_is_terminated(held));
	g_assert_cmpint(fx_respond(g_ptr_array_index(fx->requests, 0), 486), ==, -EINVAL);
	sip_tx_unref(held);
}

/* §8.1.1.7: branches start with the magic cookie and do not repeat. */
static void test_branch_new(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (int i = 0; i < 1000; i++) {
		char *b = sip_branch_new();

		g_assert_true(g_str_has_prefix(b, "z9hG4bK"));
		g_assert_cmpuint(strlen(b), >, 7 + 16);
		g_assert_false(g_hash_table_contains(seen, b));
		g_hash_table_add(seen, b);
	}
}

#define ADD(name, fn) g_test_add(name, Fx, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	ADD("/sip/tx/client/invite/timer-a-doubles-timer-b-times-out-17.1.1.2",
	    test_invite_timer_a_b);
	ADD("/sip/tx/client/invite/reliable-no-timer-a-17.1.1.2", test_invite_reliable_no_timer_a);
	ADD("/sip/tx/client/invite/1xx-stops-a-and-b-17.1.1.2", test_invite_1xx_proceeding);
	ADD("/sip/tx/client/invite/ack-for-non2xx-17.1.1.3", test_invite_ack_for_non2xx);
	ADD("/sip/tx/client/invite/ack-per-retransmitted-final-timer-d-17.1.1.2",
	    test_invite_completed_timer_d);
	ADD("/sip/tx/client/invite/timer-d-zero-over-tcp-17.1.1.2", test_invite_timer_d_zero_tcp);
	ADD("/sip/tx/client/invite/2xx-accepted-timer-m-rfc6026-7.2", test_invite_accepted_timer_m);
	ADD("/sip/tx/client/transport-error-17.1.4", test_client_transport_error);
	ADD("/sip/tx/client/non-invite/timer-e-capped-timer-f-17.1.2.2", test_non_invite_timer_e_f);
	ADD("/sip/tx/client/non-invite/proceeding-resends-every-t2-17.1.2.2",
	    test_non_invite_proceeding_t2);
	ADD("/sip/tx/client/non-invite/completed-timer-k-17.1.2.2",
	    test_non_invite_completed_timer_k);
	ADD("/sip/tx/client/non-invite/reliable-no-e-k-zero-17.1.2.2", test_non_invite_reliable);
	ADD("/sip/tx/client/configured-t1-t2-t4-17.1.1.1", test_custom_timers);
	ADD("/sip/tx/client/refused-requests-8.1.1.7", test_client_refused);
	ADD("/sip/tx/client/detach-keeps-state-machine", test_client_detach);
	ADD("/sip/tx/client/invite/terminate-after-unanswered-cancel-9.1", test_client_terminate);
	ADD("/sip/tx/layer/response-matching-and-strays-17.1.3", test_response_matching);
	ADD("/sip/tx/layer/memory-released-and-free-with-live-17", test_memory);
	g_test_add_func("/sip/tx/layer/branch-new-8.1.1.7", test_branch_new);
	return g_test_run();
}
