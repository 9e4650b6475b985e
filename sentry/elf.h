/* The ELF loader: maps an x86-64 executable or interpreter into an MM. */
#ifndef SENTRY_ELF_H
#define SENTRY_ELF_H

#include <limits.h>
#include "sentry/types.h"

/* Where the loader reads the file from (a VFS file, or a buffer in tests). */
struct elf_source {
	ssize_t (*pread)(void *ctx, void *buf, size_t len, uint64_t off);
	void *ctx;
	struct file *file;   /* named in /proc/PID/maps for the segments; may be NULL */
	bool fixed_layout;   /* ADDR_NO_RANDOMIZE: no random load bias */
};

struct elf_image {
	uint64_t entry;          /* entry point, load bias applied */
	uint64_t load_bias;
	uint64_t phdr_addr;      /* AT_PHDR */
	uint16_t phnum;          /* AT_PHNUM */
	uint64_t brk_start;      /* first byte after the highest segment */
	bool has_interp;
	char interp[PATH_MAX];   /* PT_INTERP path when has_interp */
	bool exec_stack;         /* PT_GNU_STACK asked for an executable stack */
};

/*
 * Load the ELF image read through src into mm. is_interp: the image is a
 * dynamic linker (placed like an mmap, no PT_INTERP allowed).
 * Returns 0, -ENOEXEC (not a loadable x86-64 ELF, or malformed headers),
 * -EIO (truncated file), -EINVAL (bad segment layout), -ENOMEM.
 */
int elf_load(struct mm *mm, const struct elf_source *src, bool is_interp, struct elf_image *out);

#endif
