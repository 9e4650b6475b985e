/*
 * What /proc/PID/... and /proc/PID/task/TID/... files say: stat, status,
 * statm, maps, smaps, limits, mounts, oom_score_adj and the rest, in
 * Linux 6.1's formats. Every generator runs at read time on a fresh
 * snapshot of the process (struct proc_target), so a file read after its
 * process was reaped fails with ESRCH, as Linux's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include "fs/procfs/procfs_internal.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/rusage.h"

#define CAP_SYS_RESOURCE 24

/* ---- targets and access ---- */

int proc_target_get(int tgid, int tid, bool thread, struct proc_target *pt)
{
	memset(pt, 0, sizeof(*pt));
	int rc = task_get_info(tgid, tid, &pt->info, &pt->t);
	if (rc)
		return rc;
	pt->thread = thread;
	return 0;
}

void proc_target_put(struct proc_target *pt)
{
	task_info_release(&pt->info, pt->t);
	pt->t = NULL;
}

int proc_ptrace_check(const struct proc_target *pt)
{
	struct task *cur = task_current();
	if (!cur || cur->tg->tgid == pt->info.tgid)
		return 0;
	const struct cred *c = &cur->cred;
	if (cred_capable(c, CAP_SYS_PTRACE))
		return 0;
	if (pt->info.zombie)
		return c->fsuid == pt->info.uid ? 0 : -EACCES;
	/*
	 * Linux's PTRACE_MODE_READ_FSCREDS, dumpability included: the target
	 * MM's (Linux's mm->flags), not tested when it has none (exiting).
	 */
	struct mm *mm = pt->t ? task_get_mm(pt->t) : NULL;
	int dumpable = mm ? mm_dumpable(mm) : 1;
	mm_put(mm);
	return cred_ptrace_may_access(c, &pt->info.cred, dumpable, PTRACE_MODE_READ_FSCREDS)
		       ? 0 : -EACCES;
}

/* The pid a file shows: the thread's in task/TID (or /proc/TID), else the process's. */
static int shown_pid(const struct proc_target *pt)
{
	return pt->info.tid;
}

/* ---- the address space in numbers ---- */

struct mm_sum {
	bool has_mm;
	struct mm_layout l;
	uint64_t vsz, rss, rss_anon, rss_file, rss_shmem;
	uint64_t data, stack, exe, lib, locked;
	uint64_t start_code, end_code, start_data, end_data;
};

static bool same_file(struct file *a, struct file *b)
{
	return a && b && a->inode == b->inode;
}

static void mm_summarize(struct task *t, struct mm_sum *s)
{
	memset(s, 0, sizeof(*s));
	struct mm *mm = t ? task_get_mm(t) : NULL;
	if (!mm)
		return;
	struct file *exe = task_get_exe(t);
	struct mm_vma_info *v;
	long n = mm_snapshot_vmas(mm, &v);
	mm_get_layout(mm, &s->l);
	mm_put(mm);
	s->has_mm = true;
	for (long i = 0; i < n; i++) {
		uint64_t len = v[i].end - v[i].start;
		s->vsz += len;
		s->rss += v[i].resident;
		if (v[i].pages == MM_PAGES_ANON)
			s->rss_anon += v[i].resident;
		else if (v[i].pages == MM_PAGES_SHARED_ANON)
			s->rss_shmem += v[i].resident;
		else
			s->rss_file += v[i].resident;
		if (v[i].flags & VMA_LOCKED)
			s->locked += len;
		bool stack = v[i].flags & (VMA_STACK | VMA_GROWSDOWN);
		if (stack)
			s->stack += len;
		else if ((v[i].prot & PROT_WRITE) && !(v[i].flags & VMA_SHARED))
			s->data += len;
		bool of_exe = same_file(v[i].file, exe);
		if (v[i].prot & PROT_EXEC) {
			if (of_exe) {
				s->exe += len;
				if (!s->start_code)
					s->start_code = v[i].start;
				s->end_code = v[i].end;
			} else {
				s->lib += len;
			}
		} else if (of_exe && (v[i].prot & PROT_WRITE)) {
			if (!s->start_data)
				s->start_data = v[i].start;
			s->end_data = v[i].end;
		}
	}
	if (n >= 0)
		mm_vmas_free(v, n);
	if (exe)
		file_put(exe);
}

/* ---- stat, status, statm ---- */

static const char *state_name(char c)
{
	switch (c) {
	case 'R': return "R (running)";
	case 'S': return "S (sleeping)";
	case 'T': return "T (stopped)";
	case 't': return "t (tracing stop)";
	case 'Z': return "Z (zombie)";
	default: return "X (dead)";
	}
}

