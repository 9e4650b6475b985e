/*
 * Process syscalls: fork, vfork, clone, clone3, execve, execveat, wait4,
 * waitid, kill, setpgid, setsid, getpgid, getsid.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "fs/vfs.h"
#include "sentry/exec.h"
#include "sentry/kernel_internal.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/ptrace.h"
#include "sentry/task.h"
#include "syscalls/table.h"

/* fork(2) */
long sys_fork(struct task *t, const struct syscall_args *a)
{
	struct clone_request cr = { .exit_signal = SIGCHLD };
	return process_clone(t, &cr);
}

/* vfork(2): the child's memory is a copy; the parent waits for its exec or exit. */
long sys_vfork(struct task *t, const struct syscall_args *a)
{
	struct clone_request cr = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };
	return process_clone(t, &cr);
}

/* clone(2): x86-64 order is flags, stack, parent_tid, child_tid, tls. */
long sys_clone(struct task *t, const struct syscall_args *a)
{
	uint64_t flags = a->arg[0];
	struct clone_request cr = {
		.flags = flags & ~(uint64_t)CSIGNAL,
		.exit_signal = flags & CSIGNAL,
		.stack = a->arg[1],
		.parent_tid = a->arg[2],
		.child_tid = a->arg[3],
		.tls = a->arg[4],
	};
	if (cr.exit_signal > GUEST_NSIG)
		return -EINVAL;
	return process_clone(t, &cr);
}

struct guest_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
		set_tid, set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64

