#!/bin/bash
# Writable host binds (`--mount type=bind,src=HOST,dst=GUEST` without ro,
# fs/hostfs/hostfs_rw.c): the guest changes a host directory and the host
# side is checked. Sourced by tests/e2e/run.sh (hostfs_tests; E2E_HOSTFS=0
# skips them), or standalone:
#
#   tests/e2e/hostfs.sh BUILD_DIR
#
#   rw ops      create, write, append, rename, unlink, mkdir, rmdir, symlink,
#               link, chmod, truncate, utimes: the host directory has them
#   owners      a file made by guest uid 1000 is owned by 1000 on the host
#   escape      host symlinks to /etc and ../.. resolve in the guest's own
#               tree: nothing is written outside the bind on the host
#   live        a file the host makes and removes while the guest runs shows
#               up and goes
#   ro          a read-only bind refuses writes (EROFS), the host is unchanged
#   file        single-file binds, rw (writes reach the host) and ro
#   fifo, dev   mkfifo makes a host FIFO; device nodes are refused
#   sqlite3     a database written in the bind reads back natively
#   mmap        MAP_SHARED of host files (tests/syscalls/mmap_shared_file):
#               coherence with read/write, msync/fsync/munmap/SIGKILL reach
#               the host (seen through a second mount of the directory and
#               from the host after exit); sqlite3 in WAL mode (its -shm
#               index is a shared mapping), compared with native, the
#               database read back natively; two processes on one WAL
#               database
#   conformance tests/syscalls programs with a rw bind as their /tmp
# shellcheck disable=SC2016 # the guest scripts are single-quoted on purpose

if [ -z "${E2E_DIR:-}" ]; then
	E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fi

# hfs_run NAME MOUNTS SCRIPT: `sh -c SCRIPT` in a sandbox with the --mount
# options in MOUNTS (one word each) into $WORK/NAME.sandbox.*
hfs_run() {
	local name=$1 mounts=$2 script=$3 m args=()
	for m in $mounts; do
		args+=(--mount "$m")
	done
	run_to "$WORK/$name.sandbox" "$SB" run "${args[@]}" -- /bin/sh -c "$script"
}

# hfs_check NAME WHAT COND: pass if the shell condition COND holds.
hfs_check() {
	local name=$1 what=$2
	shift 2
	if eval "$1"; then
		pass "hostfs_${name}_$what"
	else
		fail "hostfs_${name}_$what" "condition failed: $1" \
			"$(show_head "$WORK/$name.sandbox.out" stdout)" \
			"$(show_head "$WORK/$name.sandbox.err" stderr)"
	fi
}

hfs_expect_out() {
	local name=$1 want=$2
	printf '%s\n' "$want" >"$WORK/$name.want"
	if cmp -s "$WORK/$name.want" "$WORK/$name.sandbox.out"; then
		pass "hostfs_${name}_output"
	else
		fail "hostfs_${name}_output" \
			"$(diff -u --label want "$WORK/$name.want" --label sandbox "$WORK/$name.sandbox.out")" \
			"$(show_head "$WORK/$name.sandbox.err" stderr)"
	fi
}

