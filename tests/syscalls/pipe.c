/* Anonymous pipes: pipe, pipe2 flags, EOF/EPIPE, non-blocking I/O, capacity,
 * F_GETPIPE_SZ/F_SETPIPE_SZ, PIPE_BUF atomicity, O_DIRECT packets, fstat,
 * /proc/self/fd links. Single process, no threads. */
#include "conformance.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/uio.h>

static ssize_t fill_nonblock(int wfd, size_t chunk)
{
	static char buf[65536];
	ssize_t total = 0;
	for (;;) {
		ssize_t n = write(wfd, buf, chunk);
		if (n < 0)
			return errno == EAGAIN ? total : -1;
		total += n;
	}
}

static void on_alarm(int sig)
{
}

/* Arm SIGALRM in ms milliseconds, with a handler and without SA_RESTART. */
static void alarm_ms(int ms)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static int nread(int fd)
{
	int n = -1;
	ioctl(fd, FIONREAD, &n);
	return n;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	char buf[256];

	/* Basics */
	SETUP(pipe(p));
	CHECK_EQ(write(p[1], "hello", 5), 5, "write");
	CHECK_EQ(nread(p[0]), 5, "fionread");
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, sizeof buf), 5, "read_returns_available");
	CHECK_STR(buf, "hello", "read_data");
	CHECK_EQ(fcntl(p[0], F_GETFL), O_RDONLY, "getfl_read_end");
	CHECK_EQ(fcntl(p[1], F_GETFL), O_WRONLY, "getfl_write_end");
	CHECK_EQ(fcntl(p[0], F_GETFD), 0, "no_cloexec");
	CHECK_ERR(read(p[1], buf, 1), EBADF, "read_write_end");
	CHECK_ERR(write(p[0], "x", 1), EBADF, "write_read_end");
	CHECK_ERR(lseek(p[0], 0, SEEK_CUR), ESPIPE, "lseek_espipe");
	CHECK_ERR(pread(p[0], buf, 1, 0), ESPIPE, "pread_espipe");
	CHECK_ERR(pwrite(p[1], buf, 1, 0), ESPIPE, "pwrite_espipe");
	CHECK_EQ(read(p[0], buf, 0), 0, "zero_read");

	/* readv / writev */
	struct iovec wv[2] = { { "ab", 2 }, { "cde", 3 } };
	CHECK_EQ(writev(p[1], wv, 2), 5, "writev");
	char a[3] = { 0 }, b[4] = { 0 };
	struct iovec rv[2] = { { a, 2 }, { b, 3 } };
	CHECK_EQ(readv(p[0], rv, 2), 5, "readv");
	CHECK(memcmp(a, "ab", 2) == 0 && memcmp(b, "cde", 3) == 0, "readv_data");

	/* fstat */
	struct stat s0, s1, s2;
	SETUP(fstat(p[0], &s0));
	SETUP(fstat(p[1], &s1));
	CHECK(S_ISFIFO(s0.st_mode), "fstat_fifo");
	CHECK_EQ(s0.st_mode & 07777, 0600, "fstat_mode");
	CHECK_EQ(s0.st_nlink, 1, "fstat_nlink");
	CHECK_EQ(s0.st_size, 0, "fstat_size");
	CHECK_EQ(s0.st_blksize, 4096, "fstat_blksize");
	CHECK(s0.st_ino == s1.st_ino && s0.st_dev == s1.st_dev, "fstat_same_inode");
	CHECK_EQ(s0.st_uid, geteuid(), "fstat_uid");
	int q[2];
	SETUP(pipe(q));
	SETUP(fstat(q[0], &s2));
	CHECK(s2.st_ino != s0.st_ino && s2.st_dev == s0.st_dev, "fstat_unique_ino");

	/* /proc/self/fd */
	char link[64], want[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", p[0]);
	snprintf(want, sizeof want, "pipe:[%llu]", (unsigned long long)s0.st_ino);
	ssize_t ln = readlink(link, buf, sizeof buf - 1);
	buf[ln > 0 ? ln : 0] = 0;
	CHECK_STR(buf, want, "proc_fd_link");
	/* Reopening the read end's link for writing gives a new writer. */
	int w2 = open(link, O_WRONLY);
	CHECK_OK(w2, "proc_fd_reopen_write");
	CHECK_EQ(write(w2, "xy", 2), 2, "reopen_write");
	CHECK_EQ(read(p[0], buf, sizeof buf), 2, "reopen_data_arrives");
	close(w2);

	/* EOF and EPIPE */
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof buf), 0, "eof_no_writers");
	close(p[0]);
	CHECK_EQ(write(q[1], "x", 1), 1, "write_before_reader_close");
	close(q[0]);
	CHECK_ERR(write(q[1], "x", 1), EPIPE, "epipe_no_readers");
	CHECK_EQ(write(q[1], "", 0), 0, "zero_write_no_readers");
	close(q[1]);

	/* EOF after the data */
	SETUP(pipe(p));
	write(p[1], "abc", 3);
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof buf), 3, "data_then_eof_data");
	CHECK_EQ(read(p[0], buf, sizeof buf), 0, "data_then_eof");
	close(p[0]);

	/* pipe2 flags */
	SETUP(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC, "pipe2_cloexec_read");
	CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC, "pipe2_cloexec_write");
	CHECK_EQ(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK, "pipe2_nonblock_read");
	CHECK_EQ(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK, "pipe2_nonblock_write");
	CHECK_ERR(read(p[0], buf, 1), EAGAIN, "nonblock_read_empty");
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536, "default_size");
	CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536, "default_size_write_end");
	CHECK_EQ(fill_nonblock(p[1], 1), 65536, "capacity_bytewise");
	CHECK_EQ(nread(p[0]), 65536, "fionread_full");
	CHECK_ERR(write(p[1], "x", 1), EAGAIN, "nonblock_write_full");
	CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 4096), EBUSY, "setpipe_sz_below_content");
	close(p[0]);
	close(p[1]);

	CHECK_ERR(pipe2(p, O_APPEND), EINVAL, "pipe2_bad_flags");
	CHECK_ERR(pipe2(p, 0x40000000), EINVAL, "pipe2_bad_high_flag");
	/* A failed copy-out leaves no descriptors behind. */
	int before = dup(0);
	close(before);
	CHECK_ERR(pipe(BAD_PTR), EFAULT, "pipe_efault");
	CHECK_ERR(pipe2(BAD_PTR, O_CLOEXEC), EFAULT, "pipe2_efault");
	int after = dup(0);
	CHECK_EQ(after, before, "efault_no_fd_leak");
	close(after);

	/* F_SETPIPE_SZ */
	SETUP(pipe2(p, O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 4096), 4096, "setpipe_sz_page");
	CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 4096, "setpipe_sz_shared");
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 0), 4096, "setpipe_sz_zero_is_page");
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 5000), 8192, "setpipe_sz_round_up");
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 3 * 4096), 16384, "setpipe_sz_pow2");
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 1 << 20), 1 << 20, "setpipe_sz_max");
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 4096), 4096, "setpipe_sz_shrink_empty");
	CHECK_EQ(fill_nonblock(p[1], 1000), 4000, "small_pipe_atomic_chunks");
	CHECK_EQ(write(p[1], buf, 96), 96, "small_pipe_fills_page");
	CHECK_ERR(write(p[1], "x", 1), EAGAIN, "small_pipe_full");
	int fd = open(T("f"), O_RDWR | O_CREAT, 0600);
	CHECK_ERR(fcntl(fd, F_GETPIPE_SZ), EBADF, "getpipe_sz_not_pipe");
	CHECK_ERR(fcntl(fd, F_SETPIPE_SZ, 4096), EBADF, "setpipe_sz_not_pipe");
	close(fd);
	close(p[0]);
	close(p[1]);

	/* PIPE_BUF atomicity: a small write never splits, a large one does. */
	static char big[70000];
	SETUP(pipe2(p, O_NONBLOCK));
	CHECK_EQ(write(p[1], big, 15 * 4096 + 4000), 15 * 4096 + 4000, "fill_all_slots");
	CHECK_ERR(write(p[1], big, 200), EAGAIN, "atomic_write_not_split");
	CHECK_EQ(write(p[1], big, 96), 96, "small_write_merges");
	CHECK_EQ(nread(p[0]), 65536, "merged_full");
	CHECK_EQ(read(p[0], big, sizeof big), 65536, "drain");
	CHECK_EQ(write(p[1], big, sizeof big), 65536, "large_write_partial");
	close(p[0]);
	close(p[1]);

	/* O_DIRECT: packets */
	SETUP(pipe2(p, O_DIRECT | O_NONBLOCK));
	CHECK_EQ(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK | O_DIRECT, "direct_write_end_flag");
	CHECK_EQ(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK, "direct_not_on_read_end");
	write(p[1], "abc", 3);
	write(p[1], "defg", 4);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, sizeof buf), 3, "packet_one_per_read");
	CHECK_STR(buf, "abc", "packet_data");
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, 2), 2, "packet_short_read");
	CHECK_STR(buf, "de", "packet_short_data");
	CHECK_ERR(read(p[0], buf, sizeof buf), EAGAIN, "packet_rest_discarded");
	CHECK_EQ(fill_nonblock(p[1], 1), 16, "packet_slots");
	close(p[0]);
	close(p[1]);

	/* Blocking calls end with EINTR when a handler runs (no SA_RESTART). */
	SETUP(pipe(p));
	alarm_ms(30);
	CHECK_ERR(read(p[0], buf, sizeof buf), EINTR, "blocking_read_eintr");
	static char fill[65536 + 1000];
	alarm_ms(30);
	CHECK_EQ(write(p[1], fill, sizeof fill), 65536, "blocking_write_partial_on_signal");
	alarm_ms(30);
	CHECK_ERR(write(p[1], "x", 1), EINTR, "blocking_write_eintr");
	close(p[0]);
	close(p[1]);

	return conf_exit();
}
