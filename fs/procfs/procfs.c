/*
 * procfs: /proc for guest processes only. Nothing is cached: every lookup
 * builds a fresh dentry and inode describing what it names (a kind, a
 * tgid, an fd), so entries of exited processes disappear by themselves.
 * File contents are generated at open time into a buffer (like seq_file's
 * single_open) and read from it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include "fs/vfs_internal.h"
#include "sentry/memfile.h"
#include "sentry/mm.h"
#include "sentry/task.h"

#define PROC_UTS_RELEASE "6.1.0-sandbox"

enum proc_kind {
	P_ROOT, P_SELF, P_THREAD_SELF, P_SYS, P_SYS_KERNEL,
	P_GLOBAL_FILE,         /* uptime, meminfo, ...: index in global_files */
	P_PID, P_PID_FILE,     /* index in pid_files */
	P_PID_LINK,            /* exe, cwd, root */
	P_FD_DIR, P_FD_LINK,
};

struct proc_ent {
	enum proc_kind kind;
	int tgid;
	int fd;
	int index;
};

typedef long (*gen_global_fn)(char **out);
typedef long (*gen_pid_fn)(struct task *t, char **out);

static struct super_block *proc_sb;
static const struct inode_ops proc_iops;
static const struct file_ops proc_file_fops;

/* ---- text helpers ---- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = b->p ? vsnprintf(b->p + b->len, room, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			b->len += n;
			return;
		}
		size_t nc = b->cap ? b->cap * 2 : 4096;
		if (n >= 0)
			while (nc < b->len + n + 1)
				nc *= 2;
		char *np = realloc(b->p, nc);
		if (!np)
			return;
		b->p = np;
		b->cap = nc;
	}
}

static long sb_done(struct sbuf *b, char **out)
{
	if (!b->p)
		return -ENOMEM;
	*out = b->p;
	return (long)b->len;
}

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* ---- global files ---- */

static long gen_uptime(char **out)
{
	struct sbuf b = { 0 };
	uint64_t ns = kernel_uptime_ns();
	sb_printf(&b, "%lu.%02lu %lu.%02lu\n", ns / 1000000000, (ns / 10000000) % 100,
		  ns * ncpus() / 1000000000, (ns * ncpus() / 10000000) % 100);
	return sb_done(&b, out);
}

static long gen_meminfo(char **out)
{
	struct sbuf b = { 0 };
	uint64_t total = kernel.mem_limit / 1024;
	uint64_t used = mf_reserved() / 1024;
	uint64_t free_kb = total > used ? total - used : 0;
	sb_printf(&b,
		  "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n"
		  "Buffers:        %8lu kB\nCached:         %8lu kB\nSwapCached:     %8lu kB\n"
		  "Active:         %8lu kB\nInactive:       %8lu kB\nSwapTotal:      %8lu kB\n"
		  "SwapFree:       %8lu kB\nDirty:          %8lu kB\nShmem:          %8lu kB\n"
		  "Slab:           %8lu kB\nSReclaimable:   %8lu kB\nSUnreclaim:     %8lu kB\n"
		  "CommitLimit:    %8lu kB\nCommitted_AS:   %8lu kB\n",
		  total, free_kb, free_kb, 0UL, 0UL, 0UL, used, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL,
		  0UL, total, used);
	return sb_done(&b, out);
}

static long gen_cpuinfo(char **out)
{
	/* The host's CPU description, read once (CPU model and flags are not secret here). */
	static char *cache;
	static size_t cache_len;
	if (!cache) {
		int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
		struct sbuf b = { 0 };
		sb_printf(&b, "%s", "");
		if (fd >= 0) {
			char buf[8192];
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				sb_printf(&b, "%.*s", (int)n, buf);
			close(fd);
		}
		if (!b.p)
			return -ENOMEM;
		cache = b.p;
		cache_len = b.len;
	}
	char *c = malloc(cache_len + 1);
	if (!c)
		return -ENOMEM;
	memcpy(c, cache, cache_len + 1);
	*out = c;
	return (long)cache_len;
}

static int count_tgids(int *last)
{
	int buf[4096];
	int n = task_list_tgids(buf, ARRAY_SIZE(buf));
	*last = n > 0 ? buf[n - 1] : 0;
	return n;
}

