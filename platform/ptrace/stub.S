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
 *   holds the number completed and rax the last result.
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
#define CH_FPROG 128
#define ST_EVENT 1
#define ST_GO 2
#define TASK_MAX 0x7ffffffff000

	.text
	.balign 4096
	.globl stub_code_start, stub_code_end, stub_batch
	.globl stub_clone_thread, stub_sig_handler, stub_sig_restorer
	/* The return addresses of the guest thread's only allowed host syscalls (its filter). */
	.globl stub_ret_futex_wake, stub_ret_futex_wait, stub_ret_yield, stub_ret_sigreturn
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
	cmp $-4095, %rax
	jae 2f
	add $56, %r12
	inc %r14
	jmp 1b
2:	int3
	ud2

stub_clone_thread:
	/* clone(rdi, rsi, 0, 0, 0): the new thread's first instruction is here, in the stub page */
	mov $56, %eax
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	syscall
	test %rax, %rax
	jz stub_thread_start
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
	mov %rsi, CH_INFO(%rbx)
	mov %rdx, CH_UC(%rbx)
	rdfsbase %rax
	mov %rax, CH_FSBASE(%rbx)
	rdgsbase %rax
	mov %rax, CH_GSBASE(%rbx)
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
5:	mov CH_FSBASE(%rbx), %rax
	wrfsbase %rax
	mov CH_GSBASE(%rbx), %rax
	wrgsbase %rax
	movl $0, CH_STATE(%rbx)
	ret

stub_sig_restorer:
	mov $15, %eax
	syscall
stub_ret_sigreturn:
	ud2
	.balign 64
stub_code_end:

	.section .note.GNU-stack, "", @progbits
