/* link/linkat. */
#include "conformance.h"

int main(void)
{
	struct stat st, st2;
	char buf[32];
	SETUP(write_file(T("f"), "one"));
	SETUP(mkdir(T("d"), 0755));
	SETUP(symlink("f", T("l")));

	CHECK_EQ(link(T("f"), T("g")), 0, "link");
	stat(T("f"), &st);
	stat(T("g"), &st2);
	CHECK_EQ(st.st_nlink, 2, "nlink_incremented");
	CHECK_EQ(st2.st_ino, st.st_ino, "same_inode");
	SETUP(write_file(T("g"), "two"));
	read_file(T("f"), buf, sizeof buf);
	CHECK_STR(buf, "two", "shared_content");
	CHECK_EQ(link(T("f"), T("d/h")), 0, "link_other_dir");
	stat(T("f"), &st);
	CHECK_EQ(st.st_nlink, 3, "nlink_three");
	unlink(T("g"));
	stat(T("f"), &st);
	CHECK_EQ(st.st_nlink, 2, "nlink_after_unlink");

	CHECK_ERR(link(T("f"), T("d/h")), EEXIST, "link_eexist");
	CHECK_ERR(link(T("missing"), T("x")), ENOENT, "link_enoent");
	CHECK_ERR(link(T("d"), T("dlink")), EPERM, "link_dir_eperm");
	CHECK_ERR(link(T("f"), T("missing/x")), ENOENT, "link_enoent_target_dir");

	/* link() does not follow a symlink source; linkat with FOLLOW does. */
	CHECK_EQ(link(T("l"), T("l2")), 0, "link_symlink");
	CHECK(lstat(T("l2"), &st2) == 0 && S_ISLNK(st2.st_mode), "link_symlink_is_link");
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(linkat(dfd, "l", dfd, "l3", AT_SYMLINK_FOLLOW), 0, "linkat_follow");
	CHECK(lstat(T("l3"), &st2) == 0 && S_ISREG(st2.st_mode) && st2.st_ino == st.st_ino,
	      "linkat_follow_is_target");
	CHECK_ERR(linkat(dfd, "f", dfd, "x", 0x1), EINVAL, "linkat_bad_flags");
	CHECK_ERR(linkat(9999, "f", dfd, "x", 0), EBADF, "linkat_ebadf");
	close(dfd);
	return conf_exit();
}
