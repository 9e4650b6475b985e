/* MAP_SHARED mappings of a real file as programs using them as shared
 * state do (SQLite's WAL index, LMDB): stores through the mapping and
 * pread/pwrite/write/truncate through any descriptor agree, in one process
 * and across fork and independent mappings; msync/fsync/munmap put the
 * bytes in the file; truncation gives SIGBUS past the end, growth makes
 * pages reachable again; a path stored in a mapping names its file (a
 * syscall's string argument read from the file's pages). The e2e
 * (tests/e2e/hostfs.sh) runs it with /tmp on a writable host bind, where
 * the file is a host file:
 *
 *   mmap_shared_file                 the cases below
 *   mmap_shared_file view DIR        also: after msync/fsync/munmap/a child's
 *                                    SIGKILL, the bytes show through DIR, a
 *                                    second mount of the same host directory
 *                                    (the host's own view)
 *   mmap_shared_file leave DIR       store through mappings into DIR/stored
 *                                    (no msync, no munmap: exit), DIR/killed
 *                                    (a child killed by SIGKILL) and
 *                                    DIR/orphan (a child still running when
 *                                    the first process exits); the caller
 *                                    checks the host files
 *   mmap_shared_file leave-kill DIR  store into DIR/selfkilled, then SIGKILL
 */
#include "conformance.h"
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/uio.h>
#include <sys/mman.h>

#define PG 4096

static sigjmp_buf env;
static volatile int fault_sig;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	fault_sig = sig;
	siglongjmp(env, 1);
}

/* Read (write: store 'w' into) *p; the signal it raised, or 0. */
static int touch(volatile char *p, bool write)
{
	fault_sig = 0;
	if (sigsetjmp(env, 1) == 0) {
		if (write)
			*p = 'w';
		else
			(void)*p;
		return 0;
	}
	return fault_sig;
}

