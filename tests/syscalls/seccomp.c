/* seccomp(2) and prctl(PR_SET_SECCOMP/PR_GET_SECCOMP): filters that fail a
 * syscall with an errno, trap it (SIGSYS and its siginfo), kill the thread
 * or the process; precedence over stacked filters; argument checks; strict
 * mode; the classic-BPF checker (EINVAL cases, the per-path length limit);
 * EACCES without no_new_privs; GET_ACTION_AVAIL and GET_NOTIF_SIZES;
 * filters inherited by fork and kept across execve; TSYNC; and the
 * Seccomp lines of /proc/self/status. Filters cannot be removed, so every
 * case runs in a forked child. */
#include "conformance.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <ucontext.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define NR_IS(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *self_exe;

static long install(const struct sock_filter *f, size_t n, unsigned flags)
{
	struct sock_fprog p = { (unsigned short)n, (struct sock_filter *)f };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* A filter: nr gets action, everything else is allowed. */
static long install_one(int nr, uint32_t action, unsigned flags)
{
	struct sock_filter f[] = { LD_NR, NR_IS(nr), RET(action), RET(SECCOMP_RET_ALLOW) };
	return install(f, N(f), flags);
}

static int nnp(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Run fn in a child; its wait status. A child that printed a FAIL exits 1. */
static int in_child(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		conf_failures = 0;
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
		fn();
		fflush(stdout);
		_exit(conf_failures ? 1 : 0);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	return st;
}

/* A child whose checks print their own lines: count its failure. */
static void run(void (*fn)(void))
{
	int st = in_child(fn);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 1))
			conf_fail("child", "unexpected wait status %#x", st);
		else
			conf_failures++;
	}
}

/* Killed by sig; the core bit only for a signal that dumps core (RLIMIT_CORE is 0 anyway). */
static int killed_by(int st, int sig)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == sig && (!WCOREDUMP(st) || sig == SIGSYS);
}

static int status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	size_t n = strlen(name);
	int v = -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':' && line[n + 1] == '\t')
			v = atoi(line + n + 2);
	fclose(f);
	return v;
}

static int base_mode, base_filters;

/* ---- actions ---- */

static void case_errno(void)
{
	CHECK_EQ(nnp(), 0, "nnp");
	CHECK_EQ(status_field("NoNewPrivs"), 1, "status_nonewprivs");
	CHECK_EQ(install_one(SYS_getpid, SECCOMP_RET_ERRNO | EPERM, 0), 0, "errno_install");
	CHECK_ERR(syscall(SYS_getpid), EPERM, "errno_getpid_eperm");
	CHECK(syscall(SYS_getppid) > 0, "errno_other_syscalls_run");
	CHECK_EQ(prctl(PR_GET_SECCOMP), 2, "pr_get_seccomp_filter");
	CHECK_EQ(status_field("Seccomp"), 2, "status_seccomp_2");
	CHECK_EQ(status_field("Seccomp_filters"), base_filters + 1, "status_filters_1");
	/* The data is capped at MAX_ERRNO; 0 makes the syscall return 0. */
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_ERRNO | 0xffff, 0), 0, "errno_big_install");
	CHECK_ERR(syscall(SYS_getppid), 4095, "errno_capped_4095");
	CHECK_EQ(install_one(SYS_getuid, SECCOMP_RET_ERRNO | 0, 0), 0, "errno_zero_install");
	CHECK_EQ(syscall(SYS_getuid), 0, "errno_zero_returns_0");
	CHECK_EQ(status_field("Seccomp_filters"), base_filters + 3, "status_filters_3");
	/* Strict mode cannot follow filter mode. */
	CHECK_ERR(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0), EINVAL, "strict_after_filter_einval");
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL), EINVAL,
		  "seccomp_strict_after_filter_einval");
}

static void case_log_trace_notif(void)
{
	nnp();
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_LOG, 0), 0, "log_install");
	CHECK(syscall(SYS_getppid) > 0, "log_runs_syscall");
	CHECK_EQ(install_one(SYS_getpid, SECCOMP_RET_TRACE | 5, 0), 0, "trace_install");
	CHECK_ERR(syscall(SYS_getpid), ENOSYS, "trace_no_tracer_enosys");
	CHECK_EQ(install_one(SYS_getuid, SECCOMP_RET_USER_NOTIF, 0), 0, "notif_install");
	CHECK_ERR(syscall(SYS_getuid), ENOSYS, "user_notif_no_listener_enosys");
}

