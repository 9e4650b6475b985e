/*
 * seccomp(2) for guests.
 *
 * Programs. A filter is a classic-BPF program checked at install time as
 * Linux does (net/core/filter.c's bpf_check_classic, then kernel/seccomp.c's
 * seccomp_check_filter): 1..BPF_MAXINSNS instructions, only the opcodes a
 * seccomp program may use, jumps forward and inside the program, no scratch
 * word read before it is written on some path, a RET at the end. The
 * interpreter then only ever moves forward, so a run takes at most `len`
 * steps; it also guards every index, so no program can make it fault.
 *
 * Chains. A task holds a reference to the newest filter of its chain; each
 * filter holds one to the filter before it. Filters never change once
 * installed, so fork and clone share the chain and a TSYNC hands the
 * caller's chain to its siblings. Every filter of the chain runs on each
 * syscall and the action with the highest precedence wins.
 *
 * Not supported: user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER is
 * refused with EINVAL, so SECCOMP_RET_USER_NOTIF always finds no listener)
 * and ptrace's PTRACE_EVENT_SECCOMP (SECCOMP_RET_TRACE always finds no
 * tracer); both then fail the syscall with ENOSYS, as Linux does.
 */
#include <errno.h>
#include <linux/audit.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/seccomp.h"
#include "sentry/signal.h"
#include "syscalls/table.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#define FILTER_FLAGS (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | \
		      SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER | \
		      SECCOMP_FILTER_FLAG_TSYNC_ESRCH | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
#define MAX_INSNS_PER_PATH 32768      /* Linux: (1 << 18) / sizeof(struct sock_filter) */
#define MAX_ERRNO 4095
/* Linux compares actions as signed ints: the lowest wins (KILL_PROCESS first). */
#define ACTION_ONLY(r) ((int32_t)((r) & SECCOMP_RET_ACTION_FULL))

struct seccomp_filter {
	int refs;                          /* atomic */
	bool log;                          /* SECCOMP_FILTER_FLAG_LOG */
	int count;                         /* filters in the chain ending here */
	unsigned path_len;                 /* sum of len + 4 over the chain (MAX_INSNS_PER_PATH) */
	struct seccomp_filter *prev;       /* a reference; NULL for the first */
	unsigned len;
	struct sock_filter insns[];
};

/* ---- checking ---- */

static bool is_cond_jump(uint16_t code)
{
	switch (code) {
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	}
	return false;
}

/* One instruction on its own: its opcode is one seccomp allows and its operands fit. */
static int check_insn(const struct sock_filter *f, unsigned pc, unsigned len)
{
	switch (f->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		/* 32-bit aligned, inside struct seccomp_data. */
		return f->k >= sizeof(struct seccomp_data) || (f->k & 3) ? -EINVAL : 0;
	case BPF_ALU | BPF_DIV | BPF_K:
		return f->k == 0 ? -EINVAL : 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		return f->k >= 32 ? -EINVAL : 0;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		return f->k >= BPF_MEMWORDS ? -EINVAL : 0;
	case BPF_JMP | BPF_JA:
		return f->k >= len - pc - 1 ? -EINVAL : 0;
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_ALU | BPF_NEG:
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_X:
		return 0;
	}
	/*
	 * BPF_MOD is not here: classic BPF has it, but Linux's
	 * seccomp_check_filter does not list it (checked on 6.18: EINVAL).
	 */
	if (is_cond_jump(f->code))
		return pc + f->jt + 1 >= len || pc + f->jf + 1 >= len ? -EINVAL : 0;
	return -EINVAL;
}

/*
 * Linux's check_load_and_stores: follow which scratch words are surely
 * written, meeting the paths at jump targets; a load of any other is an
 * error. Instructions are checked already (k < BPF_MEMWORDS, jumps inside).
 */
static int check_scratch(const struct sock_filter *insns, unsigned len)
{
	uint16_t masks[BPF_MAXINSNS];
	uint16_t valid = 0;
	memset(masks, 0xff, len * sizeof(masks[0]));
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &insns[pc];
		valid &= masks[pc];
		switch (f->code) {
		case BPF_ST:
		case BPF_STX:
			valid |= 1U << f->k;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & (1U << f->k)))
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JA:
			masks[pc + 1 + f->k] &= valid;
			valid = 0xffff;
			break;
		default:
			if (is_cond_jump(f->code)) {
				masks[pc + 1 + f->jt] &= valid;
				masks[pc + 1 + f->jf] &= valid;
				valid = 0xffff;
			}
		}
	}
	return 0;
}

