/*
 * The `sandbox` command line. It only parses arguments and calls the
 * sentry library.
 *
 *   sandbox run [--rootfs DIR] [--strace[=FILE]] [--env K=V]... [--cwd DIR]
 *               [--mount type=bind,src=HOSTPATH,dst=PATH[,ro]]...
 *               [--mount type=tmpfs,dst=DIR[,size=N]]... [--memory N]
 *               [--net=none|sandbox] [--allow-net CIDR[:PORT]]... [--allow-host NAME]...
 *               [--publish HOSTPORT:GUESTPORT]... [--dns IP[:PORT]|none]
 *               [--platform systrap|ptrace] [--debug] -- PROGRAM [ARG...]
 *   sandbox compat          print the syscall compatibility table (Markdown)
 *   sandbox --version
 *
 * Called as `sandbox-runc` (a hard link the Makefile makes), it is the OCI
 * runtime instead: runc's command line, in cmd/runc.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sentry/sentry.h"

#define SANDBOX_VERSION "0.1.0"

extern char **environ;

/* A CLI error: a message naming the input, printed once by main. */
struct cli_error {
	char msg[512];
};

static int cli_fail(struct cli_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sandbox run [--rootfs DIR] [--strace[=FILE]] [--env K=V]... "
		   "[--cwd DIR]\n"
		   "                   [--mount type=bind,src=HOSTPATH,dst=PATH[,ro]]... "
		   "[--mount type=tmpfs,dst=DIR[,size=N]]...\n"
		   "                   [--memory N[k|m|g]] [--net=none|sandbox] "
		   "[--allow-net CIDR[:PORT]]...\n"
		   "                   [--allow-host NAME]... [--publish HOSTPORT:GUESTPORT]... "
		   "[--dns IP[:PORT]|none]\n"
		   "                   [--platform systrap|ptrace] [--debug] -- PROGRAM [ARG...]\n"
		   "       sandbox compat\n"
		   "       sandbox --version\n"
		   "--memory N (default 4g): the guest's memory: what /proc/meminfo shows, each\n"
		   "  in-memory file system's size, and (as root, in a writable memory cgroup) the\n"
		   "  host's cap on all of it, past which a guest process is killed (SIGKILL)\n"
		   "--platform: how guest syscalls reach the sentry: systrap (the default where\n"
		   "  the host has FSGSBASE) or ptrace; $SANDBOX_PLATFORM when not given\n");
}

/* Build the guest environment: the host's, then --env overrides. */
static int env_set(char ***envp, size_t *n, const char *kv, struct cli_error *err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return cli_fail(err, "--env %s: expected KEY=VALUE", kv);
	size_t klen = eq - kv + 1;
	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*envp)[i], kv, klen) == 0) {
			(*envp)[i] = (char *)kv;
			return 0;
		}
	}
	char **p = realloc(*envp, (*n + 2) * sizeof(char *));
	if (!p)
		return cli_fail(err, "out of memory");
	p[(*n)++] = (char *)kv;
	p[*n] = NULL;
	*envp = p;
	return 0;
}

/* --mount type=bind|tmpfs,src=...,dst=...[,ro][,size=N] (docker's spelling also works). */
static int parse_mount_into(const char *spec, char *copy, struct sandbox_config *cfg,
			    struct cli_error *err);

/* The strings of a --mount point into a copy of spec, which the config then owns. */
static int parse_mount(const char *spec, struct sandbox_config *cfg, struct cli_error *err)
{
	char *copy = strdup(spec);
	if (!copy)
		return cli_fail(err, "out of memory");
	int rc = parse_mount_into(spec, copy, cfg, err);
	if (rc)
		free(copy);
	return rc;
}

