"""UDP egress and the DNS forwarder (tests/e2e/egress.sh).

Host side (run natively, on loopback):
  echo-server PORTFILE  a UDP echo server on 127.0.0.1 ("echo:" + data;
                        "silent..." datagrams get no answer)
  dns-server PORTFILE   a DNS responder on 127.0.0.1, UDP and TCP on one
                        port: A example.test -> 192.0.2.7, AAAA empty,
                        other names NXDOMAIN
Each writes its port to PORTFILE once it listens.

Guest side (inside `sandbox run --net=sandbox`):
  client PORT           sendto/connect to 10.0.2.2:PORT, replies, timeouts
  refused PORT          sendto and connect+send to 10.0.2.2:PORT
  unreachable PORT      connect+send to 10.0.2.2:PORT where nothing listens
Prints only deterministic lines.
"""
import errno
import select
import socket
import struct
import sys
import threading
import time

GW = "10.0.2.2"


def write_port(path, port):
    with open(path + ".tmp", "w") as f:
        f.write(f"{port}\n")
    import os
    os.rename(path + ".tmp", path)


def echo_server(portfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    write_port(portfile, s.getsockname()[1])
    while True:
        data, addr = s.recvfrom(65535)
        if not data.startswith(b"silent"):
            s.sendto(b"echo:" + data, addr)


def dns_answer(query):
    if len(query) < 12:
        return None
    qid, _flags, qd = struct.unpack("!HHH", query[:6])
    if qd != 1:
        return None
    i, labels = 12, []
    while i < len(query) and query[i]:
        n = query[i]
        labels.append(query[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    if i + 5 > len(query):
        return None
    qtype, qclass = struct.unpack("!HH", query[i + 1:i + 5])
    question = query[12:i + 5]
    name = ".".join(labels)
    answers = b""
    rcode = 0
    if name != "example.test":
        rcode = 3                                    # NXDOMAIN
    elif qtype == 1 and qclass == 1:
        answers = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("192.0.2.7")
    flags = 0x8180 | rcode                           # QR, RD, RA
    return struct.pack("!HHHHHH", qid, flags, 1, 1 if answers else 0, 0, 0) + question + answers


def dns_tcp(conn):
    with conn:
        buf = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                ans = dns_answer(buf[2:2 + n])
                buf = buf[2 + n:]
                if ans:
                    conn.sendall(struct.pack("!H", len(ans)) + ans)


def dns_server(portfile):
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind(("127.0.0.1", port))
            break
        except OSError:
            u.close()
            t.close()
    t.listen(16)

    def accept_loop():
        while True:
            c, _ = t.accept()
            threading.Thread(target=dns_tcp, args=(c,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    write_port(portfile, port)
    while True:
        data, addr = u.recvfrom(65535)
        ans = dns_answer(data)
        if ans:
            u.sendto(ans, addr)


def err_name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def client(port):
    # sendto on an unconnected socket: the reply's source is the gateway alias.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    s.sendto(b"one", (GW, port))
    data, addr = s.recvfrom(100)
    print("sendto:", data.decode(), addr == (GW, port))
    # Several datagrams, and poll() readiness.
    for i in range(5):
        s.sendto(b"n%d" % i, (GW, port))
    got = []
    while len(got) < 5:
        r, _, _ = select.select([s], [], [], 10)
        if not r:
            break
        got.append(s.recvfrom(100)[0].decode())
    print("burst:", sorted(got))
    # A timeout: nothing comes back for "silent".
    s.settimeout(0.3)
    s.sendto(b"silent", (GW, port))
    t0 = time.monotonic()
    try:
        s.recvfrom(100)
        print("timeout: got data")
    except socket.timeout:
        print("timeout: ok", 0.25 < time.monotonic() - t0 < 5)
    s.close()
    # SO_RCVTIMEO on a blocking socket: EAGAIN.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 300000))
    s.sendto(b"silent", (GW, port))
    try:
        s.recv(100)
        print("rcvtimeo: got data")
    except OSError as e:
        print("rcvtimeo:", err_name(e))
    s.close()
    # connect: the source address is eth0's, the peer the gateway alias.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    s.connect((GW, port))
    name = s.getsockname()
    print("connect: name", name[0], name[1] > 0, "peer", s.getpeername() == (GW, port))
    s.send(b"two")
    print("connect:", s.recv(100).decode())
    s.close()


def refused(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", (GW, port))
        print("sendto: sent")
    except OSError as e:
        print("sendto:", err_name(e))
    s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((GW, port))
        print("connect: ok", s.getsockname()[0])
        s.send(b"x")
        print("send: sent")
    except OSError as e:
        print("send:", err_name(e))
    s.close()


def unreachable(port):
    # ICMP port unreachable: a connected socket's next call fails.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    s.connect((GW, port))
    s.send(b"x")
    try:
        s.recv(100)
        print("unreachable: got data")
    except OSError as e:
        print("unreachable:", err_name(e))


if __name__ == "__main__":
    cmd, arg = sys.argv[1], sys.argv[2]
    {"echo-server": echo_server, "dns-server": dns_server}.get(cmd, lambda a: None)(arg)
    if cmd == "client":
        client(int(arg))
    elif cmd == "refused":
        refused(int(arg))
    elif cmd == "unreachable":
        unreachable(int(arg))
