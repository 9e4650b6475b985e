/*
 * The files behind SysV shared memory (sentry/ipc_shm.c), as Linux's
 * ipc/shm.c builds them: a segment's pages are a tmpfs regular file on an
 * internal, unmounted tmpfs ("SYSV%08x", in no directory), and each shmat
 * maps a file of its own over it (Linux's alloc_file_clone with
 * shm_file_operations). The attach file passes the mapping operations to
 * the segment's file, and reports every shared VMA that starts or ends
 * (shmat, a split, fork, munmap, exit) to its owner, which is how the
 * segment counts shm_nattch as Linux's shm_open/shm_close do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/magic.h>
#include "fs/tmpfs/tmpfs_internal.h"

static struct super_block *shm_sb;

/* What an attach file (f->priv) holds: the segment's file and its owner. */
struct shm_attach {
	struct file *seg;
	const struct vfs_shm_ops *ops;
	void *owner;
};

int vfs_shm_create(uint32_t key, uint64_t size, struct file **out)
{
	char name[64];
	snprintf(name, sizeof(name), "/SYSV%08x (deleted)", key);
	vfs_lock();
	if (!shm_sb)
		shm_sb = tmpfs_create_sb(vfs_tmpfs_limit, "tmpfs", TMPFS_MAGIC);
	struct inode *inode = shm_sb ? tmpfs_new_inode(shm_sb, S_IFREG | 0777, NULL) : NULL;
	struct file *f = NULL;
	if (inode) {
		/* Linux's shm file: i_size is the segment's size, its pages come as touched. */
		inode->size = size;
		inode->seals = 0;
		inode->sealable = false;
		f = file_alloc_anon(inode, &tmpfs_reg_fops, NULL, O_RDWR | O_LARGEFILE, name);
		inode_put(inode);      /* the file holds its own reference */
	}
	vfs_unlock();
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}

static struct shm_attach *attach_of(struct file *f)
{
	return f->priv;
}

static int shm_map_shared(struct file *f, bool writable)
{
	struct file *seg = attach_of(f)->seg;
	return seg->fops->map_shared(seg, writable);
}

static int shm_map_page(struct file *f, uint64_t pgoff, bool create, uint64_t *mf_off)
{
	struct file *seg = attach_of(f)->seg;
	return seg->fops->map_page(seg, pgoff, create, mf_off);
}

static uint64_t shm_map_next(struct file *f, uint64_t pgoff)
{
	struct file *seg = attach_of(f)->seg;
	return seg->fops->map_next(seg, pgoff);
}

static void shm_map_pin(struct file *f, int delta)
{
	struct shm_attach *a = attach_of(f);
	a->seg->fops->map_pin(a->seg, delta);
	a->ops->pin(a->owner, delta);
}

static int shm_fstat(struct file *f, struct stat *st)
{
	vfs_lock();
	inode_stat(f->inode, st);
	vfs_unlock();
	return 0;
}

static void shm_release(struct file *f)
{
	struct shm_attach *a = attach_of(f);
	a->ops->release(a->owner);
	file_put(a->seg);
	free(a);
}

/* No read, write or fd: the file exists only in the VMAs that map it. */
static const struct file_ops shm_attach_fops = {
	.map_shared = shm_map_shared,
	.map_page = shm_map_page,
	.map_next = shm_map_next,
	.map_pin = shm_map_pin,
	.fstat = shm_fstat,
	.release = shm_release,
	.mmappable = true,
};

int vfs_shm_attach(struct file *seg, bool rdonly, const struct vfs_shm_ops *ops, void *owner,
		   struct file **out)
{
	struct shm_attach *a = malloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct shm_attach){ seg, ops, owner };
	vfs_lock();
	struct file *f = file_alloc_anon(seg->inode, &shm_attach_fops, a,
					 (rdonly ? O_RDONLY : O_RDWR) | O_LARGEFILE, seg->anon_name);
	vfs_unlock();
	if (!f) {
		free(a);
		return -ENOMEM;
	}
	file_get(seg);
	*out = f;
	return 0;
}

void vfs_shm_set_ino(struct file *seg, uint64_t ino)
{
	vfs_lock();
	seg->inode->ino = ino;
	vfs_unlock();
}

void *vfs_shm_owner(struct file *f)
{
	return f && f->fops == &shm_attach_fops ? attach_of(f)->owner : NULL;
}

uint64_t vfs_shm_resident(struct file *seg)
{
	vfs_lock();
	uint64_t pages = seg->inode->blocks / (PAGE_SIZE / 512);
	vfs_unlock();
	return pages;
}