int seccomp_check(const struct sock_filter *insns, unsigned len)
{
	if (len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (unsigned pc = 0; pc < len; pc++)
		if (check_insn(&insns[pc], pc, len))
			return -EINVAL;
	uint16_t last = insns[len - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
		return -EINVAL;
	return check_scratch(insns, len);
}

/* ---- running ---- */

static uint32_t alu(uint16_t op, uint32_t a, uint32_t v, bool *div0)
{
	switch (op) {
	case BPF_ADD: return a + v;
	case BPF_SUB: return a - v;
	case BPF_MUL: return a * v;
	case BPF_DIV:
		if (!v) {
			*div0 = true;     /* Linux's converted program returns 0 */
			return 0;
		}
		return a / v;
	case BPF_AND: return a & v;
	case BPF_OR: return a | v;
	case BPF_XOR: return a ^ v;
	/* A shift by X uses its low 5 bits, as x86's 32-bit shifts (Linux's JIT). */
	case BPF_LSH: return a << (v & 31);
	case BPF_RSH: return a >> (v & 31);
	case BPF_NEG: return -a;
	}
	*div0 = true;
	return 0;
}

static bool jump_taken(uint16_t op, uint32_t a, uint32_t v)
{
	switch (op) {
	case BPF_JEQ: return a == v;
	case BPF_JGT: return a > v;
	case BPF_JGE: return a >= v;
	case BPF_JSET: return (a & v) != 0;
	}
	return false;
}

uint32_t seccomp_run(const struct sock_filter *insns, unsigned len, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &insns[pc];
		uint32_t k = f->k;
		uint32_t v = BPF_SRC(f->code) == BPF_X ? x : k;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
				if (k > sizeof(*d) - 4)
					return SECCOMP_RET_KILL_PROCESS;
				memcpy(&a, (const uint8_t *)d + k, 4);    /* native endianness */
			} else if (f->code == (BPF_LD | BPF_W | BPF_LEN)) {
				a = sizeof(*d);
			} else if (f->code == (BPF_LD | BPF_MEM)) {
				a = mem[k % BPF_MEMWORDS];
			} else {
				a = k;
			}
			break;
		case BPF_LDX:
			if (f->code == (BPF_LDX | BPF_W | BPF_LEN))
				x = sizeof(*d);
			else if (f->code == (BPF_LDX | BPF_MEM))
				x = mem[k % BPF_MEMWORDS];
			else
				x = k;
			break;
		case BPF_ST:
			mem[k % BPF_MEMWORDS] = a;
			break;
		case BPF_STX:
			mem[k % BPF_MEMWORDS] = x;
			break;
		case BPF_ALU: {
			bool div0 = false;
			a = alu(BPF_OP(f->code), a, v, &div0);
			if (div0)
				return 0;
			break;
		}
		case BPF_JMP:
			/* Only forward: pc grows each step, so the loop ends. */
			if (BPF_OP(f->code) == BPF_JA)
				pc += k;
			else
				pc += jump_taken(BPF_OP(f->code), a, v) ? f->jt : f->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? a : k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return SECCOMP_RET_KILL_PROCESS;     /* fell off the end: never for a checked program */
}

/* ---- chains ---- */

static struct seccomp_filter *filter_alloc(const struct sock_filter *insns, unsigned len, bool log)
{
	struct seccomp_filter *f = malloc(sizeof(*f) + len * sizeof(insns[0]));
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->refs = 1;
	f->log = log;
	f->count = 1;
	f->len = len;
	f->path_len = len + 4;
	memcpy(f->insns, insns, len * sizeof(insns[0]));
	return f;
}

/* Put f on top of prev, taking the reference given (prev may be NULL). */
static void filter_link(struct seccomp_filter *f, struct seccomp_filter *prev)
{
	f->prev = prev;
	if (prev) {
		f->count = prev->count + 1;
		f->path_len = prev->path_len + f->len + 4;
	}
}

struct seccomp_filter *seccomp_filter_new(const struct sock_filter *insns, unsigned len,
					  struct seccomp_filter *prev, bool log)
{
	struct seccomp_filter *f = filter_alloc(insns, len, log);
	if (f)
		filter_link(f, seccomp_filter_get(prev));
	return f;
}

struct seccomp_filter *seccomp_filter_get(struct seccomp_filter *f)
{
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

void seccomp_filter_put(struct seccomp_filter *f)
{
	/* A loop rather than recursion: chains can be thousands long. */
	while (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct seccomp_filter *prev = f->prev;
		free(f);
		f = prev;
	}
}

int seccomp_filter_count(const struct seccomp_filter *f)
{
	return f ? f->count : 0;
}

static uint32_t chain_run(const struct seccomp_filter *f, const struct seccomp_data *d,
			  const struct seccomp_filter **match)
{
	uint32_t ret = SECCOMP_RET_ALLOW;
	for (; f; f = f->prev) {
		uint32_t cur = seccomp_run(f->insns, f->len, d);
		if (ACTION_ONLY(cur) < ACTION_ONLY(ret)) {
			ret = cur;
			*match = f;
		}
	}
	return ret;
}

uint32_t seccomp_filter_run(const struct seccomp_filter *f, const struct seccomp_data *d)
{
	const struct seccomp_filter *match = NULL;
	return chain_run(f, d, &match);
}

/* Linux's is_ancestor: parent is child or one of the filters under it (NULL: always). */
static bool is_ancestor(const struct seccomp_filter *parent, const struct seccomp_filter *child)
{
	if (!parent)
		return true;
	for (; child; child = child->prev)
		if (child == parent)
			return true;
	return false;
}

/* ---- the check before each syscall ---- */

static const char *action_name(uint32_t action)
{
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
	case SECCOMP_RET_KILL_THREAD: return "KILL_THREAD";
	case SECCOMP_RET_TRAP: return "TRAP";
	case SECCOMP_RET_ERRNO: return "ERRNO";
	case SECCOMP_RET_USER_NOTIF: return "USER_NOTIF";
	case SECCOMP_RET_TRACE: return "TRACE";
	case SECCOMP_RET_LOG: return "LOG";
	case SECCOMP_RET_ALLOW: return "ALLOW";
	}
	return "unknown action (KILL_PROCESS)";
}

/* Linux logs through audit; the sentry logs a line. */
static void log_action(struct task *t, int nr, uint32_t ret)
{
	slog("pid %d: seccomp: %s (%d): %s (data %u)", t->tid, syscall_name(nr), nr,
	     action_name(ret & SECCOMP_RET_ACTION_FULL), ret & SECCOMP_RET_DATA);
}

/* Linux's force_sig_seccomp without the core dump: SIGSYS to this thread. */
static void trap(struct task *t, int nr, uint32_t data)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGSYS;
	info.si_code = SYS_SECCOMP;
	info.si_errno = (int)data;
	info.si_call_addr = (void *)t->regs.rip;    /* after the syscall instruction */
	info.si_syscall = nr;
	info.si_arch = AUDIT_ARCH_X86_64;
	signal_force(t, &info);
}

