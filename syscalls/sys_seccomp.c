/* seccomp(2): the filters themselves are in sentry/seccomp.c. */
#include "sentry/seccomp.h"
#include "syscalls/table.h"

/* seccomp(2) */
long sys_seccomp(struct task *t, const struct syscall_args *a)
{
	unsigned op = (unsigned)a->arg[0];
	unsigned flags = (unsigned)a->arg[1];
	gaddr_t args = gaddr(a->arg[2]);

	return seccomp_op(t, op, flags, args);
}
