/*
 * The sandbox's host memory cgroup, as runc and runsc use one: every page
 * the guest touches lives in the sentry's MemoryFile (a memfd) and is
 * allocated by the host kernel when a stub faults it in or the sentry
 * writes it, so only the host's memory controller can cap it.
 *
 * At boot the sentry makes a child of its own memory cgroup
 * (`sandbox-<host pid>`), caps it at the guest's limit plus an allowance
 * for the sentry itself, without swap, and moves itself there; the stubs,
 * forked later, inherit it. When the guest goes over, the host's OOM
 * killer picks a process in the cgroup: the stubs carry an oom_score_adj
 * 1000 above the sentry's (+500 and -500), so it is a stub (a guest process),
 * which the sentry sees die and reports as killed by SIGKILL, what Linux
 * does to a container's process. The sentry itself is killed only if no
 * stub is left (its own heap over the allowance).
 *
 * A small reaper process (`sandbox-memcg`, outside the cgroup) waits for
 * the sentry to be gone, whatever the way (exit, crash, SIGKILL), and
 * removes the directory; a stale one of a dead sentry whose reaper was
 * killed is removed by the next sandbox that starts in the same cgroup.
 *
 * cgroup v1 (the `memory` hierarchy) is preferred when it is mounted: the
 * memory controller is bound to one hierarchy only. cgroup v2 is used when
 * the sentry's cgroup already delegates memory to its children
 * (`memory` in its cgroup.subtree_control, as the root cgroup can); a v2
 * cgroup with processes cannot (the no-internal-process rule), and the
 * sentry does not rearrange cgroups it does not own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "platform/platform.h"
#include "sentry/memcg.h"

#define MEMCG_PREFIX "sandbox-"
/*
 * A dead sentry's cgroup made less than this ago is left to its reaper,
 * which removes it moments after the death (an rmdir racing the reaper
 * waits milliseconds for the kernel); an older one may be stale.
 */
#define MEMCG_STALE_AGE_S 30

/*
 * The sentry's own share, measured under a v1 cgroup (max_usage_in_bytes,
 * page tables and kernel memory included): `sandbox run -- /bin/true` 3 MiB,
 * `python3 -c pass` 19 MiB, python3 importing json, sqlite3 and asyncio
 * 33 MiB, python3 touching a 200 MiB bytearray 220 MiB (so about 20 MiB
 * besides the guest's own pages). 64 MiB covers the sentry's heap and the
 * host page cache it fills reading files (which the kernel reclaims before
 * it kills); 1/16 of the limit covers what grows with the guest's memory:
 * each stub's page tables (1/512 of what it maps), the sentry's per-VMA
 * and per-file bookkeeping, file copies of the file cache.
 */
#define ALLOWANCE_BASE (64ULL << 20)
#define ALLOWANCE_SHIFT 4

/* The OOM killer's preference: any stub before the sentry (memcg_prefer_stubs). */
#define SENTRY_OOM_SCORE_ADJ "-500"
#define OOM_SCORE_ADJ_GAP 1000

/* How long the reaper tries to remove the cgroup after the sentry is gone. */
#define REAPER_TRIES 500
#define REAPER_PAUSE_NS 20000000L

struct memcg {
	bool v2;
	char parent[PATH_MAX];      /* the sentry's cgroup as it started */
	char dir[PATH_MAX];         /* the sandbox's: parent/sandbox-PID */
};

static int why_fail(char *why, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int why_fail(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why && len)
		vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -err;
}

uint64_t memcg_allowance(uint64_t guest_limit)
{
	return ALLOWANCE_BASE + (guest_limit >> ALLOWANCE_SHIFT);
}

/* Whether the comma- (or space-) separated list s of n bytes holds word. */
static bool list_has(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);
	const char *end = s + n;
	while (s < end) {
		const char *e = s;
		while (e < end && *e != ',' && *e != ' ' && *e != '\n')
			e++;
		if ((size_t)(e - s) == w && memcmp(s, word, w) == 0)
			return true;
		s = e + 1;
	}
	return false;
}

/*
 * Call fn on each line of the file at path until it returns something
 * other than -ENOENT ("not this line"); that, or -ENOENT at the end.
 */
static int scan_lines(const char *path, int (*fn)(char *line, void *arg), void *arg)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	int rc = -ENOENT;
	while (rc == -ENOENT && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		rc = fn(line, arg);
	}
	free(line);
	fclose(f);
	return rc;
}

