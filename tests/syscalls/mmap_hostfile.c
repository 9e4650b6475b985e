/*
 * Read-only private mappings of a file that lives on the host (this
 * program's own executable: in the sandbox, a file of the read-only root's
 * lower layer, which the stubs map directly): contents, the kernel's own
 * reads of the mapped bytes, COW on mprotect, partial unmap, mremap, fork,
 * threads, /proc/self/maps and madvise.
 */
#include "conformance.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static volatile int faulted;

static void on_segv(int sig)
{
	faulted = sig;
	siglongjmp(jb, 1);
}

/* Read one byte at p; the signal it raised, or 0. */
static int touch(const volatile char *p)
{
	faulted = 0;
	if (sigsetjmp(jb, 1) == 0)
		(void)*p;
	return faulted;
}

static const char *thread_map, *thread_want;
static size_t thread_len;

static void *thread_main(void *arg)
{
	return (void *)(long)(memcmp(thread_map, thread_want, thread_len) == 0);
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/exe", O_RDONLY);
	SETUP(fd);
	struct stat st;
	SETUP(fstat(fd, &st));
	size_t npg = 4;
	if ((size_t)st.st_size < npg * pg) {
		printf("FAIL setup: executable smaller than %zu pages\n", npg);
		return 1;
	}
	size_t len = npg * pg;
	char *want = malloc(len);
	SETUP(pread(fd, want, len, 0) == (ssize_t)len ? 0 : -1);
	struct sigaction sa = { .sa_handler = on_segv };
	sigaction(SIGSEGV, &sa, NULL);

	char *m;
	CHECK_OK(m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0), "map_ro");
	SETUP(m);
	CHECK(memcmp(m, want, len) == 0, "content");

	/* The kernel reads the mapped bytes itself (write from a mapped buffer). */
	int p[2];
	SETUP(pipe(p));
	CHECK_EQ(write(p[1], m + pg - 10, 20), 20, "write_from_mapping");
	char buf[20];
	CHECK(read(p[0], buf, 20) == 20 && memcmp(buf, want + pg - 10, 20) == 0, "pipe_got_bytes");
	close(p[0]);
	close(p[1]);

	/* An offset mapping. */
	char *o = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 2 * pg);
	CHECK(o != MAP_FAILED && memcmp(o, want + 2 * pg, pg) == 0, "offset_content");
	munmap(o, pg);

	/* /proc/self/maps names the file and the offset. */
	char path[PATH_MAX];
	ssize_t pl = readlink("/proc/self/exe", path, sizeof(path) - 1);
	SETUP(pl);
	path[pl] = 0;
	char line[PATH_MAX + 128], start[32];
	snprintf(start, sizeof(start), "%lx-", (unsigned long)m);
	FILE *maps = fopen("/proc/self/maps", "r");
	int named = 0;
	while (maps && fgets(line, sizeof(line), maps)) {
		if (strncmp(line, start, strlen(start)) == 0)
			named = strstr(line, path) && strstr(line, " r--p 00000000 ");
	}
	if (maps)
		fclose(maps);
	CHECK(named, "maps_names_file");

	CHECK_OK(madvise(m, len, MADV_DONTNEED), "madvise_dontneed");
	CHECK(memcmp(m, want, len) == 0, "content_after_dontneed");

	/* A thread (in the sandbox: a new stub) sees the same bytes. */
	pthread_t th;
	void *tr = NULL;
	thread_map = m;
	thread_want = want;
	thread_len = len;
	SETUP(pthread_create(&th, NULL, thread_main, NULL) == 0 ? 0 : -1);
	pthread_join(th, &tr);
	CHECK(tr == (void *)1, "thread_sees_content");

	/* So does a child after fork. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(memcmp(m, want, len) == 0 ? 0 : 1);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork_child_sees_content");

	/* Writing needs PROT_WRITE: a fault, and the bytes stay. */
	faulted = 0;
	if (sigsetjmp(jb, 1) == 0)
		*(volatile char *)m = 'X';
	CHECK(faulted == SIGSEGV && m[0] == want[0], "write_faults");

	/* mprotect adds PROT_WRITE: private pages, the file is unchanged. */
	CHECK_OK(mprotect(m + pg, pg, PROT_READ | PROT_WRITE), "mprotect_write");
	m[pg] = (char)~want[pg];
	CHECK(m[pg] == (char)~want[pg] && memcmp(m + pg + 1, want + pg + 1, pg - 1) == 0,
	      "private_write_visible");
	CHECK(memcmp(m, want, pg) == 0 && memcmp(m + 2 * pg, want + 2 * pg, 2 * pg) == 0,
	      "neighbours_unchanged");
	SETUP(pread(fd, buf, 1, pg));
	CHECK(buf[0] == want[pg], "file_unchanged");
	/* The written page is the process's own: a child gets a copy. */
	pid = fork();
	if (pid == 0)
		_exit(m[pg] == (char)~want[pg] ? 0 : 1);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork_child_sees_private_write");
	CHECK_OK(mprotect(m + pg, pg, PROT_READ), "mprotect_back_ro");
	CHECK(m[pg] == (char)~want[pg], "private_write_kept");

	/* A hole punched in the middle. */
	CHECK_OK(munmap(m + 2 * pg, pg), "partial_unmap");
	CHECK(touch(m + 2 * pg) == SIGSEGV, "hole_faults");
	CHECK(touch(m + 3 * pg) == 0 && m[3 * pg] == want[3 * pg], "after_hole_readable");

	/* Moved elsewhere: the same bytes. */
	char *r = mremap(m + 3 * pg, pg, 2 * pg, MREMAP_MAYMOVE);
	CHECK(r != MAP_FAILED && memcmp(r, want + 3 * pg, pg) == 0, "mremap_moves_content");
	if (r != MAP_FAILED)
		munmap(r, 2 * pg);
	CHECK(touch(m) == 0 && memcmp(m, want, pg) == 0, "head_still_mapped");
	munmap(m, 2 * pg);
	CHECK(touch(m) == SIGSEGV, "unmapped_faults");

	/* PROT_NONE, then readable again. */
	m = mmap(NULL, len, PROT_NONE, MAP_PRIVATE, fd, 0);
	CHECK(m != MAP_FAILED && touch(m) == SIGSEGV, "prot_none_faults");
	CHECK_OK(mprotect(m, len, PROT_READ | PROT_EXEC), "mprotect_read_exec");
	CHECK(memcmp(m, want, len) == 0, "readable_after_mprotect");
	munmap(m, len);

	close(fd);
	free(want);
	return conf_exit();
}