static uint64_t ticks(uint64_t ns)
{
	return ns / (1000000000ULL / PROC_HZ);
}

static long gen_stat(struct proc_target *pt, struct sbuf *b)
{
	const struct task_info *i = &pt->info;
	bool permitted = proc_ptrace_check(pt) == 0;
	struct mm_sum s;
	mm_summarize(pt->t, &s);
	uint64_t tty = devfs_ctty_rdev(i->sid);
	unsigned flags = 0x400000;                      /* PF_RANDOMIZE */
	if (!i->execed && i->tgid != 1)
		flags |= 0x40;                          /* PF_FORKNOEXEC */
	if (i->zombie)
		flags |= 0x4;                           /* PF_EXITING */
	bool whole = !pt->thread;
	struct cputime cpu = i->cpu, children = i->cpu_children;
	if (!whole && pt->t) {
		cputime_task(pt->t, &cpu);       /* task/TID/stat: that thread's time */
		children.user = children.sys = 0;
	}
	uint64_t rsslim = i->rlimits[RLIMIT_RSS].rlim_cur;
	/* priority is Linux's prio - 100: 20 + nice, -1 - rt_priority (FIFO/RR), -101 (DEADLINE). */
	const struct task_sched *ts = &i->sched;
	int prio = ts->policy == 6 ? -101 : ts->policy == 1 || ts->policy == 2
		   ? -1 - (int)ts->rt_priority : 20 + ts->nice;
	sb_printf(b, "%d (%s) %c %d %d %d %d %d %u 0 0 0 0 %lu %lu %lu %lu %d %d %d 0 %lu %lu %lu %lu",
		  shown_pid(pt), i->comm, i->state, i->ppid, i->pgid, i->sid, (int)tty,
		  tty ? i->pgid : -1, flags, ticks(cpu.user), ticks(cpu.sys), ticks(children.user),
		  ticks(children.sys), prio, ts->nice, i->nr_threads, ticks(i->start_ns), s.vsz,
		  s.rss / PAGE_SIZE, rsslim);
	sb_printf(b, " %lu %lu %lu 0 0", s.has_mm ? (permitted ? s.start_code : 1) : 0,
		  s.has_mm ? (permitted ? s.end_code : 1) : 0,
		  permitted && s.has_mm ? s.l.start_stack : 0);
	const uint64_t m31 = 0x7fffffffULL;
	int wchan = permitted && (!whole || i->nr_threads < 2) && i->state != 'R';
	int exit_signal = whole || i->tid == i->tgid ? i->exit_signal : -1;
	sb_printf(b, " %lu %lu %lu %lu %d 0 0 %d 0 %u %d 0 0 0", i->sig_pending & m31,
		  i->sig_blocked & m31, i->sig_ignored & m31, i->sig_caught & m31, wchan,
		  exit_signal, ts->rt_priority, ts->policy);
	if (s.has_mm && permitted)
		sb_printf(b, " %lu %lu %lu %lu %lu %lu %lu", s.start_data, s.end_data, s.l.start_brk,
			  s.l.arg_start, s.l.arg_end, s.l.env_start, s.l.env_end);
	else
		sb_printf(b, " 0 0 0 0 0 0 0");
	sb_printf(b, " %d\n", permitted && i->zombie ? i->exit_status : 0);
	return 0;
}

static void put_kb(struct sbuf *b, const char *name, uint64_t bytes)
{
	sb_printf(b, "%s:\t%8lu kB\n", name, bytes >> 10);
}

static void put_cpus_allowed(struct sbuf *b)
{
	int n = proc_ncpus();
	if (n > 64)
		n = 64;
	uint64_t mask = n == 64 ? ~0ULL : (1ULL << n) - 1;
	if (mask >> 32)
		sb_printf(b, "Cpus_allowed:\t%x,%08x\n", (unsigned)(mask >> 32), (unsigned)mask);
	else
		sb_printf(b, "Cpus_allowed:\t%x\n", (unsigned)mask);
	if (n == 1)
		sb_printf(b, "Cpus_allowed_list:\t0\n");
	else
		sb_printf(b, "Cpus_allowed_list:\t0-%d\n", n - 1);
}