struct cgroup_query {
	bool v2;
	char *out, *root;              /* own_cgroup: out; cgroup_mount: out = mount point */
	size_t len, rlen;
};

/* A /proc/self/cgroup line: "id:controllers:path". */
static int cgroup_line(char *line, void *arg)
{
	struct cgroup_query *q = arg;
	char *c1 = strchr(line, ':');
	char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2)
		return -ENOENT;
	bool match = q->v2 ? c1 == line + 1 && line[0] == '0' && c2 == c1 + 1
			   : list_has(c1 + 1, (size_t)(c2 - c1 - 1), "memory");
	if (!match)
		return -ENOENT;
	return snprintf(q->out, q->len, "%s", c2 + 1) < (int)q->len ? 0 : -ENAMETOOLONG;
}

/* The sentry's cgroup path (from /proc/self/cgroup) in the v1 memory hierarchy or in v2. */
static int own_cgroup(bool v2, char *out, size_t len)
{
	struct cgroup_query q = { v2, out, NULL, len, 0 };
	return scan_lines("/proc/self/cgroup", cgroup_line, &q);
}

/* Undo mountinfo's octal escapes (\040 for a space...) in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* A mountinfo line: id parent dev root mountpoint opts [optional...] - fstype source superopts */
static int mountinfo_line(char *line, void *arg)
{
	struct cgroup_query *q = arg;
	char *sep = strstr(line, " - ");
	if (!sep)
		return -ENOENT;
	*sep = 0;
	char *save = NULL, *field[5];
	int n = 0;
	for (char *t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
		field[n++] = t;
	char *save2 = NULL;
	char *fstype = strtok_r(sep + 3, " ", &save2);
	strtok_r(NULL, " ", &save2);                 /* source */
	char *opts = strtok_r(NULL, " ", &save2);
	if (n < 5 || !fstype)
		return -ENOENT;
	bool match = q->v2 ? strcmp(fstype, "cgroup2") == 0
			   : strcmp(fstype, "cgroup") == 0 && opts &&
			     list_has(opts, strlen(opts), "memory");
	if (!match)
		return -ENOENT;
	unescape(field[3]);
	unescape(field[4]);
	if (snprintf(q->out, q->len, "%s", field[4]) >= (int)q->len ||
	    snprintf(q->root, q->rlen, "%s", field[3]) >= (int)q->rlen)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * The mount of the v1 hierarchy with the memory controller, or of cgroup2:
 * its mount point and the cgroup it shows as its root.
 */
static int cgroup_mount(bool v2, char *mnt, size_t mlen, char *root, size_t rlen)
{
	struct cgroup_query q = { v2, mnt, root, mlen, rlen };
	return scan_lines("/proc/self/mountinfo", mountinfo_line, &q);
}

/* The directory of the sentry's own cgroup in the v1 memory hierarchy or in v2. */
static int own_cgroup_dir(bool v2, char *out, size_t len)
{
	char path[PATH_MAX], mnt[PATH_MAX], root[PATH_MAX];
	int rc = own_cgroup(v2, path, sizeof(path));
	if (!rc)
		rc = cgroup_mount(v2, mnt, sizeof(mnt), root, sizeof(root));
	if (rc)
		return rc;
	/* A mount of a sub-tree (a container's view) shows paths below its root. */
	const char *rel = path;
	size_t rl = strlen(root);
	if (strcmp(root, "/") != 0 && strncmp(path, root, rl) == 0 &&
	    (path[rl] == '/' || path[rl] == 0))
		rel = path + rl;
	if (strcmp(rel, "/") == 0)
		rel = "";
	if (snprintf(out, len, "%s%s", mnt, rel) >= (int)len)
		return -ENAMETOOLONG;
	struct stat st;
	return stat(out, &st) ? -errno : 0;
}

static int read_small(const char *dir, const char *name, char *buf, size_t len)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = 0;
	return 0;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int err = errno;
	close(fd);
	return n < 0 ? -err : 0;
}

/* Find the sentry's memory cgroup: v1's memory hierarchy, else a v2 one that delegates memory. */
static int memcg_find(struct memcg *cg, char *why, size_t whylen)
{
	int rc = own_cgroup_dir(false, cg->parent, sizeof(cg->parent));
	if (!rc) {
		cg->v2 = false;
		return 0;
	}
	rc = own_cgroup_dir(true, cg->parent, sizeof(cg->parent));
	if (rc)
		return why_fail(why, whylen, -rc, "no memory cgroup (no v1 memory hierarchy, "
			       "no cgroup2 mount: %s)", strerror(-rc));
	cg->v2 = true;
	char ctl[512];
	rc = read_small(cg->parent, "cgroup.subtree_control", ctl, sizeof(ctl));
	if (rc)
		return why_fail(why, whylen, -rc, "%s/cgroup.subtree_control: %s", cg->parent,
				strerror(-rc));
	if (!list_has(ctl, strlen(ctl), "memory"))
		return why_fail(why, whylen, ENOENT, "cgroup v2 %s does not delegate the memory "
				"controller (not in its cgroup.subtree_control)", cg->parent);
	return 0;
}

/* Remove the cgroups of sentries that are gone (their reaper was killed too). */
static void memcg_remove_stale(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	size_t pl = strlen(MEMCG_PREFIX);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, MEMCG_PREFIX, pl) != 0)
			continue;
		char *end;
		long pid = strtol(e->d_name + pl, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX)
			continue;
		/* A live owner (or one in another pid namespace) keeps tasks there: rmdir fails. */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		/* A short-lived sentry that just died: its reaper is at it. */
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    time(NULL) - st.st_mtime < MEMCG_STALE_AGE_S)
			continue;
		char p[PATH_MAX];
		if (snprintf(p, sizeof(p), "%s/%s", parent, e->d_name) < (int)sizeof(p))
			rmdir(p);
	}
	closedir(d);
}

