/* Sleeps interrupted by signals: nanosleep and clock_nanosleep return EINTR
 * with the remaining time (even with SA_RESTART), TIMER_ABSTIME sleeps wake
 * at the deadline and leave rem untouched when interrupted; ignored and
 * blocked signals do not interrupt. The signal comes from ITIMER_REAL. */
#include "conformance.h"
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t hits;

static void on_alrm(int sig)
{
	(void)sig;
	hits++;
}

static void alarm_ms(long ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static double secs(struct timespec t)
{
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
	SETUP(conf_set_handler(SIGALRM, on_alrm, 0));

	/* nanosleep 2 s, interrupted after 50 ms. */
	struct timespec req = { 2, 0 }, rem = { -1, -1 };
	hits = 0;
	alarm_ms(50);
	double t0 = conf_now();
	CHECK_ERR(nanosleep(&req, &rem), EINTR, "nanosleep_eintr");
	double dt = conf_now() - t0;
	CHECK_EQ(hits, 1, "nanosleep_handler_ran");
	CHECK(dt >= 0.04 && dt < 1.0, "nanosleep_woke_early");
	CHECK(secs(rem) > 1.0 && secs(rem) <= 2.0, "nanosleep_rem_filled");
	CHECK(rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000, "nanosleep_rem_normalized");

	/* SA_RESTART does not restart nanosleep. */
	SETUP(conf_set_handler(SIGALRM, on_alrm, SA_RESTART));
	hits = 0;
	alarm_ms(50);
	CHECK_ERR(nanosleep(&req, &rem), EINTR, "nanosleep_eintr_despite_sa_restart");
	CHECK(secs(rem) > 1.0 && secs(rem) <= 2.0, "sa_restart_rem_filled");

	/* Resuming with rem sleeps the rest (shortened here). */
	struct timespec short_req = { 0, 200000000 };
	hits = 0;
	alarm_ms(50);
	t0 = conf_now();
	int r = nanosleep(&short_req, &rem);
	if (r < 0 && errno == EINTR)
		r = nanosleep(&rem, NULL);
	dt = conf_now() - t0;
	CHECK_EQ(r, 0, "nanosleep_resume_with_rem");
	CHECK(dt >= 0.19, "nanosleep_total_time_kept");

	/* clock_nanosleep relative: returns the error number, fills rem. */
	hits = 0;
	alarm_ms(50);
	rem.tv_sec = -1;
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem), EINTR, "clock_nanosleep_rel_eintr");
	CHECK(secs(rem) > 1.0 && secs(rem) <= 2.0, "clock_nanosleep_rel_rem_filled");
	hits = 0;
	alarm_ms(50);
	CHECK_EQ(clock_nanosleep(CLOCK_REALTIME, 0, &req, &rem), EINTR, "clock_nanosleep_realtime_eintr");

	/* TIMER_ABSTIME: wakes at the deadline. */
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 50000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL), 0, "abstime_sleep");
	struct timespec after;
	clock_gettime(CLOCK_MONOTONIC, &after);
	CHECK(after.tv_sec > dl.tv_sec || (after.tv_sec == dl.tv_sec && after.tv_nsec >= dl.tv_nsec),
	      "abstime_woke_after_deadline");
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 30000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	CHECK_EQ(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &dl, NULL), 0, "abstime_realtime_sleep");

	/* TIMER_ABSTIME interrupted: EINTR, rem untouched. */
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += 2;
	rem.tv_sec = 77;
	rem.tv_nsec = 88;
	hits = 0;
	alarm_ms(50);
	t0 = conf_now();
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, &rem), EINTR, "abstime_eintr");
	CHECK(conf_now() - t0 < 1.0, "abstime_woke_early");
	CHECK(rem.tv_sec == 77 && rem.tv_nsec == 88, "abstime_rem_untouched");

	/* An ignored signal does not interrupt. */
	signal(SIGALRM, SIG_IGN);
	struct timespec d100 = { 0, 100000000 };
	alarm_ms(30);
	t0 = conf_now();
	CHECK_EQ(nanosleep(&d100, NULL), 0, "ignored_signal_no_eintr");
	CHECK(conf_now() - t0 >= 0.099, "ignored_signal_full_sleep");

	/* A blocked signal does not interrupt; it is pending afterwards. */
	SETUP(conf_set_handler(SIGALRM, on_alrm, 0));
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	sigprocmask(SIG_BLOCK, &s, &old);
	hits = 0;
	alarm_ms(30);
	CHECK_EQ(nanosleep(&d100, NULL), 0, "blocked_signal_no_eintr");
	sigset_t pend;
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGALRM), "blocked_signal_pending_after");
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(hits, 1, "blocked_signal_delivered_on_unblock");

	/* Interrupted by a signal from another process. */
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		kill(parent, SIGALRM);
		_exit(0);
	}
	hits = 0;
	CHECK_ERR(nanosleep(&req, &rem), EINTR, "nanosleep_eintr_from_other_process");
	check_child_ok(pid, "signalling_child");
	signal(SIGALRM, SIG_DFL);
	return conf_exit();
}
