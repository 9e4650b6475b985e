"""Abstract unix sockets and loopback ports are per sandbox.

    net_isolation.py serve NAME PORT   listen on the abstract name NAME and on
                                       TCP and UDP 127.0.0.1:PORT, print
                                       "ready", stay 20 s (or until stdin ends)
    net_isolation.py probe NAME PORT   try them: print one line per try, the
                                       errno name or "connected"/"answered"
"""
import errno
import os
import socket
import sys
import time

mode, name, port = sys.argv[1], "\0" + sys.argv[2], int(sys.argv[3])

if mode == "serve":
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.bind(name)
    u.listen(8)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", port))
    t.listen(8)
    d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    d.bind(("127.0.0.1", port))
    print("ready", flush=True)
    end = time.time() + 20
    while time.time() < end:
        time.sleep(0.1)
    sys.exit(0)


def outcome(fn):
    try:
        return fn()
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def unix():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(name)
    return "connected"


def tcp():
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    return "connected"


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.send(b"x")
    s.settimeout(0.5)
    try:
        s.recv(16)
        return "answered"
    except socket.timeout:
        s.send(b"x")   # a closed port reports ECONNREFUSED on a later call
        s.recv(16)
        return "answered"


print("abstract", outcome(unix))
print("tcp", outcome(tcp))
print("udp", outcome(udp))
