/* poll, ppoll, select, pselect6 on pipes, files and /dev/null: ready masks,
 * POLLHUP/POLLERR/POLLNVAL, timeouts and their updates, EINVAL/EFAULT/EBADF,
 * temporary signal masks. Single process, no threads. */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int poll1(int fd, short events, int timeout)
{
	struct pollfd p = { fd, events, 0 };
	int n = poll(&p, 1, timeout);
	return n < 0 ? -1 : p.revents;
}

static long sys_ppoll(struct pollfd *fds, unsigned n, struct timespec *ts, const void *mask,
		      size_t size)
{
	return syscall(SYS_ppoll, fds, n, ts, mask, size);
}

static long sys_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	return syscall(SYS_select, n, r, w, e, tv);
}

static long sys_pselect6(int n, fd_set *r, fd_set *w, fd_set *e, struct timespec *ts,
			 const void *pack)
{
	return syscall(SYS_pselect6, n, r, w, e, ts, pack);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	got_usr1++;
}

int main(void)
{
	int p[2];
	SETUP(pipe(p));
	const short rw = POLLIN | POLLOUT;

	/* ---- poll: pipe states ---- */
	CHECK_EQ(poll1(p[0], rw, 0), 0, "empty_read_end_not_ready");
	CHECK_EQ(poll1(p[1], rw, 0), POLLOUT, "write_end_writable");
	CHECK_EQ(poll1(p[1], POLLOUT | POLLWRNORM, 0), POLLOUT | POLLWRNORM, "wrnorm");
	write(p[1], "x", 1);
	CHECK_EQ(poll1(p[0], rw, 0), POLLIN, "read_end_readable");
	CHECK_EQ(poll1(p[0], POLLIN | POLLRDNORM, 0), POLLIN | POLLRDNORM, "rdnorm");
	CHECK_EQ(poll1(p[0], POLLIN, -1), POLLIN, "infinite_timeout_ready");
	close(p[1]);
	CHECK_EQ(poll1(p[0], POLLIN, 0), POLLIN | POLLHUP, "hup_with_data");
	char c;
	read(p[0], &c, 1);
	CHECK_EQ(poll1(p[0], POLLIN, 0), POLLHUP, "hup_no_data");
	CHECK_EQ(poll1(p[0], 0, 0), POLLHUP, "hup_always_reported");
	CHECK_EQ(poll1(p[0], POLLIN, -1), POLLHUP, "hup_ends_infinite_wait");
	close(p[0]);

	SETUP(pipe(p));
	close(p[0]);
	CHECK_EQ(poll1(p[1], POLLOUT, 0), POLLOUT | POLLERR, "err_no_readers");
	CHECK_EQ(poll1(p[1], 0, 0), POLLERR, "err_always_reported");
	close(p[1]);

	/* Full pipe: not writable. */
	SETUP(pipe2(p, O_NONBLOCK));
	static char big[65536];
	write(p[1], big, sizeof big);
	CHECK_EQ(poll1(p[1], POLLOUT, 0), 0, "full_not_writable");
	read(p[0], big, 4096);
	CHECK_EQ(poll1(p[1], POLLOUT, 0), POLLOUT, "writable_after_read");
	close(p[0]);
	close(p[1]);

	/* ---- poll: other files, bad fds ---- */
	int fd = open(T("f"), O_RDWR | O_CREAT, 0600);
	SETUP(fd);
	CHECK_EQ(poll1(fd, rw, 0), rw, "regular_file_ready");
	CHECK_EQ(poll1(fd, POLLIN | POLLRDNORM | POLLPRI, 0), POLLIN | POLLRDNORM, "regular_no_pri");
	int dn = open("/dev/null", O_RDWR);
	CHECK_EQ(poll1(dn, rw, 0), rw, "dev_null_ready");
	int dir = open(T(""), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(poll1(dir, POLLIN, 0), POLLIN, "directory_ready");
	int op = open(T("f"), O_PATH);
	CHECK_EQ(poll1(op, POLLIN, 0), POLLNVAL, "o_path_nval");
	close(op);
	close(dir);

	SETUP(pipe(p));
	struct pollfd v[4] = { { p[0], POLLIN, 77 }, { -1, POLLIN, 77 }, { 999, POLLIN, 0 },
			       { p[1], POLLOUT, 0 } };
	CHECK_EQ(poll(v, 4, 0), 2, "count_nval_and_ready");
	CHECK_EQ(v[0].revents, 0, "revents_cleared");
	CHECK_EQ(v[1].revents, 0, "negative_fd_ignored");
	CHECK_EQ(v[2].revents, POLLNVAL, "bad_fd_nval");
	CHECK_EQ(v[3].revents, POLLOUT, "ready_entry");

	/* Timeouts */
	long t0 = now_ms();
	CHECK_EQ(poll1(p[0], POLLIN, 50), 0, "timeout_expires");
	CHECK(now_ms() - t0 >= 45, "timeout_waited");
	CHECK_EQ(poll(NULL, 0, 20), 0, "sleep_no_fds");

	/* Errors */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	CHECK_ERR(poll(NULL, rl.rlim_cur + 1, 0), EINVAL, "nfds_over_rlimit");
	CHECK_ERR(poll(BAD_PTR, 1, 0), EFAULT, "efault");
	CHECK_EQ(poll(BAD_PTR, 0, 0), 0, "no_fds_no_fault");

	/* ---- ppoll ---- */
	struct pollfd pp = { p[0], POLLIN, 0 };
	struct timespec ts = { 0, 0 };
	CHECK_EQ(sys_ppoll(&pp, 1, &ts, NULL, 0), 0, "ppoll_zero");
	ts = (struct timespec){ 0, 30 * 1000000 };
	CHECK_EQ(sys_ppoll(&pp, 1, &ts, NULL, 0), 0, "ppoll_timeout");
	CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0, "ppoll_timeout_updated");
	ts = (struct timespec){ 10, 0 };
	pp.fd = p[1];
	pp.events = POLLOUT;
	CHECK_EQ(sys_ppoll(&pp, 1, &ts, NULL, 0), 1, "ppoll_ready");
	CHECK(ts.tv_sec == 9 || ts.tv_sec == 10, "ppoll_time_left");
	ts = (struct timespec){ 0, 1000000000 };
	CHECK_ERR(sys_ppoll(&pp, 1, &ts, NULL, 0), EINVAL, "ppoll_bad_nsec");
	ts = (struct timespec){ -1, 0 };
	CHECK_ERR(sys_ppoll(&pp, 1, &ts, NULL, 0), EINVAL, "ppoll_negative");
	CHECK_ERR(sys_ppoll(&pp, 1, BAD_PTR, NULL, 0), EFAULT, "ppoll_ts_efault");
	uint64_t mask = 0;
	CHECK_ERR(sys_ppoll(&pp, 1, NULL, &mask, 4), EINVAL, "ppoll_sigsetsize");
	CHECK_ERR(sys_ppoll(&pp, 1, NULL, BAD_PTR, 8), EFAULT, "ppoll_mask_efault");

	/* A pending signal unblocked by ppoll's mask interrupts it; the old mask returns. */
	signal(SIGUSR1, on_usr1);
	sigset_t blk, old, cur;
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR1);
	sigprocmask(SIG_BLOCK, &blk, &old);
	raise(SIGUSR1);
	pp.fd = p[0];
	pp.events = POLLIN;
	mask = 0;
	CHECK_ERR(sys_ppoll(&pp, 1, NULL, &mask, 8), EINTR, "ppoll_mask_unblocks");
	CHECK_EQ(got_usr1, 1, "ppoll_handler_ran");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "ppoll_mask_restored");
	/* With the signal still blocked by the temporary mask, the timeout wins. */
	raise(SIGUSR1);
	mask = 1ULL << (SIGUSR1 - 1);
	ts = (struct timespec){ 0, 10 * 1000000 };
	CHECK_EQ(sys_ppoll(&pp, 1, &ts, &mask, 8), 0, "ppoll_mask_blocks");
	CHECK_EQ(got_usr1, 1, "ppoll_blocked_not_delivered");

	/* ---- select ---- */
	fd_set r, w, e;
	struct timeval tv;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	tv = (struct timeval){ 0, 0 };
	CHECK_EQ(sys_select(p[1] + 1, &r, &w, NULL, &tv), 1, "select_write_ready");
	CHECK(!FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w), "select_sets");
	write(p[1], "x", 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	CHECK_EQ(sys_select(p[1] + 1, &r, &w, NULL, NULL), 2, "select_both_ready");
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	FD_SET(fd, &e);
	tv = (struct timeval){ 0, 0 };
	CHECK_EQ(sys_select(fd + 1, &r, &w, &e, &tv), 2, "select_counts_per_set");
	CHECK(!FD_ISSET(fd, &e), "select_no_exception");
	read(p[0], &c, 1);

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){ 0, 30000 };
	t0 = now_ms();
	CHECK_EQ(sys_select(p[0] + 1, &r, NULL, NULL, &tv), 0, "select_timeout");
	CHECK(now_ms() - t0 >= 25, "select_waited");
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0, "select_timeval_updated");
	CHECK(!FD_ISSET(p[0], &r), "select_timeout_clears_set");
	/* Linux normalises tv_usec: {-1, 1000000} is a zero timeout. */
	FD_SET(p[0], &r);
	tv = (struct timeval){ -1, 1000000 };
	CHECK_EQ(sys_select(p[0] + 1, &r, NULL, NULL, &tv), 0, "select_usec_normalised");
	tv = (struct timeval){ 0, -1 };
	CHECK_ERR(sys_select(p[0] + 1, &r, NULL, NULL, &tv), EINVAL, "select_negative_usec");
	tv = (struct timeval){ -1, 0 };
	CHECK_ERR(sys_select(p[0] + 1, &r, NULL, NULL, &tv), EINVAL, "select_negative_sec");
	CHECK_ERR(sys_select(-1, NULL, NULL, NULL, NULL), EINVAL, "select_negative_nfds");
	tv = (struct timeval){ 0, 0 };
	CHECK_EQ(sys_select(1 << 20, NULL, NULL, NULL, &tv), 0, "select_huge_nfds_capped");
	int closed = dup(fd);
	close(closed);
	FD_ZERO(&r);
	FD_SET(closed, &r);
	FD_SET(fd, &r);
	tv = (struct timeval){ 0, 0 };
	CHECK_ERR(sys_select(FD_SETSIZE, &r, NULL, NULL, &tv), EBADF, "select_ebadf");
	CHECK(FD_ISSET(closed, &r), "select_ebadf_sets_untouched");
	CHECK_ERR(sys_select(fd + 1, BAD_PTR, NULL, NULL, &tv), EFAULT, "select_efault");
	CHECK_ERR(sys_select(0, NULL, NULL, NULL, BAD_PTR), EFAULT, "select_tv_efault");

	/* ---- pselect6 ---- */
	struct {
		const void *ss;
		size_t len;
	} pack = { NULL, 0 };
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	ts = (struct timespec){ 5, 0 };
	CHECK_EQ(sys_pselect6(p[1] + 1, NULL, &w, NULL, &ts, &pack), 1, "pselect_ready");
	CHECK(ts.tv_sec == 4 || ts.tv_sec == 5, "pselect_time_left");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ts = (struct timespec){ 0, 20 * 1000000 };
	CHECK_EQ(sys_pselect6(p[0] + 1, &r, NULL, NULL, &ts, NULL), 0, "pselect_timeout");
	CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0, "pselect_ts_updated");
	ts = (struct timespec){ 0, -1 };
	CHECK_ERR(sys_pselect6(p[0] + 1, &r, NULL, NULL, &ts, NULL), EINVAL, "pselect_bad_ts");
	mask = 0;
	pack.ss = &mask;
	pack.len = 4;
	CHECK_ERR(sys_pselect6(p[0] + 1, &r, NULL, NULL, NULL, &pack), EINVAL, "pselect_sigsetsize");
	CHECK_ERR(sys_pselect6(p[0] + 1, &r, NULL, NULL, NULL, BAD_PTR), EFAULT, "pselect_pack_efault");
	/* The pending SIGUSR1 (still blocked) is let through by the mask. */
	pack.len = 8;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_ERR(sys_pselect6(p[0] + 1, &r, NULL, NULL, NULL, &pack), EINTR, "pselect_mask_unblocks");
	CHECK_EQ(got_usr1, 2, "pselect_handler_ran");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "pselect_mask_restored");
	sigprocmask(SIG_SETMASK, &old, NULL);

	close(p[0]);
	close(p[1]);
	close(fd);
	close(dn);
	return conf_exit();
}
