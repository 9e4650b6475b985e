/* getdents64 on a directory we made. */
#include "conformance.h"

struct ent {
	char name[256];
	unsigned char type;
};

static int list(int fd, struct ent *out, int max, size_t bufsz)
{
	char buf[4096];
	int n = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, bufsz);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		for (long off = 0; off < r;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (n < max) {
				snprintf(out[n].name, sizeof out[n].name, "%s", d->d_name);
				out[n].type = d->d_type;
			}
			n++;
			off += d->d_reclen;
		}
	}
	return n;
}

static int find(struct ent *e, int n, const char *name, unsigned char type)
{
	int c = 0;
	for (int i = 0; i < n && i < 64; i++)
		if (strcmp(e[i].name, name) == 0 && e[i].type == type)
			c++;
	return c;
}

int main(void)
{
	struct ent e[64];
	SETUP(mkdir(T("d"), 0755));
	SETUP(write_file(T("d/a"), "1"));
	SETUP(write_file(T("d/bb"), "2"));
	SETUP(mkdir(T("d/sub"), 0755));
	SETUP(symlink("a", T("d/lnk")));

	int fd = open(T("d"), O_RDONLY | O_DIRECTORY);
	int n = list(fd, e, 64, sizeof(char[4096]));
	CHECK_EQ(n, 6, "count");
	CHECK(find(e, n, ".", DT_DIR) == 1, "dot");
	CHECK(find(e, n, "..", DT_DIR) == 1, "dotdot");
	CHECK(find(e, n, "a", DT_REG) == 1, "file_a");
	CHECK(find(e, n, "bb", DT_REG) == 1, "file_bb");
	CHECK(find(e, n, "sub", DT_DIR) == 1, "subdir");
	CHECK(find(e, n, "lnk", DT_LNK) == 1, "symlink");

	char buf[4096];
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), 0, "eof_returns_zero");
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0, "rewind");
	CHECK_EQ(list(fd, e, 64, 4096), 6, "rewind_lists_again");

	/* Later cases use fresh descriptors so that they do not depend on
	 * lseek working on directories. */
	int fd2 = open(T("d"), O_RDONLY | O_DIRECTORY);
	/* Tiny buffer: one entry at a time still lists everything. */
	CHECK_EQ(list(fd2, e, 64, 32), 6, "small_buffer_one_by_one");
	close(fd2);
	fd2 = open(T("d"), O_RDONLY | O_DIRECTORY);
	CHECK_ERR(syscall(SYS_getdents64, fd2, buf, 8), EINVAL, "buffer_too_small");
	CHECK_ERR(syscall(SYS_getdents64, fd2, BAD_PTR, sizeof buf), EFAULT, "efault");
	close(fd2);

	/* Entries reflect unlink/create. */
	unlink(T("d/a"));
	SETUP(write_file(T("d/c"), "3"));
	fd2 = open(T("d"), O_RDONLY | O_DIRECTORY);
	n = list(fd2, e, 64, 4096);
	close(fd2);
	CHECK(n == 6 && find(e, n, "a", DT_REG) == 0 && find(e, n, "c", DT_REG) == 1, "reflects_changes");

	/* An empty directory has only . and .. */
	int sfd = open(T("d/sub"), O_RDONLY | O_DIRECTORY);
	n = list(sfd, e, 64, 4096);
	CHECK(n == 2 && find(e, n, ".", DT_DIR) && find(e, n, "..", DT_DIR), "empty_dir");
	close(sfd);

	/* Many entries (more than one buffer). */
	SETUP(mkdir(T("many"), 0755));
	for (int i = 0; i < 300; i++) {
		char nm[64];
		snprintf(nm, sizeof nm, "many/file-with-a-longish-name-%03d", i);
		SETUP(write_file(T(nm), ""));
	}
	int mfd = open(T("many"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(list(mfd, e, 64, 4096), 302, "many_entries");
	close(mfd);

	int ffd = open(T("d/bb"), O_RDONLY);
	CHECK_ERR(syscall(SYS_getdents64, ffd, buf, sizeof buf), ENOTDIR, "on_file");
	close(ffd);
	CHECK_ERR(syscall(SYS_getdents64, 9999, buf, sizeof buf), EBADF, "ebadf");
	close(fd);
	return conf_exit();
}
