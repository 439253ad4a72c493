/* media_private.h: what the files of core/media/ share. An endpoint's fields are in two
 * groups: those of the main loop and those of the worker it lives on; a field of one group
 * is never touched by the other thread, except the counters (atomic) and the sockets, which
 * the main loop opens and hands over in the ATTACH command (the queue orders the two). */
#pragma once

#include "../core_private.h"

#include <crossbar/codec.h>
#include <crossbar/media.h>
#include <crossbar/rtp.h>
#include <crossbar/sdp.h>
#include <sys/socket.h>

typedef struct media_worker MediaWorker;
typedef struct media_codec MediaCodec; /* transcode.c */

/* An endpoint's ICE-lite credentials as its worker uses them: made on the main loop, handed
 * over in an ICE command, owned by the worker from then on. */
typedef struct {
	char ufrag[XB_SDP_ICE_UFRAG_MAX + 1];        /* ours */
	char pwd[XB_SDP_ICE_PWD_MAX + 1];            /* ours: the short-term key of checks */
	char remote_ufrag[XB_SDP_ICE_UFRAG_MAX + 1]; /* the far end's */
} MediaIce;

/* One socket of an endpoint, as the worker's poller knows it. */
typedef struct {
	XbMediaEndpoint *ep;
	int which; /* 0 RTP, 1 RTCP */
} MediaFdRef;

struct xb_media_endpoint {
	/* main loop */
	MediaWorker *w; /* where it lives, or will once its move is done */
	guint16 port;
	XbMediaEventFunc func;
	gpointer user_data;
	guint refs;
	gboolean freed;  /* the last reference went: waiting for the worker to let it go */
	gboolean moving; /* a DETACH is on its way: commands wait in `held` */
	GQueue held;
	XbMediaPlayFunc play_func; /* the playback in progress, told when it ends */
	gpointer play_data;
	guint64 play_id;                         /* of the playback the main loop waits for */
	char *ice_ufrag, *ice_pwd;               /* ours, NULL while ICE is off */
	char *ice_remote_ufrag, *ice_remote_pwd; /* the far end's, to tell a restart */
	const XbCodec *codec_told; /* the far end's codec as last handed to the worker */
	guint codec_told_pt;
	int tx_dtmf_pt; /* the far end's telephone-event payload type (-1: none), and rate */
	guint tx_dtmf_rate;

	/* handed over in ATTACH, closed by the worker on REMOVE */
	int fd[2];
	MediaFdRef ref[2];

	/* worker */
	MediaWorker *attached; /* the worker that polls it, or NULL */
	XbMediaEndpoint *peer; /* joined endpoint (same worker) */
	struct sockaddr_storage send_to[2];
	socklen_t send_len[2]; /* 0: nowhere to send */
	gboolean latched[2];
	guint latch_count; /* RTP packets from the latched source, up to the latching window */
	guint32 ssrc;      /* of the latched RTP source */
	gint64 last_rx_us;
	int dtmf_pt; /* telephone-event payload type, or -1 */
	guint dtmf_rate;
	XbRtpDtmfRx dtmf_rx;
	gint64 dtmf_last_us;
	guint timeout_s;
	gboolean timed_out;
	MediaIce *ice;         /* NULL while ICE is off */
	gboolean nominated[2]; /* send_to[i] is the address a check nominated */
	MediaCodec *codec;     /* what the far end sends and takes; NULL: relayed as it is */

	/* the stream towards the far end, relayed or played: one SSRC, sequence and timestamp
	 * run whatever its source (RFC 3550 §8.2 leaves a translator free to do so) */
	guint32 out_ssrc;
	guint16 out_seq;
	guint32 out_ts;
	gboolean out_started;
	guint32 src_ssrc; /* the relayed source the deltas below are for */
	gboolean src_valid;
	guint16 seq_delta;
	guint32 ts_delta;
	/* a playback: encoded frames sent every 20 ms in place of the relayed audio */
	GBytes *play;
	gsize play_off;
	guint play_pt, play_frame;
	gboolean play_loop; /* from the start again at the end, until stopped */
	gint64 play_start_us;
	guint play_frames_sent;
	guint64 play_running_id;
	XbMediaRecording *rec; /* the recordings in progress, a list (record.c) */
	/* what crossbar itself sent in the stream (plays, DTMF), for its sender reports */
	guint32 out_packets, out_octets;
	gint64 out_last_us;            /* when the last of them went */
	gint64 rtcp_next_us;           /* when the next sender report is due (rtcp.c) */
	struct media_dtmf_tx *dtmf_tx; /* digits being sent (dtmf_send.c), or NULL */

