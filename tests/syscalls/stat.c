/* stat/fstat/lstat/newfstatat. */
#include "conformance.h"

int main(void)
{
	struct stat st, st2;
	umask(022);
	SETUP(write_file(T("f"), "hello world"));
	SETUP(chmod(T("f"), 0640));
	SETUP(mkdir(T("d"), 0755));
	SETUP(symlink("f", T("l")));

	CHECK_OK(stat(T("f"), &st), "stat_file");
	CHECK_EQ(st.st_size, 11, "stat_size");
	CHECK(S_ISREG(st.st_mode), "stat_isreg");
	CHECK_EQ(st.st_mode & 07777, 0640, "stat_perm");
	CHECK_EQ(st.st_nlink, 1, "stat_nlink_file");
	CHECK_EQ(st.st_uid, geteuid(), "stat_uid");
	CHECK_EQ(st.st_gid, getegid(), "stat_gid");
	CHECK(st.st_blksize > 0, "stat_blksize");
	CHECK(st.st_ino != 0, "stat_ino");

	int fd = open(T("f"), O_RDONLY);
	CHECK_OK(fstat(fd, &st2), "fstat");
	CHECK(st.st_ino == st2.st_ino && st.st_dev == st2.st_dev && st2.st_size == 11,
	      "fstat_matches_stat");
	/* Size follows writes through another descriptor. */
	int w = open(T("f"), O_WRONLY | O_APPEND);
	write(w, "!", 1);
	close(w);
	fstat(fd, &st2);
	CHECK_EQ(st2.st_size, 12, "fstat_sees_growth");

	CHECK_OK(stat(T("d"), &st), "stat_dir");
	CHECK(S_ISDIR(st.st_mode), "stat_isdir");
	CHECK_EQ(st.st_nlink, 2, "dir_nlink_empty");
	SETUP(mkdir(T("d/sub"), 0755));
	stat(T("d"), &st);
	CHECK_EQ(st.st_nlink, 3, "dir_nlink_with_subdir");
	SETUP(write_file(T("d/file"), "x"));
	stat(T("d"), &st);
	CHECK_EQ(st.st_nlink, 3, "dir_nlink_files_dont_count");

	CHECK_OK(lstat(T("l"), &st), "lstat_link");
	CHECK(S_ISLNK(st.st_mode), "lstat_islnk");
	CHECK_EQ(st.st_size, 1, "lstat_size_is_target_len");
	CHECK_OK(stat(T("l"), &st), "stat_follows_link");
	CHECK(S_ISREG(st.st_mode) && st.st_ino == st2.st_ino, "stat_link_is_target");
	CHECK_OK(lstat(T("f"), &st), "lstat_regular");
	CHECK(S_ISREG(st.st_mode), "lstat_regular_isreg");

	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_OK(fstatat(dfd, "f", &st, 0), "fstatat_rel");
	CHECK_EQ(st.st_ino, st2.st_ino, "fstatat_rel_ino");
	CHECK_OK(fstatat(dfd, "l", &st, AT_SYMLINK_NOFOLLOW), "fstatat_nofollow");
	CHECK(S_ISLNK(st.st_mode), "fstatat_nofollow_islnk");
	CHECK_OK(fstatat(fd, "", &st, AT_EMPTY_PATH), "fstatat_empty_path");
	CHECK_EQ(st.st_ino, st2.st_ino, "fstatat_empty_path_ino");
	CHECK_ERR(fstatat(fd, "", &st, 0), ENOENT, "fstatat_empty_no_flag");
	CHECK_ERR(fstatat(dfd, "f", &st, 0x40000000), EINVAL, "fstatat_bad_flags");
	CHECK_ERR(fstatat(fd, "x", &st, 0), ENOTDIR, "fstatat_file_dirfd");
	CHECK_ERR(fstatat(9999, "x", &st, 0), EBADF, "fstatat_bad_dirfd");
	CHECK_OK(fstatat(AT_FDCWD, T("f"), &st, 0), "fstatat_fdcwd");
	close(dfd);

	CHECK_ERR(stat(T("missing"), &st), ENOENT, "stat_enoent");
	CHECK_ERR(stat(T("f/x"), &st), ENOTDIR, "stat_enotdir");
	CHECK_ERR(stat(T("f/"), &st), ENOTDIR, "stat_trailing_slash_file");
	CHECK_OK(stat(T("d/"), &st), "stat_trailing_slash_dir");
	CHECK_ERR(syscall(SYS_stat, T("f"), BAD_PTR), EFAULT, "stat_efault");
	CHECK_ERR(fstat(9999, &st), EBADF, "fstat_ebadf");
	CHECK_ERR(stat("", &st), ENOENT, "stat_empty");

	close(fd);
	return conf_exit();
}
