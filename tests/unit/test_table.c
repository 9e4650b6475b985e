/* The syscall table, its dispatcher and the strace formatter. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sentry/memfile.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

static bool in_table(int nr)
{
	return (nr >= 0 && nr <= 334) || (nr >= 424 && nr <= 462);
}

/* Numbers newer than some libseccomp releases know. */
static const char *const recent[] = {
	[451] = "cachestat", [452] = "fchmodat2", [453] = "map_shadow_stack",
	[454] = "futex_wake", [455] = "futex_wait", [456] = "futex_requeue",
	[457] = "statmount", [458] = "listmount", [459] = "lsm_get_self_attr",
	[460] = "lsm_set_self_attr", [461] = "lsm_list_modules", [462] = "mseal",
};

Test(table, every_number_has_linux_name)
{
	for (int nr = 0; nr < SYSCALL_TABLE_SIZE; nr++) {
		const struct syscall_entry *e = &syscall_table[nr];
		if (!in_table(nr)) {
			cr_expect_null(e->name, "nr %d should have no entry", nr);
			cr_expect_eq(e->support, SYS_NONE, "nr %d", nr);
			continue;
		}
		cr_assert_not_null(e->name, "nr %d has no name", nr);
		cr_expect_neq(e->support, SYS_NONE, "nr %d", nr);
		cr_expect_not_null(e->args, "nr %d (%s) has no strace spec", nr, e->name);
		cr_expect_lt(strlen(e->args), 128, "%s: spec longer than strace's buffer", e->name);
		char *want = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		if (want) {
			cr_expect_str_eq(e->name, want, "nr %d", nr);
			free(want);
		} else {
			cr_assert(nr >= 451, "libseccomp does not know nr %d", nr);
			cr_expect_str_eq(e->name, recent[nr], "nr %d", nr);
		}
		cr_expect_str_eq(syscall_name(nr), e->name);
	}
}

Test(table, refused_entries_say_why)
{
	for (int nr = 0; nr < SYSCALL_TABLE_SIZE; nr++) {
		const struct syscall_entry *e = &syscall_table[nr];
		if (e->support == SYS_ERROR) {
			cr_expect_lt(e->err, 0, "%s: err must be -errno", e->name);
			cr_expect_null(e->fn, "%s: refused but has a handler", e->name);
			cr_expect(e->note && *e->note, "%s: refused without a note", e->name);
		}
		if (e->support == SYS_PARTIAL)
			cr_expect(e->note && *e->note, "%s: partial without a note", e->name);
	}
}

Test(table, names_of_unknown_numbers)
{
	cr_expect_str_eq(syscall_name(400), "syscall_400");
	cr_expect_str_eq(syscall_name(-1), "syscall_-1");
	cr_expect_str_eq(syscall_name(1000), "syscall_1000");
	cr_expect_str_eq(syscall_name(SYS_openat), "openat");
}

static long dispatch(int nr)
{
	struct syscall_args a = { .nr = nr };
	return syscall_dispatch(NULL, &a);
}

Test(table, out_of_range_numbers_are_enosys)
{
	cr_expect_eq(dispatch(-1), -ENOSYS);
	cr_expect_eq(dispatch(INT_MIN), -ENOSYS);
	cr_expect_eq(dispatch(463), -ENOSYS);
	cr_expect_eq(dispatch(1000), -ENOSYS);
	cr_expect_eq(dispatch(INT_MAX), -ENOSYS);
	cr_expect_eq(dispatch(335), -ENOSYS);   /* the unused gap */
	cr_expect_eq(dispatch(423), -ENOSYS);
}

Test(table, refused_entries_return_their_error)
{
	cr_expect_eq(dispatch(SYS_kexec_load), -EPERM);
	cr_expect_eq(dispatch(SYS_init_module), -EPERM);
	cr_expect_eq(dispatch(SYS_reboot), -EPERM);
	cr_expect_eq(dispatch(SYS_uselib), -ENOSYS);
	cr_expect_eq(dispatch(SYS_perf_event_open), -ENODEV);
	cr_expect_eq(syscall_table[SYS_bpf].support, SYS_ERROR);
}

