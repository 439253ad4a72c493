/* record.c: recordings of an endpoint's audio into WAV files (8 kHz, 16-bit PCM). The
 * endpoint's worker decodes each G.711 or G.722 packet (G.722's 16 kHz taken down to 8 kHz
 * through a low-pass filter) and hands the samples to the one writer thread
 * of the engine, which alone calls libsndfile: it opens the file, writes, and finalises the
 * header when the recording ends. A worker never waits for it: a recording has at most
 * XB_MEDIA_RECORD_QUEUE frames on their way, and a frame beyond that is dropped and counted.
 *
 * A recording's life: xb_media_record (main loop) sends OPEN to the writer and puts the
 * recording on the endpoint (worker); the worker ends it (a stop, its limits, the endpoint
 * leaving) by sending CLOSE; the writer closes the file and tells the main loop once (or
 * at OPEN, when the file cannot be opened: the worker then ends it at its next scan).
 *
 * An endpoint may hold several recordings at once (a whole session's and a message's); each
 * packet goes to each of them.
 *
 * Both ways (stereo), the two channels arrive as separate packet streams; the writer
 * writes what both have, and pads the one that lags by more than LAG_MAX samples (a side
 * that sends nothing, on hold or muted) with silence, so the two stay in step. */
#include "media_private.h"

#include <crossbar/codec.h>
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <string.h>

#define RATE    8000
#define LAG_MAX (RATE / 5) /* 200 ms */
#define SAMPLES 480        /* the most of one packet recorded (60 ms) */
#define PT_PCMU 0
#define PT_PCMA 8
#define PT_G722 9
#define TAPS    31 /* of the low-pass filter that takes G.722's 16 kHz to 8 kHz */

/* G.722 of one channel of a recording: the decoder's state (it carries from one packet to
 * the next) and the last input samples the filter still needs. */
typedef struct {
	XbCodecState *codec;
	gint16 hist[TAPS - 1];
} Wideband;

struct xb_media_recording {
	/* set at creation, then read only */
	char *path;
	char *make_dir;
	gboolean both_ways;
	guint max_seconds, threshold, silence_seconds;
	/* main loop */
	XbMediaRecordFunc func;
	gpointer user_data;
	/* worker */
	XbMediaRecording *next; /* the endpoint's next recording */
	Wideband *g722[2];      /* per channel, made at its first G.722 packet */
	gint64 start_us, loud_us;
	guint64 taken; /* samples of channel 0 handed to the writer or dropped */
	/* writer */
	SNDFILE *sf;
	GError *error;
	gboolean told;
	GArray *lag[2]; /* both ways: samples of a channel not yet written */
	guint64 frames;
	/* any thread (atomic) */
	int queued;
	int failed; /* the writer cannot go on: the worker ends the recording */
	guint64 dropped;
	/* set by the worker before CLOSE, read by the writer after it */
	XbMediaRecordEnd end;
};

typedef enum { MSG_OPEN, MSG_DATA, MSG_CLOSE, MSG_QUIT } MsgType;

typedef struct {
	MsgType type;
	XbMediaRecording *rec; /* OPEN, DATA: borrowed; CLOSE: the pipeline's reference */
	int channel;
	guint n;
	gint16 samples[];
} Msg;

guint xb_media_record_writer_delay_us;

static GMutex writer_lock; /* the writer's start and stop (main loop, tests' threads) */
static GThread *writer;
static GAsyncQueue *msgs;

static void recording_clear(XbMediaRecording *rec)
{
	g_free(rec->path);
	g_free(rec->make_dir);
	for (int i = 0; i < 2; i++) {
		if (rec->g722[i])
			xb_codec_state_free(rec->g722[i]->codec);
		g_free(rec->g722[i]);
	}
	if (rec->sf)
		sf_close(rec->sf);
	g_clear_error(&rec->error);
	for (int i = 0; i < 2; i++)
		g_clear_pointer(&rec->lag[i], g_array_unref);
}

static XbMediaRecording *recording_ref(XbMediaRecording *rec)
{
	return g_atomic_rc_box_acquire(rec);
}

void xb_media_recording_unref(XbMediaRecording *rec)
{
	if (rec)
		g_atomic_rc_box_release_full(rec, (GDestroyNotify)recording_clear);
}

static void msg_push(MsgType type, XbMediaRecording *rec)
{
	Msg *m = g_new0(Msg, 1);
	m->type = type;
	m->rec = rec;
	g_async_queue_push(msgs, m);
}

/* ---- the writer thread ---- */

typedef struct {
	XbMediaRecording *rec; /* reference */
	XbMediaRecordResult r;
} Told;

