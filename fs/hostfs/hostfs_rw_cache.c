/*
 * hostfs_rw's page cache: MAP_SHARED mappings of a host file map MemoryFile
 * pages that this cache fills from the host file on first touch (a 64 KiB
 * block at a time) and writes back to it, as gVisor's caching inode
 * operations do for host files.
 *
 *   - Coherence inside the sandbox: while the cache exists, every read of
 *     the file (any open description) takes the cached pages' bytes over
 *     the host's, and every write goes to the host file and into the cached
 *     pages (write-through), so mappings and syscalls agree. Mappings can
 *     not change the size; write/truncate/fallocate tell the cache.
 *   - Dirty pages: the sentry cannot see the guest's stores into a mapped
 *     page, so while a mapping of a file open for writing exists (wmapcount)
 *     every cached page counts as dirty. Write-back (msync, fsync, the end
 *     of the last writable mapping, the cache's end, the sandbox's end)
 *     writes them up to the file's size; they become clean only once no
 *     writable mapping is left.
 *   - The host is read once per page: changes made on the host side while
 *     the file is mapped are not seen by the mappings (nor by reads of the
 *     cached pages), and the host's data is overwritten by write-back.
 *   - Memory: cached pages of every hostfs_rw file together are bounded by
 *     the sandbox's in-memory limit (vfs_tmpfs_limit, --memory); a fault
 *     beyond it is SIGBUS (Linux would reclaim clean pages).
 *   - A page dropped while mapped (truncate) is set aside until the last
 *     mapping ends, and every MM re-mirrors its shared file mappings before
 *     the syscall returns (mm_request_resync): a touch past the new end of
 *     the file is SIGBUS.
 *
 * Pages live in a sparse page tree (fs/page_tree.h, as tmpfs's), so a page far out in a sparse file costs a few
 * nodes, not an array up to its index.
 *
 * Everything runs under vfs_lock, including the list of caches.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fs/hostfs/hostfs.h"
#include "fs/hostfs/hostfs_rw_cache.h"
#include "fs/page_tree.h"
#include "fs/vfs_internal.h"
#include "sentry/log.h"
#include "sentry/memfile.h"
#include "sentry/mm.h"

/* Pages read in per fault: the block mm maps around a shared-file fault (64 KiB). */
#define BLOCK_PAGES 16

/* A page tree entry: the page's MemoryFile offset (page aligned) and these bits. */
#define PG_PRESENT 1ULL
#define PG_DIRTY 2ULL          /* may differ from the host file */
#define PG_OFF(e) ((e) & PAGE_MASK)

struct hrw_cache {
	int fd;                        /* host fd of the file (a copy the cache owns) */
	bool writable;                 /* fd may write */
	uint64_t size;                 /* the file's size */
	struct page_tree pages;        /* page index -> entry (PG_*) */
	int mapcount, wmapcount;       /* shared mappings; those of files open for writing */
	uint64_t *orphans;             /* dropped pages still mapped until mapcount is 0 */
	size_t norphans, orphans_cap;
	struct hrw_cache *next, **pprev;   /* all_caches */
};

static struct hrw_cache *all_caches;
static uint64_t cache_bytes;       /* pages held by every cache, orphans included */

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;         /* shorter on the host now: the rest stays zero */
		done += r;
	}
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		done += r;
	}
	return 0;
}

