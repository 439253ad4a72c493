/* media.h: the media engine. RTP and RTCP are moved by worker threads (media.workers, one
 * per core by default), each with its own poller; the main loop only sends commands and
 * receives events. An endpoint is one leg's media: an even UDP port for RTP and the odd
 * one above it for RTCP, taken from media.rtp_ports, living on one worker for its lifetime.
 * Two endpoints joined relay each other's packets: what arrives on one goes out of the
 * other to its far end, with no lock and no copy beyond the kernel's.
 *
 * The far end's address is what its session description says until its packets arrive;
 * then, for phones behind NAT, packets go back to where they come from (symmetric RTP).
 * To keep a stranger from hijacking a stream, the source is learnt ("latched") only in the
 * first packets of a stream, and later moves only to a source that sends the SSRC already
 * learnt.
 *
 * When the far end offers ICE, an endpoint is an ICE-lite agent (RFC 8445 §2.5): it has
 * credentials of its own for the description crossbar sends back, its worker answers the
 * far end's connectivity checks (STUN Binding requests on the RTP and RTCP ports, short-term
 * credentials), and the address a check nominates (USE-CANDIDATE) is where RTP then goes,
 * whatever latching learnt. Every function here is for the main loop's thread. */
#pragma once

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define XB_MEDIA_ERROR (xb_media_error_quark())
GQuark xb_media_error_quark(void);
typedef enum {
	XB_MEDIA_ERROR_NO_PORTS, /* every port pair of media.rtp_ports is in use or resting */
	XB_MEDIA_ERROR_SOCKET,   /* a socket could not be made or bound */
	XB_MEDIA_ERROR_STOPPED,  /* the engine is not running */
	XB_MEDIA_ERROR_FILE,     /* an audio file that cannot be played */
} XbMediaError;

typedef struct xb_media_endpoint XbMediaEndpoint;

typedef enum {
	XB_MEDIA_EV_TIMEOUT,   /* no RTP for the endpoint's timeout (once per silence) */
	XB_MEDIA_EV_LATCHED,   /* RTP now goes back to a source learnt from its packets */
	XB_MEDIA_EV_DTMF,      /* a telephone-event (RFC 4733) ended */
	XB_MEDIA_EV_NOMINATED, /* ICE: a check nominated a new address for a component */
} XbMediaEventType;

typedef struct {
	XbMediaEventType type;
	GInetSocketAddress *source; /* LATCHED: where the packets come from; NOMINATED: the
	                             * nominated address */
	guint component;            /* NOMINATED: 1 RTP, 2 RTCP */
	char digit;                 /* DTMF: '0'-'9', '*', '#', 'A'-'D' */
	guint duration_ms;          /* DTMF: how long it lasted */
} XbMediaEvent;

typedef void (*XbMediaEventFunc)(XbMediaEndpoint *ep, const XbMediaEvent *ev, gpointer user_data);

/* A new endpoint bound to `bind_ip` (a literal address; NULL: every IPv4 address), on the
 * worker of `near` when given (so that two legs of one call share a worker and join without
 * a lock), else on the least loaded one. `func` gets the endpoint's events on the main loop
 * until its last reference goes. NULL with XB_MEDIA_ERROR set when no port pair is free. */
XbMediaEndpoint *xb_media_endpoint_new(const char *bind_ip, XbMediaEndpoint *near,
                                       XbMediaEventFunc func, gpointer user_data, GError **error);
/* Another holder (the legs of one target that ring together share an endpoint). */
XbMediaEndpoint *xb_media_endpoint_ref(XbMediaEndpoint *ep);
/* Drops a holder's reference; with the last, the endpoint stops: its events stop at once;
 * its sockets close on its worker and its ports rest for a quiet period before another
 * endpoint takes them. NULL is accepted. */
void xb_media_endpoint_unref(XbMediaEndpoint *ep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbMediaEndpoint, xb_media_endpoint_unref)

