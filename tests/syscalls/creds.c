/* getuid/geteuid/getgid/getegid/getresuid/getgroups consistency. */
#include "conformance.h"

int main(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	CHECK_EQ(getresuid(&r, &e, &s), 0, "getresuid");
	CHECK_EQ(getuid(), r, "getuid_matches_resuid");
	CHECK_EQ(geteuid(), e, "geteuid_matches_resuid");
	CHECK_EQ(getuid(), geteuid(), "not_setuid");
	CHECK_EQ(s, e, "saved_uid_is_euid");
	CHECK_EQ(getresgid(&gr, &ge, &gs), 0, "getresgid");
	CHECK_EQ(getgid(), gr, "getgid_matches_resgid");
	CHECK_EQ(getegid(), ge, "getegid_matches_resgid");
	CHECK_EQ(getgid(), getegid(), "not_setgid");
	CHECK_EQ(syscall(SYS_getuid), getuid(), "raw_getuid");
	CHECK_EQ(syscall(SYS_getgid), getgid(), "raw_getgid");

	int n = getgroups(0, NULL);
	CHECK(n >= 0 && n <= 65536, "getgroups_count");
	gid_t *g = calloc(n + 1, sizeof(gid_t));
	CHECK_EQ(getgroups(n + 1, g), n, "getgroups_list");
	CHECK_EQ(syscall(SYS_getgroups, 0, g), n, "raw_getgroups_zero_is_count");
	if (n >= 2) /* a size of 0 only counts, so this needs two groups */
		CHECK_ERR(syscall(SYS_getgroups, n - 1, g), EINVAL, "getgroups_too_small");
	CHECK_ERR(syscall(SYS_getgroups, -1, g), EINVAL, "getgroups_negative");
	/* A file we create is owned by our euid/egid (fsuid). */
	struct stat st;
	SETUP(write_file(T("f"), ""));
	stat(T("f"), &st);
	CHECK(st.st_uid == geteuid() && st.st_gid == getegid(), "new_file_owner");
	CHECK_ERR(syscall(SYS_getresuid, BAD_PTR, &e, &s), EFAULT, "getresuid_efault");
	free(g);
	return conf_exit();
}