static volatile int sys_signo, sys_code, sys_errno, sys_nr, sys_hits;
static volatile unsigned sys_arch;
static void *volatile sys_addr;
static volatile long long sys_rax, sys_rip;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	sys_hits++;
	sys_signo = si->si_signo;
	sys_code = si->si_code;
	sys_errno = si->si_errno;
	sys_nr = si->si_syscall;
	sys_arch = si->si_arch;
	sys_addr = si->si_call_addr;
	sys_rax = uc->uc_mcontext.gregs[REG_RAX];
	sys_rip = uc->uc_mcontext.gregs[REG_RIP];
}

static void catch_sigsys(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
}

static void case_trap(void)
{
	nnp();
	catch_sigsys();
	int probe = dup(0);        /* the fd a dup would return */
	close(probe);
	CHECK_EQ(install_one(SYS_dup, SECCOMP_RET_TRAP | 42, 0), 0, "trap_install");
	/* Linux rolls the registers back: rax holds the syscall number, in the handler and after. */
	CHECK_EQ(syscall(SYS_dup, 0), SYS_dup, "trap_returns_syscall_number");
	CHECK_EQ(sys_hits, 1, "trap_handler_ran_once");
	CHECK_EQ(sys_signo, SIGSYS, "trap_si_signo");
	CHECK_EQ(sys_code, 1 /* SYS_SECCOMP */, "trap_si_code_sys_seccomp");
	CHECK_EQ(sys_errno, 42, "trap_si_errno_data");
	CHECK_EQ(sys_nr, SYS_dup, "trap_si_syscall");
	CHECK_EQ(sys_arch, AUDIT_ARCH_X86_64, "trap_si_arch");
	CHECK(sys_addr && memcmp((char *)sys_addr - 2, "\x0f\x05", 2) == 0,
	      "trap_si_call_addr_after_syscall_insn");
	CHECK_EQ(sys_rip, (long long)(uintptr_t)sys_addr, "trap_rip_is_call_addr");
	CHECK_EQ(sys_rax, SYS_dup, "trap_rax_is_nr_in_handler");
	CHECK_ERR(fcntl(probe, F_GETFD), EBADF, "trap_syscall_did_not_run");
}

static void case_trap_blocked(void)
{
	nnp();
	catch_sigsys();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	sigprocmask(SIG_BLOCK, &set, NULL);
	install_one(SYS_dup, SECCOMP_RET_TRAP, 0);
	syscall(SYS_dup, 0);
	_exit(0);        /* not reached: a blocked SIGSYS is forced at its default */
}

static void case_trap_ignored(void)
{
	nnp();
	signal(SIGSYS, SIG_IGN);
	install_one(SYS_dup, SECCOMP_RET_TRAP, 0);
	syscall(SYS_dup, 0);
	_exit(0);
}

static void case_kill_process(void)
{
	nnp();
	install_one(SYS_getpid, SECCOMP_RET_KILL_PROCESS, 0);
	syscall(SYS_getpid);
	_exit(0);
}

static void case_kill_thread(void)
{
	nnp();
	install_one(SYS_getpid, SECCOMP_RET_KILL_THREAD, 0);
	syscall(SYS_getpid);
	_exit(0);
}

static void case_unknown_action(void)
{
	nnp();
	install_one(SYS_getpid, 0x00010000U, 0);
	syscall(SYS_getpid);
	_exit(0);
}

static void case_div_zero_x(void)
{
	/* A / X with X == 0 ends the program with 0: SECCOMP_RET_KILL_THREAD. */
	struct sock_filter f[] = {
		LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 1, 0), RET(SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LDX | BPF_IMM, 0), BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), RET(SECCOMP_RET_ALLOW),
	};
	nnp();
	install(f, N(f), 0);
	syscall(SYS_getpid);
	_exit(0);
}

static void *getpid_thread(void *arg)
{
	syscall(SYS_getpid);
	return NULL;
}

