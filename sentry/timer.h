/* Interval timers: alarm, setitimer(ITIMER_REAL), POSIX timers (sentry/timer.c). */
#ifndef SENTRY_TIMER_H
#define SENTRY_TIMER_H

#include <signal.h>
#include <time.h>
#include "sentry/types.h"

struct thread_group;

struct cpu_clock;

/*
 * setitimer/getitimer: tg's ITIMER_REAL, ITIMER_VIRTUAL (guest user CPU
 * time, SIGVTALRM) or ITIMER_PROF (user + system, SIGPROF). Set when
 * value_ns is given (value/interval in ns, value 0 disarms); old values
 * out. 0, or -EINVAL for another which.
 */
int timer_itimer(struct thread_group *tg, int which, const int64_t *value_ns,
		 const int64_t *interval_ns, int64_t *old_value_ns, int64_t *old_interval_ns);
/* timer_itimer for ITIMER_REAL (alarm). */
int timer_itimer_real(struct thread_group *tg, const int64_t *value_ns, const int64_t *interval_ns,
		      int64_t *old_value_ns, int64_t *old_interval_ns);

/*
 * timer_create: clock (host clock id), or a CPU-time clock (cpu non-NULL),
 * the signal to send and its siginfo value; the id or -errno.
 */
int timer_posix_create(struct thread_group *tg, clockid_t clock, const struct cpu_clock *cpu,
		       int sig, bool notify, union sigval value);
/* timer_settime: flags TIMER_ABSTIME; times in ns; 0 or -EINVAL for an unknown id. */
int timer_posix_set(struct thread_group *tg, int id, int flags, int64_t value_ns,
		    int64_t interval_ns, int64_t *old_value_ns, int64_t *old_interval_ns);
int timer_posix_get(struct thread_group *tg, int id, int64_t *value_ns, int64_t *interval_ns);
int timer_posix_overrun(struct thread_group *tg, int id);
int timer_posix_delete(struct thread_group *tg, int id);

/* Drop tg's timers: all of them at exit, only the POSIX ones at execve. */
void timer_release(struct thread_group *tg, bool posix_only);

/*
 * Callback timers (timerfd): fn(arg, expirations) runs on the timer thread
 * with the timer lock held, so it may take only leaf locks (an object's
 * lock, waitq_wake).
 */
struct ktimer;
struct ktimer *ktimer_create_cb(clockid_t clock, void (*fn)(void *arg, uint64_t count), void *arg);
void ktimer_set(struct ktimer *k, int flags, int64_t value_ns, int64_t interval_ns,
		int64_t *old_value_ns, int64_t *old_interval_ns);
void ktimer_get(struct ktimer *k, int64_t *value_ns, int64_t *interval_ns);
/* Disarm and free; after it returns the callback no longer runs. */
void ktimer_destroy(struct ktimer *k);

#endif
