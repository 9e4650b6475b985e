/*
 * The stub: the only code in a guest address space besides the guest's.
 * It is copied into the MemoryFile and mapped at STUB_BASE in every stub
 * process. Position independent; uses no stack.
 *
 * The stub region: this code page, the op pages (read-only), a scratch
 * page for recvmsg, the seccomp-trap channel page and the guest thread's
 * signal stack (writable), STUB_SIZE bytes.
 *
 * stub_init (offset 0): unmap everything but the stub region and [r12, r13)
 *   (the vDSO block; r13 == 0: nothing kept), then stop.
 * stub_batch: run r13 syscalls described at r12 (7 quadwords each: nr and
 *   six arguments), stopping early at the first error; on the int3, r14
 *   holds the number completed, rax the last result and r15 a clone op's.
 *
 * Seccomp-trap mode (systrap.c): the stub process has a
 * second thread that runs the guest, untraced.
 * stub_clone_thread: called by the child before it unmaps the sentry's
 *   image: clones the guest thread, which starts in this page.
 * stub_thread_start: that thread's first code: its signal
 *   stack, its own seccomp filter (both described in the channel page),
 *   then a getpid the filter traps, whose SIGSYS is its first event.
 * stub_sig_handler: every guest event (SIGSYS for a syscall, a fault, the
 *   interrupt signal) lands here, on the signal stack with every signal
 *   blocked: it saves the frame's address and fs/gs bases in the channel,
 *   posts the event, waits (spinning for a while, then on the futex) until
 *   the sentry has rewritten the frame and says go, restores fs/gs and
 *   returns through stub_sig_restorer (rt_sigreturn) into guest code.
 */
#define STUB_BASE 0x7ffffff00000
#define STUB_SIZE 0x16000
/* CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM (systrap.c) */
#define GUEST_THREAD_FLAGS 0x50f00
#define CHAN (STUB_BASE + 0x5000)
/* Channel fields (struct systrap_chan in ptrace.c). */
#define CH_STATE 0
#define CH_SENTRY_SLEEPING 4
#define CH_STUB_SLEEPING 8
#define CH_INFO 16
#define CH_UC 24
#define CH_FSBASE 32
#define CH_GSBASE 40
#define CH_SPIN 48
#define CH_YIELD 56
#define CH_SS 64
#define CH_KIND 96
#define CH_FAST_CMD 100
#define CH_IN_FAST 104
#define CH_INTR 108
#define CH_FPROG 128
/* The fast path's saved registers (struct systrap_fast), at CH_FAST. */
#define CH_FAST 1024
#define F_RAX (CH_FAST + 0)
#define F_RBX (CH_FAST + 8)
#define F_RCX (CH_FAST + 16)
#define F_RDX (CH_FAST + 24)
#define F_RSI (CH_FAST + 32)
#define F_RDI (CH_FAST + 40)
#define F_RBP (CH_FAST + 48)
#define F_RSP (CH_FAST + 56)
#define F_R8 (CH_FAST + 64)
#define F_R9 (CH_FAST + 72)
#define F_R10 (CH_FAST + 80)
#define F_R11 (CH_FAST + 88)
#define F_R12 (CH_FAST + 96)
#define F_R13 (CH_FAST + 104)
#define F_R14 (CH_FAST + 112)
#define F_R15 (CH_FAST + 120)
#define F_RIP (CH_FAST + 128)
#define F_RFLAGS (CH_FAST + 136)
#define INTERRUPT_SIGNAL 10
#define ST_EVENT 1
#define ST_GO 2
#define TASK_MAX 0x7ffffffff000
/* A channel field addressed rip-relative: the stub page and the channel keep their distance. */
#define CHF(off) (stub_code_start + (CHAN - STUB_BASE) + (off))(%rip)

	.text
	.balign 4096
	.globl stub_code_start, stub_code_end, stub_batch
	.globl stub_clone_thread, stub_sig_handler, stub_sig_restorer
	.globl stub_rebase
	/* The return addresses of the guest thread's only allowed host syscalls (its filter). */
	.globl stub_ret_futex_wake, stub_ret_futex_wait, stub_ret_yield, stub_ret_sigreturn
	.globl stub_fast_entry, stub_fast_return, stub_fast_end, stub_ret_resync
