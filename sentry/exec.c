/*
 * execve: open the program, follow #! lines, load the ELF image and its
 * interpreter into a fresh MM, build the initial stack (argv, envp, auxv),
 * and only then switch the task over to it.
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>
#include "fs/vfs.h"
#include "sentry/elf.h"
#include "sentry/exec.h"
#include "sentry/mm_internal.h"
#include "sentry/kernel_internal.h"
#include "sentry/signal.h"
#include "sentry/task.h"
#include "sentry/timer.h"

#define BINPRM_BUF_SIZE 256
#define BINPRM_MAX_RECURSION 4
#define STACK_SIZE_DEFAULT (8ULL << 20)

/* Parse "#!interp [arg]" from the first bytes of a script. */
static int parse_shebang(const char *buf, size_t n, char *interp, size_t icap, char *arg,
			 size_t acap)
{
	size_t end = 2;
	while (end < n && buf[end] != '\n')
		end++;
	size_t i = 2;
	while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	size_t s = i;
	while (i < end && buf[i] != ' ' && buf[i] != '\t' && buf[i] != 0)
		i++;
	/* The whole interpreter path must fit in the buffer Linux reads. */
	if (i == s || i - s >= icap || (end == n && n == BINPRM_BUF_SIZE && i == end))
		return -ENOEXEC;
	memcpy(interp, buf + s, i - s);
	interp[i - s] = 0;
	while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	size_t e = end;
	while (e > i && (buf[e - 1] == ' ' || buf[e - 1] == '\t' || buf[e - 1] == '\r' ||
			 buf[e - 1] == 0))
		e--;
	if (e - i >= acap)
		return -ENOEXEC;
	memcpy(arg, buf + i, e - i);
	arg[e - i] = 0;
	return 0;
}

static size_t vec_len(char *const v[])
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

struct stack_builder {
	struct mm *mm;
	uint64_t top, bottom, p;
};

static int push_bytes(struct stack_builder *sb, const void *data, size_t len, uint64_t *addr)
{
	if (sb->p - sb->bottom < len + PAGE_SIZE)
		return -E2BIG;
	sb->p -= len;
	*addr = sb->p;
	return mm_poke(sb->mm, sb->p, data, len);
}

static int build_stack(struct task *t, struct mm *mm, struct stack_builder *sb,
		       char *const argv[], char *const envp[], const char *execfn,
		       const struct elf_image *img, const struct elf_image *interp, uint64_t *sp_out)
{
	size_t argc = vec_len(argv), envc = vec_len(envp);
	uint64_t *argp = calloc(argc + 1, 8), *envpp = calloc(envc + 1, 8);
	int rc = (!argp || !envpp) ? -ENOMEM : 0;
	uint64_t execfn_addr = 0, platform_addr = 0, random_addr = 0;
	struct mm_layout lay;
	mm_get_layout(mm, &lay);

	sb->p -= 8;   /* a zero word at the very top, as Linux leaves */
	if (!rc)
		rc = push_bytes(sb, execfn, strlen(execfn) + 1, &execfn_addr);
	lay.env_end = sb->p;
	for (size_t i = envc; !rc && i-- > 0;) {
		size_t l = strlen(envp[i]) + 1;
		rc = l > EXEC_MAX_ARG_STRLEN ? -E2BIG : push_bytes(sb, envp[i], l, &envpp[i]);
	}
	lay.env_start = sb->p;
	lay.arg_end = sb->p;
	for (size_t i = argc; !rc && i-- > 0;) {
		size_t l = strlen(argv[i]) + 1;
		rc = l > EXEC_MAX_ARG_STRLEN ? -E2BIG : push_bytes(sb, argv[i], l, &argp[i]);
	}
	lay.arg_start = sb->p;
	if (!rc)
		rc = push_bytes(sb, "x86_64", 7, &platform_addr);
	uint8_t rnd[16];
	if (!rc && getentropy(rnd, sizeof(rnd)) != 0)
		rc = -EIO;
	if (!rc)
		rc = push_bytes(sb, rnd, sizeof(rnd), &random_addr);
	if (rc)
		goto out;

	uint64_t auxv[] = {
		AT_PHDR, img->phdr_addr,
		AT_PHENT, sizeof(Elf64_Phdr),
		AT_PHNUM, img->phnum,
		AT_PAGESZ, PAGE_SIZE,
		AT_BASE, interp ? interp->load_bias : 0,
		AT_FLAGS, 0,
		AT_ENTRY, img->entry,
		AT_UID, t->cred.uid,
		AT_EUID, t->cred.euid,
		AT_GID, t->cred.gid,
		AT_EGID, t->cred.egid,
		AT_SECURE, 0,
		AT_RANDOM, random_addr,
		AT_HWCAP, getauxval(AT_HWCAP),
		AT_HWCAP2, getauxval(AT_HWCAP2),
		AT_CLKTCK, 100,
		AT_PLATFORM, platform_addr,
		AT_EXECFN, execfn_addr,
		AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) ? getauxval(AT_MINSIGSTKSZ) : 2048,
		lay.vdso ? AT_SYSINFO_EHDR : AT_IGNORE, lay.vdso,
		AT_NULL, 0,
	};
	size_t words = 1 + argc + 1 + envc + 1 + ARRAY_SIZE(auxv);
	uint64_t sp = (sb->p - words * 8) & ~15ULL;
	if (sp < sb->bottom + PAGE_SIZE) {
		rc = -E2BIG;
		goto out;
	}
	uint64_t *w = calloc(words, 8);
	if (!w) {
		rc = -ENOMEM;
		goto out;
	}
	size_t k = 0;
	w[k++] = argc;
	for (size_t i = 0; i < argc; i++)
		w[k++] = argp[i];
	w[k++] = 0;
	for (size_t i = 0; i < envc; i++)
		w[k++] = envpp[i];
	w[k++] = 0;
	memcpy(&w[k], auxv, sizeof(auxv));
	_Static_assert(sizeof(auxv) <= sizeof(lay.auxv), "mm_layout.auxv too small");
	memcpy(lay.auxv, auxv, sizeof(auxv));     /* Linux's saved_auxv: /proc/PID/auxv */
	lay.auxv_words = ARRAY_SIZE(auxv);
	rc = mm_poke(mm, sp, w, words * 8);
	free(w);
	lay.start_stack = sp;
	mm_set_layout(mm, &lay);
	*sp_out = sp;
