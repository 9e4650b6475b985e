/* mkdir/mkdirat/rmdir. */
#include "conformance.h"

int main(void)
{
	struct stat st;
	umask(022);
	CHECK_EQ(mkdir(T("d"), 0777), 0, "mkdir");
	stat(T("d"), &st);
	CHECK(S_ISDIR(st.st_mode), "mkdir_isdir");
	CHECK_EQ(st.st_mode & 07777, 0755, "mkdir_mode_umask");
	CHECK_ERR(mkdir(T("d"), 0755), EEXIST, "mkdir_eexist");
	SETUP(write_file(T("f"), "x"));
	CHECK_ERR(mkdir(T("f"), 0755), EEXIST, "mkdir_over_file");
	SETUP(symlink("nowhere", T("dangling")));
	CHECK_ERR(mkdir(T("dangling"), 0755), EEXIST, "mkdir_over_dangling_symlink");
	CHECK_ERR(mkdir(T("missing/d"), 0755), ENOENT, "mkdir_enoent_parent");
	CHECK_ERR(mkdir(T("f/d"), 0755), ENOTDIR, "mkdir_enotdir_parent");
	CHECK_EQ(mkdir(T("slash/"), 0755), 0, "mkdir_trailing_slash");
	CHECK_EQ(mkdir(T("d/sub"), 0700), 0, "mkdir_nested");
	stat(T("d/sub"), &st);
	CHECK_EQ(st.st_mode & 07777, 0700, "mkdir_mode");
	CHECK_ERR(mkdir("", 0755), ENOENT, "mkdir_empty");

	int dfd = open(T("d"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(mkdirat(dfd, "at", 0755), 0, "mkdirat");
	CHECK_EQ(access(T("d/at"), F_OK), 0, "mkdirat_created");
	CHECK_ERR(mkdirat(dfd, "at", 0755), EEXIST, "mkdirat_eexist");
	CHECK_ERR(mkdirat(9999, "x", 0755), EBADF, "mkdirat_ebadf");
	int ffd = open(T("f"), O_RDONLY);
	CHECK_ERR(mkdirat(ffd, "x", 0755), ENOTDIR, "mkdirat_file_dirfd");
	close(ffd);

	/* rmdir */
	CHECK_ERR(rmdir(T("d")), ENOTEMPTY, "rmdir_enotempty");
	CHECK_EQ(rmdir(T("d/at")), 0, "rmdir");
	CHECK_ERR(access(T("d/at"), F_OK), ENOENT, "rmdir_removed");
	CHECK_ERR(rmdir(T("d/at")), ENOENT, "rmdir_enoent");
	CHECK_ERR(rmdir(T("f")), ENOTDIR, "rmdir_file");
	CHECK_ERR(rmdir(T("d/sub/.")), EINVAL, "rmdir_dot");
	CHECK_ERR(rmdir(T("d/sub/..")), ENOTEMPTY, "rmdir_dotdot");
	SETUP(symlink("d/sub", T("sublink")));
	CHECK_ERR(rmdir(T("sublink")), ENOTDIR, "rmdir_symlink_to_dir");
	CHECK_EQ(rmdir(T("slash/")), 0, "rmdir_trailing_slash");
	/* A removed directory that is still open: getdents fails with ENOENT. */
	SETUP(mkdir(T("gone"), 0755));
	int gfd = open(T("gone"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(rmdir(T("gone")), 0, "rmdir_open_dir");
	char buf[1024];
	CHECK_ERR(syscall(SYS_getdents64, gfd, buf, sizeof buf), ENOENT, "removed_dir_getdents");
	CHECK_ERR(openat(gfd, "new", O_CREAT | O_WRONLY, 0644), ENOENT, "create_in_removed_dir");
	close(gfd);
	close(dfd);
	return conf_exit();
}