static int make_file(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0 && ftruncate(fd, size) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static char pattern(size_t i, int seed)
{
	return (char)('a' + (i * 7 + seed) % 26);
}

static void fill(char *p, size_t n, int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pattern(i, seed);
}

/* True if path holds exactly n bytes of pattern seed. */
static bool has_pattern(const char *path, size_t n, int seed)
{
	char *buf = malloc(n + 1);
	int fd = open(path, O_RDONLY);
	ssize_t got = fd >= 0 ? pread(fd, buf, n + 1, 0) : -1;
	bool ok = got == (ssize_t)n;
	for (size_t i = 0; ok && i < n; i++)
		ok = buf[i] == pattern(i, seed);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* The same file seen through the view directory (another mount of it). */
static const char *V(const char *view, const char *name)
{
	static char b[2][PATH_MAX];
	static int i;
	char *p = b[i++ % 2];
	snprintf(p, PATH_MAX, "%s/%s/%s", view, strrchr(conf_tmpdir(), '/') + 1, name);
	return p;
}

static void coherence_cases(void)
{
	int fd;
	SETUP(fd = make_file(T("a"), 3 * PG));
	char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	CHECK(m != MAP_FAILED, "map_shared_rw");

	/* Stores through the mapping, seen by pread and read of another description. */
	memcpy(m + 10, "mapped", 6);
	memcpy(m + 2 * PG - 3, "across", 6);
	char buf[PG] = "";
	CHECK_EQ(pread(fd, buf, 6, 10), 6, "pread_after_store");
	CHECK(memcmp(buf, "mapped", 6) == 0, "store_seen_by_pread");
	CHECK_EQ(pread(fd, buf, 6, 2 * PG - 3), 6, "pread_across_pages");
	CHECK(memcmp(buf, "across", 6) == 0, "store_across_pages_seen");
	int fd2;
	SETUP(fd2 = open(T("a"), O_RDONLY));
	SETUP(lseek(fd2, 10, SEEK_SET));
	CHECK_EQ(read(fd2, buf, 6), 6, "read_other_fd");
	CHECK(memcmp(buf, "mapped", 6) == 0, "store_seen_by_other_fd");
	struct iovec iov[2] = { { buf, 2 }, { buf + 100, 4 } };
	CHECK_EQ(preadv(fd2, iov, 2, 10), 6, "preadv");
	CHECK(memcmp(buf, "ma", 2) == 0 && memcmp(buf + 100, "pped", 4) == 0, "store_seen_by_preadv");

	/* pwrite/write/O_APPEND through any descriptor, seen by the mapping. */
	CHECK_EQ(pwrite(fd, "PWRITE", 6, PG + 1), 6, "pwrite");
	CHECK(memcmp(m + PG + 1, "PWRITE", 6) == 0, "pwrite_seen_in_mapping");
	int fw;
	SETUP(fw = open(T("a"), O_WRONLY));
	SETUP(lseek(fw, 2 * PG + 5, SEEK_SET));
	CHECK_EQ(write(fw, "other", 5), 5, "write_other_fd");
	CHECK(memcmp(m + 2 * PG + 5, "other", 5) == 0, "write_other_fd_seen_in_mapping");
	struct iovec wv[2] = { { "vec", 3 }, { "tor", 3 } };
	CHECK_EQ(pwritev(fw, wv, 2, 300), 6, "pwritev");
	CHECK(memcmp(m + 300, "vector", 6) == 0, "pwritev_seen_in_mapping");

	/* A read-only shared mapping of a read-only descriptor aliases the same pages. */
	char *ro = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd2, 0);
	CHECK(ro != MAP_FAILED, "map_shared_rdonly");
	if (ro != MAP_FAILED) {
		m[20] = 'R';
		CHECK_EQ(ro[20], 'R', "rdonly_mapping_sees_store");
		CHECK_ERR(mprotect(ro, PG, PROT_READ | PROT_WRITE), EACCES, "rdonly_fd_mprotect_write_eacces");
		munmap(ro, PG);
	}

	/* The size is the file's: stores never change it. */
	struct stat st;
	SETUP(fstat(fd2, &st));
	CHECK_EQ(st.st_size, 3 * PG, "size_unchanged_by_stores");

	/* msync: both modes succeed; a range with a hole is ENOMEM. */
	CHECK_EQ(msync(m, 3 * PG, MS_SYNC), 0, "msync_sync");
	CHECK_EQ(msync(m + PG, PG, MS_ASYNC), 0, "msync_async");
	CHECK_EQ(msync(m, 3 * PG, MS_INVALIDATE), 0, "msync_invalidate");
	CHECK_ERR(msync(m + 1, PG, MS_SYNC), EINVAL, "msync_unaligned_einval");
	CHECK_ERR(msync(m, PG, MS_SYNC | MS_ASYNC), EINVAL, "msync_both_einval");
	CHECK_EQ(fsync(fd2), 0, "fsync_rdonly_fd");
	CHECK_EQ(fdatasync(fd), 0, "fdatasync");
	char *gap = mmap(NULL, 3 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(gap == MAP_FAILED ? -1 : 0);
	SETUP(munmap(gap + PG, PG));
	CHECK_ERR(msync(gap, 3 * PG, MS_SYNC), ENOMEM, "msync_hole_enomem");
	munmap(gap, 3 * PG);

	/* ---- two processes: an inherited mapping and an independent one ---- */
	int go[2], back[2];
	SETUP(pipe(go));
	SETUP(pipe(back));
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		int cfd = open(T("a"), O_RDWR);
		char *own = cfd >= 0 ? mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0)
				     : MAP_FAILED;
		char b[8] = "";
		int bad = own == MAP_FAILED;
		bad |= (pread(cfd, b, 6, 10) != 6 || memcmp(b, "mapped", 6)) << 1;
		bad |= (memcmp(own + PG + 1, "PWRITE", 6) != 0) << 2;
		own[500] = 'c';            /* parent: independent mapping's store */
		m[501] = 'i';              /* parent: inherited mapping's store */
		if (write(back[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(100);
		bad |= (own[600] != 'p') << 3;   /* the parent's store after the handshake */
		bad |= (pread(cfd, b, 1, 601) != 1 || b[0] != 'q') << 4;
		_exit(bad);
	}
	char c;
	SETUP(read(back[0], &c, 1));
	CHECK_EQ(m[500], 'c', "parent_sees_child_independent_store");
	CHECK_EQ(m[501], 'i', "parent_sees_child_inherited_store");
	m[600] = 'p';
	CHECK_EQ(pwrite(fd, "q", 1, 601), 1, "pwrite_for_child");
	SETUP(write(go[1], "x", 1));
	int ws;
	SETUP(waitpid(pid, &ws, 0));
	CHECK_EQ(WIFEXITED(ws) ? WEXITSTATUS(ws) : 200 + WTERMSIG(ws), 0, "child_sees_parent_data");
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);

	/* ---- the end of the mappings: the bytes stay in the file ---- */
	CHECK_EQ(munmap(m, 3 * PG), 0, "munmap");
	close(fd);
	close(fw);
	close(fd2);
	SETUP(fd = open(T("a"), O_RDONLY));
	CHECK_EQ(pread(fd, buf, 6, 10), 6, "pread_after_munmap_close");
	CHECK(memcmp(buf, "mapped", 6) == 0, "store_kept_after_munmap_close");
	CHECK_EQ(pread(fd, buf, 1, 600), 1, "pread_parent_store");
	CHECK_EQ(buf[0], 'p', "parent_store_kept");
	CHECK_EQ(pread(fd, buf, 1, 500), 1, "pread_child_store");
	CHECK_EQ(buf[0], 'c', "child_store_kept");
	close(fd);

	/* A child stores and is killed: its stores are in the file. */
	SETUP(fd = open(T("a"), O_RDWR));
	pid = fork();
	if (pid == 0) {
		char *cm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (cm != MAP_FAILED)
			memcpy(cm + 700, "killed", 6);
		raise(SIGKILL);
		_exit(1);
	}
	SETUP(waitpid(pid, &ws, 0));
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "child_killed");
	CHECK_EQ(pread(fd, buf, 6, 700), 6, "pread_killed_child_store");
	CHECK(memcmp(buf, "killed", 6) == 0, "killed_child_store_kept");
	close(fd);
}

/* A path that lives in the mapping, across a page boundary, as a syscall's argument. */
static void string_cases(void)
{
	int fd;
	SETUP(fd = make_file(T("s"), 2 * PG));
	char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	char *path = m + PG - 5;
	strcpy(path, T("s"));
	struct stat st;
	CHECK_OK(stat(path, &st), "path_in_mapping");
	CHECK_EQ(st.st_size, 2 * PG, "path_in_mapping_names_file");
	munmap(m, 2 * PG);
	close(fd);
}

static void size_cases(void)
{
	/* ---- the file grows and shrinks under the mapping ---- */
	int fd;
	SETUP(fd = make_file(T("g"), PG + 100));
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	CHECK_EQ(touch(m + PG + 200, false), 0, "last_partial_page_readable");
	CHECK_EQ(m[PG + 200], 0, "last_partial_page_tail_zero");
	CHECK_EQ(touch(m + 2 * PG, false), SIGBUS, "past_eof_sigbus");
	CHECK_EQ(touch(m + 3 * PG, true), SIGBUS, "store_past_eof_sigbus");

	SETUP(ftruncate(fd, 3 * PG));
	CHECK_EQ(touch(m + 2 * PG, false), 0, "grown_page_reachable");
	CHECK_EQ(m[2 * PG + 1], 0, "grown_page_zero");
	m[2 * PG + 1] = 'G';
	char b[8] = "";
	CHECK_EQ(pread(fd, b, 1, 2 * PG + 1), 1, "pread_grown_page");
	CHECK_EQ(b[0], 'G', "grown_page_store_in_file");
	CHECK_EQ(pwrite(fd, "end", 3, 4 * PG - 3), 3, "pwrite_extends");
	CHECK(memcmp(m + 4 * PG - 3, "end", 3) == 0, "extension_seen_in_mapping");

	/* Shrink: pages past the end are gone, the kept tail reads zero later. */
	m[PG + 50] = 'k';
	SETUP(ftruncate(fd, PG + 10));
	CHECK_EQ(touch(m + 2 * PG + 1, false), SIGBUS, "truncated_page_sigbus");
	CHECK_EQ(m[PG + 5], 0, "kept_page_readable");
	SETUP(ftruncate(fd, 2 * PG));
	CHECK_EQ(m[PG + 50], 0, "truncated_tail_zero_after_growth");
	CHECK_EQ(pread(fd, b, 1, PG + 50), 1, "pread_truncated_tail");
	CHECK_EQ(b[0], 0, "truncated_tail_zero_in_file");
	CHECK_EQ(touch(m + 2 * PG + 1, false), SIGBUS, "past_regrown_end_sigbus");
	struct stat st;
	SETUP(fstat(fd, &st));
	CHECK_EQ(st.st_size, 2 * PG, "size_after_truncates");

	/* A hole punched by fallocate reads zero through the mapping. */
	memset(m, 'h', PG);
	int r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 200);
	if (r == 0) {
		CHECK(m[99] == 'h' && m[100] == 0 && m[299] == 0 && m[300] == 'h', "punch_hole_seen");
	} else {
		CHECK(errno == EOPNOTSUPP, "punch_hole_unsupported");
	}
	munmap(m, 4 * PG);
	close(fd);

	/* An empty file mapped, then grown and written through the mapping. */
	SETUP(fd = make_file(T("empty"), 0));
	m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "map_empty_file");
	CHECK_EQ(touch(m, false), SIGBUS, "empty_file_sigbus");
	SETUP(ftruncate(fd, PG));
	memcpy(m, "now", 3);
	CHECK_EQ(pread(fd, b, 3, 0), 3, "pread_after_growth");
	CHECK(memcmp(b, "now", 3) == 0, "store_after_growth_in_file");
	munmap(m, 2 * PG);
	close(fd);
}

