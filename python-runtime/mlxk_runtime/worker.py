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
from .embeddings import EmbeddingModel, embed, is_embedding_request, load_embedding_model, parse_embed
from .errors import WorkerError, bad_request
from .generation import Generation
from .generation_params import parse_generate
from .lockstep import GroupLost, Lockstep
from .model_loading import LoadedModel, check_model_dir, load_model, supported_model_types
from .prompt_cache import PromptCaches
from .sharding import MODES, plan_sharding
from .transport import Connection

log = logging.getLogger("mlxk_runtime")

# An idle group naps between lockstep rounds: MLX's ring backend spins while it waits in a collective, so
# followers sleep instead, for 1 ms doubling up to this bound (the most a request arriving at an idle group waits).
MAX_IDLE_NAP_MS = 50


def watch_parent(original_ppid: int) -> None:
    # The socket EOF covers a dead parent; this covers a parent that died while the socket was shared.
    while True:
        time.sleep(1.0)
        if os.getppid() != original_ppid:
            log.warning("parent process changed, exiting")
            os._exit(0)


class Worker:
    """The worker loop. In a distributed group every rank runs one; only rank 0 has a connection (`conn`)."""

    def __init__(
        self,
        conn: Connection | None,
        lockstep: Lockstep | None = None,
        sharding: str = "auto",
        prompt_cache_bytes: int | None = None,
    ) -> None:
        self.conn = conn
        self.lockstep = lockstep
        self.sharding = sharding
        self.topology: dict[str, Any] | None = None
        # In lockstep, events wait here until the group confirms the step that produced them.
        self._held: list[dict[str, Any]] | None = None
        # Requests rank 0 received while napping, for the next round.
        self._early: list[Any] = []
        self._idle_rounds = 0
        self.models: dict[str, LoadedModel | EmbeddingModel] = {}
        self.generations: dict[str, Generation] = {}
        self.batcher = Batcher()
        self.running = True
        self.step_delay = float(os.environ.get("MLXK_RUNTIME_STEP_DELAY_S", "0") or 0)
        self._supported: set[str] | None = None
        self.prompt_caches = PromptCaches(prompt_cache_bytes, grouped=lockstep is not None)

    @property
    def supported(self) -> set[str]:
        if self._supported is None:
            self._supported = set(supported_model_types())
        return self._supported

    def emit(self, request_id: str | None, event: dict[str, Any]) -> None:
        if self.conn is None:
            return
        message = {"id": request_id, **event}
        if self._held is not None:
            self._held.append(message)
        else:
            self.conn.send(message)

    def emit_error(self, request_id: str | None, error: WorkerError) -> None:
        self.emit(request_id, {"event": "error", "error": error.payload()})

    def run(self) -> None:
        hello: dict[str, Any] = {
            "event": "hello",
            "protocol": PROTOCOL_VERSION,
            "pid": os.getpid(),
            "runtime_version": __version__,
        }
        if self.lockstep is not None:
            import mlx.core as mx

            self.topology = self.lockstep.topology(self.lockstep.gather_hosts())
            mx.random.seed(self.lockstep.share_seed())
            hello["topology"] = self.topology
        self.emit(None, hello)
        while self.running:
            if self.lockstep is None:
                self._handle_all(self._collect_inbox(block=not self.generations))
                self._step_generations()
            else:
                self._lockstep_iteration(self.lockstep)

    def _lockstep_iteration(self, lockstep: Lockstep) -> None:
        """One loop on every rank: the same requests, the same step, then a check that every rank got there."""
        requests: list[Any] | None = None
        nap_ms = 0
        if lockstep.leader:
            requests, self._early = self._early + self._collect_inbox(block=False), []
            idle = not requests and not self.generations
            self._idle_rounds = self._idle_rounds + 1 if idle else 0
            nap_ms = min(MAX_IDLE_NAP_MS, 1 << min(self._idle_rounds, 8)) if idle else 0
        shared, nap_ms = lockstep.share(requests, nap_ms)
        self._held = []
        self._handle_all(shared)
        if self.running:
            self._step_generations()
        lockstep.confirm()
        held, self._held = self._held, None
        if self.conn is not None:
            for message in held:
                self.conn.send(message)
        if nap_ms and self.running:
            self._nap(nap_ms / 1000)

    def _nap(self, seconds: float) -> None:
        if self.conn is None:
            time.sleep(seconds)
            return
        # Rank 0 wakes for a request at once; it then waits in the next round's collective for the others.
        try:
            self._early.append(self.conn.inbox.get(timeout=seconds))
        except queue.Empty:
            pass

    def _collect_inbox(self, block: bool) -> list[Any]:
        assert self.conn is not None
        items: list[Any] = []
        try:
            items.append(self.conn.inbox.get(timeout=0.5) if block else self.conn.inbox.get_nowait())
            while True:
                items.append(self.conn.inbox.get_nowait())
        except queue.Empty:
            pass
        return items

    def _handle_all(self, items: list[Any]) -> None:
        for kind, value in items:
            self._handle(kind, value)
            if not self.running:
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
            "embed": self._op_embed,
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

        extra = {"topology": self.topology} if self.topology is not None else {}
        self.emit(
            request_id,
            {
                **extra,
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
        # In a group, each rank loads (and compares against) its own host's copy.
        path = model_path if self.lockstep is None else self._rank_path(req, model_path)
        existing = self.models.get(model_id)
        if existing is not None:
            if os.path.realpath(os.path.expanduser(path)) != existing.model_path:
                raise bad_request(f"model_id {model_id!r} is loaded from another path; unload it first")
            self.emit(
                request_id, {"event": "loaded", **existing.describe(already_loaded=True), **self._cache_info(existing)}
            )
            return
        loaded: LoadedModel | EmbeddingModel
        if is_embedding_request(path, req):
            # Small enough for every rank to hold whole: a group embeds in lockstep without sharding.
            loaded = load_embedding_model(path, model_id, self.supported)
        elif self.lockstep is None:
            loaded = load_model(path, model_id, self.supported)
        else:
            loaded = self._load_sharded(self.lockstep, path, model_id)
        self.models[model_id] = loaded
        if isinstance(loaded, LoadedModel):
            self.prompt_caches.open(model_id)
        log.info("loaded %s from %s in %.2fs", model_id, loaded.model_path, loaded.load_time_s)
        self.emit(request_id, {"event": "loaded", **loaded.describe(), **self._cache_info(loaded)})

    def _cache_info(self, loaded: Any) -> dict[str, Any]:
        return {"prompt_cache": self.prompt_caches.describe()} if isinstance(loaded, LoadedModel) else {}

    def _rank_path(self, req: dict[str, Any], model_path: str) -> str:
        """This rank's copy of the model: `rank_model_paths[rank]` when the client maps paths per host."""
        assert self.lockstep is not None
        paths = req.get("rank_model_paths")
        if paths is None:
            return model_path
        size = self.lockstep.size
        if not isinstance(paths, list) or len(paths) != size or any(not isinstance(p, str) for p in paths):
            raise bad_request(f"rank_model_paths must list one path per rank ({self.lockstep.size})")
        return str(paths[self.lockstep.rank])

    def _load_sharded(self, lockstep: Lockstep, model_path: str, model_id: str) -> LoadedModel:
        # Every rank checks its own copy and the sharding plan first; only if all pass do they enter mlx-lm's
        # sharded_load, whose collectives would hang or desynchronise the group if one rank dropped out.
        error: WorkerError | None = None
        try:
            resolved, config, _ = check_model_dir(model_path, self.supported)
            plan = plan_sharding(resolved, config, lockstep.size, self.sharding)
        except WorkerError as e:
            error = e
            log.error("rank %d cannot load %s: %s", lockstep.rank, model_path, e.message)
        passed = lockstep.agree(error is None)
        if error is not None:
            raise error
        if passed < lockstep.size:
            raise WorkerError(
                "model_load_failed",
                f"{lockstep.size - passed} of {lockstep.size} ranks cannot load the model (see their log)",
                model_path=model_path,
            )
        try:
            return load_model(model_path, model_id, self.supported, sharded=(lockstep.group, plan))
        except WorkerError as e:
            raise GroupLost(f"rank {lockstep.rank} failed to load its shard: {e.message}") from e

    def _op_unload(self, request_id: str, req: dict[str, Any]) -> None:
        model_id = req.get("model_id")
        if not isinstance(model_id, str) or model_id not in self.models:
            raise WorkerError("model_not_loaded", f"model not loaded: {model_id!r}", model_id=model_id)
        for gen_id, gen in list(self.generations.items()):
            if gen.loaded.model_id == model_id:
                self._finish(gen_id, gen.cancel())
        del self.models[model_id]
        self.prompt_caches.drop(model_id)
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
        if isinstance(loaded, EmbeddingModel):
            raise wrong_kind(loaded.model_id, "embedding", "generate")
        try:
            gen = Generation(request_id, params, loaded, received_at, self.prompt_caches.get(params.model_id))
        except WorkerError:
            raise
        except Exception as e:  # noqa: BLE001 - e.g. a chat template that raises
            raise WorkerError("generation_failed", f"{type(e).__name__}: {e}") from e
        self.generations[request_id] = gen
        self.emit(request_id, gen.start_event())

    def _op_embed(self, request_id: str, req: dict[str, Any]) -> None:
        params = parse_embed(req)
        loaded = self.models.get(params.model_id)
        if loaded is None:
            raise WorkerError("model_not_loaded", f"model not loaded: {params.model_id!r}", model_id=params.model_id)
        if not isinstance(loaded, EmbeddingModel):
            raise wrong_kind(loaded.model_id, "generation", "embed")
        self.emit(request_id, embed(loaded, params))

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
            except Exception as e:
                if self.lockstep is not None:
                    # Collectives inside the forward pass failed or may have: the group is no longer in step.
                    raise GroupLost(f"generation step failed: {e}") from e
                self._step_failed(gen_id, gen, e)
                continue
            for event in events:
                self.emit(gen_id, event)
            if gen.finished:
                self.generations.pop(gen_id, None)
        if self.step_delay and self.generations:
            time.sleep(self.step_delay)

    def _step_failed(self, gen_id: str, gen: Generation, error: Exception) -> None:
        self.generations.pop(gen_id, None)
        if isinstance(error, WorkerError):
            self.emit_error(gen_id, error)
            return
        log.exception("generation crashed", exc_info=error)
        gen.close()
        self.emit_error(gen_id, WorkerError("generation_failed", f"{type(error).__name__}: {error}"))


def wrong_kind(model_id: str, kind: str, op: str) -> WorkerError:
    does = "produces embeddings, not text" if kind == "embedding" else "generates text, not embeddings"
    return WorkerError("wrong_model_kind", f"{model_id!r} is a {kind} model: it {does} ({op})", model_kind=kind)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlxk_runtime.worker")
    parser.add_argument("--connect", required=True, help="Unix socket path the client listens on (rank 0 only)")
    parser.add_argument(
        "--parent-pid", type=int, default=None, help="pid of the client; closes the race of a parent that died early"
    )
    parser.add_argument(
        "--distributed", action="store_true", help="one rank of a group started by mlx.launch (docs/distributed.md)"
    )
    parser.add_argument("--backend", default="any", help="mx.distributed backend of the group")
    parser.add_argument("--sharding", default="auto", choices=MODES, help="how loaded models split across the group")
    parser.add_argument(
        "--prompt-cache-bytes", type=int, default=None, help="bound of each model's prompt cache; 0 turns it off"
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
    lockstep = join_group(args.backend) if args.distributed else None
    if args.distributed and lockstep is None:
        return 2
    conn: Connection | None = None
    if lockstep is None or lockstep.leader:
        try:
            conn = Connection(args.connect)
        except OSError as e:
            log.error("cannot connect to %s: %s", args.connect, e)
            return 2
        conn.start_reader()
    worker = Worker(conn, lockstep, args.sharding, args.prompt_cache_bytes)
    try:
        worker.run()
    except GroupLost as e:
        # The other ranks notice at their next collective (or mlx.launch stops them); the client relaunches.
        log.error("rank %d: distributed group lost: %s", lockstep.rank if lockstep else 0, e)
        sys.stderr.flush()
        os._exit(3)
    finally:
        if conn is not None:
            conn.close()
    return 0


def join_group(backend: str) -> Lockstep | None:
    import mlx.core as mx

    name = backend if backend in ("ring", "mpi", "jaccl", "nccl") else "any"
    try:
        group = mx.distributed.init(strict=True, backend=name)
    except Exception as e:  # noqa: BLE001 - reported, then the launcher sees the exit
        log.error("cannot join the distributed group (backend %s): %s", backend, e)
        return None
    log.info("rank %d of %d joined (backend %s)", group.rank(), group.size(), backend)
    return Lockstep(group, backend)


if __name__ == "__main__":
    sys.exit(main())
