/*
 * A fatal signal inside the sentry: print a backtrace (libunwind) and end
 * this sandbox only. The stubs die with us (PTRACE_O_EXITKILL and
 * PR_SET_PDEATHSIG), so no guest code outlives its kernel.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "sentry/kernel_internal.h"
#include "sentry/sentry.h"

static void crash_write(const char *s)
{
	ssize_t r = write(2, s, strlen(s));
	(void)r;
}

static void crash_handler(int sig, siginfo_t *si, void *uctx)
{
	char line[512];
	snprintf(line, sizeof(line), "sandbox: internal error: SIG%s at address %p; backtrace:\n",
		 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", si->si_addr);
	crash_write(line);
	unw_context_t ctx;
	unw_cursor_t cur;
	unw_getcontext(&ctx);
	if (unw_init_local(&cur, &ctx) == 0) {
		for (int depth = 0; depth < 64 && unw_step(&cur) > 0; depth++) {
			unw_word_t ip = 0, off = 0;
			char name[256] = "?";
			unw_get_reg(&cur, UNW_REG_IP, &ip);
			unw_get_proc_name(&cur, name, sizeof(name), &off);
			snprintf(line, sizeof(line), "  #%d 0x%lx %s+0x%lx\n", depth, (unsigned long)ip,
				 name, (unsigned long)off);
			crash_write(line);
		}
	}
	_exit(SANDBOX_EXIT_USAGE);
}

void crash_thread_init(void)
{
	/* Each thread needs its own alternate stack to report its stack overflow. */
	static __thread char altstack[64 * 1024];
	stack_t cur;
	/* Keep an alternate stack someone else (ASan) already installed. */
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
		return;
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigaltstack(&ss, NULL);
}

void crash_install_handlers(void)
{
	crash_thread_init();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
