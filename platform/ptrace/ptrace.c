/*
 * The ptrace platform. Each address space is a stub process forked from the
 * sentry thread that first runs it; the stub unmaps everything but its own
 * code page, installs a seccomp filter that allows only the host syscalls
 * the sentry injects (mmap of the MemoryFile, munmap, mprotect, and the
 * recvmsg + private mmap + close of a host file, below), and is then
 * driven entirely by PTRACE_SYSEMU: every guest syscall stops and is served
 * by the sentry, never executed by the host. In seccomp-trap mode
 * (systrap.c) the stub runs the guest in a second, untraced thread instead,
 * and the traced one only runs the mapping batches.
 *
 * Host files (plat_as_map_file): each stub keeps, besides the MemoryFile,
 * one end of a unix datagram socket pair whose other end the sentry holds.
 * A batch that maps host files starts with a recvmsg of one SCM_RIGHTS
 * message carrying those files (they land at the lowest free fd numbers,
 * which the sentry computes), then the MAP_PRIVATE mmaps, then a close of
 * each: the stub holds a host fd only inside one batch, while the guest
 * thread is stopped. recvmsg writes its msghdr and control buffer, so they
 * live in a scratch page the stub maps writable; the sentry rewrites it
 * before every batch and never reads it (the op pages stay read-only).
 *
 * Mapping changes are queued on the address space and applied in one stop
 * (stub_batch) just before the guest next runs.
 *
 * Threads: a context is bound to the sentry thread that created it, and
 * only that thread may issue ptrace requests for the stubs it forked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <linux/futex.h>
#include <linux/filter.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/rseq.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "platform/platform.h"

#include "platform/ptrace/ptrace_internal.h"

struct ptrace_platform pt;

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

/* membarrier(2) commands (below: the guest's membarrier). */
#define HOST_MB_GLOBAL (1 << 0)
#define HOST_MB_GLOBAL_EXPEDITED (1 << 1)
#define HOST_MB_REGISTER_GLOBAL_EXPEDITED (1 << 2)
#define HOST_MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE (1 << 6)

/*
 * The stub's seccomp filter: only the injected syscalls. mmap of the
 * MemoryFile; of another fd only MAP_PRIVATE | MAP_FIXED and never
 * writable; recvmsg only on the stub's socket into the scratch page; close
 * of anything but the MemoryFile and the socket.
 */
static int build_filter(int memfd)
{
	/*
	 * Seccomp-trap mode: the filter of a seed's traced thread (plat_ctx_seed)
	 * is also that of the guest thread it makes, under the guest thread's
	 * own (the stricter action of the two wins). So it refuses with EPERM
	 * (for every architecture) what it does not allow, which the guest
	 * filter's SIGSYS trap outranks, and allows what that one allows at its
	 * fixed addresses (futex wait and wake, sched_yield, rt_sigreturn) and
	 * what the guest thread makes before its filter (sigaltstack, seccomp
	 * with a filter); and the seed's own calls: the two clones it is made
	 * and makes with, its wait for its tracer, exit_group, dup2 onto the
	 * socket's number, the membarrier registrations. A refused call fails
	 * the traced thread's batch.
	 */
	scmp_filter_ctx c = seccomp_init(pt.systrap ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_KILL_PROCESS);
	if (!c)
		return -ENOMEM;
	if (pt.systrap) {
		const uint64_t thread_flags = STUB_GUEST_THREAD_FLAGS;
		int rc = seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM));
		static const int plain[] = { SCMP_SYS(sched_yield), SCMP_SYS(rt_sigreturn),
					     SCMP_SYS(sigaltstack), SCMP_SYS(exit),
					     SCMP_SYS(exit_group) };
		for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]) && !rc; i++)
			rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, plain[i], 0);
		/* Calls allowed with one argument equal to one value. */
		const struct {
			int nr;
			unsigned arg;
			uint64_t value;
		} one[] = {
			{ SCMP_SYS(futex), 1, FUTEX_WAIT },
			{ SCMP_SYS(futex), 1, FUTEX_WAKE },
			{ SCMP_SYS(seccomp), 0, SECCOMP_SET_MODE_FILTER },
			{ SCMP_SYS(clone), 0, CLONE_PARENT | SIGCHLD },
			{ SCMP_SYS(clone), 0, thread_flags },
			{ SCMP_SYS(membarrier), 0, HOST_MB_REGISTER_GLOBAL_EXPEDITED },
			{ SCMP_SYS(membarrier), 0, HOST_MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE },
			{ SCMP_SYS(dup2), 1, (uint64_t)pt.stub_sock },
		};
		for (size_t i = 0; i < sizeof(one) / sizeof(one[0]) && !rc; i++)
			rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, one[i].nr, 1,
					      SCMP_CMP(one[i].arg, SCMP_CMP_EQ, one[i].value));
		if (rc) {
			seccomp_release(c);
			return rc;
		}
	}
	int rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				  SCMP_A4(SCMP_CMP_EQ, (scmp_datum_t)memfd));
	if (!rc)
		rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE, 0),
				      SCMP_A3(SCMP_CMP_EQ, MAP_PRIVATE | MAP_FIXED));
	if (!rc)
		rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 3,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)pt.stub_sock),
				      SCMP_A1(SCMP_CMP_EQ, STUB_SCRATCH_ADDR),
				      SCMP_A2(SCMP_CMP_EQ, STUB_RECV_FLAGS));
	if (!rc)
		rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(close), 1,
				      SCMP_A0(SCMP_CMP_LT, (scmp_datum_t)memfd));
	if (!rc)
		rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(close), 1,
				      SCMP_A0(SCMP_CMP_GT, (scmp_datum_t)pt.stub_sock));
	if (!rc)
		rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(munmap), 0);
	if (!rc)
		rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 0);
	if (!rc)
		rc = seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0);
	int fd = -1;
	if (!rc) {
		fd = memfd_create("stub-filter", MFD_CLOEXEC);
		rc = fd < 0 ? -errno : seccomp_export_bpf(c, fd);
	}
	seccomp_release(c);
	if (rc)
		goto out;
	off_t size = lseek(fd, 0, SEEK_END);
	struct sock_filter *prog = malloc(size > 0 ? size : 1);
	if (!prog || size <= 0 || pread(fd, prog, size, 0) != size) {
		free(prog);
		rc = -EIO;
		goto out;
	}
	pt.filter.filter = prog;
	pt.filter.len = size / sizeof(struct sock_filter);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static void probe_vdso(void);

/*
 * The guest's membarrier(2). Each guest thread is a stub process of its
 * own (threads of one process do not share a host mm), so the host's
 * private commands, which reach the threads of the caller's mm, cannot
 * cover them. MEMBARRIER_CMD_GLOBAL would (gVisor's choice on this
 * platform, which interrupts no other CPU) but waits for an RCU grace
 * period: 9-14 ms a call on these machines. So every stub registers
 * itself for MEMBARRIER_CMD_GLOBAL_EXPEDITED as it starts (cheap while it
 * is single-threaded; the sentry cannot do it once for all of them at
 * boot: it has threads by then, and a registration with several threads
 * waits for a grace period too, ~25 ms a boot), and a guest barrier is
 * the host's GLOBAL_EXPEDITED: an IPI to each CPU running a registered
 * process, so to every guest thread running at that moment (and to other
 * sandboxes' stubs, an interruption any unprivileged host process can
 * cause the same way). It costs 0.4 us with no other CPU to interrupt and
 * 7.4 us with one (an IPI on these VMs; ~17 us when the CPUs are
 * oversubscribed), and it covers the guest's MEMBARRIER_CMD_GLOBAL too. The sentry's own threads, which touch guest
 * memory for guest syscalls, are not interrupted: each of their accesses
 * is bracketed by the MM's lock, a locked instruction and so a full
 * barrier on x86.
 * SYNC_CORE: an interrupted stub returns to guest code through IRET,
 * which serializes; one that was not running comes back through a context
 * switch from another mm (a CR3 write serializes) or, after its CPU idled
 * with the stub's mm still loaded, through the sync_core Linux does for an
 * mm registered for PRIVATE_EXPEDITED_SYNC_CORE, which each stub is too.
 * Without GLOBAL_EXPEDITED the host's GLOBAL serves, slowly; without either
 * there is no barrier and the guest's membarrier is ENOSYS.
 */
