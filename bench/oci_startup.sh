#!/bin/bash
# Container start-up through containerd, side by side: `ctr run --rm` of a
# busybox image running /bin/true and of a python image running
# `python3 -c pass`, with runc, crun (when installed and the host's cgroup
# layout lets it run) and build/sandbox-runc. A private containerd (own
# root, state and socket in a temporary directory) is started and stopped
# here; the images are built offline by tests/e2e/oci_image.py. Prints a
# Markdown table; target: the sandbox within 1.5x of runc. Asserts nothing.
#
#   bench/oci_startup.sh BUILD_DIR    (make bench runs it after bench/run.sh)
#
# BENCH_OCI_RUNS: runs per cell (default 20).

set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_DIR=$BENCH_DIR/../tests/e2e
BUILD=${1:-build}
SBR=$BUILD/sandbox-runc
case $SBR in /*) ;; *) SBR=$PWD/$SBR ;; esac
RUNS=${BENCH_OCI_RUNS:-20}

if [ "$(id -u)" != 0 ] || ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
	echo "note: the OCI start-up benchmark needs root and containerd (make e2e-deps); skipped" >&2
	exit 0
fi
. "$E2E_DIR/oci.sh"
WORK=$(mktemp -d /tmp/sandbox-oci-bench.XXXXXX)
trap 'ctd_stop; rm -rf "$WORK"' EXIT
ctd_start || { echo "containerd did not start" >&2; exit 1; }
python3 "$E2E_DIR/oci_image.py" busybox "$WORK/bb"
python3 "$E2E_DIR/oci_image.py" python "$WORK/py"
python3 "$E2E_DIR/oci_image.py" image "$WORK/bb" sbx-busybox "$WORK/bb.tar"
python3 "$E2E_DIR/oci_image.py" image "$WORK/py" sbx-python "$WORK/py.tar" python3
CTR=(ctr --address "$CTD_DIR/containerd.sock")
"${CTR[@]}" image import "$WORK/bb.tar" >/dev/null && "${CTR[@]}" image import "$WORK/py.tar" >/dev/null || exit 1

# mean_ms RUNTIME_BINARY IMAGE CMD...: mean wall time of RUNS `ctr run --rm`, or n/a.
mean_ms() {
	local bin=$1 img=$2 i start end
	shift 2
	"${CTR[@]}" run --runc-binary "$bin" --runc-root "$WORK/rt" --rm "$img" warm "$@" >/dev/null 2>&1 ||
		{ echo n/a; return; }
	start=$(date +%s%N)
	for i in $(seq "$RUNS"); do
		"${CTR[@]}" run --runc-binary "$bin" --runc-root "$WORK/rt" --rm "$img" "b$i" "$@" >/dev/null 2>&1 ||
			{ echo n/a; return; }
	done
	end=$(date +%s%N)
	echo "scale=1; ($end - $start) / $RUNS / 1000000" | bc
}

ratio() {
	case "$1$2" in *n/a*) echo n/a ;; *) echo "scale=2; $1 / $2" | bc ;; esac
}

RUNC=$(command -v runc || echo /usr/sbin/runc)
CRUN=$(command -v crun || true)
BB=docker.io/library/sbx-busybox:latest
PY=docker.io/library/sbx-python:latest
echo "| ctr run --rm (ms, mean of $RUNS) | runc | crun | sandbox-runc | sandbox / runc (target <= 1.5) |"
echo "|---|---|---|---|---|"
for row in "busybox /bin/true" "python3 -c pass"; do
	if [ "$row" = "busybox /bin/true" ]; then set -- "$BB" /bin/true; else set -- "$PY" python3 -c pass; fi
	r=$(mean_ms "$RUNC" "$@")
	c=n/a
	[ -n "$CRUN" ] && c=$(mean_ms "$CRUN" "$@")
	s=$(mean_ms "$SBR" "$@")
	echo "| $row | $r | $c | $s | $(ratio "$s" "$r") |"
done
