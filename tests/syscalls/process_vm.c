/*
 * process_vm_readv(2) and process_vm_writev(2) with a forked child as the
 * target: scatter/gather, zero-length iovecs, partial transfers (a remote
 * range running into a hole stops there; a local fault after some bytes
 * returns them; nothing moved is EFAULT), writes to a read-only remote
 * page (EFAULT: no FOLL_FORCE), argument errors, ESRCH, and the
 * PTRACE_MODE_ATTACH_REALCREDS permission check after setuid (as root),
 * with dumpability a property of the whole process (its MM), not of the
 * thread that set it.
 */
#include "conformance.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

static long pg;
static char tbuf[8192];         /* the same address in the child */
static char *region;            /* 3 pages, the middle one unmapped */
static char *ro;                /* one read-only page */
static int to_child[2], from_child[2];
static char self_path[PATH_MAX];

static long vm_read(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *r,
		    unsigned long rn, unsigned long flags)
{
	return syscall(SYS_process_vm_readv, (long)pid, l, ln, r, rn, flags);
}

static long vm_write(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *r,
		     unsigned long rn, unsigned long flags)
{
	return syscall(SYS_process_vm_writev, (long)pid, l, ln, r, rn, flags);
}

/* Ask the child something; its one-byte answer. */
static char ask(char c)
{
	char r = 0;
	if (write(to_child[1], &c, 1) != 1 || read(from_child[0], &r, 1) != 1)
		return 0;
	return r;
}

/* The target: fills its memory, then answers commands until 'q'. */
static void target(void)
{
	strcpy(tbuf, "child data: 0123456789abcdefghijklmnopqrstuvwxyz");
	memset(region, 'A', pg);
	memset(region + 2 * pg, 'C', pg);
	for (;;) {
		char c, r = 'y';
		if (read(to_child[0], &c, 1) != 1 || c == 'q')
			_exit(0);
		if (c == 'w')           /* did the parent's write arrive? */
			r = strcmp(tbuf + 4096, "written by the parent") == 0 ? 'y' : 'n';
		if (write(from_child[1], &r, 1) != 1)
			_exit(1);
	}
}

static void reads(pid_t pid)
{
	char a[64] = "", b[64] = "", c[64] = "";
	struct iovec l = { a, 11 }, r = { tbuf, 11 };
	CHECK_EQ(vm_read(pid, &l, 1, &r, 1, 0), 11, "read");
	CHECK(memcmp(a, "child data:", 11) == 0, "read_contents");

	/* Scatter/gather with the splits in different places, and zero-length iovecs. */
	memset(a, 0, sizeof a);
	struct iovec ls[4] = { { a, 5 }, { b, 0 }, { b, 7 }, { c, 20 } };
	struct iovec rs[3] = { { tbuf, 9 }, { tbuf + 100, 0 }, { tbuf + 12, 23 } };
	CHECK_EQ(vm_read(pid, ls, 4, rs, 3, 0), 32, "read_scatter_gather");
	CHECK(memcmp(a, "child", 5) == 0 && memcmp(b, " dat012", 7) == 0 &&
	      memcmp(c, "3456789abcdefghijklm", 20) == 0,
	      "read_scatter_gather_contents");
	/* The local side shorter than the remote one: what fits. */
	struct iovec lshort = { a, 4 }, rlong = { tbuf, 40 };
	CHECK_EQ(vm_read(pid, &lshort, 1, &rlong, 1, 0), 4, "read_local_shorter");

	/* Partial: a remote range running into a hole stops at it. */
	static char big[3 * 4096];
	struct iovec lb = { big, sizeof big }, rh = { region + pg - 100, 300 };
	CHECK_EQ(vm_read(pid, &lb, 1, &rh, 1, 0), 100, "read_remote_into_hole");
	CHECK(big[0] == 'A' && big[99] == 'A', "read_remote_into_hole_contents");
	/* The next remote iovec is not tried after a fault. */
	struct iovec rh2[2] = { { region + pg - 10, 20 }, { tbuf, 10 } };
	CHECK_EQ(vm_read(pid, &lb, 1, rh2, 2, 0), 10, "read_stops_at_remote_fault");
	/* A fault before any byte: EFAULT. */
	struct iovec rh3[2] = { { region + pg, 16 }, { tbuf, 10 } };
	CHECK_ERR(vm_read(pid, &lb, 1, rh3, 2, 0), EFAULT, "read_remote_fault_first");
	/* The first remote iovec whole, the second faulting at once: the first's bytes. */
	struct iovec rh4[2] = { { tbuf, 10 }, { region + pg, 16 } };
	CHECK_EQ(vm_read(pid, &lb, 1, rh4, 2, 0), 10, "read_second_remote_faults");

	/* A local fault after some bytes returns them, byte-exact. */
	struct iovec lf[2] = { { a, 10 }, { region + pg, 10 } };
	struct iovec r30 = { tbuf, 30 };
	CHECK_EQ(vm_read(pid, lf, 2, &r30, 1, 0), 10, "read_local_fault_after_some");
	struct iovec lf2 = { region + pg - 7, 30 };
	CHECK_EQ(vm_read(pid, &lf2, 1, &r30, 1, 0), 7, "read_local_into_hole");
	CHECK(memcmp(region + pg - 7, "child d", 7) == 0, "read_local_into_hole_contents");
	struct iovec lf3 = { region + pg, 30 };
	CHECK_ERR(vm_read(pid, &lf3, 1, &r30, 1, 0), EFAULT, "read_local_fault_first");
	/* Into a read-only local page: EFAULT. */
	struct iovec lro = { ro, 10 };
	CHECK_ERR(vm_read(pid, &lro, 1, &r30, 1, 0), EFAULT, "read_into_readonly_local");
}

