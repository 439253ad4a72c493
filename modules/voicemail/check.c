/* check.c: the owner listening to a box by phone. `voicemail check PROFILE BOX` (*97: the
 * caller's own box) asks for the PIN; `voicemail check PROFILE` (*98) asks for the box
 * first. A wrong PIN counts as a failed authentication of the caller's address in the
 * core's limiter (authlimit.h), shared with the registrar and TURN: a banned address is
 * refused before any PIN is checked, and a call gets MAX_TRIES tries. Then:
 *
 *   main menu   "you have N new messages and M saved messages"; 1 listen, 5 record the
 *               greeting, 6 change the PIN, * hang up
 *   a message   its envelope (from whom, the day and time), its audio, then: 1 again,
 *               2 save, 7 delete, 5 call the sender back, # next, * the main menu
 *
 * A message counts as heard (from "new" to "saved") once the owner goes past it or its
 * menu has been played out. Digits may be typed during any prompt, which stops it.
 *
 *   phase      event                          next
 *   ASK_BOX    digits '#' or timeout          ASK_PIN
 *   ASK_PIN    right PIN                      MAIN
 *   ASK_PIN    wrong PIN                      ASK_BOX / ASK_PIN, or hang up after MAX_TRIES
 *   MAIN       1 / 5 / 6 / *                  MESSAGE / GREETING / NEW_PIN / hang up
 *   MESSAGE    1 2 7 # / 5 / *                MESSAGE / the dialplan calls back / MAIN
 *   GREETING   recording closed               MAIN
 *   NEW_PIN    digits '#'                     MAIN */
#include "vm.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define MAX_TRIES        3
#define ENTRY_TIMEOUT_MS 8000  /* after a prompt that asks for digits, or the last digit */
#define MENU_TIMEOUT_MS  10000 /* after a menu, for its key */
#define MAX_IDLE         3     /* menus heard out without a key before the call ends */
#define MAX_ENTRY        32
#define GREETING_SECONDS 60
#define PIN_MIN          4
#define PIN_MAX          10

typedef enum { ASK_BOX, ASK_PIN, MAIN, MESSAGE, GREETING, NEW_PIN, LEAVING } Phase;

typedef struct {
	XbChannel *ch; /* reference */
	char *box;     /* NULL until known */
	gboolean ask_box;
	VmPlayer player;
	GString *entry;
	Phase phase;
	guint tries, idle;
	XbTimer *timer;
	GPtrArray *msgs; /* VmMessage *: the box's messages as listed at the main menu */
	guint cur;
	XbMediaRecording *rec;
	char *greeting_part;
	gboolean hung_up;
} Check;

static void main_menu(Check *c, gboolean counts);
static void play_message(Check *c);

static void check_free(Check *c)
{
	xb_timer_clear(&c->timer);
	vm_player_stop(&c->player);
	if (c->rec)
		xb_media_recording_unref(c->rec);
	if (c->msgs)
		g_ptr_array_unref(c->msgs);
	g_string_free(c->entry, TRUE);
	g_free(c->box);
	g_free(c->greeting_part);
	xb_channel_unref(c->ch);
	g_free(c);
}

/* The application is over; the plan goes on with `result` (unless the caller hung up). */
static void check_end(Check *c, int result)
{
	XbChannel *ch = xb_channel_ref(c->ch);
	gboolean hung_up = c->hung_up;

	check_free(c);
	if (!hung_up) {
		xb_channel_set_controller(ch, NULL, NULL);
		xb_app_done(ch, result);
	}
	xb_channel_unref(ch);
}

static void hang_up_cb(gpointer owner)
{
	Check *c = owner;
	XbChannel *ch = xb_channel_ref(c->ch);

	check_free(c);
	xb_channel_set_controller(ch, NULL, NULL);
	xb_channel_hangup(ch, XB_CAUSE_NORMAL_CLEARING, 0);
	xb_app_done(ch, -ECONNRESET);
	xb_channel_unref(ch);
}

static void goodbye(Check *c)
{
	c->phase = LEAVING;
	xb_timer_clear(&c->timer);
	vm_player_stop(&c->player);
	vm_player_add(&c->player, "goodbye");
	vm_player_start(&c->player, hang_up_cb);
}

