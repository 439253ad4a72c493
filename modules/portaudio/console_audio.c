/* console_audio.c: a console call's audio between the sound device and crossbar's media
 * endpoint. The audio thread owns the PortAudio stream (blocking reads and writes of 20 ms,
 * 16-bit mono at the device's rate); two tasks on a media worker turn RTP into device
 * samples and device samples into RTP:
 *
 *   device ──capture──> audio thread ──cap ring──> eventfd task: resample, encode, RTP ──> crossbar
 *   device <──playback── audio thread <──play ring── RTP task: decode, resample <── crossbar
 *
 * The audio thread is paced by the device (a blocking read waits for the sound card's
 * clock) and never faster than real time (it also waits for each 20 ms deadline of the
 * monotonic clock): a device that does not block (ALSA's null and file plugins) keeps
 * real time too. So RTP leaves in 20 ms packets at the pace the audio is captured.
 * The play ring starts playing once portaudio.jitter_ms are in it, plays silence when it
 * runs dry and starts again once primed (a gap); it holds PLAY_SLACK_MS more at most, the
 * oldest samples going first, so that a device slower than the far end does not pile up
 * delay. Resampling between the codec's rate (8 or 16 kHz) and the device's is speexdsp's,
 * as the media engine's own. The audio thread never touches the main loop's state:
 * it reports through xb_media_post. */
#include "console.h"

#include <crossbar/rtp.h>
#include <crossbar/random.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <portaudio.h>
#include <sndfile.h>
#include <speex/speex_resampler.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MS       20
#define PLAY_SLACK_MS  240 /* what the play ring holds beyond its prime: a ceiling on delay */
#define CAP_MAX_MS     200
#define RING_MAX_S     30 /* the longest ring file taken */
#define RESAMPLE_Q     5
#define DEVICE_WAIT_MS 3000 /* for the last call's thread to close the device */
#define MAX_DEV_FRAME  (192000 / 50)
#define RTP_PORTS      10 /* tried from portaudio.rtp_port on */

typedef struct {
	int16_t *buf;
	gsize cap, head, len;
} Ring;

struct console_media {
	/* main loop */
	ConsoleAudioFailFunc fail;
	ConsoleAudioRingFunc ring;
	gpointer user_data;
	gboolean stopping;
	guint parts; /* what has yet to finish before the free: the thread, each task */
	XbMediaTask *rtp_task, *cap_task;
	GThread *thread;

	/* set before the thread and tasks start, then read only */
	int in_dev, out_dev;
	guint rate;      /* the device's */
	guint dev_frame; /* samples of 20 ms at rate */
	guint prime;     /* samples in the play ring before it plays */
	char *ring_file;
	int rtp_fd, ev_fd;
	guint16 port;

	/* the media worker's */
	struct sockaddr_in remote;
	const XbCodec *codec;
	guint pt;
	XbCodecState *cs;
	SpeexResamplerState *rs_in, *rs_out; /* codec -> device, device -> codec */
	guint16 seq;
	guint32 ts, ssrc;
	gboolean marker;
	int16_t acc[640]; /* captured audio at the codec's rate, not sent yet */
	gsize acc_len;

	/* shared */
	gint stop; /* atomic: the audio thread ends */
	gint mode; /* atomic: ConsoleAudioMode */
	GMutex lock;
	Ring play, cap;
	gboolean primed;
};

/* One device at a time: a new call's thread waits until the last one closed the stream. */
static GMutex device_lock;
static GPtrArray *live; /* main loop: every ConsoleMedia not yet freed */

/* ---- rings ---- */

static void ring_init(Ring *r, gsize cap)
{
	r->buf = g_new0(int16_t, cap);
	r->cap = cap;
}

static void ring_push(Ring *r, const int16_t *s, gsize n)
{
	if (n > r->cap) {
		s += n - r->cap;
		n = r->cap;
	}
	if (r->len + n > r->cap) { /* the oldest go */
		gsize drop = r->len + n - r->cap;
		r->head = (r->head + drop) % r->cap;
		r->len -= drop;
	}
	for (gsize i = 0; i < n; i++)
		r->buf[(r->head + r->len + i) % r->cap] = s[i];
	r->len += n;
}