static int memcg_set_limit(const struct memcg *cg, uint64_t guest_limit)
{
	char val[32];
	uint64_t allowance = memcg_allowance(guest_limit);
	/* Beyond 2^62 bytes there is nothing to cap: the controller's own "unlimited". */
	if (guest_limit >= (1ULL << 62))
		snprintf(val, sizeof(val), "%s", cg->v2 ? "max" : "-1");
	else
		snprintf(val, sizeof(val), "%" PRIu64, guest_limit + allowance);
	if (cg->v2) {
		int rc = write_file(cg->dir, "memory.max", val);
		if (rc)
			return rc;
		rc = write_file(cg->dir, "memory.swap.max", "0");
		return rc == -ENOENT ? 0 : rc;      /* no swap accounting: no swap to cap */
	}
	int rc = write_file(cg->dir, "memory.limit_in_bytes", val);
	if (rc)
		return rc;
	/* memory+swap no higher than memory: no swap. Absent without swap accounting. */
	rc = write_file(cg->dir, "memory.memsw.limit_in_bytes", val);
	if (rc == -ENOENT)
		rc = write_file(cg->dir, "memory.swappiness", "0");
	return rc == -ENOENT ? 0 : rc;
}

/* Call fn on each pid listed in procs (raw calls only). */
static void procs_scan(const char *procs, void (*fn)(long pid, void *arg), void *arg)
{
	int fd = open(procs, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[4096];
	ssize_t n;
	long pid = 0;
	bool digits = false;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (buf[i] - '0');
				digits = pid <= INT_MAX;
				continue;
			}
			if (digits && pid > 0)
				fn(pid, arg);
			pid = 0;
			digits = false;
		}
	}
	close(fd);
}

static void kill_one(long pid, void *arg)
{
	(void)arg;
	kill((pid_t)pid, SIGKILL);
}

/* SIGKILL every task still listed in procs (the dead sentry's leftovers). */
static void reaper_kill_tasks(const char *procs)
{
	procs_scan(procs, kill_one, NULL);
}

/* dst = a + decimal n + b (no stdio: async-signal-safe); false if it does not fit. */
static bool path_of(char *dst, size_t cap, const char *a, long n, const char *b)
{
	char num[24];
	int k = sizeof(num);
	do
		num[--k] = (char)('0' + n % 10);
	while ((n /= 10) > 0 && k > 0);
	size_t la = strlen(a), ln = sizeof(num) - k, lb = strlen(b);
	if (la + ln + lb + 1 > cap)
		return false;
	memcpy(dst, a, la);
	memcpy(dst + la, num + k, ln);
	memcpy(dst + la + ln, b, lb + 1);
	return true;
}

