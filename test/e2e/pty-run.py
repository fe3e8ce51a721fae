"""Runs a command under a pseudo-terminal and copies what it shows to stdout, as a person would see it.

Usage: python3 pty-run.py COMMAND [ARG...]. SIGINT and SIGTERM are passed on to the command; the exit
code is the command's (128 + signal when a signal ended it). Used by test/e2e/pty.ts.
"""
import fcntl
import os
import pty
import signal
import struct
import sys
import termios

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

# 30 rows, 100 columns: a terminal of ordinary size, so `process.stdout.columns` is set.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))


def forward(signum, _frame):
    os.kill(pid, signum)


signal.signal(signal.SIGINT, forward)
signal.signal(signal.SIGTERM, forward)

while True:
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the command closed the terminal
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()

_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
