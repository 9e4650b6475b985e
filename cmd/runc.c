/*
 * `sandbox-runc`: runc's command line (the same executable as `sandbox`,
 * called by this name). Parses runc's global flags, the command and its
 * flags as runc (urfave/cli) does: `--flag value`, `--flag=value`, the
 * single-dash spellings, and short aliases; flags stop at the first
 * argument that is not one. Flags runc has and we have no use for are
 * accepted and ignored; unknown flags and commands are errors (exit 1).
 * The commands themselves are in oci/ (oci/oci.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oci/oci.h"

int runc_main(int argc, char **argv);

#define MAX_MULTI 256

/* A flag: its names ("bundle", "b"), whether it takes a value, where the value goes. */
struct flag {
	const char *name, *alias;
	bool value;
	const char **str;              /* the value (last one wins) */
	bool *set;                     /* a boolean flag */
	const char **multi;            /* repeated values, NULL-terminated (MAX_MULTI) */
};

static struct oci_global g = { .root = "/run/sandbox" };

static void report(const char *msg)
{
	fprintf(stderr, "%s: %s\n", OCI_RUNTIME_NAME, msg);
	oci_log(&g, "error", "%s", msg);
}

static int usage_error(const char *fmt, const char *arg)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), fmt, arg);
	report(msg);
	return 1;
}

/*
 * Parse flags from argv[*i] on; stops at the first non-flag or "--".
 * 0, or -1 after reporting an unknown flag or a missing value.
 */
static int parse_flags(int argc, char **argv, int *i, struct flag *flags, const char *cmd)
{
	size_t nmulti[32] = { 0 };
	while (*i < argc) {
		char *a = argv[*i];
		if (strcmp(a, "--") == 0) {
			(*i)++;
			return 0;
		}
		if (a[0] != '-' || a[1] == 0)
			return 0;
		const char *name = a + (a[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		struct flag *f = NULL;
		int fi = 0;
		for (; flags && flags[fi].name; fi++) {
			if ((strlen(flags[fi].name) == len && !strncmp(flags[fi].name, name, len)) ||
			    (flags[fi].alias && strlen(flags[fi].alias) == len &&
			     !strncmp(flags[fi].alias, name, len))) {
				f = &flags[fi];
				break;
			}
		}
		if (!f) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s%s: flag provided but not defined: -%.*s",
				 cmd ? cmd : "", cmd ? "" : "", (int)len, name);
			report(msg);
			return -1;
		}
		const char *val = NULL;
		if (f->value) {
			if (eq) {
				val = eq + 1;
			} else if (*i + 1 < argc) {
				val = argv[++*i];
			} else {
				char msg[256];
				snprintf(msg, sizeof(msg), "flag needs an argument: -%s", f->name);
				report(msg);
				return -1;
			}
			if (f->str)
				*f->str = val;
			if (f->multi && fi < 32 && nmulti[fi] < MAX_MULTI) {
				f->multi[nmulti[fi]++] = val;
				f->multi[nmulti[fi]] = NULL;
			}
		} else if (f->set) {
			*f->set = !eq || !strcmp(eq + 1, "true") || !strcmp(eq + 1, "1");
		}
		(*i)++;
	}
	return 0;
}

/* Exactly one argument (the container id) must remain. */
static const char *one_id(int argc, char **argv, int i, const char *cmd)
{
	if (i >= argc) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s: requires exactly 1 argument (the container id)", cmd);
		report(msg);
		return NULL;
	}
	if (i + 1 < argc) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s: requires exactly 1 argument, got %d (unexpected \"%s\"; "
			 "flags go before the id)", cmd, argc - i, argv[i + 1]);
		report(msg);
		return NULL;
	}
	return argv[i];
}

static int done(int rc, struct oci_error *err)
{
	if (rc) {
		report(err->msg);
		return 1;
	}
	return 0;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = s ? strtol(s, &end, 10) : 0;
	if (!s || end == s || *end || errno || v < 0 || v > 1 << 20)
		return -1;
	*out = (int)v;
	return 0;
}

static void print_help(void)
{
	printf("usage: %s [global options] COMMAND [options] [arguments]\n\n"
	       "An OCI runtime (runc's command line) whose containers run in the sandbox.\n\n"
	       "commands:\n"
	       "  create    create a container (its process waits for start)\n"
	       "  start     start the process of a created container\n"
	       "  run       create and start a container\n"
	       "  state     print a container's state (JSON)\n"
	       "  kill      send a signal to the container's process (--all: every process)\n"
	       "  delete    delete a stopped container (--force: kill it first)\n"
	       "  exec      run a new process in a running container\n"
	       "  ps        list the container's processes (guest pids)\n"
	       "  list      list containers\n"
	       "  features  print the features this runtime supports (JSON)\n"
	       "  spec      write a default config.json\n\n"
	       "global options: --root DIR (default /run/sandbox), --log FILE,\n"
	       "  --log-format text|json, --debug, --systemd-cgroup (ignored)\n",
	       OCI_RUNTIME_NAME);
}

