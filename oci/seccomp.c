/*
 * linux.seccomp: the profile compiled by libseccomp into the classic-BPF
 * program that the sentry installs on each container process (sentry/
 * seccomp.c then runs it on every syscall of theirs). What runc does
 * (libcontainer/specconv, libcontainer/seccomp and its patchbpf), so a
 * Docker, containerd or podman profile means the same here:
 *
 * - no defaultAction and no syscalls: no filter at all;
 * - SCMP_ACT_KILL is KILL_THREAD; ERRNO and TRACE take errnoRet (default
 *   EPERM), other actions ignore it; TRACE finds no tracer, so the call
 *   fails with ENOSYS, as Linux's does without one;
 * - a rule whose action is the default action is skipped;
 * - a name libseccomp does not know is skipped (a newer profile on an
 *   older library), counted for the runtime's debug log;
 * - a rule's conditions must all hold (one libseccomp rule), except when
 *   two test the same argument: then each is a rule of its own, so any of
 *   them matches (runc's old behaviour, kept because libseccomp refuses two
 *   conditions on one argument);
 * - more than 32 names: libseccomp's binary-tree layout (runc's choice);
 * - the -ENOSYS stub: with a default action other than ALLOW, LOG or
 *   TRACE, a syscall numbered above every one the profile names fails with
 *   ENOSYS, not the default action, so that programs fall back from calls
 *   newer than the profile as they would on an older kernel;
 * - flags: TSYNC (nothing to do: the filter is there before the process
 *   has a second thread), SPEC_ALLOW (the sentry has no speculation
 *   control to relax) and LOG; any other flag is an error.
 *
 * SCMP_ACT_NOTIFY is refused: the sentry's seccomp has no user
 * notification, so create fails with a message, as runc's does where the
 * kernel or libseccomp lacks it. listenerPath alone is accepted (runc
 * uses it only for NOTIFY).
 *
 * Guests only ever make x86-64 (and x32-numbered) syscalls through the
 * filter: int 0x80 is refused with ENOSYS before it (sentry/task.c), so the
 * i386 part of a profile is compiled, as runc does, but never runs.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "oci/oci.h"

#define X32_SYSCALL_BIT 0x40000000U
#define MAX_ARGS 6
#define MAX_ERRNO_RET 0xffff          /* SECCOMP_RET_DATA; Linux caps errnos at 4095 */
#define OPTIMIZE_ABOVE 32             /* names; runc's threshold for the binary tree */
#define STUB_MAX 8

/* seccomp_data's layout, which libseccomp's programs read. */
#define DATA_NR 0
#define DATA_ARCH 4

