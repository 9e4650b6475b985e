/* CPU-time clocks and timers: CLOCK_PROCESS_CPUTIME_ID and
 * CLOCK_THREAD_CPUTIME_ID follow the CPU time really used (a spinning
 * thread's clock grows, a sleeping one's hardly does), pthread_getcpuclockid
 * and clock_getcpuclockid (also of a child process), getrusage ru_utime/
 * ru_stime (self, thread, children) and times(), ITIMER_VIRTUAL/ITIMER_PROF
 * (SIGVTALRM/SIGPROF after that much CPU time, not while sleeping), POSIX
 * timers and clock_nanosleep on the process CPU clock, and errors for bad
 * CPU clock ids. Bounds are generous: only what CPU time cannot fail to do. */
#include "conformance.h"
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

/* Linux's clock id encoding (MAKE_PROCESS_CPUCLOCK / MAKE_THREAD_CPUCLOCK). */
#define PROCESS_CLOCK(pid, which) ((clockid_t)(~(unsigned)(pid) << 3 | (which)))
#define THREAD_CLOCK(tid, which) ((clockid_t)(~(unsigned)(tid) << 3 | 4 | (which)))

static double secs(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) != 0)
		return -1;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_secs(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void burn(void)
{
	for (volatile int i = 0; i < 200000; i++)
		;
}

/* Spin until clock c advanced by s seconds (at most 10 s of wall time). */
static void spin_cpu(clockid_t c, double s)
{
	double c0 = secs(c), w0 = secs(CLOCK_MONOTONIC);
	while (secs(c) - c0 < s && secs(CLOCK_MONOTONIC) - w0 < 10)
		burn();
}

static volatile sig_atomic_t got_prof, got_vtalrm, got_rt;

static void on_sig(int sig)
{
	if (sig == SIGPROF)
		got_prof++;
	else if (sig == SIGVTALRM)
		got_vtalrm++;
	else
		got_rt++;
}

/* Spin until *flag reaches n (at most 5 s of wall time). */
static void spin_until(volatile sig_atomic_t *flag, int n)
{
	double w0 = secs(CLOCK_MONOTONIC);
	while (*flag < n && secs(CLOCK_MONOTONIC) - w0 < 5)
		burn();
}

static volatile int stop_spinner;
static double spinner_cpu;

static void *spinner(void *arg)
{
	(void)arg;
	double w0 = secs(CLOCK_MONOTONIC);
	while (!stop_spinner && secs(CLOCK_MONOTONIC) - w0 < 10)
		burn();
	spinner_cpu = secs(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static void *spin_200ms(void *arg)
{
	(void)arg;
	spin_cpu(CLOCK_THREAD_CPUTIME_ID, 0.2);
	return NULL;
}

int main(void)
{
	/* ---- the clocks follow CPU use ---- */
	double p0 = secs(CLOCK_PROCESS_CPUTIME_ID), t0 = secs(CLOCK_THREAD_CPUTIME_ID);
	double w0 = secs(CLOCK_MONOTONIC);
	CHECK(p0 >= 0 && t0 >= 0, "cpu_clocks_readable");
	spin_cpu(CLOCK_THREAD_CPUTIME_ID, 0.2);
	double t1 = secs(CLOCK_THREAD_CPUTIME_ID), p1 = secs(CLOCK_PROCESS_CPUTIME_ID);
	double w1 = secs(CLOCK_MONOTONIC);
	CHECK(t1 - t0 >= 0.2, "thread_clock_reaches_spin");
	CHECK(p1 - p0 >= t1 - t0 - 0.001, "process_clock_covers_thread");
	CHECK(t1 - t0 <= (w1 - w0) + 0.05, "thread_clock_not_ahead_of_wall");
	nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	double t2 = secs(CLOCK_THREAD_CPUTIME_ID);
	CHECK(t2 - t1 < 0.1, "thread_clock_still_while_sleeping");

	struct timespec res;
	CHECK_EQ(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res), 0, "getres_process_cputime");
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0, "getres_process_cputime_positive");
	CHECK_EQ(clock_getres(CLOCK_THREAD_CPUTIME_ID, &res), 0, "getres_thread_cputime");

	/* ---- another thread's clock ---- */
	pthread_t th;
	stop_spinner = 0;
	SETUP(pthread_create(&th, NULL, spinner, NULL) == 0 ? 0 : -1);
	clockid_t tclk;
	CHECK_EQ(pthread_getcpuclockid(th, &tclk), 0, "pthread_getcpuclockid");
	spin_cpu(tclk, 0.15);
	double other = secs(tclk);
	double mine0 = secs(CLOCK_THREAD_CPUTIME_ID);
	CHECK(other >= 0.15, "other_thread_clock_grows");
	/* clock_nanosleep on the process clock ends once the spinner used 50 ms more. */
	double pw = secs(CLOCK_PROCESS_CPUTIME_ID);
	CHECK_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &(struct timespec){ 0, 50000000 }, NULL), 0,
		 "nanosleep_process_cputime");
	CHECK(secs(CLOCK_PROCESS_CPUTIME_ID) - pw >= 0.05, "nanosleep_process_cputime_waited");
	/* A POSIX timer on the process CPU clock fires while the spinner runs. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sig;
	SETUP(sigaction(SIGRTMIN, &sa, NULL));
	SETUP(sigaction(SIGPROF, &sa, NULL));
	SETUP(sigaction(SIGVTALRM, &sa, NULL));
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	timer_t tid;
	CHECK_EQ(timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &tid), 0, "timer_create_process_cputime");
	got_rt = 0;
	struct itimerspec its = { { 0, 0 }, { 0, 30000000 } };
	CHECK_EQ(timer_settime(tid, 0, &its, NULL), 0, "timer_settime_process_cputime");
	double ww = secs(CLOCK_MONOTONIC);
	while (!got_rt && secs(CLOCK_MONOTONIC) - ww < 5)
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	CHECK_EQ(got_rt, 1, "process_cputime_timer_fires");
	timer_delete(tid);
	stop_spinner = 1;
	pthread_join(th, NULL);
	CHECK(secs(CLOCK_THREAD_CPUTIME_ID) - mine0 < 0.1, "sleeping_thread_clock_small");
	CHECK(spinner_cpu >= 0.15, "spinner_saw_own_clock");

	/* ---- getrusage and times ---- */
	struct rusage ru;
	CHECK_EQ(getrusage(RUSAGE_SELF, &ru), 0, "getrusage_self");
	double self = tv_secs(ru.ru_utime) + tv_secs(ru.ru_stime);
	CHECK(self >= 0.4, "rusage_self_counts_spins");
	CHECK(tv_secs(ru.ru_utime) >= 0.25, "rusage_self_mostly_user");
	CHECK(self <= secs(CLOCK_PROCESS_CPUTIME_ID) + 0.05, "rusage_self_matches_clock");
	SETUP(pthread_create(&th, NULL, spin_200ms, NULL) == 0 ? 0 : -1);
	pthread_join(th, NULL);
	CHECK_EQ(getrusage(RUSAGE_THREAD, &ru), 0, "getrusage_thread");
	double thr = tv_secs(ru.ru_utime) + tv_secs(ru.ru_stime);
	CHECK(thr >= 0.2 && thr <= secs(CLOCK_THREAD_CPUTIME_ID) + 0.05, "rusage_thread_is_this_thread");
	struct tms tm;
	CHECK(times(&tm) != (clock_t)-1, "times");
	CHECK(tm.tms_utime + tm.tms_stime >= 40, "times_self_counts_spins");

	/* ---- a child's clock, and its time once reaped ---- */
	struct rusage before;
	SETUP(getrusage(RUSAGE_CHILDREN, &before));
	int go[2];
	SETUP(pipe(go));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		spin_cpu(CLOCK_PROCESS_CPUTIME_ID, 0.2);
		char c;
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);   /* wait for the parent to look */
	}
	close(go[0]);
	clockid_t cclk;
	CHECK_EQ(clock_getcpuclockid(pid, &cclk), 0, "clock_getcpuclockid_child");
	ww = secs(CLOCK_MONOTONIC);
	while (secs(cclk) < 0.2 && secs(CLOCK_MONOTONIC) - ww < 10)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	CHECK(secs(cclk) >= 0.2, "child_clock_grows");
	CHECK_ERR(clock_gettime(THREAD_CLOCK(pid, 2), &res), EINVAL, "other_process_thread_clock_einval");
	close(go[1]);
	check_child_ok(pid, "child_exit");
	CHECK_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0, "getrusage_children");
	double kids = tv_secs(ru.ru_utime) + tv_secs(ru.ru_stime) -
		      (tv_secs(before.ru_utime) + tv_secs(before.ru_stime));
	CHECK(kids >= 0.18, "rusage_children_counts_child");
	CHECK(times(&tm) != (clock_t)-1 && tm.tms_cutime + tm.tms_cstime >= 15, "times_children");

	/* ---- clock ids ---- */
	clockid_t sclk;
	CHECK_EQ(clock_getcpuclockid(getpid(), &sclk), 0, "clock_getcpuclockid_self");
	CHECK(secs(sclk) >= 0.4, "own_pid_clock_reads_process");
	CHECK(secs(PROCESS_CLOCK(0, 1)) > 0, "virt_clock_of_self");
	CHECK(secs(PROCESS_CLOCK(0, 0)) > 0, "prof_clock_of_self");
	CHECK(secs(THREAD_CLOCK(0, 2)) > 0, "sched_clock_of_own_thread");
	CHECK_EQ(clock_getcpuclockid(999999, &sclk), ESRCH, "clock_getcpuclockid_unknown_esrch");
	CHECK_ERR(clock_gettime(PROCESS_CLOCK(getpid(), 3), &res), EINVAL, "clock_which_3_einval");
	CHECK_ERR(clock_gettime(PROCESS_CLOCK(999999, 2), &res), EINVAL, "unknown_pid_clock_einval");
	CHECK_ERR(syscall(SYS_clock_nanosleep, THREAD_CLOCK(0, 2), 0, &(struct timespec){ 0, 1000 }, NULL),
		  EINVAL, "nanosleep_own_thread_clock_einval");

	/* ---- ITIMER_PROF and ITIMER_VIRTUAL ---- */
	struct itimerval iv = { { 0, 0 }, { 0, 50000 } }, cur;
	got_prof = 0;
	CHECK_EQ(setitimer(ITIMER_PROF, &iv, NULL), 0, "setitimer_prof");
	CHECK_EQ(getitimer(ITIMER_PROF, &cur), 0, "getitimer_prof");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0, "getitimer_prof_armed");
	spin_until(&got_prof, 1);
	CHECK_EQ(got_prof, 1, "sigprof_after_cpu_time");
	CHECK_EQ(getitimer(ITIMER_PROF, &cur), 0, "getitimer_prof_after");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0, "prof_oneshot_disarmed");

	got_vtalrm = 0;
	iv = (struct itimerval){ { 0, 20000 }, { 0, 20000 } };
	CHECK_EQ(setitimer(ITIMER_VIRTUAL, &iv, NULL), 0, "setitimer_virtual_periodic");
	spin_until(&got_vtalrm, 3);
	CHECK(got_vtalrm >= 3, "sigvtalrm_periodic");
	CHECK_EQ(setitimer(ITIMER_VIRTUAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, &cur), 0,
		 "setitimer_virtual_disarm");
	CHECK(cur.it_interval.tv_usec == 20000, "disarm_returns_interval");

	/* CPU time does not pass while the process sleeps. */
	got_vtalrm = 0;
	iv = (struct itimerval){ { 0, 0 }, { 0, 200000 } };
	CHECK_EQ(setitimer(ITIMER_VIRTUAL, &iv, NULL), 0, "setitimer_virtual_200ms");
	nanosleep(&(struct timespec){ 0, 300000000 }, NULL);
	CHECK_EQ(got_vtalrm, 0, "no_sigvtalrm_while_sleeping");
	CHECK_EQ(setitimer(ITIMER_VIRTUAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, &cur), 0,
		 "setitimer_virtual_cancel");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 100000, "virtual_left_after_sleep");

	CHECK_ERR(setitimer((int)opaque(5), &iv, NULL), EINVAL, "setitimer_bad_which_einval");
	CHECK_ERR(getitimer((int)opaque(5), &cur), EINVAL, "getitimer_bad_which_einval");
	signal(SIGPROF, SIG_DFL);
	signal(SIGVTALRM, SIG_DFL);
	return conf_exit();
}
