/* turn_private.h: what mod_turn's files share: the configuration it runs on, the client
 * side (listeners, TCP connections), and the allocation tables with their permissions and
 * channels. Nothing here is public API; other modules must not include it. */
#pragma once

#include <crossbar/crossbar.h>
#include <gio/gio.h>
#include <sys/socket.h>

#include <crossbar/stun.h>

/* RFC 8656 §9: a permission lives 300 s; §12: a channel binding 600 s. */
#define TURN_PERMISSION_MS (300 * 1000)
#define TURN_CHANNEL_MS    (600 * 1000)
/* RFC 8656 §7.2 (EVEN-PORT R bit): the reserved next port is held about 30 s. */
#define TURN_RESERVATION_MS (30 * 1000)
/* A TCP connection with no allocation is closed after this long without a request. */
#define TURN_TCP_IDLE_MS (60 * 1000)
/* Bounded memory: permissions per allocation; TCP connections and port reservations in
 * total. */
#define TURN_MAX_PERMISSIONS  256
#define TURN_MAX_CONNECTIONS  4096
#define TURN_MAX_RESERVATIONS 1024
/* Out of file descriptors, accepting pauses this long before it is tried again. */
#define TURN_ACCEPT_PAUSE_MS 200
/* File descriptors the rest of the daemon is assumed to need beside mod_turn's. */
#define TURN_FD_SPARE 256
/* Bytes queued for a TCP client before relayed data is dropped. */
#define TURN_TCP_MAX_QUEUE (512 * 1024)

/* What mod_turn reports when it cannot start or its settings are wrong. */
#define XB_TURN_ERROR (xb_turn_error_quark())
GQuark xb_turn_error_quark(void);
typedef enum {
	XB_TURN_ERROR_LISTEN, /* a turn.listen address that cannot be used or bound */
	XB_TURN_ERROR_TLS,    /* turn.tls_certificate or turn.tls_key cannot be used */
	XB_TURN_ERROR_CONFIG, /* a turn setting's value is wrong (users, peers, lifetimes, relay) */
} XbTurnError;

typedef struct {
	struct stun_addr net; /* port unused; IPv4-mapped IPv6 nets are stored as IPv4 */
	guint prefix;
} TurnCidr;

/* The settings of section "turn" that can change on reload (listen and relay addresses are
 * read once at load). */
typedef struct {
	char *realm; /* turn.realm as set; "" follows the directory (turn_realm) */
	gboolean allow_loopback;
	guint16 port_lo, port_hi;
	char *secret;                          /* static_auth_secret, or NULL */
	GHashTable *users;                     /* user name -> password (turn.users) */
	GArray *allowed, *denied;              /* TurnCidr */
	guint max_allocs, max_allocs_per_user; /* 0: no limit */
	guint64 max_bps; /* bytes per second each way per allocation; 0: no limit */
	guint default_lifetime, max_lifetime, nonce_lifetime; /* seconds */
	gboolean rfc5766_channels;       /* accept channels 0x5000-0x7FFF too (default on) */
	guint unauth_rate, unauth_burst; /* answers to unauthenticated UDP requests per source */
} TurnConfig;

TurnConfig *turn_config_read(GError **error);
void turn_config_free(TurnConfig *cfg);
/* The realm in force: turn.realm, else the directory's, else "crossbar". */
const char *turn_realm(const TurnConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TurnConfig, turn_config_free)
gboolean turn_cidr_parse(const char *text, TurnCidr *out);

/* ---- peer policy (turn_peer.c) ---- */

/* 0 when the server may relay to peer, else 403 (RFC 8656 §9.1). */
int turn_peer_check(const TurnConfig *cfg, const struct stun_addr *peer);

/* An address without its port as a hash key: the family, then the address, zero-padded
 * (turn_alloc.c; permissions and the unauthenticated-answer limiter key on it). */
