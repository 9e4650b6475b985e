/* How a child ends, as its parent's wait status sees it: exit, _exit, raw
 * exit and exit_group with various codes (truncated to 8 bits), the exit
 * status of a re-executed program returning from main, stdio flushing and
 * atexit on exit() but not _exit(), and default signal actions: terminate
 * (SIGTERM, SIGKILL, SIGUSR1, SIGHUP, SIGINT, SIGALRM, SIGPIPE, SIGQUIT,
 * SIGABRT), ignore (SIGCHLD, SIGURG, SIGWINCH, SIG_IGN), blocked signals
 * discarded at exit, and synchronous faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP). Core dumps are disabled (RLIMIT_CORE 0); the core bit is
 * accepted only for signals whose default action dumps core. */
#include "conformance.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>


static int arg;

/* Forks, runs FN(arg) in the child (which must not return), returns the
 * wait status. */
static int run(void (*fn)(int), int a)
{
	arg = a;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(200); /* fn returned */
	}
	return pid < 0 ? -1 : reap(pid);
}

static void do_exit(int c) { exit(c); }
static void do__exit(int c) { _exit(c); }
static void do_raw_exit(int c) { syscall(SYS_exit, c); }
static void do_exit_group(int c) { syscall(SYS_exit_group, c); }

static void do_raise(int sig)
{
	raise(sig);
	_exit(0); /* survived: the signal was ignored */
}

static void do_kill_self(int sig)
{
	kill(getpid(), sig);
	_exit(0);
}

static void do_ignored_raise(int sig)
{
	signal(sig, SIG_IGN);
	raise(sig);
	_exit(0);
}

static void do_blocked_then_exit(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_BLOCK, &s, NULL);
	raise(sig);
	_exit(5);
}

/* Blocked, then unblocked: delivered with the default action. */
static void do_blocked_then_unblocked(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_BLOCK, &s, NULL);
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	_exit(6);
}

static void do_segv(int a)
{
	(void)a;
	*(volatile int *)conf_bad_ptr() = 1;
}

static void do_segv_ignored(int a)
{
	(void)a;
	signal(SIGSEGV, SIG_IGN); /* a fault still kills */
	*(volatile int *)conf_bad_ptr() = 1;
}

static void do_segv_blocked(int a)
{
	(void)a;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigprocmask(SIG_BLOCK, &s, NULL);
	*(volatile int *)conf_bad_ptr() = 1;
}

static void do_fpe(int a)
{
	volatile int zero = a - a, one = 1;
	one = one / zero;
}

static void do_ill(int a)
{
	(void)a;
	__asm__ volatile("ud2");
}

static void do_trap(int a)
{
	(void)a;
	__asm__ volatile("int3");
}

static void do_write_ro(int a)
{
	(void)a;
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
}

static const char *bus_file;
static void do_bus(int a)
{
	(void)a;
	int fd = open(bus_file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(201);
	(void)*(volatile char *)(p + 4096); /* beyond EOF */
}

static const char *stdio_file;
static void do_stdio_exit(int use_exit)
{
	FILE *f = fopen(stdio_file, "w");
	fputs("buffered", f);
	if (use_exit)
		exit(0);
	_exit(0);
}

static const char *atexit_file;
static void atexit_fn(void)
{
	write_file(atexit_file, "ran");
}
static void do_atexit(int use_exit)
{
	atexit(atexit_fn);
	if (use_exit)
		exit(0);
	_exit(0);
}

static void do_return_from_main(int code)
{
	char self[PATH_MAX], c[16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		_exit(202);
	self[n] = 0;
	snprintf(c, sizeof c, "%d", code);
	char *av[] = { "exit_status", "return", c, NULL };
	execv(self, av);
	_exit(203);
}

static int exited(int st, int code)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

/* Signals whose default action dumps core: only these may set the core
 * bit (natively it stays clear here, as RLIMIT_CORE is 0). */
static int dumps_core(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
	case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return 1;
	}
	return 0;
}

static int signaled(int st, int sig)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig && (!WCOREDUMP(st) || dumps_core(sig));
}

static void expect_sig(int st, int sig, const char *name)
{
	if (signaled(st, sig))
		conf_ok(name);
	else
		conf_fail(name, "status %#x, want killed by %s", st, sigabbrev_np(sig));
}

