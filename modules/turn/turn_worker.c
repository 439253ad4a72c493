/* turn_worker.c: UDP relaying on the media workers (crossbar/media.h tasks). Each worker
 * reads its own socket of each UDP listener (SO_REUSEPORT: the kernel keeps a client's
 * 5-tuple on one socket) and the relayed sockets of the allocations made through it, and
 * relays in batches (recvmmsg/sendmmsg) with its own copy of each allocation's permissions
 * and channels. It answers no request: STUN requests are copied to the main loop, at most
 * TURN_WORKER_BACKLOG bytes of them waiting per worker, the rest dropped (the client
 * retransmits).
 *
 * Threads: a TurnWorker's tables and buffers are its worker's; the main loop reaches them
 * only through calls queued to that worker (xb_media_task_call), in the order it makes
 * them. Counters are atomic. A TurnWAlloc is freed on the main loop once its task is
 * removed, with the relayed socket it was given. */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "turn_private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH               32
#define DATA_MAX            16384 /* larger datagrams (fragmented UDP) are dropped */
#define HEADROOM            STUN_CHANNEL_HEADER_LEN
#define INDICATION_MAX      (DATA_MAX + 64)
#define TURN_WORKER_BACKLOG (1024 * 1024) /* bytes of requests waiting for the main loop */

struct turn_worker {
	TurnServer *srv; /* only passed back to the main loop */
	guint index;
	GHashTable *by_tuple;        /* TurnTupleKey -> TurnWAlloc (worker) */
	gboolean legacy;             /* turn.rfc5766_channels (worker copy) */
	guint64 max_bps;             /* turn.max_bps (worker copy) */
	gint backlog;                /* bytes of requests posted, not yet handled (atomic) */
	TurnWorkerCounters counters; /* atomic */
	/* one batch (worker) */
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	struct sockaddr_storage from[BATCH], to[BATCH];
	int out_fd[BATCH];
	uint8_t buf[BATCH][HEADROOM + DATA_MAX];
	uint8_t ind[BATCH][INDICATION_MAX];
};

struct turn_walloc {
	TurnWorker *w;
	XbMediaTask *task;
	GSocket *relay; /* given at the end, closed when the task is gone */
	int relay_fd, listen_fd;
	TurnTupleKey key;
	struct sockaddr_storage client_sa;
	socklen_t client_salen;
	/* worker */
	GHashTable *perms;     /* ip key (owned) set */
	GHashTable *chan_num;  /* number -> struct stun_addr (owned) */
	GHashTable *chan_peer; /* struct stun_addr (chan_num's) -> number */
	gint64 rate_second;
	guint64 rate_up, rate_down;
	/* atomic */
	TurnTraffic traffic;
};

#define ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)
#define GET(field)    __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* ---- the allocation's relay state (worker) ---- */

static gboolean rate_ok(TurnWAlloc *wa, size_t len, gboolean to_peer)
{
	TurnWorker *w = wa->w;
	gint64 second;
	guint64 *used;

	if (!w->max_bps)
		return TRUE;
	second = g_get_monotonic_time() / G_USEC_PER_SEC;
	if (second != wa->rate_second) {
		wa->rate_second = second;
		wa->rate_up = wa->rate_down = 0;
	}
	used = to_peer ? &wa->rate_up : &wa->rate_down;
	if (*used + len > w->max_bps) {
		ADD(w->counters.dropped_rate, 1);
		ADD(wa->traffic.dropped, 1);
		return FALSE;
	}
	*used += len;
	return TRUE;
}

static gboolean permitted(TurnWAlloc *wa, const struct stun_addr *peer)
{
	uint8_t key[TURN_IP_KEY_LEN];

	turn_ip_key(key, peer);
	if (g_hash_table_contains(wa->perms, key))
		return TRUE;
	ADD(wa->w->counters.dropped_no_permission, 1);
	ADD(wa->traffic.dropped, 1);
	return FALSE;
}

/* ---- client to peer: the listener's socket ---- */