/* After each write-back point the bytes show through another mount of the directory. */
static void view_cases(const char *view)
{
	int fd;
	SETUP(fd = make_file(T("h"), 4 * PG));
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	int vfd;
	SETUP(vfd = open(V(view, "h"), O_RDONLY));
	char b[8] = "";
	memcpy(m, "msync1", 6);
	CHECK_EQ(msync(m, PG, MS_SYNC), 0, "view_msync_sync");
	CHECK_EQ(pread(vfd, b, 6, 0), 6, "view_pread_msync");
	CHECK(memcmp(b, "msync1", 6) == 0, "view_sees_ms_sync");
	memcpy(m + PG, "async2", 6);
	CHECK_EQ(msync(m + PG, PG, MS_ASYNC), 0, "view_msync_async");
	CHECK_EQ(pread(vfd, b, 6, PG), 6, "view_pread_async");
	CHECK(memcmp(b, "async2", 6) == 0, "view_sees_ms_async");
	memcpy(m + 2 * PG, "fsync3", 6);
	CHECK_EQ(fsync(fd), 0, "view_fsync");
	CHECK_EQ(pread(vfd, b, 6, 2 * PG), 6, "view_pread_fsync");
	CHECK(memcmp(b, "fsync3", 6) == 0, "view_sees_fsync");
	memcpy(m + 3 * PG, "unmap4", 6);
	SETUP(munmap(m, 4 * PG));
	CHECK_EQ(pread(vfd, b, 6, 3 * PG), 6, "view_pread_munmap");
	CHECK(memcmp(b, "unmap4", 6) == 0, "view_sees_munmap");

	pid_t pid = fork();
	if (pid == 0) {
		char *cm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (cm != MAP_FAILED)
			memcpy(cm + 100, "killed", 6);
		raise(SIGKILL);
		_exit(1);
	}
	int ws;
	SETUP(waitpid(pid, &ws, 0));
	CHECK_EQ(pread(vfd, b, 6, 100), 6, "view_pread_killed");
	CHECK(memcmp(b, "killed", 6) == 0, "view_sees_killed_child_store");
	close(vfd);
	close(fd);
}

