/* The OCI runtime's parsers: config.json fields, signals, ids. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci/oci.h"
#include "sentry/seccomp.h"

static char bundle[64];

/* A bundle whose config.json is text (with rootfs/ made). */
static void write_bundle(const char *text)
{
	strcpy(bundle, "/tmp/oci-unit.XXXXXX");
	cr_assert_not_null(mkdtemp(bundle));
	char p[128];
	snprintf(p, sizeof(p), "%s/rootfs", bundle);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/config.json", bundle);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_bundle(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", bundle);
	cr_assert_eq(system(cmd), 0);
}

#define MINIMAL_PROCESS "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}"

/* config.json text with one member replaced, and the error it must give. */
static void expect_error(const char *text, const char *field)
{
	write_bundle(text);
	struct oci_spec spec;
	struct oci_error err = { "" };
	int rc = oci_spec_load(bundle, &spec, &err);
	remove_bundle();
	cr_assert_eq(rc, -1, "accepted: %s", text);
	cr_assert(strstr(err.msg, field), "message '%s' does not name %s", err.msg, field);
}

Test(oci, minimal_config_parses)
{
	write_bundle("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, " MINIMAL_PROCESS
		     ", \"hostname\": \"h\", \"linux\": {\"resources\": {\"memory\": {\"limit\": "
		     "268435456}, \"pids\": {\"limit\": 10}}}}");
	struct oci_spec spec;
	struct oci_error err = { "" };
	cr_assert_eq(oci_spec_load(bundle, &spec, &err), 0, "%s", err.msg);
	cr_assert(spec.has_process);
	cr_assert_str_eq(spec.process.args[0], "sh");
	cr_assert_null(spec.process.args[1]);
	cr_assert_str_eq(spec.hostname, "h");
	cr_assert_eq(spec.memory_limit, 268435456);
	cr_assert_eq(spec.pids_limit, 10);
	cr_assert(strstr(spec.root_path, "/rootfs"));
	oci_spec_free(&spec);
	remove_bundle();
}

Test(oci, unlimited_rlimit_is_not_an_error)
{
	/* 2^64-1 (RLIM_INFINITY) does not fit a JSON integer parser's int64. */
	write_bundle("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": "
		     "{\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"RLIMIT_CORE\", "
		     "\"hard\": 18446744073709551615, \"soft\": 0}]}}");
	struct oci_spec spec;
	struct oci_error err = { "" };
	cr_assert_eq(oci_spec_load(bundle, &spec, &err), 0, "%s", err.msg);
	cr_assert_eq(spec.process.rlimits[0].hard, UINT64_MAX);
	cr_assert_eq(spec.process.rlimits[0].soft, 0);
	oci_spec_free(&spec);
	remove_bundle();
}

Test(oci, errors_name_the_field)
{
	expect_error("{\"root\": {\"path\": \"rootfs\"}}", "ociVersion");
	expect_error("{\"ociVersion\": \"1.0\", \"root\": {\"path\": \"rootfs\"}, "
		     "\"process\": {\"args\": \"sh\", \"cwd\": \"/\"}}", "process.args");
	expect_error("{\"ociVersion\": \"1.0\", \"root\": {\"path\": \"rootfs\"}, "
		     "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 1.5}}}",
		     "process.user.uid");
	expect_error("{\"ociVersion\": \"1.0\", \"root\": {\"path\": \"nope\"}}", "root.path");
	expect_error("{\"ociVersion\": \"1.0\", \"root\": {\"path\": \"rootfs\"}, \"mounts\": "
		     "[{\"destination\": \"/x\", \"type\": \"ext4\"}]}", "mounts[0].type");
	expect_error("{\"ociVersion\": \"1.0\", \"root\": {\"path\": \"rootfs\"}, \"hooks\": "
		     "{\"poststop\": [{\"path\": \"/bin/true\", \"timeout\": 0}]}}",
		     "hooks.poststop[0].timeout");
	expect_error("{\"ociVersion\": \"1.0\", \"ociVersion\": \"1.0\"}", "config.json: line");
}

