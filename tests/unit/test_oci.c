/* The OCI runtime's parsers: config.json fields, signals, ids. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci/oci.h"

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
