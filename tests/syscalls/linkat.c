/* linkat: AT_SYMLINK_FOLLOW (a link to the target, not the symlink),
 * AT_EMPTY_PATH on a descriptor, flags and errors; renameat2 flags:
 * RENAME_NOREPLACE, RENAME_EXCHANGE (files and directories),
 * RENAME_WHITEOUT (a 0:0 character device is left behind). */
#include "conformance.h"
#include <linux/fs.h>
#include <sys/sysmacros.h>

static int rename2(const char *a, const char *b, unsigned flags)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

static void test_linkat(void)
{
	SETUP(write_file(T("target"), "t"));
	SETUP(symlink("target", T("sym")));
	struct stat st, lst;
	CHECK_EQ(linkat(AT_FDCWD, T("sym"), AT_FDCWD, T("nofollow"), 0), 0, "link_symlink_itself");
	CHECK(lstat(T("nofollow"), &lst) == 0 && S_ISLNK(lst.st_mode), "nofollow_is_symlink");
	CHECK_EQ(linkat(AT_FDCWD, T("sym"), AT_FDCWD, T("follow"), AT_SYMLINK_FOLLOW), 0,
		 "link_follow");
	CHECK(lstat(T("follow"), &lst) == 0 && S_ISREG(lst.st_mode) && stat(T("target"), &st) == 0 &&
	      st.st_ino == lst.st_ino && st.st_nlink == 2, "follow_is_target");
	int fd = open(T("target"), O_RDONLY);
	CHECK_EQ(linkat(fd, "", AT_FDCWD, T("byfd"), AT_EMPTY_PATH), 0, "empty_path");
	CHECK(stat(T("target"), &st) == 0 && st.st_nlink == 3, "empty_path_nlink");
	close(fd);
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(linkat(dfd, "target", dfd, "rel", 0), 0, "relative_dirfds");
	CHECK_ERR(linkat(dfd, "", AT_FDCWD, T("dirlink"), AT_EMPTY_PATH), EPERM, "empty_path_dir");
	close(dfd);
	CHECK_ERR(linkat(AT_FDCWD, T("target"), AT_FDCWD, T("rel"), 0), EEXIST, "exists");
	CHECK_ERR(linkat(AT_FDCWD, T("missing"), AT_FDCWD, T("x"), 0), ENOENT, "missing");
	CHECK_ERR(linkat(AT_FDCWD, T("target"), AT_FDCWD, T("x"), 0x1), EINVAL, "bad_flags");
	CHECK_ERR(linkat(AT_FDCWD, "", AT_FDCWD, T("x"), 0), ENOENT, "empty_without_flag");
	char other[64];
	snprintf(other, sizeof(other), "/dev/shm/conf-linkat-%d", getpid());
	CHECK_ERR(linkat(AT_FDCWD, T("target"), AT_FDCWD, other, 0), EXDEV, "exdev");
	SETUP(mkdir(T("d"), 0755));
	CHECK_ERR(linkat(AT_FDCWD, T("d"), AT_FDCWD, T("dlink"), 0), EPERM, "dir_eperm");
	CHECK_ERR(linkat(AT_FDCWD, T("target"), AT_FDCWD, T("nodir/x"), 0), ENOENT, "no_parent");
}

static void test_rename(void)
{
	SETUP(write_file(T("a"), "A"));
	SETUP(write_file(T("b"), "B"));
	char buf[8];
	CHECK_ERR(rename2(T("a"), T("b"), RENAME_NOREPLACE), EEXIST, "noreplace_exists");
	CHECK_EQ(rename2(T("a"), T("c"), RENAME_NOREPLACE), 0, "noreplace_new");
	CHECK_EQ(rename2(T("c"), T("b"), RENAME_EXCHANGE), 0, "exchange");
	CHECK(read_file(T("b"), buf, sizeof(buf)) == 1 && buf[0] == 'A' &&
	      read_file(T("c"), buf, sizeof(buf)) == 1 && buf[0] == 'B', "exchanged");
	CHECK_ERR(rename2(T("b"), T("missing"), RENAME_EXCHANGE), ENOENT, "exchange_missing");
	SETUP(mkdir(T("dir1"), 0755));
	SETUP(write_file(T("dir1/in"), "x"));
	CHECK_EQ(rename2(T("dir1"), T("c"), RENAME_EXCHANGE), 0, "exchange_dir_file");
	struct stat st;
	CHECK(stat(T("c"), &st) == 0 && S_ISDIR(st.st_mode) && access(T("c/in"), F_OK) == 0 &&
	      stat(T("dir1"), &st) == 0 && S_ISREG(st.st_mode), "exchanged_dir_file");
	CHECK_ERR(rename2(T("b"), T("c"), RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL,
		  "exchange_noreplace");
	CHECK_ERR(rename2(T("b"), T("c"), RENAME_EXCHANGE | RENAME_WHITEOUT), EINVAL,
		  "exchange_whiteout");
	CHECK_ERR(rename2(T("b"), T("c"), 0x80), EINVAL, "unknown_flag");
	/* RENAME_WHITEOUT: the old name becomes a 0:0 char device. */
	CHECK_EQ(rename2(T("b"), T("w"), RENAME_WHITEOUT), 0, "whiteout");
	CHECK(lstat(T("b"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
	      "whiteout_left");
	CHECK(read_file(T("w"), buf, sizeof(buf)) == 1 && buf[0] == 'A', "whiteout_moved");
	CHECK_ERR(open(T("b"), O_RDONLY), ENXIO, "whiteout_open_enxio");
	/* Whiteouts need no privilege (Linux 5.8+): the caller owns the new node. */
	SETUP(chmod(conf_tmpdir(), 0777));
	SETUP(chmod(T("w"), 0666));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(rename2(T("w"), T("w2"), RENAME_WHITEOUT) == 0 ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "whiteout_unprivileged");
	CHECK(lstat(T("w"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_uid == 65534,
	      "whiteout_owned_by_caller");
	SETUP(chmod(conf_tmpdir(), 0700));
}

int main(void)
{
	test_linkat();
	test_rename();
	return conf_exit();
}
