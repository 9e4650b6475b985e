/*
 * The host memory cgroup that caps everything a sandbox takes from the
 * host: guest pages (the MemoryFile), the sentry's own heap and the stubs'
 * page tables. Used by sentry/sandbox.c at boot.
 */
#ifndef SENTRY_MEMCG_H
#define SENTRY_MEMCG_H

#include <stddef.h>
#include <stdint.h>

/* What the sentry itself may use on top of the guest's limit (see memcg.c). */
uint64_t memcg_allowance(uint64_t guest_limit);

/*
 * Move this process (every thread; stubs forked later inherit it) into a
 * new child of its memory cgroup, capped at guest_limit plus the
 * allowance, without swap; make the OOM killer prefer the stubs to the
 * sentry; arrange for the cgroup's removal when the process is gone.
 * Call before any stub exists. 0, or -errno with the reason in why (the
 * sandbox then runs without a cgroup). *path gets the cgroup's directory.
 */
int memcg_enter(uint64_t guest_limit, char *path, size_t pathlen, char *why, size_t whylen);

/*
 * memcg_enter in a background thread: moving a process between cgroups
 * waits for an RCU grace period (about 1 ms here, 15 ms when cold), which
 * then overlaps the rest of the boot. Memory the sentry takes before the
 * move (a few MiB: the VFS, the first program's headers) stays charged to
 * the parent cgroup.
 */
void memcg_start(uint64_t guest_limit);

/* Wait for memcg_start's move (before the first stub is forked); memcg_enter's result. */
int memcg_wait(char *path, size_t pathlen, char *why, size_t whylen);

#endif
