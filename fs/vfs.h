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

/* fstat(2) of an open file. */
int vfs_fstat(struct file *f, struct stat *st);

/* The file's open flags (O_ACCMODE bits, O_APPEND, O_NONBLOCK...). */
int file_flags(struct file *f);

/* True if the file is a regular file whose pages can be mapped. */
bool file_mmappable(struct file *f);

/*
 * The guest-visible absolute path of an open file into buf (NUL
 * terminated); its length or -ENAMETOOLONG. Files with no path give
 * names such as "pipe:[123]" or "/dev/null".
 */
long file_path(struct file *f, char *buf, size_t cap);

/* Device and inode numbers as stat reports them (for /proc/PID/maps). */
void file_dev_ino(struct file *f, uint64_t *dev, uint64_t *ino);

#endif
