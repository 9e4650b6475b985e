/* Syscall sites of the form "mov $nr, %eax; syscall" (b8 imm32 0f 05), the
 * form a runtime may rewrite into a jump once the site is hot (the sandbox
 * does so after two traps; a thread then on the old syscall instruction
 * faults there and is made to do that syscall with its own rax). Every site
 * here is inline asm of exactly that form, called often enough to be
 * rewritten, and its results are checked:
 *   - hot sites called 10000 times (getpid, gettid, write/read through a
 *     pipe, pread with r10, mmap with r8/r9, an error return);
 *   - every register but rax/rcx/r11 survives a site (general, xmm0-15,
 *     mxcsr, the x87 control word, the red zone below rsp); rcx is the
 *     address after the syscall and r11 the flags (also with DF set);
 *   - a jump straight to the syscall instruction of a hot getpid site with
 *     another number in eax makes that syscall (getppid, gettid, write, an
 *     unknown number's ENOSYS) and no SIGILL reaches the program;
 *   - four threads run the same fresh sites at once, registers checked;
 *   - signals delivered at the return of a hot site (tkill) and by an
 *     interval timer while sites run: the handler sees the interrupted
 *     registers in its frame and DF clear; xmm/ymm, mxcsr and the x87
 *     control word the handler clobbers come back; a double computed across
 *     sites and raise() is exact;
 *   - code in an anonymous private, a shared and a private file mapping:
 *     rewritten code runs as rewritten; neither the shared memory nor the
 *     files (nor the program's own, /proc/self/exe) ever change, and
 *     another program mapping the shared file runs it as it is;
 *   - a blocking read at a hot site interrupted by a handled signal (from
 *     another process, or a thread) with SA_RESTART is restarted (back onto
 *     the syscall instruction) and gets the data; EINTR without SA_RESTART;
 *     after SIGSTOP/SIGCONT (no handler) a read and a nanosleep go on;
 *   - fork while another thread runs a site; fork, vfork and execve after
 *     sites were rewritten; a new program can map 0x60000 (where the
 *     sandbox's trap table would go) and keeps it while its sites get hot.
 * Every site meant to be rewritten is made hot before the program's first
 * fork (the sandbox rewrites only code no other process shares). The
 * program re-executes itself (/proc/self/exe) with "exec-child",
 * "exec-child-table" or "exec-child-shared FD" as arguments. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "conformance.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>

/* ---- simple sites ---- */

/* .p2align 3 keeps the 7 bytes inside one page (a site across two is not rewritten). */
#define SITE_ASM ".p2align 3\n\tmov %[nr], %%eax\n\tsyscall"

#define SITE0(name, NR)                                                           \
	static __attribute__((noipa)) long name(void)                             \
	{                                                                         \
		long r;                                                           \
		__asm__ volatile(SITE_ASM : "=a"(r) : [nr] "i"(NR)                \
				 : "rcx", "r11", "memory");                       \
		return r;                                                         \
	}

#define SITE3(name, NR)                                                           \
	static __attribute__((noipa)) long name(long a, long b, long c)           \
	{                                                                         \
		long r;                                                           \
		__asm__ volatile(SITE_ASM : "=a"(r)                               \
				 : [nr] "i"(NR), "D"(a), "S"(b), "d"(c)           \
				 : "rcx", "r11", "memory");                       \
		return r;                                                         \
	}

#define SITE6(name, NR)                                                           \
	static __attribute__((noipa)) long name(long a, long b, long c, long d,   \
						long e, long f)                   \
	{                                                                         \
		long r;                                                           \
		register long r10 __asm__("r10") = d;                             \
		register long r8 __asm__("r8") = e;                               \
		register long r9 __asm__("r9") = f;                               \
		__asm__ volatile(SITE_ASM : "=a"(r)                               \
				 : [nr] "i"(NR), "D"(a), "S"(b), "d"(c), "r"(r10),\
				   "r"(r8), "r"(r9)                               \
				 : "rcx", "r11", "memory");                       \
		return r;                                                         \
	}

SITE0(s_getpid, SYS_getpid)
SITE0(s_gettid, SYS_gettid)
SITE3(s_write, SYS_write)
SITE3(s_read, SYS_read)
SITE3(s_close, SYS_close)
SITE6(s_pread, SYS_pread64)
SITE6(s_mmap, SYS_mmap)
SITE3(s_munmap, SYS_munmap)
SITE3(s_rread, SYS_read)           /* the blocking read of the restart cases */
SITE3(s_nanosleep, SYS_nanosleep)
SITE0(s_hgetpid, SYS_getpid)       /* run by the signal handlers */
SITE0(s_loop, SYS_getpid)          /* the double-precision loop */
SITE0(s_fresh_child, SYS_getpid)   /* first hot in a forked child */
SITE0(s_vfork, SYS_getpid)         /* first hot in a vfork child */
SITE0(s_forkthr, SYS_getpid)       /* run by a thread while the main thread forks */
SITE3(s_twrite, SYS_write)         /* the threads' pipes */
SITE3(s_tread, SYS_read)
SITE0(s_tid0, SYS_gettid)          /* one fresh site per threads round */
SITE0(s_tid1, SYS_gettid)
SITE0(s_tid2, SYS_gettid)
SITE0(s_tid3, SYS_gettid)
SITE0(s_tid4, SYS_gettid)
SITE0(s_tid5, SYS_gettid)
SITE0(s_tid6, SYS_gettid)
SITE0(s_tid7, SYS_gettid)

/* ---- a getpid site whose syscall instruction can be jumped to ---- */

__asm__(".pushsection .text\n"
	".p2align 4\n"
	".type jsite_getpid, @function\n"
	"jsite_getpid:\n\t"              /* long jsite_getpid(void) */
	"mov $39, %eax\n"                /* SYS_getpid */
	"jsite_syscall:\n\t"
	"syscall\n\t"
	"ret\n"
	".type jsite_jump, @function\n"
	"jsite_jump:\n\t"                /* long jsite_jump(long nr, long a, long b, long c) */
	"mov %rdi, %rax\n\t"
	"mov %rsi, %rdi\n\t"
	"mov %rdx, %rsi\n\t"
	"mov %rcx, %rdx\n\t"
	"jmp jsite_syscall\n"
	".popsection\n");
long jsite_getpid(void);
long jsite_jump(long nr, long a, long b, long c);

/* ---- register sites: everything loaded before the syscall, stored after ---- */

struct rs {
	uint64_t in[16];      /* 0: rbx rdx rsi rdi r8 r9 r10 r12 r13 r14 r15 rbp,
				 12 rflags, 13 mxcsr, 14 x87 control word */
	uint64_t out[24];     /* 128: 0-11 as in; 12 rax 13 rcx 14 r11 15 rflags
				 before the syscall 16 rflags after 17 mxcsr 18 x87 cw
				 19 the address after the syscall; 20/21 the caller's
				 mxcsr/cw (put back at the end) */
	uint64_t red[16];     /* 320: the 128 bytes below rsp, after the syscall */
	uint8_t vin[16][32];  /* 448: xmm/ymm 0-15 */
	uint8_t vout[16][32]; /* 960 */
};
_Static_assert(offsetof(struct rs, out) == 128, "layout");
_Static_assert(offsetof(struct rs, red) == 320, "layout");
_Static_assert(offsetof(struct rs, vin) == 448, "layout");
_Static_assert(offsetof(struct rs, vout) == 960, "layout");

