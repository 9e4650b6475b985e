/* File-system races and lifetimes: getdents while another process renames
 * entries (no entry lost or listed twice that was never renamed), unlink of
 * an open file (data stays readable and writable, st_nlink 0, space
 * released on close), concurrent O_APPEND writers (no write lost or torn),
 * rename over an open file, rmdir of a directory still open (getdents and
 * creating in it give ENOENT), a FIFO whose writer opened before its reader.
 */
#include "conformance.h"
#include <dirent.h>
#include <sys/statvfs.h>

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Names in dir (skipping . and ..) read with small getdents calls; count into seen[]. */
static int list_small(const char *dir, int *seen, int n, int *others)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	char buf[256];
	long got;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < got;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			int k;
			if (sscanf(d->d_name, "keep%d", &k) == 1 && k >= 0 && k < n)
				seen[k]++;
			else if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				(*others)++;
			off += d->d_reclen;
		}
		usleep(200);
	}
	close(fd);
	return got < 0 ? -1 : 0;
}

int main(void)
{
	/* ---- getdents while another process renames other entries ---- */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", T("d"));
	SETUP(mkdir(dir, 0755));
	enum { KEEP = 200, MOVING = 50 };
	char p[PATH_MAX + 64], q[PATH_MAX + 64];
	for (int i = 0; i < KEEP; i++) {
		snprintf(p, sizeof p, "%s/keep%d", dir, i);
		SETUP(close(open(p, O_CREAT | O_WRONLY, 0644)));
	}
	for (int i = 0; i < MOVING; i++) {
		snprintf(p, sizeof p, "%s/mv%d-a", dir, i);
		SETUP(close(open(p, O_CREAT | O_WRONLY, 0644)));
	}
	pid_t pid = fork();
	if (pid == 0) {
		for (int round = 0; round < 40; round++) {
			for (int i = 0; i < MOVING; i++) {
				snprintf(p, sizeof p, "%s/mv%d-%c", dir, i, round % 2 ? 'b' : 'a');
				snprintf(q, sizeof q, "%s/mv%d-%c", dir, i, round % 2 ? 'a' : 'b');
				if (rename(p, q) != 0)
					_exit(1);
			}
		}
		_exit(0);
	}
	int ok_lists = 1;
	for (int r = 0; r < 5; r++) {
		int seen[KEEP] = { 0 }, others = 0;
		if (list_small(dir, seen, KEEP, &others) != 0)
			ok_lists = 0;
		for (int i = 0; i < KEEP; i++)
			if (seen[i] != 1)
				ok_lists = 0;
	}
	int st;
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "renamer_ok");
	CHECK(ok_lists, "unrenamed_entries_listed_exactly_once");

	/* ---- unlink of an open file ---- */
	char f[PATH_MAX];
	snprintf(f, sizeof f, "%s", T("open-unlinked"));
	int fd;
	SETUP(fd = open(f, O_CREAT | O_RDWR, 0600));
	static char block[1 << 20];
	memset(block, 'u', sizeof block);
	CHECK_EQ(write(fd, block, sizeof block), (long)sizeof block, "write_1mib");
	struct statvfs before, after, closed;
	SETUP(statvfs(conf_tmpdir(), &before));
	CHECK_EQ(unlink(f), 0, "unlink_open_file");
	CHECK_ERR(access(f, F_OK), ENOENT, "name_gone");
	struct stat s;
	CHECK_EQ(fstat(fd, &s), 0, "fstat_unlinked");
	CHECK_EQ(s.st_nlink, 0, "nlink_zero");
	CHECK_EQ(s.st_size, (long)sizeof block, "size_kept");
	char c;
	CHECK_EQ(pread(fd, &c, 1, 12345), 1, "read_unlinked");
	CHECK_EQ(c, 'u', "data_kept");
	CHECK_EQ(pwrite(fd, "w", 1, 0), 1, "write_unlinked");
	SETUP(statvfs(conf_tmpdir(), &after));
	CHECK(after.f_bfree <= before.f_bfree + 16, "space_held_while_open");
	close(fd);
	SETUP(statvfs(conf_tmpdir(), &closed));
	CHECK(closed.f_bfree > after.f_bfree, "space_released_on_close");

	/* ---- concurrent appenders ---- */
	char a[PATH_MAX];
	snprintf(a, sizeof a, "%s", T("append"));
	SETUP(close(open(a, O_CREAT | O_WRONLY, 0644)));
	enum { WRITERS = 4, LINES = 300 };
	for (int w = 0; w < WRITERS; w++) {
		if (fork() == 0) {
			int afd = open(a, O_WRONLY | O_APPEND);
			char line[64];
			for (int i = 0; i < LINES; i++) {
				int n = snprintf(line, sizeof line, "writer %d line %04d ........\n", w, i);
				if (write(afd, line, n) != n)
					_exit(1);
			}
			_exit(0);
		}
	}
	int all_ok = 1;
	for (int w = 0; w < WRITERS; w++) {
		SETUP(wait(&st));
		all_ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK(all_ok, "appenders_ok");
	FILE *in = fopen(a, "r");
	int count[WRITERS] = { 0 }, torn = 0, last[WRITERS];
	for (int w = 0; w < WRITERS; w++)
		last[w] = -1;
	char line[128];
	while (in && fgets(line, sizeof line, in)) {
		int w, i;
		if (sscanf(line, "writer %d line %d ........", &w, &i) != 2 || w < 0 || w >= WRITERS ||
		    strlen(line) != 28) {
			torn++;
			continue;
		}
		if (i != last[w] + 1)
			torn++;
		last[w] = i;
		count[w]++;
	}
	if (in)
		fclose(in);
	CHECK_EQ(torn, 0, "no_torn_or_reordered_lines");
	for (int w = 0; w < WRITERS; w++)
		CHECK_EQ(count[w], LINES, "every_line_present");
	SETUP(stat(a, &s));
	CHECK_EQ(s.st_size, (long)WRITERS * LINES * 28, "append_size_exact");

	/* ---- rename over an open file: the old data stays with the fd ---- */
	char x[PATH_MAX], y[PATH_MAX];
	snprintf(x, sizeof x, "%s", T("x"));
	snprintf(y, sizeof y, "%s", T("y"));
	int xfd, yfd;
	SETUP(xfd = open(x, O_CREAT | O_RDWR, 0644));
	SETUP(yfd = open(y, O_CREAT | O_RDWR, 0644));
	CHECK_EQ(write(xfd, "X", 1), 1, "write_x");
	CHECK_EQ(write(yfd, "Y", 1), 1, "write_y");
	CHECK_EQ(rename(x, y), 0, "rename_over_open");
	CHECK_EQ(pread(yfd, &c, 1, 0), 1, "read_replaced_fd");
	CHECK_EQ(c, 'Y', "replaced_fd_keeps_old_data");
	int nfd = open(y, O_RDONLY);
	CHECK(nfd >= 0 && read(nfd, &c, 1) == 1 && c == 'X', "name_now_new_file");
	CHECK_EQ(fstat(yfd, &s), 0, "fstat_replaced");
	CHECK_EQ(s.st_nlink, 0, "replaced_nlink_zero");
	close(nfd);
	close(xfd);
	close(yfd);

	/* ---- rmdir of a directory that is still open ---- */
	char r[PATH_MAX];
	snprintf(r, sizeof r, "%s", T("gone"));
	SETUP(mkdir(r, 0755));
	int dfd;
	SETUP(dfd = open(r, O_RDONLY | O_DIRECTORY));
	CHECK_EQ(rmdir(r), 0, "rmdir_open_dir");
	char buf[512];
	CHECK_ERR(syscall(SYS_getdents64, dfd, buf, sizeof buf), ENOENT, "getdents_removed_dir_enoent");
	CHECK_ERR(openat(dfd, "new", O_CREAT | O_WRONLY, 0644), ENOENT, "create_in_removed_dir_enoent");
	CHECK_EQ(fstat(dfd, &s), 0, "fstat_removed_dir");
	CHECK_EQ(s.st_nlink, 0, "removed_dir_nlink_zero");
	close(dfd);

	/* ---- a FIFO whose writer opens first: the later reader wakes it ---- */
	char fifo[PATH_MAX];
	snprintf(fifo, sizeof fifo, "%s", T("fifo"));
	SETUP(mkfifo(fifo, 0600));
	pid = fork();
	if (pid == 0) {
		int w = open(fifo, O_WRONLY);      /* blocks until the reader comes */
		_exit(w >= 0 && write(w, "F", 1) == 1 ? 0 : 1);
	}
	usleep(100000);                        /* let the writer block in open */
	int rfd = open(fifo, O_RDONLY);        /* a writer is there: no wait */
	CHECK(rfd >= 0, "fifo_reader_after_writer_opens");
	CHECK(rfd >= 0 && read(rfd, &c, 1) == 1 && c == 'F', "fifo_data_from_earlier_writer");
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fifo_writer_done");
	if (rfd >= 0)
		close(rfd);
	return conf_exit();
}