Test(oci, signals)
{
	cr_assert_eq(oci_parse_signal("TERM"), SIGTERM);
	cr_assert_eq(oci_parse_signal("SIGKILL"), SIGKILL);
	cr_assert_eq(oci_parse_signal("sigusr1"), SIGUSR1);
	cr_assert_eq(oci_parse_signal("9"), 9);
	cr_assert_eq(oci_parse_signal("RTMIN+2"), 36);
	cr_assert_eq(oci_parse_signal("SIGRTMAX"), 64);
	cr_assert_eq(oci_parse_signal("0"), -1);
	cr_assert_eq(oci_parse_signal("65"), -1);
	cr_assert_eq(oci_parse_signal("NOPE"), -1);
	cr_assert_eq(oci_parse_signal(""), -1);
}

Test(oci, container_ids)
{
	cr_assert(oci_valid_id("abc-DEF_1.2+3"));
	cr_assert_not(oci_valid_id(""));
	cr_assert_not(oci_valid_id(".."));
	cr_assert_not(oci_valid_id("a/b"));
	cr_assert_not(oci_valid_id("a b"));
}

/* ---- linux.seccomp: compiled by libseccomp, then run by the sentry's interpreter ---- */

#define X86_64 0xc000003eU      /* AUDIT_ARCH_X86_64 */

/* Compile a config whose linux.seccomp is profile (0, or the error in err). */
static int compile_profile(const char *profile, struct oci_spec *spec, struct oci_error *err)
{
	char text[8192];
	snprintf(text, sizeof(text), "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
		 MINIMAL_PROCESS ", \"linux\": {\"seccomp\": %s}}", profile);
	write_bundle(text);
	int rc = oci_spec_load(bundle, spec, err);
	remove_bundle();
	return rc;
}

/* What the compiled program returns for syscall nr with the first argument a0. */
static uint32_t verdict(const struct oci_spec *spec, uint32_t nr, uint64_t a0)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = X86_64, .args = { a0 } };
	cr_assert(spec->seccomp.enabled);
	cr_assert_eq(seccomp_check(spec->seccomp.prog.insns, spec->seccomp.prog.len), 0,
		     "the sentry's checker refuses the program");
	return seccomp_run(spec->seccomp.prog.insns, spec->seccomp.prog.len, &d);
}

static void load_ok(const char *profile, struct oci_spec *spec)
{
	struct oci_error err = { "" };
	cr_assert_eq(compile_profile(profile, spec, &err), 0, "%s: %s", profile, err.msg);
}

Test(oci_seccomp, errno_rule_over_allow)
{
	struct oci_spec spec;
	load_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", "
		"\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13}]}", &spec);
	cr_assert_eq(verdict(&spec, 83, 0), SECCOMP_RET_ERRNO | EACCES);
	cr_assert_eq(verdict(&spec, 258, 0), SECCOMP_RET_ERRNO | EACCES);
	cr_assert_eq(verdict(&spec, 39, 0), SECCOMP_RET_ALLOW);
	cr_assert_not(spec.seccomp.prog.log);
	oci_spec_free(&spec);
}

