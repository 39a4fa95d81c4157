"""The worker driven in the test process without a socket, for tests that step generations by hand."""

from __future__ import annotations

import queue
from typing import Any

from conftest import MODELS_DIR

from mlxk_runtime.worker import Worker


class FakeConn:
    def __init__(self) -> None:
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.sent: list[dict[str, Any]] = []

    def send(self, msg: dict[str, Any]) -> None:
        self.sent.append(msg)


def in_process_worker(models: list[str], **options: Any) -> Worker:
    """A worker with the named fixture models loaded under their names; `options` go to `Worker`."""
    w = Worker(FakeConn(), **options)  # type: ignore[arg-type]
    for name in models:
        w._handle("msg", {"id": f"load-{name}", "op": "load", "model_path": str(MODELS_DIR / name), "model_id": name})
    assert all(m["event"] == "loaded" for m in w.conn.sent), w.conn.sent  # type: ignore[attr-defined]
    return w


def submit(w: Worker, rid: str, **params: Any) -> None:
    w._handle("msg", {"id": rid, "op": "generate", **params})


def run_until_idle(w: Worker, max_steps: int = 10_000) -> None:
    for _ in range(max_steps):
        if not w.generations:
            return
        w._step_generations()
    raise AssertionError("generations did not finish")


def sent_to(w: Worker, rid: str) -> list[dict[str, Any]]:
    """Every event the worker sent for `rid`, which must have ended."""
    out = [m for m in w.conn.sent if m.get("id") == rid]  # type: ignore[attr-defined]
    assert out and out[-1]["event"] in ("done", "error"), out
    return out