Test(table, dispatch_calls_the_handler)
{
	/* sys_getpid lives in syscalls/sys_identity.c and reads t->tg. */
	struct thread_group tg = { .tgid = 42 };
	struct task t = { .tid = 43, .tg = &tg };
	struct syscall_args a = { .nr = SYS_getpid };
	cr_assert_not_null(syscall_table[SYS_getpid].fn);
	cr_expect_eq(syscall_dispatch(&t, &a), 42);
	a.nr = SYS_gettid;
	cr_expect_eq(syscall_dispatch(&t, &a), 43);
}

/* Run fn with stderr going to a pipe; returns what was written (static). */
static const char *capture_stderr(void (*fn)(void))
{
	static char out[4096];
	int p[2], saved = dup(2);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	dup2(p[1], 2);
	fn();
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	ssize_t n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = 0;
	return out;
}

static int missing_nr = -1;

static void dispatch_missing_three_times(void)
{
	for (int i = 0; i < 3; i++)
		cr_expect_eq(dispatch(missing_nr), -ENOSYS);
}

Test(table, unimplemented_is_logged_once)
{
	for (int nr = 0; nr < SYSCALL_TABLE_SIZE && missing_nr < 0; nr++)
		if (syscall_table[nr].support == SYS_FULL && !syscall_table[nr].fn)
			missing_nr = nr;
	if (missing_nr < 0)
		cr_skip_test("every syscall has a handler");
	char want[128];
	snprintf(want, sizeof(want), "sandbox: unsupported syscall %s (%d)\n",
		 syscall_table[missing_nr].name, missing_nr);
	cr_expect_str_eq(capture_stderr(dispatch_missing_three_times), want);
}

/* ---- strace ---- */

static int trace_pipe[2];
static struct mm *mm;
#define GA 0x10000000ULL

static void strace_setup(void)
{
	cr_assert_eq(pipe2(trace_pipe, O_NONBLOCK), 0);
	kernel.strace_fd = trace_pipe[1];
	cr_assert_eq(mf_init(), 0);
	mm = mm_create();
	cr_assert_not_null(mm);
	cr_assert_eq(mm_map(mm, GA, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0, true, false, NULL, 0),
		     (long)GA);
}

static void strace_teardown(void)
{
	kernel.strace_fd = -1;
	close(trace_pipe[0]);
	close(trace_pipe[1]);
	mm_put(mm);
}

TestSuite(strace, .init = strace_setup, .fini = strace_teardown);

