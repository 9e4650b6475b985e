/*
 * hostfs: a read-only view of a host directory, used as the overlay's
 * lower layer. Host files are reached only one component at a time,
 * relative to a held O_PATH directory fd, with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS) or fstatat/readlinkat with
 * AT_SYMLINK_NOFOLLOW, so a resolution bug cannot escape the root.
 */
#ifndef FS_HOSTFS_HOSTFS_H
#define FS_HOSTFS_HOSTFS_H

#include <sys/stat.h>
#include "fs/vfs_internal.h"

/*
 * One host object. References: the overlay inode wrapping it, and each
 * child (a node holds its parent, whose fd reaches it). Directories hold
 * an O_PATH fd (closed when the node dies); others hold none.
 */
struct hostfs_node {
	int refs;                      /* atomic */
	int fd;                        /* O_PATH|O_DIRECTORY for directories, else -1 */
	struct hostfs_node *parent;
	char *name;
	struct stat st;                /* as fstatat reported it at lookup */
};

/* Open the host directory path as the root node; 0 or -errno. */
int hostfs_open_root(const char *path, struct hostfs_node **out);
void hostfs_node_get(struct hostfs_node *n);
void hostfs_node_put(struct hostfs_node *n);
/*
 * Look up one component (no '/', not "." or ".."). Hidden directories
 * (procfs, sysfs, devtmpfs, ... mounted on the host) give -ENOENT. Needs
 * no vfs_lock: it uses only dir's host fd (kept open by the caller's
 * reference on dir) and memory of its own.
 */
int hostfs_lookup(struct hostfs_node *dir, const char *name, struct hostfs_node **out);
/* List a directory without "." and ".." (hidden mountpoints skipped). */
int hostfs_readdir(struct hostfs_node *dir, vfs_emit_fn emit, void *ctx);
/* The text of a symlink; length or -errno. */
long hostfs_readlink(struct hostfs_node *n, char *buf, size_t cap);
/*
 * Open a regular file for reading: a new O_RDONLY|O_CLOEXEC host fd, or
 * -EACCES for devices, FIFOs and sockets (never opened on the host).
 */
int hostfs_open_file(struct hostfs_node *n);

/* ---- helpers shared with the writable hostfs (hostfs_rw.c) ---- */
/*
 * openat2 of one component name beneath dirfd, never following a symlink
 * (O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS),
 * O_CLOEXEC added. A new host fd or -errno (-ELOOP for a symlink).
 */
int hostfs_openat2(int dirfd, const char *name, uint64_t flags);
/* True for a host pseudo file system (procfs, sysfs, devtmpfs...) that must never show through. */
bool hostfs_hidden_fs(int fd, dev_t dev);
/* List the host directory dirfd (on device dirdev) as hostfs_readdir does. */
int hostfs_readdir_fd(int dirfd, dev_t dirdev, vfs_emit_fn emit, void *ctx);

/*
 * ---- hostfs_rw: the writable host bind (hostfs_rw.c) ----
 * A file system over the host directory or regular file host_path (the
 * CLI's path, symlinks in it followed once, here, as `mount --bind` does):
 * every guest operation is done on the host, relative to held directory
 * fds, one component at a time, never following a host symlink. readonly
 * makes the super block read-only (EROFS even after a guest remount,rw).
 * Returns 0 with the super block and its root dentry (one reference).
 */
int hostfs_rw_create_root(const char *host_path, bool readonly, struct super_block **sb,
			  struct dentry **root);
/*
 * Write the pages of every hostfs_rw file's shared mappings back to the
 * host files (vfs_sync_all); 0 or the first error.
 */
int hostfs_rw_sync_all(void);

#endif
