/*
 * Credentials: setuid/setgid families, setgroups, capget/capset. The ids
 * and capabilities are the guest's own (virtual); the VFS checks them.
 * Capability changes on uid changes follow Linux's cap_emulate_setxuid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/cred.h"
#include "sentry/mm.h"
#include "sentry/rusage.h"
#include "sentry/task.h"
#include "syscalls/table.h"

#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_SETPCAP 8
#define NO_ID ((uint32_t)-1)
/* Capabilities that follow the filesystem uid (Linux's CAP_FS_MASK). */
#define CAP_FS_MASK ((1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) |                 \
		     (1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_FOWNER) |              \
		     (1ULL << CAP_FSETID) | (1ULL << 9) /* LINUX_IMMUTABLE */ |         \
		     (1ULL << CAP_MKNOD) | (1ULL << 32) /* MAC_OVERRIDE */)

static void fix_fs_caps(struct cred *c, uint32_t old_fsuid)
{
	if (old_fsuid == 0 && c->fsuid != 0)
		c->cap_effective &= ~CAP_FS_MASK;
	else if (old_fsuid != 0 && c->fsuid == 0)
		c->cap_effective |= c->cap_permitted & CAP_FS_MASK;
}

/* Linux's cap_emulate_setxuid, after any change of the uids. */
static void fix_caps(struct cred *c, const struct cred *old)
{
	bool was_root = old->uid == 0 || old->euid == 0 || old->suid == 0;
	bool now_root = c->uid == 0 || c->euid == 0 || c->suid == 0;
	if (was_root && !now_root) {
		if (!c->keep_caps)
			c->cap_permitted = 0;
		c->cap_effective = 0;
	}
	if (old->euid == 0 && c->euid != 0)
		c->cap_effective = 0;
	if (old->euid != 0 && c->euid == 0)
		c->cap_effective = c->cap_permitted;
	fix_fs_caps(c, old->fsuid);
}

/*
 * Linux's commit_creds: when the effective or filesystem ids change, the
 * process is no longer dumpable (suid_dumpable 0: another process of the
 * same user then needs CAP_SYS_PTRACE to ptrace it or use
 * process_vm_readv on it, until an execve) and its parent-death signal
 * is cleared.
 */
static void creds_changed(struct task *t, const struct cred *old)
{
	const struct cred *c = &t->cred;
	if (c->euid == old->euid && c->egid == old->egid && c->fsuid == old->fsuid &&
	    c->fsgid == old->fsgid)
		return;
	mm_set_dumpable(t->mm, 0);      /* the MM's: every thread's (Linux's set_dumpable) */
	t->pdeath_signal = 0;
}

static bool one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == a || id == b || id == c;
}

/* setresuid semantics, the core of the whole uid family. */
static long set_uids(struct task *t, uint32_t r, uint32_t e, uint32_t s)
{
	struct cred *c = &t->cred;
	struct cred old = *c;
	if (!cred_capable(c, CAP_SETUID)) {
		if ((r != NO_ID && !one_of(r, c->uid, c->euid, c->suid)) ||
		    (e != NO_ID && !one_of(e, c->uid, c->euid, c->suid)) ||
		    (s != NO_ID && !one_of(s, c->uid, c->euid, c->suid)))
			return -EPERM;
	}
	if (r != NO_ID)
		c->uid = r;
	if (e != NO_ID)
		c->euid = e;
	if (s != NO_ID)
		c->suid = s;
	c->fsuid = c->euid;
	fix_caps(c, &old);
	creds_changed(t, &old);
	return 0;
}

static long set_gids(struct task *t, uint32_t r, uint32_t e, uint32_t s)
{
	struct cred *c = &t->cred;
	struct cred old = *c;
	if (!cred_capable(c, CAP_SETGID)) {
		if ((r != NO_ID && !one_of(r, c->gid, c->egid, c->sgid)) ||
		    (e != NO_ID && !one_of(e, c->gid, c->egid, c->sgid)) ||
		    (s != NO_ID && !one_of(s, c->gid, c->egid, c->sgid)))
			return -EPERM;
	}
	if (r != NO_ID)
		c->gid = r;
	if (e != NO_ID)
		c->egid = e;
	if (s != NO_ID)
		c->sgid = s;
	c->fsgid = c->egid;
	creds_changed(t, &old);
	return 0;
}