static long gen_status(struct proc_target *pt, struct sbuf *b)
{
	const struct task_info *i = &pt->info;
	const struct cred *c = &i->cred;
	sb_printf(b, "Name:\t");
	for (const char *p = i->comm; *p; p++) {
		if (*p == '\n')
			sb_printf(b, "\\n");
		else if (*p == '\\')
			sb_printf(b, "\\\\");
		else
			sb_put(b, p, 1);
	}
	sb_printf(b, "\n");
	if (pt->t && pt->t->fs)
		sb_printf(b, "Umask:\t%04o\n", fsctx_umask(pt->t->fs, -1));
	sb_printf(b, "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n",
		  state_name(i->state), i->tgid, shown_pid(pt), i->ppid, i->tracer_pid);
	if (i->zombie) {
		sb_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\nFDSize:\t0\nGroups:\t\n", i->uid,
			  i->uid, i->uid, i->uid);
	} else {
		struct fd_table *files = task_get_files(pt->t);
		int fdsize = files ? fdt_capacity(files) : 0;
		if (files)
			fdt_put(files);
		sb_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t", c->uid,
			  c->euid, c->suid, c->fsuid, c->gid, c->egid, c->sgid, c->fsgid, fdsize);
		for (uint32_t g = 0; g < c->ngroups; g++)
			sb_printf(b, "%u ", c->groups[g]);
		sb_printf(b, "\n");
	}
	sb_printf(b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", i->tgid, shown_pid(pt),
		  i->pgid, i->sid);
	struct mm_sum s;
	mm_summarize(pt->t, &s);
	if (s.has_mm) {
		put_kb(b, "VmPeak", s.vsz);
		put_kb(b, "VmSize", s.vsz);
		put_kb(b, "VmLck", s.locked);
		put_kb(b, "VmPin", 0);
		put_kb(b, "VmHWM", s.rss);
		put_kb(b, "VmRSS", s.rss);
		put_kb(b, "RssAnon", s.rss_anon);
		put_kb(b, "RssFile", s.rss_file);
		put_kb(b, "RssShmem", s.rss_shmem);
		put_kb(b, "VmData", s.data);
		put_kb(b, "VmStk", s.stack);
		put_kb(b, "VmExe", s.exe);
		put_kb(b, "VmLib", s.lib);
		put_kb(b, "VmPTE", 0);
		put_kb(b, "VmSwap", 0);
		put_kb(b, "HugetlbPages", 0);
	}
	sb_printf(b, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%d\nSigQ:\t0/%lu\n"
		     "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\n"
		     "SigCgt:\t%016lx\n",
		  i->nr_threads, (unsigned long)i->rlimits[RLIMIT_SIGPENDING].rlim_cur, 0UL,
		  i->sig_pending, i->sig_blocked, i->sig_ignored, i->sig_caught);
	sb_printf(b, "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\nCapBnd:\t%016lx\n"
		     "CapAmb:\t0000000000000000\nNoNewPrivs:\t%d\nSeccomp:\t%d\nSeccomp_filters:\t%d\n"
		     "Speculation_Store_Bypass:\tthread vulnerable\n"
		     "SpeculationIndirectBranch:\tconditional enabled\n",
		  c->cap_inheritable, c->cap_permitted, c->cap_effective, c->cap_bounding,
		  c->no_new_privs, i->seccomp_mode, i->seccomp_filters);
	put_cpus_allowed(b);
	sb_printf(b, "Mems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n"
		     "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
	return 0;
}

static long gen_statm(struct proc_target *pt, struct sbuf *b)
{
	struct mm_sum s;
	mm_summarize(pt->t, &s);
	sb_printf(b, "%lu %lu %lu %lu 0 %lu 0\n", s.vsz / PAGE_SIZE, s.rss / PAGE_SIZE,
		  (s.rss_file + s.rss_shmem) / PAGE_SIZE, s.exe / PAGE_SIZE,
		  (s.data + s.stack) / PAGE_SIZE);
	return 0;
}

/* ---- cmdline, environ, comm ---- */

static long read_guest(struct mm *mm, uint64_t start, uint64_t end, struct sbuf *b)
{
	while (start < end) {
		char buf[4096];
		size_t n = MIN(end - start, sizeof(buf));
		if (mm_copy_in(mm, buf, gaddr(start), n))
			break;                       /* unmapped: what was read so far */
		sb_put(b, buf, n);
		start += n;
	}
	return 0;
}

static long gen_area(struct proc_target *pt, struct sbuf *b, bool env)
{
	struct mm *mm = pt->t ? task_get_mm(pt->t) : NULL;
	if (!mm)
		return 0;
	struct mm_layout l;
	mm_get_layout(mm, &l);
	const uint64_t cap = 1 << 20;
	if (env) {
		read_guest(mm, l.env_start, MIN(l.env_end, l.env_start + cap), b);
	} else if (l.arg_end > l.arg_start) {
		char last = 0;
		mm_copy_in(mm, &last, gaddr(l.arg_end - 1), 1);
		if (!last) {
			read_guest(mm, l.arg_start, MIN(l.arg_end, l.arg_start + cap), b);
		} else {
			/* setproctitle(3) overwrote the final NUL: the title runs on to its first NUL. */
			uint64_t end = MAX(l.env_end, l.arg_end);
			read_guest(mm, l.arg_start, MIN(end, l.arg_start + cap), b);
			if (b->p)
				b->len = strnlen(b->p, b->len);
		}
	}
	mm_put(mm);
	return 0;
}

