/*
 * One sandbox per host process: boot it (MemoryFile, platform, VFS),
 * create its first process, let it run, wait for it; start more processes
 * in it and signal them from outside (the OCI runtime's exec and kill).
 * `sandbox run` is all of it at once (sandbox_run).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fs/vfs.h"
#include "net/net.h"
#include "platform/platform.h"
#include "sentry/exec.h"
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/memcg.h"
#include "sentry/memfile.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/seccomp.h"
#include "sentry/sentry.h"
#include "syscalls/table.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_MEM_LIMIT (4ULL << 30)

/*
 * This process's sandbox. boot_fs is the fs context the first process
 * starts with; exec'd processes get a copy of it (its root is the
 * container's root). init is the first process until it is started.
 */
static struct {
	bool booted;
	struct fs_context *boot_fs;        /* one reference */
	struct task *init;                 /* created, not yet started (one reference) */
	bool init_started;
	pthread_mutex_t lock;              /* init, init_started */
} sb = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct sandbox_proc {
	struct thread_group *tg;           /* one reference */
	int pid;
};

static int fail(char *err, size_t errlen, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return status;
}

/* Donate host fds to the guest: stdio[i] as fd i, extra[j] as fd 3+j (those open). */
static int donate_fds(struct task *t, const struct sandbox_process *p)
{
	size_t n = 3 + p->nextra_fds;
	for (size_t i = 0; i < n; i++) {
		int host = i < 3 ? p->stdio[i] : p->extra_fds[i - 3];
		if (host < 0 || fcntl(host, F_GETFD) < 0)
			continue;
		int copy = fcntl(host, F_DUPFD_CLOEXEC, 3);
		if (copy < 0)
			return -errno;
		struct file *f = vfs_host_fd_file(copy);
		if (!f) {
			close(copy);
			return -ENOMEM;
		}
		int rc = fdt_install_at(t->files, (int)i, f, 0, 1ULL << 20);
		file_put(f);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const char *env_lookup(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/*
 * Find and exec the program the way a shell does: names with a slash are
 * used as they are, others are searched in the guest's PATH.
 */
static int exec_initial(struct task *t, char *const argv[], char *const envp[], char **which)
{
	const char *prog = argv[0];
	if (strchr(prog, '/')) {
		*which = strdup(prog);
		return exec_program(t, prog, argv, envp);
	}
	const char *path = env_lookup(envp, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	int first_err = -ENOENT;
	while (*path) {
		const char *colon = strchrnul(path, ':');
		char cand[4096];
		int n = snprintf(cand, sizeof(cand), "%.*s%s%s", (int)(colon - path), path,
				 colon == path ? "" : "/", prog);
		if (n > 0 && (size_t)n < sizeof(cand)) {
			int rc = exec_program(t, cand, argv, envp);
			if (rc == 0) {
				*which = strdup(cand);
				return 0;
			}
			if (rc != -ENOENT && rc != -ENOTDIR && first_err == -ENOENT)
				first_err = rc;
		}
		path = *colon ? colon + 1 : colon;
	}
	*which = strdup(prog);
	return first_err;
}

static int open_strace(const char *path)
{
	if (!path)
		return -1;
	if (!path[0] || strcmp(path, "-") == 0)
		return fcntl(2, F_DUPFD_CLOEXEC, 3);
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

int sandbox_parse_size(const char *s, uint64_t *out)
{
	if (!s[0] || strchr(s, '%') || s[0] == '-')
		return -1;
	return vfs_parse_size(s, 0, out) == 0 && *out ? 0 : -1;
}

/* --net=sandbox: /etc/resolv.conf in the overlay names the DNS alias (slirp's 10.0.2.3). */
static int write_resolv_conf(struct fs_context *fs)
{
	static const char text[] = "# written by sandbox --net=sandbox\nnameserver 10.0.2.3\n";
	struct cred root;
	cred_init_root(&root);
	/* The host's file may be a symlink into /run: replace the name itself. */
	vfs_unlinkat(fs, &root, NULL, "/etc/resolv.conf", 0);
	struct file *f;
	int rc = vfs_openat(fs, &root, NULL, "/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC,
			    0644, &f);
	if (rc)
		return rc;
	struct iovec iov = { (void *)text, sizeof(text) - 1 };
	ssize_t n = vfs_writev(f, &iov, 1, NULL);
	file_put(f);
	return n < 0 ? (int)n : 0;
}

/* Does a whitespace-separated field of some non-comment line of text equal name? */
static bool hosts_lists(const char *text, const char *name)
{
	size_t len = strlen(name);
	for (const char *line = text, *end; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		end = end ? end : line + strlen(line);
		const char *eol = end;
		const char *hash = memchr(line, '#', eol - line);
		eol = hash ? hash : eol;
		for (const char *p = line; p < eol;) {
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			const char *q = p;
			while (q < eol && *q != ' ' && *q != '\t' && *q != '\r')
				q++;
			if ((size_t)(q - p) == len && !memcmp(p, name, len))
				return true;
			p = q + (q < eol);
		}
	}
	return false;
}

/*
 * `sandbox run`: the guest's hostname resolves, as in a Docker container
 * (127.0.1.1 in /etc/hosts, appended in the overlay when the file does not
 * name it). Not when /etc or /etc/hosts is a mount of the caller's (a bind
 * would change a host file) or the root is read-only; best effort.
 */
static void add_hostname_to_hosts(struct fs_context *fs, const struct sandbox_config *cfg)
{
	if (cfg->rootfs_readonly)
		return;
	for (size_t i = 0; i < cfg->nmounts; i++) {
		const char *d = cfg->mounts[i].dst;
		if (!strcmp(d, "/") || !strcmp(d, "/etc") || !strcmp(d, "/etc/hosts"))
			return;
	}
	struct cred root;
	cred_init_root(&root);
	struct file *f;
	if (vfs_openat(fs, &root, NULL, "/etc/hosts", O_RDWR | O_APPEND, 0, &f))
		return;
	static char text[16384];
	ssize_t n = vfs_pread(f, text, sizeof(text) - 1, 0);
	if (n >= 0 && (size_t)n < sizeof(text) - 1) {
		text[n] = 0;
		if (!hosts_lists(text, kernel.hostname)) {
			char line[128];
			int len = snprintf(line, sizeof(line), "%s127.0.1.1\t%s\n",
					   n > 0 && text[n - 1] != '\n' ? "\n" : "", kernel.hostname);
			struct iovec iov = { line, (size_t)len };
			vfs_writev(f, &iov, 1, NULL);
		}
	}
	file_put(f);
}

/* mkdir -p of a guest path, as root (mountpoints, the working directory). */
static int make_guest_dirs(struct fs_context *fs, const char *path)
{
	struct cred root;
	cred_init_root(&root);
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != 0)
			continue;
		char c = *p;
		*p = 0;
		int rc = buf[0] ? vfs_mkdirat(fs, &root, NULL, buf, 0755) : 0;
		if (rc && rc != -EEXIST)
			return rc;
		*p = c;
		if (!c || !p[1])
			return 0;
	}
}

/* A boot mount of a guest file system type (proc, sysfs, tmpfs with options...). */
static int mount_fstype(struct fs_context *fs, const struct sandbox_mount *sm)
{
	int rc = make_guest_dirs(fs, sm->dst);
	if (rc)
		return rc;
	struct cred root;
	cred_init_root(&root);
	rc = vfs_mount(fs, &root, sm->src ? sm->src : sm->fstype, sm->dst, sm->fstype,
		       sm->flags & ~MS_RDONLY, sm->data);
	/* Read-only as a remount, as mount(8) does when a file system refuses ro at first. */
	if (!rc && ((sm->flags & MS_RDONLY) || sm->readonly))
		rc = vfs_mount(fs, &root, NULL, sm->dst, NULL,
			       MS_REMOUNT | MS_RDONLY | (sm->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)),
			       NULL);
	return rc;
}

static int mount_all(struct fs_context *fs, const struct sandbox_config *cfg, char *err,
		     size_t errlen)
{
	for (size_t i = 0; i < cfg->nmounts; i++) {
		const struct sandbox_mount *sm = &cfg->mounts[i];
		int rc;
		if (sm->fstype) {
			rc = mount_fstype(fs, sm);
		} else {
			struct vfs_cli_mount cm = {
				.host_src = sm->tmpfs ? NULL : sm->src, .dst = sm->dst,
				.readonly = sm->readonly, .size = sm->size,
			};
			rc = vfs_mount_cli(fs, &cm);
		}
		if (rc)
			return fail(err, errlen, SANDBOX_EXIT_USAGE, "mount %s on %s: %s",
				    sm->fstype ? sm->fstype : sm->tmpfs ? "tmpfs" : sm->src, sm->dst,
				    strerror(-rc));
	}
	if (cfg->rootfs_readonly) {
		struct cred root;
		cred_init_root(&root);
		int rc = vfs_mount(fs, &root, NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL);
		if (rc)
			return fail(err, errlen, SANDBOX_EXIT_USAGE, "read-only root: %s", strerror(-rc));
	}
	return 0;
}

int sandbox_boot(const struct sandbox_config *cfg, char *err, size_t errlen)
{
	if (sb.booted)
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "the sandbox is already booted");
	log_debug_enabled = cfg->debug;
	crash_install_handlers();
	/* A closed host pipe is an EPIPE for the guest, not the sentry's death. */
	signal(SIGPIPE, SIG_IGN);
	kernel_init();
	kernel.mem_limit = cfg->mem_limit ? cfg->mem_limit : DEFAULT_MEM_LIMIT;
	kernel.pids_max = cfg->pids_max;
	if (cfg->hostname) {
		if (strlen(cfg->hostname) >= sizeof(kernel.hostname))
			return fail(err, errlen, SANDBOX_EXIT_USAGE, "hostname %s: too long",
				    cfg->hostname);
		snprintf(kernel.hostname, sizeof(kernel.hostname), "%s", cfg->hostname);
	}
	if (cfg->strace_path) {
		kernel.strace_fd = open_strace(cfg->strace_path);
		if (kernel.strace_fd < 0)
			return fail(err, errlen, SANDBOX_EXIT_USAGE, "--strace: %s: %s",
				    cfg->strace_path, strerror(errno));
	}
	sdebug("boot");
	/* Made while the memory cgroup is set up (the cgroup's move of the sentry stalls clones). */
	mf_prepare();
	/*
	 * The host memory cgroup caps the guest's pages and the sentry (its
	 * reaper moves us and our early stubs in, without making us wait).
	 * Without one (not root, read-only cgroupfs) the sandbox runs
	 * uncapped: only tmpfs and what the guest is shown follow the limit.
	 */
	char cgpath[4096], why[512];
	if (memcg_enter(kernel.mem_limit, cgpath, sizeof(cgpath), why, sizeof(why)) == 0)
		sdebug("memory cgroup %s: limit %llu + %llu bytes for the sentry", cgpath,
		       (unsigned long long)kernel.mem_limit,
		       (unsigned long long)memcg_allowance(kernel.mem_limit));
	else
		sdebug("no memory cgroup, guest memory is not capped: %s", why);
	int rc = mf_init();
	const char *platform = cfg->platform;
	if (!platform || !*platform)
		platform = getenv("SANDBOX_PLATFORM");
	if (platform && !*platform)
		platform = NULL;
	if (!rc)
		rc = plat_init(mf_fd(), platform);
	if (rc)
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "cannot start the %s platform: %s",
			    platform ? platform : "default", strerror(-rc));
	sdebug("platform: %s", plat_name());
	/* The reaper frees the guest's pages after the sentry's exit, not during it. */
	memcg_keep_file(mf_fd());
	/* The first process's thread makes its stub while the program loads. */
	task_prestart();
	struct vfs_boot_config vcfg = {
		.rootfs = cfg->rootfs ? cfg->rootfs : "/",
		.tmpfs_limit = kernel.mem_limit,
	};
	struct fs_context *fs;
	rc = vfs_boot(&vcfg, &fs);
	if (rc)
		return fail(err, errlen, SANDBOX_EXIT_USAGE,
			    "cannot use %s as the root file system: %s", vcfg.rootfs, strerror(-rc));
	rc = mount_all(fs, cfg, err, errlen);
	if (rc) {
		fsctx_put(fs);
		return rc;
	}
	struct net_config ncfg = {
		.egress = cfg->net_egress,
		.allow_net = cfg->allow_net, .nallow_net = cfg->nallow_net,
		.allow_host = cfg->allow_host, .nallow_host = cfg->nallow_host,
		.publish = cfg->publish, .npublish = cfg->npublish,
		.dns = cfg->dns,
	};
	char nerr[512];
	if (net_configure(&ncfg, nerr, sizeof(nerr))) {
		fsctx_put(fs);
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "%s", nerr);
	}
	if (cfg->net_egress && (rc = write_resolv_conf(fs))) {
		fsctx_put(fs);
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "/etc/resolv.conf: %s", strerror(-rc));
	}
	sdebug("vfs booted");
	sb.boot_fs = fs;
	sb.booted = true;
	return 0;
}