static const struct {
	const char *name;
	uint32_t action;                  /* the errno, if any, goes in the low 16 bits */
	bool takes_errno;
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false },      /* runc: KILL is KILL_THREAD */
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* runc's table of the spec's names; libseccomp may still lack one (an error then). */
static const struct {
	const char *oci, *libseccomp;
} arches[] = {
	{ "SCMP_ARCH_X86", "x86" }, { "SCMP_ARCH_X86_64", "x86_64" }, { "SCMP_ARCH_X32", "x32" },
	{ "SCMP_ARCH_ARM", "arm" }, { "SCMP_ARCH_AARCH64", "aarch64" },
	{ "SCMP_ARCH_MIPS", "mips" }, { "SCMP_ARCH_MIPS64", "mips64" },
	{ "SCMP_ARCH_MIPS64N32", "mips64n32" }, { "SCMP_ARCH_MIPSEL", "mipsel" },
	{ "SCMP_ARCH_MIPSEL64", "mipsel64" }, { "SCMP_ARCH_MIPSEL64N32", "mipsel64n32" },
	{ "SCMP_ARCH_PPC", "ppc" }, { "SCMP_ARCH_PPC64", "ppc64" },
	{ "SCMP_ARCH_PPC64LE", "ppc64le" }, { "SCMP_ARCH_RISCV64", "riscv64" },
	{ "SCMP_ARCH_S390", "s390" }, { "SCMP_ARCH_S390X", "s390x" },
	{ "SCMP_ARCH_LOONGARCH64", "loongarch64" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* What the compilation keeps track of besides the libseccomp context. */
struct compile {
	scmp_filter_ctx ctx;
	uint32_t default_action;
	bool want_x86_64, want_x32;       /* listed in architectures: the -ENOSYS stub covers them */
	uint32_t max_x86_64, max_x32;     /* the highest syscall number named, per ABI */
	size_t names;
};

/* An optional string member; absent or null leaves *out. */
static int member_string(json_t *obj, const char *key, const char *what, const char **out,
			 struct oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	char name[160];
	snprintf(name, sizeof(name), "%s.%s", what, key);
	return oci_json_string(v, name, out, err);
}

/*
 * An action and its errno: obj's act_key and errno_key members. *out is the
 * libseccomp action; absent action: *present false.
 */
static int parse_action(json_t *obj, const char *act_key, const char *errno_key,
			const char *what, bool *present, uint32_t *out, struct oci_error *err)
{
	const char *name = NULL;
	*present = false;
	if (member_string(obj, act_key, what, &name, err))
		return -1;
	if (!name || !name[0])
		return 0;
	size_t i;
	for (i = 0; i < N(actions); i++)
		if (!strcmp(name, actions[i].name))
			break;
	if (i == N(actions))
		return oci_fail(err, "%s.%s: unknown action \"%s\"", what, act_key, name);
	if (actions[i].action == SCMP_ACT_NOTIFY)
		return oci_fail(err, "%s.%s: SCMP_ACT_NOTIFY is not supported: the sandbox's seccomp "
				     "has no user notification (no seccomp agent can serve it)",
				what, act_key);
	uint64_t e = EPERM;
	json_t *ev = json_object_get(obj, errno_key);
	if (ev && !json_is_null(ev)) {
		char f[160];
		snprintf(f, sizeof(f), "%s.%s", what, errno_key);
		if (oci_json_u64(ev, f, MAX_ERRNO_RET, &e, err))
			return -1;
	}
	*out = actions[i].action | (actions[i].takes_errno ? (uint32_t)e : 0);
	*present = true;
	return 0;
}

static bool permissive(uint32_t action)
{
	uint32_t a = action & 0xffff0000U;
	return a == SCMP_ACT_ALLOW || a == SCMP_ACT_LOG || a == (SCMP_ACT_TRACE(0) & 0xffff0000U);
}

static int parse_arches(json_t *v, struct compile *c, struct oci_error *err)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return oci_fail(err, "linux.seccomp.architectures: expected an array of strings");
	for (size_t i = 0; i < json_array_size(v); i++) {
		char what[96];
		const char *name;
		snprintf(what, sizeof(what), "linux.seccomp.architectures[%zu]", i);
		if (oci_json_string(json_array_get(v, i), what, &name, err))
			return -1;
		size_t k;
		for (k = 0; k < N(arches); k++)
			if (!strcmp(name, arches[k].oci))
				break;
		if (k == N(arches))
			return oci_fail(err, "%s: unknown architecture \"%s\"", what, name);
		uint32_t token = seccomp_arch_resolve_name(arches[k].libseccomp);
		if (!token)
			return oci_fail(err, "%s: %s is not supported by this libseccomp", what, name);
		int rc = seccomp_arch_add(c->ctx, token);
		if (rc && rc != -EEXIST)
			return oci_fail(err, "%s: %s: %s", what, name, strerror(-rc));
		c->want_x86_64 |= token == SCMP_ARCH_X86_64;
		c->want_x32 |= token == SCMP_ARCH_X32;
	}
	return 0;
}

static int parse_flags(json_t *v, struct oci_seccomp *out, struct oci_error *err)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return oci_fail(err, "linux.seccomp.flags: expected an array of strings");
	for (size_t i = 0; i < json_array_size(v); i++) {
		char what[96];
		const char *name;
		snprintf(what, sizeof(what), "linux.seccomp.flags[%zu]", i);
		if (oci_json_string(json_array_get(v, i), what, &name, err))
			return -1;
		if (!strcmp(name, "SECCOMP_FILTER_FLAG_LOG"))
			out->prog.log = true;
		else if (strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC") &&
			 strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			return oci_fail(err, "%s: seccomp flag \"%s\" is not supported (TSYNC, LOG and "
					     "SPEC_ALLOW are)", what, name);
	}
	return 0;
}

/* One entry of syscalls[].args. */
static int parse_arg(json_t *a, const char *what, struct scmp_arg_cmp *cmp, struct oci_error *err)
{
	if (!json_is_object(a))
		return oci_fail(err, "%s: expected an object", what);
	char f[192];
	uint64_t index, value, two = 0;
	json_t *v = json_object_get(a, "index");
	snprintf(f, sizeof(f), "%s.index", what);
	if (!v)
		return oci_fail(err, "%s: required", f);
	if (oci_json_u64(v, f, MAX_ARGS - 1, &index, err))
		return -1;
	snprintf(f, sizeof(f), "%s.value", what);
	if (!(v = json_object_get(a, "value")))
		return oci_fail(err, "%s: required", f);
	if (oci_json_u64(v, f, UINT64_MAX, &value, err))
		return -1;
	snprintf(f, sizeof(f), "%s.valueTwo", what);
	if ((v = json_object_get(a, "valueTwo")) && !json_is_null(v) &&
	    oci_json_u64(v, f, UINT64_MAX, &two, err))
		return -1;
	const char *op = NULL;
	if (member_string(a, "op", what, &op, err))
		return -1;
	if (!op)
		return oci_fail(err, "%s.op: required", what);
	size_t k;
	for (k = 0; k < N(operators); k++)
		if (!strcmp(op, operators[k].name))
			break;
	if (k == N(operators))
		return oci_fail(err, "%s.op: unknown operator \"%s\"", what, op);
	/* MASKED_EQ: value is the mask, valueTwo what the masked argument must equal. */
	*cmp = (struct scmp_arg_cmp){ .arg = (unsigned)index, .op = operators[k].op,
				      .datum_a = value, .datum_b = two };
	return 0;
}

/* The rules of one name; conds as parsed (n of them). */
static int add_rules(struct compile *c, const char *what, const char *name, int nr,
		     uint32_t action, const struct scmp_arg_cmp *conds, unsigned n,
		     struct oci_error *err)
{
	bool same_arg = false;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			same_arg |= conds[i].arg == conds[j].arg;
	int rc = 0;
	if (!same_arg) {
		rc = seccomp_rule_add_array(c->ctx, action, nr, n, conds);
	} else {
		for (unsigned i = 0; i < n && !rc; i++)
			rc = seccomp_rule_add_array(c->ctx, action, nr, 1, &conds[i]);
	}
	if (rc)
		return oci_fail(err, "%s: %s: libseccomp refused the rule: %s", what, name,
				strerror(-rc));
	return 0;
}

static void note_highest(struct compile *c, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
	if (nr >= 0 && (uint32_t)nr > c->max_x86_64)
		c->max_x86_64 = (uint32_t)nr;
	nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, name);
	if (nr >= 0 && (uint32_t)nr > c->max_x32)
		c->max_x32 = (uint32_t)nr;
}

