/* test_sip_tx_fixture.h: what the transaction layer's tests share: fake transport and TU ops
 * that record what the layer sends and tells, messages written as text and parsed with
 * sip_msg_parse, and the core's manual clock. No sockets, no sleeping. */
#pragma once

#include "config.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "modules/sip/transaction.h"

typedef struct {
	gint64 at;
	SipFlow to;
	char *text;
} Sent;

typedef struct {
	SipTxLayer *txl;
	GPtrArray *sent;     /* Sent, in order */
	int send_error;      /* when not 0, send fails with it ... */
	guint send_ok_left;  /* ... after this many more successes */
	GPtrArray *requests; /* server transactions the TU was given (a reference each) */
	GString *events;     /* client callbacks, strays and cancels, as words */
	SipFlow udp, tcp;
	/* the TU answers new INVITEs at once with this status (0: it does not) */
	unsigned auto_status;
} Fx;

static inline void sent_free(gpointer p)
{
	Sent *s = p;

	g_free(s->text);
	g_free(s);
}

static inline int fake_send(void *ctx, const SipFlow *to, const char *buf, size_t len)
{
	Fx *fx = ctx;
	Sent *s;

	if (fx->send_error) {
		if (fx->send_ok_left == 0)
			return fx->send_error;
		fx->send_ok_left--;
	}
	s = g_new0(Sent, 1);
	s->at = xb_clock_now();
	s->to = *to;
	s->text = g_strndup(buf, len);
	g_ptr_array_add(fx->sent, s);
	return 0;
}

static inline char *fx_reply_text(const struct sip_msg *req, unsigned status, const char *tag)
{
	g_autoptr(GString) s = g_string_new(NULL);
	struct sip_mb mb;

	sip_mb_init_gstring(&mb, s);
	g_assert_cmpint(sip_msg_reply(&mb, req, status, NULL, tag), ==, 0);
	g_assert_cmpint(sip_mb_end(&mb), ==, 0);
	return g_strdup(s->str);
}

/* The TU answers with status (To tag "b2") through the transaction. */
static inline int fx_respond(SipTx *tx, unsigned status)
{
	/* A non-INVITE transaction drops its request after the final response; a response
	 * after that is refused whatever it says. */
	g_autofree char *text = sip_tx_request(tx)
	                            ? fx_reply_text(sip_tx_request(tx), status, "b2")
	                            : g_strdup_printf("SIP/2.0 %u Late\r\n\r\n", status);

	return sip_tx_respond(tx, status, text, strlen(text));
}

static inline void fake_request(void *ctx, SipTx *tx, const struct sip_msg *req,
                                const SipFlow *from)
{
	Fx *fx = ctx;

	g_assert_true(req == sip_tx_request(tx));
	g_ptr_array_add(fx->requests, sip_tx_ref(tx));
	if (fx->auto_status && req->method == SIP_METHOD_INVITE)
		g_assert_cmpint(fx_respond(tx, fx->auto_status), ==, 0);
}

static inline void fake_stray(void *ctx, const struct sip_msg *msg, const SipFlow *from)
{
	Fx *fx = ctx;

	if (msg->is_request)
		g_string_append_printf(fx->events, "stray:%s ", sip_method_name(msg->method));
	else
		g_string_append_printf(fx->events, "stray:%u ", msg->status);
}

static const SipTxLayerOps fx_ops = {
    .send = fake_send,
    .request = fake_request,
    .stray = fake_stray,
};

static inline void fx_peer(SipFlow *p, XbTransport transport)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;

	memset(p, 0, sizeof(*p));
	p->transport = transport;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr);
	p->addr_len = sizeof(*sin);
	p->conn_id = transport == XB_TRANSPORT_UDP ? 0 : 7;
}

static inline void fx_setup(Fx *fx, gconstpointer data)
{
	xb_clock_set_manual(0);
	fx->txl = sip_txl_new(NULL, &fx_ops, fx);
	fx->sent = g_ptr_array_new_with_free_func(sent_free);
	fx->requests = g_ptr_array_new_with_free_func((GDestroyNotify)sip_tx_unref);
	fx->events = g_string_new(NULL);
	fx_peer(&fx->udp, XB_TRANSPORT_UDP);
	fx_peer(&fx->tcp, XB_TRANSPORT_TCP);
}

