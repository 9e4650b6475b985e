/*
 * MM: a guest address space as VMAs over the MemoryFile, and the one
 * checked API through which the sentry touches guest memory.
 */
#ifndef SENTRY_MM_H
#define SENTRY_MM_H

#include <sys/uio.h>
#include "sentry/types.h"

/* Highest guest address + 1; the stub's pages live above it. */
#define GUEST_TASK_SIZE 0x7ffffff00000ULL
/* Lowest address a guest may map (Linux's default mmap_min_addr). */
#define GUEST_MMAP_MIN 0x10000ULL

/* A guest iovec, as imported from guest memory. */
struct giovec {
	gaddr_t base;
	size_t len;
};

/* UIO_MAXIOV and MAX_RW_COUNT as Linux defines them. */
#define GUEST_UIO_MAXIOV 1024
#define GUEST_MAX_RW_COUNT (0x7ffff000UL)

/*
 * A copy of parent for fork: private memory copy-on-write (copied at once,
 * populated pages only, while other threads of the parent run on), MAP_SHARED
 * anonymous memory and file-cache pages shared. NULL on -ENOMEM.
 */
struct mm *mm_fork(struct mm *parent);
/*
 * Whether child, just made by mm_fork, maps exactly what its parent's stubs
 * map once the platform operations queued on the parent's address space
 * up to *since (a plat_as_changes count, taken as the copy was made) are
 * applied: no private copy was made and no shared file mapping (which
 * another process's truncate may resync at any time) is in it. A stub
 * forked from the parent's can then be the child's (plat_ctx_seed).
 */
bool mm_fork_mirrors(struct mm *child, uint64_t *since);
/*
 * A new child's own copy, now, of the copy-on-write chunk around addr (a
 * writable private page it is about to write: its stack), mapped with the
 * rest of its first changes instead of after a fault of its own.
 */
void mm_fork_prebreak(struct mm *child, uint64_t addr);

/* Reference counting: every task using the address space holds one. */
struct mm *mm_create(void);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);
/*
 * Keep the structure of mm without keeping its memory (Linux's mmgrab and
 * mmdrop): what /proc/PID/mem holds. Once the last user is gone the
 * address space is empty for good and mm_get_not_zero fails.
 */
void mm_grab(struct mm *mm);
void mm_drop(struct mm *mm);
/* A user's reference (mm_put) unless every user is gone (Linux's mmget_not_zero). */
bool mm_get_not_zero(struct mm *mm);
/* True if the caller's reference is the only one (no vfork parent, no thread shares it). */
bool mm_only_user(struct mm *mm);

/*
 * Copy len bytes from guest address src to host buffer dst.
 * Returns 0, or -EFAULT if any byte is unmapped or not readable.
 */
int mm_copy_in(struct mm *mm, void *dst, gaddr_t src, size_t len);

/* Copy len bytes from host src to guest dst; 0 or -EFAULT (also if not writable). */
int mm_copy_out(struct mm *mm, gaddr_t dst, const void *src, size_t len);

/*
 * A debugger's access to [addr, addr+len) (ptrace's PEEK/POKE and
 * /proc/PID/mem, Linux's FOLL_FORCE): protections are ignored; a write to
 * a read-only private mapping gives the VMA its own copy first, and one to
 * reserved PROT_NONE space gives the pages written their memory (a read
 * there sees zeros); shared mappings that are not writable and the vDSO
 * refuse writes. Stops at the first page it cannot reach: bytes done.
 */
long mm_access_force(struct mm *mm, uint64_t addr, void *buf, size_t len, bool write);

/*
 * [addr, addr+len) is in one private, executable, non-writable VMA whose
 * pages no other MM shares (file pages or its own, or pages a fork shared
 * whose other sharers are gone): a syscall site there may be patched
 * (usertrap.c) without touching anyone else's memory. The caller keeps
 * forks of mm out meanwhile (usertrap_fork_begin).
 */
bool mm_patchable(struct mm *mm, uint64_t addr, size_t len);

/* Zero len bytes of guest memory at dst; 0 or -EFAULT. */
int mm_zero_out(struct mm *mm, gaddr_t dst, size_t len);

/*
 * Like mm_copy_out (to_guest: buf to addr) and mm_copy_in (addr to buf),
 * but a fault ends the copy instead of failing it: the number of bytes
 * copied before the first byte that is unmapped or not writable
 * (readable), 0..len. For callers that report partial progress.
 */