#define TURN_IP_KEY_LEN 17
void turn_ip_key(uint8_t out[TURN_IP_KEY_LEN], const struct stun_addr *a);
guint turn_ip_key_hash(gconstpointer p);
gboolean turn_ip_key_equal(gconstpointer a, gconstpointer b);

/* ---- answers to unauthenticated requests (turn_limit.c) ---- */

/* Source addresses with a bucket, at most; the oldest makes room (about 40 bytes each). */
#define TURN_LIMIT_SOURCES 8192

typedef struct turn_limiter TurnLimiter;
TurnLimiter *turn_limiter_new(guint cap);
void turn_limiter_free(TurnLimiter *l);
guint turn_limiter_count(const TurnLimiter *l);
/* Takes one token of src's bucket (rate per second, burst deep; rate 0: no limit): FALSE
 * when it is empty and the answer must be dropped. */
gboolean turn_limiter_take(TurnLimiter *l, const struct stun_addr *src, guint rate, guint burst,
                           gint64 now_ms);

/* ---- ChannelData framing (turn_channel.c) ---- */

#define TURN_CHANNEL_MAX_RFC5766 0x7fff
int turn_stream_frame(gboolean legacy, const uint8_t *buf, size_t avail, size_t *frame_len);
gboolean turn_is_channel_data(gboolean legacy, const uint8_t *buf, size_t len);
int turn_channel_parse(gboolean legacy, const uint8_t *buf, size_t len, gboolean stream,
                       uint16_t *channel, const uint8_t **data, size_t *data_len);
/* The header for any number (the caller checked it when the channel was bound). */
void turn_channel_header(uint8_t out[STUN_CHANNEL_HEADER_LEN], uint16_t channel, size_t len);

/* ---- credentials (turn_auth.c) ---- */

typedef struct {
	char username[514]; /* USERNAME is at most 513 bytes (RFC 8489 §14.3) */
	uint8_t key[STUN_KEY_MAX];
	size_t key_len;
	gboolean sha256; /* the request used MESSAGE-INTEGRITY-SHA256: answer in kind */
} TurnAuth;

/* Long-term credential check of a request (RFC 8489 §9.2.4). Returns 0 with auth filled, or
 * the error to answer: 400, 401 (add REALM and NONCE) or 438 (a fresh NONCE). */
int turn_auth_check(const TurnConfig *cfg, const uint8_t *nonce_key, size_t nonce_key_len,
                    const struct stun_msg *msg, const struct stun_addr *client, gint64 now_s,
                    TurnAuth *auth);
/* The password of a user, or NULL: turn.users first, then the directory, then the
 * time-limited shared secret. *expired is set when only an expired secret matched. */
char *turn_auth_password(const TurnConfig *cfg, const char *username, gint64 unix_now,
                         gboolean *expired);

/* ---- client side (turn_server.c) ---- */

typedef struct turn_server TurnServer;
typedef struct turn_alloc TurnAlloc;
typedef struct turn_worker TurnWorker;
typedef struct turn_walloc TurnWAlloc;

typedef struct {
	TurnServer *srv;
	XbTransport transport;
	GSocket *socket;
	GSource *source; /* NULL while accepting is paused (out of file descriptors) */
	XbTimer *resume; /* re-arms source after a pause */
	int fd;
	struct stun_addr addr;
	/* A UDP listener read on a media worker (one socket per worker, SO_REUSEPORT):
	 * its task and that worker's relay state; NULL when read on the main loop. */
	XbMediaTask *task;
	TurnWorker *wk;
} TurnListener;

typedef struct {
	TurnServer *srv;
	TurnListener *listener;
	GSocket *socket;
	GSource *in_src, *out_src;
	guint free_idle; /* deferred free after close */
	int fd;
	gboolean dead;
	struct stun_addr client, server;
	GByteArray *in, *out;
	TurnAlloc *alloc;   /* the allocation of this 5-tuple, or NULL */
	struct ssl_st *ssl; /* tls: listeners: OpenSSL over memory BIOs */
	XbTimer *idle;
	gint64 last_rx; /* ms on the core clock */
} TurnConn;

