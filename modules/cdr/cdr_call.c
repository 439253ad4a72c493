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

/* The details of an event that a record takes (NULL or 0 when absent), read in one pass
 * over its a{sv}: a look-up by key walks the dictionary each time, and a dozen of them an
 * event cost more than the rest of the call's signalling. The strings point into the
 * event's payload. */
typedef struct {
	const char *bridge_uuid, *originator_uuid, *direction, *driver, *gateway;
	const char *caller_id_number, *caller_id_name, *destination_number, *context;
	gint64 created_s, answered_s, ended_s;
	guint sip_status;
} Details;

/* A {sv} entry's key. Serialised, an entry begins with its key string and its NUL (the
 * GVariant specification's layout of a tuple whose first member is a string), which
 * spares a GVariant for every key, most of which the record does not take; otherwise, or
 * if no NUL is there, the key's own GVariant (into *k). */
static const char *entry_key(GVariant *entry, GVariant **k)
{
	const char *data = g_variant_get_data(entry);
	gsize size = g_variant_get_size(entry);

	if (data && memchr(data, '\0', size))
		return data;
	*k = g_variant_get_child_value(entry, 0);
	return g_variant_get_string(*k, NULL);
}

/* d is borrowed from the payload, which outlives det. As g_variant_lookup() would, the
 * first entry of a key counts, and a value of an unexpected type leaves the field unset. */
static void details_read(Details *det, GVariant *d)
{
	enum { STR, SECONDS, U32 };
	static const struct {
		const char *key;
		int kind;
		gsize off;
	} fields[] = {
	    {"bridge_uuid", STR, G_STRUCT_OFFSET(Details, bridge_uuid)},
	    {"originator_uuid", STR, G_STRUCT_OFFSET(Details, originator_uuid)},
	    {"direction", STR, G_STRUCT_OFFSET(Details, direction)},
	    {"driver", STR, G_STRUCT_OFFSET(Details, driver)},
	    {"gateway", STR, G_STRUCT_OFFSET(Details, gateway)},
	    {"caller_id_number", STR, G_STRUCT_OFFSET(Details, caller_id_number)},
	    {"caller_id_name", STR, G_STRUCT_OFFSET(Details, caller_id_name)},
	    {"destination_number", STR, G_STRUCT_OFFSET(Details, destination_number)},
	    {"context", STR, G_STRUCT_OFFSET(Details, context)},
	    {"created_us", SECONDS, G_STRUCT_OFFSET(Details, created_s)},
	    {"answered_us", SECONDS, G_STRUCT_OFFSET(Details, answered_s)},
	    {"ended_us", SECONDS, G_STRUCT_OFFSET(Details, ended_s)},
	    {"sip_status", U32, G_STRUCT_OFFSET(Details, sip_status)},
	};
	gsize n = g_variant_n_children(d);
	guint32 seen = 0;

	memset(det, 0, sizeof(*det));
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) entry = g_variant_get_child_value(d, i);
		g_autoptr(GVariant) k = NULL;
		const char *key = entry_key(entry, &k);
		guint j;

		for (j = 0; j < G_N_ELEMENTS(fields); j++)
			if (strcmp(key, fields[j].key) == 0)
				break;
		if (j == G_N_ELEMENTS(fields) || (seen & 1u << j))
			continue;
		seen |= 1u << j;

		g_autoptr(GVariant) boxed = g_variant_get_child_value(entry, 1);
		g_autoptr(GVariant) v = g_variant_get_variant(boxed);
		gpointer field = G_STRUCT_MEMBER_P(det, fields[j].off);

		if (fields[j].kind == STR && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
			*(const char **)field = g_variant_get_string(v, NULL);
		else if (fields[j].kind == SECONDS && g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
			*(gint64 *)field = g_variant_get_int64(v) / G_USEC_PER_SEC;
		else if (fields[j].kind == U32 && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
			*(guint *)field = g_variant_get_uint32(v);
	}
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

static gboolean apply_a(Call *c, const char *state, const char *cause, const Details *d)
{
	CdrRecord *r = c->rec;
	gboolean changed = FALSE;

	changed |= set_str(&r->direction, d->direction);
	changed |= set_str(&r->driver, d->driver);
	changed |= set_str(&r->caller_id_number, d->caller_id_number);
	changed |= set_str(&r->caller_id_name, d->caller_id_name);
	changed |= set_str(&r->destination_number, d->destination_number);
	changed |= set_str(&r->context, d->context);
	if (d->created_s)
		changed |= set_int(&r->start_time, d->created_s);
	if (d->answered_s)
		changed |= set_int(&r->answer_time, d->answered_s);
	if (known_cause(cause))
		changed |= set_str(&r->hangup_cause, cause);
	if (d->sip_status)
		changed |= set_uint(&r->sip_status, d->sip_status);
	if (d->bridge_uuid && *d->bridge_uuid)
		leg_get(c, d->bridge_uuid)->bridged = TRUE;
	if (strcmp(state, xb_channel_state_name(XB_CHANNEL_GONE)) == 0 && !r->end_time) {
		cdr_record_set_end(r, d->ended_s ? d->ended_s : xb_clock_wall_s());
		changed = TRUE;
	}
	return pick_b(c) || changed;
}

static gboolean apply_b(Cdr *cdr, Call *c, const char *uuid, const char *cause, const Details *d)
{
	Leg *leg = leg_get(c, uuid);

	leg->seq = ++cdr->seq;
	set_str(&leg->driver, d->driver);
	set_str(&leg->gateway, d->gateway);
	if (known_cause(cause))
		set_str(&leg->cause, cause);
	if (d->sip_status)
		leg->sip_status = d->sip_status;
	if (d->answered_s)
		leg->answered = TRUE;
	if (g_strcmp0(d->bridge_uuid, c->rec->uuid) == 0)
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
	g_autoptr(GVariant) v_uuid = NULL, v_state = NULL, v_cause = NULL, d = NULL;
	g_autoptr(GError) error = NULL;
	gboolean fresh, changed, ok = TRUE;
	Details det;
	Call *c;

	if (!g_variant_is_of_type(payload, G_VARIANT_TYPE("(sssa{sv})")))
		return;
	/* Child by child: g_variant_get() with "&s" would serialise the whole payload first. */
	uuid = g_variant_get_string(v_uuid = g_variant_get_child_value(payload, 0), NULL);
	state = g_variant_get_string(v_state = g_variant_get_child_value(payload, 1), NULL);
	cause = g_variant_get_string(v_cause = g_variant_get_child_value(payload, 2), NULL);
	d = g_variant_get_child_value(payload, 3);
	details_read(&det, d);
	origin = det.originator_uuid;
	if (origin && !*origin)
		origin = NULL;
	c = call_for(cdr, origin ? origin : uuid, origin != NULL, &fresh);
	changed = origin ? apply_b(cdr, c, uuid, cause, &det) : apply_a(c, state, cause, &det);
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
