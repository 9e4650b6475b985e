/* vfork: the parent is suspended until the child execs or exits, memory
 * is shared until then, the child's exit status and exec'd program are
 * seen as for fork, and a failed exec in the child still releases the
 * parent.
 */
#include "conformance.h"

static volatile int shared = 0;

int main(void)
{
	int st;
	pid_t pid = vfork();
	if (pid == 0) {
		shared = 7;          /* vfork shares memory (allowed here by POSIX as a demo) */
		_exit(3);
	}
	CHECK(pid > 0, "vfork");
	CHECK_EQ(shared, 7, "parent_sees_child_store");
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "child_exit_status");

	/* The parent runs again once the child has exec'd. */
	int p[2];
	SETUP(pipe(p));
	pid = vfork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl("/bin/echo", "echo", "from-exec", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[32] = "";
	ssize_t n = read(p[0], buf, sizeof buf - 1);
	CHECK(n > 0 && strncmp(buf, "from-exec", 9) == 0, "exec_output");
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec_child_status");

	/* A failed exec, then _exit: the parent is released and sees 127. */
	pid = vfork();
	if (pid == 0) {
		execl("/nonexistent/prog", "x", (char *)NULL);
		_exit(127);
	}
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127, "failed_exec_releases_parent");
	return conf_exit();
}
