/*
 * config.json: parsed with jansson and checked field by field. Every error
 * names the field (`config.json: process.user.uid: expected a number
 * between 0 and 4294967295`); unknown members are ignored, as the runtime
 * spec asks. Numbers are decoded as doubles (JSON_DECODE_INT_AS_REAL) so
 * that 2^64-1, which rlimits use for "unlimited", is not a parse error.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>
#include "oci/oci.h"

int oci_fail(struct oci_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- typed getters: each names the field on error ---- */

int oci_json_string(json_t *v, const char *what, const char **out, struct oci_error *err)
{
	if (!json_is_string(v))
		return oci_fail(err, "%s: expected a string", what);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return oci_fail(err, "%s: contains a NUL byte", what);
	return 0;
}

/* An optional string member (absent or null: *out stays). */
static int opt_string(json_t *obj, const char *key, const char *what, const char **out,
		      struct oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	char name[256];
	snprintf(name, sizeof(name), "%s.%s", what, key);
	return oci_json_string(v, name, out, err);
}

int oci_json_u64(json_t *v, const char *what, uint64_t max, uint64_t *out, struct oci_error *err)
{
	if (!json_is_number(v))
		return oci_fail(err, "%s: expected a number", what);
	double d = json_number_value(v);
	/* 2^64 - 1 arrives as 2^64 in a double: read anything that high as the maximum. */
	if (d >= 18446744073709551615.0 && max == UINT64_MAX) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!(d >= 0) || d > (double)max || d != (double)(uint64_t)d)
		return oci_fail(err, "%s: expected a whole number between 0 and %llu", what,
				(unsigned long long)max);
	*out = (uint64_t)d;
	return 0;
}

static int want_i64(json_t *v, const char *what, int64_t min, int64_t max, int64_t *out,
		    struct oci_error *err)
{
	if (!json_is_number(v))
		return oci_fail(err, "%s: expected a number", what);
	double d = json_number_value(v);
	if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d)
		return oci_fail(err, "%s: expected a whole number between %lld and %lld", what,
				(long long)min, (long long)max);
	*out = (int64_t)d;
	return 0;
}

static int opt_bool(json_t *obj, const char *key, const char *what, bool *out,
		    struct oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return oci_fail(err, "%s.%s: expected true or false", what, key);
	*out = json_is_true(v);
	return 0;
}

static int want_object(json_t *v, const char *what, struct oci_error *err)
{
	return json_is_object(v) ? 0 : oci_fail(err, "%s: expected an object", what);
}

/* A NULL-terminated array of the strings of a JSON array (pointing into it). */
static int string_array(json_t *v, const char *what, bool nonempty, const char ***out,
			struct oci_error *err)
{
	if (!json_is_array(v))
		return oci_fail(err, "%s: expected an array of strings", what);
	size_t n = json_array_size(v);
	if (nonempty && n == 0)
		return oci_fail(err, "%s: must not be empty", what);
	const char **a = calloc(n + 1, sizeof(char *));
	if (!a)
		return oci_fail(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char name[256];
		snprintf(name, sizeof(name), "%s[%zu]", what, i);
		if (oci_json_string(json_array_get(v, i), name, &a[i], err)) {
			free(a);
			return -1;
		}
	}
	*out = a;
	return 0;
}

/* ---- capabilities and rlimits by name ---- */

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
#define NCAPS (sizeof(cap_names) / sizeof(cap_names[0]))

static int cap_by_name(const char *name)
{
	for (size_t i = 0; i < NCAPS; i++)
		if (strcasecmp(name, cap_names[i]) == 0 ||
		    (strncasecmp(name, "CAP_", 4) != 0 && strcasecmp(name, cap_names[i] + 4) == 0))
			return (int)i;
	return -1;
}

/*
 * A capability set. Unknown names are skipped (runc warns and goes on, so
 * that a newer config runs on an older runtime).
 */