/* The local RTP port (RTCP is the port above it). */
guint16 xb_media_endpoint_port(const XbMediaEndpoint *ep);
/* The far end as its session description gives it: RTP to `ip`:`port`, RTCP to `port` + 1.
 * A new address starts learning the source afresh. port 0 stops sending (a stream put on
 * hold or rejected). */
gboolean xb_media_endpoint_set_remote(XbMediaEndpoint *ep, const char *ip, guint16 port);
/* The RTP payload type of the far end's telephone-events (RFC 4733) at `clock_rate`, or
 * -1 for none: their packets are still relayed, and each event is also reported
 * (XB_MEDIA_EV_DTMF). */
void xb_media_endpoint_set_dtmf(XbMediaEndpoint *ep, int payload_type, guint clock_rate);
/* The codec the far end negotiated, by encoding name ("PCMU", "PCMA", "G722", at an RTP
 * clock of 8000), with its payload type `pt`. When two joined endpoints both have one and
 * they differ, the worker transcodes: it decodes what arrives on one, resamples 8 <-> 16
 * kHz when needed and encodes it in the other's codec and payload type, within the stream
 * the other already sends. Telephone-events pass with the payload type rewritten to the
 * other's (xb_media_endpoint_set_dtmf). The same codec on both, or an endpoint without
 * one (the default, NULL), relays packets as they come. FALSE (and no codec) for an
 * encoding the engine cannot transcode. */
gboolean xb_media_endpoint_set_codec(XbMediaEndpoint *ep, const char *encoding, guint pt);
/* Seconds without RTP before XB_MEDIA_EV_TIMEOUT; 0 never. */
void xb_media_endpoint_set_timeout(XbMediaEndpoint *ep, guint seconds);
/* ICE-lite toward the far end whose description carried `remote_ufrag` and `remote_pwd`
 * (RFC 8839 ice-ufrag, ice-pwd); NULL: the far end does not use ICE (the default), and the
 * worker drops STUN like any packet that is not RTP. The endpoint's own credentials are
 * made at the first call and made anew when the far end's change (an ICE restart, RFC 8445
 * §9), which also forgets the nominated addresses. FALSE (and ICE off) for credentials that
 * are not ice-chars of RFC 8839's lengths. Call it before xb_media_endpoint_set_remote for
 * the same description: a nominated address outlives a new description with the same
 * credentials. */
gboolean xb_media_endpoint_set_ice(XbMediaEndpoint *ep, const char *remote_ufrag,
                                   const char *remote_pwd);
/* The endpoint's own ICE credentials, for the description that goes to its far end; NULL
 * while ICE is off. */
const char *xb_media_endpoint_ice_ufrag(const XbMediaEndpoint *ep);
const char *xb_media_endpoint_ice_pwd(const XbMediaEndpoint *ep);
/* Relay between two endpoints (each leaves any other it was joined to); one moves to the
 * other's worker when they are on different ones. An endpoint joined to itself sends back
 * what it receives (an echo). */
void xb_media_join(XbMediaEndpoint *a, XbMediaEndpoint *b);
/* Stop relaying; packets that arrive are counted and dropped. */
void xb_media_unjoin(XbMediaEndpoint *ep);

/* Playing an audio file to the far end (in place of what the endpoint relays): any file
 * libsndfile reads (WAV of 16-bit PCM or G.711 ...), mixed down to mono and resampled to
 * the codec's rate, sent as `encoding` ("PCMU", "PCMA" or "G722" at 16 kHz) with payload
 * type `pt`, 20 ms a packet. The
 * file is read off the main loop. `func` is told once, when the file has been played or
 * could not be (error set: not found, not audio, too long); not after
 * xb_media_play_stop or the endpoint's last reference. */
typedef void (*XbMediaPlayFunc)(XbMediaEndpoint *ep, const GError *error, gpointer user_data);
void xb_media_play(XbMediaEndpoint *ep, const char *path, const char *encoding, guint pt,
                   XbMediaPlayFunc func, gpointer user_data);
