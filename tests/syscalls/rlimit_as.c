/* RLIMIT_AS and RLIMIT_DATA on mappings: mmap (PROT_NONE counts too),
 * MAP_FIXED replacing what it covers, munmap giving room back, mremap
 * growth, brk, and RLIMIT_DATA counting only private writable memory
 * (mprotect making memory writable included; with Linux's allowance for
 * a zero soft limit). Each case runs in a child, so the limits do not
 * outlive it. */
#include <sys/mman.h>
#include <sys/resource.h>
#include "conformance.h"

#define MIB (1UL << 20)
#define CHUNK (16 * MIB)

static void *map(size_t len, int prot, int flags)
{
	return mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

/* Run fn in a child; its exit status (0: every check in it held). */
static int in_child(int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int set_limit(int r, rlim_t cur, rlim_t max)
{
	struct rlimit rl = { cur, max };
	return setrlimit(r, &rl);
}

/* Bit n set: check n failed. */
static int as_mmap(void)
{
	int bad = 0;
	/* Room for a few chunks above what the process maps already. */
	if (set_limit(RLIMIT_AS, 256 * MIB, RLIM_INFINITY))
		return 255;
	if (map(512 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE) != MAP_FAILED || errno != ENOMEM)
		bad |= 1;
	if (map(512 * MIB, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE) != MAP_FAILED || errno != ENOMEM)
		bad |= 2;
	/* Fill up to the limit in chunks. */
	char *chunks[64];
	int n = 0;
	while (n < 64 && (chunks[n] = map(CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE)) != MAP_FAILED)
		n++;
	if (n == 0 || n == 64 || errno != ENOMEM)
		bad |= 4;
	if (n == 0)
		return bad;
	/* Replacing a mapping is not growth. */
	if (mmap(chunks[0], CHUNK, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != chunks[0])
		bad |= 8;
	/* Growing a chunk is. */
	if (mremap(chunks[n - 1], CHUNK, 2 * CHUNK, MREMAP_MAYMOVE) != MAP_FAILED || errno != ENOMEM)
		bad |= 16;
	if (mremap(chunks[n - 1], CHUNK, CHUNK / 2, 0) != chunks[n - 1])
		bad |= 32;
	/* Room given back is room to map again. */
	if (munmap(chunks[0], CHUNK) || map(CHUNK, PROT_READ, MAP_PRIVATE) == MAP_FAILED)
		bad |= 64;
	/* brk cannot grow past it either. */
	void *top = sbrk(0);
	if (sbrk(2 * CHUNK) != (void *)-1 || errno != ENOMEM || sbrk(0) != top)
		bad |= 128;
	return bad;
}

static int data_limit(void)
{
	int bad = 0;
	if (set_limit(RLIMIT_DATA, 32 * MIB, RLIM_INFINITY))
		return 255;
	if (map(64 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE) != MAP_FAILED || errno != ENOMEM)
		bad |= 1;
	/* Read-only, shared or stack memory is not data. */
	if (map(64 * MIB, PROT_READ, MAP_PRIVATE) == MAP_FAILED)
		bad |= 2;
	if (map(64 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED) == MAP_FAILED)
		bad |= 4;
	if (map(64 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_GROWSDOWN) == MAP_FAILED)
		bad |= 8;
	void *top = sbrk(0);
	if (sbrk(64 * MIB) != (void *)-1 || sbrk(0) != top)
		bad |= 16;
	/* Read-only memory made writable becomes data. */
	char *ro = map(64 * MIB, PROT_READ, MAP_PRIVATE);
	if (ro == MAP_FAILED || mprotect(ro, 64 * MIB, PROT_READ | PROT_WRITE) == 0 || errno != ENOMEM)
		bad |= 32;
	if (ro != MAP_FAILED && mprotect(ro, 4096, PROT_READ | PROT_WRITE) != 0)
		bad |= 64;
	return bad;
}

/* Linux lets a zero soft RLIMIT_DATA pass under the hard limit (Valgrind sets it). */
static int data_zero_soft(void)
{
	if (set_limit(RLIMIT_DATA, 0, RLIM_INFINITY))
		return 255;
	return map(MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE) == MAP_FAILED;
}

int main(void)
{
	CHECK_EQ(in_child(as_mmap), 0, "rlimit_as_mmap_fixed_mremap_munmap_brk");
	CHECK_EQ(in_child(data_limit), 0, "rlimit_data_private_writable_only");
	CHECK_EQ(in_child(data_zero_soft), 0, "rlimit_data_zero_soft_limit_allowance");
	return conf_exit();
}
