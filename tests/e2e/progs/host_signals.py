"""Signals from the host reach the program, natively and under `sandbox run`.

    host_signals.py [PREFIX...]

Runs each scenario as PREFIX + command (no prefix: natively) and prints one
normalised line per scenario, so the native and sandbox transcripts compare
equal: a run killed by signal N natively and a sandbox exiting 128+N both
print "killed by SIGxxx".

Scenarios: ^C typed on a pty to `sleep`, to Python with a KeyboardInterrupt
handler, and to a `sleep` job of an interactive bash (which must survive);
SIGTERM sent to a bash that traps it and to a bare `sleep`; a window size
change on the pty seen by a SIGWINCH handler.
"""
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import fcntl
import time

PREFIX = sys.argv[1:]
PY = "/usr/bin/python3"


def status_text(code):
    if code < 0:
        return "killed by " + signal.Signals(-code).name
    if code > 128 and PREFIX:
        return "killed by " + signal.Signals(code - 128).name
    return "exit %d" % code


def drain(fd, secs, until=None):
    out = b""
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                break
            if not d:
                break
            out += d
            if until and until in out:
                break
    return out


def wait_exit(pid, secs):
    end = time.time() + secs
    while time.time() < end:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            return os.waitstatus_to_exitcode(st)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def on_pty(argv, ready, actions, settle=0.3):
    """Run argv on a new pty; wait for `ready` in its output, then do actions."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["PS1"] = "$ "
        os.environ["TERM"] = "dumb"
        os.execv(argv[0], argv)
    out = drain(fd, 10, ready)
    time.sleep(settle)
    for a in actions:
        if isinstance(a, bytes):
            os.write(fd, a)
            out += drain(fd, 0.5)
        else:
            a(fd)
            out += drain(fd, 0.5)
    code = wait_exit(pid, 5)
    out += drain(fd, 0.2)
    os.close(fd)
    return out, code


def ctrl_c_sleep():
    _, code = on_pty(PREFIX + ["/bin/sh", "-c", "echo ready; exec sleep 20"], b"ready", [b"\x03"])
    print("^C sleep:", "still running" if code is None else status_text(code))


def ctrl_c_python():
    prog = ("import time\nprint('ready', flush=True)\ntry:\n    time.sleep(20)\n"
            "except KeyboardInterrupt:\n    print('KeyboardInterrupt caught')\n")
    out, code = on_pty(PREFIX + [PY, "-c", prog], b"ready", [b"\x03"])
    caught = b"KeyboardInterrupt caught" in out
    print("^C python:", "handler ran" if caught else "no handler",
          "still running" if code is None else status_text(code))


def ctrl_c_bash_job():
    out, code = on_pty(PREFIX + ["/bin/bash", "--norc", "--noprofile", "-i"], b"$ ",
                       [b"sleep 20\n", b"\x03", b"echo alive $?\n", b"exit 7\n"], settle=0.5)
    alive = b"alive 130" in out
    print("^C bash job:", "bash survived, job status 130" if alive else "bash lost: %r" % out[-200:],
          "still running" if code is None else status_text(code))


def term(argv, name):
    p = subprocess.Popen(PREFIX + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    line = p.stdout.readline()
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    try:
        rest = p.communicate(timeout=5)[0]
        code = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        rest = p.communicate()[0]
        code = None
    text = (line + rest).decode().replace("\n", " | ").strip(" |")
    print("TERM %s:" % name, text, "|", "still running" if code is None else status_text(code))


def winch():
    prog = ("import signal, os, sys, time\n"
            "def h(s, f):\n"
            "    c, r = os.get_terminal_size(0)\n"
            "    print('winch %dx%d' % (r, c), flush=True)\n"
            "    sys.exit(0)\n"
            "signal.signal(signal.SIGWINCH, h)\n"
            "print('ready', flush=True)\n"
            "time.sleep(20)\n")

    def resize(fd):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))

    out, code = on_pty(PREFIX + [PY, "-c", prog], b"ready", [resize])
    got = [l for l in out.decode(errors="replace").splitlines() if l.startswith("winch")]
    print("SIGWINCH:", got[0] if got else "none", "still running" if code is None else status_text(code))


ctrl_c_sleep()
ctrl_c_python()
ctrl_c_bash_job()
term(["/bin/bash", "-c", "trap 'echo got TERM; kill $!; exit 3' TERM; echo ready; sleep 20 & wait"], "trapped")
term(["/bin/sh", "-c", "echo ready; exec sleep 20"], "sleep")
winch()
