/* execve from a multithreaded process: the other threads end wherever they
 * are blocked (a futex, epoll_wait, a pipe read, poll, nanosleep,
 * sigsuspend, a socket accept), from the leader or from another thread
 * (which then takes over the process id), and the new image runs alone. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "conformance.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pipefd[2], epfd, lsock;
static volatile int started;
static char self[PATH_MAX];

static void *block_futex(void *arg)
{
	pthread_mutex_lock(&mu);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return arg;
}

static void *block_epoll(void *arg)
{
	struct epoll_event ev;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		epoll_wait(epfd, &ev, 1, -1);
	return arg;
}

static void *block_read(void *arg)
{
	char c;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		read(pipefd[0], &c, 1);
	return arg;
}

static void *block_poll(void *arg)
{
	struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		poll(&p, 1, -1);
	return arg;
}

static void *block_sleep(void *arg)
{
	struct timespec ts = { 100000, 0 };
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		nanosleep(&ts, NULL);
	return arg;
}

static void *block_sigsuspend(void *arg)
{
	sigset_t none;
	sigemptyset(&none);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		sigsuspend(&none);
	return arg;
}

static void *block_accept(void *arg)
{
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		accept(lsock, NULL, NULL);
	return arg;
}

static void *(*const blockers[])(void *) = {
	block_futex, block_epoll, block_read, block_poll, block_sleep, block_sigsuspend,
	block_accept,
};
#define NBLOCKERS (int)(sizeof(blockers) / sizeof(blockers[0]))

/* The new image: reports its pid and how many threads it has, as exit status. */
static int child_image(const char *want_pid)
{
	char path[64];
	int tasks = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d)))
		tasks += e->d_name[0] != '.';
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%d", (int)getpid());
	if (strcmp(path, want_pid) != 0)
		return 2;
	return tasks == 1 ? 42 : 3;
}

static void *exec_from_thread(void *arg)
{
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	execl(self, self, "child", pid, (char *)NULL);
	_exit(4);
	return arg;
}

/* In a fresh child: start every blocker, then execve from the leader or a new thread. */
static void run_case(int from_thread)
{
	if (pipe(pipefd) < 0 || (epfd = epoll_create1(0)) < 0)
		_exit(5);
	lsock = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	/* An abstract name: nothing to clean up. */
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "conf-execve-threads-%d", (int)getpid());
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(lsock, 1) < 0)
		_exit(6);
	pthread_t th;
	for (int i = 0; i < NBLOCKERS; i++)
		if (pthread_create(&th, NULL, blockers[i], NULL))
			_exit(7);
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < NBLOCKERS)
		sched_yield();
	/* Let each reach its blocking call. */
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	if (from_thread) {
		pthread_create(&th, NULL, exec_from_thread, NULL);
		pthread_mutex_lock(&mu);
		for (;;)
			pthread_cond_wait(&cv, &mu);
	}
	exec_from_thread(NULL);
}

/* Fork a child that runs the case; its status within 10 s, or -1 (killed as stuck). */
static int case_status(int from_thread)
{
	pid_t pid = fork();
	if (pid == 0)
		run_case(from_thread);
	for (int i = 0; i < 1000; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_image(argv[2]);
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	CHECK_EQ(case_status(0), 42, "exec_from_leader_ends_blocked_threads");
	CHECK_EQ(case_status(1), 42, "exec_from_thread_ends_blocked_threads_keeps_pid");
	return conf_exit();
}
