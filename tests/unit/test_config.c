/* test_config.c: the configuration: a valid file, every kind of invalid one (with the line
 * it must name), --set overrides and their errors, typed getters, and module sections. */
#include "config.h"
#include "core/core_private.h"
#include "test_util.h"

#include <string.h>

#define TEST_MODULES_DIR XB_BUILDDIR "/tests/unit/modules"

static const XbSettingDef fake_defs[] = {
    {"port", XB_SETTING_INT, "5060", "a port", 1, 65535},
    {"enabled", XB_SETTING_BOOL, "no", "a switch"},
    {"listen", XB_SETTING_LISTEN, "udp:127.0.0.1:5060", "addresses"},
    {"names", XB_SETTING_LIST, "a,b", "words"},
    {"mode", XB_SETTING_ENUM, "fast", "a choice", 0, 0, "fast|slow"},
    XB_SETTINGS_END,
};
static const char *const fake_elements[] = {"directory", NULL};

typedef struct {
	char *dir;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	f->dir = xb_test_tmpdir();
	xb_config_init_core();
	xb_config_declare_section("fake", "fake", fake_defs, fake_elements);
}

static void teardown(Fixture *f, gconstpointer data)
{
	xb_config_reset();
	xb_test_rmdir(f->dir);
	g_free(f->dir);
}

static char **configured_fake(void)
{
	static char *names[] = {"fake", NULL};
	return names;
}

/* Reads and validates; returns the error (or NULL) and installs the configuration. */
static GError *load(const char *file, char **overrides)
{
	GError *error = NULL;
	XbConfig *cfg = xb_config_read(file, overrides, &error);

	if (!cfg)
		return error;
	if (!xb_config_validate(cfg, configured_fake(), FALSE, &error)) {
		xb_config_free(cfg);
		return error;
	}
	xb_config_install(cfg);
	return NULL;
}

static void test_defaults(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = load(NULL, NULL);

	g_assert_no_error(error);
	g_assert_null(xb_config_file());
	g_assert_cmpstr(xb_config_get_string("core.log_level"), ==, "notice");
	g_assert_cmpint(xb_config_get_int("fake.port"), ==, 5060);
	g_assert_false(xb_config_get_bool("fake.enabled"));
	gint64 lo, hi;
	xb_config_get_range("media.rtp_ports", &lo, &hi);
	g_assert_cmpint(lo, ==, 20000);
	g_assert_cmpint(hi, ==, 29999);
	g_auto(GStrv) names = xb_config_get_list("fake.names");
	g_assert_cmpuint(g_strv_length(names), ==, 2);
}

static void test_valid_file_and_overrides(Fixture *f, gconstpointer data)
{
	g_autofree char *file = xb_test_write(
	    f->dir, "ok.xml",
	    "<?xml version=\"1.0\"?>\n"
	    "<crossbar>\n"
	    "  <core>\n"
	    "    <param name=\"log_level\" value=\"debug\"/>\n"
	    "  </core>\n"
	    "  <media><param name=\"rtp_ports\" value=\"10000-10100\"/></media>\n"
	    "  <fake>\n"
	    "    <param name=\"port\" value=\"5070\"/>\n"
	    "    <param name=\"enabled\" value=\"yes\"/>\n"
	    "    <param name=\"listen\" value=\"udp:127.0.0.1:5070, tcp:[::1]:5071\"/>\n"
	    "  </fake>\n"
	    "  <directory><user id=\"1000\" password=\"x\"/></directory>\n"
	    "</crossbar>\n");
	char *sets[] = {"fake.port=5080", "core.log_level=info", NULL};
	g_autoptr(GError) error = load(file, sets);

	g_assert_no_error(error);
	g_assert_cmpstr(xb_config_file(), ==, file);
	/* --set wins over the file; the file wins over the default. */
	g_assert_cmpint(xb_config_get_int("fake.port"), ==, 5080);
	g_assert_cmpstr(xb_config_get_string("core.log_level"), ==, "info");
	g_assert_true(xb_config_get_bool("fake.enabled"));
	g_autoptr(GArray) listen = xb_config_get_listen("fake.listen");
	g_assert_cmpuint(listen->len, ==, 2);
	XbListenAddr *a = &g_array_index(listen, XbListenAddr, 1);
	g_assert_cmpint(a->transport, ==, XB_TRANSPORT_TCP);
	g_assert_cmpstr(a->address, ==, "::1");
	g_assert_true(a->ipv6);
	g_assert_cmpuint(a->port, ==, 5071);
	gint64 lo, hi;
	xb_config_get_range("media.rtp_ports", &lo, &hi);
	g_assert_cmpint(hi, ==, 10100);
	g_assert_nonnull(xb_config_get_node("directory"));
	g_assert_null(xb_config_get_node("gateways"));
}

