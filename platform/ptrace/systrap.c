/*
 * Seccomp-trap mode ("systrap", after gVisor's platform of that name) of
 * the ptrace platform: `--platform systrap`, the default where the host
 * has FSGSBASE.
 *
 * With PTRACE_SYSEMU every guest syscall is a ptrace stop: two context
 * switches between the stub and the sentry thread plus four ptrace and
 * wait calls, about 8.5 us here. In this mode a stub process has two
 * threads: the one the sentry traces runs only the mapping batches
 * (ptrace.c), as in ptrace mode, and is otherwise parked in its ptrace
 * stop; a second one, untraced, runs the guest. That thread has its own
 * seccomp filter, which turns every syscall into SIGSYS except the four
 * its handler makes; its handlers for SIGSYS, the synchronous faults and
 * the interrupt signal (stub.S's stub_sig_handler, on a signal stack in
 * the stub region) post the event in the channel page and wait there
 * until the sentry says go. The sentry reads and rewrites the guest's
 * registers in the signal frame itself (the signal stack is MemoryFile
 * memory it maps too), and the handler's return (rt_sigreturn) resumes the
 * guest with them. Both sides spin for a while before sleeping on the
 * channel's futex (systrap_place says how).
 *
 * Trust: the guest thread may jump anywhere in the stub's code with any
 * registers, and the channel page and the signal stack are writable by it
 * (not by other guest threads: each stub has its own). So the filter
 * allows a host syscall only at the exact return address of one of the
 * handler's own (rt_sigreturn; sched_yield; futex wait, without a timeout,
 * and wake on the channel's word), all of which the guest could only turn
 * against itself, and the handler reloads the channel's address after each;
 * everything the sentry reads in the channel or the frame is guest input:
 * the frame's address is checked to lie in the signal stack, and what the
 * registers and siginfo say is only what the guest could have made real.
 * A guest thread that blocks host signals (a forged rt_sigreturn) is
 * killed by the kernel at its next syscall (a blocked SIGSYS is forced to
 * its default action) or by systrap_wait when it runs on without
 * answering an interrupt. The guest can also post a forged event while it
 * runs on: the sentry then serves what the frame says, as for a real one.
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "platform/ptrace/ptrace_internal.h"

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1           /* SIGSYS's si_code for a seccomp RET_TRAP */
#endif

/*
 * How long each side spins before sleeping on the channel's futex. The
 * sentry's budget adapts per context between the two bounds: doubled when
 * the event came while it spun, halved when it had to sleep, so that a
 * guest computing for long stretches does not get a second CPU spinning
 * beside it. A pure-Python loop with a syscall every millisecond: 608 ms
 * of CPU for 300 ms of its own at a fixed 1 ms, 376 ms adapting down to
 * 200 us (down to 20 us it cost python3 -c pass 5%).
 */
#define SYSTRAP_STUB_SPIN_US 100
#define SYSTRAP_SENTRY_SPIN_US 1000
#define SYSTRAP_SENTRY_SPIN_MIN_US 200
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif
/* How often a sleeping sentry looks whether the stub died or ignores an interrupt. */
#define SYSTRAP_CHECK_MS 20
/*
 * User-mode CPU time a guest thread may run after an interrupt without
 * answering it: one that does has blocked the host's interrupt signal (a
 * legitimate one answers as soon as it runs guest code), and is killed.
 * Only user time counts: a thread that gets no CPU, or spends it in the
 * host kernel (direct reclaim when its memory cgroup is at its limit,
 * page faults), is not to blame.
 */
#define SYSTRAP_INTERRUPT_CPU_MS 100

/* Channel states; must match stub.S. */
#define ST_GUEST 0       /* the guest thread runs guest code */
#define ST_EVENT 1       /* it posted an event and waits */
#define ST_GO 2          /* the sentry rewrote the frame: resume */
#define SYSTRAP_FILTER_MAX 40

