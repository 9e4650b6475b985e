/* Syscall conformance helpers: standalone, no project headers.
 *
 * Every case prints exactly one line:
 *   ok <file>:<case>
 *   FAIL <file>:<case>: <what> (got X/errno NAME, want Y)
 * and main ends with `return conf_exit();`, which removes the private
 * temporary directory (if one was made) and returns 1 if any case failed.
 *
 * Tests only ever write below a private mkdtemp("/tmp/conf-XXXXXX") dir.
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int conf_failures;
static char conf_tmp[64];

/* Base name of the test source without ".c" (e.g. "open"). */
static __attribute__((unused)) const char *conf_file(const char *f)
{
	static char name[64];
	const char *b = strrchr(f, '/');
	b = b ? b + 1 : f;
	snprintf(name, sizeof name, "%s", b);
	char *dot = strrchr(name, '.');
	if (dot && strcmp(dot, ".c") == 0)
		*dot = 0;
	return name;
}
#define CONF_FILE conf_file(__BASE_FILE__)

static __attribute__((unused)) const char *conf_errname(int e)
{
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	return n ? n : "?";
}

/* Sleep ms milliseconds (an interrupting signal cuts it short). */
static __attribute__((unused)) void conf_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Sleep ms milliseconds in full, whatever signals come meanwhile. */
static __attribute__((unused)) void conf_msleep_full(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* sigaction(sig) with handler fn, flags and an empty mask; 0 or -1. */
static __attribute__((unused)) int conf_set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/* sigaction(sig) with SA_SIGINFO handler fn, flags and an empty mask; 0 or -1. */
static __attribute__((unused)) int conf_set_action(int sig, void (*fn)(int, siginfo_t *, void *),
						   int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/* CLOCK_MONOTONIC in seconds. */
static __attribute__((unused)) double conf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __attribute__((unused)) void conf_ok(const char *name)
{
	printf("ok %s:%s\n", CONF_FILE, name);
	fflush(stdout);
}

static __attribute__((unused, format(printf, 2, 3))) void
conf_fail(const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("FAIL %s:%s: ", CONF_FILE, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	conf_failures++;
}

/* Result of a case decided by the test itself. */
static __attribute__((unused)) int conf_result(int cond, const char *name, const char *what)
{
	if (cond)
		conf_ok(name);
	else
		conf_fail(name, "%s (got false, want true)", what);
	return cond;
}

#define CHECK(cond, name) conf_result(!!(cond), (name), #cond)

/* CHECK_EQ(got, want, name): integer equality; errno shown if got == -1. */
#define CHECK_EQ(got, want, name) ({                                        \
	errno = 0;                                                          \
	long long conf_g_ = (long long)(got);                               \
	int conf_e_ = errno;                                                \
	long long conf_w_ = (long long)(want);                              \
	int conf_r_ = conf_g_ == conf_w_;                                   \
	if (conf_r_)                                                        \
		conf_ok(name);                                              \
	else if (conf_g_ == -1)                                             \
		conf_fail((name), "%s (got -1/errno %s, want %lld)", #got,  \
			  conf_errname(conf_e_), conf_w_);                  \
	else                                                                \
		conf_fail((name), "%s (got %lld/%#llx, want %lld/%#llx)",   \
			  #got, conf_g_, conf_g_, conf_w_, conf_w_);        \
	conf_r_;                                                            \
})

/* CHECK_OK(expr, name): expr must not return -1 (prints errno if it does);
 * also for pointer results such as mmap's MAP_FAILED. */
#define CHECK_OK(expr, name) ({                                             \
	errno = 0;                                                          \
	long long conf_g_ = (long long)(expr);                              \
	int conf_e_ = errno;                                                \
	int conf_r_ = conf_g_ != -1;                                        \
	if (conf_r_)                                                        \
		conf_ok(name);                                              \
	else                                                                \
		conf_fail((name), "%s (got -1/errno %s, want success)",     \
			  #expr, conf_errname(conf_e_));                    \
	conf_r_;                                                            \
})

/* CHECK_ERR(expr, ERRNO, name): expr must return -1 with errno == ERRNO.
 * Works for pointer results too (MAP_FAILED is -1), e.g. mmap/mremap. */
#define CHECK_ERR(expr, err, name) ({                                       \
	errno = 0;                                                          \
	long long conf_g_ = (long long)(expr);                              \
	int conf_e_ = errno;                                                \
	int conf_r_ = conf_g_ == -1 && conf_e_ == (err);                    \
	if (conf_r_)                                                        \
		conf_ok(name);                                              \
	else if (conf_g_ == -1)                                             \
		conf_fail((name), "%s (got -1/errno %s, want -1/errno %s)", \
			  #expr, conf_errname(conf_e_),                     \
			  conf_errname(err));                               \
	else                                                                \
		conf_fail((name), "%s (got %lld, want -1/errno %s)", #expr, \
			  conf_g_, conf_errname(err));                      \
	conf_r_;                                                            \
})

