"""A minimal test client for the worker protocol: listens on a Unix socket and spawns the real worker."""

from __future__ import annotations

import itertools
import json
import os
import queue
import random
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

TERMINAL = {"info", "loaded", "unloaded", "done", "ok", "pong", "bye", "error", "embeddings"}


class WorkerClient:
    def __init__(
        self,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        isolated: bool = True,
        ranks: int = 1,
        worker_args: tuple[str, ...] = (),
    ) -> None:
        self._dir = tempfile.mkdtemp(prefix="mlxk-sock-")
        self.path = os.path.join(self._dir, "w.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.listener.settimeout(120)
        flags = ["-I"] if isolated else []
        command = [sys.executable, *flags, "-m", "mlxk_runtime.worker", "--connect", self.path, *worker_args]
        if ranks > 1:
            # A group of local ranks over loopback, started the way mlxk starts one (docs/distributed.md).
            command = [*launch_prefix(ranks), *command[1:], "--distributed", "--backend", "ring"]
        self.proc = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            stderr=subprocess.PIPE,
            start_new_session=ranks > 1,
        )
        self.sock, _ = self.listener.accept()
        self.queues: dict[Any, queue.Queue[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.eof = threading.Event()
        self.all_events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.hello: dict[str, Any] = {}
        self._hello_seen = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        assert self._hello_seen.wait(120), "no hello from worker"

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr_lines: list[str] = []
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode("utf-8", "replace"))

    def _q(self, key: Any) -> queue.Queue[dict[str, Any]]:
        with self.lock:
            return self.queues.setdefault(key, queue.Queue())

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line.decode("utf-8"))
                self.all_events.append(msg)
                if msg.get("event") == "hello":
                    self.hello = msg
                    self._hello_seen.set()
                else:
                    self._q(msg.get("id")).put(msg)
        self.eof.set()
        for q in list(self.queues.values()):
            q.put({"event": "__eof__"})

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, op: str, **params: Any) -> str:
        rid = params.pop("id", None) or f"r{next(self._ids)}"
        self._q(rid)
        self.send_raw((json.dumps({"id": rid, "op": op, **params}) + "\n").encode("utf-8"))
        return rid

    def next_event(self, rid: Any, timeout: float = 60) -> dict[str, Any]:
        return self._q(rid).get(timeout=timeout)

    def events(self, rid: Any, timeout: float = 60) -> list[dict[str, Any]]:
        out = []
        while True:
            ev = self.next_event(rid, timeout)
            out.append(ev)
            if ev["event"] in TERMINAL or ev["event"] == "__eof__":
                return out

    def call(self, op: str, **params: Any) -> dict[str, Any]:
        return self.events(self.send(op, **params))[-1]

    def close(self) -> None:
        try:
            # shutdown, not only close: the reader thread still holds the socket, and the worker exits on EOF.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        finally:
            self.listener.close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            Path(self.path).unlink(missing_ok=True)
            os.rmdir(self._dir)


def free_port_run(count: int) -> int:
    """The first of `count` consecutive free TCP ports on loopback (the ring backend listens on base + rank)."""
    for _ in range(50):
        base = random.randint(20000, 60000 - count)
        try:
            for port in range(base, base + count):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range")


def launch_prefix(ranks: int) -> list[str]:
    return [
        sys.executable,
        "-I",
        "-m",
        "mlxk_runtime.launch",
        "--backend",
        "ring",
        "--hosts",
        "127.0.0.1",
        "-n",
        str(ranks),
        "--starting-port",
        str(free_port_run(ranks)),
        "--python",
        sys.executable,
        "--",
    ]


def text_of(events: list[dict[str, Any]], channel: str | None = None) -> str:
    return "".join(e["text"] for e in events if e["event"] == "token" and (channel is None or e["channel"] == channel))