static void timer_cb(XbTimer *t, gpointer user_data);

static void timer_set(Check *c, guint ms)
{
	xb_timer_clear(&c->timer);
	c->timer = xb_timer_start(vm_module(), ms, timer_cb, c);
}

static void wait_entry(gpointer owner)
{
	timer_set(owner, ENTRY_TIMEOUT_MS);
}

static void wait_key(gpointer owner)
{
	timer_set(owner, MENU_TIMEOUT_MS);
}

/* Asks for digits ended by '#' with `prompt`. */
static void ask(Check *c, Phase phase, const char *prompt)
{
	c->phase = phase;
	g_string_truncate(c->entry, 0);
	vm_player_add(&c->player, prompt);
	vm_player_start(&c->player, wait_entry);
}

static void ask_box_or_pin(Check *c)
{
	if (c->ask_box) {
		g_clear_pointer(&c->box, g_free);
		ask(c, ASK_BOX, "vm-enter-box");
	} else {
		ask(c, ASK_PIN, "vm-enter-pin");
	}
}

/* The caller's address as the failure limiter counts it; FALSE when it has none. */
static gboolean caller_address(Check *c, struct sockaddr_storage *ss)
{
	const char *addr = xb_channel_get_var(c->ch, "network_addr");
	g_autoptr(GInetAddress) ia = addr ? g_inet_address_new_from_string(addr) : NULL;
	g_autoptr(GSocketAddress) sa = ia ? g_inet_socket_address_new(ia, 0) : NULL;

	return sa && g_socket_address_to_native(sa, ss, sizeof(*ss), NULL);
}

static gboolean banned(Check *c)
{
	struct sockaddr_storage ss;

	return caller_address(c, &ss) && xb_authlimit_is_banned((struct sockaddr *)&ss);
}

static void pin_failed(Check *c)
{
	struct sockaddr_storage ss;
	gboolean ban = FALSE;

	if (caller_address(c, &ss))
		ban = xb_authlimit_failure((struct sockaddr *)&ss, "voicemail");
	c->tries++;
	xb_notice("%s: voicemail: wrong PIN for box %s from %s (try %u of %d)",
	          xb_channel_name(c->ch), c->box ? c->box : "?",
	          xb_channel_get_var(c->ch, "network_addr") ?: "?", c->tries, MAX_TRIES);
	vm_player_add(&c->player, "vm-bad-pin");
	if (ban || c->tries >= MAX_TRIES) {
		c->phase = LEAVING;
		vm_player_add(&c->player, "goodbye");
		vm_player_start(&c->player, hang_up_cb);
		return;
	}
	ask_box_or_pin(c);
}

static void pin_entered(Check *c, const char *pin)
{
	g_autoptr(XbDirUser) user = NULL;

	if (banned(c)) {
		xb_notice("%s: voicemail: %s is banned for failed authentications; refused",
		          xb_channel_name(c->ch), xb_channel_get_var(c->ch, "network_addr"));
		goodbye(c);
		return;
	}
	user = c->box ? xb_directory_lookup(c->box) : NULL;
	if (!user || !xb_directory_check_pin(user, pin)) {
		pin_failed(c);
		return;
	}
	xb_info("%s: voicemail: box %s opened", xb_channel_name(c->ch), c->box);
	main_menu(c, TRUE);
}

static void new_pin_entered(Check *c, const char *pin)
{
	g_autoptr(GError) error = NULL;
	gsize len = strlen(pin);

	if (len < PIN_MIN || len > PIN_MAX || !xb_directory_set_pin(c->box, pin, &error)) {
		if (error)
			xb_warning("voicemail: box %s: the PIN could not be changed: %s", c->box,
			           error->message);
		vm_player_add(&c->player, "vm-bad-pin");
	} else {
		xb_notice("%s: voicemail: box %s: PIN changed by phone", xb_channel_name(c->ch),
		          c->box);
		vm_player_add(&c->player, "vm-pin-changed");
	}
	main_menu(c, FALSE);
}

