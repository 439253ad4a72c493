/* console.h: mod_portaudio's private parts. The console is the machine's sound card as one
 * phone: one call at a time, a channel of the driver "portaudio" (console_channel.c), its
 * audio moved between the device and a loopback RTP socket that crossbar's media endpoint
 * talks to (console_audio.c).
 *
 * Threads: the console's state and the channel live on the main loop. A call's audio has
 * an audio thread of its own (the only one touching the PortAudio stream: it opens, reads,
 * writes and closes it, so that a slow or vanished device never stalls the main loop or a
 * media worker) and two tasks on one media worker (the RTP socket, and an eventfd the
 * audio thread rings when 20 ms of capture are ready), which decode, resample and encode.
 * Between them, two rings of 16-bit samples at the device's rate, each under a mutex. */
#pragma once

#include <crossbar/crossbar.h>
#include <crossbar/codec.h>

#include <sys/socket.h>

/* A call's audio (console_audio.c). */
typedef struct console_media ConsoleMedia;

/* What the audio thread is to do with the device. */
typedef enum {
	CONSOLE_AUDIO_RING, /* play the ring sound; capture is read and dropped */
	CONSOLE_AUDIO_TALK, /* play what the far end says; capture goes to it */
} ConsoleAudioMode;

typedef struct {
	const char *input_device; /* PortAudio device names, or "default" */
	const char *output_device;
	guint sample_rate;     /* 0: the output device's default */
	const char *ring_file; /* a WAV, "" for the built-in ring, "none" for silence */
	guint jitter_ms;       /* what the play ring holds before it plays */
	guint rtp_port;        /* the first port tried for the RTP socket; 0: any */
	ConsoleAudioMode mode;
} ConsoleAudioConfig;

/* Told on the main loop when the device fails (it cannot be opened, or it vanished):
 * `message` says what went wrong. */
typedef void (*ConsoleAudioFailFunc)(ConsoleMedia *m, const char *message, gpointer user_data);
/* Told on the main loop after each whole ring (the ring sound played once). */
typedef void (*ConsoleAudioRingFunc)(ConsoleMedia *m, gpointer user_data);

/* A call's audio: its RTP socket is bound on 127.0.0.1 at once (console_media_port), its
 * audio thread opens the device. NULL with error when the socket cannot be made. */
ConsoleMedia *console_media_new(const ConsoleAudioConfig *cfg, ConsoleAudioFailFunc fail,
                                ConsoleAudioRingFunc ring, gpointer user_data, GError **error);
guint16 console_media_port(const ConsoleMedia *m);
/* Where RTP goes (crossbar's endpoint) and in which codec: starts the media tasks. Once. */
gboolean console_media_start(ConsoleMedia *m, const char *ip, guint16 port, const XbCodec *codec,
                             guint pt);
void console_media_set_mode(ConsoleMedia *m, ConsoleAudioMode mode);
/* Stops everything and frees it in the background; no callback is told afterwards. */
void console_media_stop(ConsoleMedia *m);
/* Waits until every call's audio has stopped (module unload); FALSE when a device still
 * holds a thread after a few seconds (PortAudio must then stay up). */
gboolean console_media_stop_all(void);

/* ---- devices (mod_portaudio.c) ---- */

/* The PortAudio device index named `name` ("default": the default one) for input or
 * output, or -1. */
int console_device_find(const char *name, gboolean input);
gboolean console_pa_ready(void);

/* ---- the channel driver (console_channel.c) ---- */

extern const XbChannelDriver console_driver;
void console_init(void);
gboolean console_shutdown(void);
/* The commands: what each does to the console's call; FALSE with a message for the
 * operator. */
gboolean console_dial(const char *number, GError **error);
gboolean console_answer(GError **error);
gboolean console_hangup(GError **error);
gboolean console_dtmf(const char *digits, GError **error);
/* "idle", "ringing", "dialling", "talking"; the call's channel name or NULL. */
const char *console_state(const char **channel);
