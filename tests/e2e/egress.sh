#!/bin/bash
# Servers inside one sandbox, egress and port publishing. Sourced by
# tests/e2e/run.sh (egress_tests; E2E_EGRESS=0 skips them).
#   - tests/e2e/py/net_servers.py: an asyncio echo server and client and a
#     socketserver.ThreadingTCPServer under 50 concurrent clients, native
#     vs sandbox (cmp_case);
#   - redis-server + `redis-benchmark -q -n 20000` in one sandbox;
#   - nginx (foreground, daemon off, a minimal config in /tmp) serving a
#     file to curl in one sandbox;
#   - --net=sandbox: curl inside fetches from a python http.server on host
#     127.0.0.1:PORT through the gateway alias 10.0.2.2 with
#     --allow-net 10.0.2.2/32:PORT, and is refused without the rule (and
#     with a rule as wide as 0.0.0.0/0, which does not name the host);
#     169.254.169.254 is refused by the policy (nothing is sent);
#   - --publish HOSTPORT:GUESTPORT: the host curls a guest http.server.
#   - UDP (tests/e2e/py/egress_udp.py): a UDP echo server on host
#     127.0.0.1:PORT answers a guest client through 10.0.2.2 with
#     --allow-net 10.0.2.2/32:PORT (source address, bursts, poll, timeouts,
#     connect and getsockname); without the rule sendto/send give EPERM and
#     log once; a connected socket sees ECONNREFUSED from a closed port;
#   - TCP through the network-stack process (tests/e2e/py/egress_tcp.py,
#     against a host server on 127.0.0.1): 20 MiB up (with a half-close,
#     the answer read after our FIN) and 20 MiB down, both checked by
#     SHA-256; the server's FIN first with the guest still sending; the
#     server's reset (ECONNRESET); the guest's orderly close and its reset
#     (SO_LINGER 0) as the server sees them (both an orderly close: slirp
#     closes its host socket on lwIP's RST without SO_LINGER 0, a known
#     gap); a closed allowed port (ECONNREFUSED,
#     blocking and non-blocking); a listening port the policy does not
#     name (ECONNREFUSED, logged). sandbox-netstack exits with the sandbox,
#     whether it ends normally or is killed;
#   - sandbox-netstack alone (tests/e2e/py/netstack_direct.py, driven as
#     the sentry drives it): a channel closed while lwIP still holds its
#     data for a peer that does not read leaves the process idle, and the
#     data and FIN still arrive once the peer reads; UDP datagrams up to
#     65507 bytes cross both ways whole;
#   - DNS: a responder on host 127.0.0.1:PORT2 (UDP and TCP) behind
#     --dns 127.0.0.1:PORT2 answers getent and python in the guest through
#     10.0.2.3; --dns none refuses it.
#   - ping (iputils, through ping sockets): 127.0.0.1 and ::1 answer in any
#     sandbox; 10.0.2.2 (slirp answers it) with --allow-net 10.0.2.2/32,
#     refused (EPERM, logged "icmp 10.0.2.2") without a rule and with a
#     rule that names a port; ENETUNREACH under --net=none;
#     /proc/sys/net/ipv4/ping_group_range: its default, Linux's write rules
#     (an inverted range is "1 0", junk EINVAL), and a range without our
#     group makes socket() EACCES (ping then tries raw ICMP: EPERM).
# redis and nginx are installed when root and missing; if that fails their
# cases are skipped with a message. Every address is on this machine.

# A free TCP port on host loopback.
egress_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

