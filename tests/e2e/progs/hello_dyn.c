/* Dynamically linked hello world: ld.so and libc.so from the host. */
#include <stdio.h>

int main(void)
{
	printf("hello, world\n");
	return 0;
}
