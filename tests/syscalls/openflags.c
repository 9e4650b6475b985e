/* open(2) flags: O_EXCL, O_APPEND, O_NOFOLLOW (ELOOP), O_DIRECTORY,
 * O_PATH (what works on such a descriptor and what is EBADF) and
 * O_NOATIME (EPERM for a non-owner). */
#include "conformance.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>

static void test_excl_append(void)
{
	const char *f = T("f");
	int fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK_OK(fd, "excl_create");
	close(fd);
	CHECK_ERR(open(f, O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "excl_exists");
	SETUP(symlink("dangling-target", T("dangling")));
	CHECK_ERR(open(T("dangling"), O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST,
		  "excl_dangling_symlink");
	CHECK_ERR(access(T("dangling-target"), F_OK), ENOENT, "excl_did_not_follow");
	fd = open(f, O_WRONLY | O_APPEND);
	SETUP(write(fd, "abc", 3));
	lseek(fd, 0, SEEK_SET);
	SETUP(write(fd, "def", 3));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6, "append_pos_end");
	SETUP(pwrite(fd, "gh", 2, 0));   /* Linux appends even for pwrite */
	char buf[16];
	CHECK(read_file(f, buf, sizeof(buf)) == 8 && strcmp(buf, "abcdefgh") == 0,
	      "append_data");
	CHECK_EQ(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND, "getfl_append");
	CHECK_EQ(fcntl(fd, F_SETFL, 0), 0, "clear_append");
	lseek(fd, 0, SEEK_SET);
	SETUP(write(fd, "X", 1));
	CHECK(read_file(f, buf, sizeof(buf)) == 8 && buf[0] == 'X', "append_cleared");
	close(fd);
}

static void test_nofollow_directory(void)
{
	SETUP(mkdir(T("d"), 0755));
	SETUP(write_file(T("d/file"), "x"));
	SETUP(symlink("d", T("ld")));
	SETUP(symlink("d/file", T("lf")));
	CHECK_ERR(open(T("lf"), O_RDONLY | O_NOFOLLOW), ELOOP, "nofollow_eloop");
	CHECK_ERR(open(T("ld"), O_RDONLY | O_NOFOLLOW | O_DIRECTORY), ENOTDIR, "nofollow_dir_link");
	int fd = open(T("ld/file"), O_RDONLY | O_NOFOLLOW);
	CHECK_OK(fd, "nofollow_only_last");
	close(fd);
	fd = open(T("lf"), O_PATH | O_NOFOLLOW);
	struct stat st;
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode), "path_nofollow_symlink");
	close(fd);
	CHECK_ERR(open(T("d/file"), O_RDONLY | O_DIRECTORY), ENOTDIR, "directory_on_file");
	fd = open(T("ld"), O_RDONLY | O_DIRECTORY);
	CHECK_OK(fd, "directory_follows");
	close(fd);
	CHECK_ERR(open(T("newdir"), O_RDWR | O_DIRECTORY | O_CREAT, 0644), EINVAL,
		  "directory_creat");
	CHECK_ERR(open(T("d"), O_WRONLY), EISDIR, "dir_wronly");
}

static void test_path(void)
{
	int fd = open(T("d/file"), O_PATH);
	CHECK_OK(fd, "o_path_open");
	char c;
	struct stat st;
	CHECK_ERR(read(fd, &c, 1), EBADF, "o_path_read");
	CHECK_ERR(write(fd, "x", 1), EBADF, "o_path_write");
	CHECK_EQ(fstat(fd, &st), 0, "o_path_fstat");
	struct statfs sfs;
	CHECK_EQ(fstatfs(fd, &sfs), 0, "o_path_fstatfs");
	CHECK_ERR(fchmod(fd, 0600), EBADF, "o_path_fchmod");
	CHECK_ERR(fchown(fd, 0, 0), EBADF, "o_path_fchown");
	int n;
	CHECK_ERR(ioctl(fd, FIONREAD, &n), EBADF, "o_path_ioctl");
	CHECK_ERR(lseek(fd, 0, SEEK_SET), EBADF, "o_path_lseek");
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == EBADF,
	      "o_path_mmap");
	CHECK_ERR(fsync(fd), EBADF, "o_path_fsync");
	CHECK(fcntl(fd, F_GETFL) & O_PATH, "o_path_getfl");
	CHECK_ERR(fcntl(fd, F_SETFL, O_NONBLOCK), EBADF, "o_path_setfl");
	CHECK_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0, "o_path_setfd");
	int d = dup(fd);
	CHECK_OK(d, "o_path_dup");
	close(d);
	CHECK_EQ(fstatat(fd, "", &st, AT_EMPTY_PATH), 0, "o_path_fstatat_empty");
	close(fd);
	int dfd = open(T("d"), O_PATH | O_DIRECTORY);
	fd = openat(dfd, "file", O_RDONLY);
	CHECK_OK(fd, "o_path_dirfd_openat");
	close(fd);
	char buf[64];
	CHECK_ERR(syscall(SYS_getdents64, dfd, buf, sizeof(buf)), EBADF, "o_path_getdents");
	int cwd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK_EQ(fchdir(dfd), 0, "o_path_fchdir");
	CHECK_EQ(access("file", F_OK), 0, "o_path_fchdir_worked");
	SETUP(fchdir(cwd));
	close(cwd);
	close(dfd);
	/* O_PATH needs no permission on the file itself. */
	SETUP(chmod(T("d/file"), 0));
	SETUP(chmod(conf_tmpdir(), 0755));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		int f = open(T("d/file"), O_PATH);
		_exit(f >= 0 && open(T("d/file"), O_RDONLY) < 0 && errno == EACCES ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "o_path_no_permission_needed");
	SETUP(chmod(T("d/file"), 0644));
}

static void test_noatime(void)
{
	int fd = open(T("d/file"), O_RDONLY | O_NOATIME);
	CHECK_OK(fd, "noatime_owner");
	CHECK(fcntl(fd, F_GETFL) & O_NOATIME, "noatime_getfl");
	close(fd);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (open(T("d/file"), O_RDONLY | O_NOATIME) != -1 || errno != EPERM)
			_exit(3);
		int f = open(T("d/file"), O_RDONLY);
		if (f < 0)
			_exit(4);
		if (fcntl(f, F_SETFL, O_NOATIME) != -1 || errno != EPERM)
			_exit(5);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0, "noatime_eperm_non_owner");
}

int main(void)
{
	test_excl_append();
	test_nofollow_directory();
	test_path();
	test_noatime();
	return conf_exit();
}
