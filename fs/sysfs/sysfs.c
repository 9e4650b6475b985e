/*
 * sysfs: a minimal, read-only tree so that nproc and friends work:
 * /sys/devices/system/cpu/{online,possible,present} and an empty
 * /sys/fs/cgroup. Built as a tmpfs at boot, then marked read-only.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/magic.h>
#include "fs/tmpfs/tmpfs_internal.h"

static int add_path_dir(struct dentry *dir, const char *name, struct dentry **out)
{
	return tmpfs_add_dir(dir, name, 0755, out);
}

int sysfs_create(struct super_block **sbp, struct dentry **rootp)
{
	struct super_block *sb = tmpfs_create_sb(1 << 20, "sysfs", SYSFS_MAGIC);
	if (!sb)
		return -ENOMEM;
	vfs_lock();
	struct dentry *root = tmpfs_make_root(sb, 0555, NULL);
	vfs_unlock();
	if (!root)
		return -ENOMEM;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char range[32];
	if (n <= 1)
		snprintf(range, sizeof(range), "0\n");
	else
		snprintf(range, sizeof(range), "0-%ld\n", n - 1);
	struct dentry *devices = NULL, *system = NULL, *cpu = NULL, *fs = NULL, *cg = NULL;
	int rc = add_path_dir(root, "devices", &devices);
	if (!rc)
		rc = add_path_dir(devices, "system", &system);
	if (!rc)
		rc = add_path_dir(system, "cpu", &cpu);
	if (!rc)
		rc = tmpfs_add_file(cpu, "online", 0444, range);
	if (!rc)
		rc = tmpfs_add_file(cpu, "possible", 0444, range);
	if (!rc)
		rc = tmpfs_add_file(cpu, "present", 0444, range);
	for (long i = 0; !rc && i < n && i < 1024; i++) {
		char name[16];
		struct dentry *c;
		snprintf(name, sizeof(name), "cpu%ld", i);
		if (!(rc = add_path_dir(cpu, name, &c)))
			dentry_put(c);
	}
	if (!rc)
		rc = add_path_dir(root, "fs", &fs);
	if (!rc)
		rc = add_path_dir(fs, "cgroup", &cg);
	struct dentry *ds[] = { devices, system, cpu, fs, cg };
	for (size_t i = 0; i < ARRAY_SIZE(ds); i++)
		if (ds[i])
			dentry_put(ds[i]);
	if (rc) {
		dentry_put(root);
		return rc;
	}
	sb->readonly = true;
	*sbp = sb;
	*rootp = root;
	return 0;
}
