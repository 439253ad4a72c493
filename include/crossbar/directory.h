/* directory.h: the directory of users, as other modules see it. mod_registrar owns the
 * directory and publishes this API table under the name "directory"; a module that needs
 * users (TURN credentials, voicemail PINs, the B2BUA's caller ID) lists "registrar" in its
 * requires and fetches the table with xb_api_get(XB_DIRECTORY_API). No password is stored
 * anywhere: only digest HA1 values for the realm. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XB_DIRECTORY_API         "directory"
#define XB_DIRECTORY_API_VERSION 1

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

typedef struct {
	int version; /* XB_DIRECTORY_API_VERSION */
	/* The user with this extension, or NULL; free with free_user. */
	XbDirUser *(*lookup)(const char *ext);
	void (*free_user)(XbDirUser *user);
	/* The realm of the directory's digests. */
	const char *(*realm)(void);
	/* Does `pin` match the user's voicemail PIN (constant time)? */
	gboolean (*check_pin)(const XbDirUser *user, const char *pin);
} XbDirectoryApi;

G_END_DECLS