static void entry_done(Check *c)
{
	g_autofree char *entry = g_strdup(c->entry->str);

	xb_timer_clear(&c->timer);
	g_string_truncate(c->entry, 0);
	switch (c->phase) {
	case ASK_BOX:
		if (!*entry) {
			if (++c->idle >= MAX_IDLE)
				goodbye(c);
			else
				ask_box_or_pin(c);
			return;
		}
		g_free(c->box);
		c->box = g_strdup(entry);
		ask(c, ASK_PIN, "vm-enter-pin");
		break;
	case ASK_PIN:
		if (!*entry) {
			if (++c->idle >= MAX_IDLE)
				goodbye(c);
			else
				ask(c, ASK_PIN, "vm-enter-pin");
			return;
		}
		pin_entered(c, entry);
		break;
	case NEW_PIN:
		new_pin_entered(c, entry);
		break;
	default:
		break;
	}
}

/* ---- the main menu ---- */

static void add_counts(Check *c)
{
	guint n_new = 0, n_old = 0;

	vm_store_counts(c->box, &n_new, &n_old);
	vm_player_add(&c->player, "vm-you-have");
	vm_player_add_number(&c->player, n_new);
	vm_player_add(&c->player, "vm-new-messages");
	vm_player_add(&c->player, "vm-and");
	vm_player_add_number(&c->player, n_old);
	vm_player_add(&c->player, "vm-saved-messages");
}

static void main_menu(Check *c, gboolean counts)
{
	c->phase = MAIN;
	if (counts)
		add_counts(c);
	vm_player_add(&c->player, "vm-main-menu");
	vm_player_start(&c->player, wait_key);
}

static gboolean load_messages(Check *c)
{
	g_autoptr(GError) error = NULL;

	if (c->msgs)
		g_ptr_array_unref(c->msgs);
	c->msgs = vm_store_list(c->box, NULL, &error);
	if (!c->msgs)
		xb_warning("voicemail: box %s: %s", c->box, error->message);
	c->cur = 0;
	return c->msgs && c->msgs->len;
}

/* ---- messages ---- */

static VmMessage *current(Check *c)
{
	return c->msgs && c->cur < c->msgs->len ? c->msgs->pdata[c->cur] : NULL;
}

/* The owner has heard the current message: new -> saved. */
static void mark_heard(Check *c)
{
	VmMessage *m = current(c);
	g_autoptr(GError) error = NULL;

	if (!m || strcmp(m->folder, VM_FOLDER_NEW) != 0)
		return;
	if (!vm_store_set_folder(m->id, VM_FOLDER_SAVED, &error)) {
		xb_warning("voicemail: box %s: %s", c->box, error->message);
		return;
	}
	g_free(m->folder);
	m->folder = g_strdup(VM_FOLDER_SAVED);
	vm_mwi_changed(c->box);
}

static void next_message(Check *c)
{
	c->cur++;
	if (!current(c)) {
		vm_player_add(&c->player, "vm-no-more");
		main_menu(c, TRUE);
		return;
	}
	play_message(c);
}

static void menu_heard(gpointer owner)
{
	Check *c = owner;

	mark_heard(c);
	timer_set(c, MENU_TIMEOUT_MS);
}

static void add_envelope(Check *c, const VmMessage *m)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(m->created);
	static const char *const days[] = {"vm-monday",   "vm-tuesday", "vm-wednesday",
	                                   "vm-thursday", "vm-friday",  "vm-saturday",
	                                   "vm-sunday"};
	const char *from = m->caller_id_number;

	vm_player_add(&c->player, "vm-message-from");
	if (from && *from && strspn(from, "+0123456789") == strlen(from))
		vm_player_add_digits(&c->player, from);
	else
		vm_player_add(&c->player, "vm-unknown-caller");
	if (!t)
		return;
	vm_player_add(&c->player, "vm-received");
	vm_player_add(&c->player, days[(g_date_time_get_day_of_week(t) + 6) % 7]);
	vm_player_add(&c->player, "vm-at");
	vm_player_add_number(&c->player, (guint)g_date_time_get_hour(t));
	if (g_date_time_get_minute(t) == 0) {
		vm_player_add(&c->player, "vm-oclock");
	} else {
		if (g_date_time_get_minute(t) < 10)
			vm_player_add(&c->player, "vm-oh");
		vm_player_add_number(&c->player, (guint)g_date_time_get_minute(t));
	}
}