typedef struct {
	const char *name;
	const char *body; /* lines after the XML declaration */
	int code;
	const char *expect; /* substring of the message, with the line number */
} BadFile;

static const BadFile bad_files[] = {
    {"not-well-formed", "<crossbar>\n<core>\n</crossbar>\n", XB_CONFIG_ERROR_MALFORMED, ":4:"},
    {"not-xml", "hello\n", XB_CONFIG_ERROR_MALFORMED, "bad.xml:2:"},
    {"wrong-root", "<pbx/>\n", XB_CONFIG_ERROR_MALFORMED, "schema"},
    {"param-without-value",
     "<crossbar>\n<core>\n<param name=\"log_level\"/>\n</core>\n</crossbar>\n",
     XB_CONFIG_ERROR_MALFORMED, ":4:"},
    {"unknown-setting",
     "<crossbar>\n<core>\n<param name=\"log_levle\" value=\"debug\"/>\n</core>\n</crossbar>\n",
     XB_CONFIG_ERROR_UNKNOWN, "bad.xml:4: unknown setting 'core.log_levle'"},
    {"unknown-section", "<crossbar>\n<bogus>\n</bogus>\n</crossbar>\n", XB_CONFIG_ERROR_UNKNOWN,
     "bad.xml:3: unknown section 'bogus'"},
    {"wrong-type",
     "<crossbar>\n<fake>\n\n<param name=\"port\" value=\"five\"/>\n</fake>\n</crossbar>\n",
     XB_CONFIG_ERROR_VALUE, "bad.xml:5: fake.port: 'five' is not a whole number"},
    {"out-of-range",
     "<crossbar>\n<fake><param name=\"port\" value=\"70000\"/></fake>\n</crossbar>\n",
     XB_CONFIG_ERROR_VALUE, "bad.xml:3: fake.port: 70000 is out of range"},
    {"bad-bool",
     "<crossbar>\n<fake><param name=\"enabled\" value=\"maybe\"/></fake>\n</crossbar>\n",
     XB_CONFIG_ERROR_VALUE, "not a boolean"},
    {"bad-enum",
     "<crossbar>\n<core><param name=\"log_level\" value=\"loud\"/></core>\n</crossbar>\n",
     XB_CONFIG_ERROR_VALUE, "'loud' is not one of error|warning|notice|info|debug"},
    {"bad-range",
     "<crossbar>\n<media><param name=\"rtp_ports\" value=\"30000-20000\"/></media>\n</crossbar>\n",
     XB_CONFIG_ERROR_VALUE, "bad.xml:3: media.rtp_ports:"},
    {"bad-listen",
     "<crossbar>\n<fake><param name=\"listen\" value=\"sctp:1.2.3.4:5\"/></fake>\n</crossbar>\n",
     XB_CONFIG_ERROR_VALUE, "unknown transport 'sctp'"},
    {"unclaimed-element", "<crossbar>\n<gateways/>\n</crossbar>\n", XB_CONFIG_ERROR_UNKNOWN,
     "bad.xml:3: element <gateways> is not read by any loaded module"},
};

static void test_bad_file(Fixture *f, gconstpointer data)
{
	const BadFile *bad = data;
	g_autofree char *body = g_strconcat("<?xml version=\"1.0\"?>\n", bad->body, NULL);
	g_autofree char *file = xb_test_write(f->dir, "bad.xml", body);
	g_autoptr(GError) error = load(file, NULL);

	g_assert_error(error, XB_CONFIG_ERROR, bad->code);
	if (!strstr(error->message, bad->expect))
		g_error("'%s' does not contain '%s'", error->message, bad->expect);
	g_assert_null(strchr(error->message, '\n')); /* one line */
	g_assert_null(xb_config_file());             /* nothing was installed */
}