stub_code_start:
	test %r13, %r13
	jz 3f
	/* munmap(0, r12); munmap(r13, STUB_BASE - r13) */
	mov $11, %eax
	xor %edi, %edi
	mov %r12, %rsi
	syscall
	mov $11, %eax
	mov %r13, %rdi
	movabs $STUB_BASE, %rsi
	sub %r13, %rsi
	syscall
	jmp 4f
3:	/* munmap(0, STUB_BASE) */
	mov $11, %eax
	xor %edi, %edi
	movabs $STUB_BASE, %rsi
	syscall
4:
	/* munmap(STUB_BASE + STUB_SIZE, TASK_MAX - STUB_BASE - STUB_SIZE) */
	mov $11, %eax
	movabs $(STUB_BASE + STUB_SIZE), %rdi
	movabs $(TASK_MAX - STUB_BASE - STUB_SIZE), %rsi
	syscall
	int3
	/* Never resumed here without new registers. */
	ud2

stub_batch:
	xor %r14, %r14
1:	cmp %r13, %r14
	jae 2f
	mov (%r12), %rax
	mov 8(%r12), %rdi
	mov 16(%r12), %rsi
	mov 24(%r12), %rdx
	mov 32(%r12), %r10
	mov 40(%r12), %r8
	mov 48(%r12), %r9
	syscall
	/* The child of a clone op (a seed: plat_ctx_seed) leaves the batch; r15: the parent's result. */
	cmpq $56, (%r12)
	jne 3f
	test %rax, %rax
	jz stub_seed_child
	mov %rax, %r15
3:	cmp $-4095, %rax
	jae 2f
	add $56, %r12
	inc %r14
	jmp 1b
2:	int3
	ud2

/*
 * A seed: the fork of a stub's traced thread, for a new guest thread of
 * the same address space. It waits (a second at most, then exits) for
 * the new thread's sentry thread to PTRACE_SEIZE it.
 */
stub_seed_child:
	mov $202, %eax
	lea seed_zero(%rip), %rdi
	xor %esi, %esi                  /* FUTEX_WAIT on a word that stays 0 */
	xor %edx, %edx
	lea seed_timeout(%rip), %r10
	syscall
	mov $231, %eax
	xor %edi, %edi
	syscall
	ud2
	.balign 16
seed_timeout:
	.quad 1, 0
seed_zero:
	.quad 0

/*
 * clone(rdi, rsi, 0, 0, 0) of the guest thread, whose first instruction is
 * stub_thread_start, in the stub page; the caller has rax (the tid).
 */
.macro CLONE_GUEST_THREAD
	mov $56, %eax
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	syscall
	test %rax, %rax
	jz stub_thread_start
.endm

/* stub_rebase's membarrier(edi, 0, 0) (0: none, counted all the same): to 9f on a failure. */
.macro SEED_MEMBARRIER
	test %edi, %edi
	jz 1f
	mov $324, %eax
	xor %esi, %esi
	xor %edx, %edx
	syscall
	cmp $-4095, %rax
	jae 9f
1:	inc %ebx
.endm

/*
 * A seed made a stub (plat_ctx_adopt), in one stop: its own stub pages
 * over its parent's (r12 the MemoryFile offset of its op pages, r13 the
 * fd of its own socket's end, r14 the MemoryFile fd, r15 the socket's
 * fixed number), the membarrier registrations in ebp and in rbp's high
 * half (0: none), then its guest thread. On the int3, rbx counts the
 * steps that succeeded (8: all) and rax holds the last result (then the
 * guest thread's tid).
 */
