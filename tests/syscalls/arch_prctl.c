/* arch_prctl: FS/GS base. */
#include "conformance.h"
#include <asm/prctl.h>
#include <pthread.h>

static __thread int tls_var = 42;

static long raw_syscall2(long n, long a, long b)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

/* Sets FS to VAL, reads it back, restores ORIG: no TLS access (and no stack
 * protector, which reads %fs:0x28) between the calls. */
static __attribute__((noinline, no_stack_protector)) long
fs_roundtrip(unsigned long val, unsigned long orig, unsigned long *seen)
{
	long r1 = raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, val);
	long r2 = raw_syscall2(SYS_arch_prctl, ARCH_GET_FS, (long)seen);
	long r3 = raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, orig);
	return r1 | r2 | r3;
}

int main(void)
{
	unsigned long fs = 0, gs = 1, self;
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0, "get_fs");
	CHECK(fs != 0, "fs_nonzero");
	CHECK_EQ(fs, (unsigned long)pthread_self(), "fs_is_thread_pointer");
	__asm__("mov %%fs:0, %0" : "=r"(self));
	CHECK_EQ(self, fs, "fs_0_points_to_itself");
	unsigned long tv = (unsigned long)&tls_var;
	CHECK(tv < fs && fs - tv < (1UL << 20), "tls_var_below_fs");
	CHECK_EQ(tls_var, 42, "tls_var_value");

	unsigned long seen = 0;
	static char fake_tcb[4096];
	*(unsigned long *)fake_tcb = (unsigned long)fake_tcb;
	CHECK_EQ(fs_roundtrip((unsigned long)fake_tcb, fs, &seen), 0, "set_fs_roundtrip");
	CHECK_EQ(seen, (unsigned long)fake_tcb, "set_fs_read_back");
	unsigned long after = 0;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &after);
	CHECK_EQ(after, fs, "fs_restored");
	CHECK_EQ(tls_var, 42, "tls_still_works");

	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0, "get_gs");
	CHECK_EQ(gs, 0, "gs_zero");
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, 0x12345000UL), 0, "set_gs");
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
	CHECK_EQ(gs, 0x12345000UL, "set_gs_read_back");
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL);

	CHECK_ERR(syscall(SYS_arch_prctl, 0x9999, &fs), EINVAL, "bad_code");
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_GET_FS, BAD_PTR), EFAULT, "get_fs_efault");
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL), EPERM, "set_fs_noncanonical");
	return conf_exit();
}