hostfs_ops_tests() {
	local h=$WORK/hostfs-rw
	mkdir -p "$h/sub" "$h/emptydir"
	echo hello >"$h/f"
	echo bye >"$h/todelete"
	printf '0123456789' >"$h/trunc"
	ln -s /etc "$h/escape"
	ln -s ../.. "$h/up"
	hfs_run ops "type=bind,src=$h,dst=/data" '
		cd /data || exit 1
		echo new >created && mv created renamed
		echo more >>f
		rm todelete
		mkdir -p newdir/deep && rmdir emptydir
		ln -s f lnk && ln f hard
		chmod 640 f
		truncate -s 4 trunc
		touch -d "2001-02-03 04:05:06 UTC" renamed
		echo sub >sub/inner && mv sub/inner newdir/deep/moved
		cat f; readlink lnk; ls
		stat -c "%a %h %s %Y" f renamed'
	hfs_expect_out ops "hello
more
f
$(printf '%s\n' escape f hard lnk newdir renamed sub trunc up)
640 2 11 $(stat -c %Y "$h/f")
644 1 4 981173106"
	hfs_check ops host_append '[ "$(cat "$h/f")" = "$(printf "hello\nmore")" ]'
	hfs_check ops host_rename '[ "$(cat "$h/renamed")" = new ] && [ ! -e "$h/created" ]'
	hfs_check ops host_unlink '[ ! -e "$h/todelete" ]'
	hfs_check ops host_mkdir_rmdir '[ -d "$h/newdir/deep" ] && [ ! -e "$h/emptydir" ]'
	hfs_check ops host_symlink '[ "$(readlink "$h/lnk")" = f ]'
	hfs_check ops host_link '[ "$(stat -c %i "$h/hard")" = "$(stat -c %i "$h/f")" ]'
	hfs_check ops host_chmod '[ "$(stat -c %a "$h/f")" = 640 ]'
	hfs_check ops host_truncate '[ "$(cat "$h/trunc")" = 0123 ]'
	hfs_check ops host_utimes '[ "$(stat -c %Y "$h/renamed")" = 981173106 ]'
	hfs_check ops host_move_between_dirs '[ "$(cat "$h/newdir/deep/moved")" = sub ] && [ ! -e "$h/sub/inner" ]'

	# Owners: the guest's fsuid/fsgid on the host (the sentry runs as root here).
	hfs_run owners "type=bind,src=$h,dst=/data" '
		mkdir -m 777 /data/open
		/usr/bin/python3 -c "
import os
os.setgroups([]); os.setgid(1000); os.setuid(1000)
try:
    os.mkdir(\"/data/newdir/u\")
except PermissionError:
    print(\"mkdir-denied\")
open(\"/data/open/y\", \"w\").write(\"y\")
try:
    open(\"/data/f\", \"a\")
except PermissionError:
    print(\"denied\")
"
		stat -c "%u:%g" /data/open/y'
	hfs_expect_out owners "mkdir-denied
denied
1000:1000"
	if [ "$(id -u)" = 0 ]; then
		hfs_check owners host_owner '[ "$(stat -c %u:%g "$h/open/y")" = 1000:1000 ] && [ ! -e "$h/newdir/u" ]'
	fi

	# Host symlinks resolve in the guest's tree: nothing lands outside the bind.
	local tag=hostfs-e2e-$$
	hfs_run escape "type=bind,src=$h,dst=/data" "
		readlink /data/escape
		echo pwned >/data/escape/$tag && cat /etc/$tag
		echo up >/data/up/tmp/$tag && cat /tmp/$tag
		ls -d /data/up/proc/self >/dev/null && echo guest-root"
	hfs_expect_out escape "/etc
pwned
up
guest-root"
	hfs_check escape host_etc_untouched "[ ! -e /etc/$tag ] && [ ! -e /tmp/$tag ] && [ ! -e \"$h/escape/$tag\" ]"
	hfs_check escape host_links_kept '[ "$(readlink "$h/escape")" = /etc ] && [ "$(readlink "$h/up")" = ../.. ]'
}

hostfs_live_tests() {
	local h=$WORK/hostfs-live
	mkdir -p "$h" && echo old >"$h/gone"
	# The guest waits for the host's file, then for the host's delete.
	(sleep 1; echo from-host >"$h/flag"; sleep 1; rm -f "$h/gone") &
	local bg=$!
	hfs_run live "type=bind,src=$h,dst=/data" '
		i=0; while [ ! -e /data/flag ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		cat /data/flag; ls /data | tr "\n" " "; echo
		i=0; while [ -e /data/gone ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		ls /data | tr "\n" " "; echo'
	wait "$bg"
	hfs_expect_out live "from-host
flag gone 
flag "
}

hostfs_ro_file_tests() {
	local h=$WORK/hostfs-ro
	mkdir -p "$h" && echo keep >"$h/f"
	hfs_run ro "type=bind,src=$h,dst=/data,ro" '
		cat /data/f
		(echo x >/data/new) 2>&1 | grep -c "Read-only file system"
		echo x >>/data/f 2>/dev/null || echo refused
		mkdir /data/d 2>/dev/null || echo refused
		grep " /data " /proc/mounts | grep -c "[ ,]ro[ ,]"'
	hfs_expect_out ro "keep
1
refused
refused
1"
	hfs_check ro host_unchanged '[ "$(ls "$h")" = f ] && [ "$(cat "$h/f")" = keep ]'

	# Single files: rw (OCI's /etc/hosts, /etc/resolv.conf) and ro; dst made if missing.
	local f=$WORK/hostfs-file.txt r=$WORK/hostfs-file-ro.txt
	echo one >"$f"
	echo fixed >"$r"
	hfs_run file "type=bind,src=$f,dst=/etc/e2e-hostfs-file type=bind,src=$r,dst=/e2e/new/ro.txt,ro" '
		cat /etc/e2e-hostfs-file; echo two >>/etc/e2e-hostfs-file
		cat /e2e/new/ro.txt; echo no >>/e2e/new/ro.txt 2>/dev/null || echo refused
		rm /etc/e2e-hostfs-file 2>/dev/null || echo busy
		stat -c %s /etc/e2e-hostfs-file'
	hfs_expect_out file "one
fixed
refused
busy
8"
	hfs_check file host_written '[ "$(cat "$f")" = "$(printf "one\ntwo")" ] && [ "$(cat "$r")" = fixed ]'
}

hostfs_special_tests() {
	local h=$WORK/hostfs-special
	mkdir -p "$h"
	hfs_run fifo "type=bind,src=$h,dst=/data" '
		mkfifo /data/p && test -p /data/p && echo fifo
		mknod /data/null c 1 3 2>/dev/null || echo refused'
	hfs_expect_out fifo "fifo
refused"
	hfs_check fifo host_fifo '[ -p "$h/p" ] && [ ! -e "$h/null" ]'

	if command -v sqlite3 >/dev/null; then
		hfs_run sqlite3 "type=bind,src=$h,dst=/data" '
			sqlite3 /data/e2e.db "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);
				SELECT sum(x) FROM t;"'
		hfs_expect_out sqlite3 6
		hfs_check sqlite3 native_reads_back '[ "$(sqlite3 "$h/e2e.db" "SELECT count(*) FROM t")" = 3 ]'
	fi
}

# mmap_shared_file with a rw bind as /tmp and the same directory at /view.
hostfs_mmap_conformance() {
	local t=$WORK/hostfs-mmap-tmp p=$BUILD/syscalls/mmap_shared_file bin
	if [ ! -x "$p" ]; then
		echo "note: $p not built (make syscall-test); skipped"
		return
	fi
	bin=$(cd "$BUILD/syscalls" && pwd)
	mkdir -p "$t" && chmod 1777 "$t"
	run_to "$WORK/mmap_view.native" "$p" view /tmp
	run_to "$WORK/mmap_view.sandbox" "$SB" run --mount "type=bind,src=$t,dst=/tmp" \
		--mount "type=bind,src=$t,dst=/view" --mount "type=bind,src=$bin,dst=/e2e-conf-bin,ro" -- \
		/e2e-conf-bin/mmap_shared_file view /view
	compare mmap_view

	# Stores left in mappings at exit, and by SIGKILLed processes (a child, init itself).
	local n=$WORK/hostfs-mmap-native h=$WORK/hostfs-mmap-host f
	mkdir -p "$n" "$h"
	run_to "$WORK/mmap_leave.native" "$p" leave "$n"
	run_to "$WORK/mmap_leave_kill.native" "$p" leave-kill "$n"
	run_to "$WORK/mmap_leave.sandbox" "$SB" run --mount "type=bind,src=$h,dst=/data" \
		--mount "type=bind,src=$bin,dst=/e2e-conf-bin,ro" -- /e2e-conf-bin/mmap_shared_file leave /data
	run_to "$WORK/mmap_leave_kill.sandbox" "$SB" run --mount "type=bind,src=$h,dst=/data" \
		--mount "type=bind,src=$bin,dst=/e2e-conf-bin,ro" -- /e2e-conf-bin/mmap_shared_file leave-kill /data
	compare mmap_leave
	compare mmap_leave_kill
	for f in stored killed selfkilled orphan; do
		if [ -s "$n/$f" ] && cmp -s "$n/$f" "$h/$f"; then
			pass "hostfs_mmap_host_file_$f"
		else
			fail "hostfs_mmap_host_file_$f" "$(cmp "$n/$f" "$h/$f" 2>&1)"
		fi
	done
}

# sqlite3 in WAL mode in a rw bind: its -shm index is a shared mapping.
hostfs_sqlite_wal_tests() {
	command -v sqlite3 >/dev/null || return 0
	local h=$WORK/hostfs-wal n=$WORK/hostfs-wal-native
	local sql="PRAGMA journal_mode=WAL; CREATE TABLE t(x, y);
		INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
		SELECT sum(x), group_concat(y) FROM t;"
	local sql2="INSERT INTO t SELECT x + 3, y || y FROM t; SELECT count(*), sum(x) FROM t;
		SELECT y FROM t WHERE x > 4 ORDER BY x; PRAGMA journal_mode; PRAGMA integrity_check;"
	mkdir -p "$h" "$n"
	run_to "$WORK/sqlite_wal.native" /bin/sh -c 'cd "$1" && sqlite3 w.db "$2" && sqlite3 w.db "$3"' \
		_ "$n" "$sql" "$sql2"
	run_to "$WORK/sqlite_wal.sandbox" "$SB" run --mount "type=bind,src=$h,dst=/data" -- \
		/bin/sh -c 'cd /data && sqlite3 w.db "$1" && sqlite3 w.db "$2"' _ "$sql" "$sql2"
	compare sqlite_wal
	hfs_check sqlite_wal host_reads_back \
		'[ "$(sqlite3 "$h/w.db" "SELECT count(*), sum(x) FROM t; PRAGMA journal_mode;" 2>&1)" = "$(printf "6|21\nwal")" ]'

	# Two processes on one WAL database: a writer inserts batches while a reader counts.
	/usr/bin/python3 -c 'import sqlite3' 2>/dev/null || return 0
	hfs_run sqlite_wal_2proc "type=bind,src=$h,dst=/data" \
		"/usr/bin/python3 '$E2E_DIR/py/sqlite_wal_2proc.py' /data/two.db 10 200"
	hfs_expect_out sqlite_wal_2proc "wal
(2000, 20000)
only whole batches seen: True
ok"
	hfs_check sqlite_wal_2proc host_reads_back '[ "$(sqlite3 "$h/two.db" "SELECT count(*) FROM t")" = 2000 ]'
}

# Conformance programs with a rw bind as /tmp (their private dirs go there).
hostfs_conformance_tests() {
	local p t=$WORK/hostfs-tmp
	mkdir -p "$t" && chmod 1777 "$t"
	for p in open openflags rename link linkat symlink mkdir truncate getdents stat perms tmpfile \
		fallocate lseek readlink access chmod mmap_file mmap_shared mmap_shared_file; do
		if [ ! -x "$BUILD/syscalls/$p" ]; then
			echo "note: $BUILD/syscalls/$p not built (make syscall-test); skipped"
			continue
		fi
		# The programs come through a read-only bind of their own: the checkout
		# (and so the build) may itself live under /tmp, which the rw bind hides.
		run_to "$WORK/conf_$p.sandbox" "$SB" run --mount "type=bind,src=$t,dst=/tmp" \
			--mount "type=bind,src=$(cd "$BUILD/syscalls" && pwd),dst=/e2e-conf-bin,ro" -- \
			"/e2e-conf-bin/$p"
		if [ "$(cat "$WORK/conf_$p.sandbox.rc")" = 0 ] && ! grep -q '^FAIL' "$WORK/conf_$p.sandbox.out"; then
			pass "hostfs_conformance_$p"
		else
			fail "hostfs_conformance_$p" "exit status $(cat "$WORK/conf_$p.sandbox.rc")" \
				"$(grep '^FAIL' "$WORK/conf_$p.sandbox.out" | head -n 10)" \
				"$(show_head "$WORK/conf_$p.sandbox.err" stderr)"
		fi
	done
}

hostfs_tests() {
	hostfs_ops_tests
	hostfs_live_tests
	hostfs_ro_file_tests
	hostfs_special_tests
	hostfs_conformance_tests
	hostfs_mmap_conformance
	hostfs_sqlite_wal_tests
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	. "$E2E_DIR/lib.sh"
	e2e_setup "${1:-build}"
	hostfs_tests
	summary
fi