/* The channel page; offsets must match stub.S's CH_*. */
struct systrap_chan {
	uint32_t state;
	uint32_t sentry_sleeping;   /* the sentry waits on the state futex */
	uint32_t stub_sleeping;     /* the guest thread waits on the state futex */
	uint32_t tid;               /* the guest thread's host tid (the child's; cleared after) */
	uint64_t info, uc;          /* the handler's siginfo and ucontext (guest addresses) */
	uint64_t fs_base, gs_base;  /* saved on entry, restored on go */
	uint64_t spin;              /* the guest thread's spin budget, in TSC ticks */
	uint32_t yield;             /* it spins with sched_yield (else pause) */
	uint32_t pad0;
	stack_t ss;                 /* its signal stack, for its first sigaltstack */
	uint8_t pad1[96 - 64 - sizeof(stack_t)];
	uint32_t kind;              /* the event came from: 0 the handler (a frame), 1 the fast path */
	uint32_t fast_cmd;          /* on go, the fast path: 0 returns, 1 traps (a frame from then on) */
	uint32_t in_fast;           /* the guest thread is in the fast path (the handler ignores
				       the interrupt signal, noting it in intr) */
	uint32_t intr;
	uint8_t pad2[128 - 112];
	struct sock_fprog fprog;    /* its filter, for its first seccomp */
	uint8_t pad3[256 - 128 - sizeof(struct sock_fprog)];
	struct sock_filter filter[SYSTRAP_FILTER_MAX];
	uint8_t pad4[1024 - 256 - SYSTRAP_FILTER_MAX * sizeof(struct sock_filter)];
	/* The fast path's registers: saved on its entry, restored on its return. */
	struct systrap_fast {
		uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
		uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags;
	} fast;
};
_Static_assert(STUB_GUEST_THREAD_FLAGS == 0x50f00, "stub.S GUEST_THREAD_FLAGS");
_Static_assert(offsetof(struct systrap_chan, state) == 0, "stub.S CH_STATE");
_Static_assert(offsetof(struct systrap_chan, sentry_sleeping) == 4, "stub.S CH_SENTRY_SLEEPING");
_Static_assert(offsetof(struct systrap_chan, stub_sleeping) == 8, "stub.S CH_STUB_SLEEPING");
_Static_assert(offsetof(struct systrap_chan, info) == 16, "stub.S CH_INFO");
_Static_assert(offsetof(struct systrap_chan, uc) == 24, "stub.S CH_UC");
_Static_assert(offsetof(struct systrap_chan, fs_base) == 32, "stub.S CH_FSBASE");
_Static_assert(offsetof(struct systrap_chan, gs_base) == 40, "stub.S CH_GSBASE");
_Static_assert(offsetof(struct systrap_chan, spin) == 48, "stub.S CH_SPIN");
_Static_assert(offsetof(struct systrap_chan, yield) == 56, "stub.S CH_YIELD");
_Static_assert(offsetof(struct systrap_chan, ss) == 64, "stub.S CH_SS");
_Static_assert(offsetof(struct systrap_chan, kind) == 96, "stub.S CH_KIND");
_Static_assert(offsetof(struct systrap_chan, fast_cmd) == 100, "stub.S CH_FAST_CMD");
_Static_assert(offsetof(struct systrap_chan, in_fast) == 104, "stub.S CH_IN_FAST");
_Static_assert(offsetof(struct systrap_chan, intr) == 108, "stub.S CH_INTR");
_Static_assert(offsetof(struct systrap_chan, fprog) == 128, "stub.S CH_FPROG");
_Static_assert(offsetof(struct systrap_chan, fast) == 1024, "stub.S CH_FAST");
_Static_assert(offsetof(struct systrap_chan, fast.rip) == 1024 + 128, "stub.S F_RIP");
_Static_assert(INTERRUPT_SIGNAL == 10, "stub.S INTERRUPT_SIGNAL");
_Static_assert(sizeof(struct systrap_chan) <= STUB_CHAN_SIZE, "channel page");

/*
 * The kernel's x86-64 ucontext in a signal frame (glibc's ucontext_t is
 * larger: its sigset_t would run into the frame's siginfo). gregs follow
 * glibc's REG_* order.
 */
struct kucontext {
	uint64_t flags, link;
	stack_t stack;
	uint64_t gregs[23];
	uint64_t fpstate;
	uint64_t reserved[8];
	uint64_t sigmask;
};

/* The XSAVE area of a signal frame: offsets of what the sentry touches. */
#define FX_FCW 0
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_SW_BYTES 464          /* struct _fpx_sw_bytes: magic1, extended_size, xfeatures, xstate_size */
#define FX_LEGACY_SIZE 512
#define XSAVE_HDR 512            /* xstate_bv, xcomp_bv, reserved */
#define XSAVE_HDR_SIZE 64
#define XSTATE_FP_SSE 0x3ULL

/* The guest thread's filter, built by systrap_init. */
static struct sock_filter systrap_filter[SYSTRAP_FILTER_MAX];
static unsigned short systrap_filter_len;

/* A conditional jump at index i to absolute indices t (true) and f (false), both after i. */
#define JUMP_AT(i, op, k, t, f) BPF_JUMP(BPF_JMP | (op) | BPF_K, (k), (t) - (i) - 1, (f) - (i) - 1)
#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (field))
#define SD_NR offsetof(struct seccomp_data, nr)
#define SD_ARCH offsetof(struct seccomp_data, arch)
#define SD_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define SD_IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)
#define SD_ARG_LO(n) offsetof(struct seccomp_data, args[n])
#define SD_ARG_HI(n) (offsetof(struct seccomp_data, args[n]) + 4)

/*
 * Hand-assembled with the kernel's macros: libseccomp cannot test the
 * instruction pointer. seccomp's instruction pointer is the address after
 * the syscall instruction, so each allowed call is matched by its exact
 * return address in the stub page. 32-bit and x32 calls always trap.
 */