static int cmd_create_or_run(int argc, char **argv, int i, bool run)
{
	struct oci_create_opts o = { 0 };
	const char *preserve = NULL, *ignored = NULL;
	bool b_ignored = false, detach = false, keep = false;
	struct flag flags[] = {
		{ "bundle", "b", true, &o.bundle },
		{ "console-socket", NULL, true, &o.console_socket },
		{ "pid-file", NULL, true, &o.pid_file },
		{ "preserve-fds", NULL, true, &preserve },
		{ "pidfd-socket", NULL, true, &ignored },
		{ "no-pivot", NULL, false, NULL, &b_ignored },
		{ "no-new-keyring", NULL, false, NULL, &b_ignored },
		/* run's own, from here on. */
		{ "detach", "d", false, NULL, &detach },
		{ "keep", NULL, false, NULL, &keep },
		{ "no-subreaper", NULL, false, NULL, &b_ignored },
		{ NULL },
	};
	if (!run)
		flags[7] = (struct flag){ NULL };
	const char *cmd = run ? "run" : "create";
	if (parse_flags(argc, argv, &i, flags, NULL))
		return 1;
	o.id = one_id(argc, argv, i, cmd);
	if (!o.id)
		return 1;
	if (preserve && parse_int(preserve, &o.preserve_fds))
		return usage_error("--preserve-fds %s: expected a number", preserve);
	o.detach = detach;
	o.keep = keep;
	struct oci_error err;
	if (!run)
		return done(oci_cmd_create(&g, &o, &err), &err);
	int status;
	if (oci_cmd_run(&g, &o, &status, &err))
		return done(-1, &err);
	return status;
}

static int cmd_exec(int argc, char **argv, int i)
{
	struct oci_exec_opts o = { 0 };
	static const char *env[MAX_MULTI + 1], *gids[MAX_MULTI + 1], *caps[MAX_MULTI + 1],
		*cgroups[MAX_MULTI + 1];
	const char *preserve = NULL, *ignored = NULL;
	bool b_ignored = false;
	struct flag flags[] = {
		{ "console-socket", NULL, true, &o.console_socket },
		{ "pidfd-socket", NULL, true, &ignored },
		{ "cwd", NULL, true, &o.cwd },
		{ "env", "e", true, NULL, NULL, env },
		{ "tty", "t", false, NULL, &o.tty },
		{ "user", "u", true, &o.user },
		{ "additional-gids", "g", true, NULL, NULL, gids },
		{ "process", "p", true, &o.process_file },
		{ "detach", "d", false, NULL, &o.detach },
		{ "pid-file", NULL, true, &o.pid_file },
		{ "process-label", NULL, true, &ignored },
		{ "apparmor", NULL, true, &ignored },
		{ "no-new-privs", NULL, false, NULL, &o.no_new_privs },
		{ "cap", "c", true, NULL, NULL, caps },
		{ "preserve-fds", NULL, true, &preserve },
		{ "cgroup", NULL, true, NULL, NULL, cgroups },
		{ "ignore-paused", NULL, false, NULL, &b_ignored },
		{ NULL },
	};
	if (parse_flags(argc, argv, &i, flags, NULL))
		return 1;
	if (i >= argc)
		return usage_error("exec: requires at least 1 argument (the container id)%s", "");
	o.id = argv[i++];
	o.args = i < argc ? argv + i : NULL;
	if (o.process_file && o.args)
		return usage_error("exec: give either --process or a command, not both%s", "");
	o.env = env[0] ? env : NULL;
	o.additional_gids = gids[0] ? gids : NULL;
	o.caps = caps[0] ? caps : NULL;
	if (preserve && parse_int(preserve, &o.preserve_fds))
		return usage_error("--preserve-fds %s: expected a number", preserve);
	struct oci_error err;
	int status;
	if (oci_cmd_exec(&g, &o, &status, &err))
		return done(-1, &err);
	return status;
}

static int cmd_kill(int argc, char **argv, int i)
{
	bool all = false;
	struct flag flags[] = { { "all", "a", false, NULL, &all }, { NULL } };
	if (parse_flags(argc, argv, &i, flags, NULL))
		return 1;
	if (i >= argc || argc - i > 2)
		return usage_error("kill: usage: kill [--all] ID [SIGNAL]%s", "");
	const char *id = argv[i];
	int sig = SIGTERM;
	if (argc - i == 2) {
		sig = oci_parse_signal(argv[i + 1]);
		if (sig < 0)
			return usage_error("kill: unknown signal \"%s\"", argv[i + 1]);
	}
	struct oci_error err;
	return done(oci_cmd_kill(&g, id, sig, all, &err), &err);
}

