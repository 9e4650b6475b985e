/* Signal delivery to SA_SIGINFO handlers: si_code/si_pid/si_uid/si_value for
 * kill, tgkill, sigqueue and a child's kill, SIGCHLD's CLD_EXITED, RT signal
 * queueing in order, standard signal coalescing, SA_NODEFER, SA_RESETHAND and
 * raising a signal from inside a handler. Handlers only store into
 * volatile sig_atomic_t/static variables. */
#include "conformance.h"
#include <signal.h>

static volatile sig_atomic_t n_calls, last_sig, last_code, last_pid, last_uid, last_val;
static volatile sig_atomic_t rt_vals[8], n_rt;
static volatile sig_atomic_t chld_code, chld_status, chld_pid;
static volatile sig_atomic_t depth, max_depth, seq[8], n_seq;

static void info_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	n_calls++;
	last_sig = sig;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_uid = si->si_uid;
	last_val = si->si_value.sival_int;
}

static void rt_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (n_rt < 8)
		rt_vals[n_rt] = si->si_value.sival_int;
	n_rt++;
}

static void chld_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid = si->si_pid;
}

static void usr2_record(int sig)
{
	if (n_seq < 8)
		seq[n_seq++] = sig;
}

/* SIGUSR1: records entry, raises SIGUSR2 (runs nested) and SIGUSR1 once more. */
static void usr1_raiser(int sig)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (n_seq < 8)
		seq[n_seq++] = sig;
	if (n_seq == 1) {
		raise(SIGUSR2);
		raise(SIGUSR1);
	}
	if (n_seq < 8)
		seq[n_seq++] = -sig;
	depth--;
}

static void plain(int sig)
{
	(void)sig;
	n_calls++;
}

