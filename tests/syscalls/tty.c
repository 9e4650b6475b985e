/* isatty/ioctl on things that are not terminals. */
#include "conformance.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
	struct termios t;
	struct winsize ws;
	SETUP(write_file(T("f"), "0123456789"));
	int fd = open(T("f"), O_RDONLY);
	SETUP(fd);

	errno = 0;
	int r = isatty(fd), e = errno;
	CHECK_EQ(r, 0, "isatty_file");
	CHECK_EQ(e, ENOTTY, "isatty_file_errno");
	CHECK_ERR(ioctl(fd, TCGETS, &t), ENOTTY, "tcgets_file");
	CHECK_ERR(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY, "tiocgwinsz_file");
	CHECK_ERR(tcgetattr(fd, &t), ENOTTY, "tcgetattr_file");
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_ERR(ioctl(dfd, TCGETS, &t), ENOTTY, "tcgets_dir");
	close(dfd);
	int nfd = open("/dev/null", O_RDWR);
	CHECK_ERR(ioctl(nfd, TCGETS, &t), ENOTTY, "tcgets_devnull");
	errno = 0;
	CHECK_EQ(isatty(nfd), 0, "isatty_devnull");
	close(nfd);
	CHECK_ERR(ioctl(9999, TCGETS, &t), EBADF, "tcgets_ebadf");
	errno = 0;
	r = isatty(9999);
	e = errno;
	CHECK_EQ(r, 0, "isatty_ebadf");
	CHECK_EQ(e, EBADF, "isatty_ebadf_errno");

	/* Generic file ioctls. */
	int avail = -1;
	lseek(fd, 3, SEEK_SET);
	CHECK_EQ(ioctl(fd, FIONREAD, &avail), 0, "fionread_file");
	CHECK_EQ(avail, 7, "fionread_value");
	CHECK_EQ(ioctl(fd, FIOCLEX), 0, "fioclex");
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "fioclex_sets_cloexec");
	CHECK_EQ(ioctl(fd, FIONCLEX), 0, "fionclex");
	CHECK_EQ(fcntl(fd, F_GETFD), 0, "fionclex_clears_cloexec");
	close(fd);
	return conf_exit();
}