static long gen_stat(char **out)
{
	struct sbuf b = { 0 };
	sb_printf(&b, "cpu  0 0 0 0 0 0 0 0 0 0\n");
	for (int i = 0; i < ncpus(); i++)
		sb_printf(&b, "cpu%d 0 0 0 0 0 0 0 0 0 0\n", i);
	int last;
	int n = count_tgids(&last);
	sb_printf(&b, "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n"
		  "softirq 0 0 0 0 0 0 0 0 0 0 0\n", kernel.boot_realtime_ns / 1000000000, n);
	return sb_done(&b, out);
}

static long gen_loadavg(char **out)
{
	struct sbuf b = { 0 };
	int last;
	int n = count_tgids(&last);
	sb_printf(&b, "0.00 0.00 0.00 1/%d %d\n", n, last);
	return sb_done(&b, out);
}

static long gen_mounts(char **out)
{
	struct sbuf b = { 0 };
	sb_printf(&b, "%s", "");
	struct mount *root = mount_list();
	struct path rp = { root, root->root };
	for (struct mount *m = root; m; m = m->next) {
		char path[VFS_PATH_MAX];
		struct path p = { m, m->root };
		if (vfs_path_string(&rp, &p, path, sizeof(path)) < 0)
			continue;
		bool ro = (m->flags & 1) || m->sb->readonly;
		sb_printf(&b, "%s %s %s %s%s%s%s 0 0\n", m->source ? m->source : "none", path,
			  m->sb->fstype, ro ? "ro" : "rw", (m->flags & 2) ? ",nosuid" : "",
			  (m->flags & 4) ? ",nodev" : "", (m->flags & 8) ? ",noexec" : "");
	}
	return sb_done(&b, out);
}