/* Where a message came from: the client's side of a 5-tuple. */
typedef struct {
	TurnListener *listener;
	TurnConn *conn; /* NULL over UDP */
	struct stun_addr client, server;
} TurnFrom;

/* Sends to the client of a 5-tuple (a datagram, or bytes on the connection). */
void turn_send_client(const TurnFrom *to, const uint8_t *buf, size_t len);

/* ---- allocations (turn_alloc.c) ---- */

typedef struct {
	uint8_t transport;
	uint8_t pad[3];
	struct stun_addr client, server;
} TurnTupleKey;

void turn_tuple_key(TurnTupleKey *key, const TurnFrom *from);
guint turn_tuple_hash(gconstpointer p);
gboolean turn_tuple_equal(gconstpointer a, gconstpointer b);
/* struct stun_addr keys copied with turn_addr_copy (zeroed beyond the address). */
guint turn_addr_hash(gconstpointer p);
gboolean turn_addr_equal(gconstpointer a, gconstpointer b);
void turn_addr_copy(struct stun_addr *dst, const struct stun_addr *src);

typedef struct turn_table TurnTable;

typedef struct {
	struct stun_addr peer;
	uint16_t number;
	XbTimer *timer;
	TurnAlloc *alloc;
} TurnChannel;

typedef struct {
	uint8_t ip[17]; /* family + address: the key of a permission (by IP, RFC 8656 §9) */
	XbTimer *timer;
	TurnAlloc *alloc;
} TurnPerm;

typedef struct {
	guint64 bytes_to_peer, bytes_to_client;
	guint64 pkts_to_peer, pkts_to_client;
	guint64 dropped;
} TurnTraffic;

struct turn_alloc {
	TurnTable *table;
	TurnTupleKey key;
	TurnFrom from;
	struct sockaddr_storage client_sa;
	socklen_t client_salen;
	char *username;
	TurnAuth auth;             /* the key responses to this client are signed with */
	uint8_t tid[STUN_TID_LEN]; /* of the Allocate that made it (retransmissions) */
	GSocket *relay;
	int relay_fd;
	struct stun_addr relayed;
	gint64 created, expires; /* ms on the core clock */
	XbTimer *expiry;
	GHashTable *perms;     /* ip[17] -> TurnPerm */
	GHashTable *chan_num;  /* number -> TurnChannel */
	GHashTable *chan_peer; /* struct stun_addr (zeroed) -> TurnChannel */
	TurnTraffic traffic;
	gint64 rate_second;
	guint64 rate_up, rate_down;
	guint32 lifetime; /* last granted, seconds */
	TurnWAlloc *wa;   /* its relaying on a media worker, or NULL (main loop) */
};

typedef struct {
	uint8_t token[8];
	GSocket *socket;
	uint16_t port;
	XbTimer *timer;
	TurnTable *table;
} TurnReservation;

struct turn_table {
	XbModule *owner;
	GHashTable *by_tuple;     /* TurnTupleKey -> TurnAlloc (owned) */
	GHashTable *per_user;     /* username -> count */
	GHashTable *reservations; /* token (8 bytes) -> TurnReservation (owned) */
	/* Called before an allocation is freed (events, counters); may be NULL. */
	void (*on_free)(TurnAlloc *a, const char *why, gpointer user_data);
	gpointer user_data;
};

TurnTable *turn_table_new(XbModule *owner);
void turn_table_free(TurnTable *t);
guint turn_table_count(const TurnTable *t);
guint turn_table_user_count(const TurnTable *t, const char *username);
TurnAlloc *turn_table_lookup(const TurnTable *t, const TurnTupleKey *key);

/* Creates an allocation for a 5-tuple (which must be free) that takes `relay` (may be NULL
 * in tests) bound at `relayed`, expiring in lifetime_s seconds. */
