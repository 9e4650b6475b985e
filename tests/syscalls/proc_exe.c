/* /proc/self/exe. */
#include "conformance.h"

int main(int argc, char **argv)
{
	char want[PATH_MAX], got[PATH_MAX + 1];
	(void)argc;
	SETUP(realpath(argv[0], want) ? 0 : -1);
	ssize_t n = readlink("/proc/self/exe", got, sizeof got - 1);
	CHECK_EQ(n, (long)strlen(want), "readlink_len");
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, want, "readlink_is_realpath_of_argv0");
	char small[4];
	CHECK_EQ(readlink("/proc/self/exe", small, sizeof small), 4, "readlink_truncates");
	CHECK(memcmp(small, want, 4) == 0, "readlink_truncated_content");

	struct stat a, b;
	CHECK_OK(stat("/proc/self/exe", &a), "stat_follows");
	stat(want, &b);
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size, "stat_same_file");
	CHECK_OK(lstat("/proc/self/exe", &a), "lstat");
	CHECK(S_ISLNK(a.st_mode), "lstat_is_link");

	int fd;
	CHECK_OK(fd = open("/proc/self/exe", O_RDONLY), "open");
	char magic[4] = { 0 };
	read(fd, magic, 4);
	CHECK(memcmp(magic, "\177ELF", 4) == 0, "elf_magic");
	close(fd);

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", getpid());
	n = readlink(path, got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, want, "proc_pid_exe");
	snprintf(path, sizeof path, "%d", getpid());
	n = readlink("/proc/self", got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, path, "proc_self_links_to_pid");
	return conf_exit();
}