static int parse_mount_into(const char *spec, char *copy, struct sandbox_config *cfg,
			    struct cli_error *err)
{
	struct sandbox_mount m = { 0 };
	const char *type = NULL;
	char *save = NULL;
	m.owned = copy;
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		const char *v = eq ? eq + 1 : "";
		if (eq)
			*eq = 0;
		if (strcmp(kv, "type") == 0)
			type = v;
		else if (strcmp(kv, "src") == 0 || strcmp(kv, "source") == 0)
			m.src = v;
		else if (strcmp(kv, "dst") == 0 || strcmp(kv, "destination") == 0 ||
			 strcmp(kv, "target") == 0)
			m.dst = v;
		else if ((strcmp(kv, "ro") == 0 || strcmp(kv, "readonly") == 0) &&
			 (!eq || strcmp(v, "true") == 0 || strcmp(v, "1") == 0))
			m.readonly = true;
		else if (strcmp(kv, "rw") == 0 && !eq)
			m.readonly = false;
		else if (strcmp(kv, "size") == 0 || strcmp(kv, "tmpfs-size") == 0) {
			if (sandbox_parse_size(v, &m.size))
				return cli_fail(err, "--mount %s: bad size '%s'", spec, v);
		} else
			return cli_fail(err, "--mount %s: unknown option '%s'", spec, kv);
	}
	if (!type || (strcmp(type, "bind") != 0 && strcmp(type, "tmpfs") != 0))
		return cli_fail(err, "--mount %s: type=bind or type=tmpfs is required", spec);
	m.tmpfs = strcmp(type, "tmpfs") == 0;
	if (!m.dst || m.dst[0] != '/')
		return cli_fail(err, "--mount %s: dst= must be an absolute guest path", spec);
	if (m.tmpfs && m.src)
		return cli_fail(err, "--mount %s: a tmpfs has no src=", spec);
	if (!m.tmpfs) {
		if (!m.src || !m.src[0])
			return cli_fail(err, "--mount %s: a bind mount needs src=HOSTPATH", spec);
		if (m.size)
			return cli_fail(err, "--mount %s: size= is for tmpfs", spec);
	}
	struct sandbox_mount *p = realloc(cfg->mounts, (cfg->nmounts + 1) * sizeof(*p));
	if (!p)
		return cli_fail(err, "out of memory");
	p[cfg->nmounts++] = m;
	cfg->mounts = p;
	return 0;
}

/* Append v to a NULL-free list of option values (--allow-net, --allow-host, --publish). */
static int list_add(const char *const **list, size_t *n, const char *v, struct cli_error *err)
{
	const char **p = realloc((void *)*list, (*n + 1) * sizeof(*p));
	if (!p)
		return cli_fail(err, "out of memory");
	p[(*n)++] = v;
	*list = p;
	return 0;
}

/* The network options: --net, --allow-net, --allow-host, --publish, --dns. 1: not one of them. */
static int parse_net_option(const char *a, const char *val, struct sandbox_config *cfg,
			    struct cli_error *err)
{
	static const char *const names[] = { "--net", "--allow-net", "--allow-host", "--publish",
					      "--dns" };
	for (int k = 0; k < 5; k++) {
		size_t l = strlen(names[k]);
		if (strncmp(a, names[k], l) || (a[l] && a[l] != '='))
			continue;
		const char *v = a[l] == '=' ? a + l + 1 : val;
		if (!v || !v[0])
			return cli_fail(err, "%s needs a value", names[k]);
		switch (k) {
		case 0:
			if (strcmp(v, "none") && strcmp(v, "sandbox"))
				return cli_fail(err, "--net %s: expected none or sandbox", v);
			cfg->net_egress = strcmp(v, "sandbox") == 0;
			return 0;
		case 1:
			return list_add(&cfg->allow_net, &cfg->nallow_net, v, err);
		case 2:
			return list_add(&cfg->allow_host, &cfg->nallow_host, v, err);
		case 4:
			cfg->dns = v;      /* checked by net_configure */
			return 0;
		default:
			return list_add(&cfg->publish, &cfg->npublish, v, err);
		}
	}
	return 1;
}

