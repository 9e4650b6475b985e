/* tmpfs files of several MiB written in large pieces (the sandbox backs
 * them with 2 MiB MemoryFile chunks and keeps the unwritten rest of the
 * last chunk aside): the data reads back where it was written, st_blocks
 * counts only pages written, truncation, hole punching, SEEK_DATA/
 * SEEK_HOLE and fallocate inside chunks, writes that stop being
 * sequential, a shared mapping between processes, and a size-limited
 * tmpfs that holds exactly its size while a large file is still open.
 * Runs on /dev/shm (tmpfs natively and in the sandbox) and on a tmpfs
 * mounted in a private mount namespace. */
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include "conformance.h"

#define MIB (1L << 20)
#define PG 4096L

static char *buf;      /* 1 MiB */

static unsigned char pat(long off)
{
	return (unsigned char)(off * 7 + off / 4093 + 1) | 1;   /* never 0 */
}

static long long blocks(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? -1 : (long long)st.st_blocks;
}

static int open_shm(const char *name)
{
	char path[96];
	snprintf(path, sizeof(path), "/dev/shm/conf-large-%s-%d", name, (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		unlink(path);
	return fd;
}

/* Write the pattern over [off, off+len) in pieces of `piece` bytes; 0 or -1. */
static int write_pat(int fd, long off, long len, long piece)
{
	for (long done = 0; done < len;) {
		long n = len - done < piece ? len - done : piece;
		for (long i = 0; i < n; i++)
			buf[i] = (char)pat(off + done + i);
		if (pwrite(fd, buf, n, off + done) != n)
			return -1;
		done += n;
	}
	return 0;
}

/* [off, off+len) holds the pattern (zero: zeros), read in pieces of `piece`. */
static int reads_pat(int fd, long off, long len, long piece, int zero)
{
	for (long done = 0; done < len;) {
		long n = len - done < piece ? len - done : piece;
		if (pread(fd, buf, n, off + done) != n)
			return 0;
		for (long i = 0; i < n; i++)
			if ((unsigned char)buf[i] != (zero ? 0 : pat(off + done + i)))
				return 0;
		done += n;
	}
	return 1;
}

static void sequential(void)
{
	int fd = open_shm("seq");
	SETUP(fd);
	long len = 6 * MIB + 100;
	CHECK_EQ(write_pat(fd, 0, len, MIB), 0, "write_6m_in_1m_pieces");
	CHECK_EQ(blocks(fd), (len + PG - 1) / PG * 8, "blocks_while_open");
	CHECK(reads_pat(fd, 0, len, MIB, 0), "reads_back_1m_pieces");
	CHECK(reads_pat(fd, 0, len, 65536 + 17, 0), "reads_back_odd_pieces");
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), len, "no_hole_before_eof");
	/* The rest of the last chunk is not data: extending shows a hole. */
	CHECK_EQ(ftruncate(fd, 8 * MIB), 0, "extend_past_written");
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), (len + PG - 1) / PG * PG, "hole_after_written");
	CHECK_ERR(lseek(fd, (len + PG - 1) / PG * PG, SEEK_DATA), ENXIO, "no_data_after_written");
	CHECK(reads_pat(fd, len, 8 * MIB - len, MIB, 1), "extension_reads_zeros");
	CHECK_EQ(blocks(fd), (len + PG - 1) / PG * 8, "extension_no_blocks");
	/* Truncate into the middle of a chunk, extend again: zeros past the cut. */
	long cut = 3 * MIB + 5;
	CHECK_EQ(ftruncate(fd, cut), 0, "truncate_mid_chunk");
	CHECK_EQ(blocks(fd), (cut + PG - 1) / PG * 8, "truncate_blocks");
	CHECK_EQ(ftruncate(fd, 5 * MIB), 0, "truncate_extend");
	CHECK(reads_pat(fd, 0, cut, MIB, 0), "kept_part_intact");
	CHECK(reads_pat(fd, cut, 5 * MIB - cut, MIB, 1), "cut_part_zeros");
	/* Write on from the cut, sequentially again. */
	CHECK_EQ(write_pat(fd, cut, 4 * MIB, MIB / 2), 0, "rewrite_from_cut");
	CHECK(reads_pat(fd, 0, cut + 4 * MIB, MIB, 0), "rewrite_reads_back");
	CHECK_EQ(blocks(fd), (cut + 4 * MIB + PG - 1) / PG * 8, "rewrite_blocks");
	close(fd);
}

