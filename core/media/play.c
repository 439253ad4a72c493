/* play.c: audio files played to an endpoint's far end. The file is read, mixed down to
 * mono, resampled to the codec's rate (8 kHz, 16 kHz for G.722; speexdsp) and encoded
 * (G.711, G.722) on a GLib worker thread, never on the main loop; the encoded frames then go to the
 * endpoint's media worker, which sends one every 20 ms in the stream it already sends (the same
 * SSRC, sequence and timestamps). */
#include "media_private.h"

#include <crossbar/codec.h>
#include <sndfile.h>
#include <speex/speex_resampler.h>
#include <math.h>
#include <string.h>

#define FRAME       160       /* bytes of G.711 or G.722 in 20 ms */
#define MAX_SECONDS (60 * 60) /* a longer file is refused rather than held in memory */

typedef struct {
	XbMediaEndpoint *ep; /* reference */
	char *path;
	const XbCodec *codec;
	guint pt;
	gboolean loop;
	guint64 id;
} Load;

static void load_free(gpointer data)
{
	Load *l = data;

	xb_media_endpoint_unref(l->ep);
	g_free(l->path);
	g_free(l);
}

/* The codec of an encoding name: PCMU unless it is one of the table's. */
static const XbCodec *codec_of(const char *encoding)
{
	const XbCodec *c = xb_codec_find(encoding, 8000);
	return c ? c : xb_codec_find("PCMU", 8000);
}

/* The whole of `pcm` (n samples at the codec's rate) encoded, the last frame padded with
 * silence. */
static GBytes *encode_frames(const XbCodec *codec, const gint16 *pcm, gsize n)
{
	gsize per = codec->frame_samples;
	gsize frames = (n + per - 1) / per;
	g_autofree gint16 *padded = g_new0(gint16, MAX(frames * per, 1));
	g_autoptr(XbCodecState) st = xb_codec_state_new(codec);
	guint8 *enc = g_malloc(MAX(frames * FRAME, 1));

	memcpy(padded, pcm, n * sizeof *pcm);
	xb_codec_encode(st, padded, frames * per, enc);
	return g_bytes_new_take(enc, frames * FRAME);
}

/* The file as mono 16-bit samples at `rate`. */
static GArray *read_samples(const char *path, guint rate, GError **error)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);

	if (!f) {
		g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_FILE, "%s: %s", path,
		            sf_strerror(NULL));
		return NULL;
	}
	if (info.channels < 1 || info.samplerate < 4000 || info.samplerate > 192000 ||
	    info.frames > (sf_count_t)MAX_SECONDS * info.samplerate) {
		g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_FILE,
		            "%s: not playable (%d channels at %d Hz, %" G_GINT64_FORMAT " frames)",
		            path, info.channels, info.samplerate, (gint64)info.frames);
		sf_close(f);
		return NULL;
	}
	g_autofree short *frames = g_new(short, (gsize)info.frames *info.channels + 1);
	sf_count_t got = sf_readf_short(f, frames, info.frames);
	sf_close(f);
	GArray *mono = g_array_sized_new(FALSE, FALSE, sizeof(gint16), (guint)got);
	for (sf_count_t i = 0; i < got; i++) {
		int sum = 0;
		for (int c = 0; c < info.channels; c++)
			sum += frames[i * info.channels + c];
		gint16 s = (gint16)(sum / info.channels);
		g_array_append_val(mono, s);
	}
	if ((guint)info.samplerate == rate)
		return mono;

	int err = 0;
	SpeexResamplerState *rs =
	    speex_resampler_init(1, (spx_uint32_t)info.samplerate, rate, 5, &err);
	if (!rs) {
		g_array_unref(mono);
		g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_FILE, "%s: cannot resample: %s",
		            path, speex_resampler_strerror(err));
		return NULL;
	}
	spx_uint32_t in_len = mono->len;
	spx_uint32_t out_len = (spx_uint32_t)((guint64)mono->len * rate / info.samplerate + 64);
	GArray *out = g_array_sized_new(FALSE, TRUE, sizeof(gint16), out_len);
	g_array_set_size(out, out_len);
	speex_resampler_process_int(rs, 0, (const spx_int16_t *)mono->data, &in_len,
	                            (spx_int16_t *)out->data, &out_len);
	speex_resampler_destroy(rs);
	g_array_set_size(out, out_len);
	g_array_unref(mono);
	return out;
}

static void load_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	Load *l = data;
	GError *error = NULL;
	g_autoptr(GArray) samples = read_samples(l->path, l->codec->sample_rate, &error);

	if (!samples) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_pointer(task,
	                      encode_frames(l->codec, (const gint16 *)samples->data, samples->len),
	                      (GDestroyNotify)g_bytes_unref);
}

static void loaded_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Load *l = g_task_get_task_data(G_TASK(res));
	XbMediaEndpoint *ep = l->ep;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) frames = g_task_propagate_pointer(G_TASK(res), &error);

	if (ep->freed || ep->play_id != l->id || !ep->play_func)
		return; /* stopped meanwhile */
	if (!frames) {
		XbMediaPlayFunc func = ep->play_func;
		ep->play_func = NULL;
		func(ep, error, ep->play_data);
		return;
	}
	xb_media_engine_play(ep, frames, l->pt, FRAME, l->loop, l->id);
}