/* Strict mode: read, write, _exit and rt_sigreturn; anything else is do_exit(SIGKILL). */
static bool strict_check(struct task *t, int nr)
{
	if (nr == 0 || nr == 1 || nr == 60 || nr == 15)
		return true;
	slog("pid %d: seccomp strict mode: %s (%d): SIGKILL", t->tid, syscall_name(nr), nr);
	task_exit_thread(t, SIGKILL);
	return false;
}

bool seccomp_syscall_check(struct task *t, const struct syscall_args *a, long *ret)
{
	*ret = -ENOSYS;
	int mode = __atomic_load_n(&t->seccomp_mode, __ATOMIC_ACQUIRE);
	if (mode == SECCOMP_MODE_STRICT)
		return strict_check(t, a->nr);
	struct seccomp_data d = {
		.nr = a->nr,
		.arch = AUDIT_ARCH_X86_64,
		.instruction_pointer = t->regs.rip,
	};
	memcpy(d.args, a->arg, sizeof(d.args));
	const struct seccomp_filter *match = NULL;
	uint32_t r = chain_run(__atomic_load_n(&t->seccomp_filter, __ATOMIC_ACQUIRE), &d, &match);
	uint32_t data = r & SECCOMP_RET_DATA;
	uint32_t action = r & SECCOMP_RET_ACTION_FULL;
	switch (action) {
	case SECCOMP_RET_ALLOW:
		return true;
	case SECCOMP_RET_LOG:
		log_action(t, a->nr, r);
		return true;
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_TRAP:
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		if (match && match->log)
			log_action(t, a->nr, r);
		if (action == SECCOMP_RET_ERRNO) {
			*ret = -(long)(data > MAX_ERRNO ? MAX_ERRNO : data);
		} else if (action == SECCOMP_RET_TRAP) {
			/*
			 * Linux's syscall_rollback: the handler sees rax as the
			 * syscall left it (its number), and so does the code after.
			 */
			*ret = (long)t->regs.orig_rax;
			trap(t, a->nr, data);
		}
		/* TRACE with no tracer, USER_NOTIF with no listener: ENOSYS, as Linux. */
		return false;
	case SECCOMP_RET_KILL_THREAD:
		/* The last thread takes the process with it (Linux: force_sig_seccomp, core). */
		log_action(t, a->nr, r);
		task_exit_thread(t, SIGSYS);
		return false;
	default:
		log_action(t, a->nr, r);
		task_exit_group(t, SIGSYS);
		return false;
	}
}

