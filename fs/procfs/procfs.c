/*
 * procfs: /proc for guest processes only. Nothing is cached: every lookup
 * builds a fresh dentry and inode describing what it names (struct
 * proc_ent: a kind, a process, a thread, an fd, a table index), so entries
 * of exited processes disappear by themselves.
 *
 * File contents are generated at read time (at offset 0, or the first read)
 * into a buffer kept with the open file, as seq_file does: a later read at
 * a higher offset continues the same text, a read at 0 starts afresh, and a
 * read after the process was reaped fails with ESRCH.
 *
 * This file is the tree (lookup, readdir, links, open/read/write); the
 * contents live in proc_pid.c (per process) and proc_global.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include "fs/procfs/procfs_internal.h"
#include "sentry/process.h"

enum proc_kind {
	P_ROOT,                /* /proc */
	P_GLOBAL,              /* index: proc_global_entries (dir, file or symlink) */
	P_SELF, P_THREAD_SELF,
	P_PID,                 /* /proc/N: tgid, and tid when N names a non-leader thread */
	P_TID,                 /* /proc/PID/task/TID */
	P_ENTRY,               /* index: proc_pid_entries, inside a P_PID or P_TID */
	P_FD_LINK,             /* /proc/PID/fd/N */
	P_FDINFO,              /* /proc/PID/fdinfo/N */
	P_NS_LINK,             /* index: proc_ns_entries */
	P_NS_FILE,             /* what an ns link opens */
};

struct proc_ent {
	enum proc_kind kind;
	int tgid, tid;         /* tid 0: the process (its leader, or any thread) */
	bool thread;           /* below task/TID */
	int index;
	int fd;
};

static struct super_block *proc_sb;
static const struct inode_ops proc_iops;
static const struct file_ops proc_file_fops;

#define MAX_LISTED 65536       /* pids or fds one listing shows */

/* ---- inodes and dentries ---- */

static struct proc_ent *ent_of(struct dentry *d)
{
	return d->inode->priv;
}

int procfs_dir_pid(struct file *f)
{
	struct dentry *d = f->dentry;
	if (!d || !d->inode || d->inode->sb != proc_sb || !d->inode->priv)
		return -1;
	const struct proc_ent *e = ent_of(d);
	return e->kind == P_PID && !e->tid ? e->tgid : -1;
}

static void proc_destroy(struct inode *inode)
{
	free(inode->priv);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* A stable inode number for what an entry names (readdir and stat agree). */
static uint64_t ent_ino(const struct proc_ent *e)
{
	if (e->kind == P_ROOT)
		return 1;
	uint64_t h = mix64(((uint64_t)e->kind << 56) ^ ((uint64_t)(e->index + 1) << 40) ^
			   ((uint64_t)e->thread << 39) ^ (uint64_t)(uint32_t)(e->fd + 1));
	h = mix64(h ^ ((uint64_t)(uint32_t)e->tgid << 32) ^ (uint32_t)e->tid);
	return (h >> 2) | 0x1000;
}

static struct dentry *proc_make(struct dentry *parent, const char *name, uint32_t mode,
				const struct proc_ent *e, uint32_t uid, uint32_t gid)
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
	*pe = *e;
	inode->priv = pe;
	inode->destroy = proc_destroy;
	inode->ino = ent_ino(e);
	inode->uid = uid;
	inode->gid = gid;
	struct dentry *d = dentry_alloc(parent, name, inode);
	if (!d)
		inode_put(inode);
	return d;
}

/* Decimal without sign or leading zeros, as /proc names pids and fds; else -1. */
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

static int target_of(const struct proc_ent *e, struct proc_target *pt)
{
	return proc_target_get(e->tgid, e->tid, e->thread, pt);
}

/* Linux gives a process's /proc files to its effective ids. */
static void target_owner(const struct proc_target *pt, uint32_t *uid, uint32_t *gid)
{
	if (pt->info.zombie) {
		*uid = pt->info.uid;
		*gid = 0;
	} else {
		*uid = pt->info.cred.euid;
		*gid = pt->info.cred.egid;
	}
}

static bool entry_visible(const struct pid_entry *pe, bool thread)
{
	return !(pe->flags & (thread ? PE_TGID_ONLY : PE_TID_ONLY));
}

