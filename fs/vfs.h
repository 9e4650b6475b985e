/*
 * The VFS: the face of fs/ for the rest of the sentry. Mounts, dentries,
 * inodes, open file descriptions and fd tables live behind it; each
 * filesystem (tmpfs, hostfs, overlay, procfs, devfs, sysfs, host fds)
 * implements the internal interfaces in fs/vfs_internal.h.
 *
 * Every function returns 0 / a non-negative value, or -errno (Linux's).
 */
#ifndef FS_VFS_H
#define FS_VFS_H

#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/stat.h>
#include "sentry/types.h"
#include "sentry/cred.h"

struct file;          /* an open file description, reference counted */
struct fs_context;    /* root, cwd and umask: shared by CLONE_FS tasks */
struct fd_table;      /* descriptor table: shared by CLONE_FILES tasks */

/* How `sandbox run` lays out the guest's file system. */
struct vfs_boot_config {
	const char *rootfs;        /* host directory for "/" (default "/") */
	uint64_t tmpfs_limit;      /* bytes the in-memory layers may hold */
};

/*
 * Build the mount tree: overlay(hostfs rootfs read-only, tmpfs) at /,
 * procfs at /proc, devfs at /dev, sysfs at /sys. Returns 0 and the initial
 * fs context (root and cwd at /, umask 022), or -errno.
 */
int vfs_boot(const struct vfs_boot_config *cfg, struct fs_context **out);

/*
 * A `sandbox run --mount` (or an OCI bind mount): a host directory or
 * regular file (host_src) or a tmpfs (host_src NULL) at dst. A writable
 * bind's writes reach the host (fs/hostfs/hostfs_rw.c); a read-only one is
 * an overlay of it with MS_RDONLY.
 */
struct vfs_cli_mount {
	const char *host_src;      /* host directory or file, or NULL for tmpfs */
	const char *dst;           /* absolute guest path (created if missing) */
	bool readonly;
	uint64_t size;             /* tmpfs / overlay memory limit in bytes; 0: the default */
};
int vfs_mount_cli(struct fs_context *fs, const struct vfs_cli_mount *cm);

/* mount(2) and umount2(2) with the caller's credentials; 0 or -errno. */
int vfs_mount(struct fs_context *fs, const struct cred *cred, const char *source,
	      const char *target, const char *fstype, unsigned long flags, const char *data);
int vfs_umount(struct fs_context *fs, const struct cred *cred, const char *target, int flags);

/* "64m", "1g", "50%" (of total)... into bytes; 0 or -EINVAL. */
int vfs_parse_size(const char *s, uint64_t total, uint64_t *out);

/* ---- fs contexts ---- */
void fsctx_get(struct fs_context *fs);
void fsctx_put(struct fs_context *fs);
/* Copy for a child without CLONE_FS; NULL on -ENOMEM. */
struct fs_context *fsctx_clone(struct fs_context *fs);
/* Set the working directory to a guest path; 0 or -errno. */
int fsctx_chdir(struct fs_context *fs, const struct cred *cred, const char *path);

/* ---- fd tables ---- */
#define FDT_CLOEXEC 1          /* the per-descriptor flag (FD_CLOEXEC) */
struct fd_table *fdt_create(void);
void fdt_get(struct fd_table *t);
void fdt_put(struct fd_table *t);
/* Copy for fork without CLONE_FILES; NULL on -ENOMEM. */
struct fd_table *fdt_clone(struct fd_table *t);
/*
 * Install f (taking a new reference) at the lowest free fd >= min_fd below
 * limit (RLIMIT_NOFILE); returns the fd or -EMFILE.
 */
int fdt_install(struct fd_table *t, struct file *f, int fd_flags, int min_fd, uint64_t limit);
/* Install at exactly fd, closing what was there (dup2 semantics); fd or -errno. */
int fdt_install_at(struct fd_table *t, int fd, struct file *f, int fd_flags, uint64_t limit);
/* The file at fd with a new reference, or NULL (the caller returns -EBADF). */
struct file *fdt_get_file(struct fd_table *t, int fd);
/* Close fd; 0 or -EBADF. */
int fdt_close(struct fd_table *t, int fd);
/* Close every FD_CLOEXEC descriptor (execve). */
void fdt_close_on_exec(struct fd_table *t);
/* Number of the highest open fd + 1 (for /proc/PID/fd listings). */
int fdt_max_fd(struct fd_table *t);
/* Slots the table has room for (Linux's max_fds: 64, 128, 256...; select caps nfds). */
int fdt_capacity(struct fd_table *t);