/* ---- seccomp(2) ---- */

static long set_mode_strict(struct task *t)
{
	long rc = -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	/* Linux's seccomp_may_assign_mode: no change from filter mode. */
	if (t->seccomp_mode == SECCOMP_MODE_DISABLED || t->seccomp_mode == SECCOMP_MODE_STRICT) {
		__atomic_store_n(&t->seccomp_mode, SECCOMP_MODE_STRICT, __ATOMIC_RELEASE);
		rc = 0;
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

struct tsync_arg {
	struct task *caller;
	int failed;                        /* the first thread that cannot take the chain */
};

/* Linux's seccomp_can_sync_threads, for one thread. */
static void tsync_check_locked(struct task *o, void *arg)
{
	struct tsync_arg *ta = arg;
	if (o->tg != ta->caller->tg || o == ta->caller || o->exited || ta->failed)
		return;
	if (o->seccomp_mode == SECCOMP_MODE_DISABLED ||
	    (o->seccomp_mode == SECCOMP_MODE_FILTER &&
	     is_ancestor(o->seccomp_filter, ta->caller->seccomp_filter)))
		return;
	ta->failed = o->tid;
}

/* Linux's seccomp_sync_threads, for one thread: the caller's chain and no_new_privs. */
static void tsync_apply_locked(struct task *o, void *arg)
{
	struct tsync_arg *ta = arg;
	struct task *c = ta->caller;
	if (o->tg != c->tg || o == c || o->exited)
		return;
	/* The old chain is an ancestor of the new one: a run over it in o stays safe. */
	struct seccomp_filter *old = o->seccomp_filter;
	__atomic_store_n(&o->seccomp_filter, seccomp_filter_get(c->seccomp_filter), __ATOMIC_RELEASE);
	seccomp_filter_put(old);
	if (c->cred.no_new_privs)
		o->cred.no_new_privs = true;
	if (o->seccomp_mode == SECCOMP_MODE_DISABLED)
		__atomic_store_n(&o->seccomp_mode, SECCOMP_MODE_FILTER, __ATOMIC_RELEASE);
}

/* Linux's seccomp_attach_filter and seccomp_assign_mode; kernel.lock held. */
static long attach_locked(struct task *t, unsigned flags, struct seccomp_filter *f)
{
	if (t->seccomp_mode != SECCOMP_MODE_DISABLED && t->seccomp_mode != SECCOMP_MODE_FILTER)
		return -EINVAL;
	struct seccomp_filter *prev = t->seccomp_filter;
	if (f->len + (prev ? prev->path_len : 0) > MAX_INSNS_PER_PATH)
		return -ENOMEM;
	struct tsync_arg ta = { t, 0 };
	if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
		kernel_for_each_task_locked(tsync_check_locked, &ta);
		if (ta.failed)
			return flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH ? -ESRCH : ta.failed;
	}
	filter_link(f, prev);     /* t's reference to prev passes to f */
	__atomic_store_n(&t->seccomp_filter, f, __ATOMIC_RELEASE);
	__atomic_store_n(&t->seccomp_mode, SECCOMP_MODE_FILTER, __ATOMIC_RELEASE);
	if (flags & SECCOMP_FILTER_FLAG_TSYNC)
		kernel_for_each_task_locked(tsync_apply_locked, &ta);
	return 0;
}

static long set_mode_filter(struct task *t, unsigned flags, gaddr_t args)
{
	if (flags & ~FILTER_FLAGS)
		return -EINVAL;
	/* With both, a returned tid and a listener fd could not be told apart. */
	if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) &&
	    !(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
		return -EINVAL;
	if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) &&
	    !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return -EINVAL;
	/* struct sock_fprog: unsigned short len, then the pointer at offset 8. */
	struct {
		uint16_t len;
		uint16_t pad[3];
		uint64_t filter;
	} prog;
	if (mm_copy_in(t->mm, &prog, args, sizeof(prog)))
		return -EFAULT;
	if (prog.len == 0 || prog.len > BPF_MAXINSNS)
		return -EINVAL;
	/* Without no_new_privs a filter could mislead a privileged program exec'd later. */
	if (!t->cred.no_new_privs && !cred_capable(&t->cred, CAP_SYS_ADMIN))
		return -EACCES;
	if (!prog.filter)
		return -EINVAL;     /* Linux's bpf_check_basics_ok */
	struct sock_filter *insns = malloc(prog.len * sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	long rc = mm_copy_in(t->mm, insns, gaddr(prog.filter), prog.len * sizeof(*insns));
	if (rc)
		rc = -EFAULT;
	else
		rc = seccomp_check(insns, prog.len);
	struct seccomp_filter *f = NULL;
	if (!rc)
		f = filter_alloc(insns, prog.len, flags & SECCOMP_FILTER_FLAG_LOG);
	free(insns);
	if (rc)
		return rc;
	if (!f)
		return -ENOMEM;
	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		seccomp_filter_put(f);
		return -EINVAL;      /* user notification is not supported */
	}
	pthread_mutex_lock(&kernel.lock);
	rc = attach_locked(t, flags, f);
	pthread_mutex_unlock(&kernel.lock);
	if (rc)
		seccomp_filter_put(f);
	return rc;
}