static void case_kill_thread_mt(void)
{
	nnp();
	install_one(SYS_getpid, SECCOMP_RET_KILL_THREAD, 0);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, getpid_thread, NULL), 0, "kill_thread_mt_create");
	CHECK_EQ(pthread_join(th, NULL), 0, "kill_thread_mt_join_after_kill");
	CHECK(syscall(SYS_getppid) > 0, "kill_thread_mt_main_goes_on");
}

static void case_kill_process_mt(void)
{
	nnp();
	install_one(SYS_getpid, SECCOMP_RET_KILL_PROCESS, 0);
	pthread_t th;
	pthread_create(&th, NULL, getpid_thread, NULL);
	pthread_join(th, NULL);
	_exit(0);
}

/* ---- precedence, arguments ---- */

static void case_precedence(void)
{
	nnp();
	catch_sigsys();
	struct sock_filter allow[] = { RET(SECCOMP_RET_ALLOW) };
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0), 0, "prec_install_eperm");
	CHECK_EQ(install(allow, N(allow), 0), 0, "prec_install_allow");
	CHECK_ERR(syscall(SYS_getppid), EPERM, "prec_errno_beats_later_allow");
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_LOG, 0), 0, "prec_install_log");
	CHECK_ERR(syscall(SYS_getppid), EPERM, "prec_errno_beats_log");
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EACCES, 0), 0, "prec_install_eacces");
	CHECK_ERR(syscall(SYS_getppid), EACCES, "prec_equal_actions_newest_wins");
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_TRAP | 7, 0), 0, "prec_install_trap");
	sys_hits = 0;
	CHECK_EQ(syscall(SYS_getppid), SYS_getppid, "prec_trap_beats_errno");
	CHECK(sys_hits == 1 && sys_errno == 7, "prec_trap_handler_ran");
}

static void case_args(void)
{
	/* write only to fd 1: both halves of args[0] are checked. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 1, 0),
		RET(SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
		RET(SECCOMP_RET_ALLOW),
		RET(SECCOMP_RET_ERRNO | EPERM),
	};
	nnp();
	int fds[2];
	SETUP(pipe(fds));
	CHECK_EQ(install(f, N(f), 0), 0, "args_install");
	CHECK_ERR(write(fds[1], "x", 1), EPERM, "args_write_pipe_eperm");
	CHECK_ERR(write(2, "", 0), EPERM, "args_write_fd2_eperm");
	CHECK_ERR(syscall(SYS_write, 0x100000001ULL, "", 0), EPERM, "args_high_half_checked");
	CHECK_EQ(write(1, "", 0), 0, "args_write_fd1_allowed");
}

/* ---- strict mode ---- */

static void case_strict_getpid(void)
{
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
		_exit(3);
	if (write(1, "", 0) != 0)
		_exit(4);
	syscall(SYS_getpid);
	syscall(SYS_exit, 5);
}

static void case_strict_exit(void)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL) != 0)
		_exit(3);
	syscall(SYS_exit, 7);
}

static void case_strict_exit_group(void)
{
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
		_exit(3);
	syscall(SYS_exit_group, 0);
	syscall(SYS_exit, 5);
}

static void case_strict_prctl(void)
{
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
		_exit(3);
	prctl(PR_GET_SECCOMP);
	syscall(SYS_exit, 5);
}

/* ---- the checker ---- */

static struct sock_filter big[BPF_MAXINSNS + 1];

