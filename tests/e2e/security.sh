#!/bin/bash
# Security tests: assert outcomes of hostile guests, never compare with a
# native run of them (the hostile programs would damage the host). Sourced by
# tests/e2e/run.sh (security_tests), or standalone:
#
#   tests/e2e/security.sh BUILD_DIR
#
#   1 fuzz      every syscall number 0..462 with garbage arguments: the
#               sandbox survives and the host's /tmp/canary and a few host
#               directories are unchanged
#   2 int80     32-bit mkdir/open through `int $0x80` (mkdir also from a
#               second thread): nothing on the host,
#               and never served as the 64-bit call of the same number
#   3 overlay   writes/overwrites/chmods/deletes under /etc, /usr/bin, /tmp,
#               /: the guest sees them, the host does not
#   4 rootfs    symlinks and .. chains in --rootfs never reach the host's /etc
#   5 stub maps a stub process maps only guest memory, the stub's page and
#               host files the guest mapped; it holds no fd but its two
#               (the MemoryFile and its fd-passing socket)
#   6 procfs    /proc lists only guest pids; /proc/self/fd only guest fds
#   7 sockfuzz  100,000 random socket calls (progs/fuzz_sockets.c), twice
#               (--net=none and --net=sandbox): the sandbox survives, the
#               guest finishes, and no host file appears under /tmp/fz
#   8 netiso    abstract unix names and loopback TCP/UDP ports of a sandbox
#               are invisible to another sandbox and to the host, and the
#               host's to a sandbox (py/net_isolation.py)
#   9 exhaustion full and sparse tmpfs, descriptors; memory past --memory
#               (the host memory cgroup): the guest process is killed with
#               SIGKILL, the sandbox goes on, the cgroup is removed
#  10 stub escape (progs/stub_escape.c), on each platform: every `syscall`
#               instruction of the stub page called with mkdir of a host
#               path creates nothing on the host; a guest thread that blocks
#               every host signal with the page's rt_sigreturn (then spins,
#               makes a syscall, or keeps waking the sentry through the
#               page's futex wake) is still killed by SIGKILL; a syscall
#               just below the page is trapped

if [ -z "${E2E_DIR:-}" ]; then
	E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fi

# snapshot FILE PATH...: a listing of each PATH's state, sorted, into FILE.
# /tmp/canary: everything under it (type, mode, size, mtime, ctime, link
# target, checksums). Another directory: its entries' names, types and modes,
# and size and mtime of its non-directory entries (not of subdirectories,
# whose mtimes move whenever something on the machine writes in them). A file:
# mode, size, mtime, ctime and checksum.
snapshot() {
	local out=$1 p
	shift
	for p in "$@"; do
		if [ "$p" = /tmp/canary ]; then
			find "$p" -printf '%p %y %m %s %T@ %C@ %l\n'
			find "$p" -type f -exec sha256sum {} +
		elif [ -d "$p" ]; then
			find "$p" -mindepth 1 -maxdepth 1 -type d -printf '%p %y %m\n'
			find "$p" -mindepth 1 -maxdepth 1 ! -type d -printf '%p %y %m %s %T@ %l\n'
		elif [ -e "$p" ] || [ -L "$p" ]; then
			find "$p" -maxdepth 0 -printf '%p %y %m %s %T@ %C@ %l\n'
			[ -f "$p" ] && sha256sum "$p"
		else
			echo "$p absent"
		fi
	done 2>&1 | LC_ALL=C sort >"$out"
}

# same_snapshot NAME BEFORE AFTER
same_snapshot() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "host state changed:" "$(diff -u --label before "$2" --label after "$3" | head -n 30)"
	fi
}

# ---- 1: every syscall number with garbage arguments ----------------------

FUZZ_SKIP=" 15 34 56 57 58 60 130 231 335 435 "
FUZZ_EXTRA="463 500 511 512 547 1000 4096 1073741863 1073741826 4294967335 2147483647 -1"

make_canary() {
	rm -rf /tmp/canary
	mkdir -p /tmp/canary/sub/deeper /tmp/canary/empty
	echo "canary data" >/tmp/canary/file
	echo "secret" >/tmp/canary/sub/deeper/secret
	chmod 600 /tmp/canary/sub/deeper/secret
	ln -s file /tmp/canary/link
	ln -s /etc/passwd /tmp/canary/abs-link
	touch -d '2001-02-03 04:05:06' /tmp/canary/file /tmp/canary/sub
}

