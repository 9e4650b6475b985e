/* open/openat/creat: flags and errors. */
#include "conformance.h"

int main(void)
{
	const char *f = T("file");
	int fd;

	CHECK_OK(fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0644), "creat_excl_new");
	CHECK_EQ(write(fd, "hello", 5), 5, "write_new");
	close(fd);

	CHECK_ERR(open(f, O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "creat_excl_exists");
	CHECK_ERR(open(T("missing"), O_RDONLY), ENOENT, "enoent");
	CHECK_ERR(open(T("nodir/x"), O_RDONLY | O_CREAT, 0644), ENOENT, "creat_missing_parent");
	CHECK_ERR(open(f, O_RDONLY | O_DIRECTORY), ENOTDIR, "directory_on_file");
	CHECK_ERR(open(T("file/x"), O_RDONLY), ENOTDIR, "file_as_component");
	CHECK_ERR(open(conf_tmpdir(), O_WRONLY), EISDIR, "dir_wronly");
	CHECK_ERR(open(conf_tmpdir(), O_RDWR), EISDIR, "dir_rdwr");
	CHECK_ERR(open(T("newdir/"), O_RDWR | O_CREAT, 0644), EISDIR, "creat_trailing_slash");

	CHECK_OK(fd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY), "dir_rdonly_directory");
	close(fd);

	/* O_CREAT on an existing file without O_EXCL opens it. */
	CHECK_OK(fd = open(f, O_RDWR | O_CREAT, 0600), "creat_existing");
	struct stat st;
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 5, "creat_existing_keeps_content");
	close(fd);

	/* O_TRUNC */
	fd = open(f, O_WRONLY | O_TRUNC);
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 0, "trunc");
	CHECK_EQ(write(fd, "abc", 3), 3, "trunc_write");
	close(fd);

	/* O_APPEND: writes go to the end even after lseek to 0. */
	fd = open(f, O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ(write(fd, "def", 3), 3, "append_write");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6, "append_offset_at_end");
	close(fd);
	char buf[32];
	read_file(f, buf, sizeof buf);
	CHECK_STR(buf, "abcdef", "append_content");

	/* O_NOFOLLOW */
	SETUP(symlink("file", T("link")));
	CHECK_ERR(open(T("link"), O_RDONLY | O_NOFOLLOW), ELOOP, "nofollow_symlink");
	CHECK_OK(fd = open(T("link"), O_RDONLY), "follow_symlink");
	close(fd);
	CHECK_OK(fd = open(T("link"), O_PATH | O_NOFOLLOW), "nofollow_opath_symlink");
	close(fd);
	/* O_NOFOLLOW only applies to the last component. */
	SETUP(mkdir(T("d"), 0755));
	SETUP(symlink("d", T("dlink")));
	CHECK_OK(fd = open(T("dlink/new"), O_WRONLY | O_CREAT | O_NOFOLLOW, 0644), "nofollow_intermediate");
	close(fd);
	/* O_CREAT|O_EXCL on a dangling symlink fails with EEXIST. */
	SETUP(symlink("nowhere", T("dangling")));
	CHECK_ERR(open(T("dangling"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "excl_dangling_symlink");
	/* O_CREAT without O_EXCL through a dangling symlink creates the target. */
	CHECK_OK(fd = open(T("dangling"), O_WRONLY | O_CREAT, 0644), "creat_through_dangling");
	close(fd);
	CHECK_OK(access(T("nowhere"), F_OK), "creat_through_dangling_made_target");

	/* O_CLOEXEC visible through F_GETFD. */
	fd = open(f, O_RDONLY | O_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "cloexec_set");
	close(fd);
	fd = open(f, O_RDONLY);
	CHECK_EQ(fcntl(fd, F_GETFD), 0, "cloexec_clear");
	close(fd);

	/* Lowest free descriptor is used. */
	int a = open(f, O_RDONLY), b = open(f, O_RDONLY);
	close(a);
	int c = open(f, O_RDONLY);
	CHECK_EQ(c, a, "lowest_fd");
	close(b);
	close(c);

	/* Access mode enforcement. */
	fd = open(f, O_RDONLY);
	CHECK_ERR(write(fd, "x", 1), EBADF, "write_on_rdonly");
	close(fd);
	fd = open(f, O_WRONLY);
	CHECK_ERR(read(fd, buf, 1), EBADF, "read_on_wronly");
	close(fd);

	/* openat relative to a directory fd, and ENOTDIR for a file dirfd. */
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_OK(fd = openat(dfd, "file", O_RDONLY), "openat_dirfd");
	close(fd);
	int ffd = open(f, O_RDONLY);
	CHECK_ERR(openat(ffd, "x", O_RDONLY), ENOTDIR, "openat_file_dirfd");
	CHECK_ERR(openat(999, "x", O_RDONLY), EBADF, "openat_bad_dirfd");
	/* An absolute path ignores dirfd, even a bad one. */
	CHECK_OK(fd = openat(999, f, O_RDONLY), "openat_absolute_ignores_dirfd");
	close(fd);
	close(ffd);
	close(dfd);

	/* creat() == open(O_CREAT|O_WRONLY|O_TRUNC). */
	CHECK_OK(fd = creat(T("c"), 0600), "creat");
	CHECK_ERR(read(fd, buf, 1), EBADF, "creat_is_wronly");
	close(fd);

	CHECK_ERR(syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY), EFAULT, "null_path");
	CHECK_ERR(open("", O_RDONLY), ENOENT, "empty_path");
	CHECK_ERR(syscall(SYS_openat, AT_FDCWD, f, O_RDONLY | O_DIRECTORY | O_CREAT, 0644), EINVAL, "directory_creat_einval");

	return conf_exit();
}
