/* ptrace: TRACEME and the exec stop, syscall stops with registers rewritten
 * (a skipped call, a rewritten result), PEEK/POKE of data and of read-only
 * text, SEIZE/INTERRUPT/LISTEN and group stops, event messages for fork,
 * clone and exec, signal injection and suppression, single-step, the exit
 * stop, detach, a tracer's exit, /proc's TracerPid and state, and the
 * errors. Runs as root or not, but not itself under a tracer.
 */
#include "conformance.h"
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <elf.h>

static volatile long data_word = 0x1122334455667788L;

/* Patched by the tracer (POKETEXT) to return 2. */
static __attribute__((noinline)) int text_fn(void)
{
	__asm__ volatile("" ::: "memory");
	return 1;
}

static int wait_stop(pid_t pid, int *st)
{
	return waitpid(pid, st, __WALL);
}

/* The status word's ptrace part: status >> 8. */
#define EVENT(st) ((st) >> 8)

/* A TRACEME child that stops itself with SIGSTOP, then runs fn. */
static pid_t traceme_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
			_exit(100);
		raise(SIGSTOP);
		_exit(fn());
	}
	return pid;
}

static char *proc_field(pid_t pid, const char *key, char *out, size_t cap)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	out[0] = 0;
	if (!f)
		return out;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, key, strlen(key)) == 0) {
			char *v = line + strlen(key);
			while (*v == '\t' || *v == ' ')
				v++;
			v[strcspn(v, "\n")] = 0;
			snprintf(out, cap, "%s", v);
			break;
		}
	}
	fclose(f);
	return out;
}

static int exec_true(void)
{
	execl("/bin/true", "true", (char *)NULL);
	return 127;
}

static void test_traceme_exec(void)
{
	int st;
	pid_t pid = traceme_child(exec_true);
	SETUP(wait_stop(pid, &st));
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "traceme_sigstop");
	char buf[64], want[32];
	snprintf(want, sizeof want, "%d", getpid());
	CHECK_STR(proc_field(pid, "TracerPid:", buf, sizeof buf), want, "proc_tracerpid");
	CHECK_STR(proc_field(pid, "State:", buf, sizeof buf), "t (tracing stop)", "proc_state");
	siginfo_t si;
	CHECK_OK(ptrace(PTRACE_GETSIGINFO, pid, 0, &si), "getsiginfo");
	CHECK_EQ(si.si_signo, SIGSTOP, "getsiginfo_signo");
	CHECK_OK(ptrace(PTRACE_SETOPTIONS, pid, 0,
			PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD),
		 "setoptions");
	CHECK_OK(ptrace(PTRACE_CONT, pid, 0, 0), "cont_suppresses_sigstop");
	SETUP(wait_stop(pid, &st));
	CHECK_EQ(EVENT(st), SIGTRAP | PTRACE_EVENT_EXEC << 8, "exec_event");
	unsigned long msg = 0;
	CHECK_OK(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg), "geteventmsg");
	CHECK_EQ(msg, pid, "exec_event_msg_former_tid");
	CHECK_OK(ptrace(PTRACE_CONT, pid, 0, 0), "cont_after_exec");
	SETUP(wait_stop(pid, &st));
	CHECK_EQ(EVENT(st), SIGTRAP | PTRACE_EVENT_EXIT << 8, "exit_event");
	ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
	CHECK_EQ(msg, 0, "exit_event_msg_status");
	ptrace(PTRACE_CONT, pid, 0, 0);
	SETUP(wait_stop(pid, &st));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "traced_exit_status");
}

/* The syscalls the tracer rewrites: getpid's result, and a skipped getuid. */
static int syscall_body(void)
{
	long a = syscall(SYS_getpid);
	long b = syscall(SYS_getuid);
	return (a == 12345 ? 0 : 1) | (b == 777 ? 0 : 2);
}

