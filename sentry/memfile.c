/*
 * MemoryFile: a sparse shmem file holding all guest memory, mapped once
 * into the sentry. Offset space is handed out first-fit from sorted free
 * lists (coalesced on free); freed ranges are punched out so their pages
 * return to the host at once.
 *
 * The file is a memfd, or, where the host lets an unprivileged process
 * mount a tmpfs in a user namespace of its own, a file on a private
 * tmpfs mounted with huge=advise (mf_open_huge_file). That file behaves
 * as the memfd does (4 KiB pages for writes and for the stubs' faults)
 * except in the huge zone, the top eighth of the offset space, which the
 * sentry maps MADV_HUGEPAGE: mf_alloc_huge populates 2 MiB chunks there
 * through that mapping, so the kernel backs each with one huge page. A 2
 * MiB chunk then costs one page allocation, one page cache entry and one
 * hole punch instead of 512 of each (4-8x faster to fill, read and free).
 * Only mf_alloc_huge hands out huge-zone offsets, so no other fault can
 * bring a huge page in.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/mount.h>
#include "sentry/memfile.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * Offset space, not memory: pages cost nothing until touched. 64 TiB (half
 * the sentry's address space: a sanitizer's shadow alone maps 16 TiB of
 * memory it touches sparsely), or less when the host caps the sentry's
 * address space (RLIMIT_AS): the largest power of two that maps, down to
 * MF_MIN_SIZE. The top eighth is the huge zone when there is one.
 */
#define MF_MAX_SIZE (1ULL << 46)
#define MF_MIN_SIZE (1ULL << 30)
static uint64_t MF_SIZE = MF_MAX_SIZE;

struct mf_range {
	uint64_t off, len;
	struct mf_range *next;
};

/* Whether huge-zone chunks get huge pages (probed at the first one). */
enum mf_huge_state { MF_HUGE_NONE, MF_HUGE_UNKNOWN, MF_HUGE_OK };

static struct {
	int fd;
	uint8_t *base;
	pthread_mutex_t lock;          /* the free lists; a leaf lock */
	struct mf_range *free_list;    /* sorted by offset, coalesced: [0, huge_start) */
	struct mf_range *huge_list;    /* the same for the huge zone [huge_start, MF_SIZE) */
	uint64_t huge_start;           /* MF_SIZE when there is no huge zone */
	enum mf_huge_state huge;
	bool shutting_down;            /* the sandbox is exiting: freeing is pointless */
} mf = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- the huge-page capable file ---- */

struct huge_child {
	uid_t uid;
	gid_t gid;
	int fd;                        /* out: the file, or -errno */
};

/*
 * The helpers the child runs on a stack of its own in the sentry's memory
 * are not instrumented: ASan would leave its redzones poisoned over a
 * stack that is unmapped afterwards.
 */
#define MF_CHILD_CODE __attribute__((no_sanitize("address")))