static long gen_cmdline(struct proc_target *pt, struct sbuf *b) { return gen_area(pt, b, false); }
static long gen_environ(struct proc_target *pt, struct sbuf *b) { return gen_area(pt, b, true); }

/* The auxiliary vector exec passed (a copy kept in the MM, as Linux's saved_auxv). */
static long gen_auxv(struct proc_target *pt, struct sbuf *b)
{
	struct mm *mm = pt->t ? task_get_mm(pt->t) : NULL;
	if (!mm)
		return 0;
	struct mm_layout l;
	mm_get_layout(mm, &l);
	mm_put(mm);
	sb_put(b, (const char *)l.auxv, MIN(l.auxv_words, ARRAY_SIZE(l.auxv)) * 8);
	return 0;
}

static long gen_comm(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "%s\n", pt->info.comm);
	return 0;
}

/* Only a thread of the same process may rename (Linux: EINVAL otherwise). */
static long write_comm(struct proc_target *pt, const char *buf, size_t len)
{
	struct task *cur = task_current();
	if (!pt->t || !cur || cur->tg->tgid != pt->info.tgid)
		return -EINVAL;
	task_set_comm(pt->t, buf, len);
	return (long)len;
}

/* ---- maps, smaps ---- */

static void put_vma_header(struct sbuf *b, const struct mm_vma_info *v)
{
	uint64_t dev = 0, ino = 0;
	char path[VFS_PATH_MAX];
	path[0] = 0;
	if (v->file) {
		file_dev_ino(v->file, &dev, &ino);
		if (file_path(v->file, path, sizeof(path)) < 0)
			path[0] = 0;
	} else if (v->name) {
		snprintf(path, sizeof(path), "%s", v->name);
	}
	size_t before = b->len;
	sb_printf(b, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu", v->start, v->end,
		  v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
		  v->prot & PROT_EXEC ? 'x' : '-', v->flags & VMA_SHARED ? 's' : 'p',
		  v->file ? v->file_off : 0, major(dev), minor(dev), ino);
	if (v->file || path[0]) {
		size_t w = b->len - before;
		sb_printf(b, "%*s", w < 72 ? (int)(72 - w) + 1 : 1, "");
		for (const char *p = path; *p; p++) {
			if (*p == '\n')
				sb_printf(b, "\\012");
			else
				sb_put(b, p, 1);
		}
	}
	sb_printf(b, "\n");
}

struct smap_counts {
	uint64_t rss, shared_clean, shared_dirty, private_clean, private_dirty, anon, locked;
};

static void count_vma(const struct mm_vma_info *v, struct smap_counts *c)
{
	c->rss += v->resident;
	if (v->flags & VMA_LOCKED)
		c->locked += v->resident;      /* Linux: the locked VMA's Pss */
	switch (v->pages) {
	case MM_PAGES_ANON:
		c->private_dirty += v->resident;
		c->anon += v->resident;
		break;
	case MM_PAGES_SHARED_ANON:
		c->shared_dirty += v->resident;
		break;
	case MM_PAGES_FILE:
	case MM_PAGES_FILE_SHARED:
		c->private_clean += v->resident;
		break;
	}
}

static void put_smap_kb(struct sbuf *b, const char *name, uint64_t bytes)
{
	char n[32];
	snprintf(n, sizeof(n), "%s:", name);
	sb_printf(b, "%-16s%8lu kB\n", n, bytes >> 10);
}

static void put_smap_counts(struct sbuf *b, const struct smap_counts *c, bool rollup)
{
	uint64_t dirty = c->private_dirty + c->shared_dirty;
	put_smap_kb(b, "Rss", c->rss);
	put_smap_kb(b, "Pss", c->rss);
	put_smap_kb(b, "Pss_Dirty", dirty);
	if (rollup) {
		put_smap_kb(b, "Pss_Anon", c->anon);
		put_smap_kb(b, "Pss_File", c->private_clean);
		put_smap_kb(b, "Pss_Shmem", c->shared_dirty);
	}
	put_smap_kb(b, "Shared_Clean", c->shared_clean);
	put_smap_kb(b, "Shared_Dirty", c->shared_dirty);
	put_smap_kb(b, "Private_Clean", c->private_clean);
	put_smap_kb(b, "Private_Dirty", c->private_dirty);
	put_smap_kb(b, "Referenced", c->rss);
	put_smap_kb(b, "Anonymous", c->anon);
	static const char *const zero[] = { "LazyFree", "AnonHugePages", "ShmemPmdMapped",
					    "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb",
					    "Swap", "SwapPss" };
	for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
		put_smap_kb(b, zero[i], 0);
	put_smap_kb(b, "Locked", c->locked);
}