#ifndef MEMBARRIER_CMD_QUERY
#define MEMBARRIER_CMD_QUERY 0
#endif
static int host_mb_cmd;         /* the host command plat_memory_barrier issues, or 0: none */
static bool host_mb_sync_core;  /* stubs also register for PRIVATE_EXPEDITED_SYNC_CORE */

static void host_membarrier_init(void)
{
	long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (q < 0)
		return;
	int want = HOST_MB_GLOBAL_EXPEDITED | HOST_MB_REGISTER_GLOBAL_EXPEDITED;
	if ((q & want) == want) {
		host_mb_cmd = HOST_MB_GLOBAL_EXPEDITED;
		host_mb_sync_core = q & HOST_MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE;
	} else if (q & HOST_MB_GLOBAL) {
		host_mb_cmd = HOST_MB_GLOBAL;
	}
}

/* In a new stub (raw syscalls, before its seccomp filter): the registrations above; 0 or -errno. */
static long stub_membarrier_register(void)
{
	if (host_mb_cmd != HOST_MB_GLOBAL_EXPEDITED)
		return 0;
	long rc = raw_syscall6(SYS_membarrier, HOST_MB_REGISTER_GLOBAL_EXPEDITED, 0, 0, 0, 0, 0);
	if (!rc && host_mb_sync_core)
		rc = raw_syscall6(SYS_membarrier, HOST_MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0,
				  0, 0, 0);
	return rc;
}

bool plat_have_memory_barrier(void)
{
	return host_mb_cmd != 0;
}

int plat_memory_barrier(void)
{
	if (!host_mb_cmd)
		return -ENOSYS;
	return syscall(SYS_membarrier, host_mb_cmd, 0, 0) < 0 ? -errno : 0;
}

uint64_t plat_fast_entry(void)
{
	return pt.systrap ? STUB_ADDR(stub_fast_entry) : 0;
}

const char *plat_name(void)
{
	return pt.systrap ? "systrap" : "ptrace";
}

int plat_init(int memfd, const char *name)
{
	/* The guest thread's handler saves and restores fs/gs with rdfsbase/wrfsbase. */
	bool can_systrap = getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
	if (name && strcmp(name, "systrap") != 0 && strcmp(name, "ptrace") != 0)
		return -EINVAL;
	if (name && strcmp(name, "systrap") == 0 && !can_systrap)
		return -ENOTSUP;
	pt.systrap = name ? strcmp(name, "systrap") == 0 : can_systrap;
	host_membarrier_init();
	size_t code_len = stub_code_end - stub_code_start;
	if (code_len > STUB_CODE_SIZE)
		return -E2BIG;
	pt.memfd = memfd;
	pt.stub_sock = memfd + 1;
	int rc = mf_alloc(STUB_CODE_SIZE, &pt.code_off);
	if (rc)
		return rc;
	memcpy(mf_ptr(pt.code_off), stub_code_start, code_len);
	rc = pt.systrap ? systrap_init() : 0;
	return rc ? rc : build_filter(memfd);
}

void plat_set_stub_oom_score_adj(int adj)
{
	if (adj < -1000 || adj > 1000) {
		pt.oom_adj_len = 0;
		return;
	}
	pt.oom_adj_len = (size_t)snprintf(pt.oom_adj, sizeof(pt.oom_adj), "%d", adj);
}

uint64_t plat_task_size(void)
{
	return STUB_BASE;
}

/*
 * The host vDSO. Each stub is a fork of the sentry and so inherits the
 * sentry's [vvar]/[vvar_vclock]/[vdso] mappings; it moves them (mremap, which
 * the kernel supports for these special mappings) to VDSO_GUEST_LO and keeps
 * them when it unmaps the rest. The guest's clock_gettime and gettimeofday
 * then read the host's time pages without a syscall, as natively; the
 * guest's clocks are the host's anyway (sentry/kernel.c).
 */
#define VDSO_GUEST_LO (STUB_BASE - (8ULL << 30))
#define VDSO_MAX_SEGS 4

static struct {
	int n;                          /* 0: no usable vDSO */
	uint64_t lo[VDSO_MAX_SEGS], hi[VDSO_MAX_SEGS];
	uint64_t vdso;                  /* host address of the ELF image */
} hv;

/* Find the vDSO block in the sentry's own maps: contiguous [vvar*] and [vdso] ranges. */
static void find_host_vdso(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f) && hv.n < VDSO_MAX_SEGS) {
		unsigned long a, b;
		if (!strstr(line, "[vvar") && !strstr(line, "[vdso]"))
			continue;
		if (sscanf(line, "%lx-%lx", &a, &b) != 2 || (hv.n && a != hv.hi[hv.n - 1]))
			break;
		hv.lo[hv.n] = a;
		hv.hi[hv.n] = b;
		if (strstr(line, "[vdso]"))
			hv.vdso = a;
		hv.n++;
	}
	fclose(f);
	if (!hv.vdso)
		hv.n = 0;
}

/* In a stub child: move the vDSO block to its guest address; 0 or -1. */
static int move_vdso(void)
{
	uint64_t delta = VDSO_GUEST_LO - hv.lo[0];
	for (int i = 0; i < hv.n; i++) {
		uint64_t len = hv.hi[i] - hv.lo[i];
		long r = raw_syscall6(SYS_mremap, hv.lo[i], len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
				      hv.lo[i] + delta, 0);
		if (r != (long)(hv.lo[i] + delta))
			return -1;
	}
	return 0;
}

/*
 * Check once, in a throw-away child, that this kernel lets the block move:
 * at the first exec or stub, not at boot, where the fork would wait for
 * the memory cgroup's move of the sentry (which holds every fork and exit
 * on the host for an RCU grace period) while the rest of boot need not.
 */
static pthread_once_t vdso_probed = PTHREAD_ONCE_INIT;

static void probe_vdso(void)
{
	find_host_vdso();
	if (!hv.n)
		return;
	pid_t pid = (pid_t)syscall(SYS_fork);
	if (pid == 0)
		raw_syscall6(SYS_exit_group, move_vdso() == 0 ? 0 : 1, 0, 0, 0, 0, 0);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		hv.n = 0;
}

bool plat_vdso(uint64_t *lo, uint64_t *hi, uint64_t *ehdr, const void **host)
{
	pthread_once(&vdso_probed, probe_vdso);
	if (!hv.n)
		return false;
	*lo = VDSO_GUEST_LO;
	*hi = VDSO_GUEST_LO + (hv.hi[hv.n - 1] - hv.lo[0]);
	*ehdr = VDSO_GUEST_LO + (hv.vdso - hv.lo[0]);
	*host = (const void *)hv.lo[0];
	return true;
}

/* ---- address spaces ---- */

struct plat_as *plat_as_create(void)
{
	struct plat_as *as = calloc(1, sizeof(*as));
	if (!as)
		return NULL;
	pthread_mutex_init(&as->lock, NULL);
	return as;
}

/*
 * Fold an operation into the last queued one when together they are one
 * call: an mmap of the MemoryFile right after the last one's end (in the
 * guest and in the file) with the same protection and flags, or a munmap
 * or an mprotect (same protection) of the range right after. The replay
 * of an address space into a new thread's stub is a run of such mmaps,
 * one per VMA piece (hundreds for a JVM).
 */
