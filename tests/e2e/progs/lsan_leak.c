/* tests/e2e/ptrace.sh: a leak for LeakSanitizer, whose StopTheWorld ptrace-attaches the process's threads. */
#include <stdio.h>
#include <stdlib.h>

void *volatile keep;

int main(void)
{
	keep = malloc(77);
	keep = NULL;
	printf("done\n");
	return 0;
}
