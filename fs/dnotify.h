/* dnotify (fcntl F_NOTIFY): see fs/dnotify.c. */
#ifndef FS_DNOTIFY_H
#define FS_DNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct cred;
struct file;
struct inode;

/* fcntl(fd, F_NOTIFY, arg) by process tgid with cred; 0 or -errno (ENOTDIR). */
long vfs_dnotify(struct file *f, const struct cred *cred, int fd, int tgid, unsigned long arg);
/* Something happened to an entry of directory dir (inotify IN_* bits); vfs_lock held. */
void dnotify_event(struct inode *dir, uint32_t in_mask);
/* f is being released: its marks go. */
void dnotify_file_gone(struct file *f);
/* Any mark at all (the hooks' fast path). */
bool dnotify_active(void);

#endif
