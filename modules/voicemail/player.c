/* player.c: a queue of prompts played one after another to a caller (files of
 * media.sounds_dir, recorded messages, tones), then a continuation. A digit or a hang-up
 * stops it with vm_player_stop, after which nothing of it is told. */
#include "vm.h"

#include <string.h>

#define TONE_PREFIX "tone:"

static void play_next(VmPlayer *p);

static void played_cb(XbMediaEndpoint *ep, const GError *error, gpointer user_data)
{
	VmPlayer *p = user_data;

	if (error)
		xb_warning("%s: voicemail: %s", xb_channel_name(p->ch), error->message);
	play_next(p);
}

static void play_next(VmPlayer *p)
{
	g_autofree char *file = g_queue_pop_head(&p->files);
	gboolean started;

	if (!file) {
		VmPlayerThen then = p->then;
		p->then = NULL;
		if (then)
			then(p->owner);
		return;
	}
	xb_info("%s: voicemail: playing %s", xb_channel_name(p->ch), file);
	if (g_str_has_prefix(file, TONE_PREFIX))
		started = xb_channel_play_tone(p->ch, file + strlen(TONE_PREFIX), 0, played_cb, p);
	else
		started = xb_channel_play(p->ch, file, played_cb, p);
	if (!started) {
		xb_warning("%s: voicemail: cannot play %s", xb_channel_name(p->ch), file);
		play_next(p);
	}
}

void vm_player_init(VmPlayer *p, XbChannel *ch, gpointer owner)
{
	memset(p, 0, sizeof(*p));
	g_queue_init(&p->files);
	p->ch = ch;
	p->owner = owner;
}

void vm_player_add(VmPlayer *p, const char *file)
{
	g_queue_push_tail(&p->files, g_strdup(file));
}

void vm_player_add_tone(VmPlayer *p, const char *tone)
{
	g_queue_push_tail(&p->files, g_strconcat(TONE_PREFIX, tone, NULL));
}

void vm_player_add_digits(VmPlayer *p, const char *digits)
{
	for (const char *d = digits; *d; d++) {
		if (g_ascii_isdigit(*d)) {
			char name[16];
			g_snprintf(name, sizeof(name), "vm-digit-%c", *d);
			vm_player_add(p, name);
		}
	}
}

void vm_player_add_number(VmPlayer *p, guint n)
{
	char name[24];

	if (n > 99) {
		char digits[16];
		g_snprintf(digits, sizeof(digits), "%u", n);
		vm_player_add_digits(p, digits);
		return;
	}
	if (n >= 20 && n % 10) {
		g_snprintf(name, sizeof(name), "vm-num-%u", n - n % 10);
		vm_player_add(p, name);
		n %= 10;
	}
	g_snprintf(name, sizeof(name), "vm-num-%u", n);
	vm_player_add(p, name);
}

void vm_player_start(VmPlayer *p, VmPlayerThen then)
{
	p->then = then;
	play_next(p);
}

void vm_player_stop(VmPlayer *p)
{
	if (xb_channel_media(p->ch))
		xb_media_play_stop(xb_channel_media(p->ch));
	g_queue_clear_full(&p->files, g_free);
	p->then = NULL;
}
