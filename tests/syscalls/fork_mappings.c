/* A forked child sees its parent's address space as it is at the fork:
 * mappings, unmaps and protections made just before, copy-on-write pages
 * on both sides (and once one side is gone, or while another process
 * writes into the parent), shared memory, CLONE_CHILD_SETTID's write (the child's
 * only), forks of forks, forks while another thread runs, and patched
 * syscall sites. (In the sandbox a child's host process may be a fork of
 * its parent's: these are what that fork must carry over, and no more.) */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "conformance.h"

#define PAGE 4096

/* The child's exit status (0: all its checks passed), or 128 + the signal that killed it. */
static int child_status(pid_t pid)
{
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

static void case_before_fork(void)
{
	int bad = 0;
	for (int i = 0; i < 50 && !bad; i++) {
		uint64_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
		if (p == MAP_FAILED) {
			bad++;
			break;
		}
		*p = 0xf0c0000u + (uint64_t)i;
		pid_t pid = fork();
		if (pid == 0)
			_exit(*(volatile uint64_t *)p == 0xf0c0000u + (uint64_t)i ? 0 : 1);
		if (child_status(pid) != 0)
			bad++;
		munmap(p, PAGE);
	}
	CHECK_EQ(bad, 0, "mapped_before_fork_readable");

	/* Unmapped just before the fork: nothing there in the child. */
	void *q = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*(volatile char *)q = 1;
	munmap(q, PAGE);
	pid_t pid = fork();
	if (pid == 0) {
		unsigned char v;
		_exit(mincore(q, PAGE, &v) < 0 && errno == ENOMEM ? 0 : 1);
	}
	CHECK_EQ(child_status(pid), 0, "unmapped_before_fork_gone");

	/* Made read-only just before the fork: readable, and a write faults. */
	char *r = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r[0] = 7;
	mprotect(r, PAGE, PROT_READ);
	pid = fork();
	if (pid == 0)
		_exit(*(volatile char *)r == 7 ? 0 : 1);
	CHECK_EQ(child_status(pid), 0, "protected_before_fork_readable");
	pid = fork();
	if (pid == 0) {
		*(volatile char *)r = 8;
		_exit(0);
	}
	CHECK_EQ(child_status(pid), 128 + SIGSEGV, "protected_before_fork_write_faults");
	CHECK_EQ(r[0], 7, "protected_parent_unchanged");
	munmap(r, PAGE);
}

/* Each side writes every page after the fork and sees only its own bytes. */
static void case_cow(void)
{
	enum { N = 64 };
	uint64_t *m = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	for (int i = 0; i < N; i++)
		m[i * PAGE / 8] = 100 + (uint64_t)i;
	int go[2], done[2];
	SETUP(pipe(go));
	SETUP(pipe(done));
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		for (int i = 0; i < N; i++)
			bad += m[i * PAGE / 8] != 100 + (uint64_t)i;
		for (int i = 0; i < N; i++)
			m[i * PAGE / 8] = 200 + (uint64_t)i;
		char c = 0;
		/* The parent writes its copy meanwhile. */
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			bad++;
		for (int i = 0; i < N; i++)
			bad += m[i * PAGE / 8] != 200 + (uint64_t)i;
		_exit(bad ? 1 : 0);
	}
	char c = 0;
	SETUP(read(done[0], &c, 1));
	int bad = 0;
	for (int i = 0; i < N; i++)
		bad += m[i * PAGE / 8] != 100 + (uint64_t)i;
	for (int i = 0; i < N; i += 2)
		m[i * PAGE / 8] = 300 + (uint64_t)i;
	SETUP(write(go[1], &c, 1));
	CHECK_EQ(child_status(pid), 0, "cow_child_sees_its_own");
	for (int i = 0; i < N; i++)
		bad += m[i * PAGE / 8] != (i % 2 ? 100 : 300) + (uint64_t)i;
	CHECK_EQ(bad, 0, "cow_parent_sees_its_own");
	munmap(m, N * PAGE);
	close(go[0]); close(go[1]); close(done[0]); close(done[1]);
}

