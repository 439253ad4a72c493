/* timer.c: one-shot timers on one ordered queue (a GSequence keyed by deadline, then by
 * start order), woken by a single GSource whose prepare gives the main loop's poll the time
 * left to the earliest deadline. (A ready time set with g_source_set_ready_time() would
 * cost a write to the loop's wake-up eventfd, and a spare poll and read, every time the
 * earliest deadline moves: several times a call.) The
 * manual clock used by tests replaces the wall of time with xb_clock_advance(); nothing here
 * may sleep. */
#include "core_private.h"

struct xb_timer {
	gint64 deadline;
	guint64 seq;
	XbModule *owner;
	XbTimerFunc func;
	gpointer user_data;
	GSequenceIter *iter;
};

static GSequence *queue;
static GSource *wake;
static guint64 next_seq;
static gboolean manual;
static gint64 manual_now;

gint64 xb_clock_now(void)
{
	return manual ? manual_now : g_get_monotonic_time() / 1000;
}

gint64 xb_clock_wall_s(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static int timer_cmp(gconstpointer a, gconstpointer b, gpointer user_data)
{
	const XbTimer *x = a, *y = b;

	if (x->deadline != y->deadline)
		return x->deadline < y->deadline ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Fire every timer due at `now`, earliest first; timers started by callbacks for a time
 * already past fire in the same pass, in order. */
static guint fire_due(gint64 now)
{
	guint n = 0;

	while (queue && !g_sequence_is_empty(queue)) {
		GSequenceIter *it = g_sequence_get_begin_iter(queue);
		XbTimer *t = g_sequence_get(it);

		if (t->deadline > now)
			break;
		g_sequence_remove(it);
		t->iter = NULL;
		if (manual)
			manual_now = MAX(manual_now, t->deadline);
		t->func(t, t->user_data);
		g_free(t);
		n++;
	}
	return n;
}

/* The earliest deadline, or -1 when no timer runs. */
static gint64 first_deadline(void)
{
	if (!queue || g_sequence_is_empty(queue))
		return -1;
	return ((XbTimer *)g_sequence_get(g_sequence_get_begin_iter(queue)))->deadline;
}

static gboolean wake_prepare(GSource *source, gint *timeout)
{
	gint64 first = first_deadline(), left;

	*timeout = -1;
	if (first < 0)
		return FALSE;
	left = first - xb_clock_now();
	*timeout = (gint)CLAMP(left, 0, G_MAXINT);
	return left <= 0;
}

static gboolean wake_check(GSource *source)
{
	gint64 first = first_deadline();

	return first >= 0 && first <= xb_clock_now();
}

static gboolean wake_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	fire_due(xb_clock_now());
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs wake_funcs = {
    .prepare = wake_prepare, .check = wake_check, .dispatch = wake_dispatch};

static void ensure_queue(void)
{
	if (!queue)
		queue = g_sequence_new(NULL);
	if (!wake && !manual) {
		wake = g_source_new(&wake_funcs, sizeof(GSource));
		g_source_set_name(wake, "crossbar timers");
		g_source_attach(wake, NULL);
	}
}

void xb_clock_set_manual(gint64 start)
{
	manual = TRUE;
	manual_now = start;
	if (wake) {
		g_source_destroy(wake);
		g_source_unref(wake);
		wake = NULL;
	}
}

guint xb_clock_advance(gint64 ms)
{
	g_return_val_if_fail(manual, 0);
	gint64 target = manual_now + ms;
	guint n = fire_due(target);
	manual_now = target;
	return n;
}

XbTimer *xb_timer_start(XbModule *owner, gint64 ms, XbTimerFunc func, gpointer user_data)
{
	XbTimer *t;

	g_return_val_if_fail(func != NULL, NULL);
	ensure_queue();
	t = g_new0(XbTimer, 1);
	t->deadline = xb_clock_now() + MAX(ms, 0);
	t->seq = next_seq++;
	t->owner = owner;
	t->func = func;
	t->user_data = user_data;
	t->iter = g_sequence_insert_sorted(queue, t, timer_cmp, NULL);
	return t;
}

void xb_timer_cancel(XbTimer *t)
{
	if (!t || !t->iter)
		return;
	g_sequence_remove(t->iter);
	g_free(t);
}

gint64 xb_timer_deadline(const XbTimer *t)
{
	return t->deadline;
}

guint xb_timer_pending(void)
{
	return queue ? (guint)g_sequence_get_length(queue) : 0;
}

void xb_timer_forget(XbModule *owner)
{
	if (!queue || !owner)
		return;
	GSequenceIter *it = g_sequence_get_begin_iter(queue);
	while (!g_sequence_iter_is_end(it)) {
		GSequenceIter *next = g_sequence_iter_next(it);
		XbTimer *t = g_sequence_get(it);
		if (t->owner == owner) {
			g_sequence_remove(it);
			g_free(t);
		}
		it = next;
	}
}

void xb_timer_shutdown(void)
{
	if (queue) {
		GSequenceIter *it = g_sequence_get_begin_iter(queue);
		while (!g_sequence_iter_is_end(it)) {
			g_free(g_sequence_get(it));
			it = g_sequence_iter_next(it);
		}
		g_clear_pointer(&queue, g_sequence_free);
	}
	if (wake) {
		g_source_destroy(wake);
		g_clear_pointer(&wake, g_source_unref);
	}
	manual = FALSE;
}
