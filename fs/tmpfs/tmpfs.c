/*
 * tmpfs: directories, regular files, symlinks and device nodes in memory.
 * File data lives in the MemoryFile, one page at a time, charged against
 * the super block's byte limit (ENOSPC). The dentry tree is the
 * namespace: every entry is a cached dentry in its parent's list.
 *
 * The overlay is this same code with inodes that may be backed by a lower
 * hostfs node (tmpfs_node.lower); the hooks are in fs/overlay/overlay.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/magic.h>
#include "fs/tmpfs/tmpfs_internal.h"
#include "sentry/memfile.h"
#include "sentry/mm.h"

/* Linux's tmpfs reports directory sizes in units of this per entry. */
#define BOGO_DIRENT_SIZE 20

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

struct tmpfs_node *tmpfs_node(struct inode *inode)
{
	return inode->priv;
}

/* Free one data page, or set it aside while shared mappings may map it. */
static void tmpfs_release_page(struct tmpfs_node *n, uint64_t off)
{
	if (n->mapcount > 0) {
		if (n->norphans == n->orphans_cap) {
			size_t cap = n->orphans_cap ? n->orphans_cap * 2 : 16;
			uint64_t *p = realloc(n->orphans, cap * sizeof(*p));
			if (!p)
				return;    /* leak the page rather than free a mapped one */
			n->orphans = p;
			n->orphans_cap = cap;
		}
		n->orphans[n->norphans++] = off;
		mm_request_resync();    /* unmap it from the stubs before the syscall returns */
		return;
	}
	mf_free(off, PAGE_SIZE);
}

static uint64_t pg_off(uint64_t entry)
{
	return entry & PAGE_MASK;
}

/* ---- spare pages of huge chunks (tmpfs_node.spare_n) ---- */

/* The files holding spare pages (under vfs_lock): few, so the waste stays bounded. */
#define TMPFS_MAX_SPARES 8
static struct inode *spare_holders[TMPFS_MAX_SPARES];
static unsigned spare_evict;

/* Give the spare pages of inode back to the MemoryFile; inode leaves spare_holders. */
static void spare_drop(struct inode *inode)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	if (!n)
		return;
	if (n->spare_n)
		mf_free(n->spare_off, n->spare_n * PAGE_SIZE);
	n->spare_n = 0;
	for (unsigned i = 0; i < TMPFS_MAX_SPARES; i++)
		if (spare_holders[i] == inode)
			spare_holders[i] = NULL;
}

/* Drop every spare of sb; true if that freed anything. */
static bool spare_drop_sb(struct super_block *sb)
{
	bool any = false;
	for (unsigned i = 0; i < TMPFS_MAX_SPARES; i++) {
		struct inode *h = spare_holders[i];
		if (h && h->sb == sb) {
			spare_drop(h);
			any = true;
		}
	}
	return any;
}

/* Bytes of spare pages the files of sb hold. */
static uint64_t spare_bytes(struct super_block *sb)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < TMPFS_MAX_SPARES; i++) {
		struct inode *h = spare_holders[i];
		if (h && h->sb == sb)
			total += tmpfs_node(h)->spare_n * PAGE_SIZE;
	}
	return total;
}

/* Make MemoryFile pages off.. the spare of inode's pages idx.. (n pages). */
static void spare_set(struct inode *inode, uint64_t idx, uint64_t off, uint64_t n)
{
	unsigned slot = TMPFS_MAX_SPARES;
	for (unsigned i = 0; i < TMPFS_MAX_SPARES && slot == TMPFS_MAX_SPARES; i++)
		if (!spare_holders[i])
			slot = i;
	if (slot == TMPFS_MAX_SPARES) {
		slot = spare_evict++ % TMPFS_MAX_SPARES;
		spare_drop(spare_holders[slot]);
	}
	struct tmpfs_node *tn = tmpfs_node(inode);
	tn->spare_idx = idx;
	tn->spare_off = off;
	tn->spare_n = n;
	spare_holders[slot] = inode;
}

/* Drop the pages with index in [from, to): holes cost nothing to skip. */
static void tmpfs_free_range(struct inode *inode, uint64_t from, uint64_t to)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	spare_drop(inode);
	/* Pages adjacent in the MemoryFile go back in one mf_free (one hole punch). */
	uint64_t run = 0, run_len = 0, idx, entry;
	while (from < to && ptree_next(&n->pages, from, &idx, &entry) && idx < to) {
		ptree_clear(&n->pages, idx);
		from = idx + 1;
		uint64_t off = pg_off(entry);
		inode->sb->bytes_used -= PAGE_SIZE;
		inode->blocks -= PAGE_SIZE / 512;
		if (n->mapcount > 0) {
			tmpfs_release_page(n, off);    /* set aside while mapped */
			continue;
		}
		if (run_len && off == run + run_len) {
			run_len += PAGE_SIZE;
			continue;
		}
		if (run_len)
			mf_free(run, run_len);
		run = off;
		run_len = PAGE_SIZE;
	}
	if (run_len)
		mf_free(run, run_len);
}

static void tmpfs_destroy(struct inode *inode)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	if (!n)
		return;
	tmpfs_free_range(inode, 0, UINT64_MAX);
	ptree_destroy(&n->pages);
	for (size_t i = 0; i < n->norphans; i++)
		mf_free(n->orphans[i], PAGE_SIZE);
	free(n->orphans);
	free(n->link);
	if (n->lower)
		hostfs_node_put(n->lower);
	free(n);
}