static bool stub_queue_merge(struct stub *st, uint64_t nr, uint64_t a0, uint64_t a1,
			     uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	if (!st->npending)
		return false;
	struct pending_op *last = &st->pending[st->npending - 1];
	const uint64_t *p = last->op.a;
	if (last->op.nr != nr || last->fd >= 0 || p[0] + p[1] != a0)
		return false;
	bool same;
	switch (nr) {
	case SYS_mmap:
		same = p[2] == a2 && p[3] == a3 && p[4] == a4 && p[5] + p[1] == a5;
		break;
	case SYS_munmap:
		same = true;
		break;
	case SYS_mprotect:
		same = p[2] == a2;
		break;
	default:
		same = false;
	}
	if (same)
		last->op.a[1] += a1;
	return same;
}

/* Queue one operation; hostfd >= 0 is a host file for an mmap (a copy is kept). */
static int stub_queue_fd(struct stub *st, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
			 uint64_t a3, int hostfd, uint64_t a4, uint64_t a5)
{
	if (hostfd < 0 && stub_queue_merge(st, nr, a0, a1, a2, a3, a4, a5))
		return 0;
	if (st->npending == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct pending_op *p = realloc(st->pending, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		st->pending = p;
		st->cap = cap;
	}
	int fd = -1;
	if (hostfd >= 0) {
		/* Our own copy: the caller may close its fd before the batch runs. */
		fd = fcntl(hostfd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
	}
	st->pending[st->npending++] = (struct pending_op){ { nr, { a0, a1, a2, a3, a4, a5 } }, fd };
	return 0;
}

static int stub_queue(struct stub *st, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		      uint64_t a3, uint64_t a4, uint64_t a5)
{
	return stub_queue_fd(st, nr, a0, a1, a2, a3, -1, a4, a5);
}

/* Free a queue taken from a stub, closing the host files it still holds. */
static void pending_free(struct pending_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].fd >= 0)
			close(ops[i].fd);
	free(ops);
}

/* Queue an operation on every stub of the address space. */
static int as_queue(struct plat_as *as, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3, uint64_t a4, uint64_t a5)
{
	int rc = 0;
	pthread_mutex_lock(&as->lock);
	as->changes++;
	for (struct stub *st = as->stubs; st && !rc; st = st->next)
		if (st->pid > 0 || st->seeding)
			rc = stub_queue(st, nr, a0, a1, a2, a3, a4, a5);
	pthread_mutex_unlock(&as->lock);
	return rc;
}

uint64_t plat_as_changes(struct plat_as *as)
{
	pthread_mutex_lock(&as->lock);
	uint64_t n = as->changes;
	pthread_mutex_unlock(&as->lock);
	return n;
}

int plat_as_map(struct plat_as *as, uint64_t addr, uint64_t len, uint64_t off, int prot)
{
	return as_queue(as, SYS_mmap, addr, len, prot, MAP_SHARED | MAP_FIXED, pt.memfd, off);
}

int plat_as_map_file(struct plat_as *as, uint64_t addr, uint64_t len, int hostfd, uint64_t off,
		     int prot)
{
	if ((prot & PROT_WRITE) || hostfd < 0)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&as->lock);
	as->changes++;
	for (struct stub *st = as->stubs; st && !rc; st = st->next)
		if (st->pid > 0 || st->seeding)
			rc = stub_queue_fd(st, SYS_mmap, addr, len, prot, MAP_PRIVATE | MAP_FIXED,
					   hostfd, 0, off);
	pthread_mutex_unlock(&as->lock);
	return rc;
}

int plat_as_unmap(struct plat_as *as, uint64_t addr, uint64_t len)
{
	return as_queue(as, SYS_munmap, addr, len, 0, 0, 0, 0);
}

int plat_as_protect(struct plat_as *as, uint64_t addr, uint64_t len, int prot)
{
	return as_queue(as, SYS_mprotect, addr, len, prot, 0, 0, 0);
}

int plat_ctx_map(struct plat_ctx *ctx, uint64_t addr, uint64_t len, uint64_t off, int prot)
{
	struct plat_as *as = ctx->as;
	pthread_mutex_lock(&as->lock);
	int rc = stub_queue(ctx->stub, SYS_mmap, addr, len, prot, MAP_SHARED | MAP_FIXED, pt.memfd,
			    off);
	pthread_mutex_unlock(&as->lock);
	return rc;
}

int plat_ctx_map_file(struct plat_ctx *ctx, uint64_t addr, uint64_t len, int hostfd,
		      uint64_t off, int prot)
{
	if ((prot & PROT_WRITE) || hostfd < 0)
		return -EINVAL;
	struct plat_as *as = ctx->as;
	pthread_mutex_lock(&as->lock);
	int rc = stub_queue_fd(ctx->stub, SYS_mmap, addr, len, prot, MAP_PRIVATE | MAP_FIXED, hostfd,
			       0, off);
	pthread_mutex_unlock(&as->lock);
	return rc;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
}

uint64_t stub_own_size(void)
{
	return STUB_OPS_SIZE + STUB_SCRATCH_SIZE + (pt.systrap ? STUB_CHAN_SIZE + STUB_ALT_SIZE : 0);
}

/*
 * Kill and reap a stub (any thread of the sentry may reap it); the CPU time
 * it used goes to its context.
 */
void stub_kill(struct stub *st)
{
	if (st->pid <= 0)
		return;
	struct plat_ctx *ctx = st->ctx;
	if (ctx)
		pthread_mutex_lock(&ctx->cpu_lock);
	kill(st->pid, SIGKILL);
	int status;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	while (wait4(st->pid, &status, __WALL, &ru) < 0 && errno == EINTR)
		;
	if (ctx) {
		ctx->cpu_user += tv_ns(ru.ru_utime);
		ctx->cpu_sys += tv_ns(ru.ru_stime);
		if (ctx->cpu_pid == st->pid)
			ctx->cpu_pid = 0;
		pthread_mutex_unlock(&ctx->cpu_lock);
	}
	st->pid = 0;
}

static void stub_free(struct stub *st)
{
	stub_kill(st);
	mf_free(st->ops_off, stub_own_size());
	pending_free(st->pending, st->npending);
	if (st->sock >= 0)
		close(st->sock);
	free(st);
}

/* Take st off its address space's list (caller holds as->lock). */
static void stub_unlink_locked(struct plat_as *as, struct stub *st)
{
	for (struct stub **pp = &as->stubs; *pp; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	}
}

/* List st on as as ctx's stub there. */
static void stub_join(struct stub *st, struct plat_as *as, struct plat_ctx *ctx)
{
	pthread_mutex_lock(&as->lock);
	st->as = as;
	st->ctx = ctx;
	st->next = as->stubs;
	as->stubs = st;
	pthread_mutex_unlock(&as->lock);
	ctx->as = as;
	ctx->stub = st;
}

/* Unlink and free ctx's stub. */
static void ctx_detach(struct plat_ctx *ctx)
{
	struct stub *st = ctx->stub;
	if (!st)
		return;
	struct plat_as *as = st->as;
	if (as) {
		pthread_mutex_lock(&as->lock);
		stub_unlink_locked(as, st);
		pthread_mutex_unlock(&as->lock);
	}
	stub_free(st);
	ctx->stub = NULL;
	ctx->as = NULL;
}