/* clone3(2) */
long sys_clone3(struct task *t, const struct syscall_args *a)
{
	gaddr_t uargs = gaddr(a->arg[0]);
	size_t size = a->arg[1];
	if (size < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	if (size > PAGE_SIZE)
		return -E2BIG;
	struct guest_clone_args ca;
	memset(&ca, 0, sizeof(ca));
	if (mm_copy_in(t->mm, &ca, uargs, MIN(size, sizeof(ca))))
		return -EFAULT;
	/* A larger struct from a newer libc must have only zeros past what we know. */
	for (size_t off = sizeof(ca); off < size; off++) {
		uint8_t b;
		if (mm_copy_in(t->mm, &b, gaddr_add(uargs, off), 1))
			return -EFAULT;
		if (b)
			return -E2BIG;
	}
	if ((ca.flags & CSIGNAL) || ca.exit_signal > GUEST_NSIG)
		return -EINVAL;
	if ((ca.stack == 0) != (ca.stack_size == 0))
		return -EINVAL;
	if (ca.set_tid || ca.set_tid_size || (ca.flags & (CLONE_INTO_CGROUP | CLONE_PIDFD)))
		return -EINVAL;    /* not supported: documented in docs/compat.md */
	struct clone_request cr = {
		.flags = ca.flags,
		.exit_signal = (int)ca.exit_signal,
		.stack = ca.stack ? ca.stack + ca.stack_size : 0,
		.parent_tid = ca.parent_tid,
		.child_tid = ca.child_tid,
		.tls = ca.tls,
	};
	return process_clone(t, &cr);
}

/* ---- execve ---- */

/* Linux's limit on the argument and environment strings: a quarter of the stack. */
#define EXEC_ARGS_MAX (2UL << 20)

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Copy a NULL-terminated guest array of strings; *total accumulates their size. */
static long copy_strv(struct task *t, gaddr_t uv, char ***out, size_t *total)
{
	size_t n = 0, cap = 16;
	char **v = calloc(cap, sizeof(char *));
	if (!v)
		return -ENOMEM;
	/* Each string is read into one scratch buffer and kept at its own size. */
	char *scratch = malloc(EXEC_MAX_ARG_STRLEN);
	if (!scratch) {
		free(v);
		return -ENOMEM;
	}
	long rc = 0;
	/* A NULL argv or envp is an empty array (Linux warns and accepts). */
	for (; uv.v; n++) {
		uint64_t p;
		if (mm_copy_in(t->mm, &p, gaddr_add(uv, n * 8), 8)) {
			rc = -EFAULT;
			break;
		}
		if (!p)
			break;
		if (n + 1 >= cap) {
			char **nv = realloc(v, cap * 2 * sizeof(char *));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			memset(nv + cap, 0, cap * sizeof(char *));
			v = nv;
			cap *= 2;
		}
		long len = mm_copy_string_in(t->mm, gaddr(p), scratch, EXEC_MAX_ARG_STRLEN);
		if (len < 0) {
			rc = len == -ENAMETOOLONG ? -E2BIG : len;
			break;
		}
		v[n] = malloc(len + 1);
		if (!v[n]) {
			rc = -ENOMEM;
			break;
		}
		memcpy(v[n], scratch, len + 1);
		*total += len + 1 + sizeof(char *);
		if (*total > EXEC_ARGS_MAX) {
			rc = -E2BIG;
			n++;
			break;
		}
	}
	free(scratch);
	if (rc) {
		free_strv(v);
		return rc;
	}
	*out = v;
	return n;
}

static long do_execve(struct task *t, const char *path, gaddr_t uargv, gaddr_t uenvp)
{
	char **argv = NULL, **envp = NULL;
	size_t total = 0;
	/* Linux opens the program first: its ENOENT or EACCES before E2BIG or EFAULT. */
	struct file *f;
	long rc = path[0] ? vfs_open_exec(t->fs, &t->cred, path, &f) : -ENOENT;
	if (rc)
		return rc;
	file_put(f);
	rc = copy_strv(t, uargv, &argv, &total);
	if (rc >= 0)
		rc = copy_strv(t, uenvp, &envp, &total);
	if (rc >= 0)
		rc = exec_program(t, path, argv, envp);
	free_strv(argv);
	free_strv(envp);
	if (rc == 0) {
		pthread_mutex_lock(&kernel.lock);
		t->tg->execed = true;
		pthread_mutex_unlock(&kernel.lock);
		process_vfork_release(t);
		ptrace_exec(t, t->tid);
	}
	return rc;
}

/* execve(2) */
long sys_execve(struct task *t, const struct syscall_args *a)
{
	char path[4096];
	long n = mm_copy_string_in(t->mm, gaddr(a->arg[0]), path, sizeof(path));
	if (n < 0)
		return n;
	return do_execve(t, path, gaddr(a->arg[1]), gaddr(a->arg[2]));
}

/*
 * execveat(2): dirfd, pathname, argv, envp, flags. Absolute paths, AT_FDCWD
 * and AT_EMPTY_PATH (fexecve) are supported; a path relative to another
 * directory fd is resolved through that directory's path.
 */
long sys_execveat(struct task *t, const struct syscall_args *a)
{
	int dirfd = (int)a->arg[0];
	int flags = (int)a->arg[4];
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	char path[4096], full[8192];
	long n = mm_copy_string_in(t->mm, gaddr(a->arg[1]), path, sizeof(path));
	if (n < 0)
		return n;
	if (path[0] == '/' || (dirfd == AT_FDCWD && path[0]))
		return do_execve(t, path, gaddr(a->arg[2]), gaddr(a->arg[3]));
	if (!path[0] && !(flags & AT_EMPTY_PATH))
		return -ENOENT;
	struct file *f = fdt_get_file(t->files, dirfd);
	if (!f)
		return -EBADF;
	char base[4096];
	long m = file_path(f, base, sizeof(base));
	bool dir = file_is_dir(f);
	file_put(f);
	if (m < 0)
		return m;
	if (!path[0])
		snprintf(full, sizeof(full), "%s", base);
	else if (!dir)
		return -ENOTDIR;
	else
		snprintf(full, sizeof(full), "%s/%s", base, path);
	return do_execve(t, full, gaddr(a->arg[2]), gaddr(a->arg[3]));
}

/* ptrace(2): request, pid, addr, data (PEEK* store the word at data, as the raw syscall does). */
long sys_ptrace(struct task *t, const struct syscall_args *a)
{
	return ptrace_request(t, (long)a->arg[0], (int)a->arg[1], a->arg[2], a->arg[3]);
}

/* ---- wait ---- */

#define WAIT4_OPTIONS (WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)

/* The reaped (or stopped/continued) child's usage, with its reaped children's. */
static long put_rusage(struct task *t, uint64_t uru, const struct wait_result *r)
{
	if (!uru)
		return 0;
	return mm_copy_out(t->mm, gaddr(uru), &r->ru, sizeof(r->ru));
}

/* wait4(2): pid, wstatus, options, rusage. */
long sys_wait4(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	int options = (int)a->arg[2];
	if (options & ~WAIT4_OPTIONS)
		return -EINVAL;
	if (pid == INT_MIN)
		return -ESRCH;
	int idtype = P_ALL, id = 0;
	if (pid > 0) {
		idtype = P_PID;
		id = pid;
	} else if (pid == 0) {
		idtype = P_PGID;
	} else if (pid < -1) {
		idtype = P_PGID;
		id = -pid;
	}
	struct wait_result r;
	long rc = process_wait(t, idtype, id, options | WEXITED, &r);
	if (rc > 0) {
		if (a->arg[1] && mm_copy_out(t->mm, gaddr(a->arg[1]), &r.status, sizeof(int)))
			return -EFAULT;
		if (put_rusage(t, a->arg[3], &r))
			return -EFAULT;
	}
	return rc;
}

/* waitid(2): idtype, id, infop, options, rusage. */
/* waitid's results: the siginfo (zeroed when nothing was reaped: r NULL) and the rusage. */
static long waitid_report(struct task *t, const struct syscall_args *a, const struct wait_result *r)
{
	if (a->arg[2]) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (r) {
			si.si_signo = SIGCHLD;
			si.si_code = r->cld_code;
			si.si_pid = r->pid;
			si.si_uid = r->cld_uid;
			si.si_status = r->cld_status;
		}
		if (mm_copy_out(t->mm, gaddr(a->arg[2]), &si, sizeof(si)))
			return -EFAULT;
	}
	if (r && put_rusage(t, a->arg[4], r))
		return -EFAULT;
	return 0;
}

