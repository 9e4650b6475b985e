/* Moving data between descriptors: sendfile, splice, tee and
 * copy_file_range with files and pipes, offsets given or taken from the
 * file position, and their EINVAL / ESPIPE / EBADF / EAGAIN rules. */
#include "conformance.h"
#include <sys/sendfile.h>

static char buf[256];

static int make_file(const char *name, const char *text)
{
	int fd = open(T(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0 && text && write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	return fd;
}

static ssize_t pipe_read_all(int fd, char *b, size_t n)
{
	memset(b, 0, n);
	return read(fd, b, n - 1);
}

static void test_sendfile(void)
{
	int in = make_file("sf_in", "abcdefghij");
	int out = make_file("sf_out", NULL);
	off_t off = 2;
	CHECK_EQ(sendfile(out, in, &off, 4), 4, "sendfile_offset");
	CHECK_EQ(off, 6, "offset_advanced");
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 10, "in_pos_untouched");
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 4, "out_pos_advanced");
	lseek(in, 7, SEEK_SET);
	CHECK_EQ(sendfile(out, in, NULL, 100), 3, "sendfile_filepos_to_eof");
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 10, "in_pos_advanced");
	CHECK(pread(out, buf, 20, 0) == 7 && memcmp(buf, "cdefhij", 7) == 0, "sendfile_data");
	CHECK_EQ(sendfile(out, in, NULL, 10), 0, "sendfile_at_eof");
	off = 0;
	CHECK_EQ(sendfile(out, in, &off, 0), 0, "sendfile_zero");

	int p[2];
	SETUP(pipe(p));
	off = 0;
	CHECK_EQ(sendfile(p[1], in, &off, 5), 5, "sendfile_to_pipe");
	CHECK(pipe_read_all(p[0], buf, sizeof(buf)) == 5 && strcmp(buf, "abcde") == 0,
	      "pipe_got_data");
	SETUP(write(p[1], "xyz", 3));
	CHECK_ERR(sendfile(out, p[0], NULL, 3), EINVAL, "sendfile_from_pipe");
	off = 0;
	CHECK_ERR(sendfile(out, p[0], &off, 3), ESPIPE, "sendfile_pipe_offset");
	off = -1;
	CHECK_ERR(sendfile(out, in, &off, 3), EINVAL, "sendfile_negative_offset");
	int app = open(T("sf_out"), O_WRONLY | O_APPEND);
	off = 0;
	CHECK_ERR(sendfile(app, in, &off, 3), EINVAL, "sendfile_append");
	close(app);
	int wo = open(T("sf_in"), O_WRONLY);
	off = 0;
	CHECK_ERR(sendfile(out, wo, &off, 3), EBADF, "sendfile_in_not_readable");
	int ro = open(T("sf_out"), O_RDONLY);
	CHECK_ERR(sendfile(ro, in, &off, 3), EBADF, "sendfile_out_not_writable");
	CHECK_ERR(sendfile(out, -1, &off, 3), EBADF, "sendfile_bad_in");
	CHECK_ERR(sendfile(-1, in, &off, 3), EBADF, "sendfile_bad_out");
	CHECK_ERR(sendfile(out, in, conf_bad_ptr(), 3), EFAULT, "sendfile_efault");
	close(wo);
	close(ro);
	close(p[0]);
	close(p[1]);
	close(in);
	close(out);
}