static long gen_filesystems(char **out)
{
	struct sbuf b = { 0 };
	sb_printf(&b, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\toverlay\n");
	return sb_done(&b, out);
}

static long gen_text(const char *s, char **out)
{
	struct sbuf b = { 0 };
	sb_printf(&b, "%s\n", s);
	return sb_done(&b, out);
}

static long gen_hostname(char **out)
{
	return gen_text(kernel.hostname, out);
}

static long gen_ostype(char **out)
{
	return gen_text("Linux", out);
}

static long gen_osrelease(char **out)
{
	return gen_text(PROC_UTS_RELEASE, out);
}

static long gen_version(char **out)
{
	return gen_text("Linux version " PROC_UTS_RELEASE " (sandbox) #1 SMP PREEMPT_DYNAMIC", out);
}

static const struct {
	const char *name;
	gen_global_fn gen;
	bool in_sys_kernel;
} global_files[] = {
	{ "uptime", gen_uptime, false }, { "meminfo", gen_meminfo, false },
	{ "cpuinfo", gen_cpuinfo, false }, { "stat", gen_stat, false },
	{ "loadavg", gen_loadavg, false }, { "mounts", gen_mounts, false },
	{ "filesystems", gen_filesystems, false }, { "version", gen_version, false },
	{ "hostname", gen_hostname, true }, { "ostype", gen_ostype, true },
	{ "osrelease", gen_osrelease, true },
};

/* ---- per-process files ---- */

static long gen_status(struct task *t, char **out)
{
	return task_format_status(t, out);
}

static long gen_maps(struct task *t, char **out)
{
	return mm_format_maps(t->mm, out);
}

static long gen_area(struct task *t, char **out, bool env)
{
	size_t cap = 256 * 1024;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	long n = env ? task_read_environ(t, buf, cap) : task_read_cmdline(t, buf, cap);
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	return n;
}

static long gen_cmdline(struct task *t, char **out)
{
	return gen_area(t, out, false);
}

static long gen_environ(struct task *t, char **out)
{
	return gen_area(t, out, true);
}

static long gen_comm(struct task *t, char **out)
{
	struct sbuf b = { 0 };
	sb_printf(&b, "%.16s\n", t->comm);
	return sb_done(&b, out);
}

static char state_char(struct task *t)
{
	return t->state == TASK_ZOMBIE ? 'Z' : t->state == TASK_SLEEPING ? 'S' : 'R';
}

static long gen_pid_stat(struct task *t, char **out)
{
	struct sbuf b = { 0 };
	uint64_t vsz = 0, rss = 0;
	if (t->mm)
		mm_usage(t->mm, &vsz, &rss);
	struct mm_layout l = { 0 };
	if (t->mm)
		mm_get_layout(t->mm, &l);
	sb_printf(&b, "%d (%.16s) %c %d %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 %d 0 0 %lu %lu "
		  "18446744073709551615 0 0 %lu 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 %lu %lu %lu %lu %lu %lu %lu 0\n",
		  t->tg->tgid, t->comm, state_char(t), t->tg->ppid, t->tg->pgid, t->tg->sid,
		  t->tg->nr_threads, vsz, rss / PAGE_SIZE, l.start_stack, l.start_brk, l.brk,
		  l.arg_start, l.arg_end, l.env_start, l.env_end, 0UL);
	return sb_done(&b, out);
}

static long gen_statm(struct task *t, char **out)
{
	struct sbuf b = { 0 };
	uint64_t vsz = 0, rss = 0;
	if (t->mm)
		mm_usage(t->mm, &vsz, &rss);
	sb_printf(&b, "%lu %lu 0 0 0 %lu 0\n", vsz / PAGE_SIZE, rss / PAGE_SIZE, vsz / PAGE_SIZE);
	return sb_done(&b, out);
}

static long gen_pid_mounts(struct task *t, char **out)
{
	return gen_mounts(out);
}

static const struct {
	const char *name;
	gen_pid_fn gen;
	uint32_t mode;
} pid_files[] = {
	{ "status", gen_status, 0444 }, { "maps", gen_maps, 0444 },
	{ "cmdline", gen_cmdline, 0444 }, { "environ", gen_environ, 0400 },
	{ "comm", gen_comm, 0644 }, { "stat", gen_pid_stat, 0444 },
	{ "statm", gen_statm, 0444 }, { "mounts", gen_pid_mounts, 0444 },
};

static const char *const pid_links[] = { "exe", "cwd", "root" };

/* ---- inodes and dentries ---- */

static struct proc_ent *ent_of(struct dentry *d)
{
	return d->inode->priv;
}

static void proc_destroy(struct inode *inode)
{
	free(inode->priv);
}

static uint64_t ent_ino(const struct proc_ent *e)
{
	return ((uint64_t)e->tgid << 20) ^ ((uint64_t)e->kind << 12) ^ ((uint64_t)(e->index + 1) << 4) ^
	       ((uint64_t)(e->fd + 1) << 32) ^ 0x100;
}

static struct dentry *proc_make(struct dentry *parent, const char *name, uint32_t mode,
				struct proc_ent e)
{
	struct inode *inode = inode_alloc(proc_sb, mode, &proc_iops,
					  S_ISREG(mode) ? &proc_file_fops : NULL);
	if (!inode)
		return NULL;
	struct proc_ent *pe = malloc(sizeof(*pe));
	if (!pe) {
		inode_put(inode);
		return NULL;
	}
	*pe = e;
	inode->priv = pe;
	inode->destroy = proc_destroy;
	inode->ino = e.kind == P_ROOT ? 1 : ent_ino(&e);
	if (S_ISDIR(mode))
		inode->nlink = 2;
	inode->atime = inode->mtime = inode->ctime = vfs_now();
	struct dentry *d = dentry_alloc(parent, name, inode);
	if (!d)
		inode_put(inode);
	return d;
}

static struct task *ent_task(const struct proc_ent *e)
{
	return task_lookup(e->tgid);
}

static int parse_num(const char *s)
{
	if (!*s || (*s == '0' && s[1]))
		return -1;
	long v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 1 << 30)
			return -1;
	}
	return (int)v;
}

static int current_tgid(void)
{
	struct task *t = task_current();
	return t ? t->tg->tgid : -1;
}