static gsize ring_pop(Ring *r, int16_t *s, gsize n)
{
	n = MIN(n, r->len);
	for (gsize i = 0; i < n; i++)
		s[i] = r->buf[(r->head + i) % r->cap];
	r->head = (r->head + n) % r->cap;
	r->len -= n;
	return n;
}

/* ---- reports to the main loop ---- */

typedef struct {
	ConsoleMedia *m;
	char *message;
} Report;

static void fail_cb(gpointer data)
{
	Report *r = data;

	if (!r->m->stopping && r->m->fail)
		r->m->fail(r->m, r->message, r->m->user_data);
	g_free(r->message);
	g_free(r);
}

static void report_fail(ConsoleMedia *m, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void report_fail(ConsoleMedia *m, const char *fmt, ...)
{
	Report *r = g_new0(Report, 1);
	va_list ap;

	va_start(ap, fmt);
	r->m = m;
	r->message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	xb_media_post(fail_cb, r);
}

static void ring_cb(gpointer data)
{
	ConsoleMedia *m = data;

	if (!m->stopping && m->ring)
		m->ring(m, m->user_data);
}

static void media_free(ConsoleMedia *m)
{
	if (live)
		g_ptr_array_remove(live, m);
	if (m->rtp_fd >= 0)
		close(m->rtp_fd);
	if (m->ev_fd >= 0)
		close(m->ev_fd);
	if (m->cs)
		xb_codec_state_free(m->cs);
	if (m->rs_in)
		speex_resampler_destroy(m->rs_in);
	if (m->rs_out)
		speex_resampler_destroy(m->rs_out);
	g_free(m->play.buf);
	g_free(m->cap.buf);
	g_free(m->ring_file);
	g_mutex_clear(&m->lock);
	g_free(m);
}

static void part_done(gpointer data)
{
	ConsoleMedia *m = data;

	if (--m->parts == 0)
		media_free(m);
}

static void thread_done_cb(gpointer data)
{
	ConsoleMedia *m = data;

	xb_info("console: the sound device is closed");

	g_thread_join(m->thread);
	m->thread = NULL;
	part_done(m);
}

/* ---- the ring sound ---- */

/* The built-in ring at `rate`: 400 + 450 Hz, 0.4 s on, 0.2 s off, 0.4 s on, 2 s off. */
static int16_t *ring_builtin(guint rate, gsize *n)
{
	gsize len = rate * 3;
	int16_t *s = g_new0(int16_t, len);

	for (gsize i = 0; i < len; i++) {
		double t = (double)i / rate;
		if (t < 0.4 || (t >= 0.6 && t < 1.0))
			s[i] =
			    (int16_t)(4000 * (sin(2 * G_PI * 400 * t) + sin(2 * G_PI * 450 * t)));
	}
	*n = len;
	return s;
}

/* A ring file, mixed to mono and resampled to `rate`; NULL (and a log line) when it
 * cannot be read. */
static int16_t *ring_load(const char *path, guint rate, gsize *n)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	g_autofree short *all = NULL;
	g_autofree int16_t *mono = NULL;
	int16_t *out;
	sf_count_t frames;

	if (!f) {
		g_warning("console: ring file %s: %s; the built-in ring is played", path,
		          sf_strerror(NULL));
		return NULL;
	}
	if (info.channels < 1 || info.samplerate < 1000 || info.samplerate > 192000 ||
	    info.frames <= 0 || info.frames > (sf_count_t)info.samplerate * RING_MAX_S) {
		g_warning("console: ring file %s: not audio of 1 to %d s; the built-in ring is "
		          "played",
		          path, RING_MAX_S);
		sf_close(f);
		return NULL;
	}
	all = g_new0(short, info.frames *info.channels);
	frames = sf_readf_short(f, all, info.frames);
	sf_close(f);
	mono = g_new0(int16_t, MAX(frames, 1));
	for (sf_count_t i = 0; i < frames; i++) {
		int sum = 0;
		for (int c = 0; c < info.channels; c++)
			sum += all[i * info.channels + c];
		mono[i] = (int16_t)(sum / info.channels);
	}
	spx_uint32_t in_len = (spx_uint32_t)frames;
	spx_uint32_t out_len = (spx_uint32_t)((guint64)frames * rate / info.samplerate + 64);
	out = g_new0(int16_t, out_len);
	if ((guint)info.samplerate == rate) {
		memcpy(out, mono, frames * sizeof(int16_t));
		out_len = (spx_uint32_t)frames;
	} else {
		int err;
		SpeexResamplerState *rs =
		    speex_resampler_init(1, (spx_uint32_t)info.samplerate, rate, RESAMPLE_Q, &err);
		if (!rs) {
			g_free(out);
			return NULL;
		}
		speex_resampler_skip_zeros(rs);
		speex_resampler_process_int(rs, 0, mono, &in_len, out, &out_len);
		speex_resampler_destroy(rs);
	}
	*n = out_len;
	return out;
}