/* Credentials, limits and working directory of a new process from p. */
static int set_identity(struct task *t, const struct sandbox_process *p)
{
	cred_init_root(&t->cred);
	if (p->has_user) {
		struct cred *c = &t->cred;
		c->uid = c->euid = c->suid = c->fsuid = p->uid;
		c->gid = c->egid = c->sgid = c->fsgid = p->gid;
		if (p->ngroups) {
			if (p->ngroups > CRED_NGROUPS_MAX)
				return -EINVAL;
			c->groups = malloc(p->ngroups * sizeof(uint32_t));
			if (!c->groups)
				return -ENOMEM;
			memcpy(c->groups, p->groups, p->ngroups * sizeof(uint32_t));
			c->ngroups = (uint32_t)p->ngroups;
		}
		if (p->uid != 0)
			c->cap_effective = c->cap_permitted = 0;
	}
	if (p->has_caps) {
		t->cred.cap_effective = p->cap_effective & CAP_FULL_SET;
		t->cred.cap_permitted = p->cap_permitted & CAP_FULL_SET;
		t->cred.cap_inheritable = p->cap_inheritable & CAP_FULL_SET;
		t->cred.cap_bounding = p->cap_bounding & CAP_FULL_SET;
	}
	for (size_t i = 0; i < p->nrlimits; i++) {
		const struct sandbox_rlimit *rl = &p->rlimits[i];
		if (rl->resource < 0 || rl->resource >= RLIM_NLIMITS || rl->soft > rl->hard)
			return -EINVAL;
		t->tg->rlimits[rl->resource].rlim_cur = rl->soft;
		t->tg->rlimits[rl->resource].rlim_max = rl->hard;
	}
	if (p->has_oom_score_adj)
		t->tg->oom_score_adj = p->oom_score_adj;
	return 0;
}

