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
 * Make a new child of this process's memory cgroup, capped at guest_limit
 * plus the allowance, without swap, and a reaper process that moves this
 * process (every thread) and the stubs it forked meanwhile into it (stubs
 * forked after that are born inside; the move waits for an RCU grace
 * period, which the sentry does not) and removes the cgroup when this
 * process is gone; make the OOM killer prefer the stubs to the sentry.
 * Memory taken before the move stays charged where it was (a few MiB). 0, or -errno with the reason in why (the
 * sandbox then runs without a cgroup). *path gets the cgroup's directory.
 */
int memcg_enter(uint64_t guest_limit, char *path, size_t pathlen, char *why, size_t whylen);

/*
 * Hand fd (the MemoryFile) to the reaper, which closes it once the sentry
 * is gone, before it removes the cgroup. The last close frees every guest
 * page (0.34 ms for python3 -c pass, more for bigger guests), which the
 * sentry's exit would do while its parent waits. No-op without a reaper.
 */
void memcg_keep_file(int fd);

#endif