/* Write decimal pid into procs (raw calls only). */
static int reaper_move(const char *procs, long pid)
{
	char buf[24];
	if (!path_of(buf, sizeof(buf), "", pid, ""))
		return -1;
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, buf, strlen(buf));
	close(fd);
	return w < 0 ? -1 : 0;
}

/* Looks for stubs still outside, at most (each finds those the last one's moved ones forked). */
#define REAPER_RESCANS 8

/* The pids a cgroup had when it was read (at most MEMBERS_MAX of them). */
#define MEMBERS_MAX 256
struct members {
	long pid[MEMBERS_MAX];
	int n;
};

static void member_add(long pid, void *arg)
{
	struct members *m = arg;
	if (m->n < MEMBERS_MAX)
		m->pid[m->n++] = pid;
}

static bool member_of(const struct members *m, long pid)
{
	for (int i = 0; i < m->n; i++)
		if (m->pid[i] == pid)
			return true;
	return false;
}

/*
 * Move the sentry's children (the stubs forked before the sentry itself
 * was moved; not the reaper) in: the pids in /proc/SENTRY/task/TID/children of every
 * thread. Those born after the move are in already and are skipped: every
 * write to cgroup.procs, even of a member, holds all forks and exits on
 * the host (the sentry's included) for an RCU grace period. Raw calls
 * only (getdents64, read), no allocation. How many it moved.
 */
static int reaper_move_children(const char *procs, pid_t sentry)
{
	static struct members in;
	int moved = 0;
	in.n = 0;
	procs_scan(procs, member_add, &in);
	member_add(getpid(), &in);      /* the reaper itself stays out */
	char path[64], buf[4096];
	if (!path_of(path, sizeof(path), "/proc/", sentry, "/task"))
		return 0;
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	long n;
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			char cpath[320], list[4096];
			size_t lp = strlen(path), ln = strlen(d->d_name);
			if (lp + 1 + ln + sizeof("/children") > sizeof(cpath))
				continue;
			memcpy(cpath, path, lp);
			cpath[lp] = '/';
			memcpy(cpath + lp + 1, d->d_name, ln);
			memcpy(cpath + lp + 1 + ln, "/children", sizeof("/children"));
			int fd = open(cpath, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			ssize_t len = read(fd, list, sizeof(list) - 1);
			close(fd);
			long pid = 0;
			for (ssize_t i = 0; i < len; i++) {
				if (list[i] >= '0' && list[i] <= '9') {
					pid = pid * 10 + (list[i] - '0');
				} else {
					if (pid > 0 && !member_of(&in, pid))
						reaper_move(procs, pid);
					pid = 0;
				}
			}
			if (pid > 0 && !member_of(&in, pid) && reaper_move(procs, pid) == 0)
				moved++;
		}
	}
	close(dfd);
	return moved;
}

/*
 * The reaper (a child of the sentry that outlives it, reaped by the host's
 * init or subreaper; the sentry never waits for it): async-signal-safe
 * calls only, as it is forked from a threaded process. It first moves
 * the sentry into the cgroup, then the stubs the sentry forked meanwhile
 * (later ones are born inside): a move waits for an RCU grace period
 * (about 1 ms here, 15 ms when cold), which the sentry does not wait for.
 * It holds one end of a socket pair whose other end only the sentry
 * holds; end of file means the sentry is gone. The sentry sends the
 * MemoryFile over it (memcg_keep_file), which the reaper closes then.
 */