static void punch(void)
{
	int fd = open_shm("punch");
	SETUP(fd);
	SETUP(write_pat(fd, 0, 6 * MIB, MIB));
	long at = 4 * MIB + 3 * PG, n = 5 * PG;
	CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, n), 0,
		 "punch_in_chunk");
	CHECK_EQ(blocks(fd), (6 * MIB - n) / PG * 8, "punch_blocks");
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), at, "seek_hole_finds_punch");
	CHECK_EQ(lseek(fd, at, SEEK_DATA), at + n, "seek_data_after_punch");
	CHECK(reads_pat(fd, at, n, n, 1), "punched_reads_zeros");
	CHECK(reads_pat(fd, 0, at, MIB, 0) && reads_pat(fd, at + n, 6 * MIB - at - n, MIB, 0),
	      "rest_intact");
	/* Writing into the punched pages gives them back. */
	CHECK_EQ(write_pat(fd, at, n, PG), 0, "refill_punch");
	CHECK(reads_pat(fd, 0, 6 * MIB, MIB, 0), "refilled_reads_back");
	CHECK_EQ(blocks(fd), 6 * MIB / PG * 8, "refill_blocks");
	close(fd);
}

static void not_sequential(void)
{
	int fd = open_shm("jump");
	SETUP(fd);
	SETUP(write_pat(fd, 0, 3 * MIB, MIB));
	/* Elsewhere, then back where a sequential writer would have gone on. */
	CHECK_EQ(write_pat(fd, 10 * MIB + 123, 300, 300), 0, "write_far");
	CHECK_EQ(write_pat(fd, 3 * MIB, MIB, MIB), 0, "write_after_jump");
	CHECK_EQ(write_pat(fd, 7 * MIB, 3 * MIB, 2 * MIB), 0, "write_2m_pieces");
	CHECK(reads_pat(fd, 0, 4 * MIB, MIB, 0), "first_part_reads_back");
	CHECK(reads_pat(fd, 4 * MIB, 3 * MIB, MIB, 1), "gap_reads_zeros");
	CHECK(reads_pat(fd, 7 * MIB, 3 * MIB, MIB, 0) && reads_pat(fd, 10 * MIB, 123, 123, 1) &&
	      reads_pat(fd, 10 * MIB + 123, 300, 300, 0), "second_part_reads_back");
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 4 * MIB, "seek_hole_gap");
	CHECK_EQ(lseek(fd, 4 * MIB, SEEK_DATA), 7 * MIB, "seek_data_gap");
	CHECK_EQ(blocks(fd), (7 * MIB + PG) / PG * 8, "jump_blocks");
	close(fd);
}

static void shared_map(void)
{
	int fd = open_shm("map");
	SETUP(fd);
	SETUP(write_pat(fd, 0, 6 * MIB, MIB));
	char *m = mmap(NULL, 6 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	CHECK_EQ((unsigned char)m[5 * MIB + 77], pat(5 * MIB + 77), "map_sees_written");
	pid_t pid = fork();
	SETUP(pid);
	if (pid == 0) {
		m[4 * MIB + 9] = 'Z';
		_exit(pwrite(fd, "Y", 1, 2 * MIB + 1) == 1 ? 0 : 1);
	}
	int status;
	SETUP(waitpid(pid, &status, 0));
	CHECK_EQ(status, 0, "child_ran");
	char c = 0;
	CHECK_EQ(pread(fd, &c, 1, 4 * MIB + 9), 1, "read_child_store");
	CHECK_EQ(c, 'Z', "child_store_via_map_seen_by_read");
	CHECK_EQ(m[2 * MIB + 1], 'Y', "child_write_seen_by_map");
	/* Punching a mapped page: the mapping reads zeros, as Linux. */
	CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 3 * MIB, PG), 0,
		 "punch_mapped");
	CHECK_EQ(m[3 * MIB + 5], 0, "punched_mapped_page_zero");
	munmap(m, 6 * MIB);
	close(fd);
}

static void falloc(void)
{
	int fd = open_shm("falloc");
	SETUP(fd);
	CHECK_EQ(fallocate(fd, 0, 0, 5 * MIB), 0, "fallocate_5m");
	CHECK_EQ(blocks(fd), 5 * MIB / PG * 8, "fallocate_blocks");
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), -1, "fallocated_is_hole");
	CHECK(reads_pat(fd, 0, 5 * MIB, MIB, 1), "fallocated_reads_zeros");
	CHECK_EQ(write_pat(fd, 2 * MIB, 2 * MIB, MIB), 0, "write_into_fallocated");
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 2 * MIB, "seek_data_written");
	CHECK_EQ(lseek(fd, 2 * MIB, SEEK_HOLE), 4 * MIB, "seek_hole_fallocated");
	CHECK(reads_pat(fd, 2 * MIB, 2 * MIB, MIB, 0), "written_reads_back");
	CHECK_EQ(blocks(fd), 5 * MIB / PG * 8, "blocks_unchanged");
	close(fd);
}

