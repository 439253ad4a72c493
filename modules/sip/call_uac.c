/* call_uac.c: the INVITE sessions we place (RFC 3261 §13.2): the INVITE, its rounds with
 * digest answers for 401/407, provisional responses and early dialogs, and the 2xx of one
 * fork or of several (§13.2.2.4). CANCEL is call_cancel.c's, the ACK call_ack.c's. */
#include "call_private.h"

#include <errno.h>
#include <string.h>

static int send_invite_round(SipCall *c)
{
	g_autoptr(GString) h = g_string_new(c->invite_headers->str);
	Pending *pd = call_pending_new(c, "INVITE");
	int rc;

	g_string_append_printf(h, "CSeq: %u INVITE\r\n", c->cseq);
	sip_auth_answers_append(c->auth, h);
	pd->initial = TRUE;
	rc = call_pending_send(c, pd, c->ruri, h->str, c->ctype, c->body, c->body_len);
	if (rc == 0) {
		c->invite = pd;
		c->provisional = FALSE;
	}
	return rc;
}

/* §13.2.2.4: a second fork answered an INVITE already answered: ACK it and end it. */
static void end_other_fork(SipCall *c, Pending *pd, const struct sip_msg *resp)
{
	g_autoptr(SipDialog) other = NULL;

	if (sip_dialog_new_uac(&other, sip_tx_request(pd->tx), resp, NULL, NULL) < 0)
		return;
	call_ack_send(c, other, resp->cseq.num, NULL, NULL, NULL, 0);
	xb_info("call %s: a second fork answered; sending it BYE", c->call_id);
	Pending *bye = NULL;
	if (call_dialog_send(c, other, "BYE", NULL, NULL, NULL, 0, NULL, &bye) == 0)
		bye->other_fork = TRUE; /* its answers are not the call's */
}

/* A 2xx to the initial INVITE (first copy, retransmission, or another fork's). */
static void uac_2xx(SipCall *c, Pending *pd, const struct sip_msg *resp)
{
	struct sip_dialog_id id;
	int rc;

	if (c->dlg) {
		sip_dialog_id(c->dlg, &id);
		if (!sip_pl_eq_pl(&id.remote_tag, &resp->to.tag)) {
			if (c->state != CALL_CONFIRMED) {
				/* Another fork than the one that rang answered first: its dialog
				 * is the call's; the early one is over (§13.2.2.4). */
				sip_dialog_table_remove(c->calls->dialogs, c->dlg);
				g_clear_pointer(&c->dlg, sip_dialog_unref);
			} else {
				end_other_fork(c, pd, resp);
				return;
			}
		}
	}
	if (pd->acked || pd->ack_held) {
		if (pd->acked)
			call_ack_resend(c, resp->cseq.num);
		return;
	}
	if (c->dlg) {
		sip_dialog_uac_response(c->dlg, resp);
	} else {
		rc = sip_dialog_new_uac(&c->dlg, sip_tx_request(pd->tx), resp, NULL, c);
		if (rc == 0)
			rc = sip_dialog_table_add(c->calls->dialogs, c->dlg);
		if (rc < 0) {
			xb_info("call %s: a 2xx that makes no dialog: %s", c->call_id,
			        g_strerror(-rc));
			call_emit(c, SIP_CALL_FAILED, resp, NULL, rc);
			call_end(c);
			return;
		}
	}
	xb_timer_clear(&c->cancel_timer);
	if (c->cancel != CALL_CANCEL_NONE) {
		/* The 2xx crossed our CANCEL (§9.1): the call is up; end it. */
		pd->acked = TRUE;
		call_ack_send(c, c->dlg, resp->cseq.num, &c->ack, NULL, NULL, 0);
		call_bye_send(c);
		call_end(c);
		return;
	}
	c->state = CALL_CONFIRMED;
	call_ack_or_hold(c, pd, resp);
	call_emit(c, SIP_CALL_ANSWERED, resp, NULL, 0);
}