TurnAlloc *turn_alloc_new(TurnTable *t, const TurnFrom *from, const TurnAuth *auth, GSocket *relay,
                          const struct stun_addr *relayed, guint32 lifetime_s);
/* Sets the time to expiry (RFC 8656 §8); 0 deletes the allocation at once. */
void turn_alloc_refresh(TurnAlloc *a, guint32 lifetime_s);
/* Takes the allocation out of its table and frees it, telling on_free `why` first. */
void turn_alloc_free(TurnAlloc *a, const char *why);
gint64 turn_alloc_remaining_ms(const TurnAlloc *a);

/* Installs or refreshes the permission for peer's IP (port ignored). FALSE when the
 * allocation holds TURN_MAX_PERMISSIONS already. */
gboolean turn_alloc_permit(TurnAlloc *a, const struct stun_addr *peer);
gboolean turn_alloc_permitted(const TurnAlloc *a, const struct stun_addr *peer);
guint turn_alloc_permission_count(const TurnAlloc *a);
/* Binds or refreshes a channel (RFC 8656 §12.2): 0, or 400 when the number is outside
 * 0x4000-max or bound to another peer or the peer to another number, 508 when the
 * permission table is full. Installs or refreshes the peer's permission too. */
int turn_alloc_bind(TurnAlloc *a, uint16_t number, uint16_t max, const struct stun_addr *peer);
TurnChannel *turn_alloc_channel(const TurnAlloc *a, uint16_t number);
TurnChannel *turn_alloc_channel_for(const TurnAlloc *a, const struct stun_addr *peer);
guint turn_alloc_channel_count(const TurnAlloc *a);

/* Keeps `socket` (bound to `port`) for an Allocate that presents the token. */
TurnReservation *turn_reservation_add(TurnTable *t, GSocket *socket, uint16_t port);
/* Takes the reserved socket out (the caller owns it), or NULL when the token is unknown. */
GSocket *turn_reservation_take(TurnTable *t, const uint8_t token[8], uint16_t *port);

/* ---- relayed sockets (turn_relay.c) ---- */

/* Binds a UDP socket on addr with a port from [lo, hi]: any port, an even one, or an even
 * one whose next port is free too (then *next gets that second socket). NULL when the range
 * is exhausted (508). */
GSocket *turn_relay_bind(const struct stun_addr *addr, guint16 lo, guint16 hi, gboolean even,
                         GSocket **next, uint16_t *port);

/* ---- relaying on the media workers (turn_worker.c) ----
 *
 * A UDP allocation made through a listener read on a media worker is relayed on that
 * worker, both ways: ChannelData and Send indications from the listener's socket, and
 * datagrams from peers on the relayed socket (a task of the same worker). The worker
 * keeps its own copy of the allocation's permissions and channels (a TurnWAlloc), which
 * only it touches: the main loop, where requests are answered and timers run, sends each
 * change as a call to the worker. Requests that arrive on a worker's socket are copied to
 * the main loop. TCP and TLS clients stay on the main loop. */

/* Packets and bytes counted on the workers (atomic), summed into the server's figures. */
typedef struct {
	guint64 bytes_to_peer, bytes_to_client, pkts_to_peer, pkts_to_client;
	guint64 dropped_no_permission, dropped_rate, dropped_busy;
} TurnWorkerCounters;

/* One per media worker; made with the server. */
TurnWorker *turn_worker_new(TurnServer *srv, guint index, const TurnConfig *cfg);
void turn_worker_free(TurnWorker *w);
/* Reads the listener `l` on its worker `w` (l->task). */
void turn_worker_listen(TurnWorker *w, TurnListener *l);
/* The settings the workers read (rfc5766_channels, max_bps) after a reload. */
void turn_worker_config(TurnWorker *w, const TurnConfig *cfg);
void turn_worker_counters_add(TurnWorker *w, TurnWorkerCounters *sum);
/* Starts relaying allocation `a` (UDP, from a worker's listener) on that worker. */
void turn_worker_alloc_start(TurnWorker *w, TurnAlloc *a);
/* The allocation ends: the worker forgets it, then the relayed socket (taken) is closed. */
void turn_worker_alloc_stop(TurnWAlloc *wa, GSocket *relay);
void turn_worker_perm(TurnWAlloc *wa, const uint8_t ip[TURN_IP_KEY_LEN], gboolean add);
void turn_worker_channel(TurnWAlloc *wa, uint16_t number, const struct stun_addr *peer,
                         gboolean add);
