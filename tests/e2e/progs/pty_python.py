#!/usr/bin/env python3
# Pseudo-terminals from Python: pty.fork, os.openpty with termios, pty.spawn
# (tests/e2e/run.sh runs it natively and in the sandbox and compares).
import os, pty, sys
# pty.fork: child writes to its terminal, parent reads the master to EOF/EIO.
pid, fd = pty.fork()
if pid == 0:
    print("child tty:", os.isatty(0), os.ttyname(0).startswith("/dev/pts/"))
    print("sid==pid:", os.getsid(0) == os.getpid(), "fg==pgrp:", os.tcgetpgrp(0) == os.getpgrp())
    sys.stdout.flush()
    os._exit(7)
out = b""
while True:
    try:
        d = os.read(fd, 1024)
    except OSError as e:
        print("master read end:", e.errno)
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
print(out.decode().replace("\r\n", "|"), os.waitstatus_to_exitcode(st))
# os.openpty + termios round trip
m, s = os.openpty()
import termios, tty
attrs = termios.tcgetattr(s)
tty.setraw(s)
os.write(m, b"raw\r")
print(repr(os.read(s, 10)))
termios.tcsetattr(s, termios.TCSANOW, attrs)
os.write(m, b"cooked\r")
print(repr(os.read(s, 100)), repr(os.read(m, 100)))
os.close(s); os.close(m)
# pty.spawn of a shell command
sys.stdout.flush()
st = pty.spawn(["/bin/sh", "-c", "echo spawned; stty size; exit 3"])
print("spawn status", os.waitstatus_to_exitcode(st))
