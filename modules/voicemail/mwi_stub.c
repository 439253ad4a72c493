/* mwi_stub.c: message waiting left out: the module's calls into it do nothing. */
#include "mwi.h"

gboolean vm_mwi_start(XbModule *module, GError **error)
{
	return TRUE;
}

void vm_mwi_stop(void)
{
}

void vm_mwi_changed(const char *box)
{
}
