/* mknod/mknodat: regular files, FIFOs (usable between processes, with
 * fifo_open's blocking rules: O_RDONLY waits for a writer, O_WRONLY for a
 * reader, O_NONBLOCK writer without reader is ENXIO, O_RDWR never waits),
 * device nodes (EPERM without CAP_MKNOD), sockets, and the usual errors. */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <sys/sysmacros.h>

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_nodes(void)
{
	struct stat st;
	CHECK_EQ(mknod(T("reg"), S_IFREG | 0600, 0), 0, "regular");
	CHECK(stat(T("reg"), &st) == 0 && S_ISREG(st.st_mode), "regular_type");
	CHECK_EQ(mknod(T("zero_type"), 0600, 0), 0, "type_zero_is_regular");
	CHECK_EQ(mkfifo(T("fifo"), 0666), 0, "mkfifo");
	CHECK(stat(T("fifo"), &st) == 0 && S_ISFIFO(st.st_mode) && st.st_size == 0, "fifo_type");
	CHECK_EQ(mknod(T("sock"), S_IFSOCK | 0600, 0), 0, "socket_node");
	CHECK_ERR(open(T("sock"), O_RDONLY), ENXIO, "socket_open_enxio");
	CHECK_ERR(mknod(T("fifo"), S_IFIFO | 0600, 0), EEXIST, "exists");
	CHECK_ERR(mknod(T("bad"), 0170000 | 0600, 0), EINVAL, "bad_type");
	CHECK_ERR(mknod(T("nodir/x"), S_IFIFO | 0600, 0), ENOENT, "no_parent");
	CHECK_ERR(mknodat(-1, "x", S_IFIFO | 0600, 0), EBADF, "ebadf");
	/* umask applies. */
	mode_t old = umask(022);
	CHECK(mkfifo(T("fifo2"), 0666) == 0 && stat(T("fifo2"), &st) == 0 &&
	      (st.st_mode & 0777) == 0644, "fifo_umask");
	umask(old);
	/* Device nodes: root may make them; opening /dev/null's numbers works natively. */
	CHECK_EQ(mknod(T("chr"), S_IFCHR | 0600, makedev(1, 3)), 0, "chr_root");
	CHECK(stat(T("chr"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
	      "chr_rdev");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		int ok = mknod("/tmp/never-made-chr", S_IFCHR | 0600, makedev(1, 3)) < 0 &&
			 errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "chr_unprivileged_eperm");
}

static void test_fifo_io(void)
{
	const char *f = T("fifo");
	/* O_NONBLOCK writer with no reader: ENXIO; reader with O_NONBLOCK: no wait. */
	CHECK_ERR(open(f, O_WRONLY | O_NONBLOCK), ENXIO, "nonblock_writer_enxio");
	int r = open(f, O_RDONLY | O_NONBLOCK);
	CHECK_OK(r, "nonblock_reader");
	char buf[32];
	CHECK_EQ(read(r, buf, sizeof(buf)), 0, "no_writer_eof");
	struct pollfd pfd = { r, POLLIN, 0 };
	CHECK(poll(&pfd, 1, 0) == 0, "no_hup_before_writer");
	int w = open(f, O_WRONLY | O_NONBLOCK);
	CHECK_OK(w, "writer_with_reader");
	CHECK_EQ(write(w, "hello", 5), 5, "write");
	CHECK(read(r, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0, "read");
	close(w);
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP), "hup_after_writer_left");
	close(r);
	/* O_RDWR never blocks. */
	int rw = open(f, O_RDWR);
	CHECK_OK(rw, "rdwr_open");
	CHECK(write(rw, "x", 1) == 1 && read(rw, buf, 1) == 1, "rdwr_loop");
	close(rw);
	/* Blocking opens meet: a child writes, the parent reads. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int wfd = open(f, O_WRONLY);     /* waits for the reader */
		if (wfd < 0 || write(wfd, "from child", 10) != 10)
			_exit(1);
		_exit(0);
	}
	r = open(f, O_RDONLY);                   /* waits for the writer */
	CHECK_OK(r, "blocking_open_meets");
	ssize_t n = 0, k;
	while ((k = read(r, buf + n, sizeof(buf) - n)) > 0)
		n += k;
	CHECK(n == 10 && memcmp(buf, "from child", 10) == 0, "data_between_processes");
	close(r);
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child_ok");
	/* A blocking open with no partner is interrupted by a signal. */
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	CHECK_ERR(open(f, O_RDONLY), EINTR, "blocking_open_eintr");
	alarm(0);
	/* The FIFO's size stays 0 and the name still works after use. */
	struct stat st;
	CHECK(stat(f, &st) == 0 && st.st_size == 0, "size_zero");
}

int main(void)
{
	test_nodes();
	test_fifo_io();
	return conf_exit();
}
