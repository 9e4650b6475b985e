/*
 * overlay: the default root. A tmpfs (the upper layer) whose inodes may be
 * backed by a read-only hostfs node (the lower layer):
 *   - lookups that miss the upper dentry cache consult the lower directory
 *     and instantiate a lower-backed inode (st_ino is the host's, and stays
 *     the same after copy-up because copy-up happens inside the same inode);
 *   - metadata changes (mode, owner, times) are made on the inode itself:
 *     that is the metadata copy-up;
 *   - data copy-up copies the host file into MemoryFile pages the first
 *     time the file is opened for writing or truncated;
 *   - deletes leave whiteout dentries (negative cached entries) in
 *     directories that have a lower; a directory made after rmdir has no
 *     lower, so it is opaque;
 *   - readdir merges the upper entries with the lower ones not shadowed;
 *   - renaming a directory that exists in the lower gives -EXDEV (as
 *     overlayfs without redirect_dir; `mv` falls back to copying).
 * Nothing is ever written to the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include "fs/tmpfs/tmpfs_internal.h"

/* Upper-only inode numbers start here, away from the host's. */
#define OVL_UPPER_INO_BASE (1ULL << 40)

static struct inode *wrap_lower(struct super_block *sb, struct hostfs_node *ln)
{
	const struct stat *st = &ln->st;
	struct inode *inode = tmpfs_new_inode(sb, st->st_mode, NULL);
	if (!inode)
		return NULL;
	sb->next_ino--;                /* the host's number is used instead */
	struct tmpfs_node *n = tmpfs_node(inode);
	n->lower = ln;
	inode->ino = st->st_ino;
	inode->mode = st->st_mode;
	inode->uid = st->st_uid;
	inode->gid = st->st_gid;
	inode->nlink = st->st_nlink;
	inode->size = st->st_size;
	inode->blocks = st->st_blocks;
	inode->blksize = st->st_blksize;
	inode->rdev = st->st_rdev;
	inode->atime = st->st_atim;
	inode->mtime = st->st_mtim;
	inode->ctime = st->st_ctim;
	if (!S_ISREG(st->st_mode))
		inode->fops = NULL;
	return inode;
}

int ovl_lookup_lower(struct dentry *dir, const char *name, struct dentry **out)
{
	/* A directory's lower node is fixed for its inode's life, which the walk holds. */
	struct hostfs_node *ln = NULL;
	bool unlocked = vfs_unlock_for_lookup(dir);
	int rc = hostfs_lookup(tmpfs_node(dir->inode)->lower, name, &ln);
	if (unlocked) {
		vfs_lock();
		/*
		 * Another thread may have changed dir meanwhile: what it left cached
		 * for name (an unlink or rename leaves a whiteout) wins over the
		 * host's answer, and a removed directory has nothing.
		 */
		int cached = dentry_lookup_cached(dir, name, out);
		if (cached <= 0 || dir->dead) {
			if (ln)
				hostfs_node_put(ln);
			return cached <= 0 ? cached : -ENOENT;
		}
	}
	if (rc)
		return rc == -ENOTDIR ? -ENOENT : rc;
	struct inode *inode = wrap_lower(dir->inode->sb, ln);
	if (!inode) {
		hostfs_node_put(ln);
		return -ENOMEM;
	}
	struct dentry *d = dentry_alloc(dir, name, inode);
	if (!d) {
		inode_put(inode);
		return -ENOMEM;
	}
	dentry_add_cached(d);
	*out = d;
	return 0;
}

struct merge_ctx {
	struct dentry *dir;
	vfs_emit_fn emit;
	void *ctx;
	bool found;
};

static int merge_emit(void *p, const char *name, uint64_t ino, unsigned dtype)
{
	struct merge_ctx *m = p;
	if (dentry_find_child(m->dir, name))
		return 0;              /* shadowed by an upper entry or a whiteout */
	return m->emit(m->ctx, name, ino, dtype);
}

int ovl_readdir_lower(struct dentry *dir, vfs_emit_fn emit, void *ctx)
{
	struct merge_ctx m = { dir, emit, ctx, false };
	int rc = hostfs_readdir(tmpfs_node(dir->inode)->lower, merge_emit, &m);
	/* An unreadable lower directory lists as its upper part only. */
	return rc == -EACCES ? 0 : rc;
}

static int found_emit(void *p, const char *name, uint64_t ino, unsigned dtype)
{
	struct merge_ctx *m = p;
	m->found = true;
	return 1;
}

bool ovl_lower_has_entries(struct dentry *dir)
{
	struct merge_ctx m = { 0 };
	ovl_readdir_lower(dir, found_emit, &m);
	return m.found;
}

int ovl_open_lower(struct inode *inode)
{
	return hostfs_open_file(tmpfs_node(inode)->lower);
}

static bool page_is_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int ovl_copy_up_data(struct inode *inode)
{
	struct tmpfs_node *n = tmpfs_node(inode);
	if (!n->lower || n->data_up || !S_ISREG(inode->mode))
		return 0;
	int fd = ovl_open_lower(inode);
	if (fd < 0)
		return fd;
	uint64_t lower_size = inode->size;
	uint64_t lower_blocks = inode->blocks;
	inode->size = 0;
	inode->blocks = 0;
	char *buf = malloc(65536);
	int rc = buf ? 0 : -ENOMEM;
	uint64_t off = 0;
	while (!rc) {
		/* Skip the host file's holes (a sparse file costs its data, not its size). */
		off_t data = lseek(fd, (off_t)off, SEEK_DATA);
		if (data < 0 && errno == ENXIO) {
			struct stat st;
			if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > off)
				off = (uint64_t)st.st_size;
			break;
		}
		if (data > (off_t)off)
			off = (uint64_t)data;
		ssize_t r = pread(fd, buf, 65536, off);
		if (r < 0) {
			rc = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (r == 0)
			break;
		/* Keep holes: all-zero pages are not stored; runs of others are written at once. */
		for (ssize_t at = 0; at < r && !rc;) {
			ssize_t end = at;
			while (end < r && !page_is_zero(buf + end, MIN(PAGE_SIZE, (size_t)(r - end))))
				end += MIN(PAGE_SIZE, (size_t)(r - end));
			if (end > at) {
				int w = tmpfs_write_data(inode, buf + at, end - at, off + at);
				if (w < 0)
					rc = w;
				else if (w < end - at)
					rc = -ENOSPC;
			}
			at = end + (end < r ? MIN(PAGE_SIZE, (size_t)(r - end)) : 0);
		}
		off += r;
	}
	free(buf);
	close(fd);
	if (rc) {
		tmpfs_truncate(inode, 0);
		inode->size = lower_size;
		inode->blocks = lower_blocks;
		return rc;
	}
	inode->size = off;
	n->data_up = true;
	return 0;
}

int overlay_create_root(const char *hostdir, uint64_t limit, struct super_block **sbp,
			struct dentry **rootp)
{
	struct hostfs_node *hroot;
	int rc = hostfs_open_root(hostdir, &hroot);
	if (rc)
		return rc;
	struct super_block *sb = tmpfs_create_sb(limit, "overlay", OVERLAYFS_SUPER_MAGIC);
	if (!sb) {
		hostfs_node_put(hroot);
		return -ENOMEM;
	}
	sb->next_ino = OVL_UPPER_INO_BASE;
	struct tmpfs_lower lower = { hroot };
	vfs_lock();
	struct dentry *root = tmpfs_make_root(sb, 0755, &lower);
	vfs_unlock();
	hostfs_node_put(hroot);
	if (!root)
		return -ENOMEM;
	*sbp = sb;
	*rootp = root;
	return 0;
}
