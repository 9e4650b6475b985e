/* Dropping root in forked children: setresuid to 1000 then permission checks
 * on a root-only 0600 file (EACCES), no way back (setuid/setresuid/setgid
 * EPERM), setgroups without CAP_SETGID (EPERM), capabilities cleared on the
 * uid change; capget/capset basics: version negotiation, dropping a
 * capability (CAP_CHOWN) so chown fails, and no raising beyond permitted.
 * Needs to start as root (skips itself otherwise, with a reason). */
#include "conformance.h"
#include <grp.h>
#include <linux/capability.h>

static long capget_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d)
{
	return syscall(SYS_capget, h, d);
}
static long capset_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d)
{
	return syscall(SYS_capset, h, d);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("ok cred_drop:skipped_not_root (needs uid 0)\n");
		return conf_exit();
	}
	const char *secret = T("secret");
	SETUP(write_file(secret, "s"));
	SETUP(chmod(secret, 0600));
	SETUP(chmod(conf_tmpdir(), 0755));
	const char *open_file = T("public");
	SETUP(write_file(open_file, "p"));
	SETUP(chmod(open_file, 0644));

	/* capget: version negotiation, root's effective set has CAP_SETUID. */
	struct __user_cap_header_struct h = { 0x12345678, 0 };
	struct __user_cap_data_struct d[2];
	CHECK_ERR(capget_(&h, d), EINVAL, "capget_bad_version_einval");
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3, "capget_writes_preferred_version");
	h.version = _LINUX_CAPABILITY_VERSION_3;
	h.pid = 0;
	CHECK_EQ(capget_(&h, d), 0, "capget_v3");
	CHECK(d[0].effective & (1u << CAP_SETUID), "root_has_cap_setuid");
	CHECK(d[0].effective & (1u << CAP_CHOWN), "root_has_cap_chown");
	h.pid = getpid();
	CHECK_EQ(capget_(&h, d), 0, "capget_own_pid");
	h.pid = 999999999;
	CHECK_ERR(capget_(&h, d), ESRCH, "capget_unknown_pid_esrch");
	h.pid = 0;
	CHECK_EQ(capget_(&h, NULL), 0, "capget_null_data_probe");

	/* Drop CAP_CHOWN from effective in a child: chown to another uid fails. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		conf_failures = 0;
		struct __user_cap_header_struct hh = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct dd[2];
		capget_(&hh, dd);
		const char *victim = T("chowned");
		CHECK_EQ(write_file(victim, "c"), 0, "chown_victim_created");
		CHECK_EQ(chown(victim, 1000, -1), 0, "chown_with_cap_chown");
		dd[0].effective &= ~(1u << CAP_CHOWN);
		CHECK_EQ(capset_(&hh, dd), 0, "capset_drop_effective_chown");
		CHECK_ERR(chown(victim, 1001, -1), EPERM, "chown_without_cap_chown_eperm");
		dd[0].effective |= 1u << CAP_CHOWN;
		CHECK_EQ(capset_(&hh, dd), 0, "capset_raise_back_from_permitted");
		dd[0].permitted &= ~(1u << CAP_CHOWN);
		dd[0].effective &= ~(1u << CAP_CHOWN);
		dd[0].inheritable = 0;
		CHECK_EQ(capset_(&hh, dd), 0, "capset_drop_permitted_chown");
		dd[0].effective |= 1u << CAP_CHOWN;
		CHECK_ERR(capset_(&hh, dd), EPERM, "capset_effective_beyond_permitted_eperm");
		dd[0].effective &= ~(1u << CAP_CHOWN);
		dd[0].permitted |= 1u << CAP_CHOWN;
		CHECK_ERR(capset_(&hh, dd), EPERM, "capset_regain_permitted_eperm");
		hh.pid = getppid();
		CHECK_ERR(capset_(&hh, dd), EPERM, "capset_other_pid_eperm");
		CHILD_DONE();
	}
	check_child_ok(pid, "capset_child");

	/* setresuid to 1000: file permissions now apply. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0;
		CHECK_EQ(setgroups(0, NULL), 0, "root_setgroups_empty");
		CHECK_EQ(setresgid(1000, 1000, 1000), 0, "setresgid_1000");
		CHECK_EQ(setresuid(1000, 1000, 1000), 0, "setresuid_1000");
		uid_t r, e, s;
		getresuid(&r, &e, &s);
		CHECK(r == 1000 && e == 1000 && s == 1000, "getresuid_all_1000");
		CHECK_ERR(open(secret, O_RDONLY), EACCES, "open_root_0600_eacces");
		CHECK_ERR(open(secret, O_WRONLY), EACCES, "open_root_0600_write_eacces");
		CHECK_ERR(access(secret, R_OK), EACCES, "access_root_0600_eacces");
		int fd = open(open_file, O_RDONLY);
		CHECK(fd >= 0, "open_0644_readable");
		if (fd >= 0)
			close(fd);
		CHECK_ERR(open(open_file, O_WRONLY), EACCES, "open_0644_write_eacces");
		CHECK_ERR(unlink(open_file), EACCES, "unlink_in_root_dir_eacces");
		CHECK_ERR(chmod(secret, 0644), EPERM, "chmod_others_file_eperm");
		CHECK_ERR(setuid(0), EPERM, "setuid_back_to_root_eperm");
		CHECK_ERR(setresuid(-1, 0, -1), EPERM, "setresuid_euid_0_eperm");
		CHECK_ERR(setgid(0), EPERM, "setgid_0_eperm");
		gid_t g = 0;
		CHECK_ERR(setgroups(1, &g), EPERM, "setgroups_without_cap_setgid_eperm");
		CHECK_ERR(kill(getppid(), 0), EPERM, "kill_root_parent_eperm");
		struct __user_cap_header_struct hh = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct dd[2];
		CHECK_EQ(capget_(&hh, dd), 0, "capget_after_drop");
		CHECK(dd[0].effective == 0 && dd[0].permitted == 0 && dd[1].effective == 0 && dd[1].permitted == 0,
		      "caps_cleared_by_uid_change");
		CHECK_EQ(setuid(1000), 0, "setuid_own_uid_ok");
		CHILD_DONE();
	}
	check_child_ok(pid, "setresuid_child");

	/* Only the effective uid changed: the saved uid allows a way back. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0;
		CHECK_EQ(setresuid(-1, 1000, -1), 0, "seteuid_1000_keep_saved_0");
		CHECK_ERR(open(secret, O_RDONLY), EACCES, "euid_1000_open_eacces");
		CHECK_EQ(setresuid(-1, 0, -1), 0, "seteuid_back_via_saved_uid");
		int fd = open(secret, O_RDONLY);
		CHECK(fd >= 0, "root_again_opens_secret");
		CHILD_DONE();
	}
	check_child_ok(pid, "saved_uid_child");
	return conf_exit();
}
