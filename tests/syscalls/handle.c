/* name_to_handle_at / open_by_handle_at: the checks before any handle is
 * made or used (flags, the path, the handle header, EPERM for an
 * unprivileged caller). Whether a file system exports handles differs
 * (the sandbox's do not: EOPNOTSUPP), so both answers are accepted there. */
#include "conformance.h"

struct fh128 {
	unsigned int handle_bytes;
	int handle_type;
	unsigned char f_handle[128];
};

int main(void)
{
	SETUP(write_file(T("f"), "x"));
	struct fh128 fh = { .handle_bytes = 128 };
	int mnt;
	CHECK_ERR(syscall(SYS_name_to_handle_at, AT_FDCWD, T("missing"), &fh, &mnt, 0), ENOENT,
		  "name_missing_path");
	CHECK_ERR(syscall(SYS_name_to_handle_at, AT_FDCWD, T("f"), &fh, &mnt, 0x8000), EINVAL,
		  "name_bad_flags");
	long r = syscall(SYS_name_to_handle_at, AT_FDCWD, T("f"), &fh, &mnt, 0);
	CHECK(r == 0 || errno == EOPNOTSUPP, "name_ok_or_eopnotsupp");
	struct fh128 bad = { .handle_bytes = 0 };
	CHECK_ERR(syscall(SYS_open_by_handle_at, AT_FDCWD, &bad, O_RDONLY), EINVAL,
		  "open_zero_bytes");
	bad.handle_bytes = 129;
	CHECK_ERR(syscall(SYS_open_by_handle_at, AT_FDCWD, &bad, O_RDONLY), EINVAL,
		  "open_too_many_bytes");
	bad.handle_bytes = 8;
	CHECK_ERR(syscall(SYS_open_by_handle_at, -1, &bad, O_RDONLY), EBADF, "open_bad_mountfd");
	CHECK_ERR(syscall(SYS_open_by_handle_at, AT_FDCWD, conf_bad_ptr(), O_RDONLY), EFAULT,
		  "open_efault");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		struct fh128 h = { .handle_bytes = 8 };
		_exit(syscall(SYS_open_by_handle_at, AT_FDCWD, &h, O_RDONLY) < 0 && errno == EPERM
		      ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "open_unprivileged_eperm");
	struct fh128 garbage = { .handle_bytes = 8, .handle_type = 1 };
	r = syscall(SYS_open_by_handle_at, AT_FDCWD, &garbage, O_RDONLY);
	CHECK(r == -1 && errno == ESTALE, "open_unknown_handle_estale");
	return conf_exit();
}