static void test_splice(void)
{
	int in = make_file("sp_in", "0123456789");
	int out = make_file("sp_out", NULL);
	int p[2], q[2];
	SETUP(pipe(p));
	SETUP(pipe(q));
	loff_t off = 3;
	CHECK_EQ(splice(in, &off, p[1], NULL, 4, 0), 4, "file_to_pipe_offset");
	CHECK_EQ(off, 7, "off_in_advanced");
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 10, "file_pos_untouched");
	lseek(in, 0, SEEK_SET);
	CHECK_EQ(splice(in, NULL, p[1], NULL, 2, 0), 2, "file_to_pipe_pos");
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 2, "file_pos_advanced");
	/* The pipe holds "345601". */
	off = 10;
	CHECK_EQ(splice(p[0], NULL, out, &off, 3, 0), 3, "pipe_to_file_offset");
	CHECK_EQ(off, 13, "off_out_advanced");
	CHECK(pread(out, buf, 20, 10) == 3 && memcmp(buf, "345", 3) == 0, "pipe_to_file_data");
	CHECK(pread(out, buf, 10, 0) == 10 && buf[0] == 0, "hole_before");
	CHECK_EQ(splice(p[0], NULL, q[1], NULL, 100, 0), 3, "pipe_to_pipe");
	CHECK(pipe_read_all(q[0], buf, sizeof(buf)) == 3 && strcmp(buf, "601") == 0,
	      "pipe_to_pipe_data");
	/* Errors. */
	CHECK_EQ(splice(-1, NULL, -1, NULL, 0, 0), 0, "len_zero_first");
	CHECK_ERR(splice(in, NULL, p[1], NULL, 1, 0x100), EINVAL, "bad_flags");
	CHECK_ERR(splice(in, NULL, out, NULL, 1, 0), EINVAL, "no_pipe");
	off = 0;
	CHECK_ERR(splice(p[0], &off, out, NULL, 1, 0), ESPIPE, "pipe_with_offset");
	CHECK_ERR(splice(p[0], NULL, p[1], NULL, 1, 0), EINVAL, "same_pipe");
	CHECK_ERR(splice(p[1], NULL, out, NULL, 1, 0), EBADF, "write_end_as_input");
	CHECK_ERR(splice(-1, NULL, p[1], NULL, 1, 0), EBADF, "bad_fd");
	CHECK_ERR(splice(p[0], NULL, out, NULL, 1, SPLICE_F_NONBLOCK), EAGAIN, "empty_nonblock");
	off = -1;
	CHECK_ERR(splice(in, &off, p[1], NULL, 1, 0), EINVAL, "negative_offset");
	int app = open(T("sp_out"), O_WRONLY | O_APPEND);
	SETUP(write(p[1], "x", 1));
	CHECK_ERR(splice(p[0], NULL, app, NULL, 1, 0), EINVAL, "append_out");
	close(app);
	char c;
	SETUP(read(p[0], &c, 1));
	close(p[1]);
	CHECK_EQ(splice(p[0], NULL, out, NULL, 1, 0), 0, "empty_no_writers_eof");
	close(p[0]);
	close(q[0]);
	close(q[1]);
	close(in);
	close(out);
}

static void test_tee(void)
{
	int p[2], q[2];
	SETUP(pipe(p));
	SETUP(pipe(q));
	SETUP(write(p[1], "teedata", 7));
	CHECK_EQ(tee(p[0], q[1], 3, 0), 3, "tee_len");
	CHECK(pipe_read_all(q[0], buf, sizeof(buf)) == 3 && strcmp(buf, "tee") == 0, "tee_copy");
	CHECK(pipe_read_all(p[0], buf, sizeof(buf)) == 7 && strcmp(buf, "teedata") == 0,
	      "tee_not_consumed");
	CHECK_ERR(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK), EAGAIN, "tee_empty_nonblock");
	CHECK_ERR(tee(p[0], p[1], 10, 0), EINVAL, "tee_same_pipe");
	int f = make_file("tee_file", "x");
	CHECK_ERR(tee(f, q[1], 1, 0), EINVAL, "tee_not_pipe");
	CHECK_ERR(tee(p[0], q[1], 1, 0x100), EINVAL, "tee_bad_flags");
	CHECK_EQ(tee(p[0], q[1], 0, 0), 0, "tee_len_zero");
	CHECK_ERR(tee(q[1], p[1], 1, 0), EBADF, "tee_wrong_ends");
	close(p[1]);
	CHECK_EQ(tee(p[0], q[1], 10, 0), 0, "tee_eof");
	close(f);
	close(p[0]);
	close(q[0]);
	close(q[1]);
}

