/* core.c: the core's life cycle. Reads and checks the configuration, opens the data folder,
 * the database and the control socket, loads the modules and the dialplan, runs the main
 * loop, and takes all of it down again in reverse. A reload builds a whole new
 * configuration and dialplan and swaps them in only when every part of both is valid. */
#include "core_private.h"

#include <crossbar/stun.h>

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>

static GMainLoop *loop;
static char *config_file;
static char **overrides;
static gint64 started_at; /* monotonic microseconds */
static guint signal_ids[3];
static int exit_status;

GQuark xb_core_error_quark(void)
{
	return g_quark_from_static_string("xb-core-error-quark");
}

gint64 xb_core_started_at(void)
{
	return started_at;
}

static char **split_list(const char *text)
{
	g_auto(GStrv) parts = g_strsplit(text ? text : "", ",", -1);
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; parts[i]; i++) {
		char *w = g_strstrip(parts[i]);
		gboolean seen = FALSE;
		for (guint j = 0; j < out->len; j++)
			seen |= g_str_equal(out->pdata[j], w);
		if (*w && !seen)
			g_ptr_array_add(out, g_strdup(w));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

gboolean xb_core_configure(const XbCoreOptions *opts, GError **error)
{
	g_autoptr(XbConfig) cfg = NULL;
	g_auto(GStrv) names = NULL, optional = NULL;

	xb_event_init();
	xb_channel_init();
	xb_config_init_core();
	config_file = g_strdup(opts->config_file);
	overrides = g_strdupv(opts->overrides);

	cfg = xb_config_read(config_file, overrides, error);
	if (!cfg || !xb_config_validate(cfg, NULL, TRUE, error))
		return FALSE;
	names = split_list(xb_config_lookup(cfg, "core.modules"));
	optional = split_list(xb_config_lookup(cfg, "core.optional_modules"));
	if (!xb_modules_open(xb_config_lookup(cfg, "core.modules_dir"), names, optional, error))
		return FALSE;
	if (!xb_config_validate(cfg, names, FALSE, error))
		return FALSE;
	xb_config_install(g_steal_pointer(&cfg));
	/* What only the modules know how to check (gateways, TURN accounts ...), so that
	 * --check-config sees it and a bad file is refused before anything starts. */
	if (!xb_modules_validate(error))
		return FALSE;
	return xb_dialplan_configure(error);
}

static gboolean quit_cb(gpointer user_data)
{
	g_message("received %s, shutting down", (const char *)user_data);
	xb_core_quit();
	return G_SOURCE_CONTINUE;
}

static gboolean hup_cb(gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	g_message("received SIGHUP, reloading the configuration");
	if (!xb_core_reload(&error))
		g_warning("reload refused, the running configuration stays: %s", error->message);
	return G_SOURCE_CONTINUE;
}

/* The data folder holds the database, recordings and the control socket. The database is
 * 0600 on its own, but a folder that other users can read or enter shows them the rest. */
static void warn_open_data_dir(const char *data_dir)
{
	struct stat st;

	if (stat(data_dir, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH | S_IXOTH)))
		g_warning("data folder %s (core.data_dir) is open to other users (mode %04o): "
		          "chmod o-rwx it",
		          data_dir, (unsigned)(st.st_mode & 07777));
}

