/* execve and execveat: argv/envp passing, #! scripts (with an argument,
 * nested interpreter errors), error cases (ENOENT, EACCES, ENOEXEC, EFAULT,
 * ENOTDIR, ENAMETOOLONG), what survives exec (pid, ppid, fds without
 * close-on-exec, SIG_IGN, the signal mask, cwd, umask) and what does not
 * (close-on-exec fds, caught dispositions, memory, the comm name).
 *
 * The program re-executes itself (/proc/self/exe) in "child mode":
 *   execve report FILE [ARGS...]    writes a report of its state to FILE
 *   execve shebang SCRIPT [ARGS...] same, to SCRIPT.out (run as interpreter)
 * The report is one "key=value" line per item; the parent reads it back. */
#include "conformance.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

static volatile int marker = 1;

/* ---- child mode ---- */

static int child_report(const char *out, int argc, char **argv)
{
	int open_fds[10];
	for (int fd = 3; fd < 10; fd++) /* before fopen takes the lowest fd */
		open_fds[fd] = fcntl(fd, F_GETFD) >= 0;
	FILE *f = fopen(out, "w");
	if (!f)
		return 99;
	fprintf(f, "argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		fprintf(f, "argv%d=%s\n", i, argv[i]);
	int n = 0;
	for (char **e = environ; *e; e++, n++)
		fprintf(f, "env%d=%s\n", n, *e);
	fprintf(f, "envc=%d\n", n);
	fprintf(f, "pid=%d\nppid=%d\n", getpid(), getppid());
	for (int fd = 3; fd < 10; fd++)
		fprintf(f, "fd%d=%s\n", fd, open_fds[fd] ? "open" : "closed");
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	fprintf(f, "usr1=%s\n", sa.sa_handler == SIG_DFL ? "dfl" : sa.sa_handler == SIG_IGN ? "ign" : "handler");
	sigaction(SIGUSR2, NULL, &sa);
	fprintf(f, "usr2=%s\n", sa.sa_handler == SIG_DFL ? "dfl" : sa.sa_handler == SIG_IGN ? "ign" : "handler");
	sigaction(SIGTERM, NULL, &sa);
	fprintf(f, "term=%s\n", sa.sa_handler == SIG_DFL ? "dfl" : sa.sa_handler == SIG_IGN ? "ign" : "handler");
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	fprintf(f, "mask_int=%d\n", sigismember(&cur, SIGINT));
	char cwd[PATH_MAX];
	fprintf(f, "cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
	mode_t m = umask(0);
	fprintf(f, "umask=%03o\n", (unsigned)m);
	char comm[17] = { 0 };
	prctl(PR_GET_NAME, comm);
	fprintf(f, "comm=%s\n", comm);
	fprintf(f, "marker=%d\n", marker);
	fclose(f);
	return 0;
}

/* ---- parent side ---- */

static char self[PATH_MAX];
static char report[262144];


/* Value of KEY in the last report, or "(missing)". */
static const char *rv(const char *key)
{
	static char vals[8][PATH_MAX];
	static int i;
	char *v = vals[i++ % 8];
	size_t kl = strlen(key);
	for (const char *p = report; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			snprintf(v, PATH_MAX, "%.*s", (int)(len - kl - 1), p + kl + 1);
			return v;
		}
		p += len + (nl ? 1 : 0);
	}
	return "(missing)";
}

/* fork; the child runs the prep function then execve(path, argv, envp); the
 * parent waits and loads OUT into report. Returns the child's status. */
static int run_exec(void (*prep)(void), const char *path, char *const argv[], char *const envp[],
		    const char *out, pid_t *pidp)
{
	unlink(out);
	report[0] = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (prep)
			prep();
		marker = 2;
		execve(path, argv, envp);
		_exit(120 + (errno & 7));
	}
	if (pidp)
		*pidp = pid;
	int st = reap(pid);
	if (read_file(out, report, sizeof report) < 0)
		report[0] = 0;
	return st;
}

static void ignore_handler(int sig)
{
	(void)sig;
}

static int fd_cloexec = -1, fd_keep = -1;