size_t mm_copy_partial(struct mm *mm, gaddr_t addr, void *buf, size_t len, bool to_guest);

/*
 * Another address space's memory, as Linux's access_remote_vm without
 * FOLL_FORCE (process_vm_readv/writev): copy len bytes at guest address
 * addr of mm into buf (write false) or from buf into it (write true). A
 * read needs PROT_READ (as get_user_pages wants VM_READ: an exec-only or
 * write-only page faults), a write PROT_WRITE (a read-only page faults;
 * a copy-on-write page is broken first). Stops at the first page that
 * faults and returns the bytes copied before it. Takes mm's lock, so the
 * caller must hold no other MM's lock (copy between two MMs through a
 * buffer of the caller's). mm: a reference the caller holds.
 */
size_t mm_access_remote(struct mm *mm, uint64_t addr, void *buf, size_t len, bool write);

/*
 * Copy a NUL-terminated string of at most cap-1 characters into dst.
 * Returns its length, -EFAULT, or -ENAMETOOLONG if no NUL in cap bytes.
 */
long mm_copy_string_in(struct mm *mm, gaddr_t src, char *dst, size_t cap);

/*
 * Describe the guest range [addr, addr+len) as host iovecs pointing into
 * the sentry's mapping of the MemoryFile, for zero-copy I/O. `write` is true
 * when the sentry will store into the range (the guest must have it
 * writable), false when it will load from it (readable).
 * Fills at most maxiov entries and returns the number of bytes covered,
 * which is short if a later page faults or maxiov ran out, or -EFAULT if
 * the first byte faults. *niov receives the number of entries used.
 */
long mm_translate(struct mm *mm, gaddr_t addr, size_t len, bool write,
		  struct iovec *iov, int maxiov, int *niov);

/*
 * Import a guest iovec array (readv/writev/preadv...). Validates iovcnt
 * (0..UIO_MAXIOV, else -EINVAL) and lengths (negative as ssize_t: -EINVAL);
 * the total is clamped to MAX_RW_COUNT as Linux does. On success *out is a
 * heap array the caller frees, and the return value is the total length.
 */
long mm_import_iovec(struct mm *mm, gaddr_t uiov, int iovcnt, struct giovec **out);

/* ---- Address-space operations (sys_mmap.c and the ELF loader use them) ---- */

/* mmap(2) flags we keep on a VMA, beside Linux's PROT_* bits. */
#define VMA_SHARED 0x1
#define VMA_GROWSDOWN 0x2
#define VMA_STACK 0x4
#define VMA_HEAP 0x8
#define VMA_NOMAYWRITE 0x10     /* shared, of a file not open read-write: never writable */
#define VMA_LOCKED 0x20         /* mlock(2), MAP_LOCKED, mlockall(2): Linux's VM_LOCKED */
#define VMA_LOCKONFAULT 0x40    /* MLOCK_ONFAULT, MCL_ONFAULT: locked as touched, not populated */
#define VMA_LOCK_MASK (VMA_LOCKED | VMA_LOCKONFAULT)
#define VMA_POPULATE 0x80       /* mm_map only, not kept: MAP_POPULATE (fault the pages in) */

/*
 * Map len bytes (page multiple) at addr. With fixed false, addr is a hint
 * and a free range is chosen top-down. file NULL means anonymous memory.
 * A private file mapping copies the file's bytes [off, off+len) (zero past
 * EOF). Returns the mapped address or -errno (as a negative long).
 */
long mm_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, int vma_flags,
	    bool fixed, bool noreplace, struct file *file, uint64_t off);

/* munmap(2) of [addr, addr+len); 0 or -errno. */
int mm_unmap(struct mm *mm, uint64_t addr, uint64_t len);

/* mprotect(2); 0 or -errno (-ENOMEM if a page in the range is unmapped). */
int mm_protect(struct mm *mm, uint64_t addr, uint64_t len, int prot);

/* mremap(2) with Linux's flags; new address or -errno. */
long mm_remap(struct mm *mm, uint64_t old, uint64_t old_len, uint64_t new_len,
	      int flags, uint64_t new_addr);

/* brk(2): returns the new (or unchanged) break. */
uint64_t mm_brk(struct mm *mm, uint64_t want);

/* Set the initial break right after the loaded image. */
void mm_set_brk_start(struct mm *mm, uint64_t start);

/* madvise(2); 0 or -errno. */
int mm_advise(struct mm *mm, uint64_t addr, uint64_t len, int advice);

