/*
 * The ptrace platform's floor: the cost of serving one guest syscall with
 * nothing but PTRACE_SYSEMU + waitpid + PTRACE_GETREGS + PTRACE_SETREGS
 * (return value set), which is the least any ptrace-based sentry does per
 * syscall. A child makes N getpid calls; this tracer serves each one
 * (rax = 4242 instead of running it). Tracer and tracee are pinned to one
 * CPU (sched_setaffinity) unless --no-pin is given.
 *
 *   sysemu_floor [N] [--no-pin]      (default N 100000)
 *
 * Output: one line "sysemu_floor_ns <ns per syscall> calls <N> cpu <c|any>".
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long raw0(long nr)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static void child(long n)
{
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
		_exit(2);
	raise(SIGSTOP);
	for (long i = 0; i < n; i++)
		if (raw0(SYS_getpid) != 4242)
			break;
	raw0(SYS_exit_group); /* the tracer ends us here */
	for (;;)
		;
}

/* Resumes the child to its next syscall entry; returns the stop's regs. */
static int next_syscall(pid_t pid, struct user_regs_struct *regs)
{
	int status;
	if (ptrace(PTRACE_SYSEMU, pid, 0, 0) != 0)
		return -1;
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;
	return ptrace(PTRACE_GETREGS, pid, 0, regs);
}

int main(int argc, char **argv)
{
	long n = 100000;
	int pin = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-pin") == 0)
			pin = 0;
		else
			n = atol(argv[i]);
	}
	if (n <= 0)
		n = 1;
	int cpu = -1;
	if (pin) {
		cpu_set_t set;
		sched_getaffinity(0, sizeof(set), &set);
		for (int c = CPU_SETSIZE - 1; c >= 0; c--)
			if (CPU_ISSET(c, &set)) {
				cpu = c;
				break;
			}
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			perror("sched_setaffinity");
			return 1;
		}
	}
	long warm = n / 10 + 1;
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		child(warm + n);
	int status;
	waitpid(pid, &status, 0);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);

	struct user_regs_struct regs;
	double t0 = 0;
	long served = 0;
	for (;;) {
		if (next_syscall(pid, &regs) != 0) {
			fprintf(stderr, "sysemu_floor: tracee lost after %ld calls\n", served);
			return 1;
		}
		if (regs.orig_rax != SYS_getpid)
			break;
		regs.rax = 4242;
		if (ptrace(PTRACE_SETREGS, pid, 0, &regs) != 0) {
			perror("PTRACE_SETREGS");
			return 1;
		}
		if (++served == warm)
			t0 = now_ns();
	}
	double t1 = now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (served != warm + n) {
		fprintf(stderr, "sysemu_floor: served %ld of %ld calls\n", served, warm + n);
		return 1;
	}
	if (cpu >= 0)
		printf("sysemu_floor_ns %.1f calls %ld cpu %d\n", (t1 - t0) / n, n, cpu);
	else
		printf("sysemu_floor_ns %.1f calls %ld cpu any\n", (t1 - t0) / n, n);
	return 0;
}
