/* fdtask.c: modules' descriptors polled on the media workers (crossbar/media.h, "packet
 * work of modules"). A task is added and removed by commands on its worker's queue, so the
 * worker alone touches its poller; a removed task is reported done only after the poll batch
 * that removed it (engine.c calls xb_media_task_reap), because an event for it may still
 * follow in that batch, and only then does the main loop free it. It moves no packets. */
#include "media_private.h"

#include <errno.h>
#include <sys/epoll.h>

#define MAX_WORKERS 256

struct xb_media_task {
	MediaFdRef ref; /* first: the poller's pointer; which is -1 */
	guint worker;
	int fd;
	XbMediaTaskFunc func;
	gpointer user_data;
	gboolean removed; /* worker: no longer polled */
	XbMediaCallFunc done;
	gpointer done_data;
	XbMediaTask *next_removed;
};

static guint ntasks[MAX_WORKERS];              /* main loop: tasks per worker */
static XbMediaTask *removed_list[MAX_WORKERS]; /* worker: removed this batch */
static gboolean sync_asked[MAX_WORKERS];       /* worker: the barrier ran this batch */
static GMutex sync_lock;
static GCond sync_cond;
static guint sync_left;

guint xb_media_task_workers(void)
{
	return xb_media_engine_running() ? xb_media_worker_count() : 0;
}

static void task_attach_cb(gpointer data)
{
	XbMediaTask *t = data;
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &t->ref};

	if (epoll_ctl(xb_media_engine_epfd(t->worker), EPOLL_CTL_ADD, t->fd, &e) < 0)
		g_warning("media: worker %u cannot poll descriptor %d: %s", t->worker, t->fd,
		          g_strerror(errno));
}

XbMediaTask *xb_media_task_add(int fd, guint worker, XbMediaTaskFunc func, gpointer user_data)
{
	guint n = MIN(xb_media_task_workers(), MAX_WORKERS);
	XbMediaTask *t;

	if (!n)
		return NULL;
	if (worker == XB_MEDIA_ANY_WORKER) {
		guint best = G_MAXUINT;

		for (guint i = 0; i < n; i++) {
			XbMediaWorkerStats st;

			xb_media_worker_stats(i, &st);
			if (st.endpoints + ntasks[i] < best) {
				best = st.endpoints + ntasks[i];
				worker = i;
			}
		}
	}
	t = g_new0(XbMediaTask, 1);
	t->ref.which = -1;
	t->worker = worker % n;
	t->fd = fd;
	t->func = func;
	t->user_data = user_data;
	ntasks[t->worker]++;
	xb_media_engine_call(t->worker, task_attach_cb, t);
	return t;
}

guint xb_media_task_worker(const XbMediaTask *task)
{
	return task->worker;
}

void xb_media_task_ready(MediaFdRef *ref)
{
	XbMediaTask *t = (XbMediaTask *)ref;

	if (!t->removed)
		t->func(t, t->fd, t->user_data);
}

void xb_media_worker_call(guint worker, XbMediaCallFunc func, gpointer data)
{
	xb_media_engine_call(worker, func, data);
}

void xb_media_task_call(XbMediaTask *task, XbMediaCallFunc func, gpointer data)
{
	xb_media_engine_call(task->worker, func, data);
}

static void task_detach_cb(gpointer data)
{
	XbMediaTask *t = data;

	epoll_ctl(xb_media_engine_epfd(t->worker), EPOLL_CTL_DEL, t->fd, NULL);
	t->removed = TRUE;
	t->next_removed = removed_list[t->worker];
	removed_list[t->worker] = t;
}

static void task_done_cb(gpointer data)
{
	XbMediaTask *t = data;

	if (t->done)
		t->done(t->done_data);
	g_free(t);
}

void xb_media_task_reap(guint worker)
{
	XbMediaTask *t;

	if (worker >= MAX_WORKERS)
		return;
	while ((t = removed_list[worker])) {
		removed_list[worker] = t->next_removed;
		xb_media_engine_post(task_done_cb, t);
	}
	if (sync_asked[worker]) {
		sync_asked[worker] = FALSE;
		g_mutex_lock(&sync_lock);
		if (--sync_left == 0)
			g_cond_signal(&sync_cond);
		g_mutex_unlock(&sync_lock);
	}
}

void xb_media_task_remove(XbMediaTask *task, XbMediaCallFunc done, gpointer data)
{
	if (!task)
		return;
	task->done = done;
	task->done_data = data;
	ntasks[task->worker]--;
	xb_media_engine_call(task->worker, task_detach_cb, task);
}

void xb_media_post(XbMediaCallFunc func, gpointer data)
{
	xb_media_engine_post(func, data);
}

/* The barrier is passed after the worker's poll batch (xb_media_task_reap), once the
 * removals of that batch are posted. */
static void sync_cb(gpointer data)
{
	sync_asked[GPOINTER_TO_UINT(data)] = TRUE;
}

void xb_media_task_sync(void)
{
	guint n = xb_media_task_workers();

	if (!n)
		return;
	g_mutex_lock(&sync_lock);
	sync_left = n;
	g_mutex_unlock(&sync_lock);
	for (guint i = 0; i < n; i++)
		xb_media_engine_call(i, sync_cb, GUINT_TO_POINTER(i));
	g_mutex_lock(&sync_lock);
	while (sync_left)
		g_cond_wait(&sync_cond, &sync_lock);
	g_mutex_unlock(&sync_lock);
	xb_media_dispatch_events();
}
