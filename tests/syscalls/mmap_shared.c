/* MAP_SHARED file mappings: coherence with read/write, between processes
 * (inherited and independently mapped), growth with the file, SIGBUS past
 * the end of the file, mremap, mprotect, futexes on shared file pages, and
 * the access-mode rules (EACCES).
 */
#include "conformance.h"
#include <linux/futex.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#define PG 4096

static sigjmp_buf env;
static volatile int fault_sig, fault_code;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(env, 1);
}

/* Touch *p (read); the signal it raised, or 0. */
static int touch(volatile char *p)
{
	fault_sig = 0;
	if (sigsetjmp(env, 1) == 0) {
		(void)*p;
		return 0;
	}
	return fault_sig;
}

static int make_file(const char *name, size_t size)
{
	int fd = open(T(name), O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && ftruncate(fd, size) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	/* ---- coherence with read(2)/write(2) ---- */
	int fd;
	SETUP(fd = make_file("a", 3 * PG));
	char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "map_shared_rw");
	memcpy(m + 10, "hello", 5);
	char buf[16] = "";
	CHECK_EQ(pread(fd, buf, 5, 10), 5, "pread_after_store");
	CHECK_STR(buf, "hello", "store_visible_to_read");
	CHECK_EQ(pwrite(fd, "WORLD", 5, 2 * PG + 1), 5, "pwrite");
	CHECK(memcmp(m + 2 * PG + 1, "WORLD", 5) == 0, "write_visible_in_mapping");
	CHECK_EQ(msync(m, 3 * PG, MS_SYNC), 0, "msync");

	/* A second mapping of the same file in the same process aliases the first. */
	char *m2 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, PG);
	CHECK(m2 != MAP_FAILED, "second_mapping");
	m[PG + 7] = 'x';
	CHECK_EQ(m2[7], 'x', "second_mapping_aliases");
	munmap(m2, PG);

	/* ---- between processes ---- */
	pid_t pid = fork();
	if (pid == 0) {
		/* Inherited mapping, and an independent one of a fresh open. */
		m[100] = 'c';
		int fd2 = open(T("a"), O_RDWR);
		char *o = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
		if (o == MAP_FAILED)
			_exit(2);
		o[200] = 'd';
		_exit(m[10] == 'h' ? 0 : 3);
	}
	int st;
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child_sees_parent_data");
	CHECK_EQ(m[100], 'c', "parent_sees_inherited_store");
	CHECK_EQ(m[200], 'd', "parent_sees_independent_mapping_store");

	/* ---- past the end of the file ---- */
	int fb;
	SETUP(fb = make_file("b", PG + 10));
	char *b = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0);
	CHECK(b != MAP_FAILED, "map_beyond_eof_ok");
	CHECK_EQ(touch(b + PG + 100), 0, "partial_last_page_readable");
	CHECK_EQ(b[PG + 100], 0, "tail_of_last_page_zero");
	CHECK_EQ(touch(b + 2 * PG), SIGBUS, "past_eof_sigbus");
	CHECK_EQ(fault_code, BUS_ADRERR, "past_eof_bus_adrerr");
	CHECK(fault_addr == b + 2 * PG, "past_eof_si_addr");
	/* The file grows: the page becomes reachable. */
	SETUP(ftruncate(fb, 3 * PG));
	CHECK_EQ(touch(b + 2 * PG), 0, "grown_file_page_reachable");
	b[2 * PG] = 'g';
	CHECK_EQ(pread(fb, buf, 1, 2 * PG), 1, "pread_grown");
	CHECK_EQ(buf[0], 'g', "grown_page_store_in_file");
	CHECK_EQ(touch(b + 3 * PG), SIGBUS, "still_sigbus_past_new_eof");

	/* ---- mremap grows and moves, keeping the file's pages ---- */
	char *r = mremap(b, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
	CHECK(r != MAP_FAILED, "mremap_grow");
	if (r != MAP_FAILED) {
		CHECK_EQ(r[2 * PG], 'g', "mremap_keeps_data");
		r[5] = 'r';
		CHECK_EQ(pread(fb, buf, 1, 5), 1, "pread_after_mremap");
		CHECK_EQ(buf[0], 'r', "mremap_mapping_still_shared");
		CHECK_EQ(touch(r + 6 * PG), SIGBUS, "mremap_grown_past_eof_sigbus");
		munmap(r, 8 * PG);
	}

	/* ---- mprotect ---- */
	SETUP(mprotect(m, PG, PROT_NONE));
	CHECK_EQ(touch(m), SIGSEGV, "prot_none_segv");
	CHECK_EQ(fault_code, SEGV_ACCERR, "prot_none_accerr");
	SETUP(mprotect(m, PG, PROT_READ));
	CHECK_EQ(m[10], 'h', "prot_read_again_sees_data");

	/* ---- munmap of the middle keeps the rest ---- */
	CHECK_EQ(munmap(m + PG, PG), 0, "munmap_middle");
	CHECK_EQ(m[2 * PG + 1], 'W', "rest_still_mapped");
	CHECK_EQ(touch(m + PG), SIGSEGV, "hole_segv");
	CHECK_EQ(fault_code, SEGV_MAPERR, "hole_maperr");

	/* ---- a futex on a file page, mapped separately by two processes ---- */
	int ff;
	SETUP(ff = make_file("f", PG));
	int *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ff, 0);
	CHECK(w != MAP_FAILED, "futex_map");
	pid = fork();
	if (pid == 0) {
		int f2 = open(T("f"), O_RDWR);
		int *cw = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
		if (cw == MAP_FAILED)
			_exit(2);
		__atomic_store_n(&cw[1], 1, __ATOMIC_SEQ_CST);    /* ready */
		struct timespec to = { 10, 0 };
		while (__atomic_load_n(&cw[0], __ATOMIC_SEQ_CST) == 0)
			syscall(SYS_futex, &cw[0], FUTEX_WAIT, 0, &to, NULL, 0);
		_exit(0);
	}
	while (__atomic_load_n(&w[1], __ATOMIC_SEQ_CST) == 0)
		usleep(1000);
	usleep(20000);
	__atomic_store_n(&w[0], 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &w[0], FUTEX_WAKE, 1, NULL, NULL, 0);
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "futex_across_file_mappings");

	/* ---- access modes ---- */
	int ro;
	SETUP(ro = open(T("a"), O_RDONLY));
	CHECK(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED && errno == EACCES,
	      "rdonly_fd_shared_write_eacces");
	char *rm = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
	CHECK(rm != MAP_FAILED && rm[10] == 'h', "rdonly_fd_shared_read");
	int wo;
	SETUP(wo = open(T("a"), O_WRONLY));
	CHECK(mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0) == MAP_FAILED && errno == EACCES,
	      "wronly_fd_eacces");

	/* A host file mapped shared and read-only reads its bytes. */
	int hf = open("/etc/passwd", O_RDONLY);
	if (hf >= 0) {
		char first[8] = "", *hm = mmap(NULL, PG, PROT_READ, MAP_SHARED, hf, 0);
		CHECK_EQ(pread(hf, first, 4, 0), 4, "host_file_pread");
		CHECK(hm != MAP_FAILED && memcmp(hm, first, 4) == 0, "host_file_shared_read");
	}

	/* ---- truncation below mapped pages ---- */
	int ft;
	SETUP(ft = make_file("t", 2 * PG));
	char *tm = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, ft, 0);
	CHECK(tm != MAP_FAILED, "trunc_map");
	tm[PG] = 1;
	SETUP(ftruncate(ft, PG));
	CHECK_EQ(touch(tm + PG), SIGBUS, "truncate_shrink_sigbus");
	return conf_exit();
}