int seccomp_install(struct task *t, const struct sock_filter *insns, unsigned len, bool log)
{
	int rc = seccomp_check(insns, len);
	if (rc)
		return rc;
	struct seccomp_filter *f = filter_alloc(insns, len, log);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&kernel.lock);
	rc = (int)attach_locked(t, 0, f);
	pthread_mutex_unlock(&kernel.lock);
	if (rc)
		seccomp_filter_put(f);
	return rc;
}

uint32_t seccomp_task_action(struct task *t, int nr, const uint64_t *args)
{
	struct seccomp_data d = {
		.nr = nr,
		.arch = AUDIT_ARCH_X86_64,
		.instruction_pointer = t->regs.rip,
	};
	if (args)
		memcpy(d.args, args, sizeof(d.args));
	return seccomp_filter_run(__atomic_load_n(&t->seccomp_filter, __ATOMIC_ACQUIRE), &d);
}

static long action_avail(struct task *t, gaddr_t args)
{
	uint32_t action;
	if (mm_copy_in(t->mm, &action, args, sizeof(action)))
		return -EFAULT;
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS:
	case SECCOMP_RET_KILL_THREAD:
	case SECCOMP_RET_TRAP:
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_USER_NOTIF:     /* the action exists; it finds no listener */
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_LOG:
	case SECCOMP_RET_ALLOW:
		return 0;
	}
	return -EOPNOTSUPP;
}

static long notif_sizes(struct task *t, gaddr_t args)
{
	/* struct seccomp_notif_sizes: seccomp_notif, seccomp_notif_resp, seccomp_data. */
	uint16_t sizes[3] = { 80, 24, sizeof(struct seccomp_data) };
	return mm_copy_out(t->mm, args, sizes, sizeof(sizes)) ? -EFAULT : 0;
}

long seccomp_op(struct task *t, unsigned op, unsigned flags, gaddr_t args)
{
	switch (op) {
	case SECCOMP_SET_MODE_STRICT:
		if (flags || args.v)
			return -EINVAL;
		return set_mode_strict(t);
	case SECCOMP_SET_MODE_FILTER:
		return set_mode_filter(t, flags, args);
	case SECCOMP_GET_ACTION_AVAIL:
		return flags ? -EINVAL : action_avail(t, args);
	case SECCOMP_GET_NOTIF_SIZES:
		return flags ? -EINVAL : notif_sizes(t, args);
	}
	return -EINVAL;
}

void seccomp_task_fork(struct task *c, struct task *t)
{
	pthread_mutex_lock(&kernel.lock);     /* against a sibling's TSYNC */
	c->seccomp_mode = t->seccomp_mode;
	c->seccomp_filter = seccomp_filter_get(t->seccomp_filter);
	pthread_mutex_unlock(&kernel.lock);
}

void seccomp_task_release(struct task *t)
{
	seccomp_filter_put(t->seccomp_filter);
	t->seccomp_filter = NULL;
}