static inline void fx_teardown(Fx *fx, gconstpointer data)
{
	g_ptr_array_unref(fx->requests);
	sip_txl_free(fx->txl);
	/* every timer of every transaction is gone with the layer */
	g_assert_cmpuint(xb_timer_pending(), ==, 0);
	g_ptr_array_unref(fx->sent);
	g_string_free(fx->events, TRUE);
}

/* "text\n" → "text\r\n" (unless already CRLF), then parsed (it must parse). */
static inline struct sip_msg *fx_parse(const char *text)
{
	g_autofree char *crlf = NULL;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	struct sip_msg *msg = NULL;
	struct sip_err err = {0};

	crlf = strchr(text, '\r') ? g_strdup(text) : g_strjoinv("\r\n", lines);
	g_assert_cmpint(sip_msg_parse(&msg, crlf, strlen(crlf), &err), ==, 0);
	return msg;
}

/* A request from 192.0.2.1. via_params: ";branch=z9hG4bK..." or "" (RFC 2543). */
static inline char *fx_request_text(const char *method, const char *transport,
                                    const char *via_params, unsigned cseq, const char *to_params)
{
	return g_strdup_printf("%s sip:bob@example.com SIP/2.0\n"
	                       "Via: SIP/2.0/%s 192.0.2.1:5060%s\n"
	                       "Max-Forwards: 70\n"
	                       "From: Alice <sip:alice@example.com>;tag=a1\n"
	                       "To: Bob <sip:bob@example.com>%s\n"
	                       "Call-ID: c1@192.0.2.1\n"
	                       "CSeq: %u %s\n"
	                       "Content-Length: 0\n"
	                       "\n",
	                       method, transport, via_params, to_params, cseq, method);
}

/* The network delivers a request (UDP unless transport says otherwise). */
static inline void fx_deliver(Fx *fx, const char *method, const char *transport,
                              const char *via_params, unsigned cseq, const char *to_params)
{
	g_autofree char *text = fx_request_text(method, transport, via_params, cseq, to_params);

	sip_txl_receive(fx->txl, fx_parse(text),
	                g_str_equal(transport, "UDP") ? &fx->udp : &fx->tcp);
}

/* The network delivers a response to a client transaction's request. */
static inline void fx_deliver_response(Fx *fx, SipTx *tx, unsigned status, const char *tag)
{
	g_autofree char *text = fx_reply_text(sip_tx_request(tx), status, tag);
	struct sip_msg *msg = NULL;
	struct sip_err err = {0};

	g_assert_cmpint(sip_msg_parse(&msg, text, strlen(text), &err), ==, 0);
	sip_txl_receive(fx->txl, msg, sip_tx_peer(tx));
}

static inline const Sent *fx_sent(Fx *fx, guint i)
{
	g_assert_cmpuint(i, <, fx->sent->len);
	return g_ptr_array_index(fx->sent, i);
}

static inline const Sent *fx_last(Fx *fx)
{
	g_assert_cmpuint(fx->sent->len, >, 0);
	return fx_sent(fx, fx->sent->len - 1);
}

/* The first line of what was sent, without CRLF. */
static inline char *fx_first_line(Fx *fx, guint i)
{
	const char *t = fx_sent(fx, i)->text;

	return g_strndup(t, strcspn(t, "\r"));
}

/* When each message was sent, "0 500 1500 ". */
static inline char *fx_times(Fx *fx)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < fx->sent->len; i++)
		g_string_append_printf(s, "%" G_GINT64_FORMAT " ", fx_sent(fx, i)->at);
	return g_string_free(s, FALSE);
}

static inline void fx_assert_first_line(Fx *fx, guint i, const char *expect)
{
	g_autofree char *line = fx_first_line(fx, i);

	g_assert_cmpstr(line, ==, expect);
}

static inline void fx_assert_times(Fx *fx, const char *expect)
{
	g_autofree char *t = fx_times(fx);

	g_assert_cmpstr(t, ==, expect);
}
