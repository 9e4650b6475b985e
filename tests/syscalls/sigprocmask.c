/* rt_sigprocmask bookkeeping (raw, so glibc does not filter the sets). */
#include "conformance.h"
#include <signal.h>

static long mask(int how, const uint64_t *set, uint64_t *old)
{
	return syscall(SYS_rt_sigprocmask, how, set, old, 8);
}

#define BIT(s) (1ULL << ((s) - 1))

int main(void)
{
	uint64_t orig, cur, set;
	CHECK_EQ(mask(SIG_BLOCK, NULL, &orig), 0, "get_mask");

	set = BIT(SIGUSR1);
	CHECK_EQ(mask(SIG_BLOCK, &set, &cur), 0, "block");
	CHECK_EQ(cur, orig, "block_returns_old");
	mask(SIG_BLOCK, NULL, &cur);
	CHECK(cur & BIT(SIGUSR1), "block_read_back");
	set = BIT(SIGUSR2);
	mask(SIG_BLOCK, &set, NULL);
	mask(SIG_BLOCK, NULL, &cur);
	CHECK((cur & (BIT(SIGUSR1) | BIT(SIGUSR2))) == (BIT(SIGUSR1) | BIT(SIGUSR2)), "block_accumulates");
	set = BIT(SIGUSR1);
	CHECK_EQ(mask(SIG_UNBLOCK, &set, NULL), 0, "unblock");
	mask(SIG_BLOCK, NULL, &cur);
	CHECK(!(cur & BIT(SIGUSR1)) && (cur & BIT(SIGUSR2)), "unblock_read_back");
	set = BIT(SIGTERM) | BIT(SIGRTMIN + 2) | BIT(64);
	CHECK_EQ(mask(SIG_SETMASK, &set, NULL), 0, "setmask");
	mask(SIG_BLOCK, NULL, &cur);
	CHECK_EQ(cur, set, "setmask_read_back_with_rt");

	set = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGINT);
	CHECK_EQ(mask(SIG_SETMASK, &set, NULL), 0, "block_kill_stop");
	mask(SIG_BLOCK, NULL, &cur);
	CHECK_EQ(cur, BIT(SIGINT), "kill_stop_not_blocked");

	CHECK_ERR(mask(99, &set, NULL), EINVAL, "bad_how");
	CHECK_EQ(mask(99, NULL, &cur), 0, "bad_how_ignored_without_set");
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL, "bad_sigsetsize");
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), EINVAL, "sigsetsize_16");
	CHECK_ERR(mask(SIG_BLOCK, BAD_PTR, NULL), EFAULT, "set_efault");
	CHECK_ERR(mask(SIG_BLOCK, NULL, BAD_PTR), EFAULT, "old_efault");

	/* glibc's sigprocmask agrees. */
	sigset_t s, o;
	sigemptyset(&s);
	sigaddset(&s, SIGHUP);
	CHECK_EQ(sigprocmask(SIG_SETMASK, &s, &o), 0, "glibc_setmask");
	sigprocmask(SIG_SETMASK, NULL, &o);
	CHECK(sigismember(&o, SIGHUP) && !sigismember(&o, SIGINT), "glibc_read_back");
	sigset_t pend;
	CHECK_EQ(sigpending(&pend), 0, "sigpending");
	CHECK(sigisemptyset(&pend), "nothing_pending");

	mask(SIG_SETMASK, &orig, NULL);
	mask(SIG_BLOCK, NULL, &cur);
	CHECK_EQ(cur, orig, "restored");
	return conf_exit();
}
