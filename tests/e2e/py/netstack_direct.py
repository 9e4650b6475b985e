"""Drive build/sandbox-netstack directly, as the sentry does (its fd 3 a
SOCK_SEQPACKET control socket, net/netstack/proto.h), against servers on
the host's 127.0.0.1 (10.0.2.2 through slirp).

  idle_after_close NETSTACK: a TCP channel whose peer stops reading is
    filled until the netstack stops taking frames, then closed by us with
    data still waiting for lwIP's window: the netstack must wait for lwIP,
    not spin on the closed channel (CPU time over 2 s stays small); once
    the peer reads, every byte we sent arrives, then the FIN.
  udp_large NETSTACK: UDP datagrams of every size up to the largest
    IPv4 payload (65507) reach a host socket and come back from it whole.
"""
import array, os, socket, struct, sys, time

FRAME = "=BBHIiI"
NS_OPEN_TCP, NS_OPEN_UDP, NS_DATA, NS_CONNECTED = 1, 2, 1, 4


def start(path):
    ctl, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        os.dup2(peer.fileno(), 3)
        os.execv(path, [path, str(os.getppid())])
    peer.close()
    return ctl, pid


def open_chan(ctl, op, addr="0.0.0.0", port=0):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    rq = struct.pack("=IIHH", op, struct.unpack("=I", socket.inet_aton(addr))[0], port, 0)
    ctl.sendmsg([rq], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [b.fileno()]))])
    b.close()
    return a


def cpu_ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def idle_after_close(path):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    ctl, pid = start(path)
    ch = open_chan(ctl, NS_OPEN_TCP, "10.0.2.2", srv.getsockname()[1])
    ch.settimeout(10)
    f = struct.unpack(FRAME, ch.recv(64))
    print("connected:", f[0] == NS_CONNECTED and f[4] == 0)
    conn, _ = srv.accept()          # and never read
    ch.setblocking(False)
    t0 = last = time.time()
    sent = 0
    while time.time() - last < 1 and time.time() - t0 < 20:
        try:
            ch.send(struct.pack(FRAME, NS_DATA, 0, 0, 0, 0, 0) + b"x" * 65536)
            last = time.time()
            sent += 65536
        except BlockingIOError:
            time.sleep(0.02)
    ch.close()                      # frames still queued for lwIP
    time.sleep(0.2)
    c0 = cpu_ticks(pid)
    time.sleep(2)
    busy = cpu_ticks(pid) - c0      # clock ticks (100 a second)
    print("idle after close:", busy < 50, *([] if busy < 50 else ["(%d ticks in 2 s)" % busy]))
    conn.settimeout(20)
    got = 0
    while True:
        d = conn.recv(1 << 20)
        if not d:
            break
        got += len(d)
    print("all data, then FIN:", got == sent, *([] if got == sent else ["(%d of %d)" % (got, sent)]))
    ctl.close()
    os.waitpid(pid, 0)
    conn.close()


def udp_large(path):
    host = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    host.bind(("127.0.0.1", 0))
    host.settimeout(5)
    port = host.getsockname()[1]
    ctl, pid = start(path)
    ch = open_chan(ctl, NS_OPEN_UDP)
    ch.settimeout(5)
    gw = struct.unpack("=I", socket.inet_aton("10.0.2.2"))[0]
    bad = []
    for size in (0, 1, 1472, 1473, 8000, 14793, 30000, 65000, 65507):
        data = bytes((i * 7 + size) & 0xff for i in range(size))
        ch.send(struct.pack(FRAME, NS_DATA, 0, port, gw, 0, 0) + data)
        try:
            d, peer = host.recvfrom(70000)
            if d != data:
                bad.append("%d out: %d bytes" % (size, len(d)))
                continue
            host.sendto(data, peer)
            f = ch.recv(70000)
            if f[16:] != data:
                bad.append("%d back: %d bytes" % (size, len(f) - 16))
        except socket.timeout:
            bad.append("%d lost" % size)
    print("udp sizes both ways:", not bad, *bad)
    ctl.close()
    os.waitpid(pid, 0)


if __name__ == "__main__":
    {"idle_after_close": idle_after_close, "udp_large": udp_large}[sys.argv[1]](*sys.argv[2:])
