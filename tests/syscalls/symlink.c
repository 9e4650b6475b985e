/* symlink/symlinkat: dangling, relative, chains, loops. */
#include "conformance.h"

int main(void)
{
	struct stat st;
	char buf[256];
	SETUP(write_file(T("f"), "target"));
	SETUP(mkdir(T("d"), 0755));

	CHECK_EQ(symlink("f", T("rel")), 0, "symlink_relative");
	CHECK_EQ(read_file(T("rel"), buf, sizeof buf), 6, "read_through_relative");
	CHECK_EQ(symlink(T("f"), T("abs")), 0, "symlink_absolute");
	CHECK_EQ(read_file(T("abs"), buf, sizeof buf), 6, "read_through_absolute");
	/* Relative targets resolve against the link's directory, not the cwd. */
	CHECK_EQ(symlink("../f", T("d/up")), 0, "symlink_in_subdir");
	CHECK_EQ(read_file(T("d/up"), buf, sizeof buf), 6, "relative_to_link_dir");

	CHECK_EQ(symlink("nowhere", T("dangling")), 0, "symlink_dangling");
	CHECK_ERR(stat(T("dangling"), &st), ENOENT, "stat_dangling");
	CHECK_OK(lstat(T("dangling"), &st), "lstat_dangling");
	CHECK_ERR(symlink("x", T("f")), EEXIST, "symlink_eexist");
	CHECK_ERR(symlink("x", T("dangling")), EEXIST, "symlink_eexist_link");
	CHECK_ERR(symlink("x", T("missing/l")), ENOENT, "symlink_enoent_parent");
	CHECK_ERR(symlink("", T("empty")), ENOENT, "symlink_empty_target");

	/* Chain of links. */
	SETUP(symlink("rel", T("c1")));
	SETUP(symlink("c1", T("c2")));
	CHECK_EQ(read_file(T("c2"), buf, sizeof buf), 6, "chain");
	/* Directory symlink in the middle of a path. */
	SETUP(write_file(T("d/in"), "in"));
	SETUP(symlink("d", T("dl")));
	CHECK_EQ(read_file(T("dl/in"), buf, sizeof buf), 2, "dir_symlink_component");
	CHECK_OK(stat(T("dl/."), &st), "dir_symlink_dot");
	CHECK_ERR(stat(T("rel/"), &st), ENOTDIR, "file_symlink_trailing_slash");
	CHECK_OK(lstat(T("dl/"), &st), "lstat_dir_symlink_trailing_slash_follows");
	CHECK(S_ISDIR(st.st_mode), "lstat_trailing_slash_isdir");

	/* Loops. */
	SETUP(symlink("loop2", T("loop1")));
	SETUP(symlink("loop1", T("loop2")));
	CHECK_ERR(stat(T("loop1"), &st), ELOOP, "loop_eloop");
	CHECK_ERR(open(T("loop1"), O_RDONLY), ELOOP, "open_loop_eloop");
	SETUP(symlink("self", T("self")));
	CHECK_ERR(stat(T("self"), &st), ELOOP, "self_loop");
	CHECK_ERR(stat(T("self/x"), &st), ELOOP, "loop_as_component");
	CHECK_OK(lstat(T("loop1"), &st), "lstat_loop_ok");

	/* 40 links may be followed, 41 may not. */
	char name[32], target[32];
	for (int i = 1; i <= 41; i++) {
		snprintf(name, sizeof name, "n%d", i);
		if (i == 1)
			snprintf(target, sizeof target, "f");
		else
			snprintf(target, sizeof target, "n%d", i - 1);
		SETUP(symlink(target, T(name)));
	}
	CHECK_OK(stat(T("n40"), &st), "chain_40_ok");
	CHECK_ERR(stat(T("n41"), &st), ELOOP, "chain_41_eloop");

	int dfd = open(T("d"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(symlinkat("in", dfd, "at"), 0, "symlinkat");
	CHECK_EQ(read_file(T("d/at"), buf, sizeof buf), 2, "symlinkat_resolves");
	CHECK_ERR(symlinkat("in", 9999, "x"), EBADF, "symlinkat_ebadf");
	close(dfd);
	/* A symlink's own mode is 0777. */
	lstat(T("rel"), &st);
	CHECK_EQ(st.st_mode & 0777, 0777, "symlink_mode_0777");
	return conf_exit();
}
