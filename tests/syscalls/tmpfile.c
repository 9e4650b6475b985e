/* O_TMPFILE: unnamed files in a directory (flags it needs, nlink 0, the
 * /proc/self/fd name), given a name later by linkat(AT_EMPTY_PATH) or
 * through /proc/self/fd with AT_SYMLINK_FOLLOW; O_EXCL makes it
 * unlinkable; the umask applies; on the temp dir and on a tmpfs. */
#include "conformance.h"

static void test_dir(const char *dir, const char *tag)
{
	char name[64], path[PATH_MAX], buf[PATH_MAX];
#define N(s) (snprintf(name, sizeof(name), "%s_%s", tag, s), name)
	int fd = open(dir, O_TMPFILE | O_RDWR, 0640);
	CHECK_OK(fd, N("open"));
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0 &&
	      (st.st_mode & 0777) == 0640, N("unnamed_regular"));
	CHECK_EQ(write(fd, "tmpdata", 7), 7, N("write"));
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "%s/#%llu (deleted)", dir, (unsigned long long)st.st_ino);
	CHECK_STR(buf, want, N("proc_name"));
	/* Give it a name. */
	snprintf(path, sizeof(path), "%s/named", dir);
	CHECK_EQ(linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH), 0, N("linkat_empty_path"));
	CHECK(stat(path, &st) == 0 && st.st_nlink == 1 && st.st_size == 7, N("linked"));
	CHECK(read_file(path, buf, sizeof(buf)) == 7 && strcmp(buf, "tmpdata") == 0,
	      N("linked_data"));
	CHECK_ERR(linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH), EEXIST, N("linkat_exists"));
	close(fd);
	/* Through /proc/self/fd and AT_SYMLINK_FOLLOW. */
	fd = open(dir, O_TMPFILE | O_WRONLY, 0600);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	snprintf(path, sizeof(path), "%s/named2", dir);
	CHECK_EQ(linkat(AT_FDCWD, link, AT_FDCWD, path, AT_SYMLINK_FOLLOW), 0, N("linkat_proc"));
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode), N("linked_proc"));
	close(fd);
	/* O_EXCL: never linkable. */
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL, 0600);
	CHECK_OK(fd, N("open_excl"));
	snprintf(path, sizeof(path), "%s/named3", dir);
	CHECK_ERR(linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH), ENOENT, N("excl_not_linkable"));
	close(fd);
	/* The umask applies. */
	mode_t old = umask(077);
	fd = open(dir, O_TMPFILE | O_RDWR, 0666);
	CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600, N("umask"));
	close(fd);
	umask(old);
	/* Flag rules. */
	CHECK_ERR(open(dir, O_TMPFILE | O_RDONLY, 0600), EINVAL, N("rdonly_einval"));
	CHECK_ERR(open(dir, O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL, N("creat_einval"));
	snprintf(path, sizeof(path), "%s/named", dir);
	CHECK_ERR(open(path, O_TMPFILE | O_RDWR, 0600), ENOTDIR, N("not_dir"));
	snprintf(path, sizeof(path), "%s/nodir", dir);
	CHECK_ERR(open(path, O_TMPFILE | O_RDWR, 0600), ENOENT, N("missing_dir"));
	/* An unlinked (not O_TMPFILE) file cannot come back. */
	snprintf(path, sizeof(path), "%s/gone", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	unlink(path);
	CHECK_ERR(linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH), ENOENT, N("unlinked_enoent"));
	close(fd);
#undef N
}

int main(void)
{
	test_dir(conf_tmpdir(), "tmp");
	char shm[64];
	snprintf(shm, sizeof(shm), "/dev/shm/conf-tmpfile-%d", getpid());
	SETUP(mkdir(shm, 0755));
	test_dir(shm, "tmpfs");
	conf_rm_rf_at(AT_FDCWD, shm);
	return conf_exit();
}
