/* mod_needs_good.c: requires mod_good and fetches its API table at load. */
#include <crossbar/crossbar.h>

typedef struct {
	int version;
	int (*answer)(void);
} GoodApi;

static gboolean load(XbModule *self, GError **error)
{
	const GoodApi *api = xb_api_get("good");

	if (!api || api->version != 1 || api->answer() != 42) {
		g_set_error_literal(error, g_quark_from_static_string("test"), 1,
		                    "API good missing");
		return FALSE;
	}
	return TRUE;
}

static const char *const requires[] = {"good", NULL};
XB_MODULE_DEFINE(.name = "needs_good", .version = "1.0", .requires = requires, .load = load);