/* ---- the audio thread ---- */

static PaError stream_open(ConsoleMedia *m, PaStream **s)
{
	PaStreamParameters in = {0}, out = {0};
	const PaDeviceInfo *di;

	if (m->in_dev >= 0) {
		di = Pa_GetDeviceInfo(m->in_dev);
		in.device = m->in_dev;
		in.channelCount = 1;
		in.sampleFormat = paInt16;
		in.suggestedLatency = di ? di->defaultHighInputLatency : 0.1;
	}
	di = Pa_GetDeviceInfo(m->out_dev);
	out.device = m->out_dev;
	out.channelCount = 1;
	out.sampleFormat = paInt16;
	out.suggestedLatency = di ? di->defaultHighOutputLatency : 0.1;
	return Pa_OpenStream(s, m->in_dev >= 0 ? &in : NULL, &out, m->rate, m->dev_frame, paClipOff,
	                     NULL, NULL);
}

static void deadline_next(struct timespec *t, struct timespec *now)
{
	t->tv_nsec += FRAME_MS * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
	/* Far behind (the machine stalled): start afresh from now instead of rushing. */
	gint64 behind = (gint64)(now->tv_sec - t->tv_sec) * 1000000000 + now->tv_nsec - t->tv_nsec;
	if (behind > 200 * 1000000L)
		*t = *now;
}

/* The next 20 ms for the device: the ring sound, or what the far end said. */
static void play_next(ConsoleMedia *m, int16_t *buf, const int16_t *ring, gsize ring_len,
                      gsize *ring_pos)
{
	gsize n = m->dev_frame;

	memset(buf, 0, n * sizeof(int16_t));
	if (g_atomic_int_get(&m->mode) == CONSOLE_AUDIO_RING) {
		for (gsize i = 0; ring && i < n; i++) {
			buf[i] = ring[*ring_pos];
			if (++*ring_pos == ring_len) {
				*ring_pos = 0;
				xb_media_post(ring_cb, m);
			}
		}
		return;
	}
	g_mutex_lock(&m->lock);
	if (!m->primed && m->play.len >= m->prime)
		m->primed = TRUE;
	if (m->primed && ring_pop(&m->play, buf, n) < n)
		m->primed = FALSE; /* ran dry: silence until primed again */
	g_mutex_unlock(&m->lock);
}

static gboolean io_failed(PaError err)
{
	return err != paNoError && err != paInputOverflowed && err != paOutputUnderflowed;
}

