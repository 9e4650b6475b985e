/*
 * The ELF loader. Headers are read once, validated as untrusted input, and
 * each PT_LOAD segment becomes a private anonymous VMA filled with the
 * file's bytes (the rest zero: .bss). Segments that share a boundary page
 * share one VMA page with the union of their protections.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "sentry/elf.h"
#include "sentry/memfile.h"
#include "sentry/mm_internal.h"

#define ELF_MAX_PHNUM 256
/* Where Linux puts ET_DYN executables that have an interpreter (2/3 of TASK_SIZE). */
#define ELF_ET_DYN_BASE 0x555555554000ULL

static int read_exact(const struct elf_source *src, void *buf, size_t len, uint64_t off)
{
	ssize_t n = src->pread(src->ctx, buf, len, off);
	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EIO;
}

static int check_header(const Elf64_Ehdr *eh, bool is_interp)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_machine != EM_X86_64)
		return -ENOEXEC;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return -ENOEXEC;
	if (is_interp && eh->e_type != ET_DYN && eh->e_type != ET_EXEC)
		return -ELIBBAD;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	return 0;
}

static int seg_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* Validate the PT_LOAD segments; compute the page-aligned span they cover. */
static int check_segments(const Elf64_Phdr *ph, int n, uint64_t *lo, uint64_t *hi)
{
	uint64_t min = UINT64_MAX, max = 0, prev_vaddr = 0;
	int loads = 0;
	for (int i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_filesz > p->p_memsz)
			return -EINVAL;
		if (p->p_offset + p->p_filesz < p->p_offset)
			return -EINVAL;
		if (p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_vaddr + p->p_memsz > GUEST_TASK_SIZE)
			return -ENOMEM;
		/* Linux requires ascending order; overlap beyond a shared page is malformed. */
		if (loads && p->p_vaddr < prev_vaddr)
			return -EINVAL;
		if (loads && PAGE_ALIGN_DOWN(p->p_vaddr) + PAGE_SIZE < max)
			return -EINVAL;
		prev_vaddr = p->p_vaddr;
		min = MIN(min, PAGE_ALIGN_DOWN(p->p_vaddr));
		max = MAX(max, PAGE_ALIGN_UP(p->p_vaddr + p->p_memsz));
		loads++;
	}
	if (!loads)
		return -ENOEXEC;
	*lo = min;
	*hi = max;
	return 0;
}

static uint64_t random_pages(unsigned bits)
{
	uint64_t r = 0;
	if (getentropy(&r, sizeof(r)) != 0)
		return 0;
	return (r & ((1ULL << bits) - 1)) << 12;
}

static int map_segments(struct mm *mm, const struct elf_source *src, const Elf64_Phdr *ph, int n,
			uint64_t bias)
{
	uint64_t prev_end = 0;
	for (int i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		uint64_t start = PAGE_ALIGN_DOWN(bias + p->p_vaddr);
		uint64_t end = PAGE_ALIGN_UP(bias + p->p_vaddr + p->p_memsz);
		int prot = seg_prot(p->p_flags);
		if (start < prev_end) {
			/* The boundary page is already mapped by the previous segment. */
			long rc = mm_protect(mm, start, PAGE_SIZE, prot | mm_prot_at(mm, start));
			if (rc)
				return rc;
			start = prev_end;
		}
		/*
		 * A read-only segment whose pages line up with the file's maps the
		 * sandbox's cached copy of the file (shared by every process that
		 * runs it); other segments get fresh pages filled below.
		 */
		bool cached = src->file && !(p->p_flags & PF_W) && p->p_memsz == p->p_filesz &&
			      start == PAGE_ALIGN_DOWN(bias + p->p_vaddr) && end > start &&
			      ((bias + p->p_vaddr - p->p_offset) & ~PAGE_MASK) == 0;
		if (cached) {
			long a = mm_map(mm, start, end - start, prot, 0, true, true, src->file,
					PAGE_ALIGN_DOWN(p->p_offset));
			if (a < 0)
				return a == -EEXIST ? -EINVAL : a;
			prev_end = MAX(prev_end, end);
			continue;
		}
		if (end > start) {
			long a = mm_map(mm, start, end - start, prot, 0, true, true, NULL, 0);
			if (a < 0)
				return a == -EEXIST ? -EINVAL : a;
		}
		if (src->file) {
			uint64_t seg = PAGE_ALIGN_DOWN(bias + p->p_vaddr);
			long rc = mm_tag_file(mm, seg, end - seg, src->file,
					      p->p_offset - (bias + p->p_vaddr - seg));
			if (rc)
				return rc;
		}
		uint64_t dst;
		if (p->p_filesz && mm_loader_off(mm, bias + p->p_vaddr, p->p_filesz, &dst)) {
			/* Straight into the new pages when they are one VMA's. */
			ssize_t n = mf_fill(dst, p->p_filesz, src->pread, src->ctx, p->p_offset);
			if (n >= 0 && (uint64_t)n != p->p_filesz)
				n = -EIO;
			if (n < 0)
				return (int)n;
		} else if (p->p_filesz) {
			void *buf = malloc(p->p_filesz);
			if (!buf)
				return -ENOMEM;
			int rc = read_exact(src, buf, p->p_filesz, p->p_offset);
			if (!rc)
				rc = mm_poke(mm, bias + p->p_vaddr, buf, p->p_filesz);
			free(buf);
			if (rc)
				return rc;
		}
		prev_end = MAX(prev_end, end);
	}
	return 0;
}

