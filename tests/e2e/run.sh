#!/bin/bash
# End-to-end tests: real programs run natively and as `sandbox run -- CMD`,
# stdout and exit status compared byte for byte; then the security tests
# (tests/e2e/security.sh) and the OCI runtime's (tests/e2e/oci.sh; E2E_OCI=0
# skips them). Prints PASS/FAIL per case and, last,
# "N passed, M failed"; exits 1 if any case failed.
#
#   tests/e2e/run.sh BUILD_DIR        (make e2e-test: tests/e2e/run.sh build)
#
# Helper programs are built with gcc into BUILD_DIR/e2e/. E2E_TIMEOUT
# (seconds, default 60) bounds each command. E2E_ONLY=e2e|security runs one
# half.

set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$E2E_DIR/lib.sh"
e2e_setup "${1:-build}"

# --- plain programs -------------------------------------------------------

e2e_programs() {
	cmp_case hello_static "$BIN/hello"
	cmp_case hello_dynamic "$BIN/hello_dyn"
	cmp_case true /bin/true
	cmp_case false /bin/false
	cmp_case echo_args /bin/echo hello "two  words" '*' -- 'quote"s' "$(printf 'tab\there')"
	cmp_case cat_os_release /bin/cat /etc/os-release
	cmp_case ls_la_usr /bin/ls -la /usr
	cmp_case sh_builtin /bin/sh -c 'echo "$((6 * 7))" "$0" "$#"; exit 3' arg0 a b

	run_to "$WORK/env.native" env -i FOO=bar PATH=/usr/bin:/bin /usr/bin/env
	run_to "$WORK/env.sandbox" env -i FOO=bar PATH=/usr/bin:/bin "$SB" run -- /usr/bin/env
	compare env

	# Generated data under the scratch directory, which the guest sees
	# through the read-only view of the host's /.
	local data=$WORK/data.bin lines=$WORK/lines.txt
	awk 'BEGIN { for (i = 0; i < 65536; i++) printf "%c", (i * 7 + int(i / 256)) % 256 }' >"$data"
	cat "$data" "$data" "$data" "$data" >"$data.4" && mv "$data.4" "$data"
	awk 'BEGIN { for (i = 1; i <= 20000; i++) print (i * 7919) % 10007, "line", i }' >"$lines"

	cmp_case sha256sum /usr/bin/sha256sum "$data" "$lines"
	cmp_case head /usr/bin/head -n 25 "$lines"
	cmp_case tail_bytes /usr/bin/tail -c 300 "$data"
	cmp_case sort /usr/bin/sort "$lines"
	cmp_case sort_numeric /usr/bin/sort -n -k1,1 -k3,3n "$lines"
	cmp_case wc /usr/bin/wc "$lines" "$data"

	cmp_case busybox_wc /bin/busybox wc "$lines"
	cmp_case busybox_sha256sum /bin/busybox sha256sum "$data" "$lines"
	cmp_case busybox_printf /bin/busybox printf '%s-%d-%x-%5.2f|\n' abc 42 255 3.14159
	cmp_case busybox_ls_la_usr /bin/busybox ls -la /usr
	cmp_case busybox_md5sum_stdin_file /bin/busybox md5sum "$lines"

	cmp_case python3 /usr/bin/python3 -c \
		'import json, hashlib; print(json.dumps({"a": [1, 2]}), hashlib.sha256(b"x").hexdigest())'

	# sqlite3: a database under /tmp, 10,000 rows in one transaction, queries.
	local sql=$WORK/sqlite.sql
	cat >"$sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000)
INSERT INTO t SELECT x, 'row' || x, x * 0.5 FROM c;
COMMIT;
SELECT count(*), sum(v), max(name) FROM t;
SELECT name FROM t WHERE id IN (1, 5000, 10000) ORDER BY id;
CREATE INDEX tv ON t(v);
SELECT count(*) FROM t WHERE v BETWEEN 100 AND 200;
SQL
	cmp_case sqlite3_10000_rows /bin/bash -c "rm -f $WORK/e2e.db && sqlite3 $WORK/e2e.db <$sql"
}

# --- exit statuses --------------------------------------------------------

