/* mount(2) and umount2(2) as root: tmpfs (size=, ro, remount), bind mounts
 * of directories, proc, stacking and MNT_DETACH, and the errors (EINVAL,
 * ENODEV, ENOENT, EBUSY, EPERM).
 *
 * Natively the test first enters a private mount namespace, so nothing it
 * mounts is seen outside (and all is gone when it exits).
 */
#include "conformance.h"
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/magic.h>

static int write_bytes(const char *path, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	static char buf[4096];
	size_t done = 0;
	int err = 0;
	while (done < n) {
		ssize_t w = write(fd, buf, n - done < sizeof buf ? n - done : sizeof buf);
		if (w < 0) {
			err = errno;
			break;
		}
		done += w;
	}
	close(fd);
	errno = err;
	return err ? -1 : 0;
}

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

int main(void)
{
	/* Natively: a private namespace (the sandbox has one mount tree of its own). */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);

	char m[PATH_MAX], b[PATH_MAX], src[PATH_MAX], p[PATH_MAX], f[PATH_MAX + 16];
	snprintf(m, sizeof m, "%s", T("m"));
	snprintf(b, sizeof b, "%s", T("b"));
	snprintf(src, sizeof src, "%s", T("src"));
	snprintf(p, sizeof p, "%s", T("p"));
	SETUP(mkdir(m, 0755));
	SETUP(mkdir(b, 0755));
	SETUP(mkdir(src, 0755));
	SETUP(mkdir(p, 0755));

	/* ---- tmpfs ---- */
	CHECK_EQ(mount("tmpfs", m, "tmpfs", 0, "size=64k,mode=0750"), 0, "mount_tmpfs");
	struct statfs sfs;
	CHECK_EQ(statfs(m, &sfs), 0, "statfs_tmpfs");
	CHECK_EQ((long)sfs.f_type, (long)TMPFS_MAGIC, "tmpfs_magic");
	struct stat st;
	CHECK_EQ(stat(m, &st), 0, "stat_tmpfs_root");
	CHECK_EQ(st.st_mode & 07777, 0750, "tmpfs_mode_option");
	snprintf(f, sizeof f, "%s/file", m);
	CHECK_EQ(write_bytes(f, 16 * 1024), 0, "write_in_tmpfs");
	CHECK_ERR(write_bytes(f, 256 * 1024), ENOSPC, "tmpfs_size_enospc");
	FILE *mi = fopen("/proc/self/mounts", "r");
	int listed = 0;
	char line[4096];
	while (mi && fgets(line, sizeof line, mi))
		if (strstr(line, m))
			listed = 1;
	if (mi)
		fclose(mi);
	CHECK(listed, "tmpfs_in_proc_mounts");
	CHECK_EQ(umount(m), 0, "umount_tmpfs");
	CHECK(!exists(f), "file_gone_after_umount");
	CHECK_ERR(umount(m), EINVAL, "umount_not_mountpoint_einval");

	/* ---- errors ---- */
	CHECK_ERR(mount("x", m, "nosuchfs", 0, NULL), ENODEV, "unknown_fstype_enodev");
	CHECK_ERR(mount("tmpfs", T("missing"), "tmpfs", 0, NULL), ENOENT, "missing_target_enoent");
	CHECK_ERR(mount("tmpfs", m, "tmpfs", 0, "bogus_option=1"), EINVAL, "bad_tmpfs_option_einval");
	CHECK_ERR(umount2(m, 0x80000000), EINVAL, "umount2_bad_flags_einval");
	CHECK_ERR(umount2(m, MNT_EXPIRE | MNT_DETACH), EINVAL, "umount2_expire_detach_einval");
	CHECK_ERR(umount("/"), EBUSY, "umount_root_ebusy");

	/* ---- read-only and remount ---- */
	CHECK_EQ(mount("tmpfs", m, "tmpfs", MS_RDONLY, NULL), 0, "mount_ro");
	CHECK_ERR(write_bytes(f, 1), EROFS, "ro_write_erofs");
	CHECK_EQ(mount(NULL, m, NULL, MS_REMOUNT, NULL), 0, "remount_rw");
	CHECK_EQ(write_bytes(f, 1), 0, "rw_after_remount");
	CHECK_EQ(mount(NULL, m, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0, "remount_ro");
	CHECK_ERR(write_bytes(f, 1), EROFS, "ro_after_remount");
	CHECK_ERR(open(f, O_RDWR), EROFS, "ro_open_rdwr_erofs");
	CHECK_ERR(truncate(f, 0), EROFS, "ro_truncate_erofs");
	int rofd = open(f, O_RDONLY);
	CHECK(rofd >= 0, "ro_open_rdonly");
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rofd, 0) == MAP_FAILED && errno == EACCES,
	      "ro_mmap_shared_write_eacces");
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, rofd, 0) != MAP_FAILED,
	      "ro_mmap_private_write_ok");
	close(rofd);

	/* A mount inside a mount: EBUSY, and MNT_DETACH takes both. */
	char inner[PATH_MAX + 16];
	snprintf(inner, sizeof inner, "%s/inner", m);
	CHECK_EQ(mount(NULL, m, NULL, MS_REMOUNT, NULL), 0, "remount_rw_again");
	SETUP(mkdir(inner, 0755));
	CHECK_EQ(mount("tmpfs", inner, "tmpfs", 0, NULL), 0, "mount_nested");
	CHECK_ERR(umount(m), EBUSY, "umount_with_child_ebusy");
	CHECK_EQ(umount2(m, MNT_DETACH), 0, "umount_detach");
	CHECK(!exists(inner), "detached_subtree_gone");

	/* ---- bind mounts ---- */
	char sf[PATH_MAX + 16], bf[PATH_MAX + 16];
	snprintf(sf, sizeof sf, "%s/hello", src);
	snprintf(bf, sizeof bf, "%s/hello", b);
	SETUP(write_bytes(sf, 5));
	CHECK_EQ(mount(src, b, NULL, MS_BIND, NULL), 0, "bind_dir");
	CHECK(exists(bf), "bind_shows_source");
	CHECK_EQ(write_bytes(bf, 7), 0, "write_through_bind");
	CHECK_EQ(stat(sf, &st), 0, "stat_source_file");
	CHECK_EQ(st.st_size, 7, "bind_write_reaches_source");
	CHECK_ERR(mount(T("nope"), b, NULL, MS_BIND, NULL), ENOENT, "bind_missing_source_enoent");
	CHECK_EQ(mount(NULL, b, NULL, MS_PRIVATE, NULL), 0, "make_private");
	CHECK_EQ(umount(b), 0, "umount_bind");
	CHECK(!exists(bf), "bind_gone");
	CHECK(exists(sf), "source_kept");

	/* ---- proc ---- */
	char ps[PATH_MAX + 16];
	snprintf(ps, sizeof ps, "%s/self/status", p);
	CHECK_EQ(mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), 0, "mount_proc");
	CHECK(exists(ps), "proc_self_status");
	CHECK_EQ(umount(p), 0, "umount_proc");

	/* ---- unprivileged ---- */
	pid_t pid = fork();
	if (pid == 0) {
		if (setresuid(65534, 65534, 65534) != 0)
			_exit(2);
		/* The path is resolved first (the private dir is 0700), then the capability checked. */
		if (mount("tmpfs", m, "tmpfs", 0, NULL) == 0 || errno != EACCES)
			_exit(3);
		if (mount("tmpfs", "/tmp", "tmpfs", 0, NULL) == 0 || errno != EPERM)
			_exit(4);
		if (umount("/tmp") == 0 || errno != EPERM)
			_exit(5);
		_exit(0);
	}
	int ws;
	SETUP(waitpid(pid, &ws, 0));
	CHECK_EQ(WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, 0, "unprivileged_eperm");
	return conf_exit();
}
