/* statx. */
#include "conformance.h"
#include <sys/sysmacros.h>

int main(void)
{
	struct statx sx;
	struct stat st;
	SETUP(write_file(T("f"), "12345"));
	SETUP(mkdir(T("d"), 0700));
	SETUP(symlink("f", T("l")));
	stat(T("f"), &st);

	CHECK_OK(statx(AT_FDCWD, T("f"), 0, STATX_BASIC_STATS, &sx), "statx_file");
	CHECK((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, "statx_mask_basic");
	CHECK_EQ(sx.stx_size, 5, "statx_size");
	CHECK(S_ISREG(sx.stx_mode), "statx_isreg");
	CHECK_EQ(sx.stx_ino, st.st_ino, "statx_ino_matches_stat");
	CHECK_EQ(sx.stx_nlink, 1, "statx_nlink");
	CHECK_EQ(sx.stx_uid, st.st_uid, "statx_uid");
	CHECK_EQ(sx.stx_mode & 07777, st.st_mode & 07777, "statx_perm");
	CHECK_EQ(sx.stx_mtime.tv_sec, st.st_mtim.tv_sec, "statx_mtime");
	CHECK_EQ(makedev(sx.stx_dev_major, sx.stx_dev_minor), st.st_dev, "statx_dev");

	CHECK_OK(statx(AT_FDCWD, T("d"), 0, STATX_BASIC_STATS, &sx), "statx_dir");
	CHECK(S_ISDIR(sx.stx_mode) && sx.stx_nlink == 2, "statx_dir_mode_nlink");

	CHECK_OK(statx(AT_FDCWD, T("l"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), "statx_nofollow");
	CHECK(S_ISLNK(sx.stx_mode) && sx.stx_size == 1, "statx_nofollow_islnk");
	CHECK_OK(statx(AT_FDCWD, T("l"), 0, STATX_BASIC_STATS, &sx), "statx_follow");
	CHECK(S_ISREG(sx.stx_mode), "statx_follow_isreg");

	int fd = open(T("f"), O_RDONLY);
	CHECK_OK(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), "statx_empty_path");
	CHECK_EQ(sx.stx_ino, st.st_ino, "statx_empty_path_ino");
	CHECK_ERR(statx(fd, "", 0, STATX_BASIC_STATS, &sx), ENOENT, "statx_empty_no_flag");
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_OK(statx(dfd, "f", 0, STATX_SIZE, &sx), "statx_dirfd");
	CHECK_EQ(sx.stx_size, 5, "statx_dirfd_size");
	close(dfd);

	CHECK_ERR(statx(AT_FDCWD, T("missing"), 0, STATX_BASIC_STATS, &sx), ENOENT, "statx_enoent");
	CHECK_ERR(statx(AT_FDCWD, T("f"), 0, STATX__RESERVED, &sx), EINVAL, "statx_reserved_mask");
	CHECK_ERR(statx(AT_FDCWD, T("f"), 0x40000000, STATX_BASIC_STATS, &sx), EINVAL, "statx_bad_flags");
	CHECK_ERR(statx(AT_FDCWD, T("f"), AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx),
		  EINVAL, "statx_both_sync_flags");
	CHECK_ERR(statx(9999, "x", 0, STATX_BASIC_STATS, &sx), EBADF, "statx_ebadf");
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, T("f"), 0, STATX_BASIC_STATS, BAD_PTR), EFAULT, "statx_efault");
	close(fd);
	return conf_exit();
}