static gpointer audio_thread(gpointer data)
{
	ConsoleMedia *m = data;
	PaStream *s = NULL;
	PaError err;
	gsize ring_len = 0, ring_pos = 0;
	g_autofree int16_t *ring = NULL;
	g_autofree int16_t *in = g_new0(int16_t, m->dev_frame);
	g_autofree int16_t *out = g_new0(int16_t, m->dev_frame);
	struct timespec next, now;
	const guint64 one = 1;
	sigset_t pipe;

	/* A device that writes into a pipe (ALSA's file plugin) whose reader went away must
	 * fail the call, not kill the daemon: this thread takes SIGPIPE as EPIPE. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);

	if (g_strcmp0(m->ring_file, "none")) {
		if (m->ring_file && *m->ring_file)
			ring = ring_load(m->ring_file, m->rate, &ring_len);
		if (!ring)
			ring = ring_builtin(m->rate, &ring_len);
	}
	/* The last call's thread lets go of the device within a period, unless the device
	 * hangs it. */
	for (guint tries = 0; !g_mutex_trylock(&device_lock); tries++) {
		if (g_atomic_int_get(&m->stop))
			goto done;
		if (tries == DEVICE_WAIT_MS / 10) {
			report_fail(m, "the sound device is still held by the last call");
			goto done;
		}
		g_usleep(10000);
	}
	if (g_atomic_int_get(&m->stop))
		goto out;
	err = stream_open(m, &s);
	if (err == paNoError)
		err = Pa_StartStream(s);
	if (err != paNoError) {
		report_fail(m, "the sound device cannot be opened: %s", Pa_GetErrorText(err));
		goto out;
	}
	/* Two periods of silence ahead, so that a late wake-up does not starve the card. */
	Pa_WriteStream(s, out, m->dev_frame);
	Pa_WriteStream(s, out, m->dev_frame);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!g_atomic_int_get(&m->stop)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline_next(&next, &now);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (m->in_dev >= 0) {
			err = Pa_ReadStream(s, in, m->dev_frame);
			if (io_failed(err)) {
				report_fail(m, "the sound device failed: %s", Pa_GetErrorText(err));
				break;
			}
		}
		if (g_atomic_int_get(&m->mode) == CONSOLE_AUDIO_TALK) {
			g_mutex_lock(&m->lock);
			ring_push(&m->cap, in, m->dev_frame);
			g_mutex_unlock(&m->lock);
			if (write(m->ev_fd, &one, sizeof one) < 0 && errno != EAGAIN)
				break;
		}
		play_next(m, out, ring, ring_len, &ring_pos);
		err = Pa_WriteStream(s, out, m->dev_frame);
		if (io_failed(err)) {
			report_fail(m, "the sound device failed: %s", Pa_GetErrorText(err));
			break;
		}
	}
out:
	if (s) {
		Pa_AbortStream(s);
		Pa_CloseStream(s);
	}
	g_mutex_unlock(&device_lock);
done:
	xb_media_post(thread_done_cb, m);
	return NULL;
}

/* ---- the media worker's tasks ---- */

/* RTP from crossbar's endpoint: the codec's audio decoded, resampled and queued for the
 * device; anything else (telephone-events, comfort noise, strangers) dropped. */
static void rtp_readable(XbMediaTask *task, int fd, gpointer user_data)
{
	ConsoleMedia *m = user_data;
	uint8_t buf[1500];
	int16_t pcm[1920], dev[MAX_DEV_FRAME * 3];

	for (int i = 0; i < 64; i++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof from;
		ssize_t n =
		    recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		XbRtpHeader h;

		if (n < 0)
			return;
		if (flen != sizeof from || from.sin_port != m->remote.sin_port ||
		    from.sin_addr.s_addr != m->remote.sin_addr.s_addr)
			continue;
		if (xb_rtp_parse(&h, buf, (size_t)n) < 0 || h.pt != m->pt || !h.payload_len ||
		    h.payload_len > 480)
			continue;
		spx_uint32_t in_len =
		    (spx_uint32_t)xb_codec_decode(m->cs, h.payload, h.payload_len, pcm);
		spx_uint32_t out_len = G_N_ELEMENTS(dev);
		const int16_t *res = pcm;
		if (m->rs_in) {
			speex_resampler_process_int(m->rs_in, 0, pcm, &in_len, dev, &out_len);
			res = dev;
		} else {
			out_len = in_len;
		}
		g_mutex_lock(&m->lock);
		ring_push(&m->play, res, out_len);
		g_mutex_unlock(&m->lock);
	}
}

