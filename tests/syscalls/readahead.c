/*
 * readahead(2): 0 for a regular file open for reading (whatever the range),
 * EBADF without read access (O_WRONLY, O_PATH, closed), EINVAL for what is
 * not a regular file (pipe, socket, directory, character device).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "conformance.h"

static long ra(int fd, long off, long n)
{
	return syscall(SYS_readahead, fd, off, n);
}

int main(void)
{
	const char *f = T("f");
	CHECK(write_file(f, "hello") == 0, "setup");
	int rd = open(f, O_RDONLY), wr = open(f, O_WRONLY), rw = open(f, O_RDWR), op = open(f, O_PATH);
	CHECK_OK(ra(rd, 0, 4096), "regular_file");
	CHECK_OK(ra(rw, 0, 4096), "read_write_file");
	CHECK_OK(ra(rd, 1L << 40, 1L << 20), "past_the_end");
	CHECK_OK(ra(rd, -1, 10), "negative_offset");
	CHECK_OK(ra(rd, 0, 0), "zero_count");
	CHECK_ERR(ra(wr, 0, 10), EBADF, "write_only");
	CHECK_ERR(ra(op, 0, 10), EBADF, "o_path");
	CHECK_ERR(ra(-1, 0, 10), EBADF, "bad_fd");
	int p[2], s[2];
	CHECK(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0, "setup_pipe_socket");
	CHECK_ERR(ra(p[0], 0, 10), EINVAL, "pipe");
	CHECK_ERR(ra(s[0], 0, 10), EINVAL, "socket");
	int d = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY), z = open("/dev/zero", O_RDONLY);
	CHECK_ERR(ra(d, 0, 10), EINVAL, "directory");
	CHECK_ERR(ra(z, 0, 10), EINVAL, "char_device");
	int pr = open("/proc/self/status", O_RDONLY);
	CHECK_OK(ra(pr, 0, 10), "procfs_file");
	int m = memfd_create("ra", 0);
	CHECK_OK(ra(m, 0, 10), "memfd");
	return conf_exit();
}
