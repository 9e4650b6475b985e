/* tmpfs sparse files: data far out (1 TiB, 2^50, 2^62, the last byte of
 * MAX_LFS_FILESIZE), holes reading as zeros, st_size/st_blocks, SEEK_DATA/
 * SEEK_HOLE, truncate down/up, fallocate and hole punching far out, a shared
 * mapping of a page at 1 TiB, and the limits (EFBIG, EINVAL, EOVERFLOW).
 * Runs on /dev/shm (tmpfs natively and in the sandbox). */
#include <sys/mman.h>
#include <sys/uio.h>
#include "conformance.h"

#define TIB (1LL << 40)
#define P50 (1LL << 50)
#define P62 (1LL << 62)

static char shm_path[64];

static long long blocks(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? -1 : (long long)st.st_blocks;
}

static long long size_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? -1 : (long long)st.st_size;
}

/* pread of n bytes at off: all zeros except buf[at] == c (at < 0: all zeros). */
static int reads_as(int fd, off_t off, size_t n, long at, char c)
{
	static char buf[16384];
	if (pread(fd, buf, n, off) != (ssize_t)n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i] != ((long)i == at ? c : 0))
			return 0;
	return 1;
}

static int open_new(void)
{
	snprintf(shm_path, sizeof(shm_path), "/dev/shm/conf-sparse-%d", (int)getpid());
	int fd = open(shm_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		unlink(shm_path);
	return fd;
}

static void far_writes(void)
{
	int fd = open_new();
	SETUP(fd);
	CHECK_EQ(pwrite(fd, "x", 1, TIB), 1, "write_1tib");
	CHECK_EQ(size_of(fd), TIB + 1, "write_1tib_size");
	CHECK_EQ(blocks(fd), 8, "write_1tib_one_page");
	CHECK(reads_as(fd, 0, 8192, -1, 0), "hole_at_0_reads_zeros");
	CHECK(reads_as(fd, TIB - 4096, 4097, 4096, 'x'), "hole_then_byte");
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), TIB, "seek_data_to_1tib");
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 0, "seek_hole_at_0");
	CHECK_EQ(lseek(fd, TIB, SEEK_HOLE), TIB + 1, "seek_hole_is_eof");
	CHECK_ERR(lseek(fd, TIB + 1, SEEK_DATA), ENXIO, "seek_data_at_eof");
	CHECK_ERR(lseek(fd, -1, SEEK_HOLE), ENXIO, "seek_hole_negative");

	CHECK_EQ(pwrite(fd, "y", 1, P62), 1, "write_2p62");
	CHECK_EQ(size_of(fd), P62 + 1, "write_2p62_size");
	CHECK_EQ(blocks(fd), 16, "write_2p62_two_pages");
	CHECK_EQ(lseek(fd, TIB + 1, SEEK_DATA), TIB + 1, "seek_data_inside_page");
	CHECK_EQ(lseek(fd, TIB + 1, SEEK_HOLE), TIB + 4096, "seek_hole_after_page");
	CHECK_EQ(lseek(fd, TIB + 4096, SEEK_DATA), P62, "seek_data_to_2p62");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), P62, "seek_data_sets_pos");
	CHECK(reads_as(fd, P62 - 8192, 8193, 8192, 'y'), "read_2p62");

	/* Truncate down frees the far page; up again reads zeros there. */
	CHECK_EQ(ftruncate(fd, TIB + 1), 0, "truncate_down");
	CHECK_EQ(blocks(fd), 8, "truncate_down_frees");
	CHECK_EQ(pread(fd, (char[1]){0}, 1, P62), 0, "read_past_eof");
	CHECK_EQ(ftruncate(fd, P62 + 100), 0, "truncate_up");
	CHECK_EQ(blocks(fd), 8, "truncate_up_allocates_nothing");
	CHECK(reads_as(fd, P62 - 100, 200, -1, 0), "truncated_data_gone");
	CHECK_ERR(lseek(fd, TIB + 4096, SEEK_DATA), ENXIO, "seek_data_none_after");
	CHECK_EQ(lseek(fd, TIB + 4096, SEEK_HOLE), TIB + 4096, "seek_hole_in_hole");
	/* A partial last page keeps its head and zeroes its tail. */
	CHECK_EQ(pwrite(fd, "abc", 3, TIB + 1), 3, "write_after_byte");
	CHECK_EQ(ftruncate(fd, TIB + 2), 0, "truncate_mid_page");
	CHECK_EQ(ftruncate(fd, TIB + 8), 0, "extend_mid_page");
	char b[8];
	CHECK_EQ(pread(fd, b, 8, TIB), 8, "read_mid_page");
	CHECK(memcmp(b, "xa\0\0\0\0\0\0", 8) == 0, "truncated_tail_zeroed");
	CHECK_EQ(ftruncate(fd, TIB), 0, "truncate_to_page_start");
	CHECK_EQ(blocks(fd), 0, "truncate_frees_last_page");
	CHECK_ERR(lseek(fd, 0, SEEK_DATA), ENXIO, "seek_data_empty");
	close(fd);
}

