/*
 * procfs internals shared by procfs.c (the tree: lookups, listings, links,
 * open/read/write), proc_pid.c (what /proc/PID/... files say) and
 * proc_global.c (/proc/meminfo, /proc/stat, /proc/sys/...).
 */
#ifndef FS_PROCFS_PROCFS_INTERNAL_H
#define FS_PROCFS_PROCFS_INTERNAL_H

#include "fs/vfs_internal.h"
#include "sentry/task.h"

#define PROC_UTS_RELEASE "6.1.0-sandbox"
#define PROC_UTS_VERSION "#1 SMP PREEMPT_DYNAMIC"
#define PROC_HZ 100                    /* USER_HZ: clock ticks in /proc */

/* ---- text buffers (like seq_file) ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_put(struct sbuf *b, const char *s, size_t n);
/* A string with space, tab, newline and backslash escaped as octal (mangle()). */
void sb_put_escaped(struct sbuf *b, const char *s);
/* Hand the text over: its length, or -ENOMEM. */
long sb_done(struct sbuf *b, char **out);

/* ---- per-process entries (proc_pid.c) ---- */

/*
 * The process a /proc/PID/... file describes, looked up again at every
 * generation: a snapshot of its state and, unless it is a zombie, one of
 * its live threads (a reference).
 */
struct proc_target {
	struct task_info info;
	struct task *t;                /* NULL for a zombie */
	bool thread;                   /* seen through /proc/PID/task/TID */
};

typedef long (*proc_gen_fn)(struct proc_target *pt, struct sbuf *b);
/* Write len bytes (a host copy); the count consumed or -errno. */
typedef long (*proc_write_fn)(struct proc_target *pt, const char *buf, size_t len);

/* PE_NET_DIR: /proc/PID/net, whose entries are proc_global_entries' net directory. */
enum pid_entry_kind { PE_FILE, PE_LINK, PE_FD_DIR, PE_FDINFO_DIR, PE_NS_DIR, PE_TASK_DIR,
		      PE_NET_DIR };

#define PE_PTRACE 0x1                  /* open/follow needs ptrace read access */
#define PE_TGID_ONLY 0x2               /* only in /proc/PID, not in task/TID */
#define PE_TID_ONLY 0x4                /* only in task/TID */
#define PE_MEM 0x8                     /* /proc/PID/mem: proc_mem.c's file */

struct pid_entry {
	const char *name;
	uint32_t mode;
	enum pid_entry_kind kind;
	proc_gen_fn gen;
	proc_write_fn write;
	unsigned flags;
};

extern const struct pid_entry proc_pid_entries[];
extern const size_t proc_pid_nentries;

/* Entries of /proc/PID/ns: name and namespace inode number. */
struct ns_entry {
	const char *name;
	const char *type;
	uint64_t ino;
};
extern const struct ns_entry proc_ns_entries[];
extern const size_t proc_ns_nentries;

/* Resolve (tgid, tid) into *pt: 0 or -ENOENT. Release with proc_target_put. */
int proc_target_get(int tgid, int tid, bool thread, struct proc_target *pt);
void proc_target_put(struct proc_target *pt);

/* ptrace_may_access(PTRACE_MODE_READ_FSCREDS) for the calling task: 0 or -EACCES. */
int proc_ptrace_check(const struct proc_target *pt);

/*
 * Open /proc/PID/mem of pt for f (proc_mem.c): the PTRACE_MODE_ATTACH
 * check, then f reads and writes that address space. 0, -EACCES or -ESRCH.
 */
int proc_mem_open(struct proc_target *pt, struct file *f);

/* /proc/PID/fdinfo/FD; -ENOENT if fd is not open. */
long proc_gen_fdinfo(struct proc_target *pt, int fd, struct sbuf *b);

/* /proc/mounts and /proc/PID/mountinfo, relative to t's root (t NULL: the sandbox's). */
long proc_gen_mounts(struct task *t, struct sbuf *b);

/* mount ids as statx(STATX_MNT_ID) reports them. */
int proc_mount_id(struct mount *m);

/* ---- global entries (proc_global.c) ---- */

typedef long (*global_gen_fn)(struct sbuf *b);
typedef long (*global_write_fn)(const char *buf, size_t len);

struct global_entry {
	const char *name;
	int parent;                    /* index of its directory here, or -1: /proc itself */
	uint32_t mode;
	global_gen_fn gen;             /* regular files */
	global_write_fn write;         /* writable /proc/sys files */
	const char *link;              /* symlinks: their text */
};

extern const struct global_entry proc_global_entries[];
extern const size_t proc_global_nentries;
/*
 * The index of the directory whose entries /proc/PID/net lists (/proc/net
 * is a link to self/net, as on Linux); its own parent is -2: no directory
 * of the table lists it.
 */
extern const int proc_global_net_dir;

/* Online CPUs of the sandbox. */
int proc_ncpus(void);

#endif
