"""Worker entry point: `python -I -m mlxk_runtime.worker --connect SOCKET` (docs/runtime-protocol.md)."""

from __future__ import annotations

import argparse
import logging
import os
import platform
import queue
import sys
import threading
import time
from typing import Any

from . import PROTOCOL_VERSION, __version__
from .batching import Batcher
from .errors import WorkerError, bad_request
from .generation import Generation
from .generation_params import parse_generate
from .model_loading import LoadedModel, load_model, supported_model_types
from .transport import Connection

log = logging.getLogger("mlxk_runtime")


def watch_parent(original_ppid: int) -> None:
    # The socket EOF covers a dead parent; this covers a parent that died while the socket was shared.
    while True:
        time.sleep(1.0)
        if os.getppid() != original_ppid:
            log.warning("parent process changed, exiting")
            os._exit(0)


class Worker:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.models: dict[str, LoadedModel] = {}
        self.generations: dict[str, Generation] = {}
        self.batcher = Batcher()
        self.running = True
        self.step_delay = float(os.environ.get("MLXK_RUNTIME_STEP_DELAY_S", "0") or 0)
        self._supported: set[str] | None = None

    @property
    def supported(self) -> set[str]:
        if self._supported is None:
            self._supported = set(supported_model_types())
        return self._supported

    def emit(self, request_id: str | None, event: dict[str, Any]) -> None:
        self.conn.send({"id": request_id, **event})

    def emit_error(self, request_id: str | None, error: WorkerError) -> None:
        self.emit(request_id, {"event": "error", "error": error.payload()})

    def run(self) -> None:
        self.emit(
            None, {"event": "hello", "protocol": PROTOCOL_VERSION, "pid": os.getpid(), "runtime_version": __version__}
        )
        while self.running:
            self._drain_inbox(block=not self.generations)
            self._step_generations()

    def _drain_inbox(self, block: bool) -> None:
        try:
            item = self.conn.inbox.get(timeout=0.5) if block else self.conn.inbox.get_nowait()
        except queue.Empty:
            return
        while True:
            self._handle(*item)
            if not self.running:
                return
            try:
                item = self.conn.inbox.get_nowait()
            except queue.Empty:
                return

    def _handle(self, kind: str, value: Any) -> None:
        if kind == "eof":
            log.info("socket closed, exiting")
            self._cancel_all()
            self.running = False
            return
        if kind == "malformed":
            self.emit_error(None, bad_request(value))
            return
        raw_id = value.get("id")
        request_id = raw_id if isinstance(raw_id, str) and raw_id else None
        try:
            if request_id is None:
                raise bad_request("id must be a non-empty string")
            self._dispatch(request_id, value)
        except WorkerError as e:
            self.emit_error(request_id, e)
        except Exception as e:  # noqa: BLE001 - a worker bug must not kill the worker
            log.exception("internal error")
            self.emit_error(request_id, WorkerError("internal", f"{type(e).__name__}: {e}"))

    def _dispatch(self, request_id: str, req: dict[str, Any]) -> None:
        op = req.get("op")
        handler = {
            "info": self._op_info,
            "load": self._op_load,
            "unload": self._op_unload,
            "generate": self._op_generate,
            "cancel": self._op_cancel,
            "ping": lambda rid, _req: self.emit(rid, {"event": "pong"}),
            "shutdown": self._op_shutdown,
        }.get(op if isinstance(op, str) else "")
        if handler is None:
            raise bad_request(f"unknown op: {op!r}")
        handler(request_id, req)

    def _op_info(self, request_id: str, _req: dict[str, Any]) -> None:
        import mlx.core as mx
        import mlx_lm

        self.emit(
            request_id,
            {
                "event": "info",
                "protocol": PROTOCOL_VERSION,
                "runtime_version": __version__,
                "mlx_version": mx.__version__,
                "mlx_lm_version": mlx_lm.__version__,
                "device": "gpu" if mx.default_device().type == mx.DeviceType.gpu else "cpu",
                "python": platform.python_version(),
                "supported_model_types": sorted(self.supported),
            },
        )

    def _op_load(self, request_id: str, req: dict[str, Any]) -> None:
        model_path = req.get("model_path")
        if not isinstance(model_path, str) or not model_path:
            raise bad_request("model_path must be a non-empty string")
        model_id = req.get("model_id") or model_path
        if not isinstance(model_id, str):
            raise bad_request("model_id must be a string")
        existing = self.models.get(model_id)
        if existing is not None:
            if os.path.realpath(os.path.expanduser(model_path)) != existing.model_path:
                raise bad_request(f"model_id {model_id!r} is loaded from another path; unload it first")
            self.emit(request_id, {"event": "loaded", **existing.describe(already_loaded=True)})
            return
        loaded = load_model(model_path, model_id, self.supported)
        self.models[model_id] = loaded
        log.info("loaded %s from %s in %.2fs", model_id, loaded.model_path, loaded.load_time_s)
        self.emit(request_id, {"event": "loaded", **loaded.describe()})

    def _op_unload(self, request_id: str, req: dict[str, Any]) -> None:
        model_id = req.get("model_id")
        if not isinstance(model_id, str) or model_id not in self.models:
            raise WorkerError("model_not_loaded", f"model not loaded: {model_id!r}", model_id=model_id)
        for gen_id, gen in list(self.generations.items()):
            if gen.loaded.model_id == model_id:
                self._finish(gen_id, gen.cancel())
        del self.models[model_id]
        import gc

        import mlx.core as mx

        gc.collect()
        mx.clear_cache()
        self.emit(request_id, {"event": "unloaded", "model_id": model_id})

    def _op_generate(self, request_id: str, req: dict[str, Any]) -> None:
        received_at = time.perf_counter()
        if request_id in self.generations:
            raise bad_request(f"a generation with id {request_id!r} is still running")
        params = parse_generate(req)
        loaded = self.models.get(params.model_id)
        if loaded is None:
            raise WorkerError("model_not_loaded", f"model not loaded: {params.model_id!r}", model_id=params.model_id)
        try:
            gen = Generation(request_id, params, loaded, received_at)
        except WorkerError:
            raise
        except Exception as e:  # noqa: BLE001 - e.g. a chat template that raises
            raise WorkerError("generation_failed", f"{type(e).__name__}: {e}") from e
        self.generations[request_id] = gen
        self.emit(request_id, gen.start_event())

    def _op_cancel(self, request_id: str, req: dict[str, Any]) -> None:
        target = req.get("target")
        if not isinstance(target, str):
            raise bad_request("target must be the id of a generate request")
        gen = self.generations.get(target)
        if gen is not None:
            self._finish(target, gen.cancel())
        self.emit(request_id, {"event": "ok", "found": gen is not None})

    def _op_shutdown(self, request_id: str, _req: dict[str, Any]) -> None:
        self._cancel_all()
        self.emit(request_id, {"event": "bye"})
        self.running = False

    def _cancel_all(self) -> None:
        for gen_id, gen in list(self.generations.items()):
            self._finish(gen_id, gen.cancel())

    def _finish(self, gen_id: str, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.emit(gen_id, event)
        self.generations.pop(gen_id, None)

    def _step_generations(self) -> None:
        self.batcher.advance(self.generations)
        for gen_id, gen in list(self.generations.items()):
            if gen_id not in self.generations or not self.batcher.ready(gen):
                continue
            try:
                events = gen.step()
            except WorkerError as e:
                self.generations.pop(gen_id, None)
                self.emit_error(gen_id, e)
                continue
            except Exception as e:  # noqa: BLE001
                log.exception("generation crashed")
                gen.close()
                self.generations.pop(gen_id, None)
                self.emit_error(gen_id, WorkerError("generation_failed", f"{type(e).__name__}: {e}"))
                continue
            for event in events:
                self.emit(gen_id, event)
            if gen.finished:
                self.generations.pop(gen_id, None)
        if self.step_delay and self.generations:
            time.sleep(self.step_delay)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlxk_runtime.worker")
    parser.add_argument("--connect", required=True, help="Unix socket path the client listens on")
    parser.add_argument(
        "--parent-pid", type=int, default=None, help="pid of the client; closes the race of a parent that died early"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("MLXK_RUNTIME_LOG", "INFO"),
        format="[mlxk-worker %(process)d] %(levelname)s %(message)s",
    )
    # Never download: only local directories are loaded.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    parent = args.parent_pid if args.parent_pid is not None else os.getppid()
    if os.getppid() != parent:
        log.error("parent %d is already gone, exiting", parent)
        return 0
    threading.Thread(target=watch_parent, args=(parent,), name="mlxk-ppid", daemon=True).start()
    try:
        conn = Connection(args.connect)
    except OSError as e:
        log.error("cannot connect to %s: %s", args.connect, e)
        return 2
    conn.start_reader()
    worker = Worker(conn)
    try:
        worker.run()
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
