/*
 * personality(2): query and set, inheritance by fork, threads and exec
 * (READ_IMPLIES_EXEC cleared by exec on x86-64), PER_LINUX32's uname, and
 * ADDR_NO_RANDOMIZE giving an exec'd program the same layout every time.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "conformance.h"

#define QUERY 0xffffffffU

static unsigned query(void)
{
	return (unsigned)personality(QUERY);
}

/* Exec'd with "report": print the personality and where the stack, heap and an mmap land. */
static int report(void)
{
	int on_stack;
	void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("%x %p %p %p\n", query(), (void *)&on_stack, sbrk(0), m);
	return 0;
}

/* Run this program with "report" under the current personality; its line in buf. */
static int run_report(char *buf, size_t cap)
{
	int p[2];
	if (pipe(p))
		return -1;
	pid_t c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		execl("/proc/self/exe", "personality", "report", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	ssize_t n = read(p[0], buf, cap - 1);
	close(p[0]);
	int st = reap(c);
	if (n <= 0 || st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	buf[n] = 0;
	return 0;
}

static void *thread_query(void *arg)
{
	*(unsigned *)arg = query();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report();
	unsigned orig = query();
	CHECK_EQ(orig & PER_MASK, PER_LINUX, "starts_per_linux");
	CHECK_EQ((unsigned)personality(PER_LINUX | ADDR_NO_RANDOMIZE), orig, "set_returns_old");
	CHECK_EQ(query(), PER_LINUX | ADDR_NO_RANDOMIZE, "query_after_set");
	CHECK_EQ(query(), PER_LINUX | ADDR_NO_RANDOMIZE, "query_does_not_change");
	/* No validation: any value is kept. */
	CHECK_EQ((unsigned)personality(0x12345678), PER_LINUX | ADDR_NO_RANDOMIZE, "odd_value_set");
	CHECK_EQ(query(), 0x12345678u, "odd_value_kept");

	personality(PER_LINUX | ADDR_NO_RANDOMIZE);
	pid_t c = fork();
	if (c == 0)
		_exit(query() == (PER_LINUX | ADDR_NO_RANDOMIZE) ? 0 : 1);
	check_child_ok(c, "fork_inherits");
	unsigned seen = 0;
	pthread_t th;
	if (pthread_create(&th, NULL, thread_query, &seen) == 0)
		pthread_join(th, NULL);
	CHECK_EQ(seen, PER_LINUX | ADDR_NO_RANDOMIZE, "thread_inherits");

	/* The same layout at every exec; the personality survives exec. */
	char a[128] = "", b[128] = "";
	CHECK(run_report(a, sizeof(a)) == 0 && run_report(b, sizeof(b)) == 0, "exec_reports");
	unsigned pa = 0;
	sscanf(a, "%x", &pa);
	CHECK_EQ(pa, PER_LINUX | ADDR_NO_RANDOMIZE, "exec_keeps_addr_no_randomize");
	CHECK_STR(a, b, "no_randomize_same_layout");

	/* Randomized again without it (unless the host turned randomization off). */
	char r[4] = "";
	read_file("/proc/sys/kernel/randomize_va_space", r, sizeof(r));
	personality(PER_LINUX);
	bool differ = r[0] == '0';
	for (int i = 0; i < 4 && !differ; i++)
		differ = run_report(a, sizeof(a)) == 0 && run_report(b, sizeof(b)) == 0 &&
			 strcmp(a, b) != 0;
	CHECK(differ, "randomized_layout_differs");

	/* READ_IMPLIES_EXEC is cleared by exec (x86-64's SET_PERSONALITY). */
	personality(PER_LINUX | READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE);
	CHECK(run_report(a, sizeof(a)) == 0, "exec_report_rie");
	sscanf(a, "%x", &pa);
	CHECK_EQ(pa, PER_LINUX | ADDR_NO_RANDOMIZE, "exec_clears_read_implies_exec");

	/* PER_LINUX32: uname's machine is a 32-bit one. */
	personality(PER_LINUX32);
	struct utsname u;
	CHECK(uname(&u) == 0 && strcmp(u.machine, "i686") == 0, "linux32_uname_i686");
	personality(PER_LINUX);
	CHECK(uname(&u) == 0 && strcmp(u.machine, "x86_64") == 0, "linux_uname_x86_64");
	personality(orig);
	return conf_exit();
}
