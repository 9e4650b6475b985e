/* The credential part of the ptrace access check (cred_ptrace_may_access). */
#include <criterion/criterion.h>
#include "sentry/cred.h"

static struct cred user(uint32_t id)
{
	struct cred c = { 0 };
	c.uid = c.euid = c.suid = c.fsuid = id;
	c.gid = c.egid = c.sgid = c.fsgid = id;
	return c;
}

Test(cred, ptrace_same_ids_allowed_when_dumpable)
{
	struct cred a = user(1000), b = user(1000);
	cr_assert(cred_ptrace_may_access(&a, &b, 1, PTRACE_MODE_ATTACH_REALCREDS));
	cr_assert_not(cred_ptrace_may_access(&a, &b, 0, PTRACE_MODE_ATTACH_REALCREDS));
	cr_assert_not(cred_ptrace_may_access(&a, &b, 2, PTRACE_MODE_ATTACH_REALCREDS));
}

Test(cred, ptrace_every_target_id_must_match)
{
	struct cred a = user(1000), b = user(1000);
	b.suid = 0;                     /* a set-user-ID program that kept root saved */
	cr_assert_not(cred_ptrace_may_access(&a, &b, 1, PTRACE_MODE_ATTACH_REALCREDS));
	b = user(1000);
	b.egid = 5;
	cr_assert_not(cred_ptrace_may_access(&a, &b, 1, PTRACE_MODE_ATTACH_REALCREDS));
}

Test(cred, ptrace_real_or_fs_ids_of_the_caller)
{
	struct cred a = user(1000), b = user(2000);
	a.fsuid = a.fsgid = 2000;
	cr_assert_not(cred_ptrace_may_access(&a, &b, 1, PTRACE_MODE_ATTACH_REALCREDS));
	cr_assert(cred_ptrace_may_access(&a, &b, 1, PTRACE_MODE_READ_FSCREDS));
	a = user(2000);
	a.euid = 1000;                  /* the effective uid plays no part */
	cr_assert(cred_ptrace_may_access(&a, &b, 1, PTRACE_MODE_ATTACH_REALCREDS));
}

Test(cred, ptrace_cap_sys_ptrace_overrides_ids_and_dumpability)
{
	struct cred a = user(1000), b = user(0);
	a.cap_effective = 1ULL << CAP_SYS_PTRACE;
	cr_assert(cred_ptrace_may_access(&a, &b, 0, PTRACE_MODE_ATTACH_REALCREDS));
	a.cap_effective = 0;
	a.cap_permitted = 1ULL << CAP_SYS_PTRACE;     /* permitted only: not enough */
	cr_assert_not(cred_ptrace_may_access(&a, &b, 1, PTRACE_MODE_ATTACH_REALCREDS));
}