sec_fuzz() {
	# Host directories whose top level must not change. Not /tmp itself:
	# other processes on the machine create files there.
	local dirs=(/ /etc /usr /usr/bin /usr/lib /usr/local/bin /tmp/canary)
	make_canary
	snapshot "$WORK/fuzz.before" "${dirs[@]}" /etc/passwd /etc/hostname
	E2E_TIMEOUT=${E2E_FUZZ_TIMEOUT:-120} run_to "$WORK/fuzz.sandbox" \
		"$SB" run -- "$BIN/fuzz_syscalls" --i-am-sandboxed
	snapshot "$WORK/fuzz.after" "${dirs[@]}" /etc/passwd /etc/hostname

	local rc last out=$WORK/fuzz.sandbox.out
	rc=$(cat "$WORK/fuzz.sandbox.rc")
	last=$(grep '^nr=' "$out" | tail -n 1)
	if [ "$rc" = 0 ] && tail -n 1 "$out" | grep -qx "done"; then
		pass fuzz_sandbox_survives
	else
		fail fuzz_sandbox_survives "status $rc; last result line: ${last:-none}" \
			"(the call after that one is the culprit)" "$(show_head "$WORK/fuzz.sandbox.err" stderr 20)"
	fi

	# A result line for every number tried, in order, in each round.
	local expected=$WORK/fuzz.expected got=$WORK/fuzz.got n r
	for r in A B C; do
		echo "round $r"
		for n in $(seq 0 462) $FUZZ_EXTRA; do
			case $FUZZ_SKIP in *" $n "*) continue ;; esac
			echo "nr=$n"
		done
	done >"$expected"
	echo "done" >>"$expected"
	sed -E 's/ ret=-?[0-9]+$//' "$out" >"$got"
	if cmp -s "$expected" "$got"; then
		pass fuzz_result_line_for_every_number
	else
		fail fuzz_result_line_for_every_number \
			"$(diff -u --label expected "$expected" --label got "$got" | head -n 20)"
	fi
	# -ENOSYS is fine for unassigned numbers; report how many calls got it.
	echo "    fuzz: $(grep -c 'ret=-38$' "$out") of $(grep -c '^nr=' "$out") calls returned -ENOSYS"

	if ! grep -qx 'round A' "$out"; then
		fail fuzz_host_unchanged "the guest did not start"
	else
		same_snapshot fuzz_host_unchanged "$WORK/fuzz.before" "$WORK/fuzz.after"
	fi
	if [ -e /tmp/canary/fuzz ] || [ -L /tmp/canary/fuzz ]; then
		fail fuzz_no_canary_file "/tmp/canary/fuzz exists on the host"
	else
		pass fuzz_no_canary_file
	fi
	rm -rf /tmp/canary
}

# ---- 2: int $0x80 --------------------------------------------------------

