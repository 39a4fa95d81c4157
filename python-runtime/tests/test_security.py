"""No code from a model directory ever runs: custom-code configs are refused, and *.py files cannot shadow imports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXPECTED, MODELS_DIR
from worker_client import WorkerClient, text_of


def marker_code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')\n"


def evil_model(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "evil-model"
    shutil.copytree(MODELS_DIR / "tiny-qwen2-bpe", path)
    return path, tmp_path / "MARKER"


def test_model_file_is_refused_and_never_runs(worker: WorkerClient, tmp_path: Path) -> None:
    path, marker = evil_model(tmp_path)
    (path / "evil.py").write_text(marker_code(marker) + "class Model: pass\nclass ModelArgs: pass\n")
    config = json.loads((path / "config.json").read_text())
    config["model_file"] = "evil.py"
    (path / "config.json").write_text(json.dumps(config))
    error = worker.call("load", model_path=str(path), model_id="evil")["error"]
    assert error["type"] == "unsafe_model"
    assert any("model_file" in r for r in error["reasons"])
    assert not marker.exists()


@pytest.mark.parametrize("where", ["config.json", "tokenizer_config.json"])
def test_auto_map_is_refused(worker: WorkerClient, tmp_path: Path, where: str) -> None:
    path, marker = evil_model(tmp_path)
    (path / "custom.py").write_text(marker_code(marker))
    data = json.loads((path / where).read_text())
    data["auto_map"] = {"AutoTokenizer": ["custom.CustomTokenizer", None], "AutoModel": "custom.Model"}
    (path / where).write_text(json.dumps(data))
    error = worker.call("load", model_path=str(path), model_id="evil-auto")["error"]
    assert error["type"] == "unsafe_model"
    assert not marker.exists()


def test_python_file_reference_is_refused(worker: WorkerClient, tmp_path: Path) -> None:
    path, _ = evil_model(tmp_path)
    data = json.loads((path / "generation_config.json").read_text())
    data["custom_generate"] = "generate_hook.py"
    (path / "generation_config.json").write_text(json.dumps(data))
    assert worker.call("load", model_path=str(path))["error"]["type"] == "unsafe_model"


SHADOWS = ("json", "mlx_lm", "transformers", "tokenizers", "socket", "queue", "safetensors", "jinja2")


@pytest.mark.parametrize("isolated", [True, False], ids=["python-I", "no-flags"])
def test_model_dir_modules_never_shadow_worker_imports(tmp_path: Path, isolated: bool) -> None:
    path, marker = evil_model(tmp_path)
    for module in SHADOWS:
        (path / f"{module}.py").write_text(marker_code(marker))
    # Worst case: the worker is started with the model directory as its working directory.
    client = WorkerClient(cwd=str(path), isolated=isolated)
    try:
        assert client.call("info")["event"] == "info"
        assert client.call("load", model_path=str(path), model_id="m")["event"] == "loaded"
        case = EXPECTED["tiny-qwen2-bpe"]["cases"][0]
        events = client.events(client.send("generate", model_id="m", messages=case["messages"]))
        assert text_of(events) == case["text"]
    finally:
        client.close()
    assert not marker.exists()
