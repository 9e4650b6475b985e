#!/bin/bash
# procps and friends in the sandbox: ps, ps aux, ps -ef, top -b -n1, free,
# pgrep, pkill -0, uptime, df, mount, nproc; and the /proc/net readers
# netstat, ss, ifconfig (net-tools, iproute2). Their output cannot equal a
# native run (other processes, other memory), so each case checks the
# shape of the sandbox's output: headers, the processes the script started
# and their parentage, the sandbox's own memory total. Sourced by
# tests/e2e/run.sh (procps_tests; E2E_PROCPS=0 skips it), or standalone:
#
#   tests/e2e/procps.sh BUILD_DIR
# shellcheck disable=SC2016 # the scripts are single-quoted on purpose

if [ -z "${E2E_DIR:-}" ]; then
	E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fi

# ps_run NAME SCRIPT: runs `sh -c SCRIPT` in the sandbox into $WORK/NAME.sandbox.*
ps_run() {
	# shellcheck disable=SC2034 # read by run_to (dynamic scope)
	local E2E_TIMEOUT=${E2E_PROCPS_TIMEOUT:-30}
	run_to "$WORK/$1.sandbox" "$SB" run -- /bin/sh -c "$2"
}

# net_run NAME SCRIPT [SANDBOX-OPTION...]: as ps_run, with sockets opened
# first by a python3 that runs SCRIPT with the sandbox's options: TCP
# 127.0.0.1:5555 listening with one connection (2 bytes unread), UDP
# 127.0.0.1:5353 and a unix listener /tmp/net.sock.
net_run() {
	local name=$1 script=$2
	shift 2
	# shellcheck disable=SC2034 # read by run_to (dynamic scope)
	local E2E_TIMEOUT=${E2E_PROCPS_TIMEOUT:-30}
	run_to "$WORK/$name.sandbox" "$SB" run "$@" -- /usr/bin/python3 -c '
import os, socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 5555)); l.listen()
c = socket.create_connection(("127.0.0.1", 5555)); a, _ = l.accept(); c.sendall(b"hi")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 5353))
x = socket.socket(socket.AF_UNIX); x.bind("/tmp/net.sock"); x.listen()
sys.stdout.flush()
sys.exit(os.WEXITSTATUS(os.system(sys.argv[1])))' "$script"
}

# ps_expect NAME WHAT REGEX...: every extended REGEX matches a line of the output.
ps_expect() {
	local name=$1 what=$2 out=$WORK/$1.sandbox.out re
	shift 2
	if [ "$(cat "$WORK/$name.sandbox.rc")" != 0 ]; then
		fail "procps_${name}_${what}" "exit status $(cat "$WORK/$name.sandbox.rc")" \
			"$(show_head "$out" stdout)" "$(show_head "$WORK/$name.sandbox.err" stderr)"
		return
	fi
	for re in "$@"; do
		if ! has_line "$out" "$re"; then
			fail "procps_${name}_${what}" "no line matches /$re/" "$(show_head "$out" stdout 25)" \
				"$(show_head "$WORK/$name.sandbox.err" stderr)"
			return
		fi
	done
	pass "procps_${name}_${what}"
}

