"""A guest's closed egress connections free the sentry's pump threads
(tests/e2e/egress.sh), even when the outside never answers or closes.

  egress_pumps.py SANDBOX    runs, on the host: a TCP server on 127.0.0.1
                             that accepts and then neither reads, writes
                             nor closes; SANDBOX run --net=sandbox with a
                             rule for it, whose guest opens 20 connections,
                             half-closes and closes each, says so, and
                             sleeps; then counts the sentry's threads.
Prints "pumps gone: True" when the sentry is back to a few threads.
"""
import socket
import subprocess
import sys
import time

GUEST = """
import socket, sys, time
for i in range(20):
    c = socket.create_connection(("10.0.2.2", int(sys.argv[1])))
    c.shutdown(socket.SHUT_WR)
    c.close()
print("closed", flush=True)
time.sleep(8)
"""


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def main(sb):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    port = srv.getsockname()[1]
    held = []
    p = subprocess.Popen([sb, "run", "--net=sandbox", "--allow-net", f"10.0.2.2/32:{port}", "--",
                          "/usr/bin/python3", "-c", GUEST, str(port)],
                         stdout=subprocess.PIPE, text=True)
    srv.settimeout(20)
    for _ in range(20):
        held.append(srv.accept()[0])
    line = p.stdout.readline().strip()
    # Each idle pump looks at its guest once a second.
    deadline = time.time() + 5
    n = threads(p.pid)
    while n > 6 and time.time() < deadline:
        time.sleep(0.2)
        n = threads(p.pid)
    print(line)
    print("pumps gone:", 0 < n <= 6)
    p.kill()
    p.wait()


if __name__ == "__main__":
    main(sys.argv[1])
