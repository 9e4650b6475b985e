/* Identity and system information: uname, get*id, getgroups, sysinfo, rlimits, hostname. */
#include <errno.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include "sentry/memfile.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/task.h"
#include "syscalls/table.h"

/* The Linux release the sentry implements (not the host's). */
#define SANDBOX_UTS_RELEASE "6.1.0-sandbox"
#define SANDBOX_UTS_VERSION "#1 SMP PREEMPT_DYNAMIC"
#define NR_OPEN_MAX 1048576

/* uname(2) */
long sys_uname(struct task *t, const struct syscall_args *a)
{
	struct utsname u;
	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Linux");
	pthread_mutex_lock(&kernel.lock);
	memcpy(u.nodename, kernel.hostname, sizeof(kernel.hostname));
	memcpy(u.domainname, kernel.domainname, sizeof(kernel.domainname));
	pthread_mutex_unlock(&kernel.lock);
	strcpy(u.release, SANDBOX_UTS_RELEASE);
	strcpy(u.version, SANDBOX_UTS_VERSION);
	/* setarch i686 / linux32: a 32-bit personality reports a 32-bit machine. */
	strcpy(u.machine, (t->personality & PER_MASK) == PER_LINUX32 ? "i686" : "x86_64");
	return mm_copy_out(t->mm, gaddr(a->arg[0]), &u, sizeof(u));
}

/*
 * personality(2): any value is taken (Linux checks none; an unknown
 * execution domain is PER_LINUX's), 0xffffffff only queries; the old value
 * is returned either way.
 */
long sys_personality(struct task *t, const struct syscall_args *a)
{
	unsigned int old = t->personality;
	if ((unsigned int)a->arg[0] != 0xffffffffU)
		t->personality = (unsigned int)a->arg[0];
	return old;
}

static long set_uts_name(struct task *t, char *dst, uint64_t uname, uint64_t len)
{
	if (!cred_capable(&t->cred, CAP_SYS_ADMIN))
		return -EPERM;
	if (len > 64)
		return -EINVAL;
	char buf[65] = { 0 };
	if (mm_copy_in(t->mm, buf, gaddr(uname), len))
		return -EFAULT;
	pthread_mutex_lock(&kernel.lock);
	memset(dst, 0, 65);
	memcpy(dst, buf, len);
	pthread_mutex_unlock(&kernel.lock);
	return 0;
}

/* sethostname(2) */
long sys_sethostname(struct task *t, const struct syscall_args *a)
{
	return set_uts_name(t, kernel.hostname, a->arg[0], a->arg[1]);
}

/* setdomainname(2) */
long sys_setdomainname(struct task *t, const struct syscall_args *a)
{
	return set_uts_name(t, kernel.domainname, a->arg[0], a->arg[1]);
}

long sys_getpid(struct task *t, const struct syscall_args *a) { return t->tg->tgid; }
long sys_gettid(struct task *t, const struct syscall_args *a) { return t->tid; }
long sys_getppid(struct task *t, const struct syscall_args *a) { return t->tg->ppid; }
long sys_getuid(struct task *t, const struct syscall_args *a) { return t->cred.uid; }
long sys_geteuid(struct task *t, const struct syscall_args *a) { return t->cred.euid; }
long sys_getgid(struct task *t, const struct syscall_args *a) { return t->cred.gid; }
long sys_getegid(struct task *t, const struct syscall_args *a) { return t->cred.egid; }

static long put_three_ids(struct task *t, const struct syscall_args *a, uint32_t x, uint32_t y,
			  uint32_t z)
{
	if (mm_copy_out(t->mm, gaddr(a->arg[0]), &x, 4) || mm_copy_out(t->mm, gaddr(a->arg[1]), &y, 4) ||
	    mm_copy_out(t->mm, gaddr(a->arg[2]), &z, 4))
		return -EFAULT;
	return 0;
}

/* getresuid(2) */
long sys_getresuid(struct task *t, const struct syscall_args *a)
{
	return put_three_ids(t, a, t->cred.uid, t->cred.euid, t->cred.suid);
}

/* getresgid(2) */
long sys_getresgid(struct task *t, const struct syscall_args *a)
{
	return put_three_ids(t, a, t->cred.gid, t->cred.egid, t->cred.sgid);
}

