/* merged.c: the bounded merged-request table (RFC 3261 §8.2.2.2) described in merged.h.
 * Entries sit in a hash set (by the keyed hash) and in a queue by arrival, oldest first,
 * which is also their order of expiry; every operation is O(1) amortised. It must not
 * keep any text of a request. */
#include "merged.h"

#include <crossbar/random.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <string.h>

typedef struct {
	guint8 key[16];    /* SipHash-128 of From tag, Call-ID, CSeq number and method */
	guint8 branch[16]; /* SipHash-128 of the top Via branch */
	gint64 at;         /* when first seen */
	GList link;        /* in SipMerged.order; data = the entry */
} Entry;

struct sip_merged {
	GHashTable *set; /* Entry * (hash and equality on Entry.key) */
	GQueue order;    /* Entry links, oldest first */
	guint max_entries;
	gint64 max_age;
	guint8 secret[16];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

static guint entry_hash(gconstpointer p)
{
	guint h;

	memcpy(&h, ((const Entry *)p)->key, sizeof(h)); /* already keyed and uniform */
	return h;
}

static gboolean entry_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(((const Entry *)a)->key, ((const Entry *)b)->key, 16) == 0;
}

SipMerged *sip_merged_new(guint max_entries, gint64 max_age_ms)
{
	SipMerged *m = g_new0(SipMerged, 1);

	m->max_entries = max_entries ? max_entries : SIP_MERGED_MAX_ENTRIES;
	m->max_age = max_age_ms;
	m->set = g_hash_table_new_full(entry_hash, entry_equal, NULL, g_free);
	xb_random_bytes(m->secret, sizeof(m->secret));
	if (!(m->mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL)) ||
	    !(m->ctx = EVP_MAC_CTX_new(m->mac))) {
		sip_merged_free(m);
		return NULL;
	}
	return m;
}

void sip_merged_free(SipMerged *m)
{
	if (!m)
		return;
	g_queue_init(&m->order); /* its links are inside the entries: never g_queue_clear */
	g_hash_table_unref(m->set);
	EVP_MAC_CTX_free(m->ctx);
	EVP_MAC_free(m->mac);
	OPENSSL_cleanse(m->secret, sizeof(m->secret));
	g_free(m);
}

/* SipHash-128 of the slices, each prefixed with its length so that no two different lists
 * of slices feed the same octets. */
static gboolean digest(SipMerged *m, const struct sip_pl *parts, int n, guint8 out[16])
{
	size_t size = 16, outl = 0;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
	                       OSSL_PARAM_construct_end()};

	if (!EVP_MAC_init(m->ctx, m->secret, sizeof(m->secret), params))
		return FALSE;
	for (int i = 0; i < n; i++) {
		guint32 l = (guint32)parts[i].l;

		if (!EVP_MAC_update(m->ctx, (const unsigned char *)&l, sizeof(l)) ||
		    (l && !EVP_MAC_update(m->ctx, (const unsigned char *)parts[i].p, l)))
			return FALSE;
	}
	return EVP_MAC_final(m->ctx, out, &outl, 16) && outl == 16;
}

static void drop(SipMerged *m, Entry *e)
{
	g_queue_unlink(&m->order, &e->link);
	g_hash_table_remove(m->set, e); /* frees it */
}

void sip_merged_expire(SipMerged *m, gint64 now)
{
	GList *head;

	while ((head = m->order.head) && ((Entry *)head->data)->at <= now - m->max_age)
		drop(m, head->data);
}

gboolean sip_merged_check(SipMerged *m, const struct sip_msg *req, gint64 now)
{
	char num[12];
	Entry probe, *e;

	if (req->to.has_tag || !req->from.has_tag || req->method == SIP_METHOD_ACK ||
	    req->method == SIP_METHOD_CANCEL || !req->via.has_branch)
		return FALSE;
	g_snprintf(num, sizeof(num), "%u", req->cseq.num);
	const struct sip_pl key[] = {req->from.tag, req->call_id, sip_pl_str(num),
	                             req->cseq.method_name};
	if (!digest(m, key, G_N_ELEMENTS(key), probe.key) ||
	    !digest(m, &req->via.branch, 1, probe.branch))
		return FALSE; /* cannot tell: never answer 482 on a guess */
	sip_merged_expire(m, now);
	e = g_hash_table_lookup(m->set, &probe);
	if (e)
		return memcmp(e->branch, probe.branch, 16) != 0;
	if (g_hash_table_size(m->set) >= m->max_entries && m->order.head)
		drop(m, m->order.head->data);
	e = g_memdup2(&probe, sizeof(probe));
	e->at = now;
	e->link = (GList){.data = e};
	g_queue_push_tail_link(&m->order, &e->link);
	g_hash_table_add(m->set, e);
	return FALSE;
}

guint sip_merged_count(const SipMerged *m)
{
	return g_hash_table_size(m->set);
}

guint sip_merged_max(const SipMerged *m)
{
	return m->max_entries;
}

gsize sip_merged_bytes(const SipMerged *m)
{
	/* an allocation per entry with malloc's 16 octets, and about two slots of a hash and
	 * a pointer per entry in GHashTable (which keeps a load factor between 1/4 and 1/2 and
	 * shares keys and values for a set) */
	return g_hash_table_size(m->set) *
	       (sizeof(Entry) + 16 + 2 * (sizeof(guint) + sizeof(void *)));
}
