#!/bin/bash
# Tracers inside the sandbox (guest ptrace, sentry/ptrace.c): strace and
# gdb run as guests, tracing guests. What is stable is compared with a
# native run: strace's decoded write calls (per-process files, -ff, so no
# pids or interleaving show), the programs a traced python3's children
# exec, gdb's backtrace function names and printed value, a leak program's
# output and status under LeakSanitizer (whose report must name the leak);
# strace -c's summary is checked for its shape. Skipped (with a line saying so) where
# strace or gdb is missing. Sourced by tests/e2e/run.sh (ptrace_tests;
# E2E_PTRACE=0 skips them), or standalone:
#
#   tests/e2e/ptrace.sh BUILD_DIR
# shellcheck disable=SC2016 # the scripts are single-quoted on purpose

if [ -z "${E2E_DIR:-}" ]; then
	E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fi

# pt_case NAME SCRIPT: `sh -c SCRIPT` natively and in the sandbox, compared.
pt_case() {
	run_to "$WORK/$1.native" /bin/sh -c "$2"
	run_to "$WORK/$1.sandbox" "$SB" run -- /bin/sh -c "$2"
	compare "$1"
}

ptrace_strace_tests() {
	if ! command -v strace >/dev/null; then
		echo "SKIP ptrace_strace_* (no strace)"
		return
	fi
	local d=$WORK/strace-out      # natively a real directory; in the sandbox, its overlay copy
	# One process: the write calls it makes, decoded.
	pt_case ptrace_strace_write \
		'strace -qq -e trace=write -e signal=none /bin/echo hello "two words" 2>&1 >/dev/null'
	# A pipeline under -f: every process's writes, one file per process.
	pt_case ptrace_strace_f_pipe \
		"rm -rf $d && mkdir -p $d && strace -f -ff -qq -e trace=write,exit_group -e signal=none \
		 -o $d/t sh -c 'echo hi | cat' && cat $d/t.* | sort"
	# python3's subprocess (vfork, exec): what the traced children exec.
	pt_case ptrace_strace_python_subprocess \
		"rm -rf $d && mkdir -p $d && strace -f -ff -qq -e trace=execve -e signal=none -o $d/t \
		 /usr/bin/python3 -c 'import subprocess; subprocess.run([\"true\"])' && \
		 grep -h ' = 0\$' $d/t.* | sed 's/execve(\"\\([^\"]*\\)\".*/\\1/' | sort"
	# strace -c: a summary with a total, and ls's own output intact.
	run_to "$WORK/ptrace_strace_c.sandbox" "$SB" run -- /bin/sh -c 'strace -c ls / 2>&1 >/dev/null'
	if [ "$(cat "$WORK/ptrace_strace_c.sandbox.rc")" = 0 ] &&
		has_line "$WORK/ptrace_strace_c.sandbox.out" '^100\.00 +[0-9.]+ +[0-9]+ +[0-9]+ +[0-9]* *total$' &&
		has_line "$WORK/ptrace_strace_c.sandbox.out" ' (getdents64|openat)$'; then
		pass ptrace_strace_c
	else
		fail ptrace_strace_c "$(show_head "$WORK/ptrace_strace_c.sandbox.out" stdout 30)" \
			"$(show_head "$WORK/ptrace_strace_c.sandbox.err" stderr)"
	fi
}

ptrace_gdb_tests() {
	if ! command -v gdb >/dev/null; then
		echo "SKIP ptrace_gdb_* (no gdb)"
		return
	fi
	build_prog gdb_target -g -O0 || return
	local p=$BIN/gdb_target
	# Where it crashed: the backtrace's function names.
	pt_case ptrace_gdb_backtrace \
		"gdb -nx -batch -ex run -ex bt $p 2>/dev/null | grep -E '^(#[0-9]|Program received)' | \
		 sed -E 's/^#([0-9]+) +(0x[0-9a-f]+ in )?([A-Za-z_0-9]+) .*/#\\1 \\3/; s/^(Program received signal [A-Z]+).*/\\1/'"
	# A breakpoint, steps, a printed local, a single instruction step, then on to the crash.
	pt_case ptrace_gdb_breakpoint \
		"gdb -nx -batch -ex 'break main' -ex run -ex next -ex next -ex 'print x' -ex stepi \
		 -ex 'print x' -ex continue $p 2>/dev/null | \
		 grep -E '^(Breakpoint 1,|\\\$[0-9]+ = |Program received|x=)' | sed -E 's/ at .*//; s/0x[0-9a-f]+//g'"
	# A variable set from gdb, which reads and writes through /proc/PID/mem
	# (no warning about opening it: where it cannot, it falls back on PEEK/POKE).
	pt_case ptrace_gdb_proc_mem \
		"gdb -nx -batch -ex 'break main' -ex run -ex next -ex 'set var x = 100' -ex next \
		 -ex 'print x' -ex continue $p 2>&1 | grep -E '^(\\\$[0-9]+ = |x=)|/proc/[^ ]*mem'"
}

# LeakSanitizer: its StopTheWorld clones a tracer that attaches to every
# thread of the process (here pid 1, the sandbox's init) to scan them.
ptrace_lsan_tests() {
	if ! build_prog lsan_leak -g -fsanitize=address 2>/dev/null; then
		echo "SKIP ptrace_lsan_leak (no -fsanitize=address)"
		return
	fi
	# The guest gets the sanitizers' defaults whatever the test run sets (asan-test turns leaks off).
	cmp_case ptrace_lsan_leak env ASAN_OPTIONS=detect_leaks=1 "$BIN/lsan_leak"
	if has_line "$WORK/ptrace_lsan_leak.sandbox.err" 'ERROR: LeakSanitizer: detected memory leaks' &&
		has_line "$WORK/ptrace_lsan_leak.sandbox.err" '77 byte\(s\) leaked in 1 allocation'; then
		pass ptrace_lsan_report
	else
		fail ptrace_lsan_report "$(show_head "$WORK/ptrace_lsan_leak.sandbox.err" stderr)"
	fi
}

ptrace_tests() {
	ptrace_strace_tests
	ptrace_gdb_tests
	ptrace_lsan_tests
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	. "$E2E_DIR/lib.sh"
	e2e_setup "${1:-build}"
	ptrace_tests
	summary
fi
