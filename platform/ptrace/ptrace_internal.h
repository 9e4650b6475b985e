/*
 * What the ptrace platform's two files share: ptrace.c (stubs, address
 * spaces, contexts, the PTRACE_SYSEMU mode) and systrap.c (the
 * seccomp-trap mode, whose stubs are ptrace.c's with a guest thread added).
 * Only platform/ptrace/ includes this.
 */
#ifndef PLATFORM_PTRACE_INTERNAL_H
#define PLATFORM_PTRACE_INTERNAL_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/user.h>
#include <linux/filter.h>
#include "platform/platform.h"

/* Must match stub.S. */
#define STUB_BASE 0x7ffffff00000ULL
#define STUB_CODE_SIZE 0x1000ULL
#define STUB_OPS_ADDR (STUB_BASE + STUB_CODE_SIZE)
#define STUB_OPS_SIZE 0x3000ULL
#define STUB_OPS_MAX (STUB_OPS_SIZE / sizeof(struct stub_op))
#define STUB_SCRATCH_ADDR (STUB_OPS_ADDR + STUB_OPS_SIZE)
#define STUB_SCRATCH_SIZE 0x1000ULL
/* Seccomp-trap mode only: the channel page and the guest thread's signal stack. */
#define STUB_CHAN_ADDR (STUB_SCRATCH_ADDR + STUB_SCRATCH_SIZE)
#define STUB_CHAN_SIZE 0x1000ULL
#define STUB_ALT_ADDR (STUB_CHAN_ADDR + STUB_CHAN_SIZE)
#define STUB_ALT_SIZE 0x10000ULL
#define STUB_CHAN_OFF (STUB_CHAN_ADDR - STUB_OPS_ADDR)   /* from ops_off */
#define STUB_ALT_OFF (STUB_ALT_ADDR - STUB_OPS_ADDR)
/* The host fds one batch may carry (one SCM_RIGHTS message; Linux's SCM_MAX_FD is 253). */
#define STUB_FDS_MAX 64
/* recvmsg flags of the injected receive (also in the stub's seccomp filter). */
#define STUB_RECV_FLAGS (MSG_DONTWAIT | MSG_CMSG_CLOEXEC)

/* The signal plat_ctx_interrupt sends to a running stub thread. */
#define INTERRUPT_SIGNAL SIGUSR1

/* How a stub makes its guest thread (stub.S's GUEST_THREAD_FLAGS, 0x50f00). */
#define STUB_GUEST_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
				 CLONE_THREAD | CLONE_SYSVSEM)

/* The highest user address + 1 (4-level paging): fs/gs bases must stay below. */
#define TASK_SIZE_MAX 0x7ffffffff000ULL

/* The guest's flags as a resumed stub gets them: arithmetic flags, TF, DF, OF; IF set. */
#define GUEST_EFLAGS(f) (((f) & 0xdd5) | 0x202)

extern const char stub_code_start[], stub_code_end[], stub_batch[], stub_rebase[];
extern const char stub_clone_thread[], stub_sig_handler[], stub_sig_restorer[];
extern const char stub_ret_futex_wake[], stub_ret_futex_wait[], stub_ret_yield[],
	stub_ret_sigreturn[];
extern const char stub_fast_entry[], stub_fast_return[], stub_fast_end[], stub_ret_resync[];

/* A stub-page symbol's address in the guest. */
#define STUB_ADDR(sym) (STUB_BASE + (uint64_t)((sym) - stub_code_start))

/* Memory helpers provided by the sentry's MemoryFile. */
int mf_alloc(uint64_t len, uint64_t *off);
void mf_free(uint64_t off, uint64_t len);
void *mf_ptr(uint64_t off);

struct stub_op {
	uint64_t nr;
	uint64_t a[6];
};

/* A queued operation; fd >= 0: a host file (owned) to pass as the mmap's fd. */
struct pending_op {
	struct stub_op op;
	int fd;
};

/*
 * One stub process: the host side of one guest thread in one address
 * space. Threads of one guest process each have their own stub process;
 * all of them mirror the same mappings of the shared MemoryFile, so they
 * see the same memory. A stub belongs to its context (which frees it);
 * the address space lists it, and kills it when released first.
 */
struct stub {
	pid_t pid;                  /* 0 once dead */
	pid_t tracer;               /* host tid of the sentry thread tracing it */
	uint64_t ops_off;           /* MemoryFile offset of the stub's own pages (op pages on) */
	int sock;                   /* the sentry's end of the stub's fd-passing socket */
	struct pending_op *pending; /* queued mapping operations, protected by as->lock */
	size_t npending, cap;
	struct user_regs_struct stub_regs;   /* segment registers to run the stub with */
	struct plat_as *as;         /* NULL once the address space was released */
	struct plat_ctx *ctx;       /* its context (alive while the stub is listed on as) */
	struct stub *next;
	bool spare;                 /* kept across an execve for the next address space */
	bool seeding;               /* a seed (plat_ctx_seed): listed on as, its process not
				       made or not adopted yet; queued operations reach it */
	pid_t guest_tid;            /* seccomp-trap mode: the host thread running the guest */
	uint32_t xfeatures;         /* seccomp-trap mode: the signal frames' XSAVE features */
	uint32_t xstate_size;       /* ... and the size of their XSAVE area */
	/*
	 * Seccomp-trap mode's fast path (systrap.c): the guest thread waits in
	 * it (no signal frame: its FPU state is live), and the last go sent it
	 * back through it with `sent`.
	 */
	bool fast, fast_sent;
	struct guest_regs sent;
};

