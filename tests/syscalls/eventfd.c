/* eventfd: counter semantics, EFD_SEMAPHORE, EFD_NONBLOCK (EAGAIN), the
 * 8-byte size rules (EINVAL), overflow limit, poll readiness, a blocked
 * reader woken by another process, flags errors.
 */
#include "conformance.h"
#include <poll.h>
#include <sys/eventfd.h>

int main(void)
{
	uint64_t v;
	int fd;
	CHECK_ERR(eventfd(0, 0x12345), EINVAL, "bad_flags_einval");
	SETUP(fd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "cloexec");
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "nonblock");
	CHECK_EQ(read(fd, &v, 8), 8, "read_initial");
	CHECK_EQ(v, 3, "initial_value");
	CHECK_ERR(read(fd, &v, 8), EAGAIN, "empty_eagain");
	CHECK_ERR(read(fd, &v, 4), EINVAL, "short_read_einval");
	v = 5;
	CHECK_ERR(write(fd, &v, 4), EINVAL, "short_write_einval");
	CHECK_EQ(write(fd, &v, 8), 8, "write_5");
	v = 7;
	CHECK_EQ(write(fd, &v, 8), 8, "write_7");
	CHECK_EQ(read(fd, &v, 8), 8, "read_sum");
	CHECK_EQ(v, 12, "counter_summed");
	v = UINT64_MAX;
	CHECK_ERR(write(fd, &v, 8), EINVAL, "write_max_einval");
	v = UINT64_MAX - 1;
	CHECK_EQ(write(fd, &v, 8), 8, "write_limit");
	v = 1;
	CHECK_ERR(write(fd, &v, 8), EAGAIN, "overflow_eagain");
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	CHECK_EQ(poll(&p, 1, 0), 1, "poll_full");
	CHECK_EQ(p.revents, POLLIN, "full_only_readable");
	CHECK_EQ(read(fd, &v, 8), 8, "drain");
	CHECK_EQ(poll(&p, 1, 0), 1, "poll_empty");
	CHECK_EQ(p.revents, POLLOUT, "empty_only_writable");
	char big[16];
	v = 2;
	CHECK_EQ(write(fd, &v, 8), 8, "write_2");
	CHECK_EQ(read(fd, big, 16), 8, "long_read_gives_8");

	/* Semaphore mode: each read takes 1. */
	int s;
	SETUP(s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK));
	CHECK_EQ(read(s, &v, 8), 8, "sem_read1");
	CHECK_EQ(v, 1, "sem_gives_1");
	CHECK_EQ(read(s, &v, 8), 8, "sem_read2");
	CHECK_ERR(read(s, &v, 8), EAGAIN, "sem_empty");

	/* A blocking reader is woken by a write from another process. */
	int b;
	SETUP(b = eventfd(0, 0));
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		uint64_t one = 9;
		_exit(write(b, &one, 8) == 8 ? 0 : 1);
	}
	CHECK_EQ(read(b, &v, 8), 8, "blocking_read");
	CHECK_EQ(v, 9, "value_from_child");
	int st;
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child_ok");
	return conf_exit();
}
