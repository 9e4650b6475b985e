/* Overlay copy-up and whiteouts, opaque directories, tmpfs ENOSPC, devfs. */
#include "tests/unit/vfs_fixture.h"

static void setup(void)
{
	fx_boot(64 << 20);
}

TestSuite(vfs, .init = setup, .fini = fx_cleanup);

static void host_read(const char *rel, char *buf, size_t cap)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", fx_root, rel);
	int fd = open(p, O_RDONLY);
	cr_assert_geq(fd, 0);
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
}

Test(vfs, overlay_copy_up_keeps_host_and_ino)
{
	struct stat before, after;
	cr_assert_eq(fx_stat("/etc/marker", &before), 0);
	struct file *f;
	cr_assert_eq(fx_open("/etc/marker", O_WRONLY | O_APPEND, &f), 0);
	struct iovec iov = { "more\n", 5 };
	cr_assert_eq(vfs_writev(f, &iov, 1, NULL), 5);
	file_put(f);
	char buf[64];
	cr_assert_gt(fx_read("/etc/marker", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "inside\nmore\n");
	host_read("etc/marker", buf, sizeof(buf));
	cr_assert_str_eq(buf, "inside\n");
	cr_assert_eq(fx_stat("/etc/marker", &after), 0);
	cr_assert_eq(before.st_ino, after.st_ino);
	cr_assert_eq(after.st_size, 12);
}

Test(vfs, overlay_chmod_is_metadata_copy_up)
{
	struct vfs_setattr sa = { .set_mode = true, .mode = 0600 };
	cr_assert_eq(vfs_setattrat(fx_fs, &fx_cred, NULL, "/etc/marker", 0, &sa), 0);
	struct stat st;
	cr_assert_eq(fx_stat("/etc/marker", &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	char p[256];
	snprintf(p, sizeof(p), "%s/etc/marker", fx_root);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_neq(st.st_mode & 0777, 0600);
}

struct count_ctx {
	const char *want;
	bool *found;
	int n;
};

static int count_emit(void *p, const char *name, uint64_t ino, int64_t off, unsigned type)
{
	struct count_ctx *cc = p;
	cc->n++;
	if (!strcmp(name, cc->want))
		*cc->found = true;
	return 0;
}

static int count_entries(const char *dir, const char *want, bool *found)
{
	struct file *f;
	cr_assert_eq(fx_open(dir, O_RDONLY | O_DIRECTORY, &f), 0);
	struct count_ctx c = { want, found, 0 };
	*found = false;
	cr_assert_geq(vfs_readdir(f, count_emit, &c), 0);
	file_put(f);
	return c.n;
}

Test(vfs, overlay_whiteout_hides_lower)
{
	bool found;
	count_entries("/etc", "marker", &found);
	cr_assert(found);
	cr_assert_eq(vfs_unlinkat(fx_fs, &fx_cred, NULL, "/etc/marker", 0), 0);
	struct stat st;
	cr_assert_eq(fx_stat("/etc/marker", &st), -ENOENT);
	count_entries("/etc", "marker", &found);
	cr_assert_not(found);
	char p[256];
	snprintf(p, sizeof(p), "%s/etc/marker", fx_root);
	cr_assert_eq(stat(p, &st), 0, "the host file must stay");
	/* Creating the name again replaces the whiteout with an empty upper file. */
	struct file *f;
	cr_assert_eq(fx_open("/etc/marker", O_CREAT | O_WRONLY, &f), 0);
	file_put(f);
	cr_assert_eq(fx_stat("/etc/marker", &st), 0);
	cr_assert_eq(st.st_size, 0);
}

Test(vfs, overlay_opaque_dir_after_rmdir_mkdir)
{
	cr_assert_eq(vfs_unlinkat(fx_fs, &fx_cred, NULL, "/full", AT_REMOVEDIR), -ENOTEMPTY);
	cr_assert_eq(vfs_unlinkat(fx_fs, &fx_cred, NULL, "/full/one", 0), 0);
	cr_assert_eq(vfs_unlinkat(fx_fs, &fx_cred, NULL, "/full", AT_REMOVEDIR), 0);
	cr_assert_eq(vfs_mkdirat(fx_fs, &fx_cred, NULL, "/full", 0755), 0);
	bool found;
	cr_assert_eq(count_entries("/full", "one", &found), 2);   /* "." and ".." */
	cr_assert_not(found);
	struct stat st;
	char p[256];
	snprintf(p, sizeof(p), "%s/full/one", fx_root);
	cr_assert_eq(stat(p, &st), 0);
}

Test(vfs, overlay_rename_file_and_lower_dir_exdev)
{
	cr_assert_eq(vfs_renameat(fx_fs, &fx_cred, NULL, "/a/b/file", NULL, "/moved", 0), 0);
	char buf[64];
	cr_assert_eq(fx_read("/moved", buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "data");
	struct stat st;
	cr_assert_eq(fx_stat("/a/b/file", &st), -ENOENT);
	cr_assert_eq(vfs_renameat(fx_fs, &fx_cred, NULL, "/a", NULL, "/a2", 0), -EXDEV);
	cr_assert_eq(vfs_renameat(fx_fs, &fx_cred, NULL, "/moved", NULL, "/etc/marker",
				  RENAME_NOREPLACE), -EEXIST);
}

Test(vfs, tmpfs_enospc)
{
	struct file *f;
	cr_assert_eq(fx_open("/dev/shm/big", O_CREAT | O_RDWR, &f), 0);
	static char chunk[1 << 20];
	memset(chunk, 'x', sizeof(chunk));
	ssize_t total = 0, n;
	struct iovec iov = { chunk, sizeof(chunk) };
	while ((n = vfs_writev(f, &iov, 1, NULL)) > 0)
		total += n;
	cr_assert_eq(n, -ENOSPC);
	cr_assert_gt(total, 0);
	cr_assert_leq(total, 64 << 20);
	struct vfs_setattr sa = { .set_size = true, .size = 0 };
	cr_assert_eq(vfs_fsetattr(f, &fx_cred, &sa), 0);
	cr_assert_eq(vfs_writev(f, &iov, 1, NULL), (ssize_t)sizeof(chunk));
	file_put(f);
}

Test(vfs, devfs_full_and_null)
{
	struct file *f;
	cr_assert_eq(fx_open("/dev/full", O_WRONLY, &f), 0);
	struct iovec iov = { "x", 1 };
	cr_assert_eq(vfs_writev(f, &iov, 1, NULL), -ENOSPC);
	file_put(f);
	cr_assert_eq(fx_open("/dev/null", O_RDWR, &f), 0);
	cr_assert_eq(vfs_writev(f, &iov, 1, NULL), 1);
	char c;
	cr_assert_eq(vfs_pread(f, &c, 1, 0), 0);
	file_put(f);
}

Test(vfs, permissions_for_non_root)
{
	struct cred user = { .uid = 1000, .euid = 1000, .suid = 1000, .fsuid = 1000,
			     .gid = 1000, .egid = 1000, .sgid = 1000, .fsgid = 1000 };
	struct file *f;
	/* Rootfs files belong to the host user running the test; make one root-only. */
	struct vfs_setattr sa = { .set_mode = true, .mode = 0600, .set_uid = true, .uid = 0 };
	cr_assert_eq(vfs_setattrat(fx_fs, &fx_cred, NULL, "/etc/marker", 0, &sa), 0);
	cr_assert_eq(vfs_openat(fx_fs, &user, NULL, "/etc/marker", O_RDONLY, 0, &f), -EACCES);
	cr_assert_eq(vfs_openat(fx_fs, &fx_cred, NULL, "/etc/marker", O_RDONLY, 0, &f), 0);
	file_put(f);
}
