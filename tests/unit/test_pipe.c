/* Wait queues (sentry/waitq.c) and pipes (fs/pipe.c) through their headers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fs/vfs.h"
#include "sentry/waitq.h"

static long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- waitq ---- */

Test(waitq, wake_before_wait_is_not_lost)
{
	struct waitq q;
	struct waiter w;
	waitq_init(&q);
	waiter_init(&w);
	cr_assert_eq(waiter_add(&w, &q, POLLIN), 0);
	waitq_wake(&q, POLLIN);
	cr_assert_eq(waiter_wait(&w, NULL), 0);
	waiter_destroy(&w);
	cr_assert(!waitq_active(&q));
	waitq_destroy(&q);
}

Test(waitq, event_mask_filters_and_deadline)
{
	struct waitq q;
	struct waiter w;
	waitq_init(&q);
	waiter_init(&w);
	waiter_add(&w, &q, POLLIN);
	waitq_wake(&q, POLLOUT);          /* not an event w waits for */
	long t0 = mono_ms();
	struct timespec dl = waitq_deadline_after(30 * 1000000ULL);
	cr_assert_eq(waiter_wait(&w, &dl), -ETIMEDOUT);
	cr_assert_geq(mono_ms() - t0, 25);
	waiter_destroy(&w);
	waitq_destroy(&q);
}

struct waker {
	struct waitq *q;
	uint32_t events;
	int delay_ms;
	struct waiter *interrupt;
};

static void *waker_main(void *arg)
{
	struct waker *k = arg;
	usleep(k->delay_ms * 1000);
	if (k->interrupt)
		waitq_interrupt(k->interrupt);
	else
		waitq_wake(k->q, k->events);
	return NULL;
}

Test(waitq, one_waiter_several_queues)
{
	struct waitq a, b;
	struct waiter w;
	waitq_init(&a);
	waitq_init(&b);
	waiter_init(&w);
	waiter_add(&w, &a, ~0u);
	waiter_add(&w, &b, ~0u);
	struct waker k = { &b, POLLOUT, 20, NULL };
	pthread_t th;
	pthread_create(&th, NULL, waker_main, &k);
	struct timespec dl = waitq_deadline_after(5000 * 1000000ULL);
	cr_assert_eq(waiter_wait(&w, &dl), 0);
	cr_assert_eq(w.revents, POLLOUT);
	pthread_join(th, NULL);
	/* After a reset the old wake no longer counts. */
	waiter_reset(&w);
	dl = waitq_deadline_after(10 * 1000000ULL);
	cr_assert_eq(waiter_wait(&w, &dl), -ETIMEDOUT);
	waiter_destroy(&w);
	cr_assert(!waitq_active(&a) && !waitq_active(&b));
	waitq_destroy(&a);
	waitq_destroy(&b);
}

Test(waitq, interrupt_ends_wait)
{
	struct waitq q;
	struct waiter w;
	waitq_init(&q);
	waiter_init(&w);
	waiter_add(&w, &q, POLLIN);
	struct waker k = { &q, 0, 20, &w };
	pthread_t th;
	pthread_create(&th, NULL, waker_main, &k);
	cr_assert_eq(waiter_wait(&w, NULL), -EINTR);
	pthread_join(th, NULL);
	cr_assert_null(waiter_current());
	waiter_destroy(&w);
	waitq_destroy(&q);
}

/* ---- pipes ---- */

static struct cred root_cred;

static void mkpipe(int flags, struct file **r, struct file **w)
{
	cr_assert_eq(vfs_pipe_create(&root_cred, flags, r, w), 0);
}

static ssize_t pwrite_buf(struct file *f, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	return vfs_writev(f, &iov, 1, NULL);
}

static ssize_t pread_buf(struct file *f, void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	return vfs_readv(f, &iov, 1, NULL);
}