procps_tests() {
	# SysV IPC (util-linux): a segment made by ipcmk, listed by ipcs as natively
	# (its id and key normalised), described by ipcs -i, removed by ipcrm.
	if command -v ipcmk >/dev/null && command -v ipcs >/dev/null; then
		cmp_case ipcs /bin/sh -c 'id=$(ipcmk -M 8192 -p 0640 | awk "{print \$NF}")
			ipcs -m | awk -v id="$id" "NR<=3 || \$2==id { if (\$2==id) { \$1=\"KEY\"; \$2=\"ID\" } print }"
			ipcs -m -i "$id" | grep -E "^(uid|mode|bytes)" | sed -E "s/(lpid|cpid)=[0-9]+/\\1=N/g"
			ipcrm -m "$id" && ipcs -m -i "$id" 2>&1 | sed "s/id [0-9]*/id N/"'
	fi

	ps_run ps 'exec /usr/bin/ps'
	ps_expect ps plain '^ +PID TTY +TIME CMD$' '^ +1 [^ ]+ +[0-9:]+ ps$'

	# A shell with a sleeping child and ps: three processes, parentage right.
	ps_run ps_ef '/bin/sleep 5 & /usr/bin/ps -ef; kill $!'
	ps_expect ps_ef header_and_rows '^UID +PID +PPID +C STIME TTY +TIME CMD$' \
		'^root +1 +0 .* /bin/sh -c' '^root +[0-9]+ +1 .* /bin/sleep 5$' \
		'^root +[0-9]+ +1 .* /usr/bin/ps -ef$'

	ps_run ps_aux '/bin/sleep 5 & /usr/bin/ps aux; kill $!'
	ps_expect ps_aux header_and_rows \
		'^USER +PID %CPU %MEM +VSZ +RSS TTY +STAT START +TIME COMMAND$' \
		'^root +1 .* S.* /bin/sh -c' '^root +[0-9]+ .* [0-9]+ +[0-9]+ .* /bin/sleep 5$' \
		'^root +[0-9]+ .* R.* /usr/bin/ps aux$'

	ps_run ps_o '/bin/sleep 5 & /usr/bin/ps -o pid,ppid,stat,nlwp,comm -p $!; kill $!'
	ps_expect ps_o sleeping_child '^ +PID +PPID STAT NLWP COMMAND$' '^ +[0-9]+ +1 S +1 sleep$'

	ps_run top 'exec /usr/bin/top -b -n1'
	ps_expect top batch_screen '^top - [0-9:]+ up ' '^Tasks: +1 total, +1 running' \
		'^%Cpu\(s\):' '^MiB Mem : +4096\.0 total,' '^MiB Swap:' \
		'^ +PID USER +PR +NI +VIRT +RES +SHR S +%CPU +%MEM +TIME\+ COMMAND' \
		'^ +1 root .* R .* top$'

	# The sandbox's memory (4 GiB by default), not the host's.
	ps_run free 'exec /usr/bin/free -k'
	ps_expect free sandbox_total '^ +total +used +free +shared +buff/cache +available$' \
		'^Mem: +4194304 +[0-9]+ +[0-9]+' '^Swap: +0 +0 +0$'

	ps_run pgrep '/bin/sleep 5 & p=$!; /usr/bin/pgrep -x sleep; [ "$(/usr/bin/pgrep -x sleep)" = "$p" ] && echo same
/usr/bin/pgrep -x no-such-process; echo "none=$?"; /usr/bin/pgrep -f "sleep 5" >/dev/null && echo by-cmdline; kill $p'
	ps_expect pgrep finds_child '^[0-9]+$' '^same$' '^none=1$' '^by-cmdline$'

	ps_run pkill '/bin/sleep 5 & p=$!; /usr/bin/pkill -0 -x sleep; echo "zero=$?"
/usr/bin/pkill -x sleep; wait $p; echo "killed=$?"; /usr/bin/pkill -0 -x sleep; echo "gone=$?"'
	ps_expect pkill signals '^zero=0$' '^killed=143$' '^gone=1$'

	ps_run uptime 'exec /usr/bin/uptime'
	ps_expect uptime line '^ [0-9:]+ up .*, +[0-9]+ users?, +load average: [0-9.]+, [0-9.]+, [0-9.]+$'

	ps_run df 'exec /usr/bin/df'
	ps_expect df mounts '^Filesystem +1K-blocks +Used +Available +Use% +Mounted on$' \
		'^overlay +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+% /$' '^tmpfs +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+% /dev/shm$'

	ps_run df_t 'exec /usr/bin/df -T /dev/shm /proc'
	ps_expect df_t types '^tmpfs +tmpfs .* /dev/shm$' '^proc +proc .* /proc$'

	ps_run mount 'exec /usr/bin/mount'
	ps_expect mount list '^overlay on / type overlay \(rw' \
		'^proc on /proc type proc \(rw,nosuid,nodev,noexec,relatime\)$' \
		'^tmpfs on /dev/shm type tmpfs \(rw,nosuid,nodev' '^sysfs on /sys type sysfs \(ro'

	# /proc/net: the python3 that opened the sockets owns them (-p).
	net_run netstat_tunap 'exec /usr/bin/netstat -tunap'
	ps_expect netstat_tunap sockets \
		'^Proto Recv-Q Send-Q Local Address +Foreign Address +State +PID/Program name' \
		'^tcp +0 +0 127\.0\.0\.1:5555 +0\.0\.0\.0:\* +LISTEN +1/python3' \
		'^tcp +2 +0 127\.0\.0\.1:5555 +127\.0\.0\.1:[0-9]+ +ESTABLISHED +1/python3' \
		'^tcp +0 +0 127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:5555 +ESTABLISHED +1/python3' \
		'^udp +0 +0 127\.0\.0\.1:5353 +0\.0\.0\.0:\* +1/python3'
	net_run netstat_x 'exec /usr/bin/netstat -xa'
	ps_expect netstat_x unix '^unix +2 +\[ ACC \] +STREAM +LISTENING +[0-9]+ +/tmp/net\.sock$'
	# ss: sock_diag answers ENOENT (no diag modules), so it reads /proc/net silently.
	net_run ss 'exec /usr/bin/ss -tuna'
	ps_expect ss sockets '^Netid +State +Recv-Q +Send-Q ' \
		'^tcp +LISTEN +0 +[0-9]+ +127\.0\.0\.1:5555 +0\.0\.0\.0:\*' \
		'^tcp +ESTAB +2 +0 +127\.0\.0\.1:5555 +127\.0\.0\.1:[0-9]+' \
		'^udp +UNCONN +0 +0 +127\.0\.0\.1:5353 +0\.0\.0\.0:\*'
	if [ -s "$WORK/ss.sandbox.err" ]; then
		fail procps_ss_quiet "stderr not empty" "$(show_head "$WORK/ss.sandbox.err" stderr)"
	else
		pass procps_ss_quiet
	fi
	# lo counted the connection's 2 bytes (one packet each way).
	net_run netstat_i 'exec /usr/bin/netstat -i'
	ps_expect netstat_i lo '^Iface +MTU +RX-OK ' '^lo +65536 +[1-9][0-9]* +0 +0 +0 +[1-9][0-9]* +0 +0 +0 +LRU$'
	net_run ifconfig 'exec /usr/sbin/ifconfig' --net=sandbox
	ps_expect ifconfig lo_eth0 '^lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536$' \
		'^ +inet 127\.0\.0\.1  netmask 255\.0\.0\.0$' '^ +RX packets [1-9][0-9]*  bytes [1-9]' \
		'^eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500$' \
		'^ +inet 10\.0\.2\.15  netmask 255\.255\.255\.0  broadcast 10\.0\.2\.255$' \
		'^ +ether 52:54:00:12:34:56  txqueuelen 1000  \(Ethernet\)$'
	net_run netstat_rn 'exec /usr/bin/netstat -rn' --net=sandbox
	ps_expect netstat_rn routes '^Destination +Gateway +Genmask +Flags ' \
		'^0\.0\.0\.0 +10\.0\.2\.2 +0\.0\.0\.0 +UG +0 0 +0 eth0$' \
		'^10\.0\.2\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 0 +0 eth0$'

	run_to "$WORK/procps_nproc.native" /usr/bin/nproc
	run_to "$WORK/procps_nproc.sandbox" "$SB" run -- /usr/bin/nproc
	compare procps_nproc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	. "$E2E_DIR/lib.sh"
	e2e_setup "${1:-build}"
	procps_tests
	summary
fi
