/* A heap overflow that AddressSanitizer reports (its shadow is 16 TiB of
 * address space, MAP_NORESERVE, touched sparsely). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	(void)argv;
	char *p = malloc(16);
	printf("before\n");
	fflush(stdout);
	p[15 + argc] = 1;       /* one past the end */
	printf("not reached %d\n", p[0]);
	free(p);
	return 0;
}
