/* epoll objects (fs/epoll.c). */
#ifndef FS_EPOLL_H
#define FS_EPOLL_H

#include <sys/epoll.h>
#include <time.h>
#include "fs/vfs.h"

/* A new epoll file; 0 or -ENOMEM. */
int vfs_epoll_create(int flags, struct file **out);
/* epoll_ctl on epf for (fd, target); 0 or -errno (EEXIST, ENOENT, EINVAL). */
int vfs_epoll_ctl(struct file *epf, int op, int fd, struct file *target, uint32_t events,
		  uint64_t data);
/*
 * Wait for ready items (deadline: absolute CLOCK_MONOTONIC, NULL: forever);
 * the number written to out, 0 on timeout, or -EINTR.
 */
int vfs_epoll_wait(struct file *epf, struct epoll_event *out, int max,
		   const struct timespec *deadline);
/* True if f is an epoll file. */
bool file_is_epoll(struct file *f);

/* How many items an epoll set holds (to size an epoll_wait buffer). */
int vfs_epoll_size(struct file *epf);

/*
 * f's last reference outside epoll sets is gone: remove it from every set,
 * as Linux does when a description is released. Called by file_put with no
 * epoll lock held.
 */
void epoll_forget_file(struct file *f);

#endif
