/*
 * The stub: the only code in a guest address space besides the guest's.
 * It is copied into the MemoryFile and mapped at STUB_BASE in every stub
 * process. Position independent; uses no stack.
 *
 * The stub region: this code page, the op pages (read-only) and a scratch
 * page for recvmsg (writable), STUB_SIZE bytes.
 *
 * stub_init (offset 0): unmap everything but the stub region and [r12, r13)
 *   (the vDSO block; r13 == 0: nothing kept), then stop.
 * stub_batch: run r13 syscalls described at r12 (7 quadwords each: nr and
 *   six arguments), stopping early at the first error; on the int3, r14
 *   holds the number completed and rax the last result.
 */
#define STUB_BASE 0x7ffffff00000
#define STUB_SIZE 0x5000
#define TASK_MAX 0x7ffffffff000

	.text
	.balign 4096
	.globl stub_code_start, stub_code_end, stub_batch
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
	.balign 64
stub_code_end:

	.section .note.GNU-stack, "", @progbits
