/*
 * memhog MIB [child]: allocate and touch MIB MiB, 1 MiB at a time, then
 * print "allocated MIB MiB". With "child", a forked child does it and the
 * parent reports how the child ended ("child exited N" or "child killed by
 * signal N") and that it goes on ("parent continues").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int hog(long mib)
{
	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("malloc failed after %ld MiB\n", i);
			return 1;
		}
		memset(p, (int)(i | 1), 1 << 20);
	}
	printf("allocated %ld MiB\n", mib);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long mib = atol(argv[1]);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 3 || strcmp(argv[2], "child") != 0)
		return hog(mib);
	pid_t pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0)
		_exit(hog(mib));
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return 4;
	if (WIFSIGNALED(status))
		printf("child killed by signal %d\n", WTERMSIG(status));
	else
		printf("child exited %d\n", WEXITSTATUS(status));
	printf("parent continues\n");
	return 0;
}