/* Choose a free range of len bytes below hint (top-down); address or -ENOMEM. */
long mm_find_free(struct mm *mm, uint64_t len, uint64_t hint);

/* True if every page of [addr, addr+len) is mapped. */
bool mm_range_mapped(struct mm *mm, uint64_t addr, uint64_t len);

/*
 * A NUMA memory policy (set_mempolicy(2), mbind(2)) as the sentry keeps it
 * for a task or a VMA; all zero is MPOL_DEFAULT (no policy). The guest has
 * one node, so a policy places nothing differently: it is only reported
 * back (syscalls/sys_mempolicy.c).
 */
struct mm_mempolicy {
	uint16_t mode;          /* MPOL_DEFAULT 0 .. MPOL_WEIGHTED_INTERLEAVE 6 */
	uint16_t flags;         /* MPOL_F_STATIC_NODES, MPOL_F_RELATIVE_NODES, MPOL_F_NUMA_BALANCING */
	uint64_t nodes;         /* the nodes get_mempolicy reports (it copies out one long) */
};

/*
 * Give the VMAs in [start, end) the policy pol (mbind(2)), splitting those
 * that straddle an end; holes are skipped, and a VMA that has pol already
 * is left whole (as Linux's mbind_range does). 0 or -ENOMEM.
 */
int mm_set_mempolicy(struct mm *mm, uint64_t start, uint64_t end, const struct mm_mempolicy *pol);

/*
 * The first VMA overlapping [*addr, end): its policy into *pol and *addr
 * moved to its end. False if there is none.
 */
bool mm_next_mempolicy(struct mm *mm, uint64_t *addr, uint64_t end, struct mm_mempolicy *pol);

/*
 * msync(2) of [addr, addr+len) (addr page aligned, len a page multiple):
 * the files of the shared file mappings there write their pages back (to
 * the host file of a writable bind; sync: durably). 0, the first
 * write-back error, or -ENOMEM if part of the range is unmapped.
 */
int mm_sync(struct mm *mm, uint64_t addr, uint64_t len, bool sync);

/*
 * mlock(2), mlock2(2) and munlock(2) of [addr, addr+len) (page aligned):
 * give the VMAs there the lock flags lock (0, VMA_LOCKED or VMA_LOCKED |
 * VMA_LOCKONFAULT), then fault in what VMA_LOCKED alone locked, as Linux
 * does. Locking counts against the caller's RLIMIT_MEMLOCK unless it has
 * CAP_IPC_LOCK. 0, -ENOMEM (over the limit; a hole in the range, the VMAs
 * before it changed; a PROT_NONE VMA, which is locked but cannot be
 * faulted in), -EAGAIN (the host is out of memory) or -EINVAL (the range
 * wraps).
 */
int mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, int lock);

/*
 * mlockall(2) with flags MCL_* (validated by the caller), munlockall(2)
 * with 0: lock (or unlock) every VMA (MCL_CURRENT) and the mappings to
 * come (MCL_FUTURE); 0, or -ENOMEM if MCL_CURRENT's total is over the
 * caller's RLIMIT_MEMLOCK (without CAP_IPC_LOCK).
 */
int mm_mlockall(struct mm *mm, int flags);

/*
 * mincore(2) for the pages from addr (page aligned) to the end of its VMA,
 * at most npages: 1 in vec for each page that is resident, else 0. Faults
 * nothing in. The number of pages done, or -ENOMEM if addr is unmapped.
 */
long mm_mincore(struct mm *mm, uint64_t addr, size_t npages, uint8_t *vec);

/* Where argv and envp live on the initial stack (for /proc/PID/cmdline, environ). */
struct mm_layout {
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t start_brk, brk, start_stack;
	uint64_t mmap_base;
	uint64_t vdso;          /* AT_SYSINFO_EHDR, 0 if none (mm_add_vdso) */
	uint64_t auxv[48];      /* the auxiliary vector exec gave (/proc/PID/auxv), AT_NULL-ended */
	uint32_t auxv_words;
};
void mm_get_layout(struct mm *mm, struct mm_layout *out);
void mm_set_layout(struct mm *mm, const struct mm_layout *in);

/*
 * Format the address space like /proc/PID/maps into a heap buffer
 * (*out, caller frees); returns its length or -ENOMEM.
 */
long mm_format_maps(struct mm *mm, char **out);

/*
 * membarrier(2)'s registrations of an address space (MM_MEMBARRIER_*
 * bits, syscalls/sys_membarrier.c), as Linux keeps them in mm_struct:
 * shared by the tasks of the MM (CLONE_VM too), copied by fork, and gone
 * at execve (a new MM). Atomic, no lock.
 */