static void expect_exit(int st, int code, const char *name)
{
	if (exited(st, code))
		conf_ok(name);
	else
		conf_fail(name, "status %#x, want exit %d", st, code);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "return") == 0)
		return atoi(argv[2]);

	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	char name[64];
	int st;

	static const struct {
		void (*fn)(int);
		const char *label;
	} exits[] = {
		{ do_exit, "exit" },
		{ do__exit, "_exit" },
		{ do_raw_exit, "raw_exit" },
		{ do_exit_group, "exit_group" },
		{ do_return_from_main, "return_from_main" },
	};
	static const struct {
		int code, want;
	} codes[] = { { 0, 0 }, { 1, 1 }, { 77, 77 }, { 255, 255 }, { 256, 0 }, { -1, 255 }, { 0x1234, 0x34 } };
	for (size_t e = 0; e < sizeof exits / sizeof *exits; e++)
		for (size_t c = 0; c < sizeof codes / sizeof *codes; c++) {
			if (exits[e].fn == do_return_from_main && (codes[c].code < 0 || codes[c].code > 256))
				continue;
			st = run(exits[e].fn, codes[c].code);
			snprintf(name, sizeof name, "%s_%d", exits[e].label, codes[c].code);
			if (exited(st, codes[c].want))
				conf_ok(name);
			else
				conf_fail(name, "status %#x, want exit %d", st, codes[c].want);
		}

	/* ---- stdio and atexit ---- */
	char buf[64];
	stdio_file = T("stdio");
	st = run(do_stdio_exit, 1);
	CHECK(exited(st, 0) && read_file(stdio_file, buf, sizeof buf) == 8 && strcmp(buf, "buffered") == 0,
	      "exit_flushes_stdio");
	st = run(do_stdio_exit, 0);
	CHECK(exited(st, 0) && read_file(stdio_file, buf, sizeof buf) == 0, "_exit_does_not_flush_stdio");
	atexit_file = T("atexit");
	st = run(do_atexit, 1);
	CHECK(exited(st, 0) && read_file(atexit_file, buf, sizeof buf) == 3, "exit_runs_atexit");
	unlink(atexit_file);
	st = run(do_atexit, 0);
	CHECK(exited(st, 0) && read_file(atexit_file, buf, sizeof buf) == -1 && errno == ENOENT,
	      "_exit_skips_atexit");

	/* ---- default actions ---- */
	const int term[] = { SIGTERM, SIGKILL, SIGUSR1, SIGUSR2, SIGHUP, SIGINT, SIGALRM,
				    SIGPIPE, SIGQUIT, SIGABRT, SIGVTALRM, SIGPROF, SIGXCPU, SIGRTMIN,
				    SIGRTMAX };
	for (size_t i = 0; i < sizeof term / sizeof *term; i++) {
		st = run(do_raise, term[i]);
		snprintf(name, sizeof name, "raise_%s_terminates", sigabbrev_np(term[i]) ?: "RT");
		if (signaled(st, term[i]))
			conf_ok(name);
		else
			conf_fail(name, "status %#x, want killed by %d", st, term[i]);
	}
	st = run(do_kill_self, SIGTERM);
	expect_sig(st, SIGTERM, "kill_self_sigterm_terminates");
	st = run(do_kill_self, 0);
	expect_exit(st, 0, "kill_self_signal_0_harmless");

	static const int ign[] = { SIGCHLD, SIGURG, SIGWINCH, SIGCONT };
	for (size_t i = 0; i < sizeof ign / sizeof *ign; i++) {
		st = run(do_raise, ign[i]);
		snprintf(name, sizeof name, "raise_%s_default_ignored", sigabbrev_np(ign[i]));
		expect_exit(st, 0, name);
	}
	static const int ignored[] = { SIGTERM, SIGUSR1, SIGINT, SIGPIPE };
	for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++) {
		st = run(do_ignored_raise, ignored[i]);
		snprintf(name, sizeof name, "sig_ign_%s_survives", sigabbrev_np(ignored[i]));
		expect_exit(st, 0, name);
	}
	st = run(do_ignored_raise, SIGKILL);
	expect_sig(st, SIGKILL, "sigkill_cannot_be_ignored");
	st = run(do_blocked_then_exit, SIGTERM);
	expect_exit(st, 5, "blocked_pending_sigterm_discarded_at_exit");
	st = run(do_blocked_then_exit, SIGKILL);
	expect_sig(st, SIGKILL, "sigkill_cannot_be_blocked");
	st = run(do_blocked_then_unblocked, SIGUSR1);
	expect_sig(st, SIGUSR1, "unblocked_pending_sigusr1_terminates");

	/* ---- faults ---- */
	st = run(do_segv, 0);
	expect_sig(st, SIGSEGV, "null_write_sigsegv");
	st = run(do_segv_ignored, 0);
	expect_sig(st, SIGSEGV, "sigsegv_ignored_still_kills");
	st = run(do_segv_blocked, 0);
	expect_sig(st, SIGSEGV, "sigsegv_blocked_still_kills");
	st = run(do_write_ro, 0);
	expect_sig(st, SIGSEGV, "readonly_write_sigsegv");
	st = run(do_fpe, 0);
	expect_sig(st, SIGFPE, "divide_by_zero_sigfpe");
	st = run(do_ill, 0);
	expect_sig(st, SIGILL, "ud2_sigill");
	st = run(do_trap, 0);
	expect_sig(st, SIGTRAP, "int3_sigtrap");
	bus_file = T("bus");
	st = run(do_bus, 0);
	expect_sig(st, SIGBUS, "mmap_beyond_eof_sigbus");

	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "no_children_left");
	return conf_exit();
}