void plat_as_release(struct plat_as *as)
{
	if (!as)
		return;
	pthread_mutex_lock(&as->lock);
	for (struct stub *st = as->stubs; st; st = st->next) {
		stub_kill(st);
		st->as = NULL;    /* its context frees it */
	}
	as->stubs = NULL;
	pthread_mutex_unlock(&as->lock);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

int plat_as_host_pid(struct plat_as *as)
{
	int pid = -1;
	pthread_mutex_lock(&as->lock);
	if (as->stubs && as->stubs->pid > 0)
		pid = as->stubs->pid;
	pthread_mutex_unlock(&as->lock);
	return pid;
}

/* ---- stub creation ---- */

/*
 * Runs in the freshly forked child: raw syscalls only (the child shares
 * nothing with the sentry's libc state), then jumps into the stub page,
 * which unmaps the rest of the sentry's image and stops.
 */
static void __attribute__((noreturn, noinline)) stub_child(pid_t parent, uint64_t ops_off,
							   int sock, uint64_t rseq_area,
							   uint32_t rseq_len)
{
	uint64_t empty = 0;
	long rc = 0;
	/*
	 * fork keeps glibc's rseq registration, whose area is about to be
	 * unmapped: the kernel would fault writing cpu ids into it.
	 */
	if (rseq_len)
		rc = raw_syscall6(SYS_rseq, rseq_area, rseq_len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG, 0, 0);
	if (!rc)
		rc = raw_syscall6(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0, 0, 0);
	if (!rc)
		rc = raw_syscall6(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
	if (!rc && raw_syscall6(SYS_getppid, 0, 0, 0, 0, 0, 0) != parent)
		rc = -1;
	if (!rc)
		rc = raw_syscall6(SYS_setpgid, 0, 0, 0, 0, 0, 0);
	if (!rc)
		rc = stub_membarrier_register();
	/* Best effort: the OOM killer's choice under the sandbox's memory cgroup. */
	if (!rc && pt.oom_adj_len) {
		long fd = raw_syscall6(SYS_open, (long)"/proc/self/oom_score_adj", O_WRONLY, 0, 0, 0,
				       0);
		if (fd >= 0) {
			raw_syscall6(SYS_write, fd, (long)pt.oom_adj, (long)pt.oom_adj_len, 0, 0, 0);
			raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
		}
	}
	if (!rc)
		rc = raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&empty, 0, 8, 0, 0);
	if (!rc) {
		long p = raw_syscall6(SYS_mmap, STUB_BASE, STUB_CODE_SIZE, PROT_READ | PROT_EXEC,
				      MAP_SHARED | MAP_FIXED, pt.memfd, pt.code_off);
		rc = p == (long)STUB_BASE ? 0 : -1;
	}
	if (!rc) {
		long p = raw_syscall6(SYS_mmap, STUB_OPS_ADDR, STUB_OPS_SIZE, PROT_READ,
				      MAP_SHARED | MAP_FIXED, pt.memfd, ops_off);
		rc = p == (long)STUB_OPS_ADDR ? 0 : -1;
	}
	if (!rc) {
		long p = raw_syscall6(SYS_mmap, STUB_SCRATCH_ADDR, STUB_SCRATCH_SIZE,
				      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, pt.memfd,
				      ops_off + STUB_OPS_SIZE);
		rc = p == (long)STUB_SCRATCH_ADDR ? 0 : -1;
	}
	if (!rc && pt.systrap) {
		long p = raw_syscall6(SYS_mmap, STUB_CHAN_ADDR, STUB_CHAN_SIZE + STUB_ALT_SIZE,
				      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, pt.memfd,
				      ops_off + STUB_CHAN_OFF);
		rc = p == (long)STUB_CHAN_ADDR ? 0 : -1;
	}
	/*
	 * Never a core dump: in seccomp-trap mode a fatal signal really kills
	 * the stub (the guest thread is untraced), and its core would be guest
	 * memory written on the host (or handed to a core_pattern pipe, which
	 * RLIMIT_CORE does not stop; a non-dumpable process never dumps).
	 */
	if (!rc) {
		struct rlimit none = { 0, 0 };
		rc = raw_syscall6(SYS_setrlimit, RLIMIT_CORE, (long)&none, 0, 0, 0, 0);
	}
	if (!rc)
		rc = raw_syscall6(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0, 0);
	/* The fd-passing socket at its fixed number, right after the MemoryFile's. */
	if (!rc && sock != pt.stub_sock)
		rc = raw_syscall6(SYS_dup2, sock, pt.stub_sock, 0, 0, 0, 0) == pt.stub_sock ? 0 : -1;
	/* The vDSO block moves to its guest address (before seccomp forbids mremap). */
	if (!rc && hv.n)
		rc = move_vdso();
	/* Keep only the MemoryFile fd and the socket: the guest must name no host fd. */
	if (!rc && pt.memfd > 0)
		rc = raw_syscall6(SYS_close_range, 0, pt.memfd - 1, 0, 0, 0, 0);
	if (!rc)
		rc = raw_syscall6(SYS_close_range, pt.stub_sock + 1, ~0U, 0, 0, 0, 0);
	if (!rc)
		rc = raw_syscall6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	/* Seccomp-trap mode: the guest thread, before this thread's filter (it has its own). */
	if (!rc && pt.systrap)
		rc = systrap_child_start();
	if (!rc)
		rc = raw_syscall6(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&pt.filter, 0, 0, 0);
	if (rc)
		raw_syscall6(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	/* The stub keeps [r12, r13) (the vDSO block; r13 == 0: none) when it unmaps the rest. */
	register uint64_t keep_lo __asm__("r12") = hv.n ? VDSO_GUEST_LO : 0;
	register uint64_t keep_hi __asm__("r13") = hv.n ? VDSO_GUEST_LO + (hv.hi[hv.n - 1] - hv.lo[0]) : 0;
	__asm__ volatile("jmp *%0" : : "r"(STUB_BASE), "r"(keep_lo), "r"(keep_hi));
	__builtin_unreachable();
}

static int wait_stop(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int stub_spawn(struct plat_ctx *ctx, struct stub *st)
{
	pid_t parent = getpid();
	uint64_t rseq_area = 0;
	uint32_t rseq_len = 0;
	if (__rseq_size > 0) {
		rseq_area = (uint64_t)__builtin_thread_pointer() + __rseq_offset;
		rseq_len = __rseq_size < 32 ? 32 : __rseq_size;
	}
	pthread_once(&vdso_probed, probe_vdso);
	if (pt.systrap)
		systrap_chan_init(st);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	long pid = syscall(SYS_fork);
	if (pid < 0) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		return -err;
	}
	if (pid == 0)
		stub_child(parent, st->ops_off, sv[1], rseq_area, rseq_len);
	close(sv[1]);
	st->sock = sv[0];
	int status;
	int rc = wait_stop(pid, &status);
	if (rc)
		return rc;
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		if (WIFSTOPPED(status))
			kill(pid, SIGKILL);
		waitpid(pid, &status, __WALL);
		return -ECHILD;
	}
	st->pid = pid;
	st->tracer = ctx->tid;
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0 ||
	    ptrace(PTRACE_GETREGS, pid, 0, &st->stub_regs) < 0) {
		rc = -errno;
		stub_kill(st);
		return rc;
	}
	/* A clean FPU state for the guest, not whatever the sentry had. */
	struct user_fpregs_struct fp;
	if (ptrace(PTRACE_GETFPREGS, pid, 0, &fp) == 0) {
		uint32_t mask = fp.mxcr_mask;
		memset(&fp, 0, sizeof(fp));
		fp.cwd = 0x37f;
		fp.mxcsr = 0x1f80;
		fp.mxcr_mask = mask;
		ptrace(PTRACE_SETFPREGS, pid, 0, &fp);
	}
	if (pt.systrap) {
		rc = systrap_spawn(ctx, st);
		if (rc)
			stub_kill(st);
	}
	return rc;
}

/* Queue the removal of every guest mapping: all below the stub region but the vDSO block. */
static int stub_queue_empty(struct stub *st)
{
	uint64_t vdso_hi = hv.n ? VDSO_GUEST_LO + (hv.hi[hv.n - 1] - hv.lo[0]) : 0;
	int rc = hv.n ? stub_queue(st, SYS_munmap, 0, VDSO_GUEST_LO, 0, 0, 0, 0)
		      : stub_queue(st, SYS_munmap, 0, STUB_BASE, 0, 0, 0, 0);
	if (!rc && hv.n)
		rc = stub_queue(st, SYS_munmap, vdso_hi, STUB_BASE - vdso_hi, 0, 0, 0, 0);
	return rc;
}