out:
	free(argp);
	free(envpp);
	return rc;
}

static uint64_t random_bytes(uint64_t mask)
{
	uint64_t r = 0;
	if (getentropy(&r, sizeof(r)) != 0)
		return 0;
	return r & mask & PAGE_MASK;
}

/* Build the new address space; on success *mm_out and *regs describe it. */
static int load_image(struct task *t, struct file *f, char *const argv[], char *const envp[],
		      const char *execfn, struct mm **mm_out, struct guest_regs *regs)
{
	struct mm *mm = mm_create();
	if (!mm)
		return -ENOMEM;
	mm_add_vdso(mm);
	struct file *interp_file = NULL;
	struct elf_image img, iimg;
	/* personality(ADDR_NO_RANDOMIZE), as setarch -R and gdb set it: the same layout every time. */
	uint64_t rmask = t->personality & ADDR_NO_RANDOMIZE ? 0 : ~0ULL;

	/* Stack at the top (randomized), mmap area below it with a gap. */
	uint64_t stack_size = STACK_SIZE_DEFAULT;
	uint64_t rl = t->tg->rlimits[RLIMIT_STACK].rlim_cur;
	if (rl != RLIM_INFINITY && rl >= (128 << 10) && rl < (1ULL << 30))
		stack_size = PAGE_ALIGN_UP(rl);
	uint64_t stack_top = GUEST_TASK_SIZE - PAGE_SIZE - random_bytes(rmask & ((1ULL << 32) - 1));
	stack_top &= ~0xfffULL;
	long rc = mm_map(mm, stack_top - stack_size, stack_size, PROT_READ | PROT_WRITE,
			 VMA_STACK | VMA_GROWSDOWN, true, true, NULL, 0);
	if (rc < 0)
		goto fail;
	struct mm_layout lay;
	mm_get_layout(mm, &lay);     /* keeps the vDSO address */
	lay.mmap_base = stack_top - stack_size - (128ULL << 20) - random_bytes(rmask & ((1ULL << 40) - 1));
	mm_set_layout(mm, &lay);

	struct elf_source src = { vfs_pread_cb, f, f, !rmask };
	rc = elf_load(mm, &src, false, &img);
	if (rc)
		goto fail;
	uint64_t entry = img.entry;
	if (img.has_interp) {
		rc = vfs_open_exec(t->fs, &t->cred, img.interp, &interp_file);
		if (rc)
			goto fail;
		struct elf_source isrc = { vfs_pread_cb, interp_file, interp_file, !rmask };
		rc = elf_load(mm, &isrc, true, &iimg);
		if (rc)
			goto fail;
		entry = iimg.entry;
	}
	mm_set_brk_start(mm, img.brk_start + random_bytes(rmask & ((1ULL << 25) - 1)));
	if (img.exec_stack)
		mm_protect(mm, stack_top - stack_size, stack_size, PROT_READ | PROT_WRITE | PROT_EXEC);

	struct stack_builder sb = { mm, stack_top, stack_top - stack_size, stack_top };
	uint64_t sp;
	rc = build_stack(t, mm, &sb, argv, envp, execfn, &img, img.has_interp ? &iimg : NULL, &sp);
	if (rc)
		goto fail;
	if (interp_file)
		file_put(interp_file);
	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rsp = sp;
	regs->eflags = 0x202;
	*mm_out = mm;
	return 0;
fail:
	if (interp_file)
		file_put(interp_file);
	mm_put(mm);
	return rc;
}