static void case_invalid(void)
{
	nnp();
	struct sock_filter bad_op[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(bad_op, N(bad_op), 0), EINVAL, "bad_opcode_byte_load");
	struct sock_filter bad_op2[] = { BPF_STMT(0xffff, 0), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(bad_op2, N(bad_op2), 0), EINVAL, "bad_opcode_ffff");
	struct sock_filter mod[] = { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(mod, N(mod), 0), EINVAL, "mod_not_allowed");
	struct sock_filter ret_x[] = { BPF_STMT(BPF_RET | BPF_X, 0) };
	CHECK_ERR(install(ret_x, N(ret_x), 0), EINVAL, "ret_x_not_allowed");
	struct sock_filter jmp[] = { LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
				     RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(jmp, N(jmp), 0), EINVAL, "jump_out_of_range");
	struct sock_filter ja[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(ja, N(ja), 0), EINVAL, "ja_out_of_range");
	struct sock_filter noret[] = { RET(SECCOMP_RET_ALLOW), LD_NR };
	CHECK_ERR(install(noret, N(noret), 0), EINVAL, "no_ret_at_end");
	struct sock_filter past[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(past, N(past), 0), EINVAL, "load_past_seccomp_data");
	struct sock_filter unal[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(unal, N(unal), 0), EINVAL, "unaligned_load");
	struct sock_filter scratch[] = { BPF_STMT(BPF_LD | BPF_MEM, 0), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(scratch, N(scratch), 0), EINVAL, "scratch_read_before_write");
	struct sock_filter scratch_path[] = {
		LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_LDX | BPF_MEM, 3), RET(SECCOMP_RET_ALLOW),
	};
	CHECK_ERR(install(scratch_path, N(scratch_path), 0), EINVAL, "scratch_written_on_one_path_only");
	struct sock_filter scratch_ok[] = {
		BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW), BPF_STMT(BPF_ST, 15),
		BPF_STMT(BPF_LD | BPF_IMM, 0), BPF_STMT(BPF_LD | BPF_MEM, 15), BPF_STMT(BPF_RET | BPF_A, 0),
	};
	CHECK_EQ(install(scratch_ok, N(scratch_ok), 0), 0, "scratch_write_then_read_ok");
	struct sock_filter st16[] = { BPF_STMT(BPF_ST, 16), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(st16, N(st16), 0), EINVAL, "scratch_index_16");
	struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(div0, N(div0), 0), EINVAL, "div_by_constant_0");
	struct sock_filter lsh[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RET(SECCOMP_RET_ALLOW) };
	CHECK_ERR(install(lsh, N(lsh), 0), EINVAL, "shift_by_32");
	struct sock_filter len_ok[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 64, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS), RET(SECCOMP_RET_ALLOW),
	};
	CHECK_EQ(install(len_ok, N(len_ok), 0), 0, "ld_len_is_64");
	CHECK_ERR(install(len_ok, 0, 0), EINVAL, "len_0");
	for (int i = 0; i <= BPF_MAXINSNS; i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW);
	big[BPF_MAXINSNS] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	CHECK_ERR(install(big, BPF_MAXINSNS + 1, 0), EINVAL, "len_4097");
	CHECK_ERR(install(NULL, 1, 0), EINVAL, "null_program_einval");
	CHECK_ERR(install((struct sock_filter *)8, 1, 0), EFAULT, "bad_program_efault");
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void *)8), EFAULT, "bad_fprog_efault");
	CHECK_ERR(install(len_ok, N(len_ok), 1U << 10), EINVAL, "unknown_flag");
	CHECK_ERR(install(len_ok, N(len_ok), SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), EINVAL,
		  "wait_killable_without_listener");
	CHECK_ERR(install(len_ok, N(len_ok), SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER),
		  EINVAL, "tsync_with_listener");
	CHECK_ERR(syscall(SYS_seccomp, 99, 0, NULL), EINVAL, "unknown_op");
	CHECK_ERR(prctl(PR_SET_SECCOMP, 3, 0, 0, 0), EINVAL, "prctl_unknown_mode");
	CHECK_ERR(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0), EFAULT, "prctl_filter_null_efault");
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL, "strict_flags_einval");
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, big), EINVAL, "strict_args_einval");
	CHECK_EQ(status_field("Seccomp_filters"), base_filters + 2, "invalid_ones_not_installed");
}

