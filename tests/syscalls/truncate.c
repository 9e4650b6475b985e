/* truncate/ftruncate. */
#include "conformance.h"

int main(void)
{
	struct stat st;
	char buf[32];
	SETUP(write_file(T("f"), "0123456789"));

	CHECK_EQ(truncate(T("f"), 4), 0, "truncate_shrink");
	stat(T("f"), &st);
	CHECK_EQ(st.st_size, 4, "truncate_shrink_size");
	read_file(T("f"), buf, sizeof buf);
	CHECK_STR(buf, "0123", "truncate_shrink_content");
	CHECK_EQ(truncate(T("f"), 8), 0, "truncate_grow");
	CHECK_EQ(read_file(T("f"), buf, sizeof buf), 8, "truncate_grow_size");
	CHECK(memcmp(buf, "0123\0\0\0\0", 8) == 0, "truncate_grow_zeros");
	CHECK_EQ(truncate(T("f"), 0), 0, "truncate_zero");

	CHECK_ERR(truncate(T("f"), -1), EINVAL, "truncate_negative");
	CHECK_ERR(truncate(T("missing"), 0), ENOENT, "truncate_enoent");
	CHECK_ERR(truncate(conf_tmpdir(), 0), EISDIR, "truncate_dir");

	int fd = open(T("f"), O_RDWR);
	write(fd, "abcdef", 6);
	CHECK_EQ(ftruncate(fd, 3), 0, "ftruncate_shrink");
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 3, "ftruncate_size");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6, "ftruncate_keeps_offset");
	write(fd, "Z", 1);
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 7, "write_after_truncate_past_eof");
	memset(buf, 1, sizeof buf);
	pread(fd, buf, 7, 0);
	CHECK(memcmp(buf, "abc\0\0\0Z", 7) == 0, "truncated_region_zero");
	CHECK_ERR(ftruncate(fd, -1), EINVAL, "ftruncate_negative");
	close(fd);
	int ro = open(T("f"), O_RDONLY);
	CHECK_ERR(ftruncate(ro, 0), EINVAL, "ftruncate_rdonly");
	close(ro);
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_ERR(ftruncate(dfd, 0), EINVAL, "ftruncate_dir");
	close(dfd);
	CHECK_ERR(ftruncate(9999, 0), EBADF, "ftruncate_ebadf");

	/* O_TRUNC on an fd opened elsewhere affects all readers. */
	fd = open(T("f"), O_RDONLY);
	int t = open(T("f"), O_WRONLY | O_TRUNC);
	CHECK_EQ(read(fd, buf, sizeof buf), 0, "o_trunc_visible_to_others");
	close(t);
	close(fd);
	return conf_exit();
}
