/* cdr_call.c: from channel state events to one record per call. A leg without an
 * originator_uuid is an A-leg, and its uuid is the call's; a placed leg's originator_uuid
 * names its A-leg. The record takes the A-leg's caller, callee, context, times and cause,
 * and one B-leg's uuid, cause, SIP status and gateway: the leg bridged to A, else the one
 * that answered, else the last leg tried (the one whose event came last: the last of a
 * hunt group, the last to give up in a ring group).
 *
 *   first event of a call ──> the record is inserted, committed before anything else
 *   later events ──> rewritten when something in it changed (the store's write window)
 *   A-leg gone ──> end, duration and billsec; the call leaves memory
 *   an event of a call no longer in memory (a B-leg ending after its A-leg) ──> the
 *   record is read back from the store, amended and written again
 *
 * Why the insert commits at once and the rest waits for a window: a record must outlive a
 * crash from the start of its call, while a call's later writes (four to six) are many and
 * a lost one costs only precision (the next start closes the record with what it holds).
 * The insert is on disk before any later event of the call is handled, the answer's
 * included. That it is on disk before the answer goes out on the wire is likely, not
 * certain: events reach modules through the bus after the change they describe, from an
 * idle source of the main loop. A call its dialplan answers at once is answered one turn of
 * the loop before its first event is delivered; a B-leg's answer comes over the network,
 * normally long after that turn, but a loop busy with sockets serves them before its idle
 * sources. Memory holds only the calls whose A-leg is up. */
#include "cdr.h"

#include <string.h>

typedef struct {
	char *uuid;
	char *driver;
	char *gateway;
	char *cause; /* "" until known */
	guint sip_status;
	gboolean answered;
	gboolean bridged; /* bridged to the A-leg (or the B-leg a stored record names) */
	guint64 seq;      /* when its last event came */
} Leg;

typedef struct {
	CdrRecord *rec;
	GHashTable *legs; /* uuid -> Leg * */
} Call;

struct cdr {
	XbModule *owner;
	CdrStore *store;
	char *node;
	GHashTable *calls; /* the call's uuid -> Call *, while its A-leg is up */
	XbTimer *heartbeat;
	guint64 seq;
	gboolean failing; /* the last write failed (warned once until one succeeds) */
};

static void leg_free(gpointer data)
{
	Leg *leg = data;

	g_free(leg->uuid);
	g_free(leg->driver);
	g_free(leg->gateway);
	g_free(leg->cause);
	g_free(leg);
}

static void call_free(gpointer data)
{
	Call *c = data;

	cdr_record_free(c->rec);
	g_hash_table_unref(c->legs);
	g_free(c);
}

static Leg *leg_get(Call *c, const char *uuid)
{
	Leg *leg = g_hash_table_lookup(c->legs, uuid);

	if (!leg) {
		leg = g_new0(Leg, 1);
		leg->uuid = g_strdup(uuid);
		leg->driver = g_strdup("");
		leg->gateway = g_strdup("");
		leg->cause = g_strdup("");
		g_hash_table_insert(c->legs, leg->uuid, leg);
	}
	return leg;
}

static Call *call_new(CdrRecord *rec)
{
	Call *c = g_new0(Call, 1);

	c->rec = rec;
	c->legs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, leg_free);
	/* A stored record's B-leg was chosen with more known than a late event brings. */
	if (*rec->b_uuid) {
		Leg *leg = leg_get(c, rec->b_uuid);
		g_free(leg->driver);
		leg->driver = g_strdup(rec->b_driver);
		g_free(leg->gateway);
		leg->gateway = g_strdup(rec->gateway);
		g_free(leg->cause);
		leg->cause = g_strdup(rec->b_hangup_cause);
		leg->sip_status = rec->b_sip_status;
		leg->bridged = TRUE;
	}
	return c;
}

/* ---- what an event says ---- */

static const char *detail(GVariant *d, const char *key)
{
	const char *s;

	return g_variant_lookup(d, key, "&s", &s) ? s : NULL;
}

static gint64 detail_s(GVariant *d, const char *key)
{
	gint64 us = 0;

	g_variant_lookup(d, key, "x", &us);
	return us / G_USEC_PER_SEC;
}

static gboolean known_cause(const char *cause)
{
	return cause && *cause && strcmp(cause, "NONE") != 0;
}

/* Each setter says whether the field changed; NULL keeps what is there. */
static gboolean set_str(char **field, const char *v)
{
	if (!v || g_strcmp0(*field, v) == 0)
		return FALSE;
	g_free(*field);
	*field = g_strdup(v);
	return TRUE;
}