/*
 * Copy-on-write ranges after one side is gone: a parent whose child
 * exited writes pieces of a range it split (mprotect) and other ranges;
 * with two children, the first one's exit leaves the pages shared with
 * the second, which must keep seeing the bytes of the fork.
 */
static void case_cow_after_exit(void)
{
	enum { N = 32 };
	uint64_t *m = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	uint64_t *o = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	SETUP(m == MAP_FAILED || o == MAP_FAILED ? -1 : 0);
	for (int i = 0; i < N; i++)
		m[i * PAGE / 8] = o[i * PAGE / 8] = 1000 + (uint64_t)i;
	pid_t pid = fork();
	if (pid == 0)
		_exit(m[0] != 1000);
	CHECK_EQ(child_status(pid), 0, "cow_exit_child");
	/* Split the range in three, then write every piece and the other range. */
	mprotect(m + 8 * PAGE / 8, 8 * PAGE, PROT_READ);
	mprotect(m + 8 * PAGE / 8, 8 * PAGE, PROT_READ | PROT_WRITE);
	for (int i = 0; i < N; i++)
		m[i * PAGE / 8] = o[i * PAGE / 8] = 2000 + (uint64_t)i;
	int bad = 0;
	for (int i = 0; i < N; i++)
		bad += m[i * PAGE / 8] != 2000 + (uint64_t)i || o[i * PAGE / 8] != 2000 + (uint64_t)i;
	CHECK_EQ(bad, 0, "cow_exit_parent_writes");

	/* Two children: the second keeps the fork's bytes after the first exits. */
	int go[2];
	SETUP(pipe(go));
	pid_t second = fork();
	if (second == 0) {
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		int b = 0;
		for (int i = 0; i < N; i++)
			b += m[i * PAGE / 8] != 2000 + (uint64_t)i || o[i * PAGE / 8] != 2000 + (uint64_t)i;
		_exit(b != 0);
	}
	pid = fork();
	if (pid == 0)
		_exit(0);
	CHECK_EQ(child_status(pid), 0, "cow_first_child");
	for (int i = 0; i < N; i++)
		m[i * PAGE / 8] = o[i * PAGE / 8] = 3000 + (uint64_t)i;
	char c = 0;
	SETUP(write(go[1], &c, 1));
	CHECK_EQ(child_status(second), 0, "cow_second_child_keeps_fork_bytes");
	bad = 0;
	for (int i = 0; i < N; i++)
		bad += m[i * PAGE / 8] != 3000 + (uint64_t)i || o[i * PAGE / 8] != 3000 + (uint64_t)i;
	CHECK_EQ(bad, 0, "cow_parent_keeps_its_bytes");
	close(go[0]);
	close(go[1]);

	/* Private memory again the parent's alone: MADV_DONTNEED zeroes it, split or not. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	child_status(pid);
	mprotect(m + PAGE / 8, PAGE, PROT_READ);
	mprotect(m + PAGE / 8, PAGE, PROT_READ | PROT_WRITE);
	o[0] = 7;
	madvise(m, N * PAGE, MADV_DONTNEED);
	madvise(o, N * PAGE, MADV_DONTNEED);
	bad = 0;
	for (int i = 0; i < N; i++)
		bad += m[i * PAGE / 8] != 0 || o[i * PAGE / 8] != 0;
	CHECK_EQ(bad, 0, "cow_dontneed_zeroes_after_exit");
	munmap(m, N * PAGE);
	munmap(o, N * PAGE);
}

/*
 * Forks while other processes write into the parent's memory
 * (process_vm_writev breaks the copy-on-write range the fork just made):
 * the child's writes must stay the child's.
 */
static void case_fork_while_written(void)
{
	volatile uint64_t *p = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	p[0] = 1;
	p[512] = 0;
	pid_t me = getpid(), writers[2];
	for (int w = 0; w < 2; w++) {
		writers[w] = fork();
		if (writers[w] == 0) {
			uint64_t v = 1;
			struct iovec l = { &v, 8 }, r = { (void *)p, 8 };
			for (;;)
				if (process_vm_writev(me, &l, 1, &r, 1, 0) < 0)
					pause();        /* not allowed here: nothing to race */
		}
	}
	int seen = 0, bad = 0;
	for (int i = 0; i < 200; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			p[512] = 0x1000 + (uint64_t)i;
			_exit(0);
		}
		bad += child_status(pid) != 0;
		seen += p[512] != 0;
	}
	for (int w = 0; w < 2; w++) {
		kill(writers[w], SIGKILL);
		waitpid(writers[w], NULL, 0);
	}
	CHECK_EQ(bad, 0, "fork_while_written_children");
	CHECK_EQ(seen, 0, "fork_while_written_child_writes_stay_its_own");
	munmap((void *)p, 1 << 21);
}