/* More files growing at once than the sandbox keeps spares for, then gone. */
static void many_writers(void)
{
	enum { N = 12 };
	int fds[N];
	char name[16];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		fds[i] = open_shm(name);
		SETUP(fds[i]);
	}
	int ok = 1;
	for (long off = 0; off < 3 * MIB; off += MIB)
		for (int i = 0; i < N; i++)
			ok &= write_pat(fds[i], off, MIB, MIB) == 0;
	CHECK(ok, "interleaved_writes");
	for (int i = 0; i < N; i++)
		ok &= reads_pat(fds[i], 0, 3 * MIB, MIB, 0) && blocks(fds[i]) == 3 * MIB / PG * 8;
	CHECK(ok, "interleaved_reads_back");
	for (int i = 0; i < N; i += 2)
		close(fds[i]);
	for (int i = 1; i < N; i += 2)
		ok &= write_pat(fds[i], 3 * MIB, MIB + 1, MIB) == 0;
	for (int i = 1; i < N; i += 2)
		ok &= reads_pat(fds[i], 0, 4 * MIB + 1, MIB, 0);
	CHECK(ok, "half_closed_write_on");
	for (int i = 1; i < N; i += 2)
		close(fds[i]);
}

static long long bfree(const char *dir)
{
	struct statfs s;
	return statfs(dir, &s) ? -1 : (long long)s.f_bfree;
}

/* size=4m holds 4 MiB of data, whatever pieces wrote it and whatever is open. */
static void size_limit(void)
{
	char m[PATH_MAX], a[PATH_MAX + 8], b[PATH_MAX + 8], c[PATH_MAX + 8];
	snprintf(m, sizeof(m), "%s", T("lim"));
	SETUP(mkdir(m, 0755));
	if (mount("tmpfs", m, "tmpfs", 0, "size=4m") != 0) {
		conf_fail("mount_size_4m", "mount: %s (needs root natively)", conf_errname(errno));
		return;
	}
	snprintf(a, sizeof(a), "%s/a", m);
	snprintf(b, sizeof(b), "%s/b", m);
	snprintf(c, sizeof(c), "%s/c", m);
	/* A file whose last chunk is used up exactly, then gone. */
	int fa = open(a, O_RDWR | O_CREAT, 0600);
	SETUP(fa);
	CHECK_EQ(write_pat(fa, 0, 4 * MIB, MIB), 0, "write_exactly_4m");
	CHECK_EQ(bfree(m), 0, "statfs_full_4m");
	close(fa);
	CHECK_EQ(unlink(a), 0, "unlink_4m");
	CHECK_EQ(bfree(m), 4 * MIB / PG, "statfs_empty_again");
	fa = open(a, O_RDWR | O_CREAT, 0600);
	SETUP(fa);
	CHECK_EQ(write_pat(fa, 0, 3 * MIB, MIB), 0, "write_3m_keep_open");
	CHECK_EQ(bfree(m), MIB / PG, "statfs_counts_data_only");
	int fb = open(b, O_RDWR | O_CREAT, 0600);
	SETUP(fb);
	CHECK_EQ(write_pat(fb, 0, MIB, MIB), 0, "last_1m_fits");
	CHECK_EQ(bfree(m), 0, "statfs_full");
	int fc = open(c, O_RDWR | O_CREAT, 0600);
	SETUP(fc);
	CHECK_ERR(write(fc, "x", 1), ENOSPC, "full_enospc");
	CHECK_ERR(pwrite(fa, "x", 1, 3 * MIB), ENOSPC, "full_enospc_appending");
	CHECK(reads_pat(fa, 0, 3 * MIB, MIB, 0) && reads_pat(fb, 0, MIB, MIB, 0), "both_intact");
	close(fa);
	close(fb);
	CHECK_EQ(unlink(b), 0, "unlink_b");
	CHECK_EQ(bfree(m), MIB / PG, "statfs_after_unlink");
	/* Room for exactly 1 MiB more: a 2 MiB write stops short there. */
	CHECK_EQ(pwrite(fc, buf, 2 * MIB, 0), MIB, "write_stops_short");
	CHECK_ERR(pwrite(fc, "x", 1, MIB), ENOSPC, "full_again");
	close(fc);
	umount2(m, MNT_DETACH);
}

int main(void)
{
	/* Natively: a private namespace for the size-limited mount. */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	buf = malloc(2 * MIB);
	if (!buf)
		return 1;
	sequential();
	punch();
	not_sequential();
	shared_map();
	falloc();
	many_writers();
	size_limit();
	free(buf);
	return conf_exit();
}