static void systrap_build_filter(void)
{
	enum { TRAP = 31, ALLOW = 32 };
	const uint32_t ret_sigreturn = (uint32_t)STUB_ADDR(stub_ret_sigreturn);
	const uint32_t ret_yield = (uint32_t)STUB_ADDR(stub_ret_yield);
	const uint32_t ret_wake = (uint32_t)STUB_ADDR(stub_ret_futex_wake);
	const uint32_t ret_wait = (uint32_t)STUB_ADDR(stub_ret_futex_wait);
	struct sock_filter f[] = {
		[0] = LOAD(SD_ARCH),
		[1] = JUMP_AT(1, BPF_JEQ, AUDIT_ARCH_X86_64, 2, TRAP),
		[2] = LOAD(SD_NR),
		[3] = JUMP_AT(3, BPF_JGE, 0x40000000, TRAP, 4),
		[4] = LOAD(SD_IP_HI),
		[5] = JUMP_AT(5, BPF_JEQ, (uint32_t)(STUB_BASE >> 32), 6, TRAP),
		[6] = LOAD(SD_IP_LO),
		[7] = JUMP_AT(7, BPF_JEQ, ret_sigreturn, 11, 8),
		[8] = JUMP_AT(8, BPF_JEQ, ret_yield, 13, 9),
		[9] = JUMP_AT(9, BPF_JEQ, ret_wake, 15, 10),
		[10] = JUMP_AT(10, BPF_JEQ, ret_wait, 19, TRAP),
		[11] = LOAD(SD_NR),
		[12] = JUMP_AT(12, BPF_JEQ, SYS_rt_sigreturn, ALLOW, TRAP),
		[13] = LOAD(SD_NR),
		[14] = JUMP_AT(14, BPF_JEQ, SYS_sched_yield, ALLOW, TRAP),
		[15] = LOAD(SD_NR),
		[16] = JUMP_AT(16, BPF_JEQ, SYS_futex, 17, TRAP),
		[17] = LOAD(SD_ARG_LO(1)),
		[18] = JUMP_AT(18, BPF_JEQ, FUTEX_WAKE, 27, TRAP),
		[19] = LOAD(SD_NR),
		[20] = JUMP_AT(20, BPF_JEQ, SYS_futex, 21, TRAP),
		[21] = LOAD(SD_ARG_LO(1)),
		[22] = JUMP_AT(22, BPF_JEQ, FUTEX_WAIT, 23, TRAP),
		/* A wait: without a timeout, as the handler's. */
		[23] = LOAD(SD_ARG_LO(3)),
		[24] = JUMP_AT(24, BPF_JEQ, 0, 25, TRAP),
		[25] = LOAD(SD_ARG_HI(3)),
		[26] = JUMP_AT(26, BPF_JEQ, 0, 27, TRAP),
		/* A futex call: only on the channel's state word. */
		[27] = LOAD(SD_ARG_LO(0)),
		[28] = JUMP_AT(28, BPF_JEQ, (uint32_t)STUB_CHAN_ADDR, 29, TRAP),
		[29] = LOAD(SD_ARG_HI(0)),
		[30] = JUMP_AT(30, BPF_JEQ, (uint32_t)(STUB_CHAN_ADDR >> 32), ALLOW, TRAP),
		[TRAP] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		[ALLOW] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	_Static_assert(sizeof(f) / sizeof(f[0]) == ALLOW + 1, "TRAP and ALLOW end the filter");
	_Static_assert(sizeof(f) / sizeof(f[0]) <= SYSTRAP_FILTER_MAX, "filter too long");
	memcpy(systrap_filter, f, sizeof(f));
	systrap_filter_len = sizeof(f) / sizeof(f[0]);
}

/* Every jump lands inside the filter (JUMP_AT wraps a backward target into a wild one). */
static bool systrap_filter_ok(void)
{
	for (unsigned i = 0; i < systrap_filter_len; i++) {
		const struct sock_filter *in = &systrap_filter[i];
		if (BPF_CLASS(in->code) == BPF_JMP &&
		    (i + 1u + in->jt >= systrap_filter_len || i + 1u + in->jf >= systrap_filter_len))
			return false;
	}
	return true;
}

static inline uint64_t rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}

static uint64_t tsc_ns(uint64_t ticks)
{
	return pt.tsc_per_us ? (uint64_t)((unsigned __int128)ticks * 1000 / pt.tsc_per_us) : 0;
}

/* TSC ticks per microsecond, measured over 20 us (a spin budget's precision). */
static uint64_t tsc_calibrate(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = rdtsc(), ns;
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL + b.tv_nsec - a.tv_nsec;
	} while (ns < 20000);
	uint64_t per_us = (rdtsc() - t0) * 1000 / ns;
	return per_us ? per_us : 1000;
}

int systrap_init(void)
{
	pt.tsc_per_us = tsc_calibrate();
	systrap_build_filter();
	return systrap_filter_ok() ? 0 : -EINVAL;
}

/* ---- the stub's side ---- */

/*
 * In the stub child (raw syscalls, the stub region mapped, the channel
 * prepared by the sentry): the handlers, shared by both threads (the
 * traced one never runs them: its signals stop it first), then the guest
 * thread, cloned from the stub page so that it never runs the sentry's
 * code (which the traced thread is about to unmap). 0 or -errno.
 */
long systrap_child_start(void)
{
	static const int sigs[] = { SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
				    INTERRUPT_SIGNAL };
	struct {
		uint64_t handler, flags, restorer, mask;
	} act = { STUB_ADDR(stub_sig_handler), SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		  STUB_ADDR(stub_sig_restorer), ~0ULL };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		long rc = raw_syscall6(SYS_rt_sigaction, sigs[i], (long)&act, 0, 8, 0, 0);
		if (rc)
			return rc;
	}
	long (*clone_thread)(uint64_t flags, uint64_t stack) = (void *)STUB_ADDR(stub_clone_thread);
	long tid = clone_thread(STUB_GUEST_THREAD_FLAGS, STUB_ALT_ADDR + STUB_ALT_SIZE);
	if (tid < 0)
		return tid;
	((volatile struct systrap_chan *)STUB_CHAN_ADDR)->tid = (uint32_t)tid;
	return 0;
}