e2e_statuses() {
	cmp_case exit_42 "$BIN/exit42"
	expect_status exit_42 42

	cmp_case segv "$BIN/segv"
	expect_status segv 139
	local err=$WORK/segv.sandbox.err
	if grep -q SIGSEGV "$err"; then
		pass segv_report_names_signal
	else
		fail segv_report_names_signal "stderr does not mention SIGSEGV" "$(show_head "$err" stderr)"
	fi
	# The fault is `movl $42, (%rax)`: the report should name the instruction.
	if grep -qi 'mov' "$err"; then
		pass segv_report_names_instruction
	else
		fail segv_report_names_instruction "stderr does not name the mov instruction" \
			"$(show_head "$err" stderr)"
	fi

	# RLIMIT_FSIZE on a donated stdout that is a host regular file (run_to's
	# PREFIX.out): the write is clipped at the limit, then SIGXFSZ kills.
	cmp_case stdout_rlimit_fsize /bin/sh -c 'ulimit -f 2; exec /usr/bin/head -c 5000 /dev/zero'
	expect_status stdout_rlimit_fsize 153

	cmp_case missing_program /nonexistent/e2e-no-such-program
	expect_status missing_program 127
	expect_one_line missing_program
	run_to "$WORK/missing_in_path.sandbox" "$SB" run -- e2e-no-such-program-in-path
	expect_status missing_in_path 127

	local noexec=$WORK/not-executable
	printf '#!/bin/sh\necho should not run\n' >"$noexec"
	chmod 644 "$noexec"
	cmp_case not_executable "$noexec"
	expect_status not_executable 126
	expect_one_line not_executable

	local i=0 args
	for args in "run" "run --" "run --no-such-flag -- /bin/true" "run --cwd" \
		"run --env NOEQUALS -- /bin/true" "run --rootfs"; do
		i=$((i + 1))
		# shellcheck disable=SC2086 # word splitting wanted
		run_to "$WORK/usage_$i.sandbox" "$SB" $args
		expect_status "usage_$i" 125
		expect_one_line "usage_$i"
	done
	run_to "$WORK/usage_cmd.sandbox" "$SB" frobnicate
	expect_status usage_cmd 125
}

# --- CLI options ----------------------------------------------------------