/* ---- open file descriptions ---- */
void file_get(struct file *f);
void file_put(struct file *f);

/*
 * Wrap a host fd the sandbox donates to the guest (stdin/stdout/stderr of
 * `sandbox run`). Takes ownership of hostfd. NULL on -ENOMEM.
 */
struct file *vfs_host_fd_file(int hostfd);

/*
 * openat(2) semantics: resolve path relative to dirf (NULL: the context's
 * cwd; ignored for absolute paths) with the caller's credentials, then open.
 * flags and mode are the guest's O_* and mode bits (umask applied inside).
 */
int vfs_openat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
	       const char *path, int flags, int mode, struct file **out);
/*
 * vfs_openat under openat2(2)'s RESOLVE_* flags (resolve: already checked
 * by the caller). O_CREAT through a dangling symlink is refused (EXDEV)
 * under RESOLVE_BENEATH, RESOLVE_IN_ROOT and RESOLVE_NO_XDEV.
 */
int vfs_openat2(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		const char *path, int flags, int mode, int resolve, struct file **out);

/*
 * Open a file for execution (execve / the ELF loader): follows symlinks,
 * requires a regular file with execute permission for cred (-EACCES), on a
 * mount without noexec. Returns 0 and an O_RDONLY file.
 */
int vfs_open_exec(struct fs_context *fs, const struct cred *cred, const char *path,
		  struct file **out);

/*
 * Read/write through host iovecs. pos NULL means the file's own offset
 * (updated, O_APPEND honoured); otherwise an explicit offset (pread/pwrite).
 * Returns bytes moved or -errno. -EAGAIN for non-blocking files with no data.
 */
ssize_t vfs_readv(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos);
ssize_t vfs_writev(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos);

/* Convenience: read up to len bytes at off into a host buffer (loader, mmap). */
ssize_t vfs_pread(struct file *f, void *buf, size_t len, uint64_t off);
/* The same with the file as a void * (a reader callback: mf_fill, the ELF loader). */
ssize_t vfs_pread_cb(void *file, void *buf, size_t len, uint64_t off);

/* fstat(2) of an open file. */
int vfs_fstat(struct file *f, struct stat *st);

/* The file's open flags (O_ACCMODE bits, O_APPEND, O_NONBLOCK...). */
int file_flags(struct file *f);

/* True if the file is a regular file whose pages can be mapped. */
bool file_mmappable(struct file *f);
/* Positions of f are unsigned (Linux's FMODE_UNSIGNED_OFFSET: /proc/PID/mem). */
bool file_unsigned_offset(struct file *f);
/* The tgid a /proc/PID directory file names (the old form of a pidfd), or -1. */
int procfs_dir_pid(struct file *f);
/* True if f has its own poll method (else it is always ready). */
bool file_has_poll(struct file *f);
/*
 * Shared file mappings (see file_ops.map_*): 1 if a MAP_SHARED mapping of
 * f maps the file's own MemoryFile pages, 0 if it may be a private copy.
 */
int file_map_shared(struct file *f, bool writable);
/*
 * The MemoryFile offset of page pgoff of f; a hole is allocated if create,
 * else -ENOENT; -ENXIO past EOF.
 */
int file_map_page(struct file *f, uint64_t pgoff, bool create, uint64_t *mf_off);
/*
 * The first page >= pgoff that file_map_page finds without creating it
 * (UINT64_MAX: none); pgoff itself when the file cannot say.
 */
uint64_t file_map_next(struct file *f, uint64_t pgoff);
/*
 * A host fd holding f's current bytes, which a read-only private mapping
 * of f may map directly (file_ops.host_fd); borrowed while f is open, or
 * -1. The file's later changes inside the sandbox (a copy-up) do not
 * reach such a mapping, as with Linux's overlayfs.
 */
int file_host_fd(struct file *f);
/* A shared mapping of f starts (+1) or ends (-1). */
void file_map_pin(struct file *f, int delta);
/*
 * msync of a shared mapping of f: its pages reach the backing file (a host
 * file of a writable bind; sync: made durable there). 0 or -errno.
 */
int file_map_sync(struct file *f, bool sync);
/*
 * The sandbox is ending: every shared mapping's dirty pages are written
 * back to their host files. 0 or the first error.
 */
