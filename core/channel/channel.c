/* channel.c: the core's side of a call leg: identity, state, variables, session descriptions,
 * the hang-up cause, the table of live channels, and the routing of a driver's events to the
 * channel's controller (the dialplan or a bridge). This file must not learn any protocol:
 * what a leg does on the wire is its driver's (see crossbar/channel.h for the contract). */
#include "channel_private.h"

#include <errno.h>
#include <string.h>

static GHashTable *live;  /* uuid -> XbChannel * (a reference each) */
static GQueue live_order; /* XbChannel *, oldest first (no references) */

GQuark xb_channel_error_quark(void)
{
	return g_quark_from_static_string("xb-channel-error-quark");
}

void xb_channel_init(void)
{
	xb_event_type_register(XB_EVENT_CHANNEL_STATE, "(sssa{sv})");
	xb_event_type_register(XB_EVENT_CHANNEL_DTMF, "(ss)");
	xb_event_type_register(XB_EVENT_CHANNEL_TRANSFER, "(ssssu)");
	if (!live)
		live = g_hash_table_new(g_str_hash, g_str_equal);
}

static void channel_clear(gpointer data)
{
	XbChannel *ch = data;

	if (ch->driver && ch->driver->free_pvt && ch->pvt)
		ch->driver->free_pvt(ch->pvt);
	g_hash_table_unref(ch->vars);
	xb_media_endpoint_unref(ch->media);
	xb_channel_body_free(ch->remote);
	xb_channel_body_free(ch->local);
	g_free(ch->uuid);
	g_free(ch->name);
}

XbChannel *xb_channel_new(const XbChannelDriver *driver, XbChannelDirection direction,
                          const char *name, gpointer pvt)
{
	XbChannel *ch = g_rc_box_new0(XbChannel);

	ch->uuid = g_uuid_string_random();
	ch->driver = driver;
	ch->pvt = pvt;
	ch->direction = direction;
	ch->name = name ? g_strdup(name)
	                : g_strdup_printf("%s/%s", driver ? driver->name : "null", ch->uuid);
	ch->state = XB_CHANNEL_NEW;
	ch->vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ch->created_us = g_get_real_time();
	xb_channel_init();
	g_hash_table_insert(live, ch->uuid, xb_channel_ref(ch));
	g_queue_push_tail(&live_order, ch);
	ch->listed = TRUE;
	return ch;
}

XbChannel *xb_channel_ref(XbChannel *ch)
{
	return g_rc_box_acquire(ch);
}

void xb_channel_unref(XbChannel *ch)
{
	if (ch)
		g_rc_box_release_full(ch, channel_clear);
}

const char *xb_channel_uuid(const XbChannel *ch)
{
	return ch->uuid;
}

const char *xb_channel_name(const XbChannel *ch)
{
	return ch->name;
}

const char *xb_channel_driver_name(const XbChannel *ch)
{
	return ch->driver ? ch->driver->name : "null";
}

const XbChannelDriver *xb_channel_driver(const XbChannel *ch)
{
	return ch->driver;
}

gpointer xb_channel_pvt(const XbChannel *ch)
{
	return ch->pvt;
}

XbChannelDirection xb_channel_direction(const XbChannel *ch)
{
	return ch->direction;
}

XbChannelState xb_channel_state(const XbChannel *ch)
{
	return ch->state;
}

const char *xb_channel_state_name(XbChannelState state)
{
	static const char *const names[] = {"new",      "routing", "ringing",    "early",
	                                    "answered", "bridged", "hanging-up", "gone"};
	return state < G_N_ELEMENTS(names) ? names[state] : "?";
}

XbChannel *xb_channel_find(const char *uuid)
{
	XbChannel *ch = live && uuid ? g_hash_table_lookup(live, uuid) : NULL;
	return ch ? xb_channel_ref(ch) : NULL;
}

GPtrArray *xb_channel_list(void)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)xb_channel_unref);

	for (GList *l = live_order.head; l; l = l->next)
		g_ptr_array_add(out, xb_channel_ref(l->data));
	return out;
}

guint xb_channel_count(void)
{
	return live ? g_hash_table_size(live) : 0;
}

/* ---- the details of a state event ---- */