#define RZ_PATTERN 0x7265647a6f6e6521ULL
#define RZ_PATTERN_ASM "0x7265647a6f6e6521"

#define GIN(reg, i) "mov " #i "*8(%%rdi), %%" #reg "\n\t"
#define GOUT(reg, i) "mov %%" #reg ", 128+" #i "*8(%%rdi)\n\t"
#define XL(n) "movdqu 448+" #n "*32(%%rdi), %%xmm" #n "\n\t"
#define XS(n) "movdqu %%xmm" #n ", 960+" #n "*32(%%rdi)\n\t"
#define YL(n) "vmovdqu 448+" #n "*32(%%rdi), %%ymm" #n "\n\t"
#define YS(n) "vmovdqu %%ymm" #n ", 960+" #n "*32(%%rdi)\n\t"
#define ALL16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
		 M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define RZF(o) "mov %%rax, -" #o "(%%rsp)\n\t"
#define RZC(k) "mov " #k "*8(%%rsp), %%rax\n\tmov %%rax, 320+" #k "*8(%%rdi)\n\t"
#define XMM_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
		     "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

/*
 * The caller's red zone is skipped and the callee-saved registers pushed;
 * then the x87/SSE control words, the vector registers, rflags (popfq) and
 * the general registers are loaded, rflags is pushed again as it is, the
 * 128 bytes below rsp are filled with RZ_PATTERN, and the site runs. After
 * it, rsp first moves below the red zone (lea keeps the flags), the flags
 * are pushed, DF is cleared and everything is stored.
 */
#define REGSITE(name, NR, VLOAD, VSTORE, VEND)                                       \
	static __attribute__((noipa)) void name(struct rs *b)                        \
	{                                                                            \
		__asm__ volatile(                                                    \
			"lea -128(%%rsp), %%rsp\n\t"                                 \
			"push %%rbp\n\tpush %%rbx\n\tpush %%r12\n\t"                 \
			"push %%r13\n\tpush %%r14\n\tpush %%r15\n\t"                 \
			"stmxcsr 128+20*8(%%rdi)\n\t"                                \
			"fnstcw 128+21*8(%%rdi)\n\t"                                 \
			"ldmxcsr 13*8(%%rdi)\n\t"                                    \
			"fldcw 14*8(%%rdi)\n\t"                                      \
			ALL16(VLOAD)                                                 \
			"push %%rdi\n\t"                                             \
			"pushq 12*8(%%rdi)\n\t"                                      \
			"popfq\n\t"                                                  \
			GIN(rbx, 0) GIN(rdx, 1) GIN(rsi, 2) GIN(r8, 4) GIN(r9, 5)    \
			GIN(r10, 6) GIN(r12, 7) GIN(r13, 8) GIN(r14, 9)              \
			GIN(r15, 10) GIN(rbp, 11) GIN(rdi, 3)                        \
			"pushfq\n\t"                                                 \
			"movabs $" RZ_PATTERN_ASM ", %%rax\n\t"                     \
			RZF(8) RZF(16) RZF(24) RZF(32) RZF(40) RZF(48) RZF(56)       \
			RZF(64) RZF(72) RZF(80) RZF(88) RZF(96) RZF(104) RZF(112)    \
			RZF(120) RZF(128)                                            \
			SITE_ASM "\n"                                                \
			"1:\n\t"                                                     \
			"lea -128(%%rsp), %%rsp\n\t"                                 \
			"pushfq\n\t"                                                 \
			"xchg %%rdi, 144(%%rsp)\n\t"                                 \
			"cld\n\t"                                                    \
			GOUT(rbx, 0) GOUT(rdx, 1) GOUT(rsi, 2) GOUT(r8, 4)           \
			GOUT(r9, 5) GOUT(r10, 6) GOUT(r12, 7) GOUT(r13, 8)           \
			GOUT(r14, 9) GOUT(r15, 10) GOUT(rbp, 11) GOUT(rax, 12)       \
			GOUT(rcx, 13) GOUT(r11, 14)                                  \
			"pop %%rax\n\t" GOUT(rax, 16)                                \
			RZC(0) RZC(1) RZC(2) RZC(3) RZC(4) RZC(5) RZC(6) RZC(7)      \
			RZC(8) RZC(9) RZC(10) RZC(11) RZC(12) RZC(13) RZC(14)        \
			RZC(15)                                                      \
			"lea 128(%%rsp), %%rsp\n\t"                                  \
			"pop %%rax\n\t" GOUT(rax, 15)                                \
			"pop %%rax\n\t" GOUT(rax, 3)                                 \
			"lea 1b(%%rip), %%rax\n\t" GOUT(rax, 19)                     \
			"stmxcsr 128+17*8(%%rdi)\n\t"                                \
			"fnstcw 128+18*8(%%rdi)\n\t"                                 \
			ALL16(VSTORE)                                                \
			VEND                                                         \
			"ldmxcsr 128+20*8(%%rdi)\n\t"                                \
			"fldcw 128+21*8(%%rdi)\n\t"                                  \
			"pop %%r15\n\tpop %%r14\n\tpop %%r13\n\t"                    \
			"pop %%r12\n\tpop %%rbx\n\tpop %%rbp\n\t"                    \
			"lea 128(%%rsp), %%rsp"                                      \
			: "+D"(b)                                                    \
			: [nr] "i"(NR)                                               \
			: "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11",      \
			  XMM_CLOBBERS, "memory", "cc");                             \
	}

REGSITE(r_getpid, SYS_getpid, XL, XS, "")
REGSITE(r_tkill, SYS_tkill, XL, XS, "")
REGSITE(r_tkill_avx, SYS_tkill, YL, YS, "vzeroupper\n\t")
REGSITE(r_read, SYS_read, XL, XS, "")
REGSITE(r_thr, SYS_getpid, XL, XS, "")
REGSITE(r_timer, SYS_getpid, XL, XS, "")

#define FL_BASE 0x8d7UL  /* CF PF AF ZF SF OF (and the always-one bit 1) */
#define FL_DF 0x400UL
#define FL_CHECK 0xed5UL /* the arithmetic flags, IF, DF */
#define MXCSR_IN 0xff80  /* all masked, round toward zero, flush to zero */
#define FCW_IN 0x0f7f    /* all masked, 64-bit precision, round toward zero */

static const char *const gname[12] = { "rbx", "rdx", "rsi", "rdi", "r8", "r9",
				       "r10", "r12", "r13", "r14", "r15", "rbp" };