struct super_block *tmpfs_create_sb(uint64_t limit, const char *fstype, uint32_t magic)
{
	struct super_block *sb = sb_create(fstype, magic);
	if (sb) {
		sb->bytes_limit = limit;
		sb->xattr = magic == TMPFS_MAGIC || magic == OVERLAYFS_SUPER_MAGIC;
	}
	return sb;
}

/* Every inode costs sentry memory the size limit does not count: see sb_max_inodes. */
static bool inodes_full(struct super_block *sb)
{
	return sb->bytes_limit && sb->inodes >= sb_max_inodes(sb);
}

struct inode *tmpfs_new_inode(struct super_block *sb, uint32_t mode, const struct cred *c)
{
	const struct file_ops *fops = S_ISREG(mode) ? &tmpfs_reg_fops : NULL;
	struct inode *inode = inode_alloc(sb, mode, &tmpfs_iops, fops);
	if (!inode)
		return NULL;
	struct tmpfs_node *n = calloc(1, sizeof(*n));
	if (!n) {
		inode_put(inode);
		return NULL;
	}
	inode->priv = n;
	inode->destroy = tmpfs_destroy;
	if (c) {
		inode->uid = c->fsuid;
		inode->gid = c->fsgid;
	}
	if (S_ISDIR(mode))
		inode->size = 2 * BOGO_DIRENT_SIZE;
	/* Every shmem file has seals; only memfd_create can leave them open. */
	if (S_ISREG(mode) && sb->magic == TMPFS_MAGIC) {
		inode->sealable = true;
		inode->seals = F_SEAL_SEAL;
	}
	return inode;
}

struct dentry *tmpfs_make_root(struct super_block *sb, uint32_t mode, struct tmpfs_lower *lower)
{
	struct inode *inode = tmpfs_new_inode(sb, S_IFDIR | mode, NULL);
	if (!inode)
		return NULL;
	if (lower) {
		struct tmpfs_node *n = tmpfs_node(inode);
		n->lower = lower->root;
		hostfs_node_get(lower->root);
		const struct stat *st = &lower->root->st;
		inode->ino = st->st_ino;
		inode->mode = st->st_mode;
		inode->uid = st->st_uid;
		inode->gid = st->st_gid;
		inode->nlink = st->st_nlink;
		inode->size = st->st_size;
		inode->blocks = st->st_blocks;
		inode->atime = st->st_atim;
		inode->mtime = st->st_mtim;
		inode->ctime = st->st_ctim;
	}
	struct dentry *d = dentry_alloc(NULL, "/", inode);
	if (!d)
		inode_put(inode);
	return d;
}

/* ---- data ---- */

/* Bytes sb may still allocate: its spare pages take room too. */
static uint64_t sb_room(struct super_block *sb)
{
	if (!sb->bytes_limit)
		return UINT64_MAX;
	uint64_t used = sb->bytes_used + spare_bytes(sb);
	return used < sb->bytes_limit ? sb->bytes_limit - used : 0;
}

/*
 * Enter MemoryFile pages off, off + PAGE_SIZE... as file pages idx.. (k of
 * them, entry flags `flags`); the count entered (fewer if tree nodes ran
 * out), added to st_blocks.
 */
static uint64_t set_run(struct inode *inode, uint64_t idx, uint64_t off, uint64_t k,
			uint64_t flags)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	uint64_t i = 0;
	for (; i < k; i++)
		if (ptree_set(&n->pages, idx + i, (off + i * PAGE_SIZE) | TMPFS_PG_PRESENT | flags))
			break;
	inode->blocks += i * (PAGE_SIZE / 512);
	return i;
}

#define HUGE_PAGES (MF_HUGE_SIZE / PAGE_SIZE)
/* A sequential write needs this many pages to start a huge chunk with a spare. */
#define HUGE_MIN_PAGES 16

/*
 * Whether holes idx.. (want of them to fill) should take a huge chunk:
 * a chunk-aligned hole of a whole chunk, filled whole, or filled from its
 * start by a large write that continues the file's data past its first
 * chunk (so small files, and files written here and there, never get
 * one).
 */
static bool huge_wanted(struct tmpfs_node *n, uint64_t idx, uint64_t want)
{
	if (idx % HUGE_PAGES)
		return false;
	if (want < HUGE_PAGES &&
	    (idx < HUGE_PAGES || want < HUGE_MIN_PAGES || !ptree_get(&n->pages, idx - 1)))
		return false;
	uint64_t next, e;
	return !ptree_next(&n->pages, idx, &next, &e) || next >= idx + HUGE_PAGES;
}

/* Fill holes idx.. (want) from a new huge chunk; the rest becomes the spare. -EAGAIN: none. */
static int alloc_huge_run(struct inode *inode, uint64_t idx, uint64_t want, uint64_t flags,
			  uint64_t *got)
{
	struct super_block *sb = inode->sb;
	uint64_t off;
	if (sb_room(sb) < MF_HUGE_SIZE || mf_alloc_huge(&off))
		return -EAGAIN;
	uint64_t k = MIN(want, HUGE_PAGES);
	uint64_t i = set_run(inode, idx, off, k, flags);
	sb->bytes_used += i * PAGE_SIZE;
	if (i < k) {
		/* Out of memory for tree nodes: keep the pages that made it in. */
		mf_free(off + i * PAGE_SIZE, MF_HUGE_SIZE - i * PAGE_SIZE);
		if (i == 0)
			return -ENOMEM;
	} else if (k < HUGE_PAGES) {
		spare_set(inode, idx + k, off + k * PAGE_SIZE, HUGE_PAGES - k);
	}
	*got = i;
	return 0;
}