static int parse_syscall(json_t *s, size_t i, struct compile *c, struct oci_seccomp *out,
			 struct oci_error *err)
{
	char what[96];
	snprintf(what, sizeof(what), "linux.seccomp.syscalls[%zu]", i);
	if (!json_is_object(s))
		return oci_fail(err, "%s: expected an object", what);
	json_t *names = json_object_get(s, "names");
	if (!names)
		return oci_fail(err, "%s.names: required", what);
	if (!json_is_array(names))
		return oci_fail(err, "%s.names: expected an array of strings", what);
	bool present;
	uint32_t action;
	if (parse_action(s, "action", "errnoRet", what, &present, &action, err))
		return -1;
	if (!present)
		return oci_fail(err, "%s.action: required", what);
	struct scmp_arg_cmp conds[MAX_ARGS * 4];
	unsigned n = 0;
	json_t *args = json_object_get(s, "args");
	if (args && !json_is_null(args)) {
		if (!json_is_array(args))
			return oci_fail(err, "%s.args: expected an array", what);
		if (json_array_size(args) > N(conds))
			return oci_fail(err, "%s.args: more than %zu conditions", what, N(conds));
		for (size_t k = 0; k < json_array_size(args); k++) {
			char f[128];
			snprintf(f, sizeof(f), "%s.args[%zu]", what, k);
			if (parse_arg(json_array_get(args, k), f, &conds[n++], err))
				return -1;
		}
	}
	for (size_t k = 0; k < json_array_size(names); k++) {
		char f[128];
		const char *name;
		snprintf(f, sizeof(f), "%s.names[%zu]", what, k);
		if (oci_json_string(json_array_get(names, k), f, &name, err))
			return -1;
		if (!name[0])
			return oci_fail(err, "%s: an empty string is not a syscall name", f);
		c->names++;
		note_highest(c, name);
		if (action == c->default_action)
			continue;           /* nothing to add; libseccomp would refuse it */
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			out->unknown_names++;
			continue;
		}
		if (add_rules(c, f, name, nr, action, conds, n, err))
			return -1;
	}
	return 0;
}

