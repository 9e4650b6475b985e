/* signalfd objects (fs/signalfd.c). */
#ifndef FS_SIGNALFD_H
#define FS_SIGNALFD_H

#include "fs/vfs.h"

/*
 * With existing NULL, a new signalfd for mask (flags: O_NONBLOCK) in *out;
 * otherwise change existing's mask (-EINVAL if it is not a signalfd).
 */
int vfs_signalfd(struct file *existing, uint64_t mask, int flags, struct file **out);

#endif
