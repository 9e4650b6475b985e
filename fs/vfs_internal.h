/*
 * The VFS's internal interface: super blocks, inodes, dentries, mounts,
 * open files, and the operations each file system implements. Only fs/
 * includes this header. See fs/README.md for the invariants and locks.
 */
#ifndef FS_VFS_INTERNAL_H
#define FS_VFS_INTERNAL_H

#include <pthread.h>
#include <sys/statfs.h>
#include <time.h>
#include "fs/vfs.h"
#include "sentry/fasync.h"
#include "sentry/waitq.h"

#define VFS_PATH_MAX 4096
#define VFS_NAME_MAX 255
#define VFS_MAXSYMLINKS 40

/*
 * The one VFS lock (recursive). It protects every super block, inode,
 * dentry and mount field, the mount list, file positions and the data of
 * in-memory files. It is never held while a host call may block
 * indefinitely (host-fd reads of terminals and pipes run without it) nor
 * across a platform switch. fd_table.lock is a leaf lock: it is never
 * held while taking vfs_lock (see fs/README.md for the whole order).
 */
struct inode;
struct dentry;
struct mount;

void vfs_lock(void);
void vfs_unlock(void);
/*
 * For a lookup op in dir about to make host calls (a cold overlay
 * lookup): if it is a path walk's lookup in dir (vfs_walk_lookup) and the
 * walk's own hold is this thread's only one, release vfs_lock and return
 * true. The op then relocks with vfs_lock and checks again what it found
 * (the directory's cached children, whether it still lives), so that
 * threads walking cold paths together do not wait on each other's host
 * calls. Other callers of dentry_lookup (create, rename...) keep the lock
 * throughout, as their checks need.
 */
bool vfs_unlock_for_lookup(struct dentry *dir);

/* A mounted file system instance. Never freed (lives as long as the sandbox). */
struct super_block {
	const char *fstype;            /* "tmpfs", "overlay", "proc", ... */
	uint64_t dev;                  /* virtual st_dev */
	uint32_t magic;                /* statfs f_type */
	bool readonly;                 /* EROFS for modifications */
	bool xattr;                    /* stores extended attributes (fs/xattr.c) */
	uint64_t next_ino;             /* for synthetic inodes */
	uint64_t bytes_limit;          /* tmpfs: data bytes allowed (0: none) */
	uint64_t bytes_used;           /* tmpfs: data bytes allocated */
	uint64_t inodes;               /* live inode count, for statfs */
	void *priv;
};

/* Fields a setattr call changes (vfs_attr.mask). */
#define ATTR_MODE 0x1
#define ATTR_UID 0x2
#define ATTR_GID 0x4
#define ATTR_SIZE 0x8
#define ATTR_ATIME 0x10
#define ATTR_MTIME 0x20
#define ATTR_CTIME 0x40

struct vfs_attr {
	unsigned mask;
	uint32_t mode, uid, gid;
	uint64_t size;
	struct timespec atime, mtime;
};

/* The callback through which a directory lists itself. Nonzero stops. */
typedef int (*vfs_emit_fn)(void *ctx, const char *name, uint64_t ino, unsigned dtype);

/*
 * Inode operations. All are called with vfs_lock held (lookup may drop it
 * for its host calls: vfs_unlock_for_lookup), after the generic
 * layer checked permissions, read-only mounts and name validity. NULL
 * entries mean the operation is not supported (-EPERM / -EINVAL as Linux).
 */
struct inode_ops {
	/* Find name in directory dir; a new dentry (one reference) or -ENOENT. */
	int (*lookup)(struct dentry *dir, const char *name, struct dentry **out);
	/* Create a regular file / device / fifo; a new dentry (reference) in *out. */
	int (*mknod)(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev,
		     const struct cred *c, struct dentry **out);
	int (*mkdir)(struct dentry *dir, const char *name, uint32_t mode, const struct cred *c);
	int (*symlink)(struct dentry *dir, const char *name, const char *target,
		       const struct cred *c);
	int (*link)(struct dentry *old, struct dentry *dir, const char *name);
	int (*unlink)(struct dentry *dir, struct dentry *victim);
	int (*rmdir)(struct dentry *dir, struct dentry *victim);
	/* target: the existing dentry at the new name, or NULL. */
	int (*rename)(struct dentry *odir, struct dentry *old, struct dentry *ndir,
		      const char *newname, struct dentry *target);
	long (*readlink)(struct dentry *d, char *buf, size_t cap);
	int (*setattr)(struct dentry *d, const struct vfs_attr *attr);
	/* Refresh inode fields before stat (procfs sizes...); optional. */
	void (*refresh)(struct dentry *d);
	/* Set up an open file: f->fops, f->priv. */
	int (*open)(struct dentry *d, struct file *f);
	/* List the directory (without "." and ".."). */
	int (*readdir)(struct dentry *d, vfs_emit_fn emit, void *ctx);
	int (*statfs)(struct dentry *d, struct statfs *st);
	/*
	 * O_TMPFILE: a new unnamed regular file in dir (a dead dentry that is
	 * in no directory, one reference, nlink 0) in *out.
	 */
	int (*tmpfile)(struct dentry *dir, uint32_t mode, const struct cred *c,
		       struct dentry **out);
	/* Per-file-system hook: the text of a magic link's target (procfs). */
	int (*get_link_path)(struct dentry *d, struct mount **mnt, struct dentry **target);
};