Test(pipe, data_eof_epipe)
{
	struct file *r, *w;
	mkpipe(0, &r, &w);
	char buf[16] = { 0 };
	cr_assert_eq(pwrite_buf(w, "abc", 3), 3);
	cr_assert_eq(pread_buf(r, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "abc");
	struct stat st;
	cr_assert_eq(vfs_fstat(r, &st), 0);
	cr_assert(S_ISFIFO(st.st_mode));
	char name[64];
	cr_assert_gt(file_path(r, name, sizeof(name)), 0);
	char want[64];
	snprintf(want, sizeof(want), "pipe:[%llu]", (unsigned long long)st.st_ino);
	cr_assert_str_eq(name, want);
	file_put(w);                      /* last writer gone: EOF */
	cr_assert_eq(pread_buf(r, buf, sizeof(buf)), 0);
	cr_assert_eq(vfs_poll(r, NULL), POLLHUP);
	file_put(r);

	mkpipe(0, &r, &w);
	file_put(r);                      /* no readers: EPIPE */
	cr_assert_eq(pwrite_buf(w, "x", 1), -EPIPE);
	cr_assert_eq(pwrite_buf(w, "", 0), 0);
	cr_assert_eq(vfs_poll(w, NULL), POLLOUT | POLLWRNORM | POLLERR);
	file_put(w);
}

Test(pipe, references_follow_descriptions)
{
	struct file *r, *w;
	mkpipe(O_NONBLOCK, &r, &w);
	file_get(w);                      /* a dup / fork: still one writer description */
	file_put(w);
	char c;
	cr_assert_eq(pread_buf(r, &c, 1), -EAGAIN);   /* writer alive: no EOF */
	file_put(w);
	cr_assert_eq(pread_buf(r, &c, 1), 0);
	file_put(r);
}

Test(pipe, nonblocking_capacity_and_atomicity)
{
	struct file *r, *w;
	mkpipe(O_NONBLOCK, &r, &w);
	static char big[70000];
	cr_assert_eq(vfs_pipe_fcntl(w, F_GETPIPE_SZ, 0), 65536);
	cr_assert_eq(pwrite_buf(w, big, 15 * 4096 + 4000), 15 * 4096 + 4000);
	cr_assert_eq(pwrite_buf(w, big, 200), -EAGAIN);   /* <= PIPE_BUF: never split */
	cr_assert_eq(pwrite_buf(w, big, 96), 96);
	cr_assert_eq(vfs_poll(w, NULL) & POLLOUT, 0);
	cr_assert_eq(pread_buf(r, big, sizeof(big)), 65536);
	cr_assert_eq(pread_buf(r, big, 1), -EAGAIN);
	cr_assert_eq(pwrite_buf(w, big, sizeof(big)), 65536);   /* > PIPE_BUF: partial */
	file_put(r);
	file_put(w);
}

Test(pipe, setpipe_size_rules)
{
	struct file *r, *w;
	mkpipe(O_NONBLOCK, &r, &w);
	cr_assert_eq(vfs_pipe_fcntl(r, F_SETPIPE_SZ, 1), 4096);
	cr_assert_eq(vfs_pipe_fcntl(r, F_SETPIPE_SZ, 4097), 8192);
	cr_assert_eq(vfs_pipe_fcntl(r, F_SETPIPE_SZ, 3 * 4096), 16384);
	cr_assert_eq(vfs_pipe_fcntl(r, F_SETPIPE_SZ, 1 << 20), 1 << 20);
	cr_assert_eq(vfs_pipe_fcntl(r, F_SETPIPE_SZ, (1 << 20) + 1), -EPERM);
	cr_assert_eq(vfs_pipe_fcntl(r, F_SETPIPE_SZ, 0x80000001u), -EINVAL);
	static char big[8192];
	cr_assert_eq(pwrite_buf(w, big, sizeof(big)), 8192);
	cr_assert_eq(vfs_pipe_fcntl(w, F_SETPIPE_SZ, 4096), -EBUSY);
	cr_assert_eq(vfs_pipe_fcntl(w, F_SETPIPE_SZ, 8192), 8192);
	cr_assert_eq(pwrite_buf(w, "x", 1), -EAGAIN);
	char c[8192];
	cr_assert_eq(pread_buf(r, c, sizeof(c)), 8192);   /* data survived the resize */
	file_put(r);
	file_put(w);
}

Test(pipe, packet_mode)
{
	struct file *r, *w;
	mkpipe(O_NONBLOCK | O_DIRECT, &r, &w);
	pwrite_buf(w, "abc", 3);
	pwrite_buf(w, "defg", 4);
	char buf[16] = { 0 };
	cr_assert_eq(pread_buf(r, buf, sizeof(buf)), 3);
	cr_assert_eq(pread_buf(r, buf, 2), 2);
	cr_assert_eq(pread_buf(r, buf, sizeof(buf)), -EAGAIN);
	file_put(r);
	file_put(w);
}

struct pipe_writer {
	struct file *w;
	int delay_ms;
	bool close;
	size_t len;
};

static void *pipe_writer_main(void *arg)
{
	struct pipe_writer *pw = arg;
	usleep(pw->delay_ms * 1000);
	static char data[200000];
	if (pw->len)
		cr_assert_eq(pwrite_buf(pw->w, data, pw->len), (ssize_t)pw->len);
	if (pw->close)
		file_put(pw->w);
	return NULL;
}

Test(pipe, blocking_read_woken_by_writer)
{
	struct file *r, *w;
	mkpipe(0, &r, &w);
	struct pipe_writer pw = { w, 30, false, 5 };
	pthread_t th;
	pthread_create(&th, NULL, pipe_writer_main, &pw);
	char buf[16];
	long t0 = mono_ms();
	cr_assert_eq(pread_buf(r, buf, sizeof(buf)), 5);
	cr_assert_geq(mono_ms() - t0, 20);
	pthread_join(th, NULL);
	/* Now the writer closes while we block: EOF. */
	pw = (struct pipe_writer){ w, 20, true, 0 };
	pthread_create(&th, NULL, pipe_writer_main, &pw);
	cr_assert_eq(pread_buf(r, buf, sizeof(buf)), 0);
	pthread_join(th, NULL);
	file_put(r);
}

Test(pipe, blocking_write_completes_as_reader_drains)
{
	struct file *r, *w;
	mkpipe(0, &r, &w);
	struct pipe_writer pw = { w, 0, true, 200000 };
	pthread_t th;
	pthread_create(&th, NULL, pipe_writer_main, &pw);
	static char buf[4096];
	size_t total = 0;
	ssize_t n;
	while ((n = pread_buf(r, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	cr_assert_eq(n, 0);
	cr_assert_eq(total, 200000);
	pthread_join(th, NULL);
	file_put(r);
}

Test(pipe, poll_waiter_woken_by_write)
{
	struct file *r, *w;
	mkpipe(0, &r, &w);
	struct waiter wt;
	waiter_init(&wt);
	cr_assert_eq(vfs_poll(r, &wt), 0);
	struct pipe_writer pw = { w, 20, false, 1 };
	pthread_t th;
	pthread_create(&th, NULL, pipe_writer_main, &pw);
	struct timespec dl = waitq_deadline_after(5000 * 1000000ULL);
	cr_assert_eq(waiter_wait(&wt, &dl), 0);
	cr_assert_eq(vfs_poll(r, NULL), POLLIN | POLLRDNORM);
	pthread_join(th, NULL);
	waiter_destroy(&wt);
	file_put(r);
	file_put(w);
}
