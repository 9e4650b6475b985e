#!/bin/bash
# Network tests: Python programs using sockets, run natively and as
# `sandbox run -- /usr/bin/python3 SCRIPT`, stdout and exit status compared
# byte for byte (cmp_case). Sourced by tests/e2e/run.sh (net_tests;
# E2E_NET=0 skips them). The scripts are in tests/e2e/py/:
#   unix_sockets.py   socket.socketpair, socketserver.ThreadingUnixStreamServer
#                     with several clients, asyncio over a unix socket,
#                     send_fds/recv_fds, multiprocessing Pipe/Queue (fork,
#                     spawn, forkserver) and a Pool
#   inet_loopback.py  python3 -m http.server (default bind and --bind ::,
#                     dual stack) fetched with urllib over 127.0.0.1, ::1 and
#                     localhost; a threading HTTP server with 8 clients; UDP
#                     over IPv4 and IPv6; ECONNREFUSED over TCP and UDP
# Nothing leaves the machine natively either: every address is loopback.

net_tests() {
	local py=/usr/bin/python3 s
	for s in unix_sockets inet_loopback; do
		cmp_case "net_python_$s" "$py" "$E2E_DIR/py/$s.py"
	done
}
