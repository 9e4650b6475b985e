/*
 * Socket calls on descriptors that are not sockets. The sandbox has no
 * sockets yet (the network issue), so every open fd answers ENOTSOCK, as
 * Linux does for files, pipes and devices; bash and others probe stdio
 * this way.
 */
#include "syscalls/sys_fs_util.h"

static long not_a_socket(struct task *t, int fd)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	file_put(f);
	return -ENOTSOCK;
}

/* getpeername(2) */
long sys_getpeername(struct task *t, const struct syscall_args *a)
{
	return not_a_socket(t, (int)a->arg[0]);
}

/* getsockname(2) */
long sys_getsockname(struct task *t, const struct syscall_args *a)
{
	return not_a_socket(t, (int)a->arg[0]);
}

/* getsockopt(2) */
long sys_getsockopt(struct task *t, const struct syscall_args *a)
{
	return not_a_socket(t, (int)a->arg[0]);
}

/* setsockopt(2) */
long sys_setsockopt(struct task *t, const struct syscall_args *a)
{
	return not_a_socket(t, (int)a->arg[0]);
}