/* Fill holes idx.. (want) from the spare, which starts at idx. */
static int take_spare(struct inode *inode, uint64_t idx, uint64_t want, uint64_t flags,
		      uint64_t *got)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	uint64_t i = set_run(inode, idx, n->spare_off, MIN(want, n->spare_n), flags);
	if (i == 0)
		return -ENOMEM;
	inode->sb->bytes_used += i * PAGE_SIZE;
	n->spare_idx += i;
	n->spare_off += i * PAGE_SIZE;
	n->spare_n -= i;
	if (!n->spare_n)
		spare_drop(inode);      /* used up: only leaves spare_holders */
	*got = i;
	return 0;
}

/*
 * Give hole idx a page (entry flags `flags`); when idx..last are holes, up
 * to ALLOC_RUN of them get pages adjacent in the MemoryFile in one
 * allocation (a large write then costs few allocations and few memfd
 * writes, and frees coalesce), or a whole huge chunk (huge_wanted). *got:
 * the pages allocated (0 if idx had one).
 */
#define ALLOC_RUN 64

static int alloc_page_run(struct inode *inode, uint64_t idx, uint64_t last, uint64_t flags,
			  uint64_t *got)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	struct super_block *sb = inode->sb;
	*got = 0;
	if (ptree_get(&n->pages, idx))
		return 0;
	uint64_t want = last - idx + 1;
	if (n->spare_n) {
		if (idx == n->spare_idx)
			return take_spare(inode, idx, want, flags, got);
		spare_drop(inode);      /* not sequential after all */
	}
	if (huge_wanted(n, idx, want)) {
		int rc = alloc_huge_run(inode, idx, want, flags, got);
		if (rc != -EAGAIN)
			return rc;
	}
	uint64_t off, k;
	int rc = ptree_alloc_run(&n->pages, idx, MIN(ALLOC_RUN, want), sb_room(sb), &off, &k);
	/* Other files' spares count against the limit: give them back and retry. */
	if (rc == -ENOSPC && spare_drop_sb(sb))
		rc = ptree_alloc_run(&n->pages, idx, MIN(ALLOC_RUN, want), sb_room(sb), &off, &k);
	if (rc)
		return rc == -ENOMEM ? -ENOSPC : rc;
	uint64_t i = set_run(inode, idx, off, k, flags);
	/* Out of memory for tree nodes: keep the pages that made it in. */
	if (i < k)
		mf_free(off + i * PAGE_SIZE, (k - i) * PAGE_SIZE);
	if (i == 0)
		return -ENOMEM;
	sb->bytes_used += i * PAGE_SIZE;
	*got = i;
	return 0;
}

/* The entry of page idx, now written to (or mapped): no longer FALLOC. */
static uint64_t entry_written(struct tmpfs_node *n, uint64_t idx)
{
	uint64_t e = ptree_get(&n->pages, idx);
	if (e & TMPFS_PG_FALLOC) {
		e &= ~TMPFS_PG_FALLOC;
		ptree_set(&n->pages, idx, e);   /* the slot exists: cannot fail */
	}
	return e;
}

/* Write len bytes at off, extending the file; bytes written or -errno. */
int tmpfs_write_data(struct inode *inode, const void *buf, size_t len, uint64_t off)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	if (len == 0)
		return 0;
	if (off >= TMPFS_MAX_FILESIZE)
		return -EFBIG;
	len = MIN(len, TMPFS_MAX_FILESIZE - off);
	uint64_t last = (off + len - 1) / PAGE_SIZE;
	size_t done = 0;
	int rc = 0;
	while (done < len) {
		uint64_t pos = off + done;
		uint64_t idx = pos / PAGE_SIZE;
		size_t in = pos % PAGE_SIZE;
		size_t chunk = MIN(PAGE_SIZE - in, len - done);
		uint64_t got;
		rc = alloc_page_run(inode, idx, last, 0, &got);
		if (rc)
			break;
		uint64_t base = pg_off(entry_written(n, idx));
		/* Extend the piece over following pages adjacent in the MemoryFile. */
		for (uint64_t j = idx + 1; done + chunk < len && j <= last; j++) {
			uint64_t e = ptree_get(&n->pages, j);
			if (!e || pg_off(e) != base + (j - idx) * PAGE_SIZE)
				break;
			entry_written(n, j);
			chunk += MIN(PAGE_SIZE, len - done - chunk);
		}
		/* Through the memfd: fresh pages are allocated without faults in the sentry. */
		if (mf_write(base + in, (const char *)buf + done, chunk))
			memcpy((char *)mf_ptr(base) + in, (const char *)buf + done, chunk);
		done += chunk;
	}
	if (off + done > inode->size)
		inode->size = off + done;
	if (done == 0 && rc)
		return rc;
	return (int)done;
}