/* What the allocation relayed, wherever it is relayed. */
void turn_alloc_traffic(const TurnAlloc *a, TurnTraffic *out);

/* ---- the server (turn_server.c, turn_request.c) ---- */

typedef struct {
	guint64 requests, allocations, allocate_errors, auth_failures, auth_refused_banned, expired;
	guint64 bytes_to_peer, bytes_to_client, pkts_to_peer, pkts_to_client;
	guint64 dropped_no_permission, dropped_rate, dropped_queue;
	guint64 dropped_unauth; /* answers to unauthenticated requests over the source's rate */
	guint64 dropped_busy;   /* requests a worker dropped: too many waiting for the main loop */
} TurnCounters;

struct turn_server {
	XbModule *owner;
	TurnConfig *cfg;
	GPtrArray *listeners; /* TurnListener */
	GHashTable *conns;    /* TurnConn set */
	TurnTable *table;
	TurnLimiter *unauth; /* answers to unauthenticated UDP requests, per source */
	struct stun_addr relay4, relay6;
	gboolean has_relay4, has_relay6;
	uint8_t nonce_key[32];  /* random per load: nonces do not survive a restart */
	gboolean fd_exhausted;  /* accept() failed with EMFILE/ENFILE; logged once until it works */
	struct ssl_ctx_st *tls; /* for tls: listeners, or NULL */
	int epfd;               /* epoll set of the relayed sockets */
	guint epoll_src;
	TurnCounters counters;
	GPtrArray *workers; /* TurnWorker, one per media worker (empty without the engine) */
	gboolean closing;   /* being freed: requests copied from workers are dropped */
};

TurnServer *turn_server_new(XbModule *owner, TurnConfig *cfg);
void turn_server_free(TurnServer *srv);
/* Loads the certificate and key for tls: listeners (call before turn_server_listen). */
gboolean turn_server_tls(TurnServer *srv, const char *cert, const char *key, GError **error);
gboolean turn_server_listen(TurnServer *srv, GArray *listen, GError **error);
/* turn.relay_address, or addresses derived from the listeners; see mod_turn.c. */
gboolean turn_server_set_relay(TurnServer *srv, char **addresses, GError **error);
/* Warns when turn.max_allocations and the connection cap need more file descriptors than
 * RLIMIT_NOFILE gives the process. */
void turn_server_check_fd_limit(TurnServer *srv);
/* The counters of the main loop and of the workers together. */
void turn_server_counters(const TurnServer *srv, TurnCounters *out);
/* Tells the workers the settings after a reload. */
void turn_server_config_changed(TurnServer *srv);
/* Starts reading an allocation's relayed socket. */
void turn_server_watch_relay(TurnServer *srv, TurnAlloc *a);
/* Sends data from the client to a peer through the relayed socket (RFC 8656 §11.2, §12.5). */
void turn_server_send_peer(TurnServer *srv, TurnAlloc *a, const struct stun_addr *peer,
                           const uint8_t *data, size_t len);
/* Per-allocation bandwidth cap (turn.max_bps, each way): FALSE means drop. */
gboolean turn_server_rate_ok(TurnServer *srv, TurnAlloc *a, size_t len, gboolean to_peer);

/* One message or ChannelData frame from a client (turn_request.c). */
void turn_request_handle(TurnServer *srv, const TurnFrom *from, const uint8_t *buf, size_t len);
