/* access/faccessat/faccessat2. */
#include "conformance.h"

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

int main(void)
{
	SETUP(write_file(T("f"), "x"));
	SETUP(write_file(T("x"), "#!/bin/sh\n"));
	SETUP(chmod(T("f"), 0644));
	SETUP(chmod(T("x"), 0755));
	SETUP(symlink("nowhere", T("dangling")));
	SETUP(mkdir(T("d"), 0755));

	CHECK_EQ(access(T("f"), F_OK), 0, "f_ok");
	CHECK_EQ(access(T("f"), R_OK | W_OK), 0, "rw_ok");
	CHECK_EQ(access(T("x"), X_OK), 0, "x_ok");
	/* Even root needs some x bit for X_OK on a regular file. */
	CHECK_ERR(access(T("f"), X_OK), EACCES, "x_ok_no_exec_bits");
	CHECK_EQ(access(T("d"), X_OK), 0, "x_ok_dir");
	CHECK_ERR(access(T("missing"), F_OK), ENOENT, "f_ok_missing");
	CHECK_ERR(access(T("dangling"), F_OK), ENOENT, "f_ok_dangling");
	CHECK_ERR(access(T("f/x"), F_OK), ENOTDIR, "enotdir");
	CHECK_ERR(access(T("f"), 0x100), EINVAL, "bad_mode");
	CHECK_ERR(syscall(SYS_access, BAD_PTR, F_OK), EFAULT, "efault");

	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(syscall(SYS_faccessat, dfd, "f", R_OK), 0, "faccessat");
	CHECK_ERR(syscall(SYS_faccessat, dfd, "missing", F_OK), ENOENT, "faccessat_enoent");
	CHECK_ERR(syscall(SYS_faccessat, 9999, "f", F_OK), EBADF, "faccessat_ebadf");
	CHECK_EQ(syscall(SYS_faccessat2, dfd, "f", R_OK, 0), 0, "faccessat2");
	CHECK_EQ(syscall(SYS_faccessat2, dfd, "f", R_OK, AT_EACCESS), 0, "faccessat2_eaccess");
	CHECK_EQ(syscall(SYS_faccessat2, dfd, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0,
		 "faccessat2_nofollow_dangling");
	CHECK_ERR(syscall(SYS_faccessat2, dfd, "dangling", F_OK, 0), ENOENT, "faccessat2_follow_dangling");
	int fd = open(T("f"), O_RDONLY);
	CHECK_EQ(syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH), 0, "faccessat2_empty_path");
	CHECK_ERR(syscall(SYS_faccessat2, fd, "", R_OK, 0), ENOENT, "faccessat2_empty_no_flag");
	close(fd);
	CHECK_ERR(syscall(SYS_faccessat2, dfd, "f", R_OK, 0x1), EINVAL, "faccessat2_bad_flags");
	CHECK_ERR(syscall(SYS_faccessat2, dfd, "f", 0x100, 0), EINVAL, "faccessat2_bad_mode");
	close(dfd);
	/* glibc's faccessat with flags. */
	CHECK_EQ(faccessat(AT_FDCWD, T("f"), W_OK, AT_EACCESS), 0, "glibc_faccessat_eaccess");
	return conf_exit();
}
