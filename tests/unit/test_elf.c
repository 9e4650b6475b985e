/* ELF loader: valid and malformed images, loaded into a real MM. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sentry/elf.h"
#include "sentry/memfile.h"
#include "sentry/mm.h"

struct buf {
	uint8_t *data;
	size_t len;
};

static ssize_t buf_pread(void *ctx, void *dst, size_t len, uint64_t off)
{
	struct buf *b = ctx;
	if (off >= b->len)
		return 0;
	size_t n = len < b->len - off ? len : b->len - off;
	memcpy(dst, b->data + off, n);
	return n;
}

/* A minimal static executable: one RX text segment and one RW data+bss segment. */
#define TEXT_VADDR 0x400000
#define DATA_VADDR 0x401000
static struct buf make_exec(void)
{
	struct buf b = { calloc(1, 0x2000), 0x2000 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b.data;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = TEXT_VADDR + 0x200;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b.data + eh->e_phoff);
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
			      .p_vaddr = TEXT_VADDR, .p_filesz = 0x1000, .p_memsz = 0x1000,
			      .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x1000,
			      .p_vaddr = DATA_VADDR, .p_filesz = 0x10, .p_memsz = 0x3000,
			      .p_align = 0x1000 };
	memcpy(b.data + 0x200, "\xf4\xf4\xf4\xf4", 4);          /* "code" */
	memcpy(b.data + 0x1000, "data-bytes-here!", 16);        /* data */
	memset(b.data + 0x1010, 0xaa, 0x100);                   /* garbage past filesz */
	return b;
}

static Elf64_Phdr *phdrs(struct buf *b)
{
	return (Elf64_Phdr *)(b->data + sizeof(Elf64_Ehdr));
}

static struct mm *mm;

static void setup(void)
{
	cr_assert_eq(mf_init(), 0);
	mm = mm_create();
	cr_assert_not_null(mm);
}

static void teardown(void)
{
	mm_put(mm);
}

static int load(struct buf *b, bool interp, struct elf_image *img)
{
	struct elf_source src = { buf_pread, b };
	return elf_load(mm, &src, interp, img);
}

TestSuite(elf, .init = setup, .fini = teardown);

Test(elf, loads_static_executable)
{
	struct buf b = make_exec();
	struct elf_image img;
	cr_assert_eq(load(&b, false, &img), 0);
	cr_assert_eq(img.entry, TEXT_VADDR + 0x200);
	cr_assert_eq(img.load_bias, 0);
	cr_assert_eq(img.phdr_addr, TEXT_VADDR + sizeof(Elf64_Ehdr));
	cr_assert_eq(img.phnum, 2);
	cr_assert_eq(img.brk_start, DATA_VADDR + 0x3000);
	cr_assert(!img.has_interp);
	char code[4], data[16];
	cr_assert_eq(mm_copy_in(mm, code, gaddr(TEXT_VADDR + 0x200), 4), 0);
	cr_assert_eq(memcmp(code, "\xf4\xf4\xf4\xf4", 4), 0);
	cr_assert_eq(mm_copy_in(mm, data, gaddr(DATA_VADDR), 16), 0);
	cr_assert_eq(memcmp(data, "data-bytes-here!", 16), 0);
	free(b.data);
}

Test(elf, bss_is_zero_past_filesz)
{
	struct buf b = make_exec();
	struct elf_image img;
	cr_assert_eq(load(&b, false, &img), 0);
	uint8_t x[0x100];
	cr_assert_eq(mm_copy_in(mm, x, gaddr(DATA_VADDR + 0x10), sizeof(x)), 0);
	for (size_t i = 0; i < sizeof(x); i++)
		cr_assert_eq(x[i], 0, "byte %zu of .bss is 0x%x", i, x[i]);
	free(b.data);
}

Test(elf, text_is_not_writable)
{
	struct buf b = make_exec();
	struct elf_image img;
	cr_assert_eq(load(&b, false, &img), 0);
	cr_assert_eq(mm_copy_out(mm, gaddr(TEXT_VADDR), "x", 1), -EFAULT);
	cr_assert_eq(mm_copy_out(mm, gaddr(DATA_VADDR), "x", 1), 0);
	free(b.data);
}

Test(elf, rejects_bad_magic_class_and_machine)
{
	struct elf_image img;
	struct buf b = make_exec();
	b.data[0] = 0;
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
	b = make_exec();
	b.data[EI_CLASS] = ELFCLASS32;
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
	b = make_exec();
	((Elf64_Ehdr *)b.data)->e_machine = EM_AARCH64;
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
	b = make_exec();
	((Elf64_Ehdr *)b.data)->e_type = ET_REL;
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
}

Test(elf, rejects_truncated_files)
{
	struct elf_image img;
	struct buf b = make_exec();
	b.len = 20;     /* not even a whole ELF header */
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	b.len = sizeof(Elf64_Ehdr) + 10;   /* program headers cut off */
	cr_assert_eq(load(&b, false, &img), -EIO);
	b.len = 0x1008;   /* data segment's bytes cut off */
	cr_assert_eq(load(&b, false, &img), -EIO);
	free(b.data);
}

