/* vm.h: mod_voicemail's private interface between its files: the voicemail application
 * (deposit.c leaves a message, check.c lets the owner listen), e-mail (mail.c), the control
 * commands (vm_cli.c) and the module's life cycle, settings and files (mod_voicemail.c). */
#pragma once

#include <crossbar/crossbar.h>

#include "store.h"
#include "mwi.h"

/* The module, for timers and registrations. */
XbModule *vm_module(void);

/* Is `box` a name a box may have (a directory extension: letters, digits, '-', '_', '.',
 * not starting with '.')? Anything else never reaches a path. */
gboolean vm_box_name_valid(const char *box);
/* The voicemail folder (voicemail.dir, else core.data_dir/voicemail) and a box's. g_free. */
char *vm_dir(void);
char *vm_box_dir(const char *box);
/* The owner's recorded greeting (which may not exist). g_free. */
char *vm_greeting_path(const char *box);

/* Removes a message: its row, then its file, then tells message waiting. */
gboolean vm_message_remove(const VmMessage *msg, GError **error);
/* Deletes messages older than voicemail.max_age_days (nothing when it is 0). */
guint vm_purge(void);

/* "voicemail [check] PROFILE [BOX]" (FreeSWITCH's syntax). */
int vm_app(XbChannel *channel, const char *data, gpointer user_data);
/* Leaving a message in `box` (deposit.c). */
int vm_deposit_start(XbChannel *channel, const char *box);
/* The owner listening (check.c): box NULL asks for it. */
int vm_check_start(XbChannel *channel, const char *box);

/* Mails a new message to its owner when voicemail.mailer is set and the owner has an
 * address; failures are logged. Never blocks. */
void vm_mail_message(const VmMessage *msg);

void vm_cli_register(XbModule *module);

/* A queue of prompts played one after another, then `then(owner)` (player.c). The player
 * holds no reference: its owner keeps the channel. */
typedef void (*VmPlayerThen)(gpointer owner);
typedef struct {
	XbChannel *ch;
	GQueue files; /* names for xb_channel_play, or "tone:NAME" */
	VmPlayerThen then;
	gpointer owner;
} VmPlayer;

void vm_player_init(VmPlayer *p, XbChannel *ch, gpointer owner);
void vm_player_add(VmPlayer *p, const char *file);
void vm_player_add_tone(VmPlayer *p, const char *tone);
/* Each digit of `digits` spoken alone ("one zero zero one"). */
void vm_player_add_digits(VmPlayer *p, const char *digits);
/* A number as a word (0-99; larger ones digit by digit). */
void vm_player_add_number(VmPlayer *p, guint n);
/* Plays what was added, then calls `then` (NULL: nothing). */
void vm_player_start(VmPlayer *p, VmPlayerThen then);
/* Stops what plays and drops the rest; `then` is not called. */
void vm_player_stop(VmPlayer *p);