static void test_copy_file_range(void)
{
	int in = make_file("cfr_in", "copy_file_range");
	int out = make_file("cfr_out", NULL);
	loff_t oi = 5, oo = 2;
	CHECK_EQ(copy_file_range(in, &oi, out, &oo, 4, 0), 4, "cfr_offsets");
	CHECK(oi == 9 && oo == 6, "cfr_offsets_advanced");
	CHECK(pread(out, buf, 20, 0) == 6 && memcmp(buf + 2, "file", 4) == 0, "cfr_data");
	lseek(in, 0, SEEK_SET);
	lseek(out, 0, SEEK_SET);
	CHECK_EQ(copy_file_range(in, NULL, out, NULL, 100, 0), 15, "cfr_to_eof");
	CHECK(lseek(in, 0, SEEK_CUR) == 15 && lseek(out, 0, SEEK_CUR) == 15, "cfr_pos_advanced");
	CHECK_EQ(copy_file_range(in, NULL, out, NULL, 100, 0), 0, "cfr_at_eof");
	oi = 0;
	oo = 4;
	CHECK_ERR(copy_file_range(in, &oi, in, &oo, 8, 0), EINVAL, "cfr_overlap");
	oo = 20;
	CHECK_EQ(copy_file_range(in, &oi, in, &oo, 4, 0), 4, "cfr_same_file_apart");
	CHECK_ERR(copy_file_range(in, NULL, out, NULL, 1, 1), EINVAL, "cfr_flags");
	int dir = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_ERR(copy_file_range(dir, NULL, out, NULL, 1, 0), EISDIR, "cfr_dir");
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(copy_file_range(p[0], NULL, out, NULL, 1, 0), EINVAL, "cfr_pipe");
	int app = open(T("cfr_out"), O_WRONLY | O_APPEND);
	oi = 0;
	CHECK_ERR(copy_file_range(in, &oi, app, NULL, 1, 0), EBADF, "cfr_append");
	int wo = open(T("cfr_in"), O_WRONLY);
	CHECK_ERR(copy_file_range(wo, &oi, out, NULL, 1, 0), EBADF, "cfr_in_wronly");
	CHECK_ERR(copy_file_range(-1, NULL, out, NULL, 1, 0), EBADF, "cfr_ebadf");
	oi = -1;
	CHECK_ERR(copy_file_range(in, &oi, out, NULL, 1, 0), EOVERFLOW, "cfr_negative");
	int m = (int)syscall(SYS_memfd_create, "cfr", 0);
	oi = 0;
	CHECK_ERR(copy_file_range(in, &oi, m, NULL, 1, 0), EXDEV, "cfr_cross_fs");
	close(m);
	close(app);
	close(wo);
	close(p[0]);
	close(p[1]);
	close(dir);
	close(in);
	close(out);
}

static void test_vmsplice(void)
{
	int p[2];
	SETUP(pipe(p));
	char a[] = "vm", b[] = "splice";
	struct iovec iov[2] = { { a, 2 }, { b, 6 } };
	CHECK_EQ(vmsplice(p[1], iov, 2, 0), 8, "vmsplice_to_pipe");
	char out1[4] = { 0 }, out2[8] = { 0 };
	struct iovec rv[2] = { { out1, 3 }, { out2, 7 } };
	CHECK_EQ(vmsplice(p[0], rv, 2, 0), 8, "vmsplice_from_pipe");
	CHECK(memcmp(out1, "vms", 3) == 0 && memcmp(out2, "plice", 5) == 0, "vmsplice_data");
	CHECK_ERR(vmsplice(p[0], rv, 2, SPLICE_F_NONBLOCK), EAGAIN, "vmsplice_empty_nonblock");
	CHECK_ERR(vmsplice(p[1], iov, 2, 0x100), EINVAL, "vmsplice_bad_flags");
	CHECK_EQ(vmsplice(p[1], iov, 0, 0), 0, "vmsplice_no_segments");
	int f = make_file("vm_file", "x");
	CHECK_ERR(vmsplice(f, iov, 2, 0), EBADF, "vmsplice_not_pipe");
	close(f);
	close(p[1]);
	CHECK_EQ(vmsplice(p[0], rv, 2, 0), 0, "vmsplice_eof");
	close(p[0]);
}

int main(void)
{
	test_vmsplice();
	test_sendfile();
	test_splice();
	test_tee();
	test_copy_file_range();
	return conf_exit();
}
