/*
 * File descriptor tables, shared by CLONE_FILES tasks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fs/vfs_internal.h"

/*
 * References: each task sharing it. Each slot holds a reference on its
 * file. `lock` protects the slots; it is a leaf lock: file_put (which may
 * take vfs_lock) is always called after releasing it.
 */
struct fd_table {
	int refs;
	pthread_mutex_t lock;
	int size;
	struct file **files;
	unsigned char *flags;
};

/* A slot of t let go of f (close, dup2 over it, exec, exit): Linux's filp_close. */
static void fdt_release_file(struct fd_table *t, struct file *f)
{
	vfs_locks_close(f, t);
	file_put(f);
}

struct fd_table *fdt_create(void)
{
	struct fd_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->refs = 1;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void fdt_get(struct fd_table *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

void fdt_put(struct fd_table *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (int i = 0; i < t->size; i++)
		if (t->files[i])
			fdt_release_file(t, t->files[i]);
	free(t->files);
	free(t->flags);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static int fdt_grow_locked(struct fd_table *t, int want)
{
	if (want <= t->size)
		return 0;
	int n = t->size ? t->size : 64;
	while (n < want)
		n *= 2;
	struct file **files = realloc(t->files, n * sizeof(*files));
	if (!files)
		return -ENOMEM;
	t->files = files;
	unsigned char *flags = realloc(t->flags, n);
	if (!flags)
		return -ENOMEM;
	t->flags = flags;
	memset(t->files + t->size, 0, (n - t->size) * sizeof(*files));
	memset(t->flags + t->size, 0, n - t->size);
	t->size = n;
	return 0;
}

struct fd_table *fdt_clone(struct fd_table *t)
{
	struct fd_table *n = fdt_create();
	if (!n)
		return NULL;
	pthread_mutex_lock(&t->lock);
	if (fdt_grow_locked(n, t->size)) {
		pthread_mutex_unlock(&t->lock);
		fdt_put(n);
		return NULL;
	}
	for (int i = 0; i < t->size; i++) {
		if (t->files[i]) {
			n->files[i] = t->files[i];
			file_get(t->files[i]);
			n->flags[i] = t->flags[i];
		}
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

int fdt_install(struct fd_table *t, struct file *f, int fd_flags, int min_fd, uint64_t limit)
{
	if (min_fd < 0)
		return -EINVAL;
	if ((uint64_t)min_fd >= limit)
		return -EMFILE;
	pthread_mutex_lock(&t->lock);
	int fd = min_fd;
	while (fd < t->size && t->files[fd])
		fd++;
	if ((uint64_t)fd >= limit) {
		pthread_mutex_unlock(&t->lock);
		return -EMFILE;
	}
	if (fdt_grow_locked(t, fd + 1)) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	file_get(f);
	t->files[fd] = f;
	t->flags[fd] = fd_flags & FDT_CLOEXEC;
	pthread_mutex_unlock(&t->lock);
	return fd;
}

int fdt_install_at(struct fd_table *t, int fd, struct file *f, int fd_flags, uint64_t limit)
{
	if (fd < 0 || (uint64_t)fd >= limit)
		return -EBADF;
	pthread_mutex_lock(&t->lock);
	if (fdt_grow_locked(t, fd + 1)) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	struct file *old = t->files[fd];
	file_get(f);
	t->files[fd] = f;
	t->flags[fd] = fd_flags & FDT_CLOEXEC;
	pthread_mutex_unlock(&t->lock);
	if (old)
		fdt_release_file(t, old);
	return fd;
}

struct file *fdt_get_file(struct fd_table *t, int fd)
{
	struct file *f = NULL;
	pthread_mutex_lock(&t->lock);
	if (fd >= 0 && fd < t->size && t->files[fd]) {
		f = t->files[fd];
		file_get(f);
	}
	pthread_mutex_unlock(&t->lock);
	return f;
}

int fdt_get_flags(struct fd_table *t, int fd)
{
	int r = -EBADF;
	pthread_mutex_lock(&t->lock);
	if (fd >= 0 && fd < t->size && t->files[fd])
		r = t->flags[fd];
	pthread_mutex_unlock(&t->lock);
	return r;
}

int fdt_set_flags(struct fd_table *t, int fd, int flags)
{
	int r = -EBADF;
	pthread_mutex_lock(&t->lock);
	if (fd >= 0 && fd < t->size && t->files[fd]) {
		t->flags[fd] = flags & FDT_CLOEXEC;
		r = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

int fdt_close(struct fd_table *t, int fd)
{
	pthread_mutex_lock(&t->lock);
	if (fd < 0 || fd >= t->size || !t->files[fd]) {
		pthread_mutex_unlock(&t->lock);
		return -EBADF;
	}
	struct file *f = t->files[fd];
	t->files[fd] = NULL;
	t->flags[fd] = 0;
	pthread_mutex_unlock(&t->lock);
	fdt_release_file(t, f);
	return 0;
}

int fdt_close_range(struct fd_table *t, unsigned first, unsigned last, bool cloexec_only)
{
	for (;;) {
		struct file *f = NULL;
		pthread_mutex_lock(&t->lock);
		unsigned end = MIN(last, (unsigned)t->size - 1);
		if (t->size == 0 || first > end) {
			pthread_mutex_unlock(&t->lock);
			return 0;
		}
		for (; first <= end; first++) {
			if (!t->files[first])
				continue;
			if (cloexec_only) {
				t->flags[first] |= FDT_CLOEXEC;
				continue;
			}
			f = t->files[first];
			t->files[first] = NULL;
			t->flags[first] = 0;
			first++;
			break;
		}
		pthread_mutex_unlock(&t->lock);
		if (!f)
			return 0;
		fdt_release_file(t, f);
		if (first == 0)   /* wrapped past UINT_MAX */
			return 0;
	}
}

void fdt_close_on_exec(struct fd_table *t)
{
	for (int fd = 0;; fd++) {
		struct file *f = NULL;
		pthread_mutex_lock(&t->lock);
		if (fd >= t->size) {
			pthread_mutex_unlock(&t->lock);
			return;
		}
		if (t->files[fd] && (t->flags[fd] & FDT_CLOEXEC)) {
			f = t->files[fd];
			t->files[fd] = NULL;
			t->flags[fd] = 0;
		}
		pthread_mutex_unlock(&t->lock);
		if (f)
			fdt_release_file(t, f);
	}
}

int fdt_max_fd(struct fd_table *t)
{
	pthread_mutex_lock(&t->lock);
	int n = t->size;
	while (n > 0 && !t->files[n - 1])
		n--;
	pthread_mutex_unlock(&t->lock);
	return n;
}

int fdt_capacity(struct fd_table *t)
{
	pthread_mutex_lock(&t->lock);
	int n = t->size;
	pthread_mutex_unlock(&t->lock);
	/* Linux's table starts with 64 slots (NR_OPEN_DEFAULT) and doubles, as ours. */
	return n < 64 ? 64 : n;
}
