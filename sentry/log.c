/* One-line diagnostics to the host's stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "sentry/log.h"

int log_debug_enabled;

static void vlog(const char *fmt, va_list ap)
{
	char buf[1024];
	int n;
	if (log_debug_enabled) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		n = snprintf(buf, sizeof(buf), "sandbox: [%ld.%06ld] ", (long)ts.tv_sec % 1000,
			     ts.tv_nsec / 1000);
	} else {
		n = snprintf(buf, sizeof(buf), "sandbox: ");
	}
	int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (m < 0)
		return;
	n += (m < (int)sizeof(buf) - n - 2 ? m : (int)sizeof(buf) - n - 2);
	buf[n++] = '\n';
	/* One write so lines from different sentry threads never interleave. */
	ssize_t r = write(2, buf, n);
	(void)r;
}

void slog(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void sdebug(const char *fmt, ...)
{
	if (!log_debug_enabled)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
