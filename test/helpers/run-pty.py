"""Runs a command in a pseudo-terminal and relays bytes: our stdin -> the terminal, the terminal -> our stdout.

Interactive `mlxk run` needs a real terminal (raw mode, Ctrl-C as a key), and node-pty cannot be built here, so
tests drive the CLI through this relay (see pty.ts). Exits with the command's exit code (128 + n for signal n).
Usage: python3 run-pty.py COLS ROWS -- command [args...]
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios


def main() -> int:
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    argv = sys.argv[sys.argv.index("--") + 1 :]
    pid, master = pty.fork()
    if pid == 0:
        # The child's side: size the terminal before the program looks at it.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.execvp(argv[0], argv)
    stdin_open = True
    while True:
        watched = [master] + ([0] if stdin_open else [])
        readable, _, _ = select.select(watched, [], [], 0.1)
        if master in readable:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal (it exited)
                data = b""
            if not data:
                break
            os.write(1, data)
        if 0 in readable:
            data = os.read(0, 65536)
            if data:
                os.write(master, data)
            else:
                # The test closed our stdin; keep relaying output until the child ends.
                stdin_open = False
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