static uint32_t fd_link_mode(struct file *f)
{
	int acc = file_flags(f) & O_ACCMODE;
	return S_IFLNK | (acc == O_RDONLY ? 0500 : acc == O_WRONLY ? 0300 : 0700);
}

/* The file at fd of the target with a reference, or NULL. */
static struct file *target_fd(const struct proc_target *pt, int fd)
{
	struct fd_table *files = pt->t ? task_get_files(pt->t) : NULL;
	if (!files)
		return NULL;
	struct file *f = fdt_get_file(files, fd);
	fdt_put(files);
	return f;
}

/* ---- lookup ---- */

static int lookup_root(struct dentry *dir, const char *name, struct dentry **out)
{
	struct proc_ent e = { .fd = -1, .index = -1 };
	if (!strcmp(name, "self") || !strcmp(name, "thread-self")) {
		if (!task_current())
			return -ENOENT;
		e.kind = name[0] == 's' ? P_SELF : P_THREAD_SELF;
		*out = proc_make(dir, name, S_IFLNK | 0777, &e, 0, 0);
		return *out ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < proc_global_nentries; i++) {
		if (proc_global_entries[i].parent == -1 && !strcmp(name, proc_global_entries[i].name)) {
			e.kind = P_GLOBAL;
			e.index = (int)i;
			*out = proc_make(dir, name, proc_global_entries[i].mode, &e, 0, 0);
			return *out ? 0 : -ENOMEM;
		}
	}
	int pid = parse_num(name);
	if (pid <= 0)
		return -ENOENT;
	/* A process (live or zombie), or any live thread: /proc/TID works, unlisted. */
	struct proc_target pt;
	int tgid = pid;
	if (proc_target_get(pid, 0, false, &pt)) {
		tgid = task_tgid_of(pid);
		if (tgid < 0 || proc_target_get(tgid, pid, false, &pt))
			return -ENOENT;
	}
	e.kind = P_PID;
	e.tgid = tgid;
	e.tid = tgid == pid ? 0 : pid;
	uint32_t uid, gid;
	target_owner(&pt, &uid, &gid);
	proc_target_put(&pt);
	*out = proc_make(dir, name, S_IFDIR | 0555, &e, uid, gid);
	return *out ? 0 : -ENOMEM;
}

