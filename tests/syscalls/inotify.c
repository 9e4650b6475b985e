/* inotify: the events of common file operations on a watched directory
 * and file (IN_CREATE, IN_OPEN, IN_MODIFY, IN_ACCESS, IN_CLOSE_WRITE /
 * NOWRITE, IN_ATTRIB, IN_MOVED_FROM/TO with one cookie, IN_DELETE,
 * IN_DELETE_SELF, IN_IGNORED), watch flags (IN_ONLYDIR, IN_MASK_ADD,
 * IN_MASK_CREATE, IN_ONESHOT), the descriptor (read rules, O_NONBLOCK,
 * FIONREAD, poll, epoll, blocking read woken by another process) and the
 * errors of the three calls. */
#include "conformance.h"
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

struct ev {
	int wd;
	uint32_t mask, cookie;
	char name[64];
};

static struct ev evs[64];

/* Read every queued event (the descriptor is non-blocking); their count. */
static int drain(int in)
{
	char buf[4096] __attribute__((aligned(8)));
	int n = 0;
	ssize_t len;
	while ((len = read(in, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (n < 64) {
				evs[n].wd = e->wd;
				evs[n].mask = e->mask;
				evs[n].cookie = e->cookie;
				snprintf(evs[n].name, sizeof(evs[n].name), "%s", e->len ? e->name : "");
			}
			n++;
			p += sizeof(*e) + e->len;
		}
	}
	return n;
}

/* Does the drained list equal want (mask:name pairs, in order)? */
static int seq(int n, int wd, const uint32_t *masks, const char *const *names, int count)
{
	if (n != count)
		return 0;
	for (int i = 0; i < n; i++)
		if (evs[i].wd != wd || evs[i].mask != masks[i] || strcmp(evs[i].name, names[i]))
			return 0;
	return 1;
}

static void dump(int n)
{
	for (int i = 0; i < n && i < 64; i++)
		printf("#   event wd=%d mask=%#x cookie=%u name=%s\n", evs[i].wd, evs[i].mask,
		       evs[i].cookie, evs[i].name);
}

#define SEQ(n, wd, name, ...) do {                                                     \
	struct { uint32_t m; const char *s; } w_[] = { __VA_ARGS__ };                  \
	uint32_t m_[16];                                                               \
	const char *s_[16];                                                            \
	int c_ = sizeof(w_) / sizeof(w_[0]);                                           \
	for (int i_ = 0; i_ < c_; i_++) {                                              \
		m_[i_] = w_[i_].m;                                                     \
		s_[i_] = w_[i_].s;                                                     \
	}                                                                              \
	if (!CHECK(seq((n), (wd), m_, s_, c_), name))                                  \
		dump(n);                                                               \
} while (0)

static void test_dir_events(int in)
{
	const char *dir = conf_tmpdir();
	int wd = inotify_add_watch(in, dir, IN_ALL_EVENTS);
	CHECK(wd > 0, "add_watch_dir");
	int fd = open(T("f"), O_WRONLY | O_CREAT, 0644);
	SETUP(write(fd, "ab", 2));
	SETUP(write(fd, "cd", 2));             /* merged with the previous IN_MODIFY */
	close(fd);
	SEQ(drain(in), wd, "create_open_modify_close",
	    { IN_CREATE, "f" }, { IN_OPEN, "f" }, { IN_MODIFY, "f" }, { IN_CLOSE_WRITE, "f" });
	fd = open(T("f"), O_RDONLY);
	char c;
	SETUP(read(fd, &c, 1));
	close(fd);
	SEQ(drain(in), wd, "open_access_close_nowrite",
	    { IN_OPEN, "f" }, { IN_ACCESS, "f" }, { IN_CLOSE_NOWRITE, "f" });
	SETUP(chmod(T("f"), 0600));
	SETUP(truncate(T("f"), 1));
	SEQ(drain(in), wd, "attrib_truncate", { IN_ATTRIB, "f" }, { IN_MODIFY, "f" });
	SETUP(rename(T("f"), T("g")));
	int n = drain(in);
	CHECK(n == 2 && evs[0].mask == IN_MOVED_FROM && !strcmp(evs[0].name, "f") &&
	      evs[1].mask == IN_MOVED_TO && !strcmp(evs[1].name, "g") && evs[0].cookie &&
	      evs[0].cookie == evs[1].cookie, "moved_from_to_cookie");
	SETUP(mkdir(T("sub"), 0755));
	SETUP(rmdir(T("sub")));
	SETUP(unlink(T("g")));
	SEQ(drain(in), wd, "mkdir_rmdir_unlink",
	    { IN_CREATE | IN_ISDIR, "sub" }, { IN_DELETE | IN_ISDIR, "sub" }, { IN_DELETE, "g" });
	SETUP(symlink("x", T("l")));
	SETUP(link(T("l"), T("l2")));
	SEQ(drain(in), wd, "symlink_link", { IN_CREATE, "l" }, { IN_CREATE, "l2" });
	unlink(T("l"));
	unlink(T("l2"));
	drain(in);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	char dents[1024];
	SETUP(syscall(SYS_getdents64, dfd, dents, sizeof(dents)));
	close(dfd);
	SEQ(drain(in), wd, "dir_open_list_close", { IN_OPEN | IN_ISDIR, "" },
	    { IN_ACCESS | IN_ISDIR, "" }, { IN_CLOSE_NOWRITE | IN_ISDIR, "" });
	CHECK_EQ(inotify_rm_watch(in, wd), 0, "rm_watch");
	SEQ(drain(in), wd, "rm_watch_ignored", { IN_IGNORED, "" });
	CHECK_ERR(inotify_rm_watch(in, wd), EINVAL, "rm_watch_again");
}

