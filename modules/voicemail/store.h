/* store.h: voicemail's storage interface. The index of messages (box, folder, envelope,
 * length, file) lives behind a VmStore, a table of functions: store_sqlite.c keeps it in the
 * core's SQLite database, and another back end (a PostgreSQL that several nodes share)
 * would fill the same table. The audio lives in files under the voicemail folder, one WAV
 * per message, named in its row. The vm_store_* functions act on the module's store (store.c).
 * A box exists when the directory has a user of that extension; the store keeps no box rows.
 * Main loop only. */
#pragma once

#include <glib.h>
#include <crossbar/db.h>

/* Folders: "new" until the owner heard the message, then "saved". */
#define VM_FOLDER_NEW   "new"
#define VM_FOLDER_SAVED "saved"

typedef struct {
	char *id;               /* 32 hex digits, unique across nodes */
	char *box;              /* the box owner's extension */
	char *folder;           /* VM_FOLDER_NEW or VM_FOLDER_SAVED */
	char *caller_id_number; /* "" when the caller gave none */
	char *caller_id_name;
	gint64 created;    /* Unix seconds when the message was left */
	guint duration_ms; /* length of its audio */
	char *file;        /* the WAV's absolute path */
} VmMessage;

void vm_message_free(VmMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmMessage, vm_message_free)

/* A back end. Every write is durable when it returns TRUE. */
typedef struct vm_store VmStore;
struct vm_store {
	gboolean (*add)(VmStore *s, const VmMessage *msg, GError **error);
	GPtrArray *(*list)(VmStore *s, const char *box, const char *folder, GError **error);
	VmMessage *(*find)(VmStore *s, const char *box, const char *id, gboolean *ambiguous,
	                   GError **error);
	gboolean (*set_folder)(VmStore *s, const char *id, const char *folder, GError **error);
	gboolean (*remove)(VmStore *s, const char *id, GError **error);
	GPtrArray *(*older)(VmStore *s, gint64 before, GError **error);
	gboolean (*usage)(VmStore *s, const char *box, guint *messages, guint64 *ms,
	                  GError **error);
	gboolean (*counts)(VmStore *s, const char *box, guint *n_new, guint *n_old, GError **error);
	GHashTable *(*files)(VmStore *s, GError **error);
	gboolean (*drop_file)(VmStore *s, const char *file, GError **error);
	void (*close)(VmStore *s); /* frees it */
};

/* The SQLite back end on `db` (its schema brought up to date). */
VmStore *vm_store_sqlite_new(XbDb *db, GError **error);

/* Opens the module's store: SQLite on the core's database. */
gboolean vm_store_open(GError **error);
void vm_store_close(void);

/* Adds a message whose file is complete; committed when this returns TRUE. */
gboolean vm_store_add(const VmMessage *msg, GError **error);
/* A box's messages, new ones first, oldest first within a folder (VmMessage *, owned by the
 * array). folder NULL: both. NULL with error when the store failed. */
GPtrArray *vm_store_list(const char *box, const char *folder, GError **error);
/* The message of `box` whose id is `id` or starts with it (at least 4 hex digits), or
 * NULL: *ambiguous tells a prefix of several apart from none. */
VmMessage *vm_store_find(const char *box, const char *id, gboolean *ambiguous, GError **error);
/* Moves a message to another folder; FALSE with error when it failed. */
gboolean vm_store_set_folder(const char *id, const char *folder, GError **error);
/* Deletes the row (the caller removes the file after). */
gboolean vm_store_delete(const char *id, GError **error);
/* Messages created before `before` (Unix seconds), every box. */
GPtrArray *vm_store_older(gint64 before, GError **error);
/* A box's totals: messages and milliseconds of audio, every folder. */
gboolean vm_store_usage(const char *box, guint *messages, guint64 *ms, GError **error);
/* Every file the store names (for the check of stray files at start). */
GHashTable *vm_store_files(GError **error);
/* Drops the rows that name `file` (one removed by hand). */
gboolean vm_store_drop_file(const char *file, GError **error);
