/*
 * Runs a command and prints its peak resident set size, as GNU time's %M
 * does: wait4's ru_maxrss, the largest RSS of the child or of any of its
 * descendants it waited for (for `sandbox run`, the sentry or a stub).
 *
 *   maxrss CMD [ARG...]
 *
 * Output on stderr: "maxrss_kib <KiB> status <exit status>"; the command's
 * own stdout/stderr pass through.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: maxrss CMD [ARG...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("wait4");
		return 1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(stderr, "maxrss_kib %ld status %d\n", ru.ru_maxrss, code);
	return code;
}
