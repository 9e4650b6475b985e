/* clone and clone3: CLONE_VM | CLONE_VFORK (the parent waits, memory is
 * shared), CLONE_FILES and CLONE_FS sharing, CLONE_PARENT_SETTID /
 * CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID, exit_signal, and Linux's
 * errors for impossible combinations (EINVAL) and clone3 sizes (E2BIG,
 * EINVAL).
 */
#include "conformance.h"
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>

static char stack[4][65536] __attribute__((aligned(16)));
static volatile int shared_word;
static int pipe_fd[2];

static int child_vm(void *arg)
{
	(void)arg;
	shared_word = 42;       /* visible to the parent: CLONE_VM */
	return 0;
}

static int child_files(void *arg)
{
	(void)arg;
	/* A new fd in the shared table; and umask/cwd changes through CLONE_FS. */
	int fd = dup(pipe_fd[1]);
	umask(027);
	chdir("/");
	return fd >= 0 ? 0 : 1;
}

static int child_tid(void *arg)
{
	(void)arg;
	return 0;
}

static long clone3_raw(struct clone_args *ca, size_t size)
{
	return syscall(SYS_clone3, ca, size);
}

int main(void)
{
	SETUP(pipe(pipe_fd));
	int st;

	/* ---- CLONE_VM | CLONE_VFORK ---- */
	pid_t pid = clone(child_vm, stack[0] + sizeof stack[0], CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	CHECK(pid > 0, "clone_vm_vfork");
	CHECK_EQ(shared_word, 42, "vfork_parent_sees_child_write");
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vm_child_exit");

	/* ---- CLONE_FILES | CLONE_FS ---- */
	int before = dup(0);
	SETUP(before);
	close(before);          /* the child's dup gets this number */
	char cwd0[PATH_MAX];
	SETUP(getcwd(cwd0, sizeof cwd0) ? 0 : -1);
	mode_t old = umask(022);
	pid = clone(child_files, stack[1] + sizeof stack[1], CLONE_FILES | CLONE_FS | SIGCHLD, NULL);
	CHECK(pid > 0, "clone_files_fs");
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "files_child_exit");
	CHECK(fcntl(before, F_GETFD) >= 0, "fd_from_child_in_shared_table");
	close(before);
	mode_t now = umask(old);
	CHECK_EQ(now, 027, "umask_shared_by_clone_fs");
	char cwd1[PATH_MAX];
	CHECK(getcwd(cwd1, sizeof cwd1) && strcmp(cwd1, "/") == 0, "cwd_shared_by_clone_fs");
	SETUP(chdir(cwd0));

	/* ---- tids ---- */
	pid_t ptid = 0, ctid = -1;
	pid = clone(child_tid, stack[2] + sizeof stack[2],
		    CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD, NULL, &ptid, NULL, &ctid);
	CHECK(pid > 0, "clone_settid");
	CHECK_EQ(ptid, pid, "parent_settid_written");
	SETUP(waitpid(pid, &st, 0));
	/* CHILD_SETTID wrote the child's own (copied) memory, not ours. */
	CHECK_EQ(ctid, -1, "child_settid_in_child_memory");

	/* ---- exit_signal other than SIGCHLD: only __WALL/__WCLONE waits see it ---- */
	signal(SIGUSR2, SIG_IGN);     /* the child's exit signal would kill us otherwise */
	pid = clone(child_tid, stack[3] + sizeof stack[3], SIGUSR2, NULL);
	CHECK(pid > 0, "clone_exit_signal_usr2");
	CHECK_EQ(waitpid(pid, &st, __WALL), pid, "wall_waits_for_clone_child");

	/* ---- flags about tracing and I/O context: accepted, nothing else changes ---- */
	shared_word = 0;
	pid = clone(child_vm, stack[3] + sizeof stack[3],
		    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED | CLONE_PTRACE | CLONE_IO | SIGCHLD,
		    NULL);
	CHECK(pid > 0, "clone_untraced_ptrace_io");
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "untraced_child_exit");
	CHECK_EQ(shared_word, 42, "untraced_child_shares_memory");

	/* ---- errors ---- */
	CHECK_ERR(syscall(SYS_clone, CLONE_SIGHAND, NULL, NULL, NULL, 0), EINVAL, "sighand_without_vm_einval");
	CHECK_ERR(syscall(SYS_clone, CLONE_THREAD, NULL, NULL, NULL, 0), EINVAL, "thread_without_sighand_einval");
	CHECK_ERR(syscall(SYS_clone, CLONE_NEWNS | CLONE_FS, NULL, NULL, NULL, 0), EINVAL, "newns_with_fs_einval");

	/* ---- clone3 ---- */
	struct clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.exit_signal = SIGCHLD;
	CHECK_ERR(clone3_raw(&ca, 8), EINVAL, "clone3_too_small_einval");
	char big[sizeof ca + 16];
	memset(big, 0, sizeof big);
	memcpy(big, &ca, sizeof ca);
	big[sizeof ca + 3] = 1;
	CHECK_ERR(clone3_raw((struct clone_args *)big, sizeof big), E2BIG, "clone3_nonzero_tail_e2big");
	ca.exit_signal = 65;
	CHECK_ERR(clone3_raw(&ca, sizeof ca), EINVAL, "clone3_bad_exit_signal_einval");
	ca.exit_signal = SIGCHLD;
	long r = clone3_raw(&ca, sizeof ca);
	if (r == 0)
		_exit(5);
	CHECK(r > 0, "clone3_fork");
	SETUP(waitpid((pid_t)r, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "clone3_child_status");
	return conf_exit();
}
