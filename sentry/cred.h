/* Guest credentials: virtual ids and capabilities, never the host's. */
#ifndef SENTRY_CRED_H
#define SENTRY_CRED_H

#include "sentry/types.h"

#define CRED_NGROUPS_MAX 65536

/*
 * A task's credentials. Owned by the task (copied on clone); the VFS
 * reads them for permission checks and never keeps a pointer.
 */
struct cred {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	uint32_t ngroups;
	uint32_t *groups;          /* heap array of ngroups gids, or NULL */
	uint64_t cap_effective;    /* Linux capability bit sets */
	uint64_t cap_permitted;
	uint64_t cap_inheritable;
	uint64_t cap_bounding;
	bool keep_caps;            /* PR_SET_KEEPCAPS: uid changes keep the permitted set */
	bool no_new_privs;         /* PR_SET_NO_NEW_PRIVS (exec never grants privileges here) */
};

/* Linux capability numbers the sentry checks. */
#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define CAP_FOWNER 3
#define CAP_FSETID 4
#define CAP_KILL 5
#define CAP_IPC_LOCK 14
#define CAP_SYS_PTRACE 19
#define CAP_SYS_ADMIN 21
#define CAP_MKNOD 27
#define CAP_FULL_SET ((1ULL << 41) - 1)

/* True if the credentials hold capability cap in their effective set. */
static inline bool cred_capable(const struct cred *c, int cap)
{
	return (c->cap_effective >> cap) & 1;
}

/*
 * Linux's ptrace access modes (include/linux/ptrace.h): READ or ATTACH,
 * with the caller's filesystem ids (FSCREDS: /proc files) or its real ids
 * (REALCREDS: ptrace(2), process_vm_readv/writev).
 */
#define PTRACE_MODE_READ 0x01
#define PTRACE_MODE_ATTACH 0x02
#define PTRACE_MODE_NOAUDIT 0x04
#define PTRACE_MODE_FSCREDS 0x08
#define PTRACE_MODE_REALCREDS 0x10
#define PTRACE_MODE_READ_FSCREDS (PTRACE_MODE_READ | PTRACE_MODE_FSCREDS)
#define PTRACE_MODE_READ_REALCREDS (PTRACE_MODE_READ | PTRACE_MODE_REALCREDS)
#define PTRACE_MODE_ATTACH_FSCREDS (PTRACE_MODE_ATTACH | PTRACE_MODE_FSCREDS)
#define PTRACE_MODE_ATTACH_REALCREDS (PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS)

/*
 * The credential part of Linux's __ptrace_may_access, for a target in
 * another thread group: the caller's uid and gid (fsuid and fsgid with
 * PTRACE_MODE_FSCREDS, else the real ones) must equal each of the
 * target's real, effective and saved uids and gids, or the caller has
 * CAP_SYS_PTRACE (effective); and a target that is not dumpable
 * (PR_SET_DUMPABLE other than 1) needs CAP_SYS_PTRACE either way. The
 * whole check, with the thread-group rule, is task_ptrace_may_access
 * (sentry/process.h).
 */
bool cred_ptrace_may_access(const struct cred *caller, const struct cred *target,
			    int target_dumpable, unsigned mode);

/* True if gid is the fsgid or one of the supplementary groups. */
bool cred_in_group(const struct cred *c, uint32_t gid);

/* Initialise root credentials (uid 0, full capabilities). */
void cred_init_root(struct cred *c);

/* Deep copy (groups array included); returns 0 or -ENOMEM. */
int cred_copy(struct cred *dst, const struct cred *src);

/* Free what cred_copy allocated. */
void cred_release(struct cred *c);

#endif
