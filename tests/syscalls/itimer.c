/* alarm and ITIMER_REAL: alarm returns the seconds left and cancels with 0;
 * setitimer delivers SIGALRM periodically, getitimer reads the interval and
 * a remaining value, old values come back; argument errors; an alarm kills a
 * process with the default action; timers are not inherited by fork. */
#include "conformance.h"
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alrms;

static void on_alrm(int sig)
{
	(void)sig;
	alrms++;
}

int main(void)
{
	CHECK_EQ(alarm(5), 0, "alarm_first_returns_0");
	CHECK_EQ(alarm(3), 5, "alarm_returns_remaining");
	struct itimerval cur;
	CHECK_EQ(getitimer(ITIMER_REAL, &cur), 0, "getitimer_after_alarm");
	CHECK(cur.it_value.tv_sec >= 2 && cur.it_value.tv_sec <= 3 && cur.it_interval.tv_sec == 0,
	      "alarm_visible_in_getitimer");
	CHECK_EQ(alarm(0), 3, "alarm_0_cancels_returns_remaining");
	CHECK_EQ(alarm(0), 0, "alarm_none_pending_0");

	/* A periodic ITIMER_REAL delivering SIGALRM. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alrm;
	sigemptyset(&sa.sa_mask);
	SETUP(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, old;
	CHECK_EQ(setitimer(ITIMER_REAL, &it, &old), 0, "setitimer_periodic");
	CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0, "setitimer_old_was_disarmed");
	CHECK_EQ(getitimer(ITIMER_REAL, &cur), 0, "getitimer_periodic");
	CHECK(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 20000, "getitimer_interval");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 20000, "getitimer_value_counts_down");
	sigset_t empty;
	sigemptyset(&empty);
	alrms = 0;
	double t0 = conf_now();
	while (alrms < 4 && conf_now() - t0 < 2)
		sigsuspend(&empty);
	double dt = conf_now() - t0;
	CHECK(alrms >= 4, "periodic_sigalrm_4_times");
	CHECK(dt >= 0.06, "periodic_interval_not_too_fast");
	struct itimerval zero = { { 0, 0 }, { 0, 0 } };
	CHECK_EQ(setitimer(ITIMER_REAL, &zero, &old), 0, "setitimer_disarm");
	CHECK(old.it_interval.tv_usec == 20000, "disarm_returns_old_interval");
	CHECK_EQ(getitimer(ITIMER_REAL, &cur), 0, "getitimer_disarmed");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0, "disarmed_reads_zero");
	int n = alrms;
	struct timespec ts = { 0, 50000000 };
	nanosleep(&ts, NULL);
	CHECK_EQ(alrms, n, "no_sigalrm_after_disarm");

	/* One-shot: once, then disarmed. */
	struct itimerval one = { { 0, 0 }, { 0, 10000 } };
	alrms = 0;
	CHECK_EQ(setitimer(ITIMER_REAL, &one, NULL), 0, "setitimer_oneshot");
	t0 = conf_now();
	while (alrms < 1 && conf_now() - t0 < 2)
		sigsuspend(&empty);
	CHECK_EQ(alrms, 1, "oneshot_fired");
	getitimer(ITIMER_REAL, &cur);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0, "oneshot_disarmed_after");

	/* setitimer and alarm share one timer. */
	struct itimerval ten = { { 0, 0 }, { 10, 0 } };
	setitimer(ITIMER_REAL, &ten, NULL);
	CHECK_EQ(alarm(0), 10, "alarm_sees_setitimer");

	/* Errors. */
	struct itimerval bad = { { 0, 0 }, { 0, 1000000 } };
	CHECK_ERR(setitimer(ITIMER_REAL, &bad, NULL), EINVAL, "usec_1000000_einval");
	bad.it_value.tv_usec = -1;
	CHECK_ERR(setitimer(ITIMER_REAL, &bad, NULL), EINVAL, "usec_negative_einval");
	CHECK_ERR(setitimer(opaque(7), &it, NULL), EINVAL, "bad_which_einval");
	CHECK_ERR(getitimer(opaque(7), &cur), EINVAL, "getitimer_bad_which_einval");
	CHECK_ERR(getitimer(ITIMER_REAL, BAD_PTR), EFAULT, "getitimer_bad_ptr_efault");

	/* Not inherited by fork; the default action of SIGALRM terminates. */
	setitimer(ITIMER_REAL, &ten, NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct itimerval c;
		getitimer(ITIMER_REAL, &c);
		_exit(c.it_value.tv_sec == 0 && c.it_value.tv_usec == 0 && alarm(0) == 0 ? 0 : 1);
	}
	check_child_ok(pid, "timer_not_inherited_by_fork");
	alarm(0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		struct itimerval o = { { 0, 0 }, { 0, 10000 } };
		setitimer(ITIMER_REAL, &o, NULL);
		for (;;)
			pause();
	}
	int st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM, "default_sigalrm_kills");

	/* alarm(1) really delivers. */
	alrms = 0;
	alarm(1);
	t0 = conf_now();
	while (alrms < 1 && conf_now() - t0 < 2.5)
		sigsuspend(&empty);
	dt = conf_now() - t0;
	CHECK_EQ(alrms, 1, "alarm_1_delivers");
	CHECK(dt >= 0.9, "alarm_1_after_a_second");
	signal(SIGALRM, SIG_DFL);
	return conf_exit();
}
