/*
 * A hostile guest that goes after the platform's stub page (the code every
 * stub process maps at STUB_BASE, readable by guest code): it jumps to each
 * `syscall` instruction there with its own registers, uses the page's
 * rt_sigreturn to load a forged frame that blocks every host signal (then
 * spins, makes a syscall, or keeps waking the sentry through the page's
 * futex wake while pretending to have been resumed), and makes a syscall
 * from the last bytes of guest memory just below the page. The
 * seccomp-trap platform allows a few host syscalls from that page (its
 * handler's rt_sigreturn, futex and sched_yield); none of them may let the
 * guest reach the host or make itself unkillable.
 *
 *   stub_escape PROBE_DIR   prints one "stub_escape NAME: RESULT" line per check
 *
 * Natively (no stub page) it says so and exits 0. Security test only: run
 * it in the sandbox (tests/e2e/security.sh sec_stub_escape).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STUB_BASE 0x7ffffff00000UL
#define STUB_CODE 0x1000UL
/* The seccomp-trap platform's channel page (its state word) and fs/gs save slots. */
#define CHAN (STUB_BASE + 0x5000UL)
#define CHAN_FSBASE (CHAN + 32)
#define CHAN_GSBASE (CHAN + 40)
#define ST_GO 2

static sigjmp_buf env;

static void recover(int sig)
{
	siglongjmp(env, sig);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copy the stub's code page, or return 0 if there is none (native). */
static int read_stub(uint8_t *out)
{
	/* process_vm_readv-free probe: a fault here means no page. */
	struct sigaction sa = { .sa_handler = recover };
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(env, 1))
		return 0;
	memcpy(out, (const void *)STUB_BASE, STUB_CODE);
	return 1;
}

/* The kernel's x86-64 ucontext as rt_sigreturn reads it at the stack pointer. */
struct kucontext {
	uint64_t flags, link;
	uint64_t ss_sp, ss_flags_pad, ss_size;
	uint64_t gregs[23];
	uint64_t fpstate;
	uint64_t reserved[8];
	uint64_t sigmask;
};

static volatile int spin_forever;

static void spin(void)
{
	for (;;)
		spin_forever++;
}

static void syscall_then(void)
{
	/* A syscall with every host signal blocked: SIGSYS cannot be taken. */
	syscall(SYS_getppid);
	for (;;)
		spin_forever++;
}

static uint64_t wake_gadget;

/*
 * Every millisecond, pretend the sentry said go and call the handler's
 * futex wake on the channel: the sentry's sleep never times out, and its
 * handler code returns here.
 */
static void wake_sentry_forever(void)
{
	for (;;) {
		for (volatile int i = 0; i < 200000; i++)
			;
		uint64_t fs, gs;
		__asm__ volatile("rdfsbase %0\n\trdgsbase %1" : "=r"(fs), "=r"(gs));
		*(volatile uint64_t *)CHAN_FSBASE = fs;
		*(volatile uint64_t *)CHAN_GSBASE = gs;
		*(volatile uint32_t *)CHAN = ST_GO;
		register uint64_t rbx __asm__("rbx") = CHAN;
		__asm__ volatile("call *%[g]"
				 : "+r"(rbx)
				 : [g] "r"(wake_gadget)
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
				   "memory");
	}
}

static void say_trapped(void)
{
	static const char msg[] = "stub_escape below_page: trapped\n";
	syscall(SYS_write, 1, msg, sizeof(msg) - 1);
	syscall(SYS_exit_group, 0);
}

/*
 * Jump to a `syscall` (the stub's rt_sigreturn gadget, or any other) with
 * eax = rt_sigreturn and a frame that blocks every signal and resumes at fn.
 */
static void __attribute__((noreturn)) forged_sigreturn(uint64_t gadget, void (*fn)(void))
{
	static uint8_t stack[65536] __attribute__((aligned(64)));
	static struct kucontext uc __attribute__((aligned(64)));
	memset(&uc, 0, sizeof(uc));
	uc.gregs[15] = (uint64_t)(stack + sizeof(stack) - 8);   /* rsp */
	uc.gregs[16] = (uint64_t)fn;                            /* rip */
	uc.gregs[17] = 0x202;                                   /* eflags */
	uc.gregs[18] = 0x33 | (0x2bUL << 48);                   /* cs, ss */
	uc.sigmask = ~0UL;
	__asm__ volatile("mov %%rdi, %%rsp\n\t"
			 "mov $15, %%eax\n\t"
			 "jmp *%%rsi"
			 :
			 : "D"(&uc), "S"(gadget)
			 : "rax", "memory");
	__builtin_unreachable();
}