/* CHECK_STR(got, want, name): string equality (NULL prints as "(null)"). */
#define CHECK_STR(got, want, name) ({                                       \
	const char *conf_gs_ = (got), *conf_ws_ = (want);                   \
	int conf_r_ = conf_gs_ && conf_ws_ && strcmp(conf_gs_, conf_ws_) == 0; \
	if (conf_r_)                                                        \
		conf_ok(name);                                              \
	else                                                                \
		conf_fail((name), "%s (got \"%s\", want \"%s\")", #got,     \
			  conf_gs_ ? conf_gs_ : "(null)",                   \
			  conf_ws_ ? conf_ws_ : "(null)");                  \
	conf_r_;                                                            \
})

/* A setup step that must succeed; if it does not the program reports one
 * failure and exits (cleaning up), since later cases would be meaningless. */
#define SETUP(expr) do {                                                    \
	errno = 0;                                                          \
	if ((long long)(expr) == -1) {                                      \
		conf_fail("setup", "%s (got -1/errno %s, want success)",    \
			  #expr, conf_errname(errno));                      \
		exit(conf_exit());                                          \
	}                                                                   \
} while (0)

/* ---- temporary directory ---- */

static __attribute__((unused)) void conf_rm_rf_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d)) != NULL) {
				if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
					continue;
				conf_rm_rf_at(dirfd(d), e->d_name);
			}
			closedir(d);
		} else {
			close(fd);
		}
		fchmodat(dfd, name, 0700, 0);
		unlinkat(dfd, name, AT_REMOVEDIR);
	} else {
		unlinkat(dfd, name, 0);
	}
}

/* Creates (once) and returns the private temporary directory. */
static __attribute__((unused)) const char *conf_tmpdir(void)
{
	if (!conf_tmp[0]) {
		strcpy(conf_tmp, "/tmp/conf-XXXXXX");
		if (!mkdtemp(conf_tmp)) {
			printf("FAIL %s:setup: mkdtemp (got -1/errno %s, want success)\n",
			       CONF_FILE, conf_errname(errno));
			exit(1);
		}
	}
	return conf_tmp;
}

/* Path of NAME inside the temporary directory (static rotating buffers). */
static __attribute__((unused)) const char *T(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, PATH_MAX, "%s/%s", conf_tmpdir(), name);
	return b;
}

static __attribute__((unused)) int conf_exit(void)
{
	if (conf_tmp[0]) {
		conf_rm_rf_at(AT_FDCWD, conf_tmp);
		conf_tmp[0] = 0;
	}
	return conf_failures ? 1 : 0;
}

/* ---- small file helpers ---- */

/* Writes S to PATH (created/truncated, mode 0644); returns 0 or -1. */
static __attribute__((unused)) int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t n = strlen(s);
	ssize_t w = write(fd, s, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* Reads up to CAP-1 bytes of PATH into BUF, NUL-terminated; returns length
 * or -1. */
static __attribute__((unused)) ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got + 1 < cap) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		got += r;
	}
	buf[got] = 0;
	close(fd);
	return got;
}

/* A pointer that is never mapped (for EFAULT cases); opaque to the compiler
 * so its access-attribute checks do not reject the call. */
static __attribute__((unused)) void *conf_bad_ptr(void)
{
	volatile uintptr_t p = 8;
	return (void *)p;
}
#define BAD_PTR conf_bad_ptr()

/* An integer the compiler cannot see through (for invalid-argument cases). */
static __attribute__((unused)) long opaque(long v)
{
	volatile long x = v;
	return x;
}


/* ---- helpers for tests that fork ---- */

/* A forked child ends with its own verdict: exit 1 if any of its cases failed. */
#define CHILD_DONE() _exit(conf_failures ? 1 : 0)

/* waitpid that retries EINTR; returns the status, or -1 (errno kept). */
static __attribute__((unused)) int reap(pid_t pid)
{
	int st;
	pid_t r;
	do
		r = waitpid(pid, &st, 0);
	while (r < 0 && errno == EINTR);
	return r == pid ? st : -1;
}

/* A case: the child with PID exited with status 0. */
static __attribute__((unused)) void check_child_ok(pid_t pid, const char *name)
{
	int st = reap(pid);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		conf_ok(name);
	else
		conf_fail(name, "child status %#x (want exit 0)", st);
}

#endif