/* MAP_SHARED memory stays one: anonymous, and a memfd's. */
static void case_shared(void)
{
	volatile uint64_t *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = memfd_create("fork_mappings", 0);
	SETUP(fd);
	SETUP(ftruncate(fd, PAGE));
	volatile uint64_t *f = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SETUP(a == MAP_FAILED || f == MAP_FAILED ? -1 : 0);
	a[0] = 1;
	f[0] = 2;
	pid_t pid = fork();
	if (pid == 0) {
		int bad = a[0] != 1 || f[0] != 2;
		a[0] = 11;
		f[0] = 22;
		_exit(bad);
	}
	CHECK_EQ(child_status(pid), 0, "shared_child_reads");
	CHECK_EQ(a[0], 11, "shared_anon_parent_sees_child_write");
	CHECK_EQ(f[0], 22, "shared_memfd_parent_sees_child_write");
	munmap((void *)a, PAGE);
	munmap((void *)f, PAGE);
	close(fd);
}

/* CLONE_CHILD_SETTID writes the child's memory only. */
static void case_child_settid(void)
{
	static volatile pid_t ctid;
	ctid = 0;
	long pid = syscall(SYS_clone, CLONE_CHILD_SETTID | SIGCHLD, 0, NULL, &ctid, 0);
	if (pid == 0)
		_exit(ctid == getpid() ? 0 : 1);
	CHECK_EQ(child_status((pid_t)pid), 0, "settid_in_child");
	CHECK_EQ(ctid, 0, "settid_not_in_parent");
}

/* A child on a stack of its own (clone without CLONE_VM): its writes there stay its own. */
static char clone_stack[64 * 1024] __attribute__((aligned(16)));
static volatile int clone_mark;

static int clone_child(void *arg)
{
	(void)arg;
	volatile char buf[512];
	buf[0] = 1;
	clone_mark = 42;
	return clone_mark == 42 && buf[0] == 1 ? 0 : 1;
}

static void case_clone_own_stack(void)
{
	memset(clone_stack, 0x5a, sizeof(clone_stack));
	clone_mark = 0;
	pid_t pid = clone(clone_child, clone_stack + sizeof(clone_stack), SIGCHLD, NULL);
	CHECK_EQ(child_status(pid), 0, "clone_own_stack_child");
	CHECK_EQ(clone_mark, 0, "clone_own_stack_parent_mark");
	/* glibc's clone writes fn and arg at the top itself, in the parent: below them only. */
	int bad = 0;
	for (size_t i = 0; i < sizeof(clone_stack) - 64; i++)
		bad += clone_stack[i] != 0x5a;
	CHECK_EQ(bad, 0, "clone_own_stack_parent_bytes");
}

/* A chain of forks, each level with a mapping of its own. */
static int chain(int depth, uint64_t *prev)
{
	uint64_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	*p = 0xc4a1u + (uint64_t)depth;
	if (prev && *prev != 0xc4a1u + (uint64_t)depth - 1)
		return 1;
	if (depth == 6)
		return 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(chain(depth + 1, p));
	int st = child_status(pid);
	/* The child's writes (its own page, its copy of ours) stayed there. */
	return st != 0 || *p != 0xc4a1u + (uint64_t)depth;
}