static void test_missing_file(Fixture *f, gconstpointer data)
{
	g_autofree char *file = g_build_filename(f->dir, "absent.xml", NULL);
	g_autoptr(GError) error = load(file, NULL);

	g_assert_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "absent.xml: cannot read"));
}

static void test_override_errors(Fixture *f, gconstpointer data)
{
	struct {
		const char *set;
		int code;
		const char *expect;
	} cases[] = {
	    {"noequals", XB_CONFIG_ERROR_VALUE, "--set noequals: expected SECTION.NAME=VALUE"},
	    {"nosection=1", XB_CONFIG_ERROR_VALUE, "expected SECTION.NAME=VALUE"},
	    {"core.unknown=1", XB_CONFIG_ERROR_UNKNOWN, "--set: unknown setting 'core.unknown'"},
	    {"fake.port=-1", XB_CONFIG_ERROR_VALUE, "--set: fake.port: -1 is out of range"},
	    {"nosuch.thing=1", XB_CONFIG_ERROR_UNKNOWN, "--set: unknown section 'nosuch'"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *sets[] = {(char *)cases[i].set, NULL};
		g_autoptr(GError) error = load(NULL, sets);
		g_assert_error(error, XB_CONFIG_ERROR, cases[i].code);
		if (!strstr(error->message, cases[i].expect))
			g_error("'%s' does not contain '%s'", error->message, cases[i].expect);
	}
}

/* A setting of a module that exists but is not in core.modules is refused as such. */
static void test_module_not_configured(Fixture *f, gconstpointer data)
{
	char *sets[] = {"core.modules_dir=" TEST_MODULES_DIR, "good.level=3", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(XbConfig) cfg = xb_config_read(NULL, sets, &error);

	g_assert_no_error(error);
	g_assert_false(xb_config_validate(cfg, configured_fake(), FALSE, &error));
	g_assert_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_NOT_LOADED);
	g_assert_nonnull(strstr(error->message, "module 'good' is not loaded"));
}

static void test_listen_parse(Fixture *f, gconstpointer data)
{
	const char *good[] = {"udp:127.0.0.1:5060", "tcp:[::1]:5060,udp:0.0.0.0:1",
	                      "TLS:[2001:db8::1]:5061", ""};
	const char *bad[] = {"udp:127.0.0.1",   "udp:127.0.0.1:0", "udp:127.0.0.1:65536",
	                     "udp:::1:5060",    "udp:[::1]5060",   "udp:[zz]:5060",
	                     "http:1.2.3.4:80", "udp:1.2.3.4:x",   "nocolon"};

	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GArray) out = NULL;
		g_assert_true(xb_listen_parse(good[i], &out, &error));
		g_assert_no_error(error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		if (xb_listen_parse(bad[i], NULL, &error))
			g_error("'%s' was accepted", bad[i]);
		g_assert_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE);
	}
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add("/config/defaults", Fixture, NULL, setup, test_defaults, teardown);
	g_test_add("/config/valid-file-and-overrides", Fixture, NULL, setup,
	           test_valid_file_and_overrides, teardown);
	for (guint i = 0; i < G_N_ELEMENTS(bad_files); i++) {
		g_autofree char *path = g_strdup_printf("/config/bad-file/%s", bad_files[i].name);
		g_test_add(path, Fixture, &bad_files[i], setup, test_bad_file, teardown);
	}
	g_test_add("/config/missing-file", Fixture, NULL, setup, test_missing_file, teardown);
	g_test_add("/config/override-errors", Fixture, NULL, setup, test_override_errors, teardown);
	g_test_add("/config/module-not-configured", Fixture, NULL, setup,
	           test_module_not_configured, teardown);
	g_test_add("/config/listen-parse", Fixture, NULL, setup, test_listen_parse, teardown);
	return g_test_run();
}
