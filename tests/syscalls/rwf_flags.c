/* preadv2/pwritev2 RWF_* flags: accepted ones, RWF_NOWAIT, RWF_APPEND, errors. */
#include "conformance.h"
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/uio.h>

#define X_RWF_HIPRI 0x01
#define X_RWF_DSYNC 0x02
#define X_RWF_SYNC 0x04
#define X_RWF_NOWAIT 0x08
#define X_RWF_APPEND 0x10
#define X_RWF_NOAPPEND 0x20
#define X_RWF_ATOMIC 0x40
#define X_RWF_UNKNOWN 0x200

static long rd(int fd, void *buf, size_t n, off_t off, int flags)
{
	struct iovec iov = { buf, n };
	return syscall(SYS_preadv2, fd, &iov, 1, (long)off, 0L, flags);
}

static long wr(int fd, const void *buf, size_t n, off_t off, int flags)
{
	struct iovec iov = { (void *)buf, n };
	return syscall(SYS_pwritev2, fd, &iov, 1, (long)off, 0L, flags);
}

static off_t fsize(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? -1 : st.st_size;
}

int main(void)
{
	char buf[64];
	int fd;
	SETUP(fd = open(T("f"), O_RDWR | O_CREAT | O_TRUNC, 0600));
	SETUP(write(fd, "0123456789", 10));

	/* Flags that change nothing visible here. */
	CHECK_EQ(rd(fd, buf, 4, 0, X_RWF_HIPRI), 4, "read_hipri");
	CHECK(memcmp(buf, "0123", 4) == 0, "read_hipri_data");
	CHECK_EQ(rd(fd, buf, 4, 0, X_RWF_DSYNC | X_RWF_SYNC), 4, "read_sync_flags");
	CHECK_EQ(wr(fd, "ab", 2, 0, X_RWF_HIPRI), 2, "write_hipri");
	CHECK_EQ(wr(fd, "cd", 2, 2, X_RWF_DSYNC), 2, "write_dsync");
	CHECK_EQ(wr(fd, "ef", 2, 4, X_RWF_SYNC), 2, "write_sync");
	CHECK_EQ(rd(fd, buf, 10, 0, 0), 10, "read_back");
	CHECK(memcmp(buf, "abcdef6789", 10) == 0, "write_flags_data");

	/* Unknown and unsupported flags. */
	CHECK_ERR(rd(fd, buf, 4, 0, X_RWF_UNKNOWN), EOPNOTSUPP, "read_unknown_flag");
	CHECK_ERR(wr(fd, "x", 1, 0, X_RWF_UNKNOWN), EOPNOTSUPP, "write_unknown_flag");
	CHECK_ERR(rd(fd, buf, 4, 0, 0x80000000), EOPNOTSUPP, "read_high_flag");
	CHECK_ERR(rd(fd, buf, 4, 0, X_RWF_ATOMIC), EOPNOTSUPP, "read_atomic");
	CHECK_ERR(wr(fd, "x", 1, 0, X_RWF_ATOMIC), EOPNOTSUPP, "write_atomic_buffered");
	CHECK_ERR(wr(fd, "x", 1, 0, X_RWF_APPEND | X_RWF_NOAPPEND), EINVAL, "append_and_noappend");
	/* A zero-length transfer never looks at the flags. */
	CHECK_EQ(rd(fd, buf, 0, 0, X_RWF_UNKNOWN), 0, "zero_length_unknown_flag");
	/* Earlier errors win over the flags. */
	CHECK_ERR(rd(-1, buf, 4, 0, X_RWF_UNKNOWN), EBADF, "ebadf_first");
	CHECK_ERR(rd(fd, buf, 4, -5, X_RWF_UNKNOWN), EINVAL, "negative_offset_first");
	{
		struct iovec *bad = (struct iovec *)8;
		CHECK_ERR(syscall(SYS_preadv2, fd, bad, 1, 0L, 0L, X_RWF_UNKNOWN), EFAULT,
			  "bad_iovec_first");
	}
	{
		int wo;
		SETUP(wo = open(T("f"), O_WRONLY));
		CHECK_ERR(rd(wo, buf, 4, 0, X_RWF_UNKNOWN), EBADF, "write_only_read_ebadf");
		close(wo);
	}

	/* RWF_APPEND: at the end whatever the offset; the file position stays. */
	SETUP(lseek(fd, 3, SEEK_SET));
	CHECK_EQ(wr(fd, "XY", 2, 0, X_RWF_APPEND), 2, "append_at_offset");
	CHECK_EQ(fsize(fd), 12, "append_at_offset_size");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3, "append_at_offset_keeps_pos");
	CHECK_EQ(rd(fd, buf, 12, 0, 0), 12, "append_read");
	CHECK(memcmp(buf, "abcdef6789XY", 12) == 0, "append_at_offset_data");
	/* Through the file position (-1): appended, position after the data. */
	CHECK_EQ(wr(fd, "Z", 1, -1, X_RWF_APPEND), 1, "append_at_pos");
	CHECK_EQ(fsize(fd), 13, "append_at_pos_size");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 13, "append_at_pos_moves_pos");
	/* Reads ignore RWF_APPEND / RWF_NOAPPEND. */
	CHECK_EQ(rd(fd, buf, 2, 0, X_RWF_APPEND), 2, "read_append_flag");
	CHECK_EQ(rd(fd, buf, 2, 0, X_RWF_NOAPPEND), 2, "read_noappend_flag");
	/* RWF_NOAPPEND on a file without O_APPEND: an ordinary write. */
	CHECK_EQ(wr(fd, "q", 1, 0, X_RWF_NOAPPEND), 1, "noappend_plain");
	CHECK_EQ(fsize(fd), 13, "noappend_plain_size");

	/* RWF_NOWAIT on a regular file: reads on disk file systems; not tmpfs. */
	{
		struct statfs sfs;
		SETUP(fstatfs(fd, &sfs));
		if (sfs.f_type == 0x01021994) {
			CHECK_ERR(rd(fd, buf, 2, 0, X_RWF_NOWAIT), EOPNOTSUPP, "nowait_read_tmpfs");
		} else {
			CHECK_EQ(rd(fd, buf, 2, 0, X_RWF_NOWAIT), 2, "nowait_read_regular");
			CHECK_ERR(wr(fd, "x", 1, 0, X_RWF_NOWAIT), EOPNOTSUPP, "nowait_write_regular");
		}
	}
	{
		int s = open("/dev/shm", O_RDONLY | O_DIRECTORY);
		struct statfs sfs;
		if (s >= 0 && fstatfs(s, &sfs) == 0 && sfs.f_type == 0x01021994) {
			char name[64];
			snprintf(name, sizeof name, "/dev/shm/rwf-%d", getpid());
			int m = open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
			if (m >= 0) {
				unlink(name);
				CHECK_EQ(wr(m, "hello", 5, 0, 0), 5, "shm_write");
				CHECK_ERR(rd(m, buf, 2, 0, X_RWF_NOWAIT), EOPNOTSUPP, "nowait_read_shm");
				CHECK_ERR(wr(m, "x", 1, 0, X_RWF_NOWAIT), EOPNOTSUPP, "nowait_write_shm");
				CHECK_ERR(rd(m, buf, 2, 0, 0x80), EOPNOTSUPP, "dontcache_shm");
				close(m);
			}
		}
		if (s >= 0)
			close(s);
	}

	/* A directory has no read_iter: any flag but RWF_HIPRI is EOPNOTSUPP. */
	{
		int d;
		SETUP(d = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY));
		CHECK_ERR(rd(d, buf, 4, 0, X_RWF_NOWAIT), EOPNOTSUPP, "dir_nowait");
		CHECK_ERR(rd(d, buf, 4, 0, X_RWF_HIPRI), EISDIR, "dir_hipri_eisdir");
		close(d);
	}

	/* Pipes: RWF_NOWAIT gives EAGAIN instead of blocking. */
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(rd(p[0], buf, 4, -1, X_RWF_NOWAIT), EAGAIN, "pipe_nowait_empty");
	CHECK_EQ(wr(p[1], "abcd", 4, -1, X_RWF_NOWAIT), 4, "pipe_nowait_write");
	CHECK_EQ(wr(p[1], "ef", 2, -1, X_RWF_DSYNC | X_RWF_APPEND), 2, "pipe_dsync_append_write");
	CHECK_EQ(rd(p[0], buf, 6, -1, X_RWF_NOWAIT), 6, "pipe_nowait_data");
	CHECK(memcmp(buf, "abcdef", 6) == 0, "pipe_data");
	CHECK_ERR(rd(p[0], buf, 4, 0, X_RWF_UNKNOWN), ESPIPE, "pipe_offset_espipe_first");
	close(p[1]);
	CHECK_EQ(rd(p[0], buf, 4, -1, X_RWF_NOWAIT), 0, "pipe_nowait_eof");
	close(p[0]);

	/* Sockets and eventfds are pollable: EAGAIN too. */
	int sv[2];
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_ERR(rd(sv[0], buf, 4, -1, X_RWF_NOWAIT), EAGAIN, "socket_nowait_empty");
	CHECK_EQ(write(sv[1], "hi", 2), 2, "socket_write");
	CHECK_EQ(rd(sv[0], buf, 4, -1, X_RWF_NOWAIT), 2, "socket_nowait_data");
	close(sv[0]);
	close(sv[1]);
	int ev;
	SETUP(ev = eventfd(0, 0));
	uint64_t cnt;
	CHECK_ERR(rd(ev, &cnt, 8, -1, X_RWF_NOWAIT), EAGAIN, "eventfd_nowait_empty");
	close(ev);

	/* Memory devices never block; /dev/full and terminals refuse RWF_NOWAIT. */
	int dn, dz, df;
	SETUP(dn = open("/dev/null", O_RDWR));
	CHECK_EQ(rd(dn, buf, 4, -1, X_RWF_NOWAIT), 0, "null_nowait");
	SETUP(dz = open("/dev/zero", O_RDONLY));
	CHECK_EQ(rd(dz, buf, 4, -1, X_RWF_NOWAIT), 4, "zero_nowait");
	SETUP(df = open("/dev/full", O_RDONLY));
	CHECK_ERR(rd(df, buf, 4, -1, X_RWF_NOWAIT), EOPNOTSUPP, "full_nowait");
	int pt = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (pt >= 0) {
		CHECK_ERR(rd(pt, buf, 4, -1, X_RWF_NOWAIT), EOPNOTSUPP, "ptmx_nowait");
		close(pt);
	}
	close(dn);
	close(dz);
	close(df);
	close(fd);
	return conf_exit();
}
