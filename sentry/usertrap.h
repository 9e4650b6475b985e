/*
 * Syscall patching for the platform's fast entry (usertrap.c).
 */
#ifndef SENTRY_USERTRAP_H
#define SENTRY_USERTRAP_H

#include <stdbool.h>
#include <stdint.h>

struct mm;
struct task;

/* t trapped at a syscall instruction (a patchable event): count the site, patch it when hot. */
void usertrap_syscall(struct task *t);

/*
 * t faulted with signo. SIGILL on the invalid byte of a patched site (a
 * thread that was between its two instructions, or a jump to the old
 * syscall instruction): t's registers become that syscall's entry, and
 * USERTRAP_SYSCALL says to serve it. SIGTRAP from single-stepping a
 * patched site's jump: t's registers become those after the site's first
 * instruction, and USERTRAP_SIGNAL says to deliver the trap there. 0: not
 * a patched site's.
 */
enum { USERTRAP_SYSCALL = 1, USERTRAP_SIGNAL = 2 };
int usertrap_fault(struct task *t, int signo);

/*
 * The guest is about to map, unmap, protect or advise [addr, addr+len): if
 * that touches the trap table, undo every patched site, unmap the table
 * and patch no more in mm. Call with no MM lock held.
 */
void usertrap_yield_range(struct mm *mm, uint64_t addr, uint64_t len);

/*
 * The guest moves [addr, addr+len) (mremap): undo the sites patched there,
 * whose entries return to their old addresses. No MM lock held.
 */
void usertrap_unpatch_range(struct mm *mm, uint64_t addr, uint64_t len);

/* A tracer attached: undo every site of mm and patch no more (breakpoints go on the originals). */
void usertrap_forget(struct mm *mm);

/* Any event of t: if it stopped inside a trap-table entry, move it to its site (see .c). */
void usertrap_leave_entry(struct task *t);

/*
 * mm_fork: begin locks the parent's state (before the parent's mm lock)
 * so that no site is patched while its pages are copied; end gives the
 * child a copy of it and unlocks. 0 or -ENOMEM.
 */
struct usertrap *usertrap_fork_begin(struct mm *parent);
int usertrap_fork_end(struct mm *child, struct usertrap *parent_state);
void usertrap_free(struct mm *mm);

#endif
