/* Path resolution: .., //, ., trailing slashes, length limits. */
#include "conformance.h"

int main(void)
{
	struct stat st, st2;
	char p[PATH_MAX + 64];
	SETUP(mkdir(T("d"), 0755));
	SETUP(mkdir(T("d/e"), 0755));
	SETUP(write_file(T("f"), "x"));

	stat(T("f"), &st);
	CHECK(stat(T("d/../f"), &st2) == 0 && st2.st_ino == st.st_ino, "dotdot");
	CHECK(stat(T("d/e/../../f"), &st2) == 0 && st2.st_ino == st.st_ino, "dotdot_twice");
	CHECK(stat(T("./d/./../f"), &st2) == 0 && st2.st_ino == st.st_ino, "dots");
	snprintf(p, sizeof p, "%s//d///..//f", conf_tmpdir());
	CHECK(stat(p, &st2) == 0 && st2.st_ino == st.st_ino, "double_slashes");
	snprintf(p, sizeof p, "/%s", T("f"));
	CHECK(stat(p, &st2) == 0 && st2.st_ino == st.st_ino, "leading_double_slash");

	struct stat root, r2;
	stat("/", &root);
	CHECK(stat("/..", &r2) == 0 && r2.st_ino == root.st_ino && r2.st_dev == root.st_dev, "root_dotdot_is_root");
	CHECK(stat("/../../..", &r2) == 0 && r2.st_ino == root.st_ino, "root_dotdot_many");
	CHECK(stat("//", &r2) == 0 && r2.st_ino == root.st_ino, "double_slash_root");

	CHECK_ERR(stat(T("f/"), &st2), ENOTDIR, "trailing_slash_file");
	CHECK_ERR(stat(T("f/."), &st2), ENOTDIR, "file_dot");
	CHECK_ERR(stat(T("f/.."), &st2), ENOTDIR, "file_dotdot");
	CHECK_ERR(open(T("f/"), O_RDONLY), ENOTDIR, "open_trailing_slash_file");
	CHECK_OK(stat(T("d/"), &st2), "trailing_slash_dir");
	CHECK_OK(stat(T("d//"), &st2), "trailing_slashes_dir");
	CHECK_ERR(stat(T("missing/.."), &st2), ENOENT, "missing_dotdot");
	CHECK_ERR(stat("", &st2), ENOENT, "empty");

	/* .. through a symlinked directory is the link target's parent. */
	SETUP(symlink("d/e", T("el")));
	CHECK(stat(T("el/.."), &st2) == 0 && stat(T("d"), &st) == 0 && st2.st_ino == st.st_ino,
	      "symlink_dotdot_physical");

	/* Name length: 255 ok, 256 ENAMETOOLONG. */
	char name[300];
	memset(name, 'n', 255);
	name[255] = 0;
	int fd;
	CHECK_OK(fd = open(T(name), O_CREAT | O_WRONLY, 0644), "name_255_ok");
	close(fd);
	CHECK_OK(stat(T(name), &st2), "name_255_stat");
	name[255] = 'n';
	name[256] = 0;
	CHECK_ERR(open(T(name), O_CREAT | O_WRONLY, 0644), ENAMETOOLONG, "name_256_create");
	CHECK_ERR(stat(T(name), &st2), ENAMETOOLONG, "name_256_stat");
	CHECK_ERR(mkdir(T(name), 0755), ENAMETOOLONG, "name_256_mkdir");

	/* Whole path: strlen >= PATH_MAX is ENAMETOOLONG. */
	static char longp[PATH_MAX + 16];
	size_t n = 0;
	while (n < PATH_MAX + 8) {
		memcpy(longp + n, "./", 2);
		n += 2;
	}
	longp[n] = 0;
	longp[PATH_MAX] = 0; /* strlen == PATH_MAX */
	longp[PATH_MAX - 1] = '.';
	CHECK_ERR(stat(longp, &st2), ENAMETOOLONG, "path_max");
	longp[PATH_MAX - 1] = 0; /* strlen == PATH_MAX - 1: "./././...." */
	longp[PATH_MAX - 2] = '.';
	CHECK_OK(stat(longp, &st2), "path_max_minus_one_ok");

	/* Absolute path through .. of the tmp dir. */
	snprintf(p, sizeof p, "%s/d/e/../../../%s/f", conf_tmpdir(), strrchr(conf_tmpdir(), '/') + 1);
	CHECK(stat(p, &st2) == 0 && stat(T("f"), &st) == 0 && st2.st_ino == st.st_ino, "dotdot_out_and_back");
	return conf_exit();
}