stub_rebase:
	xor %ebx, %ebx
	/* mmap(STUB_OPS_ADDR, 0x3000, PROT_READ, MAP_SHARED | MAP_FIXED, memfd, r12) */
	mov $9, %eax
	movabs $(STUB_BASE + 0x1000), %rdi
	mov $0x3000, %esi
	mov $1, %edx
	mov $0x11, %r10d
	mov %r14, %r8
	mov %r12, %r9
	syscall
	cmp $-4095, %rax
	jae 9f
	inc %ebx
	/* the scratch page, then the channel page and the signal stack: read+write */
	mov $9, %eax
	movabs $(STUB_BASE + 0x4000), %rdi
	mov $0x1000, %esi
	mov $3, %edx
	mov $0x11, %r10d
	mov %r14, %r8
	lea 0x3000(%r12), %r9
	syscall
	cmp $-4095, %rax
	jae 9f
	inc %ebx
	mov $9, %eax
	movabs $CHAN, %rdi
	mov $(STUB_SIZE - 0x5000), %esi
	mov $3, %edx
	mov $0x11, %r10d
	mov %r14, %r8
	lea 0x4000(%r12), %r9
	syscall
	cmp $-4095, %rax
	jae 9f
	inc %ebx
	/* dup2(r13, r15): its own socket at the fixed number; close(r13) */
	mov $33, %eax
	mov %r13, %rdi
	mov %r15, %rsi
	syscall
	cmp $-4095, %rax
	jae 9f
	inc %ebx
	mov $3, %eax
	mov %r13, %rdi
	syscall
	cmp $-4095, %rax
	jae 9f
	inc %ebx
	/* membarrier(ebp, 0, 0), then membarrier(rbp >> 32, 0, 0) */
	mov %ebp, %edi
	SEED_MEMBARRIER
	mov %rbp, %rdi
	shr $32, %rdi
	SEED_MEMBARRIER
	/* the guest thread, on the signal stack at the top of the stub's pages */
	mov $GUEST_THREAD_FLAGS, %edi
	movabs $(STUB_BASE + STUB_SIZE), %rsi
	CLONE_GUEST_THREAD
	cmp $-4095, %rax
	jae 9f
	inc %ebx
9:	int3
	ud2

/* A new stub's guest thread, called by the child before it unmaps the sentry's image. */
stub_clone_thread:
	CLONE_GUEST_THREAD
	ret

stub_thread_start:
	/* sigaltstack(&chan->ss, NULL) */
	mov $131, %eax
	movabs $(CHAN + CH_SS), %rdi
	xor %esi, %esi
	syscall
	test %rax, %rax
	jnz 9f
	/* seccomp(SECCOMP_SET_MODE_FILTER, 0, &chan->fprog) */
	mov $317, %eax
	mov $1, %edi
	xor %esi, %esi
	movabs $(CHAN + CH_FPROG), %rdx
	syscall
	test %rax, %rax
	jnz 9f
	/* getpid, trapped: the first event */
	mov $39, %eax
	syscall
	ud2
9:	mov $231, %eax
	mov $127, %edi
	syscall
	ud2

stub_sig_handler:
	/* rdi: signal, rsi: siginfo, rdx: ucontext */
	movabs $CHAN, %rbx
	/*
	 * The interrupt inside the fast path: it is on its way to the sentry
	 * (or back from it, and then looks at CH_INTR before it returns).
	 */
	cmp $INTERRUPT_SIGNAL, %edi
	jne 1f
	cmpl $0, CH_IN_FAST(%rbx)
	je 1f
	movl $1, CH_INTR(%rbx)
	ret
1:	mov %rsi, CH_INFO(%rbx)
	mov %rdx, CH_UC(%rbx)
	movl $0, CH_KIND(%rbx)
	rdfsbase %rax
	mov %rax, CH_FSBASE(%rbx)
	rdgsbase %rax
	mov %rax, CH_GSBASE(%rbx)
	call stub_post_wait
	mov CH_FSBASE(%rbx), %rax
	wrfsbase %rax
	mov CH_GSBASE(%rbx), %rax
	wrgsbase %rax
	movl $0, CH_STATE(%rbx)
	ret

/*
 * Post the event and wait until the sentry says go; rbx: the channel (and
 * again on return). Shared by the handler and the fast path, so that the
 * filter's allowed return addresses are the same for both.
 */
stub_post_wait:
	movl $ST_EVENT, CH_STATE(%rbx)
	mfence
	cmpl $0, CH_SENTRY_SLEEPING(%rbx)
	je 2f
	/* futex(&state, FUTEX_WAKE, 1): the sentry sleeps on it */
	mov $202, %eax
	mov %rbx, %rdi
	mov $1, %esi
	mov $1, %edx
	syscall
stub_ret_futex_wake:
	movabs $CHAN, %rbx      /* never trust a register across a syscall a guest may have made */
2:	/* spin for chan->spin TSC cycles, then sleep on the futex */
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, %r12
3:	cmpl $ST_GO, CH_STATE(%rbx)
	je 5f
	cmpl $0, CH_YIELD(%rbx)
	je 4f
	/* sched_yield: a spinning thread gives way to any other on its CPU */
	mov $24, %eax
	syscall
stub_ret_yield:
	movabs $CHAN, %rbx
	jmp 6f