static void put_vm_flags(struct sbuf *b, const struct mm_vma_info *v)
{
	sb_printf(b, "VmFlags:");
	if (v->prot & PROT_READ)
		sb_printf(b, " rd");
	if (v->prot & PROT_WRITE)
		sb_printf(b, " wr");
	if (v->prot & PROT_EXEC)
		sb_printf(b, " ex");
	if (v->flags & VMA_SHARED)
		sb_printf(b, " sh");
	sb_printf(b, " mr mw me");
	if (v->flags & VMA_SHARED)
		sb_printf(b, " ms");
	if (v->flags & VMA_GROWSDOWN)
		sb_printf(b, " gd");
	if (v->flags & VMA_LOCKED)
		sb_printf(b, " lo");
	if (!(v->flags & VMA_SHARED) && (v->prot & PROT_WRITE))
		sb_printf(b, " ac");
	sb_printf(b, " \n");
}

enum maps_kind { MAPS, SMAPS, SMAPS_ROLLUP };

static long gen_vmas(struct proc_target *pt, struct sbuf *b, enum maps_kind kind)
{
	struct mm *mm = pt->t ? task_get_mm(pt->t) : NULL;
	if (!mm)
		return 0;
	struct mm_vma_info *v;
	long n = mm_snapshot_vmas(mm, &v);
	mm_put(mm);
	if (n < 0)
		return n;
	struct smap_counts total = { 0 };
	for (long i = 0; i < n; i++) {
		if (kind == SMAPS_ROLLUP) {
			count_vma(&v[i], &total);
			continue;
		}
		/*
		 * A run of VMAs Linux would have as one (joins_prev: pieces the
		 * sentry keeps apart for its own reasons) is one line, as there.
		 */
		struct smap_counts c = { 0 };
		struct mm_vma_info one = v[i];
		count_vma(&v[i], &c);
		while (i + 1 < n && v[i + 1].joins_prev) {
			i++;
			one.end = v[i].end;
			count_vma(&v[i], &c);
		}
		put_vma_header(b, &one);
		if (kind == MAPS)
			continue;
		put_smap_kb(b, "Size", one.end - one.start);
		put_smap_kb(b, "KernelPageSize", PAGE_SIZE);
		put_smap_kb(b, "MMUPageSize", PAGE_SIZE);
		put_smap_counts(b, &c, false);
		sb_printf(b, "%-16s%8d\n", "THPeligible:", 0);
		put_vm_flags(b, &one);
	}
	if (kind == SMAPS_ROLLUP && n > 0) {
		struct mm_vma_info r = { .start = v[0].start, .end = v[n - 1].end, .name = "[rollup]" };
		put_vma_header(b, &r);
		put_smap_counts(b, &total, true);
	}
	mm_vmas_free(v, n);
	return 0;
}

static long gen_maps(struct proc_target *pt, struct sbuf *b) { return gen_vmas(pt, b, MAPS); }
static long gen_smaps(struct proc_target *pt, struct sbuf *b) { return gen_vmas(pt, b, SMAPS); }
static long gen_smaps_rollup(struct proc_target *pt, struct sbuf *b)
{
	return gen_vmas(pt, b, SMAPS_ROLLUP);
}

/* ---- mounts, mountinfo ---- */

int proc_mount_id(struct mount *m)
{
	int id = 20;           /* as statx's STATX_MNT_ID (fs/namei.c) */
	for (struct mount *c = mount_list(); c; c = c->next, id++)
		if (c == m)
			return id;
	return 0;
}

/* Whether p is at or below root, walking up through mounts. */
static bool path_under(const struct path *root, const struct path *p)
{
	struct path cur = *p;
	for (;;) {
		if (cur.mnt == root->mnt && cur.dentry == root->dentry)
			return true;
		if (cur.dentry == cur.mnt->root) {
			if (!cur.mnt->parent)
				return false;
			cur.dentry = cur.mnt->mountpoint;
			cur.mnt = cur.mnt->parent;
		} else if (cur.dentry->parent) {
			cur.dentry = cur.dentry->parent;
		} else {
			return false;
		}
	}
}

