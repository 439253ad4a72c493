/* merged.h: the UA core's memory of recent requests for merged-request detection (RFC 3261
 * §8.2.2.2): a request with the From tag, Call-ID and CSeq of one seen lately but another
 * top Via branch reached us twice through a fork upstream and gets 482.
 *
 * What a request may send in those fields is up to 64 KB, so the table keeps no text of
 * it: each entry is a keyed 128-bit SipHash of the key and one of the branch (a fixed
 * 64 bytes or so, however large the request). The hash key is random per table, so a
 * sender cannot make two keys collide on purpose; a chance collision (2^-128 per pair)
 * would answer a legitimate request 482. Entries expire by age (max_age_ms, 64*T1, as long
 * as a transaction can live) and the table holds at most max_entries: past it the oldest
 * entry goes, so a flood can only shorten how long a key is remembered, never grow memory.
 */
#pragma once

#include <glib.h>

#include <crossbar/sipmsg.h>

typedef struct sip_merged SipMerged;

/* max_entries 0: SIP_MERGED_MAX_ENTRIES. NULL if OpenSSL has no SipHash. */
#define SIP_MERGED_MAX_ENTRIES 131072
SipMerged *sip_merged_new(guint max_entries, gint64 max_age_ms);
void sip_merged_free(SipMerged *m);
/* TRUE when req is a merged request (§8.2.2.2): one with the same From tag, Call-ID and
 * CSeq arrived within max_age_ms with another branch. Remembers req's otherwise. Requests
 * the check does not apply to (with a To tag, without From tag or branch, ACK, CANCEL)
 * are never merged and not remembered. now: the core's clock (ms). */
gboolean sip_merged_check(SipMerged *m, const struct sip_msg *req, gint64 now);
/* Forget the entries older than max_age_ms. */
void sip_merged_expire(SipMerged *m, gint64 now);
guint sip_merged_count(const SipMerged *m);
guint sip_merged_max(const SipMerged *m);
/* Bytes the table holds, entries and hash table slots, roughly. */
gsize sip_merged_bytes(const SipMerged *m);