static void far_fallocate(void)
{
	int fd = open_new();
	SETUP(fd);
	CHECK_EQ(fallocate(fd, 0, P50, 8192), 0, "fallocate_2p50");
	CHECK_EQ(size_of(fd), P50 + 8192, "fallocate_size");
	CHECK_EQ(blocks(fd), 16, "fallocate_blocks");
	CHECK(reads_as(fd, P50, 8192, -1, 0), "fallocated_reads_zeros");
	/* shmem: fallocated pages nothing wrote yet are holes for SEEK_DATA. */
	CHECK_ERR(lseek(fd, 0, SEEK_DATA), ENXIO, "fallocated_is_hole");
	CHECK_EQ(pwrite(fd, "z", 1, P50 + 1), 1, "write_fallocated");
	CHECK_EQ(blocks(fd), 16, "write_fallocated_no_new_page");
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), P50, "written_is_data");
	CHECK_EQ(lseek(fd, P50, SEEK_HOLE), P50 + 4096, "unwritten_is_hole");
	CHECK_EQ(fallocate(fd, FALLOC_FL_KEEP_SIZE, P62, 1 << 20), 0, "fallocate_keep_size_2p62");
	CHECK_EQ(size_of(fd), P50 + 8192, "keep_size_keeps_size");
	CHECK_EQ(blocks(fd), 16 + 2048, "keep_size_blocks");

	CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, P62, 1 << 19), 0,
		 "punch_2p62");
	CHECK_EQ(blocks(fd), 16 + 1024, "punch_frees_pages");
	CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, P50 + 4096, 4096), 0,
		 "punch_2p50");
	CHECK_EQ(blocks(fd), 8 + 1024, "punch_one_page");
	CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, P50, 1), 0,
		 "punch_partial_page");
	CHECK_EQ(blocks(fd), 8 + 1024, "punch_partial_keeps_page");
	CHECK(reads_as(fd, P50, 4096, 1, 'z'), "punch_partial_zeroes");
	CHECK_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, LLONG_MAX), 0,
		 "punch_everything");
	CHECK_EQ(blocks(fd), 0, "punch_everything_frees");
	CHECK_EQ(size_of(fd), P50 + 8192, "punch_keeps_size");

	CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1, LLONG_MAX), EFBIG,
		  "punch_wraps_efbig");
	CHECK_ERR(fallocate(fd, 0, LLONG_MAX - 4095, 4096), EFBIG, "fallocate_past_max_efbig");
	CHECK_ERR(fallocate(fd, 0, LLONG_MAX, 1), EFBIG, "fallocate_at_max_efbig");
	CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL, "fallocate_zero_len");
	CHECK_ERR(fallocate(fd, 0, -1, 1), EINVAL, "fallocate_negative");
	close(fd);
}

/* A page at 1 TiB of a sparse file, mapped shared: stores reach pread. */
static void far_mapping(void)
{
	int fd = open_new();
	SETUP(fd);
	SETUP(ftruncate(fd, TIB + 8192));
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, TIB);
	if (!CHECK_OK(m, "mmap_at_1tib"))
		return;
	CHECK_EQ(m[100], 0, "mapped_hole_reads_zero");
	m[5] = 'q';
	CHECK(reads_as(fd, TIB, 4096, 5, 'q'), "store_reaches_pread");
	CHECK_EQ(pwrite(fd, "r", 1, TIB + 4096 + 7), 1, "pwrite_second_page");
	CHECK_EQ(m[4096 + 7], 'r', "pwrite_reaches_mapping");
	CHECK_EQ(blocks(fd), 16, "mapping_pages_counted");
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), TIB, "mapped_page_is_data");
	CHECK_EQ(munmap(m, 8192), 0, "munmap");
	CHECK_ERR(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, LLONG_MAX & ~4095LL), EOVERFLOW,
		  "mmap_past_max_eoverflow");
	void *far = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, P62);
	CHECK_OK(far, "mmap_at_2p62");
	if (far != MAP_FAILED)
		munmap(far, 4096);
	close(fd);
}