/*
 * An inode. References: every dentry naming it, every open file.
 * Freed (iops->... data released through sb-specific destroy) at 0.
 */
struct inode {
	int refs;
	struct super_block *sb;
	uint64_t ino;
	uint32_t mode;
	uint32_t uid, gid;
	uint32_t nlink;
	uint64_t size;
	uint64_t blocks;               /* 512-byte blocks */
	uint32_t blksize;
	uint64_t rdev;
	struct timespec atime, mtime, ctime, btime;
	const struct inode_ops *iops;
	const struct file_ops *fops;   /* default file ops for open */
	void (*destroy)(struct inode *inode);   /* frees priv; optional */
	void *priv;
	struct lock_ctx *locks;        /* fs/locks.c: record locks and flock(2) holders */
	struct vfs_xattr *xattrs;      /* extended attributes (vfs_lock), fs/xattr.c */
	struct inotify_mark *marks;    /* inotify watches on this inode (vfs_lock), fs/inotify.c */
	void *fifo;                    /* named FIFO: its pipe while open (vfs_lock), fs/pipe.c */
	bool linkable;                 /* O_TMPFILE without O_EXCL: linkat may name it */
	uint32_t seals;                /* memfd F_SEAL_* bits (vfs_lock) */
	bool sealable;                 /* memfd: F_ADD_SEALS/F_GET_SEALS apply */
};

/*
 * A dentry: a name in a directory. References: its children (each holds
 * its parent), the parent's children list when `cached` (the cache and,
 * for tmpfs, the namespace itself), open files, cwd/root, mounts (root and
 * mountpoint), and transient walkers. A dentry holds its inode and parent.
 */
struct dentry {
	int refs;
	char *name;
	struct dentry *parent;         /* NULL only for a file system root */
	struct inode *inode;           /* NULL: negative (a whiteout if cached) */
	struct dentry *children;       /* cached children, newest first */
	struct dentry *next;           /* sibling in parent's children */
	struct dentry **pprev;         /* the link pointing at this one (O(1) removal) */
	/*
	 * A directory with many cached children also indexes them by name
	 * (dentry_find_child would otherwise scan: quadratic for a directory
	 * of 100,000 files). Built at DCHILD_INDEX_MIN children, doubled as
	 * they grow; freed with the dentry.
	 */
	struct dchild_index *index;
	struct dentry *hnext;          /* next in the parent's index bucket */
	uint32_t hash;                 /* of name, while cached */
	uint32_t nchildren;            /* cached children */
	bool cached;                   /* in parent's children list */
	bool whiteout;                 /* overlay: hides the lower entry */
	bool dead;                     /* unlinked / removed */
	int mounted;                   /* mounts on this dentry */
	void *priv;                    /* per file system (procfs) */
	struct file *anon_file;        /* procfs fd link to a pathless file (reference) */
};

/* A mount: a super block's root dentry attached at a mountpoint. Never freed. */
struct mount {
	struct super_block *sb;
	struct dentry *root;           /* holds a reference */
	struct mount *parent;          /* NULL for the root mount */
	struct dentry *mountpoint;     /* holds a reference; in parent */
	int flags;                     /* MS_RDONLY, MS_NOEXEC, MS_NOSUID, ... */
	const char *source;            /* for /proc/mounts */
	struct mount *next;            /* global list */
};

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

/*
 * File operations. Called with vfs_lock held unless `unlocked` (host fds,
 * pipes: they may block). `off` is the explicit position; the generic
 * layer keeps f->pos for position-less calls.
 */