int vfs_sync_all(void);

/*
 * The guest-visible absolute path of an open file into buf (NUL
 * terminated); its length or -ENAMETOOLONG. Files with no path give
 * names such as "pipe:[123]" or "/dev/null".
 */
long file_path(struct file *f, char *buf, size_t cap);

/*
 * poll(2) of one file: its ready mask (POLLIN, POLLOUT, POLLERR, POLLHUP,
 * POLLRDHUP, POLLRDNORM...). When w is non-NULL, w is also linked on the
 * file's wait queues so that a change wakes it (sentry/waitq.h). O_PATH
 * files give POLLNVAL (poll reports it, select turns it into EBADF).
 * The caller holds a reference on f until w is unlinked.
 */
struct waiter;
uint32_t vfs_poll(struct file *f, struct waiter *w);

/*
 * pipe2(2): a new anonymous pipe, *rd its read end and *wr its write end
 * (one reference each). flags: O_NONBLOCK (both ends), O_DIRECT (packet
 * mode, write end). 0 or -ENOMEM.
 */
int vfs_pipe_create(const struct cred *cred, int flags, struct file **rd, struct file **wr);

/* fcntl F_GETPIPE_SZ / F_SETPIPE_SZ; -EBADF if f is not a pipe. */
long vfs_pipe_fcntl(struct file *f, int cmd, uint64_t arg);
/* True if f is an end of a pipe or an open FIFO. */
bool vfs_is_pipe(struct file *f);

/* Device and inode numbers as stat reports them (for /proc/PID/maps). */
void file_dev_ino(struct file *f, uint64_t *dev, uint64_t *ino);


/* ---- Additions for the file syscalls (syscalls/sys_*.c) ---- */
#include <sys/statfs.h>

struct path;

/* umask: set to mask (when mask >= 0) and return the old value. */
int fsctx_umask(struct fs_context *fs, int mask);
/* fchdir(2) / chroot(2) / getcwd(2) (length without NUL, or -errno). */
int vfs_fchdir(struct fs_context *fs, const struct cred *cred, struct file *f);
int vfs_chroot(struct fs_context *fs, const struct cred *cred, const char *path);
long vfs_getcwd(struct fs_context *fs, char *buf, size_t cap);

/* FD_CLOEXEC of a descriptor (-EBADF), and setting it. */
int fdt_get_flags(struct fd_table *t, int fd);
int fdt_set_flags(struct fd_table *t, int fd, int flags);
/* close_range(2): close (or mark FD_CLOEXEC) every open fd in [first, last]. */
int fdt_close_range(struct fd_table *t, unsigned first, unsigned last, bool cloexec_only);

/* Change O_APPEND and O_NONBLOCK only (FIONBIO...). */
void file_set_status_flags(struct file *f, int flags);
/*
 * fcntl F_SETFL through descriptor fd: O_APPEND, O_NONBLOCK, O_NOATIME
 * (owner only: -EPERM), O_ASYNC (signal-driven I/O: the file's fasync
 * operation's error, e.g. -EINVAL for host fds); O_PATH: -EBADF.
 */
int vfs_set_status_flags(struct file *f, const struct cred *cred, int fd, int flags);
/* ioctl FIOASYNC: O_ASYNC on or off; -ENOTTY for files without signal-driven I/O. */
int vfs_fioasync(struct file *f, int fd, bool on);
/* The file's owner for signals (F_SETOWN, F_SETSIG: sentry/fasync.h). */
struct fown *file_fown(struct file *f);
/* F_ADD_SEALS (arg: F_SEAL_* bits) / F_GET_SEALS of a memfd; -EINVAL for other files. */
long vfs_memfd_seals(struct file *f, int cmd, unsigned arg);
/* memfd_create(2): flags MFD_CLOEXEC (ignored here), MFD_ALLOW_SEALING... */
int vfs_memfd_create(const struct cred *cred, const char *name, unsigned flags, struct file **out);

/* ---- SysV shared memory (fs/sysv_shm.c, for sentry/ipc_shm.c) ---- */

/* What an attach file reports to its segment (called with vfs_lock held). */
struct vfs_shm_ops {
	void (*pin)(void *owner, int delta);   /* a VMA mapping it starts (+1) or ends (-1) */
	void (*release)(void *owner);          /* the attach file is gone */
};
/*
 * The pages of a new segment: a tmpfs file of size bytes, named
 * "/SYSV<key> (deleted)" as /proc/PID/maps shows Linux's. 0 or -ENOMEM.
 */