static size_t tmpfs_read_data(struct inode *inode, void *buf, size_t len, uint64_t off)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	if (off >= inode->size)
		return 0;
	len = MIN(len, inode->size - off);
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		uint64_t idx = pos / PAGE_SIZE;
		size_t in = pos % PAGE_SIZE;
		size_t chunk = MIN(PAGE_SIZE - in, len - done);
		uint64_t e = ptree_get(&n->pages, idx);
		if (!e) {
			memset((char *)buf + done, 0, chunk);
			done += chunk;
			continue;
		}
		/* Extend the piece over following pages adjacent in the MemoryFile. */
		uint64_t base = pg_off(e);
		for (uint64_t j = idx + 1; done + chunk < len; j++) {
			uint64_t next = ptree_get(&n->pages, j);
			if (!next || pg_off(next) != base + (j - idx) * PAGE_SIZE)
				break;
			chunk += MIN(PAGE_SIZE, len - done - chunk);
		}
		/* Large pieces through the memfd (no faults on pages the sentry never
		 * mapped); small ones, and any error, by copying. */
		if (chunk < PAGE_SIZE || mf_read(base + in, (char *)buf + done, chunk))
			memcpy((char *)buf + done, (char *)mf_ptr(base) + in, chunk);
		done += chunk;
	}
	return done;
}

int tmpfs_truncate(struct inode *inode, uint64_t size)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	if (size > TMPFS_MAX_FILESIZE)
		return -EFBIG;
	if (size < inode->size) {
		uint64_t keep = (size + PAGE_SIZE - 1) / PAGE_SIZE;
		tmpfs_free_range(inode, keep, UINT64_MAX);
		/* Zero the tail of the last partial page so a later extension reads zeros. */
		uint64_t e = size % PAGE_SIZE ? ptree_get(&n->pages, keep - 1) : 0;
		if (e)
			memset((char *)mf_ptr(pg_off(e)) + size % PAGE_SIZE, 0,
			       PAGE_SIZE - size % PAGE_SIZE);
	}
	inode->size = size;
	return 0;
}

/* ---- file operations ---- */

struct tmpfs_file {
	int lower_fd;                  /* overlay: host fd of the lower file, or -1 */
};

static ssize_t tmpfs_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct inode *inode = f->inode;
	struct tmpfs_node *n = tmpfs_node(inode);
	struct tmpfs_file *tf = f->priv;
	ssize_t total = 0;
	if (n->lower && !n->data_up) {
		if (!tf || tf->lower_fd < 0)
			return -EBADF;
		ssize_t r = preadv(tf->lower_fd, iov, iovcnt, off);
		return r < 0 ? -errno : r;
	}
	for (int i = 0; i < iovcnt; i++) {
		size_t r = tmpfs_read_data(inode, iov[i].iov_base, iov[i].iov_len, off + total);
		total += r;
		if (r < iov[i].iov_len)
			break;
	}
	return total;
}

/*
 * The part of a write of *len bytes at off that the seals allow. Linux
 * checks F_SEAL_GROW per page in shmem_write_begin, so the pages that end
 * inside the file go through and the write stops short (-EPERM if none).
 */
static int seal_check_write(struct inode *inode, uint64_t off, size_t *len)
{
	if (inode->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
		return -EPERM;
	if (!(inode->seals & F_SEAL_GROW) || off + *len <= inode->size)
		return 0;
	uint64_t end = off;
	while (end < off + *len) {
		uint64_t next = MIN((end / PAGE_SIZE + 1) * PAGE_SIZE, off + *len);
		if (next > inode->size)
			break;
		end = next;
	}
	if (end == off)
		return -EPERM;
	*len = end - off;
	return 0;
}

static ssize_t tmpfs_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct inode *inode = f->inode;
	struct tmpfs_node *n = tmpfs_node(inode);
	size_t want = iov_total(iov, iovcnt);
	/* generic_write_check_limits: nothing at or past s_maxbytes, stop short before it. */
	if (want && (uint64_t)off >= TMPFS_MAX_FILESIZE)
		return -EFBIG;
	want = MIN(want, TMPFS_MAX_FILESIZE - (uint64_t)off);
	if (want && inode->seals) {
		int rc = seal_check_write(inode, off, &want);
		if (rc)
			return rc;
	}
	if (n->lower && !n->data_up) {
		int rc = ovl_copy_up_data(inode);
		if (rc)
			return rc;
	}
	ssize_t total = 0;
	for (int i = 0; i < iovcnt && (size_t)total < want; i++) {
		if (!iov[i].iov_len)
			continue;
		size_t len = MIN(iov[i].iov_len, want - total);
		int r = tmpfs_write_data(inode, iov[i].iov_base, len, off + total);
		if (r < 0) {
			if (total)
				break;
			return r;
		}
		total += r;
		if ((size_t)r < len)
			break;
	}
	if (total)
		inode_touch(inode, false, true, true);
	return total;
}

static void tmpfs_release(struct file *f)
{
	struct tmpfs_file *tf = f->priv;
	/* The writer is done: the rest of its last huge chunk goes back. */
	if ((f->flags & O_ACCMODE) != O_RDONLY && S_ISREG(f->inode->mode))
		spare_drop(f->inode);
	if (tf) {
		if (tf->lower_fd >= 0)
			close(tf->lower_fd);
		free(tf);
	}
}

/* ---- shared mappings (file_ops.map_*; vfs_lock held) ---- */