#define MM_MEMBARRIER_GLOBAL_EXPEDITED 0x1
#define MM_MEMBARRIER_PRIVATE_EXPEDITED 0x2         /* either private registration (Linux's state bit) */
#define MM_MEMBARRIER_PRIVATE_EXPEDITED_READY 0x4   /* REGISTER_PRIVATE_EXPEDITED itself */
#define MM_MEMBARRIER_PRIVATE_EXPEDITED_SYNC_CORE 0x8
int mm_membarrier_state(struct mm *mm);
void mm_membarrier_register(struct mm *mm, int bits);

/*
 * Dumpability (PR_SET_DUMPABLE, 0..2), which ptrace-style access checks
 * read (process_vm_readv/writev, /proc/PID). Linux keeps it in the
 * mm_struct, not the task: a prctl or a set*id in one thread makes every
 * thread of the process (every task of the MM) non-dumpable, so another
 * thread's tid is no way around it. 1 in a new MM, copied by fork; execve
 * sets the new MM's. Atomic, no lock.
 */
int mm_dumpable(struct mm *mm);
void mm_set_dumpable(struct mm *mm, int v);

/* What one VMA's pages are, for /proc/PID/smaps. */
enum mm_pages { MM_PAGES_ANON, MM_PAGES_SHARED_ANON, MM_PAGES_FILE, MM_PAGES_FILE_SHARED };

/* One VMA as /proc/PID/maps and smaps describe it. */
struct mm_vma_info {
	uint64_t start, end;
	int prot, flags;           /* PROT_*, VMA_* */
	struct file *file;         /* a reference (dropped by mm_vmas_free), or NULL */
	uint64_t file_off;
	const char *name;          /* "[stack]", "[heap]" (static) or NULL */
	uint64_t resident;         /* bytes of populated pages */
	enum mm_pages pages;
	/*
	 * Linux would show this VMA and the one before it as one: the sentry
	 * keeps apart pieces that Linux merges or never splits (see
	 * vma_linux_mergeable in mm.c). /proc shows such a run as one line.
	 */
	bool joins_prev;
};

/* A snapshot of every VMA in address order; the count or -ENOMEM. */
long mm_snapshot_vmas(struct mm *mm, struct mm_vma_info **out);

/*
 * The MemoryFile bytes behind mm's mappings (its shared file mappings
 * aside), as a resident set size for getrusage's high-water mark. Counting
 * walks the host's page cache (~30 ns a page: 5 ms for 200 MiB), so unless
 * fresh is set a count is reused while it is younger than 20 times what it
 * cost: a program that polls getrusage (the JVM, thousands of times) spends
 * at most ~5% of its time here, and a small process still gets a fresh
 * count.
 */
uint64_t mm_rss(struct mm *mm, bool fresh);
void mm_vmas_free(struct mm_vma_info *v, long n);

/*
 * Apply pending address-space changes to the platform (called by the task
 * loop before it switches into the guest); 0 or -errno.
 */
struct plat_as;
struct plat_as *mm_platform_as(struct mm *mm);

/* Mirror every mapping of mm into a context's new stub (after plat_ctx_attach). */
struct plat_ctx;
int mm_replay(struct mm *mm, struct plat_ctx *ctx);

/*
 * Name the platform's vDSO block in a fresh MM ("[vvar]", "[vdso]" VMAs) so
 * nothing else is placed there; the address of its ELF image for
 * AT_SYSINFO_EHDR, or 0 if the platform has none.
 */
uint64_t mm_add_vdso(struct mm *mm);

/*
 * A file with shared mappings dropped pages (truncate, hole punch): every
 * MM must re-mirror its shared file mappings so that stale pages are no
 * longer reachable. mm_request_resync notes it (callable under vfs_lock);
 * mm_resync_requested consumes the note; the task loop then calls
 * mm_resync_shared_files on each MM (with no VFS or MM lock held).
 */
void mm_request_resync(void);
bool mm_resync_requested(void);
void mm_resync_shared_files(struct mm *mm);

/*
 * shmdt(2) of the attachment mapped at addr (sentry/ipc_shm.c): unmap the
 * shmat VMA that would start at addr and the other fragments of the same
 * attachment within the segment's size, as Linux; 0, or -EINVAL if none.
 */
long mm_shm_detach(struct mm *mm, uint64_t addr);

#endif
