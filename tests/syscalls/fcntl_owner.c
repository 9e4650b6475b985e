/* fcntl owner and signal fields, and dnotify: F_SETOWN/F_GETOWN (process,
 * group, ESRCH), F_SETOWN_EX/F_GETOWN_EX, F_SETSIG/F_GETSIG (EINVAL past
 * 64), F_NOTIFY on a directory (ENOTDIR on a file, unknown bits ignored),
 * one-shot and DN_MULTISHOT notifications with si_fd under F_SETSIG.
 */
#include "conformance.h"
#include <signal.h>

static volatile int hits, last_fd, last_code;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	hits++;
	last_fd = si->si_fd;
	last_code = si->si_code;
}

static void touch(const char *dir, const char *name)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	close(open(p, O_CREAT | O_WRONLY, 0644));
}

int main(void)
{
	int fd;
	SETUP(fd = open(T("f"), O_CREAT | O_RDWR, 0600));
	CHECK_EQ(fcntl(fd, F_GETOWN), 0, "owner_default_0");
	CHECK_EQ(fcntl(fd, F_SETOWN, getpid()), 0, "setown_self");
	CHECK_EQ(fcntl(fd, F_GETOWN), getpid(), "getown_self");
	CHECK_EQ(fcntl(fd, F_SETOWN, -getpgrp()), 0, "setown_group");
	CHECK_EQ(fcntl(fd, F_GETOWN), -getpgrp(), "getown_group");
	CHECK_ERR(fcntl(fd, F_SETOWN, 0x3fffffff), ESRCH, "setown_missing_esrch");
	struct f_owner_ex ex = { F_OWNER_PID, getpid() };
	CHECK_EQ(fcntl(fd, F_SETOWN_EX, &ex), 0, "setown_ex");
	memset(&ex, 0, sizeof ex);
	CHECK_EQ(fcntl(fd, F_GETOWN_EX, &ex), 0, "getown_ex");
	CHECK(ex.type == F_OWNER_PID && ex.pid == getpid(), "getown_ex_values");
	ex.type = 7;
	CHECK_ERR(fcntl(fd, F_SETOWN_EX, &ex), EINVAL, "setown_ex_bad_type_einval");
	CHECK_EQ(fcntl(fd, F_GETSIG), 0, "getsig_default_0");
	CHECK_EQ(fcntl(fd, F_SETSIG, SIGRTMIN), 0, "setsig");
	CHECK_EQ(fcntl(fd, F_GETSIG), SIGRTMIN, "getsig");
	CHECK_ERR(fcntl(fd, F_SETSIG, 65), EINVAL, "setsig_65_einval");
	CHECK_ERR(fcntl(fd, F_NOTIFY, DN_CREATE), ENOTDIR, "notify_file_enotdir");

	/* ---- dnotify ---- */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", T("d"));
	SETUP(mkdir(dir, 0755));
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGIO, &sa, NULL);
	sigaction(SIGRTMIN + 1, &sa, NULL);
	int dfd;
	SETUP(dfd = open(dir, O_RDONLY | O_DIRECTORY));
	CHECK_EQ(fcntl(dfd, F_NOTIFY, 0x1000), 0, "notify_unknown_bits_ignored");
	CHECK_EQ(fcntl(dfd, F_NOTIFY, DN_CREATE), 0, "notify_oneshot");
	CHECK_EQ(fcntl(dfd, F_GETOWN), getpid(), "notify_sets_owner");
	touch(dir, "a");
	CHECK_EQ(hits, 1, "oneshot_signal");
	touch(dir, "b");
	CHECK_EQ(hits, 1, "oneshot_only_once");
	CHECK_EQ(fcntl(dfd, F_SETSIG, SIGRTMIN + 1), 0, "setsig_rt");
	CHECK_EQ(fcntl(dfd, F_NOTIFY, DN_CREATE | DN_DELETE | DN_MULTISHOT), 0, "notify_multishot");
	touch(dir, "c");
	char p[PATH_MAX + 8];
	snprintf(p, sizeof p, "%s/a", dir);
	SETUP(unlink(p));
	CHECK_EQ(hits, 3, "multishot_two_signals");
	CHECK_EQ(last_fd, dfd, "si_fd_is_the_directory_fd");
	CHECK_EQ(last_code, POLL_MSG, "si_code_poll_msg");
	CHECK_EQ(fcntl(dfd, F_NOTIFY, 0), 0, "notify_off");
	touch(dir, "d");
	CHECK_EQ(hits, 3, "no_signal_after_off");
	return conf_exit();
}
