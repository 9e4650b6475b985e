/* Advisory locks between processes: fcntl POSIX record locks (ranges,
 * splitting and merging, F_GETLK reports, release on any close, EBADF and
 * EINVAL rules, F_SETLKW waiting, EDEADLK for a two-process cycle, EINTR on
 * a signal), OFD locks (per open file description, conflict with POSIX
 * locks, l_pid -1), flock (shared/exclusive, LOCK_NB, EINTR) and leases. */
#include "conformance.h"
#include <signal.h>
#include <sys/file.h>
#include <time.h>

static int fd;           /* the shared test file, O_RDWR */
static const char *path;

static void on_alarm(int sig)
{
	(void)sig;
}

/* fcntl lock call on fd; returns 0 or -errno. */
static int lk(int f, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(f, cmd, &fl) < 0 ? -errno : 0;
}

/* F_GETLK from a fresh process: what blocks a lock of type on [start, start+len)? */
struct probe {
	int rc;
	short type;
	off_t start, len;
	pid_t pid;
};

static struct probe child_getlk(short type, off_t start, off_t len)
{
	struct probe pr = { -1, -1, -1, -1, -1 };
	int p[2];
	if (pipe(p) < 0)
		return pr;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start,
				    .l_len = len };
		struct probe r = { 0 };
		r.rc = fcntl(fd, F_GETLK, &fl) < 0 ? -errno : 0;
		r.type = fl.l_type;
		r.start = fl.l_start;
		r.len = fl.l_len;
		r.pid = fl.l_pid;
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &pr, sizeof(pr)) != sizeof(pr))
		pr.rc = -1000;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return pr;
}

/* F_SETLK from a fresh process (the lock dies with it); 0 or -errno. */
static int child_setlk(int cmd, short type, off_t start, off_t len)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(-lk(fd, cmd, type, start, len));
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? -WEXITSTATUS(st) : -1000;
}

static void test_basic(void)
{
	struct probe pr = child_getlk(F_WRLCK, 0, 0);
	CHECK(pr.rc == 0 && pr.type == F_UNLCK, "getlk_unlocked");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, 0, 10), 0, "setlk_wr");
	pr = child_getlk(F_RDLCK, 5, 1);
	CHECK(pr.rc == 0 && pr.type == F_WRLCK && pr.start == 0 && pr.len == 10 &&
	      pr.pid == getpid(), "getlk_reports_holder");
	CHECK_EQ(child_setlk(F_SETLK, F_RDLCK, 9, 5), -EAGAIN, "conflict_eagain");
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 10, 10), 0, "adjacent_ok");
	/* Our own locks never conflict with us. */
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	CHECK(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK, "own_lock_no_conflict");
	CHECK_EQ(lk(fd, F_SETLK, F_UNLCK, 0, 0), 0, "unlock_all");
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 0, 10), 0, "unlocked_free");
}

static void test_shared(void)
{
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, 0, 100), 0, "rdlck");
	CHECK_EQ(child_setlk(F_SETLK, F_RDLCK, 50, 10), 0, "rd_rd_shared");
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 50, 10), -EAGAIN, "rd_blocks_wr");
	/* Upgrade in place: our read lock becomes a write lock. */
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, 0, 100), 0, "upgrade");
	struct probe pr = child_getlk(F_RDLCK, 0, 1);
	CHECK(pr.type == F_WRLCK && pr.len == 100, "upgraded_reported");
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
}

static void test_split_merge(void)
{
	lk(fd, F_SETLK, F_WRLCK, 0, 100);
	CHECK_EQ(lk(fd, F_SETLK, F_UNLCK, 40, 20), 0, "punch_hole");
	struct probe pr = child_getlk(F_WRLCK, 40, 20);
	CHECK(pr.type == F_UNLCK, "hole_free");
	pr = child_getlk(F_WRLCK, 0, 45);
	CHECK(pr.type == F_WRLCK && pr.start == 0 && pr.len == 40, "left_part");
	pr = child_getlk(F_WRLCK, 50, 100);
	CHECK(pr.type == F_WRLCK && pr.start == 60 && pr.len == 40, "right_part");
	/* Filling the hole merges the three into one lock. */
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, 40, 20), 0, "fill_hole");
	pr = child_getlk(F_WRLCK, 30, 1);
	CHECK(pr.start == 0 && pr.len == 100, "merged");
	/* A read lock in the middle splits the write lock in three. */
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, 10, 10), 0, "downgrade_middle");
	CHECK_EQ(child_setlk(F_SETLK, F_RDLCK, 10, 10), 0, "middle_shared");
	CHECK_EQ(child_setlk(F_SETLK, F_RDLCK, 5, 10), -EAGAIN, "edge_still_write");
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
	/* l_len 0: to EOF and beyond; negative l_len: the bytes before l_start. */
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, 1000, 0), 0, "to_eof");
	pr = child_getlk(F_RDLCK, 1 << 30, 1);
	CHECK(pr.type == F_WRLCK && pr.start == 1000 && pr.len == 0, "to_eof_reported");
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, 100, -10), 0, "negative_len");
	pr = child_getlk(F_RDLCK, 0, 0);
	CHECK(pr.type == F_WRLCK && pr.start == 90 && pr.len == 10, "negative_len_range");
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
}