/* An address space: its stubs, one per context (guest thread) that runs in it. */
struct plat_as {
	pthread_mutex_t lock;       /* the stub list and every stub's queue */
	struct stub *stubs;
	uint64_t changes;           /* operations queued so far (plat_as_changes) */
};

struct plat_ctx {
	pid_t tid;                  /* the sentry thread this context belongs to */
	struct plat_as *as;         /* the address space of `stub` */
	struct stub *stub;          /* this context's stub in `as` */
	volatile pid_t running_pid; /* for plat_ctx_interrupt */
	volatile pid_t running_tid; /* ... the thread (the stub's guest thread in seccomp-trap mode) */
	/*
	 * CPU time: the stubs this context had (reaped) plus the live stub's
	 * process CPU clock. cpu_lock is a leaf, taken under as->lock.
	 */
	pthread_mutex_t cpu_lock;
	pid_t cpu_pid;              /* the live stub sampled, or 0 */
	int cpu;                    /* the CPU this context keeps to (cpu_pick), or -1 */
	uint64_t cpu_user, cpu_sys; /* ns of the stubs already reaped */
	/*
	 * Seccomp-trap mode, in TSC ticks (atomics: sampled from any thread):
	 * what this sentry thread and the stub's guest thread spun with pause,
	 * waiting for each other (systrap.c says how it is estimated). Neither
	 * is the guest's CPU time.
	 */
	uint64_t sentry_spin, stub_spin;
	uint64_t event_tsc;         /* when the last event was seen */
	unsigned spin_us;           /* the sentry's spin budget (systrap_wait), 0: not set yet */
	uint64_t interrupt_tsc;     /* when the first interrupt since then was sent, or 0 */
	uint64_t interrupt_cpu;     /* the stub's user CPU time when systrap_wait first saw it, or 0 */
	bool solo;                  /* its guest thread runs on another CPU (systrap_place) */
	int8_t other_cpus;          /* another CPU to put it on: 1 yes, -1 no, 0 not asked yet */
	unsigned solo_streak;       /* switches in a row that found no other context running */
	bool resync_intr;           /* an interrupt came while a resync ran (systrap.c) */
};

/* The platform's global state, set once by plat_init. */
struct ptrace_platform {
	int memfd;
	int stub_sock;              /* the socket's fd number in every stub: memfd + 1 */
	uint64_t code_off;
	struct sock_fprog filter;
	char oom_adj[12];           /* a stub's oom_score_adj as text ("" : inherited) */
	size_t oom_adj_len;
	bool systrap;               /* seccomp-trap mode (systrap.c) */
	uint64_t tsc_per_us;        /* TSC ticks per microsecond (its spin budgets) */
};
extern struct ptrace_platform pt;

static inline long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* ---- ptrace.c, for systrap.c ---- */

/*
 * Run the stub's traced thread from registers r (segments from
 * stub_regs) to its next int3; r then holds its registers there.
 */
int stub_call(struct stub *st, struct user_regs_struct *r);
/* The MemoryFile pages a stub of this mode owns, from its op pages on. */
uint64_t stub_own_size(void);
void stub_kill(struct stub *st);
/* Report PLAT_EV_DIED for ctx's stub, reaping it unless already reaped. */
int stub_died(struct plat_ctx *ctx, struct stub *st, bool reaped, struct plat_event *ev);
/* The stub's user-mode CPU time in ns (both threads, tick-sampled), or 0. */
uint64_t stub_user_cpu(pid_t pid);
/* Fill ev for a synchronous fault (si_code > 0 of one of the five fault signals); false if not one. */
bool fault_event(int sig, int si_code, uint64_t addr, struct plat_event *ev);
/* The CPUs the sentry may use other than cpu: false if there are none. */
bool cpus_other_than(int cpu, cpu_set_t *set);

/* ---- systrap.c ---- */

/* Calibrate the TSC and build the guest thread's filter; 0 or -errno. */
int systrap_init(void);
/* In the stub child: the handlers and the guest thread; 0 or -errno. */
long systrap_child_start(void);
/* Lay out a new stub's channel page (before the fork). */
void systrap_chan_init(struct stub *st);
/* After the traced thread's first stop: the guest thread's first event and set-up. */
int systrap_spawn(struct plat_ctx *ctx, struct stub *st);
/* A seed's guest thread (plat_ctx_adopt), tid, made by stub_rebase: systrap_spawn. */
int systrap_seed_spawned(struct plat_ctx *ctx, struct stub *st, pid_t tid);
int systrap_switch(struct plat_ctx *ctx, struct stub *st, struct guest_regs *regs,
		   struct plat_event *ev);
long systrap_get_fpstate(struct plat_ctx *ctx, struct stub *st, void *buf, size_t cap);
int systrap_set_fpstate(struct plat_ctx *ctx, struct stub *st, const void *buf, size_t len);
/* Record an interrupt sent to ctx's guest thread. */
void systrap_interrupted(struct plat_ctx *ctx);
/* The spinning of ctx's two sides so far, in ns. */
uint64_t systrap_stub_spin_ns(struct plat_ctx *ctx);
uint64_t systrap_sentry_spin_ns(struct plat_ctx *ctx);

#endif