/*
 * no_new_privs and the runtime's seccomp filter, after the credentials
 * (runc's order: the filter is the last thing before execve). The filter
 * needs neither no_new_privs nor CAP_SYS_ADMIN: the runtime installs it,
 * not the guest. 0 or an exit status with a message.
 */
static int set_seccomp(struct task *t, const struct sandbox_process *p, char *err, size_t errlen)
{
	if (p->no_new_privs)
		t->cred.no_new_privs = true;
	if (!p->seccomp)
		return 0;
	int rc = seccomp_install(t, p->seccomp->insns, p->seccomp->len, p->seccomp->log);
	if (rc)
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "seccomp filter: %s",
			    rc == -EINVAL ? "refused by the checker" : strerror(-rc));
	/*
	 * Under runc the process's own execve(2) is the first call the filter
	 * sees; here the sentry loads the program, so ask the filter what it
	 * would have done with that execve (its arguments are pointers into
	 * runc's memory, so zeros here) and fail as the exec would have.
	 */
	uint32_t r = seccomp_task_action(t, __NR_execve, NULL);
	uint32_t action = r & SECCOMP_RET_ACTION_FULL;
	if (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG)
		return 0;
	if (action == SECCOMP_RET_ERRNO) {
		unsigned e = r & SECCOMP_RET_DATA;
		if (!e)
			return fail(err, errlen, SANDBOX_EXIT_NOEXEC, "%s: exec: the seccomp profile "
				    "makes execve return 0 without running it", p->argv[0]);
		return fail(err, errlen, SANDBOX_EXIT_NOEXEC, "%s: exec: %s (the seccomp profile "
			    "refuses execve)", p->argv[0], strerror(e > 4095 ? 4095 : (int)e));
	}
	if (action == SECCOMP_RET_TRACE || action == SECCOMP_RET_USER_NOTIF)
		return fail(err, errlen, SANDBOX_EXIT_NOEXEC, "%s: exec: %s (the seccomp profile "
			    "traces execve and there is no tracer)", p->argv[0], strerror(ENOSYS));
	return fail(err, errlen, SANDBOX_EXIT_NOEXEC, "%s: exec: the seccomp profile %s execve",
		    p->argv[0], action == SECCOMP_RET_TRAP ? "traps (SIGSYS)" : "kills (SIGSYS)");
}