void xb_media_play_stop(XbMediaEndpoint *ep);
/* The same file again and again, until xb_media_play_stop (music on hold). */
void xb_media_play_loop(XbMediaEndpoint *ep, const char *path, const char *encoding, guint pt);
/* A call progress tone of media.tone_country (ITU-T E.180): "ringback", "busy",
 * "congestion" or "beep", for `ms` milliseconds (0: one cycle of its cadence), then `func`;
 * without func it repeats until xb_media_play_stop. FALSE for an unknown tone. */
gboolean xb_media_play_tone(XbMediaEndpoint *ep, const char *tone, const char *encoding, guint pt,
                            guint ms, XbMediaPlayFunc func, gpointer user_data);
extern const char *const xb_media_tone_names[];

/* Recording into a WAV file of 8 kHz 16-bit PCM (libsndfile): what the endpoint receives
 * from its far end (one channel), or, with `both_ways`, a stereo file whose left channel is
 * what the endpoint receives and whose right channel is what it sends its far end (the
 * joined leg's audio, a prompt played), for as long as the endpoint lives, whatever it is
 * joined to. G.711 and G.722 (payload types 0, 8 and 9) are audio to record, G.722 taken
 * down to 8 kHz. The worker decodes; one writer thread of the engine opens, writes and
 * finalises the files, so neither the main loop nor a worker waits for a disk. When the
 * writer falls behind by more than XB_MEDIA_RECORD_QUEUE frames of one recording, further
 * frames are dropped and counted (a gap in the file), never waited for. */
#define XB_MEDIA_RECORD_QUEUE 500 /* 10 s of one channel */

typedef struct xb_media_recording XbMediaRecording;

typedef enum {
	XB_MEDIA_RECORD_STOPPED, /* xb_media_record_stop */
	XB_MEDIA_RECORD_GONE,    /* the endpoint's last reference went (a hang-up) */
	XB_MEDIA_RECORD_MAX,     /* max_seconds passed */
	XB_MEDIA_RECORD_SILENCE, /* silence_seconds without a frame above silence_threshold */
	XB_MEDIA_RECORD_ERROR,   /* the file could not be opened or written (error set) */
} XbMediaRecordEnd;

typedef struct {
	gboolean both_ways;
	guint max_seconds;       /* 0: no limit */
	guint silence_threshold; /* mean absolute sample (0-32767) of 20 ms; 0: no silence stop */
	guint silence_seconds;
	const char *make_dir; /* a folder made (with its parents) before the file is opened */
} XbMediaRecordOptions;

typedef struct {
	XbMediaRecordEnd end;
	const char *path;
	const GError *error; /* ERROR: what went wrong */
	guint64 frames;      /* samples written per channel (8000 a second) */
	guint64 dropped;     /* 20 ms frames dropped because the writer fell behind */
} XbMediaRecordResult;

/* Told once on the main loop, when the file is closed and complete (or could not be
 * opened); not after xb_media_recording_forget. */
typedef void (*XbMediaRecordFunc)(XbMediaRecording *rec, const XbMediaRecordResult *r,
                                  gpointer user_data);
/* Starts recording into `path` (beside any other recording of the endpoint). The caller
 * owns the reference returned. */
XbMediaRecording *xb_media_record(XbMediaEndpoint *ep, const char *path,
                                  const XbMediaRecordOptions *options, XbMediaRecordFunc func,
                                  gpointer user_data);