int main(void)
{
	pid_t me = getpid();
	SETUP(conf_set_action(SIGUSR1, info_handler, 0));

	n_calls = 0;
	CHECK_EQ(kill(me, SIGUSR1), 0, "kill_self");
	CHECK_EQ(n_calls, 1, "kill_self_delivered_before_return");
	CHECK_EQ(last_sig, SIGUSR1, "kill_signo");
	CHECK_EQ(last_code, SI_USER, "kill_si_code_si_user");
	CHECK_EQ(last_pid, me, "kill_si_pid");
	CHECK_EQ(last_uid, getuid(), "kill_si_uid");

	CHECK_EQ(syscall(SYS_tgkill, me, syscall(SYS_gettid), SIGUSR1), 0, "tgkill_self");
	CHECK_EQ(last_code, SI_TKILL, "tgkill_si_code_si_tkill");
	CHECK_EQ(last_pid, me, "tgkill_si_pid");

	CHECK_EQ(raise(SIGUSR1), 0, "raise_self");
	CHECK_EQ(last_code, SI_TKILL, "raise_si_code_si_tkill");

	union sigval v = { .sival_int = 4242 };
	CHECK_EQ(sigqueue(me, SIGUSR1, v), 0, "sigqueue_self");
	CHECK_EQ(last_code, SI_QUEUE, "sigqueue_si_code_si_queue");
	CHECK_EQ(last_val, 4242, "sigqueue_si_value");
	CHECK_EQ(last_pid, me, "sigqueue_si_pid");

	/* A child's kill carries the child's pid. */
	n_calls = 0;
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
	int st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child_kill_parent");
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(n_calls, 1, "child_kill_delivered_on_unblock");
	CHECK_EQ(last_code, SI_USER, "child_kill_si_user");
	CHECK_EQ(last_pid, pid, "child_kill_si_pid_is_child");

	/* SIGCHLD with CLD_EXITED. */
	SETUP(conf_set_action(SIGCHLD, chld_handler, 0));
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(7);
	st = reap(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(chld_code, CLD_EXITED, "sigchld_cld_exited");
	CHECK_EQ(chld_status, 7, "sigchld_si_status");
	CHECK_EQ(chld_pid, pid, "sigchld_si_pid");
	signal(SIGCHLD, SIG_DFL);

	/* RT signals queue (in order); standard signals coalesce. */
	int rt = SIGRTMIN + 2;
	SETUP(conf_set_action(rt, rt_handler, 0));
	sigset_t rts;
	sigemptyset(&rts);
	sigaddset(&rts, rt);
	sigaddset(&rts, SIGUSR1);
	sigprocmask(SIG_BLOCK, &rts, &old);
	for (int i = 0; i < 3; i++) {
		v.sival_int = 100 + i;
		sigqueue(me, rt, v);
	}
	n_calls = 0;
	kill(me, SIGUSR1);
	kill(me, SIGUSR1);
	kill(me, SIGUSR1);
	CHECK_EQ(n_rt, 0, "rt_blocked_not_delivered");
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(n_rt, 3, "rt_queued_three");
	CHECK(rt_vals[0] == 100 && rt_vals[1] == 101 && rt_vals[2] == 102, "rt_queued_in_order");
	CHECK_EQ(n_calls, 1, "standard_signal_coalesces");

	/* Raising from a handler: another signal nests at once, the same one
	 * (blocked while its handler runs) waits until the handler returns. */
	SETUP(conf_set_handler(SIGUSR1, usr1_raiser, 0));
	SETUP(conf_set_handler(SIGUSR2, usr2_record, 0));
	n_seq = 0;
	depth = max_depth = 0;
	raise(SIGUSR1);
	CHECK_EQ(n_seq, 5, "raise_in_handler_events");
	CHECK(seq[0] == SIGUSR1 && seq[1] == SIGUSR2 && seq[2] == -SIGUSR1 && seq[3] == SIGUSR1 && seq[4] == -SIGUSR1,
	      "raise_in_handler_order");
	CHECK_EQ(max_depth, 1, "same_signal_deferred_without_nodefer");

	/* SA_NODEFER: the same signal nests. */
	SETUP(conf_set_handler(SIGUSR1, usr1_raiser, SA_NODEFER));
	n_seq = 0;
	depth = max_depth = 0;
	raise(SIGUSR1);
	CHECK_EQ(max_depth, 2, "nodefer_nests_same_signal");

	/* The handler's mask: SIGUSR1 is blocked inside its handler, not after. */
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGUSR1), "mask_restored_after_handler");

	/* SA_RESETHAND: one delivery, then SIG_DFL. */
	SETUP(conf_set_handler(SIGUSR2, plain, SA_RESETHAND));
	n_calls = 0;
	raise(SIGUSR2);
	CHECK_EQ(n_calls, 1, "resethand_delivered_once");
	struct sigaction q;
	sigaction(SIGUSR2, NULL, &q);
	CHECK(q.sa_handler == SIG_DFL, "resethand_now_default");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		SETUP(conf_set_handler(SIGUSR2, plain, SA_RESETHAND));
		raise(SIGUSR2);
		raise(SIGUSR2); /* default: terminates */
		_exit(0);
	}
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR2, "resethand_second_kills");

	/* Errors. */
	CHECK_ERR(kill(me, 65), EINVAL, "kill_bad_signal_einval");
	CHECK_EQ(sigqueue(me, 0, v), 0, "sigqueue_sig0_probe");
	CHECK_ERR(syscall(SYS_tgkill, me, 999999999, SIGUSR1), ESRCH, "tgkill_bad_tid_esrch");
	CHECK_ERR(syscall(SYS_tgkill, 0, me, SIGUSR1), EINVAL, "tgkill_tgid0_einval");
	siginfo_t fake;
	memset(&fake, 0, sizeof fake);
	fake.si_code = SI_USER;
	fake.si_signo = SIGUSR1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &fake), EPERM,
		  "rt_sigqueueinfo_si_user_other_eperm");
	kill(pid, SIGKILL);
	reap(pid);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	return conf_exit();
}
