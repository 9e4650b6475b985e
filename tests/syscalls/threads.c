/* pthreads over clone(CLONE_THREAD): create/join 8 threads with return
 * values, shared memory and fds, a mutex-protected counter, a condition
 * variable hand-off, gettid vs getpid, thread-directed pthread_kill/tgkill,
 * per-thread signal masks, one thread's exit not ending the process, the main
 * thread exiting first, and exit_group from a thread ending every thread. */
#include "conformance.h"
#include <pthread.h>
#include <signal.h>
#include <time.h>

#define N 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static pid_t tids[N];
static volatile pid_t sig_tid;
static volatile int sig_hits;

static void *worker(void *arg)
{
	long i = (long)arg;
	tids[i] = syscall(SYS_gettid);
	for (int k = 0; k < 10000; k++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return (void *)(i * 10 + 1);
}

/* Ping-pong through one condvar: thread waits for odd turns. */
static void *ponger(void *arg)
{
	(void)arg;
	for (int k = 0; k < 50; k++) {
		pthread_mutex_lock(&mu);
		while (turn % 2 == 0)
			pthread_cond_wait(&cv, &mu);
		turn++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	sig_tid = syscall(SYS_gettid);
	sig_hits++;
}

static volatile int stop_waiting;
static volatile pid_t waiter_tid;

/* Blocks nothing; waits for a signal to be handled on this thread. */
static void *sig_target(void *arg)
{
	(void)arg;
	waiter_tid = syscall(SYS_gettid);
	while (!stop_waiting)
		sched_yield();
	return NULL;
}

static void *exiter(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 0); /* this thread only */
	return NULL;
}

static void *group_exiter(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 20000000 };
	nanosleep(&ts, NULL);
	syscall(SYS_exit_group, 42);
	return NULL;
}

static void *late_exit(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 50000000 };
	nanosleep(&ts, NULL);
	exit(getpid() == (pid_t)(long)arg ? 17 : 18);
}

int main(void)
{
	pthread_t th[N];
	pid_t pid = getpid();

	int created = 0;
	for (long i = 0; i < N; i++)
		created += pthread_create(&th[i], NULL, worker, (void *)i) == 0;
	CHECK_EQ(created, N, "create_8_threads");
	int joined = 0, values_ok = 0;
	for (long i = 0; i < N; i++) {
		void *ret;
		joined += pthread_join(th[i], &ret) == 0;
		values_ok += ret == (void *)(i * 10 + 1);
	}
	CHECK_EQ(joined, N, "join_8_threads");
	CHECK_EQ(values_ok, N, "join_return_values");
	CHECK_EQ(counter, N * 10000L, "mutex_counter");
	int distinct = 1;
	for (int i = 0; i < N; i++) {
		distinct &= tids[i] != pid && tids[i] > 0;
		for (int j = 0; j < i; j++)
			distinct &= tids[i] != tids[j];
	}
	CHECK(distinct, "thread_tids_distinct_from_pid_and_each_other");
	CHECK_EQ(syscall(SYS_gettid), pid, "main_tid_is_pid");

	/* Condition variable ping-pong. */
	pthread_t pt;
	SETUP(pthread_create(&pt, NULL, ponger, NULL) == 0 ? 0 : -1);
	for (int k = 0; k < 50; k++) {
		pthread_mutex_lock(&mu);
		while (turn % 2 == 1)
			pthread_cond_wait(&cv, &mu);
		turn++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	CHECK_EQ(pthread_join(pt, NULL), 0, "condvar_join");
	CHECK_EQ(turn, 100, "condvar_ping_pong_100");

	/* pthread_kill runs the handler on the target thread. */
	signal(SIGUSR1, on_usr1);
	pthread_t st;
	SETUP(pthread_create(&st, NULL, sig_target, NULL) == 0 ? 0 : -1);
	while (!waiter_tid)
		sched_yield();
	CHECK_EQ(pthread_kill(st, SIGUSR1), 0, "pthread_kill");
	while (!sig_hits)
		sched_yield();
	CHECK_EQ(sig_tid, waiter_tid, "pthread_kill_handled_on_target");
	sig_hits = 0;
	CHECK_EQ(syscall(SYS_tgkill, pid, waiter_tid, SIGUSR1), 0, "tgkill_thread");
	while (!sig_hits)
		sched_yield();
	CHECK_EQ(sig_tid, waiter_tid, "tgkill_handled_on_target");
	CHECK_ERR(syscall(SYS_tgkill, pid + 1000000, waiter_tid, SIGUSR1), ESRCH, "tgkill_wrong_tgid_esrch");

	/* A process-directed signal skips a thread that blocks it: main blocks
	 * SIGUSR1, so the other thread runs the handler. */
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, &old);
	sig_hits = 0;
	kill(pid, SIGUSR1);
	while (!sig_hits)
		sched_yield();
	CHECK_EQ(sig_tid, waiter_tid, "process_signal_goes_to_unblocking_thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	stop_waiting = 1;
	pthread_join(st, NULL);
	signal(SIGUSR1, SIG_DFL);

	/* A thread calling exit (the syscall) ends only itself. */
	pthread_t et;
	SETUP(pthread_create(&et, NULL, exiter, NULL) == 0 ? 0 : -1);
	CHECK_EQ(pthread_join(et, NULL), 0, "thread_sys_exit_joinable");
	CHECK_EQ(getpid(), pid, "process_survives_thread_exit");

	/* exit_group from a thread ends the whole process with its status. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pthread_t g;
		if (pthread_create(&g, NULL, group_exiter, NULL) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	int status = reap(c);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42, "exit_group_from_thread_ends_process");

	/* The main thread exits first (SYS_exit); the other thread lives on and
	 * its exit() gives the process status. */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		pthread_t g;
		if (pthread_create(&g, NULL, late_exit, (void *)(long)getpid()) != 0)
			_exit(1);
		syscall(SYS_exit, 3);
	}
	status = reap(c);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 17, "main_thread_exit_process_lives_on");

	/* A fatal signal delivered to one thread kills the whole process. */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		pthread_t g;
		waiter_tid = 0;
		stop_waiting = 0;
		if (pthread_create(&g, NULL, sig_target, NULL) != 0)
			_exit(1);
		while (!waiter_tid)
			sched_yield();
		pthread_kill(g, SIGTERM);
		for (;;)
			pause();
	}
	status = reap(c);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "fatal_signal_to_thread_kills_process");
	return conf_exit();
}
