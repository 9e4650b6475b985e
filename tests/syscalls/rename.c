/* rename/renameat/renameat2. */
#include "conformance.h"

static long content(const char *p, char *buf, size_t n)
{
	return read_file(p, buf, n);
}

int main(void)
{
	char buf[64];
	struct stat st, st2;
	SETUP(write_file(T("a"), "A"));
	SETUP(write_file(T("b"), "B"));
	SETUP(mkdir(T("d"), 0755));
	SETUP(mkdir(T("e"), 0755));
	SETUP(mkdir(T("full"), 0755));
	SETUP(write_file(T("full/x"), "x"));

	stat(T("a"), &st);
	CHECK_EQ(rename(T("a"), T("c")), 0, "rename_file");
	CHECK_ERR(access(T("a"), F_OK), ENOENT, "rename_old_gone");
	stat(T("c"), &st2);
	CHECK_EQ(st2.st_ino, st.st_ino, "rename_same_inode");

	CHECK_EQ(rename(T("c"), T("b")), 0, "rename_overwrite_file");
	content(T("b"), buf, sizeof buf);
	CHECK_STR(buf, "A", "rename_overwrite_content");
	CHECK_ERR(access(T("c"), F_OK), ENOENT, "rename_overwrite_old_gone");

	CHECK_EQ(rename(T("b"), T("b")), 0, "rename_same_name");
	CHECK_EQ(access(T("b"), F_OK), 0, "rename_same_name_kept");
	SETUP(link(T("b"), T("b2")));
	CHECK_EQ(rename(T("b"), T("b2")), 0, "rename_hardlink_same_inode_noop");
	CHECK(access(T("b"), F_OK) == 0 && access(T("b2"), F_OK) == 0, "rename_hardlink_both_remain");
	unlink(T("b2"));

	CHECK_ERR(rename(T("missing"), T("z")), ENOENT, "rename_enoent");
	CHECK_ERR(rename(T("b"), T("missing/z")), ENOENT, "rename_enoent_target_dir");
	CHECK_ERR(rename(T("b"), T("d")), EISDIR, "rename_file_onto_dir");
	CHECK_ERR(rename(T("d"), T("b")), ENOTDIR, "rename_dir_onto_file");
	CHECK_ERR(rename(T("d"), T("full")), ENOTEMPTY, "rename_dir_onto_nonempty");
	CHECK_ERR(rename(T("d"), T("d/sub")), EINVAL, "rename_dir_into_itself");
	CHECK_ERR(rename(T("b/"), T("q")), ENOTDIR, "rename_trailing_slash_file");
	CHECK_ERR(rename(T("b"), T("b/x")), ENOTDIR, "rename_into_file");

	SETUP(write_file(T("d/inner"), "i"));
	CHECK_EQ(rename(T("d"), T("e")), 0, "rename_dir_onto_empty_dir");
	CHECK_EQ(access(T("e/inner"), F_OK), 0, "rename_dir_moves_content");
	CHECK_ERR(access(T("d"), F_OK), ENOENT, "rename_dir_old_gone");
	CHECK_EQ(rename(T("e"), T("d/")), 0, "rename_dir_trailing_slash");
	/* Moving a directory to another parent updates nlink of the parents. */
	stat(T("full"), &st);
	CHECK_EQ(rename(T("d"), T("full/d")), 0, "rename_dir_other_parent");
	stat(T("full"), &st2);
	CHECK_EQ(st2.st_nlink, st.st_nlink + 1, "rename_dir_parent_nlink");
	CHECK_EQ(access(T("full/d/inner"), F_OK), 0, "rename_dir_other_parent_content");

	/* Symlinks are renamed, not followed. */
	SETUP(symlink("b", T("l")));
	CHECK_EQ(rename(T("l"), T("l2")), 0, "rename_symlink");
	CHECK(lstat(T("l2"), &st) == 0 && S_ISLNK(st.st_mode), "rename_symlink_still_link");

	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(renameat(dfd, "b", dfd, "b3"), 0, "renameat");
	CHECK_ERR(renameat(9999, "b3", dfd, "b"), EBADF, "renameat_ebadf");
	SETUP(write_file(T("other"), "O"));
	CHECK_ERR(renameat2(dfd, "b3", dfd, "other", RENAME_NOREPLACE), EEXIST, "renameat2_noreplace_eexist");
	CHECK_EQ(renameat2(dfd, "b3", dfd, "fresh", RENAME_NOREPLACE), 0, "renameat2_noreplace");
	CHECK_EQ(renameat2(dfd, "fresh", dfd, "other", RENAME_EXCHANGE), 0, "renameat2_exchange");
	content(T("other"), buf, sizeof buf);
	CHECK_STR(buf, "A", "renameat2_exchange_a");
	content(T("fresh"), buf, sizeof buf);
	CHECK_STR(buf, "O", "renameat2_exchange_b");
	CHECK_ERR(renameat2(dfd, "fresh", dfd, "nothere", RENAME_EXCHANGE), ENOENT, "renameat2_exchange_enoent");
	CHECK_ERR(renameat2(dfd, "fresh", dfd, "other", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL,
		  "renameat2_exchange_noreplace");
	CHECK_ERR(renameat2(dfd, "fresh", dfd, "x", 0x80), EINVAL, "renameat2_bad_flags");
	CHECK_EQ(renameat2(dfd, "fresh", dfd, "fresh2", 0), 0, "renameat2_no_flags");
	close(dfd);
	return conf_exit();
}
