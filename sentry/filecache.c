/*
 * The file cache. An entry is named by what stat says of the file (device,
 * inode, size, mtime, ctime), so a file changed inside the sandbox (tmpfs
 * bumps mtime/ctime) gets a fresh entry. Entries no mapping uses are kept
 * while the cache is under FCACHE_KEEP bytes.
 *
 * Lock: fc.lock, a leaf below mm->lock. It is held while a missing file is
 * read in, so two processes never read the same file twice.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "fs/vfs.h"
#include "sentry/filecache.h"
#include "sentry/memfile.h"

#define FCACHE_KEEP (256ULL << 20)

struct fcache_entry {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uint64_t off, len;
	int refs;
	struct fcache_entry *next;
};

static struct {
	pthread_mutex_t lock;
	struct fcache_entry *head;
	uint64_t unused_bytes;   /* bytes held by entries with refs == 0 */
} fc = { .lock = PTHREAD_MUTEX_INITIALIZER };

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
	pthread_mutex_lock(&fc.lock);
	struct fcache_entry *e;
	for (e = fc.head; e; e = e->next) {
		if (same_file(e, &st)) {
			if (e->refs++ == 0)
				fc.unused_bytes -= e->len;
			goto found;
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto fail;
	e->len = PAGE_ALIGN_UP((uint64_t)st.st_size);
	if (mf_alloc(e->len, &e->off)) {
		free(e);
		goto fail;
	}
	ssize_t n = vfs_pread(f, mf_ptr(e->off), st.st_size, 0);
	if (n != st.st_size) {
		mf_free(e->off, e->len);
		free(e);
		goto fail;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	e->ctime = st.st_ctim;
	e->refs = 1;
	e->next = fc.head;
	fc.head = e;
found:
	*off = e->off;
	*len = e->len;
	pthread_mutex_unlock(&fc.lock);
	return e;
fail:
	pthread_mutex_unlock(&fc.lock);
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
		trim_locked();
	}
	pthread_mutex_unlock(&fc.lock);
}
