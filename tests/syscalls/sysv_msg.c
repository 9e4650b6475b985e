/* SysV message queues: msgget/msgsnd/msgrcv/msgctl with Linux's errors,
 * type selection (0, >0, <0, MSG_EXCEPT), MSG_NOERROR and E2BIG,
 * IPC_NOWAIT (EAGAIN, ENOMSG), blocking send and receive woken by another
 * process, EINTR with and without SA_RESTART, EIDRM for sleepers,
 * IPC_STAT/IPC_SET/MSG_STAT/IPC_INFO/MSG_INFO, MSG_COPY, permissions for a
 * non-root user and /proc/sysvipc/msg.
 */
#include "conformance.h"
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/time.h>
#include <time.h>

struct mbuf {
	long mtype;
	char mtext[256];
};

static int child_status(pid_t pid)
{
	int s;
	if (waitpid(pid, &s, 0) != pid)
		return -1;
	return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

static int snd(int id, long type, const char *text, int flg)
{
	struct mbuf m = { .mtype = type };
	strcpy(m.mtext, text);
	return msgsnd(id, &m, strlen(text), flg);
}

/* Receive into a buffer of cap bytes: the type received (text in out), or -1. */
static long rcv(int id, long type, size_t cap, int flg, char *out)
{
	struct mbuf m;
	memset(&m, 0, sizeof(m));
	ssize_t n = msgrcv(id, &m, cap, type, flg);
	if (n < 0)
		return -1;
	if (out) {
		memcpy(out, m.mtext, n);
		out[n] = 0;
	}
	return m.mtype;
}

static struct msqid_ds st(int id)
{
	struct msqid_ds ds;
	memset(&ds, 0xff, sizeof(ds));
	msgctl(id, IPC_STAT, &ds);
	return ds;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(void)
{
	int id;
	SETUP(id = msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	struct msqid_ds ds = st(id);
	char buf[65536], txt[300];
	read_file("/proc/sys/kernel/msgmnb", buf, sizeof(buf));
	long mnb = strtol(buf, NULL, 10);
	CHECK(ds.msg_qnum == 0 && ds.msg_cbytes == 0 && (long)ds.msg_qbytes == mnb &&
		      ds.msg_perm.mode == 0600 && ds.msg_stime == 0 && ds.msg_ctime > 0,
	      "stat_new");

	/* ---- type selection ---- */
	SETUP(snd(id, 3, "three", 0));
	SETUP(snd(id, 1, "one", 0));
	SETUP(snd(id, 2, "two", 0));
	SETUP(snd(id, 5, "five", 0));
	ds = st(id);
	CHECK(ds.msg_qnum == 4 && ds.msg_cbytes == 15 && ds.msg_lspid == getpid() && ds.msg_stime > 0,
	      "stat_after_send");
	CHECK_EQ(rcv(id, 2, 256, 0, txt), 2, "type_equal");
	CHECK_STR(txt, "two", "type_equal_text");
	CHECK_EQ(rcv(id, -4, 256, 0, txt), 1, "type_lowest_le");
	CHECK_EQ(rcv(id, 3, 256, MSG_EXCEPT, txt), 5, "type_except");
	CHECK_EQ(rcv(id, 0, 256, 0, txt), 3, "type_any");
	CHECK_EQ(st(id).msg_lrpid, getpid(), "stat_lrpid");
	CHECK_ERR(rcv(id, 0, 256, IPC_NOWAIT, txt), ENOMSG, "empty_nowait");
	CHECK_ERR(rcv(id, 7, 256, IPC_NOWAIT, txt), ENOMSG, "no_such_type_nowait");

	/* ---- E2BIG, MSG_NOERROR ---- */
	SETUP(snd(id, 1, "0123456789", 0));
	CHECK_ERR(rcv(id, 0, 4, IPC_NOWAIT, txt), E2BIG, "e2big");
	CHECK_EQ(st(id).msg_qnum, 1, "e2big_kept");
	struct mbuf m;
	CHECK_EQ(msgrcv(id, &m, 4, 0, MSG_NOERROR), 4, "noerror_truncates");
	CHECK(!memcmp(m.mtext, "0123", 4) && st(id).msg_qnum == 0, "noerror_removed");

	/* ---- MSG_COPY (CONFIG_CHECKPOINT_RESTORE) ---- */
	SETUP(snd(id, 7, "first", 0));
	SETUP(snd(id, 8, "second", 0));
	CHECK_EQ(rcv(id, 1, 256, MSG_COPY | IPC_NOWAIT, txt), 8, "copy_by_position");
	CHECK_EQ(st(id).msg_qnum, 2, "copy_leaves_it");
	CHECK_ERR(rcv(id, 2, 256, MSG_COPY | IPC_NOWAIT, txt), ENOMSG, "copy_past_end");
	CHECK_ERR(rcv(id, 0, 256, MSG_COPY, txt), EINVAL, "copy_needs_nowait");
	CHECK_ERR(rcv(id, 0, 256, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT, txt), EINVAL, "copy_no_except");
	CHECK_EQ(rcv(id, 0, 256, 0, txt), 7, "drain1");
	CHECK_EQ(rcv(id, 0, 256, 0, txt), 8, "drain2");

	/* ---- errors ---- */
	CHECK_ERR(snd(id, 0, "x", 0), EINVAL, "snd_type0");
	CHECK_ERR(snd(id, -1, "x", 0), EINVAL, "snd_negative_type");
	CHECK_ERR(msgsnd(id, conf_bad_ptr(), 1, 0), EFAULT, "snd_efault");
	m.mtype = 1;
	CHECK_ERR(msgsnd(id, &m, 8193, 0), EINVAL, "snd_over_msgmax");
	CHECK_ERR(msgsnd(-1, &m, 1, 0), EINVAL, "snd_negative_id");
	CHECK_ERR(msgsnd(id + (1 << 15), &m, 1, 0), EINVAL, "snd_stale_id");
	CHECK_ERR(msgrcv(id, &m, (size_t)-1, 0, 0), EINVAL, "rcv_negative_size");
	SETUP(snd(id, 1, "lost", 0));
	CHECK_ERR(msgrcv(id, conf_bad_ptr(), 16, 0, 0), EFAULT, "rcv_efault");
	CHECK_EQ(st(id).msg_qnum, 0, "rcv_efault_message_lost");
	CHECK_ERR(msgctl(id, IPC_STAT, conf_bad_ptr()), EFAULT, "stat_efault");
	CHECK_ERR(msgctl(id, IPC_SET, conf_bad_ptr()), EFAULT, "set_efault");
	CHECK_ERR(msgctl(id, 99, &ds), EINVAL, "bad_cmd");

	/* ---- a full queue ---- */
	ds = st(id);
	ds.msg_qbytes = 10;
	CHECK_OK(msgctl(id, IPC_SET, &ds), "set_qbytes");
	CHECK_EQ(st(id).msg_qbytes, 10, "qbytes_applied");
	SETUP(snd(id, 1, "0123456789", 0));
	CHECK_ERR(snd(id, 1, "x", IPC_NOWAIT), EAGAIN, "full_nowait");
	pid_t pid = fork();
	if (pid == 0)
		_exit(snd(id, 2, "late", 0) == 0 ? 0 : 1);
	conf_msleep(100);
	CHECK_EQ(st(id).msg_qnum, 1, "sender_blocked");
	CHECK_EQ(rcv(id, 1, 256, 0, txt), 1, "make_room");
	CHECK_EQ(child_status(pid), 0, "blocked_sender_woken");
	CHECK_EQ(rcv(id, 2, 256, IPC_NOWAIT, txt), 2, "blocked_sender_message");
	/* The message count is bounded by msg_qbytes too. */
	for (int i = 0; i < 10; i++)
		SETUP(msgsnd(id, &m, 0, 0));
	CHECK_ERR(msgsnd(id, &m, 0, IPC_NOWAIT), EAGAIN, "full_of_empty_messages");
	for (int i = 0; i < 10; i++)
		SETUP(msgrcv(id, &m, 0, 0, 0));

	/* ---- a blocked receiver ---- */
	pid = fork();
	if (pid == 0) {
		char t[300];
		_exit(rcv(id, 4, 256, 0, t) == 4 && !strcmp(t, "four") ? 0 : 1);
	}
	conf_msleep(100);
	SETUP(snd(id, 3, "not it", 0));
	SETUP(snd(id, 4, "four", 0));
	CHECK_EQ(child_status(pid), 0, "blocked_receiver_woken");
	CHECK_EQ(rcv(id, 0, 256, IPC_NOWAIT, txt), 3, "other_message_stays");

	/* ---- EINTR with a handler, SA_RESTART or not ---- */
	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa = { 0 };
		sa.sa_handler = on_alarm;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = { { 0, 0 }, { 0, 100000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		CHECK_ERR(rcv(id, 0, 256, 0, txt), EINTR, restart ? "rcv_eintr_sa_restart" : "rcv_eintr");
		SETUP(snd(id, 1, "0123456789", 0));
		setitimer(ITIMER_REAL, &it, NULL);
		CHECK_ERR(snd(id, 1, "x", 0), EINTR, restart ? "snd_eintr_sa_restart" : "snd_eintr");
		SETUP(rcv(id, 0, 256, 0, txt));
	}

	/* ---- EIDRM for sleepers ---- */
	int rid;
	SETUP(rid = msgget(IPC_PRIVATE, 0600));
	pid = fork();
	if (pid == 0)
		_exit(rcv(rid, 0, 256, 0, NULL) == -1 && errno == EIDRM ? 0 : 1);
	conf_msleep(100);
	CHECK_OK(msgctl(rid, IPC_RMID, NULL), "rmid");
	CHECK_EQ(child_status(pid), 0, "eidrm");
	CHECK_ERR(msgctl(rid, IPC_STAT, &ds), EINVAL, "rmid_gone");

	/* ---- IPC_INFO, MSG_INFO, MSG_STAT ---- */
	struct msginfo mi;
	CHECK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0, "ipc_info");
	CHECK(mi.msgmax == 8192 && mi.msgmnb == mnb && mi.msgssz == 16 && mi.msgseg == 0xffff &&
		      mi.msgpool == 512000 && mi.msgtql == 16384 && mi.msgmap == 16384,
	      "ipc_info_values");
	SETUP(snd(id, 1, "abc", 0));
	CHECK(msgctl(0, MSG_INFO, (struct msqid_ds *)&mi) >= 0 && mi.msgpool >= 1 && mi.msgmap >= 1 &&
		      mi.msgtql >= 3,
	      "msg_info");
	CHECK_EQ(msgctl(id & 0x7fff, MSG_STAT, &ds), id, "msg_stat");
	CHECK_EQ(msgctl(id & 0x7fff, MSG_STAT_ANY, &ds), id, "msg_stat_any");

	/* ---- msgget and /proc/sysvipc/msg ---- */
	key_t key = (key_t)(0x5c000000 | ((getpid() & 0xffff) << 8));
	int kid;
	SETUP(kid = msgget(key, IPC_CREAT | IPC_EXCL | 0600));
	CHECK_EQ(msgget(key, 0), kid, "get_existing");
	CHECK_ERR(msgget(key, IPC_CREAT | IPC_EXCL), EEXIST, "get_excl");
	CHECK_ERR(msgget(key + 1, 0), ENOENT, "get_missing");
	SETUP(snd(kid, 1, "hello", 0));
	char line[100];
	snprintf(line, sizeof(line), "%10d %10d  %4o  %10u %10u %5d", (int)key, kid, 0600, 5, 1, getpid());
	CHECK(read_file("/proc/sysvipc/msg", buf, sizeof(buf)) > 0 &&
		      !strncmp(buf, "       key      msqid perms      cbytes       qnum lspid lrpid", 62) &&
		      strstr(buf, line),
	      "proc_sysvipc_msg");

	/* ---- a non-root user ---- */
	int failed = conf_failures;
	pid = fork();
	if (pid == 0) {
		SETUP(setresgid(65534, 65534, 65534));
		SETUP(setresuid(65534, 65534, 65534));
		CHECK_ERR(snd(kid, 1, "x", 0), EACCES, "user_snd_eacces");
		CHECK_ERR(rcv(kid, 0, 256, IPC_NOWAIT, NULL), EACCES, "user_rcv_eacces");
		CHECK_ERR(msgctl(kid, IPC_STAT, &ds), EACCES, "user_stat_eacces");
		CHECK_ERR(msgctl(kid, IPC_RMID, NULL), EPERM, "user_rmid_eperm");
		int own = msgget(IPC_PRIVATE, 0600);
		struct msqid_ds d2 = st(own);
		d2.msg_qbytes = mnb + 1;
		CHECK_ERR(msgctl(own, IPC_SET, &d2), EPERM, "user_qbytes_over_msgmnb");
		d2.msg_qbytes = mnb - 1;
		CHECK_OK(msgctl(own, IPC_SET, &d2), "user_qbytes_lower");
		CHECK_OK(msgctl(own, IPC_RMID, NULL), "user_rmid_own");
		_exit(conf_failures > failed ? 1 : 0);
	}
	CHECK_EQ(child_status(pid), 0, "user_child");
	/* Over msgmnb needs CAP_SYS_RESOURCE (which a container's root may lack). */
	unsigned long long capeff = 0;
	char *ce = read_file("/proc/self/status", buf, sizeof(buf)) > 0 ? strstr(buf, "CapEff:") : NULL;
	if (ce)
		capeff = strtoull(ce + 7, NULL, 16);
	ds = st(kid);
	ds.msg_qbytes = mnb * 2;
	if (capeff & (1ULL << 24))
		CHECK_OK(msgctl(kid, IPC_SET, &ds), "qbytes_over_msgmnb_cap_sys_resource");
	else
		CHECK_ERR(msgctl(kid, IPC_SET, &ds), EPERM, "qbytes_over_msgmnb_no_cap");

	CHECK_OK(msgctl(kid, IPC_RMID, NULL), "rmid_key");
	CHECK_OK(msgctl(id, IPC_RMID, NULL), "rmid_id");
	return conf_exit();
}