/* The path of d inside its own file system (mountinfo's 4th field). */
static void put_fs_path(struct sbuf *b, struct dentry *d)
{
	const char *names[64];
	int n = 0;
	for (; d && d->parent && n < (int)ARRAY_SIZE(names); d = d->parent)
		names[n++] = d->name;
	if (!n)
		sb_printf(b, "/");
	while (n-- > 0) {
		sb_printf(b, "/");
		sb_put_escaped(b, names[n]);
	}
}

static void put_mount_flags(struct sbuf *b, const struct mount *m, bool ro)
{
	sb_printf(b, "%s", ro ? "ro" : "rw");
	if (m->flags & MS_NOSUID)
		sb_printf(b, ",nosuid");
	if (m->flags & MS_NODEV)
		sb_printf(b, ",nodev");
	if (m->flags & MS_NOEXEC)
		sb_printf(b, ",noexec");
	if (m->flags & MS_NOATIME)
		sb_printf(b, ",noatime");
	if (m->flags & MS_NODIRATIME)
		sb_printf(b, ",nodiratime");
	if (!(m->flags & (MS_NOATIME | MS_STRICTATIME)))
		sb_printf(b, ",relatime");
}

static void put_sb_options(struct sbuf *b, const struct super_block *sb)
{
	if (sb->bytes_limit && (!strcmp(sb->fstype, "tmpfs") || !strcmp(sb->fstype, "devtmpfs")))
		sb_printf(b, ",size=%luk", sb->bytes_limit >> 10);
}

/* Mounts visible from t's root (t NULL: the sandbox's root). */
static long gen_mount_list(struct task *t, struct sbuf *b, bool info)
{
	struct path root;
	if (t && t->fs) {
		fsctx_get_root(t->fs, &root);
	} else {
		root.mnt = mount_list();
		root.dentry = root.mnt->root;
		path_get(&root);
	}
	char *path = malloc(VFS_PATH_MAX);
	if (!path) {
		path_put(&root);
		return -ENOMEM;
	}
	vfs_lock();
	for (struct mount *m = mount_list(); m; m = m->next) {
		struct path mp = { m, m->root };
		if (!path_under(&root, &mp) || vfs_path_string(&root, &mp, path, VFS_PATH_MAX) < 0)
			continue;
		const char *src = m->source ? m->source : "none";
		bool mnt_ro = m->flags & MS_RDONLY;
		if (!info) {
			sb_put_escaped(b, src);
			sb_printf(b, " ");
			sb_put_escaped(b, path);
			sb_printf(b, " %s ", m->sb->fstype);
			put_mount_flags(b, m, mnt_ro || m->sb->readonly);
			put_sb_options(b, m->sb);
			sb_printf(b, " 0 0\n");
			continue;
		}
		sb_printf(b, "%d %d %u:%u ", proc_mount_id(m), m->parent ? proc_mount_id(m->parent) : 1,
			  major(m->sb->dev), minor(m->sb->dev));
		put_fs_path(b, m->root);
		sb_printf(b, " ");
		sb_put_escaped(b, path);
		sb_printf(b, " ");
		put_mount_flags(b, m, mnt_ro);
		sb_printf(b, " - %s ", m->sb->fstype);
		sb_put_escaped(b, src);
		sb_printf(b, " %s", m->sb->readonly ? "ro" : "rw");
		put_sb_options(b, m->sb);
		sb_printf(b, "\n");
	}
	vfs_unlock();
	free(path);
	path_put(&root);
	return 0;
}

long proc_gen_mounts(struct task *t, struct sbuf *b)
{
	return gen_mount_list(t, b, false);
}

static long gen_mounts(struct proc_target *pt, struct sbuf *b)
{
	return gen_mount_list(pt->t, b, false);
}

static long gen_mountinfo(struct proc_target *pt, struct sbuf *b)
{
	return gen_mount_list(pt->t, b, true);
}

/* ---- fdinfo ---- */

long proc_gen_fdinfo(struct proc_target *pt, int fd, struct sbuf *b)
{
	struct fd_table *files = pt->t ? task_get_files(pt->t) : NULL;
	if (!files)
		return -ENOENT;
	struct file *f = fdt_get_file(files, fd);
	int fdflags = f ? fdt_get_flags(files, fd) : 0;
	fdt_put(files);
	if (!f)
		return -ENOENT;
	uint64_t dev, ino;
	file_dev_ino(f, &dev, &ino);
	int flags = file_flags(f) & ~O_CLOEXEC;
	if (fdflags > 0 && (fdflags & FDT_CLOEXEC))
		flags |= O_CLOEXEC;
	vfs_lock();
	int64_t pos = f->pos;
	int mnt_id = f->mnt ? proc_mount_id(f->mnt) : 0;
	vfs_unlock();
	sb_printf(b, "pos:\t%ld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n", pos, flags, mnt_id, ino);
	file_put(f);
	return 0;
}