static void send_frame(ConsoleMedia *m)
{
	uint8_t payload[320], pkt[400];
	gsize bytes = xb_codec_encode(m->cs, m->acc, m->codec->frame_samples, payload);
	XbRtpHeader h = {
	    .marker = m->marker,
	    .pt = (uint8_t)m->pt,
	    .seq = m->seq++,
	    .ts = m->ts,
	    .ssrc = m->ssrc,
	};
	int len = xb_rtp_build(&h, payload, bytes, pkt, sizeof pkt);

	m->marker = FALSE;
	m->ts += m->codec->clock_rate / (1000 / FRAME_MS);
	if (len > 0)
		sendto(m->rtp_fd, pkt, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&m->remote,
		       sizeof m->remote);
	m->acc_len -= m->codec->frame_samples;
	memmove(m->acc, m->acc + m->codec->frame_samples, m->acc_len * sizeof(int16_t));
}

/* The audio thread captured 20 ms: resampled to the codec's rate, encoded, sent. */
static void capture_ready(XbMediaTask *task, int fd, gpointer user_data)
{
	ConsoleMedia *m = user_data;
	guint64 v;
	int16_t dev[MAX_DEV_FRAME], pcm[MAX_DEV_FRAME];

	if (read(fd, &v, sizeof v) < 0)
		return;
	for (;;) {
		gsize got;
		g_mutex_lock(&m->lock);
		got = m->cap.len >= m->dev_frame ? ring_pop(&m->cap, dev, m->dev_frame) : 0;
		g_mutex_unlock(&m->lock);
		if (!got)
			break;
		spx_uint32_t in_len = (spx_uint32_t)got, out_len = G_N_ELEMENTS(pcm);
		const int16_t *res = dev;
		if (m->rs_out) {
			speex_resampler_process_int(m->rs_out, 0, dev, &in_len, pcm, &out_len);
			res = pcm;
		} else {
			out_len = in_len;
		}
		out_len = MIN(out_len, G_N_ELEMENTS(m->acc) - m->acc_len);
		memcpy(m->acc + m->acc_len, res, out_len * sizeof(int16_t));
		m->acc_len += out_len;
		while (m->acc_len >= m->codec->frame_samples)
			send_frame(m);
	}
}

/* ---- the main loop's side ---- */

/* The RTP socket on 127.0.0.1: the first free port of port .. port + RTP_PORTS - 1, or
 * one the kernel picks (port 0). */
static gboolean rtp_bind(int fd, guint port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (guint i = 0; i < (port ? RTP_PORTS : 1); i++) {
		sa.sin_port = htons((guint16)(port ? MIN(port + i, 65535) : 0));
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return TRUE;
	}
	return FALSE;
}

ConsoleMedia *console_media_new(const ConsoleAudioConfig *cfg, ConsoleAudioFailFunc fail,
                                ConsoleAudioRingFunc ring, gpointer user_data, GError **error)
{
	ConsoleMedia *m;
	const PaDeviceInfo *di;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof sa;
	int out_dev = console_device_find(cfg->output_device, FALSE);
	int in_dev = console_device_find(cfg->input_device, TRUE);

	if (!console_pa_ready() || out_dev < 0) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_DESTINATION_OUT_OF_ORDER,
		            "no sound output device '%s'", cfg->output_device);
		return NULL;
	}
	if (xb_media_task_workers() == 0) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_SERVICE_UNAVAILABLE,
		            "the media engine is not running");
		return NULL;
	}
	m = g_new0(ConsoleMedia, 1);
	m->fail = fail;
	m->ring = ring;
	m->user_data = user_data;
	m->in_dev = in_dev;
	m->out_dev = out_dev;
	di = Pa_GetDeviceInfo(out_dev);
	m->rate = cfg->sample_rate ? cfg->sample_rate : (guint)(di ? di->defaultSampleRate : 48000);
	m->rate = CLAMP(m->rate, 8000, 192000);
	m->dev_frame = m->rate / (1000 / FRAME_MS);
	m->ring_file = g_strdup(cfg->ring_file);
	m->prime = m->rate * CLAMP(cfg->jitter_ms, FRAME_MS, 500) / 1000;
	m->mode = cfg->mode;
	g_mutex_init(&m->lock);
	ring_init(&m->play, m->prime + m->rate * PLAY_SLACK_MS / 1000);
	ring_init(&m->cap, m->rate * CAP_MAX_MS / 1000);
	m->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	m->rtp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->ev_fd < 0 || m->rtp_fd < 0 || !rtp_bind(m->rtp_fd, cfg->rtp_port) ||
	    getsockname(m->rtp_fd, (struct sockaddr *)&sa, &len) < 0) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_NORMAL_TEMPORARY_FAILURE,
		            "console RTP socket: %s", g_strerror(errno));
		media_free(m);
		return NULL;
	}
	m->port = ntohs(sa.sin_port);
	xb_random_bytes(&m->ssrc, sizeof m->ssrc);
	xb_random_bytes(&m->seq, sizeof m->seq);
	xb_random_bytes(&m->ts, sizeof m->ts);
	m->marker = TRUE;
	if (!live)
		live = g_ptr_array_new();
	g_ptr_array_add(live, m);
	m->parts = 1;
	m->thread = g_thread_new("console-audio", audio_thread, m);
	return m;
}