/* Stops `rec` on `ep` (nothing when it is over or was another endpoint's). */
void xb_media_record_stop(XbMediaEndpoint *ep, XbMediaRecording *rec);
/* `func` is not told any more (the recording itself goes on until it ends). */
void xb_media_recording_forget(XbMediaRecording *rec);
void xb_media_recording_unref(XbMediaRecording *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbMediaRecording, xb_media_recording_unref)
/* DTMF to the far end as RFC 4733 telephone-events in the endpoint's stream (its SSRC, and
 * sequence numbers and timestamps going on from the audio): '0'-'9', '*', '#', 'A'-'D'
 * (others are skipped), `duration_ms` each (0: 100 ms; 40 ms to 5 s), 100 ms apart, the
 * relayed or played audio paused during each. `pt` is the payload type, -1 the far end's
 * own (xb_media_endpoint_set_dtmf). FALSE, and nothing sent, when there is none (the far
 * end did not agree to telephone-events: send the digits another way) or no digit. */
gboolean xb_media_send_dtmf(XbMediaEndpoint *ep, const char *digits, guint duration_ms, int pt);
/* The far end's telephone-event payload type as last set, or -1 (also for NULL). */
int xb_media_endpoint_dtmf_pt(const XbMediaEndpoint *ep);

typedef struct {
	guint64 rx_packets, tx_packets, rx_bytes, dropped;
	guint64 ice_checks;  /* connectivity checks answered with success */
	guint64 ice_refused; /* STUN refused: bad credentials or integrity, a role conflict,
	                      * a malformed message (answered with an error or dropped) */
} XbMediaCounters;
/* What the endpoint has received, sent on and dropped (RTP and RTCP together; STUN counts
 * as received, and as dropped only while ICE is off), as last seen by its worker. */
void xb_media_endpoint_counters(const XbMediaEndpoint *ep, XbMediaCounters *out);

/* ---- packet work of modules on the media workers ----
 *
 * A module's own sockets may be read on the media workers too (mod_turn's relay): a task
 * is a descriptor that one worker polls, calling `func` on that worker's thread whenever
 * it is readable (level-triggered: `func` reads what it wants, with recvmmsg in batches,
 * and is called again while data is left). Everything `func` touches must belong to that
 * worker, or be atomic: the main loop changes a task's state by handing functions to its
 * worker (xb_media_task_call), and a worker reports back with xb_media_post. The task
 * does not own the descriptor: close it only after the task's removal is done. Unless
 * said otherwise these functions are for the main loop's thread. */
typedef struct xb_media_task XbMediaTask;
typedef void (*XbMediaTaskFunc)(XbMediaTask *task, int fd, gpointer user_data);
typedef void (*XbMediaCallFunc)(gpointer data);

#define XB_MEDIA_ANY_WORKER G_MAXUINT

/* How many workers run (0: the engine is not running, and tasks cannot be added). */
guint xb_media_task_workers(void);
/* Polls `fd` on worker `worker` (modulo their number), or on the one with the fewest
 * endpoints and tasks (XB_MEDIA_ANY_WORKER). NULL when the engine is not running. */
XbMediaTask *xb_media_task_add(int fd, guint worker, XbMediaTaskFunc func, gpointer user_data);
/* The worker a task lives on. */
guint xb_media_task_worker(const XbMediaTask *task);
/* Runs func(data) on worker `worker`'s thread, after what was given to it before. */
void xb_media_worker_call(guint worker, XbMediaCallFunc func, gpointer data);
/* Runs func(data) on the task's worker, in order with the task's other calls. */
void xb_media_task_call(XbMediaTask *task, XbMediaCallFunc func, gpointer data);
/* The worker stops polling the task (after the calls given to it before); then `done`
 * (may be NULL) runs on the main loop and the task is freed. func is not called after
 * `done`. */
void xb_media_task_remove(XbMediaTask *task, XbMediaCallFunc done, gpointer data);
/* Any thread: func(data) on the main loop, soon. */
void xb_media_post(XbMediaCallFunc func, gpointer data);
/* Blocks until every worker has run what it was given so far, then runs on this thread
 * what the workers posted (pending removals' `done` among them). For a module's unload:
 * afterwards no worker calls into it. */
void xb_media_task_sync(void);

G_END_DECLS