static gboolean set_int(gint64 *field, gint64 v)
{
	if (*field == v)
		return FALSE;
	*field = v;
	return TRUE;
}

static gboolean set_uint(guint *field, guint v)
{
	if (*field == v)
		return FALSE;
	*field = v;
	return TRUE;
}

static int leg_rank(const Leg *leg)
{
	return leg->bridged ? 2 : leg->answered ? 1 : 0;
}

/* The B-leg the record names (see the file's head). */
static gboolean pick_b(Call *c)
{
	CdrRecord *r = c->rec;
	GHashTableIter it;
	Leg *leg, *best = NULL;
	gboolean changed = FALSE;

	g_hash_table_iter_init(&it, c->legs);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&leg))
		if (!best || leg_rank(leg) > leg_rank(best) ||
		    (leg_rank(leg) == leg_rank(best) && leg->seq > best->seq))
			best = leg;
	if (!best)
		return FALSE;
	changed |= set_str(&r->b_uuid, best->uuid);
	changed |= set_str(&r->b_driver, best->driver);
	changed |= set_str(&r->b_hangup_cause, best->cause);
	changed |= set_uint(&r->b_sip_status, best->sip_status);
	changed |= set_str(&r->gateway, best->gateway);
	return changed;
}

static gboolean apply_a(Call *c, const char *state, const char *cause, GVariant *d)
{
	CdrRecord *r = c->rec;
	gboolean changed = FALSE;
	const char *bridge = detail(d, "bridge_uuid");
	guint status = 0;
	gint64 t;

	changed |= set_str(&r->direction, detail(d, "direction"));
	changed |= set_str(&r->driver, detail(d, "driver"));
	changed |= set_str(&r->caller_id_number, detail(d, "caller_id_number"));
	changed |= set_str(&r->caller_id_name, detail(d, "caller_id_name"));
	changed |= set_str(&r->destination_number, detail(d, "destination_number"));
	changed |= set_str(&r->context, detail(d, "context"));
	if ((t = detail_s(d, "created_us")))
		changed |= set_int(&r->start_time, t);
	if ((t = detail_s(d, "answered_us")))
		changed |= set_int(&r->answer_time, t);
	if (known_cause(cause))
		changed |= set_str(&r->hangup_cause, cause);
	if (g_variant_lookup(d, "sip_status", "u", &status) && status)
		changed |= set_uint(&r->sip_status, status);
	if (bridge && *bridge)
		leg_get(c, bridge)->bridged = TRUE;
	if (strcmp(state, xb_channel_state_name(XB_CHANNEL_GONE)) == 0 && !r->end_time) {
		t = detail_s(d, "ended_us");
		cdr_record_set_end(r, t ? t : xb_clock_wall_s());
		changed = TRUE;
	}
	return pick_b(c) || changed;
}

static gboolean apply_b(Cdr *cdr, Call *c, const char *uuid, const char *cause, GVariant *d)
{
	Leg *leg = leg_get(c, uuid);
	guint status = 0;

	leg->seq = ++cdr->seq;
	set_str(&leg->driver, detail(d, "driver"));
	set_str(&leg->gateway, detail(d, "gateway"));
	if (known_cause(cause))
		set_str(&leg->cause, cause);
	if (g_variant_lookup(d, "sip_status", "u", &status) && status)
		leg->sip_status = status;
	if (detail_s(d, "answered_us"))
		leg->answered = TRUE;
	if (g_strcmp0(detail(d, "bridge_uuid"), c->rec->uuid) == 0)
		leg->bridged = TRUE;
	return pick_b(c);
}

/* ---- writes ---- */

static void write_done(Cdr *cdr, gboolean ok, GError *error, const char *uuid)
{
	if (ok) {
		if (cdr->failing)
			xb_notice("cdr: records are written again");
		cdr->failing = FALSE;
		return;
	}
	if (!cdr->failing)
		xb_warning("cdr: the record of call %s was not written: %s (later failures are "
		           "not logged until a write succeeds)",
		           uuid, error ? error->message : "unknown error");
	cdr->failing = TRUE;
}

/* The call an event belongs to: in memory, else read back from the store when `look` (a
 * B-leg's event: its call may have ended first), else new (*fresh). An A-leg's first event
 * is its call's first. */
