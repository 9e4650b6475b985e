/* Stores to address 0 with a known instruction (mov) so that a fault report
 * can be checked for the instruction's mnemonic. */
#include <stdio.h>

int main(void)
{
	printf("about to fault\n");
	fflush(stdout);
	__asm__ volatile("xor %%eax, %%eax\n\tmovl $42, (%%rax)" ::: "rax", "memory");
	printf("not reached\n");
	return 0;
}