int vfs_shm_create(uint32_t key, uint64_t size, struct file **out);
/* Number segment file seg's inode ino (Linux's: the segment's id, in /proc/PID/maps). */
void vfs_shm_set_ino(struct file *seg, uint64_t ino);
/*
 * A file for one shmat of segment file seg (O_RDONLY if rdonly), to map
 * MAP_SHARED: its VMAs are reported to ops with owner. 0 or -ENOMEM.
 */
int vfs_shm_attach(struct file *seg, bool rdonly, const struct vfs_shm_ops *ops, void *owner,
		   struct file **out);
/* The owner of f if f is a shmat attach file (shmdt), else NULL. */
void *vfs_shm_owner(struct file *f);
/* Pages of segment file seg that exist (shm_rss). */
uint64_t vfs_shm_resident(struct file *seg);
bool file_is_dir(struct file *f);
/* True for a regular file (its offsets end at MAX_LFS_FILESIZE). */
bool file_is_reg(struct file *f);
/* lseek(2); the new offset or -errno. */
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
/* One directory entry for getdents; nonzero from the callback stops (buffer full). */
typedef int (*vfs_dirent_fn)(void *ctx, const char *name, uint64_t ino, int64_t next_off,
			     unsigned dtype);
/* Emit entries from the file's position on, advancing it; 0 at the end, 1 if the
 * callback stopped with an entry pending, or -errno. */
int vfs_readdir(struct file *f, vfs_dirent_fn emit, void *ctx);
/* ioctl(2) on the file (FIOCLEX/FIONCLEX are handled at the fd level). */
long vfs_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg);
int vfs_fsync(struct file *f);
/*
 * flock(2) with LOCK_SH/LOCK_EX/LOCK_UN and LOCK_NB; a blocking wait ends
 * with -ERESTARTSYS on a signal.
 */
int vfs_flock(struct file *f, int op);
/*
 * fcntl record locks: F_GETLK/F_SETLK/F_SETLKW (owned by the descriptor
 * table `owner`, pid is the caller's tgid) and F_OFD_* (owned by f). F_GETLK
 * fills *fl. 0 or -errno (-EAGAIN conflict, -EDEADLK, -ERESTARTSYS).
 */
struct flock;
long vfs_record_lock(struct file *f, struct fd_table *owner, int pid, int cmd, struct flock *fl);
/* A descriptor of f in table owner is being closed: drop owner's POSIX locks on it. */
void vfs_locks_close(struct file *f, struct fd_table *owner);

/*
 * Path-based operations with *at(2) semantics: dirf NULL means the cwd;
 * at_flags are the AT_* flags each syscall accepts (validated by caller).
 */
int vfs_statat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
	       const char *path, int at_flags, struct stat *st);
/* Birth time and mount id, for statx. */
int vfs_fstatx_extra(struct file *f, struct statx_timestamp *btime, uint64_t *mnt_id);
int vfs_statx_extra(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		    const char *path, int at_flags, struct statx_timestamp *btime,
		    uint64_t *mnt_id);
int vfs_mknodat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		const char *path, int mode, uint64_t dev);
int vfs_mkdirat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		const char *path, int mode);
/* unlinkat(2); at_flags may hold AT_REMOVEDIR. */
int vfs_unlinkat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		 const char *path, int at_flags);
int vfs_symlinkat(struct fs_context *fs, const struct cred *cred, const char *target,
		  struct file *dirf, const char *path);
int vfs_linkat(struct fs_context *fs, const struct cred *cred, struct file *odirf,
	       const char *oldpath, struct file *ndirf, const char *newpath, int at_flags);
/* renameat2(2); flags: RENAME_NOREPLACE (RENAME_EXCHANGE/WHITEOUT: -EINVAL). */
int vfs_renameat(struct fs_context *fs, const struct cred *cred, struct file *odirf,
		 const char *oldpath, struct file *ndirf, const char *newpath, unsigned flags);
