/*
 * sandbox_run: boot one sandbox (MemoryFile, platform, VFS), start its
 * first process and wait for it. Everything `sandbox run` does beyond
 * parsing its command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fs/vfs.h"
#include "platform/platform.h"
#include "sentry/exec.h"
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/memfile.h"
#include "sentry/mm.h"
#include "sentry/sentry.h"
#include "syscalls/table.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_MEM_LIMIT (4ULL << 30)

/* Donate host fds 0-2 to the guest as its fds 0-2 (those that are open). */
static int donate_stdio(struct task *t)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (copy < 0)
			return -errno;
		struct file *f = vfs_host_fd_file(copy);
		if (!f) {
			close(copy);
			return -ENOMEM;
		}
		int rc = fdt_install_at(t->files, fd, f, 0, 1024);
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

int sandbox_run(const struct sandbox_config *cfg)
{
	log_debug_enabled = cfg->debug;
	crash_install_handlers();
	/* A closed host pipe is an EPIPE for the guest, not the sentry's death. */
	signal(SIGPIPE, SIG_IGN);
	kernel_init();
	kernel.mem_limit = cfg->mem_limit ? cfg->mem_limit : DEFAULT_MEM_LIMIT;

	if (cfg->strace_path) {
		kernel.strace_fd = open_strace(cfg->strace_path);
		if (kernel.strace_fd < 0) {
			slog("--strace: %s: %s", cfg->strace_path, strerror(errno));
			return SANDBOX_EXIT_USAGE;
		}
	}
	sdebug("boot");
	int rc = mf_init();
	if (!rc)
		rc = plat_init(mf_fd());
	if (rc) {
		slog("cannot start the platform: %s", strerror(-rc));
		return SANDBOX_EXIT_USAGE;
	}
	struct vfs_boot_config vcfg = {
		.rootfs = cfg->rootfs ? cfg->rootfs : "/",
		.tmpfs_limit = kernel.mem_limit,
	};
	struct fs_context *fs;
	rc = vfs_boot(&vcfg, &fs);
	if (rc) {
		slog("cannot use %s as the root file system: %s", vcfg.rootfs, strerror(-rc));
		return SANDBOX_EXIT_USAGE;
	}

	for (size_t i = 0; i < cfg->nmounts; i++) {
		const struct sandbox_mount *sm = &cfg->mounts[i];
		struct vfs_cli_mount cm = {
			.host_src = sm->tmpfs ? NULL : sm->src, .dst = sm->dst,
			.readonly = sm->readonly, .size = sm->size,
		};
		rc = vfs_mount_cli(fs, &cm);
		if (rc) {
			slog("--mount %s%s%s: %s", sm->tmpfs ? "tmpfs" : sm->src, " at ", sm->dst,
			     strerror(-rc));
			fsctx_put(fs);
			return SANDBOX_EXIT_USAGE;
		}
	}
	sdebug("vfs booted");
	struct task *t = task_alloc();
	if (!t) {
		fsctx_put(fs);
		slog("out of memory");
		return SANDBOX_EXIT_USAGE;
	}
	cred_init_root(&t->cred);
	t->fs = fs;
	t->files = fdt_create();
	t->mm = mm_create();
	t->strace = kernel.strace_fd >= 0;
	t->tid = 1;
	t->tg->tgid = 1;
	t->tg->pgid = t->tg->sid = 1;
	if (!t->files || !t->mm) {
		slog("out of memory");
		task_put(t);
		return SANDBOX_EXIT_USAGE;
	}
	rc = donate_stdio(t);
	/*
	 * With the host's own root, start where the caller is (as proot and
	 * `runsc do` do), so relative paths mean the same inside; else "/".
	 */
	char host_cwd[4096];
	if (!rc && !cfg->cwd && !cfg->rootfs && getcwd(host_cwd, sizeof(host_cwd)))
		fsctx_chdir(fs, &t->cred, host_cwd);
	if (!rc && cfg->cwd) {
		rc = fsctx_chdir(fs, &t->cred, cfg->cwd);
		if (rc) {
			slog("--cwd %s: %s", cfg->cwd, strerror(-rc));
			task_put(t);
			return SANDBOX_EXIT_USAGE;
		}
	}
	char *which = NULL;
	if (!rc)
		rc = exec_initial(t, cfg->argv, cfg->envp, &which);
	if (rc) {
		slog("%s: %s", which ? which : cfg->argv[0],
		     rc == -ENOENT ? "command not found" : strerror(-rc));
		free(which);
		task_put(t);
		return rc == -ENOENT || rc == -ENOTDIR ? SANDBOX_EXIT_NOTFOUND : SANDBOX_EXIT_NOEXEC;
	}
	free(which);
	sdebug("program loaded");
	rc = task_start(t);
	task_put(t);
	if (rc) {
		slog("cannot start the first task: %s", strerror(-rc));
		return SANDBOX_EXIT_USAGE;
	}
	int status = kernel_wait_init();
	if ((status & 0x7f) == 0)
		return (status >> 8) & 0xff;
	return 128 + (status & 0x7f);
}

void sandbox_write_compat(int fd)
{
	syscall_table_write_markdown(fd);
}
