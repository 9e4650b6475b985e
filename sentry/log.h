/* Diagnostics: one-line messages from the sandbox to the host's stderr. */
#ifndef SENTRY_LOG_H
#define SENTRY_LOG_H

/* Print "sandbox: <message>\n" to stderr, atomically (one write). */
void slog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like slog, only when --debug / SANDBOX_DEBUG is set. */
void sdebug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

extern int log_debug_enabled;

#endif