/* Run fn in a child; kill it with SIGKILL after 0.3 s; report how it ended and how long the kill took. */
static void killable(const char *name, uint64_t gadget, void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		forged_sigreturn(gadget, fn);
	usleep(300000);
	double t0 = now();
	kill(pid, SIGKILL);
	int status = 0;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	double dt = now() - t0;
	printf("stub_escape %s: %s %.0f ms (signal %d)\n", name,
	       r == pid && WIFSIGNALED(status) && dt < 5 ? "killed" : "NOT-KILLED", dt * 1000,
	       WIFSIGNALED(status) ? WTERMSIG(status) : -1);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: stub_escape PROBE_DIR\n");
		return 2;
	}
	static uint8_t page[STUB_CODE];
	if (!read_stub(page)) {
		printf("stub_escape: no stub page (native)\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	/* 1: every `syscall` instruction of the page, called with mkdir(PROBE_DIR/N). */
	int n = 0;
	for (unsigned off = 0; off + 1 < STUB_CODE; off++) {
		if (page[off] != 0x0f || page[off + 1] != 0x05)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%u", argv[1], off);
		pid_t pid = fork();
		if (pid == 0) {
			struct sigaction sa = { .sa_handler = SIG_DFL };
			for (int s = 1; s < 32; s++)
				if (s != SIGKILL && s != SIGSTOP)
					sigaction(s, &sa, NULL);
			alarm(2);
			static uint64_t scratch[1024];
			register uint64_t rax __asm__("rax") = SYS_mkdir;
			register uint64_t rdi __asm__("rdi") = (uint64_t)path;
			register uint64_t rsi __asm__("rsi") = 0755;
			register uint64_t rbx __asm__("rbx") = (uint64_t)scratch;
			register uint64_t r12 __asm__("r12") = (uint64_t)scratch;
			register uint64_t r13 __asm__("r13") = 0;
			__asm__ volatile("call *%[g]"
					 : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rbx), "+r"(r12), "+r"(r13)
					 : [g] "r"(STUB_BASE + off)
					 : "rcx", "rdx", "r8", "r9", "r10", "r11", "r14", "r15", "memory");
			_exit(0);
		}
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		n++;
	}
	printf("stub_escape gadgets: %d syscall instructions tried\n", n);
	/* 2: rt_sigreturn (mov $15, %eax; syscall) with every host signal blocked. */
	static const uint8_t sigreturn[] = { 0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	uint8_t *g = memmem(page, STUB_CODE, sigreturn, sizeof(sigreturn));
	if (!g) {
		printf("stub_escape sigreturn: no rt_sigreturn in the stub page\n");
		return 0;
	}
	uint64_t gadget = STUB_BASE + (uint64_t)(g - page);
	killable("blocked_spin", gadget, spin);
	killable("blocked_syscall", gadget, syscall_then);
	/* 3: the same, waking the sentry through the page's futex wake (seccomp-trap mode's). */
	static const uint8_t wake[] = { 0xb8, 0xca, 0x00, 0x00, 0x00, 0x48, 0x89, 0xdf,
					0xbe, 0x01, 0x00, 0x00, 0x00 };
	uint8_t *w = memmem(page, STUB_CODE, wake, sizeof(wake));
	if (w) {
		wake_gadget = STUB_BASE + (uint64_t)(w - page);
		killable("blocked_waking", gadget, wake_sentry_forever);
	}
	/*
	 * 4: rt_sigreturn from a `syscall` in the last two bytes below the stub
	 * page: a filter that checks the address after the instruction loosely
	 * would let the host run it (and the forged mask would then get the
	 * next syscall killed); trapped, the sentry serves it.
	 */
	uint8_t *below = mmap((void *)(STUB_BASE - 4096), 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (below == (void *)(STUB_BASE - 4096)) {
		below[4094] = 0x0f;
		below[4095] = 0x05;
		pid_t pid = fork();
		if (pid == 0)
			forged_sigreturn(STUB_BASE - 2, say_trapped);
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			printf("stub_escape below_page: run by the host (child status %#x)\n", status);
	}
	printf("stub_escape done\n");
	return 0;
}