/* Fresh inputs, distinct per register and seed, with flags FL. */
static void rs_init(struct rs *b, uint64_t seed, uint64_t fl)
{
	memset(b, 0, sizeof *b);
	for (int i = 0; i < 12; i++)
		b->in[i] = ((uint64_t)(0xa0 + i) << 56) | ((seed & 0xffffff) << 24) |
			   (uint64_t)(0x10101 * (i + 1));
	b->in[12] = fl;
	b->in[13] = MXCSR_IN;
	b->in[14] = FCW_IN;
	for (int r = 0; r < 16; r++)
		for (int k = 0; k < 32; k++)
			b->vin[r][k] = (uint8_t)(r * 37 + k * 11 + seed * 7 + 1);
}

/* The same, with the syscall's first three arguments. */
static void rs_init_args(struct rs *b, uint64_t seed, uint64_t fl, uint64_t rdi, uint64_t rsi,
			 uint64_t rdx)
{
	rs_init(b, seed, fl);
	b->in[3] = rdi;
	b->in[2] = rsi;
	b->in[1] = rdx;
}

/* 0 if the site left everything as it should; else 1 and what differs in why. */
static int rs_diff(const struct rs *b, uint64_t want_rax, int vlen, char *why, size_t n)
{
	for (int i = 0; i < 12; i++)
		if (b->out[i] != b->in[i]) {
			snprintf(why, n, "%s (got %#lx, want %#lx)", gname[i],
				 (unsigned long)b->out[i], (unsigned long)b->in[i]);
			return 1;
		}
	if (b->out[12] != want_rax) {
		snprintf(why, n, "rax (got %ld/%#lx, want %ld)", (long)b->out[12],
			 (unsigned long)b->out[12], (long)want_rax);
		return 1;
	}
	if (b->out[13] != b->out[19]) {
		snprintf(why, n, "rcx (got %#lx, want the address after syscall %#lx)",
			 (unsigned long)b->out[13], (unsigned long)b->out[19]);
		return 1;
	}
	if ((b->out[15] & FL_CHECK) != ((b->in[12] & FL_CHECK) | 0x200)) {
		snprintf(why, n, "rflags before the syscall (got %#lx, want %#lx): popfq?",
			 (unsigned long)b->out[15], (unsigned long)(b->in[12] | 0x200));
		return 1;
	}
	if ((b->out[14] & FL_CHECK) != (b->out[15] & FL_CHECK)) {
		snprintf(why, n, "r11 (got %#lx, want rflags %#lx)", (unsigned long)b->out[14],
			 (unsigned long)b->out[15]);
		return 1;
	}
	if ((b->out[16] & FL_CHECK) != (b->out[15] & FL_CHECK)) {
		snprintf(why, n, "rflags after the syscall (got %#lx, want %#lx)",
			 (unsigned long)b->out[16], (unsigned long)b->out[15]);
		return 1;
	}
	if (b->out[17] != b->in[13]) {
		snprintf(why, n, "mxcsr (got %#lx, want %#lx)", (unsigned long)b->out[17],
			 (unsigned long)b->in[13]);
		return 1;
	}
	if ((b->out[18] & 0xffff) != b->in[14]) {
		snprintf(why, n, "x87 control word (got %#lx, want %#lx)",
			 (unsigned long)b->out[18], (unsigned long)b->in[14]);
		return 1;
	}
	for (int k = 0; k < 16; k++)
		if (b->red[k] != RZ_PATTERN) {
			snprintf(why, n, "red zone at rsp-%d (got %#lx, want %#llx)", 128 - 8 * k,
				 (unsigned long)b->red[k], RZ_PATTERN);
			return 1;
		}
	for (int r = 0; r < 16; r++)
		for (int k = 0; k < vlen; k++)
			if (b->vout[r][k] != b->vin[r][k]) {
				snprintf(why, n, "%s%d byte %d (got %#x, want %#x)",
					 vlen > 16 ? "ymm" : "xmm", r, k, b->vout[r][k],
					 b->vin[r][k]);
				return 1;
			}
	return 0;
}

/* A case over ITERS calls of a register site; the first difference fails it. */
static void check_regsite(void (*site)(struct rs *), int iters, uint64_t fl, uint64_t want,
			  const char *name)
{
	struct rs b;
	char why[200];
	for (int i = 0; i < iters; i++) {
		rs_init(&b, i + 1, fl);
		site(&b);
		if (rs_diff(&b, want, 16, why, sizeof why)) {
			conf_fail(name, "call %d: %s", i + 1, why);
			return;
		}
	}
	conf_ok(name);
}

/* ---- signal handlers ---- */

static int have_avx;
static volatile sig_atomic_t hits;
static pid_t me;

static void on_sig_count(int sig)
{
	(void)sig;
	hits++;
}

/* Clobbers what the interrupted code holds: xmm/ymm, mxcsr (round up), x87 cw. */
static void clobber_fpu(void)
{
	uint32_t mx = 0x1f80 | 0x4000;
	uint16_t cw = 0x077f;
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
			 "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\t"
			 "movdqa %%xmm0, %%xmm3\n\tmovdqa %%xmm0, %%xmm4\n\t"
			 "movdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
			 "movdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\t"
			 "movdqa %%xmm0, %%xmm9\n\tmovdqa %%xmm0, %%xmm10\n\t"
			 "movdqa %%xmm0, %%xmm11\n\tmovdqa %%xmm0, %%xmm12\n\t"
			 "movdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\t"
			 "movdqa %%xmm0, %%xmm15\n\t"
			 "ldmxcsr %0\n\t"
			 "fldcw %1"
			 :
			 : "m"(mx), "m"(cw)
			 : XMM_CLOBBERS);
	if (have_avx)
		__asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
				 "vmovdqa %%ymm0, %%ymm1\n\tvmovdqa %%ymm0, %%ymm2\n\t"
				 "vmovdqa %%ymm0, %%ymm3\n\tvmovdqa %%ymm0, %%ymm4\n\t"
				 "vmovdqa %%ymm0, %%ymm5\n\tvmovdqa %%ymm0, %%ymm6\n\t"
				 "vmovdqa %%ymm0, %%ymm7\n\tvmovdqa %%ymm0, %%ymm8\n\t"
				 "vmovdqa %%ymm0, %%ymm9\n\tvmovdqa %%ymm0, %%ymm10\n\t"
				 "vmovdqa %%ymm0, %%ymm11\n\tvmovdqa %%ymm0, %%ymm12\n\t"
				 "vmovdqa %%ymm0, %%ymm13\n\tvmovdqa %%ymm0, %%ymm14\n\t"
				 "vmovdqa %%ymm0, %%ymm15"
				 ::: XMM_CLOBBERS);
}

/* Counts, does some floating point and a hot site of its own, clobbers the FPU. */
static volatile double h_acc = 1.0;
static volatile long h_bad_pid;

static void on_sig_fpu(int sig)
{
	(void)sig;
	hits++;
	double x = h_acc;
	for (int i = 0; i < 8; i++)
		x = x * 1.0001 + 0.25;
	h_acc = x > 1e6 ? 1.0 : x;
	if (s_hgetpid() != me)
		h_bad_pid++;
	clobber_fpu();
}

/* The tkill cases' handler: what the frame says about the interrupted site. */
static struct rs *h_rs;      /* the register site's block */
static volatile int h_rip_ok, h_regs_ok, h_fp_ok, h_df_clear;
static volatile uint64_t h_rip, h_rbx, h_efl, h_mxcsr;

