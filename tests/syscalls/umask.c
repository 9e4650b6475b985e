/* umask: return value and effect on creat/mkdir/mknod modes. */
#include "conformance.h"

int main(void)
{
	struct stat st;
	mode_t old = umask(027);
	CHECK_EQ(umask(027), 027, "returns_previous");
	CHECK_EQ(umask(old), 027, "returns_previous_again");
	CHECK_EQ(umask(0177777), old, "restore_returns_set");
	CHECK_EQ(umask(022), 0777, "only_0777_kept");

	umask(027);
	int fd = creat(T("f"), 0666);
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 07777, 0640, "creat_mode");
	close(fd);
	fd = open(T("g"), O_CREAT | O_WRONLY, 0777);
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 07777, 0750, "open_creat_mode");
	close(fd);
	mkdir(T("d"), 0777);
	stat(T("d"), &st);
	CHECK_EQ(st.st_mode & 07777, 0750, "mkdir_mode");
	/* umask does not restrict an explicit chmod. */
	chmod(T("f"), 0666);
	stat(T("f"), &st);
	CHECK_EQ(st.st_mode & 07777, 0666, "chmod_ignores_umask");
	umask(0);
	fd = open(T("h"), O_CREAT | O_WRONLY, 0666);
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 07777, 0666, "zero_umask");
	close(fd);
	/* Opening an existing file does not change its mode. */
	umask(077);
	fd = open(T("h"), O_CREAT | O_WRONLY, 0600);
	fstat(fd, &st);
	CHECK_EQ(st.st_mode & 07777, 0666, "existing_file_mode_unchanged");
	close(fd);
	umask(old);
	return conf_exit();
}