struct file_ops {
	ssize_t (*read)(struct file *f, const struct iovec *iov, int iovcnt, int64_t off);
	ssize_t (*write)(struct file *f, const struct iovec *iov, int iovcnt, int64_t off);
	long (*ioctl)(struct file *f, struct task *t, unsigned cmd, uint64_t arg);
	int (*fstat)(struct file *f, struct stat *st);     /* optional override */
	void (*release)(struct file *f);
	int (*fsync)(struct file *f);
	/* Optional lseek override (host fds); the result or -errno. */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* Open f as a new description of orig (open("/proc/self/fd/N")); optional. */
	int (*reopen)(struct file *orig, struct file *f);
	/*
	 * The ready mask (POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP...);
	 * when w is non-NULL also link w on the file's wait queue(s) so that
	 * any change wakes it. Called without vfs_lock. NULL: always ready
	 * (DEFAULT_POLLMASK, as Linux for files without a poll method).
	 */
	uint32_t (*poll)(struct file *f, struct waiter *w);
	/*
	 * MAP_SHARED mappings of files whose data lives in the MemoryFile
	 * (tmpfs, the overlay's upper layer) or is cached there (hostfs_rw).
	 * map_shared: 1 if a shared
	 * mapping (writable or not) must map the file's own pages, 0 if a
	 * private copy is equivalent (an unmodified lower file mapped
	 * read-only), or -errno. map_page: the MemoryFile offset of page pgoff,
	 * allocating a hole if create (else -ENOENT for it); -ENXIO past the
	 * end of the file (the guest gets SIGBUS). map_pin: a mapping starts (+1) or ends (-1); pages are not
	 * freed (only set aside) while mapped. map_sync (optional: nothing to
	 * write back): msync, the pages written to the backing file (sync:
	 * durably); 0 or -errno. All called with vfs_lock held.
	 */
	int (*map_shared)(struct file *f, bool writable);
	int (*map_page)(struct file *f, uint64_t pgoff, bool create, uint64_t *mf_off);
	/* Optional: the first page >= pgoff that map_page would find without
	 * creating it, or UINT64_MAX; lets a sparse mapping skip its holes. */
	uint64_t (*map_next)(struct file *f, uint64_t pgoff);
	void (*map_pin)(struct file *f, int delta);
	int (*map_sync)(struct file *f, bool sync);
	/*
	 * Optional (vfs_lock held): a host fd whose bytes are the file's
	 * right now and that a read-only private mapping may map itself (an
	 * unmodified overlay lower file, a host bind's file with no cached
	 * pages), borrowed while f is open; -1 if there is none.
	 */
	int (*host_fd)(struct file *f);
	/*
	 * Optional SEEK_DATA/SEEK_HOLE of a sparse regular file (vfs_lock
	 * held; the VFS checked 0 <= off < size): the new position or -ENXIO.
	 * Without it a file is one data extent.
	 */
	int64_t (*seek_hole_data)(struct file *f, int64_t off, int whence);
	/* fallocate(2) after the generic checks (vfs_lock held); 0 or -errno. */
	int (*fallocate)(struct file *f, int mode, uint64_t off, uint64_t len);
	/*
	 * Device files: set up a new description once the file system's own
	 * open succeeded (vfs_lock held; O_NOCTTY still in f->flags). May
	 * replace f->fops and set f->priv (/dev/ptmx makes a pty pair). 0 or -errno.
	 */
	int (*open)(struct file *f);
	/*
	 * O_ASYNC turned on (fd: the descriptor it was set through, for si_fd)
	 * or off (fd -1 when the description is released): link or unlink the
	 * file's fasync entry on the wait queue of its object
	 * (sentry/fasync.h). 0 or -errno. NULL: no signal-driven I/O (as
	 * Linux for files without ->fasync: F_SETFL ignores O_ASYNC, FIOASYNC
	 * gives ENOTTY). Called without vfs_lock, except at release.
	 */
	int (*fasync)(struct file *f, int fd, bool on);
	bool unlocked;                 /* called without vfs_lock */
	bool stream;                   /* no position: lseek gives -ESPIPE */
	bool mmappable;
	/*
	 * Positions are unsigned 64-bit (Linux's FMODE_UNSIGNED_OFFSET,
	 * /proc/PID/mem): read and write may start at or run past 2^63
	 * (rw_verify_area: EOVERFLOW only if the count reaches 2^64).
	 */
	bool unsigned_offset;
};

