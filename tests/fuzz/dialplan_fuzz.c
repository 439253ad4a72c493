/* dialplan_fuzz.c: libFuzzer target of the dialplan compiler (core/dialplan/compile.c and
 * timespec.c): any bytes are read as a plan and validated against the schema; a plan that
 * compiles is hunted in its contexts for a few short numbers (short, so that a fuzzed
 * regular expression cannot spend the run backtracking). */
#include <crossbar/dialplan.h>

#include <stdint.h>

static const char *lookup_cb(const char *name, gpointer user_data)
{
	return g_str_equal(name, "destination_number") ? user_data : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const numbers[] = {"1000", "0", "*72123", ""};
	static const char *const contexts[] = {"default", "public", "d"};
	g_autoptr(GError) error = NULL;
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) now = g_date_time_new(utc, 2026, 5, 4, 10, 30, 15);
	XbDialplan *plan =
	    xb_dialplan_load_data("fuzz.xml", (const char *)data, size, "UTC", &error);

	if (!plan)
		return 0;
	for (guint c = 0; c < G_N_ELEMENTS(contexts); c++)
		for (guint n = 0; n < G_N_ELEMENTS(numbers); n++) {
			XbDialplanResult *r = xb_dialplan_hunt(plan, contexts[c], lookup_cb,
			                                       (gpointer)numbers[n], now, NULL);
			xb_dialplan_result_free(r);
		}
	xb_dialplan_unref(plan);
	return 0;
}