/* The a{sv} of an event's details is written straight into its serialised form (the
 * GVariant specification's: an array of variable-sized dict entries, each 8-aligned and
 * ended by the array's framing offsets; a dict entry is the key string and, 8-aligned, the
 * variant, then the key's end as a framing offset; a variant is its value, a NUL and the
 * value's type). Built as a tree of GVariants instead, the twenty entries of an event
 * cost four allocations each and more than the rest of the call's signalling. */
typedef struct {
	GByteArray *b;
	GArray *ends; /* gsize: where each entry ends */
} DetailsWriter;

/* The size of the framing offsets of a container with body_size octets and n offsets. */
static guint offset_size(gsize body_size, gsize n)
{
	if (body_size + n <= G_MAXUINT8)
		return 1;
	if (body_size + 2 * n <= G_MAXUINT16)
		return 2;
	if (body_size + 4 * n <= G_MAXUINT32)
		return 4;
	return 8;
}

static void put_offset(GByteArray *b, guint64 v, guint size)
{
	guint8 le[8];

	for (guint i = 0; i < size; i++)
		le[i] = (guint8)(v >> (8 * i));
	g_byte_array_append(b, le, size);
}

static void pad8(GByteArray *b, gsize from)
{
	static const guint8 zeros[8];

	g_byte_array_append(b, zeros, (8 - (b->len - from) % 8) % 8);
}

/* One {sv} entry: key, then a variant holding len octets of type (a basic type's letter). */
static void details_put(DetailsWriter *w, const char *key, const void *value, gsize len, char type)
{
	GByteArray *b = w->b;
	gsize start, key_end, end;
	const guint8 tail[2] = {0, (guint8)type};

	pad8(b, 0);
	start = b->len;
	g_byte_array_append(b, (const guint8 *)key, strlen(key) + 1);
	key_end = b->len - start;
	pad8(b, start);
	g_byte_array_append(b, value, len);
	g_byte_array_append(b, tail, 2);
	put_offset(b, key_end, offset_size(b->len - start, 1));
	end = b->len;
	g_array_append_val(w->ends, end);
}

static void details_str(DetailsWriter *w, const char *key, const char *value)
{
	details_put(w, key, value, strlen(value) + 1, 's');
}

static void details_int64(DetailsWriter *w, const char *key, gint64 value)
{
	details_put(w, key, &value, sizeof(value), 'x');
}

/* What an event tells of a channel (see XB_EVENT_CHANNEL_STATE). */
static GVariant *channel_details(const XbChannel *ch)
{
	DetailsWriter w = {g_byte_array_sized_new(1024),
	                   g_array_sized_new(FALSE, FALSE, sizeof(gsize), 32)};
	GHashTableIter it;
	gpointer k, v;
	guint32 status = ch->sip_status;
	gsize body;
	guint osz;

	g_hash_table_iter_init(&it, ch->vars);
	while (g_hash_table_iter_next(&it, &k, &v))
		details_str(&w, k, v);
	details_str(&w, "name", ch->name);
	details_str(&w, "driver", xb_channel_driver_name(ch));
	details_str(&w, "direction", ch->direction == XB_CHANNEL_INBOUND ? "in" : "out");
	details_int64(&w, "created_us", ch->created_us);
	details_int64(&w, "answered_us", ch->answered_us);
	details_int64(&w, "ended_us", ch->ended_us);
	details_put(&w, "sip_status", &status, sizeof(status), 'u');
	body = w.b->len;
	osz = offset_size(body, w.ends->len);
	for (guint i = 0; i < w.ends->len; i++)
		put_offset(w.b, g_array_index(w.ends, gsize, i), osz);
	g_array_unref(w.ends);
	return g_variant_new_from_bytes(G_VARIANT_TYPE_VARDICT, g_byte_array_free_to_bytes(w.b),
	                                TRUE);
}