Test(elf, rejects_bad_phdr_table)
{
	struct elf_image img;
	struct buf b = make_exec();
	((Elf64_Ehdr *)b.data)->e_phentsize = 32;
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	((Elf64_Ehdr *)b.data)->e_phentsize = sizeof(Elf64_Phdr);
	((Elf64_Ehdr *)b.data)->e_phnum = 60000;
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	((Elf64_Ehdr *)b.data)->e_phnum = 0;
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
}

Test(elf, rejects_filesz_beyond_memsz)
{
	struct elf_image img;
	struct buf b = make_exec();
	phdrs(&b)[1].p_filesz = 0x4000;
	cr_assert_eq(load(&b, false, &img), -EINVAL);
	free(b.data);
}

Test(elf, rejects_huge_and_wrapping_segments)
{
	struct elf_image img;
	struct buf b = make_exec();
	phdrs(&b)[1].p_memsz = 1ULL << 60;
	cr_assert_eq(load(&b, false, &img), -ENOMEM);
	phdrs(&b)[1].p_memsz = 0x3000;
	phdrs(&b)[1].p_vaddr = ~0ULL - 0x10;
	cr_assert_neq(load(&b, false, &img), 0);
	phdrs(&b)[1].p_vaddr = DATA_VADDR;
	phdrs(&b)[1].p_offset = ~0ULL - 4;
	cr_assert_eq(load(&b, false, &img), -EINVAL);
	free(b.data);
}

Test(elf, rejects_overlapping_segments)
{
	struct elf_image img;
	struct buf b = make_exec();
	phdrs(&b)[1].p_vaddr = TEXT_VADDR - 0x2000;   /* descending order */
	cr_assert_eq(load(&b, false, &img), -EINVAL);
	phdrs(&b)[1].p_vaddr = TEXT_VADDR;           /* same pages as the text */
	phdrs(&b)[0].p_memsz = 0x3000;
	cr_assert_eq(load(&b, false, &img), -EINVAL);
	free(b.data);
}

Test(elf, segments_sharing_a_boundary_page_keep_both)
{
	struct elf_image img;
	struct buf b = make_exec();
	/* Data starts inside the text's last page (as -z noseparate-code does). */
	phdrs(&b)[0].p_filesz = phdrs(&b)[0].p_memsz = 0x800;
	phdrs(&b)[1].p_vaddr = TEXT_VADDR + 0x1800;
	phdrs(&b)[1].p_offset = 0x1000;
	memcpy(b.data + 0x1000, "data-bytes-here!", 16);
	cr_assert_eq(load(&b, false, &img), 0);
	char code[4], data[16];
	cr_assert_eq(mm_copy_in(mm, code, gaddr(TEXT_VADDR + 0x200), 4), 0);
	cr_assert_eq(memcmp(code, "\xf4\xf4\xf4\xf4", 4), 0);
	cr_assert_eq(mm_copy_in(mm, data, gaddr(TEXT_VADDR + 0x1800), 16), 0);
	cr_assert_eq(memcmp(data, "data-bytes-here!", 16), 0);
	free(b.data);
}

Test(elf, entry_outside_image_is_rejected)
{
	struct elf_image img;
	struct buf b = make_exec();
	((Elf64_Ehdr *)b.data)->e_entry = 0x10;
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
}

static void add_interp(struct buf *b, const char *path, size_t filesz)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b->data;
	Elf64_Phdr *ph = phdrs(b);
	ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0x300, .p_filesz = filesz };
	eh->e_phnum = 3;
	memcpy(b->data + 0x300, path, strlen(path) + 1);
}

Test(elf, reads_interpreter_path)
{
	struct elf_image img;
	struct buf b = make_exec();
	add_interp(&b, "/lib64/ld-linux-x86-64.so.2", 28);
	cr_assert_eq(load(&b, false, &img), 0);
	cr_assert(img.has_interp);
	cr_assert_str_eq(img.interp, "/lib64/ld-linux-x86-64.so.2");
	free(b.data);
}

Test(elf, rejects_bad_interpreter_path)
{
	struct elf_image img;
	struct buf b = make_exec();
	add_interp(&b, "/lib64/ld.so", 8);         /* not NUL terminated */
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
	b = make_exec();
	add_interp(&b, "/x", 100000);              /* longer than PATH_MAX */
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
	b = make_exec();
	add_interp(&b, "/a\0/b", 6);               /* embedded NUL */
	cr_assert_eq(load(&b, false, &img), -ENOEXEC);
	free(b.data);
	b = make_exec();
	add_interp(&b, "/lib64/ld-linux-x86-64.so.2", 28);
	cr_assert_eq(load(&b, true, &img), -ELIBBAD);  /* an interpreter with an interpreter */
	free(b.data);
}

Test(elf, loads_the_hosts_bin_true)
{
	int fd = open("/bin/true", O_RDONLY);
	cr_assert_geq(fd, 0);
	struct stat st;
	fstat(fd, &st);
	struct buf b = { malloc(st.st_size), st.st_size };
	cr_assert_eq(read(fd, b.data, st.st_size), st.st_size);
	close(fd);
	struct elf_image img;
	cr_assert_eq(load(&b, false, &img), 0);
	cr_assert(img.has_interp);
	cr_assert_str_eq(img.interp, "/lib64/ld-linux-x86-64.so.2");
	cr_assert_neq(img.load_bias, 0, "a PIE gets a load bias");
	free(b.data);
}