/*
 * A new process from p with fs as its fs context (taken over), loaded but
 * not started. 0 and *out, or an exit status with a message.
 */
static int make_process(const struct sandbox_process *p, struct fs_context *fs, bool is_init,
			struct task **out, char *err, size_t errlen)
{
	struct task *t = task_alloc();
	if (!t) {
		fsctx_put(fs);
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "out of memory");
	}
	t->fs = fs;
	t->files = fdt_create();
	t->mm = mm_create();
	t->strace = kernel.strace_fd >= 0;
	if (!t->files || !t->mm) {
		task_put(t);
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "out of memory");
	}
	int rc = set_identity(t, p);
	if (rc) {
		task_put(t);
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "process credentials: %s", strerror(-rc));
	}
	rc = set_seccomp(t, p, err, errlen);
	if (rc) {
		task_put(t);
		return rc;
	}
	if (p->umask >= 0)
		fsctx_umask(fs, p->umask);
	rc = donate_fds(t, p);
	if (rc) {
		task_put(t);
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "stdio: %s", strerror(-rc));
	}
	if (is_init && !p->cwd) {
		/*
		 * `sandbox run` with the host's own root starts where the caller
		 * is (as proot and `runsc do` do), so relative paths mean the
		 * same inside; else "/".
		 */
		char host_cwd[4096];
		if (getcwd(host_cwd, sizeof(host_cwd)))
			fsctx_chdir(fs, &t->cred, host_cwd);
	}
	if (p->cwd && p->make_cwd)
		make_guest_dirs(fs, p->cwd);     /* a failure shows in the chdir below */
	if (p->cwd) {
		rc = fsctx_chdir(fs, &t->cred, p->cwd);
		if (rc) {
			task_put(t);
			return fail(err, errlen, SANDBOX_EXIT_USAGE, "cwd %s: %s", p->cwd, strerror(-rc));
		}
	}
	char *which = NULL;
	rc = exec_initial(t, p->argv, p->envp, &which);
	if (rc) {
		int st = rc == -ENOENT || rc == -ENOTDIR ? SANDBOX_EXIT_NOTFOUND : SANDBOX_EXIT_NOEXEC;
		fail(err, errlen, st, "%s: %s", which ? which : p->argv[0],
		     rc == -ENOENT ? "command not found" : strerror(-rc));
		free(which);
		task_put(t);
		return st;
	}
	free(which);
	*out = t;
	return 0;
}