static void play_message(Check *c)
{
	VmMessage *m = current(c);

	c->phase = MESSAGE;
	add_envelope(c, m);
	vm_player_add(&c->player, m->file);
	vm_player_add(&c->player, "vm-message-menu");
	xb_info("%s: voicemail: box %s: playing message %s", xb_channel_name(c->ch), c->box, m->id);
	vm_player_start(&c->player, menu_heard);
}

/* "Call back": the sender's number in the caller's context, as if dialled. */
static void call_back(Check *c)
{
	VmMessage *m = current(c);
	g_autofree char *data = NULL;
	const char *context = xb_channel_get_var(c->ch, "context");
	XbChannel *ch = c->ch;
	int rc;

	if (!m->caller_id_number[0] ||
	    strspn(m->caller_id_number, "+0123456789") != strlen(m->caller_id_number)) {
		vm_player_add(&c->player, "not-available");
		play_message(c);
		return;
	}
	mark_heard(c);
	data = g_strdup_printf("%s XML %s", m->caller_id_number, context ? context : "default");
	xb_info("%s: voicemail: box %s: calling back %s", xb_channel_name(ch), c->box,
	        m->caller_id_number);
	xb_channel_ref(ch);
	check_free(c);
	xb_channel_set_controller(ch, NULL, NULL);
	rc = xb_app_exec(ch, "transfer", data);
	xb_app_done(ch, rc < 0 ? rc : 0);
	xb_channel_unref(ch);
}

static void message_key(Check *c, char key)
{
	VmMessage *m = current(c);
	g_autoptr(GError) error = NULL;

	switch (key) {
	case '1':
		mark_heard(c);
		play_message(c);
		break;
	case '2':
		mark_heard(c);
		vm_player_add(&c->player, "vm-message-kept");
		next_message(c);
		break;
	case '7':
		if (!vm_message_remove(m, &error))
			xb_warning("voicemail: box %s: %s", c->box, error->message);
		else
			xb_info("%s: voicemail: box %s: message %s deleted", xb_channel_name(c->ch),
			        c->box, m->id);
		vm_player_add(&c->player, "vm-message-deleted");
		next_message(c);
		break;
	case '5':
		call_back(c);
		break;
	case '#':
		mark_heard(c);
		next_message(c);
		break;
	case '*':
		mark_heard(c);
		main_menu(c, TRUE);
		break;
	default:
		break;
	}
}

/* ---- the greeting ---- */

static void greeting_done(XbMediaRecording *rec, const XbMediaRecordResult *res, gpointer user_data)
{
	Check *c = user_data;
	g_autofree char *greeting = vm_greeting_path(c->box);
	guint64 ms = res->frames / 8;
	const char *prompt = "vm-greeting-saved";

	if (res->end == XB_MEDIA_RECORD_ERROR || c->hung_up || ms < 1000 ||
	    g_rename(c->greeting_part, greeting) < 0) {
		xb_info("voicemail: box %s: the greeting is not kept (%s, %" G_GUINT64_FORMAT
		        " ms)",
		        c->box,
		        res->error   ? res->error->message
		        : c->hung_up ? "hang-up"
		                     : "short",
		        ms);
		g_unlink(c->greeting_part);
		prompt = "vm-not-taken";
	} else {
		xb_notice("voicemail: box %s: new greeting, %" G_GUINT64_FORMAT " ms", c->box, ms);
	}
	g_clear_pointer(&c->rec, xb_media_recording_unref);
	if (c->hung_up) {
		check_end(c, -ECONNRESET);
		return;
	}
	vm_player_add(&c->player, prompt);
	main_menu(c, FALSE);
}

static void greeting_record(gpointer owner)
{
	Check *c = owner;
	g_autofree char *dir = vm_box_dir(c->box);
	XbMediaRecordOptions o = {
	    .max_seconds = GREETING_SECONDS,
	    .silence_threshold = (guint)xb_config_get_int("voicemail.silence_threshold"),
	    .silence_seconds = (guint)xb_config_get_int("voicemail.silence_seconds"),
	    .make_dir = dir,
	};

	if (!o.silence_seconds)
		o.silence_threshold = 0;
	g_free(c->greeting_part);
	c->greeting_part = g_build_filename(dir, "greeting.part", NULL);
	xb_info("%s: voicemail: recording the greeting of box %s", xb_channel_name(c->ch), c->box);
	c->rec = xb_media_record(xb_channel_media(c->ch), c->greeting_part, &o, greeting_done, c);
}