static int tmpfs_map_shared(struct file *f, bool writable)
{
	struct tmpfs_node *n = tmpfs_node(f->inode);
	/* Linux's seal_check_write: no writable shared mapping of a write-sealed file. */
	if (writable && (f->inode->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EPERM;
	if (!n->lower || n->data_up)
		return 1;
	/* An unmodified host file mapped read-only: the private cached copy is the same. */
	if (!writable && (f->flags & O_ACCMODE) == O_RDONLY)
		return 0;
	int rc = ovl_copy_up_data(f->inode);
	return rc ? rc : 1;
}

/* An overlay file not copied up reads from the lower host file: map that. */
static int tmpfs_host_fd(struct file *f)
{
	struct tmpfs_node *n = tmpfs_node(f->inode);
	struct tmpfs_file *tf = f->priv;
	if (!n->lower || n->data_up || !tf)
		return -1;
	return tf->lower_fd;
}

static uint64_t tmpfs_map_next(struct file *f, uint64_t pgoff)
{
	struct tmpfs_node *n = tmpfs_node(f->inode);
	if (n->lower && !n->data_up)
		return UINT64_MAX;
	uint64_t npg = (f->inode->size + PAGE_SIZE - 1) / PAGE_SIZE, e;
	/* Fallocated pages are holes to map_page too. */
	while (pgoff < npg && ptree_next(&n->pages, pgoff, &pgoff, &e) && pgoff < npg) {
		if (!(e & TMPFS_PG_FALLOC))
			return pgoff;
		pgoff++;
	}
	return UINT64_MAX;
}

static int tmpfs_map_page(struct file *f, uint64_t pgoff, bool create, uint64_t *mf_off)
{
	struct inode *inode = f->inode;
	struct tmpfs_node *n = tmpfs_node(inode);
	if (n->lower && !n->data_up)
		return -ENXIO;
	if (pgoff >= (inode->size + PAGE_SIZE - 1) / PAGE_SIZE)
		return -ENXIO;
	uint64_t e = ptree_get(&n->pages, pgoff);
	/* A fallocated page is faulted in like a hole: the fault marks it written. */
	if (!create && (!e || (e & TMPFS_PG_FALLOC)))
		return -ENOENT;
	if (!e) {
		uint64_t got;
		int rc = alloc_page_run(inode, pgoff, pgoff, 0, &got);
		if (rc)
			return rc;
	}
	*mf_off = pg_off(entry_written(n, pgoff));
	return 0;
}

static void tmpfs_map_pin(struct file *f, int delta)
{
	struct tmpfs_node *n = tmpfs_node(f->inode);
	n->mapcount += delta;
	/* Linux counts VM_SHARED|VM_MAYWRITE mappings: the file is open for writing. */
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		n->wmapcount += delta;
	if (n->mapcount == 0) {
		for (size_t i = 0; i < n->norphans; i++)
			mf_free(n->orphans[i], PAGE_SIZE);
		n->norphans = 0;
	}
}

/* Zero [from, to) of page idx if it exists (hole punching keeps partial pages). */
static void zero_partial(struct tmpfs_node *n, uint64_t idx, size_t from, size_t to)
{
	uint64_t e = ptree_get(&n->pages, idx);
	if (e && from < to)
		memset((char *)mf_ptr(pg_off(e)) + from, 0, to - from);
}

/* A run of pages one fallocate call allocated (undone on -ENOSPC). */
struct falloc_run {
	uint64_t idx, n;
};

/*
 * Allocate every hole in pages [first, last) as FALLOC pages, all or none:
 * on failure the pages this call allocated are freed again. Existing pages
 * are skipped through the tree, so the cost follows the holes filled.
 */
static int falloc_range(struct inode *inode, uint64_t first, uint64_t last)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	struct falloc_run *runs = NULL;
	size_t nruns = 0, cap = 0;
	int rc = 0;
	for (uint64_t i = first; i < last;) {
		uint64_t hole = ptree_next_hole(&n->pages, i);
		if (hole >= last)
			break;
		uint64_t got;
		rc = alloc_page_run(inode, hole, last - 1, TMPFS_PG_FALLOC, &got);
		if (rc)
			break;
		if (nruns && runs[nruns - 1].idx + runs[nruns - 1].n == hole) {
			runs[nruns - 1].n += got;
		} else {
			if (nruns == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct falloc_run *p = realloc(runs, nc * sizeof(*p));
				if (!p) {
					tmpfs_free_range(inode, hole, hole + got);
					rc = -ENOMEM;
					break;
				}
				runs = p;
				cap = nc;
			}
			runs[nruns++] = (struct falloc_run){ hole, got };
		}
		i = hole + got;
	}
	if (rc) {
		for (size_t k = 0; k < nruns; k++)
			tmpfs_free_range(inode, runs[k].idx, runs[k].idx + runs[k].n);
	}
	free(runs);
	return rc;
}

/*
 * fallocate on tmpfs (shmem_fallocate): mode 0 and FALLOC_FL_KEEP_SIZE
 * allocate pages (all or none: -ENOSPC undoes the new ones), PUNCH_HOLE
 * frees whole pages and zeroes the partial ones at the edges. The VFS
 * checked off + len <= INT64_MAX (EFBIG).
 */
static int tmpfs_fallocate(struct file *f, int mode, uint64_t off, uint64_t len)
{
	struct inode *inode = f->inode;
	struct tmpfs_node *n = tmpfs_node(inode);
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (inode->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
			return -EPERM;
	} else if ((inode->seals & F_SEAL_GROW) && off + len > inode->size) {
		return -EPERM;
	}
	if (n->lower && !n->data_up) {
		int rc = ovl_copy_up_data(inode);
		if (rc)
			return rc;
	}
	uint64_t end = off + len;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		uint64_t first = (off + PAGE_SIZE - 1) / PAGE_SIZE, last = end / PAGE_SIZE;
		if (first > last) {
			zero_partial(n, off / PAGE_SIZE, off % PAGE_SIZE, end % PAGE_SIZE);
		} else {
			zero_partial(n, off / PAGE_SIZE, off % PAGE_SIZE,
				     first * PAGE_SIZE > off ? PAGE_SIZE : 0);
			zero_partial(n, last, 0, end % PAGE_SIZE);
			tmpfs_free_range(inode, first, last);
		}
		inode_touch(inode, false, true, true);
		return 0;
	}
	if (end > TMPFS_MAX_FILESIZE)
		return -EFBIG;
	uint64_t first = off / PAGE_SIZE, last = (end + PAGE_SIZE - 1) / PAGE_SIZE;
	struct super_block *sb = inode->sb;
	/* shmem_fallocate: a range larger than the whole file system never fits. */
	if (sb->bytes_limit && last - first > sb->bytes_limit / PAGE_SIZE)
		return -ENOSPC;
	int rc = falloc_range(inode, first, last);
	if (rc)
		return rc;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > inode->size) {
		inode->size = end;
		inode_touch(inode, false, true, true);
	} else {
		inode_touch(inode, false, false, true);
	}
	return 0;
}