static void test_syscall_stops(void)
{
	int st;
	pid_t pid = traceme_child(syscall_body);
	SETUP(wait_stop(pid, &st));
	SETUP(ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD));
	int seen_entry = 0, sysgood = 1, entry_enosys = 0, info_entry = 0, info_exit = 0,
	    skipped = 0, rewritten = 0;
	bool in_getpid = false, in_getuid = false;
	for (int i = 0; i < 200; i++) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) != 0)
			break;
		if (wait_stop(pid, &st) < 0 || !WIFSTOPPED(st))
			break;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			sysgood = 0;
			continue;
		}
		struct user_regs_struct r;
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		struct __ptrace_syscall_info info;
		long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info);
		if (!in_getpid && !in_getuid && r.orig_rax == SYS_getpid) {
			seen_entry = 1;
			entry_enosys = (long)r.rax == -ENOSYS;
			info_entry = n > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY &&
				     info.entry.nr == SYS_getpid;
			in_getpid = true;
		} else if (in_getpid) {
			info_exit = n > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT &&
				    info.exit.rval == pid && !info.exit.is_error;
			r.rax = 12345;
			rewritten = ptrace(PTRACE_SETREGS, pid, 0, &r) == 0;
			in_getpid = false;
		} else if (!in_getuid && r.orig_rax == SYS_getuid) {
			r.orig_rax = -1;     /* skip it */
			r.rax = 777;
			skipped = ptrace(PTRACE_SETREGS, pid, 0, &r) == 0;
			in_getuid = true;
		} else if (in_getuid) {
			/* The exit stop of the skipped call: what we left in rax. */
			in_getuid = false;
			ptrace(PTRACE_CONT, pid, 0, 0);
			break;
		}
	}
	SETUP(wait_stop(pid, &st));
	CHECK(seen_entry, "syscall_entry_stop");
	CHECK(sysgood, "syscall_stop_tracesysgood");
	CHECK(entry_enosys, "syscall_entry_rax_enosys");
	CHECK(info_entry, "get_syscall_info_entry");
	CHECK(info_exit, "get_syscall_info_exit");
	CHECK(rewritten && skipped, "setregs_in_syscall_stops");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "result_rewritten_and_call_skipped");
}

static int peek_body(void)
{
	int r = 0;
	if (data_word != 0x0102030405060708L)
		r |= 1;
	if (text_fn() != 2)
		r |= 2;
	return r;
}

static void test_peek_poke(void)
{
	int st;
	pid_t pid = traceme_child(peek_body);
	SETUP(wait_stop(pid, &st));
	errno = 0;
	long w = ptrace(PTRACE_PEEKDATA, pid, (void *)&data_word, 0);
	CHECK(errno == 0 && w == 0x1122334455667788L, "peekdata");
	CHECK_OK(ptrace(PTRACE_POKEDATA, pid, (void *)&data_word, (void *)0x0102030405060708L),
		 "pokedata");
	/* mov $2, %eax; ret, over the function's first bytes (its text is read-only). */
	uint8_t code[8];
	errno = 0;
	long orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)text_fn, 0);
	CHECK_EQ(errno, 0, "peektext");
	memcpy(code, &orig, 8);
	const uint8_t patch[6] = { 0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3 };
	memcpy(code, patch, sizeof(patch));
	long nw;
	memcpy(&nw, code, 8);
	CHECK_OK(ptrace(PTRACE_POKETEXT, pid, (void *)text_fn, (void *)nw), "poketext_readonly_text");
	CHECK_EQ(text_fn(), 1, "poketext_private_to_tracee");
	errno = 0;
	long rip = ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, rip), 0);
	CHECK(errno == 0 && rip != 0, "peekuser_rip");
	CHECK_ERR(ptrace(PTRACE_PEEKUSER, pid, 3, 0), EIO, "peekuser_unaligned_eio");
	CHECK_ERR(ptrace(PTRACE_PEEKUSER, pid, 4096, 0), EIO, "peekuser_past_end_eio");
	CHECK_ERR(ptrace(PTRACE_PEEKDATA, pid, (void *)8, 0), EIO, "peekdata_unmapped_eio");
	CHECK_ERR(ptrace(PTRACE_POKEDATA, pid, (void *)8, 0), EIO, "pokedata_unmapped_eio");
	struct user_regs_struct r;
	struct iovec iov = { &r, sizeof(r) };
	CHECK_OK(ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &iov), "getregset_prstatus");
	CHECK(iov.iov_len == sizeof(r) && r.rip == (unsigned long)rip, "getregset_len_and_rip");
	struct user_fpregs_struct fp;
	CHECK_OK(ptrace(PTRACE_GETFPREGS, pid, 0, &fp), "getfpregs");
	CHECK((fp.mxcsr & 0x1f80) == 0x1f80, "getfpregs_mxcsr_masks");
	uint8_t xs[4096];
	struct iovec xiov = { xs, sizeof(xs) };
	CHECK(ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &xiov) == 0 && xiov.iov_len >= 512,
	      "getregset_xstate");
	ptrace(PTRACE_CONT, pid, 0, 0);
	SETUP(wait_stop(pid, &st));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "poked_data_and_text_seen_by_tracee");
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { got_usr1 = 1; }