int plat_ctx_replay_begin(struct plat_ctx *ctx)
{
	struct stub *st = ctx->stub;
	struct plat_as *as = ctx->as;
	if (!st || !as)
		return -ENXIO;
	pthread_mutex_lock(&as->lock);
	struct pending_op *ops = st->pending;
	size_t n = st->npending;
	st->pending = NULL;
	st->npending = st->cap = 0;
	int rc = stub_queue_empty(st);
	pthread_mutex_unlock(&as->lock);
	pending_free(ops, n);
	return rc;
}

void plat_ctx_keep_stub(struct plat_ctx *ctx)
{
	struct stub *st = ctx->stub;
	struct plat_as *as = st ? st->as : NULL;
	if (!as || st->pid <= 0)
		return;
	pthread_mutex_lock(&as->lock);
	stub_unlink_locked(as, st);
	int rc = stub_queue_empty(st);
	pthread_mutex_unlock(&as->lock);
	st->as = NULL;
	st->next = NULL;
	ctx->as = NULL;
	st->spare = rc == 0;
}

/* A spare stub that died meanwhile (killed from outside): reaped, and true. */
static bool stub_exited(struct stub *st)
{
	siginfo_t si = { 0 };
	if (waitid(P_PID, (id_t)st->pid, &si, WEXITED | WNOHANG | __WALL) != 0 || si.si_pid != st->pid)
		return false;
	st->pid = 0;       /* reaped: never signalled again */
	return true;
}

/* A new stub for ctx, in no address space yet. */
static int ctx_spawn(struct plat_ctx *ctx, struct stub **out)
{
	struct stub *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->sock = -1;
	int rc = mf_alloc(stub_own_size(), &st->ops_off);
	if (rc) {
		free(st);
		return rc;
	}
	rc = stub_spawn(ctx, st);
	if (rc) {
		stub_free(st);
		return rc;
	}
	ctx->solo = false;          /* the new stub's guest thread runs on ctx's CPU */
	ctx->solo_streak = 0;
	pthread_mutex_lock(&ctx->cpu_lock);
	ctx->cpu_pid = st->pid;
	pthread_mutex_unlock(&ctx->cpu_lock);
	*out = st;
	return 0;
}

int plat_ctx_attach(struct plat_ctx *ctx, struct plat_as *as)
{
	if (ctx->stub && ctx->stub->as == as && ctx->stub->pid > 0)
		return 0;
	if (ctx->stub && ctx->stub->spare && ctx->stub->pid > 0 && !stub_exited(ctx->stub)) {
		/* The stub kept across an execve (or made early), emptied: it serves the new space. */
		ctx->stub->spare = false;
		stub_join(ctx->stub, as, ctx);
		return 1;
	}
	ctx_detach(ctx);
	struct stub *st;
	int rc = ctx_spawn(ctx, &st);
	if (rc)
		return rc;
	stub_join(st, as, ctx);
	return 1;
}

int plat_ctx_prepare(struct plat_ctx *ctx)
{
	if (ctx->stub)
		return 0;
	struct stub *st;
	int rc = ctx_spawn(ctx, &st);
	if (rc)
		return rc;
	st->spare = true;           /* empty: the first plat_ctx_attach takes it */
	ctx->stub = st;
	return 0;
}

/* Linux's encoding of another process's CPU clocks (MAKE_PROCESS_CPUCLOCK). */
#define PROCESS_CPUCLOCK(pid, which) ((clockid_t)(~(uint32_t)(pid) << 3 | (which)))
#define CPUCLOCK_PROF 0
#define CPUCLOCK_VIRT 1
#define CPUCLOCK_SCHED 2

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * A live stub's CPU time. The process clocks give the precise total
 * (SCHED) and the tick-sampled user and user+system split (VIRT, PROF);
 * the total is divided in the split's proportion, as Linux's
 * cputime_adjust does for getrusage.
 */
uint64_t stub_user_cpu(pid_t pid)
{
	return clock_ns(PROCESS_CPUCLOCK(pid, CPUCLOCK_VIRT));
}

static void stub_cpu_time(pid_t pid, uint64_t *user, uint64_t *sys)
{
	uint64_t total = clock_ns(PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED));
	uint64_t virt = clock_ns(PROCESS_CPUCLOCK(pid, CPUCLOCK_VIRT));
	uint64_t prof = clock_ns(PROCESS_CPUCLOCK(pid, CPUCLOCK_PROF));
	uint64_t stime = prof > virt ? prof - virt : 0;
	if (stime == 0 || virt == 0) {
		*user = stime == 0 ? total : 0;
	} else {
		*user = (uint64_t)((unsigned __int128)total * virt / prof);
	}
	*sys = total - *user;
}

void plat_ctx_cpu_time(struct plat_ctx *ctx, uint64_t *user_ns, uint64_t *sys_ns)
{
	uint64_t u = 0, s = 0;
	pthread_mutex_lock(&ctx->cpu_lock);
	if (ctx->cpu_pid > 0)
		stub_cpu_time(ctx->cpu_pid, &u, &s);
	*user_ns = ctx->cpu_user + u;
	*sys_ns = ctx->cpu_sys + s;
	pthread_mutex_unlock(&ctx->cpu_lock);
	/* The guest thread's spinning in its handler is the platform's, not the guest's. */
	uint64_t spin = pt.systrap ? systrap_stub_spin_ns(ctx) : 0;
	*user_ns -= spin < *user_ns ? spin : *user_ns;
}

uint64_t plat_ctx_wait_cpu_ns(struct plat_ctx *ctx)
{
	return pt.systrap ? systrap_sentry_spin_ns(ctx) : 0;
}

/*
 * Wait for the stub's next stop, skipping (and suppressing) asynchronous
 * signals that are not what we wait for. Returns 0 with *status.
 */
static int stub_wait_trap(pid_t pid, int *status)
{
	for (;;) {
		int rc = wait_stop(pid, status);
		if (rc)
			return rc;
		if (!WIFSTOPPED(*status))
			return -ECHILD;
		if (WSTOPSIG(*status) == SIGTRAP)
			return 0;
		/* Any other signal during injection: drop it and go on. */
		if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
			return -errno;
	}
}

/* The fd number the k-th (0-based) file of a stub's recvmsg gets: the lowest free ones. */
static uint64_t stub_recv_fd(int k)
{
	int fd = -1;
	for (int i = 0; i <= k; i++) {
		fd++;
		while (fd == pt.memfd || fd == pt.stub_sock)
			fd++;
	}
	return (uint64_t)fd;
}

/*
 * Send the k host files of the next batch to the stub in one message, and
 * lay out the stub's receive (msghdr, control buffer) in its scratch page.
 */