int elf_load(struct mm *mm, const struct elf_source *src, bool is_interp, struct elf_image *out)
{
	memset(out, 0, sizeof(*out));
	Elf64_Ehdr eh;
	int rc = read_exact(src, &eh, sizeof(eh), 0);
	if (rc)
		return rc == -EIO ? -ENOEXEC : rc;
	rc = check_header(&eh, is_interp);
	if (rc)
		return rc;
	size_t phsize = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr *ph = malloc(phsize);
	if (!ph)
		return -ENOMEM;
	rc = read_exact(src, ph, phsize, eh.e_phoff);
	if (rc)
		goto out;
	uint64_t lo, hi;
	rc = check_segments(ph, eh.e_phnum, &lo, &hi);
	if (rc)
		goto out;

	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			if (is_interp) {
				rc = -ELIBBAD;
				goto out;
			}
			if (ph[i].p_filesz < 2 || ph[i].p_filesz > PATH_MAX) {
				rc = -ENOEXEC;
				goto out;
			}
			rc = read_exact(src, out->interp, ph[i].p_filesz, ph[i].p_offset);
			if (rc)
				goto out;
			if (out->interp[ph[i].p_filesz - 1] != 0 ||
			    strlen(out->interp) != ph[i].p_filesz - 1) {
				rc = -ENOEXEC;
				goto out;
			}
			out->has_interp = true;
		} else if (ph[i].p_type == PT_GNU_STACK) {
			out->exec_stack = ph[i].p_flags & PF_X;
		}
	}

	uint64_t bias = 0;
	if (eh.e_type == ET_DYN) {
		if (out->has_interp) {
			bias = ELF_ET_DYN_BASE + (src->fixed_layout ? 0 : random_pages(20)) - lo;
		} else {
			/* An interpreter or static-PIE goes where an mmap would. */
			long a = mm_find_free(mm, hi - lo, 0);
			if (a < 0) {
				rc = a;
				goto out;
			}
			bias = a - lo;
		}
	}
	if (lo + bias < GUEST_MMAP_MIN || hi + bias > GUEST_TASK_SIZE || hi + bias < hi) {
		rc = -ENOMEM;
		goto out;
	}
	rc = map_segments(mm, src, ph, eh.e_phnum, bias);
	if (rc)
		goto out;

	out->load_bias = bias;
	out->entry = eh.e_entry + bias;
	out->phnum = eh.e_phnum;
	out->brk_start = hi + bias;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_PHDR) {
			out->phdr_addr = ph[i].p_vaddr + bias;
			break;
		}
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= eh.e_phoff &&
		    eh.e_phoff + phsize <= ph[i].p_offset + ph[i].p_filesz) {
			out->phdr_addr = ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset) + bias;
			break;
		}
	}
	if (out->entry < lo + bias || out->entry >= hi + bias)
		rc = -ENOEXEC;
out:
	free(ph);
	return rc;
}
