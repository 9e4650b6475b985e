/*
 * fchmodat2(2) (Linux 6.6): fchmodat with AT_SYMLINK_NOFOLLOW and
 * AT_EMPTY_PATH; changing a symlink's mode is EOPNOTSUPP; other flags
 * EINVAL; an O_PATH descriptor names its file with AT_EMPTY_PATH.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "conformance.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static long fchmodat2(int dirfd, const char *path, mode_t mode, int flags)
{
	return syscall(SYS_fchmodat2, dirfd, path, mode, flags);
}

static unsigned mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : st.st_mode & 07777;
}

int main(void)
{
	const char *f = T("f"), *l = T("l"), *dang = T("dang");
	int fd = open(f, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0, "setup_file");
	close(fd);
	CHECK(symlink(f, l) == 0 && symlink(T("nowhere"), dang) == 0, "setup_links");

	CHECK_OK(fchmodat2(AT_FDCWD, f, 0600, 0), "plain");
	CHECK_EQ(mode_of(f), 0600u, "plain_mode");
	CHECK_OK(fchmodat2(AT_FDCWD, l, 0640, 0), "follows_link");
	CHECK_EQ(mode_of(f), 0640u, "follows_link_mode");
	CHECK_ERR(fchmodat2(AT_FDCWD, l, 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP, "nofollow_link");
	CHECK_EQ(mode_of(f), 0640u, "nofollow_link_target_unchanged");
	CHECK_OK(fchmodat2(AT_FDCWD, f, 0604, AT_SYMLINK_NOFOLLOW), "nofollow_file");
	CHECK_EQ(mode_of(f), 0604u, "nofollow_file_mode");
	CHECK_ERR(fchmodat2(AT_FDCWD, dang, 0600, 0), ENOENT, "dangling_follow");
	CHECK_ERR(fchmodat2(AT_FDCWD, dang, 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP, "dangling_nofollow");
	CHECK_ERR(fchmodat2(AT_FDCWD, f, 0600, 0x1), EINVAL, "unknown_flag");
	CHECK_ERR(fchmodat2(AT_FDCWD, f, 0600, AT_REMOVEDIR), EINVAL, "removedir_flag");
	CHECK_ERR(fchmodat2(AT_FDCWD, "", 0600, 0), ENOENT, "empty_path");
	CHECK_ERR(fchmodat2(AT_FDCWD, conf_bad_ptr(), 0600, 0), EFAULT, "bad_path");
	CHECK_ERR(fchmodat2(AT_FDCWD, T("missing"), 0600, 0), ENOENT, "missing");

	int rd = open(f, O_RDONLY);
	CHECK_OK(fchmodat2(rd, "", 0644, AT_EMPTY_PATH), "empty_path_fd");
	CHECK_EQ(mode_of(f), 0644u, "empty_path_fd_mode");
	CHECK_ERR(fchmodat2(rd, "", 0600, 0), ENOENT, "empty_path_without_flag");
	close(rd);
	int op = open(f, O_PATH);
	CHECK_OK(fchmodat2(op, "", 0660, AT_EMPTY_PATH), "empty_path_o_path");
	CHECK_EQ(mode_of(f), 0660u, "empty_path_o_path_mode");
	CHECK_OK(fchownat(op, "", -1, -1, AT_EMPTY_PATH), "fchownat_empty_path_o_path");
	close(op);
	int lp = open(l, O_PATH | O_NOFOLLOW);
	CHECK_ERR(fchmodat2(lp, "", 0600, AT_EMPTY_PATH), EOPNOTSUPP, "empty_path_symlink");
	close(lp);
	CHECK_OK(fchmodat2(AT_FDCWD, f, 0170644, 0), "type_bits_ignored");
	CHECK_EQ(mode_of(f), 0644u, "type_bits_ignored_mode");
	/* The old call's AT_SYMLINK_NOFOLLOW: glibc's fchmodat gives EOPNOTSUPP for a link too. */
	CHECK_ERR(fchmodat(AT_FDCWD, l, 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP, "glibc_fchmodat_nofollow_link");
	return conf_exit();
}