static void __attribute__((noreturn)) reaper_run(int rfd, const char *dir, const char *procs,
						 pid_t sentry)
{
	setsid();        /* no terminal: ^C and job control are not for it */
	prctl(PR_SET_NAME, "sandbox-memcg");
	if (chdir("/")) {
		/* nothing: only so that it keeps no directory busy */
	}
	if (rfd > 0)
		syscall(SYS_close_range, 0, rfd - 1, 0);
	syscall(SYS_close_range, rfd + 1, ~0U, 0);
	/* cgroup.procs moves the whole process: every sentry thread. */
	/*
	 * Again until a look finds every child in: a stub still outside may
	 * have forked another (a seed, plat_ctx_seed) before it was moved.
	 */
	if (reaper_move(procs, sentry) == 0)
		for (int i = 0; i < REAPER_RESCANS && reaper_move_children(procs, sentry) > 0; i++)
			;
	int kept = -1;
	for (;;) {
		char c, ctl[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &c, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		ssize_t n = recvmsg(rfd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && kept < 0)
			memcpy(&kept, CMSG_DATA(cm), sizeof(kept));
	}
	/* The guest's pages go before the cgroup they are charged to. */
	if (kept >= 0)
		close(kept);
	for (int i = 0; i < REAPER_TRIES; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			_exit(0);
		/* Stubs die with their sentry thread (PR_SET_PDEATHSIG); give them a moment. */
		if (i >= 10)
			reaper_kill_tasks(procs);
		struct timespec ts = { 0, REAPER_PAUSE_NS };
		nanosleep(&ts, NULL);
	}
	_exit(1);
}

/* Start the reaper of cg->dir; *wfd gets the socket end the sentry keeps until it dies. */
static int memcg_start_reaper(const struct memcg *cg, int *wfd)
{
	char procs[PATH_MAX];
	if (snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->dir) >= (int)sizeof(procs))
		return -ENAMETOOLONG;
	int p[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
		return -errno;
	pid_t sentry = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid == 0) {
		close(p[1]);
		reaper_run(p[0], cg->dir, procs, sentry);
	}
	close(p[0]);
	*wfd = p[1];
	return 0;
}

/*
 * The OOM killer's score is a process's resident pages (the MemoryFile
 * pages it touched included) plus oom_score_adj/1000 of the cgroup's limit.
 * Neither the sentry's nor a stub's resident pages exceed the limit, so a
 * stub whose adj is 1000 above the sentry's always scores higher. The
 * sentry lowers itself to -500 where it may (CAP_SYS_RESOURCE) and the
 * stubs get its adj + 1000, at most 1000 (where it may not: any stub
 * before the sentry unless the sentry's adj was already above 0).
 */
static void memcg_prefer_stubs(void)
{
	write_file("/proc/self", "oom_score_adj", SENTRY_OOM_SCORE_ADJ);
	char buf[16];
	int adj = 0;
	if (read_small("/proc/self", "oom_score_adj", buf, sizeof(buf)) == 0)
		adj = atoi(buf);
	adj += OOM_SCORE_ADJ_GAP;
	plat_set_stub_oom_score_adj(adj > 1000 ? 1000 : adj);
}

/* The sentry's end of the reaper's socket: open for the sentry's whole life, never closed. */
static int reaper_fd = -1;

void memcg_keep_file(int fd)
{
	if (reaper_fd < 0 || fd < 0)
		return;
	char c = 0, ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	/* A reaper gone early: the sentry's exit frees the pages, as without one. */
	while (sendmsg(reaper_fd, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

int memcg_enter(uint64_t guest_limit, char *path, size_t pathlen, char *why, size_t whylen)
{
	static struct memcg cg;
	int rc = memcg_find(&cg, why, whylen);
	if (rc)
		return rc;
	memcg_remove_stale(cg.parent);
	if (snprintf(cg.dir, sizeof(cg.dir), "%s/%s%d", cg.parent, MEMCG_PREFIX, (int)getpid()) >=
	    (int)sizeof(cg.dir))
		return why_fail(why, whylen, ENAMETOOLONG, "%s: path too long", cg.parent);
	/* Same name: a dead sentry's with our pid (another pid namespace); gone if empty. */
	if (mkdir(cg.dir, 0755) && (errno != EEXIST || rmdir(cg.dir) || mkdir(cg.dir, 0755)))
		return why_fail(why, whylen, errno, "mkdir %s: %s", cg.dir, strerror(errno));
	rc = memcg_set_limit(&cg, guest_limit);
	if (rc) {
		rmdir(cg.dir);
		return why_fail(why, whylen, -rc, "%s: setting the limit: %s", cg.dir,
				strerror(-rc));
	}
	int wfd;
	rc = memcg_start_reaper(&cg, &wfd);
	if (rc) {
		rmdir(cg.dir);
		return why_fail(why, whylen, -rc, "%s: starting its reaper: %s", cg.dir,
				strerror(-rc));
	}
	/* The reaper moves this process (and its early stubs) in. */
	reaper_fd = wfd;
	memcg_prefer_stubs();
	snprintf(path, pathlen, "%s", cg.dir);
	return 0;
}
