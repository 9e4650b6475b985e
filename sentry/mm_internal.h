/* MM internals shared by mm.c, the ELF loader and exec. */
#ifndef SENTRY_MM_INTERNAL_H
#define SENTRY_MM_INTERNAL_H

#include <pthread.h>
#include "sentry/mm.h"

/*
 * A VMA: [start, end) backed by MemoryFile [mf_off, mf_off + end - start).
 * A VMA owns its MemoryFile range (freed when unmapped) unless it borrows
 * a file-cache entry's pages (read-only private file mappings; a reference
 * on the entry is held, and gaining PROT_WRITE copies the pages first).
 * The file pointer is for /proc/PID/maps and re-reads (a reference is held).
 */
struct vma {
	uint64_t start, end;
	int prot;
	int flags;              /* VMA_* */
	uint64_t mf_off;
	struct file *file;
	uint64_t file_off;
	const char *name;       /* "[stack]", "[heap]" or NULL */
	struct fcache_entry *cache;   /* borrowed file-cache pages (read-only), or NULL: owned */
	struct mm_shared *shared;     /* MAP_SHARED anonymous memory, or copy-on-write pages */
	bool cow;                     /* shared pages are copy-on-write (after fork) */
	/*
	 * A MAP_SHARED mapping of a file whose pages live in the MemoryFile
	 * (tmpfs): mf_off is unused, each page is the file's own (file_map_page),
	 * pinned by file_map_pin while the VMA exists. Stubs map the pages that
	 * exist and leave the others unmapped; the first touch faults them in,
	 * and a touch past the end of the file is SIGBUS.
	 */
	bool fshared;
	/* The host's vDSO block (plat_vdso): mapped by the stub itself, read-only, no MemoryFile pages. */
	bool host;
	/*
	 * PROT_NONE private anonymous memory never made accessible (address
	 * space reserved: malloc arenas, a JVM's heap, a sanitizer's tens of
	 * TiB): no MemoryFile range (mf_off unused) and nothing mapped in the
	 * stubs. mm_protect gives it pages when it becomes accessible; always
	 * PROT_NONE while set.
	 */
	bool reserve;
	/* mbind(2)'s policy; copied with the VMA (split, fork, mremap), as Linux keeps it. */
	struct mm_mempolicy policy;
};

/*
 * A MemoryFile range that several VMAs (in several MMs, after fork) map:
 * MAP_SHARED anonymous memory. Freed with its last reference.
 */
struct mm_shared {
	uint64_t off, len;
	int refs;               /* atomic */
};

/*
 * An address space. lock protects the VMA array and layout; it is taken
 * for every guest-memory access and never held across a platform switch.
 */
struct mm {
	pthread_mutex_t lock;
	/*
	 * Users (Linux's mm_users): the tasks running in it and whoever
	 * reads or changes its memory for a moment (mm_get). The last
	 * mm_put releases the VMAs, their pages and the platform's address
	 * space. Atomic.
	 */
	int refs;
	/*
	 * References to the structure itself (Linux's mm_count): one for
	 * all the users together, one per mm_grab (an open /proc/PID/mem);
	 * freed at 0. Atomic.
	 */
	int count;
	struct vma *vmas;       /* sorted by start, non-overlapping */
	size_t nvmas, cap;
	struct mm_layout layout;
	struct plat_as *as;
	uint64_t last;          /* index hint for lookups */
	/* mm_rss's last count: bytes, when it was made and what it cost (ns). */
	uint64_t rss, rss_at, rss_cost;
	/* mlockall(2)'s MCL_FUTURE: VMA_LOCK_MASK flags every new mapping gets (Linux's def_flags). */
	int def_lock;
	/* membarrier(2) registrations, MM_MEMBARRIER_* (atomic). */
	int membarrier;
	/* PR_SET_DUMPABLE's value, Linux's mm->flags dump bits (atomic; see mm_dumpable). */
	int dumpable;
	/* Syscall patching's state (usertrap.c), made by the first patchable trap (atomic). */
	struct usertrap *usertrap;
	/* Set by mm_fork for mm_fork_mirrors. */
	bool fork_mirrors;
	uint64_t fork_since;
};

/* Write into guest memory ignoring protection (the loader fills read-only text). */
int mm_poke(struct mm *mm, uint64_t addr, const void *src, size_t len);
/*
 * The MemoryFile offset of [addr, addr+len) when it lies in one private
 * anonymous VMA (to fill with mf_fill), in *off; false otherwise. Only for
 * an mm no task runs in yet (the loader's new image): nothing can change
 * its VMAs meanwhile.
 */
bool mm_loader_off(struct mm *mm, uint64_t addr, size_t len, uint64_t *off);



/*
 * A guest fault at addr (write: a write access): resolve it if it is a
 * copy-on-write page, a file-cache chunk not read yet, or a shared file
 * page not mapped yet. 0 if the guest can simply run again, SIGBUS if the
 * address is past the end of a shared mapping's file, MM_FAULT_UNEXPLAINED
 * if its page was in place already, so only a change still queued for the
 * stub can explain it (the caller runs the guest again a few times at
 * most; the same fault again is the guest's own), -1 otherwise.
 */
#define MM_FAULT_UNEXPLAINED 1
int mm_handle_fault(struct mm *mm, uint64_t addr, bool write);

/* Protection of the VMA containing addr, or 0. */
int mm_prot_at(struct mm *mm, uint64_t addr);
/* The MemoryFile offset naming a futex word, and the sentry's pointer to it. */
int mm_futex_key(struct mm *mm, gaddr_t addr, uint64_t *key, void **host);

/*
 * Name file (at offset off) as what [addr, addr+len) maps, for
 * /proc/PID/maps, without changing the contents (the ELF loader's segments).
 */
int mm_tag_file(struct mm *mm, uint64_t addr, uint64_t len, struct file *file, uint64_t off);

#endif
