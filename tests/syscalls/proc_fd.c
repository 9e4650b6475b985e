/* /proc/self/fd. */
#include "conformance.h"

static int listed(int want)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	struct dirent *e;
	int found = 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && atoi(e->d_name) == want)
			found = 1;
	closedir(d);
	return found;
}

int main(void)
{
	char real[PATH_MAX], got[PATH_MAX + 1], p[64];
	SETUP(write_file(T("file"), "content"));
	SETUP(realpath(T("file"), real) ? 0 : -1);
	int fd = open(T("file"), O_RDONLY);
	SETUP(fd);

	CHECK_EQ(listed(fd), 1, "lists_open_fd");
	CHECK_EQ(listed(1), 1, "lists_stdout");
	int d = dup2(fd, 42);
	CHECK_EQ(listed(42), 1, "lists_dup");
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, real, "readlink_file_fd");
	n = readlink("/proc/self/fd/42", got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, real, "readlink_dup_fd");

	struct stat a, b;
	CHECK_OK(stat(p, &a), "stat_follows");
	fstat(fd, &b);
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "stat_same_file");
	/* Opening /proc/self/fd/N reopens the file with a fresh offset. */
	char c;
	read(fd, &c, 1);
	int re;
	CHECK_OK(re = open(p, O_RDONLY), "reopen");
	char buf[16] = { 0 };
	read(re, buf, sizeof buf - 1);
	CHECK_STR(buf, "content", "reopen_fresh_offset");
	close(re);

	char dreal[PATH_MAX];
	realpath(conf_tmpdir(), dreal);
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	snprintf(p, sizeof p, "/proc/self/fd/%d", dfd);
	n = readlink(p, got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, dreal, "readlink_dir_fd");
	close(dfd);

	/* An unlinked file shows " (deleted)". */
	SETUP(write_file(T("gone"), "x"));
	char greal[PATH_MAX + 16];
	realpath(T("gone"), greal);
	int gfd = open(T("gone"), O_RDONLY);
	unlink(T("gone"));
	strcat(greal, " (deleted)");
	snprintf(p, sizeof p, "/proc/self/fd/%d", gfd);
	n = readlink(p, got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, greal, "readlink_deleted");
	close(gfd);

	close(d);
	close(fd);
	/* (listed() itself takes the lowest free number, so check 42.) */
	CHECK_EQ(listed(42), 0, "closed_not_listed");
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	CHECK_ERR(readlink(p, got, sizeof got), ENOENT, "readlink_closed_enoent");
	CHECK_ERR(open("/proc/self/fd/9999", O_RDONLY), ENOENT, "open_missing_enoent");
	return conf_exit();
}
