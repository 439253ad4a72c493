/* test_media_task.c: modules' descriptors on the media workers (crossbar/media.h tasks):
 * a task's function runs on its worker for what arrives, calls reach the worker in order,
 * posts come back on the main loop, and after a removal's `done` nothing calls it again. */
#include "config.h"
#include "core/media/media_private.h"
#include "test_util.h"
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LO 58300
#define HI 58399

typedef struct {
	GThread *main;
	gint received;     /* atomic */
	gint posted;       /* main loop */
	gboolean off_main; /* the task ran on another thread than the main loop's */
	GArray *order;     /* worker: the calls in the order they ran */
	gboolean done;
} State;

static void posted_cb(gpointer data)
{
	State *s = data;

	g_assert_true(g_thread_self() == s->main);
	s->posted++;
}

static void ready_cb(XbMediaTask *task, int fd, gpointer user_data)
{
	State *s = user_data;
	char buf[64];

	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
		if (g_thread_self() != s->main)
			s->off_main = TRUE;
		g_atomic_int_inc(&s->received);
		xb_media_post(posted_cb, s);
	}
}

typedef struct {
	State *s;
	int n;
} Call;

static void call_cb(gpointer data)
{
	Call *c = data;

	g_array_append_val(c->s->order, c->n);
	g_free(c);
}

static void done_cb(gpointer data)
{
	((State *)data)->done = TRUE;
}

static int udp_bound(guint16 *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof a), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &len), ==, 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void send_to(int fd, guint16 port, int n)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons(port)};

	for (int i = 0; i < n; i++)
		g_assert_cmpint(sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof a), ==, 1);
}

static void test_task(void)
{
	g_autoptr(GError) error = NULL;
	State s = {.main = g_thread_self(), .order = g_array_new(FALSE, FALSE, sizeof(int))};
	guint16 port, unused;
	int fd, out;
	XbMediaTask *t;
	gint64 until;

	g_assert_null(xb_media_task_add(0, 0, ready_cb, &s)); /* no engine, no task */
	g_assert_true(xb_media_engine_start(2, LO, HI, 0, &error));
	g_assert_cmpuint(xb_media_task_workers(), ==, 2);
	fd = udp_bound(&port);
	out = udp_bound(&unused);
	t = xb_media_task_add(fd, 1, ready_cb, &s);
	g_assert_cmpuint(xb_media_task_worker(t), ==, 1);
	for (int i = 0; i < 5; i++) {
		Call *c = g_new(Call, 1);

		c->s = &s;
		c->n = i;
		xb_media_task_call(t, call_cb, c);
	}
	send_to(out, port, 10);
	until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (s.posted < 10 && g_get_monotonic_time() < until) {
		xb_media_dispatch_events();
		g_usleep(1000);
	}
	g_assert_cmpint(s.posted, ==, 10);
	g_assert_true(s.off_main);
	xb_media_task_remove(t, done_cb, &s);
	xb_media_task_sync();
	g_assert_true(s.done);
	g_assert_cmpuint(s.order->len, ==, 5);
	for (int i = 0; i < 5; i++)
		g_assert_cmpint(g_array_index(s.order, int, i), ==, i);
	/* Removed: what arrives now stays in the socket. */
	send_to(out, port, 3);
	g_usleep(50 * 1000);
	xb_media_task_sync();
	g_assert_cmpint(g_atomic_int_get(&s.received), ==, 10);
	xb_media_engine_stop();
	close(fd);
	close(out);
	g_array_unref(s.order);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/media/task/worker-calls-posts-removal", test_task);
	return g_test_run();
}