int runc_main(int argc, char **argv)
{
	int i = 1;
	const char *log_format = "text", *ignored = NULL;
	bool version = false, help = false, b_ignored = false;
	struct flag globals[] = {
		{ "root", NULL, true, &g.root },
		{ "log", NULL, true, &g.log },
		{ "log-format", NULL, true, &log_format },
		{ "debug", NULL, false, NULL, &g.debug },
		{ "systemd-cgroup", NULL, false, NULL, &g.systemd_cgroup },
		{ "criu", NULL, true, &ignored },
		{ "rootless", NULL, true, &ignored },
		{ "version", "v", false, NULL, &version },
		{ "help", "h", false, NULL, &help },
		{ "no-subreaper", NULL, false, NULL, &b_ignored },
		{ NULL },
	};
	if (parse_flags(argc, argv, &i, globals, NULL))
		return 1;
	if (strcmp(log_format, "json") == 0)
		g.log_json = true;
	else if (strcmp(log_format, "text") != 0)
		return usage_error("--log-format %s: expected text or json", log_format);
	if (!g.log && getenv("SANDBOX_RUNC_LOG"))
		g.log = getenv("SANDBOX_RUNC_LOG");
	if (version) {
		printf("%s version %s\ncommit: none\nspec: %s\nsentry: ptrace platform\n",
		       OCI_RUNTIME_NAME, OCI_VERSION, OCI_SPEC_VERSION);
		return 0;
	}
	if (help || i >= argc) {
		print_help();
		return help ? 0 : 1;
	}
	const char *cmd = argv[i++];
	/* Log each call (--debug), so a shim's sequence of commands can be followed. */
	if (g.debug) {
		char line[2048];
		size_t n = 0;
		for (int k = 0; k < argc && n < sizeof(line) - 1; k++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", k ? " " : "", argv[k]);
		oci_log(&g, "debug", "%s", line);
	}
	struct oci_error err;
	if (!strcmp(cmd, "create"))
		return cmd_create_or_run(argc, argv, i, false);
	if (!strcmp(cmd, "run"))
		return cmd_create_or_run(argc, argv, i, true);
	if (!strcmp(cmd, "exec"))
		return cmd_exec(argc, argv, i);
	if (!strcmp(cmd, "kill"))
		return cmd_kill(argc, argv, i);
	if (!strcmp(cmd, "start") || !strcmp(cmd, "state")) {
		if (parse_flags(argc, argv, &i, NULL, NULL))
			return 1;
		const char *id = one_id(argc, argv, i, cmd);
		if (!id)
			return 1;
		return done(cmd[3] == 'r' ? oci_cmd_start(&g, id, &err) : oci_cmd_state(&g, id, &err),
			    &err);
	}
	if (!strcmp(cmd, "delete")) {
		bool force = false;
		struct flag flags[] = { { "force", "f", false, NULL, &force }, { NULL } };
		if (parse_flags(argc, argv, &i, flags, NULL))
			return 1;
		const char *id = one_id(argc, argv, i, cmd);
		return id ? done(oci_cmd_delete(&g, id, force, &err), &err) : 1;
	}
	if (!strcmp(cmd, "ps")) {
		const char *format = "table";
		struct flag flags[] = { { "format", "f", true, &format }, { NULL } };
		if (parse_flags(argc, argv, &i, flags, NULL))
			return 1;
		if (strcmp(format, "table") && strcmp(format, "json"))
			return usage_error("ps: invalid format option \"%s\" (table or json)", format);
		if (i >= argc)
			return usage_error("ps: requires at least 1 argument (the container id)%s", "");
		/* Arguments after the id are ps(1) options in runc; none apply to guest pids. */
		return done(oci_cmd_ps(&g, argv[i], !strcmp(format, "json"), &err), &err);
	}
	if (!strcmp(cmd, "list")) {
		const char *format = "table";
		bool quiet = false;
		struct flag flags[] = { { "format", "f", true, &format },
					{ "quiet", "q", false, NULL, &quiet }, { NULL } };
		if (parse_flags(argc, argv, &i, flags, NULL))
			return 1;
		if (strcmp(format, "table") && strcmp(format, "json"))
			return usage_error("list: invalid format option \"%s\" (table or json)", format);
		if (i < argc)
			return usage_error("list: unexpected argument \"%s\"", argv[i]);
		return done(oci_cmd_list(&g, !strcmp(format, "json"), quiet, &err), &err);
	}
	if (!strcmp(cmd, "features")) {
		if (parse_flags(argc, argv, &i, NULL, NULL))
			return 1;
		return done(oci_cmd_features(&err), &err);
	}
	if (!strcmp(cmd, "spec")) {
		const char *bundle = NULL;
		bool rootless = false;
		struct flag flags[] = { { "bundle", "b", true, &bundle },
					{ "rootless", NULL, false, NULL, &rootless }, { NULL } };
		if (parse_flags(argc, argv, &i, flags, NULL))
			return 1;
		if (i < argc)
			return usage_error("spec: unexpected argument \"%s\"", argv[i]);
		return done(oci_cmd_spec(bundle, rootless, &err), &err);
	}
	if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume") || !strcmp(cmd, "events") ||
	    !strcmp(cmd, "checkpoint") || !strcmp(cmd, "restore") || !strcmp(cmd, "update")) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s is not supported by %s (see docs/OCI.md)", cmd,
			 OCI_RUNTIME_NAME);
		report(msg);
		return 1;
	}
	if (!strcmp(cmd, "help")) {
		print_help();
		return 0;
	}
	return usage_error("No help topic for '%s' (unknown command; see --help)", cmd);
}