int sandbox_create_init(const struct sandbox_process *p, char *err, size_t errlen)
{
	if (!sb.booted || sb.init)
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "the sandbox has a first process already");
	fsctx_get(sb.boot_fs);
	struct task *t;
	int rc = make_process(p, sb.boot_fs, true, &t, err, errlen);
	if (rc)
		return rc;
	t->tid = 1;
	t->tg->tgid = 1;
	t->tg->pgid = t->tg->sid = 1;
	sdebug("program loaded");
	pthread_mutex_lock(&sb.lock);
	sb.init = t;
	pthread_mutex_unlock(&sb.lock);
	return 0;
}

int sandbox_start_init(void)
{
	pthread_mutex_lock(&sb.lock);
	struct task *t = sb.init;
	int rc = !t ? -ESRCH : sb.init_started ? -EALREADY : 0;
	if (!rc) {
		sb.init_started = true;
		rc = task_start(t);
		if (rc)
			slog("cannot start the first task: %s", strerror(-rc));
	}
	pthread_mutex_unlock(&sb.lock);
	return rc;
}

bool sandbox_init_started(void)
{
	pthread_mutex_lock(&sb.lock);
	bool started = sb.init_started;
	pthread_mutex_unlock(&sb.lock);
	return started;
}

static int status_code(int status)
{
	if ((status & 0x7f) == 0)
		return (status >> 8) & 0xff;
	return 128 + (status & 0x7f);
}

int sandbox_wait(void)
{
	return status_code(kernel_wait_init());
}

