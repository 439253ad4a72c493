/* directory.h: the directory of users, a core service. Every part that needs users (the
 * registrar's digest, TURN's long-term keys, voicemail PINs and e-mail, the dialplan's
 * user/EXT, forwarding and caller ID) calls these functions; no module owns the users. The
 * users live behind a storage interface inside the core (SQLite on the core's database);
 * `crossbar-cli user ...` manages them and <directory> in the file seeds them. No password
 * is stored anywhere: only digest HA1 values for the realm. Main loop only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	char *ext;        /* the extension, also the SIP user name */
	char *name;       /* display name */
	char *realm;      /* the realm the HA1 values were computed for */
	char *ha1_md5;    /* hex MD5(ext:realm:password) */
	char *ha1_sha256; /* hex SHA-256(ext:realm:password) */
	char *pin_hash;   /* hex SHA-256(salt + pin), "" when no PIN */
	char *pin_salt;   /* hex */
	char *context;    /* dialplan context of calls from this user */
	char *caller_id;  /* caller ID number presented on outgoing calls */
	char *email;      /* voicemail notification address */
	char *turn_key;   /* hex MD5(ext:turn_realm:turn_password), "" when unset */
	char *turn_realm; /* the realm turn_key was computed for */
	char *source;     /* "config" (seeded from <directory>) or "cli" */
	int max_contacts; /* registered contacts allowed at once */
} XbDirUser;

void xb_dir_user_free(XbDirUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbDirUser, xb_dir_user_free)

/* The user with this extension (a copy the caller frees), or NULL when there is none or the
 * store failed. */
XbDirUser *xb_directory_lookup(const char *ext);
/* The realm of the directory's digests (directory.realm, else sip.domain, else the host
 * name); "" before the core has started. */
const char *xb_directory_realm(void);
/* Does `pin` match the user's voicemail PIN? Constant time; FALSE when the user has none. */
gboolean xb_directory_check_pin(const XbDirUser *user, const char *pin);
/* Sets the user's voicemail PIN (digits only, 1 to XB_DIRECTORY_PIN_MAX of them; kept as a
 * salted hash like `user set --pin`). FALSE with error for an unknown user, a PIN that is
 * not such digits, or a storage failure; then nothing changed. */
#define XB_DIRECTORY_PIN_MAX 16
gboolean xb_directory_set_pin(const char *ext, const char *pin, GError **error);

/* Call features of a user: do-not-disturb and call forwarding, kept with the user (set with
 * `crossbar-cli user dnd|forward` and the dialplan's dnd and call_forward applications, the
 * feature codes of the shipped plan). A forward target is a number the user's own context
 * routes ("", none). `bridge user/EXT` acts on them: DND refuses the call as busy; "always"
 * sends it on at once, "busy" when every phone was busy, "noanswer" when none answered. */
typedef enum {
	XB_FORWARD_ALWAYS,
	XB_FORWARD_BUSY,
	XB_FORWARD_NOANSWER,
} XbForwardKind;

typedef struct {
	gboolean dnd;
	char *forward[3]; /* by XbForwardKind; "" for none */
} XbCallFeatures;

void xb_call_features_free(XbCallFeatures *features);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbCallFeatures, xb_call_features_free)
/* The user's features (all off when none were set), or NULL when there is no such user. */
XbCallFeatures *xb_directory_features(const char *ext);
/* FALSE with error for an unknown user or a storage failure. number NULL or "" clears. */
gboolean xb_directory_set_dnd(const char *ext, gboolean on, GError **error);
gboolean xb_directory_set_forward(const char *ext, XbForwardKind kind, const char *number,
                                  GError **error);
/* "always", "busy", "noanswer"; FALSE for another word. */
gboolean xb_forward_kind_parse(const char *word, XbForwardKind *kind);
const char *xb_forward_kind_name(XbForwardKind kind);

G_END_DECLS
