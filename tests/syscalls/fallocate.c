/* fallocate on tmpfs (a memfd): mode 0, FALLOC_FL_KEEP_SIZE,
 * PUNCH_HOLE|KEEP_SIZE, the modes tmpfs refuses (EOPNOTSUPP) and the
 * generic checks; fsync, fdatasync, sync, syncfs, sync_file_range; and the
 * corners of truncate / ftruncate. */
#include "conformance.h"

static int mfd(void)
{
	return (int)syscall(SYS_memfd_create, "falloc", 0);
}

static void test_fallocate(void)
{
	int fd = mfd();
	struct stat st;
	CHECK_EQ(fallocate(fd, 0, 0, 10000), 0, "alloc_extends");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 10000 && st.st_blocks >= 24, "alloc_size_blocks");
	CHECK_EQ(fallocate(fd, FALLOC_FL_KEEP_SIZE, 10000, 20000), 0, "keep_size");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 10000 && st.st_blocks >= 56, "keep_size_blocks");
	char buf[16384];
	memset(buf, 'x', sizeof(buf));
	SETUP(pwrite(fd, buf, sizeof(buf), 0));
	blkcnt_t before = (fstat(fd, &st), st.st_blocks);
	CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 8192), 0, "punch");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 16384, "punch_keeps_size");
	CHECK(st.st_blocks == before - 8, "punch_frees_whole_page");
	char got[16384];
	SETUP(pread(fd, got, sizeof(got), 0));
	int zeros_ok = got[99] == 'x' && got[8292] == 'x';
	for (int i = 100; i < 8292; i++)
		zeros_ok &= got[i] == 0;
	CHECK(zeros_ok, "punch_zeroes_range");
	CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP, "punch_needs_keep_size");
	CHECK_ERR(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 10), EOPNOTSUPP, "zero_range");
	CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096), EOPNOTSUPP, "collapse");
	CHECK_ERR(fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 4096), EOPNOTSUPP, "insert");
	CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096),
		  EOPNOTSUPP, "collapse_keep_size");
	CHECK_ERR(fallocate(fd, 0x1000, 0, 10), EOPNOTSUPP, "unknown_mode");
	CHECK_ERR(fallocate(fd, 0, -1, 10), EINVAL, "negative_offset");
	CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL, "zero_len");
	CHECK_ERR(fallocate(fd, 0, 0x7fffffffffffff00LL, 0x1000), EFBIG, "efbig");
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	int ro = open(link, O_RDONLY);
	CHECK_ERR(fallocate(ro, 0, 0, 10), EBADF, "rdonly_ebadf");
	close(ro);
	close(fd);
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(fallocate(p[1], 0, 0, 10), ESPIPE, "pipe_espipe");
	CHECK_ERR(fallocate(p[0], 0, 0, 10), EBADF, "pipe_read_end_ebadf");
	close(p[0]);
	close(p[1]);
	int null = open("/dev/null", O_WRONLY);
	CHECK_ERR(fallocate(null, 0, 0, 10), ENODEV, "chardev_enodev");
	close(null);
	CHECK_ERR(fallocate(-1, 0, 0, 10), EBADF, "ebadf");
	/* A regular file on the temp dir (ext4 natively, the overlay in the sandbox). */
	int f = open(T("f"), O_RDWR | O_CREAT, 0600);
	CHECK_EQ(fallocate(f, 0, 0, 4096), 0, "regular_file");
	CHECK(fstat(f, &st) == 0 && st.st_size == 4096, "regular_file_size");
	close(f);
}

static void test_sync(void)
{
	int f = open(T("s"), O_RDWR | O_CREAT, 0600);
	CHECK_EQ(fsync(f), 0, "fsync_file");
	CHECK_EQ(fdatasync(f), 0, "fdatasync_file");
	int d = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(fsync(d), 0, "fsync_dir");
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(fsync(p[0]), EINVAL, "fsync_pipe");
	CHECK_ERR(fdatasync(p[1]), EINVAL, "fdatasync_pipe");
	CHECK_ERR(sync_file_range(p[1], 0, 0, 0), ESPIPE, "sync_file_range_pipe");
	CHECK_EQ(sync_file_range(f, 0, 0, SYNC_FILE_RANGE_WRITE), 0, "sync_file_range");
	CHECK_ERR(sync_file_range(f, 0, 0, 0x100), EINVAL, "sync_file_range_flags");
	CHECK_ERR(sync_file_range(f, -1, 0, 0), EINVAL, "sync_file_range_negative");
	CHECK_ERR(fsync(-1), EBADF, "fsync_ebadf");
	int pf = open(T("s"), O_PATH);
	CHECK_ERR(fsync(pf), EBADF, "fsync_o_path");
	CHECK_ERR(syncfs(pf), EBADF, "syncfs_o_path");
	close(pf);
	sync();
	CHECK(1, "sync");
	CHECK_EQ(syncfs(f), 0, "syncfs");
	CHECK_ERR(syncfs(-1), EBADF, "syncfs_ebadf");
	close(p[0]);
	close(p[1]);
	close(d);
	close(f);
}

static void test_truncate(void)
{
	const char *path = T("t");
	SETUP(write_file(path, "0123456789"));
	CHECK_EQ(truncate(path, 4), 0, "truncate_shrink");
	CHECK_EQ(truncate(path, 8), 0, "truncate_grow");
	char buf[16];
	CHECK(read_file(path, buf, sizeof(buf)) == 8 && memcmp(buf, "0123\0\0\0\0", 8) == 0,
	      "grow_reads_zeros");
	CHECK_ERR(truncate(path, -1), EINVAL, "truncate_negative");
	CHECK_ERR(truncate(conf_tmpdir(), 0), EISDIR, "truncate_dir");
	CHECK_ERR(truncate(T("missing"), 0), ENOENT, "truncate_enoent");
	char slash[PATH_MAX];
	snprintf(slash, sizeof(slash), "%s/", path);
	CHECK_ERR(truncate(slash, 0), ENOTDIR, "truncate_trailing_slash");
	SETUP(mkfifo(T("fifo"), 0600));
	CHECK_ERR(truncate(T("fifo"), 0), EINVAL, "truncate_fifo");
	int ro = open(path, O_RDONLY);
	CHECK_ERR(ftruncate(ro, 0), EINVAL, "ftruncate_rdonly");
	close(ro);
	int pf = open(path, O_PATH);
	CHECK_ERR(ftruncate(pf, 0), EBADF, "ftruncate_o_path");
	close(pf);
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(ftruncate(p[1], 0), EINVAL, "ftruncate_pipe");
	close(p[0]);
	close(p[1]);
	int wo = open(path, O_WRONLY);
	CHECK_ERR(ftruncate(wo, -5), EINVAL, "ftruncate_negative");
	CHECK_EQ(ftruncate(wo, 0), 0, "ftruncate_zero");
	close(wo);
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size == 0, "size_zero");
	/* Without write permission (as an unprivileged user): EACCES. */
	SETUP(chmod(path, 0444));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(truncate(path, 1) < 0 && errno == EACCES ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "truncate_eacces");
}

int main(void)
{
	/* The unprivileged child must reach the temp dir. */
	SETUP(chmod(conf_tmpdir(), 0755));
	test_fallocate();
	test_sync();
	test_truncate();
	return conf_exit();
}