static Call *call_for(Cdr *cdr, const char *uuid, gboolean look, gboolean *fresh)
{
	Call *c = g_hash_table_lookup(cdr->calls, uuid);
	g_autoptr(GError) error = NULL;
	gboolean ambiguous;
	CdrRecord *rec = NULL;

	*fresh = FALSE;
	if (c)
		return c;
	if (look)
		rec = cdr->store->find(cdr->store, uuid, &ambiguous, &error);
	if (rec && strcmp(rec->uuid, uuid) != 0)
		g_clear_pointer(&rec, cdr_record_free);
	if (error)
		xb_warning("cdr: reading call %s: %s", uuid, error->message);
	if (!rec) {
		*fresh = TRUE;
		rec = cdr_record_new();
		set_str(&rec->uuid, uuid);
		set_str(&rec->node, cdr->node);
		rec->start_time = xb_clock_wall_s();
	}
	c = call_new(rec);
	g_hash_table_insert(cdr->calls, rec->uuid, c);
	return c;
}

void cdr_channel_event(Cdr *cdr, GVariant *payload)
{
	const char *uuid, *state, *cause, *origin;
	g_autoptr(GVariant) d = NULL;
	g_autoptr(GError) error = NULL;
	gboolean fresh, changed, ok = TRUE;
	Call *c;

	if (!g_variant_is_of_type(payload, G_VARIANT_TYPE("(sssa{sv})")))
		return;
	g_variant_get(payload, "(&s&s&s@a{sv})", &uuid, &state, &cause, &d);
	origin = detail(d, "originator_uuid");
	if (origin && !*origin)
		origin = NULL;
	c = call_for(cdr, origin ? origin : uuid, origin != NULL, &fresh);
	changed = origin ? apply_b(cdr, c, uuid, cause, d) : apply_a(c, state, cause, d);
	if (fresh)
		ok = cdr->store->insert(cdr->store, c->rec, &error);
	else if (changed)
		ok = cdr->store->update(cdr->store, c->rec, &error);
	write_done(cdr, ok, error, c->rec->uuid);
	if (c->rec->end_time)
		g_hash_table_remove(cdr->calls, c->rec->uuid);
}

guint cdr_live_calls(Cdr *cdr)
{
	return g_hash_table_size(cdr->calls);
}

CdrStore *cdr_store(Cdr *cdr)
{
	return cdr->store;
}

/* ---- heartbeat and life cycle ---- */

static void heartbeat_cb(XbTimer *t, gpointer user_data)
{
	Cdr *cdr = user_data;
	g_autoptr(GError) error = NULL;

	cdr->heartbeat = xb_timer_start(cdr->owner, CDR_HEARTBEAT_S * 1000, heartbeat_cb, cdr);
	if (!cdr->store->heartbeat(cdr->store, cdr->node, xb_clock_wall_s(), &error))
		xb_warning("cdr: heartbeat: %s", error->message);
}

Cdr *cdr_new(XbModule *owner, CdrStore *store, const char *node, GError **error)
{
	Cdr *cdr;
	int closed = store->close_open(store, node, error);

	if (closed < 0 || !store->heartbeat(store, node, xb_clock_wall_s(), error) ||
	    !store->flush(store, error)) {
		store->free(store);
		return NULL;
	}
	if (closed > 0)
		xb_notice("cdr: closed %d call record%s that a run which did not stop cleanly left "
		          "open (closed_by_restart)",
		          closed, closed == 1 ? "" : "s");
	cdr = g_new0(Cdr, 1);
	cdr->owner = owner;
	cdr->store = store;
	cdr->node = g_strdup(node);
	cdr->calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, call_free);
	cdr->heartbeat = xb_timer_start(owner, CDR_HEARTBEAT_S * 1000, heartbeat_cb, cdr);
	return cdr;
}

void cdr_free(Cdr *cdr)
{
	GHashTableIter it;
	Call *c;
	g_autoptr(GError) error = NULL;
	gint64 now = xb_clock_wall_s();

	if (!cdr)
		return;
	g_hash_table_iter_init(&it, cdr->calls);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&c)) {
		g_autoptr(GError) werr = NULL;
		if (!*c->rec->hangup_cause)
			set_str(&c->rec->hangup_cause, xb_cause_name(XB_CAUSE_NORMAL_CLEARING));
		cdr_record_set_end(c->rec, now);
		if (!cdr->store->update(cdr->store, c->rec, &werr))
			xb_warning("cdr: closing call %s: %s", c->rec->uuid, werr->message);
	}
	if (!cdr->store->flush(cdr->store, &error))
		xb_warning("cdr: %s", error->message);
	xb_timer_clear(&cdr->heartbeat);
	g_hash_table_unref(cdr->calls);
	cdr->store->free(cdr->store);
	g_free(cdr->node);
	g_free(cdr);
}