e2e_options() {
	(cd /usr && run_to "$WORK/cwd_pwd.native" /bin/pwd)
	run_to "$WORK/cwd_pwd.sandbox" "$SB" run --cwd /usr -- /bin/pwd
	compare cwd_pwd
	(cd /usr/share && run_to "$WORK/cwd_getcwd.native" "$BIN/getcwd")
	run_to "$WORK/cwd_getcwd.sandbox" "$SB" run --cwd /usr/share -- "$BIN/getcwd"
	compare cwd_getcwd

	run_to "$WORK/env_flag.native" env A=B /usr/bin/printenv A
	run_to "$WORK/env_flag.sandbox" "$SB" run --env A=B -- /usr/bin/printenv A
	compare env_flag
	run_to "$WORK/env_override.native" env HOME=/e2e-home A=1 A=2 /usr/bin/printenv HOME A
	run_to "$WORK/env_override.sandbox" "$SB" run --env HOME=/e2e-home --env A=1 --env A=2 \
		-- /usr/bin/printenv HOME A
	compare env_override

	# stdin from a file, and through a pipe (the brief's `echo hi | sandbox run -- cat`).
	echo hi >"$WORK/hi.txt"
	E2E_STDIN=$WORK/hi.txt cmp_case stdin_file /bin/cat
	local side
	for side in native sandbox; do
		local pre=()
		[ "$side" = sandbox ] && pre=("$SB" run --)
		{
			echo hi | timeout -k 5 "$E2E_TIMEOUT" "${pre[@]}" cat >"$WORK/stdin_pipe.$side.out" \
				2>"$WORK/stdin_pipe.$side.err"
			echo "${PIPESTATUS[1]}" >"$WORK/stdin_pipe.$side.rc"
			# shellcheck disable=SC2002 # a pipe, not a file, is the point
			cat "$WORK/data.bin" | timeout -k 5 "$E2E_TIMEOUT" "${pre[@]}" /usr/bin/sha256sum \
				>"$WORK/stdin_pipe_big.$side.out" 2>"$WORK/stdin_pipe_big.$side.err"
			echo "${PIPESTATUS[1]}" >"$WORK/stdin_pipe_big.$side.rc"
		} 2>/dev/null
	done
	compare stdin_pipe
	compare stdin_pipe_big

	# --mount: a host directory read-only, a tmpfs with a size; --memory.
	local mdir=$WORK/mount-src
	mkdir -p "$mdir/sub" && echo bound >"$mdir/sub/f"
	run_to "$WORK/mount_bind.sandbox" "$SB" run --mount "type=bind,src=$mdir,dst=/e2e/bound,ro" \
		-- /bin/sh -c 'cat /e2e/bound/sub/f; echo x >/e2e/bound/new 2>/dev/null || echo refused;
			grep -c " /e2e/bound " /proc/mounts'
	printf 'bound\nrefused\n1\n' >"$WORK/mount_bind.want"
	if cmp -s "$WORK/mount_bind.want" "$WORK/mount_bind.sandbox.out" && [ ! -e "$mdir/new" ]; then
		pass mount_bind_ro
	else
		fail mount_bind_ro "$(show_head "$WORK/mount_bind.sandbox.out" stdout)" \
			"$(show_head "$WORK/mount_bind.sandbox.err" stderr)"
	fi
	run_to "$WORK/mount_tmpfs.sandbox" "$SB" run --mount type=tmpfs,dst=/scratch,size=1m -- \
		/bin/sh -c 'head -c 2000000 /dev/zero >/scratch/big 2>/dev/null; echo "rc=$?";
			stat -c %s /scratch/big; stat -f -c %T /scratch'
	printf 'rc=1\n1048576\ntmpfs\n' >"$WORK/mount_tmpfs.want"
	if cmp -s "$WORK/mount_tmpfs.want" "$WORK/mount_tmpfs.sandbox.out"; then
		pass mount_tmpfs_size_enospc
	else
		fail mount_tmpfs_size_enospc "$(diff "$WORK/mount_tmpfs.want" "$WORK/mount_tmpfs.sandbox.out")" \
			"$(show_head "$WORK/mount_tmpfs.sandbox.err" stderr)"
	fi
	# A host RLIMIT_AS (a container's or a batch system's): the sandbox still starts.
	# (Not for an ASan build: its shadow memory alone needs terabytes of address space.)
	run_to "$WORK/rlimit_as.sandbox" /bin/sh -c 'ulimit -v 3000000 && exec "$0" run -- /bin/echo started' "$SB"
	if grep -qa __asan_init "$SB"; then
		pass rlimit_as_host_cap_skipped_under_asan
	elif [ "$(cat "$WORK/rlimit_as.sandbox.out")" = started ]; then
		pass rlimit_as_host_cap
	else
		fail rlimit_as_host_cap "$(show_head "$WORK/rlimit_as.sandbox.err" stderr)"
	fi
	run_to "$WORK/memory_flag.sandbox" "$SB" run --memory 256m -- /bin/grep MemTotal /proc/meminfo
	if grep -q 'MemTotal: *262144 kB' "$WORK/memory_flag.sandbox.out"; then
		pass memory_flag_meminfo
	else
		fail memory_flag_meminfo "$(show_head "$WORK/memory_flag.sandbox.out" stdout)"
	fi
	local j=0 margs
	for margs in "--mount type=bind,dst=/x" "--mount type=tmpfs,dst=relative" \
		"--mount type=nfs,dst=/x" "--mount type=bind,src=/nonexistent-e2e,dst=/x,ro" \
		"--memory lots"; do
		j=$((j + 1))
		# shellcheck disable=SC2086 # word splitting wanted
		run_to "$WORK/mount_usage_$j.sandbox" "$SB" run $margs -- /bin/true
		expect_status "mount_usage_$j" 125
		expect_one_line "mount_usage_$j"
	done

	# --strace to stderr: program output unchanged, calls decoded.
	run_to "$WORK/strace.native" "$BIN/hello"
	run_to "$WORK/strace.sandbox" "$SB" run --strace -- "$BIN/hello"
	compare strace
	local want
	for want in 'write(1, "hello' 'exit_group('; do
		if grep -qF -- "$want" "$WORK/strace.sandbox.err"; then
			pass "strace_shows_${want%%(*}"
		else
			fail "strace_shows_${want%%(*}" "no line containing '$want' in the --strace output" \
				"$(show_head "$WORK/strace.sandbox.err" stderr)"
		fi
	done
	# --strace=FILE with a failing open: errno names.
	local trace=$WORK/strace-file.txt
	run_to "$WORK/strace_file.native" /bin/cat /nonexistent-e2e-file
	run_to "$WORK/strace_file.sandbox" "$SB" run --strace="$trace" -- /bin/cat /nonexistent-e2e-file
	compare strace_file
	if [ -f "$trace" ] && grep -q 'ENOENT' "$trace" && grep -qF 'exit_group(' "$trace"; then
		pass strace_file_errno_names
	else
		fail strace_file_errno_names "--strace=FILE: no ENOENT / exit_group( in $trace" \
			"$(show_head "$trace" trace)"
	fi
}

# --- pseudo-terminals (fs/tty/) -------------------------------------------

# pty_case NAME CMD...: cmp_case with /dev/pts numbers and job pids masked
# (the host's next free pty number is not the sandbox's).
pty_case() {
	local name=$1
	shift
	run_to "$WORK/$name.native" "$@"
	run_to "$WORK/$name.sandbox" "$SB" run -- "$@"
	sed -i -e 's#/dev/pts/[0-9][0-9]*#/dev/pts/N#g' -e 's/^\[\([0-9]\)\] [0-9][0-9]*/[\1] PID/' \
		"$WORK/$name.native.out" "$WORK/$name.sandbox.out"
	compare "$name"
}

