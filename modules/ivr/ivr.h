/* ivr.h: mod_ivr's parts. The menus are a section of the dialplan file (<menus>), compiled
 * with the plan by ivr_menus.c (every check at load, with file and line) and owned by the
 * plan, so a reload swaps them with it and a caller inside a menu keeps the menus it
 * entered. ivr_state.c is what a menu does with keys, timeouts and entries, without a call
 * (the live application of ivr_call.c and `ivr test` of ivr_cli.c both follow it).
 * README.md beside this file describes the menus for their writers. */
#pragma once

#include <crossbar/crossbar.h>

#define IVR_SECTION "menus"

typedef enum {
	IVR_ACTION_SUB,      /* menu-sub MENU: open a sub-menu */
	IVR_ACTION_BACK,     /* menu-back: the menu that opened this one; out of the top one */
	IVR_ACTION_TOP,      /* menu-top: the menu the caller started in */
	IVR_ACTION_EXIT,     /* menu-exit: leave the menus; the dialplan goes on */
	IVR_ACTION_PLAY,     /* menu-play-sound FILE: play it, then this menu again */
	IVR_ACTION_EXEC,     /* menu-exec-app APP [DATA]: run it, then this menu again */
	IVR_ACTION_TRANSFER, /* menu-transfer NUMBER [XML CONTEXT]: on in the dialplan there */
} IvrActionKind;

typedef struct ivr_menu IvrMenu;

typedef struct {
	guint line;
	char *digits;  /* as written: "1", "/^(10[01][0-9])$/" */
	char *literal; /* the keys of a literal entry, else NULL */
	GRegex *regex; /* the expression of a /.../ entry, else NULL */
	IvrActionKind action;
	char *param;        /* as written, "" for none */
	char *app;          /* EXEC: the application; TRANSFER: "transfer" */
	char *app_data;     /* EXEC, TRANSFER: its data (captures $0-$9 not yet substituted) */
	char *sound;        /* PLAY: the file to play (a path, or as written with ${...}) */
	const IvrMenu *sub; /* SUB: the menu it opens */
} IvrEntry;

/* A prompt: the file played (a path checked at load, or a name with ${variables} expanded
 * when it plays) and what the menu file says. NULL file: none. */
typedef struct {
	char *file;
	char *written;
} IvrSound;

struct ivr_menu {
	char *name;
	guint line;
	IvrSound greet_long, greet_short, invalid_sound, exit_sound, timeout_sound;
	guint timeout_ms;     /* for the first key after the greeting */
	guint inter_digit_ms; /* between keys of one entry */
	guint max_failures;   /* invalid entries before the menu gives up */
	guint max_timeouts;   /* first-key timeouts before the menu gives up */
	guint digit_len;      /* the most keys of one entry */
	/* exec-on-max-failures, exec-on-max-timeouts: "APP [DATA]" run when the menu gives
	 * up, in place of its exit-sound; NULL app: none. */
	char *max_failures_app, *max_failures_data;
	char *max_timeouts_app, *max_timeouts_data;
	GPtrArray *entries; /* IvrEntry *, file order */
};

typedef struct {
	char *file;          /* the dialplan's */
	guint line;          /* of <menus> */
	GPtrArray *menus;    /* IvrMenu *, file order */
	GHashTable *by_name; /* name -> IvrMenu * */
} IvrMenus;

/* Defaults of a menu's attributes (FreeSWITCH's where it has them). */
#define IVR_DEFAULT_TIMEOUT_MS     10000
#define IVR_DEFAULT_INTER_DIGIT_MS 2000
#define IVR_DEFAULT_MAX_FAILURES   3
#define IVR_DEFAULT_MAX_TIMEOUTS   3
#define IVR_MAX_DIGIT_LEN          32

/* ---- ivr_menus.c ---- */

/* The section's functions (mod_ivr's descriptor names them). */
gpointer ivr_menus_compile(XbDialplanCompiler *compiler, struct _xmlNode *node, GError **error);
void ivr_menus_free(gpointer menus);
const IvrMenu *ivr_menus_find(const IvrMenus *menus, const char *name);
const char *ivr_action_name(IvrActionKind action);