/* Queues data for the peer in this batch's sends (sent by flush_to_peers). */
static void to_peer(TurnWorker *w, int *nout, TurnWAlloc *wa, const struct stun_addr *peer,
                    const uint8_t *data, size_t len)
{
	int i = *nout;
	size_t sl;

	if (!rate_ok(wa, len, TRUE))
		return;
	sl = stun_addr_to_sockaddr(peer, &w->to[i], sizeof(w->to[i]));
	if (!sl)
		return;
	w->out_iov[i] = (struct iovec){(void *)data, len};
	w->out[i].msg_hdr = (struct msghdr){.msg_name = &w->to[i],
	                                    .msg_namelen = (socklen_t)sl,
	                                    .msg_iov = &w->out_iov[i],
	                                    .msg_iovlen = 1};
	w->out_fd[i] = wa->relay_fd;
	ADD(wa->traffic.bytes_to_peer, len);
	ADD(wa->traffic.pkts_to_peer, 1);
	ADD(w->counters.bytes_to_peer, len);
	ADD(w->counters.pkts_to_peer, 1);
	*nout = i + 1;
}

/* Sends the batch's datagrams to peers, one sendmmsg per run of the same relayed socket. */
static void flush_to_peers(TurnWorker *w, int nout)
{
	for (int i = 0; i < nout;) {
		int j = i + 1;

		while (j < nout && w->out_fd[j] == w->out_fd[i])
			j++;
		(void)sendmmsg(w->out_fd[i], w->out + i, (unsigned)(j - i), MSG_DONTWAIT);
		i = j;
	}
}

typedef struct {
	TurnServer *srv;
	TurnWorker *w;
	TurnListener *l;
	struct stun_addr client;
	size_t len;
	uint8_t data[];
} Posted;

static void posted_cb(gpointer data)
{
	Posted *p = data;
	TurnFrom from = {p->l, NULL, p->client, p->l->addr};

	if (!p->srv->closing)
		turn_request_handle(p->srv, &from, p->data, p->len);
	__atomic_fetch_sub(&p->w->backlog, (gint)p->len, __ATOMIC_RELAXED);
	g_free(p);
}

static void post_request(TurnWorker *w, TurnListener *l, const struct stun_addr *client,
                         const uint8_t *buf, size_t len)
{
	Posted *p;

	if (__atomic_fetch_add(&w->backlog, (gint)len, __ATOMIC_RELAXED) >= TURN_WORKER_BACKLOG) {
		__atomic_fetch_sub(&w->backlog, (gint)len, __ATOMIC_RELAXED);
		ADD(w->counters.dropped_busy, 1);
		return;
	}
	p = g_malloc(sizeof(*p) + len);
	p->srv = w->srv;
	p->w = w;
	p->l = l;
	p->client = *client;
	p->len = len;
	memcpy(p->data, buf, len);
	xb_media_post(posted_cb, p);
}

static TurnWAlloc *alloc_of(TurnWorker *w, TurnListener *l, const struct stun_addr *client)
{
	TurnFrom from = {l, NULL, *client, l->addr};
	TurnTupleKey key;

	turn_tuple_key(&key, &from);
	return g_hash_table_lookup(w->by_tuple, &key);
}

/* One datagram from a client: relayed here when it is data, else sent to the main loop. */
static void client_packet(TurnWorker *w, TurnListener *l, const struct stun_addr *client,
                          const uint8_t *buf, size_t len, int *nout)
{
	struct stun_msg msg;
	TurnWAlloc *wa;

	if (turn_is_channel_data(w->legacy, buf, len)) {
		const uint8_t *data;
		size_t data_len;
		uint16_t number;
		const struct stun_addr *peer;

		wa = alloc_of(w, l, client);
		if (!wa ||
		    turn_channel_parse(w->legacy, buf, len, FALSE, &number, &data, &data_len) != 0)
			return;
		peer = g_hash_table_lookup(wa->chan_num, GUINT_TO_POINTER(number));
		if (peer && permitted(wa, peer))
			to_peer(w, nout, wa, peer, data, data_len);
		return;
	}
	if (stun_pkt_classify(buf, len) != STUN_PKT_STUN || stun_msg_decode(&msg, buf, len) != 0)
		return;
	if (msg.cls == STUN_CLASS_INDICATION) {
		const struct stun_attr *pa = stun_attr_get(&msg, STUN_ATTR_XOR_PEER_ADDRESS);
		const struct stun_attr *data = stun_attr_get(&msg, STUN_ATTR_DATA);
		struct stun_addr peer;

		/* §11.2: a Send indication is dropped silently when anything is wrong. */
		if (msg.method != STUN_METHOD_SEND || !pa || !data || msg.n_unknown ||
		    stun_attr_xor_addr(&msg, pa, &peer) != 0)
			return;
		wa = alloc_of(w, l, client);
		if (wa && permitted(wa, &peer))
			to_peer(w, nout, wa, &peer, data->value, data->len);
		return;
	}
	if (msg.cls == STUN_CLASS_REQUEST)
		post_request(w, l, client, buf, len);
}

