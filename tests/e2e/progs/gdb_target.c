/* A program for gdb in tests/e2e/ptrace.sh: a local to print, then a NULL read. */
#include <stdio.h>

static __attribute__((noinline)) int crash(int *p)
{
	return *p;
}

int main(void)
{
	int x = 41;
	x++;
	printf("x=%d\n", x);
	fflush(stdout);
	return crash(NULL);
}
