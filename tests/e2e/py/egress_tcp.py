"""TCP egress through the network-stack process (tests/e2e/egress.sh).

Host side (run natively, on loopback):
  server PORTFILE LOG   a TCP server on 127.0.0.1; each connection's first
                        line says what to do:
                          "sha N"   read until the client's FIN, answer
                                    "<bytes> <sha256>", close (the client
                                    half-closed and still reads: half-close)
                          "send N"  send N bytes of data(), then close
                          "first"   send "bye", shutdown(SHUT_WR), read
                                    until the client's FIN and log what came
                                    after our FIN to LOG
                          "reset"   close with SO_LINGER 0 (a RST)
                          "wait"    read until the end and log how it
                                    ended ("peer reset" / "peer fin")
Writes its port to PORTFILE once it listens.

Guest side (inside `sandbox run --net=sandbox --allow-net ...`):
  client PORT CLOSED    every case above against 10.0.2.2:PORT, then
                        connects to 10.0.2.2:CLOSED where nothing listens
                        (blocking and non-blocking)
  connect PORT          one connect to 10.0.2.2:PORT: "connect: ok" or the errno
Prints only deterministic lines.
"""
import errno
import hashlib
import os
import select
import socket
import sys
import threading

GW = "10.0.2.2"
MB20 = 20 << 20


def data(n):
    """n deterministic, incompressible-looking bytes."""
    out, block, i = [], b"", 0
    while sum(map(len, out)) < n:
        block = hashlib.sha256(block + i.to_bytes(8, "little")).digest() * 2048
        out.append(block)
        i += 1
    return b"".join(out)[:n]


def write_port(path, port):
    with open(path + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.rename(path + ".tmp", path)


def read_line(c):
    line = b""
    while not line.endswith(b"\n"):
        b = c.recv(1)
        if not b:
            break
        line += b
    return line.decode().split()


def handle(c, log):
    cmd = read_line(c)
    if cmd[:1] == ["sha"]:
        h, n = hashlib.sha256(), 0
        while True:
            d = c.recv(1 << 16)
            if not d:
                break
            h.update(d)
            n += len(d)
        c.sendall(f"{n} {h.hexdigest()}\n".encode())
    elif cmd[:1] == ["send"]:
        c.sendall(data(int(cmd[1])))
    elif cmd[:1] == ["first"]:
        c.sendall(b"bye")
        c.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            d = c.recv(4096)
            if not d:
                break
            got += d
        with open(log, "a") as f:
            f.write(f"after our FIN: {got.decode()}\n")
    elif cmd[:1] == ["wait"]:
        try:
            while c.recv(4096):
                pass
            how = "peer fin"
        except ConnectionResetError:
            how = "peer reset"
        with open(log, "a") as f:
            f.write(how + "\n")
    elif cmd[:1] == ["reset"]:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()


def server(portfile, log):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    write_port(portfile, s.getsockname()[1])
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, log), daemon=True).start()


def connect(port):
    c = socket.create_connection((GW, port), timeout=30)
    return c


def recv_all(c):
    out = []
    while True:
        d = c.recv(1 << 16)
        if not d:
            return b"".join(out)
        out.append(d)


def client(port, closed):
    # Upload 20 MiB, half-close, read the answer.
    payload = data(MB20)
    c = connect(port)
    c.sendall(b"sha\n")
    c.sendall(payload)
    c.shutdown(socket.SHUT_WR)
    ans = recv_all(c).decode().split()
    c.close()
    ok = ans == [str(MB20), hashlib.sha256(payload).hexdigest()]
    print("upload:", MB20, "ok" if ok else f"BAD {ans}")
    # Download 20 MiB.
    c = connect(port)
    c.sendall(f"send {MB20}\n".encode())
    got = recv_all(c)
    c.close()
    print("download:", len(got), "ok" if got == payload else "BAD")
    # The server's FIN first: we still send after it.
    c = connect(port)
    c.sendall(b"first\n")
    print("server fin:", recv_all(c).decode())
    c.sendall(b"still here")
    c.shutdown(socket.SHUT_WR)
    print("after fin:", repr(c.recv(10)))
    c.close()
    # A reset from the server.
    c = connect(port)
    c.sendall(b"reset\n")
    try:
        r = c.recv(10)
        # The RST may come after a clean read of nothing on some stacks; one more.
        r = r or c.recv(10)
        print("reset: no error", repr(r))
    except OSError as e:
        print("reset:", errno.errorcode[e.errno])
    c.close()
    # Our reset (SO_LINGER 0), after our orderly close the same way.
    for linger in (False, True):
        c = connect(port)
        c.sendall(b"wait\n")
        if linger:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        else:
            c.shutdown(socket.SHUT_WR)
            c.recv(1)
        c.close()
    # Nothing listens: refused, blocking and non-blocking.
    try:
        socket.create_connection((GW, closed), timeout=30)
        print("closed: connected?")
    except OSError as e:
        print("closed:", errno.errorcode[e.errno])
    s = socket.socket()
    s.setblocking(False)
    rc = s.connect_ex((GW, closed))
    select.select([], [s], [], 30)
    print("closed nonblocking:", errno.errorcode.get(rc, rc),
          errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "client":
        client(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1] == "connect":
        try:
            connect(int(sys.argv[2])).close()
            print("connect: ok")
        except OSError as e:
            print("connect:", errno.errorcode[e.errno])