e2e_pty() {
	# script(1): a new session on a pty; tty(1) names the slave, stty reads its termios.
	pty_case pty_script_tty_stty /usr/bin/script -qc 'tty; stty size' /dev/null
	pty_case pty_script_stty_a /usr/bin/script -qc 'stty -a' /dev/null
	# An interactive bash with job control: background jobs, a background
	# read stopped by SIGTTIN, job status reports.
	pty_case pty_bash_jobs /usr/bin/script -qc "bash --norc --noprofile -ic 'sleep 0.1 & wait %1; \
echo rc=\$?; (exit 3) & wait \$!; echo rc=\$?; cat & sleep 0.3; jobs; kill -KILL %1; sleep 0.3; \
jobs; echo done'" /dev/null
	# Python's pty module: pty.fork, os.openpty + termios, pty.spawn.
	pty_case pty_python /usr/bin/python3 "$E2E_DIR/progs/pty_python.py"
	# Signals the host sends `sandbox run` reach the guest: ^C on a terminal
	# (to sleep, to Python's KeyboardInterrupt, to an interactive bash's job
	# only), SIGTERM to a trapping bash and to sleep, SIGWINCH on a resize.
	run_to "$WORK/host_signals.native" /usr/bin/python3 "$E2E_DIR/progs/host_signals.py"
	run_to "$WORK/host_signals.sandbox" /usr/bin/python3 "$E2E_DIR/progs/host_signals.py" "$SB" run --
	compare host_signals
}

if [ "${E2E_ONLY:-}" != security ]; then
	e2e_programs
	e2e_statuses
	e2e_options
	e2e_pty
fi
# Shell scripts (fork/exec/wait, then pipes): tests/e2e/shell.sh; E2E_SHELL=0 skips them.
[ "${E2E_ONLY:-}" != security ] && [ "${E2E_SHELL:-1}" != 0 ] && . "$E2E_DIR/shell.sh" && shell_tests
# File-system programs (tar, cp -a, find, git, venv, sqlite WAL): tests/e2e/fsprogs.sh; E2E_FSPROGS=0 skips them.
[ "${E2E_ONLY:-}" != security ] && [ "${E2E_FSPROGS:-1}" != 0 ] && . "$E2E_DIR/fsprogs.sh" && fsprogs_tests
# Sockets from Python (AF_UNIX, loopback TCP/UDP): tests/e2e/net.sh; E2E_NET=0 skips them.
[ "${E2E_ONLY:-}" != security ] && [ "${E2E_NET:-1}" != 0 ] && . "$E2E_DIR/net.sh" && net_tests
# Servers in one sandbox (asyncio, ThreadingTCPServer x50, redis, nginx), egress
# under the policy and --publish: tests/e2e/egress.sh; E2E_EGRESS=0 skips them.
[ "${E2E_ONLY:-}" != security ] && [ "${E2E_EGRESS:-1}" != 0 ] && . "$E2E_DIR/egress.sh" && egress_tests
# procps and friends (ps, top, free, pgrep, df, mount): tests/e2e/procps.sh; E2E_PROCPS=0 skips them.
[ "${E2E_ONLY:-}" != security ] && [ "${E2E_PROCPS:-1}" != 0 ] && . "$E2E_DIR/procps.sh" && procps_tests
# Tracers as guests (strace, gdb): tests/e2e/ptrace.sh; E2E_PTRACE=0 skips them.
[ "${E2E_ONLY:-}" != security ] && [ "${E2E_PTRACE:-1}" != 0 ] && . "$E2E_DIR/ptrace.sh" && ptrace_tests
# Writable host binds: tests/e2e/hostfs.sh; E2E_HOSTFS=0 skips them.
[ "${E2E_ONLY:-}" != security ] && [ "${E2E_HOSTFS:-1}" != 0 ] && . "$E2E_DIR/hostfs.sh" && hostfs_tests
# Language runtimes (a JVM, Node, Rust) with threads and child processes:
# tests/e2e/runtimes.sh; E2E_RUNTIMES=0 skips them.
[ "${E2E_ONLY:-}" != security ] && [ "${E2E_RUNTIMES:-1}" != 0 ] && . "$E2E_DIR/runtimes.sh" && runtimes_tests
if [ "${E2E_ONLY:-}" != e2e ]; then
	. "$E2E_DIR/security.sh"
	security_tests
fi
# The OCI runtime with runc's command line, containerd and podman: tests/e2e/oci.sh.
if [ "${E2E_ONLY:-}" != security ] && [ "${E2E_OCI:-1}" != 0 ]; then
	. "$E2E_DIR/oci.sh"
	trap 'ctd_stop; rm -rf "$WORK"' EXIT
	oci_tests
fi
summary
