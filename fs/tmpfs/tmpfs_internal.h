/*
 * tmpfs internals, shared with the overlay (fs/overlay/), which is a tmpfs
 * whose inodes may be backed by a read-only lower hostfs node.
 */
#ifndef FS_TMPFS_TMPFS_INTERNAL_H
#define FS_TMPFS_TMPFS_INTERNAL_H

#include "fs/vfs_internal.h"
#include "fs/hostfs/hostfs.h"
#include "fs/page_tree.h"

/* tmpfs's s_maxbytes: MAX_LFS_FILESIZE (LLONG_MAX), as Linux's shmem. */
#define TMPFS_MAX_FILESIZE INT64_MAX

/*
 * Entries of tmpfs_node.pages: a MemoryFile offset (page aligned) with
 * flags in the low bits. PRESENT is in every entry, so an entry is never 0
 * (0 is "no page" in the tree, and offset 0 is a valid MemoryFile page).
 * FALLOC marks a page fallocate allocated and nothing has written yet: it
 * reads as zeros and SEEK_DATA/SEEK_HOLE see a hole there, as Linux's
 * shmem (a !uptodate folio); a write or a mapping fault clears it.
 */
#define TMPFS_PG_PRESENT 1ULL
#define TMPFS_PG_FALLOC 2ULL

/*
 * Per-inode tmpfs state (inode->priv). All fields under vfs_lock.
 *
 * A regular file's data is `pages`, a sparse radix tree (page_tree.h)
 * from page index to entry (above): pages are allocated one run at a
 * time as they are written, faulted or fallocated, and charged to
 * sb->bytes_used (and st_blocks); a missing index is a hole and reads as
 * zeros. The tree costs ~8 bytes per page of a dense range and at most 9
 * nodes of 520 bytes for an isolated page (pages scattered over the whole
 * range: about their own size in sentry heap, bounded by the tmpfs size
 * limit); nothing depends on how far out a page is, so a byte at 2^62
 * costs one page and a few nodes.
 * Lookups are O(height) (at most 9 levels; 3 for a 1 GiB file); the next
 * page or hole from an index is found in O(height) through each node's
 * bitmap of used slots, which SEEK_DATA/SEEK_HOLE, truncate, hole
 * punching and fallocate use to skip holes of any size.
 */
struct tmpfs_node {
	struct hostfs_node *lower;     /* overlay: the lower object (reference), or NULL */
	bool data_up;                  /* regular file: data lives in pages (copied up) */
	struct page_tree pages;
	char *link;                    /* symlink target (upper) */
	/*
	 * Shared mappings of the file's pages (VMAs; sentry/mm.c). While any
	 * exist, pages the file drops (truncate, hole punch) are set aside in
	 * `orphans` instead of freed, since stubs may still map them; they are
	 * freed with the last mapping.
	 */
	int mapcount;
	int wmapcount;                 /* of those, mappings of files open for writing (seals) */
	uint64_t *orphans;
	size_t norphans, orphans_cap;
	/*
	 * A file written sequentially past its first 2 MiB, or in writes of
	 * 2 MiB or more, takes its pages in huge MemoryFile chunks
	 * (mf_alloc_huge: 2 MiB, one huge page on hosts that allow it). The
	 * pages of the last chunk nothing wrote yet are its spare: file pages
	 * spare_idx.. get MemoryFile pages spare_off.. (spare_n of them) as
	 * the writes reach them. They are not data (neither st_blocks nor
	 * statfs count them) but take room under the size limit (sb_room), so
	 * the MemoryFile never holds more than the limit; they are dropped at truncation,
	 * hole punching, a writer's close, a write elsewhere, and when the
	 * file system runs out of room. At most TMPFS_MAX_SPARES files hold
	 * one at a time (tmpfs.c).
	 */
	uint64_t spare_idx, spare_off, spare_n;
};

struct tmpfs_lower {
	struct hostfs_node *root;
};

extern const struct inode_ops tmpfs_iops;
extern const struct file_ops tmpfs_reg_fops;

struct tmpfs_node *tmpfs_node(struct inode *inode);
/* A new inode with tmpfs state; owner from cred (NULL: root). */
struct inode *tmpfs_new_inode(struct super_block *sb, uint32_t mode, const struct cred *c);

/* ---- overlay hooks (fs/overlay/overlay.c) ---- */
/* Instantiate the lower entry `name` of dir (a lower-backed directory). */
int ovl_lookup_lower(struct dentry *dir, const char *name, struct dentry **out);
/* List lower entries that the upper cache does not name. */
int ovl_readdir_lower(struct dentry *dir, vfs_emit_fn emit, void *ctx);
/* True if the lower directory has entries that are not whited out. */
bool ovl_lower_has_entries(struct dentry *dir);
/* Copy a lower regular file's data into pages; 0 or -errno (-ENOSPC). */
int ovl_copy_up_data(struct inode *inode);
/* An O_RDONLY host fd of the lower file (caller closes). */
int ovl_open_lower(struct inode *inode);

/* Data helpers (tmpfs.c). */
int tmpfs_write_data(struct inode *inode, const void *buf, size_t len, uint64_t off);
int tmpfs_truncate(struct inode *inode, uint64_t size);

#endif