/*
 * runc's -ENOSYS stub (patchbpf), for the x86-64 family: before the
 * filter, an x86-64 (or x32) syscall numbered above the highest one the
 * profile names for that ABI returns ENOSYS. 0 instructions if the
 * profile lists neither ABI (or names no syscall of it).
 */
static unsigned enosys_stub(const struct compile *c, struct sock_filter *p)
{
	bool x64 = c->want_x86_64 && c->max_x86_64, x32 = c->want_x32 && c->max_x32;
	if (!x64 && !x32)
		return 0;
	unsigned enosys = x64 && x32 ? 6 : 5, filter = enosys + 1;
	/* A jump from pc lands at pc + 1 + offset. */
	p[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH);
	p[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0,
					    filter - 2);
	p[2] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA_NR);
	if (x64 && x32) {
		p[3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 1, 0);
		p[4] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, c->max_x86_64,
						    enosys - 5, filter - 5);
		p[5] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, c->max_x32,
						    enosys - 6, filter - 6);
	} else {
		/* The other ABI's calls go straight to the filter. */
		p[3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT,
						    x64 ? filter - 4 : 0, x64 ? 0 : filter - 4);
		p[4] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K,
						    x64 ? c->max_x86_64 : c->max_x32,
						    enosys - 5, filter - 5);
	}
	p[enosys] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS));
	return filter;
}