/* Directory listing snapshot, taken at the first getdents after offset 0. */
struct dir_entry_snap {
	char *name;
	uint64_t ino;
	unsigned char dtype;
};

/*
 * An open file description. References: fd table slots, mappings, the
 * thread group (exe), in-flight syscalls. Holds its mount, dentry and inode.
 */
struct file {
	int refs;                      /* atomic */
	int flags;                     /* O_* (access mode, O_APPEND, O_NONBLOCK...) */
	int64_t pos;                   /* vfs_lock */
	struct mount *mnt;             /* NULL for anonymous files */
	struct dentry *dentry;         /* holds a reference, or NULL */
	struct inode *inode;           /* holds a reference */
	const struct file_ops *fops;
	void *priv;
	char *anon_name;               /* "pipe:[N]", "anon_inode:[eventfd]"... */
	struct dir_entry_snap *dents;  /* readdir snapshot */
	size_t ndents;
	pthread_mutex_t io_lock;       /* serialises unlocked read/write offsets */
	/*
	 * References held by epoll registrations (atomic). When every other
	 * reference is gone the description is closed as far as the guest can
	 * tell, and Linux drops it from every epoll set: file_put does the same.
	 */
	int epoll_refs;
	/*
	 * fcntl F_SETOWN(_EX) / F_SETSIG (sentry/fasync.h, fasync_lock): who
	 * gets this file's O_ASYNC and dnotify signals, and which.
	 */
	struct fown fown;
	int owner_fd;                  /* the fd F_NOTIFY was set through (si_fd; vfs_lock) */
};

/*
 * The inode limit of a size-limited (tmpfs-like) super block, Linux's
 * nr_inodes: one inode per 8 KiB of the size limit, at least 16,384. A guest
 * creating millions of empty files gets ENOSPC instead of exhausting the
 * sentry's memory.
 */
static inline uint64_t sb_max_inodes(const struct super_block *sb)
{
	uint64_t n = sb->bytes_limit / 8192;
	return n > 16384 ? n : 16384;
}

/* ---- inodes ---- */
struct inode *inode_alloc(struct super_block *sb, uint32_t mode, const struct inode_ops *iops,
			  const struct file_ops *fops);
void inode_get(struct inode *inode);
void inode_put(struct inode *inode);
void inode_touch(struct inode *inode, bool atime, bool mtime, bool ctime);
struct timespec vfs_now(void);
/* MAY_READ/WRITE/EXEC against mode bits and cred; 0 or -EACCES. */
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4
int inode_permission(struct inode *inode, const struct cred *c, int may);
/* Fill a struct stat from the inode (after refresh). */
void inode_stat(struct inode *inode, struct stat *st);
/* d_type for a mode. */
unsigned vfs_dtype(uint32_t mode);

/* ---- dentries ---- */
/*
 * RLIMIT_FSIZE of the calling task for a write or size change reaching
 * from off over *count bytes of a regular file (Linux's
 * generic_write_check_limits): *count clipped to the limit, or -EFBIG when
 * off is at or past it, and SIGXFSZ follows the syscall's return.
 */
int vfs_fsize_limit(uint64_t off, uint64_t *count);

/*
 * iov cut to its first max bytes: *out is iov itself when it fits, else a
 * copy in buf (bufcnt entries) or, for a longer array, malloc'd (*owned,
 * the caller's to free). 0 or -ENOMEM.
 */
int iov_clip(const struct iovec *iov, int iovcnt, uint64_t max, struct iovec *buf, int bufcnt,
	     const struct iovec **out, int *outcnt, struct iovec **owned);

struct dentry *dentry_alloc(struct dentry *parent, const char *name, struct inode *inode);
void dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
/* Insert into parent's cache (the cache takes a reference). */
void dentry_add_cached(struct dentry *d);
/* Remove from the parent's cache (drops the cache's reference). */
void dentry_drop(struct dentry *d);
/* Find a cached child (no new reference) or NULL. */
struct dentry *dentry_find_child(struct dentry *dir, const char *name);
/*
 * The cached answer for name in dir: 0 (a new reference in *out), -ENOENT
 * (a whiteout or negative entry), or 1 if nothing is cached for it.
 */
int dentry_lookup_cached(struct dentry *dir, const char *name, struct dentry **out);
/* Look up one component: cache, then dir's lookup op; new reference or -errno. */
int dentry_lookup(struct dentry *dir, const char *name, struct dentry **out);
/* dentry_lookup for a path walk: its lookup op may release vfs_lock meanwhile (above). */
int vfs_walk_lookup(struct dentry *dir, const char *name, struct dentry **out);

