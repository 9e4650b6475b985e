/* rt_sigaction: install and read back, without raising any signal. */
#include "conformance.h"
#include <signal.h>

struct ksa {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void handler(int sig)
{
	(void)sig;
}

static void handler2(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

int main(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0, "install_ign");
	CHECK(old.sa_handler == SIG_DFL, "default_was_dfl");
	CHECK_EQ(sigaction(SIGUSR1, NULL, &old), 0, "query");
	CHECK(old.sa_handler == SIG_IGN, "ign_read_back");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaddset(&sa.sa_mask, SIGRTMIN + 1);
	CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0, "install_handler");
	CHECK(old.sa_handler == SIG_IGN, "install_returns_previous");
	sigaction(SIGUSR1, NULL, &old);
	CHECK(old.sa_handler == handler, "handler_read_back");
	CHECK((old.sa_flags & (SA_RESTART | SA_NODEFER)) == (SA_RESTART | SA_NODEFER), "flags_read_back");
	CHECK(sigismember(&old.sa_mask, SIGUSR2) && sigismember(&old.sa_mask, SIGRTMIN + 1) &&
	      !sigismember(&old.sa_mask, SIGINT), "mask_read_back");

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler2;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	CHECK_EQ(sigaction(SIGRTMAX, &sa, NULL), 0, "install_siginfo_rtmax");
	sigaction(SIGRTMAX, NULL, &old);
	CHECK(old.sa_sigaction == handler2 && (old.sa_flags & SA_SIGINFO) && (old.sa_flags & SA_RESETHAND),
	      "siginfo_read_back");

	/* Raw rt_sigaction: exact flags, restorer and mask are kept. */
	struct ksa k = { handler, SA_RESTART | 0x04000000 /* SA_RESTORER */, (void *)0x1234, 1ULL << (SIGINT - 1) };
	struct ksa ko;
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR2, &k, NULL, 8), 0, "raw_install");
	memset(&ko, 0, sizeof ko);
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &ko, 8), 0, "raw_query");
	CHECK(ko.handler == k.handler && ko.flags == k.flags && ko.restorer == k.restorer && ko.mask == k.mask,
	      "raw_read_back_exact");
	/* SIGKILL/SIGSTOP cannot be ignored in the kernel's stored mask either. */
	k.mask = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)) | (1ULL << (SIGINT - 1));
	syscall(SYS_rt_sigaction, SIGUSR2, &k, NULL, 8);
	syscall(SYS_rt_sigaction, SIGUSR2, NULL, &ko, 8);
	CHECK_EQ(ko.mask, 1ULL << (SIGINT - 1), "mask_drops_kill_stop");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL, "sigkill_einval");
	CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL, "sigstop_einval");
	sa.sa_handler = SIG_DFL;
	CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL, "sigkill_dfl_einval");
	CHECK_EQ(sigaction(SIGKILL, NULL, &old), 0, "sigkill_query_ok");
	CHECK_ERR(syscall(SYS_rt_sigaction, 0, NULL, &ko, 8), EINVAL, "signal_0_einval");
	CHECK_ERR(syscall(SYS_rt_sigaction, 65, NULL, &ko, 8), EINVAL, "signal_65_einval");
	CHECK_ERR(syscall(SYS_rt_sigaction, -1, NULL, &ko, 8), EINVAL, "signal_negative_einval");
	CHECK_EQ(syscall(SYS_rt_sigaction, 64, NULL, &ko, 8), 0, "signal_64_ok");
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &ko, 4), EINVAL, "bad_sigsetsize");
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, BAD_PTR, NULL, 8), EFAULT, "act_efault");
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, BAD_PTR, 8), EFAULT, "oldact_efault");

	/* signal() returns the previous disposition; reset to default. */
	CHECK(signal(SIGUSR1, SIG_DFL) == handler, "signal_returns_previous");
	CHECK(signal(SIGUSR1, SIG_DFL) == SIG_DFL, "signal_dfl");
	signal(SIGUSR2, SIG_DFL);
	signal(SIGRTMAX, SIG_DFL);
	return conf_exit();
}
