/* Permission checks with the caller's credentials: the umask on every
 * kind of creation, mode bits for an unprivileged user (read, write,
 * search), the sticky directory rule for unlink and rename, chmod/chown
 * by a non-owner, and set-group-ID directories. */
#include "conformance.h"
#include <grp.h>

/* Run fn as uid/gid `id`; its exit code (0: as expected). */
static int as_user(int id, int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(id) || setuid(id))
			_exit(100);
		_exit(fn());
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 101;
}

static void test_umask(void)
{
	mode_t old = umask(027);
	CHECK_EQ(umask(027), 027, "umask_returns_old");
	struct stat st;
	int fd = open(T("u_file"), O_CREAT | O_WRONLY, 0777);
	CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0750, "umask_open");
	close(fd);
	CHECK(mkdir(T("u_dir"), 0777) == 0 && stat(T("u_dir"), &st) == 0 &&
	      (st.st_mode & 0777) == 0750, "umask_mkdir");
	CHECK(mknod(T("u_fifo"), S_IFIFO | 0666, 0) == 0 && stat(T("u_fifo"), &st) == 0 &&
	      (st.st_mode & 0777) == 0640, "umask_mknod");
	CHECK(symlink("x", T("u_link")) == 0 && lstat(T("u_link"), &st) == 0 &&
	      (st.st_mode & 0777) == 0777, "umask_not_on_symlink");
	/* chmod ignores the umask. */
	CHECK(chmod(T("u_file"), 0777) == 0 && stat(T("u_file"), &st) == 0 &&
	      (st.st_mode & 0777) == 0777, "chmod_ignores_umask");
	umask(old);
}

static int nobody_modes(void)
{
	if (open(T("secret"), O_RDONLY) != -1 || errno != EACCES)
		return 1;
	if (open(T("public"), O_WRONLY) != -1 || errno != EACCES)
		return 2;
	int fd = open(T("public"), O_RDONLY);
	if (fd < 0)
		return 3;
	close(fd);
	if (open(T("closed/inner"), O_RDONLY) != -1 || errno != EACCES)
		return 4;
	if (open(T("ro_dir/new"), O_CREAT | O_WRONLY, 0644) != -1 || errno != EACCES)
		return 5;
	if (unlink(T("ro_dir/f")) != -1 || errno != EACCES)
		return 6;
	if (chmod(T("public"), 0777) != -1 || errno != EPERM)
		return 7;
	if (chown(T("public"), 65534, 65534) != -1 || errno != EPERM)
		return 8;
	if (access(T("public"), W_OK) != -1 || errno != EACCES)
		return 9;
	if (access(T("public"), R_OK) != 0)
		return 10;
	return 0;
}

static void test_modes(void)
{
	SETUP(write_file(T("secret"), "s"));
	SETUP(chmod(T("secret"), 0600));
	SETUP(write_file(T("public"), "p"));
	SETUP(chmod(T("public"), 0644));
	SETUP(mkdir(T("closed"), 0700));
	SETUP(write_file(T("closed/inner"), "i"));
	SETUP(chmod(T("closed/inner"), 0644));
	SETUP(mkdir(T("ro_dir"), 0755));
	SETUP(write_file(T("ro_dir/f"), "f"));
	CHECK_EQ(as_user(65534, nobody_modes), 0, "mode_bits_nobody");
}

static int nobody_sticky(void)
{
	if (unlink(T("sticky/rootfile")) != -1 || errno != EPERM)
		return 1;
	if (rename(T("sticky/rootfile"), T("sticky/moved")) != -1 || errno != EPERM)
		return 2;
	if (write_file(T("sticky/mine"), "m"))
		return 3;
	if (rename(T("sticky/mine"), T("sticky/mine2")))
		return 4;
	return 0;
}

static int other_sticky(void)
{
	/* Not the owner of the file nor of the directory. */
	if (unlink(T("sticky/mine2")) != -1 || errno != EPERM)
		return 1;
	return 0;
}

static int nobody_cleanup(void)
{
	return unlink(T("sticky/mine2")) ? 1 : 0;
}

static void test_sticky(void)
{
	SETUP(mkdir(T("sticky"), 0777));
	SETUP(chmod(T("sticky"), 01777));
	SETUP(write_file(T("sticky/rootfile"), "r"));
	SETUP(chmod(T("sticky/rootfile"), 0666));
	CHECK_EQ(as_user(65534, nobody_sticky), 0, "sticky_nobody");
	CHECK_EQ(as_user(65533, other_sticky), 0, "sticky_other_user");
	CHECK_EQ(as_user(65534, nobody_cleanup), 0, "sticky_owner_unlinks");
	CHECK_EQ(unlink(T("sticky/rootfile")), 0, "sticky_root_unlinks");
}

static void test_setgid_dir(void)
{
	SETUP(mkdir(T("sgid"), 0775));
	SETUP(chown(T("sgid"), 0, 4242));
	SETUP(chmod(T("sgid"), 02775));
	struct stat st;
	SETUP(write_file(T("sgid/f"), "x"));
	CHECK(stat(T("sgid/f"), &st) == 0 && st.st_gid == 4242, "sgid_file_group");
	SETUP(mkdir(T("sgid/d"), 0755));
	CHECK(stat(T("sgid/d"), &st) == 0 && st.st_gid == 4242 && (st.st_mode & S_ISGID),
	      "sgid_dir_inherits");
}

int main(void)
{
	SETUP(chmod(conf_tmpdir(), 0755));
	test_umask();
	test_modes();
	test_sticky();
	test_setgid_dir();
	return conf_exit();
}