Test(oci_seccomp, actions_as_runc_maps_them)
{
	struct oci_spec spec;
	load_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", "
		"\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"], \"syscalls\": ["
		"{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_KILL\"},"
		"{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
		"{\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_TRAP\"},"
		"{\"names\": [\"geteuid\"], \"action\": \"SCMP_ACT_TRACE\"},"
		"{\"names\": [\"getgid\"], \"action\": \"SCMP_ACT_LOG\"},"
		"{\"names\": [\"getegid\"], \"action\": \"SCMP_ACT_ERRNO\"},"
		"{\"names\": [\"gettid\"], \"action\": \"SCMP_ACT_KILL_THREAD\"},"
		"{\"names\": [\"uname\"], \"action\": \"SCMP_ACT_ALLOW\"}]}", &spec);
	cr_assert_eq(verdict(&spec, 39, 0), SECCOMP_RET_KILL_THREAD);     /* KILL is KILL_THREAD */
	cr_assert_eq(verdict(&spec, 110, 0), SECCOMP_RET_KILL_PROCESS);
	cr_assert_eq(verdict(&spec, 102, 0), SECCOMP_RET_TRAP);
	cr_assert_eq(verdict(&spec, 107, 0), SECCOMP_RET_TRACE | EPERM);
	cr_assert_eq(verdict(&spec, 104, 0), SECCOMP_RET_LOG);
	cr_assert_eq(verdict(&spec, 108, 0), SECCOMP_RET_ERRNO | EPERM);  /* errnoRet's default */
	cr_assert_eq(verdict(&spec, 186, 0), SECCOMP_RET_KILL_THREAD);
	cr_assert_eq(verdict(&spec, 63, 0), SECCOMP_RET_ALLOW);
	cr_assert(spec.seccomp.prog.log);
	oci_spec_free(&spec);
}

Test(oci_seccomp, argument_comparisons)
{
	struct oci_spec spec;
	/*
	 * personality(0xffffffff) only; socket(AF_UNIX, any, 0) with all of
	 * its conditions; two conditions on one argument of kill are two rules
	 * (either matches), as runc makes them; MASKED_EQ's value is the mask.
	 */
	load_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
		"{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
		"\"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]},"
		"{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 3, \"args\": ["
		"{\"index\": 0, \"value\": 7, \"op\": \"SCMP_CMP_EQ\"},"
		"{\"index\": 0, \"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]},"
		"{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
		"\"value\": 268435456, \"valueTwo\": 268435456, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
		"{\"names\": [\"setuid\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
		"\"value\": 1000, \"op\": \"SCMP_CMP_GE\"}]}]}", &spec);
	cr_assert_eq(verdict(&spec, 135, 0xffffffff), SECCOMP_RET_ERRNO | EPERM);
	cr_assert_eq(verdict(&spec, 135, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(&spec, 135, 0x1ffffffffULL), SECCOMP_RET_ALLOW);   /* 64-bit compare */
	cr_assert_eq(verdict(&spec, 62, 7), SECCOMP_RET_ERRNO | ESRCH);
	cr_assert_eq(verdict(&spec, 62, 9), SECCOMP_RET_ERRNO | ESRCH);
	cr_assert_eq(verdict(&spec, 62, 8), SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(&spec, 56, 0x10000000 | 0x11), SECCOMP_RET_ERRNO | EPERM);
	cr_assert_eq(verdict(&spec, 56, 0x11), SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(&spec, 105, 999), SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(&spec, 105, 1000), SECCOMP_RET_ERRNO | EPERM);
	oci_spec_free(&spec);
}

Test(oci_seccomp, skips_what_runc_skips)
{
	struct oci_spec spec;
	/* A name libseccomp does not know, a rule with the default action, an empty names list. */
	load_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
		"{\"names\": [\"no_such_call\", \"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"},"
		"{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\"},"
		"{\"names\": [], \"action\": \"SCMP_ACT_KILL\"}]}", &spec);
	cr_assert_eq(spec.seccomp.unknown_names, 1);
	cr_assert_eq(verdict(&spec, 39, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(&spec, 110, 0), SECCOMP_RET_ERRNO | EPERM);
	oci_spec_free(&spec);
	/* No defaultAction and no syscalls: no seccomp at all (runc). */
	struct oci_error err = { "" };
	cr_assert_eq(compile_profile("{}", &spec, &err), 0, "%s", err.msg);
	cr_assert_not(spec.seccomp.enabled);
	oci_spec_free(&spec);
	cr_assert_eq(compile_profile("{\"listenerPath\": \"/run/agent.sock\"}", &spec, &err), 0);
	cr_assert_not(spec.seccomp.enabled);
	oci_spec_free(&spec);
}

