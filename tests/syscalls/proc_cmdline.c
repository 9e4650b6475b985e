/* /proc/self/cmdline. */
#include "conformance.h"

int main(int argc, char **argv)
{
	char want[8192], got[8192];
	size_t wl = 0;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		memcpy(want + wl, argv[i], l);
		wl += l;
	}
	int fd;
	CHECK_OK(fd = open("/proc/self/cmdline", O_RDONLY), "open");
	ssize_t n = 0, r;
	while ((r = read(fd, got + n, sizeof got - n)) > 0)
		n += r;
	CHECK_EQ(n, (long)wl, "length");
	CHECK(n == (ssize_t)wl && memcmp(got, want, wl) == 0, "equals_argv");
	CHECK(n > 0 && got[n - 1] == 0, "nul_terminated");
	lseek(fd, 1, SEEK_SET);
	r = read(fd, got, sizeof got);
	CHECK(r == n - 1 && memcmp(got, want + 1, r) == 0, "read_at_offset");
	close(fd);
	fd = open("/proc/self/cmdline", O_RDONLY);
	char small[3];
	CHECK_EQ(read(fd, small, 3), 3, "short_read");
	CHECK(memcmp(small, want, 3) == 0, "short_read_content");
	close(fd);
	CHECK_ERR(open("/proc/self/cmdline/x", O_RDONLY), ENOTDIR, "not_a_directory");
	return conf_exit();
}
