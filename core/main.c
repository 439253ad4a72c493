/* main.c: the crossbar daemon. Parses the command line, brings the core up, runs the main
 * loop in the foreground and brings it down. Exit codes: 0 clean stop, 1 a start-up
 * failure (port in use, module, database), 2 a bad command line, configuration or
 * dialplan. */
#include "core_private.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

/* Every connection and allocation is a descriptor, and the usual soft limit (1024) is far
 * below what a PBX holds: take the hard limit. Modules compare their caps with the result
 * (getrlimit) and say at start when they cannot be met. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		g_info("open-file limit raised from %llu to %llu", (unsigned long long)was,
		       (unsigned long long)rl.rlim_max);
}

int main(int argc, char **argv)
{
	g_autofree char *config = NULL;
	g_auto(GStrv) sets = NULL;
	gboolean check = FALSE, version = FALSE;
	g_autoptr(GError) error = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
	    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "override a setting",
	     "SECTION.NAME=VALUE"},
	    {"check-config", 0, 0, G_OPTION_ARG_NONE, &check, "validate the configuration and exit",
	     NULL},
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- the crossbar PBX");
	int status;

	setlocale(LC_ALL, "");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "crossbar: %s (see --help)\n", error->message);
		return 2;
	}
	if (argc > 1) {
		fprintf(stderr, "crossbar: unexpected argument '%s' (see --help)\n", argv[1]);
		return 2;
	}
	if (version) {
		printf("crossbar %s (module ABI %u)\n", XB_VERSION_STRING, XB_MODULE_ABI_VERSION);
		return 0;
	}
	xb_log_init();

	XbCoreOptions opts = {.config_file = config, .overrides = sets};
	if (!xb_core_configure(&opts, &error)) {
		fprintf(stderr, "crossbar: %s\n", error->message);
		status =
		    error->domain == XB_CONFIG_ERROR || error->domain == XB_DIALPLAN_ERROR ? 2 : 1;
		xb_core_stop();
		return status;
	}
	if (check) {
		g_autofree char *report = NULL;
		if (!xb_dialplan_check_report(&report, &error)) {
			fprintf(stderr, "crossbar: %s\n", error->message);
			xb_core_stop();
			return 2;
		}
		printf("configuration OK: %s\n%s", config ? config : "(built-in defaults)", report);
		xb_core_stop();
		return 0;
	}
	raise_fd_limit();
	if (!xb_core_start(&error)) {
		fprintf(stderr, "crossbar: %s\n", error->message);
		status = error->domain == XB_DIALPLAN_ERROR ? 2 : 1;
		xb_core_stop();
		return status;
	}
	status = xb_core_run();
	g_message("stopping");
	xb_core_stop();
	g_message("stopped");
	return status;
}