/* ---- limits, io, oom, small files ---- */

static long gen_limits(struct proc_target *pt, struct sbuf *b)
{
	static const struct {
		const char *name, *unit;
	} lim[RLIM_NLIMITS] = {
		[RLIMIT_CPU] = { "Max cpu time", "seconds" },
		[RLIMIT_FSIZE] = { "Max file size", "bytes" },
		[RLIMIT_DATA] = { "Max data size", "bytes" },
		[RLIMIT_STACK] = { "Max stack size", "bytes" },
		[RLIMIT_CORE] = { "Max core file size", "bytes" },
		[RLIMIT_RSS] = { "Max resident set", "bytes" },
		[RLIMIT_NPROC] = { "Max processes", "processes" },
		[RLIMIT_NOFILE] = { "Max open files", "files" },
		[RLIMIT_MEMLOCK] = { "Max locked memory", "bytes" },
		[RLIMIT_AS] = { "Max address space", "bytes" },
		[RLIMIT_LOCKS] = { "Max file locks", "locks" },
		[RLIMIT_SIGPENDING] = { "Max pending signals", "signals" },
		[RLIMIT_MSGQUEUE] = { "Max msgqueue size", "bytes" },
		[RLIMIT_NICE] = { "Max nice priority", NULL },
		[RLIMIT_RTPRIO] = { "Max realtime priority", NULL },
		[RLIMIT_RTTIME] = { "Max realtime timeout", "us" },
	};
	sb_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		const struct rlimit *r = &pt->info.rlimits[i];
		sb_printf(b, "%-25s ", lim[i].name);
		if (r->rlim_cur == RLIM_INFINITY)
			sb_printf(b, "%-20s ", "unlimited");
		else
			sb_printf(b, "%-20lu ", (unsigned long)r->rlim_cur);
		if (r->rlim_max == RLIM_INFINITY)
			sb_printf(b, "%-20s ", "unlimited");
		else
			sb_printf(b, "%-20lu ", (unsigned long)r->rlim_max);
		if (lim[i].unit)
			sb_printf(b, "%-10s\n", lim[i].unit);
		else
			sb_printf(b, "\n");
	}
	return 0;
}

static long gen_io(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\n"
		     "cancelled_write_bytes: 0\n");
	return 0;
}

static long gen_oom_score_adj(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "%d\n", pt->info.oom_score_adj);
	return 0;
}

static long gen_oom_adj(struct proc_target *pt, struct sbuf *b)
{
	int adj = pt->info.oom_score_adj;
	sb_printf(b, "%d\n", adj == 1000 ? 15 : adj * 15 / 1000);
	return 0;
}

static long gen_oom_score(struct proc_target *pt, struct sbuf *b)
{
	struct mm_sum s;
	mm_summarize(pt->t, &s);
	uint64_t total = kernel.mem_limit ? kernel.mem_limit : 1;
	long points = (long)(s.rss * 1000 / total) + pt->info.oom_score_adj;
	sb_printf(b, "%ld\n", points < 0 ? 0 : points > 2000 ? 2000 : points);
	return 0;
}

/* kstrtoint after strstrip: a decimal integer, surrounding blanks allowed. */
static int parse_int(const char *buf, size_t len, int *out)
{
	char tmp[16];
	len = MIN(len, sizeof(tmp) - 1);      /* Linux reads at most PROC_NUMBUF - 1 bytes */
	memcpy(tmp, buf, len);
	tmp[len] = 0;
	char *s = tmp;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = 0;
	if (*s == '+')
		s++;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < -2147483647L - 1 || v > 2147483647L)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static long set_oom(struct proc_target *pt, int adj)
{
	struct task *cur = task_current();
	if (!pt->t)
		return -ESRCH;
	if (adj < 0 && adj < pt->info.oom_score_adj && cur &&
	    !cred_capable(&cur->cred, CAP_SYS_RESOURCE))
		return -EACCES;
	task_set_oom_score_adj(pt->t, adj);
	return 0;
}

static long write_oom_score_adj(struct proc_target *pt, const char *buf, size_t len)
{
	int v;
	if (parse_int(buf, len, &v) || v < -1000 || v > 1000)
		return -EINVAL;
	long rc = set_oom(pt, v);
	return rc ? rc : (long)len;
}

static long write_oom_adj(struct proc_target *pt, const char *buf, size_t len)
{
	int v;
	if (parse_int(buf, len, &v) || v < -17 || v > 15)
		return -EINVAL;
	long rc = set_oom(pt, v == 15 ? 1000 : v * 1000 / 17);
	return rc ? rc : (long)len;
}

