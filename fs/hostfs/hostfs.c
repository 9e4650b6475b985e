/*
 * hostfs: read-only host directory access, one component at a time.
 * See hostfs.h for the containment rules.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include "fs/hostfs/hostfs.h"

/* Host devices of devtmpfs mounts (devtmpfs reports TMPFS_MAGIC, so f_type cannot tell). */
static dev_t hidden_devs[16];
static int nhidden_devs;
/* Scanned once, at the first lookup that needs it (which may run without vfs_lock). */
static pthread_once_t hidden_scanned = PTHREAD_ONCE_INIT;

static void scan_mountinfo(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	char line[4096];
	while (fgets(line, sizeof(line), f) && nhidden_devs < (int)ARRAY_SIZE(hidden_devs)) {
		unsigned maj, min;
		if (sscanf(line, "%*d %*d %u:%u", &maj, &min) != 2)
			continue;
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		char fstype[64];
		if (sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		if (!strcmp(fstype, "devtmpfs") || !strcmp(fstype, "mqueue") ||
		    !strcmp(fstype, "hugetlbfs") || !strcmp(fstype, "configfs") ||
		    !strcmp(fstype, "fusectl"))
			hidden_devs[nhidden_devs++] = makedev(maj, min);
	}
	fclose(f);
}

bool hostfs_hidden_fs(int fd, dev_t dev)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return true;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC: case SYSFS_MAGIC: case DEVPTS_SUPER_MAGIC:
	case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC: case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC: case SECURITYFS_MAGIC: case BPF_FS_MAGIC: case PSTOREFS_MAGIC:
	case EFIVARFS_MAGIC: case BINFMTFS_MAGIC: case NSFS_MAGIC:
		return true;
	}
	pthread_once(&hidden_scanned, scan_mountinfo);
	for (int i = 0; i < nhidden_devs; i++)
		if (hidden_devs[i] == dev)
			return true;
	return false;
}

int hostfs_openat2(int dirfd, const char *name, uint64_t flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

static bool valid_component(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

int hostfs_open_root(const char *path, struct hostfs_node **out)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct hostfs_node *n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strdup("/"))) {
		free(n);
		close(fd);
		return -ENOMEM;
	}
	if (fstat(fd, &n->st) < 0) {
		int e = errno;
		close(fd);
		free(n->name);
		free(n);
		return -e;
	}
	n->refs = 1;
	n->fd = fd;
	*out = n;
	return 0;
}

void hostfs_node_get(struct hostfs_node *n)
{
	__atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
}

void hostfs_node_put(struct hostfs_node *n)
{
	while (n && !__atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL)) {
		struct hostfs_node *parent = n->parent;
		if (n->fd >= 0)
			close(n->fd);
		free(n->name);
		free(n);
		n = parent;
	}
}

int hostfs_lookup(struct hostfs_node *dir, const char *name, struct hostfs_node **out)
{
	if (dir->fd < 0)
		return -ENOTDIR;
	if (!valid_component(name))
		return -ENOENT;
	struct stat st;
	if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	int fd = -1;
	if (S_ISDIR(st.st_mode)) {
		fd = hostfs_openat2(dir->fd, name, O_PATH | O_DIRECTORY);
		if (fd < 0)
			return fd == -EXDEV || fd == -ELOOP ? -ENOENT : fd;
		if (fstat(fd, &st) < 0 || hostfs_hidden_fs(fd, st.st_dev)) {
			close(fd);
			return -ENOENT;
		}
	}
	struct hostfs_node *n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strdup(name))) {
		free(n);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	n->refs = 1;
	n->fd = fd;
	n->st = st;
	n->parent = dir;
	hostfs_node_get(dir);
	*out = n;
	return 0;
}

int hostfs_readdir(struct hostfs_node *dir, vfs_emit_fn emit, void *ctx)
{
	if (dir->fd < 0)
		return -ENOTDIR;
	return hostfs_readdir_fd(dir->fd, dir->st.st_dev, emit, ctx);
}

int hostfs_readdir_fd(int dirfd, dev_t dirdev, vfs_emit_fn emit, void *ctx)
{
	int fd = hostfs_openat2(dirfd, ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	char buf[16384];
	int rc = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *e = (void *)(buf + off);
			off += e->reclen;
			if (!strcmp(e->name, ".") || !strcmp(e->name, ".."))
				continue;
			if (e->type == DT_DIR) {
				/* A host mountpoint of a hidden file system is left out. */
				struct stat st;
				if (fstatat(dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    st.st_dev != dirdev) {
					int sub = hostfs_openat2(dirfd, e->name, O_PATH | O_DIRECTORY);
					bool hide = sub < 0 || hostfs_hidden_fs(sub, st.st_dev);
					if (sub >= 0)
						close(sub);
					if (hide)
						continue;
				}
			}
			if (emit(ctx, e->name, e->ino, e->type)) {
				close(fd);
				return 0;
			}
		}
	}
	close(fd);
	return rc;
}

long hostfs_readlink(struct hostfs_node *n, char *buf, size_t cap)
{
	if (!n->parent)
		return -EINVAL;
	ssize_t r = readlinkat(n->parent->fd, n->name, buf, cap);
	return r < 0 ? -errno : r;
}

int hostfs_open_file(struct hostfs_node *n)
{
	if (!S_ISREG(n->st.st_mode))
		return -EACCES;
	if (!n->parent)
		return -EACCES;
	int fd = hostfs_openat2(n->parent->fd, n->name, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EACCES;
	}
	return fd;
}
