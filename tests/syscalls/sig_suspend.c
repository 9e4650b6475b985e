/* sigprocmask + sigpending + sigsuspend + sigtimedwait: a blocked signal
 * stays pending and is delivered when unblocked (before sigprocmask
 * returns); sigsuspend swaps the mask, returns EINTR after the handler and
 * restores it; sigwaitinfo/sigtimedwait consume pending signals. */
#include "conformance.h"
#include <signal.h>
#include <time.h>

static volatile sig_atomic_t hits, mask_had_usr2;

static void on_sig(int sig)
{
	(void)sig;
	hits++;
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	mask_had_usr2 = sigismember(&cur, SIGUSR2);
}

static int set(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sig;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	return sigaction(sig, &sa, NULL);
}

int main(void)
{
	sigset_t s1, empty, old, cur, pend;
	sigemptyset(&empty);
	sigemptyset(&s1);
	sigaddset(&s1, SIGUSR1);
	SETUP(set(SIGUSR1, 0));

	/* Blocking then delivering on unblock. */
	CHECK_EQ(sigprocmask(SIG_BLOCK, &s1, &old), 0, "block_usr1");
	hits = 0;
	CHECK_EQ(raise(SIGUSR1), 0, "raise_blocked");
	CHECK_EQ(hits, 0, "blocked_not_delivered");
	CHECK_EQ(sigpending(&pend), 0, "sigpending");
	CHECK(sigismember(&pend, SIGUSR1), "sigpending_shows_usr1");
	CHECK(!sigismember(&pend, SIGUSR2), "sigpending_not_usr2");
	CHECK_EQ(sigprocmask(SIG_UNBLOCK, &s1, NULL), 0, "unblock_usr1");
	CHECK_EQ(hits, 1, "delivered_on_unblock");
	CHECK_EQ(mask_had_usr2, 1, "sa_mask_applied_in_handler");
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR1), "no_longer_pending");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGUSR2), "sa_mask_removed_after_handler");

	/* SIGKILL and SIGSTOP cannot be blocked (silently dropped). */
	sigset_t ks;
	sigemptyset(&ks);
	sigaddset(&ks, SIGKILL);
	sigaddset(&ks, SIGSTOP);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &ks, NULL), 0, "block_kill_stop_accepted");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGKILL) && !sigismember(&cur, SIGSTOP), "kill_stop_not_in_mask");
	CHECK_ERR(sigprocmask(99, &s1, NULL), EINVAL, "bad_how_einval");

	/* Ignoring a pending signal discards it. */
	sigprocmask(SIG_BLOCK, &s1, NULL);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR1), "ignore_discards_pending");
	SETUP(set(SIGUSR1, 0));

	/* sigsuspend with the signal already pending: returns at once. */
	raise(SIGUSR1);
	hits = 0;
	CHECK_ERR(sigsuspend(&empty), EINTR, "sigsuspend_pending_eintr");
	CHECK_EQ(hits, 1, "sigsuspend_pending_handler_ran");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "sigsuspend_restores_mask");

	/* sigsuspend woken by a child's kill. */
	pid_t parent = getpid();
	hits = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 50000000 };
		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK_ERR(sigsuspend(&empty), EINTR, "sigsuspend_woken_by_child");
	CHECK_EQ(hits, 1, "sigsuspend_child_handler_ran");
	check_child_ok(pid, "sigsuspend_child");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "sigsuspend_restores_mask_after_wake");

	/* sigsuspend's mask keeps a signal blocked: only the other one wakes it. */
	sigset_t s12;
	sigemptyset(&s12);
	sigaddset(&s12, SIGUSR1);
	sigaddset(&s12, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s12, NULL);
	SETUP(set(SIGUSR2, 0));
	raise(SIGUSR1);
	raise(SIGUSR2);
	hits = 0;
	sigset_t only1 = s1; /* blocks USR1 while suspended */
	CHECK_ERR(sigsuspend(&only1), EINTR, "sigsuspend_partial_mask");
	CHECK_EQ(hits, 1, "sigsuspend_partial_one_delivered");
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "sigsuspend_partial_usr1_still_pending");

	/* sigwaitinfo / sigtimedwait consume pending signals without handlers. */
	siginfo_t si;
	/* (raw syscall: glibc's wrapper rewrites SI_TKILL to SI_USER) */
	CHECK_EQ(syscall(SYS_rt_sigtimedwait, &s1, &si, NULL, 8), SIGUSR1, "sigwaitinfo_returns_signo");
	CHECK_EQ(si.si_code, SI_TKILL, "sigwaitinfo_si_code");
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR1), "sigwaitinfo_consumed");
	struct timespec zero = { 0, 0 }, short_ts = { 0, 20000000 };
	CHECK_ERR(sigtimedwait(&s1, &si, &zero), EAGAIN, "sigtimedwait_zero_eagain");
	CHECK_ERR(sigtimedwait(&s1, &si, &short_ts), EAGAIN, "sigtimedwait_timeout_eagain");
	union sigval v = { .sival_int = 77 };
	sigqueue(getpid(), SIGUSR1, v);
	CHECK_EQ(sigtimedwait(&s1, &si, &short_ts), SIGUSR1, "sigtimedwait_gets_queued");
	CHECK_EQ(si.si_value.sival_int, 77, "sigtimedwait_si_value");
	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR(sigtimedwait(&s1, &si, &bad), EINVAL, "sigtimedwait_bad_nsec_einval");

	/* rt_sigprocmask with a wrong sigset size. */
	uint64_t k = 0;
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &k, NULL, 4), EINVAL, "rt_sigprocmask_bad_size_einval");
	CHECK_ERR(syscall(SYS_rt_sigsuspend, &k, 4), EINVAL, "rt_sigsuspend_bad_size_einval");

	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	return conf_exit();
}
