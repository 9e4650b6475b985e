/*
 * The file cache: one MemoryFile copy of a file's bytes, shared by every
 * read-only private mapping of it in the sandbox (libc is read once, not
 * once per mmap per process).
 */
#ifndef SENTRY_FILECACHE_H
#define SENTRY_FILECACHE_H

#include "sentry/types.h"

struct fcache_entry;

/*
 * The cached copy of f (read now if missing), with a reference. Its bytes
 * live at MemoryFile [*off, *off + *len), len being the size rounded up to
 * pages (zero past EOF). NULL if f cannot be cached (not a regular file,
 * empty, or an I/O error).
 */
struct fcache_entry *fcache_get(struct file *f, uint64_t *off, uint64_t *len);

/* Another reference to an entry. */
void fcache_ref(struct fcache_entry *e);

/* Drop a reference; unused entries stay cached up to a size bound. */
void fcache_put(struct fcache_entry *e);

/* Pages fill lazily in chunks of this size (file offsets relative to the entry). */
uint64_t fcache_chunk_size(void);

/* True if the chunk holding entry offset rel has been read from the file. */
bool fcache_is_filled(struct fcache_entry *e, uint64_t rel);

/* Read in every chunk overlapping [rel, rel+len) not read yet; 0 or -errno. */
int fcache_fill(struct fcache_entry *e, uint64_t rel, uint64_t len);

/*
 * The host file behind an entry (file_host_fd), which the platform may map
 * directly for read-only private mappings, or -1. Constant while the
 * caller holds a reference.
 */
int fcache_host_fd(struct fcache_entry *e);

/* The MemoryFile offset where an entry starts. */
uint64_t fcache_base(struct fcache_entry *e);

#endif