/* ---- the sentry's side ---- */

static struct systrap_chan *chan_of(const struct stub *st)
{
	return mf_ptr(st->ops_off + STUB_CHAN_OFF);
}

/* The sentry's view of [addr, addr + len) of st's signal stack, or NULL if it is not all in it. */
static void *alt_ptr(const struct stub *st, uint64_t addr, uint64_t len)
{
	if (addr < STUB_ALT_ADDR || addr > STUB_ALT_ADDR + STUB_ALT_SIZE ||
	    len > STUB_ALT_ADDR + STUB_ALT_SIZE - addr)
		return NULL;
	return (uint8_t *)mf_ptr(st->ops_off + STUB_ALT_OFF) + (addr - STUB_ALT_ADDR);
}

/* The guest thread's current frame (guest-writable: checked), or NULL. */
static struct kucontext *frame_uc(const struct stub *st)
{
	return alt_ptr(st, __atomic_load_n(&chan_of(st)->uc, __ATOMIC_RELAXED),
		       sizeof(struct kucontext));
}

static uint8_t *frame_fp(const struct stub *st, const struct kucontext *uc)
{
	return alt_ptr(st, uc->fpstate, (uint64_t)st->xstate_size + 4);   /* + FP_XSTATE_MAGIC2 */
}

void systrap_chan_init(struct stub *st)
{
	struct systrap_chan *ch = chan_of(st);
	memset(ch, 0, sizeof(*ch));
	ch->ss.ss_sp = (void *)STUB_ALT_ADDR;
	ch->ss.ss_size = STUB_ALT_SIZE;
	ch->fprog.len = systrap_filter_len;
	ch->fprog.filter = (struct sock_filter *)(STUB_CHAN_ADDR + offsetof(struct systrap_chan, filter));
	memcpy(ch->filter, systrap_filter, sizeof(ch->filter));
	ch->spin = SYSTRAP_STUB_SPIN_US * pt.tsc_per_us;
	ch->yield = 1;
}