static void test_errors(void)
{
	int ro = open(path, O_RDONLY);
	int wo = open(path, O_WRONLY);
	CHECK_EQ(lk(ro, F_SETLK, F_WRLCK, 0, 1), -EBADF, "wrlck_on_rdonly");
	CHECK_EQ(lk(wo, F_SETLK, F_RDLCK, 0, 1), -EBADF, "rdlck_on_wronly");
	CHECK_EQ(lk(ro, F_SETLK, F_RDLCK, 0, 1), 0, "rdlck_on_rdonly");
	close(ro);
	close(wo);
	CHECK_EQ(lk(fd, F_SETLK, 42, 0, 1), -EINVAL, "bad_type");
	CHECK_EQ(lk(fd, F_GETLK, F_UNLCK, 0, 1), -EINVAL, "getlk_unlck");
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, -1, 1), -EINVAL, "negative_start");
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, 5, -10), -EINVAL, "negative_len_before_0");
	struct flock fl = { .l_type = F_RDLCK, .l_whence = 7 };
	CHECK_ERR(fcntl(fd, F_SETLK, &fl), EINVAL, "bad_whence");
	fl.l_whence = SEEK_SET;
	fl.l_start = 0x7fffffffffffff00LL;
	fl.l_len = 0x1000;
	CHECK_ERR(fcntl(fd, F_SETLK, &fl), EOVERFLOW, "overflow");
	CHECK_ERR(fcntl(fd, F_SETLK, conf_bad_ptr()), EFAULT, "efault");
	CHECK_ERR(fcntl(-1, F_SETLK, &fl), EBADF, "ebadf");
	int pfd = open(path, O_PATH);
	fl.l_start = 0;
	fl.l_len = 1;
	CHECK_ERR(fcntl(pfd, F_SETLK, &fl), EBADF, "o_path_ebadf");
	CHECK_ERR(fcntl(pfd, F_GETLK, &fl), EBADF, "o_path_getlk_ebadf");
	close(pfd);
	/* SEEK_CUR and SEEK_END ranges. */
	lseek(fd, 20, SEEK_SET);
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_start = 5, .l_len = 5 };
	CHECK_EQ(fcntl(fd, F_SETLK, &fl), 0, "seek_cur");
	struct probe pr = child_getlk(F_RDLCK, 0, 0);
	CHECK(pr.start == 25 && pr.len == 5, "seek_cur_range");
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
	lseek(fd, 0, SEEK_SET);
}

static void test_close_releases(void)
{
	lk(fd, F_SETLK, F_WRLCK, 0, 10);
	int other = open(path, O_RDONLY);
	CHECK_EQ(child_setlk(F_SETLK, F_RDLCK, 0, 1), -EAGAIN, "held");
	/* Closing any descriptor of the file drops the process's locks on it. */
	close(other);
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 0, 10), 0, "close_other_fd_releases");
	/* A dup'd descriptor is the same owner too. */
	lk(fd, F_SETLK, F_WRLCK, 0, 10);
	int d = dup(fd);
	close(d);
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 0, 10), 0, "close_dup_releases");
	/* A child's locks go when it exits. */
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 0, 10), 0, "exit_releases");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, 0, 10), 0, "after_exit_free");
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
}

/* A child blocks in F_SETLKW until the parent unlocks. */
static void test_setlkw(void)
{
	lk(fd, F_SETLK, F_WRLCK, 0, 10);
	int p[2];
	SETUP(pipe(p));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int r = lk(fd, F_SETLKW, F_WRLCK, 5, 1);
		char c = r == 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	conf_msleep(100);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)t0;
	int fl = fcntl(p[0], F_GETFL);
	fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
	char c = 0;
	CHECK_ERR(read(p[0], &c, 1), EAGAIN, "setlkw_blocks");
	fcntl(p[0], F_SETFL, fl);
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
	CHECK(read(p[0], &c, 1) == 1 && c == 'y', "setlkw_granted_after_unlock");
	close(p[0]);
	waitpid(pid, NULL, 0);
}

static void test_deadlock(void)
{
	lk(fd, F_SETLK, F_WRLCK, 0, 1);          /* parent holds byte 0 */
	int go[2], done[2];
	SETUP(pipe(go));
	SETUP(pipe(done));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		lk(fd, F_SETLK, F_WRLCK, 1, 1);  /* child holds byte 1 */
		if (write(go[1], "g", 1) != 1)
			_exit(1);
		int r = lk(fd, F_SETLKW, F_WRLCK, 0, 1);   /* waits for the parent */
		int e = -r;
		if (write(done[1], &e, sizeof(e)) != sizeof(e))
			_exit(1);
		_exit(0);
	}
	char c;
	SETUP(read(go[0], &c, 1));
	conf_msleep(150);                             /* let the child block */
	CHECK_EQ(lk(fd, F_SETLKW, F_WRLCK, 1, 1), -EDEADLK, "edeadlk");
	lk(fd, F_SETLK, F_UNLCK, 0, 1);          /* let the child through */
	int e = -1;
	CHECK(read(done[0], &e, sizeof(e)) == sizeof(e) && e == 0, "child_gets_lock");
	waitpid(pid, NULL, 0);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
}