static void listener_ready_cb(XbMediaTask *task, int fd, gpointer user_data)
{
	TurnListener *l = user_data;
	TurnWorker *w = l->wk;

	for (;;) {
		int n, nout = 0;

		for (int i = 0; i < BATCH; i++) {
			w->in_iov[i] = (struct iovec){w->buf[i], sizeof(w->buf[i])};
			w->in[i].msg_hdr = (struct msghdr){.msg_name = &w->from[i],
			                                   .msg_namelen = sizeof(w->from[i]),
			                                   .msg_iov = &w->in_iov[i],
			                                   .msg_iovlen = 1};
		}
		n = recvmmsg(fd, w->in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct stun_addr client;

			if (w->in[i].msg_hdr.msg_flags & MSG_TRUNC ||
			    stun_addr_from_sockaddr(&client, (struct sockaddr *)&w->from[i]) != 0)
				continue;
			client_packet(w, l, &client, w->buf[i], w->in[i].msg_len, &nout);
		}
		flush_to_peers(w, nout);
		if (n < BATCH)
			return;
	}
}

/* ---- peer to client: the relayed socket ---- */

/* A Data indication (RFC 8656 §11.3) for data from a peer without a channel, in ind[i]. */
static size_t data_indication(TurnWorker *w, int i, const struct stun_addr *peer,
                              const uint8_t *data, size_t len)
{
	uint8_t tid[STUN_TID_LEN];
	struct stun_encoder e;
	size_t n;

	if (stun_tid_random(tid) != 0)
		return 0;
	stun_encode_init(&e, w->ind[i], sizeof(w->ind[i]), STUN_METHOD_DATA, STUN_CLASS_INDICATION,
	                 tid);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	stun_encode_attr(&e, STUN_ATTR_DATA, data, len);
	return stun_encode_finish(&e, &n) == 0 ? n : 0;
}

static void relay_ready_cb(XbMediaTask *task, int fd, gpointer user_data)
{
	TurnWAlloc *wa = user_data;
	TurnWorker *w = wa->w;

	for (;;) {
		int n, nout = 0;
		guint64 bytes = 0;

		for (int i = 0; i < BATCH; i++) {
			w->in_iov[i] = (struct iovec){w->buf[i] + HEADROOM, DATA_MAX};
			w->in[i].msg_hdr = (struct msghdr){.msg_name = &w->from[i],
			                                   .msg_namelen = sizeof(w->from[i]),
			                                   .msg_iov = &w->in_iov[i],
			                                   .msg_iovlen = 1};
		}
		n = recvmmsg(fd, w->in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			uint8_t *data = w->buf[i] + HEADROOM;
			size_t len = w->in[i].msg_len;
			struct stun_addr peer, key;
			gpointer number;

			if (w->in[i].msg_hdr.msg_flags & MSG_TRUNC ||
			    stun_addr_from_sockaddr(&peer, (struct sockaddr *)&w->from[i]) != 0)
				continue;
			/* §10.3: nothing passes without a permission for the peer's IP. */
			if (!permitted(wa, &peer) || !rate_ok(wa, len, FALSE))
				continue;
			turn_addr_copy(&key, &peer);
			if (g_hash_table_lookup_extended(wa->chan_peer, &key, NULL, &number)) {
				turn_channel_header(data - HEADROOM,
				                    (uint16_t)GPOINTER_TO_UINT(number), len);
				w->out_iov[nout] = (struct iovec){data - HEADROOM, HEADROOM + len};
			} else {
				size_t il = data_indication(w, i, &peer, data, len);

				if (!il)
					continue;
				w->out_iov[nout] = (struct iovec){w->ind[i], il};
			}
			w->out[nout].msg_hdr = (struct msghdr){.msg_name = &wa->client_sa,
			                                       .msg_namelen = wa->client_salen,
			                                       .msg_iov = &w->out_iov[nout],
			                                       .msg_iovlen = 1};
			nout++;
			bytes += len;
		}
		if (nout) {
			(void)sendmmsg(wa->listen_fd, w->out, (unsigned)nout, MSG_DONTWAIT);
			ADD(wa->traffic.bytes_to_client, bytes);
			ADD(wa->traffic.pkts_to_client, (guint64)nout);
			ADD(w->counters.bytes_to_client, bytes);
			ADD(w->counters.pkts_to_client, (guint64)nout);
		}
		if (n < BATCH)
			return;
	}
}