	/* counters: written by the worker, read by anyone (atomic) */
	guint64 rx_packets, tx_packets, rx_bytes, dropped;
	guint64 ice_checks, ice_refused;
};

/* ---- ports (ports.c, main loop) ---- */

/* Port pairs of [lo, hi] (RTP even, RTCP odd above it); a pair given back rests for
 * `rest_ms` before it is handed out again. */
void xb_media_ports_init(guint lo, guint hi, gint64 rest_ms);
void xb_media_ports_reset(void);
/* Two bound UDP sockets on the next free pair: fd[0] RTP, fd[1] RTCP; the RTP port. */
gboolean xb_media_ports_open(const char *bind_ip, int fd[2], guint16 *port, GError **error);
/* Gives back the pair of `port` with its two sockets, which stay bound while it rests. */
void xb_media_ports_release(guint16 port, const int fd[2]);
guint xb_media_ports_in_use(void);
guint xb_media_ports_resting(void);
guint xb_media_ports_total(void);

/* ---- the engine (engine.c) ---- */

/* Hands encoded frames (`frame` bytes each, 20 ms) to the endpoint's worker (play.c). */
void xb_media_engine_play(XbMediaEndpoint *ep, GBytes *frames, guint pt, guint frame, gboolean loop,
                          guint64 id);
void xb_media_engine_play_stop(XbMediaEndpoint *ep);
/* Hands digits to send as telephone-events (dtmf_send.c) to the endpoint's worker. */
void xb_media_engine_send_dtmf(XbMediaEndpoint *ep, GBytes *digits, guint pt, guint rate, guint ms);
/* A playback ended on its worker (engine.c tells play.c on the main loop). */
void xb_media_play_ended(XbMediaEndpoint *ep, guint64 id);

/* Sends one RTP packet of the endpoint's own stream to its far end (worker). */
void xb_media_send_own(MediaWorker *w, XbMediaEndpoint *ep, const guint8 *pkt, gsize len);
/* The worker's 10 ms tick is wanted by one more (TRUE) or one fewer (FALSE) sender. */
void xb_media_worker_tick(MediaWorker *w, gboolean want);

/* ---- DTMF sent as RFC 4733 telephone-events (dtmf_send.c, worker) ---- */

/* Queues `digits` (len bytes) to be sent with payload type pt at `rate`, `ms` each. */
void xb_media_dtmf_queue(MediaWorker *w, XbMediaEndpoint *ep, const char *digits, gsize len,
                         guint pt, guint rate, guint ms);
/* Every tick: the packets that fell due. */
void xb_media_dtmf_tick(MediaWorker *w, XbMediaEndpoint *ep, gint64 now);
/* Whether an event is being sent (relayed and played audio wait meanwhile). */
gboolean xb_media_dtmf_busy(const XbMediaEndpoint *ep);
/* The endpoint leaves its worker: what is queued is dropped. */
void xb_media_dtmf_clear(MediaWorker *w, XbMediaEndpoint *ep);

/* ---- RTCP (rtcp.c, worker) ---- */

/* A sender report with the CNAME, when one is due for a stream crossbar sends itself. */
void xb_media_rtcp_tick(XbMediaEndpoint *ep, gint64 now);
/* An RTCP compound relayed from `from`'s far end to `to`'s: the SSRCs it names are the
 * ones `to`'s far end knows (the restamped stream's, and the source it sends). */
void xb_media_rtcp_rewrite(const XbMediaEndpoint *from, const XbMediaEndpoint *to, guint8 *p,
                           gsize len);

/* How the workers started next are scheduled (media.priority): "normal", "high" (nice
 * -10) or "realtime" (SCHED_RR); a worker that may not takes normal and says so. */
void xb_media_engine_set_priority(const char *priority);
/* Start `workers` threads (0: one per core) for ports lo-hi. */
gboolean xb_media_engine_start(guint workers, guint lo, guint hi, gint64 rest_ms, GError **error);
/* Stop the workers and free what is left. */
void xb_media_engine_stop(void);
gboolean xb_media_engine_running(void);
/* Handle the events the workers posted (the main loop does it on its own; tests call it). */
void xb_media_dispatch_events(void);

