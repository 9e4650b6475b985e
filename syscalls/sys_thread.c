/*
 * Thread start-up and exit: exit, exit_group, arch_prctl, set_tid_address,
 * set_robust_list, get_robust_list, rseq, prctl.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include "sentry/kernel_internal.h"
#include "sentry/mm.h"
#include "sentry/seccomp.h"
#include "sentry/task.h"
#include "syscalls/table.h"

/* exit(2): ends the calling thread; the process with its last thread. */
long sys_exit(struct task *t, const struct syscall_args *a)
{
	task_exit_thread(t, ((int)a->arg[0] & 0xff) << 8);
	return 0;
}

/* exit_group(2) */
long sys_exit_group(struct task *t, const struct syscall_args *a)
{
	task_exit_group(t, ((int)a->arg[0] & 0xff) << 8);
	return 0;
}

/* arch_prctl(2) */
long sys_arch_prctl(struct task *t, const struct syscall_args *a)
{
	int code = (int)a->arg[0];
	uint64_t addr = a->arg[1];
	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= GUEST_TASK_SIZE)
			return -EPERM;
		if (code == ARCH_SET_FS)
			t->regs.fs_base = addr;
		else
			t->regs.gs_base = addr;
		return 0;
	case ARCH_GET_FS:
		return mm_copy_out(t->mm, gaddr(addr), &t->regs.fs_base, 8);
	case ARCH_GET_GS:
		return mm_copy_out(t->mm, gaddr(addr), &t->regs.gs_base, 8);
	case ARCH_GET_CPUID:
		return 1;     /* cpuid is not faulting */
	case ARCH_SET_CPUID:
		return -ENODEV;
	}
	return -EINVAL;
}

/* set_tid_address(2) */
long sys_set_tid_address(struct task *t, const struct syscall_args *a)
{
	t->clear_child_tid = a->arg[0];
	return t->tid;
}

#define ROBUST_LIST_HEAD_SIZE 24