static int proc_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	struct proc_ent *de = ent_of(dir);
	struct proc_ent e = { .tgid = de->tgid, .fd = -1, .index = -1 };
	struct dentry *d = NULL;
	switch (de->kind) {
	case P_ROOT: {
		if (!strcmp(name, "self") || !strcmp(name, "thread-self")) {
			if (current_tgid() < 0)
				return -ENOENT;
			e.kind = name[0] == 's' ? P_SELF : P_THREAD_SELF;
			d = proc_make(dir, name, S_IFLNK | 0777, e);
			break;
		}
		if (!strcmp(name, "sys")) {
			e.kind = P_SYS;
			d = proc_make(dir, name, S_IFDIR | 0555, e);
			break;
		}
		for (size_t i = 0; i < ARRAY_SIZE(global_files); i++) {
			if (!global_files[i].in_sys_kernel && !strcmp(name, global_files[i].name)) {
				e.kind = P_GLOBAL_FILE;
				e.index = (int)i;
				d = proc_make(dir, name, S_IFREG | 0444, e);
				goto done;
			}
		}
		int pid = parse_num(name);
		if (pid <= 0)
			return -ENOENT;
		struct task *t = task_lookup(pid);
		if (!t)
			return -ENOENT;
		bool leader = t->tg->tgid == pid;
		uint32_t uid = t->cred.euid, gid = t->cred.egid;
		task_put(t);
		if (!leader)
			return -ENOENT;
		e.kind = P_PID;
		e.tgid = pid;
		d = proc_make(dir, name, S_IFDIR | 0555, e);
		if (d) {
			d->inode->uid = uid;
			d->inode->gid = gid;
		}
		break;
	}
	case P_SYS:
		if (strcmp(name, "kernel"))
			return -ENOENT;
		e.kind = P_SYS_KERNEL;
		d = proc_make(dir, name, S_IFDIR | 0555, e);
		break;
	case P_SYS_KERNEL:
		for (size_t i = 0; i < ARRAY_SIZE(global_files); i++) {
			if (global_files[i].in_sys_kernel && !strcmp(name, global_files[i].name)) {
				e.kind = P_GLOBAL_FILE;
				e.index = (int)i;
				d = proc_make(dir, name, S_IFREG | 0444, e);
				goto done;
			}
		}
		return -ENOENT;
	case P_PID: {
		struct task *t = ent_task(de);
		if (!t)
			return -ENOENT;
		task_put(t);
		if (!strcmp(name, "fd")) {
			e.kind = P_FD_DIR;
			d = proc_make(dir, name, S_IFDIR | 0500, e);
			break;
		}
		for (size_t i = 0; i < ARRAY_SIZE(pid_files); i++) {
			if (!strcmp(name, pid_files[i].name)) {
				e.kind = P_PID_FILE;
				e.index = (int)i;
				d = proc_make(dir, name, S_IFREG | pid_files[i].mode, e);
				goto done;
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(pid_links); i++) {
			if (!strcmp(name, pid_links[i])) {
				e.kind = P_PID_LINK;
				e.index = (int)i;
				d = proc_make(dir, name, S_IFLNK | 0777, e);
				goto done;
			}
		}
		return -ENOENT;
	}
	case P_FD_DIR: {
		int fd = parse_num(name);
		if (fd < 0)
			return -ENOENT;
		struct task *t = ent_task(de);
		if (!t)
			return -ENOENT;
		struct file *f = t->files ? fdt_get_file(t->files, fd) : NULL;
		task_put(t);
		if (!f)
			return -ENOENT;
		uint32_t mode = S_IFLNK | ((f->flags & O_ACCMODE) == O_RDONLY ? 0500
					   : (f->flags & O_ACCMODE) == O_WRONLY ? 0300 : 0700);
		file_put(f);
		e.kind = P_FD_LINK;
		e.fd = fd;
		d = proc_make(dir, name, mode, e);
		break;
	}
	default:
		return -ENOTDIR;
	}
done:
	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

static int proc_readdir(struct dentry *dir, vfs_emit_fn emit, void *ctx)
{
	struct proc_ent *de = ent_of(dir);
	switch (de->kind) {
	case P_ROOT: {
		for (size_t i = 0; i < ARRAY_SIZE(global_files); i++)
			if (!global_files[i].in_sys_kernel &&
			    emit(ctx, global_files[i].name, 0x1000 + i, DT_REG))
				return 0;
		if (emit(ctx, "sys", 0x1100, DT_DIR))
			return 0;
		if (current_tgid() > 0) {
			if (emit(ctx, "self", 0x1101, DT_LNK) || emit(ctx, "thread-self", 0x1102, DT_LNK))
				return 0;
		}
		int *pids = malloc(65536 * sizeof(int));
		if (!pids)
			return -ENOMEM;
		int n = task_list_tgids(pids, 65536);
		for (int i = 0; i < n; i++) {
			char name[16];
			snprintf(name, sizeof(name), "%d", pids[i]);
			struct proc_ent e = { P_PID, pids[i], -1, -1 };
			if (emit(ctx, name, ent_ino(&e), DT_DIR))
				break;
		}
		free(pids);
		return 0;
	}
	case P_SYS:
		emit(ctx, "kernel", 0x1200, DT_DIR);
		return 0;
	case P_SYS_KERNEL:
		for (size_t i = 0; i < ARRAY_SIZE(global_files); i++)
			if (global_files[i].in_sys_kernel &&
			    emit(ctx, global_files[i].name, 0x1000 + i, DT_REG))
				return 0;
		return 0;
	case P_PID: {
		if (emit(ctx, "fd", 0x1300, DT_DIR))
			return 0;
		for (size_t i = 0; i < ARRAY_SIZE(pid_files); i++)
			if (emit(ctx, pid_files[i].name, 0x1400 + i, DT_REG))
				return 0;
		for (size_t i = 0; i < ARRAY_SIZE(pid_links); i++)
			if (emit(ctx, pid_links[i], 0x1500 + i, DT_LNK))
				return 0;
		return 0;
	}
	case P_FD_DIR: {
		struct task *t = ent_task(de);
		if (!t)
			return -ENOENT;
		int max = t->files ? fdt_max_fd(t->files) : 0;
		for (int fd = 0; fd < max; fd++) {
			struct file *f = fdt_get_file(t->files, fd);
			if (!f)
				continue;
			file_put(f);
			char name[16];
			snprintf(name, sizeof(name), "%d", fd);
			if (emit(ctx, name, 0x2000 + fd, DT_LNK))
				break;
		}
		task_put(t);
		return 0;
	}
	default:
		return -ENOTDIR;
	}
}

/* The object a pid link names: (mnt, dentry) references or a pathless file. */
static int link_target(struct proc_ent *e, struct path *p, struct file **anon)
{
	*anon = NULL;
	struct task *t = ent_task(e);
	if (!t)
		return -ENOENT;
	int rc = 0;
	if (e->kind == P_FD_LINK || (e->kind == P_PID_LINK && e->index == 0)) {
		struct file *f = NULL;
		if (e->kind == P_FD_LINK)
			f = t->files ? fdt_get_file(t->files, e->fd) : NULL;
		else if ((f = t->tg->exe))
			file_get(f);
		if (!f) {
			rc = -ENOENT;
		} else if (f->dentry && f->mnt) {
			p->mnt = f->mnt;
			p->dentry = f->dentry;
			path_get(p);
			file_put(f);
		} else {
			*anon = f;
		}
	} else if (e->kind == P_PID_LINK) {
		if (!t->fs)
			rc = -ENOENT;
		else if (e->index == 1)
			fsctx_get_cwd(t->fs, p);
		else
			fsctx_get_root(t->fs, p);
	} else {
		rc = -EINVAL;
	}
	task_put(t);
	return rc;
}

static long copy_text(const char *s, char *buf, size_t cap)
{
	size_t n = MIN(strlen(s), cap);
	memcpy(buf, s, n);
	return (long)n;
}

static long proc_readlink(struct dentry *d, char *buf, size_t cap)
{
	struct proc_ent *e = ent_of(d);
	char tmp[VFS_PATH_MAX];
	if (e->kind == P_SELF || e->kind == P_THREAD_SELF) {
		struct task *t = task_current();
		if (!t)
			return -ENOENT;
		if (e->kind == P_SELF)
			snprintf(tmp, sizeof(tmp), "%d", t->tg->tgid);
		else
			snprintf(tmp, sizeof(tmp), "%d/task/%d", t->tg->tgid, t->tid);
		return copy_text(tmp, buf, cap);
	}
	struct path p;
	struct file *anon;
	int rc = link_target(e, &p, &anon);
	if (rc)
		return rc;
	long n;
	if (anon) {
		n = file_path(anon, tmp, sizeof(tmp));
		file_put(anon);
	} else {
		struct task *cur = task_current();
		struct path root;
		if (cur && cur->fs) {
			fsctx_get_root(cur->fs, &root);
		} else {
			root.mnt = mount_list();
			root.dentry = root.mnt->root;
			path_get(&root);
		}
		n = vfs_path_string(&root, &p, tmp, sizeof(tmp));
		if (n >= 0 && p.dentry->dead && (size_t)n + 11 < sizeof(tmp)) {
			strcpy(tmp + n, " (deleted)");
			n += 10;
		}
		path_put(&root);
		path_put(&p);
	}
	if (n < 0)
		return n;
	return copy_text(tmp, buf, cap);
}

static int proc_get_link_path(struct dentry *d, struct mount **mnt, struct dentry **target)
{
	struct proc_ent *e = ent_of(d);
	if (e->kind == P_SELF || e->kind == P_THREAD_SELF)
		return -ENOSYS;        /* ordinary symlinks: resolve their text */
	struct path p;
	struct file *anon;
	int rc = link_target(e, &p, &anon);
	if (rc)
		return rc;
	if (anon) {
		/* A detached dentry that reopens the pathless file. */
		inode_get(anon->inode);
		struct dentry *nd = dentry_alloc(NULL, anon->anon_name ? anon->anon_name : "anon",
						 anon->inode);
		if (!nd) {
			inode_put(anon->inode);
			file_put(anon);
			return -ENOMEM;
		}
		nd->anon_file = anon;
		*mnt = mount_list();   /* any mount: only the dentry matters */
		*target = nd;
		return 0;
	}
	*mnt = p.mnt;
	*target = p.dentry;
	return 0;
}

/* ---- files ---- */

struct proc_text {
	char *text;
	long len;
};

static int proc_open(struct dentry *d, struct file *f)
{
	struct proc_ent *e = ent_of(d);
	if (!S_ISREG(d->inode->mode))
		return 0;
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	char *text = NULL;
	long len;
	if (e->kind == P_GLOBAL_FILE) {
		len = global_files[e->index].gen(&text);
	} else {
		struct task *t = ent_task(e);
		if (!t)
			return -ENOENT;
		len = pid_files[e->index].gen(t, &text);
		task_put(t);
	}
	if (len < 0)
		return (int)len;
	struct proc_text *pt = malloc(sizeof(*pt));
	if (!pt) {
		free(text);
		return -ENOMEM;
	}
	pt->text = text;
	pt->len = len;
	f->priv = pt;
	return 0;
}

static ssize_t proc_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct proc_text *pt = f->priv;
	if (!pt)
		return -EBADF;
	return vfs_read_text(pt->text, pt->len, iov, iovcnt, off);
}

