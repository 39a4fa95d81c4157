"""The worker never outlives its client, and the client always notices a dead worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXPECTED, MODELS_DIR
from worker_client import WorkerClient


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state


def test_shutdown_says_bye_and_exits_zero() -> None:
    client = WorkerClient()
    assert client.call("shutdown")["event"] == "bye"
    assert client.proc.wait(timeout=20) == 0
    assert client.eof.wait(5)
    client.close()


def test_worker_exits_when_socket_closes() -> None:
    client = WorkerClient()
    assert client.call("ping")["event"] == "pong"
    client.sock.shutdown(2)
    client.sock.close()
    assert client.proc.wait(timeout=20) == 0
    client.listener.close()


def test_worker_killed_mid_stream_is_seen_as_eof() -> None:
    client = WorkerClient(env={"MLXK_RUNTIME_STEP_DELAY_S": "0.05"})
    try:
        name = "tiny-qwen2-bpe"
        assert client.call("load", model_path=str(MODELS_DIR / name), model_id=name)["event"] == "loaded"
        rid = client.send("generate", model_id=name, messages=EXPECTED[name]["cases"][3]["messages"])
        assert client.next_event(rid)["event"] == "start"
        assert client.next_event(rid)["event"] == "token"
        os.kill(client.proc.pid, signal.SIGKILL)
        events = client.events(rid, timeout=20)
        assert events[-1]["event"] == "__eof__"
        assert client.eof.is_set()
        assert client.proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        client.close()


@pytest.mark.parametrize("early", [False, True], ids=["parent-dies-later", "parent-died-before-start"])
def test_worker_exits_when_parent_dies(tmp_path: Path, early: bool) -> None:
    """The second guard: socket still open, but the parent is gone (re-parented)."""
    import socket

    sock_path = str(tmp_path / "p.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    args = ["-I", "-m", "mlxk_runtime.worker", "--connect", sock_path]
    launcher = (
        "import os, subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, *{args!r}, '--parent-pid', str(os.getpid())],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(p.pid, flush=True)\n"
        f"time.sleep({0 if early else 3})\n"
    )
    out = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, timeout=60)
    worker_pid = int(out.stdout.strip())
    conn = None
    if not early:
        # A worker whose parent died before it started exits without connecting at all.
        listener.settimeout(30)
        conn, _ = listener.accept()
    try:
        deadline = time.time() + 30
        while pid_alive(worker_pid) and time.time() < deadline:
            time.sleep(0.2)
        assert not pid_alive(worker_pid), "worker outlived its parent"
    finally:
        if conn is not None:
            conn.close()
        listener.close()