/* getgroups(2) */
long sys_getgroups(struct task *t, const struct syscall_args *a)
{
	int size = (int)a->arg[0];
	if (size < 0)
		return -EINVAL;
	uint32_t n = t->cred.ngroups;
	if (size == 0)
		return n;
	if ((uint32_t)size < n)
		return -EINVAL;
	if (n && mm_copy_out(t->mm, gaddr(a->arg[1]), t->cred.groups, n * 4))
		return -EFAULT;
	return n;
}

/*
 * Linux's check_prlimit_permission: another process's limits may be read
 * or set by a caller whose real uid and gid match all of the target's
 * real, effective and saved ids, or with CAP_SYS_RESOURCE.
 */
static bool prlimit_allowed(const struct cred *c, const struct cred *tc)
{
	bool id_match = c->uid == tc->uid && c->uid == tc->euid && c->uid == tc->suid &&
			c->gid == tc->gid && c->gid == tc->egid && c->gid == tc->sgid;
	return id_match || cred_capable(c, 24 /* CAP_SYS_RESOURCE */);
}

/* sysinfo(2): the sandbox's memory, not the host's. */
long sys_sysinfo(struct task *t, const struct syscall_args *a)
{
	struct sysinfo si;
	memset(&si, 0, sizeof(si));
	si.uptime = kernel_uptime_ns() / 1000000000ULL;
	if (si.uptime == 0)
		si.uptime = 1;
	uint64_t used = mf_used();     /* pages in use, not address space reserved */
	si.totalram = kernel.mem_limit;
	si.freeram = used < kernel.mem_limit ? kernel.mem_limit - used : 0;
	si.procs = process_count();
	si.mem_unit = 1;
	return mm_copy_out(t->mm, gaddr(a->arg[0]), &si, sizeof(si));
}

/*
 * prlimit64(2): pid, resource, new_limit, old_limit. pid 0 is the caller;
 * any other is a thread id naming its process. Checks in Linux's order:
 * copy-in, ESRCH, permission, then the limit itself.
 */
long sys_prlimit64(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	unsigned resource = (unsigned)a->arg[1];
	gaddr_t unew = gaddr(a->arg[2]), uold = gaddr(a->arg[3]);
	struct rlimit nl;
	if (unew.v && mm_copy_in(t->mm, &nl, unew, sizeof(nl)))
		return -EFAULT;
	struct task *target = t;
	if (pid != 0 && pid != t->tid) {
		target = pid > 0 ? task_lookup(pid) : NULL;
		if (!target)
			return -ESRCH;
		if (!prlimit_allowed(&t->cred, &target->cred)) {
			task_put(target);
			return -EPERM;
		}
	}
	struct thread_group *tg = target->tg;
	long rc = 0;
	struct rlimit old;
	if (resource >= RLIM_NLIMITS)
		rc = -EINVAL;
	else if (unew.v && nl.rlim_cur > nl.rlim_max)
		rc = -EINVAL;
	else if (unew.v && resource == RLIMIT_NOFILE && nl.rlim_max > NR_OPEN_MAX)
		rc = -EPERM;
	if (!rc) {
		pthread_mutex_lock(&kernel.lock);
		old = tg->rlimits[resource];
		if (unew.v && nl.rlim_max > old.rlim_max &&
		    !cred_capable(&t->cred, 24 /* CAP_SYS_RESOURCE */))
			rc = -EPERM;
		else if (unew.v)
			tg->rlimits[resource] = nl;
		pthread_mutex_unlock(&kernel.lock);
	}
	if (target != t)
		task_put(target);
	if (rc)
		return rc;
	if (uold.v && mm_copy_out(t->mm, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* getrlimit(2) */
long sys_getrlimit(struct task *t, const struct syscall_args *a)
{
	struct syscall_args b = { .nr = a->nr, .arg = { 0, a->arg[0], 0, a->arg[1] } };
	return sys_prlimit64(t, &b);
}

/* setrlimit(2) */
long sys_setrlimit(struct task *t, const struct syscall_args *a)
{
	struct syscall_args b = { .nr = a->nr, .arg = { 0, a->arg[0], a->arg[1], 0 } };
	return sys_prlimit64(t, &b);
}