static int signal_from_outside_locked(struct thread_group *tg, int sig);

/*
 * `sandbox run` stands for the program it runs: signals the host sends it
 * go to the guest. Terminal signals (^C, ^\ and a window size change) reach
 * the guest's foreground process group on the host terminal (the group of
 * pid 1 until the guest picks one with TIOCSPGRP), as the terminal would
 * send them; SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 reach pid 1. Unlike
 * signals sent by the OCI runtime's kill, these are delivered even when
 * pid 1 has no handler: the CLI's program is not a container's init, and
 * ^C must end `sandbox run -- sleep 60` as it ends `sleep 60`. SIGTSTP
 * keeps its default action and stops the whole sandbox.
 *
 * The OCI daemon forwards only the terminal's three, from the container's
 * terminal, and keeps init's protection: as in a container on Linux, ^C
 * reaches a shell's foreground job, or pid 1 if it handles SIGINT.
 */
static const int forwarded_signals[] = { SIGINT, SIGQUIT, SIGWINCH, SIGTERM, SIGHUP, SIGUSR1,
					 SIGUSR2 };
#define TERMINAL_SIGNALS 3      /* the first three of forwarded_signals */

static struct {
	sigset_t set;
	bool protect_init;
} fwd;

struct fwd_pgrp {
	int pgrp, sig;
	bool found;
};

static void fwd_one_locked(struct thread_group *tg, void *arg)
{
	struct fwd_pgrp *f = arg;
	if (tg->pgid != f->pgrp || tg->zombie)
		return;
	f->found = true;
	if (fwd.protect_init)
		signal_from_outside_locked(tg, f->sig);
	else
		process_signal_locked(tg, f->sig);
}

/* Send sig to every process of group pgrp; false if there is none. */
static bool fwd_pgrp(int pgrp, int sig)
{
	int sid = pgrp > 0 ? process_session_of(pgrp) : -ESRCH;
	if (sid < 0)
		return false;
	struct fwd_pgrp f = { pgrp, sig, false };
	pthread_mutex_lock(&kernel.lock);
	process_for_each_in_session_locked(sid, fwd_one_locked, &f);
	pthread_mutex_unlock(&kernel.lock);
	return f.found;
}

static void *forward_signals_thread(void *arg)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&fwd.set, &si);
		if (sig < 0)
			continue;
		if (sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH) {
			pthread_mutex_lock(&kernel.lock);
			int pgrp = kernel.host_tty_pgrp;
			pthread_mutex_unlock(&kernel.lock);
			int pgid, sid;
			if (!fwd_pgrp(pgrp, sig) && process_get_ids(NULL, 1, &pgid, &sid) == 0)
				fwd_pgrp(pgid, sig);
		} else if (fwd.protect_init) {
			pthread_mutex_lock(&kernel.lock);
			struct thread_group *tg = process_find_locked(1);
			if (tg)
				signal_from_outside_locked(tg, sig);
			pthread_mutex_unlock(&kernel.lock);
		} else {
			process_signal_tgid(1, sig);
		}
	}
	return NULL;
}

void sandbox_forward_signals(bool terminal_only)
{
	sigemptyset(&fwd.set);
	size_t n = terminal_only ? TERMINAL_SIGNALS
				 : sizeof(forwarded_signals) / sizeof(forwarded_signals[0]);
	for (size_t i = 0; i < n; i++)
		sigaddset(&fwd.set, forwarded_signals[i]);
	fwd.protect_init = terminal_only;
	/* Blocked in every sentry thread (threads inherit the mask; stubs clear
	 * theirs) and taken in one. */
	if (pthread_sigmask(SIG_BLOCK, &fwd.set, NULL))
		return;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, forward_signals_thread, NULL))
		pthread_sigmask(SIG_UNBLOCK, &fwd.set, NULL);
	pthread_attr_destroy(&attr);
}

