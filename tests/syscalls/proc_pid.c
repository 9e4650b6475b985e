/* /proc/PID/...: stat, status, statm, comm, links, fd and fdinfo, maps and
 * smaps, mounts, limits, task/, ns/, oom_score_adj, permissions, and what
 * a zombie or reaped process leaves. Formats are checked, not host values. */
#include "conformance.h"
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

extern char **environ;

static char buf[1 << 16];

static ssize_t slurp(const char *path)
{
	return read_file(path, buf, sizeof buf);
}

/* The value of "Name:\t..." in buf (static), or NULL. */
static const char *field(const char *text, const char *name)
{
	static char val[512];
	size_t n = strlen(name);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, name, n) == 0 && l[n] == ':') {
			const char *v = l + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t k = strcspn(v, "\n");
			if (k >= sizeof val)
				k = sizeof val - 1;
			memcpy(val, v, k);
			val[k] = 0;
			return val;
		}
	}
	return NULL;
}

/* Fields of a stat line after "(comm)": out[0] is field 3 (state). */
static int stat_fields(const char *path, int *pid, char *comm, char out[64][32])
{
	if (slurp(path) < 0)
		return -1;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close)
		return -1;
	*pid = atoi(buf);
	snprintf(comm, 64, "%.*s", (int)(close - open - 1), open + 1);
	int n = 0;
	char *save, *tok = strtok_r(close + 1, " \n", &save);
	for (; tok && n < 64; tok = strtok_r(NULL, " \n", &save))
		snprintf(out[n++], 32, "%s", tok);
	return n + 2;
}

static int dir_has(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	int found = 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, name) == 0)
			found = 1;
	closedir(d);
	return found;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int count_lines_with(const char *text, const char *prefix)
{
	int n = 0;
	size_t k = strlen(prefix);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += strncmp(l, prefix, k) == 0;
	return n;
}

