/*
 * OCI hooks, run on the host (the runtime spec's prestart, createRuntime,
 * poststart and poststop points) with the container's state JSON on their
 * stdin. A hook that fails or outlives its timeout fails the step, as in
 * runc. createContainer and startContainer hooks would have to run inside
 * the container's namespaces, which are the sentry's own: `create` refuses
 * them (oci/container.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "oci/oci.h"

extern char **environ;

static int run_hook(const struct oci_hook *h, const char *kind, size_t idx, const char *input,
		    struct oci_error *err)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC))
		return oci_fail(err, "hooks.%s[%zu]: pipe: %s", kind, idx, strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return oci_fail(err, "hooks.%s[%zu]: fork: %s", kind, idx, strerror(errno));
	}
	if (pid == 0) {
		dup2(in[0], 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		const char *argv0[] = { h->path, NULL };
		const char *noenv[] = { NULL };
		execve(h->path, (char *const *)(h->args && h->args[0] ? h->args : argv0),
		       (char *const *)(h->env ? h->env : noenv));
		_exit(127);
	}
	close(in[0]);
	/* The hook may not read its stdin: a short write to a closed pipe is fine. */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t len = strlen(input), off = 0;
	while (off < len) {
		ssize_t n = write(in[1], input + off, len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(in[1]);
	signal(SIGPIPE, old);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, h->timeout ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return oci_fail(err, "hooks.%s[%zu]: wait: %s", kind, idx, strerror(errno));
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (h->timeout && now.tv_sec - start.tv_sec >= h->timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return oci_fail(err, "hooks.%s[%zu] (%s): timed out after %d s", kind, idx,
					h->path, h->timeout);
		}
		usleep(10000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return oci_fail(err, "hooks.%s[%zu] (%s): exit status %d", kind, idx, h->path,
				WEXITSTATUS(status));
	return oci_fail(err, "hooks.%s[%zu] (%s): killed by signal %d", kind, idx, h->path,
			WTERMSIG(status));
}

int oci_hooks_run(const struct oci_hook_list *list, const char *kind, json_t *state,
		  struct oci_error *err)
{
	if (!list->n)
		return 0;
	char *input = json_dumps(state, JSON_COMPACT);
	if (!input)
		return oci_fail(err, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < list->n && !rc; i++)
		rc = run_hook(&list->v[i], kind, i, input, err);
	free(input);
	return rc;
}
