/* RLIMIT_FSIZE on regular files: writes clipped at the limit, EFBIG and
 * SIGXFSZ (SI_USER from the caller) at or past it, for write, pwrite,
 * O_APPEND, ftruncate growth and fallocate growth; shrinking, KEEP_SIZE,
 * pipes and /dev/null are not limited; without a handler SIGXFSZ kills. */
#include <signal.h>
#include <sys/resource.h>
#include "conformance.h"

#define LIMIT 10000

static volatile sig_atomic_t xfsz_count;
static volatile int xfsz_code, xfsz_pid;

static void on_xfsz(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	xfsz_count++;
	xfsz_code = si->si_code;
	xfsz_pid = si->si_pid;
}

/* Signals counted since the last call. */
static int taken(void)
{
	int n = xfsz_count;
	xfsz_count = 0;
	return n;
}

static char buf[3 * LIMIT];

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_xfsz;
	sa.sa_flags = SA_SIGINFO;
	SETUP(sigaction(SIGXFSZ, &sa, NULL));
	memset(buf, 'f', sizeof(buf));
	const char *path = T("f");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	SETUP(fd);
	struct rlimit rl = { LIMIT, RLIM_INFINITY };
	SETUP(setrlimit(RLIMIT_FSIZE, &rl));

	CHECK_EQ(write(fd, buf, 8000), 8000, "write_below_limit");
	CHECK_EQ(write(fd, buf, 4000), 2000, "write_clipped_at_limit");
	CHECK_EQ(taken(), 0, "clipped_write_no_signal");
	CHECK_ERR(write(fd, buf, 1), EFBIG, "write_at_limit_efbig");
	CHECK_EQ(taken(), 1, "write_at_limit_sigxfsz");
	CHECK_EQ(xfsz_code, SI_USER, "sigxfsz_si_user");
	CHECK_EQ(xfsz_pid, getpid(), "sigxfsz_si_pid_self");
	CHECK_ERR(pwrite(fd, buf, 10, 20000), EFBIG, "pwrite_past_limit_efbig");
	CHECK_EQ(taken(), 1, "pwrite_past_limit_sigxfsz");
	CHECK_EQ(pwrite(fd, buf, 100, 9950), 50, "pwrite_clipped");
	CHECK_EQ(write(fd, buf, 0), 0, "zero_write_at_limit_ok");
	CHECK_EQ(taken(), 0, "zero_write_no_signal");

	int ap = open(path, O_WRONLY | O_APPEND);
	SETUP(ap);
	CHECK_ERR(write(ap, buf, 1), EFBIG, "append_at_limit_efbig");
	CHECK_EQ(taken(), 1, "append_at_limit_sigxfsz");
	close(ap);

	CHECK_ERR(ftruncate(fd, 20000), EFBIG, "ftruncate_grow_past_efbig");
	CHECK_EQ(taken(), 1, "ftruncate_grow_past_sigxfsz");
	CHECK_EQ(ftruncate(fd, 5000), 0, "ftruncate_shrink_ok");
	CHECK_EQ(ftruncate(fd, LIMIT), 0, "ftruncate_to_limit_ok");
	CHECK_ERR(truncate(path, LIMIT + 1), EFBIG, "truncate_path_past_efbig");
	CHECK_EQ(taken(), 1, "truncate_path_past_sigxfsz");
	CHECK_EQ(ftruncate(fd, 100), 0, "ftruncate_shrink_again");
	CHECK_ERR(fallocate(fd, 0, 0, 20000), EFBIG, "fallocate_grow_past_efbig");
	CHECK_EQ(taken(), 1, "fallocate_grow_past_sigxfsz");
	CHECK_EQ(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 20000), 0, "fallocate_keep_size_ok");
	CHECK_EQ(taken(), 0, "fallocate_keep_size_no_signal");

	int null = open("/dev/null", O_WRONLY);
	SETUP(null);
	CHECK_EQ(write(null, buf, sizeof(buf)), (ssize_t)sizeof(buf), "dev_null_not_limited");
	close(null);
	int p[2];
	SETUP(pipe(p));
	CHECK_EQ(write(p[1], buf, sizeof(buf)), (ssize_t)sizeof(buf), "pipe_not_limited");
	close(p[0]);
	close(p[1]);
	CHECK_EQ(taken(), 0, "no_stray_signal");

	/* The default action: the writer dies of SIGXFSZ. */
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGXFSZ, SIG_DFL);
		write(fd, buf, sizeof(buf));
		lseek(fd, 0, SEEK_END);
		pwrite(fd, buf, 1, 50000);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ, "default_action_kills");
	close(fd);
	return conf_exit();
}
