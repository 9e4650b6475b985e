# Shared helpers for tests/e2e/run.sh and tests/e2e/security.sh (sourced).
#
# Expects: BUILD (build directory), SB (the sandbox binary), BIN (where the
# helper programs are built), WORK (a scratch directory for this run).
# Provides: pass/fail counting, run_to (run one command with a timeout and
# capture stdout, stderr and status), cmp_case (run natively and in the
# sandbox and compare), build_prog.

E2E_PASSED=${E2E_PASSED:-0}
E2E_FAILED=${E2E_FAILED:-0}
E2E_TIMEOUT=${E2E_TIMEOUT:-60}
E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

pass() {
	echo "PASS $1"
	E2E_PASSED=$((E2E_PASSED + 1))
}

# fail NAME [DETAIL...]: each DETAIL is printed indented (a diff, a message).
fail() {
	echo "FAIL $1"
	shift
	local d
	for d in "$@"; do
		[ -n "$d" ] && printf '%s\n' "$d" | sed 's/^/    /'
	done
	E2E_FAILED=$((E2E_FAILED + 1))
}

# summary: the last line of a run, and the exit status.
summary() {
	echo "$E2E_PASSED passed, $E2E_FAILED failed"
	[ "$E2E_FAILED" -eq 0 ]
}

# run_to PREFIX CMD...: runs CMD with a timeout, stdin from $E2E_STDIN
# (default /dev/null); writes PREFIX.out, PREFIX.err and PREFIX.rc. The
# brace group's redirection also catches bash's own "Segmentation fault"
# notice for a command killed by a signal.
run_to() {
	local p=$1
	shift
	{
		timeout -k 5 "$E2E_TIMEOUT" "$@" <"${E2E_STDIN:-/dev/null}" >"$p.out" 2>"$p.err"
		echo $? >"$p.rc"
	} 2>/dev/null
}

# The first lines of a file, indented, for failure reports.
show_head() {
	[ -s "$1" ] && { echo "$2:"; head -n "${3:-15}" "$1"; }
}

# compare NAME: compares $WORK/NAME.native.{out,rc} with
# $WORK/NAME.sandbox.{out,rc} byte for byte.
compare() {
	local n=$WORK/$1.native s=$WORK/$1.sandbox
	if cmp -s "$n.out" "$s.out" && cmp -s "$n.rc" "$s.rc"; then
		pass "$1"
		return 0
	fi
	fail "$1" "exit status: native $(cat "$n.rc"), sandbox $(cat "$s.rc")" \
		"$(diff -u --label native "$n.out" --label sandbox "$s.out" | head -n 40)" \
		"$(show_head "$s.err" 'sandbox stderr')"
	return 1
}

# cmp_case NAME CMD...: CMD natively and as `sandbox run -- CMD`.
cmp_case() {
	local name=$1
	shift
	run_to "$WORK/$name.native" "$@"
	run_to "$WORK/$name.sandbox" "$SB" run -- "$@"
	compare "$name"
}

# build_prog NAME [GCC FLAGS...]: builds $E2E_DIR/progs/NAME.c into $BIN/NAME.
build_prog() {
	local name=$1
	shift
	if [ "$BIN/$name" -nt "$E2E_DIR/progs/$name.c" ]; then
		return 0
	fi
	gcc -O1 -Wall -Werror "$@" -o "$BIN/$name" "$E2E_DIR/progs/$name.c"
}

# has_line FILE REGEX: whether FILE has a line matching the extended REGEX.
has_line() {
	grep -Eq -- "$2" "$1"
}

# expect_status NAME WANT: the sandbox run's status (and the native one's,
# if there is one) is WANT.
expect_status() {
	local s n
	s=$(cat "$WORK/$1.sandbox.rc")
	if [ -e "$WORK/$1.native.rc" ]; then
		n=$(cat "$WORK/$1.native.rc")
		[ "$n" = "$2" ] || { fail "$1_status" "native status $n, expected $2 (test bug?)"; return; }
	fi
	if [ "$s" = "$2" ]; then
		pass "$1_status"
	else
		fail "$1_status" "sandbox status $s, expected $2" "$(show_head "$WORK/$1.sandbox.err" stderr)"
	fi
}

# expect_one_line NAME: the sandbox wrote exactly one line to stderr.
expect_one_line() {
	local f=$WORK/$1.sandbox.err lines
	lines=$(wc -l <"$f")
	if grep -q '^timeout: failed to run' "$f"; then
		fail "$1_one_line_message" "the sandbox did not run: $(cat "$f")"
	elif [ "$lines" -eq 1 ]; then
		pass "$1_one_line_message"
	else
		fail "$1_one_line_message" "stderr has $lines lines, expected 1" "$(show_head "$f" stderr)"
	fi
}

# e2e_setup BUILD_DIR: sets BUILD, SB, BIN and WORK (removed at exit) and
# builds the helper programs.
e2e_setup() {
	BUILD=${1:-build}
	SB=$BUILD/sandbox
	case $SB in /*) ;; *) SB=$PWD/$SB ;; esac
	BIN=$BUILD/e2e
	case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
	mkdir -p "$BIN"
	# Under /tmp so that the sandbox's default root (the host's /) shows it.
	WORK=$(mktemp -d /tmp/sandbox-e2e.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
	ulimit -c 0
	build_prog hello -static || exit 1
	build_prog hello_dyn || exit 1
	build_prog exit42 -static || exit 1
	build_prog segv -static || exit 1
	build_prog getcwd -static || exit 1
	build_prog fuzz_syscalls -static -no-pie || exit 1
	build_prog fuzz_sockets -static || exit 1
	build_prog threads64 -lpthread || exit 1
	build_prog int80 -static -no-pie || exit 1
	build_prog overlay_writes -static || exit 1
	build_prog walk_race -lpthread || exit 1
	build_prog stub_escape -static || exit 1
	if [ ! -x "$SB" ]; then
		echo "note: $SB does not exist or is not executable; sandbox cases will fail"
	fi
}
