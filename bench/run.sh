#!/bin/bash
# Benchmarks, side by side in one run: native, the sandbox, proot, and the
# ptrace mechanism's floor. Prints a Markdown table; asserts nothing.
# See bench/README.md for what each number means.
#
#   bench/run.sh BUILD_DIR            (make bench: bench/run.sh build)
#
# Knobs (environment): BENCH_SYSCALLS (getpid calls natively, in the sandbox
# and for the floor; default 100000), BENCH_PROOT_SYSCALLS (under proot,
# default 10000: proot stops on every syscall and is slow), BENCH_RUNS
# (start-up runs per command, default 50).

set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${1:-build}
SB=$BUILD/sandbox
case $SB in /*) ;; *) SB=$PWD/$SB ;; esac
BIN=$BUILD/bench
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
NSYS=${BENCH_SYSCALLS:-100000}
NPROOT=${BENCH_PROOT_SYSCALLS:-10000}
RUNS=${BENCH_RUNS:-50}
HELLO_SRC=$BENCH_DIR/../tests/e2e/progs/hello.c

mkdir -p "$BIN"
gcc -O2 -Wall -Werror -static -o "$BIN/getpid" "$BENCH_DIR/getpid.c" || exit 1
gcc -O2 -Wall -Werror -static -o "$BIN/sysemu_floor" "$BENCH_DIR/sysemu_floor.c" || exit 1
gcc -O2 -Wall -Werror -o "$BIN/maxrss" "$BENCH_DIR/maxrss.c" || exit 1
gcc -O2 -Wall -Werror -static -o "$BIN/hello" "$HELLO_SRC" || exit 1
gcc -O2 -Wall -Werror -o "$BIN/futex_pingpong" "$BENCH_DIR/futex_pingpong.c" -lpthread || exit 1
gcc -O2 -Wall -Werror -o "$BIN/netbench" "$BENCH_DIR/netbench.c" || exit 1

# A small C project for the `make -j2` row: 16 units and a link, rebuilt with -B.
MAKEPROJ=$BIN/makeproj
mkdir -p "$MAKEPROJ"
for i in $(seq 1 16); do
	printf '#include <stdio.h>\n#include <string.h>\nint f%d(const char *s) { char b[64]; snprintf(b, sizeof b, "%%s-%d", s); return (int)strlen(b); }\n' \
		"$i" "$i" >"$MAKEPROJ/u$i.c"
done
{
	printf '#include <stdio.h>\n'
	for i in $(seq 1 16); do printf 'int f%d(const char *);\n' "$i"; done
	printf 'int main(void) { int n = 0;\n'
	for i in $(seq 1 16); do printf 'n += f%d("x");\n' "$i"; done
	printf 'printf("%%d\\n", n); return 0; }\n'
} >"$MAKEPROJ/main.c"
cat >"$MAKEPROJ/Makefile" <<'MK'
OBJS := main.o $(patsubst %.c,%.o,$(wildcard u*.c))
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
%.o: %.c
	$(CC) -O1 -c -o $@ $<
MK

# File-system workloads (the VFS issue): a 50 MiB tree to extract, a 2,000-file git repo.
FSDATA=$BIN/fsdata
if [ ! -f "$FSDATA/tree.tar" ]; then
	mkdir -p "$FSDATA/tree"
	for d in $(seq 1 20); do
		mkdir -p "$FSDATA/tree/d$d"
		for f in $(seq 1 25); do head -c 102400 /dev/urandom >"$FSDATA/tree/d$d/f$f"; done
	done
	tar cf "$FSDATA/tree.tar" -C "$FSDATA/tree" . && rm -rf "$FSDATA/tree"
fi
if command -v git >/dev/null && [ ! -d "$FSDATA/repo/.git" ]; then
	mkdir -p "$FSDATA/repo"
	for d in $(seq 1 40); do
		mkdir -p "$FSDATA/repo/d$d"
		for f in $(seq 1 50); do echo "$d $f" >"$FSDATA/repo/d$d/f$f.txt"; done
	done
	(cd "$FSDATA/repo" && git init -q && git add . &&
		git -c user.name=b -c user.email=b@b commit -qm init) >/dev/null 2>&1
fi
# The scripts run in a fresh directory under /tmp (files, so hyperfine -N can run them).
cat >"$FSDATA/files.sh" <<'SH'
d=$(mktemp -d /tmp/bench-fs.XXXXXX) && cd "$d" || exit 1
for i in $(seq 1 10000); do : >"f$i"; done
for i in $(seq 1 10000); do [ -e "f$i" ] || exit 1; done
rm -f f* && cd / && rmdir "$d"
SH
cat >"$FSDATA/big.sh" <<'SH'
d=$(mktemp -d /tmp/bench-fs.XXXXXX) || exit 1
dd if=/dev/zero of="$d/big" bs=1M count=256 status=none &&
	dd if="$d/big" of=/dev/null bs=1M status=none && rm -rf "$d"
SH
cat >"$FSDATA/tar.sh" <<SH
d=\$(mktemp -d /tmp/bench-fs.XXXXXX) || exit 1
tar xf "$FSDATA/tree.tar" -C "\$d" && rm -rf "\$d"
SH

HAVE_PROOT=0
command -v proot >/dev/null && proot -r / /bin/true 2>/dev/null && HAVE_PROOT=1
HAVE_SB=0
[ -x "$SB" ] && "$SB" run -- /bin/true 2>/dev/null && HAVE_SB=1
[ "$HAVE_SB" = 1 ] || echo "note: '$SB run -- /bin/true' does not work; sandbox columns are n/a" >&2
[ "$HAVE_PROOT" = 1 ] || echo "note: proot is missing or does not work here; proot columns are n/a" >&2

# field KEY: the number after KEY in stdin's first line that has KEY.
field() {
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

# getpid_ns PREFIX... : ns per getpid with the program run under PREFIX.
getpid_ns() {
	local n=$1
	shift
	timeout 300 "$@" "$BIN/getpid" "$n" 2>/dev/null | field getpid_ns
}

# startup_ms CMD...: mean wall time of CMD over $RUNS runs, in ms.
startup_ms() {
	if command -v hyperfine >/dev/null; then
		local json
		json=$(mktemp)
		hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$json" \
			-- "$(printf '%q ' "$@")" >/dev/null 2>&1 &&
			sed -n 's/^ *"mean": *\([0-9.e-]*\),*$/\1/p' "$json" | head -n 1 |
			awk '{ printf "%.2f\n", $1 * 1000 }'
		rm -f "$json"
		return
	fi
	local i t0 t1
	for i in 1 2 3; do "$@" >/dev/null 2>&1; done
	t0=$(date +%s%N)
	for ((i = 0; i < RUNS; i++)); do
		"$@" >/dev/null 2>&1 || { echo "error"; return; }
	done
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" -v n="$RUNS" 'BEGIN { printf "%.2f\n", (b - a) / n / 1e6 }'
}

# rss_mib CMD...: peak RSS of CMD (wait4 ru_maxrss) in MiB.
rss_mib() {
	"$BIN/maxrss" "$@" 2>&1 >/dev/null | field maxrss_kib | awk '{ printf "%.1f\n", $1 / 1024 }'
}

# ratio A B: A/B to two decimals, or n/a.
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2fx\n", a / b; else print "n/a" }'
}

na() { [ -n "${1:-}" ] && echo "$1" || echo n/a; }

echo "running: getpid round trips..." >&2
g_native=$(getpid_ns "$NSYS")
g_sb="" g_pt=""
[ "$HAVE_SB" = 1 ] && g_sb=$(getpid_ns "$NSYS" "$SB" run --)
[ "$HAVE_SB" = 1 ] && g_pt=$(getpid_ns "$NSYS" "$SB" run --platform ptrace --)
g_proot=""
[ "$HAVE_PROOT" = 1 ] && g_proot=$(getpid_ns "$NPROOT" proot -r /)

echo "running: ptrace SYSEMU floor..." >&2
floor=$(timeout 300 "$BIN/sysemu_floor" "$NSYS" | field sysemu_floor_ns)
floor_cpu=$(timeout 300 "$BIN/sysemu_floor" "$((NSYS / 5))" --no-pin | field sysemu_floor_ns)

echo "running: start-up, $RUNS runs each..." >&2
s_native=$(startup_ms /bin/true)
s_sb="" s_pt=""
[ "$HAVE_SB" = 1 ] && s_sb=$(startup_ms "$SB" run -- /bin/true)
[ "$HAVE_SB" = 1 ] && s_pt=$(startup_ms "$SB" run --platform ptrace -- /bin/true)
s_proot=""
[ "$HAVE_PROOT" = 1 ] && s_proot=$(startup_ms proot -r / /bin/true)
h_native=$(startup_ms "$BIN/hello")
h_sb="" h_pt=""
[ "$HAVE_SB" = 1 ] && h_sb=$(startup_ms "$SB" run -- "$BIN/hello")
[ "$HAVE_SB" = 1 ] && h_pt=$(startup_ms "$SB" run --platform ptrace -- "$BIN/hello")
h_proot=""
[ "$HAVE_PROOT" = 1 ] && h_proot=$(startup_ms proot -r / "$BIN/hello")

echo "running: peak RSS..." >&2
r_native=$(rss_mib "$BIN/hello")
r_sb=""
[ "$HAVE_SB" = 1 ] && r_sb=$(rss_mib "$SB" run -- "$BIN/hello")
r_proot=""
[ "$HAVE_PROOT" = 1 ] && r_proot=$(rss_mib proot -r / "$BIN/hello")

# Processes, threads and pipes (issue 3), fewer runs: each is a workload.
echo "running: processes, threads, pipes..." >&2
workload() {   # workload PREFIX...: runs the workloads under PREFIX, sets w_* variables
	local saved=$RUNS
	RUNS=5
	w_fork=$(startup_ms "$@" /bin/bash -c 'for i in {1..500}; do /bin/true; done')
	w_pipe=$(startup_ms "$@" /bin/bash -c 'head -c 67108864 /dev/zero | cat >/dev/null')
	w_py=$(startup_ms "$@" /usr/bin/python3 -c pass)
	RUNS=3
	w_make=$(startup_ms "$@" /usr/bin/make -s -B -j2 -C "$MAKEPROJ")
	w_files=$(startup_ms "$@" /bin/bash "$FSDATA/files.sh")
	w_big=$(startup_ms "$@" /bin/bash "$FSDATA/big.sh")
	w_tar=$(startup_ms "$@" /bin/bash "$FSDATA/tar.sh")
	w_git=""
	[ -d "$FSDATA/repo/.git" ] && w_git=$(startup_ms "$@" /usr/bin/git -C "$FSDATA/repo" status --short)
	RUNS=$saved
	w_futex=$(timeout 120 "$@" "$BIN/futex_pingpong" 20000 2>/dev/null | field futex_pingpong_ns)
}
workload
f_native=$w_fork p_native=$w_pipe y_native=$w_py x_native=$w_futex m_native=$w_make
fs1_native=$w_files fs2_native=$w_big fs3_native=$w_tar fs4_native=$w_git
fs1_sb="" fs2_sb="" fs3_sb="" fs4_sb="" fs1_proot="" fs2_proot="" fs3_proot="" fs4_proot="" big_rss=""
f_sb="" p_sb="" y_sb="" x_sb="" m_sb=""
f_pt="" p_pt="" y_pt="" x_pt="" m_pt="" fs1_pt="" fs2_pt="" fs3_pt="" fs4_pt=""
if [ "$HAVE_SB" = 1 ]; then
	workload "$SB" run --
	f_sb=$w_fork p_sb=$w_pipe y_sb=$w_py x_sb=$w_futex m_sb=$w_make
	fs1_sb=$w_files fs2_sb=$w_big fs3_sb=$w_tar fs4_sb=$w_git
	# The sentry's own memory around a 256 MiB tmpfs file (the data is the guest's, in the memfd).
	big_rss=$("$BIN/maxrss" "$SB" run -- /bin/bash "$FSDATA/big.sh" 2>&1 >/dev/null | field maxrss_kib |
		awk '{ printf "%.1f\n", $1 / 1024 }')
	# The same under the ptrace platform (the previous default), for comparison.
	workload "$SB" run --platform ptrace --
	f_pt=$w_fork p_pt=$w_pipe y_pt=$w_py x_pt=$w_futex m_pt=$w_make
	fs1_pt=$w_files fs2_pt=$w_big fs3_pt=$w_tar fs4_pt=$w_git
fi
f_proot="" p_proot="" y_proot="" x_proot="" m_proot=""
if [ "$HAVE_PROOT" = 1 ]; then
	workload proot -r /
	f_proot=$w_fork p_proot=$w_pipe y_proot=$w_py x_proot=$w_futex m_proot=$w_make
	fs1_proot=$w_files fs2_proot=$w_big fs3_proot=$w_tar fs4_proot=$w_git
fi

# Sockets (the network issue): loopback inside the runtime, and egress to a host-side sink.
echo "running: sockets..." >&2
netrow() {   # netrow PREFIX...: sets n_* variables (each the mean of 3 runs)
	n_stream=$(netmean tcp_stream_gbps "$@" "$BIN/netbench" tcp-stream 512)
	n_conn=$(netmean tcp_connect_per_s "$@" "$BIN/netbench" tcp-connect 2000)
	n_unix=$(netmean unix_pingpong_ns "$@" "$BIN/netbench" unix-pingpong 20000)
	n_udp=$(netmean udp_pps "$@" "$BIN/netbench" udp-pps 20000)
}
netmean() {   # netmean KEY CMD...: mean of KEY over 3 runs of CMD
	local key=$1 i v sum=0 n=0
	shift
	for i in 1 2 3; do
		v=$(timeout 120 "$@" 2>/dev/null | field "$key")
		[ -n "$v" ] || continue
		sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { print a + b }')
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] && awk -v a="$sum" -v n="$n" 'BEGIN { printf "%.3f\n", a / n }'
}
# egress_gbps ADDR PREFIX...: 512 MiB from netbench under PREFIX to a sink on host 127.0.0.1.
egress_gbps() {
	local addr=$1 out port v
	shift
	out=$(mktemp)
	"$BIN/netbench" tcp-sink 0 >"$out" &
	local sink=$!
	for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
	port=$(field listening <"$out")
	v=""
	[ -n "$port" ] && v=$(timeout 120 "${@//PORT/$port}" "$BIN/netbench" tcp-send "$addr" "$port" 512 \
		2>/dev/null | field tcp_send_gbps)
	kill "$sink" 2>/dev/null
	wait "$sink" 2>/dev/null
	rm -f "$out"
	echo "$v"
}
netrow
ns_native=$n_stream nc_native=$n_conn nu_native=$n_unix nd_native=$n_udp
ne_native=$(egress_gbps 127.0.0.1)
ns_sb="" nc_sb="" nu_sb="" nd_sb="" ne_sb=""
if [ "$HAVE_SB" = 1 ]; then
	netrow "$SB" run --
	ns_sb=$n_stream nc_sb=$n_conn nu_sb=$n_unix nd_sb=$n_udp
	ne_sb=$(egress_gbps 10.0.2.2 "$SB" run --net=sandbox --allow-net 10.0.2.2/32:PORT --)
fi
ns_proot="" nc_proot="" nu_proot="" nd_proot="" ne_proot=""
if [ "$HAVE_PROOT" = 1 ]; then
	netrow proot -r /
	ns_proot=$n_stream nc_proot=$n_conn nu_proot=$n_unix nd_proot=$n_udp
	ne_proot=$(egress_gbps 127.0.0.1 proot -r /)
fi

timer=bash-loop
command -v hyperfine >/dev/null && timer=hyperfine
echo
echo "## sandbox benchmarks"
echo
echo "$(uname -sr), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC'); start-up timed with $timer"
echo
echo "| metric | native | ptrace floor | sandbox | sandbox --platform ptrace | proot | sandbox vs | target |"
echo "|---|---:|---:|---:|---:|---:|---|---|"
echo "| getpid round trip (ns/call) | $(na "$g_native") | $(na "$floor") | $(na "$g_sb") | $(na "$g_pt") | $(na "$g_proot") | $(ratio "$g_sb" "$g_native") native, $(ratio "$g_sb" "$floor") floor; ptrace platform $(ratio "$g_pt" "$floor") floor | ptrace platform: floor ratio <= 1.3x |"
echo "| ptrace floor, tracer and tracee on different CPUs (ns/syscall) | | $(na "$floor_cpu") | | | | | (for reference) |"
echo "| start-up \`/bin/true\` (ms, mean of $RUNS) | $(na "$s_native") | | $(na "$s_sb") | $(na "$s_pt") | $(na "$s_proot") | $(ratio "$s_sb" "$s_native") native, $(ratio "$s_sb" "$s_proot") proot | |"
echo "| start-up static hello (ms, mean of $RUNS) | $(na "$h_native") | | $(na "$h_sb") | $(na "$h_pt") | $(na "$h_proot") | $(ratio "$h_sb" "$h_native") native, $(ratio "$h_sb" "$h_proot") proot | |"
echo "| peak RSS, static hello (MiB) | $(na "$r_native") | | $(na "$r_sb") | | $(na "$r_proot") | $(ratio "$r_sb" "$r_native") native | sandbox < 20 MiB |"
echo "| fork+exec+wait \`/bin/true\` x500 in bash (ms) | $(na "$f_native") | | $(na "$f_sb") | $(na "$f_pt") | $(na "$f_proot") | $(ratio "$f_sb" "$f_native") native, $(ratio "$f_sb" "$f_proot") proot | ahead of proot |"
echo "| 64 MiB through a pipe (ms) | $(na "$p_native") | | $(na "$p_sb") | $(na "$p_pt") | $(na "$p_proot") | $(ratio "$p_sb" "$p_native") native, $(ratio "$p_sb" "$p_proot") proot | ahead of proot |"
echo "| futex ping-pong between two threads (ns/round trip) | $(na "$x_native") | | $(na "$x_sb") | $(na "$x_pt") | $(na "$x_proot") | $(ratio "$x_sb" "$x_native") native, $(ratio "$x_sb" "$x_proot") proot | ahead of proot |"
echo "| \`make -B -j2\` of 17 C files and a link (ms) | $(na "$m_native") | | $(na "$m_sb") | $(na "$m_pt") | $(na "$m_proot") | $(ratio "$m_sb" "$m_native") native, $(ratio "$m_sb" "$m_proot") proot | ahead of proot |"
echo "| create, stat, unlink 10,000 files in /tmp (ms) | $(na "$fs1_native") | | $(na "$fs1_sb") | $(na "$fs1_pt") | $(na "$fs1_proot") | $(ratio "$fs1_sb" "$fs1_native") native, $(ratio "$fs1_sb" "$fs1_proot") proot | within 2x native, ahead of proot |"
echo "| 256 MiB sequential write and read in /tmp (ms) | $(na "$fs2_native") | | $(na "$fs2_sb") | $(na "$fs2_pt") | $(na "$fs2_proot") | $(ratio "$fs2_sb" "$fs2_native") native, $(ratio "$fs2_sb" "$fs2_proot") proot | within 2x native, ahead of proot |"
echo "| peak RSS of the sandbox (sentry, stubs and guest pages) with a 256 MiB file (MiB) | | | $(na "$big_rss") | | | | guest data, no extra copy |"
echo "| \`tar x\` of a 50 MiB, 500-file tree (ms) | $(na "$fs3_native") | | $(na "$fs3_sb") | $(na "$fs3_pt") | $(na "$fs3_proot") | $(ratio "$fs3_sb" "$fs3_native") native, $(ratio "$fs3_sb" "$fs3_proot") proot | within 2x native, ahead of proot |"
echo "| \`git status\` in a 2,000-file repo (ms) | $(na "$fs4_native") | | $(na "$fs4_sb") | $(na "$fs4_pt") | $(na "$fs4_proot") | $(ratio "$fs4_sb" "$fs4_native") native, $(ratio "$fs4_sb" "$fs4_proot") proot | within 2x native, ahead of proot |"
echo "| \`python3 -c pass\` (ms) | $(na "$y_native") | | $(na "$y_sb") | $(na "$y_pt") | $(na "$y_proot") | $(ratio "$y_sb" "$y_native") native, $(ratio "$y_sb" "$y_proot") proot | within 2x native |"
echo "| loopback TCP, 512 MiB one way (Gbit/s) | $(na "$ns_native") | | $(na "$ns_sb") | | $(na "$ns_proot") | $(ratio "$ns_sb" "$ns_native") native | >= 1 Gbit/s and >= 0.25x native |"
echo "| loopback TCP connect+close (per s) | $(na "$nc_native") | | $(na "$nc_sb") | | $(na "$nc_proot") | $(ratio "$nc_sb" "$nc_native") native, $(ratio "$nc_sb" "$nc_proot") proot | ahead of proot |"
echo "| unix socketpair ping-pong, 1 byte (ns/round trip) | $(na "$nu_native") | | $(na "$nu_sb") | | $(na "$nu_proot") | $(ratio "$nu_sb" "$nu_native") native, $(ratio "$nu_sb" "$nu_proot") proot | |"
echo "| loopback UDP, 64-byte datagrams acked every 64 (per s) | $(na "$nd_native") | | $(na "$nd_sb") | | $(na "$nd_proot") | $(ratio "$nd_sb" "$nd_native") native, $(ratio "$nd_sb" "$nd_proot") proot | |"
echo "| egress TCP to a host sink, 512 MiB (Gbit/s; sandbox: --net=sandbox to 10.0.2.2) | $(na "$ne_native") | | $(na "$ne_sb") | | $(na "$ne_proot") | $(ratio "$ne_sb" "$ne_native") native | |"
echo
echo "getpid calls: $NSYS (native, sandbox, floor), $NPROOT (proot)."