static int stub_send_fds(struct stub *st, const int *fds, int k)
{
	struct msghdr *rm = mf_ptr(st->ops_off + STUB_OPS_SIZE);
	memset(rm, 0, sizeof(*rm));
	rm->msg_control = (void *)(STUB_SCRATCH_ADDR + CMSG_ALIGN(sizeof(*rm)));
	rm->msg_controllen = CMSG_SPACE(k * sizeof(int));
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(STUB_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr sm = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = CMSG_SPACE(k * sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&sm);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(k * sizeof(int));
	memcpy(CMSG_DATA(c), fds, k * sizeof(int));
	ssize_t r;
	do
		r = sendmsg(st->sock, &sm, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : r < 0 ? -errno : -EIO;
}

int stub_call(struct stub *st, struct user_regs_struct *r)
{
	int status;
	if (ptrace(PTRACE_SETREGS, st->pid, 0, r) < 0 || ptrace(PTRACE_CONT, st->pid, 0, 0) < 0)
		return -errno;
	int rc = stub_wait_trap(st->pid, &status);
	if (rc)
		return rc;
	return ptrace(PTRACE_GETREGS, st->pid, 0, r) < 0 ? -errno : 0;
}

/*
 * Run the n operations at the stub's op pages in one stop; 0 or -errno.
 * *last (if not NULL) gets the last one's result, *cloned (if not NULL)
 * a clone op's (the new process's pid).
 */
static int stub_run_batch(struct stub *st, size_t n, long *last, long *cloned)
{
	struct user_regs_struct r = st->stub_regs;
	r.rip = STUB_ADDR(stub_batch);
	r.r12 = STUB_OPS_ADDR;
	r.r13 = n;
	r.r14 = 0;
	r.r15 = 0;
	int rc = stub_call(st, &r);
	if (rc)
		return rc;
	if (cloned)
		*cloned = (long)r.r15;  /* even when a later op failed */
	if (r.r14 != n)
		return (long)r.rax < 0 ? (int)r.rax : -EIO;
	if (last)
		*last = (long)r.rax;
	return 0;
}

/* Take st's queue (as->lock held): *n operations, the caller's to run or free. */
static struct pending_op *stub_take_locked(struct stub *st, size_t *n)
{
	struct pending_op *ops = st->pending;
	*n = st->npending;
	st->pending = NULL;
	st->npending = st->cap = 0;
	return ops;
}

/*
 * Run (and free) operations taken from a stub's queue, as many per stop
 * as the op pages hold. A batch that maps host files receives them first
 * and closes them last. A clone op (a seed's fork, last in the queue,
 * with the seed's socket end as its file) gives the new process's pid in
 * *cloned and the number that file has in it in *clone_fd (the only one
 * it receives; the rest of the batch closes the stub's own copy).
 */
static int stub_run_ops(struct stub *st, struct pending_op *ops, size_t nops, long *cloned,
			int *clone_fd)
{
	int rc = 0;
	for (size_t i = 0; i < nops && !rc;) {
		/* The longest run of operations that fits, with its receive and closes. */
		size_t j = i;
		int k = 0;
		while (j < nops) {
			int nk = k + (ops[j].fd >= 0);
			if ((j - i + 1) + (nk ? 1 + nk : 0) > STUB_OPS_MAX || nk > STUB_FDS_MAX)
				break;
			/* A fork's batch receives no other file: its child keeps what it received. */
			if (ops[j].op.nr == SYS_clone && k)
				break;
			k = nk;
			j++;
		}
		struct stub_op *out = mf_ptr(st->ops_off);
		int fds[STUB_FDS_MAX];
		size_t n = 0;
		int got = 0;
		if (k)
			out[n++] = (struct stub_op){ SYS_recvmsg,
						     { (uint64_t)pt.stub_sock, STUB_SCRATCH_ADDR,
						       STUB_RECV_FLAGS } };
		bool clones = false;
		for (; i < j; i++) {
			out[n] = ops[i].op;
			if (ops[i].op.nr == SYS_clone) {
				clones = true;
				if (clone_fd)
					*clone_fd = (int)stub_recv_fd(got);
			}
			if (ops[i].fd >= 0) {
				if (ops[i].op.nr != SYS_clone)
					out[n].a[4] = stub_recv_fd(got);
				fds[got++] = ops[i].fd;
			}
			n++;
		}
		for (int x = 0; x < k; x++)
			out[n++] = (struct stub_op){ SYS_close, { stub_recv_fd(x) } };
		if (k)
			rc = stub_send_fds(st, fds, k);
		if (!rc)
			rc = stub_run_batch(st, n, NULL, clones ? cloned : NULL);
		if (rc && clones && cloned && *cloned < 0 && rc != -ECHILD) {
			/* The fork itself failed, the rest done: the received files go, the stub stays. */
			for (int x = 0; x < k; x++)
				out[x] = (struct stub_op){ SYS_close, { stub_recv_fd(x) } };
			if (stub_run_batch(st, (size_t)k, NULL, NULL) == 0)
				k = 0;
		}
		if (rc && k && rc != -ECHILD) {
			/* It may hold host files now: it must not run the guest again. */
			stub_kill(st);
			rc = -ESRCH;
		}
	}
	pending_free(ops, nops);
	return rc;
}

/* Run the stub's queued mapping operations (taken from the queue under the lock). */
static int stub_flush(struct plat_as *as, struct stub *st)
{
	size_t nops;
	pthread_mutex_lock(&as->lock);
	struct pending_op *ops = stub_take_locked(st, &nops);
	pthread_mutex_unlock(&as->lock);
	return stub_run_ops(st, ops, nops, NULL, NULL);
}

/* Keep pid (0: this thread) on cpu (-1: leave it where it may run). */
static void pin_cpu(pid_t pid, int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

/* ---- seeds: a new task's stub forked from its creator's ---- */

/*
 * A seed. A new guest thread shares its creator's address space, which
 * the creator's stub already mirrors: forking that stub gives the new
 * thread's stub every mapping, where making one from the sentry costs a
 * fork, the stub's set-up and a replay of every mapping (hundreds of
 * host calls for a JVM). A forked child's new address space starts as a
 * copy of its parent's (mm_fork_mirrors): the parent's stub, its queue
 * applied, mirrors that too. The creator's sentry thread forks it while
 * it serves the clone (plat_ctx_seed); the fork waits for the new task's
 * sentry thread, which seizes it, gives it its own stub pages and socket
 * and its guest thread (plat_ctx_adopt). Seccomp-trap mode only.
 */
struct plat_seed {
	struct stub *st;            /* listed on as (seeding) from before the fork */
	int fd;                     /* its own socket's end, at this number in it */
};

/* List st on as as a seed (as->lock held): what is queued on as from now on reaches it. */
static void seed_list_locked(struct plat_as *as, struct stub *st)
{
	st->as = as;
	st->seeding = true;
	st->next = as->stubs;
	as->stubs = st;
}

/* Unlist and free a seed's stub, killing its process if it has one (any thread). */
static void seed_free(struct stub *st)
{
	struct plat_as *as = st->as;
	if (as) {
		pthread_mutex_lock(&as->lock);
		stub_unlink_locked(as, st);
		st->seeding = false;
		pthread_mutex_unlock(&as->lock);
	}
	stub_free(st);
}

/*
 * Set when PTRACE_SEIZE of a seed is refused: a sentry without
 * CAP_SYS_PTRACE cannot seize a non-dumpable process it did not fork
 * itself (every stub is non-dumpable, and a seed is its creator's fork).
 */
static bool seeds_refused;

struct plat_seed *plat_ctx_seed(struct plat_ctx *ctx, struct plat_as *as, const uint64_t *since)
{
	struct stub *parent = ctx->stub;
	struct plat_as *own = ctx->as;
	if (!pt.systrap || __atomic_load_n(&seeds_refused, __ATOMIC_RELAXED) || !parent || !own ||
	    !as || parent->as != own || parent->pid <= 0)
		return NULL;
	struct plat_seed *seed = calloc(1, sizeof(*seed));
	struct stub *st = calloc(1, sizeof(*st));
	int sv[2] = { -1, -1 };
	if (!seed || !st || mf_alloc(stub_own_size(), &st->ops_off)) {
		free(seed);
		free(st);
		return NULL;
	}
	seed->st = st;
	st->sock = -1;
	st->stub_regs = parent->stub_regs;
	/*
	 * A thread's seed is listed as the creator's queue is taken, in one
	 * hold of the lock: an operation queued before is applied to the
	 * creator before the fork, one queued after reaches the seed's own
	 * queue; none is applied to it twice (an mprotect of what a later
	 * munmap removed would fail). A child's address space is new and
	 * nothing else reaches it yet: it must have no stub, and everything
	 * queued on it from now on is the seed's.
	 */
	if (as != own) {
		pthread_mutex_lock(&as->lock);
		bool fresh = !as->stubs;
		if (fresh)
			seed_list_locked(as, st);
		pthread_mutex_unlock(&as->lock);
		if (!fresh) {
			plat_seed_drop(seed);
			return NULL;
		}
	}
	size_t nops;
	pthread_mutex_lock(&own->lock);
	/*
	 * A child's copy was made at a count of the creator's changes: one
	 * queued since (another process wrote into the creator's memory and
	 * broke a copy-on-write range, say) is not the child's, and the fork
	 * would carry it over. The child then gets its stub as usual.
	 */
	if (since && own->changes != *since) {
		pthread_mutex_unlock(&own->lock);
		plat_seed_drop(seed);
		return NULL;
	}
	if (as == own)
		seed_list_locked(as, st);
	struct pending_op *ops = stub_take_locked(parent, &nops);
	pthread_mutex_unlock(&own->lock);
	/*
	 * The queue, then the fork (a child of the sentry, as every stub), in
	 * the queue's last batch: it receives the seed's socket end with any
	 * host files and closes its own copy again with them. A failure in
	 * the creator's stub (its queue lost, the batch cut short) kills it.
	 */
	int rc = socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0 ? -errno : 0;
	struct pending_op *all = rc ? NULL : realloc(ops, (nops + 1) * sizeof(*ops));
	if (all) {
		ops = all;
		st->sock = sv[0];
		ops[nops++] = (struct pending_op){ { SYS_clone, { CLONE_PARENT | SIGCHLD } }, sv[1] };
	} else if (!rc) {
		rc = -ENOMEM;
		close(sv[0]);
		close(sv[1]);
	}
	/* Without the fork the queue still runs: its operations are the creator's. */
	long pid = 0;
	int fd = -1;
	int orc = stub_run_ops(parent, ops, nops, &pid, &fd);   /* frees ops (and sv[1]) */
	if (pid > 0)
		st->pid = (pid_t)pid;   /* killed by seed_free if anything failed */
	if (!rc)
		rc = orc ? orc : pid > 0 ? 0 : -EIO;
	/* A fork that failed by itself (the host's pid limit) leaves the creator's stub as it was. */
	bool parent_bad = orc != 0 && !(pid < 0 && parent->pid > 0);
	if (rc) {
		/* The creator's stub must not run the guest in an unknown state. */
		struct plat_event ev;
		if (parent_bad && orc == -ECHILD)
			stub_died(ctx, parent, true, &ev);      /* reaped by the wait */
		else if (parent_bad)
			stub_kill(parent);
		plat_seed_drop(seed);
		return NULL;
	}
	seed->fd = fd;
	return seed;
}

void plat_seed_drop(struct plat_seed *seed)
{
	if (!seed)
		return;
	seed_free(seed->st);
	free(seed);
}

int plat_ctx_adopt(struct plat_ctx *ctx, struct plat_as *as, struct plat_seed *seed)
{
	struct stub *st = seed->st;
	int fd = seed->fd;
	free(seed);
	int rc = 0, status;
	if (ctx->stub || st->as != as || st->pid <= 0)
		rc = -EINVAL;
	if (!rc && ptrace(PTRACE_SEIZE, st->pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0) {
		rc = -errno;
		/*
		 * A seed whose wait ran out (a stopped or frozen sandbox) is a
		 * zombie, which no one can seize either: only a live one tells
		 * that this sentry may not.
		 */
		if (rc == -EPERM && waitpid(st->pid, &status, WNOHANG | __WALL) == st->pid)
			rc = -ECHILD;
		else if (rc == -EPERM)
			__atomic_store_n(&seeds_refused, true, __ATOMIC_RELAXED);
	}
	if (!rc && ptrace(PTRACE_INTERRUPT, st->pid, 0, 0) < 0)
		rc = -errno;
	if (!rc)
		rc = wait_stop(st->pid, &status);
	if (!rc && !WIFSTOPPED(status)) {
		st->pid = 0;            /* it exited (its wait timed out): reaped */
		rc = -ECHILD;
	}
	if (!rc && status >> 16 != PTRACE_EVENT_STOP)
		rc = -EPROTO;
	if (!rc)
		pin_cpu(st->pid, ctx->cpu);     /* its guest thread inherits it */
	if (!rc) {
		/*
		 * In one stop: its own op, scratch and channel pages, and socket,
		 * over its creator's, the membarrier registrations, and its guest
		 * thread, which starts from the channel laid out here.
		 */
		st->tracer = ctx->tid;
		systrap_chan_init(st);
		struct user_regs_struct r = st->stub_regs;
		r.rip = STUB_ADDR(stub_rebase);
		r.r12 = st->ops_off;
		r.r13 = (uint64_t)fd;
		r.r14 = (uint64_t)pt.memfd;
		r.r15 = (uint64_t)pt.stub_sock;
		r.rbp = 0;
		if (host_mb_cmd == HOST_MB_GLOBAL_EXPEDITED)
			r.rbp = HOST_MB_REGISTER_GLOBAL_EXPEDITED |
				(host_mb_sync_core ? (uint64_t)HOST_MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
						     << 32 : 0);
		rc = stub_call(st, &r);
		if (!rc && r.rbx != 8)
			rc = (long)r.rax < 0 ? (int)r.rax : -EIO;
		if (!rc) {
			pthread_mutex_lock(&as->lock);
			st->ctx = ctx;
			pthread_mutex_unlock(&as->lock);
			ctx->solo = false;
			ctx->solo_streak = 0;
			pthread_mutex_lock(&ctx->cpu_lock);
			ctx->cpu_pid = st->pid;
			pthread_mutex_unlock(&ctx->cpu_lock);
			rc = systrap_seed_spawned(ctx, st, (pid_t)r.rax);
		}
	}
	if (rc) {
		if (rc == -ECHILD)
			st->pid = 0;            /* reaped by the wait that saw it exit */
		pthread_mutex_lock(&ctx->cpu_lock);
		ctx->cpu_pid = 0;
		pthread_mutex_unlock(&ctx->cpu_lock);
		st->ctx = NULL;
		seed_free(st);
		return rc;
	}
	pthread_mutex_lock(&as->lock);
	st->seeding = false;
	pthread_mutex_unlock(&as->lock);
	ctx->as = as;
	ctx->stub = st;
	return 0;
}

/* ---- contexts ---- */

/*
 * CPU placement. Each context keeps its thread and the stubs it forks on
 * one CPU: a same-CPU ptrace round trip is several times cheaper than a
 * cross-CPU one. A new context takes its creator's CPU (a child its
 * parent's, a thread its creator's: what waits on what stays on one CPU)
 * unless another CPU the sentry may use carries at least CPU_SPREAD fewer
 * contexts: then the least loaded, so that a sandbox's processes and
 * threads run on every CPU (make -j2, a thread pool) rather than all on
 * the one the first process started on.
 */
#define CPU_SPREAD 2
static struct {
	pthread_once_t once;
	cpu_set_t allowed;          /* the sentry's CPUs before any pinning */
	pthread_mutex_t lock;
	int *load;                  /* live contexts per CPU (CPU_SETSIZE entries); NULL: no placement */
} cpus = { .once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER };

static void cpus_init(void)
{
	/* The process's mask, which pinned threads do not change: pid 0 would be this thread's. */
	if (sched_getaffinity(getpid(), sizeof(cpus.allowed), &cpus.allowed) == 0)
		cpus.load = calloc(CPU_SETSIZE, sizeof(*cpus.load));
}

/* The CPU for a new context created on CPU here (its load counted), or -1. */
static int cpu_pick(int here)
{
	pthread_once(&cpus.once, cpus_init);
	if (here < 0 || here >= CPU_SETSIZE || !cpus.load)
		return here;
	pthread_mutex_lock(&cpus.lock);
	int least = -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &cpus.allowed) && (least < 0 || cpus.load[c] < cpus.load[least]))
			least = c;
	int pick = here;
	if (!CPU_ISSET(here, &cpus.allowed) || cpus.load[here] - cpus.load[least] >= CPU_SPREAD)
		pick = least;
	cpus.load[pick]++;
	pthread_mutex_unlock(&cpus.lock);
	return pick;
}

bool cpus_other_than(int cpu, cpu_set_t *set)
{
	pthread_once(&cpus.once, cpus_init);
	if (!cpus.load || cpu < 0 || cpu >= CPU_SETSIZE)
		return false;
	*set = cpus.allowed;
	CPU_CLR(cpu, set);
	return CPU_COUNT(set) > 0;
}

static void cpu_unpick(int cpu)
{
	if (cpu < 0 || cpu >= CPU_SETSIZE || !cpus.load)
		return;
	pthread_mutex_lock(&cpus.lock);
	if (cpus.load[cpu] > 0)
		cpus.load[cpu]--;
	pthread_mutex_unlock(&cpus.lock);
}

struct plat_ctx *plat_ctx_create(void)
{
	struct plat_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->tid = gettid();
	pthread_mutex_init(&ctx->cpu_lock, NULL);
	ctx->cpu = cpu_pick(sched_getcpu());
	pin_cpu(0, ctx->cpu);
	return ctx;
}

void plat_ctx_release(struct plat_ctx *ctx)
{
	if (!ctx)
		return;
	ctx_detach(ctx);
	cpu_unpick(ctx->cpu);
	pthread_mutex_destroy(&ctx->cpu_lock);
	free(ctx);
}

void plat_ctx_interrupt(struct plat_ctx *ctx)
{
	pid_t pid = ctx->running_pid, tid = ctx->running_tid;
	if (pid > 0 && tid > 0) {
		if (pt.systrap)
			systrap_interrupted(ctx);
		syscall(SYS_tgkill, pid, tid, INTERRUPT_SIGNAL);
	}
}

bool fault_event(int sig, int si_code, uint64_t addr, struct plat_event *ev)
{
	/* si_code > 0: raised by the kernel for an instruction the guest ran. */
	if (si_code <= 0 || (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE &&
			     sig != SIGTRAP && sig != SIGSYS))
		return false;
	ev->kind = PLAT_EV_FAULT;
	ev->signo = sig;
	ev->si_code = si_code;
	ev->addr = addr;
	return true;
}

static void regs_to_host(const struct guest_regs *g, const struct stub *st,
			 struct user_regs_struct *h)
{
	_Static_assert(sizeof(*g) == sizeof(*h), "guest_regs must match user_regs_struct");
	memcpy(h, g, sizeof(*h));
	/* The guest never chooses its segments: 64-bit user code and data. */
	h->cs = st->stub_regs.cs;
	h->ss = st->stub_regs.ss;
	h->ds = h->es = h->fs = h->gs = 0;
	h->eflags = GUEST_EFLAGS(g->eflags);
}

/*
 * The stub is gone: killed from outside (the host's OOM killer under the
 * sandbox's memory cgroup, an administrator's kill). Reap it unless
 * wait_stop already has, and report PLAT_EV_DIED.
 */
int stub_died(struct plat_ctx *ctx, struct stub *st, bool reaped, struct plat_event *ev)
{
	if (reaped) {
		/* Its CPU time is lost, and it is no longer sampled. */
		pthread_mutex_lock(&ctx->cpu_lock);
		ctx->cpu_pid = 0;
		pthread_mutex_unlock(&ctx->cpu_lock);
		st->pid = 0;
	} else {
		stub_kill(st);
	}
	memset(ev, 0, sizeof(*ev));
	ev->kind = PLAT_EV_DIED;
	return 0;
}

/*
 * A ptrace request on a stub that was stopped failed: ESRCH means it was
 * killed meanwhile (SIGKILL takes a tracee out of its stop).
 */
static int stub_failed(struct plat_ctx *ctx, struct stub *st, int err, struct plat_event *ev)
{
	if (err == ESRCH)
		return stub_died(ctx, st, false, ev);
	return -err;
}

int plat_ctx_switch(struct plat_ctx *ctx, struct plat_as *as, struct guest_regs *regs,
		    struct plat_event *ev)
{
	int rc;
	if (!ctx->stub || ctx->stub->as != as || ctx->stub->pid <= 0)
		return -ENXIO;      /* plat_ctx_attach first */
	struct stub *st = ctx->stub;
	if (st->npending) {
		rc = stub_flush(as, st);
		/* -ECHILD: it exited instead of stopping (and is reaped). */
		if (rc == -ECHILD)
			return stub_died(ctx, st, true, ev);
		if (rc)
			return stub_failed(ctx, st, -rc, ev);
	}
	if (pt.systrap)
		return systrap_switch(ctx, st, regs, ev);
	struct user_regs_struct h;
	regs_to_host(regs, st, &h);
	if (ptrace(PTRACE_SETREGS, st->pid, 0, &h) < 0)
		return stub_failed(ctx, st, errno, ev);
	ctx->running_pid = ctx->running_tid = st->pid;
	if (ptrace(PTRACE_SYSEMU, st->pid, 0, 0) < 0) {
		ctx->running_pid = ctx->running_tid = 0;
		return stub_failed(ctx, st, errno, ev);
	}
	int status;
	rc = wait_stop(st->pid, &status);
	ctx->running_pid = ctx->running_tid = 0;
	if (rc)
		return rc;
	memset(ev, 0, sizeof(*ev));
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return stub_died(ctx, st, true, ev);
	if (ptrace(PTRACE_GETREGS, st->pid, 0, &h) < 0)
		return stub_failed(ctx, st, errno, ev);
	memcpy(regs, &h, sizeof(h));
	int sig = WSTOPSIG(status);
	if (sig == (SIGTRAP | 0x80)) {
		/*
		 * The syscall instruction in 64-bit code leaves the return
		 * address in rcx and the flags in r11, as the stop shows them: a
		 * 64-bit call, without asking. Anything else may be int 0x80 or
		 * 32-bit code (the 32-bit table). A guest faking this for int 0x80
		 * only gets the 64-bit call it could have made itself.
		 */
		if (h.rcx == h.rip && h.r11 == h.eflags && h.cs == st->stub_regs.cs) {
			ev->kind = PLAT_EV_SYSCALL;
			return 0;
		}
		struct __ptrace_syscall_info info;
		long n = ptrace(PTRACE_GET_SYSCALL_INFO, st->pid, sizeof(info), &info);
		if (n < 0)
			return stub_failed(ctx, st, errno, ev);
		ev->kind = info.arch == AUDIT_ARCH_X86_64 ? PLAT_EV_SYSCALL : PLAT_EV_SYSCALL32;
		return 0;
	}
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, st->pid, 0, &si) < 0)
		return stub_failed(ctx, st, errno, ev);
	if (fault_event(sig, si.si_code, (uint64_t)si.si_addr, ev))
		return 0;
	/* Anything else (our interrupt, a stray host signal) is suppressed. */
	ev->kind = PLAT_EV_INTERRUPT;
	ev->signo = sig;
	return 0;
}

long plat_ctx_get_fpstate(struct plat_ctx *ctx, void *buf, size_t cap)
{
	if (!ctx->stub || ctx->stub->pid <= 0)
		return -ESRCH;
	if (pt.systrap)
		return systrap_get_fpstate(ctx, ctx->stub, buf, cap);
	struct iovec iov = { buf, cap };
	if (ptrace(PTRACE_GETREGSET, ctx->stub->pid, NT_X86_XSTATE, &iov) < 0)
		return -errno;
	return iov.iov_len;
}

int plat_ctx_set_fpstate(struct plat_ctx *ctx, const void *buf, size_t len)
{
	if (!ctx->stub || ctx->stub->pid <= 0)
		return -ESRCH;
	if (pt.systrap)
		return systrap_set_fpstate(ctx, ctx->stub, buf, len);
	struct iovec iov = { (void *)buf, len };
	if (ptrace(PTRACE_SETREGSET, ctx->stub->pid, NT_X86_XSTATE, &iov) < 0)
		return errno == EFAULT ? -EINVAL : -errno;
	return 0;
}