/* ---- changes from the main loop, run on the worker ---- */

typedef enum { OP_ADD, OP_REMOVE, OP_PERM_ADD, OP_PERM_DEL, OP_CHAN_ADD, OP_CHAN_DEL } Op;

typedef struct {
	TurnWAlloc *wa;
	Op op;
	uint8_t ip[TURN_IP_KEY_LEN];
	uint16_t number;
	struct stun_addr peer;
} Change;

static void change_cb(gpointer data)
{
	Change *c = data;
	TurnWAlloc *wa = c->wa;
	struct stun_addr *peer;

	switch (c->op) {
	case OP_ADD:
		g_hash_table_insert(wa->w->by_tuple, &wa->key, wa);
		break;
	case OP_REMOVE:
		g_hash_table_remove(wa->w->by_tuple, &wa->key);
		break;
	case OP_PERM_ADD:
		g_hash_table_add(wa->perms, g_memdup2(c->ip, TURN_IP_KEY_LEN));
		break;
	case OP_PERM_DEL:
		g_hash_table_remove(wa->perms, c->ip);
		break;
	case OP_CHAN_ADD:
		peer = g_new(struct stun_addr, 1);
		turn_addr_copy(peer, &c->peer);
		g_hash_table_insert(wa->chan_peer, peer, GUINT_TO_POINTER(c->number));
		g_hash_table_insert(wa->chan_num, GUINT_TO_POINTER(c->number), peer);
		break;
	case OP_CHAN_DEL:
		peer = g_hash_table_lookup(wa->chan_num, GUINT_TO_POINTER(c->number));
		if (peer)
			g_hash_table_remove(wa->chan_peer, peer);
		g_hash_table_remove(wa->chan_num, GUINT_TO_POINTER(c->number));
		break;
	}
	g_free(c);
}

static void change(TurnWAlloc *wa, Op op, const uint8_t *ip, uint16_t number,
                   const struct stun_addr *peer)
{
	Change *c = g_new0(Change, 1);

	c->wa = wa;
	c->op = op;
	if (ip)
		memcpy(c->ip, ip, TURN_IP_KEY_LEN);
	c->number = number;
	if (peer)
		turn_addr_copy(&c->peer, peer);
	xb_media_task_call(wa->task, change_cb, c);
}

void turn_worker_perm(TurnWAlloc *wa, const uint8_t ip[TURN_IP_KEY_LEN], gboolean add)
{
	change(wa, add ? OP_PERM_ADD : OP_PERM_DEL, ip, 0, NULL);
}

void turn_worker_channel(TurnWAlloc *wa, uint16_t number, const struct stun_addr *peer,
                         gboolean add)
{
	change(wa, add ? OP_CHAN_ADD : OP_CHAN_DEL, NULL, number, peer);
}