int sandbox_run(const struct sandbox_config *cfg)
{
	char err[1024];
	sandbox_forward_signals(false);
	int rc = sandbox_boot(cfg, err, sizeof(err));
	if (!rc)
		add_hostname_to_hosts(sb.boot_fs, cfg);
	if (!rc) {
		struct sandbox_process p = {
			.argv = cfg->argv, .envp = cfg->envp, .cwd = cfg->cwd,
			.umask = -1, .stdio = { 0, 1, 2 },
		};
		/* Only `sandbox run` on the host's own root starts in the caller's directory. */
		if (!p.cwd && cfg->rootfs)
			p.cwd = "/";
		rc = sandbox_create_init(&p, err, sizeof(err));
	}
	if (!rc && sandbox_start_init())
		return SANDBOX_EXIT_USAGE;
	if (rc) {
		slog("%s", err);
		return rc;
	}
	return sandbox_wait();
}

/* ---- signals and processes from outside (the OCI runtime's kill, ps, exec) ---- */

static int signal_from_outside_locked(struct thread_group *tg, int sig)
{
	if (tg->zombie)
		return 0;
	/*
	 * The first process is a pid namespace's init seen from its parent
	 * namespace: only SIGKILL, SIGSTOP and handled signals reach it (Linux's
	 * SIGNAL_UNKILLABLE with a forced sender).
	 */
	if (tg->tgid == 1 && sig != SIGKILL && sig != SIGSTOP && sig != 0 &&
	    tg->actions[sig - 1].handler == (uint64_t)SIG_DFL)
		return 0;
	if (sig == 0)
		return 0;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_USER;     /* si_pid 0: the sender is outside the namespace */
	return process_signal_info_locked(tg, sig, &info);
}

int sandbox_signal(int pid, int sig, bool all)
{
	if (sig < 0 || sig > GUEST_NSIG)
		return -EINVAL;
	int pids[4096];
	int n = all ? task_list_tgids(pids, 4096) : 1;
	if (!all)
		pids[0] = pid ? pid : 1;
	int rc = all ? 0 : -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	for (int i = 0; i < n; i++) {
		struct thread_group *tg = process_find_locked(pids[i]);
		if (!tg || tg->zombie)
			continue;
		int r = signal_from_outside_locked(tg, sig);
		if (!all)
			rc = r;
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

int sandbox_list_pids(int *buf, int max)
{
	return task_list_tgids(buf, max);
}

int sandbox_exec(const struct sandbox_process *p, struct sandbox_proc **out, char *err,
		 size_t errlen)
{
	if (!sb.booted)
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "the sandbox is not running");
	struct sandbox_proc *sp = calloc(1, sizeof(*sp));
	struct fs_context *fs = sp ? fsctx_clone(sb.boot_fs) : NULL;
	if (!fs) {
		free(sp);
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "out of memory");
	}
	struct task *t;
	int rc = make_process(p, fs, false, &t, err, errlen);
	if (rc) {
		free(sp);
		return rc;
	}
	/* Its pid is known before it runs: it leads its own session and group. */
	pthread_mutex_lock(&kernel.lock);
	t->tid = kernel.next_pid++;
	t->tg->refs++;
	pthread_mutex_unlock(&kernel.lock);
	t->tg->tgid = t->tg->pgid = t->tg->sid = t->tid;
	t->tg->session_leader = true;
	sp->tg = t->tg;
	sp->pid = t->tid;
	rc = task_start(t);
	task_put(t);
	if (rc) {
		tg_put(sp->tg);
		free(sp);
		return fail(err, errlen, SANDBOX_EXIT_USAGE, "cannot start the process: %s",
			    strerror(-rc));
	}
	*out = sp;
	return 0;
}

int sandbox_proc_pid(const struct sandbox_proc *sp)
{
	return sp->pid;
}

int sandbox_proc_wait(struct sandbox_proc *sp)
{
	pthread_mutex_lock(&kernel.lock);
	while (!sp->tg->zombie)
		pthread_cond_wait(&process_wait_cond, &kernel.lock);
	int st = sp->tg->exit_status;
	pthread_mutex_unlock(&kernel.lock);
	return status_code(st);
}

int sandbox_proc_signal(struct sandbox_proc *sp, int sig)
{
	if (sig < 0 || sig > GUEST_NSIG)
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	int rc = sp->tg->zombie ? -ESRCH : signal_from_outside_locked(sp->tg, sig);
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

void sandbox_proc_put(struct sandbox_proc *sp)
{
	if (!sp)
		return;
	tg_put(sp->tg);
	free(sp);
}

void sandbox_write_compat(int fd)
{
	syscall_table_write_markdown(fd);
}