typedef struct {
	guint endpoints;
	guint64 rx_packets, tx_packets, dropped;
} XbMediaWorkerStats;
guint xb_media_worker_count(void);
void xb_media_worker_stats(guint i, XbMediaWorkerStats *out);

/* Runs fn(ep, data) on the endpoint's worker, after the commands given before it; fn checks
 * ep->attached (NULL: the endpoint left its worker for good). When the command never reaches
 * a worker (the engine stops), fn(NULL, data) lets data go. */
typedef void (*MediaRunFunc)(XbMediaEndpoint *ep, gpointer data);
void xb_media_engine_run(XbMediaEndpoint *ep, MediaRunFunc fn, gpointer data);

/* ---- recording (record.c) ---- */

/* Worker: an RTP packet the far end of the endpoint whose recordings start at `rec` sent
 * (channel 0), or one sent to it (channel 1, recorded only both ways). */
void xb_media_record_packet(XbMediaRecording *rec, int channel, const guint8 *p, unsigned len);
/* Worker, every scan: ends the endpoint's recording at its time limit, silence or error. */
void xb_media_record_scan(XbMediaEndpoint *ep, gint64 now);
/* Worker (or the engine stopping): the endpoint leaves for good; its recording ends. */
void xb_media_record_detach(XbMediaEndpoint *ep);
/* Stops the writer thread once every file is closed (the engine stopping). */
void xb_media_record_shutdown(void);
/* Tests: the writer sleeps this long before each frame it writes (a slow disk). */
extern guint xb_media_record_writer_delay_us;

/* ---- ICE-lite (ice.c) ---- */

/* What became of a STUN packet that arrived on an endpoint with ICE on. */
typedef enum {
	MEDIA_ICE_ANSWERED,  /* a valid check, answered with success */
	MEDIA_ICE_NOMINATED, /* the same, with USE-CANDIDATE: its source is nominated */
	MEDIA_ICE_IGNORED,   /* nothing to answer and nothing wrong (a keepalive indication) */
	MEDIA_ICE_REFUSED,   /* answered with an error, or dropped as the RFCs say */
} MediaIceResult;

/* Whether a packet is STUN with the magic cookie (RFC 7983: first byte 0-3). */
gboolean xb_media_ice_is_stun(const guint8 *p, unsigned len);
/* Answers a STUN packet that arrived on `fd` from `from` (worker thread, no lock, no
 * allocation). */
MediaIceResult xb_media_ice_receive(const MediaIce *ice, int fd, const guint8 *p, unsigned len,
                                    const struct sockaddr_storage *from, socklen_t fromlen);
/* New credentials for an endpoint (main loop): a random ufrag of 8 ice-chars (48 bits) and
 * pwd of 24 (144 bits), above RFC 8445 §5.3's 24 and 128. */
void xb_media_ice_credentials(char **ufrag, char **pwd);

/* ---- transcoding (transcode.c) ---- */

/* A far end's codec with its payload type and a stream's state (made on the main loop,
 * handed to the worker in a CODEC command). */
MediaCodec *xb_media_codec_new(const XbCodec *codec, guint pt);
void xb_media_codec_free(MediaCodec *c);
guint xb_media_codec_pt(const MediaCodec *c);
const XbCodec *xb_media_codec_codec(const MediaCodec *c);
/* An RTP packet that arrived on `from` (both endpoints with a codec) made fit for `to`'s
 * far end, in place (the buffer holds PACKET_MAX bytes): its new length, or 0 to drop it. */
unsigned xb_media_transcode(XbMediaEndpoint *from, XbMediaEndpoint *to, guint8 *p, unsigned len);
/* ---- modules' tasks on the workers (fdtask.c over engine.c) ---- */

/* A task's descriptor is polled with a MediaFdRef whose `which` is -1 (ep NULL). */
void xb_media_task_ready(MediaFdRef *ref);
/* After each poll of worker `worker`: the tasks removed meanwhile are reported done (a
 * task removed by a command may still have an event later in the same batch). */
void xb_media_task_reap(guint worker);
/* func(data) on a worker's thread, in order with its other commands. */
void xb_media_engine_call(guint worker, XbMediaCallFunc func, gpointer data);
/* func(data) on the main loop (any thread). */
void xb_media_engine_post(XbMediaCallFunc func, gpointer data);
int xb_media_engine_epfd(guint worker);

/* media_cli.c */
extern const XbCliCommand xb_media_cli[];