/* setuid(2) */
long sys_setuid(struct task *t, const struct syscall_args *a)
{
	uint32_t uid = (uint32_t)a->arg[0];
	if (uid == NO_ID)
		return -EINVAL;
	if (cred_capable(&t->cred, CAP_SETUID))
		return set_uids(t, uid, uid, uid);
	if (uid != t->cred.uid && uid != t->cred.suid)
		return -EPERM;
	return set_uids(t, NO_ID, uid, NO_ID);
}

/* setgid(2) */
long sys_setgid(struct task *t, const struct syscall_args *a)
{
	uint32_t gid = (uint32_t)a->arg[0];
	if (gid == NO_ID)
		return -EINVAL;
	if (cred_capable(&t->cred, CAP_SETGID))
		return set_gids(t, gid, gid, gid);
	if (gid != t->cred.gid && gid != t->cred.sgid)
		return -EPERM;
	return set_gids(t, NO_ID, gid, NO_ID);
}

/* setreuid(2): the saved uid follows the new euid when ruid is set or euid moves off ruid. */
long sys_setreuid(struct task *t, const struct syscall_args *a)
{
	uint32_t r = (uint32_t)a->arg[0], e = (uint32_t)a->arg[1];
	struct cred *c = &t->cred;
	if (!cred_capable(c, CAP_SETUID)) {
		if (r != NO_ID && r != c->uid && r != c->euid)
			return -EPERM;
		if (e != NO_ID && !one_of(e, c->uid, c->euid, c->suid))
			return -EPERM;
	}
	uint32_t new_e = e != NO_ID ? e : c->euid;
	uint32_t s = (r != NO_ID || (e != NO_ID && e != c->uid)) ? new_e : NO_ID;
	struct cred old = *c;
	if (r != NO_ID)
		c->uid = r;
	c->euid = new_e;
	if (s != NO_ID)
		c->suid = s;
	c->fsuid = c->euid;
	fix_caps(c, &old);
	creds_changed(t, &old);
	return 0;
}

/* setregid(2) */
long sys_setregid(struct task *t, const struct syscall_args *a)
{
	uint32_t r = (uint32_t)a->arg[0], e = (uint32_t)a->arg[1];
	struct cred *c = &t->cred;
	if (!cred_capable(c, CAP_SETGID)) {
		if (r != NO_ID && r != c->gid && r != c->egid)
			return -EPERM;
		if (e != NO_ID && !one_of(e, c->gid, c->egid, c->sgid))
			return -EPERM;
	}
	uint32_t new_e = e != NO_ID ? e : c->egid;
	struct cred old = *c;
	if (r != NO_ID || (e != NO_ID && e != c->gid))
		c->sgid = new_e;
	if (r != NO_ID)
		c->gid = r;
	c->egid = new_e;
	c->fsgid = c->egid;
	creds_changed(t, &old);
	return 0;
}

/* setresuid(2) */
long sys_setresuid(struct task *t, const struct syscall_args *a)
{
	return set_uids(t, (uint32_t)a->arg[0], (uint32_t)a->arg[1], (uint32_t)a->arg[2]);
}

/* setresgid(2) */
long sys_setresgid(struct task *t, const struct syscall_args *a)
{
	return set_gids(t, (uint32_t)a->arg[0], (uint32_t)a->arg[1], (uint32_t)a->arg[2]);
}

/* setfsuid(2): always returns the old fsuid. */
long sys_setfsuid(struct task *t, const struct syscall_args *a)
{
	uint32_t uid = (uint32_t)a->arg[0];
	struct cred *c = &t->cred;
	uint32_t old = c->fsuid;
	if (cred_capable(c, CAP_SETUID) || one_of(uid, c->uid, c->euid, c->suid) || uid == c->fsuid) {
		struct cred before = *c;
		c->fsuid = uid;
		fix_fs_caps(c, old);
		creds_changed(t, &before);
	}
	return old;
}

/* setfsgid(2) */
long sys_setfsgid(struct task *t, const struct syscall_args *a)
{
	uint32_t gid = (uint32_t)a->arg[0];
	struct cred *c = &t->cred;
	uint32_t old = c->fsgid;
	if (cred_capable(c, CAP_SETGID) || one_of(gid, c->gid, c->egid, c->sgid) || gid == c->fsgid) {
		struct cred before = *c;
		c->fsgid = gid;
		creds_changed(t, &before);
	}
	return old;
}