/*
 * SEEK_DATA/SEEK_HOLE (vfs_lock held; the VFS checked 0 <= off < size):
 * Linux's mapping_seek_hole_data over the page tree, so a hole of any size
 * costs O(height). FALLOC pages are holes, as shmem's !uptodate folios.
 */
static int64_t tmpfs_seek_hole_data(struct file *f, int64_t off, int whence)
{
	struct inode *inode = f->inode;
	struct tmpfs_node *n = tmpfs_node(inode);
	uint64_t size = inode->size, start = (uint64_t)off;
	uint64_t end_idx = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	if (n->lower && !n->data_up)      /* the host's file: one extent, as other files */
		return whence == SEEK_DATA ? off : (int64_t)size;
	uint64_t i = start / PAGE_SIZE, idx, e;
	if (whence == SEEK_DATA) {
		while (ptree_next(&n->pages, i, &idx, &e) && idx < end_idx) {
			if (!(e & TMPFS_PG_FALLOC))
				return (int64_t)MAX(start, idx * PAGE_SIZE);
			i = idx + 1;
		}
		return -ENXIO;
	}
	uint64_t hole = MIN(ptree_next_hole(&n->pages, i), end_idx);
	/* A FALLOC page before the first missing one is the hole. */
	while (i < hole && ptree_next(&n->pages, i, &idx, &e) && idx < hole) {
		if (e & TMPFS_PG_FALLOC) {
			hole = idx;
			break;
		}
		i = idx + 1;
	}
	return (int64_t)MIN(MAX(start, hole * PAGE_SIZE), size);
}

static int tmpfs_open(struct dentry *d, struct file *f);

/* open("/proc/PID/fd/N") of a file on no mount (a memfd): open the same inode. */
static int tmpfs_reopen(struct file *orig, struct file *f)
{
	(void)orig;
	return tmpfs_open(f->dentry, f);
}

const struct file_ops tmpfs_reg_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.release = tmpfs_release,
	.fallocate = tmpfs_fallocate,
	.seek_hole_data = tmpfs_seek_hole_data,
	.reopen = tmpfs_reopen,
	.map_shared = tmpfs_map_shared,
	.map_page = tmpfs_map_page,
	.map_next = tmpfs_map_next,
	.map_pin = tmpfs_map_pin,
	.host_fd = tmpfs_host_fd,
	.mmappable = true,
};

static int tmpfs_open(struct dentry *d, struct file *f)
{
	struct inode *inode = d->inode;
	struct tmpfs_node *n = tmpfs_node(inode);
	if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode)) {
		return inode->fops ? 0 : -ENXIO;
	}
	if (S_ISFIFO(inode->mode))
		return pipe_fifo_open(inode, f);
	if (S_ISSOCK(inode->mode))
		return -ENXIO;
	if (!S_ISREG(inode->mode))
		return 0;
	if (n->lower && !n->data_up) {
		bool writes = (f->flags & O_ACCMODE) != O_RDONLY || (f->flags & O_TRUNC);
		if (writes)
			return ovl_copy_up_data(inode);
		struct tmpfs_file *tf = malloc(sizeof(*tf));
		if (!tf)
			return -ENOMEM;
		tf->lower_fd = ovl_open_lower(inode);
		if (tf->lower_fd < 0) {
			int rc = tf->lower_fd;
			free(tf);
			return rc;
		}
		f->priv = tf;
	}
	return 0;
}

/* ---- namespace ---- */

/* Insert a new entry for inode (consumes the caller's inode reference). */
static int add_child(struct dentry *dir, const char *name, struct inode *inode, struct dentry **out)
{
	struct dentry *old = dentry_find_child(dir, name);
	if (old)
		dentry_drop(old);   /* a whiteout being replaced */
	struct dentry *d = dentry_alloc(dir, name, inode);
	if (!d) {
		inode_put(inode);
		return -ENOMEM;
	}
	dentry_add_cached(d);
	dir->inode->size += BOGO_DIRENT_SIZE;
	inode_touch(dir->inode, false, true, true);
	if (out)
		*out = d;
	else
		dentry_put(d);
	return 0;
}

/* Remove victim from dir; leave a whiteout if the lower might show the name. */
static void remove_child(struct dentry *dir, struct dentry *victim)
{
	victim->dead = true;
	dentry_drop(victim);
	if (dir->inode->size >= BOGO_DIRENT_SIZE)
		dir->inode->size -= BOGO_DIRENT_SIZE;
	inode_touch(dir->inode, false, true, true);
	if (tmpfs_node(dir->inode)->lower) {
		struct dentry *w = dentry_alloc(dir, victim->name, NULL);
		if (w) {
			w->whiteout = true;
			dentry_add_cached(w);
			dentry_put(w);
		}
	}
}

