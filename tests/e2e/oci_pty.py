#!/usr/bin/env python3
"""Run a command on a new host pty, type lines into it, and print
everything it wrote, then "[exit N]" with its exit status. For `ctr run -t`
and `podman run -it`.

  oci_pty.py 'LINE' ['LINE'...] -- CMD [ARG...]

The first line is typed once the command has shown a prompt ("#" or "$")
or after 3 s of silence; each further line 1.5 s after the one before. A
line "^C" types the interrupt character alone.
"""
import os
import pty
import select
import sys
import time


def main(argv):
    sep = argv.index("--")
    lines = [b"\x03" if l == "^C" else (l + "\n").encode() for l in argv[1:sep]]
    cmd = argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out, start, last = b"", time.time(), None
    while time.time() - start < 30:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        if lines:
            now = time.time()
            first_due = last is None and (out.rstrip().endswith((b"#", b"$")) or now - start > 3)
            if first_due or (last is not None and now - last > 1.5):
                os.write(fd, lines.pop(0))
                last = now
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
    print("\n[exit %d]" % os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main(sys.argv)