void channel_set_state(XbChannel *ch, XbChannelState state)
{
	if (ch->state == state || ch->state == XB_CHANNEL_GONE)
		return;
	ch->state = state;
	if (state == XB_CHANNEL_ANSWERED && !ch->answered_us)
		ch->answered_us = g_get_real_time();
	if (state == XB_CHANNEL_ANSWERED)
		xb_channel_media_watch(ch);
	if (state == XB_CHANNEL_GONE && !ch->ended_us)
		ch->ended_us = g_get_real_time();
	if (xb_event_wanted(XB_EVENT_CHANNEL_STATE)) {
		GVariant *event[] = {
		    g_variant_new_string(ch->uuid),
		    g_variant_new_string(xb_channel_state_name(state)),
		    g_variant_new_string(xb_cause_name(ch->cause)),
		    channel_details(ch),
		};
		xb_event_publish(XB_EVENT_CHANNEL_STATE, g_variant_new_tuple(event, 4));
	}
	if (ch->xfer)
		channel_transfer_state(ch);
	if (state == XB_CHANNEL_GONE)
		g_clear_pointer(&ch->media, xb_media_endpoint_unref);
	if (state == XB_CHANNEL_GONE && ch->listed) {
		ch->listed = FALSE;
		g_queue_remove(&live_order, ch);
		g_hash_table_remove(live, ch->uuid);
		xb_channel_unref(ch);
	}
}

/* ---- variables ---- */

void xb_channel_set_var(XbChannel *ch, const char *key, const char *value)
{
	if (value)
		g_hash_table_replace(ch->vars, g_strdup(key), g_strdup(value));
	else
		g_hash_table_remove(ch->vars, key);
}

const char *xb_channel_get_var(const XbChannel *ch, const char *key)
{
	const char *v = g_hash_table_lookup(ch->vars, key);

	if (v)
		return v;
	if (!strcmp(key, "uuid"))
		return ch->uuid;
	if (!strcmp(key, "channel_name"))
		return ch->name;
	if (!strcmp(key, "state"))
		return xb_channel_state_name(ch->state);
	if (!strcmp(key, "hangup_cause"))
		return ch->cause ? xb_cause_name(ch->cause) : NULL;
	return NULL;
}