static int signal_body(void)
{
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR2);      /* the tracer replaces it with SIGUSR1 */
	return got_usr1 ? 0 : 1;
}

static void test_signals(void)
{
	int st;
	pid_t pid = traceme_child(signal_body);
	SETUP(wait_stop(pid, &st));
	ptrace(PTRACE_CONT, pid, 0, 0);
	SETUP(wait_stop(pid, &st));
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGUSR2, "signal_delivery_stop");
	siginfo_t si;
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	CHECK(si.si_signo == SIGUSR2 && si.si_code == SI_TKILL && si.si_pid == pid,
	      "signal_delivery_siginfo");
	CHECK_ERR(ptrace(PTRACE_CONT, pid, 0, (void *)100), EIO, "cont_bad_signal_eio");
	CHECK_OK(ptrace(PTRACE_CONT, pid, 0, (void *)SIGUSR1), "cont_injects_other_signal");
	SETUP(wait_stop(pid, &st));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "signal_suppressed_and_injected");
}

static int step_body(void)
{
	volatile int x = 0;
	for (int i = 0; i < 10; i++)
		x += i;
	return x == 45 ? 0 : 1;
}

static void test_singlestep(void)
{
	int st;
	pid_t pid = traceme_child(step_body);
	SETUP(wait_stop(pid, &st));
	int traps = 0, moved = 0;
	unsigned long last = 0;
	for (int i = 0; i < 20; i++) {
		if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0 || wait_stop(pid, &st) < 0)
			break;
		if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
			break;
		siginfo_t si;
		ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
		traps += si.si_code == TRAP_TRACE || si.si_code == TRAP_BRKPT;
		unsigned long rip = ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, rip), 0);
		moved += rip != last;
		last = rip;
	}
	CHECK_EQ(traps, 20, "singlestep_sigtrap");
	CHECK_EQ(moved, 20, "singlestep_moves_rip");
	unsigned long fl = ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, eflags), 0);
	CHECK_EQ(fl & 0x100, 0, "singlestep_tf_hidden");
	ptrace(PTRACE_CONT, pid, 0, 0);
	SETUP(wait_stop(pid, &st));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "singlestep_then_run");
}

static void *thread_fn(void *arg) { return arg; }

static int events_body(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
	pthread_t th;
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_join(th, NULL);
	return exec_true();
}