static gboolean told_cb(gpointer data)
{
	Told *t = data;
	XbMediaRecording *rec = t->rec;

	if (rec->func)
		rec->func(rec, &t->r, rec->user_data);
	xb_media_recording_unref(rec);
	g_free(t);
	return G_SOURCE_REMOVE;
}

/* The main loop hears how the recording went (once). */
static void tell(XbMediaRecording *rec, XbMediaRecordEnd end)
{
	Told *t;

	if (rec->told)
		return;
	rec->told = TRUE;
	t = g_new0(Told, 1);
	t->rec = recording_ref(rec);
	t->r.end = rec->error ? XB_MEDIA_RECORD_ERROR : end;
	t->r.path = rec->path;
	t->r.error = rec->error;
	t->r.frames = rec->frames;
	t->r.dropped = __atomic_load_n(&rec->dropped, __ATOMIC_RELAXED);
	g_idle_add_full(G_PRIORITY_DEFAULT, told_cb, t, NULL);
}

static void writer_open(XbMediaRecording *rec)
{
	SF_INFO info = {.samplerate = RATE,
	                .channels = rec->both_ways ? 2 : 1,
	                .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};

	if (rec->make_dir && g_mkdir_with_parents(rec->make_dir, 0750) < 0)
		g_warning("record: cannot make %s: %s", rec->make_dir, g_strerror(errno));
	rec->sf = sf_open(rec->path, SFM_WRITE, &info);
	if (!rec->sf) {
		g_set_error(&rec->error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_FILE, "%s: %s", rec->path,
		            sf_strerror(NULL));
		g_warning("record: %s", rec->error->message);
		g_atomic_int_set(&rec->failed, 1);
		tell(rec, XB_MEDIA_RECORD_ERROR);
	}
}

/* Writes n frames of `data` (interleaved when both ways); a short write ends the file. */
static void writer_put(XbMediaRecording *rec, const gint16 *data, gsize n)
{
	if (!rec->sf || !n)
		return;
	sf_count_t put = sf_writef_short(rec->sf, data, (sf_count_t)n);
	if (put == (sf_count_t)n) {
		rec->frames += n;
		return;
	}
	g_set_error(&rec->error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_FILE, "%s: %s", rec->path,
	            sf_strerror(rec->sf));
	g_warning("record: write failed, recording stopped: %s", rec->error->message);
	sf_close(rec->sf);
	rec->sf = NULL;
	g_atomic_int_set(&rec->failed, 1);
}

/* Both ways: what both channels have goes out interleaved; `flush` pads the shorter. */
static void writer_interleave(XbMediaRecording *rec, gboolean flush)
{
	GArray *l = rec->lag[0], *r = rec->lag[1];
	guint n = MIN(l->len, r->len);

	if (flush || MAX(l->len, r->len) - n > LAG_MAX)
		n = MAX(l->len, r->len) - (flush ? 0 : LAG_MAX / 2);
	if (!n)
		return;
	g_autofree gint16 *out = g_new(gint16, 2 * (gsize)n);
	for (guint i = 0; i < n; i++) {
		out[2 * i] = i < l->len ? g_array_index(l, gint16, i) : 0;
		out[2 * i + 1] = i < r->len ? g_array_index(r, gint16, i) : 0;
	}
	g_array_remove_range(l, 0, MIN(n, l->len));
	g_array_remove_range(r, 0, MIN(n, r->len));
	writer_put(rec, out, n);
}

static void writer_data(Msg *m)
{
	XbMediaRecording *rec = m->rec;

	g_atomic_int_dec_and_test(&rec->queued);
	if (xb_media_record_writer_delay_us)
		g_usleep(xb_media_record_writer_delay_us);
	if (!rec->sf)
		return;
	if (!rec->both_ways) {
		writer_put(rec, m->samples, m->n);
		return;
	}
	for (int i = 0; i < 2; i++)
		if (!rec->lag[i])
			rec->lag[i] = g_array_new(FALSE, FALSE, sizeof(gint16));
	g_array_append_vals(rec->lag[m->channel], m->samples, m->n);
	writer_interleave(rec, FALSE);
}

static void writer_close(XbMediaRecording *rec)
{
	if (rec->sf && rec->both_ways && rec->lag[0])
		writer_interleave(rec, TRUE);
	if (rec->sf && sf_close(rec->sf) != 0 && !rec->error)
		g_set_error(&rec->error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_FILE,
		            "%s: cannot finish the file", rec->path);
	rec->sf = NULL;
	tell(rec, rec->end);
	xb_media_recording_unref(rec);
}