static void writes(pid_t pid)
{
	const char *msg = "written by the parent";
	struct iovec l[2] = { { (void *)msg, 8 }, { (void *)(msg + 8), strlen(msg) + 1 - 8 } };
	struct iovec r = { tbuf + 4096, strlen(msg) + 1 };
	CHECK_EQ(vm_write(pid, l, 2, &r, 1, 0), (long)strlen(msg) + 1, "write");
	CHECK_EQ(ask('w'), 'y', "write_seen_by_target");
	char back[64] = "";
	struct iovec lb = { back, sizeof back };
	CHECK_EQ(vm_read(pid, &lb, 1, &r, 1, 0), (long)strlen(msg) + 1, "write_read_back");
	CHECK_STR(back, msg, "write_read_back_contents");

	/* No FOLL_FORCE: a read-only remote page is EFAULT. */
	struct iovec rro = { ro, 8 };
	CHECK_ERR(vm_write(pid, l, 1, &rro, 1, 0), EFAULT, "write_readonly_remote");
	/* The bytes before it are written and counted. */
	struct iovec rmix[2] = { { tbuf + 4096, 4 }, { ro, 4 } };
	CHECK_EQ(vm_write(pid, l, 1, rmix, 2, 0), 4, "write_partial_before_readonly");
	/* Into a hole: up to it. */
	static char src[200];
	memset(src, 'Z', sizeof src);
	struct iovec ls = { src, sizeof src }, rh = { region + pg - 50, 100 };
	CHECK_EQ(vm_write(pid, &ls, 1, &rh, 1, 0), 50, "write_remote_into_hole");
	/* The local source faulting after some bytes. */
	struct iovec lf[2] = { { src, 16 }, { region + pg, 16 } };
	struct iovec r32 = { tbuf + 4096, 32 };
	CHECK_EQ(vm_write(pid, lf, 2, &r32, 1, 0), 16, "write_local_fault_after_some");
	struct iovec lf2 = { region + pg, 16 };
	CHECK_ERR(vm_write(pid, &lf2, 1, &r32, 1, 0), EFAULT, "write_local_fault_first");
	/* A local source that is read-only is fine. */
	struct iovec lro = { ro, 8 };
	CHECK_EQ(vm_write(pid, &lro, 1, &r32, 1, 0), 8, "write_from_readonly_local");
}

