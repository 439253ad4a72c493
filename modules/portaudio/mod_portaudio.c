/* mod_portaudio.c: the console, the machine's sound card as a phone (PortAudio). This file
 * holds the module's life cycle, its settings, the device look-up and the `console`
 * commands; the channel driver is console_channel.c and the audio console_audio.c.
 *
 * Without a usable device the module still loads, says so in one line, and refuses calls to
 * the console (DESTINATION_OUT_OF_ORDER); nothing else depends on it. PortAudio's list of
 * devices is read once, when the module loads (PortAudio cannot watch for a headset plugged
 * in later): restart the daemon after plugging one in. */
#define _GNU_SOURCE /* dladdr */
#include "console.h"

#include <dlfcn.h>
#include <portaudio.h>
#include <string.h>

static const XbSettingDef settings[] = {
    {"output_device", XB_SETTING_STRING, "default",
     "where the console plays: a PortAudio device's name (or part of it), or 'default'"},
    {"input_device", XB_SETTING_STRING, "default",
     "where the console listens: a PortAudio device's name (or part of it), 'default', or "
     "'none' (the far end hears silence)"},
    {"sample_rate", XB_SETTING_INT, "0",
     "the device's sample rate in Hz (8000-192000); 0: the output device's default", 0, 192000},
    {"ring_file", XB_SETTING_STRING, "",
     "what the device plays while a call rings the console: a WAV file, empty for the "
     "built-in ring, 'none' for silence"},
    {"jitter_ms", XB_SETTING_INT, "80",
     "milliseconds of the far end's audio held before the device plays it: more rides out "
     "late packets, less is heard sooner (20-500)",
     20, 500},
    {"rtp_port", XB_SETTING_INT, "0",
     "the console's RTP socket on 127.0.0.1 (crossbar's media endpoint talks to it): the "
     "first free port of this one and the nine above it; 0: a port the kernel picks",
     0, 65535},
    {"context", XB_SETTING_STRING, "default",
     "the dialplan context of the numbers `console dial` calls"},
    {"caller_id_number", XB_SETTING_STRING, "console", "the caller ID of calls the console makes"},
    {"caller_id_name", XB_SETTING_STRING, "Console",
     "the caller ID name of calls the console makes"},
    XB_SETTINGS_END,
};

static gboolean pa_ready;

gboolean console_pa_ready(void)
{
	return pa_ready;
}

static int device_channels(const PaDeviceInfo *d, gboolean input)
{
	return input ? d->maxInputChannels : d->maxOutputChannels;
}

int console_device_find(const char *name, gboolean input)
{
	int n;

	if (!pa_ready || !name || !g_ascii_strcasecmp(name, "none"))
		return -1;
	if (!*name || !g_ascii_strcasecmp(name, "default")) {
		PaDeviceIndex i = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
		return i == paNoDevice ? -1 : i;
	}
	n = Pa_GetDeviceCount();
	g_autofree char *want = g_ascii_strdown(name, -1);
	/* The whole name first, then a part of it (case aside). */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
			if (!d || !d->name || device_channels(d, input) < 1)
				continue;
			g_autofree char *have = g_ascii_strdown(d->name, -1);
			if (pass == 0 ? !strcmp(d->name, name) : strstr(have, want) != NULL)
				return i;
		}
	return -1;
}

static const char *device_name(int i)
{
	const PaDeviceInfo *d = i >= 0 ? Pa_GetDeviceInfo(i) : NULL;

	return d && d->name ? d->name : "none";
}

/* ---- commands ---- */

static gboolean reply_result(XbCliReply *r, gboolean ok, GError *error, const char *done)
{
	if (!ok) {
		xb_cli_reply_error(r, "%s", error->message);
		g_error_free(error);
		return FALSE;
	}
	xb_cli_reply_message(r, "%s", done);
	return TRUE;
}

static gboolean cmd_console(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	const char *channel;
	const char *state = console_state(&channel);
	int out = console_device_find(xb_config_get_string("portaudio.output_device"), FALSE);
	int in = console_device_find(xb_config_get_string("portaudio.input_device"), TRUE);

	if (argc > 0) {
		xb_cli_reply_error(r,
		                   "unknown console command '%s' (dial, answer, hangup, dtmf, "
		                   "devices)",
		                   argv[0]);
		return FALSE;
	}
	xb_cli_reply_field(r, "state", g_variant_new_string(state));
	xb_cli_reply_field(r, "channel", g_variant_new_string(channel ? channel : ""));
	xb_cli_reply_field(r, "output", g_variant_new_string(device_name(out)));
	xb_cli_reply_field(r, "input", g_variant_new_string(device_name(in)));
	xb_cli_reply_field(r, "context",
	                   g_variant_new_string(xb_config_get_string("portaudio.context")));
	return TRUE;
}

