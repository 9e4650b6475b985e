/*
 * Calls every x86-64 syscall number 0..462 (and a few numbers beyond the
 * table) with deterministic garbage arguments, in three rounds, printing
 * "nr=<n> ret=<r>" for each call.
 *
 * NEVER RUN THIS NATIVELY: as root it would mount, chroot, ioperm, swapon,
 * settimeofday... on the host. It refuses to start unless it is pid 1 (the
 * guest's pid in the sandbox) and given the argument --i-am-sandboxed.
 *
 * Rounds:
 *   A  small integers 1000+i: fds that are not open, pointers into the
 *      unmapped first page range, small lengths.
 *   B  pointers into an unmapped hole (0xdead0000000), huge lengths, a
 *      pointer at the stub's page (0x7ffffff00000), a non-canonical pointer.
 *   C  every argument points at a writable 16 MiB buffer that starts with
 *      the path "/tmp/canary/fuzz": path syscalls act on the host's canary
 *      directory as seen through the overlay; as a length the buffer's
 *      address stays inside the buffer.
 *
 * Skipped numbers (never called), because on Linux they legitimately end or
 * stall the caller, not because the sandbox might mishandle them:
 *   15 rt_sigreturn   restores a garbage register frame -> crash
 *   34 pause, 130 rt_sigsuspend   block until a signal arrives
 *   56 clone, 57 fork, 58 vfork, 435 clone3   would fork the fuzzer
 *   60 exit, 231 exit_group   end the fuzzer
 *   335 uretprobe     raises SIGILL when not called from a uretprobe
 *                     trampoline (Linux >= 6.11)
 * Round C uses round B's arguments for munmap, mprotect, pkey_mprotect,
 * mremap, remap_file_pages, madvise and mseal: with a valid pointer and a
 * length they would unmap or protect the fuzzer's own memory.
 * stdin must be /dev/null.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NR_MAX 462
#define BUF_SIZE (16u << 20)
#define CANARY_PATH "/tmp/canary/fuzz"

static char buf[BUF_SIZE] __attribute__((aligned(4096)));

static long raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long ret;
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Output goes through raw write(2) so no libc state the fuzzing may have
 * disturbed is involved. */
static void out(const char *s)
{
	size_t len = strlen(s);
	while (len > 0) {
		long n = raw6(SYS_write, 1, (long)s, (long)len, 0, 0, 0);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static int skipped(long nr)
{
	switch (nr) {
	case SYS_rt_sigreturn: case SYS_pause: case SYS_rt_sigsuspend:
	case SYS_clone: case SYS_fork: case SYS_vfork: case 435 /* clone3 */:
	case SYS_exit: case SYS_exit_group:
	case 335 /* uretprobe */:
		return 1;
	}
	return 0;
}

static int memory_changing(long nr)
{
	switch (nr) {
	case SYS_munmap: case SYS_mprotect: case SYS_pkey_mprotect:
	case SYS_mremap: case SYS_remap_file_pages: case SYS_madvise:
	case 462 /* mseal */:
		return 1;
	}
	return 0;
}

static const long round_a[6] = {1000, 1001, 1002, 1003, 1004, 1005};
static const long round_b[6] = {
	0xdead0000000L,          /* page-aligned pointer into an unmapped hole */
	0x7fffffffffffL,         /* huge length */
	(long)0xfffffffffffff000UL, /* kernel-half pointer / huge negative */
	0x7ffffff00000L,         /* the sandbox stub's page */
	1L << 40,                /* huge length */
	(long)0x8000000000000000UL, /* non-canonical pointer */
};

static void reset_buf(void)
{
	memset(buf, 0x5a, 4096);
	memcpy(buf, CANARY_PATH, sizeof(CANARY_PATH));
}

static void call(char round, long nr)
{
	long a[6];
	if (round == 'A')
		memcpy(a, round_a, sizeof(a));
	else if (round == 'B' || memory_changing(nr))
		memcpy(a, round_b, sizeof(a));
	else
		for (int i = 0; i < 6; i++)
			a[i] = (long)buf;
	reset_buf();
	long ret = raw6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	char line[96];
	snprintf(line, sizeof(line), "nr=%ld ret=%ld\n", nr, ret);
	out(line);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--i-am-sandboxed") != 0 || getpid() != 1) {
		fprintf(stderr, "fuzz_syscalls: refusing to run outside the sandbox "
				"(needs pid 1 and --i-am-sandboxed)\n");
		return 2;
	}
	/* Signals a garbage call can legitimately raise against the caller. */
	static const int ign[] = {SIGPIPE, SIGXFSZ, SIGALRM, SIGVTALRM, SIGPROF,
				  SIGHUP, SIGTTOU, SIGTTIN, SIGIO, SIGURG,
				  SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		signal(ign[i], SIG_IGN);

	/* Beyond the table: unassigned, x32-flagged, high bits set, negative. */
	static const long extra[] = {463, 500, 511, 512, 547, 1000, 4096,
				     0x40000000L + 39, 0x40000000L + 2,
				     0x100000027L, 0x7fffffffL, -1L};
	const char rounds[] = "ABC";
	for (int r = 0; rounds[r]; r++) {
		char hdr[32];
		snprintf(hdr, sizeof(hdr), "round %c\n", rounds[r]);
		out(hdr);
		for (long nr = 0; nr <= NR_MAX; nr++)
			if (!skipped(nr))
				call(rounds[r], nr);
		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
			call(rounds[r], extra[i]);
	}
	out("done\n");
	return 0;
}