/* A copy of hostfd; mmap(2) reports running out of descriptors as ENFILE. */
static int dup_host_fd(int hostfd)
{
	int fd = fcntl(hostfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return errno == EMFILE ? -ENFILE : -errno;
	return fd;
}

static void free_page(uint64_t off)
{
	mf_free(off, PAGE_SIZE);
	cache_bytes -= PAGE_SIZE;
}

int hrw_cache_create(int hostfd, bool writable, uint64_t size, struct hrw_cache **out)
{
	struct hrw_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = dup_host_fd(hostfd);
	if (c->fd < 0) {
		int rc = c->fd;
		free(c);
		return rc;
	}
	c->writable = writable;
	c->size = size;
	c->next = all_caches;
	if (all_caches)
		all_caches->pprev = &c->next;
	c->pprev = &all_caches;
	all_caches = c;
	*out = c;
	return 0;
}

int hrw_cache_make_writable(struct hrw_cache *c, int hostfd)
{
	if (c->writable)
		return 0;
	int fd = dup_host_fd(hostfd);
	if (fd < 0)
		return fd;
	close(c->fd);
	c->fd = fd;
	c->writable = true;
	return 0;
}

/* Page idx leaves the cache: freed, or set aside while a stub may still map it. */
static void drop_page(struct hrw_cache *c, uint64_t idx)
{
	uint64_t off = PG_OFF(ptree_clear(&c->pages, idx));
	if (c->mapcount == 0) {
		free_page(off);
		return;
	}
	mm_request_resync();    /* unmap it from the stubs before the syscall returns */
	if (c->norphans == c->orphans_cap) {
		size_t cap = c->orphans_cap ? c->orphans_cap * 2 : 16;
		uint64_t *p = realloc(c->orphans, cap * sizeof(*p));
		if (!p)
			return;    /* leak the page rather than free a mapped one */
		c->orphans = p;
		c->orphans_cap = cap;
	}
	c->orphans[c->norphans++] = off;
}

static void free_orphans(struct hrw_cache *c)
{
	for (size_t i = 0; i < c->norphans; i++)
		free_page(c->orphans[i]);
	c->norphans = 0;
}

int hrw_cache_destroy(struct hrw_cache *c)
{
	if (!c)
		return 0;
	int rc = hrw_cache_writeback(c);
	if (rc)
		slog("hostfs: writing a shared mapping back to its host file failed: %s",
		     strerror(-rc));
	uint64_t idx = 0, e;
	while (ptree_next(&c->pages, idx, &idx, &e)) {
		free_page(PG_OFF(e));
		idx++;
	}
	ptree_destroy(&c->pages);
	free_orphans(c);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	close(c->fd);
	free(c->orphans);
	free(c);
	return rc;
}

static uint64_t file_pages(const struct hrw_cache *c)
{
	return (c->size + PAGE_SIZE - 1) / PAGE_SIZE;
}

uint64_t hrw_cache_next(struct hrw_cache *c, uint64_t pgoff)
{
	uint64_t found, e;
	if (!ptree_next(&c->pages, pgoff, &found, &e) || found >= file_pages(c))
		return UINT64_MAX;
	return found;
}

int hrw_cache_page(struct hrw_cache *c, uint64_t pgoff, bool create, uint64_t *mf_off)
{
	uint64_t npg = file_pages(c);
	if (pgoff >= npg)
		return -ENXIO;
	uint64_t e = ptree_get(&c->pages, pgoff);
	if (e) {
		*mf_off = PG_OFF(e);
		return 0;
	}
	if (!create)
		return -ENOENT;
	/* Read in the uncached run from pgoff to the end of its block, in one allocation. */
	uint64_t end = MIN(npg, (pgoff / BLOCK_PAGES + 1) * BLOCK_PAGES);
	uint64_t room = vfs_tmpfs_limit > cache_bytes ? vfs_tmpfs_limit - cache_bytes : 0;
	uint64_t off, k;
	int rc = ptree_alloc_run(&c->pages, pgoff, end - pgoff, room, &off, &k);
	if (rc)
		return rc == -ENOSPC ? -ENOMEM : rc;
	uint64_t pos = pgoff * PAGE_SIZE;
	rc = pread_full(c->fd, mf_ptr(off), MIN(k * PAGE_SIZE, c->size - pos), pos);
	uint64_t flags = PG_PRESENT | (c->wmapcount > 0 ? PG_DIRTY : 0), i;
	for (i = 0; i < k && !rc; i++)
		rc = ptree_set(&c->pages, pgoff + i, (off + i * PAGE_SIZE) | flags);
	if (rc) {
		while (i-- > 0)
			ptree_clear(&c->pages, pgoff + i);
		mf_free(off, k * PAGE_SIZE);
		return rc;
	}
	cache_bytes += k * PAGE_SIZE;
	*mf_off = off;
	return 0;
}

/* Mark the pages of [from, to) dirty or clean (existing slots: cannot fail). */
static void set_dirty(struct hrw_cache *c, uint64_t from, uint64_t to, bool dirty)
{
	uint64_t idx = from, e;
	for (; idx < to && ptree_next(&c->pages, idx, &idx, &e) && idx < to; idx++)
		ptree_set(&c->pages, idx, dirty ? e | PG_DIRTY : e & ~PG_DIRTY);
}

bool hrw_cache_pin(struct hrw_cache *c, int delta, bool writable)
{
	c->mapcount += delta;
	if (writable) {
		/* A writable mapping may store into any cached page from now on. */
		if (delta > 0 && c->wmapcount == 0)
			set_dirty(c, 0, UINT64_MAX, true);
		c->wmapcount += delta;
		if (delta < 0 && c->wmapcount == 0) {
			int rc = hrw_cache_writeback(c);
			if (rc)
				slog("hostfs: writing a shared mapping back to its host file failed: %s",
				     strerror(-rc));
		}
	}
	if (c->mapcount == 0)
		free_orphans(c);
	return c->mapcount == 0;
}

int hrw_cache_writeback(struct hrw_cache *c)
{
	int rc = 0;
	uint64_t i = 0, e;
	while (ptree_next(&c->pages, i, &i, &e)) {
		uint64_t pos = i * PAGE_SIZE;
		if (!(e & PG_DIRTY) || pos >= c->size) {
			i++;
			continue;
		}
		/* A run of dirty pages adjacent in the file and the MemoryFile: one host write. */
		uint64_t j = i + 1, f;
		while ((f = ptree_get(&c->pages, j)) && (f & PG_DIRTY) &&
		       PG_OFF(f) == PG_OFF(e) + (j - i) * PAGE_SIZE)
			j++;
		uint64_t len = MIN((j - i) * PAGE_SIZE, c->size - pos);
		int r = c->writable ? pwrite_full(c->fd, mf_ptr(PG_OFF(e)), len, pos) : -EBADF;
		if (r && !rc)
			rc = r;
		if (!r && c->wmapcount == 0)
			set_dirty(c, i, j, false);
		i = j;
	}
	return rc;
}

/* Copy between the cached pages and the bytes [off, off+n) that iov holds. */
static void copy_cached(struct hrw_cache *c, const struct iovec *iov, int iovcnt, uint64_t off,
			size_t n, bool to_iov)
{
	if (n == 0)
		return;
	uint64_t p = off / PAGE_SIZE, last = (off + n - 1) / PAGE_SIZE, e;
	int vi = 0;
	size_t vbase = 0;          /* stream position where iov[vi] starts */
	for (; ptree_next(&c->pages, p, &p, &e) && p <= last; p++) {
		uint64_t lo = MAX(off, p * PAGE_SIZE), hi = MIN(off + n, (p + 1) * PAGE_SIZE);
		char *page = (char *)mf_ptr(PG_OFF(e)) + (lo - p * PAGE_SIZE);
		size_t pos = lo - off, len = hi - lo;
		while (len && vi < iovcnt) {
			if (pos >= vbase + iov[vi].iov_len) {
				vbase += iov[vi++].iov_len;
				continue;
			}
			size_t in = pos - vbase;
			size_t k = MIN(len, iov[vi].iov_len - in);
			char *v = (char *)iov[vi].iov_base + in;
			if (to_iov)
				memcpy(v, page, k);
			else
				memcpy(page, v, k);
			page += k;
			pos += k;
			len -= k;
		}
	}
}

void hrw_cache_after_read(struct hrw_cache *c, const struct iovec *iov, int iovcnt, uint64_t off,
			  size_t n)
{
	copy_cached(c, iov, iovcnt, off, n, true);
}

/* Zero the cached bytes of page p from byte `from` of the page on. */
static void zero_tail(struct hrw_cache *c, uint64_t p, size_t from)
{
	uint64_t e = from && from < PAGE_SIZE ? ptree_get(&c->pages, p) : 0;
	if (e)
		memset((char *)mf_ptr(PG_OFF(e)) + from, 0, PAGE_SIZE - from);
}

void hrw_cache_after_write(struct hrw_cache *c, const struct iovec *iov, int iovcnt,
			   uint64_t off, size_t n)
{
	if (off + n > c->size)
		hrw_cache_resize(c, off + n);
	copy_cached(c, iov, iovcnt, off, n, false);
}

void hrw_cache_resize(struct hrw_cache *c, uint64_t size)
{
	if (size < c->size) {
		uint64_t i = (size + PAGE_SIZE - 1) / PAGE_SIZE, e;
		while (ptree_next(&c->pages, i, &i, &e))
			drop_page(c, i++);
		zero_tail(c, size / PAGE_SIZE, size % PAGE_SIZE);
	} else {
		/* What a mapping stored past the old end is not file data: zeros, as on the host. */
		zero_tail(c, c->size / PAGE_SIZE, c->size % PAGE_SIZE);
	}
	c->size = size;
}

void hrw_cache_zero(struct hrw_cache *c, uint64_t off, uint64_t len)
{
	uint64_t end = off + len < off ? UINT64_MAX : off + len;
	uint64_t p = off / PAGE_SIZE, e;
	for (; ptree_next(&c->pages, p, &p, &e) && p * PAGE_SIZE < end; p++) {
		uint64_t lo = MAX(off, p * PAGE_SIZE), hi = MIN(end, (p + 1) * PAGE_SIZE);
		memset((char *)mf_ptr(PG_OFF(e)) + (lo - p * PAGE_SIZE), 0, hi - lo);
	}
}

void hrw_cache_invalidate(struct hrw_cache *c)
{
	uint64_t i = 0, e;
	while (ptree_next(&c->pages, i, &i, &e))
		drop_page(c, i++);
}

uint64_t hrw_cache_size(struct hrw_cache *c)
{
	return c->size;
}

int hostfs_rw_sync_all(void)
{
	int rc = 0;
	vfs_lock();
	for (struct hrw_cache *c = all_caches; c; c = c->next) {
		int r = hrw_cache_writeback(c);
		if (r && !rc)
			rc = r;
	}
	vfs_unlock();
	return rc;
}