/* A blocked waiter (F_SETLKW or flock) in a child, interrupted by SIGALRM. */
static int child_interrupted(int which)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };   /* no SA_RESTART */
		sigaction(SIGALRM, &sa, NULL);
		alarm(1);
		int r;
		if (which == 0) {
			r = lk(fd, F_SETLKW, F_WRLCK, 0, 1);
		} else {
			int f2 = open(path, O_RDWR);
			r = flock(f2, LOCK_EX) < 0 ? -errno : 0;
		}
		_exit(r == -EINTR ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_intr(void)
{
	lk(fd, F_SETLK, F_WRLCK, 0, 1);
	CHECK(child_interrupted(0), "setlkw_eintr");
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
	flock(fd, LOCK_EX);
	CHECK(child_interrupted(1), "flock_eintr");
	flock(fd, LOCK_UN);
}

static void test_ofd(void)
{
	int a = open(path, O_RDWR), b = open(path, O_RDWR);
	CHECK_EQ(lk(a, F_OFD_SETLK, F_WRLCK, 0, 10), 0, "ofd_lock");
	/* Another description conflicts even in the same process. */
	CHECK_EQ(lk(b, F_OFD_SETLK, F_WRLCK, 5, 10), -EAGAIN, "ofd_conflict_same_process");
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	CHECK(fcntl(b, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_pid == -1,
	      "ofd_getlk_pid_minus_1");
	/* A POSIX lock of this process conflicts with the OFD lock too. */
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, 0, 1), -EAGAIN, "posix_vs_ofd");
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1, .l_pid = 1 };
	CHECK_ERR(fcntl(b, F_OFD_SETLK, &fl), EINVAL, "ofd_pid_nonzero");
	/* Closing another descriptor of the file does not drop OFD locks... */
	close(b);
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 0, 1), -EAGAIN, "ofd_survives_other_close");
	/* ...a dup shares them, and the last close of the description drops them. */
	int d = dup(a);
	close(a);
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 0, 1), -EAGAIN, "ofd_held_by_dup");
	close(d);
	CHECK_EQ(child_setlk(F_SETLK, F_WRLCK, 0, 1), 0, "ofd_released_last_close");
	/* OFD locks are inherited: the child's fork shares the description. */
	a = open(path, O_RDWR);
	lk(a, F_OFD_SETLK, F_WRLCK, 0, 1);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(-lk(a, F_OFD_SETLK, F_WRLCK, 0, 1));
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ofd_shared_after_fork");
	close(a);
}

static void test_flock(void)
{
	int a = open(path, O_RDONLY), b = open(path, O_RDONLY);
	CHECK_EQ(flock(a, LOCK_SH), 0, "flock_sh");
	CHECK_EQ(flock(b, LOCK_SH | LOCK_NB), 0, "flock_sh_shared");
	CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK, "flock_ex_blocked");
	CHECK_EQ(flock(a, LOCK_UN), 0, "flock_un");
	CHECK_EQ(flock(b, LOCK_EX | LOCK_NB), 0, "flock_ex_after_un");
	CHECK_ERR(flock(a, LOCK_SH | LOCK_NB), EWOULDBLOCK, "flock_sh_vs_ex");
	CHECK_ERR(flock(a, 0), EINVAL, "flock_bad_op");
	CHECK_ERR(flock(-1, LOCK_SH), EBADF, "flock_ebadf");
	/* flock and fcntl locks are independent. */
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, 0, 0), 0, "fcntl_ignores_flock");
	lk(fd, F_SETLK, F_UNLCK, 0, 0);
	close(b);
	CHECK_EQ(flock(a, LOCK_EX | LOCK_NB), 0, "close_drops_flock");
	close(a);
	int pfd = open(path, O_PATH);
	CHECK_ERR(flock(pfd, LOCK_SH), EBADF, "flock_o_path");
	close(pfd);
}

static void test_leases(void)
{
	CHECK_EQ(fcntl(fd, F_GETLEASE), F_UNLCK, "getlease_none");
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(fcntl(p[0], F_SETLEASE, F_RDLCK), EINVAL, "setlease_pipe");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	path = T("lockfile");
	SETUP(write_file(path, "0123456789"));
	SETUP(fd = open(path, O_RDWR));
	test_basic();
	test_shared();
	test_split_merge();
	test_errors();
	test_close_releases();
	test_setlkw();
	test_deadlock();
	test_intr();
	test_ofd();
	test_flock();
	test_leases();
	close(fd);
	return conf_exit();
}
