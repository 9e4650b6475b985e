/* Sentry-internal task and kernel functions (not for fs/ or net/). */
#ifndef SENTRY_KERNEL_INTERNAL_H
#define SENTRY_KERNEL_INTERNAL_H

#include "sentry/task.h"

void kernel_init(void);
void task_set_current(struct task *t);

/* Add t to the pid table (assigning a tid if it has none); takes a reference. */
int kernel_register_task(struct task *t);
/* Remove t from the pid table and drop the table's reference. */
void kernel_unregister_task(struct task *t);

/* Record the init process's wait status and wake kernel_wait_init. */
void kernel_init_exited(int status);
/* Block until the init process has exited; its wait status. */
int kernel_wait_init(void);

/* ---- processes (sentry/process.c) ---- */

/* Add a thread group to the process table (one reference for the table). */
int process_register(struct thread_group *tg);

/*
 * The last thread of t's group is gone: make the group a zombie, reparent
 * its children, wake waiters in the parent (or reap at once if the parent
 * ignores SIGCHLD). Called by the exiting task's own thread.
 */
void process_exit(struct task *t);

/* Release a vfork parent waiting on t (t exec'd or exited). */
void process_vfork_release(struct task *t);

/* Send signal sig to thread group tg (queued, delivered by its task loop). */
int process_signal(struct thread_group *tg, int sig);

/* Find a live or zombie thread group by tgid; NULL if none. Caller holds kernel.lock. */
struct thread_group *process_find_locked(int tgid);

/* Wake every waiter in wait4/waitid (a child changed state). Caller holds kernel.lock. */
void process_wake_waiters_locked(void);

/* Wake pidfd pollers (syscalls/sys_pidfd.c): some process changed state. Caller holds kernel.lock. */
void pidfd_notify_locked(void);

/* process_signal with kernel.lock held; the _info form gives the siginfo. */
int process_signal_locked(struct thread_group *tg, int sig);
int process_signal_info_locked(struct thread_group *tg, int sig, const siginfo_t *info);
/* A signal for one thread alone (it runs the handler), as tgkill; kernel.lock held. */
int process_signal_thread_info_locked(struct task *thread, int sig, const siginfo_t *info);

/* Stop tg (job control) and tell its parent. Caller holds kernel.lock. */
void process_stop_locked(struct thread_group *tg, int sig);

/* Call fn on every registered task. Caller holds kernel.lock. */
void kernel_for_each_task_locked(void (*fn)(struct task *t, void *arg), void *arg);

/* Make t notice a change soon: interrupt its guest and its sleeps. Caller holds kernel.lock. */
void task_wake_locked(struct task *t);

/*
 * Sleep until the absolute CLOCK_MONOTONIC deadline (NULL: forever) or
 * until t is woken (its group is exiting): 0 at the deadline, -EINTR if woken.
 */
int task_sleep_until(struct task *t, const struct timespec *deadline);

/* Drop a reference to a thread group. */
void tg_put(struct thread_group *tg);

/* Start the sentry thread of an already registered task; 0 or -errno. */
int task_start_thread(struct task *t);

/* The condition wait4/waitid sleep on (with kernel.lock). */
extern pthread_cond_t process_wait_cond;

/* A new task with one reference and a new thread group; NULL on -ENOMEM. */
struct task *task_alloc(void);
/* A new thread in thread group tg (which gains a reference and a thread). */
struct task *task_alloc_thread(struct thread_group *tg);
/* execve in a multi-threaded process: end every other thread and wait for them. */
void task_zap_other_threads(struct task *t);

/* End only t (exit(2)); the group too if t is its last thread. */
void task_exit_thread(struct task *t, int status);
/*
 * Start, at boot, the thread that will run the first task started (making
 * its stub meanwhile). Optional: without it task_start makes the thread.
 */
void task_prestart(void);
/* Start t's sentry thread (its loop); 0 or -errno. */
int task_start(struct task *t);
/* End t's whole thread group with a wait(2) status word. */
void task_exit_group(struct task *t, int status);

/* Install the sentry's fatal-signal handlers (backtrace, then exit 125). */
void crash_install_handlers(void);
/* Give the calling thread an alternate signal stack for crash reports. */
void crash_thread_init(void);

#endif