static long gen_cgroup(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "0::/\n");
	return 0;
}

static long gen_unset_id(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "4294967295");           /* loginuid, sessionid: never set, no newline */
	return 0;
}

static long gen_wchan(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "0");
	return 0;
}

static long gen_personality(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "00000000\n");
	return 0;
}

static long gen_schedstat(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "0 0 0\n");
	return 0;
}

static long gen_id_map(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "%10u %10u %10u\n", 0, 0, 4294967295U);
	return 0;
}

static long gen_setgroups(struct proc_target *pt, struct sbuf *b)
{
	sb_printf(b, "allow\n");
	return 0;
}

static long gen_children(struct proc_target *pt, struct sbuf *b)
{
	int *pids = malloc(65536 * sizeof(int));
	if (!pids)
		return -ENOMEM;
	int n = process_list_children(pt->info.tgid, pids, 65536);
	for (int i = 0; i < n; i++)
		sb_printf(b, "%d ", pids[i]);
	free(pids);
	return 0;
}

/* ---- the tables ---- */

#define F(n, m, g, fl) { n, S_IFREG | (m), PE_FILE, g, NULL, fl }
#define W(n, g, w, fl) { n, S_IFREG | 0644, PE_FILE, g, w, fl }
#define L(n) { n, S_IFLNK | 0777, PE_LINK, NULL, NULL, PE_PTRACE }
#define D(n, m, k, fl) { n, S_IFDIR | (m), k, NULL, NULL, fl }

const struct pid_entry proc_pid_entries[] = {
	D("task", 0555, PE_TASK_DIR, PE_TGID_ONLY),
	D("fd", 0500, PE_FD_DIR, 0),
	D("fdinfo", 0500, PE_FDINFO_DIR, 0),
	D("ns", 0511, PE_NS_DIR, 0),
	D("net", 0555, PE_NET_DIR, 0),
	F("environ", 0400, gen_environ, PE_PTRACE),
	F("auxv", 0400, gen_auxv, PE_PTRACE),
	F("status", 0444, gen_status, 0),
	F("personality", 0400, gen_personality, PE_PTRACE),
	F("limits", 0444, gen_limits, 0),
	W("comm", gen_comm, write_comm, 0),
	F("cmdline", 0444, gen_cmdline, 0),
	F("stat", 0444, gen_stat, 0),
	F("statm", 0444, gen_statm, 0),
	F("maps", 0444, gen_maps, PE_PTRACE),
	F("children", 0444, gen_children, PE_TID_ONLY),
	L("cwd"),
	L("root"),
	L("exe"),
	F("mounts", 0444, gen_mounts, 0),
	F("mountinfo", 0444, gen_mountinfo, 0),
	F("smaps", 0444, gen_smaps, PE_PTRACE),
	F("smaps_rollup", 0444, gen_smaps_rollup, PE_PTRACE),
	F("wchan", 0444, gen_wchan, 0),
	F("schedstat", 0444, gen_schedstat, 0),
	F("cgroup", 0444, gen_cgroup, 0),
	F("oom_score", 0444, gen_oom_score, 0),
	W("oom_adj", gen_oom_adj, write_oom_adj, 0),
	W("oom_score_adj", gen_oom_score_adj, write_oom_score_adj, 0),
	F("loginuid", 0644, gen_unset_id, 0),
	F("sessionid", 0444, gen_unset_id, 0),
	F("io", 0400, gen_io, PE_PTRACE),
	F("mem", 0600, NULL, PE_MEM),
	F("uid_map", 0644, gen_id_map, 0),
	F("gid_map", 0644, gen_id_map, 0),
	F("setgroups", 0644, gen_setgroups, 0),
};

const size_t proc_pid_nentries = ARRAY_SIZE(proc_pid_entries);

/* One namespace of each kind: the sandbox's (numbers as Linux's initial namespaces). */
const struct ns_entry proc_ns_entries[] = {
	{ "cgroup", "cgroup", 4026531835ULL }, { "ipc", "ipc", 4026531839ULL },
	{ "mnt", "mnt", 4026531841ULL }, { "net", "net", 4026531840ULL },
	{ "pid", "pid", 4026531836ULL }, { "pid_for_children", "pid", 4026531836ULL },
	{ "time", "time", 4026531834ULL }, { "time_for_children", "time", 4026531834ULL },
	{ "user", "user", 4026531837ULL }, { "uts", "uts", 4026531838ULL },
};

const size_t proc_ns_nentries = ARRAY_SIZE(proc_ns_entries);