static gpointer writer_main(gpointer data)
{
	for (;;) {
		Msg *m = g_async_queue_pop(msgs);
		switch (m->type) {
		case MSG_OPEN:
			writer_open(m->rec);
			break;
		case MSG_DATA:
			writer_data(m);
			break;
		case MSG_CLOSE:
			writer_close(m->rec);
			break;
		case MSG_QUIT:
			g_free(m);
			return NULL;
		}
		g_free(m);
	}
}

static void writer_ensure(void)
{
	g_mutex_lock(&writer_lock);
	if (!writer) {
		msgs = g_async_queue_new();
		writer = g_thread_new("xb-record", writer_main, NULL);
	}
	g_mutex_unlock(&writer_lock);
}

void xb_media_record_shutdown(void)
{
	g_mutex_lock(&writer_lock);
	if (writer) {
		msg_push(MSG_QUIT, NULL);
		g_thread_join(writer);
		writer = NULL;
		g_clear_pointer(&msgs, g_async_queue_unref);
	}
	g_mutex_unlock(&writer_lock);
}

/* ---- the worker's side ---- */

/* The recording leaves its endpoint: the writer closes the file. */
static void record_end(XbMediaEndpoint *ep, XbMediaRecording *rec, XbMediaRecordEnd end)
{
	for (XbMediaRecording **at = &ep->rec; *at; at = &(*at)->next)
		if (*at == rec) {
			*at = rec->next;
			break;
		}
	rec->next = NULL;
	rec->end = end;
	msg_push(MSG_CLOSE, rec); /* the pipeline's reference goes with it */
}

static guint mean_level(const gint16 *s, guint n)
{
	guint64 sum = 0;

	for (guint i = 0; i < n; i++)
		sum += (guint)ABS((int)s[i]);
	return n ? (guint)(sum / n) : 0;
}

/* The low-pass filter's taps: a windowed sinc (Blackman) cut at 3.6 kHz of 16 kHz, in Q15. */
static const gint32 *lowpass(void)
{
	static gint32 taps[TAPS];
	static gsize done;

	if (g_once_init_enter(&done)) {
		double sum = 0, h[TAPS];
		for (int i = 0; i < TAPS; i++) {
			double x = i - (TAPS - 1) / 2.0, fc = 3600.0 / 16000.0;
			double sinc = x == 0 ? 2 * fc : sin(2 * G_PI * fc * x) / (G_PI * x);
			double w = 0.42 - 0.5 * cos(2 * G_PI * i / (TAPS - 1)) +
			           0.08 * cos(4 * G_PI * i / (TAPS - 1));
			h[i] = sinc * w;
			sum += h[i];
		}
		for (int i = 0; i < TAPS; i++)
			taps[i] = (gint32)lround(h[i] / sum * 32768);
		g_once_init_leave(&done, 1);
	}
	return taps;
}

/* A G.722 payload decoded and taken down to 8 kHz into `out` (room for SAMPLES): the
 * samples written. */
static guint wideband_decode(Wideband *wb, const guint8 *payload, guint len, gint16 *out)
{
	gint16 in[TAPS - 1 + 2 * SAMPLES];
	const gint32 *h = lowpass();
	guint n;

	len = MIN(len, SAMPLES); /* a G.722 byte is two 16 kHz samples: one at 8 kHz */
	memcpy(in, wb->hist, sizeof wb->hist);
	n = (guint)xb_codec_decode(wb->codec, payload, len, in + TAPS - 1);
	for (guint k = 0; k < n / 2; k++) {
		gint64 acc = 0;
		for (int j = 0; j < TAPS; j++)
			acc += (gint64)h[j] * in[2 * k + 1 + j];
		out[k] = (gint16)CLAMP(acc >> 15, G_MININT16, G_MAXINT16);
	}
	memcpy(wb->hist, in + n, sizeof wb->hist);
	return n / 2;
}

