/* Socket inodes in the VFS, for AF_UNIX binding (fs/socknode.c). */
#ifndef FS_SOCKNODE_H
#define FS_SOCKNODE_H

#include "fs/vfs.h"

struct path;
struct inode;

/*
 * bind(2) of an AF_UNIX path: create an S_IFSOCK node (0777 & ~umask) at
 * path. *out receives the node's path (references). -EADDRINUSE if the
 * name exists; resolution and permission errors as mknod.
 */
int vfs_socket_bind(struct fs_context *fs, const struct cred *cred, const char *path,
		    struct path *out);

/*
 * connect(2)/sendto(2) to an AF_UNIX path: resolve it (following links),
 * require write permission, and return the socket inode with a reference;
 * -ECONNREFUSED if it is not a socket.
 */
int vfs_socket_find(struct fs_context *fs, const struct cred *cred, const char *path,
		    struct inode **out);

/* Drop what the two calls above returned (either may be NULL). Takes vfs_lock. */
void vfs_socket_put(struct path *p, struct inode *inode);

#endif