static int name_cmp(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

const char **xb_channel_var_names(const XbChannel *ch)
{
	guint n;
	const char **keys = (const char **)g_hash_table_get_keys_as_array(ch->vars, &n);

	g_qsort_with_data(keys, n, sizeof(char *), name_cmp, NULL);
	return keys;
}

/* ---- bodies ---- */

XbChannelBody *xb_channel_body_copy(const XbChannelBody *b)
{
	if (!b)
		return NULL;
	XbChannelBody *c = g_new0(XbChannelBody, 1);
	c->content_type = g_strdup(b->content_type ? b->content_type : "application/sdp");
	c->body = g_malloc(b->len + 1);
	if (b->len)
		memcpy(c->body, b->body, b->len);
	c->body[b->len] = 0;
	c->len = b->len;
	return c;
}

void xb_channel_body_free(XbChannelBody *b)
{
	if (!b)
		return;
	g_free(b->content_type);
	g_free(b->body);
	g_free(b);
}

const XbChannelBody *xb_channel_remote_body(const XbChannel *ch)
{
	return ch->remote;
}

const XbChannelBody *xb_channel_local_body(const XbChannel *ch)
{
	return ch->local;
}

void xb_channel_set_remote_body(XbChannel *ch, const XbChannelBody *b)
{
	XbChannelBody *c = xb_channel_body_copy(b);

	xb_channel_body_free(ch->remote);
	ch->remote = c;
}

void xb_channel_set_local_body(XbChannel *ch, const XbChannelBody *b)
{
	XbChannelBody *c = xb_channel_body_copy(b);

	xb_channel_body_free(ch->local);
	ch->local = c;
}

/* ---- the hang-up and times ---- */

XbCause xb_channel_cause(const XbChannel *ch)
{
	return ch->cause;
}

unsigned xb_channel_sip_status(const XbChannel *ch)
{
	return ch->sip_status;
}

gint64 xb_channel_created_us(const XbChannel *ch)
{
	return ch->created_us;
}

gint64 xb_channel_answered_us(const XbChannel *ch)
{
	return ch->answered_us;
}

gint64 xb_channel_ended_us(const XbChannel *ch)
{
	return ch->ended_us;
}

XbChannel *xb_channel_partner(const XbChannel *ch)
{
	return ch->partner;
}

/* ---- core -> driver ---- */

static gboolean over(const XbChannel *ch)
{
	return ch->state >= XB_CHANNEL_HANGING_UP;
}

int xb_channel_ring(XbChannel *ch)
{
	if (over(ch))
		return -ESHUTDOWN;
	if (ch->direction != XB_CHANNEL_INBOUND || ch->state >= XB_CHANNEL_ANSWERED)
		return -EINVAL;
	int rc = ch->driver && ch->driver->progress ? ch->driver->progress(ch, FALSE) : 0;
	if (rc == 0 && ch->state < XB_CHANNEL_RINGING)
		channel_set_state(ch, XB_CHANNEL_RINGING);
	return rc;
}

int xb_channel_pre_answer(XbChannel *ch)
{
	if (over(ch))
		return -ESHUTDOWN;
	if (ch->direction != XB_CHANNEL_INBOUND || ch->state >= XB_CHANNEL_ANSWERED)
		return -EINVAL;
	xb_channel_media_answer_own(ch);
	int rc = ch->driver && ch->driver->progress ? ch->driver->progress(ch, TRUE) : 0;
	if (rc == 0)
		channel_set_state(ch, XB_CHANNEL_EARLY);
	return rc;
}

int xb_channel_answer(XbChannel *ch)
{
	if (over(ch))
		return -ESHUTDOWN;
	/* An answered outgoing leg whose answer carried the offer (an INVITE without one, as
	 * originate places) takes the local body as its answer. */
	if (ch->state >= XB_CHANNEL_ANSWERED && ch->direction == XB_CHANNEL_OUTBOUND)
		return ch->driver && ch->driver->answer ? ch->driver->answer(ch) : 0;
	if (ch->state >= XB_CHANNEL_ANSWERED)
		return 0;
	if (ch->direction != XB_CHANNEL_INBOUND)
		return -EINVAL;
	xb_channel_media_answer_own(ch);
	int rc = ch->driver && ch->driver->answer ? ch->driver->answer(ch) : 0;
	if (rc == 0)
		channel_set_state(ch, XB_CHANNEL_ANSWERED);
	return rc;
}

void xb_channel_hangup(XbChannel *ch, XbCause cause, unsigned sip_status)
{
	if (!ch || over(ch) || ch->hangup_asked)
		return;
	ch->hangup_asked = TRUE;
	if (!ch->cause)
		ch->cause = cause ? cause : XB_CAUSE_NORMAL_CLEARING;
	if (!ch->sip_status && sip_status)
		ch->sip_status = sip_status;
	xb_channel_ref(ch);
	channel_set_state(ch, XB_CHANNEL_HANGING_UP);
	if (ch->driver && ch->driver->hangup)
		ch->driver->hangup(ch); /* calls xb_channel_hangup_cb, now or later */
	else
		xb_channel_hangup_cb(ch, XB_CAUSE_NONE, 0);
	xb_channel_unref(ch);
}

int xb_channel_send_dtmf(XbChannel *ch, const char *digits)
{
	if (over(ch))
		return -ESHUTDOWN;
	/* In the anchored RTP when the far end agreed to telephone-events, else the driver's way.
	 */
	if (ch->media && xb_media_send_dtmf(ch->media, digits, 0, -1))
		return 0;
	if (!ch->driver || !ch->driver->send_dtmf)
		return -ENOTSUP;
	return ch->driver->send_dtmf(ch, digits);
}

/* ---- requests within the call ---- */

struct xb_channel_request {
	gpointer driver_data;
};

XbChannelRequest *xb_channel_request_new(gpointer driver_data)
{
	XbChannelRequest *r = g_new0(XbChannelRequest, 1);
	r->driver_data = driver_data;
	return r;
}

gpointer xb_channel_request_data(const XbChannelRequest *req)
{
	return req->driver_data;
}

void xb_channel_request_reply(XbChannel *ch, XbChannelRequest *req, unsigned status,
                              const XbChannelBody *body)
{
	if (ch->driver && ch->driver->request_reply)
		ch->driver->request_reply(ch, req, status, body);
	g_free(req);
}

int xb_channel_request(XbChannel *ch, XbChannelRequestKind kind, const XbChannelBody *body,
                       XbChannelReplyFunc func, gpointer user_data)
{
	if (over(ch))
		return -ESHUTDOWN;
	if (!ch->driver || !ch->driver->request)
		return -ENOTSUP;
	return ch->driver->request(ch, kind, body, func, user_data);
}

/* ---- controllers and the driver's events ---- */

void xb_channel_set_controller(XbChannel *ch, XbChannelEventFunc func, gpointer user_data)
{
	ch->ctl = func;
	ch->ctl_data = user_data;
}

/* Events nobody controls: answer what must be answered. */
static void default_event(XbChannel *ch, const XbChannelEvent *ev)
{
	if (ev->type != XB_CHANNEL_EV_REQUEST)
		return;
	if (ev->kind == XB_CHANNEL_REQ_REOFFER && ch->local)
		xb_channel_request_reply(ch, ev->request, 200, ch->local);
	else if (ev->kind == XB_CHANNEL_REQ_REOFFER)
		xb_channel_request_reply(ch, ev->request, 488, NULL);
	else
		xb_channel_request_reply(ch, ev->request, 200, NULL);
}

static void deliver(XbChannel *ch, const XbChannelEvent *ev)
{
	xb_channel_ref(ch);
	if (ch->ctl)
		ch->ctl(ch, ev, ch->ctl_data);
	else
		default_event(ch, ev);
	xb_channel_unref(ch);
}

void xb_channel_route(XbChannel *ch)
{
	if (over(ch))
		return;
	/* An originated leg is routed once answered, and stays answered. */
	if (ch->state < XB_CHANNEL_ROUTING)
		channel_set_state(ch, XB_CHANNEL_ROUTING);
	xb_dialplan_exec_route(ch);
}

void xb_channel_progress_cb(XbChannel *ch, const XbChannelBody *body)
{
	XbChannelEvent ev = {.type = XB_CHANNEL_EV_PROGRESS, .body = body};

	if (over(ch))
		return;
	if (body)
		xb_channel_set_remote_body(ch, body);
	channel_set_state(ch, body ? XB_CHANNEL_EARLY : MAX(ch->state, XB_CHANNEL_RINGING));
	deliver(ch, &ev);
}

void xb_channel_answered_cb(XbChannel *ch, const XbChannelBody *body)
{
	XbChannelEvent ev = {.type = XB_CHANNEL_EV_ANSWERED, .body = body};

	if (over(ch))
		return;
	if (body)
		xb_channel_set_remote_body(ch, body);
	channel_set_state(ch, XB_CHANNEL_ANSWERED);
	deliver(ch, &ev);
}

void xb_channel_hangup_cb(XbChannel *ch, XbCause cause, unsigned sip_status)
{
	XbChannelEvent ev = {.type = XB_CHANNEL_EV_HANGUP};

	if (ch->state == XB_CHANNEL_GONE)
		return;
	if (!ch->cause)
		ch->cause = cause ? cause : XB_CAUSE_NORMAL_CLEARING;
	if (!ch->sip_status && sip_status)
		ch->sip_status = sip_status;
	xb_channel_ref(ch);
	channel_set_state(ch, XB_CHANNEL_HANGING_UP);
	ch->ended_us = g_get_real_time();
	deliver(ch, &ev);
	ch->ctl = NULL;
	channel_set_state(ch, XB_CHANNEL_GONE);
	xb_channel_unref(ch);
}

void xb_channel_request_cb(XbChannel *ch, XbChannelRequest *req, XbChannelRequestKind kind,
                           const XbChannelBody *body)
{
	XbChannelEvent ev = {
	    .type = XB_CHANNEL_EV_REQUEST, .request = req, .kind = kind, .body = body};

	if (over(ch)) {
		xb_channel_request_reply(ch, req, 481, NULL);
		return;
	}
	if (kind == XB_CHANNEL_REQ_REOFFER && body)
		xb_channel_set_remote_body(ch, body);
	deliver(ch, &ev);
}

void xb_channel_dtmf_digit(XbChannel *ch, char digit, gboolean in_media)
{
	XbChannelEvent ev = {.type = XB_CHANNEL_EV_DTMF, .digit = digit, .dtmf_in_media = in_media};
	char text[2] = {digit, 0};

	if (over(ch))
		return;
	xb_info("%s: DTMF %c%s", ch->name, digit, in_media ? " (RFC 4733)" : "");
	xb_event_publish(XB_EVENT_CHANNEL_DTMF, g_variant_new("(ss)", ch->uuid, text));
	deliver(ch, &ev);
}

void xb_channel_dtmf_cb(XbChannel *ch, char digit)
{
	xb_channel_dtmf_digit(ch, digit, FALSE);
}

void xb_channel_hangup_all(XbCause cause)
{
	g_autoptr(GPtrArray) all = xb_channel_list();

	for (guint i = 0; i < all->len; i++)
		xb_channel_hangup(all->pdata[i], cause, 0);
}
