/*
 * munmap while another thread of the process keeps reading the range
 * without a syscall. Linux takes the mapping away from every thread at
 * once (the reader faults). A sentry whose threads drop a mapping only at
 * their next stop must at least never let the reader see memory the range
 * is given to next: here a new mapping elsewhere, filled with a marker,
 * and memory another process fills with its own marker.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include "conformance.h"

#define LEN (64 * 4096)
#define MARKER 0x5eC2e75eC2e75eC2ULL

static volatile uint64_t *old_range;
static volatile int stop, reading, saw_marker;
static sigjmp_buf reader_env;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(reader_env, 1);
}

/* Reads the old range, no syscall, until told to stop or it faults. */
static void *reader(void *arg)
{
	(void)arg;
	if (sigsetjmp(reader_env, 1))
		return NULL;        /* Linux: the range went from every thread at once */
	reading = 1;
	while (!stop) {
		for (size_t i = 0; i < LEN / 8; i += 512)
			if (old_range[i] == MARKER)
				saw_marker = 1;
	}
	return NULL;
}

static void fill(volatile uint64_t *p)
{
	for (size_t i = 0; i < LEN / 8; i++)
		p[i] = MARKER;
}

/* Spin for about ms milliseconds (no syscall but the clock's, from the vDSO). */
static void spin_ms(int ms)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	old_range = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(old_range != MAP_FAILED, "mmap");
	for (size_t i = 0; i < LEN / 8; i++)
		old_range[i] = 1;
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, reader, NULL), 0, "pthread_create");
	while (!reading)
		;
	spin_ms(20);
	CHECK_OK(munmap((void *)old_range, LEN), "munmap_while_read");
	/* A new private mapping (not at the old address) and another process's memory. */
	volatile uint64_t *fresh = mmap((void *)((uintptr_t)old_range + 64 * LEN), LEN,
					PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(fresh != MAP_FAILED && fresh != old_range, "mmap_fresh_elsewhere");
	fill(fresh);
	int pipefd[2];
	CHECK_OK(pipe(pipefd), "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		for (int k = 0; k < 4; k++) {
			volatile uint64_t *mine = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
						       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mine != MAP_FAILED)
				fill(mine);
		}
		char c = 1;
		write(pipefd[1], &c, 1);
		spin_ms(100);
		_exit(0);
	}
	char c;
	CHECK_EQ(read(pipefd[0], &c, 1), 1, "child_filled");
	spin_ms(100);
	stop = 1;
	pthread_join(t, NULL);
	int status;
	waitpid(pid, &status, 0);
	CHECK(!saw_marker, "stale_reader_never_sees_reused_memory");
	/* The munmapping thread itself has lost the range. */
	volatile int main_faulted = 0;
	if (sigsetjmp(reader_env, 1) == 0)
		(void)old_range[0];
	else
		main_faulted = 1;
	CHECK(main_faulted, "access_after_munmap_faults");
	return conf_exit();
}
