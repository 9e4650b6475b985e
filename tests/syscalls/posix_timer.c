/* POSIX timers (timer_create/settime/gettime/getoverrun/delete) on
 * CLOCK_MONOTONIC and CLOCK_REALTIME with SIGEV_SIGNAL (SI_TIMER, si_value,
 * si_timerid), SIGEV_NONE, TIMER_ABSTIME, overruns while the signal is
 * blocked, and errors for bad clocks, ids and values. Raw syscalls so that
 * ids are the kernel's. */
#include "conformance.h"
#include <signal.h>
#include <time.h>

static volatile sig_atomic_t hits, h_code, h_val, h_overrun, h_tid;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	hits++;
	h_code = si->si_code;
	h_val = si->si_value.sival_int;
	h_overrun = si->si_overrun;
	h_tid = si->si_timerid;
}

static long t_create(clockid_t c, struct sigevent *sev, int *id)
{
	return syscall(SYS_timer_create, c, sev, id);
}
static long t_set(int id, int flags, const struct itimerspec *n, struct itimerspec *o)
{
	return syscall(SYS_timer_settime, id, flags, n, o);
}
static long t_get(int id, struct itimerspec *c)
{
	return syscall(SYS_timer_gettime, id, c);
}
static long t_overrun(int id)
{
	return syscall(SYS_timer_getoverrun, id);
}
static long t_delete(int id)
{
	return syscall(SYS_timer_delete, id);
}

static void wait_hits(int n)
{
	sigset_t empty;
	sigemptyset(&empty);
	double t0 = conf_now();
	while (hits < n && conf_now() - t0 < 2)
		sigsuspend(&empty);
}

