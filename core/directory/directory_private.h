/* directory_private.h: the core's directory of users, shared by the files of core/directory/
 * and never seen by modules (they have crossbar/directory.h). The users sit behind a small
 * storage interface, so that SQLite, the embedded default, can give way to a shared
 * database later. Passwords are never stored: only the digest HA1 values (MD5 and SHA-256)
 * for the realm, and the TURN long-term key when a separate TURN password is set. */
#pragma once

#include "../core_private.h"

typedef XbDirUser DirUser;

/* The storage interface: one table of users. Every call returns FALSE with error set on a
 * storage failure; get returns NULL without an error when there is no such user. */
typedef struct dir_store DirStore;
struct dir_store {
	DirUser *(*get)(DirStore *store, const char *ext, GError **error);
	gboolean (*put)(DirStore *store, const DirUser *user, GError **error);
	gboolean (*del)(DirStore *store, const char *ext, gboolean *existed, GError **error);
	GPtrArray *(*list)(DirStore *store, GError **error); /* DirUser *, by extension */
	void (*free)(DirStore *store);
};

DirStore *dir_store_sqlite_new(XbDb *db, GError **error);

/* The running directory's store; NULL before xb_directory_start and after the stop. */
DirStore *dir_store(void);
/* The realm for TURN long-term keys: turn.realm when mod_turn declares it and it is set,
 * else the directory's realm (mod_turn's default follows the directory likewise). */
const char *dir_turn_realm(void);

/* A user with the defaults of a new one (context "default", no PIN, no TURN password,
 * directory.default_max_contacts) and no digests yet. */
DirUser *dir_user_new(const char *ext, const char *source);
/* Digests and secrets (directory_user.c). */
char *dir_hash_hex(const char *algorithm, const char *text); /* "MD5" or "SHA256" */
void dir_user_set_password(DirUser *u, const char *realm, const char *password);
void dir_user_set_pin(DirUser *u, const char *pin);
void dir_user_set_turn_password(DirUser *u, const char *turn_realm, const char *password);
gboolean dir_ext_valid(const char *ext);
/* A random password of `len` characters from an unambiguous alphabet. */
char *dir_password_random(guint len);

/* Seeding (directory_seed.c): the users of <directory>, and the demo users of a first
 * start with an empty directory and no <directory> in the file. */
gboolean dir_seed_from_config(DirStore *store, const char *realm, GError **error);
gboolean dir_seed_demo_users(DirStore *store, const char *realm, GError **error);

/* The `user` commands (directory_cli.c), owned by the core. */
void dir_cli_register(void);
/* Call features (features.c): their table, and their commands and applications. */
gboolean dir_features_migrate(XbDb *db, GError **error);
void dir_features_register(void);
