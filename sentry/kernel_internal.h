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

/* A new task with one reference and a new thread group; NULL on -ENOMEM. */
struct task *task_alloc(void);
/* Start t's sentry thread (its loop); 0 or -errno. */
int task_start(struct task *t);
/* End t's whole thread group with a wait(2) status word. */
void task_exit_group(struct task *t, int status);

/* Install the sentry's fatal-signal handlers (backtrace, then exit 125). */
void crash_install_handlers(void);
/* Give the calling thread an alternate signal stack for crash reports. */
void crash_thread_init(void);

#endif