/* libseccomp's program, after the stub: into out->prog. */
static int export_program(struct compile *c, struct oci_seccomp *out, struct oci_error *err)
{
	struct sock_filter stub[STUB_MAX];
	unsigned nstub = 0;
	if (!permissive(c->default_action) && c->default_action != SCMP_ACT_ERRNO(ENOSYS))
		nstub = enosys_stub(c, stub);
	/* libseccomp 2.5 exports only to an fd. */
	int fd = memfd_create("oci-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return oci_fail(err, "linux.seccomp: memfd_create: %s", strerror(errno));
	int rc = seccomp_export_bpf(c->ctx, fd);
	off_t size = rc ? 0 : lseek(fd, 0, SEEK_END);
	if (rc || size <= 0 || size % sizeof(struct sock_filter)) {
		close(fd);
		return oci_fail(err, "linux.seccomp: libseccomp could not export the filter: %s",
				rc ? strerror(-rc) : "no program");
	}
	size_t len = nstub + (size_t)size / sizeof(struct sock_filter);
	if (len > BPF_MAXINSNS) {
		close(fd);
		return oci_fail(err, "linux.seccomp: the profile compiles to %zu instructions, more "
				     "than the %d a seccomp filter may have", len, BPF_MAXINSNS);
	}
	struct sock_filter *insns = malloc(len * sizeof(*insns));
	if (!insns) {
		close(fd);
		return oci_fail(err, "out of memory");
	}
	memcpy(insns, stub, nstub * sizeof(*insns));
	ssize_t got = pread(fd, insns + nstub, (size_t)size, 0);
	close(fd);
	if (got != size) {
		free(insns);
		return oci_fail(err, "linux.seccomp: reading the exported filter: %s",
				got < 0 ? strerror(errno) : "short read");
	}
	out->prog.insns = insns;
	out->prog.len = (unsigned short)len;
	return 0;
}

static int compile(json_t *v, struct compile *c, struct oci_seccomp *out, struct oci_error *err)
{
	json_t *syscalls = json_object_get(v, "syscalls");
	if (syscalls && !json_is_null(syscalls) && !json_is_array(syscalls))
		return oci_fail(err, "linux.seccomp.syscalls: expected an array");
	bool present;
	if (parse_action(v, "defaultAction", "defaultErrnoRet", "linux.seccomp", &present,
			 &c->default_action, err))
		return -1;
	if (!present) {
		/* runc: no default action and no syscalls is no seccomp at all. */
		if (!json_array_size(syscalls))
			return 0;
		return oci_fail(err, "linux.seccomp.defaultAction: required with syscalls");
	}
	const char *ignored;
	if (member_string(v, "listenerPath", "linux.seccomp", &ignored, err) ||
	    member_string(v, "listenerMetadata", "linux.seccomp", &ignored, err))
		return -1;
	if (parse_flags(json_object_get(v, "flags"), out, err))
		return -1;
	c->ctx = seccomp_init(c->default_action);
	if (!c->ctx)
		return oci_fail(err, "linux.seccomp.defaultAction: libseccomp refused it");
	if (parse_arches(json_object_get(v, "architectures"), c, err))
		return -1;
	for (size_t i = 0; i < json_array_size(syscalls); i++)
		if (parse_syscall(json_array_get(syscalls, i), i, c, out, err))
			return -1;
	/* An optimisation only: an older libseccomp without it is no error. */
	if (c->names > OPTIMIZE_ABOVE)
		seccomp_attr_set(c->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (export_program(c, out, err))
		return -1;
	out->enabled = true;
	return 0;
}

int oci_seccomp_compile(json_t *v, struct oci_seccomp *out, struct oci_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return oci_fail(err, "linux.seccomp: expected an object");
	struct compile c = { 0 };
	int rc = compile(v, &c, out, err);
	if (c.ctx)
		seccomp_release(c.ctx);
	if (rc)
		oci_seccomp_free(out);
	return rc;
}

void oci_seccomp_free(struct oci_seccomp *sc)
{
	free((void *)sc->prog.insns);
	memset(sc, 0, sizeof(*sc));
}

json_t *oci_seccomp_features(void)
{
	json_t *acts = json_array(), *ops = json_array(), *archs = json_array();
	json_t *flags = json_pack("[sss]", "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
				  "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
	for (size_t i = 0; acts && i < N(actions); i++)
		if (actions[i].action != SCMP_ACT_NOTIFY)
			json_array_append_new(acts, json_string(actions[i].name));
	for (size_t i = 0; ops && i < N(operators); i++)
		json_array_append_new(ops, json_string(operators[i].name));
	for (size_t i = 0; archs && i < N(arches); i++)
		if (seccomp_arch_resolve_name(arches[i].libseccomp))
			json_array_append_new(archs, json_string(arches[i].oci));
	if (!acts || !ops || !archs || !flags) {
		json_decref(acts);
		json_decref(ops);
		json_decref(archs);
		json_decref(flags);
		return NULL;
	}
	return json_pack("{s:b, s:o, s:o, s:o, s:O, s:o}", "enabled", 1, "actions", acts,
			 "operators", ops, "archs", archs, "knownFlags", flags,
			 "supportedFlags", flags);
}