void call_uac_response(SipCall *c, Pending *pd, const struct sip_msg *resp, int error)
{
	if (c->state == CALL_ENDED) {
		/* A copy of the 2xx that we ACKed (and BYEd, after a CANCEL): ACK it again. */
		if (resp && resp->status >= 200 && resp->status < 300 && pd->acked)
			call_ack_resend(c, resp->cseq.num);
		return;
	}
	if (!resp) {
		call_emit(c, SIP_CALL_FAILED, NULL, NULL, error);
		call_end(c);
		return;
	}
	if (resp->status < 200) {
		c->provisional = TRUE;
		if (c->cancel != CALL_CANCEL_NONE)
			call_cancel_send(c);
		if (resp->status > 100 && resp->to.has_tag && !c->dlg &&
		    sip_dialog_new_uac(&c->dlg, sip_tx_request(pd->tx), resp, NULL, c) == 0) {
			sip_dialog_table_add(c->calls->dialogs, c->dlg);
			c->state = CALL_EARLY;
		}
		if (resp->status > 100)
			call_emit(c, SIP_CALL_PROGRESS, resp, NULL, 0);
		return;
	}
	if (resp->status < 300) {
		uac_2xx(c, pd, resp);
		return;
	}
	if ((resp->status == 401 || resp->status == 407) && c->auth &&
	    c->cancel == CALL_CANCEL_NONE &&
	    sip_auth_answers_update(c->auth, resp, "INVITE", c->ruri)) {
		if (c->dlg) { /* an early dialog of the challenged round is over */
			sip_dialog_table_remove(c->calls->dialogs, c->dlg);
			g_clear_pointer(&c->dlg, sip_dialog_unref);
		}
		c->cseq++;
		int rc = send_invite_round(c);
		if (rc == 0)
			return;
		call_emit(c, SIP_CALL_FAILED, NULL, NULL, rc);
		call_end(c);
		return;
	}
	call_emit(c, SIP_CALL_FAILED, resp, NULL, 0);
	call_end(c);
}

/* A display name as a quoted-string (§25.1): '"' and '\\' escaped, control characters
 * (CR, LF: header injection) dropped. */
static char *quoted_display(const char *name)
{
	GString *q = g_string_new("\"");

	for (const char *p = name; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			g_string_append_c(q, '\\');
		g_string_append_c(q, *p);
	}
	g_string_append_c(q, '"');
	return g_string_free(q, FALSE);
}

SipCall *sip_call_place(SipCalls *calls, const SipRequest *p, SipCallFunc func, void *user_data,
                        int *error)
{
	if (!p->ruri || !p->to || !p->from_uri) {
		*error = -EINVAL;
		return NULL;
	}
	SipCall *c = call_new(calls, FALSE);
	g_autofree char *contact = NULL;
	const char *allow = sip_ua_allow(calls->ua);

	sip_flow_from_peer(&c->peer, p->to);
	c->secure = g_str_has_prefix(p->ruri, "sips:");
	c->func = func;
	c->user_data = user_data;
	c->state = CALL_CALLING;
	g_autofree char *id = xb_random_hex_new(16);
	c->call_id = g_strdup_printf("%s@%s", id, sip_ua_domain(calls->ua));
	c->local_tag = xb_random_hex_new(16);
	c->ruri = g_strdup(p->ruri);
	c->ctype = g_strdup(p->content_type);
	c->body = p->body ? g_memdup2(p->body, p->body_len) : NULL;
	c->body_len = p->body_len;
	c->max_forwards = p->max_forwards;
	c->cseq = (guint32)g_random_int_range(1, 1 << 30); /* §8.1.1.5 */
	if (p->credentials && *sip_credentials_username(p->credentials)) {
		c->cred = sip_credentials_dup(p->credentials);
		c->auth = sip_auth_answers_new(c->cred);
	}
	contact = call_contact_value(c);
	c->invite_headers = g_string_new(NULL);
	if (p->from_display && *p->from_display) {
		g_autofree char *display = quoted_display(p->from_display);
		g_string_append_printf(c->invite_headers, "From: %s <%s>;tag=%s\r\n", display,
		                       p->from_uri, c->local_tag);
	} else {
		g_string_append_printf(c->invite_headers, "From: <%s>;tag=%s\r\n", p->from_uri,
		                       c->local_tag);
	}
	g_string_append_printf(c->invite_headers,
	                       "To: <%s>\r\nCall-ID: %s\r\nContact: %s\r\nAllow: %s\r\n%s",
	                       p->to_uri ? p->to_uri : p->ruri, c->call_id, contact, allow,
	                       p->headers ? p->headers : "");
	*error = send_invite_round(c);
	if (*error < 0) {
		call_end(c);
		sip_call_unref(c);
		return NULL;
	}
	return c;
}
