/* getcwd/chdir/fchdir. */
#include "conformance.h"

int main(void)
{
	char buf[PATH_MAX], real[PATH_MAX];
	char orig[PATH_MAX];
	SETUP(syscall(SYS_getcwd, orig, sizeof orig));
	SETUP(mkdir(T("d"), 0755));
	SETUP(mkdir(T("d/e"), 0755));
	SETUP(write_file(T("f"), "x"));
	SETUP(symlink("d", T("dl")));
	/* /tmp itself may be a symlink: compare with realpath. */
	SETUP(realpath(T("d"), real) ? 0 : -1);

	CHECK_EQ(chdir(T("d")), 0, "chdir");
	long n = syscall(SYS_getcwd, buf, sizeof buf);
	CHECK_EQ(n, (long)strlen(real) + 1, "getcwd_returns_len_with_nul");
	CHECK_STR(buf, real, "getcwd_after_chdir");
	CHECK_EQ(chdir("e"), 0, "chdir_relative");
	CHECK_EQ(chdir(".."), 0, "chdir_dotdot");
	getcwd(buf, sizeof buf);
	CHECK_STR(buf, real, "getcwd_after_dotdot");
	/* Relative operations use the cwd. */
	CHECK_EQ(write_file("rel", "y"), 0, "create_relative");
	CHECK_EQ(access(T("d/rel"), F_OK), 0, "relative_created_in_cwd");

	/* chdir through a symlink: getcwd shows the resolved path. */
	CHECK_EQ(chdir(T("dl")), 0, "chdir_symlink");
	getcwd(buf, sizeof buf);
	CHECK_STR(buf, real, "getcwd_resolves_symlink");

	/* Errors. */
	CHECK_ERR(syscall(SYS_getcwd, buf, (size_t)1), ERANGE, "getcwd_erange_small");
	CHECK_ERR(syscall(SYS_getcwd, buf, (size_t)0), ERANGE, "getcwd_erange_zero");
	CHECK_ERR(syscall(SYS_getcwd, buf, strlen(real)), ERANGE, "getcwd_erange_no_room_for_nul");
	CHECK_EQ(syscall(SYS_getcwd, buf, strlen(real) + 1), (long)strlen(real) + 1, "getcwd_exact");
	CHECK_ERR(syscall(SYS_getcwd, BAD_PTR, sizeof buf), EFAULT, "getcwd_efault");
	CHECK_ERR(chdir(T("f")), ENOTDIR, "chdir_file");
	CHECK_ERR(chdir(T("missing")), ENOENT, "chdir_enoent");
	CHECK_ERR(chdir(""), ENOENT, "chdir_empty");

	int dfd = open(T("d/e"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(fchdir(dfd), 0, "fchdir");
	getcwd(buf, sizeof buf);
	char want[PATH_MAX + 8];
	snprintf(want, sizeof want, "%s/e", real);
	CHECK_STR(buf, want, "getcwd_after_fchdir");
	close(dfd);
	int ffd = open(T("f"), O_RDONLY);
	CHECK_ERR(fchdir(ffd), ENOTDIR, "fchdir_file");
	close(ffd);
	CHECK_ERR(fchdir(9999), EBADF, "fchdir_ebadf");

	/* chdir to / and back. */
	CHECK_EQ(chdir("/"), 0, "chdir_root");
	getcwd(buf, sizeof buf);
	CHECK_STR(buf, "/", "getcwd_root");
	CHECK_EQ(chdir(".."), 0, "chdir_root_dotdot");
	getcwd(buf, sizeof buf);
	CHECK_STR(buf, "/", "root_dotdot_is_root");

	chdir(orig);
	return conf_exit();
}