/* ---- mounts ---- */
struct mount *mount_create(struct super_block *sb, struct dentry *root, struct mount *parent,
			   struct dentry *mountpoint, int flags, const char *source);
/* The mount on (mnt, d), or NULL. */
struct mount *mount_lookup(struct mount *mnt, struct dentry *d);
/*
 * Unlink m and the mounts inside it from the mount tree (umount). They are
 * not freed: files and directories opened inside stay usable. vfs_lock held.
 */
void mount_detach(struct mount *m);
struct mount *mount_list(void);
struct super_block *sb_create(const char *fstype, uint32_t magic);

/* ---- paths ---- */
void path_get(const struct path *p);
void path_put(struct path *p);

#define LOOKUP_FOLLOW 0x1              /* follow a final symlink */
#define LOOKUP_DIRECTORY 0x2           /* the result must be a directory */
#define LOOKUP_EMPTY 0x4               /* "" names the start directory */

/* Where a resolution starts and what bounds it. */
struct nameidata {
	struct path root;
	struct path start;             /* cwd or the dirfd's directory */
	const struct cred *cred;
	/*
	 * openat2's RESOLVE_* flags (0 for every other lookup); with
	 * RESOLVE_BENEATH or RESOLVE_IN_ROOT, root is the start (nd_scope).
	 */
	int resolve;
};

/* Resolve a whole path; *out holds references on success. */
int vfs_walk(const struct nameidata *nd, const char *path, int flags, struct path *out);
/*
 * vfs_walk under the caller's vfs_lock. Held exactly once, a cold lookup
 * may drop it meanwhile (vfs_unlock_for_lookup): the caller must rely on
 * nothing across the call but the references it holds.
 */
int vfs_walk_locked(const struct nameidata *nd, const char *path, int flags, struct path *out);

/* Kind of the final component of a parent resolution. */
enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

/*
 * Resolve everything but the last component. *parent holds references;
 * last receives the final name (NAME_MAX+1 bytes), *trailing is set when
 * the path ends in '/'.
 */
int vfs_walk_parent(const struct nameidata *nd, const char *path, struct path *parent,
		    char *last, enum last_type *type, bool *trailing);

/* The guest-visible absolute path of (mnt, d) seen from root; length or -errno. */
long vfs_path_string(const struct path *root, const struct path *p, char *buf, size_t cap);

/* Fill nd from a context (root/cwd), cred and optional dir file. */
int nd_init(struct nameidata *nd, struct fs_context *fs, const struct cred *c, struct file *dirf);
void nd_release(struct nameidata *nd);
/* Give an initialised nd openat2's RESOLVE_* flags (a scoped one is rooted at its start). */
void nd_scope(struct nameidata *nd, int resolve);

/* The fs context's root (references) for procfs links. */
void fsctx_get_root(struct fs_context *fs, struct path *out);
void fsctx_get_cwd(struct fs_context *fs, struct path *out);

/* ---- files ---- */
/* A new file on (mnt, dentry) with flags; the inode's open op runs. */
int file_open_path(const struct path *p, int flags, struct file **out);
/* A file with no path (pipes, host fds, anon inodes); takes an inode reference. */
struct file *file_alloc_anon(struct inode *inode, const struct file_ops *fops, void *priv,
			     int flags, const char *name);
/* The pseudo super block for anonymous inodes (pipefs/anon_inodefs). */
struct super_block *vfs_anon_sb(void);
/*
 * A file on a fresh inode of the anonymous file system (eventfd, epoll,
 * timerfd, ...): fops and priv, open flags, the name /proc shows
 * ("anon_inode:[eventfd]"); NULL when out of memory.
 */
struct file *file_new_anon(const struct file_ops *fops, void *priv, int flags, const char *name);

/* Host iovec helpers for file systems. */
size_t iov_total(const struct iovec *iov, int iovcnt);
/* Copy from a flat buffer into iovecs starting at byte skip; bytes copied. */
size_t iov_from_buf(const struct iovec *iov, int iovcnt, size_t skip, const void *buf, size_t len);
size_t iov_to_buf(const struct iovec *iov, int iovcnt, size_t skip, void *buf, size_t len);

/* Read from a text buffer at off into iovecs (procfs, sysfs). */
ssize_t vfs_read_text(const char *text, size_t len, const struct iovec *iov, int iovcnt,
		      int64_t off);