/* One mapping over a whole 1 TiB sparse file: two data pages, holes between. */
static void whole_sparse_mapping(void)
{
	int fd = open_new();
	SETUP(fd);
	SETUP(ftruncate(fd, TIB));
	CHECK_EQ(pwrite(fd, "x", 1, TIB / 2), 1, "pwrite_middle");
	CHECK_EQ(pwrite(fd, "y", 1, TIB - 4096), 1, "pwrite_last_page");
	char *m = mmap(NULL, TIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK_OK(m, "mmap_whole_1tib"))
		return;
	CHECK_EQ(m[TIB / 2], 'x', "middle_page_mapped");
	CHECK_EQ(m[TIB - 4096], 'y', "last_page_mapped");
	CHECK_EQ(m[12345], 0, "hole_reads_zero");
	m[TIB / 4] = 'z';
	CHECK(reads_as(fd, TIB / 4, 1, 0, 'z'), "store_in_hole_reaches_pread");
	/* Reading a hole through a shared mapping allocates its page too (shmem_fault). */
	CHECK_EQ(blocks(fd), 32, "four_pages_counted");
	CHECK_EQ(munmap(m, TIB), 0, "munmap_whole");
	close(fd);
}

/* MAX_LFS_FILESIZE (LLONG_MAX): the last byte is writable, nothing after it. */
static void max_size(void)
{
	int fd = open_new();
	SETUP(fd);
	char b[2];
	CHECK_EQ(pwrite(fd, "m", 1, LLONG_MAX - 1), 1, "write_last_byte");
	CHECK_EQ(size_of(fd), LLONG_MAX, "size_is_max");
	CHECK_EQ(blocks(fd), 8, "last_byte_one_page");
	CHECK_EQ(pread(fd, b, 1, LLONG_MAX - 1), 1, "read_last_byte");
	CHECK_EQ(b[0], 'm', "last_byte_value");
	CHECK_ERR(pwrite(fd, "ab", 2, LLONG_MAX - 1), EINVAL, "pwrite_wraps_einval");
	CHECK_ERR(pwrite(fd, "a", 1, LLONG_MAX), EINVAL, "pwrite_at_max_einval");
	CHECK_EQ(pwrite(fd, "a", 0, LLONG_MAX), 0, "pwrite_zero_at_max");
	CHECK_ERR(pread(fd, b, 2, LLONG_MAX - 1), EINVAL, "pread_wraps_einval");
	CHECK_ERR(pwrite(fd, "a", 1, -1), EINVAL, "pwrite_negative");
	struct iovec iov[2] = { { b, 1 }, { b, 1 } };
	CHECK_ERR(pwritev(fd, iov, 2, LLONG_MAX - 1), EINVAL, "pwritev_wraps_einval");
	CHECK_EQ(lseek(fd, LLONG_MAX - 1, SEEK_SET), LLONG_MAX - 1, "seek_near_max");
	CHECK_ERR(write(fd, "ab", 2), EINVAL, "write_wraps_einval");
	CHECK_ERR(ftruncate(fd, -1), EINVAL, "truncate_negative");

	char p[64];    /* the file is unlinked: a second description through /proc */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	int fa = open(p, O_WRONLY | O_APPEND);
	SETUP(fa);
	CHECK_ERR(write(fa, "a", 1), EFBIG, "append_at_max_efbig");
	CHECK_EQ(ftruncate(fd, LLONG_MAX - 1), 0, "truncate_below_max");
	CHECK_EQ(blocks(fd), 8, "truncate_keeps_partial_last_page");
	CHECK_EQ(write(fa, "ab", 2), 1, "append_stops_at_max");
	CHECK_EQ(size_of(fd), LLONG_MAX, "append_size_max");
	CHECK_EQ(ftruncate(fd, 0), 0, "truncate_to_zero");
	CHECK_EQ(blocks(fd), 0, "truncate_to_zero_frees");
	close(fa);
	close(fd);
}

/* A memfd is the same tmpfs file: sparse writes, and F_SEAL_GROW far out. */
static void far_memfd(void)
{
	int fd = memfd_create("sparse", MFD_ALLOW_SEALING);
	SETUP(fd);
	CHECK_EQ(pwrite(fd, "x", 1, TIB), 1, "memfd_write_1tib");
	CHECK_EQ(blocks(fd), 8, "memfd_one_page");
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0, "memfd_seal_grow");
	CHECK_ERR(pwrite(fd, "x", 1, P62), EPERM, "memfd_sealed_far_write");
	CHECK_ERR(fallocate(fd, 0, P62, 4096), EPERM, "memfd_sealed_far_fallocate");
	CHECK_EQ(pwrite(fd, "w", 1, 4096), 1, "memfd_write_inside");
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 4096, "memfd_seek_data");
	close(fd);
}

int main(void)
{
	far_writes();
	far_fallocate();
	far_mapping();
	whole_sparse_mapping();
	max_size();
	far_memfd();
	return conf_exit();
}