static void test_stat(char *argv0)
{
	char comm[64], f[64][32], want[16];
	int pid;
	int n = stat_fields("/proc/self/stat", &pid, comm, f);
	CHECK_EQ(n, 52, "stat_52_fields");
	CHECK_EQ(pid, getpid(), "stat_pid");
	const char *base = strrchr(argv0, '/');
	snprintf(want, sizeof want, "%s", base ? base + 1 : argv0);
	CHECK_STR(comm, want, "stat_comm");
	CHECK_STR(f[0], "R", "stat_state_running");
	CHECK_EQ(atoi(f[1]), getppid(), "stat_ppid");
	CHECK_EQ(atoi(f[2]), getpgrp(), "stat_pgrp");
	CHECK_EQ(atoi(f[3]), getsid(0), "stat_session");
	CHECK_EQ(atoi(f[17]), 1, "stat_num_threads");
	double up = 0;
	FILE *u = fopen("/proc/uptime", "r");
	if (u) {
		if (fscanf(u, "%lf", &up) != 1)
			up = 0;
		fclose(u);
	}
	double start = strtoull(f[19], NULL, 10) / (double)sysconf(_SC_CLK_TCK);
	CHECK(start > 0 && start <= up + 1, "stat_starttime_before_now");
	CHECK(strtoull(f[20], NULL, 10) > 0, "stat_vsize");
	CHECK(strtoull(f[21], NULL, 10) > 0, "stat_rss");
	CHECK_EQ(atoi(f[35]), SIGCHLD, "stat_exit_signal");

	/* Blocked, ignored and caught signals, as the decimal masks of fields 31-34. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGUSR2, SIG_IGN);
	n = stat_fields("/proc/self/stat", &pid, comm, f);
	CHECK(strtoull(f[29], NULL, 10) & (1 << (SIGUSR1 - 1)), "stat_blocked");
	CHECK(strtoull(f[30], NULL, 10) & (1 << (SIGUSR2 - 1)), "stat_ignored");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR2, SIG_DFL);
}

static void on_hup(int sig)
{
	(void)sig;
}

static void test_status(char *argv0)
{
	char num[64];
	umask(027);
	signal(SIGHUP, on_hup);
	CHECK(slurp("/proc/self/status") > 0, "status_read");
	const char *base = strrchr(argv0, '/');
	snprintf(num, sizeof num, "%.15s", base ? base + 1 : argv0);
	CHECK_STR(field(buf, "Name"), num, "status_name");
	CHECK_STR(field(buf, "Umask"), "0027", "status_umask");
	CHECK_STR(field(buf, "State"), "R (running)", "status_state");
	snprintf(num, sizeof num, "%d", getpid());
	CHECK_STR(field(buf, "Tgid"), num, "status_tgid");
	CHECK_STR(field(buf, "Pid"), num, "status_pid");
	CHECK_STR(field(buf, "NSpid"), num, "status_nspid");
	CHECK_STR(field(buf, "Threads"), "1", "status_threads");
	const char *rss = field(buf, "VmRSS");
	CHECK(rss && strstr(rss, " kB"), "status_vmrss_kb");
	CHECK(field(buf, "VmSize") && field(buf, "VmStk") && field(buf, "VmExe"), "status_vm_fields");
	const char *cgt = field(buf, "SigCgt");
	CHECK(cgt && strlen(cgt) == 16 && (strtoull(cgt, NULL, 16) & (1 << (SIGHUP - 1))),
	      "status_sigcgt");
	CHECK(field(buf, "CapEff") && strlen(field(buf, "CapEff")) == 16, "status_capeff");
	CHECK(field(buf, "Cpus_allowed_list") != NULL, "status_cpus_allowed_list");
	signal(SIGHUP, SIG_DFL);
	umask(022);

	CHECK(slurp("/proc/self/statm") > 0, "statm_read");
	unsigned long v[7];
	int n = sscanf(buf, "%lu %lu %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		       &v[6]);
	CHECK_EQ(n, 7, "statm_7_numbers");
	CHECK(v[0] >= v[1] && v[1] > 0, "statm_size_ge_resident");
}

static void test_environ_comm(void)
{
	/* environ is the initial environment area, NUL-separated. */
	static char want[1 << 16];
	size_t wl = 0;
	for (char **e = environ; *e && wl + strlen(*e) + 1 < sizeof want; e++) {
		memcpy(want + wl, *e, strlen(*e) + 1);
		wl += strlen(*e) + 1;
	}
	int fd = open("/proc/self/environ", O_RDONLY);
	ssize_t n = 0, r;
	while (fd >= 0 && (r = read(fd, buf + n, sizeof buf - n)) > 0)
		n += r;
	if (fd >= 0)
		close(fd);
	CHECK(n == (ssize_t)wl && memcmp(buf, want, wl) == 0, "environ_equals_envp");

	fd = open("/proc/self/comm", O_WRONLY);
	CHECK_OK(fd, "comm_open_write");
	CHECK_EQ(write(fd, "renamed", 7), 7, "comm_write");
	char name[17] = { 0 };
	prctl(PR_GET_NAME, name);
	CHECK_STR(name, "renamed", "comm_write_renames");
	slurp("/proc/self/comm");
	CHECK_STR(buf, "renamed\n", "comm_read_back");
	char x[40];
	memset(x, 'x', sizeof x);
	CHECK_EQ(write(fd, x, sizeof x), 40, "comm_long_write_count");
	slurp("/proc/self/comm");
	CHECK_STR(buf, "xxxxxxxxxxxxxxx\n", "comm_truncated_15");
	close(fd);
	prctl(PR_SET_NAME, "proc_pid");

	/* Another process's comm: EINVAL (only a thread of the process may rename it). */
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/comm", c);
	fd = open(p, O_WRONLY);
	CHECK_ERR(write(fd, "other", 5), EINVAL, "comm_other_process_einval");
	close(fd);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);

	/* Files without a writer: EINVAL. */
	fd = open("/proc/self/stat", O_WRONLY);
	CHECK_ERR(write(fd, "1", 1), EINVAL, "stat_write_einval");
	close(fd);
}