/* ---- file systems ---- */
struct tmpfs_lower;
struct super_block *tmpfs_create_sb(uint64_t limit, const char *fstype, uint32_t magic);
/* The root dentry of a new tmpfs (or overlay when lower != NULL). */
struct dentry *tmpfs_make_root(struct super_block *sb, uint32_t mode, struct tmpfs_lower *lower);
/* Create a character device node / file with fixed content in a tmpfs dir. */
int tmpfs_add_node(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev,
		   const struct file_ops *fops, struct dentry **out);
int tmpfs_add_file(struct dentry *dir, const char *name, uint32_t mode, const char *text);
int tmpfs_add_dir(struct dentry *dir, const char *name, uint32_t mode, struct dentry **out);
int tmpfs_add_symlink(struct dentry *dir, const char *name, const char *target);

/* Byte limit of the in-memory file systems (vfs_boot_config.tmpfs_limit). */
extern uint64_t vfs_tmpfs_limit;

/* Boot-time constructors of each file system. */
int overlay_create_root(const char *hostdir, uint64_t limit, struct super_block **sb,
			struct dentry **root);
int devfs_create(struct super_block **sb, struct dentry **root);
/* devpts (fs/tty/devpts.c) at /dev/pts: after devfs is mounted. */
int devpts_boot_mount(void);
/* /dev/ptmx: each open makes a pseudo-terminal pair (fs/tty/). */
extern const struct file_ops ptmx_fops;
/* open("/dev/tty") of the pty the caller's session acquired; -ENXIO if none. */
int tty_open_ctty(struct file *f);
/* After the /dev mount: mount a tmpfs on /dev/shm (POSIX shm_open); 0 or -errno. */
int devfs_mount_shm(void);
/* The controlling terminal of session sid as a device number (/proc/PID/stat), or 0. */
uint64_t devfs_ctty_rdev(int sid);
int procfs_create(struct super_block **sb, struct dentry **root);
int sysfs_create(struct super_block **sb, struct dentry **root);

/* ---- locks (fs/locks.c) ---- */
/* The last reference to f is going: drop its flock(2) and OFD locks. */
void locks_release_file(struct file *f);
/* The inode is being freed: free its lock context. */
void locks_inode_free(struct inode *inode);

/* ---- extended attributes (fs/xattr.c) ---- */
void xattr_inode_free(struct inode *inode);

/* ---- named FIFOs (fs/pipe.c) ---- */
/* Open of a FIFO inode, under vfs_lock: join (or make) its pipe; never sleeps. */
int pipe_fifo_open(struct inode *inode, struct file *f);
/* After vfs_lock is dropped: wait for the other end as fifo_open; 0 for other files. */
int vfs_fifo_open_wait(struct file *f);
/* Pipe helpers for splice, tee and sendfile (fs/splice.c); f must be a pipe end. */
bool pipe_file(struct file *f);
bool pipe_same(struct file *a, struct file *b);
long pipe_wait_ready(struct file *f, bool want_room, bool nonblock);
size_t pipe_peek(struct file *f, void *buf, size_t len);
void pipe_consume(struct file *f, size_t n);
ssize_t pipe_push(struct file *f, const void *buf, size_t len);
long pipe_link(struct file *in, struct file *out, size_t len, bool nonblock, bool move);

/*
 * ---- inotify events (fs/inotify.c) ----
 * Called with vfs_lock held after the change is made; cheap when nothing
 * is watched. Names are the entry's name in dir.
 */
void fsnotify_create(struct dentry *dir, const char *name, bool isdir);
void fsnotify_delete(struct dentry *dir, const char *name, bool isdir);
/* The inode's link count changed (IN_ATTRIB). */
void fsnotify_link_count(struct inode *inode);
void fsnotify_move(struct dentry *odir, const char *oname, struct dentry *ndir,
		   const char *nname, struct inode *moved, bool isdir);
/* After a setattr with vfs_attr mask bits (ATTR_*). */
void fsnotify_setattr(struct dentry *d, unsigned attr_mask);
/* An xattr of d changed (IN_ATTRIB). */
void fsnotify_xattr(struct dentry *d);
void fsnotify_open(struct file *f);
void fsnotify_access(struct file *f);
void fsnotify_modify(struct file *f);
void fsnotify_close(struct file *f);
/* The inode is being freed: end its watches (IN_DELETE_SELF if unlinked, IN_IGNORED). */
void inotify_inode_gone(struct inode *inode);

#endif
