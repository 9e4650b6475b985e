/* memfd_create: flags and names, the file it makes (regular, empty, read
 * and write, /proc/self/fd name, reopen), and file seals: F_ADD_SEALS /
 * F_GET_SEALS rules and their enforcement on write, truncate, fallocate and
 * shared mappings. */
#include "conformance.h"
#include <sys/mman.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static int mfd(const char *name, unsigned flags)
{
	return (int)syscall(SYS_memfd_create, name, flags);
}

static void test_create(void)
{
	int fd = mfd("test", 0);
	CHECK_OK(fd, "create");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0, "regular_empty");
	CHECK_EQ(fcntl(fd, F_GETFD), 0, "no_cloexec");
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR, "rdwr");
	char link[64], want[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, want, sizeof(want) - 1);
	want[n > 0 ? n : 0] = 0;
	CHECK_STR(want, "/memfd:test (deleted)", "proc_name");
	CHECK_EQ(write(fd, "hello", 5), 5, "write");
	char buf[8] = { 0 };
	CHECK(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "hello", 5) == 0, "read_back");
	CHECK_EQ(ftruncate(fd, 8192), 0, "ftruncate");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 8192, "size_after_truncate");
	/* Reopen through /proc: another description of the same file. */
	int fd2 = open(link, O_RDWR);
	CHECK_OK(fd2, "reopen_proc");
	memset(buf, 0, sizeof(buf));
	CHECK(read(fd2, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0, "reopen_same_data");
	CHECK_EQ(lseek(fd2, 0, SEEK_CUR), 5, "reopen_own_offset");
	close(fd2);
	/* Shared mappings see the data. */
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED && memcmp(m, "hello", 5) == 0, "mmap_shared");
	if (m != MAP_FAILED) {
		m[0] = 'J';
		CHECK(pread(fd, buf, 1, 0) == 1 && buf[0] == 'J', "mmap_write_visible");
		munmap(m, 4096);
	}
	close(fd);
	fd = mfd("cloexec", MFD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "mfd_cloexec");
	close(fd);
	/* Names: up to 249 bytes; an empty one is fine. */
	char name[300];
	memset(name, 'a', sizeof(name));
	name[249] = 0;
	fd = mfd(name, 0);
	CHECK_OK(fd, "name_249");
	close(fd);
	name[249] = 'a';
	name[250] = 0;
	CHECK_ERR(mfd(name, 0), EINVAL, "name_250");
	fd = mfd("", 0);
	CHECK_OK(fd, "name_empty");
	close(fd);
	CHECK_ERR(mfd("x", 0x100), EINVAL, "bad_flags");
	CHECK_ERR(mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL, "exec_and_noexec");
	CHECK_ERR(mfd(conf_bad_ptr(), 0), EFAULT, "name_efault");
}

static void test_seals(void)
{
	int fd = mfd("noseal", 0);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL, "default_sealed");
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM, "add_without_allow");
	close(fd);

	fd = mfd("seal", MFD_ALLOW_SEALING);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), 0, "allow_sealing_none");
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0x1000), EINVAL, "unknown_seal");
	SETUP(write(fd, "0123456789", 10));

	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0, "seal_shrink");
	CHECK_ERR(ftruncate(fd, 5), EPERM, "shrink_denied");
	CHECK_EQ(ftruncate(fd, 20), 0, "grow_allowed");
	CHECK_EQ(ftruncate(fd, 20), 0, "same_size_allowed");

	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0, "seal_grow");
	CHECK_ERR(ftruncate(fd, 30), EPERM, "grow_denied");
	CHECK_ERR(pwrite(fd, "x", 1, 20), EPERM, "write_past_eof_denied");
	CHECK_EQ(pwrite(fd, "ab", 2, 18), 2, "write_inside_allowed");
	CHECK_ERR(pwrite(fd, "abc", 3, 18), EPERM, "write_across_eof_denied");
	CHECK_ERR(fallocate(fd, 0, 0, 4096), EPERM, "fallocate_grow_denied");
	CHECK_EQ(fallocate(fd, 0, 0, 10), 0, "fallocate_inside_ok");
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW, "get_two");

	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0, "seal_write");
	CHECK_ERR(write(fd, "x", 1), EPERM, "write_denied");
	CHECK_ERR(pwrite(fd, "x", 1, 0), EPERM, "pwrite_denied");
	CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4),
		  EPERM, "punch_denied");
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EPERM, "mmap_shared_write_denied");
	void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap_shared_read_ok");
	if (m != MAP_FAILED)
		munmap(m, 4096);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(m != MAP_FAILED, "mmap_private_write_ok");
	if (m != MAP_FAILED)
		munmap(m, 4096);
	char buf[4];
	CHECK_EQ(pread(fd, buf, 4, 0), 4, "read_still_ok");

	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0, "seal_seal");
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM, "sealed_seals");
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL,
		 "get_all");
	close(fd);

	/* F_SEAL_WRITE with a writable shared mapping: EBUSY. */
	fd = mfd("busy", MFD_ALLOW_SEALING);
	SETUP(ftruncate(fd, 4096));
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY, "seal_write_busy");
	munmap(m, 4096);
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0, "seal_write_after_unmap");
	close(fd);

	/* F_SEAL_FUTURE_WRITE: no new writes or writable mappings. */
	fd = mfd("future", MFD_ALLOW_SEALING);
	SETUP(ftruncate(fd, 4096));
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0, "future_write");
	CHECK_ERR(write(fd, "x", 1), EPERM, "future_write_denied");
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EPERM, "future_mmap_denied");
	if (m != MAP_FAILED) {
		((char *)m)[0] = 'z';   /* the existing mapping still writes */
		CHECK(pread(fd, buf, 1, 0) == 1 && buf[0] == 'z', "old_mapping_writes");
		munmap(m, 4096);
	}
	close(fd);

	/* Seals need a writable descriptor; other files have none. */
	fd = mfd("ro", MFD_ALLOW_SEALING);
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	int ro = open(link, O_RDONLY);
	CHECK_ERR(fcntl(ro, F_ADD_SEALS, F_SEAL_GROW), EPERM, "add_seals_rdonly_fd");
	CHECK_EQ(fcntl(ro, F_GET_SEALS), 0, "get_seals_rdonly_fd");
	close(ro);
	close(fd);
	int p[2];
	SETUP(pipe(p));
	CHECK_ERR(fcntl(p[1], F_ADD_SEALS, F_SEAL_GROW), EINVAL, "add_seals_pipe");
	CHECK_ERR(fcntl(p[0], F_GET_SEALS), EINVAL, "get_seals_pipe");
	close(p[0]);
	close(p[1]);
	int f = open(T("plain"), O_RDWR | O_CREAT, 0600);
	CHECK_ERR(fcntl(f, F_GET_SEALS), EINVAL, "get_seals_regular");
	close(f);

	/* MFD_NOEXEC_SEAL: mode without x, F_SEAL_EXEC set, chmod +x refused. */
	fd = mfd("noexec", MFD_NOEXEC_SEAL);
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0666, "noexec_mode");
	CHECK_EQ(fcntl(fd, F_GET_SEALS), 0x20, "noexec_seal_exec");
	CHECK_ERR(fchmod(fd, 0777), EPERM, "noexec_chmod_denied");
	close(fd);
}

int main(void)
{
	test_create();
	test_seals();
	return conf_exit();
}