static void test_events(void)
{
	int st;
	pid_t pid = traceme_child(events_body);
	SETUP(wait_stop(pid, &st));
	SETUP(ptrace(PTRACE_SETOPTIONS, pid, 0,
		     PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC));
	ptrace(PTRACE_CONT, pid, 0, 0);
	long fork_msg = -1, clone_msg = -1, exec_msg = -1;
	int fork_child_sigstop = 0, clone_child_sigstop = 0, fork_child_exited = 0;
	for (int i = 0; i < 50; i++) {
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0)
			break;
		if (w == pid && (WIFEXITED(st) || WIFSIGNALED(st)))
			break;
		if (!WIFSTOPPED(st)) {
			if (w == fork_msg && WIFEXITED(st))
				fork_child_exited = 1;
			continue;
		}
		unsigned long msg = 0;
		int ev = EVENT(st);
		if (ev == (SIGTRAP | PTRACE_EVENT_FORK << 8)) {
			ptrace(PTRACE_GETEVENTMSG, w, 0, &msg);
			fork_msg = msg;
		} else if (ev == (SIGTRAP | PTRACE_EVENT_CLONE << 8)) {
			ptrace(PTRACE_GETEVENTMSG, w, 0, &msg);
			clone_msg = msg;
		} else if (ev == (SIGTRAP | PTRACE_EVENT_EXEC << 8)) {
			ptrace(PTRACE_GETEVENTMSG, w, 0, &msg);
			exec_msg = msg;
		} else if (WSTOPSIG(st) == SIGSTOP && w != pid) {
			/* An auto-attached child starts with SIGSTOP; suppress it. */
			if (w == fork_msg || fork_msg < 0)
				fork_child_sigstop = 1;
			else
				clone_child_sigstop = 1;
		}
		ptrace(PTRACE_CONT, w, 0, 0);
	}
	CHECK(fork_msg > 0, "fork_event_msg_is_child_pid");
	CHECK(fork_child_sigstop, "fork_child_auto_attached_sigstop");
	CHECK(fork_child_exited, "fork_child_exit_reported_to_tracer");
	CHECK(clone_msg > 0 && clone_msg != pid && clone_msg != fork_msg, "clone_event_msg_is_tid");
	CHECK(clone_child_sigstop, "clone_thread_auto_attached_sigstop");
	CHECK_EQ(exec_msg, pid, "exec_event_msg");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "events_child_exit");
}

/* A child that waits for a byte on fd and exits 0 (or 1 on EOF). */
static pid_t waiting_child(int *wfd)
{
	int p[2];
	SETUP(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		char c;
		ssize_t n;
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void test_seize_interrupt_listen(void)
{
	int st, wfd;
	pid_t pid = waiting_child(&wfd);
	CHECK_ERR(ptrace(PTRACE_SEIZE, pid, 0, (void *)0x10000000L), EIO, "seize_bad_options_eio");
	CHECK_OK(ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD), "seize");
	CHECK_ERR(ptrace(PTRACE_CONT, pid, 0, 0), ESRCH, "cont_running_tracee_esrch");
	CHECK_ERR(ptrace(PTRACE_SEIZE, pid, 0, 0), EPERM, "seize_twice_eperm");
	CHECK_OK(ptrace(PTRACE_INTERRUPT, pid, 0, 0), "interrupt");
	SETUP(wait_stop(pid, &st));
	CHECK_EQ(EVENT(st), SIGTRAP | PTRACE_EVENT_STOP << 8, "interrupt_event_stop");
	ptrace(PTRACE_CONT, pid, 0, 0);
	kill(pid, SIGSTOP);
	SETUP(wait_stop(pid, &st));
	CHECK(WIFSTOPPED(st) && EVENT(st) == SIGSTOP, "sigstop_delivery_stop");
	ptrace(PTRACE_CONT, pid, 0, (void *)SIGSTOP);
	SETUP(wait_stop(pid, &st));
	CHECK_EQ(EVENT(st), SIGSTOP | PTRACE_EVENT_STOP << 8, "seized_group_stop");
	CHECK_OK(ptrace(PTRACE_LISTEN, pid, 0, 0), "listen");
	struct user_regs_struct r;
	CHECK_ERR(ptrace(PTRACE_GETREGS, pid, 0, &r), ESRCH, "listening_tracee_esrch");
	CHECK_EQ(waitpid(pid, &st, __WALL | WNOHANG), 0, "listen_nothing_to_report");
	kill(pid, SIGCONT);
	SETUP(wait_stop(pid, &st));
	CHECK_EQ(EVENT(st), SIGTRAP | PTRACE_EVENT_STOP << 8, "listen_trap_on_sigcont");
	ptrace(PTRACE_CONT, pid, 0, 0);
	SETUP(wait_stop(pid, &st));
	CHECK(WIFSTOPPED(st) && EVENT(st) == SIGCONT, "sigcont_delivery_stop");
	CHECK_OK(ptrace(PTRACE_DETACH, pid, 0, 0), "detach");
	char buf[32];
	CHECK_STR(proc_field(pid, "TracerPid:", buf, sizeof buf), "0", "detached_tracerpid_0");
	CHECK_ERR(ptrace(PTRACE_GETREGS, pid, 0, &r), ESRCH, "detached_esrch");
	SETUP(write(wfd, "x", 1));
	close(wfd);
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "detached_runs_on");
}

