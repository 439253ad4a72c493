/* stubs.c */
#include "vm.h"

#include <errno.h>

void vm_mail_message(const VmMessage *msg)
{
}
