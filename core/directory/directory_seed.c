/* directory_seed.c: users that the configuration puts into the directory: the <user>
 * elements of <directory>, at start and at every reload, and the demo users of a first
 * start. The store is the one copy; this file only writes to it. */
#include "directory_private.h"

#include <libxml/tree.h>
#include <string.h>

static const char *attr(xmlNode *node, const char *name, char **hold)
{
	g_free(*hold);
	*hold = (char *)xmlGetProp(node, BAD_CAST name);
	return *hold;
}

/* Users of <directory> are put into the store with source "config"; users that an earlier
 * file put there and this one no longer lists are removed. Users made with crossbar-cli are
 * left alone unless the file names them, in which case the file wins. The <param> children
 * of <directory> are settings, read by config.c. */
gboolean dir_seed_from_config(DirStore *store, const char *realm, GError **error)
{
	const xmlNode *dir = xb_config_get_node("directory");
	g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (const xmlNode *n = dir ? dir->children : NULL; n; n = n->next) {
		g_autofree char *hold = NULL;
		g_autoptr(GError) err = NULL;
		xmlNode *node = (xmlNode *)n;

		if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, BAD_CAST "user") != 0)
			continue;
		g_autofree char *ext = (char *)xmlGetProp(node, BAD_CAST "id");
		DirUser *old = store->get(store, ext, &err);
		if (err) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_autoptr(XbDirUser) u = old ? old : dir_user_new(ext, "config");
		const char *password = attr(node, "password", &hold);
		if (password && *password) {
			dir_user_set_password(u, realm, password);
		} else if (!old) {
			g_warning("directory: user %s (line %ld) has no password; not added", ext,
			          xmlGetLineNo(node));
			continue;
		}
#define COPY_ATTR(field, name)                                                                     \
	if (attr(node, name, &hold)) {                                                             \
		g_free(u->field);                                                                  \
		u->field = g_strdup(hold);                                                         \
	}
		COPY_ATTR(name, "name");
		COPY_ATTR(context, "context");
		COPY_ATTR(caller_id, "caller_id");
		COPY_ATTR(email, "email");
#undef COPY_ATTR
		if (attr(node, "pin", &hold))
			dir_user_set_pin(u, hold);
		if (attr(node, "max_contacts", &hold))
			u->max_contacts = (int)g_ascii_strtoll(hold, NULL, 10);
		if (attr(node, "turn_password", &hold))
			dir_user_set_turn_password(u, dir_turn_realm(), hold);
		g_free(u->source);
		u->source = g_strdup("config");
		if (!store->put(store, u, error))
			return FALSE;
		g_hash_table_add(listed, g_strdup(ext));
	}

	g_autoptr(GPtrArray) all = store->list(store, error);
	if (!all)
		return FALSE;
	for (guint i = 0; i < all->len; i++) {
		DirUser *u = all->pdata[i];
		if (strcmp(u->source, "config") == 0 && !g_hash_table_contains(listed, u->ext)) {
			if (!store->del(store, u->ext, NULL, error))
				return FALSE;
			g_message("directory: user %s removed (no longer in <directory>)", u->ext);
		}
	}
	return TRUE;
}

/* Four random decimal digits, 0000-9999, each as likely. */
static guint random_pin(void)
{
	guint32 r;

	do /* no modulo bias */
		xb_random_bytes(&r, sizeof(r));
	while (r >= G_MAXUINT32 / 10000 * 10000);
	return r % 10000;
}

/* A first start with an empty directory gets a few users to try the PBX with. Their
 * passwords are random and shown once, here; only their digests are kept. */
gboolean dir_seed_demo_users(DirStore *store, const char *realm, GError **error)
{
	g_autoptr(GPtrArray) all = store->list(store, error);

	if (!all)
		return FALSE;
	if (all->len > 0 || xb_config_get_node("directory") ||
	    !xb_config_get_bool("directory.demo_users"))
		return TRUE;
	for (int i = 0; i < 5; i++) {
		g_autofree char *ext = g_strdup_printf("%d", 1000 + i);
		g_autoptr(XbDirUser) u = dir_user_new(ext, "cli");
		g_autofree char *password = dir_password_random(12);
		g_autofree char *pin = g_strdup_printf("%04u", random_pin());

		g_free(u->name);
		u->name = g_strdup_printf("Demo %d", 1000 + i);
		g_free(u->caller_id);
		u->caller_id = g_strdup(u->ext);
		dir_user_set_password(u, realm, password);
		dir_user_set_pin(u, pin);
		if (!store->put(store, u, error))
			return FALSE;
		g_message("demo user %s: password %s, voicemail PIN %s (shown once)", u->ext,
		          password, pin);
	}
	g_message("demo users created for realm '%s'; manage them with crossbar-cli user ...",
	          realm);
	return TRUE;
}
