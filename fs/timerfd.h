/* timerfd objects (fs/timerfd.c). */
#ifndef FS_TIMERFD_H
#define FS_TIMERFD_H

#include <time.h>
#include "fs/vfs.h"

/* A new timerfd on a host clock; 0 or -ENOMEM. flags: O_NONBLOCK. */
int vfs_timerfd_create(clockid_t clock, int flags, struct file **out);
bool file_is_timerfd(struct file *f);
/* Arm (value 0 disarms; flags TIMER_ABSTIME); old values out when non-NULL. Times in ns. */
void vfs_timerfd_settime(struct file *f, int flags, int64_t value, int64_t interval,
			 int64_t *old_value, int64_t *old_interval);
void vfs_timerfd_gettime(struct file *f, int64_t *value, int64_t *interval);

#endif
