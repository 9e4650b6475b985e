/* Extended attributes: set/get/list/remove through paths, symlinks (l*)
 * and descriptors (f*); XATTR_CREATE / XATTR_REPLACE, ERANGE, ENODATA,
 * E2BIG, bad names; the user / trusted / security namespaces for root and
 * for an unprivileged user (sticky directories, mode bits); on the temp
 * directory and on a tmpfs (/dev/shm). */
#include "conformance.h"
#include <sys/xattr.h>

/* Is name in the NUL-separated list of len bytes? */
static int listed(const char *list, ssize_t len, const char *name)
{
	for (ssize_t i = 0; i < len; i += strlen(list + i) + 1)
		if (strcmp(list + i, name) == 0)
			return 1;
	return 0;
}

static void test_basic(const char *dir, const char *tag)
{
	char path[PATH_MAX], name[64], buf[256];
	snprintf(path, sizeof(path), "%s/xf", dir);
	SETUP(write_file(path, "data"));
#define N(s) (snprintf(name, sizeof(name), "%s_%s", tag, s), name)
	CHECK_EQ(setxattr(path, "user.a", "v1", 2, 0), 0, N("set"));
	CHECK_EQ(getxattr(path, "user.a", buf, sizeof(buf)), 2, N("get"));
	CHECK(memcmp(buf, "v1", 2) == 0, N("get_value"));
	CHECK_EQ(getxattr(path, "user.a", NULL, 0), 2, N("get_size"));
	CHECK_ERR(getxattr(path, "user.a", buf, 1), ERANGE, N("get_erange"));
	CHECK_ERR(setxattr(path, "user.a", "v2", 2, XATTR_CREATE), EEXIST, N("create_exists"));
	CHECK_ERR(setxattr(path, "user.b", "v2", 2, XATTR_REPLACE), ENODATA, N("replace_missing"));
	CHECK_EQ(setxattr(path, "user.a", "value2", 6, XATTR_REPLACE), 0, N("replace"));
	CHECK_EQ(getxattr(path, "user.a", buf, sizeof(buf)), 6, N("replaced_size"));
	CHECK_ERR(setxattr(path, "user.a", "v", 1, XATTR_CREATE | XATTR_REPLACE | 4), EINVAL,
		  N("bad_flags"));
	CHECK_EQ(setxattr(path, "user.empty", NULL, 0, 0), 0, N("set_empty"));
	CHECK_EQ(getxattr(path, "user.empty", buf, sizeof(buf)), 0, N("get_empty"));
	ssize_t n = listxattr(path, buf, sizeof(buf));
	CHECK(n == (ssize_t)(sizeof("user.a") + sizeof("user.empty")) && listed(buf, n, "user.a") &&
	      listed(buf, n, "user.empty"), N("list"));
	CHECK_EQ(listxattr(path, NULL, 0), n, N("list_size"));
	CHECK_ERR(listxattr(path, buf, 3), ERANGE, N("list_erange"));
	CHECK_EQ(removexattr(path, "user.empty"), 0, N("remove"));
	CHECK_ERR(removexattr(path, "user.empty"), ENODATA, N("remove_again"));
	CHECK_ERR(getxattr(path, "user.empty", buf, sizeof(buf)), ENODATA, N("get_removed"));
	CHECK_ERR(getxattr(path, "user.nope", buf, sizeof(buf)), ENODATA, N("get_missing"));
	/* Names and sizes. */
	CHECK_ERR(setxattr(path, "", "v", 1, 0), ERANGE, N("empty_name"));
	char longname[300];
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "user.", 5);
	longname[256] = 0;
	CHECK_ERR(setxattr(path, longname, "v", 1, 0), ERANGE, N("name_256"));
	CHECK_ERR(getxattr(path, longname, buf, sizeof(buf)), ERANGE, N("get_name_256"));
	static char big[65537];
	CHECK_ERR(setxattr(path, "user.big", big, sizeof(big), 0), E2BIG, N("value_e2big"));
	CHECK_ERR(setxattr(path, "foo.bar", "v", 1, 0), EOPNOTSUPP, N("unknown_namespace"));
	CHECK_ERR(getxattr(path, "foo.bar", buf, sizeof(buf)), EOPNOTSUPP, N("get_unknown_ns"));
	CHECK_ERR(setxattr(path, "user.", "v", 1, 0), EINVAL, N("empty_suffix"));
	CHECK_ERR(setxattr(path, conf_bad_ptr(), "v", 1, 0), EFAULT, N("name_efault"));
	CHECK_ERR(setxattr(path, "user.f", conf_bad_ptr(), 1, 0), EFAULT, N("value_efault"));
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	CHECK_ERR(getxattr(missing, "user.a", buf, sizeof(buf)), ENOENT, N("enoent"));
	/* trusted.* and security.* as root. */
	CHECK_EQ(setxattr(path, "trusted.t", "tt", 2, 0), 0, N("trusted_root"));
	CHECK_EQ(setxattr(path, "security.s", "ss", 2, 0), 0, N("security_root"));
	n = listxattr(path, buf, sizeof(buf));
	CHECK(n > 0 && listed(buf, n, "trusted.t") && listed(buf, n, "security.s"),
	      N("list_root_sees_all"));
	/* Descriptors. */
	int fd = open(path, O_RDONLY);
	CHECK_EQ(fsetxattr(fd, "user.f", "ff", 2, 0), 0, N("fset_on_rdonly_fd"));
	CHECK_EQ(fgetxattr(fd, "user.f", buf, sizeof(buf)), 2, N("fget"));
	CHECK(flistxattr(fd, buf, sizeof(buf)) > 0, N("flist"));
	CHECK_EQ(fremovexattr(fd, "user.f"), 0, N("fremove"));
	close(fd);
	fd = open(path, O_PATH);
	CHECK_ERR(fgetxattr(fd, "user.a", buf, sizeof(buf)), EBADF, N("fget_o_path"));
	CHECK_ERR(fsetxattr(fd, "user.a", "x", 1, 0), EBADF, N("fset_o_path"));
	close(fd);
	CHECK_ERR(fgetxattr(-1, "user.a", buf, sizeof(buf)), EBADF, N("fget_ebadf"));
	/* Symlinks: user.* only on regular files and directories. */
	char link[PATH_MAX];
	snprintf(link, sizeof(link), "%s/xl", dir);
	SETUP(symlink("xf", link));
	CHECK_ERR(lsetxattr(link, "user.l", "v", 1, 0), EPERM, N("lset_user_symlink"));
	CHECK_ERR(lgetxattr(link, "user.a", buf, sizeof(buf)), ENODATA, N("lget_user_symlink"));
	CHECK_EQ(getxattr(link, "user.a", buf, sizeof(buf)), 6, N("get_follows"));
	CHECK_EQ(lsetxattr(link, "trusted.l", "v", 1, 0), 0, N("lset_trusted_symlink"));
	CHECK_EQ(lgetxattr(link, "trusted.l", buf, sizeof(buf)), 1, N("lget_trusted_symlink"));
	/* Directories take user.* too. */
	CHECK_EQ(setxattr(dir, "user.d", "d", 1, 0), 0, N("dir_user"));
	CHECK_EQ(removexattr(dir, "user.d"), 0, N("dir_remove"));