egress_need() {
	local pkg=$1 bin=$2
	[ -x "$bin" ] && return 0
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null 2>&1 ||
			(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg") >/dev/null 2>&1
	fi
	[ -x "$bin" ] && return 0
	echo "SKIP $pkg: not installed and could not be installed"
	return 1
}

egress_servers() {
	cmp_case net_servers_asyncio_threading /usr/bin/python3 "$E2E_DIR/py/net_servers.py"
}

egress_redis() {
	egress_need redis-server /usr/bin/redis-server || return 0
	egress_need redis-tools /usr/bin/redis-benchmark || return 0
	local p=$WORK/redis
	run_to "$p" "$SB" run -- /bin/sh -c '
		/usr/bin/redis-server --port 6390 --save "" --appendonly no --daemonize no \
			--dir /tmp >/tmp/redis.log 2>&1 &
		for i in $(seq 1 100); do redis-cli -p 6390 ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
		redis-cli -p 6390 set k hello >/dev/null && redis-cli -p 6390 get k &&
		redis-benchmark -p 6390 -q -n 20000 -t set,get,incr,lpush,lpop >/tmp/bench.txt 2>&1; rc=$?
		cat /tmp/bench.txt | tr "\r" "\n" | grep "requests per second" | sed "s/:.*//" | sort
		redis-cli -p 6390 shutdown nosave >/dev/null 2>&1
		exit $rc'
	local want="hello
GET
INCR
LPOP
LPUSH
SET"
	if [ "$(cat "$p.rc")" = 0 ] && [ "$(cat "$p.out")" = "$want" ]; then
		pass redis_benchmark
	else
		fail redis_benchmark "exit status $(cat "$p.rc")" "$(head -20 "$p.out")" "$(show_head "$p.err" stderr)"
	fi
}

egress_nginx() {
	egress_need nginx-light /usr/sbin/nginx || return 0
	local p=$WORK/nginx
	run_to "$p" "$SB" run -- /bin/sh -c '
		mkdir -p /tmp/ngx/www /tmp/ngx/logs && echo "served by nginx" >/tmp/ngx/www/index.html
		cat >/tmp/ngx/nginx.conf <<CONF
daemon off;
master_process on;
worker_processes 1;
user root;
error_log /tmp/ngx/logs/error.log;
pid /tmp/ngx/nginx.pid;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path /tmp/ngx/body;
	proxy_temp_path /tmp/ngx/proxy;
	fastcgi_temp_path /tmp/ngx/fastcgi;
	uwsgi_temp_path /tmp/ngx/uwsgi;
	scgi_temp_path /tmp/ngx/scgi;
	server { listen 127.0.0.1:8089; root /tmp/ngx/www; }
}
CONF
		/usr/sbin/nginx -c /tmp/ngx/nginx.conf -p /tmp/ngx &
		for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:8089/ && break; sleep 0.1; done
		curl -sS http://127.0.0.1:8089/index.html; rc=$?
		curl -s -o /dev/null -w "%{http_code}\n" http://127.0.0.1:8089/missing
		kill -QUIT $(cat /tmp/ngx/nginx.pid); wait
		exit $rc'
	if [ "$(cat "$p.rc")" = 0 ] && [ "$(cat "$p.out")" = "served by nginx
404" ]; then
		pass nginx_curl
	else
		fail nginx_curl "exit status $(cat "$p.rc")" "$(head -20 "$p.out")" "$(show_head "$p.err" stderr)"
	fi
}

egress_host_fetch() {
	local port dir=$WORK/egress-www pid p=$WORK/egress
	port=$(egress_free_port)
	mkdir -p "$dir" && echo "file on the host" >"$dir/f.txt"
	python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dir" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
	run_to "$p.allowed" "$SB" run --net=sandbox --allow-net "10.0.2.2/32:$port" -- \
		curl -sS --max-time 10 "http://10.0.2.2:$port/f.txt"
	if [ "$(cat "$p.allowed.rc")" = 0 ] && [ "$(cat "$p.allowed.out")" = "file on the host" ]; then
		pass egress_allowed_gateway
	else
		fail egress_allowed_gateway "exit status $(cat "$p.allowed.rc")" "$(show_head "$p.allowed.err" stderr)"
	fi
	local n
	for n in refused wide; do
		local extra=()
		[ $n = wide ] && extra=(--allow-net 0.0.0.0/0)
		run_to "$p.$n" "$SB" run --net=sandbox "${extra[@]}" -- \
			curl -sS --max-time 10 "http://10.0.2.2:$port/f.txt"
		if [ "$(cat "$p.$n.rc")" = 7 ] && [ ! -s "$p.$n.out" ] &&
		   grep -q "egress refused by policy: tcp 10.0.2.2:$port" "$p.$n.err" &&
		   grep -q "Couldn't connect" "$p.$n.err"; then
			pass "egress_${n}_gateway"
		else
			fail "egress_${n}_gateway" "exit status $(cat "$p.$n.rc")" "$(show_head "$p.$n.err" stderr)"
		fi
	done
	# The metadata address is refused by the policy before anything is sent.
	run_to "$p.meta" "$SB" run --net=sandbox --allow-net "10.0.2.2/32:$port" -- \
		curl -sS --max-time 10 http://169.254.169.254/
	if [ "$(cat "$p.meta.rc")" = 7 ] && grep -q "egress refused by policy: tcp 169.254.169.254:80" "$p.meta.err"; then
		pass egress_metadata_refused
	else
		fail egress_metadata_refused "exit status $(cat "$p.meta.rc")" "$(show_head "$p.meta.err" stderr)"
	fi
	# --net=none: no route at all.
	run_to "$p.none" "$SB" run -- curl -sS --max-time 10 "http://10.0.2.2:$port/f.txt"
	if [ "$(cat "$p.none.rc")" = 7 ]; then pass egress_none_unreachable; else
		fail egress_none_unreachable "exit status $(cat "$p.none.rc")" "$(show_head "$p.none.err" stderr)"; fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# The sandbox's view: eth0, its default route and resolver.
	run_to "$p.ip" "$SB" run --net=sandbox -- /bin/sh -c 'ip -4 -o addr show dev eth0 | awk "{print \$4}"; ip route | head -1; cat /etc/resolv.conf | grep nameserver'
	if [ "$(cat "$p.ip.out")" = "10.0.2.15/24
default via 10.0.2.2 dev eth0 
nameserver 10.0.2.3" ]; then pass egress_eth0_view; else
		fail egress_eth0_view "$(head "$p.ip.out")" "$(show_head "$p.ip.err" stderr)"; fi
}

egress_publish() {
	local port dir=$WORK/publish-www pid p=$WORK/publish
	port=$(egress_free_port)
	mkdir -p "$dir" && echo "file in the guest" >"$dir/g.txt"
	timeout -k 5 60 "$SB" run --publish "$port:8000" -- \
		/usr/bin/python3 -m http.server 8000 --bind 127.0.0.1 --directory "$dir" >"$p.log" 2>&1 &
	pid=$!
	local out=""
	for _ in $(seq 1 100); do
		out=$(curl -s --max-time 2 "http://127.0.0.1:$port/g.txt") && [ -n "$out" ] && break
		sleep 0.1
	done
	if [ "$out" = "file in the guest" ] && grep -q '"GET /g.txt' "$p.log"; then
		pass publish_host_curl
	else
		fail publish_host_curl "got: $out" "$(show_head "$p.log" log)"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# Wait for a host server to write its port into $1; print it.
egress_wait_port() {
	local _
	for _ in $(seq 1 100); do
		[ -s "$1" ] && { cat "$1"; return 0; }
		sleep 0.1
	done
	return 1
}

egress_udp() {
	local p=$WORK/udp py=$E2E_DIR/py/egress_udp.py epid dpid eport dport cport
	rm -f "$p.eport" "$p.dport"
	python3 "$py" echo-server "$p.eport" >/dev/null 2>&1 &
	epid=$!
	python3 "$py" dns-server "$p.dport" >/dev/null 2>&1 &
	dpid=$!
	eport=$(egress_wait_port "$p.eport") && dport=$(egress_wait_port "$p.dport") || {
		fail egress_udp "the host servers did not start"
		kill "$epid" "$dpid" 2>/dev/null
		return
	}
	run_to "$p.allowed" "$SB" run --net=sandbox --allow-net "10.0.2.2/32:$eport" -- \
		/usr/bin/python3 "$py" client "$eport"
	local want="sendto: echo:one True
burst: ['echo:n0', 'echo:n1', 'echo:n2', 'echo:n3', 'echo:n4']
timeout: ok True
rcvtimeo: EAGAIN
connect: name 10.0.2.15 True peer True
connect: echo:two"
	if [ "$(cat "$p.allowed.rc")" = 0 ] && [ "$(cat "$p.allowed.out")" = "$want" ]; then
		pass egress_udp_echo_gateway
	else
		fail egress_udp_echo_gateway "exit status $(cat "$p.allowed.rc")" \
			"$(diff <(echo "$want") "$p.allowed.out")" "$(show_head "$p.allowed.err" stderr)"
	fi
	# No rule: EPERM at the send (connect itself succeeds), one log line.
	run_to "$p.refused" "$SB" run --net=sandbox -- /usr/bin/python3 "$py" refused "$eport"
	if [ "$(cat "$p.refused.out")" = "sendto: EPERM
connect: ok 10.0.2.15
send: EPERM" ] && [ "$(grep -c "egress refused by policy: udp 10.0.2.2:$eport\$" "$p.refused.err")" = 1 ]; then
		pass egress_udp_refused
	else
		fail egress_udp_refused "$(head "$p.refused.out")" "$(show_head "$p.refused.err" stderr)"
	fi
	# A closed port: ICMP port unreachable reaches the connected socket.
	cport=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run_to "$p.unreach" "$SB" run --net=sandbox --allow-net "10.0.2.2/32:$cport" -- \
		/usr/bin/python3 "$py" unreachable "$cport"
	if [ "$(cat "$p.unreach.out")" = "unreachable: ECONNREFUSED" ]; then
		pass egress_udp_port_unreachable
	else
		fail egress_udp_port_unreachable "$(head "$p.unreach.out")" "$(show_head "$p.unreach.err" stderr)"
	fi
	# DNS through 10.0.2.3: UDP (getent, python), TCP (options use-vc), off.
	run_to "$p.getent" "$SB" run --net=sandbox --dns "127.0.0.1:$dport" -- getent hosts example.test
	if [ "$(cat "$p.getent.rc")" = 0 ] && [ "$(tr -s ' ' <"$p.getent.out")" = "192.0.2.7 example.test" ]; then
		pass egress_dns_getent
	else
		fail egress_dns_getent "exit status $(cat "$p.getent.rc")" "$(head "$p.getent.out")" \
			"$(show_head "$p.getent.err" stderr)"
	fi
	run_to "$p.py" "$SB" run --net=sandbox --dns "127.0.0.1:$dport" -- /usr/bin/python3 -c \
		'import socket; print(socket.gethostbyname("example.test"))'
	if [ "$(cat "$p.py.out")" = 192.0.2.7 ]; then pass egress_dns_python; else
		fail egress_dns_python "$(head "$p.py.out")" "$(show_head "$p.py.err" stderr)"; fi
	run_to "$p.tcp" "$SB" run --net=sandbox --dns "127.0.0.1:$dport" -- /bin/sh -c \
		'echo "options use-vc" >>/etc/resolv.conf && getent hosts example.test'
	if [ "$(tr -s ' ' <"$p.tcp.out")" = "192.0.2.7 example.test" ]; then pass egress_dns_tcp; else
		fail egress_dns_tcp "$(head "$p.tcp.out")" "$(show_head "$p.tcp.err" stderr)"; fi
	run_to "$p.off" "$SB" run --net=sandbox --dns none -- getent hosts example.test
	if [ "$(cat "$p.off.rc")" = 2 ] && [ ! -s "$p.off.out" ] &&
	   grep -q "egress refused by policy: udp 10.0.2.3:53" "$p.off.err"; then
		pass egress_dns_none
	else
		fail egress_dns_none "exit status $(cat "$p.off.rc")" "$(show_head "$p.off.err" stderr)"
	fi
	# --dns wants --net=sandbox and an IPv4 address.
	run_to "$p.bad1" "$SB" run --dns "127.0.0.1:$dport" -- /bin/true
	run_to "$p.bad2" "$SB" run --net=sandbox --dns bogus -- /bin/true
	if [ "$(cat "$p.bad1.rc")" = 125 ] && [ "$(cat "$p.bad2.rc")" = 125 ] &&
	   grep -q "need --net=sandbox" "$p.bad1.err" && grep -q -- "--dns bogus" "$p.bad2.err"; then
		pass egress_dns_usage
	else
		fail egress_dns_usage "$(cat "$p.bad1.err" "$p.bad2.err")"
	fi
	kill "$epid" "$dpid" 2>/dev/null
	wait "$epid" "$dpid" 2>/dev/null
}

egress_tcp_netstack() {
	local p=$WORK/tcpns py=$E2E_DIR/py/egress_tcp.py spid port cport
	rm -f "$p.port" "$p.log"
	python3 "$py" server "$p.port" "$p.log" >/dev/null 2>&1 &
	spid=$!
	port=$(egress_wait_port "$p.port") || {
		fail egress_tcp_netstack "the host server did not start"
		kill "$spid" 2>/dev/null
		return
	}
	cport=$(egress_free_port)
	run_to "$p.client" "$SB" run --net=sandbox --allow-net "10.0.2.2/32:$port" \
		--allow-net "10.0.2.2/32:$cport" -- /usr/bin/python3 "$py" client "$port" "$cport"
	local want="upload: 20971520 ok
download: 20971520 ok
server fin: bye
after fin: b''
reset: ECONNRESET
closed: ECONNREFUSED
closed nonblocking: EINPROGRESS ECONNREFUSED"
	# The server's threads log the guest's last two closes as they see them: give them time.
	local i
	for i in $(seq 50); do
		[ "$(wc -l <"$p.log" 2>/dev/null)" -ge 3 ] 2>/dev/null && break
		sleep 0.1
	done
	if [ "$(cat "$p.client.rc")" = 0 ] && [ "$(cat "$p.client.out")" = "$want" ] &&
	   [ "$(cat "$p.log" 2>/dev/null)" = "after our FIN: still here
peer fin
peer fin" ]; then
		pass egress_tcp_netstack
	else
		fail egress_tcp_netstack "exit status $(cat "$p.client.rc")" \
			"$(diff <(echo "$want") "$p.client.out")" "server log: $(cat "$p.log" 2>/dev/null)" \
			"$(show_head "$p.client.err" stderr)"
	fi
	# The server listens, but the rule names another port.
	run_to "$p.other" "$SB" run --net=sandbox --allow-net "10.0.2.2/32:$cport" -- \
		/usr/bin/python3 "$py" connect "$port"
	if [ "$(cat "$p.other.out")" = "connect: ECONNREFUSED" ] &&
	   grep -q "egress refused by policy: tcp 10.0.2.2:$port\$" "$p.other.err"; then
		pass egress_tcp_other_port_refused
	else
		fail egress_tcp_other_port_refused "$(head "$p.other.out")" "$(show_head "$p.other.err" stderr)"
	fi
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	egress_netstack_lifetime
}

# The sentry's sandbox-netstack child (its comm is cut to 15 characters): pid or nothing.
egress_netstack_child() {
	local _ ns
	for _ in $(seq 1 100); do
		ns=$(pgrep -P "$1" -x sandbox-netstac) && { echo "$ns"; return 0; }
		sleep 0.05
	done
	return 1
}

# sandbox-netstack ends with its sandbox: a normal exit, and SIGKILL of the sentry.
egress_netstack_lifetime() {
	local how sb ns gone
	for how in exit kill; do
		"$SB" run --net=sandbox -- /bin/sleep 2 >/dev/null 2>&1 &
		sb=$!
		ns=$(egress_netstack_child "$sb")
		[ "$how" = kill ] && kill -KILL "$sb"
		wait "$sb" 2>/dev/null
		gone=no
		for _ in $(seq 1 50); do
			kill -0 "$ns" 2>/dev/null || { gone=yes; break; }
			sleep 0.1
		done
		if [ -n "$ns" ] && [ $gone = yes ]; then
			pass "egress_netstack_gone_after_$how"
		else
			fail "egress_netstack_gone_after_$how" "netstack pid '${ns}' still there: $gone"
		fi
	done
}

egress_ping() {
	egress_need iputils-ping /usr/bin/ping || return 0
	local p=$WORK/ping
	run_to "$p.lo" "$SB" run -- /bin/sh -c 'ping -c 2 -i 0.2 -W 5 127.0.0.1 && ping -c 1 -W 5 ::1'
	if [ "$(cat "$p.lo.rc")" = 0 ] && grep -q "^2 packets transmitted, 2 received" "$p.lo.out" &&
	   grep -q "bytes from ::1: icmp_seq=1" "$p.lo.out"; then
		pass ping_loopback
	else
		fail ping_loopback "exit status $(cat "$p.lo.rc")" "$(head "$p.lo.out")" "$(show_head "$p.lo.err" stderr)"
	fi
	run_to "$p.gw" "$SB" run --net=sandbox --allow-net 10.0.2.2/32 -- ping -c 1 -W 5 10.0.2.2
	if [ "$(cat "$p.gw.rc")" = 0 ] && grep -q "^1 packets transmitted, 1 received" "$p.gw.out"; then
		pass ping_gateway_allowed
	else
		fail ping_gateway_allowed "exit status $(cat "$p.gw.rc")" "$(head "$p.gw.out")" "$(show_head "$p.gw.err" stderr)"
	fi
	local n
	for n in norule portrule; do
		local extra=()
		[ $n = portrule ] && extra=(--allow-net 10.0.2.2/32:80)
		run_to "$p.$n" "$SB" run --net=sandbox "${extra[@]}" -- ping -c 1 -W 2 10.0.2.2
		if [ "$(cat "$p.$n.rc")" = 1 ] && grep -q "^1 packets transmitted, 0 received" "$p.$n.out" &&
		   [ "$(grep -c "egress refused by policy: icmp 10.0.2.2" "$p.$n.err")" = 1 ]; then
			pass "ping_gateway_refused_$n"
		else
			fail "ping_gateway_refused_$n" "exit status $(cat "$p.$n.rc")" "$(head "$p.$n.out")" \
				"$(show_head "$p.$n.err" stderr)"
		fi
	done
	run_to "$p.none" "$SB" run -- ping -c 1 -W 2 10.0.2.2
	if [ "$(cat "$p.none.rc")" = 2 ] && grep -q "Network is unreachable" "$p.none.err"; then
		pass ping_none_unreachable
	else
		fail ping_none_unreachable "exit status $(cat "$p.none.rc")" "$(show_head "$p.none.err" stderr)"
	fi
	# The sysctl, then a range without our group: socket() EACCES, and ping's raw fallback EPERM.
	run_to "$p.range" "$SB" run -- /bin/sh -c '
		f=/proc/sys/net/ipv4/ping_group_range
		cat $f
		echo "7 3" >$f; cat $f
		echo "5" >$f; cat $f   # only the low end: 5 > 0 is inverted
		echo "0 0x10" >$f; cat $f
		echo junk >$f 2>/dev/null || echo junk refused
		echo "1 4294967295" >$f 2>/dev/null || echo too big refused
		cat $f
		echo "100 200" >$f
		python3 -c "
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
except OSError as e:
    print(\"socket\", e.errno)
"
		ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo "ping $?"
		echo "0 2147483647" >$f; ping -c 1 -W 5 127.0.0.1 >/dev/null; echo "ping $?"'
	local want="0	2147483647
1	0
1	0
0	16
junk refused
too big refused
0	16
socket 13
ping 2
ping 0"
	if [ "$(cat "$p.range.out")" = "$want" ]; then
		pass ping_group_range
	else
		fail ping_group_range "$(diff <(echo "$want") "$p.range.out")" "$(show_head "$p.range.err" stderr)"
	fi
}

# sandbox-netstack driven directly (tests/e2e/py/netstack_direct.py), as the sentry drives it.
egress_netstack_direct() {
	local p=$WORK/nsdirect want
	run_to "$p" python3 "$E2E_DIR/py/netstack_direct.py" idle_after_close "$(dirname "$SB")/sandbox-netstack"
	want="connected: True
idle after close: True
all data, then FIN: True"
	if [ "$(cat "$p.rc")" = 0 ] && [ "$(cat "$p.out")" = "$want" ]; then
		pass egress_netstack_idle_after_close
	else
		fail egress_netstack_idle_after_close "exit status $(cat "$p.rc")" \
			"$(diff <(echo "$want") "$p.out")" "$(show_head "$p.err" stderr)"
	fi
	run_to "$p.udp" python3 "$E2E_DIR/py/netstack_direct.py" udp_large "$(dirname "$SB")/sandbox-netstack"
	if [ "$(cat "$p.udp.rc")" = 0 ] && [ "$(cat "$p.udp.out")" = "udp sizes both ways: True" ]; then
		pass egress_netstack_udp_large
	else
		fail egress_netstack_udp_large "exit status $(cat "$p.udp.rc")" "$(cat "$p.udp.out")" \
			"$(show_head "$p.udp.err" stderr)"
	fi
}

# A guest's closed connections free their pump threads though the outside stays silent.
egress_pumps_freed() {
	local p=$WORK/pumps
	run_to "$p" python3 "$E2E_DIR/py/egress_pumps.py" "$SB"
	if [ "$(cat "$p.out")" = "closed
pumps gone: True" ]; then
		pass egress_pumps_freed_after_close
	else
		fail egress_pumps_freed_after_close "exit status $(cat "$p.rc")" "$(cat "$p.out")" \
			"$(show_head "$p.err" stderr)"
	fi
}

egress_tests() {
	egress_servers
	egress_redis
	egress_nginx
	egress_host_fetch
	egress_publish
	egress_tcp_netstack
	egress_netstack_direct
	egress_udp
	egress_ping
	egress_pumps_freed
}
