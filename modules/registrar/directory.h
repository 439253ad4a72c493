/* directory.h: the directory of users (extensions) behind a small storage interface, so
 * that SQLite, the embedded default, can give way to a shared database later. Passwords are
 * never stored: only the digest HA1 values (MD5 and SHA-256) for the realm, and the TURN
 * long-term key when a separate TURN password is set. */
#pragma once

#include <crossbar/crossbar.h>
#include <crossbar/directory.h>

typedef XbDirUser DirUser;

void dir_user_free(DirUser *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbDirUser, dir_user_free)

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

/* Digests and secrets. */
char *dir_hash_hex(const char *algorithm, const char *text); /* "MD5" or "SHA256" */
void dir_user_set_password(DirUser *u, const char *realm, const char *password);
void dir_user_set_pin(DirUser *u, const char *pin);
gboolean dir_user_check_pin(const DirUser *u, const char *pin);
void dir_user_set_turn_password(DirUser *u, const char *turn_realm, const char *password);
gboolean dir_ext_valid(const char *ext);
/* A random password of `len` characters from an unambiguous alphabet. */
char *dir_password_random(guint len);