static void on_sig_frame(int sig, siginfo_t *si, void *ucv)
{
	(void)si;
	ucontext_t *uc = ucv;
	uint64_t fl;
	__asm__ volatile("pushfq\n\tpop %0" : "=r"(fl));
	h_df_clear = !(fl & FL_DF);
	struct rs *b = h_rs;
	const greg_t *g = uc->uc_mcontext.gregs;
	h_rip = g[REG_RIP];
	h_rbx = g[REG_RBX];
	h_efl = g[REG_EFL];
	h_rip_ok = b && (uint64_t)g[REG_RIP] == (uint64_t)g[REG_RCX];
	h_regs_ok = b && (uint64_t)g[REG_RBX] == b->in[0] && (uint64_t)g[REG_RDX] == b->in[1] &&
		    (uint64_t)g[REG_R8] == b->in[4] && (uint64_t)g[REG_R10] == b->in[6] &&
		    (uint64_t)g[REG_R15] == b->in[10] && (uint64_t)g[REG_RBP] == b->in[11] &&
		    ((uint64_t)g[REG_EFL] & FL_CHECK) == ((b->in[12] & FL_CHECK) | 0x200);
	h_mxcsr = uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->mxcsr : 0;
	h_fp_ok = b && uc->uc_mcontext.fpregs && uc->uc_mcontext.fpregs->mxcsr == MXCSR_IN &&
		  uc->uc_mcontext.fpregs->cwd == FCW_IN &&
		  memcmp(&uc->uc_mcontext.fpregs->_xmm[3], b->vin[3], 16) == 0 &&
		  memcmp(&uc->uc_mcontext.fpregs->_xmm[15], b->vin[15], 16) == 0;
	on_sig_fpu(sig);
}

static pid_t raw_getpid(void)
{
	return syscall(SYS_getpid);
}

/* How many of n calls of a site return something other than want. */
static long misses(long (*site)(void), int n, long want)
{
	long bad = 0;
	for (int i = 0; i < n; i++)
		bad += site() != want;
	return bad;
}

/* ---- 1: hot sites ---- */

static void hot_sites(void)
{
	long bad = 0;
	pid_t tid = syscall(SYS_gettid);
	CHECK_EQ(misses(s_getpid, 10000, me), 0, "hot_getpid_10000");
	CHECK_EQ(s_getpid(), raw_getpid(), "hot_getpid_equals_syscall");
	CHECK_EQ(misses(s_gettid, 10000, tid), 0, "hot_gettid_10000");

	int p[2];
	SETUP(pipe(p));
	long bad_w = 0, bad_r = 0;
	for (int i = 0; i < 10000; i++) {
		uint64_t v = 0x5157000000000000ULL | (uint64_t)i * 0x10001, got = 0;
		int len = 1 + i % 8;
		bad_w += s_write(p[1], (long)&v, len) != len;
		bad_r += s_read(p[0], (long)&got, 8) != len || memcmp(&got, &v, len) != 0;
	}
	CHECK_EQ(bad_w, 0, "hot_write_10000");
	CHECK_EQ(bad_r, 0, "hot_read_10000");
	close(p[0]);
	close(p[1]);

	bad = 0;
	for (int i = 0; i < 1000; i++)
		bad += s_close(-1, 0, 0) != -EBADF;
	CHECK_EQ(bad, 0, "hot_close_ebadf_1000");

	/* pread: the offset in r10. */
	int fd;
	SETUP(fd = open(T("data"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	static unsigned char data[8192];
	for (int i = 0; i < (int)sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	SETUP(write(fd, data, sizeof data));
	bad = 0;
	for (int i = 0; i < 2000; i++) {
		unsigned char buf[16];
		long off = (i * 97) % (sizeof data - 16);
		long r = s_pread(fd, (long)buf, 16, off, 0x5a5a, 0xa5a5);
		bad += r != 16 || memcmp(buf, data + off, 16) != 0;
	}
	CHECK_EQ(bad, 0, "hot_pread_offset_r10_2000");

	/* mmap: the fd in r8, the offset in r9. */
	bad = 0;
	for (int i = 0; i < 200; i++) {
		long a = s_mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
		if (a < 0 && a > -4096) {
			bad++;
			continue;
		}
		bad += memcmp((void *)a, data + 4096, 4096) != 0;
		bad += s_munmap(a, 4096, 0) != 0;
	}
	CHECK_EQ(bad, 0, "hot_mmap_fd_r8_offset_r9_200");
	close(fd);
}

/* ---- 2: registers ---- */

static void registers(void)
{
	check_regsite(r_getpid, 40, FL_BASE, me, "regs_preserved_getpid_site");
	check_regsite(r_getpid, 40, FL_BASE | FL_DF, me, "regs_preserved_getpid_site_df_set");
	/* The hot site is still right after its flags changed. */
	CHECK_EQ(s_getpid(), me, "hot_site_after_regs");
}

/* ---- 3: restarts ---- */

/* A child that sends SIGUSR1 to the parent after 40 ms, then writes C to WFD
 * after 40 ms more and exits. */
static pid_t signaller(int wfd, int rfd_close, char c)
{
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(rfd_close);
		conf_msleep_full(40);
		kill(parent, SIGUSR1);
		conf_msleep_full(40);
		_exit(write(wfd, &c, 1) == 1 ? 0 : 1);
	}
	return pid;
}

struct tsig {
	pid_t tid;
	int wfd;
	char c;
};

static void *thread_signaller(void *arg)
{
	struct tsig *ts = arg;
	conf_msleep_full(40);
	syscall(SYS_tgkill, me, ts->tid, SIGUSR1);
	conf_msleep_full(40);
	if (write(ts->wfd, &ts->c, 1) != 1)
		return (void *)1;
	return NULL;
}

static void warm_read_site(long (*site)(long, long, long), int rfd, int wfd)
{
	for (int i = 0; i < 10; i++) {
		char c = 0;
		if (write(wfd, "w", 1) != 1 || site(rfd, (long)&c, 1) != 1 || c != 'w')
			conf_fail("setup", "warming the read site (got %c)", c);
	}
}

static int rp[2];  /* the restart cases' pipe */
static struct rs *rb;

/* Makes the restart cases' sites hot (before any fork). */
static void restarts_warm(void)
{
	int *p = rp;
	char c = 0;
	SETUP(pipe(p));
	warm_read_site(s_rread, p[0], p[1]);
	rb = calloc(1, sizeof *rb);
	SETUP(rb ? 0 : -1);
	for (int i = 0; i < 5; i++) {
		SETUP(write(p[1], "w", 1));
		rs_init_args(rb, 100 + i, FL_BASE, p[0], (uint64_t)&c, 1);
		r_read(rb);
	}
	struct timespec zero = { 0, 0 };
	for (int i = 0; i < 5; i++)
		s_nanosleep((long)&zero, 0, 0);
}

static void restarts(void)
{
	int *p = rp;
	char c = 0;

	/* SA_RESTART, the signal from another process. */
	SETUP(conf_set_handler(SIGUSR1, on_sig_count, SA_RESTART));
	hits = 0;
	pid_t pid = signaller(p[1], p[0], 'x');
	CHECK_EQ(s_rread(p[0], (long)&c, 1), 1, "restart_read_sa_restart");
	CHECK_EQ(c, 'x', "restart_read_sa_restart_data");
	CHECK_EQ(hits, 1, "restart_read_sa_restart_handler_ran");
	check_child_ok(pid, "restart_read_sa_restart_child");

	/* Without SA_RESTART: EINTR from the site, then the data. */
	SETUP(conf_set_handler(SIGUSR1, on_sig_count, 0));
	hits = 0;
	c = 0;
	pid = signaller(p[1], p[0], 'e');
	CHECK_EQ(s_rread(p[0], (long)&c, 1), -EINTR, "read_eintr_without_sa_restart");
	CHECK_EQ(hits, 1, "read_eintr_handler_ran");
	CHECK_EQ(s_rread(p[0], (long)&c, 1), 1, "read_after_eintr");
	CHECK_EQ(c, 'e', "read_after_eintr_data");
	check_child_ok(pid, "read_eintr_child");

	/* SA_RESTART from a thread, at a register site, the handler clobbering
	 * the FPU: restarted, every register intact. */
	struct rs *b = rb;
	SETUP(conf_set_handler(SIGUSR1, on_sig_fpu, SA_RESTART));
	hits = 0;
	c = 0;
	struct tsig ts = { (pid_t)syscall(SYS_gettid), p[1], 'y' };
	pthread_t th;
	SETUP(pthread_create(&th, NULL, thread_signaller, &ts) ? -1 : 0);
	rs_init_args(b, 200, FL_BASE, p[0], (uint64_t)&c, 1);
	r_read(b);
	void *tret = (void *)1;
	pthread_join(th, &tret);
	char why[200];
	if (rs_diff(b, 1, 16, why, sizeof why))
		conf_fail("restart_read_regsite_thread_signal", "%s", why);
	else
		conf_ok("restart_read_regsite_thread_signal");
	CHECK_EQ(c, 'y', "restart_read_regsite_data");
	CHECK_EQ(hits, 1, "restart_read_regsite_handler_ran");
	CHECK(tret == NULL, "restart_read_regsite_writer_thread");
	free(rb);
	rb = NULL;

	/* SIGSTOP/SIGCONT (no handler): a read and a nanosleep go on. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char d = 0;
		long r = s_rread(p[0], (long)&d, 1);
		_exit(r == 1 && d == 's' ? 0 : 1);
	}
	conf_msleep_full(60);
	int st;
	CHECK_EQ(kill(pid, SIGSTOP), 0, "stop_read_child");
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid, "stop_read_child_waited");
	CHECK(WIFSTOPPED(st), "stop_read_child_stopped");
	CHECK_EQ(kill(pid, SIGCONT), 0, "cont_read_child");
	conf_msleep_full(30);
	SETUP(write(p[1], "s", 1));
	check_child_ok(pid, "stop_cont_read_restarted");

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct timespec t = { 0, 300 * 1000000L };
		double t0 = conf_now();
		long r = s_nanosleep((long)&t, 0, 0);
		/* 0: slept it all; 2: returned 0 early; 100 + errno: failed. */
		_exit(r < 0 ? 100 + (int)-r : conf_now() - t0 >= 0.29 ? 0 : 2);
	}
	conf_msleep_full(60);
	CHECK_EQ(kill(pid, SIGSTOP), 0, "stop_sleep_child");
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid, "stop_sleep_child_waited");
	CHECK_EQ(kill(pid, SIGCONT), 0, "cont_sleep_child");
	st = reap(pid);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		conf_ok("stop_cont_nanosleep_restarted");
	else if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) > 100)
		conf_fail("stop_cont_nanosleep_restarted",
			  "nanosleep at the site after SIGSTOP/SIGCONT (got -1/errno %s, want 0)",
			  conf_errname(WEXITSTATUS(st) - 100));
	else
		conf_fail("stop_cont_nanosleep_restarted", "child status %#x (want exit 0)", st);

	close(p[0]);
	close(p[1]);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- 4: jumping to the syscall instruction ---- */