void turn_worker_alloc_start(TurnWorker *w, TurnAlloc *a)
{
	TurnWAlloc *wa = g_new0(TurnWAlloc, 1);

	wa->w = w;
	wa->relay_fd = a->relay_fd;
	wa->listen_fd = a->from.listener->fd;
	wa->key = a->key;
	wa->client_sa = a->client_sa;
	wa->client_salen = a->client_salen;
	wa->perms = g_hash_table_new_full(turn_ip_key_hash, turn_ip_key_equal, g_free, NULL);
	wa->chan_num = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	wa->chan_peer = g_hash_table_new(turn_addr_hash, turn_addr_equal);
	wa->task = xb_media_task_add(a->relay_fd, w->index, relay_ready_cb, wa);
	a->wa = wa;
	change(wa, OP_ADD, NULL, 0, NULL);
}

static void walloc_done_cb(gpointer data)
{
	TurnWAlloc *wa = data;

	if (wa->relay) {
		g_socket_close(wa->relay, NULL);
		g_object_unref(wa->relay);
	}
	g_hash_table_destroy(wa->chan_peer);
	g_hash_table_destroy(wa->chan_num);
	g_hash_table_destroy(wa->perms);
	g_free(wa);
}

void turn_worker_alloc_stop(TurnWAlloc *wa, GSocket *relay)
{
	wa->relay = relay;
	change(wa, OP_REMOVE, NULL, 0, NULL);
	xb_media_task_remove(wa->task, walloc_done_cb, wa);
}

void turn_alloc_traffic(const TurnAlloc *a, TurnTraffic *out)
{
	if (!a->wa) {
		*out = a->traffic;
		return;
	}
	out->bytes_to_peer = GET(a->wa->traffic.bytes_to_peer);
	out->bytes_to_client = GET(a->wa->traffic.bytes_to_client);
	out->pkts_to_peer = GET(a->wa->traffic.pkts_to_peer);
	out->pkts_to_client = GET(a->wa->traffic.pkts_to_client);
	out->dropped = GET(a->wa->traffic.dropped);
}

/* ---- the workers ---- */

typedef struct {
	TurnWorker *w;
	gboolean legacy;
	guint64 max_bps;
} Settings;

static void settings_cb(gpointer data)
{
	Settings *s = data;

	s->w->legacy = s->legacy;
	s->w->max_bps = s->max_bps;
	g_free(s);
}

void turn_worker_config(TurnWorker *w, const TurnConfig *cfg)
{
	Settings *s = g_new(Settings, 1);

	s->w = w;
	s->legacy = cfg->rfc5766_channels;
	s->max_bps = cfg->max_bps;
	xb_media_worker_call(w->index, settings_cb, s);
}

TurnWorker *turn_worker_new(TurnServer *srv, guint index, const TurnConfig *cfg)
{
	TurnWorker *w = g_new0(TurnWorker, 1);

	w->srv = srv;
	w->index = index;
	w->by_tuple = g_hash_table_new(turn_tuple_hash, turn_tuple_equal);
	w->legacy = cfg->rfc5766_channels;
	w->max_bps = cfg->max_bps;
	return w;
}

void turn_worker_free(TurnWorker *w)
{
	if (!w)
		return;
	g_hash_table_destroy(w->by_tuple);
	g_free(w);
}

void turn_worker_listen(TurnWorker *w, TurnListener *l)
{
	l->wk = w;
	l->task = xb_media_task_add(l->fd, w->index, listener_ready_cb, l);
}

void turn_worker_counters_add(TurnWorker *w, TurnWorkerCounters *sum)
{
	sum->bytes_to_peer += GET(w->counters.bytes_to_peer);
	sum->bytes_to_client += GET(w->counters.bytes_to_client);
	sum->pkts_to_peer += GET(w->counters.pkts_to_peer);
	sum->pkts_to_client += GET(w->counters.pkts_to_client);
	sum->dropped_no_permission += GET(w->counters.dropped_no_permission);
	sum->dropped_rate += GET(w->counters.dropped_rate);
	sum->dropped_busy += GET(w->counters.dropped_busy);
}
