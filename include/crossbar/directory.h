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

G_END_DECLS