Test(oci_seccomp, enosys_above_the_profile)
{
	struct oci_spec spec;
	/* runc's stub: above the highest x86-64 number named (openat, 257), ENOSYS. */
	load_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
		"\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": [{\"names\": [\"read\", "
		"\"openat\"], \"action\": \"SCMP_ACT_ALLOW\"}]}", &spec);
	cr_assert_eq(verdict(&spec, 257, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(&spec, 0, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(&spec, 83, 0), SECCOMP_RET_ERRNO | EPERM);
	cr_assert_eq(verdict(&spec, 435, 0), SECCOMP_RET_ERRNO | ENOSYS);
	cr_assert_eq(verdict(&spec, 0x40000000 | 435, 0), SECCOMP_RET_ERRNO | ENOSYS);
	cr_assert_eq(verdict(&spec, 0x40000000 | 83, 0), SECCOMP_RET_ERRNO | EPERM);
	oci_spec_free(&spec);
	/* Without architectures (or with a permissive default), no stub. */
	load_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"openat\"], "
		"\"action\": \"SCMP_ACT_ALLOW\"}]}", &spec);
	cr_assert_eq(verdict(&spec, 435, 0), SECCOMP_RET_ERRNO | EPERM);
	oci_spec_free(&spec);
	load_ok("{\"defaultAction\": \"SCMP_ACT_LOG\", \"architectures\": [\"SCMP_ARCH_X86_64\"], "
		"\"syscalls\": [{\"names\": [\"openat\"], \"action\": \"SCMP_ACT_ERRNO\"}]}", &spec);
	cr_assert_eq(verdict(&spec, 435, 0), SECCOMP_RET_LOG);
	cr_assert_eq(verdict(&spec, 257, 0), SECCOMP_RET_ERRNO | EPERM);
	oci_spec_free(&spec);
}

Test(oci_seccomp, hostile_profiles_are_errors)
{
	static const struct {
		const char *profile, *field;
	} bad[] = {
		{ "[]", "linux.seccomp: expected an object" },
		{ "{\"defaultAction\": \"SCMP_ACT_NOPE\"}", "linux.seccomp.defaultAction" },
		{ "{\"defaultAction\": 3}", "linux.seccomp.defaultAction" },
		{ "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY is not supported" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/a\", \"syscalls\": "
		  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
		  "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 65536}",
		  "linux.seccomp.defaultErrnoRet" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
		  "linux.seccomp.defaultErrnoRet" },
		{ "{\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
		  "linux.seccomp.defaultAction: required" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}",
		  "linux.seccomp.architectures[0]" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
		  "[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}", "linux.seccomp.flags[0]" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", "linux.seccomp.syscalls" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [7]}",
		  "linux.seccomp.syscalls[0]" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": "
		  "\"SCMP_ACT_ERRNO\"}]}", "linux.seccomp.syscalls[0].names" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"]}]}",
		  "linux.seccomp.syscalls[0].action: required" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\"}]}", "linux.seccomp.syscalls[0].names[0]" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": "
		  "\"SCMP_CMP_EQ\"}]}]}", "linux.seccomp.syscalls[0].args[0].index" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
		  "\"SCMP_CMP_LIKE\"}]}]}", "linux.seccomp.syscalls[0].args[0].op" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": "
		  "\"SCMP_CMP_EQ\"}]}]}", "linux.seccomp.syscalls[0].args[0].value" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1.5, \"op\": "
		  "\"SCMP_CMP_EQ\"}]}]}", "linux.seccomp.syscalls[0].args[0].value" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct oci_spec spec;
		struct oci_error err = { "" };
		cr_assert_eq(compile_profile(bad[i].profile, &spec, &err), -1, "accepted: %s",
			     bad[i].profile);
		cr_assert(strstr(err.msg, bad[i].field), "message '%s' does not name %s", err.msg,
			  bad[i].field);
	}
}
