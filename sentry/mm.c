/*
 * MM: guest address spaces. VMAs live in a sorted array; every change is
 * mirrored to the platform address space (which batches it until the guest
 * next runs). Guest memory is read and written through the sentry's own
 * mapping of the MemoryFile, after checking the VMA's protection.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "fs/vfs.h"
#include "platform/platform.h"
#include "sentry/filecache.h"
#include "sentry/memfile.h"
#include "sentry/mm_internal.h"
#include "sentry/usertrap.h"
#include "sentry/task.h"

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

struct mm *mm_create(void)
{
	struct mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		return NULL;
	mm->as = plat_as_create();
	if (!mm->as) {
		free(mm);
		return NULL;
	}
	pthread_mutex_init(&mm->lock, NULL);
	mm->refs = 1;
	mm->count = 1;
	mm->dumpable = 1;
	mm->layout.mmap_base = GUEST_TASK_SIZE - (1ULL << 30);
	return mm;
}

bool mm_only_user(struct mm *mm)
{
	return __atomic_load_n(&mm->refs, __ATOMIC_ACQUIRE) == 1;
}

void mm_get(struct mm *mm)
{
	__atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
}

static void shared_put(struct mm_shared *sh)
{
	if (__atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		mf_free(sh->off, sh->len);
		free(sh);
	}
}

static void vma_release(struct vma *v)
{
	if (v->host)
		return;
	if (v->fshared)
		file_map_pin(v->file, -1);
	else if (v->cache)
		fcache_put(v->cache);
	else if (v->shared)
		shared_put(v->shared);
	else if (!v->reserve)
		mf_free(v->mf_off, v->end - v->start);
	if (v->file)
		file_put(v->file);
}

void mm_put(struct mm *mm)
{
	if (!mm || __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/*
	 * No user is left and none can come back (mm_get_not_zero): empty it,
	 * its stubs first. A hole punched in the MemoryFile takes the pages
	 * out of every process that maps them, a TLB shootdown each: with the
	 * stubs gone, only the sentry's own mapping is left to look at.
	 */
	plat_as_release(mm->as);
	mm->as = NULL;
	for (size_t i = 0; i < mm->nvmas; i++)
		vma_release(&mm->vmas[i]);
	free(mm->vmas);
	mm->vmas = NULL;
	mm->nvmas = mm->cap = 0;
	mm_drop(mm);
}

void mm_grab(struct mm *mm)
{
	__atomic_add_fetch(&mm->count, 1, __ATOMIC_RELAXED);
}

