/* unlink/unlinkat. */
#include "conformance.h"

int main(void)
{
	struct stat st;
	SETUP(write_file(T("f"), "data"));
	SETUP(mkdir(T("d"), 0755));
	SETUP(write_file(T("d/g"), "x"));

	CHECK_EQ(unlink(T("d/g")), 0, "unlink");
	CHECK_ERR(access(T("d/g"), F_OK), ENOENT, "unlink_removed");
	CHECK_ERR(unlink(T("d/g")), ENOENT, "unlink_enoent");
	CHECK_ERR(unlink(T("d")), EISDIR, "unlink_dir_eisdir");
	CHECK_ERR(unlink(T("f/x")), ENOTDIR, "unlink_enotdir");
	CHECK_ERR(unlink(T("f/")), ENOTDIR, "unlink_trailing_slash_file");
	CHECK_ERR(unlink(""), ENOENT, "unlink_empty");

	/* Unlinking a symlink removes the link, not the target. */
	SETUP(symlink("f", T("l")));
	CHECK_EQ(unlink(T("l")), 0, "unlink_symlink");
	CHECK(access(T("f"), F_OK) == 0 && lstat(T("l"), &st) == -1, "unlink_symlink_keeps_target");
	SETUP(symlink("d", T("dl")));
	CHECK_EQ(unlink(T("dl")), 0, "unlink_symlink_to_dir");

	/* An open file stays readable after unlink; nlink drops to 0. */
	int fd = open(T("f"), O_RDWR);
	CHECK_EQ(unlink(T("f")), 0, "unlink_open_file");
	char buf[8] = { 0 };
	CHECK_EQ(read(fd, buf, sizeof buf - 1), 4, "read_after_unlink");
	CHECK_STR(buf, "data", "read_after_unlink_content");
	fstat(fd, &st);
	CHECK_EQ(st.st_nlink, 0, "nlink_zero_after_unlink");
	CHECK_EQ(write(fd, "more", 4), 4, "write_after_unlink");
	/* A new file of the same name is a different file. */
	SETUP(write_file(T("f"), "new"));
	struct stat st2;
	stat(T("f"), &st2);
	CHECK_EQ(st2.st_size, 3, "recreated_is_new_file");
	close(fd);

	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(unlinkat(dfd, "f", 0), 0, "unlinkat_file");
	CHECK_ERR(unlinkat(dfd, "d", 0), EISDIR, "unlinkat_dir_no_flag");
	SETUP(write_file(T("h"), "x"));
	CHECK_ERR(unlinkat(dfd, "h", AT_REMOVEDIR), ENOTDIR, "unlinkat_removedir_file");
	CHECK_ERR(unlinkat(dfd, "h", 0x1), EINVAL, "unlinkat_bad_flags");
	SETUP(write_file(T("d/in"), "x"));
	CHECK_ERR(unlinkat(dfd, "d", AT_REMOVEDIR), ENOTEMPTY, "unlinkat_removedir_nonempty");
	unlink(T("d/in"));
	CHECK_EQ(unlinkat(dfd, "d", AT_REMOVEDIR), 0, "unlinkat_removedir");
	CHECK_ERR(access(T("d"), F_OK), ENOENT, "unlinkat_removedir_removed");
	CHECK_ERR(unlinkat(9999, "h", 0), EBADF, "unlinkat_ebadf");
	close(dfd);
	return conf_exit();
}
