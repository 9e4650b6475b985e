/* The pre-*at syscall numbers (open, creat, stat, lstat, access, mkdir,
 * rmdir, unlink, rename, link, symlink, readlink, chmod, getdents, dup2,
 * time), which glibc mostly no longer uses but static binaries, musl and
 * Go programs do. */
#include "conformance.h"

struct linux_dirent {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

int main(void)
{
	struct stat st;
	char buf[4096];
	int fd;

	CHECK_OK(fd = syscall(SYS_open, T("f"), O_RDWR | O_CREAT | O_EXCL, 0644), "open");
	CHECK_EQ(write(fd, "abc", 3), 3, "open_write");
	close(fd);
	CHECK_ERR(syscall(SYS_open, T("f"), O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "open_eexist");
	CHECK_ERR(syscall(SYS_open, T("nope"), O_RDONLY), ENOENT, "open_enoent");
	CHECK_OK(fd = syscall(SYS_creat, T("c"), 0600), "creat");
	CHECK_ERR(read(fd, buf, 1), EBADF, "creat_wronly");
	close(fd);

	CHECK_EQ(syscall(SYS_stat, T("f"), &st), 0, "stat");
	CHECK_EQ(st.st_size, 3, "stat_size");
	CHECK_EQ(syscall(SYS_symlink, "f", T("l")), 0, "symlink");
	CHECK_EQ(syscall(SYS_lstat, T("l"), &st), 0, "lstat");
	CHECK(S_ISLNK(st.st_mode), "lstat_islnk");
	CHECK_EQ(syscall(SYS_readlink, T("l"), buf, sizeof buf), 1, "readlink");
	CHECK_EQ(syscall(SYS_access, T("l"), R_OK), 0, "access");
	CHECK_ERR(syscall(SYS_access, T("nope"), F_OK), ENOENT, "access_enoent");
	CHECK_EQ(syscall(SYS_chmod, T("f"), 0600), 0, "chmod");
	stat(T("f"), &st);
	CHECK_EQ(st.st_mode & 0777, 0600, "chmod_mode");

	CHECK_EQ(syscall(SYS_mkdir, T("d"), 0755), 0, "mkdir");
	CHECK_ERR(syscall(SYS_mkdir, T("d"), 0755), EEXIST, "mkdir_eexist");
	CHECK_EQ(syscall(SYS_link, T("f"), T("d/hard")), 0, "link");
	stat(T("f"), &st);
	CHECK_EQ(st.st_nlink, 2, "link_nlink");
	CHECK_EQ(syscall(SYS_rename, T("d/hard"), T("d/moved")), 0, "rename");
	CHECK_ERR(syscall(SYS_rmdir, T("d")), ENOTEMPTY, "rmdir_enotempty");
	CHECK_ERR(syscall(SYS_unlink, T("d")), EISDIR, "unlink_dir");
	CHECK_EQ(syscall(SYS_unlink, T("d/moved")), 0, "unlink");
	CHECK_EQ(syscall(SYS_rmdir, T("d")), 0, "rmdir");

	/* Old getdents: d_type lives in the last byte of each record. */
	SETUP(syscall(SYS_mkdir, T("g"), 0755));
	SETUP(write_file(T("g/file"), "x"));
	SETUP(syscall(SYS_mkdir, T("g/sub"), 0755));
	int dfd = open(T("g"), O_RDONLY | O_DIRECTORY);
	long n = syscall(SYS_getdents, dfd, buf, sizeof buf);
	CHECK_OK(n, "getdents");
	int count = 0, file_reg = 0, sub_dir = 0;
	for (long off = 0; off < n;) {
		struct linux_dirent *d = (struct linux_dirent *)(buf + off);
		unsigned char type = buf[off + d->d_reclen - 1];
		count++;
		if (strcmp(d->d_name, "file") == 0 && type == DT_REG)
			file_reg = 1;
		if (strcmp(d->d_name, "sub") == 0 && type == DT_DIR)
			sub_dir = 1;
		off += d->d_reclen;
	}
	CHECK_EQ(count, 4, "getdents_count");
	CHECK(file_reg && sub_dir, "getdents_types");
	CHECK_EQ(syscall(SYS_getdents, dfd, buf, sizeof buf), 0, "getdents_eof");
	close(dfd);

	fd = open(T("f"), O_RDONLY);
	CHECK_EQ(syscall(SYS_dup2, fd, 70), 70, "dup2");
	CHECK_EQ(syscall(SYS_dup2, fd, fd), fd, "dup2_same");
	close(70);
	close(fd);

	time_t t = 0;
	long r = syscall(SYS_time, &t);
	CHECK(r > 1600000000 && r == t, "time");
	CHECK_EQ(syscall(SYS_getpgrp), getpgid(0), "getpgrp");
	return conf_exit();
}
