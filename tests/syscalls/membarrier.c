/*
 * membarrier(2): QUERY, every command QUERY offers works and every other is
 * EINVAL, flags and unknown commands, the registration rules (EPERM
 * without one; GET_REGISTRATIONS; kept by fork, cleared by execve), and a
 * store-buffering check with a second thread.
 *
 * QUERY's mask may legitimately differ: the sandbox refuses the RSEQ pair
 * (it never aborts rseq critical sections; EINVAL and not in QUERY, as a
 * kernel without CONFIG_RSEQ), and a nohz_full host drops
 * MEMBARRIER_CMD_GLOBAL. So the cases check that the commands both
 * implement are offered, and that each command behaves as QUERY says.
 */
#include "conformance.h"
#include <pthread.h>
#include <sched.h>
#include <time.h>

enum {
	CMD_QUERY = 0,
	CMD_GLOBAL = 1 << 0,
	CMD_GLOBAL_EXPEDITED = 1 << 1,
	CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2,
	CMD_PRIVATE_EXPEDITED = 1 << 3,
	CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4,
	CMD_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5,
	CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 6,
	CMD_PRIVATE_EXPEDITED_RSEQ = 1 << 7,
	CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 1 << 8,
	CMD_GET_REGISTRATIONS = 1 << 9,
};
#define FLAG_CPU 1

static long mb(int cmd, unsigned flags, int cpu)
{
	return syscall(SYS_membarrier, cmd, flags, cpu);
}

/* Fresh registrations (a child of a process that registered nothing), then fork and exec. */
static void registration(const char *self)
{
	pid_t pid = fork();
	SETUP(pid);
	if (pid) {
		check_child_ok(pid, "registration_child");
		return;
	}
	CHECK_EQ(mb(CMD_GET_REGISTRATIONS, 0, 0), 0, "no_registrations");
	CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED, 0, 0), EPERM, "private_unregistered_eperm");
	CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), EPERM, "sync_core_unregistered_eperm");
	CHECK_EQ(mb(CMD_GLOBAL_EXPEDITED, 0, 0), 0, "global_expedited_needs_no_registration");
	CHECK_EQ(mb(CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0, "register_sync_core");
	/* Linux sets the private state bit too, but not its ready bit. */
	CHECK_EQ(mb(CMD_GET_REGISTRATIONS, 0, 0),
		 CMD_REGISTER_PRIVATE_EXPEDITED | CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
		 "registrations_after_sync_core");
	CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED, 0, 0), EPERM, "private_still_eperm");
	CHECK_EQ(mb(CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0, "sync_core_registered");
	CHECK_EQ(mb(CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0, "register_private");
	CHECK_EQ(mb(CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0, "register_private_again");
	CHECK_EQ(mb(CMD_PRIVATE_EXPEDITED, 0, 0), 0, "private_registered");
	CHECK_EQ(mb(CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0), 0, "register_global");
	int all = CMD_REGISTER_GLOBAL_EXPEDITED | CMD_REGISTER_PRIVATE_EXPEDITED |
		  CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE;
	CHECK_EQ(mb(CMD_GET_REGISTRATIONS, 0, 0), all, "registrations_all");
	CHECK_ERR(mb(CMD_GET_REGISTRATIONS, FLAG_CPU, 0), EINVAL, "get_registrations_flag_einval");
	pid_t c = fork();
	SETUP(c);
	if (c == 0) {
		CHECK_EQ(mb(CMD_GET_REGISTRATIONS, 0, 0), all, "fork_keeps_registrations");
		CHECK_EQ(mb(CMD_PRIVATE_EXPEDITED, 0, 0), 0, "fork_child_private");
		CHILD_DONE();
	}
	check_child_ok(c, "fork_child");
	c = fork();
	SETUP(c);
	if (c == 0) {
		execl(self, self, "exec-child", (char *)NULL);
		_exit(3);
	}
	check_child_ok(c, "exec_child");
	CHILD_DONE();
}

/* Run after execve from a registered process: nothing is left. */
static int exec_child(void)
{
	CHECK_EQ(mb(CMD_GET_REGISTRATIONS, 0, 0), 0, "exec_clears_registrations");
	CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED, 0, 0), EPERM, "exec_private_eperm");
	return conf_failures ? 1 : 0;
}

/*
 * Store buffering: the main thread stores y then membarrier()s then loads
 * x; the other thread stores x, compiler barrier only, loads y. The
 * outcome where neither load sees the other's store of the round is what
 * membarrier forbids.
 */
#define ROUNDS 3000
static volatile long x, y, go, done;
static long seen_y[ROUNDS + 1];

