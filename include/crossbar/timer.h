/* timer.h: timers and the core's clock. Protocol timers (SIP's Timer A..K, TURN lifetimes,
 * registration expiry) are one-shot timers on a single ordered queue driven by one GSource
 * on the main loop. The clock is monotonic milliseconds; tests switch it to manual and move
 * it with xb_clock_advance(), which fires every timer that falls due, in deadline order, so
 * a state machine's timing is tested without sleeping. */
#pragma once

#include <glib.h>
#include <crossbar/module.h>

G_BEGIN_DECLS

typedef struct xb_timer XbTimer;
typedef void (*XbTimerFunc)(XbTimer *timer, gpointer user_data);

/* Milliseconds on the core's clock (monotonic; manual in tests). */
gint64 xb_clock_now(void);
/* Wall-clock seconds since the Unix epoch: for what outlives the process or is shown to a
 * person (binding expiry times, nonce stamps, credentials' expiry). */
gint64 xb_clock_wall_s(void);
/* Switch to the manual clock, starting at `start` ms. Only for tests. */
void xb_clock_set_manual(gint64 start);
/* Manual clock: move forward by `ms` and fire what falls due. Returns timers fired. */
guint xb_clock_advance(gint64 ms);

/* Start a one-shot timer `ms` from now. The handle stays valid until the callback has run
 * or xb_timer_cancel() was called, whichever comes first; the callback may start new timers
 * and cancel others. owner (may be NULL) lets the core cancel it when its module unloads. */
XbTimer *xb_timer_start(XbModule *owner, gint64 ms, XbTimerFunc func, gpointer user_data);
/* Cancel a pending timer; NULL is accepted. */
void xb_timer_cancel(XbTimer *timer);
/* Convenience for fields: cancel and set *timer to NULL. */
static inline void xb_timer_clear(XbTimer **timer)
{
	if (*timer) {
		xb_timer_cancel(*timer);
		*timer = NULL;
	}
}
/* Deadline on the core's clock. */
gint64 xb_timer_deadline(const XbTimer *timer);
/* How many timers are pending (for tests and status). */
guint xb_timer_pending(void);

G_END_DECLS