/* Trace one call and return the line it printed. */
static const char *trace(struct mm *m, int nr, long ret, uint64_t a0, uint64_t a1, uint64_t a2,
			 uint64_t a3, uint64_t a4, uint64_t a5)
{
	static char out[8192];
	struct thread_group tg = { .tgid = 7 };
	struct task t = { .tid = 7, .tg = &tg, .mm = m };
	struct syscall_args a = { .nr = nr, .arg = { a0, a1, a2, a3, a4, a5 } };
	strace_syscall(&t, &a, ret);
	ssize_t n = read(trace_pipe[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = 0;
	return out;
}

static uint64_t put_str(uint64_t off, const char *s)
{
	cr_assert_eq(mm_copy_out(mm, gaddr(GA + off), s, strlen(s) + 1), 0);
	return GA + off;
}

Test(strace, plain_and_error_results)
{
	cr_expect_str_eq(trace(NULL, SYS_close, 0, 3, 0, 0, 0, 0, 0), "[pid 7] close(3) = 0\n");
	cr_expect_str_eq(trace(NULL, SYS_close, -EBADF, 99, 0, 0, 0, 0, 0),
			 "[pid 7] close(99) = -1 EBADF (Bad file descriptor)\n");
	cr_expect_str_eq(trace(NULL, SYS_getpid, 7, 0, 0, 0, 0, 0, 0), "[pid 7] getpid() = 7\n");
	cr_expect_str_eq(trace(NULL, SYS_exit_group, 0, 1, 0, 0, 0, 0, 0),
			 "[pid 7] exit_group(1) = ?\n");
}

Test(strace, openat_decodes_path_and_flags)
{
	uint64_t p = put_str(0, "/etc/passwd");
	cr_expect_str_eq(trace(mm, SYS_openat, 3, (uint64_t)AT_FDCWD, p, O_RDONLY | O_CLOEXEC, 0, 0, 0),
			 "[pid 7] openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3\n");
	cr_expect_str_eq(trace(mm, SYS_openat, -ENOENT, 5, p, O_WRONLY | O_CREAT | O_TRUNC, 0644, 0, 0),
			 "[pid 7] openat(5, \"/etc/passwd\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = "
			 "-1 ENOENT (No such file or directory)\n");
	/* Without an address space the path prints as its address. */
	cr_expect_str_eq(trace(NULL, SYS_openat, 3, (uint64_t)AT_FDCWD, p, O_RDWR, 0, 0, 0),
			 "[pid 7] openat(AT_FDCWD, 0x10000000, O_RDWR) = 3\n");
	/* An unmapped address prints in hex instead of faulting. */
	cr_expect_str_eq(trace(mm, SYS_open, -EFAULT, 0x5000, O_RDONLY, 0, 0, 0, 0),
			 "[pid 7] open(0x5000, O_RDONLY) = -1 EFAULT (Bad address)\n");
}

Test(strace, buffers_are_escaped_and_cut_at_32)
{
	uint64_t b = put_str(0x100, "hello\n\tworld\"\\\001");
	cr_expect_str_eq(trace(mm, SYS_write, 15, 1, b, 15, 0, 0, 0),
			 "[pid 7] write(1, \"hello\\n\\tworld\\\"\\\\\\1\", 15) = 15\n");
	uint64_t l = put_str(0x200, "0123456789abcdefghijklmnopqrstuvwxyz");
	cr_expect_str_eq(trace(mm, SYS_read, 36, 3, l, 4096, 0, 0, 0),
			 "[pid 7] read(3, \"0123456789abcdefghijklmnopqrstuv\"..., 4096) = 36\n");
	/* A failed read shows the buffer's address, not its stale bytes. */
	cr_expect_str_eq(trace(mm, SYS_read, -EAGAIN, 3, l, 4096, 0, 0, 0),
			 "[pid 7] read(3, 0x10000200, 4096) = -1 EAGAIN (Resource temporarily unavailable)\n");
}

Test(strace, memory_calls)
{
	cr_expect_str_eq(trace(NULL, SYS_mmap, 0x7f0000000000, 0, 8192, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0),
			 "[pid 7] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, "
			 "-1, 0) = 0x7f0000000000\n");
	cr_expect_str_eq(trace(NULL, SYS_mprotect, 0, 0x1000, 4096, PROT_NONE, 0, 0, 0),
			 "[pid 7] mprotect(0x1000, 4096, PROT_NONE) = 0\n");
	cr_expect_str_eq(trace(NULL, SYS_brk, 0x555555559000, 0, 0, 0, 0, 0, 0),
			 "[pid 7] brk(NULL) = 0x555555559000\n");
}

Test(strace, signals_and_sets)
{
	uint64_t set = (1ULL << (SIGINT - 1)) | (1ULL << (SIGTERM - 1));
	cr_assert_eq(mm_copy_out(mm, gaddr(GA + 0x300), &set, 8), 0);
	cr_expect_str_eq(trace(mm, SYS_rt_sigprocmask, 0, SIG_SETMASK, GA + 0x300, 0, 8, 0, 0),
			 "[pid 7] rt_sigprocmask(SIG_SETMASK, [INT TERM], NULL, 8) = 0\n");
	cr_expect_str_eq(trace(NULL, SYS_kill, 0, 1, SIGKILL, 0, 0, 0, 0),
			 "[pid 7] kill(1, SIGKILL) = 0\n");
}

Test(strace, futex_prints_only_the_arguments_its_op_reads)
{
	cr_expect_str_eq(trace(NULL, SYS_futex, 0, 0x1000, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 2147483647,
			       0, 3, 0),
			 "[pid 7] futex(0x1000, FUTEX_WAKE_PRIVATE, 2147483647) = 0\n");
	cr_expect_str_eq(trace(NULL, SYS_futex, -EAGAIN, 0x1000, FUTEX_WAIT, 2, 0, 0, 0),
			 "[pid 7] futex(0x1000, FUTEX_WAIT, 2, NULL) = "
			 "-1 EAGAIN (Resource temporarily unavailable)\n");
}

Test(strace, sigaction_structs)
{
	uint64_t sa[4] = { 0x401000, 0x04000000 | SA_RESTART, 0x402000, 1ULL << (SIGCHLD - 1) };
	cr_assert_eq(mm_copy_out(mm, gaddr(GA + 0x600), sa, sizeof(sa)), 0);
	cr_expect_str_eq(trace(mm, SYS_rt_sigaction, 0, SIGINT, GA + 0x600, 0, 8, 0, 0),
			 "[pid 7] rt_sigaction(SIGINT, {sa_handler=0x401000, sa_mask=[CHLD], "
			 "sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x402000}, NULL, 8) = 0\n");
	/* A failed call wrote nothing: the old action prints as its address. */
	cr_expect_str_eq(trace(mm, SYS_rt_sigaction, -EINVAL, SIGKILL, 0, GA + 0x600, 8, 0, 0),
			 "[pid 7] rt_sigaction(SIGKILL, NULL, 0x10000600, 8) = "
			 "-1 EINVAL (Invalid argument)\n");
}

Test(strace, execve_argv)
{
	uint64_t path = put_str(0x400, "/bin/ls");
	uint64_t a1 = put_str(0x420, "-l");
	uint64_t argv[] = { path, a1, 0 };
	cr_assert_eq(mm_copy_out(mm, gaddr(GA + 0x500), argv, sizeof(argv)), 0);
	cr_expect_str_eq(trace(mm, SYS_execve, -ENOENT, path, GA + 0x500, 0, 0, 0, 0),
			 "[pid 7] execve(\"/bin/ls\", [\"/bin/ls\", \"-l\"], NULL) = "
			 "-1 ENOENT (No such file or directory)\n");
}

Test(strace, unknown_numbers_print_six_hex_args)
{
	cr_expect_str_eq(trace(NULL, 400, -ENOSYS, 1, 2, 3, 4, 5, 0x10),
			 "[pid 7] syscall_400(0x1, 0x2, 0x3, 0x4, 0x5, 0x10) = "
			 "-1 ENOSYS (Function not implemented)\n");
}

Test(strace, fcntl_omits_unused_argument)
{
	cr_expect_str_eq(trace(NULL, SYS_fcntl, 0x8002, 3, F_GETFL, 0xdead, 0, 0, 0),
			 "[pid 7] fcntl(3, F_GETFL) = 32770\n");
	cr_expect_str_eq(trace(NULL, SYS_fcntl, 0, 3, F_SETFD, FD_CLOEXEC, 0, 0, 0),
			 "[pid 7] fcntl(3, F_SETFD, FD_CLOEXEC) = 0\n");
}

Test(strace, compat_markdown_lists_every_entry)
{
	char path[] = "/tmp/compat-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	syscall_table_write_markdown(fd);
	off_t len = lseek(fd, 0, SEEK_END);
	char *md = malloc(len + 1);
	cr_assert_eq(pread(fd, md, len, 0), len);
	md[len] = 0;
	close(fd);
	cr_expect_not_null(strstr(md, "| 0 | read | "));
	cr_expect_not_null(strstr(md, "| 462 | mseal | "));
	cr_expect_not_null(strstr(md, "| 246 | kexec_load | refused (EPERM) | "));
	cr_expect_null(strstr(md, "| 400 |"));
	int rows = 0;
	for (char *p = md; (p = strstr(p, "\n| ")); p++)
		rows += p[3] >= '0' && p[3] <= '9';
	cr_expect_eq(rows, 335 + 39);
	free(md);
}
