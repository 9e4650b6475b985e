/* Prints the working directory as getcwd(3) reports it (a static `pwd`). */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof(buf))) {
		perror("getcwd");
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}
