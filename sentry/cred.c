/* Guest credentials. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/cred.h"

bool cred_in_group(const struct cred *c, uint32_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

void cred_init_root(struct cred *c)
{
	memset(c, 0, sizeof(*c));
	c->cap_effective = c->cap_permitted = c->cap_bounding = CAP_FULL_SET;
}

int cred_copy(struct cred *dst, const struct cred *src)
{
	*dst = *src;
	dst->groups = NULL;
	if (src->ngroups) {
		dst->groups = malloc(src->ngroups * sizeof(uint32_t));
		if (!dst->groups)
			return -ENOMEM;
		memcpy(dst->groups, src->groups, src->ngroups * sizeof(uint32_t));
	}
	return 0;
}

void cred_release(struct cred *c)
{
	free(c->groups);
	c->groups = NULL;
	c->ngroups = 0;
}

bool cred_ptrace_may_access(const struct cred *caller, const struct cred *target,
			    int target_dumpable, unsigned mode)
{
	bool fs = mode & PTRACE_MODE_FSCREDS;
	uint32_t uid = fs ? caller->fsuid : caller->uid;
	uint32_t gid = fs ? caller->fsgid : caller->gid;
	bool cap = cred_capable(caller, CAP_SYS_PTRACE);
	bool ids = uid == target->uid && uid == target->euid && uid == target->suid &&
		   gid == target->gid && gid == target->egid && gid == target->sgid;
	if (!ids && !cap)
		return false;
	/* SUID_DUMP_USER is 1; 0 and SUID_DUMP_ROOT (2) both want the capability. */
	return target_dumpable == 1 || cap;
}