static int parse_run(int argc, char **argv, struct sandbox_config *cfg, struct cli_error *err)
{
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **envp = calloc(nenv + 1, sizeof(char *));
	if (!envp)
		return cli_fail(err, "out of memory");
	memcpy(envp, environ, nenv * sizeof(char *));
	int i = 0;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		const char *val = NULL;
		if ((strcmp(a, "--rootfs") == 0 || strcmp(a, "--env") == 0 ||
		     strcmp(a, "--cwd") == 0 || strcmp(a, "--mount") == 0 ||
		     strcmp(a, "--memory") == 0 || strcmp(a, "--net") == 0 ||
		     strcmp(a, "--allow-net") == 0 || strcmp(a, "--allow-host") == 0 ||
		     strcmp(a, "--publish") == 0 || strcmp(a, "--dns") == 0 ||
		     strcmp(a, "--platform") == 0)) {
			if (i + 1 >= argc)
				return cli_fail(err, "%s needs a value", a);
			val = argv[++i];
		}
		if (strcmp(a, "--rootfs") == 0)
			cfg->rootfs = val;
		else if (strncmp(a, "--rootfs=", 9) == 0)
			cfg->rootfs = a + 9;
		else if (strcmp(a, "--cwd") == 0)
			cfg->cwd = val;
		else if (strncmp(a, "--cwd=", 6) == 0)
			cfg->cwd = a + 6;
		else if (strcmp(a, "--env") == 0 || strncmp(a, "--env=", 6) == 0) {
			if (env_set(&envp, &nenv, val ? val : a + 6, err))
				return -1;
		} else if (strcmp(a, "--strace") == 0)
			cfg->strace_path = "-";
		else if (strncmp(a, "--strace=", 9) == 0)
			cfg->strace_path = a + 9;
		else if (strcmp(a, "--debug") == 0)
			cfg->debug = true;
		else if (strcmp(a, "--platform") == 0 || strncmp(a, "--platform=", 11) == 0) {
			cfg->platform = val ? val : a + 11;
			if (strcmp(cfg->platform, "systrap") != 0 && strcmp(cfg->platform, "ptrace") != 0)
				return cli_fail(err, "--platform %s: expected systrap or ptrace",
						cfg->platform);
		}
		else if (strcmp(a, "--mount") == 0 || strncmp(a, "--mount=", 8) == 0) {
			if (parse_mount(val ? val : a + 8, cfg, err))
				return -1;
		} else if (strcmp(a, "--memory") == 0 || strncmp(a, "--memory=", 9) == 0) {
			const char *v = val ? val : a + 9;
			if (sandbox_parse_size(v, &cfg->mem_limit))
				return cli_fail(err, "--memory %s: expected a size like 512m or 2g", v);
		} else {
			int rc = parse_net_option(a, val, cfg, err);
			if (rc < 0)
				return -1;
			if (rc)
				return cli_fail(err, "run: unknown option %s", a);
		}
	}
	if (i >= argc)
		return cli_fail(err, "run: no program given");
	cfg->argv = argv + i;
	cfg->envp = envp;
	return 0;
}

int runc_main(int argc, char **argv);

int main(int argc, char **argv)
{
	struct cli_error err = { "" };
	/* Called as sandbox-runc: the OCI runtime's command line (cmd/runc.c). */
	const char *base = strrchr(argv[0], '/');
	if (strcmp(base ? base + 1 : argv[0], "sandbox-runc") == 0)
		return runc_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return SANDBOX_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-v") == 0) {
		printf("sandbox version %s\n", SANDBOX_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "compat") == 0) {
		sandbox_write_compat(1);
		return 0;
	}
	if (strcmp(cmd, "run") == 0) {
		struct sandbox_config cfg = { 0 };
		if (parse_run(argc - 2, argv + 2, &cfg, &err)) {
			fprintf(stderr, "sandbox: %s\n", err.msg);
			return SANDBOX_EXIT_USAGE;
		}
		int status = sandbox_run(&cfg);
		free((void *)cfg.envp);
		for (size_t k = 0; k < cfg.nmounts; k++)
			free(cfg.mounts[k].owned);
		free(cfg.mounts);
		return status;
	}
	fprintf(stderr, "sandbox: unknown command %s\n", cmd);
	usage(stderr);
	return SANDBOX_EXIT_USAGE;
}
