/* SysV semaphores: semget/semop/semtimedop/semctl with Linux's errors,
 * atomic multi-operation semop, IPC_NOWAIT, blocking waits woken by another
 * process (GETNCNT/GETZCNT), EINTR with and without SA_RESTART, semtimedop
 * timeouts, EIDRM for sleepers, SEM_UNDO at exit (clamped, cleared by
 * SETVAL, shared by CLONE_SYSVSEM threads), ERANGE, IPC_STAT/SEM_STAT/
 * IPC_INFO, permissions for a non-root user and /proc/sysvipc/sem.
 */
#include "conformance.h"
#include <pthread.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <time.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static int child_status(pid_t pid)
{
	int s;
	if (waitpid(pid, &s, 0) != pid)
		return -1;
	return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

static int op(int id, int num, int delta, int flg)
{
	struct sembuf sb = { (unsigned short)num, (short)delta, (short)flg };
	return semop(id, &sb, 1);
}

static int val(int id, int num)
{
	return semctl(id, num, GETVAL);
}

/* Wait (at most 5 s) until GETNCNT or GETZCNT of semaphore num is n. */
static int wait_cnt(int id, int num, int cmd, int n)
{
	for (int i = 0; i < 500; i++) {
		if (semctl(id, num, cmd) == n)
			return 1;
		conf_msleep(10);
	}
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int thread_id;
static void *thread_undo(void *arg)
{
	(void)arg;
	return (void *)(long)op(thread_id, 0, -1, SEM_UNDO);
}

int main(void)
{
	int id;
	SETUP(id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));

	/* ---- values ---- */
	CHECK_EQ(val(id, 0), 0, "initial_zero");
	CHECK_OK(semctl(id, 1, SETVAL, (union semun){ .val = 5 }), "setval");
	CHECK_EQ(val(id, 1), 5, "getval");
	CHECK_EQ(semctl(id, 1, GETPID), getpid(), "getpid_after_setval");
	CHECK_ERR(semctl(id, 1, SETVAL, (union semun){ .val = 32768 }), ERANGE, "setval_erange");
	CHECK_ERR(semctl(id, 1, SETVAL, (union semun){ .val = -1 }), ERANGE, "setval_negative");
	CHECK_ERR(semctl(id, 3, SETVAL, (union semun){ .val = 1 }), EINVAL, "setval_bad_num");
	CHECK_ERR(semctl(id, 3, GETVAL), EINVAL, "getval_bad_num");
	unsigned short all[3] = { 1, 2, 3 }, got[3] = { 0 };
	CHECK_OK(semctl(id, 0, SETALL, (union semun){ .array = all }), "setall");
	CHECK_OK(semctl(id, 0, GETALL, (union semun){ .array = got }), "getall");
	CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3, "getall_values");
	unsigned short big[3] = { 1, 40000, 3 };
	CHECK_ERR(semctl(id, 0, SETALL, (union semun){ .array = big }), ERANGE, "setall_erange");
	CHECK_EQ(val(id, 1), 2, "setall_erange_unchanged");
	CHECK_ERR(semctl(id, 0, SETALL, (union semun){ .array = conf_bad_ptr() }), EFAULT, "setall_efault");
	CHECK_ERR(semctl(id, 0, GETALL, (union semun){ .array = conf_bad_ptr() }), EFAULT, "getall_efault");

	/* ---- semop ---- */
	struct sembuf two[2] = { { 0, -1, IPC_NOWAIT }, { 2, -4, IPC_NOWAIT } };
	CHECK_ERR(semop(id, two, 2), EAGAIN, "atomic_all_or_nothing");
	CHECK(val(id, 0) == 1 && val(id, 2) == 3, "atomic_unchanged");
	two[1].sem_op = -3;
	CHECK_OK(semop(id, two, 2), "atomic_both");
	CHECK(val(id, 0) == 0 && val(id, 2) == 0, "atomic_applied");
	CHECK_EQ(semctl(id, 2, GETPID), getpid(), "sempid");
	struct sembuf dup[2] = { { 1, -2, 0 }, { 1, 1, 0 } };
	CHECK_OK(semop(id, dup, 2), "same_sem_in_order");
	CHECK_EQ(val(id, 1), 1, "same_sem_result");
	CHECK_OK(op(id, 0, 0, IPC_NOWAIT), "wait_zero_is_zero");
	CHECK_ERR(op(id, 1, 0, IPC_NOWAIT), EAGAIN, "wait_zero_nowait");
	CHECK_OK(semctl(id, 1, SETVAL, (union semun){ .val = 32767 }), "setval_max");
	CHECK_ERR(op(id, 1, 1, 0), ERANGE, "op_erange");
	CHECK_ERR(op(id, 3, 1, 0), EFBIG, "op_efbig");
	CHECK_ERR(semop(id, two, 0), EINVAL, "nsops0");
	struct sembuf many[501];
	memset(many, 0, sizeof(many));
	CHECK_ERR(semop(id, many, 501), E2BIG, "nsops_e2big");
	CHECK_ERR(semop(id, conf_bad_ptr(), 1), EFAULT, "sops_efault");
	CHECK_ERR(semop(-1, two, 1), EINVAL, "op_negative_id");
	CHECK_ERR(semop(id + (1 << 15), two, 1), EINVAL, "op_stale_id");
	CHECK_ERR(semtimedop(id, two, 1, conf_bad_ptr()), EFAULT, "timeout_efault");
	struct timespec badts = { 0, 1000000000L };
	CHECK_ERR(semtimedop(id, two, 1, &badts), EINVAL, "timeout_einval");

	/* ---- semtimedop timeout ---- */
	SETUP(semctl(id, 0, SETVAL, (union semun){ .val = 0 }));
	struct timespec ts = { 0, 200 * 1000000L };
	struct sembuf dec = { 0, -1, 0 };
	double t0 = conf_now();
	CHECK_ERR(semtimedop(id, &dec, 1, &ts), EAGAIN, "timedop_timeout");
	CHECK(conf_now() - t0 >= 0.19, "timedop_waited");
	CHECK_EQ(semctl(id, 0, GETNCNT), 0, "ncnt_after_timeout");

	/* ---- a sleeper woken by another process ---- */
	pid_t pid = fork();
	if (pid == 0)
		_exit(op(id, 0, -2, 0) == 0 ? 0 : 1);
	CHECK(wait_cnt(id, 0, GETNCNT, 1), "getncnt_sleeper");
	CHECK_EQ(semctl(id, 0, GETZCNT), 0, "getzcnt_none");
	CHECK_OK(op(id, 0, 1, 0), "partial_post");
	conf_msleep(50);
	CHECK_EQ(semctl(id, 0, GETNCNT), 1, "still_sleeping");
	CHECK_OK(op(id, 0, 1, 0), "post");
	CHECK_EQ(child_status(pid), 0, "sleeper_woken");
	CHECK_EQ(val(id, 0), 0, "sleeper_took");

	SETUP(semctl(id, 2, SETVAL, (union semun){ .val = 1 }));
	pid = fork();
	if (pid == 0)
		_exit(op(id, 2, 0, 0) == 0 ? 0 : 1);
	CHECK(wait_cnt(id, 2, GETZCNT, 1), "getzcnt_sleeper");
	CHECK_OK(op(id, 2, -1, 0), "to_zero");
	CHECK_EQ(child_status(pid), 0, "zero_waiter_woken");

	/* ---- EINTR: never restarted, SA_RESTART or not ---- */
	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa = { 0 };
		sa.sa_handler = on_alarm;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = { { 0, 0 }, { 0, 100000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		CHECK_ERR(op(id, 0, -1, 0), EINTR, restart ? "eintr_sa_restart" : "eintr");
	}

	/* ---- EIDRM for sleepers ---- */
	int rid;
	SETUP(rid = semget(IPC_PRIVATE, 1, 0600));
	pid = fork();
	if (pid == 0)
		_exit(op(rid, 0, -1, 0) == -1 && errno == EIDRM ? 0 : 1);
	CHECK(wait_cnt(rid, 0, GETNCNT, 1), "eidrm_sleeping");
	CHECK_OK(semctl(rid, 0, IPC_RMID), "rmid");
	CHECK_EQ(child_status(pid), 0, "eidrm");
	CHECK_ERR(val(rid, 0), EINVAL, "rmid_gone");

	/* ---- SEM_UNDO ---- */
	SETUP(semctl(id, 0, SETVAL, (union semun){ .val = 1 }));
	pid = fork();
	if (pid == 0)
		_exit(op(id, 0, -1, SEM_UNDO) == 0 && val(id, 0) == 0 ? 0 : 1);
	CHECK_EQ(child_status(pid), 0, "undo_child_op");
	CHECK_EQ(val(id, 0), 1, "undo_at_exit");
	CHECK_EQ(semctl(id, 0, GETPID), pid, "undo_sempid");

	SETUP(semctl(id, 0, SETVAL, (union semun){ .val = 0 }));
	/* One pipe each way: with one, the child could read its own byte back and both block. */
	int up[2], down[2];
	SETUP(pipe(up));
	SETUP(pipe(down));
	pid = fork();
	if (pid == 0) {
		char c;
		int ok = op(id, 0, 3, SEM_UNDO) == 0;
		write(up[1], "x", 1);
		read(down[0], &c, 1);
		_exit(ok ? 0 : 1);
	}
	char c;
	read(up[0], &c, 1);
	CHECK_OK(op(id, 0, -3, 0), "undo_clamp_take");
	write(down[1], "y", 1);
	CHECK_EQ(child_status(pid), 0, "undo_clamp_child");
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	CHECK_EQ(val(id, 0), 0, "undo_clamped_at_zero");

	pid = fork();
	if (pid == 0) {
		int ok = op(id, 0, 1, SEM_UNDO) == 0;
		ok &= semctl(id, 0, SETVAL, (union semun){ .val = 5 }) == 0;
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(child_status(pid), 0, "undo_setval_child");
	CHECK_EQ(val(id, 0), 5, "setval_clears_undo");

	/* Threads share the undo list (CLONE_SYSVSEM): applied when the process ends. */
	SETUP(semctl(id, 0, SETVAL, (union semun){ .val = 1 }));
	thread_id = id;
	pid = fork();
	if (pid == 0) {
		pthread_t th;
		void *r = (void *)1;
		pthread_create(&th, NULL, thread_undo, NULL);
		pthread_join(th, &r);
		_exit(r == NULL && val(id, 0) == 0 ? 0 : 1);
	}
	CHECK_EQ(child_status(pid), 0, "undo_thread_kept_until_exit");
	CHECK_EQ(val(id, 0), 1, "undo_thread_applied_at_process_exit");
	/* A forked child has its own list: the parent's undo survives it. */
	CHECK_OK(op(id, 0, -1, SEM_UNDO), "undo_parent");
	pid = fork();
	if (pid == 0)
		_exit(0);
	CHECK_EQ(child_status(pid), 0, "undo_fork_child");
	CHECK_EQ(val(id, 0), 0, "undo_not_inherited");
	CHECK_OK(op(id, 0, 1, SEM_UNDO), "undo_parent_back");

	/* ---- IPC_STAT, IPC_SET, SEM_STAT, IPC_INFO ---- */
	struct semid_ds ds;
	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds }), "ipc_stat");
	CHECK(ds.sem_nsems == 3 && ds.sem_perm.mode == 0600 && ds.sem_perm.uid == geteuid() &&
		      ds.sem_otime > 0 && ds.sem_ctime > 0,
	      "ipc_stat_fields");
	CHECK_ERR(semctl(id, 0, IPC_STAT, (union semun){ .buf = conf_bad_ptr() }), EFAULT, "ipc_stat_efault");
	CHECK_EQ(semctl(id & 0x7fff, 0, SEM_STAT, (union semun){ .buf = &ds }), id, "sem_stat");
	CHECK_EQ(semctl(id & 0x7fff, 0, SEM_STAT_ANY, (union semun){ .buf = &ds }), id, "sem_stat_any");
	ds.sem_perm.mode = 0644;
	CHECK_OK(semctl(id, 0, IPC_SET, (union semun){ .buf = &ds }), "ipc_set");
	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds }), "ipc_stat2");
	CHECK_EQ(ds.sem_perm.mode, 0644, "ipc_set_mode");
	struct seminfo si;
	CHECK(semctl(0, 0, IPC_INFO, (union semun){ .__buf = &si }) >= 0, "ipc_info");
	char buf[65536];
	int msl = 0, mns = 0, opm = 0, mni = 0;
	read_file("/proc/sys/kernel/sem", buf, sizeof(buf));
	sscanf(buf, "%d %d %d %d", &msl, &mns, &opm, &mni);
	CHECK(si.semmsl == msl && si.semmns == mns && si.semopm == opm && si.semmni == mni &&
		      si.semvmx == 32767 && si.semaem == 32767 && si.semusz == 20,
	      "ipc_info_values");
	CHECK(semctl(0, 0, SEM_INFO, (union semun){ .__buf = &si }) >= 0 && si.semusz >= 1 &&
		      si.semaem >= 3,
	      "sem_info");
	CHECK_ERR(semctl(id, 0, 99), EINVAL, "bad_cmd");
	CHECK_ERR(semctl(-1, 0, GETVAL), EINVAL, "negative_id");

	/* ---- semget ---- */
	key_t key = (key_t)(0x5d000000 | ((getpid() & 0xffff) << 8));
	int kid;
	SETUP(kid = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600));
	CHECK_EQ(semget(key, 2, 0), kid, "get_existing");
	CHECK_EQ(semget(key, 0, 0), kid, "get_existing_nsems0");
	CHECK_ERR(semget(key, 3, 0), EINVAL, "get_more_sems");
	CHECK_ERR(semget(key, 1, IPC_CREAT | IPC_EXCL), EEXIST, "get_excl");
	CHECK_ERR(semget(key + 1, 1, 0), ENOENT, "get_missing");
	CHECK_ERR(semget(IPC_PRIVATE, 0, 0600), EINVAL, "get_nsems0");
	CHECK_ERR(semget(IPC_PRIVATE, msl + 1, 0600), EINVAL, "get_over_semmsl");
	CHECK_ERR(semget(IPC_PRIVATE, -1, 0600), EINVAL, "get_negative");
	char line[80];
	snprintf(line, sizeof(line), "%10d %10d  %4o %10u", (int)key, kid, 0600, 2);
	CHECK(read_file("/proc/sysvipc/sem", buf, sizeof(buf)) > 0 &&
		      !strncmp(buf, "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n", 85) &&
		      strstr(buf, line),
	      "proc_sysvipc_sem");

	/* ---- a non-root user ---- */
	int failed = conf_failures;
	pid = fork();
	if (pid == 0) {
		SETUP(setresgid(65534, 65534, 65534));
		SETUP(setresuid(65534, 65534, 65534));
		CHECK_ERR(op(kid, 0, 1, 0), EACCES, "user_op_eacces");
		CHECK_ERR(op(kid, 0, 0, IPC_NOWAIT), EACCES, "user_read_op_eacces");
		CHECK_ERR(val(kid, 0), EACCES, "user_getval_eacces");
		CHECK_ERR(semctl(kid, 0, IPC_RMID), EPERM, "user_rmid_eperm");
		CHECK_ERR(semget(key, 0, 0400), EACCES, "user_get_eacces");
		CHECK_EQ(semget(key, 0, 0), kid, "user_get_noperm");
		CHECK_EQ(val(id, 0), 1, "user_other_read");
		CHECK_ERR(op(id, 0, 1, 0), EACCES, "user_other_no_write");
		_exit(conf_failures > failed ? 1 : 0);
	}
	CHECK_EQ(child_status(pid), 0, "user_child");

	CHECK_OK(semctl(kid, 0, IPC_RMID), "rmid_key");
	CHECK_OK(semctl(id, 0, IPC_RMID), "rmid_id");
	return conf_exit();
}