static int tmpfs_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	if (tmpfs_node(dir->inode)->lower)
		return ovl_lookup_lower(dir, name, out);
	return -ENOENT;
}

static void init_owner(struct inode *inode, struct dentry *dir, const struct cred *c)
{
	/* A set-group-ID directory passes its group (and, to directories, the bit). */
	if (dir->inode->mode & S_ISGID) {
		inode->gid = dir->inode->gid;
		if (S_ISDIR(inode->mode))
			inode->mode |= S_ISGID;
	} else if (S_ISDIR(inode->mode)) {
		(void)c;
	}
}

static int tmpfs_mknod(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev,
		       const struct cred *c, struct dentry **out)
{
	if (inodes_full(dir->inode->sb))
		return -ENOSPC;
	struct inode *inode = tmpfs_new_inode(dir->inode->sb, mode, c);
	if (!inode)
		return -ENOMEM;
	inode->rdev = rdev;
	init_owner(inode, dir, c);
	return add_child(dir, name, inode, out);
}

/* O_TMPFILE: an unnamed file, like Linux's d_tmpfile ("#<ino>", nlink 0). */
static int tmpfs_tmpfile(struct dentry *dir, uint32_t mode, const struct cred *c,
			 struct dentry **out)
{
	if (inodes_full(dir->inode->sb))
		return -ENOSPC;
	struct inode *inode = tmpfs_new_inode(dir->inode->sb, mode, c);
	if (!inode)
		return -ENOMEM;
	init_owner(inode, dir, c);
	inode->nlink = 0;
	char name[32];
	snprintf(name, sizeof(name), "#%llu", (unsigned long long)inode->ino);
	struct dentry *d = dentry_alloc(dir, name, inode);
	if (!d) {
		inode_put(inode);
		return -ENOMEM;
	}
	d->dead = true;
	*out = d;
	return 0;
}

static int tmpfs_mkdir(struct dentry *dir, const char *name, uint32_t mode, const struct cred *c)
{
	if (inodes_full(dir->inode->sb))
		return -ENOSPC;
	struct inode *inode = tmpfs_new_inode(dir->inode->sb, S_IFDIR | mode, c);
	if (!inode)
		return -ENOMEM;
	init_owner(inode, dir, c);
	int rc = add_child(dir, name, inode, NULL);
	if (!rc)
		dir->inode->nlink++;
	return rc;
}

static int tmpfs_symlink(struct dentry *dir, const char *name, const char *target,
			 const struct cred *c)
{
	if (inodes_full(dir->inode->sb))
		return -ENOSPC;
	struct inode *inode = tmpfs_new_inode(dir->inode->sb, S_IFLNK | 0777, c);
	if (!inode)
		return -ENOMEM;
	struct tmpfs_node *n = tmpfs_node(inode);
	n->link = strdup(target);
	if (!n->link) {
		inode_put(inode);
		return -ENOMEM;
	}
	inode->size = strlen(target);
	init_owner(inode, dir, c);
	return add_child(dir, name, inode, NULL);
}

static int tmpfs_link(struct dentry *old, struct dentry *dir, const char *name)
{
	struct inode *inode = old->inode;
	if (inode->nlink >= 65000)
		return -EMLINK;
	inode_get(inode);
	int rc = add_child(dir, name, inode, NULL);
	if (!rc) {
		inode->nlink++;
		inode_touch(inode, false, false, true);
	}
	return rc;
}

static int tmpfs_unlink(struct dentry *dir, struct dentry *victim)
{
	struct inode *inode = victim->inode;
	if (inode->nlink)
		inode->nlink--;
	inode_touch(inode, false, false, true);
	remove_child(dir, victim);
	return 0;
}

static bool dir_empty(struct dentry *d)
{
	for (struct dentry *c = d->children; c; c = c->next)
		if (c->inode)
			return false;
	if (tmpfs_node(d->inode)->lower && ovl_lower_has_entries(d))
		return false;
	return true;
}

static int tmpfs_rmdir(struct dentry *dir, struct dentry *victim)
{
	if (!dir_empty(victim))
		return -ENOTEMPTY;
	victim->inode->nlink = 0;
	if (dir->inode->nlink > 2)
		dir->inode->nlink--;
	remove_child(dir, victim);
	return 0;
}