static void errors(pid_t pid)
{
	char a[64];
	struct iovec l = { a, 16 }, r = { tbuf, 16 };
	CHECK_ERR(vm_read(pid, &l, 1, &r, 1, 1), EINVAL, "flags_einval");
	CHECK_ERR(vm_write(pid, &l, 1, &r, 1, 1), EINVAL, "write_flags_einval");
	CHECK_ERR(vm_read(pid, &l, 0, &r, 1, 1), EINVAL, "flags_before_counts");
	CHECK_ERR(vm_read(pid, &l, 1025, &r, 1, 0), EINVAL, "liovcnt_over_iov_max");
	CHECK_ERR(vm_read(pid, &l, 1, &r, 1025, 0), EINVAL, "riovcnt_over_iov_max");
	CHECK_EQ(vm_read(pid, &l, (1UL << 32) + 1, &r, 1, 0), 16, "liovcnt_is_unsigned_int");
	CHECK_ERR(vm_read(pid, &l, 1, &r, (1UL << 32) + 1, 0), EINVAL, "riovcnt_is_unsigned_long");
	struct iovec neg = { tbuf, (size_t)-1 };
	CHECK_ERR(vm_read(pid, &l, 1, &neg, 1, 0), EINVAL, "remote_negative_len");
	CHECK_ERR(vm_read(pid, &neg, 1, &r, 1, 0), EINVAL, "local_negative_len");
	CHECK_ERR(vm_read(pid, BAD_PTR, 1, &r, 1, 0), EFAULT, "lvec_bad_pointer");
	CHECK_ERR(vm_read(pid, &l, 1, BAD_PTR, 1, 0), EFAULT, "rvec_bad_pointer");
	/* Local ranges are checked against the top of user space before anything moves. */
	struct iovec ltop[2] = { { a, 8 }, { (void *)0x7ffffffff000UL, 8 } };
	CHECK_ERR(vm_read(pid, ltop, 2, &r, 1, 0), EFAULT, "local_beyond_user_space");
	struct iovec ledge[2] = { { a, 8 }, { (void *)(0x7ffffffff000UL - pg), pg } };
	CHECK_EQ(vm_read(pid, ledge, 2, &r, 1, 0), 8, "local_at_top_of_user_space");

	/* Nothing to move: 0, whatever the pid. */
	CHECK_EQ(vm_read(pid, &l, 0, &r, 1, 0), 0, "no_local_iovecs");
	CHECK_EQ(vm_read(-5, &l, 0, &r, 1, 0), 0, "no_local_iovecs_bad_pid");
	struct iovec lz = { a, 0 };
	CHECK_EQ(vm_read(999999, &lz, 1, &r, 1, 0), 0, "zero_local_bad_pid");
	struct iovec rz = { tbuf, 0 };
	CHECK_EQ(vm_read(999999, &l, 1, &rz, 1, 0), 0, "zero_remote_bad_pid");
	CHECK_EQ(vm_read(999999, &l, 1, &r, 0, 0), 0, "no_remote_iovecs_bad_pid");
	CHECK_ERR(vm_read(999999, &l, 1, BAD_PTR, 1, 0), EFAULT, "rvec_fault_before_pid");
	CHECK_ERR(vm_read(999999, &l, 1, &r, 1, 0), ESRCH, "no_such_pid");
	CHECK_ERR(vm_read(0, &l, 1, &r, 1, 0), ESRCH, "pid_zero");
	CHECK_ERR(vm_read(-1, &l, 1, &r, 1, 0), ESRCH, "pid_negative");
	/* The pid is a pid_t: the upper bits of the register are ignored. */
	CHECK_EQ(syscall(SYS_process_vm_readv, (1L << 32) | pid, &l, 1UL, &r, 1UL, 0UL), 16,
		 "pid_upper_bits_ignored");

	/* One's own memory, through the process and the thread id. */
	strcpy(tbuf + 200, "self");
	struct iovec rself = { tbuf + 200, 5 };
	CHECK_EQ(vm_read(getpid(), &l, 1, &rself, 1, 0), 5, "self");
	CHECK_STR(a, "self", "self_contents");
	/* Exec-only and write-only remote pages are not readable to it (VM_READ). */
	char *x = mmap(NULL, pg, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *w = mmap(NULL, pg, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(x == MAP_FAILED || w == MAP_FAILED ? -1 : 0);
	struct iovec rx = { x, 8 }, rw = { w, 8 };
	CHECK_ERR(vm_read(getpid(), &l, 1, &rx, 1, 0), EFAULT, "remote_exec_only");
	CHECK_ERR(vm_read(getpid(), &l, 1, &rw, 1, 0), EFAULT, "remote_write_only");
	munmap(x, pg);
	munmap(w, pg);
}

/* A process that sets its ids and dumpability (-1: as setuid left it), then waits to be read. */
static pid_t id_target(uid_t uid, gid_t gid, int dumpable, int *ready, int *quit)
{
	int p1[2], p2[2];
	if (pipe(p1) || pipe(p2))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p1[0]);
		close(p2[1]);
		strcpy(tbuf, "secret");
		char c = setgid(gid) == 0 && setuid(uid) == 0 ? 'y' : 'n';
		/* Changing ids made it not dumpable (Linux's commit_creds). */
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			c = 'd';
		if (dumpable >= 0 && prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) != 0)
			c = 'n';
		if (write(p1[1], &c, 1) != 1 || read(p2[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(p1[1]);
	close(p2[0]);
	*ready = p1[0];
	*quit = p2[1];
	return pid;
}

static int thread_pipe[2], thread_go[2];

/*
 * The second thread of thread_target: reports its tid, then (told to) its
 * dumpability, then waits to be told to end.
 */
static void *thread_main(void *arg)
{
	int tid = (int)syscall(SYS_gettid), d;
	char c;
	if (write(thread_pipe[1], &tid, sizeof tid) != sizeof tid || read(thread_go[0], &c, 1) != 1)
		return NULL;
	d = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (write(thread_pipe[1], &d, sizeof d) != sizeof d || read(thread_go[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

/*
 * A process of uid/gid 1234 with two threads whose main thread makes it
 * not dumpable after the second one started: *tid is the second thread's
 * id, *tdump its PR_GET_DUMPABLE afterwards (Linux: 0, the MM's).
 */
static pid_t thread_target(pid_t *tid, int *tdump, int *quit)
{
	int p[2], go[2];
	if (pipe(p) || pipe(go) || pipe(thread_pipe) || pipe(thread_go))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		strcpy(tbuf, "secret");
		if (setgid(1234) || setuid(1234) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
			_exit(1);
		int v[2];
		pthread_t th;
		if (pthread_create(&th, NULL, thread_main, NULL) ||
		    read(thread_pipe[0], &v[0], sizeof v[0]) != sizeof v[0])
			_exit(1);
		/* One thread's prctl: the whole process is not dumpable any more. */
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || write(thread_go[1], "c", 1) != 1 ||
		    read(thread_pipe[0], &v[1], sizeof v[1]) != sizeof v[1] ||
		    write(p[1], v, sizeof v) != sizeof v)
			_exit(1);
		char c;
		if (read(go[0], &c, 1) < 0 || write(thread_go[1], "q", 1) != 1 || pthread_join(th, NULL))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	close(go[0]);
	close(thread_pipe[0]);
	close(thread_pipe[1]);
	close(thread_go[0]);
	close(thread_go[1]);
	int v[2] = { -1, -1 };
	if (read(p[0], v, sizeof v) != sizeof v)
		v[0] = -1;
	close(p[0]);
	*tid = v[0];
	*tdump = v[1];
	*quit = go[1];
	return pid;
}

/* In a child with ids uid/gid (no capabilities then): read target; 0 or the errno. */
static int read_as(pid_t target_pid, uid_t uid, gid_t gid)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(gid) || setuid(uid))
			_exit(100);
		char a[16];
		struct iovec l = { a, 6 }, r = { tbuf, 6 };
		long n = vm_read(target_pid, &l, 1, &r, 1, 0);
		_exit(n == 6 && memcmp(a, "secret", 6) == 0 ? 0 : n < 0 ? errno : 101);
	}
	int st = reap(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 102;
}

static void permissions(void)
{
	if (geteuid() != 0)
		return;                  /* the cases need setuid to other users */
	int ready, quit;
	pid_t t = id_target(1234, 1234, 1, &ready, &quit);
	SETUP(t);
	char c = 0;
	CHECK(read(ready, &c, 1) == 1 && c == 'y', "perm_target_setuid");
	char a[16];
	struct iovec l = { a, 6 }, r = { tbuf, 6 };
	CHECK_EQ(vm_read(t, &l, 1, &r, 1, 0), 6, "perm_root_reads_other_user");
	CHECK_EQ(read_as(t, 1234, 1234), 0, "perm_same_ids_allowed");
	CHECK_EQ(read_as(t, 4321, 4321), EPERM, "perm_other_uid_eperm");
	CHECK_EQ(read_as(t, 1234, 999), EPERM, "perm_other_gid_eperm");
	CHECK(write(quit, "q", 1) == 1, "perm_quit");
	reap(t);
	close(ready);
	close(quit);

	/* Not dumpable: the same ids are not enough, CAP_SYS_PTRACE is. */
	t = id_target(1234, 1234, 0, &ready, &quit);
	SETUP(t);
	CHECK(read(ready, &c, 1) == 1 && c == 'y', "perm_target_nondumpable");
	CHECK_EQ(read_as(t, 1234, 1234), EPERM, "perm_nondumpable_same_ids_eperm");
	CHECK_EQ(vm_read(t, &l, 1, &r, 1, 0), 6, "perm_nondumpable_root_reads");
	CHECK(write(quit, "q", 1) == 1, "perm_quit2");
	reap(t);
	close(ready);
	close(quit);

	/* execve makes it dumpable again (its real and effective ids agree). */
	pid_t e = fork();
	SETUP(e);
	if (e == 0) {
		if (setgid(1234) || setuid(1234))
			_exit(100);
		execl(self_path, self_path, "dumpable", (char *)NULL);
		_exit(101);
	}
	CHECK_EQ(reap(e), 0, "perm_exec_dumpable_again");

	/* setuid alone leaves it not dumpable: the same ids are not enough. */
	t = id_target(1234, 1234, -1, &ready, &quit);
	SETUP(t);
	CHECK(read(ready, &c, 1) == 1 && c == 'y', "perm_setuid_not_dumpable");
	CHECK_EQ(read_as(t, 1234, 1234), EPERM, "perm_after_setuid_same_ids_eperm");
	CHECK(write(quit, "q", 1) == 1, "perm_quit3");
	reap(t);
	close(ready);
	close(quit);

	/*
	 * PR_SET_DUMPABLE in one thread covers every thread (Linux keeps it in
	 * the mm): another thread's tid is no way around it.
	 */
	pid_t tid;
	int tdump;
	t = thread_target(&tid, &tdump, &quit);
	SETUP(t);
	CHECK(tid > 0, "perm_thread_target_ready");
	CHECK_EQ(tdump, 0, "perm_nondumpable_in_every_thread");
	CHECK_EQ(read_as(tid, 1234, 1234), EPERM, "perm_nondumpable_other_thread_eperm");
	CHECK_EQ(read_as(t, 1234, 1234), EPERM, "perm_nondumpable_process_eperm");
	CHECK(write(quit, "q", 1) == 1, "perm_quit4");
	CHECK_EQ(reap(t), 0, "perm_thread_target_exit");
	close(quit);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "dumpable") == 0)
		return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 ? 0 : 1;
	SETUP(realpath("/proc/self/exe", self_path) ? 0 : -1);
	pg = sysconf(_SC_PAGESIZE);
	region = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(region == MAP_FAILED || ro == MAP_FAILED ? -1 : 0);
	SETUP(munmap(region + pg, pg));
	SETUP(pipe(to_child));
	SETUP(pipe(from_child));
	pid_t pid = fork();
	SETUP(pid);
	if (pid == 0)
		target();
	CHECK_EQ(ask('r'), 'y', "target_ready");

	reads(pid);
	writes(pid);
	errors(pid);

	/* Gone: ESRCH (a zombie has no memory). */
	CHECK(write(to_child[1], "q", 1) == 1, "target_quit");
	char a[8];
	struct iovec l = { a, 8 }, r = { tbuf, 8 };
	siginfo_t si;
	SETUP(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	CHECK_ERR(vm_read(pid, &l, 1, &r, 1, 0), ESRCH, "zombie_esrch");
	reap(pid);
	CHECK_ERR(vm_read(pid, &l, 1, &r, 1, 0), ESRCH, "reaped_esrch");

	permissions();
	return conf_exit();
}
