/* Signal queues: real-time signals queue in order (lower numbers first)
 * and carry their values through signalfd; RLIMIT_SIGPENDING makes
 * sigqueue fail with EAGAIN while kill() still marks the signal pending;
 * rt_tgsigqueueinfo to one's own thread; thread-directed signals in
 * sigpending/signalfd and discarded by SIG_IGN; errno order of tgkill/kill
 * with a bad signal; kill permissions between users (SIGCONT within the
 * session, kill(-1) ignoring EPERM), as root only. */
#include "conformance.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

static volatile sig_atomic_t got_code, got_val, got_sig;

static void info_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_val = si->si_value.sival_int;
}

static int block(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	return sigprocmask(SIG_BLOCK, &s, NULL);
}

static int queue(int sig, int val)
{
	union sigval v = { .sival_int = val };
	return sigqueue(getpid(), sig, v);
}

/* Read one record from a signalfd; its signal number, or -1. */
static int sfd_read(int fd, struct signalfd_siginfo *o)
{
	return read(fd, o, sizeof(*o)) == (ssize_t)sizeof(*o) ? (int)o->ssi_signo : -1;
}

int main(void)
{
	int rt = SIGRTMIN + 1;

	/* Several RT signals: the lower number first, each one's instances in order. */
	SETUP(block(rt));
	SETUP(block(rt + 1));
	sigset_t both;
	sigemptyset(&both);
	sigaddset(&both, rt);
	sigaddset(&both, rt + 1);
	int sfd = signalfd(-1, &both, SFD_NONBLOCK);
	SETUP(sfd);
	CHECK_EQ(queue(rt + 1, 1), 0, "queue_rt1_a");
	CHECK_EQ(queue(rt, 2), 0, "queue_rt_a");
	CHECK_EQ(queue(rt, 3), 0, "queue_rt_b");
	struct signalfd_siginfo o;
	CHECK_EQ(sfd_read(sfd, &o), rt, "signalfd_lowest_first");
	CHECK_EQ(o.ssi_int, 2, "signalfd_first_value");
	CHECK_EQ(o.ssi_code, SI_QUEUE, "signalfd_si_queue");
	CHECK_EQ(o.ssi_pid, getpid(), "signalfd_ssi_pid");
	CHECK_EQ(sfd_read(sfd, &o), rt, "signalfd_second_instance");
	CHECK_EQ(o.ssi_int, 3, "signalfd_second_value");
	CHECK_EQ(sfd_read(sfd, &o), rt + 1, "signalfd_then_higher");
	CHECK_EQ(o.ssi_int, 1, "signalfd_higher_value");
	CHECK_ERR(read(sfd, &o, sizeof o), EAGAIN, "signalfd_drained_eagain");

	/* A thread-directed signal shows in sigpending and signalfd. */
	SETUP(block(SIGUSR2));
	sigset_t u2, pend;
	sigemptyset(&u2);
	sigaddset(&u2, SIGUSR2);
	SETUP(signalfd(sfd, &u2, SFD_NONBLOCK));
	CHECK_EQ(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2), 0, "tgkill_blocked");
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR2), "thread_signal_in_sigpending");
	CHECK_EQ(sfd_read(sfd, &o), SIGUSR2, "signalfd_thread_signal");
	CHECK_EQ(o.ssi_code, SI_TKILL, "signalfd_thread_si_tkill");

	/* SIG_IGN discards a thread-directed pending signal too. */
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
	signal(SIGUSR2, SIG_IGN);
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR2), "ignore_discards_thread_pending");
	signal(SIGUSR2, SIG_DFL);
	close(sfd);

	/* rt_tgsigqueueinfo to this very thread: any si_code, its value delivered. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = info_handler;
	sa.sa_flags = SA_SIGINFO;
	SETUP(sigaction(SIGUSR1, &sa, NULL));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = 99;
	si.si_signo = SIGUSR2; /* replaced by the sig argument */
	CHECK_EQ(syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGUSR1, &si), 0,
		 "rt_tgsigqueueinfo_self");
	CHECK_EQ(got_sig, SIGUSR1, "rt_tgsigqueueinfo_signo_from_argument");
	CHECK_EQ(got_code, SI_QUEUE, "rt_tgsigqueueinfo_code");
	CHECK_EQ(got_val, 99, "rt_tgsigqueueinfo_value");
	si.si_code = 1234; /* "from the kernel": allowed to oneself */
	CHECK_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si), 0, "rt_sigqueueinfo_self_positive_code");
	CHECK_EQ(got_code, 1234, "rt_sigqueueinfo_self_code_kept");
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, BAD_PTR), EFAULT, "rt_sigqueueinfo_efault");
	CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, 0, syscall(SYS_gettid), SIGUSR1, &si), EINVAL,
		  "rt_tgsigqueueinfo_tgid0_einval");
	signal(SIGUSR1, SIG_DFL);

	/* A bad signal number: the target is looked up first. */
	CHECK_ERR(syscall(SYS_tgkill, getpid(), 999999999, 65), ESRCH, "tgkill_bad_sig_bad_tid_esrch");
	CHECK_ERR(syscall(SYS_tgkill, getpid(), getpid(), 65), EINVAL, "tgkill_bad_sig_einval");
	CHECK_ERR(kill(999999999, 65), ESRCH, "kill_bad_sig_bad_pid_esrch");

	/* RLIMIT_SIGPENDING, in a child (its own limit). */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		conf_failures = 0;
		struct rlimit rl = { 4, 4 };
		CHECK_EQ(setrlimit(RLIMIT_SIGPENDING, &rl), 0, "setrlimit_sigpending_4");
		int ok = 0, eagain = 0;
		for (int i = 0; i < 8; i++) {
			int r = queue(rt, i);
			ok += r == 0;
			eagain += r == -1 && errno == EAGAIN;
		}
		CHECK(ok <= 4, "sigqueue_limited"); /* the count is per user natively: others may hold some */
		CHECK(eagain >= 4 && ok + eagain == 8, "sigqueue_full_eagain");
		CHECK_EQ(kill(getpid(), rt + 1), 0, "kill_rt_when_full_still_pending");
		sigset_t p;
		sigpending(&p);
		CHECK(sigismember(&p, rt + 1), "kill_rt_when_full_in_sigpending");
		CHILD_DONE();
	}
	check_child_ok(pid, "sigpending_limit_child");

	if (geteuid() != 0) {
		printf("ok sig_queue:skipped_permissions_not_root (needs uid 0)\n");
		return conf_exit();
	}
	/* Permissions: an unprivileged child may SIGCONT its root parent (same session) only. */
	pid_t parent = getpid();
	fflush(stdout);
	pid_t sleeper = fork(); /* a root process kill(-1) reaches (init is never one) */
	if (sleeper == 0) {
		for (;;)
			pause();
	}
	SETUP(sleeper);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0;
		SETUP(setresuid(1000, 1000, 1000));
		CHECK_ERR(kill(parent, SIGUSR1), EPERM, "unprivileged_kill_root_eperm");
		CHECK_ERR(kill(parent, 0), EPERM, "unprivileged_probe_root_eperm");
		CHECK_EQ(kill(parent, SIGCONT), 0, "unprivileged_sigcont_same_session");
		union sigval v = { .sival_int = 1 };
		CHECK_ERR(sigqueue(parent, SIGUSR1, v), EPERM, "unprivileged_sigqueue_root_eperm");
		CHECK_ERR(syscall(SYS_tgkill, parent, parent, SIGUSR1), EPERM, "unprivileged_tgkill_root_eperm");
		CHECK_EQ(kill(-1, 0), 0, "kill_all_eperm_is_not_an_error");
		CHECK_EQ(kill(getpid(), 0), 0, "kill_self_ok");
		CHILD_DONE();
	}
	check_child_ok(pid, "permissions_child");
	kill(sleeper, SIGKILL);
	reap(sleeper);
	return conf_exit();
}