static void greeting_start(Check *c)
{
	c->phase = GREETING;
	vm_player_add(&c->player, "vm-record-greeting");
	vm_player_add_tone(&c->player, "beep");
	vm_player_start(&c->player, greeting_record);
}

static void main_key(Check *c, char key)
{
	switch (key) {
	case '1':
		if (load_messages(c)) {
			play_message(c);
		} else {
			vm_player_add(&c->player, "vm-no-more");
			main_menu(c, FALSE);
		}
		break;
	case '5':
		greeting_start(c);
		break;
	case '6':
		ask(c, NEW_PIN, "vm-new-pin");
		break;
	case '*':
		goodbye(c);
		break;
	default:
		break;
	}
}

static void timer_cb(XbTimer *t, gpointer user_data)
{
	Check *c = user_data;

	c->timer = NULL;
	switch (c->phase) {
	case ASK_BOX:
	case ASK_PIN:
	case NEW_PIN:
		entry_done(c);
		break;
	case MAIN:
		if (++c->idle >= MAX_IDLE)
			goodbye(c);
		else
			main_menu(c, FALSE);
		break;
	case MESSAGE:
		if (++c->idle >= MAX_IDLE)
			goodbye(c);
		else
			next_message(c);
		break;
	default:
		break;
	}
}

static void on_digit(Check *c, char digit)
{
	switch (c->phase) {
	case ASK_BOX:
	case ASK_PIN:
	case NEW_PIN:
		vm_player_stop(&c->player);
		if (digit == '#') {
			entry_done(c);
			return;
		}
		if (c->entry->len < MAX_ENTRY)
			g_string_append_c(c->entry, digit);
		timer_set(c, ENTRY_TIMEOUT_MS);
		break;
	case MAIN:
	case MESSAGE:
		c->idle = 0;
		xb_timer_clear(&c->timer);
		vm_player_stop(&c->player);
		if (c->phase == MAIN)
			main_key(c, digit);
		else
			message_key(c, digit);
		break;
	case GREETING:
		if (digit == '#' && c->rec)
			xb_media_record_stop(xb_channel_media(c->ch), c->rec);
		break;
	case LEAVING:
		break;
	}
}

static void check_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Check *c = user_data;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		c->hung_up = TRUE;
		xb_channel_set_controller(ch, NULL, NULL);
		xb_channel_ref(ch);
		if (c->rec) {
			/* The greeting's file is closed first; greeting_done frees. */
			xb_timer_clear(&c->timer);
			vm_player_stop(&c->player);
			xb_media_record_stop(xb_channel_media(ch), c->rec);
		} else {
			check_free(c);
		}
		xb_app_done(ch, -ECONNRESET);
		xb_channel_unref(ch);
		break;
	case XB_CHANNEL_EV_DTMF:
		on_digit(c, ev->digit);
		break;
	case XB_CHANNEL_EV_REQUEST:
		xb_channel_media_own_request(ch, ev);
		break;
	default:
		break;
	}
}

int vm_check_start(XbChannel *ch, const char *box)
{
	const char *encoding;
	guint pt;
	Check *c;

	if (xb_channel_state(ch) < XB_CHANNEL_ANSWERED) {
		int rc = xb_channel_answer(ch);
		if (rc < 0)
			return rc;
	}
	if (!xb_channel_media_ensure(ch) || !xb_channel_media_format(ch, &encoding, &pt)) {
		xb_warning("%s: voicemail check: the call has no audio through crossbar",
		           xb_channel_name(ch));
		return 0;
	}
	c = g_new0(Check, 1);
	c->ch = xb_channel_ref(ch);
	c->entry = g_string_new(NULL);
	c->ask_box = box == NULL;
	c->box = g_strdup(box);
	vm_player_init(&c->player, ch, c);
	xb_channel_set_controller(ch, check_event, c);
	if (banned(c)) {
		xb_notice("%s: voicemail: %s is banned for failed authentications; refused",
		          xb_channel_name(ch), xb_channel_get_var(ch, "network_addr"));
		goodbye(c);
		return XB_APP_PENDING;
	}
	ask_box_or_pin(c);
	return XB_APP_PENDING;
}