static int lookup_global(struct dentry *dir, const struct proc_ent *de, const char *name,
			 struct dentry **out)
{
	for (size_t i = 0; i < proc_global_nentries; i++) {
		if (proc_global_entries[i].parent == de->index &&
		    !strcmp(name, proc_global_entries[i].name)) {
			struct proc_ent e = { .kind = P_GLOBAL, .index = (int)i, .fd = -1 };
			*out = proc_make(dir, name, proc_global_entries[i].mode, &e, 0, 0);
			return *out ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

/* Inside /proc/PID or task/TID: the entries of proc_pid_entries. */
static int lookup_pid_dir(struct dentry *dir, const struct proc_ent *de, const char *name,
			  struct dentry **out)
{
	bool thread = de->kind == P_TID;
	for (size_t i = 0; i < proc_pid_nentries; i++) {
		const struct pid_entry *pe = &proc_pid_entries[i];
		if (!entry_visible(pe, thread) || strcmp(name, pe->name))
			continue;
		struct proc_target pt;
		if (target_of(de, &pt))
			return -ENOENT;
		uint32_t uid, gid;
		target_owner(&pt, &uid, &gid);
		proc_target_put(&pt);
		struct proc_ent e = { .kind = P_ENTRY, .tgid = de->tgid, .tid = de->tid,
				      .thread = thread, .index = (int)i, .fd = -1 };
		*out = proc_make(dir, name, pe->mode, &e, uid, gid);
		return *out ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

/* Inside task/, fd/, fdinfo/ or ns/. */
static int lookup_sub_dir(struct dentry *dir, const struct proc_ent *de, const char *name,
			  struct dentry **out)
{
	const struct pid_entry *pe = &proc_pid_entries[de->index];
	struct proc_ent e = { .tgid = de->tgid, .tid = de->tid, .thread = de->thread,
			      .index = -1, .fd = -1 };
	struct proc_target pt;
	uint32_t mode, uid, gid;
	switch (pe->kind) {
	case PE_TASK_DIR: {
		int tid = parse_num(name);
		if (tid <= 0 || proc_target_get(de->tgid, tid, true, &pt))
			return -ENOENT;
		e.kind = P_TID;
		e.tid = tid;
		e.thread = true;
		mode = S_IFDIR | 0555;
		break;
	}
	case PE_FD_DIR:
	case PE_FDINFO_DIR: {
		int fd = parse_num(name);
		if (fd < 0 || target_of(de, &pt))
			return -ENOENT;
		struct file *f = target_fd(&pt, fd);
		if (!f) {
			proc_target_put(&pt);
			return -ENOENT;
		}
		mode = pe->kind == PE_FD_DIR ? fd_link_mode(f) : S_IFREG | 0444;
		file_put(f);
		e.kind = pe->kind == PE_FD_DIR ? P_FD_LINK : P_FDINFO;
		e.fd = fd;
		break;
	}
	case PE_NET_DIR: {
		if (target_of(de, &pt))
			return -ENOENT;
		proc_target_put(&pt);
		struct proc_ent ne = { .kind = P_GLOBAL, .index = proc_global_net_dir, .fd = -1 };
		return lookup_global(dir, &ne, name, out);
	}
	case PE_NS_DIR: {
		size_t i = 0;
		while (i < proc_ns_nentries && strcmp(name, proc_ns_entries[i].name))
			i++;
		if (i == proc_ns_nentries || target_of(de, &pt))
			return -ENOENT;
		e.kind = P_NS_LINK;
		e.index = (int)i;
		mode = S_IFLNK | 0777;
		break;
	}
	default:
		return -ENOTDIR;
	}
	target_owner(&pt, &uid, &gid);
	proc_target_put(&pt);
	*out = proc_make(dir, name, mode, &e, uid, gid);
	return *out ? 0 : -ENOMEM;
}

static int proc_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	const struct proc_ent *de = ent_of(dir);
	switch (de->kind) {
	case P_ROOT:
		return lookup_root(dir, name, out);
	case P_GLOBAL:
		return lookup_global(dir, de, name, out);
	case P_PID:
	case P_TID:
		return lookup_pid_dir(dir, de, name, out);
	case P_ENTRY:
		return lookup_sub_dir(dir, de, name, out);
	default:
		return -ENOTDIR;
	}
}

/* ---- readdir ---- */

static int emit_ent(vfs_emit_fn emit, void *ctx, const char *name, const struct proc_ent *e,
		    uint32_t mode)
{
	return emit(ctx, name, ent_ino(e), vfs_dtype(mode));
}

static int readdir_global(int parent, vfs_emit_fn emit, void *ctx)
{
	for (size_t i = 0; i < proc_global_nentries; i++) {
		const struct global_entry *g = &proc_global_entries[i];
		struct proc_ent e = { .kind = P_GLOBAL, .index = (int)i, .fd = -1 };
		if (g->parent == parent && emit_ent(emit, ctx, g->name, &e, g->mode))
			return 1;
	}
	return 0;
}

static int readdir_root(vfs_emit_fn emit, void *ctx)
{
	if (readdir_global(-1, emit, ctx))
		return 0;
	struct proc_ent self = { .kind = P_SELF, .index = -1, .fd = -1 };
	struct proc_ent tself = { .kind = P_THREAD_SELF, .index = -1, .fd = -1 };
	if (emit_ent(emit, ctx, "self", &self, S_IFLNK) ||
	    emit_ent(emit, ctx, "thread-self", &tself, S_IFLNK))
		return 0;
	int *pids = malloc(MAX_LISTED * sizeof(int));
	if (!pids)
		return -ENOMEM;
	int n = process_list_tgids(pids, MAX_LISTED);
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", pids[i]);
		struct proc_ent e = { .kind = P_PID, .tgid = pids[i], .index = -1, .fd = -1 };
		if (emit_ent(emit, ctx, name, &e, S_IFDIR))
			break;
	}
	free(pids);
	return 0;
}

static int readdir_pid_dir(const struct proc_ent *de, vfs_emit_fn emit, void *ctx)
{
	struct proc_target pt;
	if (target_of(de, &pt))
		return -ENOENT;
	proc_target_put(&pt);
	bool thread = de->kind == P_TID;
	for (size_t i = 0; i < proc_pid_nentries; i++) {
		const struct pid_entry *pe = &proc_pid_entries[i];
		struct proc_ent e = { .kind = P_ENTRY, .tgid = de->tgid, .tid = de->tid,
				      .thread = thread, .index = (int)i, .fd = -1 };
		if (entry_visible(pe, thread) && emit_ent(emit, ctx, pe->name, &e, pe->mode))
			break;
	}
	return 0;
}

static int readdir_sub_dir(const struct proc_ent *de, vfs_emit_fn emit, void *ctx)
{
	const struct pid_entry *pe = &proc_pid_entries[de->index];
	struct proc_target pt;
	if (target_of(de, &pt))
		return -ENOENT;
	int rc = 0;
	if (pe->kind == PE_NS_DIR) {
		for (size_t i = 0; i < proc_ns_nentries; i++) {
			struct proc_ent e = { .kind = P_NS_LINK, .tgid = de->tgid, .tid = de->tid,
					      .thread = de->thread, .index = (int)i, .fd = -1 };
			if (emit_ent(emit, ctx, proc_ns_entries[i].name, &e, S_IFLNK))
				break;
		}
	} else if (pe->kind == PE_NET_DIR) {
		readdir_global(proc_global_net_dir, emit, ctx);
	} else if (pe->kind == PE_TASK_DIR) {
		int *tids = malloc(MAX_LISTED * sizeof(int));
		int n = tids ? task_list_tids(de->tgid, tids, MAX_LISTED) : 0;
		rc = tids ? 0 : -ENOMEM;
		for (int i = 0; i < n; i++) {
			char name[16];
			snprintf(name, sizeof(name), "%d", tids[i]);
			struct proc_ent e = { .kind = P_TID, .tgid = de->tgid, .tid = tids[i],
					      .thread = true, .index = -1, .fd = -1 };
			if (emit_ent(emit, ctx, name, &e, S_IFDIR))
				break;
		}
		free(tids);
	} else if (pe->kind == PE_FD_DIR || pe->kind == PE_FDINFO_DIR) {
		struct fd_table *files = pt.t ? task_get_files(pt.t) : NULL;
		int max = files ? MIN(fdt_max_fd(files), MAX_LISTED) : 0;
		for (int fd = 0; fd < max; fd++) {
			struct file *f = fdt_get_file(files, fd);
			if (!f)
				continue;
			file_put(f);
			char name[16];
			snprintf(name, sizeof(name), "%d", fd);
			struct proc_ent e = { .kind = pe->kind == PE_FD_DIR ? P_FD_LINK : P_FDINFO,
					      .tgid = de->tgid, .tid = de->tid, .thread = de->thread,
					      .index = -1, .fd = fd };
			if (emit_ent(emit, ctx, name, &e, pe->kind == PE_FD_DIR ? S_IFLNK : S_IFREG))
				break;
		}
		if (files)
			fdt_put(files);
	} else {
		rc = -ENOTDIR;
	}
	proc_target_put(&pt);
	return rc;
}

static int proc_readdir(struct dentry *dir, vfs_emit_fn emit, void *ctx)
{
	const struct proc_ent *de = ent_of(dir);
	switch (de->kind) {
	case P_ROOT:
		return readdir_root(emit, ctx);
	case P_GLOBAL:
		readdir_global(de->index, emit, ctx);
		return 0;
	case P_PID:
	case P_TID:
		return readdir_pid_dir(de, emit, ctx);
	case P_ENTRY:
		return readdir_sub_dir(de, emit, ctx);
	default:
		return -ENOTDIR;
	}
}

/* ---- links ---- */

/* The object a magic link names: (mnt, dentry) references, or a pathless file. */
static int link_target(const struct proc_ent *e, struct path *p, struct file **anon)
{
	*anon = NULL;
	struct proc_target pt;
	if (target_of(e, &pt))
		return -ENOENT;
	int rc = proc_ptrace_check(&pt);
	const char *name = e->kind == P_ENTRY ? proc_pid_entries[e->index].name : "";
	if (rc) {
		/* EACCES */
	} else if (!pt.t) {
		rc = -ENOENT;                   /* a zombie has no files, cwd or root */
	} else if (e->kind == P_FD_LINK || !strcmp(name, "exe")) {
		struct file *f = e->kind == P_FD_LINK ? target_fd(&pt, e->fd) : task_get_exe(pt.t);
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
	} else if (!strcmp(name, "cwd") || !strcmp(name, "root")) {
		if (!pt.t->fs)
			rc = -ENOENT;
		else if (name[0] == 'c')
			fsctx_get_cwd(pt.t->fs, p);
		else
			fsctx_get_root(pt.t->fs, p);
	} else {
		rc = -EINVAL;
	}
	proc_target_put(&pt);
	return rc;
}

static long copy_text(const char *s, char *buf, size_t cap)
{
	size_t n = MIN(strlen(s), cap);
	memcpy(buf, s, n);
	return (long)n;
}

static long ns_link_text(const struct proc_ent *e, char *buf, size_t cap)
{
	struct proc_target pt;
	if (target_of(e, &pt))
		return -ENOENT;
	int rc = proc_ptrace_check(&pt);
	proc_target_put(&pt);
	if (rc)
		return rc;
	const struct ns_entry *ns = &proc_ns_entries[e->index];
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s:[%lu]", ns->type, ns->ino);
	return copy_text(tmp, buf, cap);
}

static long proc_readlink(struct dentry *d, char *buf, size_t cap)
{
	const struct proc_ent *e = ent_of(d);
	char tmp[VFS_PATH_MAX];
	switch (e->kind) {
	case P_SELF:
	case P_THREAD_SELF: {
		struct task *t = task_current();
		if (!t)
			return -ENOENT;
		if (e->kind == P_SELF)
			snprintf(tmp, sizeof(tmp), "%d", t->tg->tgid);
		else
			snprintf(tmp, sizeof(tmp), "%d/task/%d", t->tg->tgid, t->tid);
		return copy_text(tmp, buf, cap);
	}
	case P_GLOBAL:
		if (!proc_global_entries[e->index].link)
			return -EINVAL;
		return copy_text(proc_global_entries[e->index].link, buf, cap);
	case P_NS_LINK:
		return ns_link_text(e, buf, cap);
	case P_FD_LINK:
	case P_ENTRY:
		break;
	default:
		return -EINVAL;
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

/* A detached dentry for what an ns link opens (stat shows its namespace inode). */
static int ns_file(const struct proc_ent *e, struct dentry **out)
{
	struct proc_target pt;
	if (target_of(e, &pt))
		return -ENOENT;
	int rc = proc_ptrace_check(&pt);
	proc_target_put(&pt);
	if (rc)
		return rc;
	struct proc_ent ne = *e;
	ne.kind = P_NS_FILE;
	char name[64];
	const struct ns_entry *ns = &proc_ns_entries[e->index];
	snprintf(name, sizeof(name), "%s:[%lu]", ns->type, ns->ino);
	struct dentry *d = proc_make(NULL, name, S_IFREG | 0444, &ne, 0, 0);
	if (!d)
		return -ENOMEM;
	d->inode->ino = ns->ino;
	*out = d;
	return 0;
}

static int proc_get_link_path(struct dentry *d, struct mount **mnt, struct dentry **target)
{
	const struct proc_ent *e = ent_of(d);
	if (e->kind == P_NS_LINK) {
		*mnt = mount_list();   /* any mount: only the dentry matters */
		return ns_file(e, target);
	}
	if (e->kind != P_FD_LINK && e->kind != P_ENTRY)
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
		*mnt = mount_list();
		*target = nd;
		return 0;
	}
	*mnt = p.mnt;
	*target = p.dentry;
	return 0;
}

/* ---- files ---- */

struct proc_file {
	char *text;
	long len;
};

static int proc_open(struct dentry *d, struct file *f)
{
	const struct proc_ent *e = ent_of(d);
	if (!S_ISREG(d->inode->mode) || e->kind == P_NS_FILE)
		return 0;
	/* Read-only sysctls refuse writers, root included (proc_sys_permission). */
	if (e->kind == P_GLOBAL && proc_global_entries[e->index].parent >= 0 &&
	    proc_global_entries[e->index].parent != proc_global_net_dir &&
	    !proc_global_entries[e->index].write && (f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	if (e->kind == P_ENTRY || e->kind == P_FDINFO) {
		struct proc_target pt;
		if (target_of(e, &pt))
			return -ENOENT;
		int rc = 0;
		bool mem = e->kind == P_ENTRY && (proc_pid_entries[e->index].flags & PE_MEM);
		if (mem)
			rc = proc_mem_open(&pt, f);
		else if (e->kind == P_FDINFO || (proc_pid_entries[e->index].flags & PE_PTRACE))
			rc = proc_ptrace_check(&pt);
		proc_target_put(&pt);
		if (rc || mem)
			return rc;
	}
	struct proc_file *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	f->priv = pf;
	return 0;
}

static long proc_generate(const struct proc_ent *e, char **out)
{
	struct sbuf b = { 0 };
	long rc;
	if (e->kind == P_GLOBAL) {
		rc = proc_global_entries[e->index].gen(&b);
	} else {
		struct proc_target pt;
		if (target_of(e, &pt))
			return -ESRCH;
		if (e->kind == P_FDINFO)
			rc = proc_gen_fdinfo(&pt, e->fd, &b);
		else
			rc = proc_pid_entries[e->index].gen(&pt, &b);
		proc_target_put(&pt);
	}
	if (rc < 0) {
		free(b.p);
		return rc;
	}
	return sb_done(&b, out);
}

static ssize_t proc_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct proc_file *pf = f->priv;
	if (!pf || !f->dentry)
		return -EINVAL;
	if (!pf->text || off == 0) {
		char *text;
		long len = proc_generate(ent_of(f->dentry), &text);
		if (len < 0)
			return len;
		free(pf->text);
		pf->text = text;
		pf->len = len;
	}
	return vfs_read_text(pf->text, (size_t)pf->len, iov, iovcnt, off);
}

static ssize_t proc_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	if (!f->priv || !f->dentry)
		return -EINVAL;
	const struct proc_ent *e = ent_of(f->dentry);
	global_write_fn gw = e->kind == P_GLOBAL ? proc_global_entries[e->index].write : NULL;
	proc_write_fn pw = e->kind == P_ENTRY ? proc_pid_entries[e->index].write : NULL;
	if (!gw && !pw)         /* /proc/uptime and friends: EIO (proc_reg_write) */
		return e->kind == P_GLOBAL ? -EIO : -EINVAL;
	size_t total = iov_total(iov, iovcnt);
	char buf[4096];
	size_t n = iov_to_buf(iov, iovcnt, 0, buf, MIN(total, sizeof(buf)));
	long rc;
	if (gw) {
		rc = gw(buf, n);
	} else {
		struct proc_target pt;
		if (target_of(e, &pt))
			return -ESRCH;
		rc = pw(&pt, buf, n);
		proc_target_put(&pt);
	}
	return rc < 0 ? rc : (ssize_t)total;
}

static void proc_release(struct file *f)
{
	struct proc_file *pf = f->priv;
	if (pf) {
		free(pf->text);
		free(pf);
	}
}

/*
 * Unlocked: contents are generated from processes and address spaces, whose
 * locks (kernel.lock, mm->lock) may be held by a thread that then takes
 * vfs_lock (a fault on a shared file page, an munmap dropping a file), so
 * vfs_lock must not be held around them. The generators take vfs_lock
 * themselves where they read the VFS (file_path).
 */
static const struct file_ops proc_file_fops = {
	.read = proc_read,
	.write = proc_write,
	.release = proc_release,
	.unlocked = true,
};

/* chmod is refused; O_TRUNC and the rest are accepted and change nothing (proc_setattr). */
static int proc_setattr(struct dentry *d, const struct vfs_attr *attr)
{
	return (attr->mask & ATTR_MODE) ? -EPERM : 0;
}

static const struct inode_ops proc_iops = {
	.lookup = proc_lookup,
	.readdir = proc_readdir,
	.readlink = proc_readlink,
	.get_link_path = proc_get_link_path,
	.open = proc_open,
	.setattr = proc_setattr,
};

int procfs_create(struct super_block **sbp, struct dentry **rootp)
{
	proc_sb = sb_create("proc", PROC_SUPER_MAGIC);
	if (!proc_sb)
		return -ENOMEM;
	proc_sb->readonly = false;
	struct proc_ent e = { .kind = P_ROOT, .index = -1, .fd = -1 };
	vfs_lock();
	struct dentry *root = proc_make(NULL, "/", S_IFDIR | 0555, &e, 0, 0);
	vfs_unlock();
	if (!root)
		return -ENOMEM;
	*sbp = proc_sb;
	*rootp = root;
	return 0;
}
