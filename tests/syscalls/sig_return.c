/* rt_sigreturn: registers a handler clobbers (general, xmm0-15, mxcsr) are
 * restored from the signal frame; the red zone below rsp survives the frame;
 * the handler sees the interrupted values in its ucontext (gregs and
 * fpregs), starts with a default mxcsr, and edits to the ucontext take
 * effect on return. The signal is sent by tgkill from inside one asm block
 * that loads the registers before and stores them after the syscall. */
#include "conformance.h"
#include <signal.h>
#include <stddef.h>
#include <ucontext.h>

struct frame {
	uint8_t xin[16][16];  /* 0 */
	uint8_t xout[16][16]; /* 256 */
	uint64_t gin[8];      /* 512: r8 r9 r10 r12 r13 r14 rbx (7: unused) */
	uint64_t gout[8];     /* 576: same order, 7: rdx after the syscall */
	uint64_t rzin[16];    /* 640 */
	uint64_t rzout[16];   /* 768 */
	uint32_t mx_in;       /* 896 */
	uint32_t mx_out;      /* 900 */
	int32_t pid;          /* 904 */
	int32_t tid;          /* 908 */
};
_Static_assert(offsetof(struct frame, gin) == 512, "layout");
_Static_assert(offsetof(struct frame, rzin) == 640, "layout");
_Static_assert(offsetof(struct frame, mx_in) == 896, "layout");
_Static_assert(offsetof(struct frame, tid) == 908, "layout");

static struct frame fr;
static volatile int mode; /* 0: clobber only; 1: also edit the ucontext */
static volatile uint32_t h_mxcsr;
static volatile int h_calls, h_xmm3_seen, h_r9_seen, h_rip_ok;

#define XMM_LOAD(n) "movdqu " #n "*16(%%r15), %%xmm" #n "\n"
#define XMM_STORE(n) "movdqu %%xmm" #n ", 256+" #n "*16(%%r15)\n"

static __attribute__((noinline)) void run_frame(struct frame *f)
{
	asm volatile(
		"mov %[p], %%r15\n"
		XMM_LOAD(0) XMM_LOAD(1) XMM_LOAD(2) XMM_LOAD(3)
		XMM_LOAD(4) XMM_LOAD(5) XMM_LOAD(6) XMM_LOAD(7)
		XMM_LOAD(8) XMM_LOAD(9) XMM_LOAD(10) XMM_LOAD(11)
		XMM_LOAD(12) XMM_LOAD(13) XMM_LOAD(14) XMM_LOAD(15)
		"ldmxcsr 896(%%r15)\n"
		"sub $256, %%rsp\n"
		"xor %%ecx, %%ecx\n"
		"1: mov 640(%%r15,%%rcx,8), %%rax\n"
		"mov %%rax, -128(%%rsp,%%rcx,8)\n"
		"inc %%ecx\n"
		"cmp $16, %%ecx\n"
		"jne 1b\n"
		"mov 512(%%r15), %%r8\n"
		"mov 520(%%r15), %%r9\n"
		"mov 528(%%r15), %%r10\n"
		"mov 536(%%r15), %%r12\n"
		"mov 544(%%r15), %%r13\n"
		"mov 552(%%r15), %%r14\n"
		"mov 560(%%r15), %%rbx\n"
		"movslq 904(%%r15), %%rdi\n"
		"movslq 908(%%r15), %%rsi\n"
		"mov $10, %%edx\n" /* SIGUSR1 */
		"mov $234, %%eax\n" /* SYS_tgkill */
		"syscall\n"
		"mov %%r8, 576(%%r15)\n"
		"mov %%r9, 584(%%r15)\n"
		"mov %%r10, 592(%%r15)\n"
		"mov %%r12, 600(%%r15)\n"
		"mov %%r13, 608(%%r15)\n"
		"mov %%r14, 616(%%r15)\n"
		"mov %%rbx, 624(%%r15)\n"
		"mov %%rdx, 632(%%r15)\n"
		XMM_STORE(0) XMM_STORE(1) XMM_STORE(2) XMM_STORE(3)
		XMM_STORE(4) XMM_STORE(5) XMM_STORE(6) XMM_STORE(7)
		XMM_STORE(8) XMM_STORE(9) XMM_STORE(10) XMM_STORE(11)
		XMM_STORE(12) XMM_STORE(13) XMM_STORE(14) XMM_STORE(15)
		"stmxcsr 900(%%r15)\n"
		"xor %%ecx, %%ecx\n"
		"2: mov -128(%%rsp,%%rcx,8), %%rax\n"
		"mov %%rax, 768(%%r15,%%rcx,8)\n"
		"inc %%ecx\n"
		"cmp $16, %%ecx\n"
		"jne 2b\n"
		"add $256, %%rsp\n"
		"mov $0x1f80, %%eax\n" /* back to the default mxcsr */
		"mov %%eax, -4(%%rsp)\n"
		"ldmxcsr -4(%%rsp)\n"
		:
		: [p] "m"(f)
		: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		  "r12", "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
		  "xmm13", "xmm14", "xmm15", "memory", "cc");
}

