#!/usr/bin/env python3
"""Run a command on a new host pty, type one line into it once it has
printed something (its prompt), and print everything it wrote, then
"[exit N]" with its exit status. For `ctr run -t` and `podman run -it`.

  oci_pty.py 'LINE' -- CMD [ARG...]
"""
import os
import pty
import select
import sys
import time


def main(argv):
    sep = argv.index("--")
    line = (argv[1] + "\n").encode()
    cmd = argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out, sent, start = b"", False, time.time()
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
        # Type once the shell has shown its prompt (or after 3 s of silence).
        if not sent and (out.rstrip().endswith((b"#", b"$")) or time.time() - start > 3):
            os.write(fd, line)
            sent = True
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
    print("\n[exit %d]" % os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main(sys.argv)