void systrap_interrupted(struct plat_ctx *ctx)
{
	uint64_t zero = 0;
	__atomic_compare_exchange_n(&ctx->interrupt_tsc, &zero, rdtsc(), false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

/*
 * A sleeping sentry's periodic look at its stub: true if it died (reaped:
 * *status), after killing it if its guest thread has run
 * SYSTRAP_INTERRUPT_CPU_MS of user CPU since an interrupt it has not
 * answered, or has gone alone (a host thread the kernel killed, which its
 * process outlives, would leave this wait forever).
 */
static bool systrap_check(struct plat_ctx *ctx, struct stub *st, int *status)
{
	if (__atomic_load_n(&ctx->interrupt_tsc, __ATOMIC_RELAXED)) {
		uint64_t cpu = stub_user_cpu(st->pid);
		if (!ctx->interrupt_cpu)
			ctx->interrupt_cpu = cpu ? cpu : 1;
		else if (cpu > ctx->interrupt_cpu &&
			 cpu - ctx->interrupt_cpu > SYSTRAP_INTERRUPT_CPU_MS * 1000000ULL)
			kill(st->pid, SIGKILL);
	}
	if (syscall(SYS_tgkill, st->pid, st->guest_tid, 0) < 0 && errno == ESRCH)
		kill(st->pid, SIGKILL);
	pid_t p = waitpid(st->pid, status, WNOHANG | __WALL);
	if ((p == st->pid && (WIFEXITED(*status) || WIFSIGNALED(*status))) ||
	    (p < 0 && errno == ECHILD)) {
		st->pid = 0;    /* reaped: never signalled again (the pid may be reused) */
		return true;
	}
	return false;
}

/*
 * Wait for the guest thread's next event: spin (with pause when ctx is
 * alone, else with sched_yield), then sleep on the channel futex, looking
 * every SYSTRAP_CHECK_MS whether the stub died or ignores an interrupt
 * (the guest can wake the futex itself: the look goes by the clock, not by
 * timeouts). 0, or -ECHILD if it died (and is reaped).
 */
static int systrap_wait(struct plat_ctx *ctx, struct stub *st)
{
	struct systrap_chan *ch = chan_of(st);
	bool pause = ctx->solo;
	if (!ctx->spin_us)
		ctx->spin_us = SYSTRAP_SENTRY_SPIN_US;
	uint64_t start = rdtsc(), now = start, until = start + ctx->spin_us * pt.tsc_per_us;
	uint64_t check_every = SYSTRAP_CHECK_MS * 1000 * pt.tsc_per_us, checked = start;
	bool spinning = true;
	while (__atomic_load_n(&ch->state, __ATOMIC_ACQUIRE) != ST_EVENT) {
		if (spinning && (now = rdtsc()) < until) {
			if (pause)
				__builtin_ia32_pause();
			else
				sched_yield();
			continue;
		}
		spinning = false;
		__atomic_store_n(&ch->sentry_sleeping, 1, __ATOMIC_SEQ_CST);
		uint32_t s = __atomic_load_n(&ch->state, __ATOMIC_SEQ_CST);
		if (s != ST_EVENT) {
			struct timespec ts = { 0, SYSTRAP_CHECK_MS * 1000 * 1000 };
			syscall(SYS_futex, &ch->state, FUTEX_WAIT, s, &ts, NULL, 0);
		}
		__atomic_store_n(&ch->sentry_sleeping, 0, __ATOMIC_RELAXED);
		if (rdtsc() - checked >= check_every) {
			int status;
			if (systrap_check(ctx, st, &status))
				return -ECHILD;
			checked = rdtsc();
		}
	}
	if (spinning) {
		now = rdtsc();
		ctx->spin_us = MIN(ctx->spin_us * 2, SYSTRAP_SENTRY_SPIN_US);
	} else {
		ctx->spin_us = MAX(ctx->spin_us / 2, SYSTRAP_SENTRY_SPIN_MIN_US);
	}
	/* Only pause spinning is CPU time spent on nothing (sched_yield gives the CPU away). */
	if (pause)
		__atomic_fetch_add(&ctx->sentry_spin, now - start, __ATOMIC_RELAXED);
	ctx->event_tsc = rdtsc();
	__atomic_store_n(&ctx->interrupt_tsc, 0, __ATOMIC_RELAXED);
	ctx->interrupt_cpu = 0;
	return 0;
}

/* Let the guest thread return from its handler with the frame as it is now. */
static void systrap_go(struct stub *st)
{
	struct systrap_chan *ch = chan_of(st);
	__atomic_store_n(&ch->state, ST_GO, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ch->stub_sleeping, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &ch->state, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* A clean FPU state (as at exec) in the frame's XSAVE area. */
static void fpstate_clean(const struct stub *st, uint8_t *fp)
{
	uint32_t mxcsr_mask;
	memcpy(&mxcsr_mask, fp + FX_MXCSR_MASK, 4);
	memset(fp, 0, FX_SW_BYTES);
	memset(fp + XSAVE_HDR, 0, st->xstate_size - XSAVE_HDR);
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	uint64_t xstate_bv = XSTATE_FP_SSE;     /* the rest in its init state */
	memcpy(fp + FX_FCW, &fcw, 2);
	memcpy(fp + FX_MXCSR, &mxcsr, 4);
	memcpy(fp + FX_MXCSR_MASK, &mxcsr_mask, 4);
	memcpy(fp + XSAVE_HDR, &xstate_bv, 8);
}

int systrap_spawn(struct plat_ctx *ctx, struct stub *st)
{
	struct systrap_chan *ch = chan_of(st);
	st->guest_tid = (pid_t)__atomic_load_n(&ch->tid, __ATOMIC_ACQUIRE);
	ch->tid = 0;        /* the guest reads this page: no host ids in it */
	if (st->guest_tid <= 0 || systrap_wait(ctx, st))
		return -ECHILD;
	struct kucontext *uc = frame_uc(st);
	siginfo_t *si = alt_ptr(st, ch->info, sizeof(siginfo_t));
	if (!uc || !si || si->si_signo != SIGSYS || si->si_syscall != SYS_getpid)
		return -EPROTO;
	uint8_t *legacy = alt_ptr(st, uc->fpstate, FX_LEGACY_SIZE);
	if (!legacy)
		return -EPROTO;
	uint32_t sw[12];
	memcpy(sw, legacy + FX_SW_BYTES, sizeof(sw));
	if (sw[0] != FP_XSTATE_MAGIC1 || sw[4] < XSAVE_HDR + XSAVE_HDR_SIZE ||
	    sw[4] > STUB_ALT_SIZE / 2)
		return -EPROTO;     /* no XSAVE frame: this mode wants one */
	st->xstate_size = sw[4];
	st->xfeatures = sw[2];
	uint8_t *fp = frame_fp(st, uc);
	if (!fp)
		return -EPROTO;
	fpstate_clean(st, fp);
	memset(si, 0, sizeof(*si));
	return 0;
}

int systrap_seed_spawned(struct plat_ctx *ctx, struct stub *st, pid_t tid)
{
	if (tid <= 0)
		return -EIO;
	__atomic_store_n(&chan_of(st)->tid, (uint32_t)tid, __ATOMIC_RELEASE);
	return systrap_spawn(ctx, st);
}

/* General registers between a signal frame and guest_regs. */
static void regs_from_frame(const struct kucontext *uc, const struct systrap_chan *ch,
			    struct guest_regs *r)
{
	const uint64_t *g = uc->gregs;
	r->r8 = g[0]; r->r9 = g[1]; r->r10 = g[2]; r->r11 = g[3];
	r->r12 = g[4]; r->r13 = g[5]; r->r14 = g[6]; r->r15 = g[7];
	r->rdi = g[8]; r->rsi = g[9]; r->rbp = g[10]; r->rbx = g[11];
	r->rdx = g[12]; r->rax = g[13]; r->rcx = g[14]; r->rsp = g[15];
	r->rip = g[16]; r->eflags = g[17];
	r->orig_rax = (uint64_t)-1;
	/* The frame's cs/gs/fs/ss word: a guest that far-jumped to 32-bit code shows it. */
	r->cs = g[18] & 0xffff;
	r->ss = g[18] >> 48;
	r->ds = r->es = r->fs = r->gs = 0;
	r->fs_base = __atomic_load_n(&ch->fs_base, __ATOMIC_RELAXED);
	r->gs_base = __atomic_load_n(&ch->gs_base, __ATOMIC_RELAXED);
}

static int regs_to_frame(const struct stub *st, const struct guest_regs *r,
			 struct kucontext *uc, struct systrap_chan *ch)
{
	/* wrfsbase faults on a non-canonical base: PTRACE_SETREGS refuses one too. */
	if (r->fs_base >= TASK_SIZE_MAX || r->gs_base >= TASK_SIZE_MAX)
		return -EIO;
	uint64_t *g = uc->gregs;
	g[0] = r->r8; g[1] = r->r9; g[2] = r->r10; g[3] = r->r11;
	g[4] = r->r12; g[5] = r->r13; g[6] = r->r14; g[7] = r->r15;
	g[8] = r->rdi; g[9] = r->rsi; g[10] = r->rbp; g[11] = r->rbx;
	g[12] = r->rdx; g[13] = r->rax; g[14] = r->rcx; g[15] = r->rsp;
	g[16] = r->rip;
	g[17] = GUEST_EFLAGS(r->eflags);
	/* The guest never chooses its segments: 64-bit user code and data, as ptrace mode. */
	g[18] = (st->stub_regs.cs & 0xffff) | (uint64_t)(st->stub_regs.ss & 0xffff) << 48;
	uc->sigmask = 0;                        /* nothing blocked in the guest thread */
	ch->fs_base = r->fs_base;
	ch->gs_base = r->gs_base;
	return 0;
}

/*
 * Where the guest thread runs, and how both sides wait. Alone (no other
 * context of the sentry running a guest: a single-threaded program, a
 * shell waiting for its one child), the guest thread gets a CPU of its own
 * and both sides spin with pause: an event costs no context switch, 1.9 us
 * for a getppid here (the sentry spins up to 1 ms of CPU per event for
 * that). Otherwise it shares its sentry thread's CPU (as a ptrace stub
 * does) and both spin with sched_yield, which hands the CPU straight to
 * the other side (4.7 us) and to any other runnable thread: two
 * pause-spinning pairs on two CPUs starve each other and the mapping
 * batches (make -j2 took 1.4x as long). Going alone waits for
 * SYSTRAP_SOLO_AFTER such switches in a row, so that a workload which
 * keeps one and then two guests busy by turns does not move threads at
 * every switch; leaving it is immediate.
 */
#define SYSTRAP_SOLO_AFTER 32
static int systrap_active;      /* contexts inside systrap_switch (atomic) */

static void systrap_place(struct plat_ctx *ctx, struct stub *st, int active)
{
	cpu_set_t set;
	if (!ctx->other_cpus)       /* once: the hot path only compares */
		ctx->other_cpus = cpus_other_than(ctx->cpu, &set) ? 1 : -1;
	bool alone = active == 1 && ctx->other_cpus > 0;
	ctx->solo_streak = alone ? ctx->solo_streak + 1 : 0;
	bool solo = ctx->solo ? alone : ctx->solo_streak >= SYSTRAP_SOLO_AFTER;
	if (solo == ctx->solo)
		return;
	if (solo) {
		cpus_other_than(ctx->cpu, &set);
	} else {
		CPU_ZERO(&set);
		CPU_SET(ctx->cpu, &set);
	}
	if (sched_setaffinity(st->guest_tid, sizeof(set), &set) == 0) {
		ctx->solo = solo;
		__atomic_store_n(&chan_of(st)->yield, !solo, __ATOMIC_RELAXED);
	}
}

/*
 * The guest thread is on the fast path's way back (rip: a frame's), where
 * its registers are partly the sentry's. (A frame on the entry's first
 * instruction, before the path marks itself, is the guest's own state.)
 */
static bool in_fast_return(uint64_t rip)
{
	return rip >= STUB_ADDR(stub_fast_return) && rip < STUB_ADDR(stub_fast_end);
}

/* A fast path entry's registers: those a syscall instruction leaves (it saved rcx and r11 so). */
static void regs_from_fast(const struct stub *st, const struct systrap_chan *ch,
			   struct guest_regs *r)
{
	const struct systrap_fast *f = &ch->fast;
	r->rax = (uint64_t)-ENOSYS;
	r->orig_rax = f->rax;
	r->rbx = f->rbx; r->rcx = f->rcx; r->rdx = f->rdx; r->rsi = f->rsi;
	r->rdi = f->rdi; r->rbp = f->rbp; r->rsp = f->rsp;
	r->r8 = f->r8; r->r9 = f->r9; r->r10 = f->r10; r->r11 = f->r11;
	r->r12 = f->r12; r->r13 = f->r13; r->r14 = f->r14; r->r15 = f->r15;
	r->rip = f->rip;
	r->eflags = f->rflags;
	r->cs = st->stub_regs.cs & 0xffff;
	r->ss = st->stub_regs.ss & 0xffff;
	r->ds = r->es = r->fs = r->gs = 0;
	r->fs_base = __atomic_load_n(&ch->fs_base, __ATOMIC_RELAXED);
	r->gs_base = __atomic_load_n(&ch->gs_base, __ATOMIC_RELAXED);
}

/*
 * Whether the fast path's way back can resume regs: it restores the
 * general registers, flags and fs/gs bases but not the segments, and a
 * trap flag would single-step the stub's own code.
 */
static bool fast_return_ok(const struct stub *st, const struct guest_regs *r)
{
	return !(r->eflags & 0x100) && r->cs == (st->stub_regs.cs & 0xffff) &&
	       r->ss == (st->stub_regs.ss & 0xffff) && r->fs_base < TASK_SIZE_MAX &&
	       r->gs_base < TASK_SIZE_MAX;
}

static void regs_to_fast(const struct guest_regs *r, struct systrap_chan *ch)
{
	struct systrap_fast *f = &ch->fast;
	f->rax = r->rax; f->rbx = r->rbx; f->rcx = r->rcx; f->rdx = r->rdx;
	f->rsi = r->rsi; f->rdi = r->rdi; f->rbp = r->rbp; f->rsp = r->rsp;
	f->r8 = r->r8; f->r9 = r->r9; f->r10 = r->r10; f->r11 = r->r11;
	f->r12 = r->r12; f->r13 = r->r13; f->r14 = r->r14; f->r15 = r->r15;
	f->rip = r->rip;
	f->rflags = GUEST_EFLAGS(r->eflags);
	ch->fs_base = r->fs_base;
	ch->gs_base = r->gs_base;
}

/* Say go and wait for the guest thread's next event: 0 or -ECHILD (it died, reaped). */
static int systrap_resume(struct plat_ctx *ctx, struct stub *st)
{
	ctx->running_pid = st->pid;
	ctx->running_tid = st->guest_tid;
	/* While the sentry served the event, a lone guest thread pause-spun (up to its budget). */
	if (ctx->solo) {
		uint64_t served = rdtsc() - ctx->event_tsc, budget = SYSTRAP_STUB_SPIN_US * pt.tsc_per_us;
		__atomic_fetch_add(&ctx->stub_spin, served < budget ? served : budget,
				   __ATOMIC_RELAXED);
	}
	systrap_place(ctx, st, __atomic_add_fetch(&systrap_active, 1, __ATOMIC_RELAXED));
	systrap_go(st);
	int rc = systrap_wait(ctx, st);
	__atomic_sub_fetch(&systrap_active, 1, __ATOMIC_RELAXED);
	ctx->running_pid = ctx->running_tid = 0;
	return rc;
}

/*
 * A guest thread waiting in the fast path (no signal frame) makes its
 * trapped syscall, so that the sentry has a frame to read the FPU state
 * from and to rewrite whole. 0, -ECHILD (it died, reaped) or -EPROTO.
 */
static int systrap_resync(struct plat_ctx *ctx, struct stub *st)
{
	struct systrap_chan *ch = chan_of(st);
	ch->fast_cmd = 1;
	int rc = systrap_resume(ctx, st);
	ch->fast_cmd = 0;
	st->fast = false;
	if (rc)
		return rc;
	/* Any frame will do: the sentry rewrites its registers; its FPU state is the guest's. */
	siginfo_t *si = alt_ptr(st, __atomic_load_n(&ch->info, __ATOMIC_RELAXED), sizeof(siginfo_t));
	if (__atomic_load_n(&ch->kind, __ATOMIC_RELAXED) != 0 || !frame_uc(st) || !si)
		return -EPROTO;
	/* An interrupt sent meanwhile is answered by the next switch, before the guest runs. */
	if (__atomic_exchange_n(&ch->intr, 0, __ATOMIC_RELAXED) || si->si_signo == INTERRUPT_SIGNAL)
		ctx->resync_intr = true;
	memset(si, 0, sizeof(*si));
	return 0;
}

int systrap_switch(struct plat_ctx *ctx, struct stub *st, struct guest_regs *regs,
		   struct plat_event *ev)
{
	struct systrap_chan *ch = chan_of(st);
	int rc;
	if (st->fast && !fast_return_ok(st, regs)) {
		rc = systrap_resync(ctx, st);
		if (rc)
			return stub_died(ctx, st, rc == -ECHILD, ev);
	}
	if (ctx->resync_intr) {
		ctx->resync_intr = false;
		memset(ev, 0, sizeof(*ev));
		ev->kind = PLAT_EV_INTERRUPT;
		ev->signo = INTERRUPT_SIGNAL;
		return 0;
	}
	if (st->fast) {
		regs_to_fast(regs, ch);
		st->sent = *regs;
		st->fast_sent = true;
	} else {
		struct kucontext *uc = frame_uc(st);
		if (!uc)
			return stub_died(ctx, st, false, ev);   /* the guest broke its own channel */
		rc = regs_to_frame(st, regs, uc, ch);
		if (rc)
			return rc;
	}
	rc = systrap_resume(ctx, st);
	bool fast_sent = st->fast_sent;
	st->fast = st->fast_sent = false;
	if (rc)
		return stub_died(ctx, st, true, ev);
	memset(ev, 0, sizeof(*ev));
	if (__atomic_load_n(&ch->kind, __ATOMIC_RELAXED) == 1) {
		/* A patched syscall site: no frame, the FPU state live in the guest thread. */
		regs_from_fast(st, ch, regs);
		ev->kind = PLAT_EV_SYSCALL;
		st->fast = true;
		return 0;
	}
	struct kucontext *uc = frame_uc(st);
	siginfo_t *si = alt_ptr(st, __atomic_load_n(&ch->info, __ATOMIC_RELAXED), sizeof(siginfo_t));
	if (!uc || !si)
		return stub_died(ctx, st, false, ev);
	siginfo_t info = *si;
	memset(si, 0, sizeof(*si));         /* the guest reads its signal stack */
	int sig = info.si_signo;
	if (fast_sent && in_fast_return(uc->gregs[16])) {
		/*
		 * Interrupted on its way back from the fast path (or trapped to
		 * report an interrupt it saw on the way): the guest's state is
		 * what the sentry sent, the frame's FPU state is its own.
		 */
		*regs = st->sent;
		ev->kind = PLAT_EV_INTERRUPT;
		ev->signo = sig;
		return 0;
	}
	regs_from_frame(uc, ch, regs);
	if (sig == SIGSYS && info.si_code == SYS_SECCOMP) {
		ev->kind = info.si_arch == AUDIT_ARCH_X86_64 ? PLAT_EV_SYSCALL : PLAT_EV_SYSCALL32;
		regs->orig_rax = (uint64_t)(int64_t)info.si_syscall;
		regs->rax = (uint64_t)-ENOSYS;     /* as a PTRACE_SYSEMU stop shows it */
		ev->patchable = ev->kind == PLAT_EV_SYSCALL &&
				(regs->rip < STUB_BASE || regs->rip > STUB_BASE + STUB_CODE_SIZE);
	} else if (!fault_event(sig, info.si_code, (uint64_t)info.si_addr, ev)) {
		ev->kind = PLAT_EV_INTERRUPT;      /* ours (it carries host ids) or a stray one */
		ev->signo = sig;
	}
	return 0;
}

uint64_t systrap_stub_spin_ns(struct plat_ctx *ctx)
{
	return tsc_ns(__atomic_load_n(&ctx->stub_spin, __ATOMIC_RELAXED));
}

uint64_t systrap_sentry_spin_ns(struct plat_ctx *ctx)
{
	return tsc_ns(__atomic_load_n(&ctx->sentry_spin, __ATOMIC_RELAXED));
}

/*
 * The XSAVE area of the guest thread's frame, made first if it waits in
 * the fast path (systrap_resync); NULL if there is none.
 */
static uint8_t *frame_xsave(struct plat_ctx *ctx, struct stub *st)
{
	if (st->fast && systrap_resync(ctx, st))
		return NULL;
	struct kucontext *uc = frame_uc(st);
	return uc ? frame_fp(st, uc) : NULL;
}

long systrap_get_fpstate(struct plat_ctx *ctx, struct stub *st, void *buf, size_t cap)
{
	uint8_t *fp = frame_xsave(ctx, st);
	if (!fp)
		return -ESRCH;
	size_t n = cap < st->xstate_size ? cap : st->xstate_size;
	memcpy(buf, fp, n);
	return (long)n;
}

/*
 * A new XSAVE image, checked as the kernel checks one (PTRACE_SETREGSET,
 * XRSTOR): the whole area, or just the legacy 512 bytes (a frame without
 * extended state, which Linux's sigreturn takes too: the rest is reset).
 * The frame's own software bytes and MXCSR mask stay. -EINVAL if malformed.
 */
int systrap_set_fpstate(struct plat_ctx *ctx, struct stub *st, const void *buf, size_t len)
{
	uint8_t *fp = frame_xsave(ctx, st);
	if (!fp)
		return -ESRCH;
	const uint8_t *in = buf;
	if (len != FX_LEGACY_SIZE && len != st->xstate_size)
		return -EINVAL;
	uint32_t mxcsr, mask;
	memcpy(&mxcsr, in + FX_MXCSR, 4);
	memcpy(&mask, fp + FX_MXCSR_MASK, 4);
	if (mxcsr & ~(mask ? mask : 0xffbf))
		return -EINVAL;
	uint64_t hdr[XSAVE_HDR_SIZE / 8] = { XSTATE_FP_SSE };
	if (len > FX_LEGACY_SIZE) {
		memcpy(hdr, in + XSAVE_HDR, sizeof(hdr));
		if ((hdr[0] & ~(uint64_t)st->xfeatures) || hdr[1])
			return -EINVAL;
		for (size_t i = 2; i < sizeof(hdr) / 8; i++)
			if (hdr[i])
				return -EINVAL;
	}
	memcpy(fp, in, FX_MXCSR_MASK);
	memcpy(fp + FX_MXCSR_MASK + 4, in + FX_MXCSR_MASK + 4, FX_SW_BYTES - FX_MXCSR_MASK - 4);
	memcpy(fp + XSAVE_HDR, hdr, sizeof(hdr));
	if (len > XSAVE_HDR + XSAVE_HDR_SIZE)
		memcpy(fp + XSAVE_HDR + XSAVE_HDR_SIZE, in + XSAVE_HDR + XSAVE_HDR_SIZE,
		       len - XSAVE_HDR - XSAVE_HDR_SIZE);
	return 0;
}
