/* chmod/fchmod/fchmodat. */
#include "conformance.h"

int main(void)
{
	struct stat st;
	SETUP(write_file(T("f"), "x"));
	SETUP(mkdir(T("d"), 0755));
	SETUP(symlink("f", T("l")));

	CHECK_EQ(chmod(T("f"), 0600), 0, "chmod");
	stat(T("f"), &st);
	CHECK_EQ(st.st_mode & 07777, 0600, "chmod_perm");
	CHECK(S_ISREG(st.st_mode), "chmod_keeps_type");
	CHECK_EQ(chmod(T("f"), 04751), 0, "chmod_setuid");
	stat(T("f"), &st);
	CHECK_EQ(st.st_mode & 07777, 04751, "chmod_setuid_perm");
	CHECK_EQ(chmod(T("d"), 0700), 0, "chmod_dir");
	stat(T("d"), &st);
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700, "chmod_dir_perm");
	/* chmod follows symlinks. */
	CHECK_EQ(chmod(T("l"), 0640), 0, "chmod_symlink");
	stat(T("f"), &st);
	CHECK_EQ(st.st_mode & 07777, 0640, "chmod_symlink_changes_target");
	lstat(T("l"), &st);
	CHECK_EQ(st.st_mode & 0777, 0777, "chmod_symlink_link_unchanged");
	CHECK_ERR(chmod(T("missing"), 0644), ENOENT, "chmod_enoent");
	CHECK_ERR(chmod(T("f/x"), 0644), ENOTDIR, "chmod_enotdir");

	int fd = open(T("f"), O_RDONLY);
	CHECK_EQ(fchmod(fd, 0604), 0, "fchmod");
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 07777, 0604, "fchmod_perm");
	/* Type bits in the mode argument are ignored. */
	CHECK_EQ(fchmod(fd, S_IFDIR | 0644), 0, "fchmod_type_bits_ignored");
	fstat(fd, &st);
	CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644, "fchmod_type_unchanged");
	close(fd);
	CHECK_ERR(fchmod(9999, 0644), EBADF, "fchmod_ebadf");

	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(fchmodat(dfd, "f", 0444, 0), 0, "fchmodat");
	stat(T("f"), &st);
	CHECK_EQ(st.st_mode & 07777, 0444, "fchmodat_perm");
	CHECK_ERR(fchmodat(9999, "f", 0644, 0), EBADF, "fchmodat_ebadf");
	close(dfd);
	/* The new mode applies to an already-open descriptor. */
	fd = open(T("f"), O_RDONLY);
	chmod(T("f"), 0611);
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 07777, 0611, "chmod_seen_by_fstat");
	close(fd);
	return conf_exit();
}