/* set_robust_list(2) */
long sys_set_robust_list(struct task *t, const struct syscall_args *a)
{
	if (a->arg[1] != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	t->robust_list = a->arg[0];
	t->robust_len = a->arg[1];
	return 0;
}

/* get_robust_list(2): pid, head_ptr, len_ptr. */
long sys_get_robust_list(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	if (pid != 0 && pid != t->tid)
		return -ESRCH;
	uint64_t len = ROBUST_LIST_HEAD_SIZE;
	if (mm_copy_out(t->mm, gaddr(a->arg[1]), &t->robust_list, 8) ||
	    mm_copy_out(t->mm, gaddr(a->arg[2]), &len, 8))
		return -EFAULT;
	return 0;
}

#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_MIN_LEN 32

/*
 * rseq(2): registration with Linux's checks; cpu_id is the CPU this task
 * is pinned to. Critical sections are not aborted on preemption yet
 * (documented in docs/compat.md).
 */
long sys_rseq(struct task *t, const struct syscall_args *a)
{
	uint64_t addr = a->arg[0];
	uint32_t len = (uint32_t)a->arg[1];
	int flags = (int)a->arg[2];
	uint32_t sig = (uint32_t)a->arg[3];
	if (flags & RSEQ_FLAG_UNREGISTER) {
		if (flags & ~RSEQ_FLAG_UNREGISTER)
			return -EINVAL;
		if (t->rseq_addr != addr || !addr)
			return -EINVAL;
		if (len != t->rseq_len)
			return -EINVAL;
		if (sig != t->rseq_sig)
			return -EPERM;
		t->rseq_addr = 0;
		return 0;
	}
	if (flags)
		return -EINVAL;
	if (t->rseq_addr) {
		if (t->rseq_addr != addr || len != t->rseq_len)
			return -EINVAL;
		if (sig != t->rseq_sig)
			return -EPERM;
		return -EBUSY;
	}
	if ((addr & (RSEQ_MIN_LEN - 1)) || len < RSEQ_MIN_LEN)
		return -EINVAL;
	int c = sched_getcpu();
	uint32_t cpu[2] = { c > 0 ? (uint32_t)c : 0, c > 0 ? (uint32_t)c : 0 };
	if (mm_copy_out(t->mm, gaddr(addr), cpu, sizeof(cpu)))
		return -EFAULT;
	t->rseq_addr = addr;
	t->rseq_len = len;
	t->rseq_sig = sig;
	return 0;
}

/* prctl(2): the options programs use at start-up. */
long sys_prctl(struct task *t, const struct syscall_args *a)
{
	int option = (int)a->arg[0];
	uint64_t arg2 = a->arg[1];
	switch (option) {
	case PR_SET_NAME: {
		char name[16];
		memset(name, 0, sizeof(name));
		long n = mm_copy_string_in(t->mm, gaddr(arg2), name, sizeof(name));
		if (n == -EFAULT)
			return -EFAULT;
		name[15] = 0;
		memcpy(t->comm, name, sizeof(name));
		return 0;
	}
	case PR_GET_NAME:
		return mm_copy_out(t->mm, gaddr(arg2), t->comm, sizeof(t->comm));
	case PR_SET_PDEATHSIG:
		if (arg2 > GUEST_NSIG)
			return -EINVAL;
		t->pdeath_signal = (int)arg2;
		return 0;
	case PR_GET_PDEATHSIG:
		return mm_copy_out(t->mm, gaddr(arg2), &t->pdeath_signal, sizeof(int));
	case PR_SET_CHILD_SUBREAPER:
		pthread_mutex_lock(&kernel.lock);
		t->tg->subreaper = arg2 != 0;
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int v = t->tg->subreaper;
		return mm_copy_out(t->mm, gaddr(arg2), &v, sizeof(int));
	}
	case PR_GET_DUMPABLE:
		return mm_dumpable(t->mm);
	case PR_SET_DUMPABLE:
		/* The MM's: every thread of the process, as Linux's set_dumpable(mm). */
		if (arg2 > 1)
			return -EINVAL;
		mm_set_dumpable(t->mm, (int)arg2);
		return 0;
	case PR_SET_KEEPCAPS:
		if (arg2 > 1)
			return -EINVAL;
		t->cred.keep_caps = arg2;
		return 0;
	case PR_GET_KEEPCAPS:
		return t->cred.keep_caps;
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || a->arg[2] || a->arg[3] || a->arg[4])
			return -EINVAL;
		t->cred.no_new_privs = true;   /* one way, inherited by children */
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (arg2 || a->arg[2] || a->arg[3] || a->arg[4])
			return -EINVAL;
		return t->cred.no_new_privs;
	case PR_CAPBSET_DROP:
		if (arg2 > 40)
			return -EINVAL;
		if (!cred_capable(&t->cred, 8 /* CAP_SETPCAP */))
			return -EPERM;
		t->cred.cap_bounding &= ~(1ULL << arg2);
		return 0;
	case PR_SET_TIMERSLACK:
		t->timer_slack = arg2 ? arg2 : 50000;
		return 0;
	case PR_GET_SECCOMP:
		return __atomic_load_n(&t->seccomp_mode, __ATOMIC_RELAXED);
	case PR_SET_SECCOMP:
		/* As seccomp(2) with flags 0; strict mode ignores the third argument. */
		if (arg2 == SECCOMP_MODE_STRICT)
			return seccomp_op(t, SECCOMP_SET_MODE_STRICT, 0, gaddr(0));
		if (arg2 == SECCOMP_MODE_FILTER)
			return seccomp_op(t, SECCOMP_SET_MODE_FILTER, 0, gaddr(a->arg[2]));
		return -EINVAL;
	case PR_CAPBSET_READ:
		if (arg2 > 40)
			return -EINVAL;
		return (t->cred.cap_bounding >> arg2) & 1;
	case PR_GET_TIMERSLACK:
		return t->timer_slack ? (long)t->timer_slack : 50000;
	case PR_SET_VMA:
		return -EINVAL;   /* anonymous VMA names: not supported */
	}
	return -EINVAL;
}