static int tmpfs_rename(struct dentry *odir, struct dentry *old, struct dentry *ndir,
			const char *newname, struct dentry *target)
{
	bool isdir = S_ISDIR(old->inode->mode);
	/* Like overlayfs without redirect_dir: lower directories cannot move. */
	if (isdir && tmpfs_node(old->inode)->lower)
		return -EXDEV;
	if (target) {
		if (S_ISDIR(target->inode->mode)) {
			if (!dir_empty(target))
				return -ENOTEMPTY;
			int rc = tmpfs_rmdir(ndir, target);
			if (rc)
				return rc;
		} else {
			tmpfs_unlink(ndir, target);
		}
	}
	char *nname = strdup(newname);
	if (!nname)
		return -ENOMEM;
	/* Move the dentry itself (like d_move) so open files and cwds follow it. */
	dentry_get(old);
	char *oname = old->name;
	dentry_drop(old);
	if (odir->inode->size >= BOGO_DIRENT_SIZE)
		odir->inode->size -= BOGO_DIRENT_SIZE;
	if (tmpfs_node(odir->inode)->lower) {
		struct dentry *w = dentry_alloc(odir, oname, NULL);
		if (w) {
			w->whiteout = true;
			dentry_add_cached(w);
			dentry_put(w);
		}
	}
	free(oname);
	old->name = nname;
	struct dentry *wh = dentry_find_child(ndir, newname);
	if (wh)
		dentry_drop(wh);
	if (odir != ndir) {
		dentry_get(ndir);
		old->parent = ndir;
		dentry_put(odir);
		if (isdir) {
			odir->inode->nlink--;
			ndir->inode->nlink++;
		}
	}
	dentry_add_cached(old);
	dentry_put(old);
	ndir->inode->size += BOGO_DIRENT_SIZE;
	inode_touch(odir->inode, false, true, true);
	inode_touch(ndir->inode, false, true, true);
	inode_touch(old->inode, false, false, true);
	return 0;
}

static long tmpfs_readlink(struct dentry *d, char *buf, size_t cap)
{
	struct tmpfs_node *n = tmpfs_node(d->inode);
	if (n->link) {
		size_t len = MIN(strlen(n->link), cap);
		memcpy(buf, n->link, len);
		return (long)len;
	}
	if (n->lower)
		return hostfs_readlink(n->lower, buf, cap);
	return -EINVAL;
}

static int tmpfs_setattr(struct dentry *d, const struct vfs_attr *a)
{
	struct inode *inode = d->inode;
	struct tmpfs_node *n = tmpfs_node(inode);
	if ((a->mask & ATTR_SIZE) &&
	    (((inode->seals & F_SEAL_SHRINK) && a->size < inode->size) ||
	     ((inode->seals & F_SEAL_GROW) && a->size > inode->size)))
		return -EPERM;
	if ((a->mask & ATTR_MODE) && (inode->seals & F_SEAL_EXEC) &&
	    ((inode->mode ^ a->mode) & 0111))
		return -EPERM;
	if (a->mask & ATTR_SIZE) {
		if (n->lower && !n->data_up) {
			int rc = ovl_copy_up_data(inode);
			if (rc)
				return rc;
		}
		int rc = tmpfs_truncate(inode, a->size);
		if (rc)
			return rc;
	}
	if (a->mask & ATTR_MODE)
		inode->mode = (inode->mode & S_IFMT) | (a->mode & 07777);
	if (a->mask & ATTR_UID)
		inode->uid = a->uid;
	if (a->mask & ATTR_GID)
		inode->gid = a->gid;
	if (a->mask & ATTR_ATIME)
		inode->atime = a->atime;
	if (a->mask & ATTR_MTIME)
		inode->mtime = a->mtime;
	if (a->mask & ATTR_CTIME)
		inode->ctime = vfs_now();
	return 0;
}

static int tmpfs_readdir(struct dentry *d, vfs_emit_fn emit, void *ctx)
{
	for (struct dentry *c = d->children; c; c = c->next) {
		if (!c->inode)
			continue;
		if (emit(ctx, c->name, c->inode->ino, vfs_dtype(c->inode->mode)))
			return 0;
	}
	if (tmpfs_node(d->inode)->lower)
		return ovl_readdir_lower(d, emit, ctx);
	return 0;
}

const struct inode_ops tmpfs_iops = {
	.lookup = tmpfs_lookup,
	.mknod = tmpfs_mknod,
	.tmpfile = tmpfs_tmpfile,
	.mkdir = tmpfs_mkdir,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.readlink = tmpfs_readlink,
	.setattr = tmpfs_setattr,
	.open = tmpfs_open,
	.readdir = tmpfs_readdir,
};

/* ---- boot-time helpers (devfs, sysfs) ---- */

int tmpfs_add_node(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev,
		   const struct file_ops *fops, struct dentry **out)
{
	vfs_lock();
	struct inode *inode = tmpfs_new_inode(dir->inode->sb, mode, NULL);
	int rc = -ENOMEM;
	if (inode) {
		inode->rdev = rdev;
		inode->fops = fops;
		rc = add_child(dir, name, inode, out);
	}
	vfs_unlock();
	return rc;
}

int tmpfs_add_file(struct dentry *dir, const char *name, uint32_t mode, const char *text)
{
	struct dentry *d;
	int rc = tmpfs_add_node(dir, name, S_IFREG | mode, 0, &tmpfs_reg_fops, &d);
	if (rc)
		return rc;
	vfs_lock();
	int w = tmpfs_write_data(d->inode, text, strlen(text), 0);
	vfs_unlock();
	dentry_put(d);
	return w < 0 ? w : 0;
}

int tmpfs_add_dir(struct dentry *dir, const char *name, uint32_t mode, struct dentry **out)
{
	vfs_lock();
	struct inode *inode = tmpfs_new_inode(dir->inode->sb, S_IFDIR | mode, NULL);
	int rc = -ENOMEM;
	if (inode) {
		rc = add_child(dir, name, inode, out);
		if (!rc)
			dir->inode->nlink++;
	}
	vfs_unlock();
	return rc;
}

int tmpfs_add_symlink(struct dentry *dir, const char *name, const char *target)
{
	struct cred c;
	cred_init_root(&c);
	vfs_lock();
	int rc = tmpfs_symlink(dir, name, target, &c);
	vfs_unlock();
	return rc;
}
