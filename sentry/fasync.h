/*
 * Signal-driven I/O (O_ASYNC): who owns a file's signals (Linux's
 * fown_struct: F_SETOWN, F_SETOWN_EX, F_SETSIG) and the fasync lists that
 * make an object's wake-ups signal those owners (Linux's fasync_helper,
 * kill_fasync, send_sigio).
 *
 * A file with O_ASYNC has one fasync entry on the wait queue of the object
 * it reads or writes (a pipe, a socket, one side of a pseudo-terminal, an
 * inotify instance): waitq_wake(q, events) then also signals the owner of
 * every entry whose events match, with the band Linux reports for them
 * (POLL_IN, POLL_OUT, POLL_HUP...). A wake with every bit set (~0u: "the
 * state changed", a close or hangup) sends the entry's `change_band`, or
 * nothing if that is 0; objects that know better (sockets: a peer's close
 * or shutdown) call fasync_notify with the precise events themselves.
 *
 * Lock: one leaf mutex, fasync_lock, protects every struct fown and every
 * fasync list. Sending copies what it needs under it, drops it, then takes
 * kernel.lock: so a wake may come from under any object lock that is
 * allowed before kernel.lock (vfs_lock, net_lock, pipe.lock, tty.lock,
 * inotify_inst.lock) but never from under kernel.lock or waitq.lock
 * (waitq_wake signals after dropping the queue's lock).
 */
#ifndef SENTRY_FASYNC_H
#define SENTRY_FASYNC_H

#include <stdbool.h>
#include <stdint.h>

struct waitq;
struct cred;

/* A file's owner (fasync_lock). F_OWNER_* types; id 0: no owner, nothing is sent. */
struct fown {
	int type;              /* F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP */
	int id;                /* the tid, pid or process group id */
	uint32_t uid, euid;    /* of whoever set the owner: sigio_perm checks them */
	int signum;            /* F_SETSIG: 0 is SIGIO without details */
};

/* One file's registration on an object's queue (fasync_lock). */
struct fasync_entry {
	struct fasync_entry *next;
	struct fown *fown;     /* the file's, which outlives the entry */
	int fd;                /* si_fd: the descriptor O_ASYNC was set through */
	uint32_t events;       /* POLL* bits of wakes that signal */
	int change_band;       /* POLL_* sent for a ~0u wake, or 0 */
};

/* The owner as F_GETOWN reports it (negative for a group) and as F_GETOWN_EX does. */
int fown_get(struct fown *o, int *type);
/*
 * Set the owner (id 0: none), recording cred's uid and euid. With force
 * false an owner already set is kept (Linux's __f_setown from a driver).
 */
void fown_set(struct fown *o, int type, int id, const struct cred *cred, bool force);
int fown_get_sig(struct fown *o);
void fown_set_sig(struct fown *o, int sig);

/* Send o's signal for descriptor fd with band POLL_* (Linux's send_sigio). */
void fown_send(struct fown *o, int fd, int band);

/*
 * Add (on) or remove the entry of owner o on q: events, change_band and
 * fd as above. Adding twice updates the entry. 0 or -ENOMEM.
 */
int fasync_update(struct waitq *q, struct fown *o, int fd, uint32_t events, int change_band,
		  bool on);

/* Signal the owners on q whose entries match events (waitq_wake calls it). */
void fasync_notify(struct waitq *q, uint32_t events);

/* q's object is going: drop entries left behind (waitq_destroy). */
void fasync_queue_release(struct waitq *q);

#endif
