/* fork, vfork, clone (no threads) and clone3: the child's return value,
 * pid/ppid relations, copied memory (globals, heap, stack, private
 * mappings), shared mappings, shared open file descriptions, per-process fd
 * flags, cwd and umask, inherited signal dispositions and mask, pending
 * signals cleared, vfork suspension, clone/clone3 flag checks.
 *
 * Children print their own result lines (stdout is flushed before every
 * fork, so nothing is printed twice) and _exit(1) if one of their cases
 * failed; the parent checks that status as a case of its own. No signal
 * handlers are ever run and no threads are made. */
#include "conformance.h"
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static volatile int global_var = 1;

/* The child's own cases failed -> 1, otherwise 0. */



/* Spins (yielding) until *P == WANT or 3 s pass; returns whether it did. */
static int wait_for(volatile int *p, int want)
{
	double end = conf_now() + 3;
	while (*p != want) {
		if (conf_now() > end)
			return 0;
		sched_yield();
	}
	return 1;
}

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

int main(void)
{
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	const char *dir = conf_tmpdir();
	pid_t me = getpid();
	int st;

	/* ---- return values and ids ---- */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		CHECK(getpid() != me, "child_pid_differs");
		CHECK_EQ(getppid(), me, "child_ppid_is_parent");
		CHECK_EQ(syscall(SYS_gettid), getpid(), "child_tid_is_pid");
		CHILD_DONE();
	}
	CHECK(pid > 0, "fork_returns_pid_in_parent");
	check_child_ok(pid, "child_ids_ok");

	/* The child's pid (low byte) as its exit status: fork's return is its pid. */
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(getpid() & 0xff);
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == (pid & 0xff), "returned_pid_is_child_getpid");

	/* Return value 0 in the child (raw fork syscall too). */
	fflush(stdout);
	pid = syscall(SYS_fork);
	if (pid == 0)
		_exit(0x5a);
	CHECK(pid > 0, "raw_fork_returns_pid");
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0x5a, "raw_fork_child_got_0");
	CHECK_ERR(waitpid(pid, &st, WNOHANG), ECHILD, "child_reaped_once");

	/* ---- memory is copied ---- */
	int *heap = malloc(sizeof *heap);
	SETUP(heap ? 0 : -1);
	*heap = 10;
	int stack_var = 20;
	int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(priv == MAP_FAILED ? -1 : 0);
	SETUP(shared == MAP_FAILED ? -1 : 0);
	priv[0] = 30;
	shared[0] = 40;
	global_var = 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		CHECK_EQ(global_var, 1, "child_sees_global");
		CHECK_EQ(*heap, 10, "child_sees_heap");
		CHECK_EQ(stack_var, 20, "child_sees_stack");
		CHECK_EQ(priv[0], 30, "child_sees_private_mapping");
		CHECK_EQ(shared[0], 40, "child_sees_shared_mapping");
		global_var = 2;
		*heap = 11;
		stack_var = 21;
		priv[0] = 31;
		shared[0] = 41;
		CHILD_DONE();
	}
	check_child_ok(pid, "child_memory_cases");
	CHECK_EQ(global_var, 1, "child_global_write_not_in_parent");
	CHECK_EQ(*heap, 10, "child_heap_write_not_in_parent");
	CHECK_EQ(stack_var, 20, "child_stack_write_not_in_parent");
	CHECK_EQ(priv[0], 30, "child_private_mapping_write_not_in_parent");
	CHECK_EQ(shared[0], 41, "child_shared_mapping_write_in_parent");

	/* Parent's writes after the fork are not seen by the child. */
	shared[1] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		CHECK(wait_for(&shared[1], 1), "child_sync_with_parent");
		CHECK_EQ(global_var, 1, "parent_global_write_not_in_child");
		CHECK_EQ(*heap, 10, "parent_heap_write_not_in_child");
		CHECK_EQ(priv[0], 30, "parent_private_write_not_in_child");
		CHECK_EQ(shared[2], 77, "parent_shared_write_in_child");
		CHILD_DONE();
	}
	global_var = 5;
	*heap = 50;
	priv[0] = 300;
	shared[2] = 77;
	shared[1] = 1;
	check_child_ok(pid, "child_sees_old_copy");
	global_var = 1;

	/* A big private region, written by both after the fork. */
	size_t big = 8 << 20;
	unsigned char *region = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(region == MAP_FAILED ? -1 : 0);
	for (size_t i = 0; i < big; i += 4096)
		region[i] = (unsigned char)(i >> 12);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		int bad = 0;
		for (size_t i = 0; i < big; i += 4096) {
			bad |= region[i] != (unsigned char)(i >> 12);
			region[i] = 0xee;
		}
		_exit(bad);
	}
	for (size_t i = 0; i < big; i += 8192)
		region[i] ^= 0xff;
	check_child_ok(pid, "big_region_copied_to_child");
	int bad = 0;
	for (size_t i = 0; i < big; i += 4096)
		bad |= region[i] != (unsigned char)((i >> 12) ^ ((i & 4096) ? 0 : 0xff));
	CHECK(!bad, "big_region_parent_unchanged_by_child");
	munmap(region, big);

	/* ---- file descriptors ---- */
	int fd;
	SETUP(fd = open(T("f"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	SETUP(write(fd, "0123456789", 10));
	SETUP(lseek(fd, 2, SEEK_SET));
	int next_fd = dup(0); /* the lowest free fd */
	close(next_fd);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2, "child_inherits_offset");
		CHECK_EQ(lseek(fd, 7, SEEK_SET), 7, "child_lseek");
		CHECK_EQ(fcntl(fd, F_SETFL, O_APPEND), 0, "child_set_append");
		CHECK_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0, "child_set_cloexec");
		int nfd = open(T("g"), O_RDWR | O_CREAT, 0644);
		CHECK_EQ(nfd, next_fd, "child_new_fd");
		CHECK_EQ(close(0), 0, "child_close_stdin");
		CHILD_DONE();
	}
	check_child_ok(pid, "child_fd_cases");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7, "child_lseek_moves_parent_offset");
	CHECK_EQ(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND, "status_flags_shared");
	CHECK_EQ(fcntl(fd, F_GETFD), 0, "fd_flags_not_shared");
	CHECK_ERR(fcntl(next_fd, F_GETFD), EBADF, "child_open_not_in_parent");
	CHECK_EQ(fcntl(0, F_GETFD), 0, "child_close_not_in_parent");

	/* Parent reads after the child wrote through the shared offset. */
	SETUP(lseek(fd, 0, SEEK_SET));
	fcntl(fd, F_SETFL, 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(write(fd, "ab", 2) == 2 ? 0 : 1);
	check_child_ok(pid, "child_write");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2, "child_write_advances_parent_offset");
	char buf[16] = { 0 };
	CHECK_EQ(pread(fd, buf, 10, 0), 10, "pread_after_child");
	CHECK_STR(buf, "ab23456789", "child_write_visible");
	close(fd);

	/* Shared and private file mappings. */
	SETUP(fd = open(T("m"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	SETUP(ftruncate(fd, 4096));
	char *fs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *fp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	SETUP(fs == MAP_FAILED ? -1 : 0);
	SETUP(fp == MAP_FAILED ? -1 : 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		fs[0] = 's';
		fp[1] = 'p';
		_exit(0);
	}
	check_child_ok(pid, "child_writes_file_mappings");
	CHECK_EQ(fs[0], 's', "shared_file_mapping_write_in_parent");
	CHECK_EQ(fp[1], 0, "private_file_mapping_write_not_in_parent");
	CHECK_EQ(pread(fd, buf, 1, 0), 1, "pread_mapped_file");
	CHECK_EQ(buf[0], 's', "shared_file_mapping_write_in_file");
	munmap(fs, 4096);
	munmap(fp, 4096);
	close(fd);

	/* ---- cwd, umask, signal state ---- */
	char cwd[PATH_MAX];
	SETUP(getcwd(cwd, sizeof cwd) ? 0 : -1);
	mode_t old_umask = umask(027);
	sigset_t set, old_set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old_set);
	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR1); /* blocked: stays pending in the parent only */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		char c2[PATH_MAX];
		CHECK_STR(getcwd(c2, sizeof c2), cwd, "child_inherits_cwd");
		CHECK_EQ(umask(0), 027, "child_inherits_umask");
		CHECK_EQ(chdir(dir), 0, "child_chdir");
		sigset_t cur, pend;
		sigprocmask(SIG_SETMASK, NULL, &cur);
		CHECK(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGINT), "child_inherits_mask");
		sigpending(&pend);
		CHECK(!sigismember(&pend, SIGUSR1), "child_pending_cleared");
		struct sigaction sa;
		sigaction(SIGUSR2, NULL, &sa);
		CHECK(sa.sa_handler == SIG_IGN, "child_inherits_sig_ign");
		sa.sa_handler = SIG_DFL;
		sigaction(SIGUSR2, &sa, NULL);
		CHILD_DONE();
	}
	check_child_ok(pid, "child_state_cases");
	char c3[PATH_MAX];
	CHECK_STR(getcwd(c3, sizeof c3), cwd, "child_chdir_not_in_parent");
	CHECK_EQ(umask(old_umask), 027, "child_umask_not_in_parent");
	struct sigaction sa;
	sigaction(SIGUSR2, NULL, &sa);
	CHECK(sa.sa_handler == SIG_IGN, "child_disposition_not_in_parent");
	sigset_t pend;
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR1), "parent_still_pending");
	signal(SIGUSR1, SIG_IGN); /* discards the pending one */
	sigprocmask(SIG_SETMASK, &old_set, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);

	/* ---- many children, nested children ---- */
	int n_ok = 0;
	for (int i = 0; i < 20; i++) {
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			_exit(i);
		st = reap(pid);
		n_ok += pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == i;
	}
	CHECK_EQ(n_ok, 20, "sequential_forks_20");

	pid_t kids[10];
	for (int i = 0; i < 10; i++) {
		fflush(stdout);
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(100 + i);
	}
	n_ok = 0;
	for (int i = 9; i >= 0; i--) {
		st = reap(kids[i]);
		n_ok += WIFEXITED(st) && WEXITSTATUS(st) == 100 + i;
	}
	CHECK_EQ(n_ok, 10, "ten_live_children_reaped_in_reverse");

	/* A chain 5 deep: each level exits with its child's status + 1. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		int depth = 0;
		for (;;) {
			if (depth == 4)
				_exit(1);
			pid_t c = fork();
			if (c == 0) {
				conf_failures = 0; /* count only the child's own cases */
				depth++;
				continue;
			}
			int s = reap(c);
			_exit(WIFEXITED(s) ? WEXITSTATUS(s) + 1 : 0);
		}
	}
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "nested_fork_chain_5");

	/* ---- vfork ---- */
	shared[3] = 0;
	fflush(stdout);
	double t0 = conf_now();
	pid = vfork();
	if (pid == 0) {
		/* Shares the parent's memory; the parent waits for _exit. */
		struct timespec ts = { 0, 150 * 1000000L };
		syscall(SYS_nanosleep, &ts, NULL);
		global_var = 42;
		_exit(7);
	}
	double dt = conf_now() - t0;
	CHECK(pid > 0, "vfork_returns_pid");
	CHECK(dt >= 0.14, "vfork_parent_suspended_until_exit");
	CHECK_EQ(global_var, 42, "vfork_child_shares_memory");
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "vfork_child_status");
	global_var = 1;

	/* vfork + execve: the parent resumes at the exec, before the child exits. */
	volatile int reached_exec = 0;
	char *sleeper[] = { "sleep", "10", NULL };
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		reached_exec = 1;
		execve("/bin/sleep", sleeper, NULL);
		_exit(127);
	}
	CHECK_EQ(reached_exec, 1, "vfork_parent_waits_for_exec");
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0, "vfork_exec_child_still_running");
	CHECK_EQ(kill(pid, SIGKILL), 0, "vfork_exec_child_kill");
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "vfork_exec_child_killed");

	/* vfork + failing execve: the child _exits. */
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execve("/nonexistent/conf-prog", sleeper, NULL);
		_exit(errno == ENOENT ? 33 : 34);
	}
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 33, "vfork_exec_enoent_then_exit");

	/* ---- clone (no threads) ---- */
	fflush(stdout);
	pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(getppid() == me ? 21 : 22);
	CHECK(pid > 0, "clone_sigchld_returns_pid");
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 21, "clone_sigchld_child_status");

	/* exit signal 0: only __WCLONE / __WALL waits see the child. */
	fflush(stdout);
	pid = syscall(SYS_clone, 0, NULL, NULL, NULL, 0);
	if (pid == 0) {
		conf_msleep(50);
		_exit(23);
	}
	CHECK(pid > 0, "clone_no_signal_returns_pid");
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD, "clone_no_signal_plain_wait_echild");
	CHECK_EQ(waitpid(pid, &st, __WCLONE), pid, "clone_no_signal_wclone_wait");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 23, "clone_no_signal_status");

	fflush(stdout);
	pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(24);
	CHECK_EQ(waitpid(pid, &st, __WALL), pid, "clone_wall_wait");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 24, "clone_wall_status");

	/* CLONE_PARENT_SETTID writes the pid in the parent. */
	pid_t ptid = 0;
	fflush(stdout);
	pid = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, NULL, &ptid, NULL, 0);
	if (pid == 0)
		_exit(0);
	CHECK_EQ(ptid, pid, "clone_parent_settid");
	reap(pid);

	/* CLONE_CHILD_SETTID writes the pid in the child's memory only. */
	pid_t ctid = 0;
	fflush(stdout);
	pid = syscall(SYS_clone, CLONE_CHILD_SETTID | SIGCHLD, NULL, NULL, &ctid, 0);
	if (pid == 0)
		_exit(ctid == getpid() ? 0 : 1);
	check_child_ok(pid, "clone_child_settid_in_child");
	CHECK_EQ(ctid, 0, "clone_child_settid_not_in_parent");

	CHECK_ERR(syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, NULL, NULL, NULL, 0), EINVAL,
		  "clone_sighand_without_vm_einval");
	CHECK_ERR(syscall(SYS_clone, CLONE_THREAD | SIGCHLD, NULL, NULL, NULL, 0), EINVAL,
		  "clone_thread_without_sighand_einval");
	CHECK_ERR(syscall(SYS_clone, CLONE_THREAD | CLONE_VM | SIGCHLD, NULL, NULL, NULL, 0), EINVAL,
		  "clone_thread_vm_without_sighand_einval");
	CHECK_ERR(syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, NULL, NULL, NULL, 0), EINVAL,
		  "clone_newns_with_fs_einval");
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "no_children_left_after_clones");

	/* ---- clone3 ---- */
	struct clone_args_v0 ca;
	memset(&ca, 0, sizeof ca);
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		_exit(getppid() == me ? 25 : 26);
	CHECK(pid > 0, "clone3_returns_pid");
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 25, "clone3_child_status");

	memset(&ca, 0, sizeof ca);
	ptid = 0;
	ca.flags = CLONE_PARENT_SETTID;
	ca.parent_tid = (uintptr_t)&ptid;
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		_exit(0);
	CHECK_EQ(ptid, pid, "clone3_parent_settid");
	reap(pid);

	/* A larger struct with zero tail is accepted. */
	struct {
		struct clone_args_v0 a;
		uint64_t extra[4];
	} big_ca;
	memset(&big_ca, 0, sizeof big_ca);
	big_ca.a.exit_signal = SIGCHLD;
	fflush(stdout);
	pid = syscall(SYS_clone3, &big_ca, sizeof big_ca);
	if (pid == 0)
		_exit(27);
	st = reap(pid);
	CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 27, "clone3_larger_zero_tail_ok");

	memset(&ca, 0, sizeof ca);
	ca.exit_signal = SIGCHLD;
	CHECK_ERR(syscall(SYS_clone3, &ca, 63), EINVAL, "clone3_size_63_einval");
	CHECK_ERR(syscall(SYS_clone3, &ca, 0), EINVAL, "clone3_size_0_einval");
	CHECK_ERR(syscall(SYS_clone3, &ca, 32), EINVAL, "clone3_size_32_einval");
	big_ca.extra[3] = 1;
	CHECK_ERR(syscall(SYS_clone3, &big_ca, sizeof big_ca), E2BIG, "clone3_nonzero_tail_e2big");
	CHECK_ERR(syscall(SYS_clone3, &ca, 8192), E2BIG, "clone3_size_over_page_e2big");
	CHECK_ERR(syscall(SYS_clone3, BAD_PTR, sizeof ca), EFAULT, "clone3_bad_pointer_efault");
	ca.exit_signal = 65;
	CHECK_ERR(syscall(SYS_clone3, &ca, sizeof ca), EINVAL, "clone3_bad_exit_signal_einval");
	ca.exit_signal = SIGCHLD;
	ca.flags = CLONE_SIGHAND;
	CHECK_ERR(syscall(SYS_clone3, &ca, sizeof ca), EINVAL, "clone3_sighand_without_vm_einval");
	ca.flags = CLONE_THREAD;
	CHECK_ERR(syscall(SYS_clone3, &ca, sizeof ca), EINVAL, "clone3_thread_without_sighand_einval");
	ca.flags = 0;
	ca.stack_size = 4096; /* a size without a stack */
	CHECK_ERR(syscall(SYS_clone3, &ca, sizeof ca), EINVAL, "clone3_stack_size_without_stack_einval");
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "no_children_left_at_end");

	munmap(priv, 4096);
	munmap((void *)shared, 4096);
	free(heap);
	return conf_exit();
}
