/*
 * dnotify (fcntl F_NOTIFY).
 *
 * A mark is (directory inode, file, events); the inotify hooks
 * (fs/inotify.c) report every change to a directory's entries here, and a
 * matching mark sends the file's signal (SIGIO unless F_SETSIG chose one;
 * band POLL_MSG) to the file's owner, which F_NOTIFY sets to the caller's
 * process if none was set, as Linux does. Without DN_MULTISHOT a mark
 * fires once. Marks go with their file description (dnotify_file_gone) or
 * with F_NOTIFY 0.
 *
 * The owner and its signal (F_SETOWN, F_SETOWN_EX, F_SETSIG) are the
 * file's struct fown, shared with signal-driven I/O (O_ASYNC): sending and
 * the owner rules are in sentry/fasync.c.
 *
 * Locks: marks are under vfs_lock (the hooks run under it); sending takes
 * fasync_lock, then kernel.lock, inside it (the order procfs also uses).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include "fs/dnotify.h"
#include "fs/vfs_internal.h"
#include "sentry/kernel_internal.h"
#include "sentry/process.h"
#include "sentry/task.h"

struct dn_mark {
	struct inode *dir;         /* no reference: the file holds the inode */
	struct file *file;         /* no reference: removed when the file goes */
	uint32_t mask;             /* DN_* with DN_MULTISHOT */
	struct dn_mark *next;
};

static struct dn_mark *marks;  /* vfs_lock */
static int nmarks;             /* atomic: a quick "any?" for the hooks */

bool dnotify_active(void)
{
	return __atomic_load_n(&nmarks, __ATOMIC_RELAXED) > 0;
}

static uint32_t dn_from_in(uint32_t in)
{
	uint32_t dn = 0;
	if (in & IN_ACCESS)
		dn |= DN_ACCESS;
	if (in & IN_MODIFY)
		dn |= DN_MODIFY;
	if (in & IN_CREATE)
		dn |= DN_CREATE;
	if (in & IN_DELETE)
		dn |= DN_DELETE;
	if (in & (IN_MOVED_FROM | IN_MOVED_TO))
		dn |= DN_RENAME;
	if (in & IN_ATTRIB)
		dn |= DN_ATTRIB;
	return dn;
}

void dnotify_event(struct inode *dir, uint32_t in_mask)
{
	if (!dnotify_active() || !dir)
		return;
	uint32_t dn = dn_from_in(in_mask);
	if (!dn)
		return;
	for (struct dn_mark **pp = &marks; *pp;) {
		struct dn_mark *m = *pp;
		if (m->dir == dir && (m->mask & dn)) {
			fown_send(&m->file->fown, m->file->owner_fd, POLL_MSG);
			if (!(m->mask & DN_MULTISHOT)) {
				*pp = m->next;
				free(m);
				__atomic_sub_fetch(&nmarks, 1, __ATOMIC_RELAXED);
				continue;
			}
		}
		pp = &m->next;
	}
}

void dnotify_file_gone(struct file *f)
{
	if (!dnotify_active())
		return;
	vfs_lock();
	for (struct dn_mark **pp = &marks; *pp;) {
		struct dn_mark *m = *pp;
		if (m->file == f) {
			*pp = m->next;
			free(m);
			__atomic_sub_fetch(&nmarks, 1, __ATOMIC_RELAXED);
			continue;
		}
		pp = &m->next;
	}
	vfs_unlock();
}

#define DN_ALL (DN_ACCESS | DN_MODIFY | DN_CREATE | DN_DELETE | DN_RENAME | DN_ATTRIB | DN_MULTISHOT)

long vfs_dnotify(struct file *f, const struct cred *cred, int fd, int tgid, unsigned long arg)
{
	if (!f->dentry || !S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	/* Unknown bits are ignored, as Linux does. */
	vfs_lock();
	struct dn_mark *m;
	for (m = marks; m; m = m->next)
		if (m->file == f)
			break;
	long rc = 0;
	if (!(arg & ~(unsigned long)DN_MULTISHOT)) {
		/* No events: the mark goes (as dnotify's "arg == 0"). */
		for (struct dn_mark **pp = &marks; *pp; pp = &(*pp)->next) {
			if (*pp == m) {
				*pp = m->next;
				free(m);
				__atomic_sub_fetch(&nmarks, 1, __ATOMIC_RELAXED);
				break;
			}
		}
	} else if (m) {
		m->mask = (uint32_t)(arg & DN_ALL);
	} else if (!(m = calloc(1, sizeof(*m)))) {
		rc = -ENOMEM;
	} else {
		m->dir = f->inode;
		m->file = f;
		m->mask = (uint32_t)(arg & DN_ALL);
		m->next = marks;
		marks = m;
		__atomic_add_fetch(&nmarks, 1, __ATOMIC_RELAXED);
	}
	if (!rc)
		f->owner_fd = fd;
	vfs_unlock();
	/* As Linux: the caller's process owns the notifications, unless an owner was set. */
	if (!rc)
		fown_set(&f->fown, F_OWNER_PID, tgid, cred, false);
	return rc;
}
