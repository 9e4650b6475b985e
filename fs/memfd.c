/*
 * memfd_create(2) and file seals (F_ADD_SEALS / F_GET_SEALS), as Linux's
 * mm/memfd.c. A memfd is a tmpfs regular file on an internal, unmounted
 * tmpfs: its dentry ("memfd:NAME") is in no directory and the file has no
 * mount, so /proc/PID/fd shows "/memfd:NAME (deleted)" and reopening it
 * goes through file_ops.reopen. The seals live on the inode
 * (inode->seals); tmpfs enforces them (fs/tmpfs/tmpfs.c): writes,
 * truncation, fallocate and writable shared mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include "fs/tmpfs/tmpfs_internal.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define F_ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
		     F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)
/* Linux's MFD_NAME_MAX_LEN: NAME_MAX minus "memfd:". */
#define MFD_NAME_MAX_LEN (255 - 6)

static struct super_block *memfd_sb;

static struct super_block *memfd_sb_get(void)
{
	vfs_lock();
	if (!memfd_sb)
		memfd_sb = tmpfs_create_sb(vfs_tmpfs_limit, "tmpfs", TMPFS_MAGIC);
	vfs_unlock();
	return memfd_sb;
}

int vfs_memfd_create(const struct cred *cred, const char *name, unsigned flags, struct file **out)
{
	if (strlen(name) > MFD_NAME_MAX_LEN)
		return -EINVAL;
	struct super_block *sb = memfd_sb_get();
	if (!sb)
		return -ENOMEM;
	char dname[VFS_NAME_MAX + 1], path[VFS_NAME_MAX + 16];
	snprintf(dname, sizeof(dname), "memfd:%s", name);
	snprintf(path, sizeof(path), "/%s (deleted)", dname);
	/* MFD_NOEXEC_SEAL: not executable, sealed against becoming so. */
	uint32_t perm = (flags & MFD_NOEXEC_SEAL) ? 0666 : 0777;
	vfs_lock();
	struct inode *inode = tmpfs_new_inode(sb, S_IFREG | perm, cred);
	struct dentry *d = NULL;
	if (inode) {
		inode->sealable = true;
		if (flags & MFD_NOEXEC_SEAL)
			inode->seals = F_SEAL_EXEC;
		else if (!(flags & MFD_ALLOW_SEALING))
			inode->seals = F_SEAL_SEAL;
		else
			inode->seals = 0;
		inode_get(inode);
		d = dentry_alloc(NULL, dname, inode);
		if (!d)
			inode_put(inode);
		else
			d->dead = true;
	}
	struct file *f = d ? file_alloc_anon(inode, &tmpfs_reg_fops, NULL, O_RDWR | O_LARGEFILE, path)
			   : NULL;
	if (f) {
		f->dentry = d;        /* the file takes the dentry's reference */
		d = NULL;
	}
	if (d)
		dentry_put(d);
	if (inode)
		inode_put(inode);
	vfs_unlock();
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}

long vfs_memfd_seals(struct file *f, int cmd, unsigned arg)
{
	struct inode *inode = f->inode;
	long rc;
	vfs_lock();
	if (cmd == F_GET_SEALS) {
		rc = inode->sealable ? (long)inode->seals : -EINVAL;
		vfs_unlock();
		return rc;
	}
	/* Linux's memfd_add_seals, in its order. */
	if ((f->flags & O_ACCMODE) != O_WRONLY && (f->flags & O_ACCMODE) != O_RDWR)
		rc = -EPERM;
	else if (arg & ~(unsigned)F_ALL_SEALS)
		rc = -EINVAL;
	else if (!inode->sealable)
		rc = -EINVAL;
	else if (inode->seals & F_SEAL_SEAL)
		rc = -EPERM;
	else if ((arg & F_SEAL_WRITE) && !(inode->seals & F_SEAL_WRITE) &&
		 tmpfs_node(inode)->wmapcount > 0)
		rc = -EBUSY;        /* writable shared mappings exist */
	else
		rc = 0;
	if (!rc) {
		/* F_SEAL_EXEC on an executable file implies the write seals (W^X). */
		if ((arg & F_SEAL_EXEC) && (inode->mode & 0111))
			arg |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
		inode->seals |= arg;
	}
	vfs_unlock();
	return rc;
}
