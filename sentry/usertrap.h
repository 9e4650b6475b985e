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
 * t faulted with SIGILL: if on the invalid byte of a patched site (a thread
 * that was between its two instructions, or a jump to the old syscall
 * instruction), make t's registers that syscall's entry and return true.
 */
bool usertrap_fault(struct task *t);

/*
 * The guest is about to map, unmap, protect or advise [addr, addr+len): if
 * that touches the trap table, undo every patched site, unmap the table
 * and patch no more in mm. Call with no MM lock held.
 */
void usertrap_yield_range(struct mm *mm, uint64_t addr, uint64_t len);

/*
 * mm_fork: begin locks the parent's state (before the parent's mm lock)
 * so that no site is patched while its pages are copied; end gives the
 * child a copy of it and unlocks. 0 or -ENOMEM.
 */
struct usertrap *usertrap_fork_begin(struct mm *parent);
int usertrap_fork_end(struct mm *child, struct usertrap *parent_state);
void usertrap_free(struct mm *mm);

#endif