static gboolean cmd_devices(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	int n = pa_ready ? Pa_GetDeviceCount() : 0;
	int din = pa_ready ? Pa_GetDefaultInputDevice() : paNoDevice;
	int dout = pa_ready ? Pa_GetDefaultOutputDevice() : paNoDevice;

	if (!pa_ready) {
		xb_cli_reply_error(r, "PortAudio did not start: the console has no device");
		return FALSE;
	}
	xb_cli_reply_columns(r, "index", "name", "in", "out", "rate", "default", NULL);
	for (int i = 0; i < n; i++) {
		const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
		if (!d)
			continue;
		const char *def = i == din && i == dout ? "in,out"
		                  : i == din            ? "in"
		                  : i == dout           ? "out"
		                                        : "";
		xb_cli_reply_row(r, "index", g_variant_new_int32(i), "name",
		                 g_variant_new_string(d->name ? d->name : ""), "in",
		                 g_variant_new_int32(d->maxInputChannels), "out",
		                 g_variant_new_int32(d->maxOutputChannels), "rate",
		                 g_variant_new_int32((gint32)d->defaultSampleRate), "default",
		                 g_variant_new_string(def), NULL);
	}
	return TRUE;
}

static gboolean cmd_dial(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	GError *error = NULL;

	if (argc != 1) {
		xb_cli_reply_error(r, "usage: console dial NUMBER");
		return FALSE;
	}
	gboolean ok = console_dial(argv[0], &error);

	return reply_result(r, ok, error, "dialling");
}

static gboolean cmd_answer(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	GError *error = NULL;

	if (argc != 0) {
		xb_cli_reply_error(r, "usage: console answer");
		return FALSE;
	}
	gboolean ok = console_answer(&error);

	return reply_result(r, ok, error, "answered");
}

static gboolean cmd_hangup(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	GError *error = NULL;

	if (argc != 0) {
		xb_cli_reply_error(r, "usage: console hangup");
		return FALSE;
	}
	gboolean ok = console_hangup(&error);

	return reply_result(r, ok, error, "hung up");
}

static gboolean cmd_dtmf(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	GError *error = NULL;

	if (argc != 1) {
		xb_cli_reply_error(r, "usage: console dtmf DIGITS");
		return FALSE;
	}
	gboolean ok = console_dtmf(argv[0], &error);

	return reply_result(r, ok, error, "sent");
}

static const XbCliCommand commands[] = {
    {"console", "", "the console's call and devices", cmd_console},
    {"console devices", "", "the sound devices PortAudio sees", cmd_devices},
    {"console dial", "NUMBER", "call NUMBER from the console (portaudio.context)", cmd_dial},
    {"console answer", "", "answer the call ringing on the console", cmd_answer},
    {"console hangup", "", "end the console's call", cmd_hangup},
    {"console dtmf", "DIGITS", "press DTMF digits in the console's call", cmd_dtmf},
    XB_CLI_END,
};

static const char *const command_names[] = {"console",
                                            "console devices",
                                            "console dial",
                                            "console answer",
                                            "console hangup",
                                            "console dtmf",
                                            NULL};

/* ---- life cycle ---- */

/* PortAudio and what lies under it (ALSA's configuration cache, JACK's client library) keep
 * global state that is not made to be unloaded: the library stays for the life of the
 * process once the module has loaded it, even after the module itself is unloaded. */
static void pa_pin(void)
{
	Dl_info info;

	if (dladdr((void *)Pa_Initialize, &info) && info.dli_fname &&
	    !dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE))
		xb_info("PortAudio's library is not kept loaded: %s", dlerror());
}

static gboolean portaudio_validate(GError **error)
{
	gint64 rate = xb_config_get_int("portaudio.sample_rate");

	if (rate != 0 && rate < 8000) {
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE,
		            "portaudio.sample_rate: %" G_GINT64_FORMAT
		            " Hz is not 0 (the device's) or 8000-192000",
		            rate);
		return FALSE;
	}
	return TRUE;
}

static gboolean portaudio_load(XbModule *self, GError **error)
{
	PaError err;
	int out, in;

	err = Pa_Initialize();
	console_init();
	pa_pin();
	pa_ready = err == paNoError;
	if (!pa_ready) {
		g_warning("PortAudio does not start (%s): the console takes no calls",
		          Pa_GetErrorText(err));
	} else {
		out = console_device_find(xb_config_get_string("portaudio.output_device"), FALSE);
		in = console_device_find(xb_config_get_string("portaudio.input_device"), TRUE);
		if (out < 0)
			g_warning("no sound output device '%s' (%d devices seen): the "
			          "console takes no calls; `crossbar-cli console devices` lists "
			          "them",
			          xb_config_get_string("portaudio.output_device"),
			          Pa_GetDeviceCount());
		else
			xb_notice("the console plays on '%s' and listens on '%s'", device_name(out),
			          device_name(in));
	}
	if (!xb_channel_driver_register(self, &console_driver)) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT,
		            "a channel driver 'portaudio' is registered already");
		if (pa_ready)
			Pa_Terminate();
		pa_ready = FALSE;
		return FALSE;
	}
	xb_cli_register(self, commands, NULL);
	return TRUE;
}

static void portaudio_unload(XbModule *self)
{
	gboolean stopped = console_shutdown();

	xb_channel_driver_unregister(&console_driver);
	if (pa_ready && stopped)
		Pa_Terminate();
	pa_ready = FALSE;
}

XB_MODULE_DEFINE(.name = "portaudio", .version = XB_VERSION_STRING,
                 .description = "the console: the machine's sound card as a phone",
                 .settings = settings, .commands = command_names, .validate = portaudio_validate,
                 .load = portaudio_load, .unload = portaudio_unload);