static void prep_state(void)
{
	/* A caught signal (never delivered), an ignored one, a mask. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ignore_handler;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigprocmask(SIG_BLOCK, &s, NULL);
	chdir(conf_tmpdir());
	umask(0037);
	prctl(PR_SET_NAME, "conf-before");
}

#define EXITED_0(st) ((st) != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "report") == 0)
		return child_report(argv[2], argc, argv);
	if (argc >= 3 && strcmp(argv[1], "shebang") == 0) {
		char out[PATH_MAX];
		snprintf(out, sizeof out, "%s.out", argv[2]);
		return child_report(out, argc, argv);
	}

	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	SETUP(n);
	self[n] = 0;
	const char *out = T("report");
	char outbuf[PATH_MAX];
	snprintf(outbuf, sizeof outbuf, "%s", out);
	int st;
	pid_t pid;

	/* ---- argv and envp ---- */
	char *av[] = { "argv-zero", "report", outbuf, "two words", "", "-x", "\xc3\xa9", NULL };
	char *ev[] = { "FOO=bar", "EMPTY=", "NOEQUALS", "X=1=2", NULL };
	st = run_exec(NULL, "/proc/self/exe", av, ev, outbuf, &pid);
	CHECK(EXITED_0(st), "exec_self_exits_0");
	CHECK_STR(rv("argc"), "7", "argc");
	CHECK_STR(rv("argv0"), "argv-zero", "argv0_as_given");
	CHECK_STR(rv("argv3"), "two words", "argv_with_space");
	CHECK_STR(rv("argv4"), "", "argv_empty_string");
	CHECK_STR(rv("argv5"), "-x", "argv_dash");
	CHECK_STR(rv("argv6"), "\xc3\xa9", "argv_utf8");
	CHECK_STR(rv("envc"), "4", "envc");
	CHECK_STR(rv("env0"), "FOO=bar", "env0");
	CHECK_STR(rv("env1"), "EMPTY=", "env_empty_value");
	CHECK_STR(rv("env2"), "NOEQUALS", "env_no_equals");
	CHECK_STR(rv("env3"), "X=1=2", "env_two_equals");
	char want[PATH_MAX + 64];
	snprintf(want, sizeof want, "%d", pid);
	CHECK_STR(rv("pid"), want, "pid_kept_across_exec");
	snprintf(want, sizeof want, "%d", getpid());
	CHECK_STR(rv("ppid"), want, "ppid_kept_across_exec");
	CHECK_STR(rv("marker"), "1", "memory_replaced_by_exec");
	CHECK_STR(rv("comm"), "exe", "comm_is_exec_basename");

	/* An empty environment, and NULL envp (treated as empty). */
	char *ev0[] = { NULL };
	st = run_exec(NULL, self, av, ev0, outbuf, NULL);
	CHECK(EXITED_0(st) && strcmp(rv("envc"), "0") == 0, "empty_envp");
	st = run_exec(NULL, self, av, NULL, outbuf, NULL);
	CHECK(EXITED_0(st) && strcmp(rv("envc"), "0") == 0, "null_envp_is_empty");

	/* A long argument and many arguments. */
	static char longarg[100001];
	memset(longarg, 'a', sizeof longarg - 1);
	char *many[300];
	many[0] = "many";
	many[1] = "report";
	many[2] = outbuf;
	many[3] = longarg;
	for (int i = 4; i < 299; i++)
		many[i] = "arg";
	many[299] = NULL;
	st = run_exec(NULL, self, many, ev, outbuf, NULL);
	CHECK(EXITED_0(st) && strcmp(rv("argc"), "299") == 0, "many_args_argc");
	const char *la = strstr(report, "\nargv3=");
	size_t lal = la ? strspn(la + 7, "a") : 0;
	CHECK_EQ(lal, sizeof longarg - 1, "long_arg_passed");

	/* ---- state across exec ---- */
	SETUP(fd_cloexec = open("/dev/null", O_RDONLY | O_CLOEXEC));
	SETUP(fd_keep = open("/dev/null", O_RDONLY));
	int fd_dup_cloexec;
	SETUP(fd_dup_cloexec = fcntl(fd_keep, F_DUPFD_CLOEXEC, 0));
	st = run_exec(prep_state, self, av, ev, outbuf, NULL);
	CHECK(EXITED_0(st), "state_child_exits_0");
	char key[16];
	snprintf(key, sizeof key, "fd%d", fd_cloexec);
	CHECK_STR(rv(key), "closed", "cloexec_fd_closed");
	snprintf(key, sizeof key, "fd%d", fd_dup_cloexec);
	CHECK_STR(rv(key), "closed", "dupfd_cloexec_fd_closed");
	snprintf(key, sizeof key, "fd%d", fd_keep);
	CHECK_STR(rv(key), "open", "plain_fd_kept");
	CHECK_STR(rv("usr1"), "dfl", "caught_signal_reset_to_default");
	CHECK_STR(rv("usr2"), "ign", "ignored_signal_stays_ignored");
	CHECK_STR(rv("term"), "dfl", "default_signal_stays_default");
	CHECK_STR(rv("mask_int"), "1", "signal_mask_kept");
	CHECK_STR(rv("cwd"), conf_tmpdir(), "cwd_kept");
	CHECK_STR(rv("umask"), "037", "umask_kept");
	CHECK_STR(rv("comm"), "execve", "comm_reset_by_exec");
	close(fd_cloexec);
	close(fd_dup_cloexec);
	close(fd_keep);

	/* ---- #! scripts ---- */
	char script[PATH_MAX], sout[PATH_MAX + 8], line[PATH_MAX + 64];
	snprintf(script, sizeof script, "%s", T("script.sh"));
	snprintf(sout, sizeof sout, "%s.out", script);
	/* The #! line is read from a bounded buffer and split at blanks, so the
	 * interpreter is named through a short symlink: the checkout's path
	 * may be long or hold spaces. */
	char interp[PATH_MAX];
	snprintf(interp, sizeof interp, "%s", T("interp"));
	SETUP(symlink(self, interp));
	snprintf(line, sizeof line, "#!%s shebang\nbody is not read\n", interp);
	SETUP(write_file(script, line));
	SETUP(chmod(script, 0755));
	char *sav[] = { "script-argv0", "one", "two", NULL };
	st = run_exec(NULL, script, sav, ev, sout, NULL);
	CHECK(EXITED_0(st), "shebang_runs_interpreter");
	CHECK_STR(rv("argc"), "5", "shebang_argc");
	CHECK_STR(rv("argv0"), interp, "shebang_argv0_is_interpreter");
	CHECK_STR(rv("argv1"), "shebang", "shebang_argument");
	CHECK_STR(rv("argv2"), script, "shebang_script_path");
	CHECK_STR(rv("argv3"), "one", "shebang_arg1_after_script");
	CHECK_STR(rv("argv4"), "two", "shebang_arg2");
	CHECK_STR(rv("env0"), "FOO=bar", "shebang_env");
	CHECK_STR(rv("comm"), "script.sh", "shebang_comm_is_script_name");

	/* Spaces/tabs around the interpreter; the rest of the line is one argument. */
	snprintf(line, sizeof line, "#! \t%s shebang  \n", interp);
	SETUP(write_file(script, line));
	st = run_exec(NULL, script, sav, ev, sout, NULL);
	CHECK(EXITED_0(st) && strcmp(rv("argv1"), "shebang") == 0 &&
	      strcmp(rv("argv2"), script) == 0, "shebang_whitespace_trimmed");

	/* A real shell script. */
	char shout[PATH_MAX];
	snprintf(shout, sizeof shout, "%s", T("sh.out"));
	snprintf(line, sizeof line, "#!/bin/sh -e\necho \"$0|$1|$FOO\" > %s\nexit 3\n", shout);
	SETUP(write_file(script, line));
	st = run_exec(NULL, script, sav, ev, shout, NULL);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3, "sh_script_exit_status");
	snprintf(want, sizeof want, "%s|one|bar\n", script);
	CHECK_STR(report, want, "sh_script_output");

	/* Interpreter missing -> ENOENT; a script with no #! and exec bit -> ENOEXEC. */
	SETUP(write_file(script, "#!/nonexistent/interp\n"));
	CHECK_ERR(execve(script, sav, ev), ENOENT, "shebang_missing_interpreter_enoent");
	SETUP(write_file(script, "#!\n"));
	CHECK_ERR(execve(script, sav, ev), ENOEXEC, "shebang_empty_enoexec");

	/* ---- errors (the calling process survives) ---- */
	CHECK_ERR(execve("/nonexistent/conf-prog", sav, ev), ENOENT, "missing_enoent");
	CHECK_ERR(execve("", sav, ev), ENOENT, "empty_path_enoent");
	char *g = (char *)T("garbage");
	SETUP(write_file(g, "this is not an executable\n\x01\x02\x03 garbage garbage\n"));
	SETUP(chmod(g, 0755));
	CHECK_ERR(execve(g, sav, ev), ENOEXEC, "garbage_enoexec");
	SETUP(write_file(g, "\177ELF\2\1\1\0garbage garbage garbage garbage garbage garbage"));
	CHECK_ERR(execve(g, sav, ev), ENOEXEC, "truncated_elf_enoexec");
	SETUP(write_file(g, ""));
	CHECK_ERR(execve(g, sav, ev), ENOEXEC, "empty_file_enoexec");
	SETUP(write_file(g, "#!/bin/sh\nexit 0\n"));
	SETUP(chmod(g, 0644));
	CHECK_ERR(execve(g, sav, ev), EACCES, "not_executable_eacces");
	SETUP(chmod(g, 0));
	CHECK_ERR(execve(g, sav, ev), EACCES, "mode_0_eacces");
	CHECK_ERR(execve(conf_tmpdir(), sav, ev), EACCES, "directory_eacces");
	CHECK_ERR(execve("/dev/null", sav, ev), EACCES, "device_eacces");
	char notdir[PATH_MAX];
	snprintf(notdir, sizeof notdir, "%s/x", g);
	CHECK_ERR(execve(notdir, sav, ev), ENOTDIR, "file_as_dir_enotdir");
	static char longpath[PATH_MAX + 10];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	CHECK_ERR(execve(longpath, sav, ev), ENAMETOOLONG, "long_path_enametoolong");
	/* One string may be 32 pages with its NUL (MAX_ARG_STRLEN), no longer. */
	static char bigarg[32 * 4096 + 1];
	memset(bigarg, 'a', sizeof bigarg - 1);
	char *big_av[] = { "true", bigarg, NULL };
	CHECK_ERR(execve("/bin/true", big_av, ev), E2BIG, "arg_over_max_arg_strlen_e2big");
	/* The program is opened before the strings are read. */
	CHECK_ERR(execve("/nonexistent/conf-prog", big_av, ev), ENOENT, "missing_before_e2big");
	CHECK_ERR(execve(conf_tmpdir(), big_av, ev), EACCES, "eacces_before_e2big");
	CHECK_ERR(execve("/nonexistent/conf-prog", BAD_PTR, ev), ENOENT, "missing_before_bad_argv");
	char *big_ev[] = { bigarg, NULL };
	CHECK_ERR(execve("/bin/true", sav, big_ev), E2BIG, "env_over_max_arg_strlen_e2big");
	bigarg[sizeof bigarg - 2] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execve("/bin/true", big_av, ev);
		_exit(120);
	}
	st = reap(pid);
	CHECK(EXITED_0(st), "arg_of_max_arg_strlen_runs");
	CHECK_ERR(execve(BAD_PTR, sav, ev), EFAULT, "bad_path_efault");
	CHECK_ERR(execve(self, BAD_PTR, ev), EFAULT, "bad_argv_efault");
	CHECK_ERR(execve(self, sav, BAD_PTR), EFAULT, "bad_envp_efault");
	char *bad_elem[] = { "x", BAD_PTR, NULL };
	CHECK_ERR(execve(self, bad_elem, ev), EFAULT, "bad_argv_element_efault");
	CHECK_EQ(marker, 1, "still_running_after_failed_execs");

	/* ---- execveat ---- */
	int dfd;
	SETUP(dfd = open("/bin", O_RDONLY | O_DIRECTORY));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *tav[] = { "true", NULL };
		syscall(SYS_execveat, dfd, "true", tav, ev, 0);
		_exit(120);
	}
	st = reap(pid);
	CHECK(EXITED_0(st), "execveat_relative_to_dirfd");
	int efd;
	SETUP(efd = open(self, O_RDONLY | O_CLOEXEC));
	unlink(outbuf);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, efd, "", av, ev, AT_EMPTY_PATH);
		_exit(120);
	}
	st = reap(pid);
	if (read_file(outbuf, report, sizeof report) < 0)
		report[0] = 0;
	CHECK(EXITED_0(st) && strcmp(rv("argv0"), "argv-zero") == 0, "execveat_empty_path_fd");
	CHECK_ERR(syscall(SYS_execveat, dfd, "nonexistent-conf", sav, ev, 0), ENOENT, "execveat_enoent");
	CHECK_ERR(syscall(SYS_execveat, dfd, "true", sav, ev, 0x12345), EINVAL, "execveat_bad_flags_einval");
	close(dfd);
	close(efd);

	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "no_children_left");
	return conf_exit();
}