sec_int80() {
	local kind path
	for kind in mkdir open mkdir-thread; do
		path=/tmp/int80-probe-$$-$RANDOM-$kind
		rm -rf "$path"
		run_to "$WORK/int80_$kind.sandbox" "$SB" run -- "$BIN/int80" "$kind" "$path" --i-am-sandboxed
		local res
		res=$(grep '^int80 ' "$WORK/int80_$kind.sandbox.out")
		echo "    int80 $kind: status $(cat "$WORK/int80_$kind.sandbox.rc"); ${res:-no result line}"
		if ! grep -q '^calling int' "$WORK/int80_$kind.sandbox.out"; then
			fail "int80_${kind}_no_host_effect" "the guest did not start" \
				"$(show_head "$WORK/int80_$kind.sandbox.err" stderr 5)"
		elif [ -e "$path" ]; then
			fail "int80_${kind}_no_host_effect" "$path exists on the host"
			rm -rf "$path"
		elif [ -z "$res" ]; then
			fail "int80_${kind}_no_host_effect" "no result: the call never returned" \
				"(status $(cat "$WORK/int80_$kind.sandbox.rc"))"
		else
			pass "int80_${kind}_no_host_effect"
		fi
	done
	# i386 mkdir is 39, x86-64 getpid is 39: getting the pid back means the
	# 32-bit call was served as a 64-bit one.
	res=$(grep '^int80 mkdir' "$WORK/int80_mkdir.sandbox.out")
	if ! grep -q '^calling int' "$WORK/int80_mkdir.sandbox.out"; then
		fail int80_not_served_as_64bit "the guest did not start"
	elif [[ $res =~ ret=([-0-9]+)\ getpid=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
		fail int80_not_served_as_64bit "int \$0x80 eax=39 returned the pid: served as 64-bit getpid"
	else
		pass int80_not_served_as_64bit
	fi
}

# ---- 3: writes to the default root stay in the overlay --------------------

sec_overlay() {
	local tag=$$-$RANDOM dirs=(/etc /usr/bin /tmp /) d t paths=()
	for d in "${dirs[@]}"; do
		t=${d%/}/sandbox-e2e-$tag
		printf 'host original\n' >"$t" && chmod 644 "$t"
		paths+=("$t" "$t-new" "$t-renamed" "$t-dir")
	done
	cp -p /etc/passwd "$WORK/passwd.backup"
	snapshot "$WORK/overlay.before" "${paths[@]}" /etc/passwd /etc /usr/bin /

	# Natively on a scratch copy: the transcript the guest must print.
	local root=$WORK/overlay-root
	mkdir -p "$root/etc" "$root/usr/bin" "$root/tmp"
	for d in "${dirs[@]}"; do
		printf 'host original\n' >"$root${d%/}/sandbox-e2e-$tag"
	done
	cp /etc/passwd "$root/etc/passwd"
	run_to "$WORK/overlay_guest_sees_own_writes.native" "$BIN/overlay_writes" "$root" "$tag"
	run_to "$WORK/overlay_guest_sees_own_writes.sandbox" "$SB" run -- "$BIN/overlay_writes" "" "$tag"
	snapshot "$WORK/overlay.after" "${paths[@]}" /etc/passwd /etc /usr/bin /

	compare overlay_guest_sees_own_writes
	if [ -s "$WORK/overlay_guest_sees_own_writes.sandbox.out" ]; then
		same_snapshot overlay_host_unchanged "$WORK/overlay.before" "$WORK/overlay.after"
	else
		fail overlay_host_unchanged "the guest did not start" \
			"(host state: $(cmp -s "$WORK/overlay.before" "$WORK/overlay.after" && echo unchanged || echo CHANGED))"
	fi

	# Clean up, and repair the host if the sandbox leaked.
	for d in "${dirs[@]}"; do
		t=${d%/}/sandbox-e2e-$tag
		rm -rf "$t" "$t-new" "$t-renamed" "$t-dir"
	done
	if ! cmp -s /etc/passwd "$WORK/passwd.backup"; then
		echo "    WARNING: /etc/passwd changed on the host; restoring it"
		cp -p "$WORK/passwd.backup" /etc/passwd
	fi
}

# ---- 4: --rootfs with escaping symlinks and .. chains ----------------------

sec_rootfs() {
	local r=$WORK/rootfs
	mkdir -p "$r/bin" "$r/etc" "$r/a" "$r/d/e/f" "$r/proc" "$r/dev" "$r/tmp"
	echo sandbox-fake-passwd >"$r/etc/passwd"
	cp /bin/busybox "$r/bin/busybox"
	ln -s /etc "$r/link"
	ln -s ../../../../etc "$r/a/b"
	ln -s /etc/passwd "$r/plink"
	ln -s a/b "$r/c"
	ln -s .. "$r/up"
	ln -s ../../../../../../../../../.. "$r/d/e/f/top"
	ln -s /../../etc/../etc/passwd "$r/dotdot-abs"

	local p i=0
	for p in /etc/passwd /link/passwd /a/b/passwd /plink /c/passwd /up/up/etc/passwd \
		/d/e/f/top/etc/passwd /../../../etc/passwd /a/b/../etc/passwd /link/../link/passwd \
		/dotdot-abs /d/e/f/../../../../../etc/passwd; do
		i=$((i + 1))
		run_to "$WORK/rootfs_$i.sandbox" "$SB" run --rootfs "$r" -- /bin/busybox cat "$p"
		if [ "$(cat "$WORK/rootfs_$i.sandbox.out")" = sandbox-fake-passwd ] &&
			[ "$(cat "$WORK/rootfs_$i.sandbox.rc")" = 0 ]; then
			pass "rootfs_$i:$p"
		else
			fail "rootfs_$i:$p" "status $(cat "$WORK/rootfs_$i.sandbox.rc"), expected 0 and the rootfs file;" \
				"$(show_head "$WORK/rootfs_$i.sandbox.out" stdout 5)" \
				"$(show_head "$WORK/rootfs_$i.sandbox.err" stderr 5)"
		fi
	done
	# Paths that may legitimately fail, but must never show the host's file.
	for p in /proc/self/root/etc/passwd /proc/1/root/etc/passwd /proc/self/cwd/../../etc/passwd; do
		i=$((i + 1))
		run_to "$WORK/rootfs_$i.sandbox" "$SB" run --rootfs "$r" --cwd / -- /bin/busybox cat "$p"
		if grep -q '^root:' "$WORK/rootfs_$i.sandbox.out"; then
			fail "rootfs_$i:$p" "printed the host's /etc/passwd"
		elif ! grep -q 'cat:' "$WORK/rootfs_$i.sandbox.err" && ! [ -s "$WORK/rootfs_$i.sandbox.out" ]; then
			fail "rootfs_$i:$p" "busybox cat did not run (status $(cat "$WORK/rootfs_$i.sandbox.rc"))" \
				"$(show_head "$WORK/rootfs_$i.sandbox.err" stderr 5)"
		else
			pass "rootfs_$i:$p"
		fi
	done
	# The rootfs's own /bin is what runs: /bin/cat does not exist in it.
	run_to "$WORK/rootfs_nocat.sandbox" "$SB" run --rootfs "$r" -- /bin/cat /etc/passwd
	expect_status rootfs_nocat 127
}

# ---- 5: a stub process maps only guest memory ----------------------------

# check_stub_maps NAME CMD...: runs `sandbox run -- CMD` (which must run for
# a few seconds and then print the guest's own /proc/self/maps) and inspects
# /proc/PID/maps and /proc/PID/fd of the sandbox's children. A stub maps the
# MemoryFile, its own pages, the host's vDSO and the host files the guest
# itself mapped read-only (the guest's maps name them: inode and path); its
# only fds are the MemoryFile and its fd-passing socket.
check_stub_maps() {
	local name=$1
	shift
	"$SB" run -- "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
	local spid=$! stubs="" c tries=0 sentry_exe
	sentry_exe=$(readlink -f "$SB")
	while [ $tries -lt 100 ] && kill -0 "$spid" 2>/dev/null; do
		stubs=""
		for c in $(pgrep -P "$spid"); do
			grep -q 'sandbox-memory' "/proc/$c/maps" 2>/dev/null && stubs="$stubs $c"
		done
		# Wait until the guest's program (not just the loader) is mapped, in
		# a stub that has finished its set-up: a stub still maps the
		# sentry's image until then (the first one's set-up may wait out
		# the sentry's move into its memory cgroup, which holds up clone).
		local first=${stubs# } settling=""
		first=${first%% *}
		for c in $stubs; do
			grep -qF "$sentry_exe" "/proc/$c/maps" 2>/dev/null && settling=1
		done
		[ -n "$first" ] && [ "$(wc -l <"/proc/$first/maps" 2>/dev/null)" -ge 3 ] &&
			[ -z "$settling" ] && break
		sleep 0.05
		tries=$((tries + 1))
	done
	sleep 0.3
	local all_children bad="" maps="" fds="" badfd="" hostmaps=""
	all_children=$(pgrep -P "$spid" | tr '\n' ' ')
	for c in $stubs; do
		maps=$(cat "/proc/$c/maps" 2>/dev/null)
		bad+=$(printf '%s\n' "$maps" | awk '
			{ path = $6; for (i = 7; i <= NF; i++) path = path " " $i
			  split($1, r, "-") }
			path ~ /^\/(memfd:)?sandbox-memory/ { next }
			path == "[vsyscall]" { next }
			# The host kernel'"'"'s vDSO and its time pages (no sentry memory).
			path ~ /^\[(vvar|vvar_vclock|vdso)\]$/ { next }
			r[1] >= "7ffffff00000" && length(r[1]) == 12 { next }
			# A host file mapped privately, never writable: checked below.
			path ~ /^\// && $2 ~ /^r-.p$/ { next }
			{ print "    not guest memory: " $0 }')
		hostmaps+=$(printf '%s\n' "$maps" | awk '
			{ path = $6; for (i = 7; i <= NF; i++) path = path " " $i }
			path ~ /^\// && path !~ /^\/(memfd:)?sandbox-memory/ && $2 ~ /^r-.p$/ { print $5 " " path }')
		hostmaps+=$'\n'
		fds=$(for f in /proc/"$c"/fd/*; do readlink "$f"; done 2>/dev/null)
		badfd+=$(printf '%s\n' "$fds" | grep -v -E -e '^/(memfd:)?sandbox-memory' -e '^socket:\[' |
			sed "s|^|    stub $c holds fd: |")$'\n'

		[ "$(printf '%s\n' "$fds" | grep -c '^socket:\[')" -le 1 ] ||
			badfd+="    stub $c holds more than one socket"$'\n'
	done
	wait "$spid"
	local rc=$?
	# Every host file a stub maps is one the guest mapped (inode and path in its maps).
	local ino_path
	while read -r ino_path; do
		[ -n "$ino_path" ] || continue
		awk -v want="$ino_path" '{ p = $6; for (i = 7; i <= NF; i++) p = p " " $i
			if ($5 " " p == want) found = 1 } END { exit !found }' "$WORK/$name.out" ||
			bad+="    host file the guest did not map: $ino_path"$'\n'
	done <<<"$(printf '%s\n' "$hostmaps" | sort -u)"
	if [ -n "$stubs" ] && [ -z "$(printf '%s' "$hostmaps" | tr -d '\n')" ]; then
		bad+="    no host file mapped directly (expected the guest's executable)"$'\n'
	fi
	if [ -n "$stubs" ] && [ -n "$(printf '%s' "$badfd" | tr -d '\n')" ]; then
		fail "${name}_fds" "stub fds other than the MemoryFile and its socket:" "$badfd"
	elif [ -n "$stubs" ]; then
		pass "${name}_fds"
	fi
	if [ -z "$stubs" ]; then
		fail "$name" "no child of the sandbox (pid $spid) mapping the MemoryFile (sandbox-memory);" \
			"children seen: ${all_children:-none}; sandbox status $rc" \
			"$(show_head "$WORK/$name.err" stderr 5)"
	elif [ -n "$bad" ]; then
		fail "$name" "stub(s)$stubs map more than guest memory:" "$bad"
	else
		pass "$name"
		echo "    stub(s)$stubs: $(printf '%s\n' "$maps" | wc -l) mappings, all guest memory, guest-mapped host files or the stub page"
	fi
	if [ "$rc" = 0 ]; then pass "${name}_guest_exit"; else fail "${name}_guest_exit" "status $rc"; fi
}

# ---- 10: the stub page's syscalls reach nothing; a guest stays killable ----

sec_stub_escape() {
	local platform probe
	for platform in systrap ptrace; do
		probe=/tmp/stub-escape-$$-$RANDOM
		mkdir -p "$probe"
		run_to "$WORK/stub_escape_$platform" "$SB" run --platform "$platform" -- \
			"$BIN/stub_escape" "$probe"
		local out=$WORK/stub_escape_$platform.out rc
		rc=$(cat "$WORK/stub_escape_$platform.rc")
		grep '^stub_escape' "$out" | sed 's/^/    /'
		if [ -n "$(ls -A "$probe")" ]; then
			fail "stub_escape_${platform}_no_host_mkdir" "created on the host: $(ls "$probe" | head -5)"
		elif ! grep -q '^stub_escape gadgets: [1-9]' "$out"; then
			fail "stub_escape_${platform}_no_host_mkdir" "no syscall instruction tried (status $rc)" \
				"$(show_head "$WORK/stub_escape_$platform.err" stderr 5)"
		else
			pass "stub_escape_${platform}_no_host_mkdir"
		fi
		if grep -q '^stub_escape blocked_spin: killed' "$out" &&
		   grep -q '^stub_escape blocked_syscall: killed' "$out" &&
		   grep -q '^stub_escape blocked_waking: killed' "$out" &&
		   grep -q '^stub_escape below_page: trapped' "$out" &&
		   grep -q '^stub_escape done' "$out" && [ "$rc" = 0 ]; then
			pass "stub_escape_${platform}_killable"
		else
			fail "stub_escape_${platform}_killable" "status $rc" "$(show_head "$out" stdout 8)"
		fi
		rm -rf "$probe"
	done
}

# ---- 6: procfs shows only the guest ----------------------------------------

sec_procfs() {
	local name ls
	for ls in /bin/busybox /bin/ls; do
		name=proc_lists_guest_pids_${ls##*/}
		if [ "$ls" = /bin/busybox ]; then
			run_to "$WORK/$name.sandbox" "$SB" run -- /bin/busybox ls -1 /proc
		else
			run_to "$WORK/$name.sandbox" "$SB" run -- /bin/ls -1 /proc
		fi
		local pids
		pids=$(grep -E '^[0-9]+$' "$WORK/$name.sandbox.out" | tr '\n' ' ')
		if [ "$(cat "$WORK/$name.sandbox.rc")" = 0 ] && [ "$pids" = "1 " ] &&
			grep -qx self "$WORK/$name.sandbox.out"; then
			pass "$name"
		else
			fail "$name" "status $(cat "$WORK/$name.sandbox.rc"); numeric entries: '${pids}', expected '1 ' and a 'self' entry" \
				"$(show_head "$WORK/$name.sandbox.err" stderr 5)"
		fi
	done
	# Only the guest's own fds: 0, 1, 2 and the one ls uses to read the directory.
	run_to "$WORK/proc_self_fd.sandbox" "$SB" run -- /bin/busybox ls -1 /proc/self/fd
	local extra
	extra=$(grep -vxE '[0-3]' "$WORK/proc_self_fd.sandbox.out" | tr '\n' ' ')
	if [ "$(cat "$WORK/proc_self_fd.sandbox.rc")" = 0 ] && [ -z "$extra" ] &&
		grep -qx 2 "$WORK/proc_self_fd.sandbox.out"; then
		pass proc_self_fd_only_guest_fds
	else
		fail proc_self_fd_only_guest_fds "status $(cat "$WORK/proc_self_fd.sandbox.rc"); unexpected fds: '$extra'" \
			"$(show_head "$WORK/proc_self_fd.sandbox.out" stdout 10)"
	fi
}

# ---- 7: a sentry crash ends only its own sandbox ---------------------------

# Sandbox A's sentry gets SIGSEGV from outside (standing in for a sentry
# bug): it must print a backtrace, exit 125 and take its stub with it, while
# sandbox B, running at the same time, finishes normally.
sec_sentry_crash() {
	"$SB" run -- /bin/sleep 20 </dev/null >"$WORK/crash_a.out" 2>"$WORK/crash_a.err" &
	local a=$!
	"$SB" run -- /usr/bin/python3 -c 'import time; time.sleep(1.5); print("b done")' \
		</dev/null >"$WORK/crash_b.out" 2>"$WORK/crash_b.err" &
	local b=$! stub="" tries=0
	while [ $tries -lt 100 ] && [ -z "$stub" ]; do
		stub=$(pgrep -P "$a" | head -1)
		sleep 0.05
		tries=$((tries + 1))
	done
	sleep 0.3
	kill -SEGV "$a"
	wait "$a"
	local rca=$?
	wait "$b"
	local rcb=$?
	if [ "$rca" = 125 ] && grep -q 'internal error: SIGSEGV' "$WORK/crash_a.err" &&
		grep -qE '^  #[0-9]+ 0x' "$WORK/crash_a.err"; then
		pass sentry_crash_backtrace_and_125
	else
		fail sentry_crash_backtrace_and_125 "status $rca (want 125)" \
			"$(show_head "$WORK/crash_a.err" stderr 8)"
	fi
	sleep 0.2
	# Gone, or a zombie waiting for the host's init to reap it: not running.
	local state
	state=$(awk '{ print $3 }' "/proc/$stub/stat" 2>/dev/null)
	if [ -n "$stub" ] && { [ -z "$state" ] || [ "$state" = Z ]; }; then
		pass sentry_crash_stub_gone
	else
		fail sentry_crash_stub_gone "stub '${stub:-none found}' (state $state) still alive after its sentry died"
	fi
	if [ "$rcb" = 0 ] && [ "$(cat "$WORK/crash_b.out")" = "b done" ]; then
		pass sentry_crash_other_sandbox_unaffected
	else
		fail sentry_crash_other_sandbox_unaffected "status $rcb, output '$(cat "$WORK/crash_b.out")'" \
			"$(show_head "$WORK/crash_b.err" stderr 5)"
	fi
}

# ---- 8: stress: many processes and threads, nothing left behind ------------

# Live orphans named "sandbox" (sentries and stubs): a dead one the host's
# init has not reaped yet (some inits reap lazily) is not a leak.
live_orphans() {
	ps -e -o ppid=,stat=,comm= | awk '$1 == 1 && $2 !~ /^Z/ && $3 == "sandbox"' | wc -l
}

sec_stress() {
	local before after
	before=$(live_orphans)
	run_to "$WORK/stress_procs.sandbox" "$SB" run -- /bin/bash -c \
		'n=0; for i in {1..200}; do /bin/true & n=$((n+1)); done; wait; echo "$n done"'
	if [ "$(cat "$WORK/stress_procs.sandbox.rc")" = 0 ] &&
		[ "$(cat "$WORK/stress_procs.sandbox.out")" = "200 done" ]; then
		pass stress_200_concurrent_processes
	else
		fail stress_200_concurrent_processes "status $(cat "$WORK/stress_procs.sandbox.rc")" \
			"$(show_head "$WORK/stress_procs.sandbox.err" stderr 5)"
	fi
	run_to "$WORK/stress_threads.sandbox" "$SB" run -- "$BIN/threads64"
	if [ "$(cat "$WORK/stress_threads.sandbox.rc")" = 0 ] &&
		[ "$(cat "$WORK/stress_threads.sandbox.out")" = "64 threads done" ]; then
		pass stress_64_threads
	else
		fail stress_64_threads "status $(cat "$WORK/stress_threads.sandbox.rc")" \
			"$(show_head "$WORK/stress_threads.sandbox.err" stderr 5)"
	fi
	sleep 0.2
	after=$(live_orphans)
	# No sentry or stub (both are named "sandbox") outlives its run: a leftover
	# would be an orphan (parent pid 1); other sandboxes running meanwhile are not.
	if [ "$after" -le "$before" ]; then
		pass stress_no_leftover_processes
	else
		fail stress_no_leftover_processes "$before sandbox processes before, $after after:" \
			"$(ps -o pid,ppid,stat,cmd -C sandbox | head -5)"
	fi
}

# Resource exhaustion inside the guest ends in its own errors, never in the
# sentry's: a full tmpfs (ENOSPC), a tmpfs out of inodes (ENOSPC, the
# sentry's memory bounded), a sparse tmpfs file written far out (the
# sentry's memory bounded), a process out of descriptors (EMFILE).
sec_exhaustion() {
	[ "$BIN/maxrss" -nt "$E2E_DIR/../../bench/maxrss.c" ] ||
		gcc -O1 -Wall -Werror -o "$BIN/maxrss" "$E2E_DIR/../../bench/maxrss.c" || return
	run_to "$WORK/exh_inodes.sandbox" "$BIN/maxrss" "$SB" run --mount type=tmpfs,dst=/m,size=1m -- \
		/bin/bash -c 'cd /m; i=0; while : >"f$i" 2>/dev/null; do i=$((i+1)); done; echo "files $i";
			: >more'
	local rss
	rss=$(awk '/maxrss_kib/ { for (i = 1; i < NF; i++) if ($i == "maxrss_kib") print $(i + 1) }' \
		"$WORK/exh_inodes.sandbox.err")
	if grep -q '^files 16383$' "$WORK/exh_inodes.sandbox.out" &&
		grep -q 'more: No space left on device' "$WORK/exh_inodes.sandbox.err" &&
		[ -n "$rss" ] && [ "$rss" -lt 200000 ]; then
		pass exhaustion_tmpfs_inodes_enospc
	else
		fail exhaustion_tmpfs_inodes_enospc "peak RSS ${rss:-?} KiB" \
			"$(show_head "$WORK/exh_inodes.sandbox.out" stdout)" "$(show_head "$WORK/exh_inodes.sandbox.err" stderr 5)"
	fi
	# Sparse tmpfs files: bytes at 1 TiB, 2^62 and the last offset Linux
	# allows, a shared mapping at 1 TiB and a far fallocate cost pages, not
	# memory proportional to the offset (the sentry stays small).
	run_to "$WORK/exh_sparse.sandbox" "$BIN/maxrss" "$SB" run -- /usr/bin/python3 -c '
import mmap, os
fd = os.open("/dev/shm/sparse", os.O_RDWR | os.O_CREAT, 0o600)
for off in (1 << 40, 1 << 62, (1 << 63) - 2):
    os.pwrite(fd, b"x", off)
full = os.fstat(fd)
os.ftruncate(fd, (1 << 40) + 4096)
m = mmap.mmap(fd, 4096, offset=1 << 40)
m[7] = 0x71
os.posix_fallocate(fd, 1 << 50, 1 << 20)
st = os.fstat(fd)
print(full.st_size, full.st_blocks, st.st_size, st.st_blocks)
print(os.pread(fd, 8, 1 << 40), os.lseek(fd, 0, os.SEEK_DATA))'
	rss=$(awk '/maxrss_kib/ { for (i = 1; i < NF; i++) if ($i == "maxrss_kib") print $(i + 1) }' \
		"$WORK/exh_sparse.sandbox.err")
	# What Linux prints (st_size, st_blocks before and after; the mapped store; SEEK_DATA).
	local want="9223372036854775807 24 1125899907891200 2056
b'x\x00\x00\x00\x00\x00\x00q' 1099511627776"
	if [ "$(cat "$WORK/exh_sparse.sandbox.out")" = "$want" ] &&
		[ -n "$rss" ] && [ "$rss" -lt 65536 ]; then
		pass exhaustion_tmpfs_sparse_small
		echo "    peak RSS ${rss} KiB"
	else
		fail exhaustion_tmpfs_sparse_small "peak RSS ${rss:-?} KiB (want < 65536)" \
			"$(show_head "$WORK/exh_sparse.sandbox.out" stdout)" "$(show_head "$WORK/exh_sparse.sandbox.err" stderr 5)"
	fi
	# Copy-up of a sparse 1 TiB host file skips its holes (SEEK_DATA on the
	# host): fast, and only the pages with data are stored.
	truncate -s 1T "$WORK/sparse.host" &&
		printf x | dd of="$WORK/sparse.host" bs=1 seek=$((1 << 39)) conv=notrunc status=none
	run_to "$WORK/exh_copyup.sandbox" "$SB" run -- /usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.pwrite(fd, b"y", 0)
st = os.fstat(fd)
print(st.st_size, st.st_blocks, os.pread(fd, 1, 1 << 39), os.lseek(fd, 1, os.SEEK_DATA))' "$WORK/sparse.host"
	if [ "$(cat "$WORK/exh_copyup.sandbox.out")" = "1099511627776 16 b'x' 1" ] &&
		[ "$(head -c 1 "$WORK/sparse.host" | tr -d '\0' | wc -c)" = 0 ]; then
		pass exhaustion_overlay_sparse_copy_up
	else
		fail exhaustion_overlay_sparse_copy_up "status $(cat "$WORK/exh_copyup.sandbox.rc"); host byte 0: $(head -c 1 "$WORK/sparse.host" | od -An -c)" \
			"$(show_head "$WORK/exh_copyup.sandbox.out" stdout)" "$(show_head "$WORK/exh_copyup.sandbox.err" stderr 5)"
	fi
	rm -f "$WORK/sparse.host"
	run_to "$WORK/exh_fds.sandbox" "$SB" run -- /usr/bin/python3 -c '
import os, errno
fds = []
try:
    while True:
        fds.append(os.open("/dev/null", os.O_RDONLY))
except OSError as e:
    print(errno.errorcode[e.errno], len(fds) + 3 >= 1000)'
	if [ "$(cat "$WORK/exh_fds.sandbox.out")" = "EMFILE True" ]; then
		pass exhaustion_fds_emfile
	else
		fail exhaustion_fds_emfile "$(show_head "$WORK/exh_fds.sandbox.out" stdout)" \
			"$(show_head "$WORK/exh_fds.sandbox.err" stderr 5)"
	fi
	sec_memory_limit
}

# cgroup_gone DIR: DIR is removed within 5 s (the reaper works after the sentry exits).
cgroup_gone() {
	local i
	for i in $(seq 50); do
		[ -e "$1" ] || return 0
		sleep 0.1
	done
	return 1
}

# Guest memory is capped by the host's memory cgroup (sentry/memcg.c): past
# --memory (plus the sentry's allowance) the host's OOM killer takes a guest
# process, which dies of SIGKILL as on Linux, and the sandbox and the host
# go on; under the limit the guest works. The cgroup is gone after the run.
# Skipped (SKIP line) where the sentry gets no writable memory cgroup, and
# under ASan (the sentry's shadow memory and quarantine, charged to the same
# cgroup, outgrow its allowance: the margins these cases test are not real).
sec_memory_limit() {
	if grep -qa __asan_init "$SB"; then
		echo "SKIP memory_limit_*: an ASan sentry's own memory does not fit the allowance"
		return 0
	fi
	build_prog memhog || return
	run_to "$WORK/memcg_probe" "$SB" run --debug -- /bin/true
	local cg
	cg=$(sed -n 's/.*memory cgroup \(.*\): limit .*/\1/p' "$WORK/memcg_probe.err" | head -n 1)
	if [ -z "$cg" ]; then
		echo "SKIP memory_limit_*: $(grep -o 'no memory cgroup.*' "$WORK/memcg_probe.err")"
		return 0
	fi
	if cgroup_gone "$cg"; then
		pass memory_limit_cgroup_removed
	else
		fail memory_limit_cgroup_removed "$cg still exists 5 s after the sandbox exited"
	fi
	# The hog is pid 1: killed, so `sandbox run` exits 128 + SIGKILL.
	run_to "$WORK/mem_hog" "$SB" run --memory 256m -- "$BIN/memhog" 1024
	if [ "$(cat "$WORK/mem_hog.rc")" = 137 ] && [ ! -s "$WORK/mem_hog.out" ]; then
		pass memory_limit_hog_killed
	else
		fail memory_limit_hog_killed "status $(cat "$WORK/mem_hog.rc"), expected 137" \
			"$(show_head "$WORK/mem_hog.out" stdout)" "$(show_head "$WORK/mem_hog.err" stderr 5)"
	fi
	# The hog is a child: its parent sees SIGKILL and goes on.
	run_to "$WORK/mem_child" "$SB" run --debug --memory 256m -- "$BIN/memhog" 1024 child
	cg=$(sed -n 's/.*memory cgroup \(.*\): limit .*/\1/p' "$WORK/mem_child.err" | head -n 1)
	if [ "$(cat "$WORK/mem_child.out")" = "child killed by signal 9
parent continues" ] && [ "$(cat "$WORK/mem_child.rc")" = 0 ]; then
		pass memory_limit_child_killed_parent_continues
	else
		fail memory_limit_child_killed_parent_continues "status $(cat "$WORK/mem_child.rc")" \
			"$(show_head "$WORK/mem_child.out" stdout)" \
			"$(grep -v ': event \|syscall' "$WORK/mem_child.err" | head -n 5)"
	fi
	if [ -n "$cg" ] && cgroup_gone "$cg"; then
		pass memory_limit_cgroup_removed_after_oom
	else
		fail memory_limit_cgroup_removed_after_oom "cgroup '${cg}' still exists 5 s after the run"
	fi
	run_to "$WORK/mem_under" "$SB" run --memory 256m -- "$BIN/memhog" 200
	if [ "$(cat "$WORK/mem_under.out")" = "allocated 200 MiB" ] &&
		[ "$(cat "$WORK/mem_under.rc")" = 0 ]; then
		pass memory_limit_200m_under_256m_works
	else
		fail memory_limit_200m_under_256m_works "status $(cat "$WORK/mem_under.rc")" \
			"$(show_head "$WORK/mem_under.out" stdout)" "$(show_head "$WORK/mem_under.err" stderr 5)"
	fi
	# Sparse memory stays sparse wherever its pages come from (only large
	# sequential tmpfs writes take huge chunks, memfile.c): one byte every
	# 2 MiB across 2 GiB touched by the guest, written by the sentry into
	# fresh guest memory, and written into a tmpfs file costs 3 x 4 MiB,
	# not 6 GiB.
	run_to "$WORK/mem_sparse" "$SB" run --memory 256m -- /usr/bin/python3 -c '
import mmap, os
step, size = 2 << 20, 2 << 30
a, b = mmap.mmap(-1, size), mmap.mmap(-1, size)
for i in range(0, size, step):
    a[i] = 1
with open("/dev/zero", "rb", buffering=0) as z:
    mv = memoryview(b)
    for i in range(0, size, step):
        z.readinto(mv[i:i + 1])
fd = os.open("/tmp/sparse", os.O_RDWR | os.O_CREAT, 0o600)
for i in range(0, size, step):
    os.pwrite(fd, b"x", i)
print("sparse", sum(a[i] for i in range(0, size, step)), os.fstat(fd).st_blocks * 512 >> 20)'
	if [ "$(cat "$WORK/mem_sparse.out")" = "sparse 1024 4" ] &&
		[ "$(cat "$WORK/mem_sparse.rc")" = 0 ]; then
		pass memory_limit_sparse_touches_take_small_pages
	else
		fail memory_limit_sparse_touches_take_small_pages "status $(cat "$WORK/mem_sparse.rc")" \
			"$(show_head "$WORK/mem_sparse.out" stdout)" "$(show_head "$WORK/mem_sparse.err" stderr 5)"
	fi
	# A full tmpfs (its pages are the sentry's) still costs a guest process, not the sandbox.
	run_to "$WORK/mem_tmpfs" "$SB" run --memory 256m -- /bin/sh -c \
		"head -c 250M /dev/zero > /dev/shm/fill; $BIN/memhog 200 child; echo done"
	if [ "$(cat "$WORK/mem_tmpfs.out")" = "child killed by signal 9
parent continues
done" ]; then
		pass memory_limit_full_tmpfs_kills_guest_not_sentry
	else
		fail memory_limit_full_tmpfs_kills_guest_not_sentry "status $(cat "$WORK/mem_tmpfs.rc")" \
			"$(show_head "$WORK/mem_tmpfs.out" stdout)" "$(show_head "$WORK/mem_tmpfs.err" stderr 5)"
	fi
	# 200 MiB the sentry wrote for the guest (read(2) into untouched memory)
	# count in the sentry's resident pages, not the stub's: the OOM killer
	# still takes the hog (the stubs' oom_score_adj), not the sentry.
	run_to "$WORK/mem_sentry_rss" "$SB" run --memory 256m -- /usr/bin/python3 -c '
import mmap, subprocess, sys
m = mmap.mmap(-1, 200 << 20)
mv = memoryview(m)
with open("/dev/zero", "rb", buffering=0) as f:
    off = 0
    while off < len(m):
        off += f.readinto(mv[off:])
r = subprocess.run([sys.argv[1], "1024", "child"], capture_output=True, text=True)
print(r.stdout, end="")
print("python continues", m[len(m) - 1])' "$BIN/memhog"
	if [ "$(cat "$WORK/mem_sentry_rss.out")" = "child killed by signal 9
parent continues
python continues 0" ]; then
		pass memory_limit_oom_prefers_guest_to_sentry
	else
		fail memory_limit_oom_prefers_guest_to_sentry "status $(cat "$WORK/mem_sentry_rss.rc")" \
			"$(show_head "$WORK/mem_sentry_rss.out" stdout)" \
			"$(show_head "$WORK/mem_sentry_rss.err" stderr 5)"
	fi
}

sec_socket_fuzz() {
	local net seed=1
	for net in none sandbox; do
		seed=$((seed + 1))
		E2E_TIMEOUT=${E2E_FUZZ_TIMEOUT:-120} run_to "$WORK/sockfuzz_$net" \
			"$SB" run --net=$net -- "$BIN/fuzz_sockets" --i-am-sandboxed 100000 $seed
		local rc out=$WORK/sockfuzz_$net.out
		rc=$(cat "$WORK/sockfuzz_$net.rc")
		if [ "$rc" = 0 ] && grep -q '^calls 100000 succeeded [1-9]' "$out" &&
			[ "$(tail -n 1 "$out")" = done ]; then
			pass "socket_fuzz_survives_net_$net"
		else
			fail "socket_fuzz_survives_net_$net" "status $rc" "$(show_head "$out" stdout 5)" \
				"$(show_head "$WORK/sockfuzz_$net.err" stderr 10)"
		fi
	done
	if [ -e /tmp/fz ]; then
		fail socket_fuzz_nothing_on_host "/tmp/fz exists on the host"
	else
		pass socket_fuzz_nothing_on_host
	fi
}

# wait_ready FILE: until FILE has a "ready" line (5 s at most).
wait_ready() {
	local i
	for i in $(seq 50); do
		grep -q '^ready' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

sec_net_isolation() {
	local py=/usr/bin/python3 iso="$E2E_DIR/py/net_isolation.py"
	local port=$((40000 + RANDOM % 20000)) name="sbx-iso-$$-$RANDOM"
	local want="abstract ECONNREFUSED
tcp ECONNREFUSED
udp ECONNREFUSED"
	# A sandbox's names and ports: not seen by another sandbox, nor by the host.
	"$SB" run -- "$py" "$iso" serve "$name" "$port" >"$WORK/iso_a.out" 2>"$WORK/iso_a.err" &
	local a=$!
	if ! wait_ready "$WORK/iso_a.out"; then
		fail net_isolation_setup "$(show_head "$WORK/iso_a.err" stderr 5)"
		kill "$a" 2>/dev/null
		wait "$a" 2>/dev/null
		return
	fi
	run_to "$WORK/iso_b" "$SB" run -- "$py" "$iso" probe "$name" "$port"
	if [ "$(cat "$WORK/iso_b.out")" = "$want" ]; then
		pass net_isolation_sandbox_to_sandbox
	else
		fail net_isolation_sandbox_to_sandbox "$(show_head "$WORK/iso_b.out" out)"
	fi
	run_to "$WORK/iso_h" "$py" "$iso" probe "$name" "$port"
	if [ "$(cat "$WORK/iso_h.out")" = "$want" ]; then
		pass net_isolation_sandbox_to_host
	else
		fail net_isolation_sandbox_to_host "$(show_head "$WORK/iso_h.out" out)"
	fi
	kill "$a" 2>/dev/null
	wait "$a" 2>/dev/null
	# The host's: not seen by a sandbox.
	"$py" "$iso" serve "$name-h" "$port" >"$WORK/iso_hs.out" 2>&1 &
	local h=$!
	if wait_ready "$WORK/iso_hs.out"; then
		run_to "$WORK/iso_s" "$SB" run -- "$py" "$iso" probe "$name-h" "$port"
		if [ "$(cat "$WORK/iso_s.out")" = "$want" ]; then
			pass net_isolation_host_to_sandbox
		else
			fail net_isolation_host_to_sandbox "$(show_head "$WORK/iso_s.out" out)"
		fi
	else
		echo "SKIP net_isolation_host_to_sandbox: the host-side server did not start (port $port busy?)"
	fi
	kill "$h" 2>/dev/null
	wait "$h" 2>/dev/null
}

security_tests() {
	sec_fuzz
	sec_socket_fuzz
	sec_net_isolation
	sec_exhaustion
	sec_int80
	sec_stub_escape
	sec_overlay
	sec_rootfs
	check_stub_maps stub_maps_static_sleep /bin/busybox sh -c \
		'/bin/busybox sleep 3; /bin/busybox cat /proc/$$/maps'
	check_stub_maps stub_maps_dynamic_sleep /usr/bin/python3 -c \
		'import time; time.sleep(3); print(open("/proc/self/maps").read())'
	sec_procfs
	sec_sentry_crash
	sec_stress
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	. "$E2E_DIR/lib.sh"
	e2e_setup "${1:-build}"
	security_tests
	summary
fi
