/* sigaltstack and SA_ONSTACK: a handler runs on the alternate stack only
 * with SA_ONSTACK, sees SS_ONSTACK, cannot change the stack while on it; a
 * stack overflow is handled on the alternate stack; argument errors. */
#include "conformance.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>

static char *alt_lo, *alt_hi;
static volatile uintptr_t handler_sp;
static volatile int handler_flags, handler_ss_ret, handler_ss_errno, in_alt;
static sigjmp_buf env;

static void on_usr1(int sig)
{
	(void)sig;
	volatile char here;
	handler_sp = (uintptr_t)&here;
	stack_t cur;
	sigaltstack(NULL, &cur);
	handler_flags = cur.ss_flags;
	stack_t nw = { .ss_sp = alt_lo, .ss_size = alt_hi - alt_lo, .ss_flags = 0 };
	handler_ss_ret = sigaltstack(&nw, NULL);
	handler_ss_errno = errno;
}

static void on_segv(int sig)
{
	(void)sig;
	volatile char here;
	in_alt = (char *)&here >= alt_lo && (char *)&here < alt_hi;
	siglongjmp(env, 1);
}

static int recurse(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	if (n == opaque(-1))
		return 0;
	return recurse(n + 1) + pad[0];
}

int main(void)
{
	size_t sz = 64 * 1024;
	alt_lo = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(alt_lo == MAP_FAILED ? -1 : 0);
	alt_hi = alt_lo + sz;

	stack_t old;
	CHECK_EQ(sigaltstack(NULL, &old), 0, "query_initial");
	CHECK_EQ(old.ss_flags, SS_DISABLE, "initially_disabled");

	stack_t ss = { .ss_sp = alt_lo, .ss_size = sz, .ss_flags = 0 };
	CHECK_EQ(sigaltstack(&ss, NULL), 0, "install");
	CHECK_EQ(sigaltstack(NULL, &old), 0, "query_installed");
	CHECK(old.ss_sp == alt_lo && old.ss_size == sz && old.ss_flags == 0, "installed_reads_back");

	/* Handler with SA_ONSTACK: on the alternate stack. */
	SETUP(conf_set_handler(SIGUSR1, on_usr1, SA_ONSTACK));
	volatile char main_local;
	raise(SIGUSR1);
	CHECK(handler_sp >= (uintptr_t)alt_lo && handler_sp < (uintptr_t)alt_hi, "onstack_handler_on_alt_stack");
	CHECK_EQ(handler_flags, SS_ONSTACK, "in_handler_ss_onstack");
	CHECK_EQ(handler_ss_ret, -1, "change_while_on_stack_fails");
	CHECK_EQ(handler_ss_errno, EPERM, "change_while_on_stack_eperm");
	CHECK_EQ(sigaltstack(NULL, &old), 0, "query_after_handler");
	CHECK_EQ(old.ss_flags, 0, "after_handler_not_onstack");

	/* Without SA_ONSTACK: on the normal stack, flags show not on stack. */
	SETUP(conf_set_handler(SIGUSR1, on_usr1, 0));
	handler_sp = 0;
	raise(SIGUSR1);
	CHECK(handler_sp < (uintptr_t)alt_lo || handler_sp >= (uintptr_t)alt_hi, "plain_handler_not_on_alt_stack");
	CHECK(handler_sp < (uintptr_t)&main_local && handler_sp > (uintptr_t)&main_local - 65536,
	      "plain_handler_below_main_stack");
	CHECK_EQ(handler_flags, 0, "plain_handler_flags_0");
	CHECK_EQ(handler_ss_ret, 0, "change_off_stack_ok");

	/* Stack overflow: SIGSEGV handled on the alternate stack. */
	SETUP(conf_set_handler(SIGSEGV, on_segv, SA_ONSTACK));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 1 << 20, 1 << 20 };
		setrlimit(RLIMIT_STACK, &rl);
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
		if (sigsetjmp(env, 1) == 0) {
			recurse(0);
			_exit(2);
		}
		_exit(in_alt ? 0 : 1);
	}
	check_child_ok(pid, "stack_overflow_handled_on_alt_stack");
	signal(SIGSEGV, SIG_DFL);

	/* Errors. */
	ss.ss_size = 1024; /* below the kernel minimum of 2048 */
	CHECK_ERR(sigaltstack(&ss, NULL), ENOMEM, "too_small_enomem");
	ss.ss_size = sz;
	ss.ss_flags = 0x1234;
	CHECK_ERR(sigaltstack(&ss, NULL), EINVAL, "bad_flags_einval");
	CHECK_ERR(sigaltstack(BAD_PTR, NULL), EFAULT, "bad_pointer_efault");

	/* Disable. */
	ss.ss_flags = SS_DISABLE;
	CHECK_EQ(sigaltstack(&ss, NULL), 0, "disable");
	CHECK_EQ(sigaltstack(NULL, &old), 0, "query_disabled");
	CHECK_EQ(old.ss_flags, SS_DISABLE, "disabled_reads_back");
	SETUP(conf_set_handler(SIGUSR1, on_usr1, SA_ONSTACK));
	handler_sp = 0;
	raise(SIGUSR1);
	CHECK(handler_sp < (uintptr_t)alt_lo || handler_sp >= (uintptr_t)alt_hi, "onstack_disabled_uses_normal_stack");
	signal(SIGUSR1, SIG_DFL);
	munmap(alt_lo, sz);
	return conf_exit();
}
