/* lib/sip/key.c: which transaction a message belongs to (RFC 3261 §17.1.3, §17.2.3, the
 * RFC 2543 fallback, §9.2 for CANCEL) and which dialog (§12). Builds keys as text to be used in
 * a hash table; it does not keep any table itself. */
#include <crossbar/sipmsg.h>

#include <string.h>

bool sip_msg_rfc3261_branch(const struct sip_msg *msg)
{
	const struct sip_pl *b = &msg->via.branch;

	return msg->nvia && msg->via.has_branch && b->l > 7 &&
	       memcmp(b->p, SIP_BRANCH_MAGIC, 7) == 0;
}

static void append_pl(GString *k, const struct sip_pl *pl)
{
	g_string_append_len(k, pl->p, (gssize)pl->l);
	g_string_append_c(k, '|');
}

static void append_pl_lower(GString *k, const struct sip_pl *pl)
{
	for (size_t i = 0; i < pl->l; i++)
		g_string_append_c(k, g_ascii_tolower(pl->p[i]));
	g_string_append_c(k, '|');
}

/* method_name: the method the transaction was created by. */
static int server_key(const struct sip_msg *msg, const struct sip_pl *method, GString *key)
{
	g_string_truncate(key, 0);
	if (sip_msg_rfc3261_branch(msg)) {
		/* §17.2.3: branch, sent-by, and the method (ACK counts as INVITE) */
		g_string_append(key, "3261|");
		append_pl(key, &msg->via.branch);
		append_pl_lower(key, &msg->via.host);
		g_string_append_printf(key, "%u|", msg->via.port);
		append_pl(key, method);
		return 0;
	}
	/* RFC 2543: Request-URI, To tag, From tag, Call-ID, CSeq, top Via. An ACK to a non-2xx
	 * carries the tag of our response, which its INVITE (unless a re-INVITE) did not: the
	 * To tag is left out of the key for every method so that both keys agree, and the
	 * transaction layer compares the ACK's To tag with its response's separately. */
	if (!msg->nvia || !msg->count[SIP_HDR_CALL_ID] || !msg->count[SIP_HDR_CSEQ])
		return -ENOENT;
	g_string_append(key, "2543|");
	append_pl(key, &msg->ruri_pl);
	g_string_append_c(key, '|');
	append_pl(key, &msg->from.tag);
	append_pl(key, &msg->call_id);
	g_string_append_printf(key, "%u|", msg->cseq.num);
	append_pl(key, method);
	append_pl(key, &msg->hdr[msg->first[SIP_HDR_VIA]].val);
	return 0;
}

static const struct sip_pl invite_pl = {"INVITE", 6};

int sip_msg_tx_key(const struct sip_msg *msg, bool server, GString *key)
{
	if (!server) {
		/* §17.1.3: a response matches the client transaction by branch and CSeq method */
		if (!msg->nvia || !msg->via.has_branch || !msg->count[SIP_HDR_CSEQ])
			return -ENOENT;
		g_string_truncate(key, 0);
		g_string_append(key, "3261|");
		append_pl(key, &msg->via.branch);
		append_pl(key, &msg->cseq.method_name);
		return 0;
	}
	if (!msg->is_request || !msg->nvia)
		return -ENOENT;
	return server_key(msg, msg->method == SIP_METHOD_ACK ? &invite_pl : &msg->method_name, key);
}

/* §9.2: the INVITE server transaction a CANCEL refers to. */
int sip_msg_cancel_key(const struct sip_msg *msg, GString *key)
{
	if (!msg->is_request || msg->method != SIP_METHOD_CANCEL || !msg->nvia)
		return -EINVAL;
	return server_key(msg, &invite_pl, key);
}

int sip_msg_dialog_id(const struct sip_msg *msg, bool uas, struct sip_dialog_id *id)
{
	if (!msg->count[SIP_HDR_CALL_ID] || !msg->count[SIP_HDR_FROM] || !msg->count[SIP_HDR_TO])
		return -ENOENT;
	id->call_id = msg->call_id;
	/* a UAS's local tag is the To tag; a UAC's is the From tag (§12.1.1, §12.1.2) */
	id->local_tag = uas ? msg->to.tag : msg->from.tag;
	id->remote_tag = uas ? msg->from.tag : msg->to.tag;
	return 0;
}

/* Call-ID and tags compare case-sensitively, octet by octet. */
bool sip_dialog_id_equal(const struct sip_dialog_id *a, const struct sip_dialog_id *b)
{
	return sip_pl_eq_pl(&a->call_id, &b->call_id) &&
	       sip_pl_eq_pl(&a->local_tag, &b->local_tag) &&
	       sip_pl_eq_pl(&a->remote_tag, &b->remote_tag);
}
