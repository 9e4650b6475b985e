/*
 * The platform interface: how the sentry runs guest code. Address-space
 * operations are kept apart from execution so that ptrace, KVM and a
 * seccomp-trap platform fit behind the same calls. Only sentry/ includes
 * this header.
 */
#ifndef PLATFORM_PLATFORM_H
#define PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

/* Guest general-purpose registers, in Linux's user_regs_struct layout. */
struct guest_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base, ds, es, fs, gs;
};

/* What stopped the guest. */
enum plat_event_kind {
	PLAT_EV_SYSCALL,      /* a 64-bit syscall instruction: number in orig_rax */
	PLAT_EV_SYSCALL32,    /* int 0x80 / sysenter from the 64-bit guest */
	PLAT_EV_FAULT,        /* a synchronous fault: signo, si_code, addr */
	PLAT_EV_INTERRUPT,    /* plat_ctx_interrupt() or a host signal for the stub */
	PLAT_EV_DIED,         /* the stub vanished (killed from outside) */
};

struct plat_event {
	enum plat_event_kind kind;
	int signo;            /* PLAT_EV_FAULT: SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGFPE */
	int si_code;
	uint64_t addr;        /* fault address */
	bool patchable;       /* PLAT_EV_SYSCALL: trapped at a syscall instruction of guest code,
				 which plat_fast_entry's jump may replace (sentry/usertrap.c) */
};

struct plat_as;
struct plat_ctx;

/*
 * One-time set up, given the MemoryFile's fd and the platform's name:
 * "systrap" (seccomp-trap: guest syscalls are SIGSYS handled in the guest's
 * own thread, which talks to the sentry through shared memory; needs the
 * host's FSGSBASE), "ptrace" (every guest syscall a PTRACE_SYSEMU stop),
 * or NULL for the best this host offers. 0 or -errno (-EINVAL: unknown
 * name, -ENOTSUP: not on this host).
 */
int plat_init(int memfd, const char *name);

/* The platform plat_init chose ("systrap" or "ptrace"). */
const char *plat_name(void);

/*
 * The host's oom_score_adj (-1000..1000) for every host process created
 * from now on to run guest code (the ptrace stubs), so that the host's OOM
 * killer takes a guest process before the sentry. Until it is called they
 * inherit the sentry's.
 */
void plat_set_stub_oom_score_adj(int adj);

/* Highest guest address + 1 this platform allows. */
uint64_t plat_task_size(void);

/*
 * The host's vDSO (with its data pages) as every guest address space sees
 * it: [*lo, *hi) in the guest, the ELF image at *ehdr, and the sentry's own
 * view of the same bytes at *host (for the sentry's reads of guest memory
 * there). False if the platform offers none (the guest then gets no
 * AT_SYSINFO_EHDR and makes real syscalls for time).
 */
bool plat_vdso(uint64_t *lo, uint64_t *hi, uint64_t *ehdr, const void **host);

/* ---- address spaces: the sentry's MM decides, the platform mirrors ---- */

/* Create an empty address space; NULL on failure. */
struct plat_as *plat_as_create(void);

/* Mirror [addr, addr+len) -> MemoryFile [off, off+len) with prot; 0 or -errno. */
int plat_as_map(struct plat_as *as, uint64_t addr, uint64_t len, uint64_t off, int prot);

/*
 * Mirror [addr, addr+len) -> the host file open as hostfd, at file offset
 * off, privately (copy-on-write) and never writable: a read-only private
 * mapping of a host file, served by the host's page cache with no copy.
 * Touching a page past the file's end raises SIGBUS, as in Linux. hostfd
 * is only borrowed (the platform keeps its own copy while it needs one).
 * 0 or -errno (-EINVAL if prot has PROT_WRITE).
 */
int plat_as_map_file(struct plat_as *as, uint64_t addr, uint64_t len, int hostfd, uint64_t off,
		     int prot);

/* Remove the mirror of a range; 0 or -errno. */
int plat_as_unmap(struct plat_as *as, uint64_t addr, uint64_t len);

/* Change protection of a mirrored range; 0 or -errno. */
int plat_as_protect(struct plat_as *as, uint64_t addr, uint64_t len, int prot);

/* How many changes (plat_as_map, _map_file, _unmap, _protect) were queued on as so far. */
uint64_t plat_as_changes(struct plat_as *as);

/* Release the address space (its stub goes away). */
void plat_as_release(struct plat_as *as);

/* ---- execution contexts: one per sentry thread that runs a task ---- */

/* Create a context bound to the calling thread; NULL on failure. */
struct plat_ctx *plat_ctx_create(void);
void plat_ctx_release(struct plat_ctx *ctx);

/*
 * A new task's stub in as, made from ctx's (the creator's, whose guest
 * waits in the sentry for its clone): a fork of it, which has every
 * mapping already. as is ctx's own for a new thread (since NULL), or a
 * forked child's new address space, which has no stub yet and holds
 * exactly what ctx's stub maps once the operations queued on ctx's
 * address space up to *since (its plat_as_changes count) are applied
 * (mm_fork_mirrors); after any later one there is no seed.
 * plat_ctx_adopt, by the new task's context, makes it that context's stub
 * without a replay; NULL when the platform cannot (ptrace mode) or on a
 * failure, and the new context then makes its stub as usual.
 */
