/* readlink/readlinkat. */
#include "conformance.h"

int main(void)
{
	char buf[256];
	SETUP(write_file(T("f"), "x"));
	SETUP(symlink("target/path", T("l")));
	SETUP(symlink(T("f"), T("abs")));

	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlink(T("l"), buf, sizeof buf), 11, "readlink_len");
	CHECK(memcmp(buf, "target/path", 11) == 0, "readlink_content");
	CHECK_EQ(buf[11], 'X', "readlink_no_nul");
	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlink(T("l"), buf, 6), 6, "readlink_truncates");
	CHECK(memcmp(buf, "target", 6) == 0 && buf[6] == 'X', "readlink_truncated_content");
	CHECK_EQ(readlink(T("abs"), buf, sizeof buf), (long)strlen(T("f")), "readlink_absolute");

	CHECK_ERR(readlink(T("f"), buf, sizeof buf), EINVAL, "readlink_not_link");
	CHECK_ERR(readlink(conf_tmpdir(), buf, sizeof buf), EINVAL, "readlink_dir");
	CHECK_ERR(readlink(T("missing"), buf, sizeof buf), ENOENT, "readlink_enoent");
	CHECK_ERR(syscall(SYS_readlink, T("l"), buf, 0), EINVAL, "readlink_zero_size");
	CHECK_ERR(syscall(SYS_readlink, T("l"), BAD_PTR, 10), EFAULT, "readlink_efault");
	CHECK_ERR(readlink(T("f/x"), buf, sizeof buf), ENOTDIR, "readlink_enotdir");

	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(readlinkat(dfd, "l", buf, sizeof buf), 11, "readlinkat");
	/* readlinkat with an empty path reads the link an O_PATH fd refers to. */
	int lfd = open(T("l"), O_PATH | O_NOFOLLOW);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(readlinkat(lfd, "", buf, sizeof buf), 11, "readlinkat_empty_opath");
	CHECK_STR(buf, "target/path", "readlinkat_empty_opath_content");
	close(lfd);
	int ffd = open(T("f"), O_RDONLY);
	CHECK_ERR(readlinkat(ffd, "x", buf, sizeof buf), ENOTDIR, "readlinkat_file_dirfd");
	close(ffd);
	CHECK_ERR(readlinkat(9999, "l", buf, sizeof buf), EBADF, "readlinkat_ebadf");
	close(dfd);
	/* A link in a symlinked directory. */
	SETUP(mkdir(T("d"), 0755));
	SETUP(symlink("../f", T("d/up")));
	SETUP(symlink("d", T("dl")));
	memset(buf, 0, sizeof buf);
	readlink(T("dl/up"), buf, sizeof buf);
	CHECK_STR(buf, "../f", "readlink_through_dir_link");
	return conf_exit();
}