static void case_path_limit(void)
{
	nnp();
	/* Linux counts the new filter's length plus each installed one's + 4, up to 32768. */
	for (int i = 0; i < BPF_MAXINSNS; i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW);
	big[BPF_MAXINSNS - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	int ok = 0;
	for (int i = 0; i < 7; i++)
		ok += install(big, BPF_MAXINSNS, 0) == 0;
	CHECK_EQ(ok, 7, "path_seven_4096_filters_fit");
	CHECK_ERR(install(big, BPF_MAXINSNS, 0), ENOMEM, "path_eighth_enomem");
	CHECK(syscall(SYS_getppid) > 0, "path_long_chain_runs");
}

static void case_no_nnp(void)
{
	if (geteuid() == 0 && setresuid(1000, 1000, 1000) != 0) {
		conf_fail("eacces_setup", "setresuid failed");
		return;
	}
	CHECK_ERR(install_one(SYS_getpid, SECCOMP_RET_ERRNO | EPERM, 0), EACCES, "no_nnp_eacces");
	CHECK_EQ(nnp(), 0, "no_nnp_then_nnp");
	CHECK_EQ(install_one(SYS_getpid, SECCOMP_RET_ERRNO | EPERM, 0), 0, "nnp_unprivileged_installs");
	CHECK_ERR(syscall(SYS_getpid), EPERM, "nnp_unprivileged_filter_works");
}

static void case_root_without_nnp(void)
{
	if (geteuid() != 0) {
		conf_ok("root_without_nnp_skipped_not_root");
		return;
	}
	CHECK_EQ(install_one(SYS_getpid, SECCOMP_RET_ERRNO | EPERM, 0), 0, "cap_sys_admin_installs_without_nnp");
}

/* ---- queries ---- */

static void case_queries(void)
{
	uint32_t acts[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
			    SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE,
			    SECCOMP_RET_LOG, SECCOMP_RET_ALLOW };
	int avail = 0;
	for (size_t i = 0; i < N(acts); i++)
		avail += syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &acts[i]) == 0;
	CHECK_EQ(avail, (int)N(acts), "action_avail_all_known");
	uint32_t unknown = 0x12340000;
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &unknown), EOPNOTSUPP,
		  "action_avail_unknown_eopnotsupp");
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 1, &acts[0]), EINVAL, "action_avail_flags");
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, (void *)8), EFAULT, "action_avail_efault");
	uint16_t sizes[3] = { 0 };
	CHECK_EQ(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, sizes), 0, "notif_sizes");
	CHECK(sizes[0] == 80 && sizes[1] == 24 && sizes[2] == 64, "notif_sizes_80_24_64");
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 1, sizes), EINVAL, "notif_sizes_flags");
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, (void *)8), EFAULT, "notif_sizes_efault");
}

/* ---- inheritance ---- */

static void case_inherit(void)
{
	nnp();
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0), 0, "inherit_install");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = syscall(SYS_getppid) == -1 && errno == EPERM && prctl(PR_GET_SECCOMP) == 2 &&
			 status_field("Seccomp_filters") == base_filters + 1;
		_exit(ok ? 0 : 1);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork_child_has_filter");
	pid = fork();
	if (pid == 0) {
		execl(self_exe, self_exe, "exec-check", (char *)NULL);
		_exit(99);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execve_keeps_filter");
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 3", (char *)NULL);
		_exit(99);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "execve_sh_under_filter");
}

/* After execve under case_inherit's filter. */
static int exec_check(void)
{
	int ok = syscall(SYS_getppid) == -1 && errno == EPERM && prctl(PR_GET_SECCOMP) == 2 &&
		 status_field("Seccomp") == 2;
	return ok ? 0 : 1;
}

/* ---- TSYNC ---- */

struct sync_thread {
	int go[2], done[2];
	bool own_filter;
	int getppid_errno, mode, filters;
};

static void *sync_thread_fn(void *arg)
{
	struct sync_thread *s = arg;
	char c;
	if (s->own_filter)
		install_one(SYS_getuid, SECCOMP_RET_ERRNO | EIO, 0);
	if (write(s->done[1], "r", 1) != 1 || read(s->go[0], &c, 1) != 1)
		return NULL;
	errno = 0;
	s->getppid_errno = syscall(SYS_getppid) == -1 ? errno : 0;
	s->mode = prctl(PR_GET_SECCOMP);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", syscall(SYS_gettid));
	FILE *f = fopen(path, "r");
	char line[256];
	s->filters = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Seccomp_filters:\t", 17) == 0)
			s->filters = atoi(line + 17);
	if (f)
		fclose(f);
	if (write(s->done[1], "d", 1) != 1)
		return NULL;
	return NULL;
}