static void test_attach_kill_errors(void)
{
	int st, wfd;
	pid_t pid = waiting_child(&wfd);
	CHECK_ERR(ptrace(PTRACE_GETREGS, pid, 0, 0), ESRCH, "not_traced_esrch");
	CHECK_ERR(ptrace(PTRACE_ATTACH, getpid(), 0, 0), EPERM, "attach_self_eperm");
	CHECK_ERR(ptrace(PTRACE_ATTACH, 0x3fffffff, 0, 0), ESRCH, "attach_no_such_pid_esrch");
	CHECK_OK(ptrace(PTRACE_ATTACH, pid, 0, 0), "attach");
	CHECK_ERR(ptrace(PTRACE_ATTACH, pid, 0, 0), EPERM, "attach_twice_eperm");
	SETUP(wait_stop(pid, &st));
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "attach_sigstop");
	CHECK_ERR(ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)0x10000000L), EINVAL,
		  "setoptions_bad_einval");
	CHECK_ERR(ptrace((enum __ptrace_request)0x1234, pid, 0, 0), EIO, "unknown_request_eio");
	CHECK_ERR(ptrace(PTRACE_INTERRUPT, pid, 0, 0), EIO, "interrupt_not_seized_eio");
	CHECK_ERR(ptrace(PTRACE_LISTEN, pid, 0, 0), EIO, "listen_not_seized_eio");
	pid_t c = fork();
	if (c == 0)
		_exit(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 && ptrace(PTRACE_TRACEME, 0, 0, 0) == -1 &&
		      errno == EPERM ? 0 : 1);
	SETUP(waitpid(c, &st, __WALL));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "traceme_twice_eperm");
	CHECK_OK(ptrace(PTRACE_KILL, pid, 0, 0), "ptrace_kill");
	SETUP(wait_stop(pid, &st));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "ptrace_kill_kills");
	close(wfd);
}

/* A tracer that ends: its tracee is detached and runs on. */
static void test_tracer_exit(void)
{
	int st, wfd;
	pid_t pid = waiting_child(&wfd);
	int sync[2];
	SETUP(pipe(sync));
	pid_t tracer = fork();
	if (tracer == 0) {
		int ok = ptrace(PTRACE_SEIZE, pid, 0, 0) == 0;
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		int s;
		ok &= waitpid(pid, &s, __WALL) == pid && EVENT(s) == (SIGTRAP | PTRACE_EVENT_STOP << 8);
		_exit(ok ? 0 : 1);       /* exits with its tracee stopped */
	}
	SETUP(waitpid(tracer, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tracer_seized_and_stopped");
	char buf[32];
	CHECK_STR(proc_field(pid, "TracerPid:", buf, sizeof buf), "0", "tracer_exit_detaches");
	SETUP(write(wfd, "x", 1));
	close(wfd);
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tracee_runs_after_tracer_exit");
	close(sync[0]);
	close(sync[1]);
}

int main(void)
{
	/* Not when this program is itself traced (strace, gdb): TRACEME cases would differ. */
	char buf[32];
	if (strcmp(proc_field(getpid(), "TracerPid:", buf, sizeof buf), "0") != 0) {
		printf("ok %s:skipped_under_a_tracer\n", CONF_FILE);
		return 0;
	}
	test_traceme_exec();
	test_syscall_stops();
	test_peek_poke();
	test_signals();
	test_singlestep();
	test_events();
	test_seize_interrupt_listen();
	test_attach_kill_errors();
	test_tracer_exit();
	return conf_exit();
}
