/* Shared fixture for the VFS unit tests: a host "rootfs" tree under /tmp. */
#ifndef TESTS_UNIT_VFS_FIXTURE_H
#define TESTS_UNIT_VFS_FIXTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "fs/vfs.h"
#include "sentry/cred.h"
#include "sentry/memfile.h"

static char fx_root[64];
static struct fs_context *fx_fs;
static struct cred fx_cred;

static void fx_write(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", fx_root, rel);
	FILE *f = fopen(p, "w");
	cr_assert(f, "fixture %s", p);
	fputs(text, f);
	fclose(f);
}

static void fx_mkdir(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", fx_root, rel);
	cr_assert_eq(mkdir(p, 0755), 0);
}

static void fx_symlink(const char *target, const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", fx_root, rel);
	cr_assert_eq(symlink(target, p), 0);
}

/* Build the tree, then boot the VFS on it with the given tmpfs limit. */
static void fx_boot(uint64_t limit)
{
	strcpy(fx_root, "/tmp/vfs-unit-XXXXXX");
	cr_assert(mkdtemp(fx_root));
	fx_mkdir("etc");
	fx_write("etc/marker", "inside\n");
	fx_mkdir("a");
	fx_mkdir("a/b");
	fx_write("a/b/file", "data");
	fx_mkdir("full");
	fx_write("full/one", "1");
	fx_symlink("/etc", "abs_etc");
	fx_symlink("../etc/marker", "a/rel_marker");
	fx_symlink("loop2", "loop1");
	fx_symlink("loop1", "loop2");
	cr_assert_eq(mf_init(), 0);
	struct vfs_boot_config cfg = { .rootfs = fx_root, .tmpfs_limit = limit };
	cr_assert_eq(vfs_boot(&cfg, &fx_fs), 0);
	cred_init_root(&fx_cred);
}

static void fx_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx_root);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", fx_root);
}

static int fx_open(const char *path, int flags, struct file **f)
{
	return vfs_openat(fx_fs, &fx_cred, NULL, path, flags, 0644, f);
}

static int fx_stat(const char *path, struct stat *st)
{
	return vfs_statat(fx_fs, &fx_cred, NULL, path, 0, st);
}

/* Read a whole small file through the VFS into buf (NUL terminated). */
static long fx_read(const char *path, char *buf, size_t cap)
{
	struct file *f;
	int rc = fx_open(path, O_RDONLY, &f);
	if (rc)
		return rc;
	ssize_t n = vfs_pread(f, buf, cap - 1, 0);
	file_put(f);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

#endif