static void case_tsync(void)
{
	nnp();
	struct sync_thread a = { .own_filter = false }, b = { .own_filter = false };
	SETUP(pipe(a.go));
	SETUP(pipe(a.done));
	SETUP(pipe(b.go));
	SETUP(pipe(b.done));
	pthread_t ta, tb;
	char c;
	pthread_create(&ta, NULL, sync_thread_fn, &a);
	pthread_create(&tb, NULL, sync_thread_fn, &b);
	SETUP(read(a.done[0], &c, 1));
	SETUP(read(b.done[0], &c, 1));
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC), 0,
		 "tsync_install");
	SETUP(write(a.go[1], "g", 1));
	SETUP(write(b.go[1], "g", 1));
	SETUP(read(a.done[0], &c, 1));
	SETUP(read(b.done[0], &c, 1));
	CHECK(a.getppid_errno == EPERM && b.getppid_errno == EPERM, "tsync_threads_filtered");
	CHECK(a.mode == 2 && b.mode == 2, "tsync_threads_mode_2");
	CHECK(a.filters == base_filters + 1 && b.filters == base_filters + 1, "tsync_threads_count");
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
}

static void case_tsync_fail(void)
{
	nnp();
	struct sync_thread a = { .own_filter = true };
	SETUP(pipe(a.go));
	SETUP(pipe(a.done));
	pthread_t ta;
	char c;
	static volatile pid_t tid;
	pthread_create(&ta, NULL, sync_thread_fn, &a);
	SETUP(read(a.done[0], &c, 1));
	/* The thread has a filter of its own, not an ancestor of ours: its tid comes back. */
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (atoi(e->d_name) > 0 && atoi(e->d_name) != getpid())
			tid = atoi(e->d_name);
	if (d)
		closedir(d);
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC), tid,
		 "tsync_conflict_returns_tid");
	CHECK_ERR(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM,
			      SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH), ESRCH,
		  "tsync_esrch");
	CHECK(syscall(SYS_getppid) > 0, "tsync_failed_installs_nothing");
	CHECK_EQ(install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0), 0, "no_tsync_installs");
	SETUP(write(a.go[1], "g", 1));
	SETUP(read(a.done[0], &c, 1));
	CHECK_EQ(a.getppid_errno, 0, "no_tsync_thread_unfiltered");
	pthread_join(ta, NULL);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-check") == 0)
		return exec_check();
	self_exe = "/proc/self/exe";
	base_mode = status_field("Seccomp");
	base_filters = status_field("Seccomp_filters");
	CHECK_EQ(prctl(PR_GET_SECCOMP), base_mode, "pr_get_seccomp_matches_status");

	run(case_errno);
	run(case_log_trace_notif);
	run(case_trap);
	CHECK(killed_by(in_child(case_trap_blocked), SIGSYS), "trap_blocked_kills_sigsys");
	CHECK(killed_by(in_child(case_trap_ignored), SIGSYS), "trap_ignored_kills_sigsys");
	CHECK(killed_by(in_child(case_kill_process), SIGSYS), "kill_process_sigsys");
	CHECK(killed_by(in_child(case_kill_thread), SIGSYS), "kill_thread_last_thread_sigsys");
	CHECK(killed_by(in_child(case_unknown_action), SIGSYS), "unknown_action_kills_process");
	CHECK(killed_by(in_child(case_div_zero_x), SIGSYS), "div_by_zero_x_returns_0_kill");
	CHECK(killed_by(in_child(case_kill_process_mt), SIGSYS), "kill_process_from_thread");
	run(case_kill_thread_mt);
	run(case_precedence);
	run(case_args);
	CHECK(killed_by(in_child(case_strict_getpid), SIGKILL), "strict_getpid_sigkill");
	int st = in_child(case_strict_exit);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "strict_exit_allowed");
	CHECK(killed_by(in_child(case_strict_exit_group), SIGKILL), "strict_exit_group_sigkill");
	CHECK(killed_by(in_child(case_strict_prctl), SIGKILL), "strict_prctl_sigkill");
	run(case_invalid);
	run(case_path_limit);
	run(case_no_nnp);
	run(case_root_without_nnp);
	run(case_queries);
	run(case_inherit);
	run(case_tsync);
	run(case_tsync_fail);
	return conf_exit();
}
