/*
 * /proc/PID/maps and smaps show one line where Linux has one VMA: a private
 * mapping written on both sides of a fork, an mprotect undone, adjacent
 * anonymous mappings alike in everything; and separate lines where Linux
 * keeps VMAs apart (another protection, discontiguous file offsets,
 * separate shared anonymous mappings, the pieces of a SysV shm attachment).
 */
#include "conformance.h"
#include <sys/mman.h>
#include <sys/shm.h>

#define MiB (1UL << 20)

static char maps[1 << 18];

static void load(void)
{
	maps[0] = 0;
	read_file("/proc/self/maps", maps, sizeof maps);
}

/* End of the line whose range starts at addr (0: none), and its perms in perms. */
static unsigned long line_end(void *addr, char perms[5])
{
	char key[32];
	snprintf(key, sizeof key, "%lx-", (unsigned long)addr);
	for (char *l = maps; *l;) {
		if (strncmp(l, key, strlen(key)) == 0) {
			unsigned long s, e;
			if (sscanf(l, "%lx-%lx %4s", &s, &e, perms) == 3)
				return e;
			return 0;
		}
		char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	return 0;
}

/* True if /proc/self/maps has [addr, addr+len) as exactly one line with perms. */
static int one_line(void *addr, size_t len, const char *want)
{
	char perms[5] = "";
	load();
	return line_end(addr, perms) == (unsigned long)addr + len && strcmp(perms, want) == 0;
}

/* The number of lines of /proc/self/maps inside [addr, addr+len). */
static int lines_in(void *addr, size_t len)
{
	load();
	int n = 0;
	for (char *l = maps; *l;) {
		unsigned long s, e;
		if (sscanf(l, "%lx-%lx", &s, &e) == 2 && s >= (unsigned long)addr &&
		    e <= (unsigned long)addr + len)
			n++;
		char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	return n;
}

/* smaps' Size of the entry starting at addr, in kB (-1: none). */
static long smaps_size_kb(void *addr)
{
	static char smaps[1 << 20];
	if (read_file("/proc/self/smaps", smaps, sizeof smaps) < 0)
		return -1;
	char key[32];
	snprintf(key, sizeof key, "\n%lx-", (unsigned long)addr);
	char *l = strstr(smaps, key);
	if (!l)
		return -1;
	char *sz = strstr(l, "\nSize:");
	long kb = -1;
	if (sz)
		sscanf(sz + 6, "%ld", &kb);
	return kb;
}

/*
 * A mapping of len bytes with prot, between two PROT_NONE guard pages (so
 * that Linux cannot merge it with a neighbour of the same protection).
 */
static char *guarded(size_t len, int prot, int flags, int fd, off_t off)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *g = mmap(NULL, len + 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED)
		return NULL;
	char *p = mmap(g + pg, len, prot, flags | MAP_FIXED, fd, off);
	return p == MAP_FAILED ? NULL : p;
}

static void fork_write(void)
{
	size_t len = 8 * MiB;
	char *a = guarded(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(a ? 0 : -1);
	memset(a, 1, len);
	CHECK(one_line(a, len, "rw-p"), "anon_one_line_before_fork");
	pid_t pid = fork();
	SETUP(pid);
	if (pid == 0) {
		a[len / 2] = 2;                 /* a copy-on-write break in the middle */
		CHECK(one_line(a, len, "rw-p"), "child_write_middle_one_line");
		a[100] = 2;
		a[len - 100] = 2;
		CHECK(one_line(a, len, "rw-p"), "child_write_ends_one_line");
		CHECK_EQ(smaps_size_kb(a), (long)(len >> 10), "child_smaps_one_entry");
		CHECK(a[len / 2] == 2 && a[len / 2 + 1] == 1, "child_contents");
		CHILD_DONE();
	}
	a[3 * MiB] = 3;                         /* the parent breaks its side too */
	CHECK(one_line(a, len, "rw-p"), "parent_write_one_line");
	check_child_ok(pid, "child");
	CHECK(a[len / 2] == 1 && a[3 * MiB] == 3, "parent_contents");
	munmap(a - sysconf(_SC_PAGESIZE), len + 2 * sysconf(_SC_PAGESIZE));
}

static void mprotect_back(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 16 * pg;
	char *a = guarded(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(a ? 0 : -1);
	memset(a, 1, len);
	SETUP(mprotect(a + 5 * pg, 2 * pg, PROT_READ));
	CHECK_EQ(lines_in(a, len), 3, "mprotect_splits");
	SETUP(mprotect(a + 5 * pg, 2 * pg, PROT_READ | PROT_WRITE));
	CHECK(one_line(a, len, "rw-p"), "mprotect_back_one_line");
	/* Untouched pages undone the same way. */
	char *b = guarded(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(b ? 0 : -1);
	SETUP(mprotect(b, pg, PROT_READ));
	SETUP(mprotect(b, pg, PROT_READ | PROT_WRITE));
	CHECK(one_line(b, len, "rw-p"), "mprotect_back_untouched_one_line");
	/* After a fork, in the child. */
	pid_t pid = fork();
	SETUP(pid);
	if (pid == 0) {
		a[pg] = 5;
		SETUP(mprotect(a + 8 * pg, pg, PROT_NONE));
		SETUP(mprotect(a + 8 * pg, pg, PROT_READ | PROT_WRITE));
		CHECK(one_line(a, len, "rw-p"), "child_mprotect_back_one_line");
		CHILD_DONE();
	}
	check_child_ok(pid, "child_mprotect");
	/* mlock and munlock: Linux splits for VM_LOCKED and merges back. */
	if (mlock(a + 2 * pg, pg) == 0) {
		CHECK_EQ(lines_in(a, len), 3, "mlock_splits");
		SETUP(munlock(a + 2 * pg, pg));
		CHECK(one_line(a, len, "rw-p"), "munlock_one_line");
	}
	munmap(a - pg, len + 2 * pg);
	munmap(b - pg, len + 2 * pg);
}

static void adjacent(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *g = mmap(NULL, 10 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(g == MAP_FAILED ? -1 : 0);
	char *a = g + pg;
	/* Two private anonymous mappings made one after the other: Linux merges them. */
	SETUP(mmap(a, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		   0) == MAP_FAILED ? -1 : 0);
	a[0] = 1;
	SETUP(mmap(a + 2 * pg, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0);
	CHECK(one_line(a, 4 * pg, "rw-p"), "adjacent_anon_one_line");
	/* Another protection next to them: a line of its own. */
	SETUP(mmap(a + 4 * pg, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		   0) == MAP_FAILED ? -1 : 0);
	CHECK(one_line(a, 4 * pg, "rw-p") && one_line(a + 4 * pg, 2 * pg, "r--p"),
	      "other_prot_apart");
	/* Two shared anonymous mappings: two files to Linux, two lines. */
	SETUP(mmap(a, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1,
		   0) == MAP_FAILED ? -1 : 0);
	SETUP(mmap(a + 2 * pg, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0);
	CHECK(one_line(a, 2 * pg, "rw-s") && one_line(a + 2 * pg, 2 * pg, "rw-s"),
	      "shared_anon_apart");
	/* One shared anonymous mapping split by mprotect and made whole again. */
	SETUP(mmap(a, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1,
		   0) == MAP_FAILED ? -1 : 0);
	SETUP(mprotect(a + pg, pg, PROT_READ));
	SETUP(mprotect(a + pg, pg, PROT_READ | PROT_WRITE));
	CHECK(one_line(a, 4 * pg, "rw-s"), "shared_anon_mprotect_back_one_line");
	munmap(g, 10 * pg);
}

static void file_mappings(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 6 * MiB;
	int fd = open(T("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	SETUP(fd);
	SETUP(ftruncate(fd, len));
	/* A private writable file mapping written on both sides of a fork. */
	char *a = guarded(len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	SETUP(a ? 0 : -1);
	memset(a, 7, len);
	pid_t pid = fork();
	SETUP(pid);
	if (pid == 0) {
		a[len / 2] = 8;
		CHECK(one_line(a, len, "rw-p"), "child_file_private_one_line");
		CHILD_DONE();
	}
	a[len - 1] = 9;
	CHECK(one_line(a, len, "rw-p"), "parent_file_private_one_line");
	check_child_ok(pid, "child_file");
	munmap(a - pg, len + 2 * pg);
	/* The same file at offsets that do not continue: two lines, as in Linux. */
	char *g = mmap(NULL, 6 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(g == MAP_FAILED ? -1 : 0);
	SETUP(mmap(g + pg, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED ? -1 : 0);
	SETUP(mmap(g + 3 * pg, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED ? -1
														: 0);
	CHECK(one_line(g + pg, 2 * pg, "r--p") && one_line(g + 3 * pg, 2 * pg, "r--p"),
	      "file_discontiguous_apart");
	/* At continuing offsets through one descriptor: one line. */
	SETUP(mmap(g + 3 * pg, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 2 * pg) ==
	      MAP_FAILED ? -1 : 0);
	CHECK(one_line(g + pg, 4 * pg, "r--p"), "file_contiguous_one_line");
	/* A shared file mapping split by mprotect and made whole again. */
	SETUP(mmap(g + pg, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
	      MAP_FAILED ? -1 : 0);
	SETUP(mprotect(g + 2 * pg, pg, PROT_READ));
	SETUP(mprotect(g + 2 * pg, pg, PROT_READ | PROT_WRITE));
	CHECK(one_line(g + pg, 4 * pg, "rw-s"), "file_shared_mprotect_back_one_line");
	munmap(g, 6 * pg);
	close(fd);
}

/*
 * A shmat attachment split by mprotect and made whole again: Linux never
 * merges shm VMAs (shm_vm_ops has a close method, and vma_merge removes no
 * VMA that has one), so the pieces stay separate lines, and nattch counts
 * each of them.
 */
static void shm_attachment(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int id = shmget(IPC_PRIVATE, 3 * pg, IPC_CREAT | 0600);
	SETUP(id);
	char *a = shmat(id, NULL, 0);
	SETUP(a == (void *)-1 ? -1 : 0);
	a[0] = a[pg] = a[2 * pg] = 1;
	SETUP(mprotect(a + pg, pg, PROT_READ));
	SETUP(mprotect(a + pg, pg, PROT_READ | PROT_WRITE));
	CHECK_EQ(lines_in(a, 3 * pg), 3, "shm_mprotect_back_stays_split");
	struct shmid_ds ds;
	SETUP(shmctl(id, IPC_STAT, &ds));
	CHECK_EQ((long)ds.shm_nattch, 3L, "shm_pieces_counted");
	SETUP(shmdt(a));
	a = shmat(id, NULL, 0);
	SETUP(a == (void *)-1 ? -1 : 0);
	SETUP(mprotect(a, pg, PROT_READ));
	SETUP(mprotect(a, pg, PROT_READ | PROT_WRITE));
	CHECK_EQ(lines_in(a, 3 * pg), 2, "shm_head_mprotect_back_stays_split");
	SETUP(shmdt(a));
	SETUP(shmctl(id, IPC_RMID, NULL));
}

int main(void)
{
	fork_write();
	mprotect_back();
	adjacent();
	file_mappings();
	shm_attachment();
	return conf_exit();
}
