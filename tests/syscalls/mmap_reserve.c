/* Large address-space reservations, as JVMs, Go and the sanitizers make
 * them: a 32 TiB PROT_NONE reservation whose pieces become memory with
 * mprotect (zero-filled, written, kept across fork, copy-on-write, grown
 * and moved with mremap, SEGV_ACCERR where still reserved), a 16 TiB
 * MAP_NORESERVE read-write mapping touched sparsely (an AddressSanitizer
 * shadow), and free memory in sysinfo not eaten by either. */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include "conformance.h"

#define TIB (1ULL << 40)
#define MIB (1ULL << 20)

static sigjmp_buf jb;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_code = si->si_code;
	siglongjmp(jb, 1);
}

/* si_code of a read at p, or 0 if it did not fault. */
static int probe_read(volatile char *p)
{
	fault_code = 0;
	if (sigsetjmp(jb, 1) == 0)
		(void)*p;
	return fault_code;
}

static unsigned long free_ram(void)
{
	struct sysinfo si;
	return sysinfo(&si) == 0 ? si.freeram * si.mem_unit : 0;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &sa, NULL);
	unsigned long free_before = free_ram();

	/* ---- a 32 TiB reservation ---- */
	size_t rlen = 32 * TIB;
	char *r = mmap(NULL, rlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(r != MAP_FAILED, "reserve_32tib");
	if (r == MAP_FAILED)
		return conf_exit();
	CHECK_EQ(probe_read(r + 5 * TIB), SEGV_ACCERR, "reserved_read_segv_accerr");
	char *piece = r + 7 * TIB;
	CHECK_OK(mprotect(piece, 4 * MIB, PROT_READ | PROT_WRITE), "commit_piece_mprotect");
	CHECK_EQ(piece[0] | piece[4 * MIB - 1], 0, "committed_piece_zero");
	memset(piece, 'a', 4 * MIB);
	CHECK_EQ(probe_read(piece + 4 * MIB), SEGV_ACCERR, "after_piece_still_reserved");
	CHECK_EQ(probe_read(piece - 1), SEGV_ACCERR, "before_piece_still_reserved");
	/* A second piece right after the first: both keep their bytes. */
	CHECK_OK(mprotect(piece + 4 * MIB, MIB, PROT_READ | PROT_WRITE), "commit_adjacent_piece");
	piece[4 * MIB] = 'b';
	CHECK(piece[4 * MIB - 1] == 'a' && piece[4 * MIB] == 'b', "adjacent_pieces_keep_bytes");
	/* Back to PROT_NONE and accessible again: the bytes stay. */
	CHECK_OK(mprotect(piece, MIB, PROT_NONE), "uncommit_to_prot_none");
	CHECK_EQ(probe_read(piece), SEGV_ACCERR, "prot_none_again_faults");
	CHECK_OK(mprotect(piece, MIB, PROT_READ), "readable_again");
	CHECK_EQ(piece[10], 'a', "bytes_kept_across_prot_none");
	CHECK_ERR(syscall(SYS_read, -1, piece + 8 * MIB, 1), EBADF, "bad_fd_before_fault");
	/* One mprotect over memory and reservation alike (V8 does this). */
	CHECK_OK(mprotect(piece - 2 * MIB, 8 * MIB, PROT_NONE), "prot_none_over_piece_and_reserve");
	CHECK_EQ(probe_read(piece + 2 * MIB), SEGV_ACCERR, "piece_now_prot_none");
	CHECK_OK(mprotect(piece - 2 * MIB, 8 * MIB, PROT_READ), "read_over_piece_and_reserve");
	CHECK(piece[2 * MIB] == 'a' && piece[-1] == 0 && piece[6 * MIB - 1] == 0,
	      "piece_bytes_kept_reserve_reads_zero");
	CHECK_OK(mprotect(piece - 2 * MIB, 2 * MIB, PROT_NONE), "before_piece_reserved_again");
	CHECK_OK(mprotect(piece + 5 * MIB, MIB, PROT_NONE), "after_pieces_reserved_again");
	CHECK_OK(mprotect(piece, 5 * MIB, PROT_READ | PROT_WRITE), "pieces_writable_again");

	/* Reserved memory is not readable by the kernel on the guest's behalf either. */
	int fds[2];
	CHECK_OK(pipe(fds), "pipe");
	CHECK_ERR(write(fds[1], r + 9 * TIB, 16), EFAULT, "write_from_reserved_efault");
	close(fds[0]);
	close(fds[1]);

	/* fork: the child sees the pieces (copy-on-write) and the reservation. */
	pid_t pid = fork();
	if (pid == 0) {
		int ok = piece[4 * MIB - 1] == 'a' && piece[4 * MIB] == 'b';
		piece[4 * MIB] = 'c';
		ok &= probe_read(r + 5 * TIB) == SEGV_ACCERR;
		ok &= mprotect(r + 3 * TIB, MIB, PROT_READ | PROT_WRITE) == 0 && r[3 * TIB] == 0;
		_exit(ok ? 0 : 1);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "fork_child_sees_pieces_and_reservation");
	CHECK_EQ(piece[4 * MIB], 'b', "child_write_not_seen_by_parent");

	/* mremap: a reserved tail grows in place and moves as reservation. */
	char *tail = r + rlen - 2 * MIB;
	CHECK_OK(munmap(tail + MIB, MIB), "unmap_end_of_reservation");
	char *g = mremap(tail, MIB, 2 * MIB, 0);
	CHECK(g == tail, "mremap_grow_reservation_in_place");
	char *m = mremap(r + 11 * TIB, 2 * MIB, 2 * MIB, MREMAP_MAYMOVE | MREMAP_FIXED,
			 r + 12 * TIB);
	CHECK(m == r + 12 * TIB, "mremap_move_reservation");
	CHECK_EQ(probe_read(m), SEGV_ACCERR, "moved_reservation_faults");
	CHECK_EQ(probe_read(r + 11 * TIB), SEGV_MAPERR, "moved_from_is_unmapped");
	CHECK_OK(mprotect(m, 2 * MIB, PROT_READ | PROT_WRITE), "commit_moved_reservation");
	m[2 * MIB - 1] = 'm';
	CHECK_EQ(m[2 * MIB - 1], 'm', "moved_reservation_usable");

	/* A piece moved away with its bytes (one mapping: its first MiB has other protections). */
	char *moved = mremap(piece + MIB, 3 * MIB, 3 * MIB, MREMAP_MAYMOVE | MREMAP_FIXED,
			     r + 20 * TIB);
	CHECK(moved == r + 20 * TIB && moved[1] == 'a' && moved[3 * MIB - 1] == 'a',
	      "mremap_move_piece_keeps_bytes");
	CHECK_OK(munmap(r, rlen), "unmap_reservation");

	/* ---- a 16 TiB read-write mapping touched here and there ---- */
	size_t slen = 16 * TIB;
	char *s = mmap(NULL, slen, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(s != MAP_FAILED, "norserve_16tib_rw");
	if (s != MAP_FAILED) {
		for (int i = 0; i < 16; i++)
			s[(size_t)i * TIB + 4096 * i] = (char)(i + 1);
		int ok = 1;
		for (int i = 0; i < 16; i++)
			ok &= s[(size_t)i * TIB + 4096 * i] == (char)(i + 1);
		CHECK(ok, "sparse_touches_keep_values");
		unsigned long free_now = free_ram();
		CHECK(free_now + 256 * MIB >= free_before, "sysinfo_free_not_eaten_by_address_space");
		pid = fork();
		if (pid == 0)
			_exit(s[15 * TIB + 4096 * 15] == 16 && s[TIB - 1] == 0 ? 0 : 1);
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "fork_with_16tib_mapping");
		CHECK_OK(munmap(s, slen), "unmap_16tib");
	}
	return conf_exit();
}
