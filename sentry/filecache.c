/*
 * The file cache. An entry is named by what stat says of the file (device,
 * inode, size, mtime, ctime), so a file changed inside the sandbox (tmpfs
 * bumps mtime/ctime) gets a fresh entry. Entries no mapping uses are kept
 * while the cache is under FCACHE_KEEP bytes.
 *
 * An entry whose file is a host file (file_host_fd) also keeps a copy of
 * that host fd while mappings use it: the guest's stubs map the host file
 * itself (no copy, the host's page cache shared), and the MemoryFile copy
 * is only filled for the sentry's own reads of those pages (copy-in of a
 * syscall argument that points into the mapping). The host fd is closed
 * when the last mapping goes.
 *
 * Lock: fc.lock, a leaf below mm->lock. It is held while a missing file is
 * read in, so two processes never read the same file twice.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "fs/vfs.h"
#include "sentry/filecache.h"
#include "sentry/memfile.h"

#define FCACHE_KEEP (256ULL << 20)

/* Entries fill lazily, a chunk at a time, when the guest or the sentry first reads it. */
#define FCACHE_CHUNK (64ULL << 10)

struct fcache_entry {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uint64_t off, len;
	int refs;
	struct file *file;          /* read from on demand; a reference */
	int hostfd;                 /* the host file for direct mappings (while refs > 0), or -1 */
	pthread_mutex_t fill_lock;  /* filled[]; below mm->lock */
	uint8_t *filled;            /* one flag per FCACHE_CHUNK */
	struct fcache_entry *next;
};

static struct {
	pthread_mutex_t lock;
	struct fcache_entry *head;
	uint64_t unused_bytes;   /* bytes held by entries with refs == 0 */
} fc = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * A copy of f's host fd for direct mappings, or -1: none, or on a host
 * mount where mapping it executable would fail (noexec).
 */
static int host_fd_dup(struct file *f)
{
	int fd = file_host_fd(f);
	struct statvfs sv;
	if (fd < 0 || fstatvfs(fd, &sv) < 0 || (sv.f_flag & ST_NOEXEC))
		return -1;
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

static bool same_file(const struct fcache_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       e->ctime.tv_sec == st->st_ctim.tv_sec && e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Free unused entries while over the bound. Called with fc.lock held. */
static void trim_locked(void)
{
	struct fcache_entry **pp = &fc.head;
	while (*pp && fc.unused_bytes > FCACHE_KEEP) {
		struct fcache_entry *e = *pp;
		if (e->refs == 0) {
			*pp = e->next;
			fc.unused_bytes -= e->len;
			mf_free(e->off, e->len);
			file_put(e->file);
			free(e->filled);
			pthread_mutex_destroy(&e->fill_lock);
			free(e);
		} else {
			pp = &e->next;
		}
	}
}

struct fcache_entry *fcache_get(struct file *f, uint64_t *off, uint64_t *len)
{
	struct stat st;
	if (vfs_fstat(f, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return NULL;
	/* Taken before fc.lock, which stays a leaf (file_host_fd takes vfs_lock). */
	int hostfd = host_fd_dup(f);
	pthread_mutex_lock(&fc.lock);
	struct fcache_entry *e;
	for (e = fc.head; e; e = e->next) {
		if (same_file(e, &st)) {
			if (e->refs++ == 0) {
				fc.unused_bytes -= e->len;
				e->hostfd = hostfd;
				hostfd = -1;
			}
			goto found;
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto fail;
	e->len = PAGE_ALIGN_UP((uint64_t)st.st_size);
	e->filled = calloc((e->len + FCACHE_CHUNK - 1) / FCACHE_CHUNK, 1);
	if (!e->filled || mf_alloc(e->len, &e->off)) {
		free(e->filled);
		free(e);
		goto fail;
	}
	pthread_mutex_init(&e->fill_lock, NULL);
	file_get(f);
	e->file = f;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	e->ctime = st.st_ctim;
	e->refs = 1;
	e->hostfd = hostfd;
	hostfd = -1;
	e->next = fc.head;
	fc.head = e;
found:
	*off = e->off;
	*len = e->len;
	pthread_mutex_unlock(&fc.lock);
	if (hostfd >= 0)
		close(hostfd);
	return e;
fail:
	pthread_mutex_unlock(&fc.lock);
	if (hostfd >= 0)
		close(hostfd);
	return NULL;
}

void fcache_ref(struct fcache_entry *e)
{
	pthread_mutex_lock(&fc.lock);
	e->refs++;
	pthread_mutex_unlock(&fc.lock);
}

void fcache_put(struct fcache_entry *e)
{
	pthread_mutex_lock(&fc.lock);
	if (--e->refs == 0) {
		fc.unused_bytes += e->len;
		if (e->hostfd >= 0)
			close(e->hostfd);
		e->hostfd = -1;
		trim_locked();
	}
	pthread_mutex_unlock(&fc.lock);
}

uint64_t fcache_chunk_size(void)
{
	return FCACHE_CHUNK;
}

bool fcache_is_filled(struct fcache_entry *e, uint64_t rel)
{
	pthread_mutex_lock(&e->fill_lock);
	bool r = rel < e->len && e->filled[rel / FCACHE_CHUNK];
	pthread_mutex_unlock(&e->fill_lock);
	return r;
}

int fcache_fill(struct fcache_entry *e, uint64_t rel, uint64_t len)
{
	if (rel >= e->len)
		return 0;
	uint64_t end = MIN(e->len, rel + len);
	int rc = 0;
	pthread_mutex_lock(&e->fill_lock);
	for (uint64_t c = rel / FCACHE_CHUNK; c * FCACHE_CHUNK < end && !rc; c++) {
		if (e->filled[c])
			continue;
		uint64_t lo = c * FCACHE_CHUNK;
		uint64_t n = MIN(FCACHE_CHUNK, (uint64_t)e->size > lo ? (uint64_t)e->size - lo : 0);
		if (n) {
			ssize_t r = mf_fill(e->off + lo, n, vfs_pread_cb, e->file, lo);
			if (r < 0)
				rc = (int)r;
		}
		if (!rc)
			e->filled[c] = 1;
	}
	pthread_mutex_unlock(&e->fill_lock);
	return rc;
}

uint64_t fcache_base(struct fcache_entry *e)
{
	return e->off;
}

int fcache_host_fd(struct fcache_entry *e)
{
	return e->hostfd;
}