static void test_links(void)
{
	char got[PATH_MAX + 1], cwd[PATH_MAX], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/cwd", got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, getcwd(cwd, sizeof cwd), "cwd_link");
	SETUP(realpath(conf_tmpdir(), real) ? 0 : -1);
	SETUP(chdir(real));
	n = readlink("/proc/self/cwd", got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, real, "cwd_link_after_chdir");
	SETUP(chdir(cwd));
	n = readlink("/proc/self/root", got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	CHECK_STR(got, "/", "root_link");
	struct stat st;
	CHECK_OK(lstat("/proc/self/exe", &st), "exe_lstat");
	CHECK(S_ISLNK(st.st_mode) && (st.st_mode & 0777) == 0777, "exe_is_symlink_0777");
	CHECK_OK(stat("/proc/self", &st), "self_stat");
	CHECK(S_ISDIR(st.st_mode) && st.st_uid == geteuid(), "pid_dir_owned_by_euid");
}

static void test_fds(void)
{
	SETUP(write_file(T("f"), "0123456789"));
	int fd = open(T("f"), O_RDWR | O_CLOEXEC);
	SETUP(fd);
	lseek(fd, 5, SEEK_SET);
	char p[64];
	snprintf(p, sizeof p, "%d", fd);
	CHECK_EQ(dir_has("/proc/self/fdinfo", p), 1, "fdinfo_lists_fd");
	snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd);
	CHECK(slurp(p) > 0, "fdinfo_read");
	CHECK_STR(field(buf, "pos"), "5", "fdinfo_pos");
	char want[32];
	snprintf(want, sizeof want, "0%o", fcntl(fd, F_GETFL) | O_CLOEXEC);
	CHECK_STR(field(buf, "flags"), want, "fdinfo_flags_octal_cloexec");
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &sx) == 0) {
		snprintf(want, sizeof want, "%llu", (unsigned long long)sx.stx_mnt_id);
		CHECK_STR(field(buf, "mnt_id"), want, "fdinfo_mnt_id_as_statx");
		snprintf(want, sizeof want, "%llu", (unsigned long long)sx.stx_ino);
		CHECK_STR(field(buf, "ino"), want, "fdinfo_ino");
	}
	close(fd);
	CHECK_ERR(open(p, O_RDONLY), ENOENT, "fdinfo_closed_fd_enoent");
}