/* readlinkat(2) into a host buffer; bytes (not NUL terminated) or -errno. */
long vfs_readlinkat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		    const char *path, char *buf, size_t cap);
/* faccessat2(2): mode R_OK/W_OK/X_OK/F_OK; AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
int vfs_accessat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		 const char *path, int mode, int at_flags);

/* What a chmod/chown/utimes/truncate changes. */
struct vfs_setattr {
	bool set_mode, set_uid, set_gid, set_size;
	uint32_t mode, uid, gid;
	uint64_t size;
	/* utimensat: each time is UTIME_OMIT, UTIME_NOW or a value. */
	bool set_times;
	struct timespec times[2];
};
int vfs_setattrat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		  const char *path, int at_flags, const struct vfs_setattr *sa);
int vfs_fsetattr(struct file *f, const struct cred *cred, const struct vfs_setattr *sa);

/* ---- extended attributes (fs/xattr.c) ---- */
enum { VFS_XATTR_GET, VFS_XATTR_SET, VFS_XATTR_LIST, VFS_XATTR_REMOVE };
struct vfs_xattr_req {
	int op;
	const char *name;          /* GET, SET, REMOVE: a NUL-terminated name */
	void *buf;                 /* value (GET/SET) or name list (LIST), host memory */
	size_t size;               /* buffer size (GET/LIST: 0 asks for the length) */
	int flags;                 /* SET: XATTR_CREATE / XATTR_REPLACE */
};
/* The xattr op on a path (follow: the final symlink too) / an open file; size or -errno. */
long vfs_xattr_at(struct fs_context *fs, const struct cred *cred, const char *path, bool follow,
		  struct vfs_xattr_req *req);
long vfs_xattr_fd(struct file *f, const struct cred *cred, struct vfs_xattr_req *req);

/* ---- inotify (fs/inotify.c) ---- */
/* A new inotify instance; flags: O_NONBLOCK. */
int vfs_inotify_create(int flags, struct file **out);
/* inotify_add_watch(2) on instance f: the watch descriptor or -errno. */
int vfs_inotify_add_watch(struct file *f, struct fs_context *fs, const struct cred *cred,
			  const char *path, uint32_t mask);
int vfs_inotify_rm_watch(struct file *f, int wd);

/* ---- data movement (fs/splice.c) ---- */
/* fallocate(2); 0 or -errno. */
int vfs_fallocate(struct file *f, int mode, int64_t off, int64_t len);
/*
 * sendfile(2): up to count bytes from in (at *pos, advanced, when pos is
 * given; else at in's offset) to out. Bytes moved or -errno.
 */
long vfs_sendfile(struct file *out, struct file *in, int64_t *pos, size_t count);
/* splice(2): one end must be a pipe; offsets NULL use the file position. */
long vfs_splice(struct file *in, int64_t *off_in, struct file *out, int64_t *off_out,
		size_t len, unsigned flags);
/* tee(2): copy up to len bytes from pipe in to pipe out without consuming them. */
long vfs_tee(struct file *in, struct file *out, size_t len, unsigned flags);
/*
 * vmsplice helpers on a pipe end: wait for room (to_pipe) or data, giving
 * the bytes of room / data, 0 at EOF, or -errno; move bytes in (to_pipe:
 * push, no wait) or peek them out; consume what the guest took.
 */
long vfs_pipe_vmsplice_wait(struct file *f, bool to_pipe, bool nonblock);
long vfs_pipe_vmsplice_io(struct file *f, void *buf, size_t len, bool to_pipe);
void vfs_pipe_vmsplice_consume(struct file *f, size_t n);
/* copy_file_range(2) between regular files. */
long vfs_copy_file_range(struct file *in, int64_t *off_in, struct file *out, int64_t *off_out,
			 size_t len, unsigned flags);

int vfs_statfsat(struct fs_context *fs, const struct cred *cred, const char *path,
		 struct statfs *st);
int vfs_fstatfs(struct file *f, struct statfs *st);

/* ---- terminals (fs/tty/) ---- */
struct tty;             /* a pseudo-terminal pair; thread_group.ctty holds a reference */
struct thread_group;
void tty_get(struct tty *tty);
/* Drop a reference (NULL: nothing); frees only memory, so any lock may be held. */
void tty_put(struct tty *tty);
/*
 * Process tg is exiting (call without kernel.lock): if it leads a session
 * with a controlling terminal, the terminal's foreground group gets SIGHUP
 * and the session loses the terminal (Linux's disassociate_ctty(1)).
 */
void tty_session_exit(struct thread_group *tg);
/*
 * The device number of session sid's controlling pseudo-terminal (0:
 * none) and its foreground group (-1: none), for /proc/PID/stat.
 */
uint64_t tty_session_rdev(int sid, int *fg_pgrp);

#endif