guint16 console_media_port(const ConsoleMedia *m)
{
	return m->port;
}

gboolean console_media_start(ConsoleMedia *m, const char *ip, guint16 port, const XbCodec *codec,
                             guint pt)
{
	int err = 0;

	if (m->rtp_task || !codec || !port || inet_pton(AF_INET, ip, &m->remote.sin_addr) != 1)
		return FALSE;
	m->remote.sin_family = AF_INET;
	m->remote.sin_port = htons(port);
	m->codec = codec;
	m->pt = pt;
	m->cs = xb_codec_state_new(codec);
	if (codec->sample_rate != m->rate) {
		m->rs_in = speex_resampler_init(1, codec->sample_rate, m->rate, RESAMPLE_Q, &err);
		m->rs_out = speex_resampler_init(1, m->rate, codec->sample_rate, RESAMPLE_Q, &err);
		if (!m->rs_in || !m->rs_out)
			return FALSE;
	}
	/* What was captured before there was anywhere to send it is stale. */
	g_mutex_lock(&m->lock);
	m->cap.len = 0;
	g_mutex_unlock(&m->lock);
	/* Both tasks on one worker, in order: the queue of commands to it publishes the
	 * fields above to that thread. */
	m->rtp_task = xb_media_task_add(m->rtp_fd, XB_MEDIA_ANY_WORKER, rtp_readable, m);
	if (!m->rtp_task)
		return FALSE;
	m->parts++;
	m->cap_task =
	    xb_media_task_add(m->ev_fd, xb_media_task_worker(m->rtp_task), capture_ready, m);
	if (m->cap_task)
		m->parts++;
	return m->cap_task != NULL;
}

void console_media_set_mode(ConsoleMedia *m, ConsoleAudioMode mode)
{
	g_atomic_int_set(&m->mode, (gint)mode);
}

void console_media_stop(ConsoleMedia *m)
{
	if (!m || m->stopping)
		return;
	m->stopping = TRUE;
	g_atomic_int_set(&m->stop, 1);
	if (m->rtp_task)
		xb_media_task_remove(m->rtp_task, part_done, m);
	if (m->cap_task)
		xb_media_task_remove(m->cap_task, part_done, m);
	m->rtp_task = m->cap_task = NULL;
}

gboolean console_media_stop_all(void)
{
	for (guint i = 0; live && i < live->len; i++)
		console_media_stop(live->pdata[i]);
	/* Each is freed once its thread and its tasks have reported (within a period of the
	 * device, or the device's own time-out when it hangs). */
	for (guint tries = 0; live && live->len && tries < 1000; tries++) {
		xb_media_task_sync();
		if (live->len)
			g_usleep(5000);
	}
	if (live && live->len) {
		g_warning("console: the sound device does not let go; its call's audio is "
		          "left behind");
		return FALSE;
	}
	g_clear_pointer(&live, g_ptr_array_unref);
	return TRUE;
}