#undef N
}

/* A child running as uid/gid 65534; returns its exit code. */
static int as_nobody(int (*fn)(const char *), const char *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(100);
		_exit(fn(arg));
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 101;
}

/* Each returns 0 when the unprivileged user sees what Linux gives it. */
static int nobody_trusted(const char *path)
{
	char buf[256];
	if (getxattr(path, "trusted.t", buf, sizeof(buf)) != -1 || errno != ENODATA)
		return 1;
	if (setxattr(path, "trusted.n", "x", 1, 0) != -1 || errno != EPERM)
		return 2;
	ssize_t n = listxattr(path, buf, sizeof(buf));
	if (n < 0 || listed(buf, n, "trusted.t") || !listed(buf, n, "user.a"))
		return 3;
	return 0;
}

static int nobody_security(const char *path)
{
	char buf[16];
	/* Anyone reads security.*; writing it needs CAP_SYS_ADMIN. */
	if (getxattr(path, "security.s", buf, sizeof(buf)) != 2)
		return 1;
	if (setxattr(path, "security.n", "x", 1, 0) != -1 || errno != EPERM)
		return 2;
	if (removexattr(path, "security.s") != -1 || errno != EPERM)
		return 3;
	return 0;
}

static int nobody_user(const char *path)
{
	char buf[16];
	/* Mode 0644 owned by root: readable, not writable. */
	if (getxattr(path, "user.a", buf, sizeof(buf)) != 6)
		return 1;
	if (setxattr(path, "user.n", "x", 1, 0) != -1 || errno != EACCES)
		return 2;
	return 0;
}

static int nobody_sticky(const char *dir)
{
	/* A sticky directory (1777) of another owner: EPERM before the mode bits. */
	if (setxattr(dir, "user.n", "x", 1, 0) != -1 || errno != EPERM)
		return 1;
	return 0;
}

static void test_unprivileged(const char *dir, const char *tag)
{
	char path[PATH_MAX], name[64], sticky[PATH_MAX];
	snprintf(path, sizeof(path), "%s/xf", dir);
	snprintf(sticky, sizeof(sticky), "%s/sticky", dir);
	SETUP(mkdir(sticky, 01777));
	SETUP(chmod(sticky, 01777));
#define N(s) (snprintf(name, sizeof(name), "%s_%s", tag, s), name)
	CHECK_EQ(as_nobody(nobody_trusted, path), 0, N("nobody_trusted"));
	CHECK_EQ(as_nobody(nobody_security, path), 0, N("nobody_security"));
	CHECK_EQ(as_nobody(nobody_user, path), 0, N("nobody_user"));
	CHECK_EQ(as_nobody(nobody_sticky, sticky), 0, N("nobody_sticky_dir"));
#undef N
}

static void test_other_files(void)
{
	char buf[16];
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(fgetxattr(p[0], "user.a", buf, sizeof(buf)), ENODATA, "pipe_get_user");
	CHECK_ERR(fsetxattr(p[1], "user.a", "x", 1, 0), EPERM, "pipe_set_user");
	close(p[0]);
	close(p[1]);
	/* A host (lower layer) file: nothing to see. */
	CHECK_ERR(getxattr("/etc/passwd", "user.nothing", buf, sizeof(buf)), ENODATA,
		  "lower_file_enodata");
}

int main(void)
{
	SETUP(chmod(conf_tmpdir(), 0755));
	test_basic(conf_tmpdir(), "tmp");
	test_unprivileged(conf_tmpdir(), "tmp");
	char shm[64];
	snprintf(shm, sizeof(shm), "/dev/shm/conf-xattr-%d", getpid());
	SETUP(mkdir(shm, 0755));
	test_basic(shm, "tmpfs");
	test_unprivileged(shm, "tmpfs");
	conf_rm_rf_at(AT_FDCWD, shm);
	test_other_files();
	return conf_exit();
}