static int cap_set(json_t *caps, const char *key, uint64_t *out, struct oci_error *err)
{
	json_t *v = json_object_get(caps, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	char what[128];
	snprintf(what, sizeof(what), "process.capabilities.%s", key);
	const char **names;
	if (string_array(v, what, false, &names, err))
		return -1;
	for (size_t i = 0; names[i]; i++) {
		int c = cap_by_name(names[i]);
		if (c >= 0)
			*out |= 1ULL << c;
	}
	free(names);
	return 0;
}

static const char *const rlimit_names[] = {
	[RLIMIT_CPU] = "RLIMIT_CPU", [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
	[RLIMIT_DATA] = "RLIMIT_DATA", [RLIMIT_STACK] = "RLIMIT_STACK",
	[RLIMIT_CORE] = "RLIMIT_CORE", [RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_NPROC] = "RLIMIT_NPROC", [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
	[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_AS] = "RLIMIT_AS",
	[RLIMIT_LOCKS] = "RLIMIT_LOCKS", [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
	[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
	[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO", [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static int parse_rlimits(json_t *v, struct oci_process *p, struct oci_error *err)
{
	if (!json_is_array(v))
		return oci_fail(err, "process.rlimits: expected an array");
	size_t n = json_array_size(v);
	p->rlimits = calloc(n + 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return oci_fail(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(v, i);
		char what[64];
		snprintf(what, sizeof(what), "process.rlimits[%zu]", i);
		if (want_object(r, what, err))
			return -1;
		const char *type = NULL;
		if (opt_string(r, "type", what, &type, err))
			return -1;
		if (!type)
			return oci_fail(err, "%s.type: required", what);
		int res = -1;
		for (int k = 0; k < (int)(sizeof(rlimit_names) / sizeof(rlimit_names[0])); k++)
			if (rlimit_names[k] && strcmp(type, rlimit_names[k]) == 0)
				res = k;
		if (res < 0)
			return oci_fail(err, "%s.type: unknown resource limit \"%s\"", what, type);
		struct sandbox_rlimit *rl = &p->rlimits[p->nrlimits++];
		rl->resource = res;
		char f[96];
		snprintf(f, sizeof(f), "%s.hard", what);
		json_t *h = json_object_get(r, "hard"), *s = json_object_get(r, "soft");
		if (!h || oci_json_u64(h, f, UINT64_MAX, &rl->hard, err))
			return h ? -1 : oci_fail(err, "%s: required", f);
		snprintf(f, sizeof(f), "%s.soft", what);
		if (!s || oci_json_u64(s, f, UINT64_MAX, &rl->soft, err))
			return s ? -1 : oci_fail(err, "%s: required", f);
		if (rl->soft > rl->hard)
			return oci_fail(err, "%s: soft limit %llu is above the hard limit %llu", what,
					(unsigned long long)rl->soft, (unsigned long long)rl->hard);
	}
	return 0;
}

static int parse_user(json_t *u, struct oci_process *p, struct oci_error *err)
{
	if (want_object(u, "process.user", err))
		return -1;
	uint64_t v;
	json_t *x;
	if ((x = json_object_get(u, "uid"))) {
		if (oci_json_u64(x, "process.user.uid", UINT32_MAX, &v, err))
			return -1;
		p->uid = (uint32_t)v;
	}
	if ((x = json_object_get(u, "gid"))) {
		if (oci_json_u64(x, "process.user.gid", UINT32_MAX, &v, err))
			return -1;
		p->gid = (uint32_t)v;
	}
	if ((x = json_object_get(u, "umask")) && !json_is_null(x)) {
		if (oci_json_u64(x, "process.user.umask", 0777, &v, err))
			return -1;
		p->umask = (int)v;
	}
	if ((x = json_object_get(u, "additionalGids")) && !json_is_null(x)) {
		if (!json_is_array(x))
			return oci_fail(err, "process.user.additionalGids: expected an array of numbers");
		size_t n = json_array_size(x);
		p->groups = calloc(n + 1, sizeof(uint32_t));
		if (!p->groups)
			return oci_fail(err, "out of memory");
		for (size_t i = 0; i < n; i++) {
			char what[64];
			snprintf(what, sizeof(what), "process.user.additionalGids[%zu]", i);
			if (oci_json_u64(json_array_get(x, i), what, UINT32_MAX, &v, err))
				return -1;
			p->groups[p->ngroups++] = (uint32_t)v;
		}
	}
	if (json_object_get(u, "username") && !json_is_string(json_object_get(u, "username")))
		return oci_fail(err, "process.user.username: expected a string");
	return 0;
}

int oci_process_parse(json_t *obj, const char *what, struct oci_process *p,
		      struct oci_error *err)
{
	memset(p, 0, sizeof(*p));
	p->umask = -1;
	if (want_object(obj, what, err))
		return -1;
	if (opt_bool(obj, "terminal", what, &p->terminal, err))
		return -1;
	json_t *v = json_object_get(obj, "args");
	if (!v)
		return oci_fail(err, "%s.args: required (the program to run)", what);
	char name[128];
	snprintf(name, sizeof(name), "%s.args", what);
	if (string_array(v, name, true, &p->args, err))
		return -1;
	if (!p->args[0][0])
		return oci_fail(err, "%s.args[0]: must not be empty", what);
	if (json_object_get(obj, "commandLine"))
		return oci_fail(err, "%s.commandLine: only for Windows", what);
	v = json_object_get(obj, "env");
	snprintf(name, sizeof(name), "%s.env", what);
	if (v && !json_is_null(v)) {
		if (string_array(v, name, false, &p->env, err))
			return -1;
		for (size_t i = 0; p->env[i]; i++)
			if (!strchr(p->env[i], '=') || p->env[i][0] == '=')
				return oci_fail(err, "%s[%zu]: \"%s\" is not KEY=VALUE", name, i, p->env[i]);
	} else {
		p->env = calloc(1, sizeof(char *));
		if (!p->env)
			return oci_fail(err, "out of memory");
	}
	v = json_object_get(obj, "cwd");
	snprintf(name, sizeof(name), "%s.cwd", what);
	if (!v)
		return oci_fail(err, "%s: required", name);
	if (oci_json_string(v, name, &p->cwd, err))
		return -1;
	if (p->cwd[0] != '/')
		return oci_fail(err, "%s: \"%s\" is not an absolute path", name, p->cwd);
	if ((v = json_object_get(obj, "user")) && parse_user(v, p, err))
		return -1;
	if ((v = json_object_get(obj, "capabilities")) && !json_is_null(v)) {
		if (want_object(v, "process.capabilities", err))
			return -1;
		uint64_t ambient;
		if (cap_set(v, "effective", &p->cap_effective, err) ||
		    cap_set(v, "permitted", &p->cap_permitted, err) ||
		    cap_set(v, "inheritable", &p->cap_inheritable, err) ||
		    cap_set(v, "bounding", &p->cap_bounding, err) ||
		    cap_set(v, "ambient", &ambient, err))
			return -1;
		p->has_caps = true;
	}
	if ((v = json_object_get(obj, "rlimits")) && !json_is_null(v) && parse_rlimits(v, p, err))
		return -1;
	if (opt_bool(obj, "noNewPrivileges", what, &p->no_new_privileges, err))
		return -1;
	if ((v = json_object_get(obj, "oomScoreAdj")) && !json_is_null(v)) {
		int64_t adj;
		if (want_i64(v, "process.oomScoreAdj", -1000, 1000, &adj, err))
			return -1;
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)adj;
	}
	if ((v = json_object_get(obj, "consoleSize")) && !json_is_null(v)) {
		uint64_t h = 0, w = 0;
		if (want_object(v, "process.consoleSize", err))
			return -1;
		json_t *hh = json_object_get(v, "height"), *ww = json_object_get(v, "width");
		if ((hh && oci_json_u64(hh, "process.consoleSize.height", 65535, &h, err)) ||
		    (ww && oci_json_u64(ww, "process.consoleSize.width", 65535, &w, err)))
			return -1;
		p->console_height = (unsigned)h;
		p->console_width = (unsigned)w;
	}
	const char *ignored;
	if (opt_string(obj, "apparmorProfile", what, &ignored, err) ||
	    opt_string(obj, "selinuxLabel", what, &ignored, err))
		return -1;
	return 0;
}

void oci_process_to_sandbox(const struct oci_process *p, struct sandbox_process *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->argv = (char *const *)p->args;
	sp->envp = (char *const *)p->env;
	sp->cwd = p->cwd;
	sp->has_user = true;
	sp->uid = p->uid;
	sp->gid = p->gid;
	sp->groups = p->groups;
	sp->ngroups = p->ngroups;
	sp->has_caps = p->has_caps;
	sp->cap_effective = p->cap_effective;
	sp->cap_permitted = p->cap_permitted;
	sp->cap_inheritable = p->cap_inheritable;
	sp->cap_bounding = p->cap_bounding;
	sp->umask = p->umask;
	sp->rlimits = p->rlimits;
	sp->nrlimits = p->nrlimits;
	sp->has_oom_score_adj = p->has_oom_score_adj;
	sp->oom_score_adj = p->oom_score_adj;
	sp->no_new_privs = p->no_new_privileges;
	sp->stdio[0] = sp->stdio[1] = sp->stdio[2] = -1;
}

void oci_process_free(struct oci_process *p)
{
	free(p->args);
	free(p->env);
	free(p->groups);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

/* ---- hooks ---- */

static const char *const hook_keys[OCI_HOOK_KINDS] = {
	[OCI_HOOK_PRESTART] = "prestart", [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[OCI_HOOK_START_CONTAINER] = "startContainer", [OCI_HOOK_POSTSTART] = "poststart",
	[OCI_HOOK_POSTSTOP] = "poststop",
};

int oci_hooks_parse(json_t *hooks, struct oci_hook_list lists[OCI_HOOK_KINDS],
		    struct oci_error *err)
{
	memset(lists, 0, OCI_HOOK_KINDS * sizeof(lists[0]));
	if (!hooks || json_is_null(hooks))
		return 0;
	if (want_object(hooks, "hooks", err))
		return -1;
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		json_t *arr = json_object_get(hooks, hook_keys[k]);
		if (!arr || json_is_null(arr))
			continue;
		if (!json_is_array(arr))
			return oci_fail(err, "hooks.%s: expected an array", hook_keys[k]);
		size_t n = json_array_size(arr);
		lists[k].v = calloc(n + 1, sizeof(struct oci_hook));
		if (!lists[k].v)
			return oci_fail(err, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_t *h = json_array_get(arr, i);
			struct oci_hook *hk = &lists[k].v[lists[k].n++];
			char what[96];
			snprintf(what, sizeof(what), "hooks.%s[%zu]", hook_keys[k], i);
			if (want_object(h, what, err) || opt_string(h, "path", what, &hk->path, err))
				return -1;
			if (!hk->path || hk->path[0] != '/')
				return oci_fail(err, "%s.path: an absolute path is required", what);
			char f[128];
			json_t *v;
			snprintf(f, sizeof(f), "%s.args", what);
			if ((v = json_object_get(h, "args")) && !json_is_null(v) &&
			    string_array(v, f, false, &hk->args, err))
				return -1;
			snprintf(f, sizeof(f), "%s.env", what);
			if ((v = json_object_get(h, "env")) && !json_is_null(v) &&
			    string_array(v, f, false, &hk->env, err))
				return -1;
			snprintf(f, sizeof(f), "%s.timeout", what);
			if ((v = json_object_get(h, "timeout")) && !json_is_null(v)) {
				uint64_t t;
				if (oci_json_u64(v, f, INT_MAX, &t, err))
					return -1;
				if (t == 0)
					return oci_fail(err, "%s: must be greater than zero", f);
				hk->timeout = (int)t;
			}
		}
	}
	return 0;
}

void oci_hooks_free(struct oci_hook_list lists[OCI_HOOK_KINDS])
{
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		for (size_t i = 0; i < lists[k].n; i++) {
			free(lists[k].v[i].args);
			free(lists[k].v[i].env);
		}
		free(lists[k].v);
		lists[k].v = NULL;
		lists[k].n = 0;
	}
}

/* ---- mounts ---- */

static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{ "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 }, { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
	{ "noatime", MS_NOATIME, 0 }, { "atime", 0, MS_NOATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
	{ "relatime", MS_RELATIME, 0 }, { "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 }, { "nostrictatime", 0, MS_STRICTATIME },
	{ "bind", MS_BIND, 0 }, { "rbind", MS_BIND | MS_REC, 0 },
	/* Accepted, no effect in one sandbox: sync modes, propagation, mandatory locks. */
	{ "sync", 0, 0 }, { "async", 0, 0 }, { "dirsync", 0, 0 }, { "mand", 0, 0 },
	{ "nomand", 0, 0 }, { "lazytime", 0, 0 }, { "nolazytime", 0, 0 }, { "silent", 0, 0 },
	{ "loud", 0, 0 }, { "private", 0, 0 }, { "rprivate", 0, 0 }, { "shared", 0, 0 },
	{ "rshared", 0, 0 }, { "slave", 0, 0 }, { "rslave", 0, 0 }, { "unbindable", 0, 0 },
	{ "runbindable", 0, 0 }, { "remount", 0, 0 }, { "tmpcopyup", 0, 0 },
	{ "rro", MS_RDONLY, 0 }, { "rrw", 0, MS_RDONLY }, { "rnosuid", MS_NOSUID, 0 },
	{ "rnodev", MS_NODEV, 0 }, { "rnoexec", MS_NOEXEC, 0 }, { "z", 0, 0 }, { "Z", 0, 0 },
	{ "U", 0, 0 }, { "copy", 0, 0 }, { "nocopy", 0, 0 }, { "notmpcopyup", 0, 0 },
};

static int parse_mount(json_t *m, size_t i, const char *bundle, struct oci_mount *om,
		       struct oci_error *err)
{
	char what[64];
	snprintf(what, sizeof(what), "mounts[%zu]", i);
	if (want_object(m, what, err))
		return -1;
	if (opt_string(m, "destination", what, &om->destination, err) ||
	    opt_string(m, "type", what, &om->type, err) ||
	    opt_string(m, "source", what, &om->source, err))
		return -1;
	if (!om->destination || !om->destination[0])
		return oci_fail(err, "%s.destination: required", what);
	json_t *opts = json_object_get(m, "options");
	const char **options = NULL;
	char f[96];
	snprintf(f, sizeof(f), "%s.options", what);
	if (opts && !json_is_null(opts) && string_array(opts, f, false, &options, err))
		return -1;
	size_t datalen = 0;
	om->data = calloc(1, 1);
	for (size_t k = 0; options && options[k] && om->data; k++) {
		const char *o = options[k];
		bool known = false;
		for (size_t j = 0; j < sizeof(mount_flags) / sizeof(mount_flags[0]); j++) {
			if (strcmp(o, mount_flags[j].name) == 0) {
				om->flags = (om->flags | mount_flags[j].set) & ~mount_flags[j].clear;
				known = true;
			}
		}
		if (!strcmp(o, "idmap") || !strcmp(o, "ridmap")) {
			free(options);
			return oci_fail(err, "%s.options: \"%s\": id-mapped mounts are not supported",
					what, o);
		}
		if (known)
			continue;
		size_t l = strlen(o);
		char *d = realloc(om->data, datalen + l + 2);
		if (!d)
			break;
		om->data = d;
		if (datalen)
			d[datalen++] = ',';
		memcpy(d + datalen, o, l + 1);
		datalen += l;
	}
	free(options);
	if (!om->data)
		return oci_fail(err, "out of memory");
	om->bind = (om->flags & MS_BIND) || (om->type && strcmp(om->type, "bind") == 0);
	if (!om->type)
		om->type = om->bind ? "bind" : NULL;
	if (!om->type)
		return oci_fail(err, "%s.type: required (unless options has bind)", what);
	if (om->bind) {
		if (!om->source || !om->source[0])
			return oci_fail(err, "%s.source: a bind mount needs a host path", what);
		char path[PATH_MAX];
		if (om->source[0] == '/')
			snprintf(path, sizeof(path), "%s", om->source);
		else
			snprintf(path, sizeof(path), "%s/%s", bundle, om->source);
		om->source_abs = realpath(path, NULL);
		if (!om->source_abs)
			return oci_fail(err, "%s.source: %s: %s", what, path, strerror(errno));
	} else {
		static const char *const types[] = { "tmpfs", "proc", "sysfs", "devpts", "mqueue",
						     "cgroup", "cgroup2", "shm", NULL };
		bool ok = false;
		for (int k = 0; types[k]; k++)
			ok |= strcmp(om->type, types[k]) == 0;
		if (!ok)
			return oci_fail(err, "%s.type: mount type \"%s\" is not supported (bind, tmpfs, "
					     "proc, sysfs, devpts, mqueue, cgroup are)", what, om->type);
	}
	return 0;
}

/* ---- linux ---- */

static int parse_linux(json_t *lx, struct oci_spec *spec, struct oci_error *err)
{
	if (want_object(lx, "linux", err))
		return -1;
	json_t *v = json_object_get(lx, "namespaces");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v))
			return oci_fail(err, "linux.namespaces: expected an array");
		static const char *const ns_types[] = { "pid", "network", "mount", "ipc", "uts",
							"user", "cgroup", "time", NULL };
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *ns = json_array_get(v, i);
			char what[64];
			snprintf(what, sizeof(what), "linux.namespaces[%zu]", i);
			const char *type = NULL, *path = NULL;
			if (want_object(ns, what, err) || opt_string(ns, "type", what, &type, err) ||
			    opt_string(ns, "path", what, &path, err))
				return -1;
			bool ok = false;
			for (int k = 0; type && ns_types[k]; k++)
				ok |= strcmp(type, ns_types[k]) == 0;
			if (!ok)
				return oci_fail(err, "%s.type: unknown namespace type \"%s\"", what,
						type ? type : "");
			/* Accepted: the sandbox is all of them; a path cannot be joined. */
		}
	}
	json_t *res = json_object_get(lx, "resources");
	if (res && !json_is_null(res)) {
		if (want_object(res, "linux.resources", err))
			return -1;
		json_t *mem = json_object_get(res, "memory");
		if (mem && !json_is_null(mem)) {
			if (want_object(mem, "linux.resources.memory", err))
				return -1;
			json_t *lim = json_object_get(mem, "limit");
			int64_t l;
			if (lim && !json_is_null(lim)) {
				if (want_i64(lim, "linux.resources.memory.limit", -1, INT64_MAX, &l, err))
					return -1;
				if (l > 0 && l < (4 << 20))
					return oci_fail(err, "linux.resources.memory.limit: %lld bytes is "
							     "too little to run anything (4 MiB at least)",
							(long long)l);
				spec->memory_limit = l > 0 ? (uint64_t)l : 0;
			}
		}
		json_t *pids = json_object_get(res, "pids");
		if (pids && !json_is_null(pids)) {
			if (want_object(pids, "linux.resources.pids", err))
				return -1;
			json_t *lim = json_object_get(pids, "limit");
			int64_t l;
			if (lim && !json_is_null(lim)) {
				if (want_i64(lim, "linux.resources.pids.limit", -1, INT64_MAX, &l, err))
					return -1;
				spec->pids_limit = l > 0 ? (uint64_t)l : 0;
			}
		}
	}
	return oci_seccomp_compile(json_object_get(lx, "seccomp"), &spec->seccomp, err);
}

int oci_spec_load(const char *bundle, struct oci_spec *spec, struct oci_error *err)
{
	memset(spec, 0, sizeof(*spec));
	spec->bundle = bundle;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	json_error_t je;
	spec->json = json_load_file(path, JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES, &je);
	if (!spec->json) {
		if (access(path, F_OK) != 0)
			return oci_fail(err, "%s: %s", path, strerror(errno));
		return oci_fail(err, "config.json: line %d column %d: %s", je.line, je.column, je.text);
	}
	int rc = -1;
	json_t *doc = spec->json, *v;
	struct oci_error inner;
	if (want_object(doc, "the document", &inner))
		goto out;
	const char *ver = NULL;
	if (opt_string(doc, "ociVersion", "", &ver, &inner))
		goto out;
	if (!ver) {
		oci_fail(&inner, "ociVersion: required");
		goto out;
	}
	if (strncmp(ver, "1.", 2) != 0) {
		oci_fail(&inner, "ociVersion: \"%s\" is not a 1.x version", ver);
		goto out;
	}
	v = json_object_get(doc, "process");
	if (v && !json_is_null(v)) {
		if (oci_process_parse(v, "process", &spec->process, &inner))
			goto out;
		spec->has_process = true;
	}
	v = json_object_get(doc, "root");
	if (!v || json_is_null(v)) {
		oci_fail(&inner, "root: required (root.path names the container's root directory)");
		goto out;
	}
	const char *rp = NULL;
	if (want_object(v, "root", &inner) || opt_string(v, "path", "root", &rp, &inner) ||
	    opt_bool(v, "readonly", "root", &spec->root_readonly, &inner))
		goto out;
	if (!rp || !rp[0]) {
		oci_fail(&inner, "root.path: required");
		goto out;
	}
	if (rp[0] == '/')
		snprintf(path, sizeof(path), "%s", rp);
	else
		snprintf(path, sizeof(path), "%s/%s", bundle, rp);
	spec->root_path = realpath(path, NULL);
	if (!spec->root_path) {
		oci_fail(&inner, "root.path: %s: %s", path, strerror(errno));
		goto out;
	}
	if (opt_string(doc, "hostname", "", &spec->hostname, &inner))
		goto out;
	if (spec->hostname && strlen(spec->hostname) > 64) {
		oci_fail(&inner, "hostname: longer than 64 characters");
		goto out;
	}
	v = json_object_get(doc, "mounts");
	if (v && !json_is_null(v)) {
		if (!json_is_array(v)) {
			oci_fail(&inner, "mounts: expected an array");
			goto out;
		}
		size_t n = json_array_size(v);
		spec->mounts = calloc(n + 1, sizeof(*spec->mounts));
		if (!spec->mounts) {
			oci_fail(&inner, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			spec->nmounts++;
			if (parse_mount(json_array_get(v, i), i, bundle, &spec->mounts[i], &inner))
				goto out;
		}
	}
	v = json_object_get(doc, "linux");
	if (v && !json_is_null(v) && parse_linux(v, spec, &inner))
		goto out;
	v = json_object_get(doc, "annotations");
	if (v && !json_is_null(v)) {
		const char *key;
		json_t *val;
		if (want_object(v, "annotations", &inner))
			goto out;
		json_object_foreach(v, key, val) {
			if (!json_is_string(val)) {
				oci_fail(&inner, "annotations.%s: expected a string", key);
				goto out;
			}
		}
		spec->annotations = v;
	}
	spec->hooks_json = json_object_get(doc, "hooks");
	if (oci_hooks_parse(spec->hooks_json, spec->hooks, &inner))
		goto out;
	rc = 0;
out:
	if (rc) {
		oci_fail(err, "config.json: %s", inner.msg);
		oci_spec_free(spec);       /* whatever was parsed before the error */
	}
	return rc;
}

void oci_spec_free(struct oci_spec *spec)
{
	oci_process_free(&spec->process);
	for (size_t i = 0; i < spec->nmounts; i++) {
		free(spec->mounts[i].source_abs);
		free(spec->mounts[i].data);
	}
	free(spec->mounts);
	free(spec->root_path);
	oci_seccomp_free(&spec->seccomp);
	oci_hooks_free(spec->hooks);
	json_decref(spec->json);
	memset(spec, 0, sizeof(*spec));
}

/* ---- `spec`: runc's default configuration ---- */

static const char default_spec[] =
	"{\"ociVersion\":\"" OCI_SPEC_VERSION "\","
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
	"\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"TERM=xterm\"],\"cwd\":\"/\","
	"\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
	"\"noNewPrivileges\":true},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"hostname\":\"runc\","
	"\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
	"\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
	"\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
	"{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
	"\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
	"\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\","
	"\"/sys/firmware\",\"/proc/scsi\"],"
	"\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
	"\"/proc/sysrq-trigger\"]}}";

json_t *oci_spec_default(bool rootless)
{
	json_t *j = json_loads(default_spec, 0, NULL);
	if (j && rootless) {
		/* runc spec --rootless: no network namespace change, a user namespace instead. */
		json_t *lx = json_object_get(j, "linux");
		json_t *ns = json_object_get(lx, "namespaces");
		json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
		json_object_set_new(json_object_get(json_object_get(j, "process"), "user"), "uid",
				    json_integer(getuid()));
		json_object_set_new(json_object_get(json_object_get(j, "process"), "user"), "gid",
				    json_integer(getgid()));
	}
	return j;
}

/* ---- signals ---- */

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
	{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

int oci_parse_signal(const char *s)
{
	char *end;
	if (!s || !*s)
		return -1;
	if (s[0] >= '0' && s[0] <= '9') {
		long n = strtol(s, &end, 10);
		return *end || n < 1 || n > 64 ? -1 : (int)n;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (strcasecmp(s, signal_names[i].name) == 0)
			return signal_names[i].sig;
	/* Real-time signals: RTMIN, RTMIN+N, RTMAX-N (the guest's: 32/34..64 as the kernel's). */
	if (strncasecmp(s, "RTMIN", 5) == 0) {
		long n = s[5] ? strtol(s + 5, &end, 10) : 0;
		if (s[5] && (*end || (s[5] != '+')))
			return -1;
		return 34 + n <= 64 && n >= 0 ? (int)(34 + n) : -1;
	}
	if (strncasecmp(s, "RTMAX", 5) == 0) {
		long n = s[5] ? strtol(s + 5, &end, 10) : 0;
		if (s[5] && (*end || s[5] != '-'))
			return -1;
		return 64 + n >= 34 && n <= 0 ? (int)(64 + n) : -1;
	}
	return -1;
}
