"""Handshake, info, framing errors, load/unload and bad model directories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import MODELS_DIR
from worker_client import WorkerClient


def test_hello_and_info(worker: WorkerClient) -> None:
    assert worker.hello["protocol"] == 1 and worker.hello["pid"] == worker.proc.pid
    info = worker.call("info")
    assert info["event"] == "info" and info["protocol"] == 1
    assert info["device"] in ("cpu", "gpu")
    assert info["mlx_version"] == "0.32.4" and info["mlx_lm_version"] == "0.32.2"
    types = info["supported_model_types"]
    assert types == sorted(types)
    assert {"qwen2", "llama", "mistral", "gemma3"} <= set(types)


def test_ping_unknown_op_and_malformed_lines(worker: WorkerClient) -> None:
    assert worker.call("ping")["event"] == "pong"
    assert worker.call("frobnicate")["error"]["type"] == "bad_request"
    worker.send_raw(b"{not json\n")
    assert worker.next_event(None)["error"]["type"] == "bad_request"
    worker.send_raw(b"[1,2]\n")
    assert worker.next_event(None)["error"]["type"] == "bad_request"
    worker.send_raw(b'{"op":"ping"}\n')
    assert worker.next_event(None)["error"]["type"] == "bad_request"
    assert worker.call("ping")["event"] == "pong"


def test_load_unload_cycle(worker: WorkerClient) -> None:
    loaded = worker.call("load", model_path=str(MODELS_DIR / "tiny-qwen2-bpe"), model_id="extra")
    assert loaded["event"] == "loaded" and loaded["model_type"] == "qwen2"
    assert loaded["load_time_s"] >= 0 and loaded["memory_bytes"] > 0
    other = worker.call("load", model_path=str(MODELS_DIR / "tiny-llama-spm"), model_id="extra")
    assert other["error"]["type"] == "bad_request"
    assert worker.call("unload", model_id="extra")["event"] == "unloaded"
    assert worker.call("unload", model_id="extra")["error"]["type"] == "model_not_loaded"
    assert worker.call("generate", model_id="extra", prompt="x")["error"]["type"] == "model_not_loaded"
    default_id = worker.call("load", model_path=str(MODELS_DIR / "tiny-qwen2-bpe"))
    assert default_id["model_id"] == str(MODELS_DIR / "tiny-qwen2-bpe")
    worker.call("unload", model_id=default_id["model_id"])


def copy_model(tmp_path: Path, name: str = "tiny-qwen2-bpe") -> Path:
    target = tmp_path / "model"
    shutil.copytree(MODELS_DIR / name, target)
    return target


def edit_config(path: Path, **changes: object) -> None:
    config = json.loads((path / "config.json").read_text())
    config.update(changes)
    (path / "config.json").write_text(json.dumps(config))


def _missing_weights(p: Path) -> None:
    (p / "model.safetensors").unlink()


def _garbage_weights(p: Path) -> None:
    (p / "model.safetensors").write_bytes(b"\x00garbage" * 10)


def _broken_config(p: Path) -> None:
    (p / "config.json").write_text("{ not json")


def _missing_config(p: Path) -> None:
    (p / "config.json").unlink()


def _wrong_shapes(p: Path) -> None:
    edit_config(p, hidden_size=128)


def _broken_tokenizer(p: Path) -> None:
    (p / "tokenizer.json").write_text("{")


@pytest.mark.parametrize(
    "breaker",
    [_missing_weights, _garbage_weights, _broken_config, _missing_config, _wrong_shapes, _broken_tokenizer],
)
def test_bad_model_dir_gives_structured_error(worker: WorkerClient, tmp_path: Path, breaker: object) -> None:
    path = copy_model(tmp_path)
    breaker(path)  # type: ignore[operator]
    error = worker.call("load", model_path=str(path), model_id=f"bad-{tmp_path.name}")["error"]
    assert error["type"] == "model_load_failed", error
    assert error["message"]
    assert worker.call("ping")["event"] == "pong"


def test_missing_path_and_unsupported_type(worker: WorkerClient, tmp_path: Path) -> None:
    assert worker.call("load", model_path=str(tmp_path / "nope"))["error"]["type"] == "model_load_failed"
    path = copy_model(tmp_path)
    edit_config(path, model_type="no_such_arch")
    error = worker.call("load", model_path=str(path))["error"]
    assert error["type"] == "unsupported_model_type" and error["model_type"] == "no_such_arch"
