#!/usr/bin/env bash
# Runs every syscall conformance program natively and under a runtime, and
# prints a matrix of results.
#
#   tests/syscalls/run.sh [--build DIR] [--sandbox PATH | --wrapper "CMD ARGS" |
#                          --native-only] [--timeout SECS] [NAME...]
#
#   --build DIR       where the programs are: DIR/syscalls/* (default: build)
#   --sandbox PATH    runtime is `PATH run -- PROG` (default: DIR/sandbox)
#   --wrapper "CMD"   runtime is `CMD PROG` (e.g. --wrapper "proot -r /")
#   --native-only     run natively only
#   NAME...           only these programs
#
# A run passes when the program exits 0 within the timeout and prints no
# FAIL line. The last line is "N passed, M failed" (programs x modes); the
# exit status is 1 if anything failed.
set -u

build=build
sandbox=
wrapper=
native_only=0
tmo=30
names=()

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=${2:?}; shift 2 ;;
	--sandbox) sandbox=${2:?}; shift 2 ;;
	--wrapper) wrapper=${2:?}; shift 2 ;;
	--native-only) native_only=1; shift ;;
	--timeout) tmo=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	--*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) names+=("$1"); shift ;;
	esac
done

dir="$build/syscalls"
if [ ! -d "$dir" ]; then
	echo "run.sh: no $dir (build the programs first: make syscall-test)" >&2
	exit 2
fi
# Absolute program paths, so argv[0] does not depend on the runtime's cwd.
dir=$(cd "$dir" && pwd)

# Runtime prefix as an array.
runtime=()
label=
if [ "$native_only" = 0 ]; then
	if [ -n "$wrapper" ]; then
		read -r -a runtime <<<"$wrapper"
		label=$(basename "${runtime[0]}")
	else
		[ -n "$sandbox" ] || sandbox="$build/sandbox"
		if [ ! -x "$sandbox" ]; then
			echo "run.sh: sandbox $sandbox not found or not executable" >&2
			exit 2
		fi
		runtime=("$sandbox" run --)
		label=sandbox
	fi
fi

progs=()
if [ ${#names[@]} -gt 0 ]; then
	for n in "${names[@]}"; do progs+=("$dir/$(basename "$n")"); done
else
	for p in "$dir"/*; do
		[ -f "$p" ] && [ -x "$p" ] && progs+=("$p")
	done
fi
if [ ${#progs[@]} -eq 0 ]; then
	echo "run.sh: no test programs in $dir" >&2
	exit 2
fi

out=$(mktemp "${TMPDIR:-/tmp}/conf-run.XXXXXX")
trap 'rm -f "$out"' EXIT

passed=0
failed=0
recap=()
skipped=0

# Cases that fail under the runtime for a documented, tracked reason (one
# "file:case  reason" per line). They are shown as GAP and counted as
# skipped for the runtime only; natively every case must pass.
gaps_file=$(dirname "$0")/known-gaps
known_gap() {
	[ -f "$gaps_file" ] && grep -q "^$1[[:space:]]" "$gaps_file"
}

# run_one PROG PREFIX... : sets $status (PASS/FAIL/GAP) and $detail.
run_one() {
	local prog=$1; shift
	local rc
	# (The subshell keeps bash's "Segmentation fault" notices off our output.)
	(timeout -k 5 "$tmo" "$@" "$prog" </dev/null >"$out" 2>&1; exit $?) 2>/dev/null
	rc=$?
	local fails
	fails=$(grep -a '^FAIL ' "$out")
	detail=
	if [ "$rc" = 0 ] && [ -z "$fails" ] && grep -aq '^ok ' "$out"; then
		status=PASS
		passed=$((passed + 1))
		return
	fi
	# Under a runtime, failures that are all known gaps make a GAP.
	if [ $# -gt 0 ] && [ "$rc" = 1 ] && [ -n "$fails" ]; then
		local f c unknown=""
		while IFS= read -r f; do
			c=${f#FAIL }
			c=${c%%: *}
			known_gap "$c" || unknown=1
		done <<<"$fails"
		if [ -z "$unknown" ]; then
			status=GAP
			skipped=$((skipped + 1))
			detail=$(printf '%s\n' "$fails" | sed 's/^FAIL /known gap: /')
			return
		fi
	fi
	status=FAIL
	failed=$((failed + 1))
	local last
	last=$(grep -a '^ok ' "$out" | tail -n 1)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		detail="timeout after ${tmo}s${last:+ (last: $last)}"
	elif [ "$rc" -gt 128 ]; then
		detail="killed by signal $((rc - 128))${last:+ (last: $last)}"
	elif [ "$rc" != 0 ] && [ -z "$fails" ]; then
		detail="exit status $rc"
	elif [ "$rc" = 0 ] && [ -z "$fails" ]; then
		detail="no result lines"
	fi
	[ -n "$fails" ] && detail="${detail:+$detail$'\n'}$fails"
	# Show the tail of unexpected output when there is no FAIL line.
	if [ -z "$fails" ]; then
		local tailout
		tailout=$(grep -av '^ok ' "$out" | tail -n 5)
		[ -n "$tailout" ] && detail="$detail"$'\n'"$tailout"
	fi
}

if [ -n "$label" ]; then
	printf '%-24s %-7s %-7s\n' program native "$label"
else
	printf '%-24s %-7s\n' program native
fi

for prog in "${progs[@]}"; do
	name=$(basename "$prog")
	if [ ! -x "$prog" ]; then
		printf '%-24s %-7s\n' "$name" missing
		failed=$((failed + 1))
		continue
	fi
	run_one "$prog"
	nstat=$status ndetail=$detail
	if [ -n "$label" ]; then
		run_one "$prog" "${runtime[@]}"
		printf '%-24s %-7s %-7s\n' "$name" "$nstat" "$status"
	else
		detail=
		printf '%-24s %-7s\n' "$name" "$nstat"
	fi
	[ -n "$ndetail" ] && printf '%s\n' "$ndetail" | sed 's/^/    native: /'
	[ -n "$detail" ] && printf '%s\n' "$detail" | sed "s/^/    $label: /"
	# Failures are repeated at the end, where a CI log's tail shows them.
	if [ "$nstat" = FAIL ]; then
		recap+=("$name native: $(printf '%s' "$ndetail" | head -n 3 | tr '\n' ' ')")
	fi
	if [ "$status" = FAIL ] && [ -n "$label" ]; then
		recap+=("$name $label: $(printf '%s' "$detail" | head -n 3 | tr '\n' ' ')")
	fi
done

if [ ${#recap[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${recap[@]}" | cut -c1-400
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
