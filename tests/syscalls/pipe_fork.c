/* Pipes between processes: a child writes what the parent reads, EOF only
 * once every write end is closed, a large transfer with blocking on a full
 * pipe, PIPE_BUF-sized writes from two children stay whole, and writing with
 * no reader: SIGPIPE kills by default, EPIPE when ignored, blocked or
 * handled. */
#include "conformance.h"
#include <signal.h>
#include <time.h>

static volatile sig_atomic_t pipes;

static void on_pipe(int sig)
{
	(void)sig;
	pipes++;
}

/* Reads exactly N bytes (or to EOF); returns the count. */
static long read_full(int fd, char *buf, long n)
{
	long got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			break;
		got += r;
	}
	return got;
}

/* A child writing to a pipe whose reader is closed; returns its status. */
static int write_no_reader(void (*setup)(void), int *err)
{
	int p[2], e[2];
	if (pipe(p) < 0 || pipe(e) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(e[0]);
		if (setup)
			setup();
		int r = write(p[1], "x", 1);
		int code[2] = { r, r < 0 ? errno : 0 };
		if (write(e[1], code, sizeof code) != sizeof code)
			_exit(3);
		_exit(pipes ? 2 : 0);
	}
	close(p[0]);
	close(p[1]);
	close(e[1]);
	int code[2] = { 0, 0 };
	if (read(e[0], code, sizeof code) != sizeof code)
		code[1] = -1;
	close(e[0]);
	*err = code[1];
	return reap(pid);
}

static void ign(void) { signal(SIGPIPE, SIG_IGN); }
static void handle(void) { signal(SIGPIPE, on_pipe); }
static void block(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	sigprocmask(SIG_BLOCK, &s, NULL);
}

int main(void)
{
	int p[2];
	char buf[256];

	/* Child writes, parent reads, EOF after the child exits. */
	SETUP(pipe(p));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		conf_msleep(30);
		_exit(write(p[1], "hello", 5) == 5 ? 0 : 1);
	}
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof buf), 5, "parent_reads_child_data");
	CHECK(memcmp(buf, "hello", 5) == 0, "data_matches");
	CHECK_EQ(read(p[0], buf, sizeof buf), 0, "eof_after_child_exit");
	check_child_ok(pid, "writer_child");
	close(p[0]);

	/* EOF waits for every writer: the parent's own write end keeps it open. */
	SETUP(pipe(p));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(0);
	reap(pid);
	SETUP(fcntl(p[0], F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(p[0], buf, 1), EAGAIN, "no_eof_while_parent_holds_writer");
	close(p[1]);
	CHECK_EQ(read(p[0], buf, 1), 0, "eof_after_last_writer_closed");
	close(p[0]);

	/* Parent writes 1 MiB; the child reads it all and reports the sum. */
	SETUP(pipe(p));
	int res[2];
	SETUP(pipe(res));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		close(res[0]);
		static char rb[8192];
		unsigned long sum = 0, total = 0;
		ssize_t r;
		while ((r = read(p[0], rb, sizeof rb)) > 0) {
			for (ssize_t i = 0; i < r; i++)
				sum += (unsigned char)rb[i];
			total += r;
		}
		unsigned long out[2] = { total, sum };
		_exit(write(res[1], out, sizeof out) == sizeof out ? 0 : 1);
	}
	close(p[0]);
	close(res[1]);
	static char wb[1 << 20];
	unsigned long want_sum = 0;
	for (size_t i = 0; i < sizeof wb; i++) {
		wb[i] = (char)(i * 7);
		want_sum += (unsigned char)wb[i];
	}
	CHECK_EQ(write(p[1], wb, sizeof wb), (long)sizeof wb, "write_1mib_blocking");
	close(p[1]);
	unsigned long out[2] = { 0, 0 };
	CHECK_EQ(read_full(res[0], (char *)out, sizeof out), (long)sizeof out, "child_result");
	CHECK_EQ(out[0], sizeof wb, "child_read_1mib");
	CHECK_EQ(out[1], want_sum, "child_checksum");
	check_child_ok(pid, "reader_child");
	close(res[0]);

	/* Two children writing 4096-byte blocks: each block arrives whole. */
	SETUP(pipe(p));
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		fflush(stdout);
		kids[k] = fork();
		if (kids[k] == 0) {
			close(p[0]);
			static char blk[4096];
			memset(blk, 'A' + k, sizeof blk);
			for (int i = 0; i < 32; i++)
				if (write(p[1], blk, sizeof blk) != sizeof blk)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	static char rb[4096];
	int blocks = 0, whole = 0;
	while (read_full(p[0], rb, sizeof rb) == sizeof rb) {
		blocks++;
		int same = 1;
		for (int i = 1; i < 4096; i++)
			same &= rb[i] == rb[0];
		whole += same;
	}
	CHECK_EQ(blocks, 64, "interleaved_64_blocks");
	CHECK_EQ(whole, 64, "pipe_buf_writes_atomic");
	check_child_ok(kids[0], "atomic_writer_a");
	check_child_ok(kids[1], "atomic_writer_b");
	close(p[0]);

	/* No reader. */
	int err = 0;
	int st = write_no_reader(NULL, &err);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "no_reader_sigpipe_kills");
	st = write_no_reader(ign, &err);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "no_reader_ignored_survives");
	CHECK_EQ(err, EPIPE, "no_reader_ignored_epipe");
	st = write_no_reader(handle, &err);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "no_reader_handler_ran");
	CHECK_EQ(err, EPIPE, "no_reader_handled_epipe");
	st = write_no_reader(block, &err);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "no_reader_blocked_survives");
	CHECK_EQ(err, EPIPE, "no_reader_blocked_epipe");

	/* A writer blocked on a full pipe gets EPIPE/SIGPIPE when the reader goes. */
	SETUP(pipe(p));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		static char big[1 << 17];
		long w = 0;
		ssize_t r;
		while ((r = write(p[1], big, sizeof big)) > 0)
			w += r;
		_exit(r < 0 && errno == EPIPE ? 0 : 1);
	}
	close(p[1]);
	conf_msleep(100);
	close(p[0]);
	check_child_ok(pid, "blocked_writer_epipe_when_reader_closes");
	return conf_exit();
}