gboolean xb_core_start(GError **error)
{
	const char *data_dir = xb_config_get_string("core.data_dir");
	g_autofree char *db_path = NULL, *sock = NULL;
	XbDb *db;

	/* A peer that closes a pipe or socket while crossbar writes to it (a mailer command that
	 * exits early, a sound device's pipe) is an error the writer handles (EPIPE), never a
	 * reason for the daemon to die. */
	signal(SIGPIPE, SIG_IGN);
	if (g_mkdir_with_parents(data_dir, 0750) != 0) {
		g_set_error(error, XB_CORE_ERROR, XB_CORE_ERROR_DATA_DIR,
		            "data folder %s (core.data_dir): cannot create: %s", data_dir,
		            g_strerror(errno));
		return FALSE;
	}
	warn_open_data_dir(data_dir);
	db_path = g_build_filename(data_dir, "crossbar.db", NULL);
	db = xb_db_open(db_path, error);
	if (!db)
		return FALSE;
	xb_core_set_db(db);
	if (!xb_directory_start(db, error))
		return FALSE;

	sock = xb_config_control_socket_path();
	if (!xb_control_start(sock, error))
		return FALSE;
	xb_cli_builtin_register();
	xb_channel_cli_register();
	if (!xb_media_start(error))
		return FALSE;

	started_at = g_get_monotonic_time();
	if (!xb_modules_load(error))
		return FALSE;
	/* The plan's applications, now that the modules have registered theirs. */
	if (!xb_dialplan_start(error))
		return FALSE;

	loop = g_main_loop_new(NULL, FALSE);
	signal_ids[0] = g_unix_signal_add(SIGTERM, quit_cb, "SIGTERM");
	signal_ids[1] = g_unix_signal_add(SIGINT, quit_cb, "SIGINT");
	signal_ids[2] = g_unix_signal_add(SIGHUP, hup_cb, NULL);
	g_message("crossbar %s running: data in %s, control socket %s", XB_VERSION_STRING, data_dir,
	          sock);
	return TRUE;
}

int xb_core_run(void)
{
	g_main_loop_run(loop);
	return exit_status;
}

void xb_core_quit(void)
{
	if (loop)
		g_main_loop_quit(loop);
}

gboolean xb_core_reload(GError **error)
{
	g_autoptr(XbConfig) cfg = xb_config_read(config_file, overrides, error);
	g_auto(GStrv) configured = xb_modules_names();
	g_auto(GStrv) wanted = NULL;
	g_autoptr(XbDialplan) plan = NULL;

	if (!cfg || !xb_config_validate(cfg, NULL, TRUE, error))
		return FALSE;
	wanted = split_list(xb_config_lookup(cfg, "core.modules"));
	for (guint i = 0; wanted[i]; i++)
		if (!g_strv_contains((const char *const *)configured, wanted[i]))
			g_warning(
			    "reload: module '%s' is new in core.modules; it is loaded only at "
			    "start-up",
			    wanted[i]);
	if (!xb_config_validate(cfg, configured, FALSE, error))
		return FALSE;
	/* The new plan is compiled aside: a bad one refuses the whole reload. */
	plan = xb_dialplan_prepare(xb_config_lookup(cfg, "dialplan.file"),
	                           xb_config_lookup(cfg, "dialplan.timezone"), error);
	if (!plan)
		return FALSE;
	xb_config_install(g_steal_pointer(&cfg));
	xb_dialplan_install(plan);
	xb_directory_reload();
	xb_event_publish(XB_EVENT_CONFIG_RELOADED,
	                 g_variant_new("(s)", config_file ? config_file : ""));
	g_message("configuration reloaded%s%s; dialplan %s: %u contexts, %u extensions",
	          config_file ? " from " : "", config_file ? config_file : "",
	          xb_dialplan_file(plan), xb_dialplan_n_contexts(plan),
	          xb_dialplan_n_extensions(plan));
	return TRUE;
}

void xb_core_stop(void)
{
	xb_event_publish(XB_EVENT_SHUTDOWN, g_variant_new("()"));
	xb_event_dispatch_pending();
	/* Calls end with a BYE (or CANCEL, or a final response) while the drivers are there. */
	xb_channel_hangup_all(XB_CAUSE_NORMAL_CLEARING);
	xb_event_dispatch_pending();
	xb_modules_unload_all();
	xb_media_stop();
	stun_auth_shutdown();
	xb_channel_driver_reset();
	xb_control_stop();
	xb_cli_reset();
	xb_app_reset();
	xb_dialplan_reset();
	xb_directory_stop();
	for (guint i = 0; i < G_N_ELEMENTS(signal_ids); i++)
		if (signal_ids[i])
			g_source_remove(signal_ids[i]);
	xb_db_close(xb_core_db());
	xb_authlimit_reset();
	xb_timer_shutdown();
	xb_event_shutdown();
	xb_config_reset();
	g_clear_pointer(&loop, g_main_loop_unref);
	g_clear_pointer(&config_file, g_free);
	g_clear_pointer(&overrides, g_strfreev);
}