static void exec_commit(struct task *t, struct mm *mm, struct file *f, const char *path,
			const struct guest_regs *regs)
{
	/* The point of no return: the other threads of the process end first. */
	task_zap_other_threads(t);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	/*
	 * Linux's begin_new_exec: dumpable again, unless the effective ids
	 * differ from the real ones (suid_dumpable 0). Set before the new MM
	 * is reachable through t. Not modelled: an executable the caller may
	 * not read also makes it not dumpable.
	 */
	mm_set_dumpable(mm, t->cred.euid == t->cred.uid && t->cred.egid == t->cred.gid);
	/* Under kernel.lock: /proc reads these from other threads (task_get_mm...). */
	pthread_mutex_lock(&kernel.lock);
	struct mm *old = t->mm;
	t->mm = mm;
	struct file *old_exe = t->tg->exe;
	t->tg->exe = f;
	strncpy(t->comm, base, sizeof(t->comm) - 1);
	t->comm[sizeof(t->comm) - 1] = 0;
	pthread_mutex_unlock(&kernel.lock);
	/*
	 * Its stub (its own, whoever else still uses the old image: a vfork
	 * parent) serves the new image, emptied of the old one.
	 */
	if (t->ctx)
		plat_ctx_keep_stub(t->ctx);
	mm_put(old);
	if (old_exe)
		file_put(old_exe);
	fdt_close_on_exec(t->files);
	timer_release(t->tg, true);     /* POSIX timers end at execve; alarm stays */
	for (int i = 0; i < GUEST_NSIG; i++) {
		/* Caught signals go back to their default; ignored ones stay ignored. */
		if (t->tg->actions[i].handler != (uint64_t)SIG_IGN)
			memset(&t->tg->actions[i], 0, sizeof(t->tg->actions[i]));
	}
	t->altstack_sp = t->altstack_size = 0;
	t->altstack_flags = SS_DISABLE;
	t->robust_list = t->robust_len = 0;
	t->personality &= ~READ_IMPLIES_EXEC;
	t->rseq_addr = 0;
	t->clear_child_tid = 0;
	t->regs = *regs;
	signal_fpstate_reset(t);        /* the new image starts with the FPU at its reset state */
}

static int exec_depth(struct task *t, const char *path, char *const argv[], char *const envp[],
		      const char *execfn, int depth)
{
	struct file *f;
	int rc = vfs_open_exec(t->fs, &t->cred, path, &f);
	if (rc)
		return rc;
	char hdr[BINPRM_BUF_SIZE];
	ssize_t n = vfs_pread(f, hdr, sizeof(hdr), 0);
	if (n < 0) {
		file_put(f);
		return n;
	}
	if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
		file_put(f);
		if (depth >= BINPRM_MAX_RECURSION)
			return -ELOOP;
		char interp[BINPRM_BUF_SIZE], arg[BINPRM_BUF_SIZE];
		rc = parse_shebang(hdr, n, interp, sizeof(interp), arg, sizeof(arg));
		if (rc)
			return rc;
		size_t argc = vec_len(argv);
		char **nargv = calloc(argc + 4, sizeof(char *));
		if (!nargv)
			return -ENOMEM;
		size_t k = 0;
		nargv[k++] = interp;
		if (arg[0])
			nargv[k++] = arg;
		nargv[k++] = (char *)path;
		for (size_t i = 1; i < argc; i++)
			nargv[k++] = argv[i];
		nargv[k] = NULL;
		rc = exec_depth(t, interp, nargv, envp, execfn, depth + 1);
		free(nargv);
		return rc;
	}
	if (n < SELFMAG || memcmp(hdr, ELFMAG, SELFMAG) != 0) {
		file_put(f);
		return -ENOEXEC;
	}
	struct mm *mm = NULL;
	struct guest_regs regs;
	rc = load_image(t, f, argv, envp, execfn, &mm, &regs);
	if (rc) {
		file_put(f);
		return rc;
	}
	exec_commit(t, mm, f, execfn, &regs);
	return 0;
}

int exec_program(struct task *t, const char *path, char *const argv[], char *const envp[])
{
	if (!path[0])
		return -ENOENT;
	return exec_depth(t, path, argv, envp, path, 0);
}
