/*
 * hostfs_rw's page cache (internal to fs/hostfs/): the MemoryFile pages
 * that MAP_SHARED mappings of one host file map, as gVisor's caching inode
 * operations keep for host files. It exists while the file has shared
 * mappings; everything here runs under vfs_lock.
 */
#ifndef FS_HOSTFS_HOSTFS_RW_CACHE_H
#define FS_HOSTFS_HOSTFS_RW_CACHE_H

#include <sys/uio.h>
#include "sentry/types.h"

struct hrw_cache;

/*
 * A cache for the host file open as hostfd (duplicated: the cache owns its
 * copy), of size bytes. writable: hostfd may write (write-back needs it).
 * 0 and *out, or -errno.
 */
int hrw_cache_create(int hostfd, bool writable, uint64_t size, struct hrw_cache **out);

/* A writable file maps it: write back through a copy of hostfd from now on; 0 or -errno. */
int hrw_cache_make_writable(struct hrw_cache *c, int hostfd);

/* Write every dirty page back, then free the cache and its pages; the write-back result. */
int hrw_cache_destroy(struct hrw_cache *c);

/*
 * The MemoryFile offset of page pgoff, read in from the host file if
 * create (with its neighbours up to a 64 KiB block); -ENOENT if not
 * cached and !create, -ENXIO past the end of the file, -ENOMEM past the
 * sandbox's memory limit, or the host's read error.
 */
int hrw_cache_page(struct hrw_cache *c, uint64_t pgoff, bool create, uint64_t *mf_off);
/* The first cached page >= pgoff (UINT64_MAX: none). */
uint64_t hrw_cache_next(struct hrw_cache *c, uint64_t pgoff);

/*
 * A shared mapping starts (+1) or ends (-1); writable: the mapping's file
 * is open for writing. The last writable mapping's end writes dirty pages
 * back. True if no mapping is left (the caller destroys the cache).
 */
bool hrw_cache_pin(struct hrw_cache *c, int delta, bool writable);

/* Write dirty pages back to the host file (not fsync'd); 0 or -errno. */
int hrw_cache_writeback(struct hrw_cache *c);

/* n bytes were read from the host at off into iov: cached pages replace theirs. */
void hrw_cache_after_read(struct hrw_cache *c, const struct iovec *iov, int iovcnt, uint64_t off,
			  size_t n);

/* n bytes of iov were written to the host at off: cached pages take them too. */
void hrw_cache_after_write(struct hrw_cache *c, const struct iovec *iov, int iovcnt,
			   uint64_t off, size_t n);

/*
 * The file's size is now size (truncate, fallocate): pages past it are
 * dropped (touching them is SIGBUS), the partial last page's tail zeroed.
 */
void hrw_cache_resize(struct hrw_cache *c, uint64_t size);

/* Zero [off, off+len) of the cached pages (a hole punched or zeroed on the host). */
void hrw_cache_zero(struct hrw_cache *c, uint64_t off, uint64_t len);

/* Drop every page (the host moved data around: collapse/insert range). */
void hrw_cache_invalidate(struct hrw_cache *c);

/* The size the cache holds the file to be. */
uint64_t hrw_cache_size(struct hrw_cache *c);

#endif