/* setgroups(2) */
long sys_setgroups(struct task *t, const struct syscall_args *a)
{
	int size = (int)a->arg[0];
	if (size < 0 || size > CRED_NGROUPS_MAX)
		return -EINVAL;
	if (!cred_capable(&t->cred, CAP_SETGID))
		return -EPERM;
	uint32_t *g = NULL;
	if (size) {
		g = malloc(size * sizeof(uint32_t));
		if (!g)
			return -ENOMEM;
		if (mm_copy_in(t->mm, g, gaddr(a->arg[1]), size * sizeof(uint32_t))) {
			free(g);
			return -EFAULT;
		}
	}
	/* Under kernel.lock: /proc copies other tasks' credentials (task_get_info). */
	pthread_mutex_lock(&kernel.lock);
	uint32_t *old = t->cred.groups;
	t->cred.groups = g;
	t->cred.ngroups = size;
	pthread_mutex_unlock(&kernel.lock);
	free(old);
	return 0;
}

#define CAP_V1 0x19980330
#define CAP_V2 0x20071026
#define CAP_V3 0x20080522

struct cap_header {
	uint32_t version;
	int32_t pid;
};

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

/* Read and check the header; the number of data words, or -errno. */
static long cap_header_in(struct task *t, gaddr_t uhdr, bool data_given)
{
	struct cap_header h;
	if (mm_copy_in(t->mm, &h, uhdr, sizeof(h)))
		return -EFAULT;
	if (h.version != CAP_V1 && h.version != CAP_V2 && h.version != CAP_V3) {
		/* Tell the caller the version we prefer, as Linux does. */
		h.version = CAP_V3;
		if (mm_copy_out(t->mm, uhdr, &h, sizeof(h)))
			return -EFAULT;
		return data_given ? -EINVAL : 0;
	}
	if (h.pid < 0)
		return -EINVAL;
	if (h.pid != 0 && h.pid != t->tid && h.pid != t->tg->tgid)
		return -ESRCH;     /* another task's capabilities: not looked up yet */
	return h.version == CAP_V1 ? 1 : 2;
}

/* capget(2) */
long sys_capget(struct task *t, const struct syscall_args *a)
{
	long n = cap_header_in(t, gaddr(a->arg[0]), a->arg[1] != 0);
	if (n <= 0 || !a->arg[1])
		return n < 0 ? n : 0;
	const struct cred *c = &t->cred;
	struct cap_data d[2] = {
		{ (uint32_t)c->cap_effective, (uint32_t)c->cap_permitted, (uint32_t)c->cap_inheritable },
		{ (uint32_t)(c->cap_effective >> 32), (uint32_t)(c->cap_permitted >> 32),
		  (uint32_t)(c->cap_inheritable >> 32) },
	};
	return mm_copy_out(t->mm, gaddr(a->arg[1]), d, n * sizeof(d[0]));
}

/* capset(2): only the caller's own sets, never beyond what it holds. */
long sys_capset(struct task *t, const struct syscall_args *a)
{
	struct cap_header h;
	if (mm_copy_in(t->mm, &h, gaddr(a->arg[0]), sizeof(h)))
		return -EFAULT;
	long n = cap_header_in(t, gaddr(a->arg[0]), true);
	if (n < 0)
		return n == -ESRCH ? -EPERM : n;
	struct cap_data d[2] = { { 0 } };
	if (mm_copy_in(t->mm, d, gaddr(a->arg[1]), n * sizeof(d[0])))
		return -EFAULT;
	uint64_t eff = d[0].effective | ((uint64_t)d[1].effective << 32);
	uint64_t perm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
	uint64_t inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
	struct cred *c = &t->cred;
	if (perm & ~c->cap_permitted)
		return -EPERM;
	if (eff & ~perm)
		return -EPERM;
	if (inh & ~(c->cap_inheritable | c->cap_permitted) ||
	    (!cred_capable(c, CAP_SETPCAP) && (inh & ~(c->cap_inheritable | c->cap_permitted))))
		return -EPERM;
	if (inh & ~(c->cap_inheritable | c->cap_bounding))
		return -EPERM;
	c->cap_effective = eff;
	c->cap_permitted = perm;
	c->cap_inheritable = inh;
	return 0;
}

/* getrusage(2): CPU times and peak RSS (sentry/rusage.c); the counters are zero. */
long sys_getrusage(struct task *t, const struct syscall_args *a)
{
	struct rusage ru;
	int rc = rusage_get(t, (int)a->arg[0], &ru);
	if (rc)
		return rc;
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &ru, sizeof(ru));
}