static void proc_release(struct file *f)
{
	struct proc_text *pt = f->priv;
	if (pt) {
		free(pt->text);
		free(pt);
	}
}

static const struct file_ops proc_file_fops = {
	.read = proc_read,
	.release = proc_release,
};

static void proc_refresh(struct dentry *d)
{
	struct proc_ent *e = ent_of(d);
	if (e->kind == P_FD_LINK || e->kind == P_PID_LINK || e->kind == P_SELF ||
	    e->kind == P_THREAD_SELF) {
		char tmp[VFS_PATH_MAX];
		long n = proc_readlink(d, tmp, sizeof(tmp));
		d->inode->size = n > 0 ? (uint64_t)n : 0;
	}
}

static const struct inode_ops proc_iops = {
	.lookup = proc_lookup,
	.readdir = proc_readdir,
	.readlink = proc_readlink,
	.get_link_path = proc_get_link_path,
	.open = proc_open,
	.refresh = proc_refresh,
};

int procfs_create(struct super_block **sbp, struct dentry **rootp)
{
	proc_sb = sb_create("proc", PROC_SUPER_MAGIC);
	if (!proc_sb)
		return -ENOMEM;
	proc_sb->readonly = false;
	struct proc_ent e = { P_ROOT, 0, -1, -1 };
	vfs_lock();
	struct dentry *root = proc_make(NULL, "/", S_IFDIR | 0555, e);
	vfs_unlock();
	if (!root)
		return -ENOMEM;
	*sbp = proc_sb;
	*rootp = root;
	return 0;
}
