/* directory_cli.c: `crossbar-cli user add|set|del|list|show`. Options are checked before
 * anything is written; an unknown user, a taken extension or a bad value is an error that
 * says which. Passwords pass through to their digests and are not kept or echoed. */
#include "directory_private.h"

#include <string.h>

/* Options each command takes, all "--name VALUE". */
static const char *const user_options[] = {"--password",     "--name",          "--pin",
                                           "--context",      "--caller-id",     "--email",
                                           "--max-contacts", "--turn-password", NULL};

static gboolean options_check(XbCliReply *r, int argc, char **argv, int first)
{
	for (int i = first; i < argc; i += 2) {
		if (!g_strv_contains(user_options, argv[i])) {
			xb_cli_reply_error(r,
			                   "unknown option '%s' (options: --password --name --pin "
			                   "--context --caller-id --email --max-contacts "
			                   "--turn-password)",
			                   argv[i]);
			return FALSE;
		}
		if (i + 1 >= argc) {
			xb_cli_reply_error(r, "option %s needs a value", argv[i]);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean digits(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isdigit(*s))
			return FALSE;
	return TRUE;
}

/* Apply the options to `u`; FALSE with the reply's error set on a bad value. */
static gboolean options_apply(XbCliReply *r, DirUser *u, int argc, char **argv)
{
	const char *v;

	if ((v = xb_cli_option(argc, argv, "--password"))) {
		if (strlen(v) < 4) {
			xb_cli_reply_error(r, "the password must have at least 4 characters");
			return FALSE;
		}
		dir_user_set_password(u, xb_directory_realm(), v);
	}
	if ((v = xb_cli_option(argc, argv, "--pin"))) {
		if (!digits(v) || strlen(v) > 16) {
			xb_cli_reply_error(r, "the PIN must be digits only (up to 16)");
			return FALSE;
		}
		dir_user_set_pin(u, v);
	}
	if ((v = xb_cli_option(argc, argv, "--max-contacts"))) {
		char *end;
		gint64 n = g_ascii_strtoll(v, &end, 10);
		if (*end || n < 1 || n > 100) {
			xb_cli_reply_error(r, "--max-contacts must be a number from 1 to 100");
			return FALSE;
		}
		u->max_contacts = (int)n;
	}
	if ((v = xb_cli_option(argc, argv, "--turn-password")))
		dir_user_set_turn_password(u, dir_turn_realm(), v);
#define SET_TEXT(option, field)                                                                    \
	if ((v = xb_cli_option(argc, argv, option))) {                                             \
		g_free(u->field);                                                                  \
		u->field = g_strdup(v);                                                            \
	}
	SET_TEXT("--name", name);
	SET_TEXT("--context", context);
	SET_TEXT("--caller-id", caller_id);
	SET_TEXT("--email", email);
#undef SET_TEXT
	return TRUE;
}

static gboolean store_failed(XbCliReply *r, GError *error)
{
	xb_cli_reply_error(r, "directory: %s", error->message);
	g_error_free(error);
	return FALSE;
}

static gboolean cmd_user_add(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	DirStore *store = dir_store();
	GError *error = NULL;

	if (argc < 1 || argv[0][0] == '-') {
		xb_cli_reply_error(r,
		                   "usage: user add EXT --password P [--name N] [--pin PIN] ...");
		return FALSE;
	}
	if (!dir_ext_valid(argv[0])) {
		xb_cli_reply_error(r, "'%s' is not a valid extension (letters, digits, _ . + -)",
		                   argv[0]);
		return FALSE;
	}
	if (!options_check(r, argc, argv, 1))
		return FALSE;
	if (!xb_cli_option(argc, argv, "--password")) {
		xb_cli_reply_error(r, "user add needs --password");
		return FALSE;
	}
	g_autoptr(XbDirUser) old = store->get(store, argv[0], &error);
	if (error)
		return store_failed(r, error);
	if (old) {
		xb_cli_reply_error(r, "user %s already exists (change it with 'user set')",
		                   argv[0]);
		return FALSE;
	}
	g_autoptr(XbDirUser) u = dir_user_new(argv[0], "cli");
	g_free(u->caller_id);
	u->caller_id = g_strdup(argv[0]);
	if (!options_apply(r, u, argc - 1, argv + 1))
		return FALSE;
	if (!store->put(store, u, &error))
		return store_failed(r, error);
	g_message("directory: user %s added", u->ext);
	xb_cli_reply_message(r, "user %s added", u->ext);
	return TRUE;
}

static gboolean cmd_user_set(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	DirStore *store = dir_store();
	GError *error = NULL;

	if (argc < 2) {
		xb_cli_reply_error(r,
		                   "usage: user set EXT [--password P] [--name N] [--pin PIN] ...");
		return FALSE;
	}
	if (!options_check(r, argc, argv, 1))
		return FALSE;
	g_autoptr(XbDirUser) u = store->get(store, argv[0], &error);
	if (error)
		return store_failed(r, error);
	if (!u) {
		xb_cli_reply_error(r, "no user %s", argv[0]);
		return FALSE;
	}
	if (!options_apply(r, u, argc - 1, argv + 1))
		return FALSE;
	if (!store->put(store, u, &error))
		return store_failed(r, error);
	xb_cli_reply_message(r, "user %s changed", u->ext);
	return TRUE;
}

static gboolean cmd_user_del(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	DirStore *store = dir_store();
	GError *error = NULL;
	gboolean existed = FALSE;

	if (argc != 1) {
		xb_cli_reply_error(r, "usage: user del EXT");
		return FALSE;
	}
	if (!store->del(store, argv[0], &existed, &error))
		return store_failed(r, error);
	if (!existed) {
		xb_cli_reply_error(r, "no user %s", argv[0]);
		return FALSE;
	}
	g_message("directory: user %s deleted", argv[0]);
	xb_cli_reply_message(r, "user %s deleted", argv[0]);
	return TRUE;
}

static void user_row(XbCliReply *r, const DirUser *u)
{
	xb_cli_reply_row(r, "ext", g_variant_new_string(u->ext), "name",
	                 g_variant_new_string(u->name), "context", g_variant_new_string(u->context),
	                 "caller_id", g_variant_new_string(u->caller_id), "email",
	                 g_variant_new_string(u->email), "max_contacts",
	                 g_variant_new_int64(u->max_contacts), "pin",
	                 g_variant_new_boolean(*u->pin_hash != 0), "turn_password",
	                 g_variant_new_boolean(*u->turn_key != 0), "source",
	                 g_variant_new_string(u->source), NULL);
}

static gboolean cmd_user_list(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	DirStore *store = dir_store();
	GError *error = NULL;
	g_autoptr(GPtrArray) all = store->list(store, &error);

	if (!all)
		return store_failed(r, error);
	xb_cli_reply_columns(r, "ext", "name", "context", "caller_id", "email", "max_contacts",
	                     "pin", "turn_password", "source", NULL);
	for (guint i = 0; i < all->len; i++)
		user_row(r, all->pdata[i]);
	return TRUE;
}

const XbCliCommand xb_directory_cli[] = {
    {"user add",
     "EXT --password P [--name N] [--pin PIN] [--context C] [--caller-id X] "
     "[--email E] [--max-contacts N] [--turn-password T]",
     "add a user to the directory", cmd_user_add},
    {"user set", "EXT [--password P] [--name N] [--pin PIN] ...", "change a user", cmd_user_set},
    {"user del", "EXT", "remove a user", cmd_user_del},
    {"user list", "", "list the users", cmd_user_list},
    XB_CLI_END,
};

void dir_cli_register(void)
{
	xb_cli_register(NULL, xb_directory_cli, NULL);
}
