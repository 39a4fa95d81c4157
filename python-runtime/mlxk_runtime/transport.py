"""JSON-lines framing over the Unix socket: a reader thread feeding a queue, and a locked writer."""

from __future__ import annotations

import json
import queue
import socket
import threading
from typing import Any

# Queue items: ("request", dict), ("malformed", message) or ("eof", None).
Inbound = tuple[str, Any]


class Connection:
    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.inbox: queue.Queue[Inbound] = queue.Queue()
        self._write_lock = threading.Lock()
        self._closed = False

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._write_lock:
            if self._closed:
                return
            try:
                self.sock.sendall(data)
            except OSError:
                # The client is gone; the reader sees EOF and the main loop exits.
                self._closed = True

    def start_reader(self) -> None:
        threading.Thread(target=self._read_loop, name="mlxk-reader", daemon=True).start()

    def _read_loop(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        self.inbox.put(self._parse(line))
        except OSError:
            pass
        self.inbox.put(("eof", None))

    @staticmethod
    def _parse(line: bytes) -> Inbound:
        try:
            value = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            return ("malformed", f"malformed JSON line: {e}")
        if not isinstance(value, dict):
            return ("malformed", "request must be a JSON object")
        return ("request", value)

    def close(self) -> None:
        with self._write_lock:
            self._closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