static void play_file(XbMediaEndpoint *ep, const char *path, const char *encoding, guint pt,
                      gboolean loop, XbMediaPlayFunc func, gpointer user_data)
{
	Load *l = g_new0(Load, 1);
	g_autoptr(GTask) task = g_task_new(NULL, NULL, loaded_cb, NULL);

	ep->play_id++;
	ep->play_func = func;
	ep->play_data = user_data;
	l->ep = xb_media_endpoint_ref(ep);
	l->path = g_strdup(path);
	l->codec = codec_of(encoding);
	l->pt = pt;
	l->loop = loop;
	l->id = ep->play_id;
	g_task_set_task_data(task, l, load_free);
	g_task_run_in_thread(task, load_thread);
}

void xb_media_play(XbMediaEndpoint *ep, const char *path, const char *encoding, guint pt,
                   XbMediaPlayFunc func, gpointer user_data)
{
	play_file(ep, path, encoding, pt, FALSE, func, user_data);
}

/* Music on hold: nothing to tell but a file that cannot be read. */
static void loop_failed(XbMediaEndpoint *ep, const GError *error, gpointer user_data)
{
	if (error)
		g_warning("music on hold: %s", error->message);
}

void xb_media_play_loop(XbMediaEndpoint *ep, const char *path, const char *encoding, guint pt)
{
	play_file(ep, path, encoding, pt, TRUE, loop_failed, NULL);
}

/* ---- tones ---- */

/* A tone's cadence: pairs of frequencies (Hz, 0 for none) on for `on` ms, then silent for
 * `off` ms, in turn; ITU-T E.180's figures for each country. */
typedef struct {
	const char *name;
	guint f1, f2;
	guint cadence[4]; /* on, off, on, off (ms; 0 ends) */
} Tone;

static const Tone tones_eu[] = {
    {"ringback", 425, 0, {1000, 4000}},
    {"busy", 425, 0, {500, 500}},
    {"congestion", 425, 0, {200, 200}},
    {"beep", 1000, 0, {500}},
};
static const Tone tones_us[] = {
    {"ringback", 440, 480, {2000, 4000}},
    {"busy", 480, 620, {500, 500}},
    {"congestion", 480, 620, {250, 250}},
    {"beep", 1000, 0, {500}},
};
static const Tone tones_uk[] = {
    {"ringback", 400, 450, {400, 200, 400, 2000}},
    {"busy", 400, 0, {375, 375}},
    {"congestion", 400, 0, {400, 350, 225, 525}},
    {"beep", 1000, 0, {500}},
};

const char *const xb_media_tone_names[] = {"ringback", "busy", "congestion", "beep", NULL};

static const Tone *tone_find(const char *name)
{
	const char *country = xb_config_get_string("media.tone_country");
	const Tone *set = tones_eu;

	if (!g_strcmp0(country, "us"))
		set = tones_us;
	else if (!g_strcmp0(country, "uk"))
		set = tones_uk;
	for (guint i = 0; i < G_N_ELEMENTS(tones_eu); i++)
		if (!strcmp(set[i].name, name))
			return &set[i];
	return NULL;
}

/* `ms` of the tone (whole cycles of its cadence when ms is 0), encoded. */
static GBytes *tone_frames(const Tone *t, guint ms, const XbCodec *codec)
{
	guint rate = codec->sample_rate;
	guint cycle = 0;
	for (guint i = 0; i < G_N_ELEMENTS(t->cadence); i++)
		cycle += t->cadence[i];
	if (!ms)
		ms = cycle;
	gsize n = (gsize)ms * rate / 1000 / codec->frame_samples * codec->frame_samples;
	g_autofree gint16 *pcm = g_new0(gint16, MAX(n, 1));
	for (gsize i = 0; i < n; i++) {
		guint at = (guint)(i * 1000 / rate) % cycle, edge = 0;
		gboolean on = FALSE;
		for (guint k = 0; k < G_N_ELEMENTS(t->cadence) && t->cadence[k]; k++) {
			edge += t->cadence[k];
			if (at < edge) {
				on = k % 2 == 0;
				break;
			}
		}
		if (!on)
			continue;
		double s = sin(2 * G_PI * t->f1 * i / rate);
		if (t->f2)
			s = (s + sin(2 * G_PI * t->f2 * i / rate)) / 2;
		pcm[i] = (gint16)(s * 8000); /* about -12 dBm0 */
	}
	return encode_frames(codec, pcm, n);
}

gboolean xb_media_play_tone(XbMediaEndpoint *ep, const char *name, const char *encoding, guint pt,
                            guint ms, XbMediaPlayFunc func, gpointer user_data)
{
	const Tone *t = tone_find(name);

	if (!t)
		return FALSE;
	g_autoptr(GBytes) frames = tone_frames(t, ms, codec_of(encoding));
	ep->play_id++;
	ep->play_func = func;
	ep->play_data = user_data;
	xb_media_engine_play(ep, frames, pt, FRAME, func == NULL, ep->play_id);
	return TRUE;
}

void xb_media_play_stop(XbMediaEndpoint *ep)
{
	if (!ep || ep->freed)
		return; /* (a tone without func plays on until stopped: stop it too) */
	ep->play_id++;
	ep->play_func = NULL;
	xb_media_engine_play_stop(ep);
}

void xb_media_play_ended(XbMediaEndpoint *ep, guint64 id)
{
	if (id != ep->play_id || !ep->play_func)
		return;
	XbMediaPlayFunc func = ep->play_func;
	ep->play_func = NULL;
	func(ep, NULL, ep->play_data);
}
