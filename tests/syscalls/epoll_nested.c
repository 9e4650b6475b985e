/* epoll inside epoll: readiness propagates (level and edge), poll() on an
 * epoll fd, loops and too-deep nesting are ELOOP, adding an epoll to itself
 * is EINVAL, and a blocked epoll_wait on the outer set wakes when an inner
 * item becomes ready in another process.
 */
#include "conformance.h"
#include <poll.h>
#include <sys/epoll.h>

static int add(int ep, int fd, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.fd = fd };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

int main(void)
{
	int p[2];
	SETUP(pipe(p));
	int inner, outer;
	SETUP(inner = epoll_create1(EPOLL_CLOEXEC));
	SETUP(outer = epoll_create1(EPOLL_CLOEXEC));
	CHECK_EQ(add(inner, p[0], EPOLLIN), 0, "inner_add_pipe");
	CHECK_EQ(add(outer, inner, EPOLLIN), 0, "outer_add_inner");
	CHECK_ERR(add(outer, inner, EPOLLIN), EEXIST, "outer_add_again_eexist");
	CHECK_ERR(add(inner, inner, EPOLLIN), EINVAL, "add_self_einval");
	CHECK_ERR(add(inner, outer, EPOLLIN), ELOOP, "loop_eloop");

	struct epoll_event ev[4];
	CHECK_EQ(epoll_wait(outer, ev, 4, 0), 0, "outer_idle");
	struct pollfd pf = { .fd = outer, .events = POLLIN };
	CHECK_EQ(poll(&pf, 1, 0), 0, "poll_outer_idle");
	CHECK_EQ(write(p[1], "x", 1), 1, "write_pipe");
	CHECK_EQ(epoll_wait(outer, ev, 4, 0), 1, "outer_ready");
	CHECK_EQ(ev[0].data.fd, inner, "outer_reports_inner");
	CHECK_EQ(ev[0].events, EPOLLIN, "outer_reports_epollin");
	CHECK_EQ(poll(&pf, 1, 0), 1, "poll_outer_ready");
	CHECK_EQ(pf.revents, POLLIN, "poll_outer_pollin");
	CHECK_EQ(epoll_wait(inner, ev, 4, 0), 1, "inner_ready");
	CHECK_EQ(ev[0].data.fd, p[0], "inner_reports_pipe");
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1, "drain");
	CHECK_EQ(epoll_wait(outer, ev, 4, 0), 0, "outer_idle_after_drain");

	/* Edge-triggered on the outer set: one report per change inside. */
	int et;
	SETUP(et = epoll_create1(0));
	CHECK_EQ(add(et, inner, EPOLLIN | EPOLLET), 0, "et_add_inner");
	CHECK_EQ(write(p[1], "y", 1), 1, "write_again");
	CHECK_EQ(epoll_wait(et, ev, 4, 0), 1, "et_first_report");
	CHECK_EQ(epoll_wait(et, ev, 4, 0), 0, "et_no_second_report");
	CHECK_EQ(read(p[0], &c, 1), 1, "drain_again");

	/* Depth: a chain of 5 epolls is the most Linux accepts below one more. */
	int chain[7];
	for (int i = 0; i < 7; i++)
		SETUP(chain[i] = epoll_create1(0));
	int depth_err = 0, level;
	for (level = 1; level < 7; level++) {
		if (add(chain[level], chain[level - 1], EPOLLIN) != 0) {
			depth_err = errno;
			break;
		}
	}
	CHECK_EQ(depth_err, ELOOP, "too_deep_eloop");
	CHECK_EQ(level, 5, "max_depth_level");

	/* A sleeping epoll_wait on the outer set wakes for an inner change by another process. */
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(write(p[1], "z", 1) == 1 ? 0 : 1);
	}
	CHECK_EQ(epoll_wait(outer, ev, 4, 5000), 1, "blocking_outer_wakes");
	int st;
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer_ok");
	return conf_exit();
}