void mm_drop(struct mm *mm)
{
	if (!mm || __atomic_sub_fetch(&mm->count, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	usertrap_free(mm);
	pthread_mutex_destroy(&mm->lock);
	free(mm);
}

bool mm_get_not_zero(struct mm *mm)
{
	int n = __atomic_load_n(&mm->refs, __ATOMIC_RELAXED);
	while (n > 0) {
		if (__atomic_compare_exchange_n(&mm->refs, &n, n + 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

struct plat_as *mm_platform_as(struct mm *mm)
{
	return mm->as;
}

/* What the stubs map: copy-on-write pages stay read-only until written. */
static int stub_prot(const struct vma *v)
{
	return v->cow ? v->prot & ~PROT_WRITE : v->prot;
}

#define COW_CHUNK (2ULL << 20)

/* The vDSO block: its guest range and the sentry's view of it (plat_vdso). */
static uint64_t vdso_lo;
static const uint8_t *vdso_host;
/*
 * Where its [vvar] data pages end ([vdso] code follows), and which of
 * them the sentry can read through its own mapping: some are not there
 * (the time namespace page, a clock the host lacks) and touching one is
 * SIGBUS, not EFAULT. Bit i: page i of the block (set once).
 */
static uint64_t vvar_end;
static uint64_t vvar_readable;
/* What one file-cache fault reads in and maps (a multiple of the cache's chunk). */
#define FAULT_AROUND (256ULL << 10)
static int cow_break_locked(struct mm *mm, uint64_t addr);
static int vma_privatize_locked(struct mm *mm, struct vma *v);
static int cow_break_range_locked(struct mm *mm, uint64_t lo, uint64_t hi);
static long vma_carve_locked(struct mm *mm, uint64_t start, uint64_t end);
static int vma_back_locked(struct mm *mm, struct vma *v, int prot);
static long map_fshared_new_locked(struct mm *mm, uint64_t addr, uint64_t len, int prot,
				   int vma_flags, bool fixed, struct file *file, uint64_t off);

/* Entry offset of guest address a in a file-cache VMA. */
static uint64_t cache_rel(const struct vma *v, uint64_t a)
{
	return v->mf_off - fcache_base(v->cache) + (a - v->start);
}

/* Make sure the file-cache pages behind [a, a+n) of v hold the file's bytes. */
static int cache_fill(const struct vma *v, uint64_t a, uint64_t n)
{
	return v->cache ? fcache_fill(v->cache, cache_rel(v, a), n) : 0;
}

/* The MemoryFile offset behind guest address a of a shared file VMA (made to exist). */
static int fshared_off(const struct vma *v, uint64_t a, uint64_t *off)
{
	uint64_t rel = v->file_off + (a - v->start);
	int rc = file_map_page(v->file, rel / PAGE_SIZE, true, off);
	if (rc == 0)
		*off += rel % PAGE_SIZE;
	return rc;
}

/* Like fshared_off for a page-aligned a, but only if the page exists already. */
static bool file_map_page_peek(const struct vma *v, uint64_t a, uint64_t *off)
{
	return file_map_page(v->file, (v->file_off + (a - v->start)) / PAGE_SIZE, false, off) == 0;
}

/*
 * The end of the run of absent pages of shared file VMA v that starts at a
 * (a's page is absent), up to hi: the holes of a sparse file are skipped
 * in one step, not page by page.
 */
static uint64_t fshared_hole_end(const struct vma *v, uint64_t a, uint64_t hi)
{
	if (v->prot == PROT_NONE)
		return hi;
	uint64_t pg = (v->file_off + (a - v->start)) / PAGE_SIZE;
	uint64_t next = file_map_next(v->file, pg + 1);
	if (next <= pg + 1)
		return a + PAGE_SIZE;              /* the file cannot say: page by page */
	if (next == UINT64_MAX || next - pg >= (hi - a) / PAGE_SIZE)
		return hi;
	return a + (next - pg) * PAGE_SIZE;
}

/*
 * Mirror [lo, hi) of a shared file VMA: runs of pages that exist (and are
 * contiguous in the MemoryFile) are mapped, the rest is left unmapped so
 * that a touch faults (holes are allocated then; past EOF is SIGBUS).
 */
static int map_fshared_locked(struct mm *mm, const struct vma *v, uint64_t lo, uint64_t hi,
			      struct plat_ctx *ctx)
{
	int rc = 0;
	for (uint64_t a = lo; a < hi && !rc;) {
		uint64_t off = 0;
		bool present = v->prot != PROT_NONE && file_map_page_peek(v, a, &off);
		uint64_t b = a + PAGE_SIZE, next;
		if (!present)
			b = fshared_hole_end(v, a, hi);
		while (b < hi) {
			bool p2 = v->prot != PROT_NONE && file_map_page_peek(v, b, &next);
			if (p2 != present || (present && next != off + (b - a)))
				break;
			b += PAGE_SIZE;
		}
		if (present)
			rc = ctx ? plat_ctx_map(ctx, a, b - a, off, stub_prot(v))
				 : plat_as_map(mm->as, a, b - a, off, stub_prot(v));
		else if (!ctx)
			rc = plat_as_unmap(mm->as, a, b - a);
		a = b;
	}
	return rc;
}

/*
 * Mirror a VMA into every stub (ctx NULL) or one context's stub. A
 * file-cache VMA maps its unread chunks PROT_NONE, so the first touch
 * faults and mm_handle_fault reads them in.
 */
static int map_cache_range_locked(struct mm *mm, const struct vma *v, uint64_t lo, uint64_t hi,
				  struct plat_ctx *ctx)
{
	uint64_t chunk = fcache_chunk_size();
	int rc = 0;
	for (uint64_t a = lo; a < hi && !rc;) {
		bool filled = fcache_is_filled(v->cache, cache_rel(v, a));
		uint64_t b = a;
		/* A run of chunks in the same state: one mapping operation. */
		while (b < hi && fcache_is_filled(v->cache, cache_rel(v, b)) == filled) {
			uint64_t rel = cache_rel(v, b);
			b += chunk - rel % chunk;
		}
		b = MIN(b, hi);
		int prot = filled ? v->prot : PROT_NONE;
		uint64_t off = v->mf_off + (a - v->start);
		rc = ctx ? plat_ctx_map(ctx, a, b - a, off, prot) : plat_as_map(mm->as, a, b - a, off, prot);
		a = b;
	}
	return rc;
}

/* The host file a file-cache VMA's stubs map directly (no copy), or -1. */
static int vma_host_fd(const struct vma *v)
{
	return v->cache ? fcache_host_fd(v->cache) : -1;
}

static int map_vma_locked(struct mm *mm, const struct vma *v, struct plat_ctx *ctx)
{
	uint64_t len = v->end - v->start;
	if (v->host)
		return 0;       /* every stub maps it itself */
	if (v->reserve)
		return 0;       /* nothing to map until it is made accessible */
	if (v->fshared)
		return map_fshared_locked(mm, v, v->start, v->end, ctx);
	int hostfd = vma_host_fd(v);
	if (hostfd >= 0) {
		uint64_t off = cache_rel(v, v->start);
		int rc = ctx ? plat_ctx_map_file(ctx, v->start, len, hostfd, off, v->prot)
			     : plat_as_map_file(mm->as, v->start, len, hostfd, off, v->prot);
		if (rc != -EMFILE && rc != -ENFILE)
			return rc;
		/* Out of fds for the platform's copies: the MemoryFile copy instead. */
	}
	if (!v->cache || v->prot == PROT_NONE)
		return ctx ? plat_ctx_map(ctx, v->start, len, v->mf_off, stub_prot(v))
			   : plat_as_map(mm->as, v->start, len, v->mf_off, stub_prot(v));
	return map_cache_range_locked(mm, v, v->start, v->end, ctx);
}

/* Index of the VMA containing addr, or -1. Called with mm->lock held. */
static long vma_find_locked(struct mm *mm, uint64_t addr)
{
	if (mm->last < mm->nvmas) {
		struct vma *v = &mm->vmas[mm->last];
		if (addr >= v->start && addr < v->end)
			return mm->last;
	}
	size_t lo = 0, hi = mm->nvmas;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct vma *v = &mm->vmas[mid];
		if (addr < v->start)
			hi = mid;
		else if (addr >= v->end)
			lo = mid + 1;
		else {
			mm->last = mid;
			return mid;
		}
	}
	return -1;
}

/* Index of the first VMA ending above addr (may be nvmas). */
static size_t vma_lower_bound_locked(struct mm *mm, uint64_t addr)
{
	size_t lo = 0, hi = mm->nvmas;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (mm->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool prot_allows(int prot, bool write)
{
	/* On x86-64 every mapping that is not PROT_NONE is readable. */
	return write ? (prot & PROT_WRITE) : (prot & PROT_ALL) != 0;
}

/*
 * Of n bytes at a in the vDSO block, how many may be read through the
 * sentry's mapping: the code all; [vvar] page by page, those the host
 * lets the sentry read, and none for a debugger (force: Linux's GUP
 * refuses its VM_PFNMAP pages: EIO).
 */
static size_t host_readable(uint64_t a, size_t n, bool force)
{
	if (a >= vvar_end)
		return n;
	uint64_t page = (a - vdso_lo) / PAGE_SIZE;
	if (force || page >= 64 || !(vvar_readable >> page & 1))
		return 0;
	return MIN(n, PAGE_SIZE - a % PAGE_SIZE);
}

/*
 * Walk guest range [addr, addr+len) and call fn on each host piece. Stops at
 * the first unmapped or forbidden byte. Returns bytes walked.
 */
typedef void (*mm_piece_fn)(void *host, size_t n, void *arg);
static size_t mm_walk_prot_locked(struct mm *mm, uint64_t addr, size_t len, bool write,
				  bool force, bool need_read, mm_piece_fn fn, void *arg);
static const uint8_t zero_page[PAGE_SIZE];

static size_t mm_walk_locked(struct mm *mm, uint64_t addr, size_t len, bool write, bool force,
			     mm_piece_fn fn, void *arg)
{
	return mm_walk_prot_locked(mm, addr, len, write, force, false, fn, arg);
}

/*
 * mm_walk_locked, where need_read asks a read for PROT_READ itself, as
 * Linux's get_user_pages does (VM_READ), rather than any access the
 * hardware allows (PROT_EXEC and PROT_WRITE pages are readable on x86).
 */
static size_t mm_walk_prot_locked(struct mm *mm, uint64_t addr, size_t len, bool write,
				  bool force, bool need_read, mm_piece_fn fn, void *arg)
{
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		if (a < addr)
			break;  /* wrapped */
		long i = vma_find_locked(mm, a);
		if (i < 0)
			break;
		struct vma *v = &mm->vmas[i];
		if (!force && !prot_allows(v->prot, write))
			break;
		if (v->reserve) {
			/* A debugger reads reserved space as the zero pages it would fault in. */
			if (!force || write)
				break;
			size_t n = MIN(MIN(len - done, v->end - a), sizeof(zero_page));
			fn((void *)zero_page, n, arg);
			done += n;
			continue;
		}
		if (!force && need_read && !write && !(v->prot & PROT_READ))
			break;
		if (write && v->cow) {
			if (cow_break_locked(mm, a))
				break;
			continue;     /* the VMAs changed: look again */
		}
		size_t n = MIN(len - done, v->end - a);
		uint64_t off;
		if (v->host) {
			/* The vDSO block reads the same through the sentry's own mapping. */
			if (write)
				break;      /* the loader never writes there */
			n = host_readable(a, n, force);
			if (!n)
				break;
			fn((void *)(vdso_host + (a - vdso_lo)), n, arg);
			done += n;
			continue;
		}
		if (v->fshared) {
			/* Page by page: a shared file's pages are not contiguous. */
			n = MIN(n, PAGE_SIZE - a % PAGE_SIZE);
			if (fshared_off(v, a, &off))
				break;
		} else {
			if (cache_fill(v, a, n))
				break;
			off = v->mf_off + (a - v->start);
		}
		fn(mf_ptr(off), n, arg);
		done += n;
	}
	return done;
}

struct copy_arg {
	uint8_t *buf;
	bool to_guest;
	bool zero;
};

static void copy_piece(void *host, size_t n, void *arg)
{
	struct copy_arg *c = arg;
	if (c->zero)
		memset(host, 0, n);
	else if (c->to_guest)
		memcpy(host, c->buf, n);
	else
		memcpy(c->buf, host, n);
	c->buf += n;
}

static int mm_copy(struct mm *mm, uint64_t addr, void *buf, size_t len, bool to_guest,
		   bool zero, bool force)
{
	if (!mm)
		return -EFAULT;
	if (len == 0)
		return 0;
	struct copy_arg c = { buf, to_guest, zero };
	pthread_mutex_lock(&mm->lock);
	size_t n = mm_walk_locked(mm, addr, len, to_guest, force, copy_piece, &c);
	pthread_mutex_unlock(&mm->lock);
	return n == len ? 0 : -EFAULT;
}

int mm_copy_in(struct mm *mm, void *dst, gaddr_t src, size_t len)
{
	return mm_copy(mm, src.v, dst, len, false, false, false);
}

int mm_copy_out(struct mm *mm, gaddr_t dst, const void *src, size_t len)
{
	return mm_copy(mm, dst.v, (void *)src, len, true, false, false);
}

int mm_zero_out(struct mm *mm, gaddr_t dst, size_t len)
{
	return mm_copy(mm, dst.v, NULL, len, true, true, false);
}

size_t mm_access_remote(struct mm *mm, uint64_t addr, void *buf, size_t len, bool write)
{
	if (!mm || len == 0)
		return 0;
	struct copy_arg c = { buf, write, false };
	pthread_mutex_lock(&mm->lock);
	size_t n = mm_walk_prot_locked(mm, addr, len, write, false, true, copy_piece, &c);
	pthread_mutex_unlock(&mm->lock);
	return n;
}

size_t mm_copy_partial(struct mm *mm, gaddr_t addr, void *buf, size_t len, bool to_guest)
{
	if (!mm || len == 0)
		return 0;
	struct copy_arg c = { buf, to_guest, false };
	pthread_mutex_lock(&mm->lock);
	size_t n = mm_walk_locked(mm, addr.v, len, to_guest, false, copy_piece, &c);
	pthread_mutex_unlock(&mm->lock);
	return n;
}

long mm_access_force(struct mm *mm, uint64_t addr, void *buf, size_t len, bool write)
{
	if (!mm || len == 0)
		return 0;
	pthread_mutex_lock(&mm->lock);
	size_t allowed = len;
	for (size_t j = vma_lower_bound_locked(mm, addr); write && j < mm->nvmas; j++) {
		struct vma *v = &mm->vmas[j];
		if (v->start >= addr + len)
			break;
		if (v->prot & PROT_WRITE)
			continue;
		if (v->reserve) {
			/*
			 * Linux's forced write faults the pages in: only the pages
			 * written get memory (a reservation may span terabytes),
			 * and they stay PROT_NONE.
			 */
			uint64_t lo = MAX(v->start, addr & PAGE_MASK);
			uint64_t hi = MIN(v->end, PAGE_ALIGN_UP(addr + len));
			long k = vma_carve_locked(mm, lo, hi);
			if (k < 0 || vma_back_locked(mm, &mm->vmas[k], PROT_NONE)) {
				allowed = lo > addr ? lo - addr : 0;
				break;
			}
			j = (size_t)k;
			continue;
		}
		/* (A private VMA keeps its shared range after its copy-on-write ends.) */
		bool refused = (v->flags & VMA_SHARED) || v->fshared || v->host;
		if (!refused && v->cache) {
			/* Only the pages written get their own copy (a breakpoint, a patched syscall). */
			uint64_t lo = MAX(v->start, addr & PAGE_MASK);
			uint64_t hi = MIN(v->end, PAGE_ALIGN_UP(addr + len));
			long k = vma_carve_locked(mm, lo, hi);
			if (k >= 0 && !vma_privatize_locked(mm, &mm->vmas[k])) {
				j = (size_t)k;
				continue;
			}
			allowed = lo > addr ? lo - addr : 0;
			break;
		}
		if (refused) {
			allowed = v->start > addr ? v->start - addr : 0;
			break;
		}
	}
	struct copy_arg c = { buf, write, false };
	size_t n = allowed ? mm_walk_locked(mm, addr, allowed, write, true, copy_piece, &c) : 0;
	pthread_mutex_unlock(&mm->lock);
	return n;
}

bool mm_patchable(struct mm *mm, uint64_t addr, size_t len)
{
	pthread_mutex_lock(&mm->lock);
	long i = vma_find_locked(mm, addr);
	const struct vma *v = i >= 0 ? &mm->vmas[i] : NULL;
	/* Pages once shared with a fork's child count when no other VMA has them any more. */
	bool alone = v && (!v->shared || __atomic_load_n(&v->shared->refs, __ATOMIC_ACQUIRE) == 1);
	bool ok = v && len <= v->end - addr && (v->prot & PROT_EXEC) && !(v->prot & PROT_WRITE) &&
		  !(v->flags & VMA_SHARED) && alone && !v->fshared && !v->host && !v->reserve;
	pthread_mutex_unlock(&mm->lock);
	return ok;
}

int mm_poke(struct mm *mm, uint64_t addr, const void *src, size_t len)
{
	return mm_copy(mm, addr, (void *)src, len, true, false, true);
}

bool mm_loader_off(struct mm *mm, uint64_t addr, size_t len, uint64_t *off)
{
	pthread_mutex_lock(&mm->lock);
	long i = vma_find_locked(mm, addr);
	const struct vma *v = i >= 0 ? &mm->vmas[i] : NULL;
	bool plain = v && !v->cache && !v->shared && !v->fshared && !v->host && !v->reserve &&
		     len <= v->end - addr;
	if (plain)
		*off = v->mf_off + (addr - v->start);
	pthread_mutex_unlock(&mm->lock);
	return plain;
}

long mm_copy_string_in(struct mm *mm, gaddr_t src, char *dst, size_t cap)
{
	if (!mm)
		return -EFAULT;
	size_t got = 0;
	pthread_mutex_lock(&mm->lock);
	while (got < cap) {
		uint64_t a = src.v + got;
		long i = vma_find_locked(mm, a);
		if (i < 0 || !prot_allows(mm->vmas[i].prot, false)) {
			pthread_mutex_unlock(&mm->lock);
			return -EFAULT;
		}
		struct vma *v = &mm->vmas[i];
		size_t n = MIN(cap - got, v->end - a);
		const char *p = NULL;
		uint64_t off;
		/* As mm_walk_prot_locked: the vDSO block and shared file pages have no mf_off. */
		if (v->host) {
			n = host_readable(a, n, false);
			if (n)
				p = (const char *)vdso_host + (a - vdso_lo);
		} else if (v->fshared) {
			n = MIN(n, PAGE_SIZE - a % PAGE_SIZE);
			if (!fshared_off(v, a, &off))
				p = mf_ptr(off);
		} else if (!cache_fill(v, a, n)) {
			p = mf_ptr(v->mf_off + (a - v->start));
		}
		if (!p) {
			pthread_mutex_unlock(&mm->lock);
			return -EFAULT;
		}
		const char *nul = memchr(p, 0, n);
		if (nul) {
			size_t k = nul - p;
			memcpy(dst + got, p, k + 1);
			pthread_mutex_unlock(&mm->lock);
			return got + k;
		}
		memcpy(dst + got, p, n);
		got += n;
	}
	pthread_mutex_unlock(&mm->lock);
	return -ENAMETOOLONG;
}

struct xlate_arg {
	struct iovec *iov;
	int max, n;
	size_t covered;
};

long mm_translate(struct mm *mm, gaddr_t addr, size_t len, bool write, struct iovec *iov,
		  int maxiov, int *niov)
{
	*niov = 0;
	if (len == 0)
		return 0;
	if (!mm)
		return -EFAULT;
	size_t done = 0;
	int n = 0;
	pthread_mutex_lock(&mm->lock);
	while (done < len && n < maxiov) {
		uint64_t a = addr.v + done;
		if (a < addr.v)
			break;
		long i = vma_find_locked(mm, a);
		if (i < 0 || !prot_allows(mm->vmas[i].prot, write))
			break;
		if (write && mm->vmas[i].cow) {
			if (cow_break_locked(mm, a))
				break;
			continue;
		}
		struct vma *v = &mm->vmas[i];
		size_t k = MIN(len - done, v->end - a);
		uint64_t off;
		if (v->host) {
			if (write || !(k = host_readable(a, k, false)))
				break;
			iov[n].iov_base = (void *)(vdso_host + (a - vdso_lo));
			iov[n].iov_len = k;
			n++;
			done += k;
			continue;
		}
		if (v->fshared) {
			k = MIN(k, PAGE_SIZE - a % PAGE_SIZE);
			if (fshared_off(v, a, &off))
				break;
			/* Pages that happen to be adjacent extend the last piece. */
			if (n > 0 && (char *)iov[n - 1].iov_base + iov[n - 1].iov_len == (char *)mf_ptr(off)) {
				iov[n - 1].iov_len += k;
				done += k;
				continue;
			}
		} else {
			if (cache_fill(v, a, k))
				break;
			off = v->mf_off + (a - v->start);
		}
		iov[n].iov_base = mf_ptr(off);
		iov[n].iov_len = k;
		n++;
		done += k;
	}
	pthread_mutex_unlock(&mm->lock);
	*niov = n;
	return done ? (long)done : -EFAULT;
}

long mm_import_iovec(struct mm *mm, gaddr_t uiov, int iovcnt, struct giovec **out)
{
	*out = NULL;
	if (iovcnt < 0 || iovcnt > GUEST_UIO_MAXIOV)
		return -EINVAL;
	if (iovcnt == 0)
		return 0;
	struct { uint64_t base, len; } *raw = malloc(iovcnt * 16);
	struct giovec *v = malloc(iovcnt * sizeof(*v));
	if (!raw || !v) {
		free(raw);
		free(v);
		return -ENOMEM;
	}
	if (mm_copy_in(mm, raw, uiov, iovcnt * 16)) {
		free(raw);
		free(v);
		return -EFAULT;
	}
	uint64_t total = 0;
	for (int i = 0; i < iovcnt; i++) {
		if ((int64_t)raw[i].len < 0) {
			free(raw);
			free(v);
			return -EINVAL;
		}
		uint64_t l = raw[i].len;
		/* Linux truncates the total at MAX_RW_COUNT. */
		if (l > GUEST_MAX_RW_COUNT - total)
			l = GUEST_MAX_RW_COUNT - total;
		v[i].base = gaddr(raw[i].base);
		v[i].len = l;
		total += l;
	}
	free(raw);
	*out = v;
	return total;
}

/* ---- VMA array manipulation (mm->lock held) ---- */

static int vma_insert_locked(struct mm *mm, size_t idx, const struct vma *v)
{
	if (mm->nvmas == mm->cap) {
		size_t cap = mm->cap ? mm->cap * 2 : 32;
		struct vma *p = realloc(mm->vmas, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		mm->vmas = p;
		mm->cap = cap;
	}
	memmove(&mm->vmas[idx + 1], &mm->vmas[idx], (mm->nvmas - idx) * sizeof(*v));
	mm->vmas[idx] = *v;
	mm->nvmas++;
	return 0;
}

static void vma_remove_locked(struct mm *mm, size_t idx)
{
	memmove(&mm->vmas[idx], &mm->vmas[idx + 1], (mm->nvmas - idx - 1) * sizeof(struct vma));
	mm->nvmas--;
}

/* Split the VMA at index idx at address a (start < a < end). */
static int vma_split_locked(struct mm *mm, size_t idx, uint64_t a)
{
	struct vma right = mm->vmas[idx];
	uint64_t delta = a - right.start;
	right.start = a;
	right.mf_off += delta;
	right.file_off += delta;
	if (right.file)
		file_get(right.file);
	if (right.fshared)
		file_map_pin(right.file, 1);
	if (right.cache)
		fcache_ref(right.cache);
	if (right.shared)
		__atomic_add_fetch(&right.shared->refs, 1, __ATOMIC_RELAXED);
	int rc = vma_insert_locked(mm, idx + 1, &right);
	if (rc) {
		if (right.fshared)
			file_map_pin(right.file, -1);
		if (right.file)
			file_put(right.file);
		if (right.cache)
			fcache_put(right.cache);
		if (right.shared)
			shared_put(right.shared);
		return rc;
	}
	mm->vmas[idx].end = a;
	return 0;
}

/* Make VMA boundaries at start and end; index of the first VMA inside. */
static long vma_carve_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	size_t i = vma_lower_bound_locked(mm, start);
	if (i < mm->nvmas && mm->vmas[i].start < start) {
		int rc = vma_split_locked(mm, i, start);
		if (rc)
			return rc;
		i++;
	}
	size_t j = vma_lower_bound_locked(mm, end);
	if (j < mm->nvmas && mm->vmas[j].start < end && mm->vmas[j].end > end) {
		int rc = vma_split_locked(mm, j, end);
		if (rc)
			return rc;
	}
	return i;
}

static int unmap_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	long i = vma_carve_locked(mm, start, end);
	if (i < 0)
		return i;
	bool any = false;
	while ((size_t)i < mm->nvmas && mm->vmas[i].start < end) {
		vma_release(&mm->vmas[i]);
		vma_remove_locked(mm, i);
		any = true;
	}
	mm->last = 0;
	return any ? plat_as_unmap(mm->as, start, end - start) : 0;
}

static bool range_free_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	size_t i = vma_lower_bound_locked(mm, start);
	return i == mm->nvmas || mm->vmas[i].start >= end;
}

static long find_free_locked(struct mm *mm, uint64_t len, uint64_t below)
{
	if (below > GUEST_TASK_SIZE)
		below = GUEST_TASK_SIZE;
	uint64_t top = below;
	/* Walk VMAs from the highest down, looking for a gap under top. */
	for (size_t k = mm->nvmas; ; k--) {
		uint64_t gap_lo = k == 0 ? GUEST_MMAP_MIN : mm->vmas[k - 1].end;
		uint64_t gap_hi = k == mm->nvmas ? GUEST_TASK_SIZE : mm->vmas[k].start;
		if (gap_hi > top)
			gap_hi = top;
		if (gap_hi > gap_lo && gap_hi - gap_lo >= len)
			return gap_hi - len;
		if (k == 0)
			break;
	}
	return -ENOMEM;
}

long mm_find_free(struct mm *mm, uint64_t len, uint64_t hint)
{
	pthread_mutex_lock(&mm->lock);
	long r = find_free_locked(mm, PAGE_ALIGN_UP(len), hint ? hint : mm->layout.mmap_base);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

/* The calling task's soft limit r (bytes); none outside a guest's syscall (unit tests). */
static uint64_t caller_rlimit(int r)
{
	struct task *t = task_current();
	return t ? __atomic_load_n(&t->tg->rlimits[r].rlim_cur, __ATOMIC_RELAXED) : RLIM_INFINITY;
}

/* Linux's is_data_mapping: private, writable, not a stack (x86's VM_STACK is VM_GROWSDOWN). */
static bool is_data(int prot, int vma_flags)
{
	return (prot & PROT_WRITE) && !(vma_flags & (VMA_SHARED | VMA_STACK | VMA_GROWSDOWN));
}

/*
 * What a stack VMA counts against RLIMIT_AS: Linux's stack starts at what
 * exec put on it plus 128 KiB and grows as it is touched; the sentry maps
 * the whole RLIMIT_STACK at exec, which is not what the program uses.
 */
#define STACK_ACCOUNTED (128ULL << 10)

/*
 * Linux's may_expand_vm: whether mm may map len more bytes (data memory if
 * data) in place of what [lo, hi) maps now, under the caller's RLIMIT_AS
 * and RLIMIT_DATA; 0 or -ENOMEM. Counted only when a limit is set.
 */
static int may_expand_locked(struct mm *mm, uint64_t lo, uint64_t hi, uint64_t len, bool data)
{
	uint64_t as = caller_rlimit(RLIMIT_AS);
	uint64_t dl = data ? caller_rlimit(RLIMIT_DATA) : RLIM_INFINITY;
	if (as == RLIM_INFINITY && dl == RLIM_INFINITY)
		return 0;
	uint64_t total = 0, total_data = 0;
	for (size_t i = 0; i < mm->nvmas; i++) {
		const struct vma *v = &mm->vmas[i];
		uint64_t n = v->end - v->start;
		if (v->start < hi && v->end > lo)
			n -= MIN(v->end, hi) - MAX(v->start, lo);     /* replaced */
		if (v->flags & VMA_STACK)
			n = MIN(n, STACK_ACCOUNTED);
		total += n;
		if (is_data(v->prot, v->flags))
			total_data += n;
	}
	if (as != RLIM_INFINITY && (total + len) / PAGE_SIZE > as / PAGE_SIZE)
		return -ENOMEM;
	if (dl != RLIM_INFINITY && (total_data + len) / PAGE_SIZE > dl / PAGE_SIZE) {
		/* Linux lets a zero soft limit pass under the hard one (for Valgrind). */
		struct task *t = task_current();
		uint64_t hard = __atomic_load_n(&t->tg->rlimits[RLIMIT_DATA].rlim_max, __ATOMIC_RELAXED);
		if (dl != 0 || (total_data + len) / PAGE_SIZE > hard / PAGE_SIZE)
			return -ENOMEM;
	}
	return 0;
}

/* The caller's RLIMIT_MEMLOCK soft limit (bytes); none with CAP_IPC_LOCK. */
static uint64_t caller_lock_limit(void)
{
	struct task *t = task_current();
	if (!t || cred_capable(&t->cred, CAP_IPC_LOCK))
		return RLIM_INFINITY;
	return caller_rlimit(RLIMIT_MEMLOCK);
}

/*
 * Bytes of VMA_LOCKED VMAs within [lo, hi): over the whole space, Linux's
 * locked_vm; over a range, its count_mm_mlocked_page_nr. The stack counts
 * as it does for RLIMIT_AS (STACK_ACCOUNTED at most).
 */
static uint64_t locked_bytes_locked(struct mm *mm, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;
	for (size_t i = vma_lower_bound_locked(mm, lo); i < mm->nvmas && mm->vmas[i].start < hi; i++) {
		const struct vma *v = &mm->vmas[i];
		if (!(v->flags & VMA_LOCKED))
			continue;
		uint64_t k = MIN(hi, v->end) - MAX(lo, v->start);
		n += v->flags & VMA_STACK ? MIN(k, STACK_ACCOUNTED) : k;
	}
	return n;
}

/* Linux's mlock_future_ok: whether len more locked bytes stay within RLIMIT_MEMLOCK. */
static bool lock_fits_locked(struct mm *mm, uint64_t len)
{
	uint64_t limit = caller_lock_limit();
	if (limit == RLIM_INFINITY)
		return true;
	return len / PAGE_SIZE + locked_bytes_locked(mm, 0, UINT64_MAX) / PAGE_SIZE <= limit / PAGE_SIZE;
}

/*
 * Fault in the pages of [lo, hi), as Linux's mm_populate does for mlock(2),
 * locked mappings and MAP_POPULATE: VMAs with MemoryFile pages of their own
 * (or shared) get them allocated through the sentry's view, in one call.
 * File-cache and shared file VMAs fault in as they are touched (their
 * pages are the file's), and so do lock-on-fault VMAs, as in Linux; the
 * stack only where Linux's would be (STACK_ACCOUNTED). A PROT_NONE VMA
 * cannot be faulted in: -ENOMEM (Linux's EFAULT, which mlock reports so)
 * unless ignore_errors; -EAGAIN if the host is out of memory.
 */
static int populate_locked(struct mm *mm, uint64_t lo, uint64_t hi, bool ignore_errors)
{
	for (size_t i = vma_lower_bound_locked(mm, lo); i < mm->nvmas && mm->vmas[i].start < hi; i++) {
		const struct vma *v = &mm->vmas[i];
		if (v->host || (v->flags & VMA_LOCKONFAULT))
			continue;
		if (v->prot == PROT_NONE) {
			if (ignore_errors)
				continue;
			return -ENOMEM;
		}
		if (v->cache || v->fshared || v->reserve)
			continue;
		uint64_t a = MAX(lo, v->start), b = MIN(hi, v->end);
		if (v->flags & VMA_STACK)
			a = MAX(a, v->end - MIN(v->end - v->start, STACK_ACCOUNTED));
		if (a < b && madvise(mf_ptr(v->mf_off + (a - v->start)), b - a, MADV_POPULATE_WRITE) &&
		    errno == ENOMEM && !ignore_errors)
			return -EAGAIN;
	}
	return 0;
}

static long map_locked(struct mm *mm, uint64_t addr, uint64_t len, int prot, int vma_flags,
		       bool fixed, bool noreplace, struct file *file, uint64_t off)
{
	if (fixed) {
		if (addr < GUEST_MMAP_MIN)
			return -EPERM;
		if (addr + len > GUEST_TASK_SIZE || addr + len < addr)
			return -ENOMEM;
		if (noreplace && !range_free_locked(mm, addr, addr + len))
			return -EEXIST;
	} else {
		if (addr && addr >= GUEST_MMAP_MIN && addr + len <= GUEST_TASK_SIZE &&
		    addr + len > addr && range_free_locked(mm, addr, addr + len)) {
			/* The hint is free: Linux honours it. */
		} else {
			long a = find_free_locked(mm, len, mm->layout.mmap_base);
			if (a < 0)
				a = find_free_locked(mm, len, GUEST_TASK_SIZE);
			if (a < 0)
				return a;
			addr = a;
		}
	}
	uint64_t mf_off, coff, clen;
	/* A locked mapping must fit RLIMIT_MEMLOCK (Linux checks before RLIMIT_AS). */
	if ((vma_flags & VMA_LOCKED) && !lock_fits_locked(mm, len))
		return -EAGAIN;
	int rc = may_expand_locked(mm, fixed ? addr : 0, fixed ? addr + len : 0,
				   vma_flags & VMA_STACK ? MIN(len, STACK_ACCOUNTED) : len,
				   is_data(prot, vma_flags));
	if (rc)
		return rc;
	struct fcache_entry *cache = NULL;
	if (file && (vma_flags & VMA_SHARED)) {
		rc = file_map_shared(file, prot & PROT_WRITE);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return map_fshared_new_locked(mm, addr, len, prot, vma_flags, fixed, file, off);
	}
	/* Read-only private file mappings borrow the sandbox's cached copy. */
	if (file && !(prot & PROT_WRITE)) {
		cache = fcache_get(file, &coff, &clen);
		if (cache && off >= clen) {
			fcache_put(cache);
			cache = NULL;
		}
		if (cache && len > clen - off) {
			/*
			 * Past the file's last page: the cached part, then zero pages
			 * (ld.so maps a library's whole span this way before placing
			 * its segments; Linux would SIGBUS there, we read zeros).
			 */
			uint64_t head = clen - off;
			fcache_put(cache);
			long r = map_locked(mm, addr, head, prot, vma_flags, true, false, file, off);
			if (r >= 0)
				r = map_locked(mm, addr + head, len - head, prot, vma_flags, true, false,
					       NULL, 0);
			if (r >= 0)
				r = addr;
			return r;
		}
	}
	struct mm_shared *shared = NULL;
	bool reserve = !file && !(vma_flags & VMA_SHARED) && prot == PROT_NONE;
	if (cache) {
		mf_off = coff + off;
	} else if (reserve) {
		mf_off = 0;     /* no pages until mm_protect makes it accessible */
	} else {
		rc = mf_alloc(len, &mf_off);
		if (rc)
			return rc;
		if (!file && (vma_flags & VMA_SHARED)) {
			shared = malloc(sizeof(*shared));
			if (!shared) {
				mf_free(mf_off, len);
				return -ENOMEM;
			}
			*shared = (struct mm_shared){ mf_off, len, 1 };
		}
	}
	if (file && !cache) {
		/* A private copy of the file's bytes; past EOF reads as zero. */
		ssize_t n = mf_fill(mf_off, len, vfs_pread_cb, file, off);
		if (n < 0) {
			mf_free(mf_off, len);
			return n;
		}
	}
	if (fixed) {
		rc = unmap_locked(mm, addr, addr + len);
		if (rc) {
			if (cache)
				fcache_put(cache);
			else if (!reserve)
				mf_free(mf_off, len);
			free(shared);
			return rc;
		}
	}
	struct vma v = {
		.start = addr, .end = addr + len, .prot = prot, .flags = vma_flags,
		.mf_off = mf_off, .file = file, .file_off = off, .cache = cache, .shared = shared,
		.reserve = reserve,
	};
	if (vma_flags & VMA_STACK)
		v.name = "[stack]";
	else if (vma_flags & VMA_HEAP)
		v.name = "[heap]";
	rc = vma_insert_locked(mm, vma_lower_bound_locked(mm, addr), &v);
	if (rc) {
		if (cache)
			fcache_put(cache);
		else if (!reserve)
			mf_free(mf_off, len);
		free(shared);
		return rc;
	}
	if (file)
		file_get(file);
	rc = map_vma_locked(mm, &mm->vmas[vma_find_locked(mm, addr)], NULL);
	return rc ? rc : (long)addr;
}

/* map_locked's part for a new shared file VMA at a chosen address. */
static long map_fshared_new_locked(struct mm *mm, uint64_t addr, uint64_t len, int prot,
				   int vma_flags, bool fixed, struct file *file, uint64_t off)
{
	int rc;
	if (fixed) {
		rc = unmap_locked(mm, addr, addr + len);
		if (rc)
			return rc;
	}
	struct vma v = {
		.start = addr, .end = addr + len, .prot = prot, .flags = vma_flags,
		.file = file, .file_off = off, .fshared = true,
	};
	rc = vma_insert_locked(mm, vma_lower_bound_locked(mm, addr), &v);
	if (rc)
		return rc;
	file_get(file);
	file_map_pin(file, 1);
	rc = map_vma_locked(mm, &mm->vmas[vma_find_locked(mm, addr)], NULL);
	return rc ? rc : (long)addr;
}

long mm_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, int vma_flags, bool fixed,
	    bool noreplace, struct file *file, uint64_t off)
{
	if (len == 0 || (addr & ~PAGE_MASK) || (len & ~PAGE_MASK))
		return -EINVAL;
	bool populate = vma_flags & VMA_POPULATE;
	pthread_mutex_lock(&mm->lock);
	vma_flags = (vma_flags & ~VMA_POPULATE) | mm->def_lock;
	long r = map_locked(mm, addr, len, prot, vma_flags, fixed, noreplace, file, off);
	if (r >= 0 && (populate || (vma_flags & VMA_LOCK_MASK) == VMA_LOCKED))
		populate_locked(mm, r, r + len, true);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_unmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	if ((addr & ~PAGE_MASK) || len == 0)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (addr + len < addr || addr + len > GUEST_TASK_SIZE || len == 0)
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	int rc = unmap_locked(mm, addr, addr + len);
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

static bool range_mapped_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t a = start;
	size_t i = vma_lower_bound_locked(mm, start);
	for (; a < end; i++) {
		if (i >= mm->nvmas || mm->vmas[i].start > a)
			return false;
		a = mm->vmas[i].end;
	}
	return true;
}

/* Give a VMA that borrows file-cache pages its own copy (it is about to be written). */
static int vma_privatize_locked(struct mm *mm, struct vma *v)
{
	uint64_t len = v->end - v->start, off;
	int rc = cache_fill(v, v->start, len);
	if (!rc)
		rc = mf_alloc(len, &off);
	if (rc)
		return rc;
	mf_copy(off, v->mf_off, len);
	fcache_put(v->cache);
	v->cache = NULL;
	v->mf_off = off;
	return plat_as_map(mm->as, v->start, len, off, v->prot);
}

/* Give a reserve VMA its pages (zero) as it becomes accessible with prot. */
static int vma_back_locked(struct mm *mm, struct vma *v, int prot)
{
	uint64_t len = v->end - v->start, off;
	int rc = mf_alloc(len, &off);
	if (rc)
		return rc;
	v->reserve = false;
	v->mf_off = off;
	return plat_as_map(mm->as, v->start, len, off, prot);
}

int mm_protect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(PROT_ALL | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if ((prot & (PROT_GROWSDOWN | PROT_GROWSUP)) == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	prot &= PROT_ALL;
	if (len == 0)
		return 0;
	len = PAGE_ALIGN_UP(len);
	uint64_t end = addr + len;
	if (end < addr || len == 0)
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	int rc = 0;
	if (!range_mapped_locked(mm, addr, end)) {
		rc = -ENOMEM;
		goto out;
	}
	/* The host's vDSO pages cannot become writable (the host kernel says EINVAL). */
	for (size_t j = vma_lower_bound_locked(mm, addr); j < mm->nvmas && mm->vmas[j].start < end; j++) {
		if (mm->vmas[j].host && (prot & PROT_WRITE)) {
			rc = -EINVAL;
			goto out;
		}
	}
	/* A shared mapping of a file not open read-write has no VM_MAYWRITE (Linux: EACCES). */
	for (size_t j = vma_lower_bound_locked(mm, addr); j < mm->nvmas && mm->vmas[j].start < end; j++) {
		const struct vma *v = &mm->vmas[j];
		if ((prot & PROT_WRITE) && (v->flags & VMA_SHARED) &&
		    ((v->flags & VMA_NOMAYWRITE) ||
		     (v->file && (file_flags(v->file) & O_ACCMODE) != O_RDWR))) {
			rc = -EACCES;
			goto out;
		}
	}
	/*
	 * Memory becoming data counts against RLIMIT_DATA (Linux's
	 * mprotect_fixup: refused if the new flags do not fit where the old did).
	 */
	uint64_t to_data = 0;
	size_t j = caller_rlimit(RLIMIT_DATA) == RLIM_INFINITY ? mm->nvmas   /* nothing to count */
		   : vma_lower_bound_locked(mm, addr);
	for (; j < mm->nvmas && mm->vmas[j].start < end; j++) {
		const struct vma *v = &mm->vmas[j];
		if (!is_data(v->prot, v->flags) && is_data(prot, v->flags))
			to_data += MIN(end, v->end) - MAX(addr, v->start);
	}
	if (to_data && may_expand_locked(mm, 0, 0, to_data, true) &&
	    !may_expand_locked(mm, 0, 0, to_data, false)) {
		rc = -ENOMEM;
		goto out;
	}
	long i = vma_carve_locked(mm, addr, end);
	if (i < 0) {
		rc = i;
		goto out;
	}
	/* Set when one range change in the stubs will not do (pieces they map differently or not at all). */
	bool any_cow = false;
	for (; (size_t)i < mm->nvmas && mm->vmas[i].start < end; i++) {
		if (mm->vmas[i].reserve && prot != PROT_NONE) {
			rc = vma_back_locked(mm, &mm->vmas[i], prot);
			if (rc)
				goto out;
		}
		mm->vmas[i].prot = prot;
		any_cow |= mm->vmas[i].cow || mm->vmas[i].cache || mm->vmas[i].fshared ||
			   mm->vmas[i].reserve;
		if (mm->vmas[i].cache && (prot & PROT_WRITE)) {
			rc = vma_privatize_locked(mm, &mm->vmas[i]);
			if (rc)
				goto out;
		}
	}
	if (!any_cow) {
		rc = plat_as_protect(mm->as, addr, len, prot);
		goto out;
	}
	for (size_t j = vma_lower_bound_locked(mm, addr); j < mm->nvmas && mm->vmas[j].start < end && !rc; j++)
		rc = mm->vmas[j].reserve ? 0     /* nothing mapped there */
		     : (mm->vmas[j].cache && vma_host_fd(&mm->vmas[j]) < 0) || mm->vmas[j].fshared
			     ? map_vma_locked(mm, &mm->vmas[j], NULL)
				       : plat_as_protect(mm->as, mm->vmas[j].start,
							 mm->vmas[j].end - mm->vmas[j].start,
							 stub_prot(&mm->vmas[j]));
out:
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

/*
 * Grow or move (part of) a shared file VMA: no bytes move, the new range
 * maps the same file pages.
 */
static long remap_fshared_locked(struct mm *mm, long i, uint64_t old, uint64_t old_len,
				 uint64_t new_len, int flags, uint64_t new_addr)
{
	struct vma v = mm->vmas[i];
	if (!(flags & MREMAP_FIXED) && v.end == old + old_len && old + new_len <= GUEST_TASK_SIZE &&
	    old + new_len > old && range_free_locked(mm, v.end, old + new_len)) {
		mm->vmas[i].end = old + new_len;
		int rc = map_fshared_locked(mm, &mm->vmas[i], v.end, old + new_len, NULL);
		return rc ? rc : (long)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	uint64_t dst;
	if (flags & MREMAP_FIXED) {
		if (new_addr < GUEST_MMAP_MIN || new_addr + new_len > GUEST_TASK_SIZE ||
		    (new_addr < old + old_len && old < new_addr + new_len))
			return -EINVAL;
		dst = new_addr;
	} else {
		long a = find_free_locked(mm, new_len, mm->layout.mmap_base);
		if (a < 0)
			return a;
		dst = a;
	}
	struct file *file = v.file;
	file_get(file);     /* survives the unmap of the old range */
	file_map_pin(file, 1);    /* and so do its shared pages (a host file's cache) */
	int rc = unmap_locked(mm, old, old + old_len);
	long r = rc ? rc : map_fshared_new_locked(mm, dst, new_len, v.prot, v.flags, true, file,
						    v.file_off + (old - v.start));
	file_map_pin(file, -1);
	file_put(file);
	return r;
}

/*
 * Whether VMA b, starting where a ends, is one mapping with a to Linux,
 * which merges adjacent private anonymous mappings alike in everything:
 * the sentry splits them for its own reasons (copy-on-write chunks, pieces
 * given pages separately).
 */
static bool vma_same_anon(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       !(a->flags & VMA_SHARED) && !a->file && !b->file && !a->cache && !b->cache &&
	       !a->fshared && !b->fshared && !a->host && !b->host && a->reserve == b->reserve &&
	       memcmp(&a->policy, &b->policy, sizeof(a->policy)) == 0;
}

/*
 * Make [lo, hi), over several VMAs that are one mapping to Linux, one VMA
 * with one MemoryFile range (their bytes copied in); its index, -EFAULT if
 * they are not one mapping, or -ENOMEM.
 */
static long vma_coalesce_locked(struct mm *mm, uint64_t lo, uint64_t hi)
{
	long i = vma_find_locked(mm, lo);
	if (i < 0)
		return -EFAULT;
	size_t j = (size_t)i;
	for (; mm->vmas[j].end < hi; j++)
		if (j + 1 >= mm->nvmas || !vma_same_anon(&mm->vmas[j], &mm->vmas[j + 1]))
			return -EFAULT;
	if (j == (size_t)i)
		return i;
	long k = vma_carve_locked(mm, lo, hi);
	if (k < 0)
		return k;
	struct vma nv = mm->vmas[k];
	uint64_t off = 0;
	if (!nv.reserve) {
		int rc = mf_alloc(hi - lo, &off);
		if (rc)
			return rc;
		for (size_t m = (size_t)k; m < mm->nvmas && mm->vmas[m].start < hi; m++)
			mf_copy(off + (mm->vmas[m].start - lo), mm->vmas[m].mf_off,
				mm->vmas[m].end - mm->vmas[m].start);
	}
	while ((size_t)k < mm->nvmas && mm->vmas[k].start < hi) {
		vma_release(&mm->vmas[k]);
		vma_remove_locked(mm, k);
	}
	nv.start = lo;
	nv.end = hi;
	nv.mf_off = off;
	nv.cow = false;
	nv.shared = NULL;
	/* Two or more VMAs went: there is room for one, so this cannot fail. */
	vma_insert_locked(mm, k, &nv);
	mm->last = 0;
	int rc = nv.reserve ? 0 : plat_as_map(mm->as, lo, hi - lo, off, nv.prot);
	return rc ? rc : k;
}

long mm_remap(struct mm *mm, uint64_t old, uint64_t old_len, uint64_t new_len, int flags,
	      uint64_t new_addr)
{
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (flags & MREMAP_DONTUNMAP)
		return -EINVAL;    /* not supported yet: documented in docs/compat.md */
	if (old & ~PAGE_MASK)
		return -EINVAL;
	old_len = PAGE_ALIGN_UP(old_len);
	new_len = PAGE_ALIGN_UP(new_len);
	if (new_len == 0)
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && (new_addr & ~PAGE_MASK))
		return -EINVAL;
	if (old_len == 0)
		return -EINVAL;    /* old_len 0 duplicates shared mappings: unsupported */
	pthread_mutex_lock(&mm->lock);
	long r;
	bool populate = false;     /* a locked VMA grew: fault in what it gained */
	long i = vma_find_locked(mm, old);
	if (i >= 0 && mm->vmas[i].end < old + old_len)
		i = vma_coalesce_locked(mm, old, old + old_len);
	if (i < 0) {
		r = i == -1 ? -EFAULT : i;
		goto out;
	}
	/* Copy-on-write pages are made private, the whole VMA at once, before they move or grow. */
	if (mm->vmas[i].cow) {
		r = cow_break_range_locked(mm, mm->vmas[i].start, mm->vmas[i].end);
		if (r)
			goto out;
	}
	struct vma v = mm->vmas[i];
	if (v.host) {
		r = -EINVAL;    /* the vDSO block stays where it is */
		goto out;
	}
	/* A locked VMA grows within RLIMIT_MEMLOCK (Linux: EAGAIN, before RLIMIT_AS). */
	if (new_len > old_len && (v.flags & VMA_LOCKED) && !lock_fits_locked(mm, new_len - old_len)) {
		r = -EAGAIN;
		goto out;
	}
	populate = new_len > old_len && (v.flags & VMA_LOCK_MASK) == VMA_LOCKED;
	if (new_len > old_len) {
		bool to = flags & MREMAP_FIXED;   /* what is at new_addr goes first */
		r = may_expand_locked(mm, to ? new_addr : 0, to ? new_addr + new_len : 0,
				      new_len - old_len, is_data(v.prot, v.flags));
		if (r)
			goto out;
	}
	if (v.fshared && (new_len > old_len || (flags & MREMAP_FIXED))) {
		r = remap_fshared_locked(mm, i, old, old_len, new_len, flags, new_addr);
		goto out;
	}
	if (v.shared && (v.flags & VMA_SHARED) && (new_len > old_len || (flags & MREMAP_FIXED))) {
		r = -EINVAL;    /* growing shared anonymous memory: not supported yet */
		goto out;
	}
	if (!(flags & MREMAP_FIXED) && new_len <= old_len) {
		if (new_len < old_len)
			r = unmap_locked(mm, old + new_len, old + old_len);
		else
			r = 0;
		if (r == 0)
			r = old;
		goto out;
	}
	/* Grow in place if the pages after are free (needs a contiguous MemoryFile range). */
	if (!(flags & MREMAP_FIXED) && v.end == old + old_len &&
	    old + new_len <= GUEST_TASK_SIZE && old + new_len > old &&
	    range_free_locked(mm, v.end, old + new_len)) {
		uint64_t grow = new_len - old_len;
		uint64_t off;
		if (v.reserve) {
			mm->vmas[i].end += grow;     /* more reserved space, still nothing mapped */
			r = old;
			goto out;
		}
		r = cache_fill(&v, v.start, v.end - v.start);
		if (r)
			goto out;
		/* Try to extend the MemoryFile range by allocating a fresh one and moving. */
		r = mf_alloc(v.end - v.start + grow, &off);
		if (r)
			goto out;
		mf_copy(off, v.mf_off, v.end - v.start);
		/* Private pages a fork left it the last holder of are released as shared ones. */
		if (v.cache)
			fcache_put(v.cache);
		else if (v.shared)
			shared_put(v.shared);
		else
			mf_free(v.mf_off, v.end - v.start);
		mm->vmas[i].cache = NULL;
		mm->vmas[i].shared = NULL;
		mm->vmas[i].mf_off = off;
		mm->vmas[i].end += grow;
		r = plat_as_map(mm->as, v.start, v.end - v.start + grow, off, v.prot);
		if (r == 0)
			r = old;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		r = -ENOMEM;
		goto out;
	}
	/* Move: a new range, the old bytes copied, the old range unmapped. */
	uint64_t dst;
	if (flags & MREMAP_FIXED) {
		if (new_addr < GUEST_MMAP_MIN || new_addr + new_len > GUEST_TASK_SIZE ||
		    (new_addr < old + old_len && old < new_addr + new_len)) {
			r = -EINVAL;
			goto out;
		}
		dst = new_addr;
	} else {
		r = find_free_locked(mm, new_len, mm->layout.mmap_base);
		if (r < 0)
			goto out;
		dst = r;
	}
	/* Reserved space only moves as reserved space; anything else gets pages. */
	bool reserve = true;
	for (uint64_t a = old; a < old + old_len;) {
		long k = vma_find_locked(mm, a);
		if (k < 0) {
			r = -EFAULT;
			goto out;
		}
		reserve &= mm->vmas[k].reserve;
		a = mm->vmas[k].end;
	}
	uint64_t off = 0;
	r = reserve ? 0 : mf_alloc(new_len, &off);
	if (r)
		goto out;
	/* Copy VMA by VMA: the old range may span several (same backing kind). */
	for (uint64_t a = old; a < old + old_len && !reserve;) {
		long k = vma_find_locked(mm, a);
		uint64_t n = MIN(old + old_len, mm->vmas[k].end) - a;
		uint64_t keep = MIN(n, new_len > a - old ? new_len - (a - old) : 0);
		if (keep && cache_fill(&mm->vmas[k], a, keep)) {
			mf_free(off, new_len);
			r = -EFAULT;
			goto out;
		}
		if (keep && !mm->vmas[k].reserve)
			mf_copy(off + (a - old), mm->vmas[k].mf_off + (a - mm->vmas[k].start), keep);
		a += n;
	}
	if (v.file)
		file_get(v.file);
	r = unmap_locked(mm, old, old + old_len);
	if (r == 0 && (flags & MREMAP_FIXED))
		r = unmap_locked(mm, dst, dst + new_len);
	if (r) {
		if (v.file)
			file_put(v.file);
		if (!reserve)
			mf_free(off, new_len);
		goto out;
	}
	struct vma nv = v;
	nv.cache = NULL;
	nv.shared = NULL;       /* the old range goes with the old VMA */
	nv.start = dst;
	nv.end = dst + new_len;
	nv.mf_off = off;
	nv.reserve = reserve;
	nv.file_off = v.file_off + (old - v.start);
	r = vma_insert_locked(mm, vma_lower_bound_locked(mm, dst), &nv);
	if (r) {
		if (v.file)
			file_put(v.file);
		if (!reserve)
			mf_free(off, new_len);
		goto out;
	}
	r = reserve ? 0 : plat_as_map(mm->as, dst, new_len, off, v.prot);
	if (r == 0)
		r = dst;
out:
	/* What a locked VMA grew by is faulted in, as Linux's mremap does. */
	if (r >= 0 && populate)
		populate_locked(mm, r + old_len, r + new_len, true);
	mm->last = 0;
	pthread_mutex_unlock(&mm->lock);
	return r;
}

void mm_set_brk_start(struct mm *mm, uint64_t start)
{
	pthread_mutex_lock(&mm->lock);
	mm->layout.start_brk = mm->layout.brk = start;
	pthread_mutex_unlock(&mm->lock);
}

uint64_t mm_brk(struct mm *mm, uint64_t want)
{
	pthread_mutex_lock(&mm->lock);
	uint64_t cur = mm->layout.brk;
	uint64_t start = mm->layout.start_brk;
	if (want < start || want > GUEST_TASK_SIZE)
		goto out;
	uint64_t old_top = PAGE_ALIGN_UP(cur), new_top = PAGE_ALIGN_UP(want);
	if (new_top > old_top) {
		/* Like Linux, refuse to grow into another mapping. */
		if (!range_free_locked(mm, old_top, new_top))
			goto out;
		if (map_locked(mm, old_top, new_top - old_top, PROT_READ | PROT_WRITE,
			       VMA_HEAP | mm->def_lock, true, true, NULL, 0) < 0)
			goto out;
		if (mm->def_lock == VMA_LOCKED)
			populate_locked(mm, old_top, new_top, true);
	} else if (new_top < old_top) {
		if (unmap_locked(mm, new_top, old_top))
			goto out;
	}
	mm->layout.brk = want;
out:
	cur = mm->layout.brk;
	pthread_mutex_unlock(&mm->lock);
	return cur;
}

static bool advice_valid(int advice)
{
	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTNEED: case MADV_FREE: case MADV_REMOVE: case MADV_DONTFORK:
	case MADV_DOFORK: case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP: case MADV_WIPEONFORK:
	case MADV_KEEPONFORK: case MADV_COLD: case MADV_PAGEOUT: case 22 /* POPULATE_READ */:
	case 23 /* POPULATE_WRITE */: case 24 /* DONTNEED_LOCKED */: case 25 /* COLLAPSE */:
		return true;
	}
	return false;
}

int mm_advise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	if ((addr & ~PAGE_MASK) || !advice_valid(advice))
		return -EINVAL;
	if (len == 0)
		return 0;
	uint64_t end = PAGE_ALIGN_UP(addr + len);
	if (end <= addr)
		return -EINVAL;
	bool discard = advice == MADV_DONTNEED || advice == MADV_FREE || advice == 24 ||
		       advice == MADV_REMOVE;
	int rc = 0;
	pthread_mutex_lock(&mm->lock);
	for (uint64_t a = addr; a < end;) {
		long i = vma_find_locked(mm, a);
		if (i < 0) {
			/* Linux applies the advice to what is mapped and reports ENOMEM. */
			size_t j = vma_lower_bound_locked(mm, a);
			if (j >= mm->nvmas || mm->vmas[j].start >= end) {
				rc = -ENOMEM;
				break;
			}
			rc = -ENOMEM;
			a = mm->vmas[j].start;
			continue;
		}
		if (discard && mm->vmas[i].cow) {
			if (cow_break_locked(mm, a)) {
				rc = -ENOMEM;
				break;
			}
			continue;
		}
		struct vma *v = &mm->vmas[i];
		uint64_t n = MIN(end, v->end) - a;
		/* Shared memory keeps its pages (only MADV_REMOVE drops them), as in Linux. */
		/* A shared file mapping's pages are the file's: nothing to drop here. */
		if (discard && !v->cache && !v->fshared && !v->host && !v->reserve &&
		    (!(v->flags & VMA_SHARED) || advice == MADV_REMOVE)) {
			uint64_t off = v->mf_off + (a - v->start);
			mf_zero(off, n);
			/* A private file mapping reads the file's bytes again. */
			if (v->file && !(v->flags & VMA_SHARED))
				vfs_pread(v->file, mf_ptr(off), n, v->file_off + (a - v->start));
		}
		a += n;
	}
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

int mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, int lock)
{
	uint64_t end = addr + len;
	int rc = 0;
	pthread_mutex_lock(&mm->lock);
	uint64_t limit = lock ? caller_lock_limit() : RLIM_INFINITY;
	if (limit != RLIM_INFINITY) {
		/* Linux's do_mlock: what is locked in the range already is not counted twice. */
		uint64_t pages = len / PAGE_SIZE + locked_bytes_locked(mm, 0, UINT64_MAX) / PAGE_SIZE;
		if (pages > limit / PAGE_SIZE)
			pages -= locked_bytes_locked(mm, addr, end < addr ? UINT64_MAX : end) / PAGE_SIZE;
		if (pages > limit / PAGE_SIZE) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* Linux's apply_vma_lock_flags: VMA by VMA, up to the first hole. */
	if (end < addr) {
		rc = -EINVAL;
		goto out;
	}
	uint64_t a = addr;
	while (a < end) {
		long i = vma_find_locked(mm, a);
		if (i < 0) {
			rc = -ENOMEM;
			break;
		}
		struct vma *v = &mm->vmas[i];
		uint64_t b = MIN(end, v->end);
		/* The vDSO block is a special mapping: Linux never locks it (VM_DONTEXPAND, VM_PFNMAP). */
		if (!v->host && (v->flags & VMA_LOCK_MASK) != lock) {
			long j = vma_carve_locked(mm, a, b);
			if (j < 0) {
				rc = j;
				break;
			}
			mm->vmas[j].flags = (mm->vmas[j].flags & ~VMA_LOCK_MASK) | lock;
		}
		a = b;
	}
	mm->last = 0;
	if (!rc && lock == VMA_LOCKED)
		rc = populate_locked(mm, addr, end, false);
out:
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

int mm_mlockall(struct mm *mm, int flags)
{
	int onfault = flags & MCL_ONFAULT ? VMA_LOCKONFAULT : 0;
	int rc = 0;
	pthread_mutex_lock(&mm->lock);
	uint64_t limit = flags & MCL_CURRENT ? caller_lock_limit() : RLIM_INFINITY;
	if (limit != RLIM_INFINITY) {
		/* Linux's total_vm: every mapping counts (the stack as for RLIMIT_AS). */
		uint64_t total = 0;
		for (size_t i = 0; i < mm->nvmas; i++) {
			const struct vma *v = &mm->vmas[i];
			uint64_t n = v->end - v->start;
			total += (v->flags & VMA_STACK ? MIN(n, STACK_ACCOUNTED) : n) / PAGE_SIZE;
		}
		if (total > limit / PAGE_SIZE) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* As Linux's apply_mlockall_flags: MCL_CURRENT alone also ends MCL_FUTURE. */
	mm->def_lock = flags & MCL_FUTURE ? VMA_LOCKED | onfault : 0;
	if ((flags & MCL_FUTURE) && !(flags & MCL_CURRENT))
		goto out;
	int lock = flags & MCL_CURRENT ? VMA_LOCKED | onfault : 0;
	for (size_t i = 0; i < mm->nvmas; i++)
		if (!mm->vmas[i].host)
			mm->vmas[i].flags = (mm->vmas[i].flags & ~VMA_LOCK_MASK) | lock;
	if (lock == VMA_LOCKED)
		populate_locked(mm, 0, UINT64_MAX, true);
out:
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

long mm_mincore(struct mm *mm, uint64_t addr, size_t npages, uint8_t *vec)
{
	pthread_mutex_lock(&mm->lock);
	long i = vma_find_locked(mm, addr);
	if (i < 0) {
		pthread_mutex_unlock(&mm->lock);
		return -ENOMEM;
	}
	const struct vma *v = &mm->vmas[i];
	size_t n = MIN(npages, (v->end - addr) / PAGE_SIZE);
	if (v->host || v->cache) {
		/*
		 * The vDSO block, as Linux reports a special mapping; a file-cache
		 * VMA's pages are the file's, which the sandbox's file cache or the
		 * host's page cache hold: resident, as a file read before is.
		 */
		memset(vec, 1, n);
	} else if (v->reserve) {
		memset(vec, 0, n);      /* no pages at all */
	} else if (v->fshared) {
		/* The file's own pages: present or not, none made to exist. */
		for (size_t k = 0; k < n; k++) {
			uint64_t off;
			vec[k] = file_map_page_peek(v, addr + k * PAGE_SIZE, &off);
		}
	} else {
		/*
		 * The host's mincore on the sentry's view of the MemoryFile (a
		 * shmem file) tells whether each page exists, faulting nothing in.
		 */
		if (mincore(mf_ptr(v->mf_off + (addr - v->start)), n * PAGE_SIZE, vec))
			memset(vec, 0, n);
		for (size_t k = 0; k < n; k++)
			vec[k] &= 1;
	}
	pthread_mutex_unlock(&mm->lock);
	return (long)n;
}

void mm_get_layout(struct mm *mm, struct mm_layout *out)
{
	pthread_mutex_lock(&mm->lock);
	*out = mm->layout;
	pthread_mutex_unlock(&mm->lock);
}

void mm_set_layout(struct mm *mm, const struct mm_layout *in)
{
	pthread_mutex_lock(&mm->lock);
	mm->layout = *in;
	pthread_mutex_unlock(&mm->lock);
}

long mm_format_maps(struct mm *mm, char **out)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct vma *v = &mm->vmas[i];
		uint64_t dev = 0, ino = 0;
		char path[4096] = "";
		if (v->file) {
			file_dev_ino(v->file, &dev, &ino);
			if (file_path(v->file, path, sizeof(path)) < 0)
				path[0] = 0;
		} else if (v->name) {
			snprintf(path, sizeof(path), "%s", v->name);
		}
		int n = fprintf(f, "%08lx-%08lx %c%c%c%c %08lx %02lx:%02lx %lu",
				v->start, v->end, v->prot & PROT_READ ? 'r' : '-',
				v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-',
				v->flags & VMA_SHARED ? 's' : 'p', v->file ? v->file_off : 0,
				(unsigned long)major(dev), (unsigned long)minor(dev), ino);
		if (path[0])
			fprintf(f, "%*s%s", n < 73 ? 73 - n : 1, "", path);
		fputc('\n', f);
	}
	pthread_mutex_unlock(&mm->lock);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return size;
}

int mm_membarrier_state(struct mm *mm)
{
	return __atomic_load_n(&mm->membarrier, __ATOMIC_ACQUIRE);
}

void mm_membarrier_register(struct mm *mm, int bits)
{
	__atomic_or_fetch(&mm->membarrier, bits, __ATOMIC_ACQ_REL);
}

int mm_dumpable(struct mm *mm)
{
	return __atomic_load_n(&mm->dumpable, __ATOMIC_ACQUIRE);
}

void mm_set_dumpable(struct mm *mm, int v)
{
	__atomic_store_n(&mm->dumpable, v, __ATOMIC_RELEASE);
}

static bool same_name(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * Whether Linux would have VMA b, which starts where a ends, and a as one
 * VMA, by its vma_merge rules: the same protection, flags, name and memory
 * policy, and the same file at the continuing offset or both anonymous
 * (private; shared anonymous memory is a file of its own per mmap in
 * Linux, so only pieces of one mapping go together). The sentry keeps
 * pieces apart that Linux merges or never splits: copy-on-write breaks
 * after fork, ranges given pages separately, an mprotect or mlock undone.
 * Where Linux's flags would differ, the VMAs stay apart too: a reservation
 * (never accessible) against memory that was (Linux's VM_ACCOUNT), a
 * file-cache mapping (never writable) against a private copy (made
 * writable once: VM_ACCOUNT). Not modelled: Linux also keeps apart two
 * anonymous VMAs that each had pages of their own (an anon_vma each)
 * before an mprotect made them alike; here they show as one. SysV shm
 * attachments are never joined (see below).
 */
static bool vma_linux_mergeable(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags ||
	    !same_name(a->name, b->name) || a->host || b->host || a->reserve != b->reserve ||
	    memcmp(&a->policy, &b->policy, sizeof(a->policy)) != 0)
		return false;
	/*
	 * A shmat attachment's VMAs have vm_ops->close (shm_close) in Linux,
	 * and vma_merge never removes such a VMA: once split, an attachment's
	 * pieces stay apart for good (an mprotect undone included).
	 */
	if (vfs_shm_owner(a->file) || vfs_shm_owner(b->file))
		return false;
	if (a->file || b->file)
		return a->file == b->file && b->file_off == a->file_off + (a->end - a->start) &&
		       a->fshared == b->fshared && !a->cache == !b->cache;
	if (a->flags & VMA_SHARED)
		return a->shared && a->shared == b->shared &&
		       b->mf_off == a->mf_off + (a->end - a->start);
	return vma_same_anon(a, b);
}

long mm_snapshot_vmas(struct mm *mm, struct mm_vma_info **out)
{
	pthread_mutex_lock(&mm->lock);
	size_t n = mm->nvmas;
	struct mm_vma_info *v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&mm->lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vma *s = &mm->vmas[i];
		struct mm_vma_info *d = &v[i];
		d->start = s->start;
		d->end = s->end;
		d->prot = s->prot;
		d->flags = s->flags;
		d->file = s->file;
		if (d->file)
			file_get(d->file);
		d->file_off = s->file_off;
		d->name = s->name;
		d->joins_prev = i > 0 && vma_linux_mergeable(&mm->vmas[i - 1], s);
		if (s->fshared) {
			d->pages = MM_PAGES_FILE_SHARED;     /* the file's pages: not counted here */
		} else {
			d->resident = s->reserve ? 0 : mf_resident(s->mf_off, s->end - s->start);
			d->pages = s->cache ? MM_PAGES_FILE
				 : s->shared && (s->flags & VMA_SHARED) ? MM_PAGES_SHARED_ANON
				 : MM_PAGES_ANON;
		}
	}
	pthread_mutex_unlock(&mm->lock);
	*out = v;
	return (long)n;
}

uint64_t mm_rss(struct mm *mm, bool fresh)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t start = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&mm->lock);
	if (!fresh && mm->rss_at && start < mm->rss_at + 20 * mm->rss_cost) {
		uint64_t rss = mm->rss;
		pthread_mutex_unlock(&mm->lock);
		return rss;
	}
	uint64_t rss = 0;
	for (size_t i = 0; i < mm->nvmas; i++) {
		const struct vma *v = &mm->vmas[i];
		if (!v->fshared && !v->reserve)
			rss += mf_resident(v->mf_off, v->end - v->start);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mm->rss_at = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	mm->rss_cost = mm->rss_at - start;
	mm->rss = rss;
	pthread_mutex_unlock(&mm->lock);
	return rss;
}

void mm_vmas_free(struct mm_vma_info *v, long n)
{
	for (long i = 0; i < n; i++)
		if (v[i].file)
			file_put(v[i].file);
	free(v);
}

int mm_prot_at(struct mm *mm, uint64_t addr)
{
	pthread_mutex_lock(&mm->lock);
	long i = vma_find_locked(mm, addr);
	int prot = i < 0 ? 0 : mm->vmas[i].prot;
	pthread_mutex_unlock(&mm->lock);
	return prot;
}

bool mm_range_mapped(struct mm *mm, uint64_t addr, uint64_t len)
{
	if (addr + len < addr)
		return false;
	pthread_mutex_lock(&mm->lock);
	bool r = range_mapped_locked(mm, addr, addr + len);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_sync(struct mm *mm, uint64_t addr, uint64_t len, bool sync)
{
	uint64_t end = addr + len;
	if (end < addr)
		return -ENOMEM;
	if (end == addr)
		return 0;
	struct file **files = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	pthread_mutex_lock(&mm->lock);
	bool mapped = range_mapped_locked(mm, addr, end);
	for (size_t i = vma_lower_bound_locked(mm, addr); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct vma *v = &mm->vmas[i];
		if (!v->fshared || (n && files[n - 1] == v->file))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct file **p = realloc(files, ncap * sizeof(*p));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			files = p;
			cap = ncap;
		}
		file_get(v->file);
		files[n++] = v->file;
	}
	pthread_mutex_unlock(&mm->lock);
	/* Written back without mm->lock: the VFS does host I/O under vfs_lock only. */
	for (size_t i = 0; i < n; i++) {
		int r = rc ? 0 : file_map_sync(files[i], sync);
		if (r && !rc)
			rc = r;
		file_put(files[i]);
	}
	free(files);
	return rc ? rc : mapped ? 0 : -ENOMEM;
}

int mm_futex_key(struct mm *mm, gaddr_t addr, uint64_t *key, void **host)
{
	pthread_mutex_lock(&mm->lock);
	long i = vma_find_locked(mm, addr.v);
	/* A private futex word must not be named by pages another process shares. */
	if (i >= 0 && mm->vmas[i].cow && cow_break_locked(mm, addr.v) == 0)
		i = vma_find_locked(mm, addr.v);
	int rc = -EFAULT;
	if (i >= 0 && mm->vmas[i].host) {
		rc = -EFAULT;
	} else if (i >= 0 && prot_allows(mm->vmas[i].prot, false) && mm->vmas[i].fshared) {
		if (fshared_off(&mm->vmas[i], addr.v, key) == 0) {
			*host = mf_ptr(*key);
			rc = 0;
		}
	} else if (i >= 0 && prot_allows(mm->vmas[i].prot, false) &&
		   cache_fill(&mm->vmas[i], addr.v, 4) == 0) {
		*key = mm->vmas[i].mf_off + (addr.v - mm->vmas[i].start);
		*host = mf_ptr(*key);
		rc = 0;
	}
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

static bool mempolicy_equal(const struct mm_mempolicy *a, const struct mm_mempolicy *b)
{
	return a->mode == b->mode && a->flags == b->flags && a->nodes == b->nodes;
}

int mm_set_mempolicy(struct mm *mm, uint64_t start, uint64_t end, const struct mm_mempolicy *pol)
{
	int rc = 0;
	pthread_mutex_lock(&mm->lock);
	for (size_t i = vma_lower_bound_locked(mm, start);
	     !rc && i < mm->nvmas && mm->vmas[i].start < end; i++) {
		if (mempolicy_equal(&mm->vmas[i].policy, pol))
			continue;
		if (mm->vmas[i].start < start) {
			rc = vma_split_locked(mm, i, start);    /* the part from start is next */
			continue;
		}
		if (mm->vmas[i].end > end) {
			rc = vma_split_locked(mm, i, end);
			if (rc)
				break;
		}
		mm->vmas[i].policy = *pol;
	}
	mm->last = 0;
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

bool mm_next_mempolicy(struct mm *mm, uint64_t *addr, uint64_t end, struct mm_mempolicy *pol)
{
	pthread_mutex_lock(&mm->lock);
	size_t i = vma_lower_bound_locked(mm, *addr);
	bool found = i < mm->nvmas && mm->vmas[i].start < end;
	if (found) {
		*pol = mm->vmas[i].policy;
		*addr = mm->vmas[i].end;
	}
	pthread_mutex_unlock(&mm->lock);
	return found;
}

int mm_tag_file(struct mm *mm, uint64_t addr, uint64_t len, struct file *file, uint64_t off)
{
	pthread_mutex_lock(&mm->lock);
	long i = vma_carve_locked(mm, addr, addr + len);
	int rc = i < 0 ? (int)i : 0;
	for (; rc == 0 && (size_t)i < mm->nvmas && mm->vmas[i].start < addr + len; i++) {
		struct vma *v = &mm->vmas[i];
		if (v->file)
			file_put(v->file);
		file_get(file);
		v->file = file;
		v->file_off = off + (v->start - addr);
	}
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

struct mm *mm_fork(struct mm *parent)
{
	struct mm *mm = mm_create();
	if (!mm)
		return NULL;
	/* The patching state stays as the pages it wrote are copied (its lock comes first). */
	struct usertrap *trap = usertrap_fork_begin(parent);
	pthread_mutex_lock(&parent->lock);
	mm->layout = parent->layout;
	mm->membarrier = mm_membarrier_state(parent);    /* Linux's dup_mm copies it */
	mm->dumpable = mm_dumpable(parent);               /* and the dump bits of mm->flags */
	/*
	 * Other threads of the parent run on in their own stubs and would go on
	 * writing pages made copy-on-write until their next stop. With them,
	 * the child gets a copy now instead (like a fork at an arbitrary
	 * instant of the other threads).
	 */
	bool others = __atomic_load_n(&parent->refs, __ATOMIC_ACQUIRE) > 1;
	bool mirrors = !others;
	int rc = 0;
	for (size_t i = 0; i < parent->nvmas && !rc; i++) {
		struct vma *pv = &parent->vmas[i];
		if (pv->fshared)
			mirrors = false;
		if (pv->host || pv->reserve) {
			struct vma v = *pv;
			if (v.reserve && v.file)
				file_get(v.file);
			rc = vma_insert_locked(mm, mm->nvmas, &v);
			if (rc)
				vma_release(&v);
			continue;
		}
		if (others && !pv->cache && !(pv->flags & VMA_SHARED) && !pv->cow) {
			struct vma v = *pv;
			uint64_t off;
			rc = mf_alloc(v.end - v.start, &off);
			if (rc)
				break;
			mf_copy(off, pv->mf_off, v.end - v.start);
			v.mf_off = off;
			v.shared = NULL;
			if (v.file)
				file_get(v.file);
			rc = vma_insert_locked(mm, mm->nvmas, &v);
			if (rc)
				vma_release(&v);
			continue;
		}
		if (pv->fshared) {
			/* The file's pages: the child maps them too. */
			struct vma v = *pv;
			file_get(v.file);
			file_map_pin(v.file, 1);
			rc = vma_insert_locked(mm, mm->nvmas, &v);
			if (rc)
				vma_release(&v);
			continue;
		}
		if (!pv->cache && !pv->shared) {
			/* Pages the VMA owned become a range both sides reference. */
			struct mm_shared *sh = malloc(sizeof(*sh));
			if (!sh) {
				rc = -ENOMEM;
				break;
			}
			*sh = (struct mm_shared){ pv->mf_off, pv->end - pv->start, 1 };
			pv->shared = sh;
		}
		if (!pv->cache && !(pv->flags & VMA_SHARED) && !pv->cow) {
			/* Private memory: copy-on-write, read-only in every stub until written. */
			pv->cow = true;
			if (pv->prot & PROT_WRITE)
				rc = plat_as_protect(parent->as, pv->start, pv->end - pv->start,
						     stub_prot(pv));
		}
		struct vma v = *pv;
		if (v.cache)
			fcache_ref(v.cache);
		if (v.shared)
			__atomic_add_fetch(&v.shared->refs, 1, __ATOMIC_RELAXED);
		if (v.file)
			file_get(v.file);
		if (!rc)
			rc = vma_insert_locked(mm, mm->nvmas, &v);
		if (rc)
			vma_release(&v);
	}
	/* The copy's moment, in the parent's queued changes (its copy-on-write protections last). */
	mm->fork_since = plat_as_changes(parent->as);
	pthread_mutex_unlock(&parent->lock);
	int trc = usertrap_fork_end(mm, trap);
	if (!rc)
		rc = trc;
	if (rc) {
		mm_put(mm);
		return NULL;
	}
	/* Memory locks are not inherited by a child (nor MCL_FUTURE: def_lock stays 0). */
	for (size_t i = 0; i < mm->nvmas; i++)
		mm->vmas[i].flags &= ~VMA_LOCK_MASK;
	mm->fork_mirrors = mirrors;
	return mm;
}

void mm_fork_prebreak(struct mm *child, uint64_t addr)
{
	pthread_mutex_lock(&child->lock);
	long i = vma_find_locked(child, addr);
	if (i >= 0 && child->vmas[i].cow && (child->vmas[i].prot & PROT_WRITE))
		cow_break_locked(child, addr);      /* on a failure the fault does it later */
	pthread_mutex_unlock(&child->lock);
}

bool mm_fork_mirrors(struct mm *child, uint64_t *since)
{
	*since = child->fork_since;
	return child->fork_mirrors;
}


static pthread_once_t vvar_probed = PTHREAD_ONCE_INIT;

/*
 * Which [vvar] pages the sentry may touch: the host's copy from a page
 * into a pipe says EFAULT where the sentry's own load would be SIGBUS
 * (process_vm_readv will not do: it refuses every VM_PFNMAP page).
 */
static void probe_vvar(void)
{
	uint64_t lo, hi, ehdr;
	const void *host;
	int p[2];
	if (!plat_vdso(&lo, &hi, &ehdr, &host))
		return;
	vvar_end = ehdr;           /* without a pipe to probe with: no [vvar] page is read */
	if (pipe2(p, O_CLOEXEC))
		return;
	uint64_t readable = 0;
	for (uint64_t i = 0; i < (ehdr - lo) / PAGE_SIZE && i < 64; i++) {
		char c;
		if (write(p[1], (const char *)host + i * PAGE_SIZE, 1) == 1 && read(p[0], &c, 1) == 1)
			readable |= 1ULL << i;
	}
	close(p[0]);
	close(p[1]);
	vvar_readable = readable;
}

uint64_t mm_add_vdso(struct mm *mm)
{
	uint64_t lo, hi, ehdr;
	const void *host;
	if (!plat_vdso(&lo, &hi, &ehdr, &host))
		return 0;
	vdso_lo = lo;
	vdso_host = host;
	pthread_once(&vvar_probed, probe_vvar);
	struct vma data = { .start = lo, .end = ehdr, .prot = PROT_READ, .name = "[vvar]", .host = true };
	struct vma code = { .start = ehdr, .end = hi, .prot = PROT_READ | PROT_EXEC, .name = "[vdso]",
			    .host = true };
	pthread_mutex_lock(&mm->lock);
	int rc = range_free_locked(mm, lo, hi) ? 0 : -EEXIST;
	if (!rc && lo < ehdr)
		rc = vma_insert_locked(mm, vma_lower_bound_locked(mm, lo), &data);
	if (!rc)
		rc = vma_insert_locked(mm, vma_lower_bound_locked(mm, ehdr), &code);
	if (!rc)
		mm->layout.vdso = ehdr;
	pthread_mutex_unlock(&mm->lock);
	return rc ? 0 : ehdr;
}

static int resync_needed;    /* atomic */

void mm_request_resync(void)
{
	__atomic_store_n(&resync_needed, 1, __ATOMIC_RELEASE);
}

bool mm_resync_requested(void)
{
	return __atomic_load_n(&resync_needed, __ATOMIC_ACQUIRE) &&
	       __atomic_exchange_n(&resync_needed, 0, __ATOMIC_ACQ_REL);
}

void mm_resync_shared_files(struct mm *mm)
{
	pthread_mutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct vma *v = &mm->vmas[i];
		if (v->fshared)
			map_fshared_locked(mm, v, v->start, v->end, NULL);
	}
	pthread_mutex_unlock(&mm->lock);
}

int mm_replay(struct mm *mm, struct plat_ctx *ctx)
{
	pthread_mutex_lock(&mm->lock);
	int rc = plat_ctx_replay_begin(ctx);
	for (size_t i = 0; i < mm->nvmas && !rc; i++) {
		struct vma *v = &mm->vmas[i];
		rc = map_vma_locked(mm, v, ctx);
	}
	pthread_mutex_unlock(&mm->lock);
	return rc;
}

/*
 * Give the copy-on-write chunk around addr its own pages (or simply take
 * them, when no one else shares them any more) and map it writable.
 */
static int cow_break_locked(struct mm *mm, uint64_t addr)
{
	long i = vma_find_locked(mm, addr);
	if (i < 0 || !mm->vmas[i].cow)
		return i < 0 ? -EFAULT : 0;
	uint64_t lo = MAX(mm->vmas[i].start, addr & ~(COW_CHUNK - 1));
	uint64_t hi = MIN(mm->vmas[i].end, (addr & ~(COW_CHUNK - 1)) + COW_CHUNK);
	return cow_break_range_locked(mm, lo, hi);
}

/*
 * Whether every reference to sh is one of mm's VMAs: no other address
 * space shares its pages any more (the fork's other side exited or
 * exec'd; the rest are pieces of one range split here). Other MMs only
 * drop references meanwhile: one that holds none cannot fork a new one.
 */
static bool shared_sole_locked(struct mm *mm, const struct mm_shared *sh)
{
	int mine = 0;
	for (size_t i = 0; i < mm->nvmas; i++)
		mine += mm->vmas[i].shared == sh;
	return mine == __atomic_load_n(&sh->refs, __ATOMIC_ACQUIRE);
}

/* Make mm's copy-on-write VMAs of sh (which mm alone holds) plain private memory again. */
static int settle_one_locked(struct mm *mm, const struct mm_shared *sh)
{
	int rc = 0;
	for (size_t j = 0; j < mm->nvmas && !rc; j++) {
		struct vma *w = &mm->vmas[j];
		if (w->shared != sh || !w->cow)
			continue;
		w->cow = false;
		if (w->prot & PROT_WRITE)
			rc = plat_as_protect(mm->as, w->start, w->end - w->start, w->prot);
	}
	return rc;
}

/*
 * A write fault in copy-on-write memory that no other address space
 * shares any more (sh, which mm alone holds): after a fork whose child
 * exited or exec'd, the parent's first such fault makes every range in
 * that state plain private memory, mapped writable again, at once (one
 * batch of host calls instead of a fault each). Looks at the first
 * SETTLE_MAX other ranges.
 */
#define SETTLE_MAX 64
static int cow_settle_locked(struct mm *mm, const struct mm_shared *sh)
{
	const struct mm_shared *seen[SETTLE_MAX];
	size_t nseen = 0;
	int rc = settle_one_locked(mm, sh);
	for (size_t i = 0; i < mm->nvmas && !rc && nseen < SETTLE_MAX; i++) {
		const struct mm_shared *other = mm->vmas[i].shared;
		bool known = false;
		for (size_t k = 0; k < nseen && !known; k++)
			known = seen[k] == other;
		if (!mm->vmas[i].cow || known)
			continue;
		seen[nseen++] = other;
		if (shared_sole_locked(mm, other))
			rc = settle_one_locked(mm, other);
	}
	return rc;
}

/* cow_break_locked for [lo, hi), inside one copy-on-write VMA. */
static int cow_break_range_locked(struct mm *mm, uint64_t lo, uint64_t hi)
{
	long j = vma_carve_locked(mm, lo, hi);
	if (j < 0)
		return j;
	struct vma *v = &mm->vmas[j];
	uint64_t len = v->end - v->start;
	if (shared_sole_locked(mm, v->shared)) {
		v->cow = false;    /* the last sharer keeps the pages as they are */
	} else {
		uint64_t off;
		int rc = mf_alloc(len, &off);
		if (rc)
			return rc;
		mf_copy(off, v->mf_off, len);
		shared_put(v->shared);
		v->shared = NULL;
		v->cow = false;
		v->mf_off = off;
	}
	mm->last = 0;
	return plat_as_map(mm->as, v->start, len, v->mf_off, v->prot);
}

int mm_handle_fault(struct mm *mm, uint64_t addr, bool write)
{
	pthread_mutex_lock(&mm->lock);
	long i = vma_find_locked(mm, addr);
	bool ok = false;
	/*
	 * Set when the fault's page was in place already: then only a change
	 * still queued for this stub can explain it, and a second fault at
	 * the same address is the guest's own (a write to a read-only page).
	 */
	bool was_there = false;
	if (i >= 0 && mm->vmas[i].fshared) {
		/* A shared file page not mapped here yet: map its chunk, or SIGBUS past EOF. */
		struct vma *v = &mm->vmas[i];
		uint64_t off, peek;
		/* Looked at before fshared_off, which makes the page exist. */
		was_there = v->prot != PROT_NONE &&
			    file_map_page_peek(v, addr & ~(PAGE_SIZE - 1), &peek);
		if (v->prot == PROT_NONE) {
			ok = false;
		} else if (fshared_off(v, addr, &off)) {
			pthread_mutex_unlock(&mm->lock);
			return SIGBUS;
		} else {
			uint64_t chunk = fcache_chunk_size();
			uint64_t lo = MAX(v->start, addr & ~(chunk - 1));
			uint64_t hi = MIN(v->end, (addr & ~(chunk - 1)) + chunk);
			ok = map_fshared_locked(mm, v, lo, hi, NULL) == 0;
		}
	} else if (i >= 0 && vma_host_fd(&mm->vmas[i]) >= 0) {
		/*
		 * The stub maps the host file itself and the host kernel serves
		 * its faults: a fault here is the guest's own, or the stub has
		 * not applied another thread's queued change (an mprotect) yet,
		 * which it does before it runs again: a retry or two tell them apart.
		 */
		if (mm->vmas[i].prot != PROT_NONE) {
			pthread_mutex_unlock(&mm->lock);
			return MM_FAULT_UNEXPLAINED;
		}
	} else if (i >= 0 && mm->vmas[i].cache && mm->vmas[i].prot != PROT_NONE) {
		/*
		 * First touch of a file-cache chunk (or one another process
		 * filled, still PROT_NONE here): read in the window around it,
		 * as Linux's fault-around and readahead do, and map that window.
		 * A fault costs far more than reading a few more pages.
		 */
		struct vma *v = &mm->vmas[i];
		was_there = fcache_is_filled(v->cache, cache_rel(v, addr));
		uint64_t lo = MAX(v->start, addr & ~(FAULT_AROUND - 1));
		uint64_t hi = MIN(v->end, (addr & ~(FAULT_AROUND - 1)) + FAULT_AROUND);
		ok = cache_fill(v, lo, hi - lo) == 0 && map_cache_range_locked(mm, v, lo, hi, NULL) == 0;
	} else if (i >= 0 && mm->vmas[i].cow) {
		/* A range this MM alone holds now: the others like it are settled with it. */
		if ((mm->vmas[i].prot & PROT_WRITE) && shared_sole_locked(mm, mm->vmas[i].shared))
			ok = cow_settle_locked(mm, mm->vmas[i].shared) == 0;
		else
			ok = (mm->vmas[i].prot & PROT_WRITE) && cow_break_locked(mm, addr) == 0;
	} else if (i >= 0 && (mm->vmas[i].prot & PROT_WRITE) && !mm->vmas[i].host) {
		/*
		 * A writable VMA that this stub still maps with less: another
		 * thread just changed it (a copy-on-write break, an mprotect) and
		 * the stub applies the queued change only before its next run.
		 * Map the page range again, to be sure, and let the guest retry.
		 */
		struct vma *v = &mm->vmas[i];
		uint64_t lo = MAX(v->start, addr & ~(COW_CHUNK - 1));
		uint64_t hi = MIN(v->end, (addr & ~(COW_CHUNK - 1)) + COW_CHUNK);
		ok = plat_as_map(mm->as, lo, hi - lo, v->mf_off + (lo - v->start), stub_prot(v)) == 0;
		was_there = true;
	}
	pthread_mutex_unlock(&mm->lock);
	return !ok ? -1 : was_there ? MM_FAULT_UNEXPLAINED : 0;
}

/* ---- SysV shared memory (sentry/ipc_shm.c) ---- */

/* A VMA of a shmat attachment whose mapping would start at addr (Linux's vm_pgoff test). */
static bool vma_shm_at(const struct vma *v, uint64_t addr)
{
	return v->fshared && vfs_shm_owner(v->file) && v->start - addr == v->file_off;
}

long mm_shm_detach(struct mm *mm, uint64_t addr)
{
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	long rc = -EINVAL;
	struct file *file = NULL;
	pthread_mutex_lock(&mm->lock);
	/* Linux's shmdt: the first attachment VMA from addr on that maps its offset 0 there... */
	size_t i = vma_lower_bound_locked(mm, addr);
	for (; i < mm->nvmas; i++) {
		struct vma *v = &mm->vmas[i];
		if (vma_shm_at(v, addr)) {
			file = v->file;
			file_get(file);
			rc = unmap_locked(mm, v->start, v->end);
			break;      /* the next VMA is at index i now */
		}
	}
	/*
	 * ...then every other fragment of the same attachment (split by
	 * mprotect or munmap) up to the segment's size from addr, and no
	 * further: mremap could have put another segment's pages there.
	 */
	struct stat st;
	if (file && rc == 0 && vfs_fstat(file, &st) == 0) {
		uint64_t size = PAGE_ALIGN_UP((uint64_t)st.st_size);
		while (rc == 0 && i < mm->nvmas && mm->vmas[i].end - addr <= size) {
			struct vma *v = &mm->vmas[i];
			if (v->file == file && vma_shm_at(v, addr))
				rc = unmap_locked(mm, v->start, v->end);
			else
				i++;
		}
	}
	mm->last = 0;
	pthread_mutex_unlock(&mm->lock);
	file_put(file);
	return rc;
}