static void spin_until(volatile long *v, long want)
{
	for (int i = 0; *v < want; i++)
		if (i % 64 == 63)
			sched_yield();
}

static void *sb_thread(void *arg)
{
	for (long i = 1; i <= ROUNDS; i++) {
		spin_until(&go, i);
		x = i;
		__asm__ volatile("" ::: "memory");
		seen_y[i] = y;
		done = i;
	}
	return arg;
}

static void store_buffering(void)
{
	SETUP(mb(CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
	pthread_t th;
	SETUP(pthread_create(&th, NULL, sb_thread, NULL) ? -1 : 0);
	long forbidden = 0, rounds = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 1; i <= ROUNDS; i++) {
		go = i;
		y = i;
		if (mb(CMD_PRIVATE_EXPEDITED, 0, 0)) {
			forbidden = -1;
			break;
		}
		long seen_x = x;
		spin_until(&done, i);
		if (seen_x < i && seen_y[i] < i)
			forbidden++;
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec > 5)
			break;      /* a slow machine: what ran is the check */
	}
	/* Let the thread finish whatever the loop left it. */
	go = ROUNDS;
	y = ROUNDS;
	pthread_join(th, NULL);
	CHECK(rounds > 0 && forbidden == 0, "store_buffering_forbidden_outcome_never_seen");
	CHECK_EQ(mb(CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0 ||
		 errno == EPERM, 1, "sync_core_with_threads");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return exec_child();
	char self[PATH_MAX];
	SETUP(realpath("/proc/self/exe", self) ? 0 : -1);

	long q = mb(CMD_QUERY, 0, 0);
	CHECK(q >= 0, "query");
	int both = CMD_GLOBAL_EXPEDITED | CMD_REGISTER_GLOBAL_EXPEDITED | CMD_PRIVATE_EXPEDITED |
		   CMD_REGISTER_PRIVATE_EXPEDITED | CMD_PRIVATE_EXPEDITED_SYNC_CORE |
		   CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE | CMD_GET_REGISTRATIONS;
	CHECK_EQ(q & both, both, "query_offers_common_commands");
	CHECK_EQ(q & ~0x3ff, 0, "query_no_unknown_bits");
	CHECK(!(q & CMD_PRIVATE_EXPEDITED_RSEQ) == !(q & CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ),
	      "query_rseq_pair_together");

	CHECK_ERR(mb(CMD_QUERY, FLAG_CPU, 0), EINVAL, "query_flag_cpu_einval");
	CHECK_ERR(mb(CMD_QUERY, 2, 0), EINVAL, "query_flags_einval");
	CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED, FLAG_CPU, 0), EINVAL, "private_flag_cpu_einval");
	CHECK_ERR(mb(CMD_GLOBAL, FLAG_CPU, 0), EINVAL, "global_flag_cpu_einval");
	CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED_RSEQ, 2, 0), EINVAL, "rseq_bad_flag_einval");
	CHECK_ERR(mb(3, 0, 0), EINVAL, "two_commands_einval");
	CHECK_ERR(mb(1 << 10, 0, 0), EINVAL, "unknown_command_einval");
	CHECK_ERR(mb(-1, 0, 0), EINVAL, "negative_command_einval");

	/* Offered commands work (or want their registration); the others are EINVAL. */
	if (q & CMD_GLOBAL)
		CHECK_EQ(mb(CMD_GLOBAL, 0, 0), 0, "global");
	else
		CHECK_ERR(mb(CMD_GLOBAL, 0, 0), EINVAL, "global_not_offered_einval");
	if (q & CMD_PRIVATE_EXPEDITED_RSEQ) {
		pid_t pid = fork();
		SETUP(pid);
		if (pid == 0) {
			CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0), EPERM, "rseq_unregistered_eperm");
			CHECK_EQ(mb(CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0, "rseq_register");
			CHECK_EQ(mb(CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0), 0, "rseq");
			CHECK_EQ(mb(CMD_PRIVATE_EXPEDITED_RSEQ, FLAG_CPU, 0), 0, "rseq_cpu0");
			CHECK_EQ(mb(CMD_PRIVATE_EXPEDITED_RSEQ, FLAG_CPU, 4096), 0, "rseq_cpu_beyond");
			CHILD_DONE();
		}
		check_child_ok(pid, "rseq_child");
	} else {
		CHECK_ERR(mb(CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), EINVAL,
			  "rseq_register_not_offered_einval");
		CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0), EINVAL, "rseq_not_offered_einval");
		CHECK_ERR(mb(CMD_PRIVATE_EXPEDITED_RSEQ, FLAG_CPU, 0), EINVAL,
			  "rseq_cpu_not_offered_einval");
	}

	registration(self);
	store_buffering();
	return conf_exit();
}
