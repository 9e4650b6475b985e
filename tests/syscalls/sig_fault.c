/* Synchronous faults: SIGSEGV with si_code/si_addr, recovery through
 * siglongjmp (twice, mask restored), ucontext with the faulting rip and a
 * plausible rsp, a handler that moves rip past the faulting instruction,
 * SIGILL (ud2), SIGFPE (divide by zero), SIGTRAP (int3), and the default
 * action killing a child. */
#include "conformance.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>

static sigjmp_buf env;
static volatile sig_atomic_t n_faults;
static volatile int f_code, f_signo;
static volatile uintptr_t f_addr, f_rip, f_rsp;

extern char conf_fault_insn[], conf_fault_after[];

static void on_fault_jump(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	n_faults++;
	f_signo = sig;
	f_code = si->si_code;
	f_addr = (uintptr_t)si->si_addr;
	f_rip = uc->uc_mcontext.gregs[REG_RIP];
	f_rsp = uc->uc_mcontext.gregs[REG_RSP];
	siglongjmp(env, 1);
}

static void on_fault_skip(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	n_faults++;
	f_addr = (uintptr_t)si->si_addr;
	f_rip = uc->uc_mcontext.gregs[REG_RIP];
	f_rsp = uc->uc_mcontext.gregs[REG_RSP];
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)conf_fault_after;
	uc->uc_mcontext.gregs[REG_RAX] = 0x5151;
}

/* Loads from ADDR at the labelled instruction; returns rax afterwards. */
static __attribute__((noinline)) long load_at_label(long *addr)
{
	long out;
	asm volatile("mov $1, %%rax\n"
		     ".globl conf_fault_insn\nconf_fault_insn:\n"
		     "mov (%1), %%rax\n"
		     ".globl conf_fault_after\nconf_fault_after:\n"
		     "mov %%rax, %0\n"
		     : "=r"(out)
		     : "r"(addr)
		     : "rax", "memory");
	return out;
}

int main(void)
{
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	SETUP(conf_set_action(SIGSEGV, on_fault_jump, 0));
	volatile int *bad = BAD_PTR;

	/* Unmapped address: SEGV_MAPERR, recovered with siglongjmp. */
	n_faults = 0;
	if (sigsetjmp(env, 1) == 0) {
		(void)*bad;
		conf_fail("segv_mapped_recovered", "no fault");
	}
	CHECK_EQ(n_faults, 1, "segv_handler_ran");
	CHECK_EQ(f_signo, SIGSEGV, "segv_signo");
	CHECK_EQ(f_code, SEGV_MAPERR, "segv_maperr");
	CHECK_EQ(f_addr, (uintptr_t)bad, "segv_si_addr");
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGSEGV), "siglongjmp_restored_mask");

	/* A second fault is handled the same way. */
	if (sigsetjmp(env, 1) == 0)
		(void)*bad;
	CHECK_EQ(n_faults, 2, "second_fault_handled");

	/* Protection fault: SEGV_ACCERR on a read-only page. */
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(ro == MAP_FAILED ? -1 : 0);
	if (sigsetjmp(env, 1) == 0)
		*(volatile char *)(ro + 100) = 1;
	CHECK_EQ(f_code, SEGV_ACCERR, "segv_accerr");
	CHECK_EQ(f_addr, (uintptr_t)(ro + 100), "segv_accerr_si_addr");
	munmap(ro, 4096);

	/* Writes to read-only file mappings (private and shared) and to the
	 * program's own text: SEGV_ACCERR each time, the data unchanged. */
	int fd = open(T("ro"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	SETUP(fd);
	SETUP(write(fd, "0123456789", 10));
	char *fp = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	char *fs = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	SETUP(fp == MAP_FAILED || fs == MAP_FAILED ? -1 : 0);
	char *targets[] = { fp + 3, fs + 5, (char *)main };
	const char *names[] = { "private_file_ro_write", "shared_file_ro_write", "text_write" };
	for (int k = 0; k < 3; k++) {
		n_faults = 0;
		for (int i = 0; i < 3; i++)
			if (sigsetjmp(env, 1) == 0)
				*(volatile char *)targets[k] = 'x';
		CHECK(n_faults == 3 && f_code == SEGV_ACCERR && f_addr == (uintptr_t)targets[k], names[k]);
	}
	CHECK(fp[3] == '3' && fs[5] == '5', "ro_file_data_unchanged");
	munmap(fp, 4096);
	munmap(fs, 4096);
	close(fd);

	/* ucontext: rip is the faulting instruction, rsp near our stack. */
	volatile char local;
	if (sigsetjmp(env, 1) == 0)
		load_at_label((long *)bad);
	CHECK_EQ(f_rip, (uintptr_t)conf_fault_insn, "ucontext_rip_is_fault_insn");
	CHECK(f_rsp < (uintptr_t)&local && f_rsp > (uintptr_t)&local - 4096, "ucontext_rsp_plausible");

	/* The handler moves rip on and sets rax: execution resumes there. */
	SETUP(conf_set_action(SIGSEGV, on_fault_skip, 0));
	n_faults = 0;
	long r = load_at_label((long *)bad);
	CHECK_EQ(n_faults, 1, "skip_handler_ran");
	CHECK_EQ(r, 0x5151, "sigreturn_uses_modified_rip_rax");
	long ok_val = 99;
	CHECK_EQ(load_at_label(&ok_val), 99, "no_fault_path");

	/* SIGILL from ud2, SIGFPE from a division by zero, SIGTRAP from int3. */
	SETUP(conf_set_action(SIGILL, on_fault_jump, 0));
	SETUP(conf_set_action(SIGFPE, on_fault_jump, 0));
	SETUP(conf_set_action(SIGTRAP, on_fault_jump, 0));
	if (sigsetjmp(env, 1) == 0)
		asm volatile("ud2");
	CHECK_EQ(f_signo, SIGILL, "ud2_sigill");
	CHECK_EQ(f_code, ILL_ILLOPN, "ud2_ill_illopn");
	CHECK_EQ(f_addr, f_rip, "sigill_si_addr_is_rip");
	if (sigsetjmp(env, 1) == 0) {
		volatile int z = 0;
		volatile int q = 10 / z;
		(void)q;
	}
	CHECK_EQ(f_signo, SIGFPE, "div0_sigfpe");
	CHECK_EQ(f_code, FPE_INTDIV, "div0_fpe_intdiv");
	if (sigsetjmp(env, 1) == 0)
		asm volatile("int3");
	CHECK_EQ(f_signo, SIGTRAP, "int3_sigtrap");
	CHECK_EQ(f_code, SI_KERNEL, "int3_si_kernel");

	/* Default action: the child dies of SIGSEGV. A blocked SIGSEGV from a
	 * fault also kills (it cannot be blocked). */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		(void)*bad;
		_exit(0);
	}
	int st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "default_segv_kills");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGSEGV);
		sigprocmask(SIG_BLOCK, &s, NULL);
		(void)*bad;
		_exit(0);
	}
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "blocked_fault_segv_kills");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_IGN);
		(void)*bad;
		_exit(0);
	}
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "ignored_fault_segv_kills");

	signal(SIGSEGV, SIG_DFL);
	signal(SIGILL, SIG_DFL);
	signal(SIGFPE, SIG_DFL);
	signal(SIGTRAP, SIG_DFL);
	return conf_exit();
}