/* Stores left for the caller to check on the host (no msync, no munmap). */
static int leave(const char *dir, bool kill_self)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, kill_self ? "selfkilled" : "stored");
	int fd = make_file(path, 3 * PG + 123);
	char *m = fd < 0 ? MAP_FAILED
			 : mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 1;
	fill(m, 3 * PG + 123, kill_self ? 2 : 1);
	if (kill_self)
		raise(SIGKILL);
	snprintf(path, sizeof path, "%s/killed", dir);
	int kfd = make_file(path, 2 * PG);
	if (kfd < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char *km = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, 0);
		if (km != MAP_FAILED)
			fill(km, 2 * PG, 3);
		raise(SIGKILL);
		_exit(1);
	}
	int ws;
	waitpid(pid, &ws, 0);
	printf("stored %s killed %s\n", has_pattern(path, 2 * PG, 3) ? "ok" : "bad",
	       WIFSIGNALED(ws) ? "by-signal" : "exited");
	fflush(stdout);

	/* A child that outlives the first process, with its stores in a mapping. */
	snprintf(path, sizeof path, "%s/orphan", dir);
	int ofd = make_file(path, PG);
	int ready[2];
	if (ofd < 0 || pipe(ready))
		return 1;
	pid = fork();
	if (pid == 0) {
		char *om = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
		if (om != MAP_FAILED)
			fill(om, PG, 4);
		close(1);
		close(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		sleep(2);
		_exit(0);
	}
	char c;
	if (read(ready[0], &c, 1) != 1)
		return 1;
	return 0;         /* exit with the mapping in place */
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "leave") == 0)
		return leave(argv[2], false);
	if (argc == 3 && strcmp(argv[1], "leave-kill") == 0)
		return leave(argv[2], true);
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	coherence_cases();
	string_cases();
	size_cases();
	if (argc == 3 && strcmp(argv[1], "view") == 0)
		view_cases(argv[2]);
	return conf_exit();
}
