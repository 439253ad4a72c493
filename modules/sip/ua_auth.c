/* modules/sip/ua_auth.c: UAC digest authentication of out-of-dialog requests (RFC 3261
 * §22.2, §22.3, §8.1.3.5): on a 401/407 the request is sent again with the same Call-ID,
 * CSeq + 1, a new branch (sip_ua_send_request makes one) and the answers to every realm
 * challenged so far. It must not loop: a realm challenged again without stale=true means
 * wrong credentials, and that 401/407 goes to the caller; at most MAX_ROUNDS resends. */
#include "ua_auth.h"

#include <crossbar/sipdigest.h>
#include <openssl/crypto.h>
#include <string.h>

#define MAX_ROUNDS 4

typedef struct {
	char *realm;
	bool proxy;
	char *line; /* "Authorization: Digest ...\r\n" */
} Answer;

struct sip_auth_answers {
	SipCredentials *cred;
	GPtrArray *answers; /* Answer */
	guint rounds;
};

static void answer_free(gpointer data)
{
	Answer *a = data;

	g_free(a->realm);
	g_free(a->line);
	g_free(a);
}

SipAuthAnswers *sip_auth_answers_new(const SipCredentials *cred)
{
	SipAuthAnswers *aa = g_new0(SipAuthAnswers, 1);

	aa->cred = sip_credentials_dup(cred);
	aa->answers = g_ptr_array_new_with_free_func(answer_free);
	return aa;
}

void sip_auth_answers_free(SipAuthAnswers *aa)
{
	if (!aa)
		return;
	sip_credentials_free(aa->cred);
	g_ptr_array_unref(aa->answers);
	g_free(aa);
}

gboolean sip_auth_answers_update(SipAuthAnswers *aa, const struct sip_msg *resp, const char *method,
                                 const char *ruri)
{
	SipDigestChallenge ch;
	Answer *old = NULL;

	if (aa->rounds >= MAX_ROUNDS ||
	    sip_digest_challenge_pick(
	        resp, *sip_credentials_realm(aa->cred) ? sip_credentials_realm(aa->cred) : NULL,
	        &ch) < 0)
		return FALSE;
	bool proxy = ch.kind == SIP_DIGEST_PROXY;
	for (guint i = 0; i < aa->answers->len; i++) {
		Answer *a = aa->answers->pdata[i];
		if (a->proxy == proxy && strcmp(a->realm, ch.realm) == 0)
			old = a;
	}
	if (!sip_digest_challenge_worth_answering(&ch, old != NULL)) {
		sip_digest_challenge_clear(&ch);
		return FALSE;
	}
	const SipDigestAnswer ans = {
	    .username = sip_credentials_username(aa->cred),
	    .password = sip_credentials_password(aa->cred),
	    .method = method,
	    .uri = ruri,
	    .nc = 1,
	};
	g_autofree char *value = sip_digest_authorization(&ch, &ans);
	char *line =
	    g_strdup_printf("%s: %s\r\n", proxy ? "Proxy-Authorization" : "Authorization", value);
	if (old) {
		g_free(old->line);
		old->line = line;
	} else {
		Answer *a = g_new0(Answer, 1);
		a->realm = g_strdup(ch.realm);
		a->proxy = proxy;
		a->line = line;
		g_ptr_array_add(aa->answers, a);
	}
	sip_digest_challenge_clear(&ch);
	aa->rounds++;
	return TRUE;
}

void sip_auth_answers_append(const SipAuthAnswers *aa, GString *headers)
{
	for (guint i = 0; aa && i < aa->answers->len; i++)
		g_string_append(headers, ((Answer *)aa->answers->pdata[i])->line);
}

typedef struct {
	SipUa *ua;
	char *method, *ruri, *ctype, *body;
	size_t body_len;
	SipFlow to;
	char *headers; /* the caller's, without the CSeq line */
	guint32 cseq;
	SipAuthAnswers *auth;
	SipClientFunc func;
	void *user_data;
} AuthCall;

static void auth_call_free(AuthCall *c)
{
	g_free(c->method);
	g_free(c->ruri);
	g_free(c->ctype);
	g_free(c->body);
	g_free(c->headers);
	sip_auth_answers_free(c->auth);
	g_free(c);
}

/* Takes the CSeq line out of the caller's header lines; its number goes to *cseq. */
static char *strip_cseq(const char *headers, guint32 *cseq, bool *found)
{
	GString *out = g_string_new(NULL);
	const char *p = headers;

	*found = false;
	while (*p) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) + 2 : strlen(p);
		if (g_ascii_strncasecmp(p, "CSeq:", 5) == 0) {
			*cseq = (guint32)g_ascii_strtoull(p + 5, NULL, 10);
			*found = true;
		} else {
			g_string_append_len(out, p, (gssize)len);
		}
		p += len;
	}
	return g_string_free(out, FALSE);
}

static void auth_cb(const struct sip_msg *resp, int error, void *user_data);

static int auth_send(AuthCall *c)
{
	g_autoptr(GString) h = g_string_new(c->headers);

	g_string_append_printf(h, "CSeq: %u %s\r\n", c->cseq, c->method);
	sip_auth_answers_append(c->auth, h);
	return sip_ua_send_request(c->ua, c->method, c->ruri, &c->to, h->str, c->ctype, c->body,
	                           c->body_len, auth_cb, c);
}

static void auth_cb(const struct sip_msg *resp, int error, void *user_data)
{
	AuthCall *c = user_data;

	if (resp && (resp->status == 401 || resp->status == 407) &&
	    sip_auth_answers_update(c->auth, resp, c->method, c->ruri)) {
		c->cseq++;
		int rc = auth_send(c);
		if (rc == 0)
			return;
		c->func(NULL, rc, c->user_data);
		auth_call_free(c);
		return;
	}
	c->func(resp, error, c->user_data);
	if (!resp || resp->status >= 200)
		auth_call_free(c);
}

int sip_ua_send_request_auth(SipUa *ua, const SipRequest *req, SipClientFunc func, void *user_data)
{
	const SipCredentials *cred = req->credentials;
	AuthCall *c;
	bool found;
	int rc;

	SipFlow to;

	sip_flow_from_peer(&to, req->to);
	if (!cred || !*sip_credentials_username(cred))
		return sip_ua_send_request(ua, req->method, req->ruri, &to, req->headers,
		                           req->content_type, req->body, req->body_len, func,
		                           user_data);
	c = g_new0(AuthCall, 1);
	c->auth = sip_auth_answers_new(cred);
	c->headers = strip_cseq(req->headers ? req->headers : "", &c->cseq, &found);
	if (!found) {
		auth_call_free(c);
		return -EINVAL;
	}
	c->ua = ua;
	c->method = g_strdup(req->method);
	c->ruri = g_strdup(req->ruri);
	c->to = to;
	c->ctype = g_strdup(req->content_type);
	c->body = req->body ? g_memdup2(req->body, req->body_len) : NULL;
	c->body_len = req->body_len;
	c->func = func;
	c->user_data = user_data;
	rc = auth_send(c);
	if (rc < 0)
		auth_call_free(c);
	return rc;
}
