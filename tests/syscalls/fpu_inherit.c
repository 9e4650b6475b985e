/* The FPU state across clone, fork and execve: a new thread and a forked
 * child start with their creator's (SSE control bits and rounding in
 * MXCSR, the x87 control word), execve starts the new image from the
 * reset state (MXCSR 0x1f80, x87 control word 0x37f). */
#include <fenv.h>
#include <pthread.h>
#include "conformance.h"

#define MXCSR_SET 0x9fc0          /* flush-to-zero, round up, denormals-are-zero, all masked */
#define FCW_SET 0x0b7f            /* x87: round up, 64-bit precision, all masked */

/* Both control words in one value: MXCSR above, the x87 control word below. */
static long controls(void)
{
	uint32_t mxcsr;
	uint16_t fcw;
	__asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(mxcsr), "=m"(fcw));
	return (long)mxcsr << 16 | fcw;
}

static void set_controls(uint32_t mxcsr, uint16_t fcw)
{
	__asm__ volatile("ldmxcsr %0; fldcw %1" : : "m"(mxcsr), "m"(fcw));
}

static void *thread_controls(void *arg)
{
	return (void *)controls();
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "exec-child") == 0) {
		/* After execve: the reset state, whatever the image before had. */
		printf("%ld\n", controls());
		return 0;
	}
	set_controls(MXCSR_SET, FCW_SET);
	long want = (long)MXCSR_SET << 16 | FCW_SET;
	CHECK_EQ(controls(), want, "set_here");

	pthread_t th;
	void *got = NULL;
	CHECK_OK(pthread_create(&th, NULL, thread_controls, NULL), "thread_create");
	pthread_join(th, &got);
	CHECK_EQ((long)got, want, "thread_inherits_controls");

	pid_t pid = fork();
	if (pid == 0)
		_exit(controls() == want ? 0 : 1);
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork_child_inherits_controls");

	/* vfork shares the address space until the child's exec or exit. */
	pid = vfork();
	if (pid == 0)
		_exit(controls() == want ? 0 : 1);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vfork_child_inherits_controls");

	/* execve resets both: the new image reports them through a pipe. */
	int p[2];
	if (pipe(p) == 0) {
		pid = fork();
		if (pid == 0) {
			dup2(p[1], 1);
			close(p[0]);
			execl("/proc/self/exe", argv[0], "exec-child", (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		char buf[64] = { 0 };
		ssize_t n = read(p[0], buf, sizeof(buf) - 1);
		close(p[0]);
		waitpid(pid, &st, 0);
		long after = n > 0 ? strtol(buf, NULL, 10) : -1;
		CHECK_EQ(after, (long)0x1f80 << 16 | 0x37f, "execve_resets_controls");
	}
	return conf_exit();
}