struct plat_seed;
struct plat_seed *plat_ctx_seed(struct plat_ctx *ctx, struct plat_as *as, const uint64_t *since);
/*
 * Make seed (in as) ctx's stub, on ctx's own thread before plat_ctx_attach
 * (which then returns 0). Frees the seed; 0 or -errno (ctx then has no
 * stub and plat_ctx_attach makes one).
 */
int plat_ctx_adopt(struct plat_ctx *ctx, struct plat_as *as, struct plat_seed *seed);
/* A seed no context adopts (the new task never ran). NULL does nothing. */
void plat_seed_drop(struct plat_seed *seed);

/*
 * Give ctx its own stub in as (a guest thread entering an address space).
 * Returns 1 if the stub is new: the caller must then replay every current
 * mapping into it with plat_ctx_map; 0 if it already had one; or -errno.
 */
int plat_ctx_attach(struct plat_ctx *ctx, struct plat_as *as);

/*
 * execve: ctx's stub leaves its address space (which the caller is about
 * to release, ctx being its only user) with every guest mapping queued
 * for removal, and the next plat_ctx_attach reuses it (returning 1, as for
 * a new stub) instead of creating one: a fork+exec then makes one stub,
 * not two. Does nothing if ctx has no live stub.
 */
void plat_ctx_keep_stub(struct plat_ctx *ctx);

/*
 * Make ctx's stub now, before it has an address space (the first process's
 * thread, while the sentry still loads the program): the first
 * plat_ctx_attach takes it as plat_ctx_keep_stub's. 0 or -errno (the
 * attach then makes one as usual).
 */
int plat_ctx_prepare(struct plat_ctx *ctx);

/*
 * Start the replay after plat_ctx_attach returned 1 (called under the MM's
 * lock, before the mappings are mirrored with plat_ctx_map): what other
 * threads queued for the stub since it joined the address space is
 * dropped (the replay maps the MM as it is now, which includes it; run
 * first, an mprotect of a range the stub does not map yet fails), and the
 * stub is emptied first.
 */
int plat_ctx_replay_begin(struct plat_ctx *ctx);

/* Mirror one mapping into ctx's stub only (the replay after plat_ctx_attach). */
int plat_ctx_map(struct plat_ctx *ctx, uint64_t addr, uint64_t len, uint64_t off, int prot);
/* plat_as_map_file into ctx's stub only (the replay after plat_ctx_attach). */
int plat_ctx_map_file(struct plat_ctx *ctx, uint64_t addr, uint64_t len, int hostfd,
		      uint64_t off, int prot);

/*
 * Run the guest with regs in address space as (attached) until an event; regs are
 * updated with the guest's state at the event. Returns 0 or -errno (a
 * platform failure, which ends the task).
 */
int plat_ctx_switch(struct plat_ctx *ctx, struct plat_as *as, struct guest_regs *regs,
		    struct plat_event *ev);

/*
 * The guest address of the platform's fast syscall entry, or 0 if it has
 * none (ptrace mode). Jumped to with eax the syscall number, rcx the
 * return address and every other register as a syscall instruction would
 * leave them, it reports a PLAT_EV_SYSCALL as that instruction would,
 * without the host's signal delivery (sentry/usertrap.c patches syscall
 * sites to come here).
 */
uint64_t plat_fast_entry(void);

/* Make a running or about-to-run context return PLAT_EV_INTERRUPT soon. */
void plat_ctx_interrupt(struct plat_ctx *ctx);

/*
 * The guest thread's extended FPU state (XSAVE layout, as the kernel's
 * NT_X86_XSTATE regset) at the last event, for signal frames. Returns its
 * size or -errno. set returns 0, or -EINVAL if the state is malformed.
 */
long plat_ctx_get_fpstate(struct plat_ctx *ctx, void *buf, size_t cap);
int plat_ctx_set_fpstate(struct plat_ctx *ctx, const void *buf, size_t len);

/*
 * CPU time the guest thread of ctx has used running guest code, over every
 * address space it has run in, in ns: user (guest instructions) and system
 * (the host kernel's work for it: traps, faults). Callable from any thread
 * while ctx exists.
 */
void plat_ctx_cpu_time(struct plat_ctx *ctx, uint64_t *user_ns, uint64_t *sys_ns);

/*
 * CPU time the sentry thread that owns ctx spent waiting for its guest
 * thread inside plat_ctx_switch without sleeping (a platform that spins
 * for events), in ns: the platform's, not the kernel's work for the guest,
 * so not part of the guest's system time. Callable from any thread.
 */
uint64_t plat_ctx_wait_cpu_ns(struct plat_ctx *ctx);

/*
 * membarrier(2) for the guest: on return, every thread running guest code
 * (and every sentry thread serving one) has passed a full memory barrier,
 * and one that returns to guest code later serializes its instruction
 * stream first (the SYNC_CORE commands). Returns 0, or -ENOSYS when the
 * host offers no way to do it (plat_have_memory_barrier false).
 */
bool plat_have_memory_barrier(void);
int plat_memory_barrier(void);

/* Host pid of the stub behind an address space, or -1 (tests and diagnostics only). */
int plat_as_host_pid(struct plat_as *as);

#endif