static void test_maps(void)
{
	CHECK(slurp("/proc/self/maps") > 0, "maps_read");
	CHECK(strstr(buf, "[stack]") != NULL, "maps_stack");
	int maps_lines = count_lines_with(buf, "");
	unsigned long lo, hi;
	char perms[8];
	CHECK_EQ(sscanf(buf, "%lx-%lx %4s", &lo, &hi, perms), 3, "maps_line_format");
	static char smaps[1 << 20];
	int fd = open("/proc/self/smaps", O_RDONLY);
	ssize_t n = 0, r;
	while (fd >= 0 && (r = read(fd, smaps + n, sizeof smaps - 1 - n)) > 0)
		n += r;
	smaps[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	CHECK(n > 0, "smaps_read");
	/* One block per VMA (the mapping may have changed by a line or two). */
	int sizes = count_lines_with(smaps, "Size:");
	CHECK(sizes > 0 && abs(sizes - maps_lines) <= 2, "smaps_block_per_vma");
	CHECK_EQ(count_lines_with(smaps, "Rss:"), sizes, "smaps_rss_lines");
	CHECK_EQ(count_lines_with(smaps, "Pss:"), sizes, "smaps_pss_lines");
	CHECK_EQ(count_lines_with(smaps, "VmFlags:"), sizes, "smaps_vmflags_lines");
	CHECK(strstr(smaps, "KernelPageSize:        4 kB") != NULL, "smaps_kernelpagesize");
	CHECK(slurp("/proc/self/smaps_rollup") > 0, "smaps_rollup_read");
	CHECK(strstr(buf, "[rollup]") && field(buf, "Rss") && field(buf, "Pss_Anon"),
	      "smaps_rollup_format");
}

static void test_mounts_limits(void)
{
	CHECK(slurp("/proc/self/mounts") > 0, "mounts_read");
	CHECK(strstr(buf, " /proc proc ") != NULL, "mounts_proc_line");
	CHECK(slurp("/proc/self/mountinfo") > 0, "mountinfo_read");
	int id, parent;
	unsigned maj, min;
	char root[256], mp[256];
	CHECK_EQ(sscanf(buf, "%d %d %u:%u %255s %255s", &id, &parent, &maj, &min, root, mp), 6,
		 "mountinfo_line_format");
	CHECK(strstr(buf, " /proc ") && strstr(buf, " - proc "), "mountinfo_proc");

	CHECK(slurp("/proc/self/limits") > 0, "limits_read");
	char want[128];
	snprintf(want, sizeof want, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit",
		 "Units");
	CHECK(strncmp(buf, want, strlen(want)) == 0, "limits_header");
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	snprintf(want, sizeof want, "Max open files            %-20lu %-20lu files     \n",
		 (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
	CHECK(strstr(buf, want) != NULL, "limits_nofile_matches_getrlimit");
	CHECK_EQ(count_lines_with(buf, "Max "), 16, "limits_16_rows");
}

static pthread_barrier_t bar;

static void *thread_main(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	prctl(PR_SET_NAME, "worker");
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	return NULL;
}

static void test_tasks(void)
{
	char p[128], comm[64], f[64][32], name[16];
	int pid;
	snprintf(name, sizeof name, "%d", getpid());
	CHECK_EQ(dir_has("/proc/self/task", name), 1, "task_lists_main");
	pthread_t th;
	pid_t tid = 0;
	pthread_barrier_init(&bar, NULL, 2);
	pthread_create(&th, NULL, thread_main, &tid);
	pthread_barrier_wait(&bar);
	CHECK_EQ(count_entries("/proc/self/task"), 2, "task_lists_two_threads");
	snprintf(p, sizeof p, "/proc/self/task/%d/stat", tid);
	CHECK_EQ(stat_fields(p, &pid, comm, f), 52, "task_stat_fields");
	CHECK_EQ(pid, tid, "task_stat_pid_is_tid");
	CHECK_STR(comm, "worker", "task_stat_comm");
	snprintf(p, sizeof p, "/proc/self/task/%d/comm", tid);
	slurp(p);
	CHECK_STR(buf, "worker\n", "task_comm");
	snprintf(p, sizeof p, "/proc/self/task/%d/status", tid);
	slurp(p);
	snprintf(name, sizeof name, "%d", tid);
	CHECK_STR(field(buf, "Pid"), name, "task_status_pid");
	CHECK_STR(field(buf, "Threads"), "2", "task_status_threads");
	slurp("/proc/self/status");
	CHECK_STR(field(buf, "Threads"), "2", "status_threads_two");
	/* /proc/TID works for a thread, though /proc does not list it. */
	snprintf(p, sizeof p, "/proc/%d/stat", tid);
	CHECK_EQ(stat_fields(p, &pid, comm, f), 52, "proc_tid_stat");
	CHECK_EQ(dir_has("/proc", name), 0, "proc_does_not_list_threads");
	snprintf(p, sizeof p, "/proc/self/task/%d/children", getpid());
	CHECK_OK(slurp(p), "task_children_read");
	CHECK_ERR(access("/proc/self/task/999999/stat", F_OK), ENOENT, "task_missing_tid");
	pthread_barrier_wait(&bar);
	pthread_join(th, NULL);
}

static void test_ns_oom(void)
{
	char got[64];
	ssize_t n = readlink("/proc/self/ns/pid", got, sizeof got - 1);
	got[n > 0 ? n : 0] = 0;
	unsigned long ino = 0;
	CHECK_EQ(sscanf(got, "pid:[%lu]", &ino), 1, "ns_pid_link_format");
	struct stat st;
	CHECK_OK(stat("/proc/self/ns/pid", &st), "ns_pid_stat");
	CHECK_EQ(st.st_ino, ino, "ns_pid_inode_matches");
	CHECK_EQ(dir_has("/proc/self/ns", "mnt"), 1, "ns_lists_mnt");
	CHECK_EQ(dir_has("/proc/self/ns", "uts"), 1, "ns_lists_uts");
	n = readlink("/proc/self/ns/uts", got, sizeof got - 1);
	CHECK(n > 6 && strncmp(got, "uts:[", 5) == 0, "ns_uts_link");

	CHECK(slurp("/proc/self/oom_score_adj") > 0, "oom_score_adj_read");
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_TRUNC);
	CHECK_OK(fd, "oom_score_adj_open_trunc");
	CHECK_EQ(write(fd, "100\n", 4), 4, "oom_score_adj_write");
	slurp("/proc/self/oom_score_adj");
	CHECK_STR(buf, "100\n", "oom_score_adj_read_back");
	slurp("/proc/self/oom_adj");
	CHECK_STR(buf, "1\n", "oom_adj_scaled");
	CHECK_ERR(write(fd, "abc", 3), EINVAL, "oom_score_adj_garbage");
	CHECK_ERR(write(fd, "2000", 4), EINVAL, "oom_score_adj_range");
	CHECK_ERR(write(fd, "", 0), EINVAL, "oom_score_adj_empty");
	CHECK_EQ(write(fd, " 200 \n", 6), 6, "oom_score_adj_blanks");
	close(fd);
	pid_t c = fork();
	if (c == 0) {
		slurp("/proc/self/oom_score_adj");
		_exit(strcmp(buf, "200\n") ? 1 : 0);
	}
	int status;
	waitpid(c, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "oom_score_adj_inherited");
	CHECK(slurp("/proc/self/oom_score") > 0 && atoi(buf) >= 0, "oom_score_read");
	CHECK(slurp("/proc/self/cgroup") > 0 && (strncmp(buf, "0::", 3) == 0 || strstr(buf, "\n0::")),
	      "cgroup_v2_line");
	CHECK(slurp("/proc/self/loginuid") > 0 && buf[0] >= '0' && buf[0] <= '9', "loginuid_number");
	CHECK(slurp("/proc/self/io") > 0 && strncmp(buf, "rchar: ", 7) == 0, "io_format");
}

/* As uid 65534: what another (root) process's entries allow. */
static void test_permissions(void)
{
	pid_t a = fork();
	if (a == 0) {
		pause();
		_exit(0);
	}
	int pfd[2];
	SETUP(pipe(pfd));
	pid_t b = fork();
	if (b == 0) {
		close(pfd[0]);
		if (setgid(65534) || setuid(65534))
			_exit(2);
		/* Changing uid makes a process undumpable (its /proc files root's): undo that. */
		prctl(PR_SET_DUMPABLE, 1);
		char p[64], l[256];
		int res = 0, bit = 0;
#define EXPECT(cond) do { if (!(cond)) res |= 1 << bit; bit++; } while (0)
		snprintf(p, sizeof p, "/proc/%d/environ", a);
		EXPECT(open(p, O_RDONLY) < 0 && errno == EACCES);
		snprintf(p, sizeof p, "/proc/%d/exe", a);
		EXPECT(readlink(p, l, sizeof l) < 0 && errno == EACCES);
		snprintf(p, sizeof p, "/proc/%d/cwd", a);
		EXPECT(readlink(p, l, sizeof l) < 0 && errno == EACCES);
		snprintf(p, sizeof p, "/proc/%d/maps", a);
		EXPECT(open(p, O_RDONLY) < 0 && errno == EACCES);
		snprintf(p, sizeof p, "/proc/%d/stat", a);
		EXPECT(read_file(p, l, sizeof l) > 0);
		snprintf(p, sizeof p, "/proc/%d/status", a);
		EXPECT(read_file(p, buf, sizeof buf) > 0);
		snprintf(p, sizeof p, "/proc/%d/fd", a);
		EXPECT(opendir(p) == NULL && errno == EACCES);
		snprintf(p, sizeof p, "/proc/%d/oom_score_adj", a);
		EXPECT(open(p, O_WRONLY) < 0 && errno == EACCES);
		snprintf(p, sizeof p, "/proc/%d/ns/pid", a);
		EXPECT(readlink(p, l, sizeof l) < 0 && errno == EACCES);
		/* Lowering one's own oom_score_adj below 0 needs CAP_SYS_RESOURCE. */
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);
		EXPECT(fd >= 0 && write(fd, "-5", 2) < 0 && errno == EACCES);
		if (write(pfd[1], &res, sizeof res) != sizeof res)
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	int res = -1;
	if (read(pfd[0], &res, sizeof res) != sizeof res)
		res = -1;
	close(pfd[0]);
	waitpid(b, NULL, 0);
	static const char *const names[] = {
		"perm_environ_eacces", "perm_exe_eacces", "perm_cwd_eacces", "perm_maps_eacces",
		"perm_stat_readable", "perm_status_readable", "perm_fd_dir_eacces",
		"perm_oom_write_eacces", "perm_ns_eacces", "perm_oom_lower_eacces",
	};
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		CHECK(res >= 0 && !(res & (1 << i)), names[i]);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
}

static void test_dead(void)
{
	char p[64], comm[64], f[64][32], l[256];
	int pid;
	pid_t c = fork();
	if (c == 0)
		_exit(7);
	/* A zombie until reaped: state Z, no cmdline, no exe. */
	snprintf(p, sizeof p, "/proc/%d/stat", c);
	int tries = 0;
	while (tries++ < 2000) {
		if (stat_fields(p, &pid, comm, f) > 3 && f[0][0] == 'Z')
			break;
		usleep(1000);
	}
	CHECK_STR(f[0], "Z", "zombie_state");
	snprintf(p, sizeof p, "/proc/%d/status", c);
	slurp(p);
	CHECK_STR(field(buf, "State"), "Z (zombie)", "zombie_status_state");
	snprintf(p, sizeof p, "/proc/%d/cmdline", c);
	CHECK_EQ(slurp(p), 0, "zombie_cmdline_empty");
	snprintf(p, sizeof p, "/proc/%d/exe", c);
	CHECK_ERR(readlink(p, l, sizeof l), ENOENT, "zombie_exe_enoent");
	snprintf(p, sizeof p, "%d", c);
	CHECK_EQ(dir_has("/proc", p), 1, "zombie_listed");
	snprintf(p, sizeof p, "/proc/%d/stat", c);
	int held = open(p, O_RDONLY);
	waitpid(c, NULL, 0);
	/* Reaped: gone from /proc, and an open file reads ESRCH. */
	CHECK_ERR(open(p, O_RDONLY), ENOENT, "reaped_stat_enoent");
	snprintf(p, sizeof p, "/proc/%d/exe", c);
	CHECK_ERR(readlink(p, l, sizeof l), ENOENT, "reaped_exe_enoent");
	snprintf(p, sizeof p, "%d", c);
	CHECK_EQ(dir_has("/proc", p), 0, "reaped_not_listed");
	CHECK_ERR(read(held, l, sizeof l), ESRCH, "reaped_read_esrch");
	close(held);
}

int main(int argc, char **argv)
{
	(void)argc;
	prctl(PR_SET_NAME, "proc_pid");
	test_stat(argv[0]);
	test_status(argv[0]);
	test_environ_comm();
	test_links();
	test_fds();
	test_maps();
	test_mounts_limits();
	test_tasks();
	test_ns_oom();
	test_permissions();
	test_dead();
	return conf_exit();
}