/* What a key does to an entry being typed: `entry` holds the keys so far. */
typedef enum {
	IVR_KEY_MORE,  /* taken; an entry could still take more keys: wait for them */
	IVR_KEY_JUDGE, /* taken, or a terminating '#' not taken: judge the entry now */
} IvrKeyResult;
/* A key goes into the entry unless it is a '#' that no entry could use there, which ends
 * it. The entry is judged at once when it has digit-len keys or no entry of the menu could
 * match a longer one; else the menu waits for the next key (inter-digit-timeout). */
IvrKeyResult ivr_menu_key(const IvrMenu *menu, GString *entry, char key);
/* The first entry of the menu (file order) the keys match, or NULL; *captures (when not
 * NULL) gets $0-$9 for the entry's param (g_strfreev). */
const IvrEntry *ivr_menu_match(const IvrMenu *menu, const char *keys, char ***captures);
/* `text` with $0-$9 replaced by captures (nothing for one that is missing). */
char *ivr_substitute(const char *text, char **captures);

/* ---- ivr_state.c ----
 *
 * A menu is entered (the caller starts in it, or menu-sub, menu-back or menu-top lead to
 * it) with its greet-long; its counts of failures and timeouts start from nothing then,
 * and again after every valid entry. After an invalid entry (invalid-sound), a first-key
 * timeout (timeout-sound), a menu-play-sound or a menu-exec-app the same menu comes round
 * with its greet-short (greet-long when it has none). The max-failures'th invalid entry
 * (after its invalid-sound) or the max-timeouts'th timeout (after its timeout-sound) gives
 * the menu up: exec-on-max-failures or exec-on-max-timeouts runs when it is set, else the
 * exit-sound plays; then the caller leaves the menus and the dialplan goes on. menu-exit,
 * and menu-back in the top menu, play the exit-sound and leave the same way. */

/* Where a caller is in the menus. */
typedef struct {
	const IvrMenus *menus;
	GPtrArray *stack; /* const IvrMenu *: the top menu first, the current one last */
	guint failures, timeouts;
} IvrState;

typedef enum {
	IVR_GO_COLLECT,  /* play `plays` (a key stops them), then wait for keys */
	IVR_GO_LEAVE,    /* play `plays` to the end, then run app with data when there is
	                  * one (exec-on-max-...), then leave the menus (`reason`) */
	IVR_GO_EXEC,     /* run app with data, then ivr_state_resume */
	IVR_GO_TRANSFER, /* run app (transfer) with data: the caller leaves the menus */
} IvrGo;

typedef struct {
	IvrGo go;
	const char *plays[4];  /* the files to play (the menus'), NULL-terminated */
	const char *reason;    /* LEAVE: "exit", "back", "max-failures", "max-timeouts" */
	const IvrEntry *entry; /* the entry that matched, or NULL */
	char *app, *data;      /* EXEC, TRANSFER: captures substituted */
	gboolean entered;      /* COLLECT: a menu was (re-)entered: greet-long */
} IvrStep;

void ivr_state_init(IvrState *state, const IvrMenus *menus, const IvrMenu *top);
void ivr_state_clear(IvrState *state);
const IvrMenu *ivr_state_menu(const IvrState *state);
void ivr_step_clear(IvrStep *step);
/* The top menu's long greeting. */
void ivr_state_start(IvrState *state, IvrStep *step);
/* An entry was typed (judged): an action, or an invalid entry. */
void ivr_state_entry(IvrState *state, const char *keys, IvrStep *step);
/* No key came within the menu's timeout after its prompts. */
void ivr_state_timeout(IvrState *state, IvrStep *step);
/* The application of an entry (EXEC) is over and the caller is still there. */
void ivr_state_resume(IvrState *state, IvrStep *step);

/* ---- ivr_call.c: the `ivr` application ---- */

extern const XbApp ivr_apps[];
/* Menus that callers are in now. */
guint ivr_calls_count(void);
/* The module unloads: every caller in a menu is hung up and its menu forgotten. */
void ivr_calls_stop(void);

/* ---- ivr_cli.c ---- */

extern const XbCliCommand ivr_cli[];
