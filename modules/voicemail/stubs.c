/* stubs.c */
#include "vm.h"

#include <errno.h>

int vm_check_start(XbChannel *ch, const char *box)
{
	return -ENOSYS;
}

void vm_mail_message(const VmMessage *msg)
{
}