4:	pause
6:
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	sub %r12, %rax
	cmp CH_SPIN(%rbx), %rax
	jb 3b
	movl $1, CH_STUB_SLEEPING(%rbx)
	mfence
	/* futex(&state, FUTEX_WAIT, ST_EVENT, NULL) */
	mov $202, %eax
	mov %rbx, %rdi
	xor %esi, %esi
	mov $ST_EVENT, %edx
	xor %r10, %r10
	syscall
stub_ret_futex_wait:
	movabs $CHAN, %rbx
	movl $0, CH_STUB_SLEEPING(%rbx)
	cmpl $ST_GO, CH_STATE(%rbx)
	jne 2b
5:	ret

/*
 * The fast path: a patched syscall site ("mov $nr, %eax; syscall" made a
 * jump through the sentry's trap table, sentry/usertrap.c) arrives here
 * with eax the number, rcx the return address and the guest's own stack,
 * whose red zone must stay untouched. It saves the registers in the
 * channel (no signal frame, no XSAVE: this code never touches the FPU, so
 * the guest's stays live in the thread), posts a syscall event and waits.
 * On go it restores what the sentry wrote there and jumps back, or (fast
 * command set: the sentry needs the FPU state or a full frame) makes a
 * trapped syscall, whose SIGSYS frame the sentry takes from there on.
 * CH_IN_FAST makes the handler ignore the interrupt signal meanwhile
 * (noting it in CH_INTR, which the way back checks).
 */
stub_fast_entry:
	movl $1, CHF(CH_IN_FAST)
	mov %rsp, CHF(F_RSP)
	lea (stub_code_start + STUB_SIZE)(%rip), %rsp    /* the top of the signal stack */
	pushfq
	pop %r11
	mov %r11, CHF(F_RFLAGS)
	mov %r11, CHF(F_R11)
	mov %rax, CHF(F_RAX)
	mov %rbx, CHF(F_RBX)
	mov %rcx, CHF(F_RCX)
	mov %rcx, CHF(F_RIP)
	mov %rdx, CHF(F_RDX)
	mov %rsi, CHF(F_RSI)
	mov %rdi, CHF(F_RDI)
	mov %rbp, CHF(F_RBP)
	mov %r8, CHF(F_R8)
	mov %r9, CHF(F_R9)
	mov %r10, CHF(F_R10)
	mov %r12, CHF(F_R12)
	mov %r13, CHF(F_R13)
	mov %r14, CHF(F_R14)
	mov %r15, CHF(F_R15)
	movabs $CHAN, %rbx
	rdfsbase %rax
	mov %rax, CH_FSBASE(%rbx)
	rdgsbase %rax
	mov %rax, CH_GSBASE(%rbx)
	movl $1, CH_KIND(%rbx)
	movl $0, CH_INTR(%rbx)
	call stub_post_wait
	cmpl $0, CH_FAST_CMD(%rbx)
	jne 7f
stub_fast_return:
	movl $0, CH_IN_FAST(%rbx)
	mfence
	cmpl $0, CH_INTR(%rbx)
	jne 7f
	mov CH_FSBASE(%rbx), %rax
	wrfsbase %rax
	mov CH_GSBASE(%rbx), %rax
	wrgsbase %rax
	mov CHF(F_RFLAGS), %rax
	push %rax
	popfq
	movl $0, CH_STATE(%rbx)
	mov CHF(F_RSP), %rsp
	mov CHF(F_RAX), %rax
	mov CHF(F_RCX), %rcx
	mov CHF(F_RDX), %rdx
	mov CHF(F_RSI), %rsi
	mov CHF(F_RDI), %rdi
	mov CHF(F_RBP), %rbp
	mov CHF(F_R8), %r8
	mov CHF(F_R9), %r9
	mov CHF(F_R10), %r10
	mov CHF(F_R11), %r11
	mov CHF(F_R12), %r12
	mov CHF(F_R13), %r13
	mov CHF(F_R14), %r14
	mov CHF(F_R15), %r15
	mov CHF(F_RBX), %rbx
	jmp *CHF(F_RIP)
7:	/* a trapped getpid: its SIGSYS frame is what the sentry rewrites from now on */
	movl $0, CH_IN_FAST(%rbx)      /* (CH_INTR stays for the sentry to see) */
	mov $39, %eax
	syscall
stub_ret_resync:
	ud2
stub_fast_end:

stub_sig_restorer:
	mov $15, %eax
	syscall
stub_ret_sigreturn:
	ud2
	.balign 64
stub_code_end:

	.section .note.GNU-stack, "", @progbits
