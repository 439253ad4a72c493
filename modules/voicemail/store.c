/* store.c: the module's store (store.h) and what every back end shares: the message's
 * destructor and the rule that a box is a directory user. */
#include "store.h"
#include "mwi.h"

#include <crossbar/crossbar.h>

static VmStore *store;

void vm_message_free(VmMessage *msg)
{
	if (!msg)
		return;
	g_free(msg->id);
	g_free(msg->box);
	g_free(msg->folder);
	g_free(msg->caller_id_number);
	g_free(msg->caller_id_name);
	g_free(msg->file);
	g_free(msg);
}

static gboolean no_store(GError **error)
{
	g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_OPEN, "the voicemail store is not open");
	return FALSE;
}

gboolean vm_store_open(GError **error)
{
	if (!xb_core_db())
		return no_store(error);
	store = vm_store_sqlite_new(xb_core_db(), error);
	return store != NULL;
}

void vm_store_close(void)
{
	if (store)
		store->close(store);
	store = NULL;
}

gboolean vm_store_add(const VmMessage *msg, GError **error)
{
	return store ? store->add(store, msg, error) : no_store(error);
}

GPtrArray *vm_store_list(const char *box, const char *folder, GError **error)
{
	if (!store) {
		no_store(error);
		return NULL;
	}
	return store->list(store, box, folder, error);
}

VmMessage *vm_store_find(const char *box, const char *id, gboolean *ambiguous, GError **error)
{
	*ambiguous = FALSE;
	if (!store) {
		no_store(error);
		return NULL;
	}
	return store->find(store, box, id, ambiguous, error);
}

gboolean vm_store_set_folder(const char *id, const char *folder, GError **error)
{
	return store ? store->set_folder(store, id, folder, error) : no_store(error);
}

gboolean vm_store_delete(const char *id, GError **error)
{
	return store ? store->remove(store, id, error) : no_store(error);
}

GPtrArray *vm_store_older(gint64 before, GError **error)
{
	if (!store) {
		no_store(error);
		return NULL;
	}
	return store->older(store, before, error);
}

gboolean vm_store_usage(const char *box, guint *messages, guint64 *ms, GError **error)
{
	return store ? store->usage(store, box, messages, ms, error) : no_store(error);
}

GHashTable *vm_store_files(GError **error)
{
	if (!store) {
		no_store(error);
		return NULL;
	}
	return store->files(store, error);
}

gboolean vm_store_drop_file(const char *file, GError **error)
{
	return store ? store->drop_file(store, file, error) : no_store(error);
}

gboolean vm_store_counts(const char *box, guint *new_count, guint *old_count)
{
	g_autoptr(XbDirUser) user = box ? xb_directory_lookup(box) : NULL;

	*new_count = *old_count = 0;
	if (!user || !store)
		return FALSE;
	return store->counts(store, box, new_count, old_count, NULL);
}
