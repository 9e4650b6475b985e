/* utimensat/futimens. */
#include "conformance.h"
#include <time.h>

int main(void)
{
	struct stat st;
	SETUP(write_file(T("f"), "x"));
	SETUP(symlink("f", T("l")));

	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1100000000, 987654321 } };
	CHECK_EQ(utimensat(AT_FDCWD, T("f"), ts, 0), 0, "set_times");
	stat(T("f"), &st);
	CHECK_EQ(st.st_atim.tv_sec, 1000000000, "atime_sec");
	CHECK_EQ(st.st_atim.tv_nsec, 123456789, "atime_nsec");
	CHECK_EQ(st.st_mtim.tv_sec, 1100000000, "mtime_sec");
	CHECK_EQ(st.st_mtim.tv_nsec, 987654321, "mtime_nsec");

	struct timespec omit[2] = { { 5, UTIME_OMIT }, { 2000000000, 0 } };
	CHECK_EQ(utimensat(AT_FDCWD, T("f"), omit, 0), 0, "omit_atime");
	stat(T("f"), &st);
	CHECK(st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 2000000000, "omit_keeps_atime");

	time_t before = time(NULL);
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	CHECK_EQ(utimensat(AT_FDCWD, T("f"), now, 0), 0, "utime_now");
	stat(T("f"), &st);
	CHECK(st.st_mtim.tv_sec >= before - 2 && st.st_mtim.tv_sec <= time(NULL) + 2, "utime_now_is_now");
	utimensat(AT_FDCWD, T("f"), ts, 0);
	CHECK_EQ(utimensat(AT_FDCWD, T("f"), NULL, 0), 0, "null_times_is_now");
	stat(T("f"), &st);
	CHECK(st.st_mtim.tv_sec >= before - 2, "null_times_now");

	/* Writing updates mtime. */
	utimensat(AT_FDCWD, T("f"), ts, 0);
	int fd = open(T("f"), O_WRONLY);
	write(fd, "y", 1);
	fstat(fd, &st);
	CHECK(st.st_mtim.tv_sec >= before - 2, "write_updates_mtime");

	CHECK_EQ(futimens(fd, ts), 0, "futimens");
	fstat(fd, &st);
	CHECK_EQ(st.st_mtim.tv_sec, 1100000000, "futimens_mtime");
	close(fd);

	/* AT_SYMLINK_NOFOLLOW changes the link, not the target. */
	struct timespec lts[2] = { { 1200000000, 0 }, { 1300000000, 0 } };
	utimensat(AT_FDCWD, T("f"), ts, 0);
	CHECK_EQ(utimensat(AT_FDCWD, T("l"), lts, AT_SYMLINK_NOFOLLOW), 0, "nofollow");
	lstat(T("l"), &st);
	CHECK_EQ(st.st_mtim.tv_sec, 1300000000, "nofollow_link_mtime");
	stat(T("f"), &st);
	CHECK_EQ(st.st_mtim.tv_sec, 1100000000, "nofollow_target_unchanged");
	CHECK_EQ(utimensat(AT_FDCWD, T("l"), lts, 0), 0, "follow");
	stat(T("f"), &st);
	CHECK_EQ(st.st_mtim.tv_sec, 1300000000, "follow_target_changed");

	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	CHECK_ERR(utimensat(AT_FDCWD, T("f"), bad, 0), EINVAL, "bad_nsec");
	struct timespec neg[2] = { { 0, -5 }, { 0, 0 } };
	CHECK_ERR(utimensat(AT_FDCWD, T("f"), neg, 0), EINVAL, "negative_nsec");
	CHECK_ERR(utimensat(AT_FDCWD, T("missing"), ts, 0), ENOENT, "enoent");
	CHECK_ERR(utimensat(AT_FDCWD, T("f"), ts, 0x1), EINVAL, "bad_flags");
	CHECK_ERR(utimensat(9999, "f", ts, 0), EBADF, "ebadf");
	return conf_exit();
}
