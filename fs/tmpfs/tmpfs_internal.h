/*
 * tmpfs internals, shared with the overlay (fs/overlay/), which is a tmpfs
 * whose inodes may be backed by a read-only lower hostfs node.
 */
#ifndef FS_TMPFS_TMPFS_INTERNAL_H
#define FS_TMPFS_TMPFS_INTERNAL_H

#include "fs/vfs_internal.h"
#include "fs/hostfs/hostfs.h"

#define TMPFS_HOLE UINT64_MAX

/*
 * Per-inode tmpfs state (inode->priv). All fields under vfs_lock.
 * A regular file's data is a page array of MemoryFile offsets (TMPFS_HOLE
 * for holes), allocated page by page and charged to sb->bytes_used.
 */
struct tmpfs_node {
	struct hostfs_node *lower;     /* overlay: the lower object (reference), or NULL */
	bool data_up;                  /* regular file: data lives in pages (copied up) */
	uint64_t *pages;
	size_t npages;                 /* entries in pages */
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