static void case_chain(void)
{
	CHECK_EQ(chain(0, NULL), 0, "fork_chain");
}

/* Forks in a row, the parent's memory changing between them. */
static void case_rounds(void)
{
	int bad = 0;
	uint64_t *keep[8] = { 0 };
	for (int i = 0; i < 100 && !bad; i++) {
		int k = i % 8;
		if (keep[k])
			munmap(keep[k], 2 * PAGE);
		keep[k] = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		keep[k][0] = (uint64_t)i;
		if (i % 3 == 0)
			mprotect(keep[k] + PAGE / 8, PAGE, PROT_NONE);
		pid_t pid = fork();
		if (pid == 0) {
			int b = 0;
			for (int j = 0; j < 8; j++)
				if (keep[j] && keep[j][0] % 8 != (uint64_t)j)
					b++;
			b += keep[k][0] != (uint64_t)i;
			unsigned char v;
			b += mincore(keep[k] + PAGE / 8, PAGE, &v) != 0;
			_exit(b);
		}
		bad += child_status(pid) != 0;
	}
	CHECK_EQ(bad, 0, "fork_rounds");
	for (int k = 0; k < 8; k++)
		munmap(keep[k], 2 * PAGE);
}

/* Reserved address space (PROT_NONE) the child makes its own. */
static void case_reserve(void)
{
	size_t len = 1 << 20;
	char *r = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	SETUP(r == MAP_FAILED ? -1 : 0);
	pid_t pid = fork();
	if (pid == 0) {
		if (mprotect(r + PAGE, PAGE, PROT_READ | PROT_WRITE))
			_exit(1);
		r[PAGE] = 5;
		_exit(r[PAGE] == 5 ? 0 : 1);
	}
	CHECK_EQ(child_status(pid), 0, "reserve_child_uses");
	/* The parent's stays inaccessible. */
	pid = fork();
	if (pid == 0) {
		(void)*(volatile char *)(r + PAGE);
		_exit(0);
	}
	CHECK_EQ(child_status(pid), 128 + SIGSEGV, "reserve_parent_still_none");
	munmap(r, len);
}

/* Forks while another thread writes: the child gets a consistent copy and keeps it. */
static volatile int spin_stop;
static volatile uint64_t spin_count;

static void *spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		spin_count++;
	return NULL;
}

static void case_fork_with_thread(void)
{
	uint64_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*p = 77;
	pthread_t th;
	spin_stop = 0;
	SETUP(pthread_create(&th, NULL, spinner, NULL) ? -1 : 0);
	int bad = 0;
	for (int i = 0; i < 10; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			uint64_t a = spin_count;
			usleep(2000);
			/* Nothing runs the spinner in the child: its count stays. */
			_exit(*p != 77 || spin_count != a);
		}
		bad += child_status(pid) != 0;
	}
	spin_stop = 1;
	pthread_join(th, NULL);
	CHECK_EQ(bad, 0, "fork_with_thread");
	/* And again once the thread is gone. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(*p != 77);
	CHECK_EQ(child_status(pid), 0, "fork_after_thread");
	munmap(p, PAGE);
}

/* A site called often (patched in the sandbox) works in the child. */
static void case_patched_sites(void)
{
	pid_t me = getpid();
	int bad = 0;
	for (int i = 0; i < 100; i++)
		bad += getppid() < 0;
	pid_t pid = fork();
	if (pid == 0) {
		int b = 0;
		for (int i = 0; i < 1000; i++)
			b += getppid() != me;
		_exit(b != 0);
	}
	CHECK_EQ(child_status(pid), 0, "patched_sites_in_child");
	CHECK_EQ(bad, 0, "patched_sites_in_parent");
}

int main(void)
{
	case_before_fork();
	case_cow();
	case_cow_after_exit();
	case_fork_while_written();
	case_shared();
	case_child_settid();
	case_clone_own_stack();
	case_chain();
	case_rounds();
	case_reserve();
	case_fork_with_thread();
	case_patched_sites();
	return conf_exit();
}