long sys_waitid(struct task *t, const struct syscall_args *a)
{
	int idtype = (int)a->arg[0];
	int id = (int)a->arg[1];
	int options = (int)a->arg[3];
	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID && idtype != P_PIDFD)
		return -EINVAL;
	if ((idtype == P_PID && id <= 0) || (idtype == P_PGID && id < 0))
		return -EINVAL;
	if (idtype == P_PIDFD) {
		/* The process the pidfd names; a non-blocking pidfd makes the wait WNOHANG-like. */
		bool nonblock = false;
		int pid = pidfd_fd_tgid(t, id, &nonblock);
		if (pid < 0)
			return pid;
		idtype = P_PID;
		id = pid;
		if (nonblock && !(options & WNOHANG)) {
			options |= WNOHANG;
			struct wait_result r0;
			long rc0 = process_wait(t, idtype, id, options, &r0);
			if (rc0 == 0)
				return -EAGAIN;
			if (rc0 < 0)
				return rc0;
			return waitid_report(t, a, &r0);
		}
	}
	struct wait_result r;
	long rc = process_wait(t, idtype, id, options, &r);
	if (rc < 0)
		return rc;
	return rc > 0 ? waitid_report(t, a, &r) : waitid_report(t, a, NULL);
}

/* ---- signals and groups ---- */

/* kill(2): default actions only until handler delivery exists. */
long sys_kill(struct task *t, const struct syscall_args *a)
{
	return process_kill(t, (int)a->arg[0], (int)a->arg[1]);
}

/* setpgid(2) */
long sys_setpgid(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0], pgid = (int)a->arg[1];
	if (pid < 0)
		return -EINVAL;
	return process_setpgid(t, pid, pgid);
}

/* setsid(2) */
long sys_setsid(struct task *t, const struct syscall_args *a)
{
	return process_setsid(t);
}

/* getpgid(2) */
long sys_getpgid(struct task *t, const struct syscall_args *a)
{
	int pgid, sid;
	int rc = process_get_ids(t, (int)a->arg[0], &pgid, &sid);
	return rc ? rc : pgid;
}

/* getsid(2) */
long sys_getsid(struct task *t, const struct syscall_args *a)
{
	int pgid, sid;
	int rc = process_get_ids(t, (int)a->arg[0], &pgid, &sid);
	return rc ? rc : sid;
}

/* getpgrp(2) */
long sys_getpgrp(struct task *t, const struct syscall_args *a)
{
	int pgid, sid;
	process_get_ids(t, 0, &pgid, &sid);
	return pgid;
}