static sigjmp_buf sigill_jb;

static void on_sigill(int sig)
{
	(void)sig;
	siglongjmp(sigill_jb, 1); /* returning would run the same instruction again */
}

static void jumps(void)
{
	CHECK_EQ(misses(jsite_getpid, 20, me), 0, "jump_site_hot_getpid");
	SETUP(conf_set_handler(SIGILL, on_sigill, 0));
	if (sigsetjmp(sigill_jb, 1)) {
		conf_fail("jump_no_sigill_seen", "SIGILL delivered to the program");
		signal(SIGILL, SIG_DFL);
		return;
	}
	CHECK_EQ(jsite_jump(SYS_getppid, 0, 0, 0), getppid(), "jump_to_syscall_getppid");
	CHECK_EQ(jsite_jump(SYS_gettid, 0, 0, 0), syscall(SYS_gettid), "jump_to_syscall_gettid");
	CHECK_EQ(jsite_jump(SYS_getpid, 0, 0, 0), me, "jump_to_syscall_getpid");
	CHECK_EQ(jsite_jump(1000, 0, 0, 0), -ENOSYS, "jump_to_syscall_unknown_enosys");
	int p[2];
	SETUP(pipe(p));
	CHECK_EQ(jsite_jump(SYS_write, p[1], (long)"jmp", 3), 3, "jump_to_syscall_write");
	char buf[8] = { 0 };
	CHECK_EQ(read(p[0], buf, sizeof buf), 3, "jump_write_read_back");
	CHECK_STR(buf, "jmp", "jump_write_data");
	long bad = 0;
	for (int i = 0; i < 100; i++)
		bad += jsite_jump(i % 2 ? SYS_getppid : SYS_getpid, 0, 0, 0) !=
		       (i % 2 ? getppid() : me);
	CHECK_EQ(bad, 0, "jump_to_syscall_alternating_100");
	CHECK_EQ(jsite_getpid(), me, "jump_site_still_getpid");
	conf_ok("jump_no_sigill_seen");
	signal(SIGILL, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

/* ---- single-stepping a hot site (the trap flag, as a debugger's step) ---- */

/* A getpid site whose two instructions have names (the code's bytes change when patched). */
__asm__(".text\n\t.p2align 3\n"
	"s_step:\n\t"
	".globl step_mov\nstep_mov:\n\tmov $39, %eax\n"
	".globl step_sys\nstep_sys:\n\tsyscall\n\tret\n");
extern char s_step[], step_mov[], step_sys[];
_Static_assert(SYS_getpid == 39, "step site number");

static volatile int step_n;
static uintptr_t step_rip[64];

static void on_sigtrap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	(void)si;
	if (step_n < 64)
		step_rip[step_n] = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	if (++step_n >= 64)
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100LL;
}

/* s_step with the trap flag set around the call: one SIGTRAP per instruction. */
static long stepped_getpid(void)
{
	long r;
	__asm__ volatile("pushf\n\torq $0x100, (%%rsp)\n\tpopf\n\tcall *%1\n\t"
			 "pushf\n\tandq $~0x100, (%%rsp)\n\tpopf"
			 : "=a"(r) : "r"(s_step)
			 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
	return r;
}

static void single_step(void)
{
	for (int i = 0; i < 10; i++)
		((long (*)(void))s_step)();
	SETUP(conf_set_action(SIGTRAP, on_sigtrap, 0));
	step_n = 0;
	CHECK_EQ(stepped_getpid(), me, "single_step_hot_site_result");
	/* The site's own instructions trap where they are: before the mov, then the syscall. */
	int at_mov = -1, at_syscall = -1, outside = 0;
	for (int i = 0; i < step_n && i < 64; i++) {
		if (step_rip[i] == (uintptr_t)step_sys)
			at_syscall = i;
		else if (step_rip[i] == (uintptr_t)step_mov)
			at_mov = i;
		else if (step_rip[i] < 0x100000 || step_rip[i] >= 0x7ffffff00000ULL)
			outside++;
	}
	CHECK(at_mov >= 0 && at_syscall == at_mov + 1, "single_step_traps_at_mov_then_syscall");
	CHECK_EQ(outside, 0, "single_step_no_trap_outside_the_program");
	signal(SIGTRAP, SIG_DFL);
}

/* ---- 5: threads ---- */

#define NTHR 4
#define ROUNDS 8

static long (*const tid_sites[ROUNDS])(void) = { s_tid0, s_tid1, s_tid2, s_tid3,
						 s_tid4, s_tid5, s_tid6, s_tid7 };
static pthread_barrier_t bar;

struct thr {
	pthread_t th;
	int idx;
	int p[2];
	long bad_tid, bad_pipe;
	char why[200];
};

static void *hammer(void *arg)
{
	struct thr *t = arg;
	pid_t tid = syscall(SYS_gettid);
	for (int round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&bar);
		for (int i = 0; i < 1000; i++)
			t->bad_tid += tid_sites[round]() != tid;
	}
	pthread_barrier_wait(&bar);
	for (int i = 0; i < 1000; i++) {
		uint64_t v = ((uint64_t)t->idx << 32) | (uint64_t)i, got = 0;
		t->bad_pipe += s_twrite(t->p[1], (long)&v, 8) != 8;
		t->bad_pipe += s_tread(t->p[0], (long)&got, 8) != 8 || got != v;
	}
	pthread_barrier_wait(&bar);
	struct rs b;
	for (int i = 0; i < 300 && !t->why[0]; i++) {
		rs_init(&b, t->idx * 1000 + i, i % 2 ? FL_BASE : FL_BASE | FL_DF);
		r_thr(&b);
		char why[160];
		if (rs_diff(&b, me, 16, why, sizeof why))
			snprintf(t->why, sizeof t->why, "call %d: %s", i + 1, why);
	}
	return NULL;
}

static volatile int forkthr_stop;
static volatile long forkthr_calls;

static void *fork_hammer(void *arg)
{
	(void)arg;
	long bad = 0;
	while (!forkthr_stop && forkthr_calls < 2000000) {
		bad += s_forkthr() != me;
		forkthr_calls++;
	}
	return (void *)bad;
}

static void threads(void)
{
	struct thr t[NTHR];
	memset(t, 0, sizeof t);
	pthread_barrier_init(&bar, NULL, NTHR);
	for (int i = 0; i < NTHR; i++) {
		t[i].idx = i;
		SETUP(pipe(t[i].p));
	}
	int made = 0;
	for (int i = 0; i < NTHR; i++)
		made += pthread_create(&t[i].th, NULL, hammer, &t[i]) == 0;
	SETUP(made == NTHR ? 0 : -1);
	long bad_tid = 0, bad_pipe = 0;
	const char *why = NULL;
	for (int i = 0; i < NTHR; i++) {
		pthread_join(t[i].th, NULL);
		bad_tid += t[i].bad_tid;
		bad_pipe += t[i].bad_pipe;
		if (!why && t[i].why[0])
			why = t[i].why;
		close(t[i].p[0]);
		close(t[i].p[1]);
	}
	pthread_barrier_destroy(&bar);
	CHECK_EQ(bad_tid, 0, "threads_same_gettid_sites");
	CHECK_EQ(bad_pipe, 0, "threads_same_write_read_sites");
	if (why)
		conf_fail("threads_same_regsite_regs_preserved", "%s", why);
	else
		conf_ok("threads_same_regsite_regs_preserved");
}

/* The program's first fork, while another thread runs a site (hot by then). */
static void fork_while_thread(void)
{
	pthread_t th;
	forkthr_stop = 0;
	forkthr_calls = 0;
	SETUP(pthread_create(&th, NULL, fork_hammer, NULL) ? -1 : 0);
	while (forkthr_calls < 50)
		sched_yield();
	int n_ok = 0;
	for (int i = 0; i < 5; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			pid_t mine = raw_getpid();
			long bad = 0;
			for (int k = 0; k < 20; k++)
				bad += s_forkthr() != mine;
			_exit(bad ? 1 : 0);
		}
		int st = reap(pid);
		n_ok += pid > 0 && st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	forkthr_stop = 1;
	void *bad = (void *)1;
	pthread_join(th, &bad);
	CHECK_EQ(n_ok, 5, "fork_while_thread_runs_site_children_ok");
	CHECK_EQ((long)bad, 0, "fork_while_thread_runs_site_thread_ok");
}

/* Code to copy into mappings: a getpid (getppid) site and ret. */
static const unsigned char code_getpid[8] = { 0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0xc3 };
static const unsigned char code_getppid[8] = { 0xb8, 0x6e, 0, 0, 0, 0x0f, 0x05, 0xc3 };

static long call_n(const void *code, int n, long want)
{
	return misses((long (*)(void))code, n, want);
}

/* ---- 6: fork, vfork, execve ---- */

static void forks(void)
{
	/* The sites made hot above, in a child. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		pid_t mine = raw_getpid();
		CHECK(mine != me, "fork_child_pid_differs");
		CHECK_EQ(s_getpid(), mine, "fork_child_hot_site_own_pid");
		CHECK_EQ(misses(s_getpid, 1000, mine), 0, "fork_child_hot_site_1000");
		CHECK_EQ(s_gettid(), mine, "fork_child_hot_gettid_site");
		CHECK_EQ(jsite_getpid(), mine, "fork_child_jump_site_getpid");
		CHECK_EQ(jsite_jump(SYS_getppid, 0, 0, 0), me, "fork_child_jump_to_syscall_getppid");
		check_regsite(r_getpid, 10, FL_BASE, mine, "fork_child_regs_preserved");
		CHECK_EQ(misses(s_fresh_child, 20, mine), 0, "fork_child_fresh_site");
		CHILD_DONE();
	}
	check_child_ok(pid, "fork_child_cases");
	CHECK_EQ(s_getpid(), me, "fork_parent_hot_site_after_child");
	CHECK_EQ(misses(s_fresh_child, 20, me), 0, "fork_parent_site_made_hot_by_child");

	/* vfork: the child makes a site hot in the shared memory. */
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		_exit(misses(s_vfork, 20, raw_getpid()) ? 1 : 0);
	}
	check_child_ok(pid, "vfork_child_site");
	CHECK_EQ(misses(s_vfork, 20, me), 0, "vfork_parent_site_made_hot_by_child");

	/* execve: a new program's sites, and with 0x60000 taken by the program. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "syscall_patch", "exec-child", (char *)NULL);
		_exit(127);
	}
	check_child_ok(pid, "execve_child_cases");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "syscall_patch", "exec-child-table", (char *)NULL);
		_exit(127);
	}
	check_child_ok(pid, "execve_child_table_range_taken_cases");
}

/* argv[2]: a memfd with getpid code at SHARED_CODE_OFF, run from a shared mapping. */
#define SHARED_CODE_OFF 300

static int exec_child_shared(const char *fdstr)
{
	me = raw_getpid();
	int fd = atoi(fdstr);
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (!CHECK_OK(p, "exec_shared_code_map"))
		return conf_exit();
	CHECK_EQ(call_n(p + SHARED_CODE_OFF, 20, me), 0, "exec_shared_code_site");
	return conf_exit();
}

static int exec_child(int take_table)
{
	me = raw_getpid();
	unsigned char *low = NULL;
	if (take_table) {
		if (CHECK_OK(low = mmap((void *)0x60000, 0x10000, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
			     "exec_map_0x60000") &&
		    low != (void *)0x60000) {
			conf_fail("exec_map_0x60000_address", "got %p, want 0x60000", low);
			low = NULL;
		}
		if (low == MAP_FAILED)
			low = NULL;
		if (low)
			for (int i = 0; i < 0x10000; i += 64)
				low[i] = (unsigned char)(i >> 6);
	}
	CHECK_EQ(misses(s_getpid, 1000, me), 0, "exec_hot_site_1000");
	check_regsite(r_getpid, 20, FL_BASE, me, "exec_regs_preserved");
	CHECK_EQ(misses(jsite_getpid, 20, me), 0, "exec_jump_site_hot");
	CHECK_EQ(jsite_jump(SYS_getppid, 0, 0, 0), getppid(), "exec_jump_to_syscall_getppid");
	if (low) {
		int lbad = 0;
		for (int i = 0; i < 0x10000; i += 64)
			lbad += low[i] != (unsigned char)(i >> 6);
		CHECK_EQ(lbad, 0, "exec_own_0x60000_mapping_intact");
		CHECK_EQ(munmap(low, 0x10000), 0, "exec_own_0x60000_unmap");
	}
	return conf_exit();
}

/* ---- 7: signals and the FPU ---- */static void signals_fpu(void)
{
	SETUP(conf_set_action(SIGUSR1, on_sig_frame, 0));
	pid_t tid = syscall(SYS_gettid);
	struct rs *b = calloc(1, sizeof *b);
	SETUP(b ? 0 : -1);
	h_rs = b;
	h_bad_pid = 0;

	/* The signal comes at the return of the (hot) tkill site itself. */
	for (int avx = 0; avx <= have_avx; avx++) {
		void (*site)(struct rs *) = avx ? r_tkill_avx : r_tkill;
		const char *name = avx ? "tkill_site_signal_regs_ymm" : "tkill_site_signal_regs_xmm";
		char why[200];
		int failed = 0;
		for (int i = 0; i < 30 && !failed; i++) {
			rs_init_args(b, 300 + i, i % 2 ? FL_BASE | FL_DF : FL_BASE, tid, SIGUSR1, 0x1234);
			hits = 0;
			h_rip_ok = h_regs_ok = h_fp_ok = h_df_clear = 0;
			site(b);
			if (rs_diff(b, 0, avx ? 32 : 16, why, sizeof why)) {
				conf_fail(name, "call %d: %s", i + 1, why);
				failed = 1;
			} else if (hits != 1) {
				conf_fail(name, "call %d: handler ran %d times (want 1)", i + 1, hits);
				failed = 1;
			} else if (!h_rip_ok || h_rip != b->out[19]) {
				conf_fail(name, "call %d: frame rip %#lx (want rcx = %#lx)", i + 1,
					  (unsigned long)h_rip, (unsigned long)b->out[19]);
				failed = 1;
			} else if (!h_regs_ok) {
				conf_fail(name, "call %d: frame registers differ (rbx %#lx want %#lx, "
					  "eflags %#lx want %#lx)", i + 1, (unsigned long)h_rbx,
					  (unsigned long)b->in[0], (unsigned long)h_efl,
					  (unsigned long)(b->in[12] | 0x200));
				failed = 1;
			} else if (!h_fp_ok) {
				conf_fail(name, "call %d: frame fpregs differ (mxcsr %#lx want %#x, "
					  "or x87 cw, xmm3, xmm15)", i + 1, (unsigned long)h_mxcsr,
					  MXCSR_IN);
				failed = 1;
			} else if (!h_df_clear) {
				conf_fail(name, "call %d: DF set in the handler (flags %#lx before)",
					  i + 1, (unsigned long)b->in[12]);
				failed = 1;
			}
		}
		if (!failed)
			conf_ok(name);
	}
	CHECK_EQ(h_bad_pid, 0, "handler_hot_site");
	h_rs = NULL;

	/* An interval timer's signals land anywhere among register sites. */
	SETUP(conf_set_handler(SIGALRM, on_sig_fpu, SA_RESTART));
	hits = 0;
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	SETUP(setitimer(ITIMER_REAL, &it, NULL));
	double end = conf_now() + 2;
	long calls = 0;
	char why[200];
	int failed = 0;
	while (hits < 40 && !failed) {
		rs_init(b, calls, calls % 3 ? FL_BASE : FL_BASE | FL_DF);
		r_timer(b);
		calls++;
		if (rs_diff(b, me, 16, why, sizeof why)) {
			conf_fail("itimer_signals_among_regsites", "call %ld (%d signals): %s", calls,
				  (int)hits, why);
			failed = 1;
		}
		if ((calls & 255) == 0 && conf_now() > end)
			break;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	if (!failed)
		conf_ok("itimer_signals_among_regsites");
	CHECK(hits >= 10, "itimer_signals_delivered");
	signal(SIGALRM, SIG_DFL);
	free(b);

	/* A double computed across hot sites and raise()d signals whose handler
	 * changes the rounding mode and clobbers the vector registers. */
	SETUP(conf_set_handler(SIGUSR1, on_sig_fpu, 0));
	volatile double seed = 1.0;
	double want = seed, got = seed;
	for (int i = 0; i < 3000; i++)
		want = want * 1.0000001 + 1.0 / (i + 3);
	hits = 0;
	long bad = 0;
	for (int i = 0; i < 3000; i++) {
		got = got * 1.0000001 + 1.0 / (i + 3);
		bad += s_loop() != me;
		if (i % 100 == 0)
			raise(SIGUSR1);
	}
	CHECK_EQ(bad, 0, "fpu_loop_hot_site");
	CHECK_EQ(hits, 30, "fpu_loop_handler_ran_30");
	CHECK(got == want, "fpu_loop_double_exact");
	uint32_t mx;
	__asm__ volatile("stmxcsr %0" : "=m"(mx));
	CHECK_EQ(mx & 0xffc0, 0x1f80, "fpu_loop_mxcsr_default_after");
	CHECK_EQ(h_bad_pid, 0, "fpu_loop_handler_hot_site");
	signal(SIGUSR1, SIG_DFL);
}

/* ---- code in mappings of its own ---- */

/* The file offset of ADDR in its mapping (from /proc/self/maps), or -1. */
static long file_offset_of(const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	char line[512];
	long off = -1;
	unsigned long a = (unsigned long)addr;
	while (fgets(line, sizeof line, f)) {
		unsigned long s, e, o;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s %lx", &s, &e, perms, &o) == 4 && s <= a && a < e) {
			off = (long)(a - s + o);
			break;
		}
	}
	fclose(f);
	return off;
}

static unsigned char *shared_code; /* shared anonymous code, run by a child later */
static int shared_fd = -1;           /* a memfd with shared code, run by a new program later */

static void code_mappings(void)
{
	pid_t ppid = getppid();

	/* Anonymous private code, made hot, then rewritten whole by the program. */
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	memcpy(p + 64, code_getpid, 8);
	SETUP(mprotect(p, 4096, PROT_READ | PROT_EXEC));
	CHECK_EQ(call_n(p + 64, 20, me), 0, "anon_code_site");
	SETUP(mprotect(p, 4096, PROT_READ | PROT_WRITE));
	memcpy(p + 64, code_getppid, 8);
	SETUP(mprotect(p, 4096, PROT_READ | PROT_EXEC));
	CHECK_EQ(call_n(p + 64, 20, ppid), 0, "anon_code_rewritten_site");
	munmap(p, 4096);

	/* Hot code moved elsewhere (mremap): its site still returns where it now is. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	memcpy(p + 512, code_getpid, 8);      /* a site address not used before */
	SETUP(mprotect(p, 4096, PROT_READ | PROT_EXEC));
	CHECK_EQ(call_n(p + 512, 20, me), 0, "moved_code_site_hot");
	unsigned char *hole = mmap(NULL, 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(hole == MAP_FAILED ? -1 : 0);
	unsigned char *q = mremap(p, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, hole + 4096);
	SETUP(q == MAP_FAILED ? -1 : 0);
	CHECK_EQ(call_n(q + 512, 20, me), 0, "moved_code_site_runs_where_it_is");
	munmap(hole, 2 * 4096);

	/* Shared code: never rewritten (another process may run it). */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	memcpy(p + 128, code_getpid, 8);
	CHECK_EQ(call_n(p + 128, 20, me), 0, "shared_code_site");
	CHECK_EQ(memcmp(p + 128, code_getpid, 8), 0, "shared_code_bytes_unchanged");
	shared_code = p;

	/* Private file code: the file and a shared view of it never change. */
	int fd;
	SETUP(fd = memfd_create("syscall_patch", MFD_CLOEXEC));
	static unsigned char page[4096];
	memset(page, 0xcc, sizeof page);
	memcpy(page + 200, code_getpid, 8);
	SETUP(write(fd, page, sizeof page));
	unsigned char *view = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	SETUP(view == MAP_FAILED ? -1 : 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	CHECK_EQ(call_n(p + 200, 20, me), 0, "private_file_code_site");
	unsigned char got[8] = { 0 };
	CHECK_EQ(pread(fd, got, 8, 200), 8, "private_file_code_pread");
	CHECK_EQ(memcmp(got, code_getpid, 8), 0, "private_file_code_file_unchanged");
	CHECK_EQ(memcmp(view + 200, code_getpid, 8), 0, "private_file_code_shared_view_unchanged");
	unsigned char *p2 = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	SETUP(p2 == MAP_FAILED ? -1 : 0);
	CHECK_EQ(memcmp(p2 + 200, code_getpid, 8), 0, "private_file_code_new_mapping_unchanged");
	munmap(p2, 4096);
	munmap(p, 4096);
	munmap(view, 4096);
	close(fd);

	/* Shared file code: the file never changes (another program that maps
	 * it runs it as it is: code_children). */
	SETUP(shared_fd = memfd_create("syscall_patch_shared", 0));
	memset(page, 0xcc, sizeof page);
	memcpy(page + SHARED_CODE_OFF, code_getpid, 8);
	SETUP(write(shared_fd, page, sizeof page));
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, shared_fd, 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	CHECK_EQ(call_n(p + SHARED_CODE_OFF, 20, me), 0, "shared_file_code_site");
	memset(got, 0, sizeof got);
	CHECK_EQ(pread(shared_fd, got, 8, SHARED_CODE_OFF), 8, "shared_file_code_pread");
	CHECK_EQ(memcmp(got, code_getpid, 8), 0, "shared_file_code_file_unchanged");
	munmap(p, 4096);

	/* The program's own file is not written either. */
	long off = file_offset_of((const void *)jsite_getpid);
	CHECK(off >= 0, "exe_site_offset_found");
	if (off >= 0) {
		SETUP(fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
		memset(got, 0, sizeof got);
		CHECK_EQ(pread(fd, got, 7, off), 7, "exe_site_pread");
		CHECK_EQ(memcmp(got, code_getpid, 7), 0, "exe_file_site_unchanged");
		close(fd);
	}
}

/* The shared code above in a forked child and in a new program. */
static void code_children(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(call_n(shared_code + 128, 20, raw_getpid()) ? 1 : 0);
	check_child_ok(pid, "shared_code_site_in_child");
	CHECK_EQ(memcmp(shared_code + 128, code_getpid, 8), 0, "shared_code_bytes_unchanged_after_child");
	munmap(shared_code, 4096);

	char fdarg[16];
	snprintf(fdarg, sizeof fdarg, "%d", shared_fd);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "syscall_patch", "exec-child-shared", fdarg, (char *)NULL);
		_exit(127);
	}
	check_child_ok(pid, "shared_file_code_in_new_program");
	unsigned char got[8] = { 0 };
	CHECK_EQ(pread(shared_fd, got, 8, SHARED_CODE_OFF), 8, "shared_file_code_pread_after");
	CHECK_EQ(memcmp(got, code_getpid, 8), 0, "shared_file_code_file_unchanged_after");
	close(shared_fd);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return exec_child(0);
	if (argc > 1 && strcmp(argv[1], "exec-child-table") == 0)
		return exec_child(1);
	if (argc > 2 && strcmp(argv[1], "exec-child-shared") == 0)
		return exec_child_shared(argv[2]);
	me = raw_getpid();
	__builtin_cpu_init();
	have_avx = !!__builtin_cpu_supports("avx");

	/* Without a fork first: a runtime may rewrite only code no other
	 * process shares (not yet copy-on-write). */
	hot_sites();
	registers();
	jumps();
	single_step();
	threads();
	signals_fpu();
	code_mappings();
	restarts_warm();
	/* Forks from here on. */
	fork_while_thread();
	restarts();
	forks();
	code_children();
	return conf_exit();
}