static void test_file_events(int in)
{
	SETUP(write_file(T("h"), "x"));
	int wd = inotify_add_watch(in, T("h"), IN_ALL_EVENTS);
	CHECK(wd > 0, "add_watch_file");
	int fd = open(T("h"), O_RDWR);
	SETUP(write(fd, "y", 1));
	close(fd);
	SEQ(drain(in), wd, "file_self_events", { IN_OPEN, "" }, { IN_MODIFY, "" },
	    { IN_CLOSE_WRITE, "" });
	SETUP(unlink(T("h")));
	SEQ(drain(in), wd, "unlink_attrib_delete_self_ignored", { IN_ATTRIB, "" },
	    { IN_DELETE_SELF, "" }, { IN_IGNORED, "" });
	/* Flags. */
	SETUP(write_file(T("k"), "x"));
	CHECK_ERR(inotify_add_watch(in, T("k"), IN_MODIFY | IN_ONLYDIR), ENOTDIR, "onlydir");
	wd = inotify_add_watch(in, T("k"), IN_MODIFY);
	CHECK_EQ(inotify_add_watch(in, T("k"), IN_ATTRIB | IN_MASK_ADD), wd, "mask_add_same_wd");
	SETUP(chmod(T("k"), 0600));
	SEQ(drain(in), wd, "mask_add_kept_attrib", { IN_ATTRIB, "" });
	CHECK_EQ(inotify_add_watch(in, T("k"), IN_MODIFY), wd, "replace_mask");
	SETUP(chmod(T("k"), 0644));
	CHECK_EQ(drain(in), 0, "replaced_no_attrib");
	CHECK_ERR(inotify_add_watch(in, T("k"), IN_MODIFY | IN_MASK_CREATE), EEXIST, "mask_create");
	CHECK_ERR(inotify_add_watch(in, T("k"), IN_MODIFY | IN_MASK_CREATE | IN_MASK_ADD), EINVAL,
		  "mask_create_add");
	inotify_rm_watch(in, wd);
	drain(in);
	wd = inotify_add_watch(in, T("k"), IN_ATTRIB | IN_ONESHOT);
	SETUP(chmod(T("k"), 0600));
	SETUP(chmod(T("k"), 0644));
	SEQ(drain(in), wd, "oneshot", { IN_ATTRIB, "" }, { IN_IGNORED, "" });
}

static void test_fd(void)
{
	CHECK_ERR(inotify_init1(0x1), EINVAL, "init1_bad_flags");
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	CHECK_OK(in, "init1");
	CHECK_EQ(fcntl(in, F_GETFD), FD_CLOEXEC, "cloexec");
	char buf[256];
	CHECK_ERR(read(in, buf, sizeof(buf)), EAGAIN, "empty_eagain");
	CHECK_ERR(inotify_add_watch(in, T("."), 0), EINVAL, "mask_zero");
	CHECK_ERR(inotify_add_watch(in, T("missing"), IN_ALL_EVENTS), ENOENT, "enoent");
	CHECK_ERR(inotify_add_watch(-1, T("."), IN_ALL_EVENTS), EBADF, "ebadf");
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(inotify_add_watch(p[0], T("."), IN_ALL_EVENTS), EINVAL, "not_inotify_fd");
	CHECK_ERR(inotify_rm_watch(p[0], 1), EINVAL, "rm_not_inotify_fd");
	close(p[0]);
	close(p[1]);
	int wd = inotify_add_watch(in, conf_tmpdir(), IN_CREATE);
	SETUP(write_file(T("name_of_17_chars"), ""));
	int q = -1;
	CHECK(ioctl(in, FIONREAD, &q) == 0 && q == 16 + 32, "fionread_padded_len");
	struct pollfd pfd = { in, POLLIN, 0 };
	CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN), "poll_readable");
	int ep = epoll_create1(0);
	struct epoll_event ee = { .events = EPOLLIN, .data.fd = in }, got;
	epoll_ctl(ep, EPOLL_CTL_ADD, in, &ee);
	CHECK_EQ(epoll_wait(ep, &got, 1, 0), 1, "epoll_readable");
	CHECK_ERR(read(in, buf, 20), EINVAL, "read_too_small");
	struct inotify_event *e = (struct inotify_event *)buf;
	CHECK(read(in, buf, sizeof(buf)) == 48 && e->wd == wd && e->len == 32 &&
	      strcmp(e->name, "name_of_17_chars") == 0, "event_record");
	CHECK_EQ(epoll_wait(ep, &got, 1, 0), 0, "epoll_drained");
	close(ep);
	/* A blocking read is woken by an event from another process. */
	int bl = inotify_init1(0);
	inotify_add_watch(bl, conf_tmpdir(), IN_CREATE);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		write_file(T("from_child"), "");
		_exit(0);
	}
	ssize_t n = read(bl, buf, sizeof(buf));
	CHECK(n > 0 && strcmp(e->name, "from_child") == 0, "blocking_read_woken");
	waitpid(pid, NULL, 0);
	close(bl);
	close(in);
}

int main(void)
{
	int in = inotify_init1(IN_NONBLOCK);
	SETUP(in);
	test_dir_events(in);
	test_file_events(in);
	close(in);
	test_fd();
	return conf_exit();
}
