/* readv/writev/preadv/pwritev. */
#include "conformance.h"
#include <sys/uio.h>

int main(void)
{
	int fd = open(T("f"), O_RDWR | O_CREAT, 0644);
	SETUP(fd);
	struct iovec iov[3] = {
		{ "abc", 3 }, { "", 0 }, { "defgh", 5 },
	};
	CHECK_EQ(writev(fd, iov, 3), 8, "writev");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8, "writev_offset");

	char a[2], b[4], c[8];
	struct iovec r[3] = { { a, 2 }, { b, 4 }, { c, 8 } };
	lseek(fd, 0, SEEK_SET);
	memset(c, 0, sizeof c);
	CHECK_EQ(readv(fd, r, 3), 8, "readv_short");
	CHECK(memcmp(a, "ab", 2) == 0 && memcmp(b, "cdef", 4) == 0 && memcmp(c, "gh", 2) == 0,
	      "readv_scatter");
	CHECK_EQ(readv(fd, r, 3), 0, "readv_eof");
	CHECK_EQ(readv(fd, r, 0), 0, "readv_zero_iovcnt");

	/* preadv/pwritev use and keep the offset. */
	lseek(fd, 1, SEEK_SET);
	struct iovec w[2] = { { "XY", 2 }, { "Z", 1 } };
	CHECK_EQ(pwritev(fd, w, 2, 3), 3, "pwritev");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1, "pwritev_keeps_offset");
	memset(a, 0, 2);
	memset(b, 0, 4);
	struct iovec r2[2] = { { a, 2 }, { b, 4 } };
	CHECK_EQ(preadv(fd, r2, 2, 2), 6, "preadv");
	CHECK(memcmp(a, "cX", 2) == 0 && memcmp(b, "YZgh", 4) == 0, "preadv_content");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1, "preadv_keeps_offset");
	CHECK_ERR(preadv(fd, r2, 2, -1), EINVAL, "preadv_neg_offset");
	CHECK_ERR(pwritev(fd, w, 2, -1), EINVAL, "pwritev_neg_offset");

	/* iovcnt limits. */
	static struct iovec many[1025];
	static char one[1025];
	for (int i = 0; i < 1025; i++)
		many[i] = (struct iovec){ one + i, 1 };
	CHECK_ERR(readv(fd, many, 1025), EINVAL, "readv_iovcnt_1025");
	CHECK_ERR(writev(fd, many, 1025), EINVAL, "writev_iovcnt_1025");
	CHECK_ERR(readv(fd, many, (int)opaque(-1)), EINVAL, "readv_iovcnt_negative");
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ(writev(fd, many, 1024), 1024, "writev_iovcnt_1024");
	struct iovec huge[1] = { { one, (size_t)SSIZE_MAX + 1 } };
	CHECK_ERR(writev(fd, huge, 1), EINVAL, "writev_negative_len");

	/* Bad pointers and descriptors. */
	CHECK_ERR(readv(fd, BAD_PTR, 1), EFAULT, "readv_bad_iov");
	struct iovec bad[1] = { { BAD_PTR, 4 } };
	lseek(fd, 0, SEEK_SET);
	CHECK_ERR(readv(fd, bad, 1), EFAULT, "readv_bad_base");
	CHECK_ERR(writev(fd, bad, 1), EFAULT, "writev_bad_base");
	CHECK_ERR(readv(9999, r, 1), EBADF, "readv_ebadf");
	CHECK_ERR(writev(9999, w, 1), EBADF, "writev_ebadf");
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_ERR(readv(dfd, r, 1), EISDIR, "readv_dir");
	close(dfd);

	/* Partial failure: data before a bad iovec is transferred. */
	lseek(fd, 0, SEEK_SET);
	struct iovec part[2] = { { "QQ", 2 }, { BAD_PTR, 4 } };
	CHECK_EQ(writev(fd, part, 2), 2, "writev_partial_bad_second");

	close(fd);
	return conf_exit();
}