static void handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	uint32_t mx;
	asm volatile("stmxcsr %0" : "=m"(mx));
	h_mxcsr = mx;
	h_calls++;
	h_xmm3_seen = uc->uc_mcontext.fpregs &&
		      memcmp(&uc->uc_mcontext.fpregs->_xmm[3], fr.xin[3], 16) == 0;
	h_r9_seen = (uint64_t)uc->uc_mcontext.gregs[REG_R9] == fr.gin[1];
	uintptr_t rip = uc->uc_mcontext.gregs[REG_RIP];
	h_rip_ok = rip > (uintptr_t)run_frame && rip < (uintptr_t)run_frame + 4096;
	/* Clobber what the interrupted code holds. */
	uint32_t mxd = 0x1f80 | 0x6000; /* round toward zero */
	asm volatile("pcmpeqd %%xmm0, %%xmm0\n"
		     "movdqa %%xmm0, %%xmm1\nmovdqa %%xmm0, %%xmm2\nmovdqa %%xmm0, %%xmm3\n"
		     "movdqa %%xmm0, %%xmm4\nmovdqa %%xmm0, %%xmm5\nmovdqa %%xmm0, %%xmm6\n"
		     "movdqa %%xmm0, %%xmm7\nmovdqa %%xmm0, %%xmm8\nmovdqa %%xmm0, %%xmm9\n"
		     "movdqa %%xmm0, %%xmm10\nmovdqa %%xmm0, %%xmm11\nmovdqa %%xmm0, %%xmm12\n"
		     "movdqa %%xmm0, %%xmm13\nmovdqa %%xmm0, %%xmm14\nmovdqa %%xmm0, %%xmm15\n"
		     "mov $-1, %%r8\nmov $-1, %%r9\nmov $-1, %%r10\nmov $-1, %%r11\n"
		     "ldmxcsr %0\n"
		     :
		     : "m"(mxd)
		     : "r8", "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		       "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
		       "xmm13", "xmm14", "xmm15");
	if (mode == 1) {
		uc->uc_mcontext.gregs[REG_R13] = 0xabcdef;
		if (uc->uc_mcontext.fpregs) {
			memset(&uc->uc_mcontext.fpregs->_xmm[5], 0x5a, 16);
			uc->uc_mcontext.fpregs->mxcsr = 0x1f80 | 0x2000; /* round down */
		}
	}
}

static void fill(void)
{
	memset(&fr, 0, sizeof fr);
	for (int r = 0; r < 16; r++)
		for (int b = 0; b < 16; b++)
			fr.xin[r][b] = (uint8_t)(r * 16 + b + 1);
	for (int i = 0; i < 7; i++)
		fr.gin[i] = 0x1122334455667700ULL + i;
	for (int i = 0; i < 16; i++)
		fr.rzin[i] = 0xfeed000000000000ULL + i;
	fr.mx_in = 0x1f80 | 0x4000; /* round up */
	fr.pid = getpid();
	fr.tid = syscall(SYS_gettid);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	SETUP(sigaction(SIGUSR1, &sa, NULL));

	fill();
	mode = 0;
	run_frame(&fr);
	CHECK_EQ(h_calls, 1, "handler_ran");
	CHECK_EQ(h_mxcsr, 0x1f80, "handler_starts_with_default_mxcsr");
	CHECK(h_xmm3_seen, "ucontext_fpregs_has_interrupted_xmm3");
	CHECK(h_r9_seen, "ucontext_gregs_has_interrupted_r9");
	CHECK(h_rip_ok, "ucontext_rip_in_interrupted_function");
	static const char *gname[] = { "r8", "r9", "r10", "r12", "r13", "r14", "rbx" };
	for (int i = 0; i < 7; i++) {
		char n[64];
		snprintf(n, sizeof n, "restored_%s", gname[i]);
		CHECK_EQ(fr.gout[i], fr.gin[i], n);
	}
	CHECK_EQ(fr.gout[7], SIGUSR1, "restored_rdx_syscall_arg");
	for (int r = 0; r < 16; r++) {
		char n[64];
		snprintf(n, sizeof n, "restored_xmm%d", r);
		CHECK(memcmp(fr.xout[r], fr.xin[r], 16) == 0, n);
	}
	CHECK_EQ(fr.mx_out, fr.mx_in, "restored_mxcsr");
	CHECK(memcmp(fr.rzout, fr.rzin, sizeof fr.rzin) == 0, "red_zone_preserved");

	/* Edits to the ucontext are what the interrupted code gets back. */
	fill();
	mode = 1;
	run_frame(&fr);
	CHECK_EQ(h_calls, 2, "edit_handler_ran");
	CHECK_EQ(fr.gout[4], 0xabcdef, "edited_r13_returned");
	CHECK_EQ(fr.gout[3], fr.gin[3], "unedited_r12_restored");
	uint8_t want5[16];
	memset(want5, 0x5a, 16);
	CHECK(memcmp(fr.xout[5], want5, 16) == 0, "edited_xmm5_returned");
	CHECK(memcmp(fr.xout[6], fr.xin[6], 16) == 0, "unedited_xmm6_restored");
	CHECK_EQ(fr.mx_out, 0x1f80 | 0x2000, "edited_mxcsr_returned");

	signal(SIGUSR1, SIG_DFL);
	return conf_exit();
}
