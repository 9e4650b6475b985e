/* Path resolution: "..", symlinks inside a rootfs, ELOOP, ENOTDIR, ENAMETOOLONG. */
#include "tests/unit/vfs_fixture.h"

static void setup(void)
{
	fx_boot(64 << 20);
}

TestSuite(path, .init = setup, .fini = fx_cleanup);

Test(path, dotdot_stays_in_root)
{
	char buf[64];
	cr_assert_eq(fsctx_chdir(fx_fs, &fx_cred, "/a/b/../../../../.."), 0);
	cr_assert_eq(vfs_getcwd(fx_fs, buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "/");
	/* "/../../etc/marker" is the rootfs's file, not the host's /etc. */
	cr_assert_gt(fx_read("/../../etc/marker", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "inside\n");
	cr_assert_eq(fx_read("/../etc/passwd", buf, sizeof(buf)), -ENOENT);
}

Test(path, absolute_symlink_resolves_in_rootfs)
{
	char buf[64];
	cr_assert_gt(fx_read("/abs_etc/marker", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "inside\n");
	/* The host's /etc/passwd exists; the rootfs has none. */
	cr_assert_eq(fx_read("/abs_etc/passwd", buf, sizeof(buf)), -ENOENT);
	cr_assert_gt(fx_read("/a/rel_marker", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "inside\n");
}

Test(path, symlink_loop_is_eloop)
{
	struct file *f;
	cr_assert_eq(fx_open("/loop1", O_RDONLY, &f), -ELOOP);
	struct stat st;
	cr_assert_eq(vfs_statat(fx_fs, &fx_cred, NULL, "/loop1", AT_SYMLINK_NOFOLLOW, &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
}

Test(path, forty_links_ok_forty_one_eloop)
{
	char name[32], target[32];
	/* l0 -> /etc/marker, l1 -> l0, ... l40 -> l39 (in the upper layer). */
	cr_assert_eq(vfs_symlinkat(fx_fs, &fx_cred, "/etc/marker", NULL, "/l0"), 0);
	for (int i = 1; i <= 40; i++) {
		snprintf(name, sizeof(name), "/l%d", i);
		snprintf(target, sizeof(target), "l%d", i - 1);
		cr_assert_eq(vfs_symlinkat(fx_fs, &fx_cred, target, NULL, name), 0);
	}
	char buf[64];
	cr_assert_gt(fx_read("/l39", buf, sizeof(buf)), 0);   /* 40 links */
	cr_assert_eq(fx_read("/l40", buf, sizeof(buf)), -ELOOP);
}

Test(path, enotdir_and_trailing_slash)
{
	struct stat st;
	cr_assert_eq(fx_stat("/etc/marker/x", &st), -ENOTDIR);
	cr_assert_eq(fx_stat("/etc/marker/", &st), -ENOTDIR);
	cr_assert_eq(fx_stat("/etc/", &st), 0);
	cr_assert_eq(fx_stat("/abs_etc/", &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
}

Test(path, empty_and_long_names)
{
	struct stat st;
	cr_assert_eq(fx_stat("", &st), -ENOENT);
	cr_assert_eq(vfs_statat(fx_fs, &fx_cred, NULL, "", AT_EMPTY_PATH, &st), 0);
	char name[300];
	memset(name, 'x', 256);
	name[0] = '/';
	name[257] = 0;
	memset(name + 1, 'x', 256);
	cr_assert_eq(fx_stat(name, &st), -ENAMETOOLONG);
	char *longp = malloc(5000);
	memset(longp, '/', 4999);
	longp[4999] = 0;
	cr_assert_eq(fx_stat(longp, &st), -ENAMETOOLONG);
	free(longp);
}

Test(path, host_pseudo_fs_are_ours)
{
	/* /proc, /dev and /sys are the sentry's own, whatever the rootfs holds. */
	struct stat st;
	cr_assert_eq(fx_stat("/dev/null", &st), 0);
	cr_assert(S_ISCHR(st.st_mode));
	cr_assert_eq(st.st_rdev, makedev(1, 3));
	cr_assert_eq(st.st_mode & 0777, 0666);
	cr_assert_eq(fx_stat("/sys/devices/system/cpu/online", &st), 0);
	cr_assert_eq(fx_stat("/proc/meminfo", &st), 0);
	/* Outside a task there is no /proc/self. */
	cr_assert_eq(fx_stat("/proc/self", &st), -ENOENT);
}
