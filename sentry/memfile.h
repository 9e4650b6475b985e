/*
 * MemoryFile: one memfd holds every page of guest memory (anonymous memory,
 * tmpfs file data, private copies of file pages). The sentry maps it once,
 * so guest memory is a memcpy away after an MM translation.
 */
#ifndef SENTRY_MEMFILE_H
#define SENTRY_MEMFILE_H

#include "sentry/types.h"

/* Create the sandbox's MemoryFile and map it; 0 or -errno. Called once. */
int mf_init(void);
/* Start opening the MemoryFile's host file on a thread of its own (mf_init takes it). */
void mf_prepare(void);

/* The memfd (for the platform to mirror mappings from). */
int mf_fd(void);

/*
 * Reserve len bytes (rounded up to pages) of file offset space. Pages are
 * zero and cost nothing until touched. Returns 0 and *off, or -ENOMEM
 * (also when the sandbox memory limit would be exceeded).
 */
int mf_alloc(uint64_t len, uint64_t *off);

/* The unit of mf_alloc_huge. */
#define MF_HUGE_SIZE (2ULL << 20)

/*
 * Reserve MF_HUGE_SIZE bytes, aligned to it, and fault them in: where the
 * host allows, one huge page backs them (see memfile.c), so the range
 * costs one allocation and one hole punch rather than 512. The pages are
 * zero, and charged at once. 0 and *off; -EOPNOTSUPP where chunks would
 * not get huge pages (use mf_alloc); -ENOMEM.
 */
int mf_alloc_huge(uint64_t *off);

/* Release a range from mf_alloc or mf_alloc_huge (its pages return to the host). */
void mf_free(uint64_t off, uint64_t len);

/* Drop the pages of a range but keep it allocated (reads as zero again). */
void mf_zero(uint64_t off, uint64_t len);

/*
 * Write len bytes at offset off through the memfd rather than the mapping:
 * fresh pages are allocated without a page fault each, about twice as fast
 * for filling new ranges. 0 or -errno.
 */
int mf_write(uint64_t off, const void *buf, size_t len);

/*
 * Read len bytes at offset off through the memfd: the kernel copies from
 * its pages, so pages the sentry never touched cost no page fault in its
 * mapping (about twice as fast for a large read of fresh data). 0 or -errno.
 */
int mf_read(uint64_t off, void *buf, size_t len);

/*
 * Fill len bytes at offset off from rd (a file's pread at pos onwards)
 * through a bounce buffer and mf_write, which allocates the pages in the
 * kernel: reading into mf_ptr() faults them in one at a time from the
 * sentry (python3's 1.3 MiB data segment: 0.73 ms that way, 0.38 this
 * way). Bytes filled (fewer at end of file) or -errno.
 */
ssize_t mf_fill(uint64_t off, size_t len, ssize_t (*rd)(void *ctx, void *buf, size_t n, uint64_t pos),
		void *ctx, uint64_t pos);

/* The sentry's host pointer for MemoryFile offset off. */
void *mf_ptr(uint64_t off);

/* Copy len bytes between ranges, skipping holes (dst must be fresh zero pages). */
void mf_copy(uint64_t dst, uint64_t src, uint64_t len);


/* Bytes of [off, off+len) backed by pages (not holes): residency for /proc. */
uint64_t mf_resident(uint64_t off, uint64_t len);

/* Bytes of pages the whole MemoryFile holds (guest memory in use, /proc/meminfo). */
uint64_t mf_used(void);

/* The sandbox is ending: later frees skip returning pages (the process exit does it). */
void mf_shutdown(void);

#endif
