/* lseek: SEEK_SET/CUR/END and errors. */
#include "conformance.h"

int main(void)
{
	int fd = open(T("f"), O_RDWR | O_CREAT, 0644);
	SETUP(fd);
	write(fd, "0123456789", 10);

	CHECK_EQ(lseek(fd, 3, SEEK_SET), 3, "set");
	CHECK_EQ(lseek(fd, 2, SEEK_CUR), 5, "cur_forward");
	CHECK_EQ(lseek(fd, -1, SEEK_CUR), 4, "cur_backward");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4, "cur_query");
	char c;
	read(fd, &c, 1);
	CHECK_EQ(c, '4', "read_after_seek");
	CHECK_EQ(lseek(fd, 0, SEEK_END), 10, "end");
	CHECK_EQ(lseek(fd, -3, SEEK_END), 7, "end_negative");
	CHECK_EQ(lseek(fd, 100, SEEK_END), 110, "end_past");
	CHECK_EQ(lseek(fd, 1000, SEEK_SET), 1000, "set_past_eof");
	struct stat st;
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 10, "seek_does_not_extend");

	lseek(fd, 5, SEEK_SET);
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL, "set_negative");
	CHECK_ERR(lseek(fd, -100, SEEK_CUR), EINVAL, "cur_negative_result");
	CHECK_ERR(lseek(fd, -11, SEEK_END), EINVAL, "end_negative_result");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5, "failed_seek_keeps_offset");
	CHECK_ERR(lseek(fd, 0, 7), EINVAL, "bad_whence");
	CHECK_ERR(lseek(9999, 0, SEEK_SET), EBADF, "ebadf");

	/* SEEK_DATA / SEEK_HOLE on a non-sparse file. */
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 0, "seek_data");
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 10, "seek_hole_at_eof");
	CHECK_ERR(lseek(fd, 10, SEEK_DATA), ENXIO, "seek_data_at_eof");

	/* Directories are seekable back to the start. */
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(lseek(dfd, 0, SEEK_SET), 0, "dir_rewind");
	close(dfd);

	close(fd);
	return conf_exit();
}