/* One packet's samples to the writer, for one recording. */
static void record_frame(XbMediaRecording *rec, int channel, const XbRtpHeader *h)
{
	guint n = (guint)MIN(h->payload_len, SAMPLES);

	if (channel && !rec->both_ways)
		return;
	/* Past max_seconds of audio the rest waits for the next scan to end the recording. */
	if (rec->max_seconds && rec->taken >= (guint64)rec->max_seconds * RATE)
		return;
	if (!channel)
		rec->taken += n;
	if (g_atomic_int_get(&rec->queued) >= XB_MEDIA_RECORD_QUEUE) {
		__atomic_fetch_add(&rec->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	Msg *m = g_malloc(sizeof *m + n * sizeof(gint16));
	m->type = MSG_DATA;
	m->rec = rec;
	m->channel = channel;
	m->n = n;
	if (h->pt == PT_G722) {
		if (!rec->g722[channel]) {
			rec->g722[channel] = g_new0(Wideband, 1);
			rec->g722[channel]->codec = xb_codec_state_new(xb_codec_find("G722", 8000));
		}
		m->n = n = wideband_decode(rec->g722[channel], h->payload, n, m->samples);
	} else if (h->pt == PT_PCMA)
		xb_g711_alaw_decode_buf(h->payload, m->samples, n);
	else
		xb_g711_ulaw_decode_buf(h->payload, m->samples, n);
	if (!channel && (!rec->threshold || mean_level(m->samples, n) >= rec->threshold))
		rec->loud_us = g_get_monotonic_time();
	g_atomic_int_inc(&rec->queued);
	g_async_queue_push(msgs, m);
}

void xb_media_record_packet(XbMediaRecording *rec, int channel, const guint8 *p, unsigned len)
{
	XbRtpHeader h;

	if (xb_rtp_parse(&h, p, len) < 0 ||
	    (h.pt != PT_PCMU && h.pt != PT_PCMA && h.pt != PT_G722) || !h.payload_len)
		return;
	for (; rec; rec = rec->next)
		record_frame(rec, channel, &h);
}

void xb_media_record_scan(XbMediaEndpoint *ep, gint64 now)
{
	XbMediaRecording *rec, *next;

	for (rec = ep->rec; rec; rec = next) {
		next = rec->next;
		if (g_atomic_int_get(&rec->failed))
			record_end(ep, rec, XB_MEDIA_RECORD_ERROR);
		else if (rec->max_seconds &&
		         now - rec->start_us >= rec->max_seconds * G_USEC_PER_SEC)
			record_end(ep, rec, XB_MEDIA_RECORD_MAX);
		else if (rec->threshold &&
		         now - rec->loud_us >= rec->silence_seconds * G_USEC_PER_SEC)
			record_end(ep, rec, XB_MEDIA_RECORD_SILENCE);
	}
}

void xb_media_record_detach(XbMediaEndpoint *ep)
{
	while (ep->rec)
		record_end(ep, ep->rec, XB_MEDIA_RECORD_GONE);
}

/* On the worker: the new recording joins the endpoint's (data: the pipeline's reference). */
static void start_on_worker(XbMediaEndpoint *ep, gpointer data)
{
	XbMediaRecording *rec = data;

	if (!ep || !ep->attached) {
		rec->end = XB_MEDIA_RECORD_GONE;
		msg_push(MSG_CLOSE, rec);
		return;
	}
	rec->next = ep->rec;
	ep->rec = rec;
	rec->start_us = rec->loud_us = g_get_monotonic_time();
}

static void stop_on_worker(XbMediaEndpoint *ep, gpointer data)
{
	XbMediaRecording *rec = data;

	for (XbMediaRecording *r = ep && ep->attached ? ep->rec : NULL; r; r = r->next)
		if (r == rec) {
			record_end(ep, rec, XB_MEDIA_RECORD_STOPPED);
			break;
		}
	xb_media_recording_unref(rec);
}

/* ---- the main loop's side ---- */

XbMediaRecording *xb_media_record(XbMediaEndpoint *ep, const char *path,
                                  const XbMediaRecordOptions *o, XbMediaRecordFunc func,
                                  gpointer user_data)
{
	static const XbMediaRecordOptions none = {0};
	XbMediaRecording *rec = g_atomic_rc_box_new0(XbMediaRecording);

	if (!o)
		o = &none;
	rec->path = g_strdup(path);
	rec->make_dir = g_strdup(o->make_dir);
	rec->both_ways = o->both_ways;
	rec->max_seconds = o->max_seconds;
	rec->threshold = o->silence_threshold;
	rec->silence_seconds = o->silence_threshold ? MAX(o->silence_seconds, 1) : 0;
	rec->func = func;
	rec->user_data = user_data;
	writer_ensure();
	msg_push(MSG_OPEN, rec);
	/* The pipeline's reference: the worker's while it records, then the writer's. */
	xb_media_engine_run(ep, start_on_worker, recording_ref(rec));
	return rec;
}

void xb_media_record_stop(XbMediaEndpoint *ep, XbMediaRecording *rec)
{
	if (ep && rec && !ep->freed)
		xb_media_engine_run(ep, stop_on_worker, recording_ref(rec));
}

void xb_media_recording_forget(XbMediaRecording *rec)
{
	if (rec)
		rec->func = NULL;
}