MF_CHILD_CODE static int write_str(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int rc = n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

/*
 * A detached tmpfs mount (attached nowhere: the host's mount table never
 * shows it), with no size limit (the memory cgroup caps the sandbox) and
 * huge=advise, and a file in it, unlinked at once. The file keeps the
 * mount alive. Needs CAP_SYS_ADMIN over the caller's mount namespace.
 */
MF_CHILD_CODE static int huge_tmpfs_file(void)
{
	int rc = 0;
	int fsfd = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		rc = -errno;
	if (!rc && (syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, "huge", "advise", 0) < 0 ||
		    syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, "size", "0", 0) < 0 ||
		    syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
		    syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0))
		rc = -errno;
	int mntfd = rc ? -1 : (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC,
					    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
	if (!rc && mntfd < 0)
		rc = -errno;
	/* Named, then unlinked, so the host sees "/sandbox-memory (deleted)" in maps and fds. */
	int fd = rc ? -1 : openat(mntfd, "sandbox-memory", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (!rc && fd < 0)
		rc = -errno;
	if (fd >= 0)
		unlinkat(mntfd, "sandbox-memory", 0);
	if (mntfd >= 0)
		close(mntfd);
	if (fsfd >= 0)
		close(fsfd);
	return rc ? rc : fd;
}

/*
 * huge_tmpfs_file for a caller without CAP_SYS_ADMIN: in a new user and
 * mount namespace, with the caller's ids mapped to themselves (so the file
 * has an owner). Runs on its own stack in the caller's memory (CLONE_VM |
 * CLONE_VFORK) and fd table (CLONE_FILES), as posix_spawn's child does.
 */
MF_CHILD_CODE static int huge_child_main(void *arg)
{
	struct huge_child *hc = arg;
	char map[64];
	int rc = write_str("/proc/self/setgroups", "deny");
	if (!rc) {
		snprintf(map, sizeof(map), "%u %u 1", (unsigned)hc->uid, (unsigned)hc->uid);
		rc = write_str("/proc/self/uid_map", map);
	}
	if (!rc) {
		snprintf(map, sizeof(map), "%u %u 1", (unsigned)hc->gid, (unsigned)hc->gid);
		rc = write_str("/proc/self/gid_map", map);
	}
	hc->fd = rc ? rc : huge_tmpfs_file();
	return 0;
}

/*
 * The file of huge_tmpfs_file, made directly where the sentry may mount
 * (root: half a millisecond less than a namespace), else in huge_child_main;
 * or -errno (no user namespaces, no new mount API...).
 */
static int mf_open_huge_file(void)
{
	int fd = huge_tmpfs_file();
	if (fd >= 0 || (fd != -EPERM && fd != -EACCES))
		return fd;
	size_t stack_len = 256 * 1024;
	char *stack = mmap(NULL, stack_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	struct huge_child hc = { .uid = geteuid(), .gid = getegid(), .fd = -EIO };
	pid_t pid = clone(huge_child_main, stack + stack_len,
			  CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD,
			  &hc);
	int rc = pid < 0 ? -errno : 0;
	if (pid > 0) {
		while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	munmap(stack, stack_len);
	return rc ? rc : hc.fd;
}

/*
 * The stubs map guest code from the file: a mount that refuses PROT_EXEC
 * (a host that marks user-namespace mounts noexec) cannot be used.
 */
static bool mf_file_can_exec(int fd)
{
	void *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return false;
	munmap(p, PAGE_SIZE);
	return true;
}

/* The MemoryFile's host file: the huge-page capable one if the host allows it. */
static int mf_open_file(bool *huge)
{
	*huge = false;
	if (!getenv("SANDBOX_NO_HUGE_MEMFILE")) {
		int fd = mf_open_huge_file();
		if (fd >= 0 && mf_file_can_exec(fd)) {
			*huge = true;
			return fd;
		}
		if (fd >= 0)
			close(fd);
	}
	int fd = memfd_create("sandbox-memory", MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* mf_prepare's thread: the file opened while the rest of boot goes on. */
static struct {
	pthread_t tid;
	bool started;
	int fd;
	bool huge;
} prep;

static void *prepare_thread(void *arg)
{
	(void)arg;
	prep.fd = mf_open_file(&prep.huge);
	return NULL;
}

void mf_prepare(void)
{
	if (mf.fd < 0 && !prep.started)
		prep.started = pthread_create(&prep.tid, NULL, prepare_thread, NULL) == 0;
}

int mf_init(void)
{
	if (mf.fd >= 0)
		return 0;
	bool huge;
	int fd;
	if (prep.started) {
		pthread_join(prep.tid, NULL);
		prep.started = false;
		fd = prep.fd;
		huge = prep.huge;
	} else {
		fd = mf_open_file(&huge);
	}
	if (fd < 0)
		return fd;
	void *p = MAP_FAILED;
	for (MF_SIZE = MF_MAX_SIZE; MF_SIZE >= MF_MIN_SIZE; MF_SIZE /= 2) {
		if (ftruncate(fd, MF_SIZE) < 0)
			break;
		p = mmap(NULL, MF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
		if (p != MAP_FAILED || errno != ENOMEM)
			break;
	}
	if (p == MAP_FAILED) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct mf_range *r = malloc(sizeof(*r));
	if (!r) {
		munmap(p, MF_SIZE);
		close(fd);
		return -ENOMEM;
	}
	r->off = 0;
	r->len = MF_SIZE;
	r->next = NULL;
	mf.free_list = r;
	mf.huge_start = MF_SIZE;
	mf.huge = MF_HUGE_NONE;
	/* The top eighth becomes the huge zone if the sentry's mapping can ask for huge pages. */
	struct mf_range *h = huge ? malloc(sizeof(*h)) : NULL;
	uint64_t huge_len = MF_SIZE / 8;
	if (h && madvise((uint8_t *)p + MF_SIZE - huge_len, huge_len, MADV_HUGEPAGE) == 0) {
		h->off = MF_SIZE - huge_len;
		h->len = huge_len;
		h->next = NULL;
		mf.huge_list = h;
		mf.huge_start = MF_SIZE - huge_len;
		r->len = MF_SIZE - huge_len;
		mf.huge = MF_HUGE_UNKNOWN;
	} else {
		free(h);
	}
	mf.base = p;
	mf.fd = fd;
	return 0;
}

int mf_fd(void)
{
	return mf.fd;
}

int mf_write(uint64_t off, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = pwrite(mf.fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (const char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

int mf_read(uint64_t off, void *buf, size_t len)
{
	while (len) {
		ssize_t n = pread(mf.fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

/* The bounce buffer of mf_fill: big enough to amortise two syscalls, small enough for the cache. */
#define MF_FILL_CHUNK (64 << 10)

ssize_t mf_fill(uint64_t off, size_t len, ssize_t (*rd)(void *ctx, void *buf, size_t n, uint64_t pos),
		void *ctx, uint64_t pos)
{
	char *bounce = malloc(MIN(len, MF_FILL_CHUNK));
	if (!bounce && len)
		return -ENOMEM;
	size_t done = 0;
	ssize_t rc = 0;
	while (done < len) {
		ssize_t n = rd(ctx, bounce, MIN(len - done, MF_FILL_CHUNK), pos + done);
		if (n <= 0) {
			rc = n;
			break;
		}
		rc = mf_write(off + done, bounce, (size_t)n);
		if (rc)
			break;
		done += (size_t)n;
	}
	free(bounce);
	return rc < 0 ? rc : (ssize_t)done;
}

void *mf_ptr(uint64_t off)
{
	return mf.base + off;
}

uint64_t mf_resident(uint64_t off, uint64_t len)
{
	uint64_t end = off + len, total = 0;
	if (mf.fd < 0 || end < off)
		return 0;
	while (off < end) {
		off_t data = lseek(mf.fd, (off_t)off, SEEK_DATA);
		if (data < 0 || (uint64_t)data >= end)
			break;
		off_t hole = lseek(mf.fd, data, SEEK_HOLE);
		uint64_t stop = hole < 0 || (uint64_t)hole > end ? end : (uint64_t)hole;
		total += stop - (uint64_t)data;
		off = stop;
	}
	return total;
}

uint64_t mf_used(void)
{
	struct stat st;
	if (mf.fd < 0 || fstat(mf.fd, &st) < 0)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

/*
 * Take len bytes aligned to align (a power of two, >= PAGE_SIZE) from a
 * free list, first fit; mf.lock held. 0 and *off, or -ENOMEM.
 */
static int range_take_locked(struct mf_range **list, uint64_t len, uint64_t align, uint64_t *off)
{
	for (struct mf_range **pp = list; *pp; pp = &(*pp)->next) {
		struct mf_range *r = *pp;
		uint64_t start = (r->off + align - 1) & ~(align - 1);
		if (start - r->off > r->len || r->len - (start - r->off) < len)
			continue;
		if (start > r->off && start + len < r->off + r->len) {
			/* Taken from the middle: the part before stays, a new range holds the rest. */
			struct mf_range *rest = malloc(sizeof(*rest));
			if (!rest)
				return -ENOMEM;
			rest->off = start + len;
			rest->len = r->off + r->len - rest->off;
			rest->next = r->next;
			r->next = rest;
			r->len = start - r->off;
		} else if (start > r->off) {
			r->len = start - r->off;
		} else {
			r->off += len;
			r->len -= len;
			if (r->len == 0) {
				*pp = r->next;
				free(r);
			}
		}
		*off = start;
		return 0;
	}
	return -ENOMEM;
}

int mf_alloc(uint64_t len, uint64_t *off)
{
	len = PAGE_ALIGN_UP(len);
	if (len == 0 || len > MF_SIZE)
		return -ENOMEM;
	pthread_mutex_lock(&mf.lock);
	int rc = range_take_locked(&mf.free_list, len, PAGE_SIZE, off);
	pthread_mutex_unlock(&mf.lock);
	return rc;
}

/* Whether the sentry's mapping holds huge pages: its PMD-mapped shmem in smaps_rollup. */
static bool mf_huge_mapped(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "re");
	if (!f)
		return false;
	char line[256];
	unsigned long kb = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ShmemPmdMapped: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb > 0;
}

/*
 * A huge page the host must first take back from its hypervisor (a VM
 * that hands free memory back, as free page reporting does with large free
 * blocks, which is where huge pages come from) costs milliseconds to fault
 * in, against about 0.1 ms warm: then 4 KiB pages, from memory still at
 * hand, are faster, and huge chunks pause for a while. (256 MiB written
 * and read after a few idle seconds on such a VM: 600 ms in huge chunks
 * only, 190 ms in 4 KiB pages, 100-130 ms with the pause; back to back,
 * 66, 190 and 80 ms.)
 */
#define MF_HUGE_COLD_NS 1000000ULL
#define MF_HUGE_COLD_RUN 8             /* slow chunks in a row (a few alone are noise) */
#define MF_HUGE_PAUSE_NS 2000000000ULL
static uint64_t huge_paused_until;     /* CLOCK_MONOTONIC ns; atomic */
static unsigned huge_slow_run;         /* atomic */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int mf_alloc_huge(uint64_t *off)
{
	if (__atomic_load_n(&mf.huge, __ATOMIC_RELAXED) == MF_HUGE_NONE)
		return -EOPNOTSUPP;
	uint64_t t0 = mono_ns();
	if (t0 < __atomic_load_n(&huge_paused_until, __ATOMIC_RELAXED))
		return -EAGAIN;
	pthread_mutex_lock(&mf.lock);
	int rc = range_take_locked(&mf.huge_list, MF_HUGE_SIZE, MF_HUGE_SIZE, off);
	pthread_mutex_unlock(&mf.lock);
	if (rc)
		return rc;
	/* Fault the chunk in at once through the MADV_HUGEPAGE mapping: one huge page. */
	int prc = madvise(mf.base + *off, MF_HUGE_SIZE, MADV_POPULATE_WRITE);
	uint64_t t1 = mono_ns();
	if (prc == 0 && t1 - t0 <= MF_HUGE_COLD_NS) {
		__atomic_store_n(&huge_slow_run, 0, __ATOMIC_RELAXED);
	} else if (prc == 0 && __atomic_add_fetch(&huge_slow_run, 1, __ATOMIC_RELAXED) >=
					MF_HUGE_COLD_RUN) {
		__atomic_store_n(&huge_slow_run, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&huge_paused_until, t1 + MF_HUGE_PAUSE_NS, __ATOMIC_RELAXED);
	}
	if (prc < 0) {
		rc = errno == EINVAL ? -EOPNOTSUPP : -ENOMEM;   /* EINVAL: before Linux 5.14 */
		if (rc == -EOPNOTSUPP)
			__atomic_store_n(&mf.huge, MF_HUGE_NONE, __ATOMIC_RELAXED);
		mf_free(*off, MF_HUGE_SIZE);
		return rc;
	}
	/*
	 * The first chunk tells whether the host gives huge pages at all
	 * (shmem_enabled "deny", no THP): if not, 4 KiB faults would make
	 * chunks slower than writes through the file; this one is kept.
	 */
	if (__atomic_load_n(&mf.huge, __ATOMIC_RELAXED) == MF_HUGE_UNKNOWN)
		__atomic_store_n(&mf.huge, mf_huge_mapped() ? MF_HUGE_OK : MF_HUGE_NONE,
				 __ATOMIC_RELAXED);
	/*
	 * Unmap it from the sentry again (the page stays in the file): the data
	 * moves through the file (mf_write, mf_read), and guest memory should
	 * not show in the sentry's own RSS.
	 */
	madvise(mf.base + *off, MF_HUGE_SIZE, MADV_DONTNEED);
	return 0;
}

void mf_zero(uint64_t off, uint64_t len)
{
	if (len)
		fallocate(mf.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
}

void mf_free(uint64_t off, uint64_t len)
{
	len = PAGE_ALIGN_UP(len);
	if (!len || __atomic_load_n(&mf.shutting_down, __ATOMIC_RELAXED))
		return;
	mf_zero(off, len);
	pthread_mutex_lock(&mf.lock);
	struct mf_range **list = off >= mf.huge_start ? &mf.huge_list : &mf.free_list;
	struct mf_range **pp = list;
	while (*pp && (*pp)->off < off)
		pp = &(*pp)->next;
	/* Merge with the successor, then with the predecessor if adjacent. */
	struct mf_range *next = *pp;
	struct mf_range *prev = (pp == list) ? NULL
		: (struct mf_range *)((char *)pp - offsetof(struct mf_range, next));
	if (prev && prev->off + prev->len == off) {
		prev->len += len;
		if (next && prev->off + prev->len == next->off) {
			prev->len += next->len;
			prev->next = next->next;
			free(next);
		}
	} else if (next && off + len == next->off) {
		next->off = off;
		next->len += len;
	} else {
		struct mf_range *r = malloc(sizeof(*r));
		if (r) {    /* on -ENOMEM the range is leaked, never reused twice */
			r->off = off;
			r->len = len;
			r->next = next;
			*pp = r;
		}
	}
	pthread_mutex_unlock(&mf.lock);
}

void mf_copy(uint64_t dst, uint64_t src, uint64_t len)
{
	/* Copy only populated extents: holes stay holes (and cost nothing). */
	uint64_t end = src + len;
	uint64_t pos = src;
	while (pos < end) {
		off_t data = lseek(mf.fd, pos, SEEK_DATA);
		if (data < 0 || (uint64_t)data >= end)
			break;
		off_t hole = lseek(mf.fd, data, SEEK_HOLE);
		uint64_t stop = (hole < 0 || (uint64_t)hole > end) ? end : (uint64_t)hole;
		memcpy(mf.base + dst + (data - src), mf.base + data, stop - data);
		pos = stop;
	}
}

void mf_shutdown(void)
{
	__atomic_store_n(&mf.shutting_down, true, __ATOMIC_RELAXED);
}