int main(void)
{
	int sig = SIGRTMIN + 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	SETUP(sigaction(sig, &sa, NULL));
	sigset_t blk, old;
	sigemptyset(&blk);
	sigaddset(&blk, sig);

	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = 1234;
	int id = -1;
	CHECK_EQ(t_create(CLOCK_MONOTONIC, &sev, &id), 0, "create_monotonic");
	CHECK(id >= 0, "id_nonnegative");
	struct itimerspec cur;
	CHECK_EQ(t_get(id, &cur), 0, "gettime_unarmed");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0, "unarmed_reads_zero");

	/* One-shot 10 ms. */
	struct itimerspec its = { { 0, 0 }, { 0, 10000000 } }, oits;
	hits = 0;
	CHECK_EQ(t_set(id, 0, &its, &oits), 0, "settime_oneshot");
	CHECK_EQ(t_get(id, &cur), 0, "gettime_armed");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000, "armed_value_counts_down");
	wait_hits(1);
	CHECK_EQ(hits, 1, "oneshot_delivered");
	CHECK_EQ(h_code, SI_TIMER, "si_code_si_timer");
	CHECK_EQ(h_val, 1234, "si_value_from_sigevent");
	CHECK_EQ(h_tid, id, "si_timerid");
	CHECK_EQ(h_overrun, 0, "oneshot_overrun_0");
	CHECK_EQ(t_overrun(id), 0, "getoverrun_0");
	CHECK_EQ(t_get(id, &cur), 0, "gettime_after_fire");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0, "oneshot_disarmed_after_fire");

	/* Periodic 5 ms with the signal blocked for 100 ms: one signal, overruns. */
	struct itimerspec per = { { 0, 5000000 }, { 0, 5000000 } };
	sigprocmask(SIG_BLOCK, &blk, &old);
	hits = 0;
	CHECK_EQ(t_set(id, 0, &per, NULL), 0, "settime_periodic");
	struct timespec ts = { 0, 100000000 };
	nanosleep(&ts, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(hits, 1, "blocked_periodic_one_signal");
	CHECK(h_overrun >= 5, "si_overrun_counts_missed");
	CHECK(t_overrun(id) >= 5, "getoverrun_counts_missed");
	CHECK_EQ(t_get(id, &cur), 0, "gettime_periodic");
	CHECK(cur.it_interval.tv_nsec == 5000000, "gettime_interval");
	CHECK_EQ(t_set(id, 0, &(struct itimerspec){ { 0, 0 }, { 0, 0 } }, &oits), 0, "disarm");
	CHECK(oits.it_interval.tv_nsec == 5000000, "disarm_old_interval");
	hits = 0;
	nanosleep(&(struct timespec){ 0, 30000000 }, NULL);
	CHECK_EQ(hits, 0, "no_signal_after_disarm");

	/* TIMER_ABSTIME: absolute 20 ms from now; a past time fires at once. */
	struct timespec n;
	clock_gettime(CLOCK_MONOTONIC, &n);
	n.tv_nsec += 20000000;
	if (n.tv_nsec >= 1000000000) {
		n.tv_sec++;
		n.tv_nsec -= 1000000000;
	}
	struct itimerspec absits = { { 0, 0 }, n };
	hits = 0;
	CHECK_EQ(t_set(id, TIMER_ABSTIME, &absits, NULL), 0, "settime_abstime");
	CHECK_EQ(t_get(id, &cur), 0, "gettime_abstime");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 20000000 && cur.it_value.tv_nsec > 0,
	      "abstime_gettime_relative");
	wait_hits(1);
	CHECK_EQ(hits, 1, "abstime_fired");
	absits.it_value.tv_sec = 1;
	absits.it_value.tv_nsec = 0;
	hits = 0;
	CHECK_EQ(t_set(id, TIMER_ABSTIME, &absits, NULL), 0, "settime_abstime_past");
	wait_hits(1);
	CHECK_EQ(hits, 1, "abstime_past_fires_at_once");
	CHECK_EQ(t_delete(id), 0, "delete");
	CHECK_ERR(t_delete(id), EINVAL, "delete_twice_einval");
	CHECK_ERR(t_set(id, 0, &its, NULL), EINVAL, "settime_deleted_einval");
	CHECK_ERR(t_get(id, &cur), EINVAL, "gettime_deleted_einval");
	CHECK_ERR(t_overrun(id), EINVAL, "getoverrun_deleted_einval");
	CHECK_ERR(t_delete(123456), EINVAL, "delete_unknown_id_einval");

	/* NULL sigevent: SIGALRM with si_value = the id. SIGEV_NONE: no signal. */
	int id2 = -1;
	CHECK_EQ(t_create(CLOCK_REALTIME, NULL, &id2), 0, "create_realtime_null_sigevent");
	t_delete(id2);
	sev.sigev_notify = SIGEV_NONE;
	CHECK_EQ(t_create(CLOCK_MONOTONIC, &sev, &id2), 0, "create_sigev_none");
	its.it_value.tv_nsec = 10000000;
	hits = 0;
	t_set(id2, 0, &its, NULL);
	nanosleep(&(struct timespec){ 0, 30000000 }, NULL);
	CHECK_EQ(hits, 0, "sigev_none_no_signal");
	its.it_value.tv_sec = 5;
	t_set(id2, 0, &its, NULL);
	CHECK_EQ(t_get(id2, &cur), 0, "sigev_none_gettime");
	CHECK(cur.it_value.tv_sec == 4 || cur.it_value.tv_sec == 5, "sigev_none_counts_down");
	CHECK_EQ(t_delete(id2), 0, "delete_sigev_none");

	/* Errors at creation and setting. */
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = 0;
	CHECK_ERR(t_create(CLOCK_MONOTONIC, &sev, &id2), EINVAL, "create_signo_0_einval");
	sev.sigev_signo = 65;
	CHECK_ERR(t_create(CLOCK_MONOTONIC, &sev, &id2), EINVAL, "create_signo_65_einval");
	sev.sigev_signo = sig;
	sev.sigev_notify = 99;
	CHECK_ERR(t_create(CLOCK_MONOTONIC, &sev, &id2), EINVAL, "create_bad_notify_einval");
	sev.sigev_notify = SIGEV_SIGNAL;
	CHECK_ERR(t_create(99, &sev, &id2), EINVAL, "create_bad_clock_einval");
	CHECK_ERR(t_create(CLOCK_MONOTONIC, &sev, BAD_PTR), EFAULT, "create_bad_id_ptr_efault");
	CHECK_EQ(t_create(CLOCK_MONOTONIC, &sev, &id2), 0, "create_again");
	struct itimerspec badv = { { 0, 0 }, { 0, 1000000000 } };
	CHECK_ERR(t_set(id2, 0, &badv, NULL), EINVAL, "settime_bad_nsec_einval");
	CHECK_ERR(t_set(id2, 0, NULL, NULL), EINVAL, "settime_null_einval");
	CHECK_EQ(t_delete(id2), 0, "delete_again");

	/* Timers are not inherited by a fork child. */
	CHECK_EQ(t_create(CLOCK_MONOTONIC, &sev, &id2), 0, "create_before_fork");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(t_get(id2, &cur) == -1 && errno == EINVAL ? 0 : 1);
	check_child_ok(pid, "timer_not_in_fork_child");
	t_delete(id2);
	signal(sig, SIG_DFL);
	return conf_exit();
}
