from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from worker_client import WorkerClient  # noqa: E402

MODELS_DIR = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "models"
EXPECTED: dict[str, Any] = json.loads((MODELS_DIR / "expected.json").read_text(encoding="utf-8"))
MODEL_NAMES = sorted(EXPECTED)


@pytest.fixture(scope="session")
def worker() -> Iterator[WorkerClient]:
    """One worker for the whole run, with every test model loaded under its fixture name."""
    client = WorkerClient()
    for name in MODEL_NAMES:
        loaded = client.call("load", model_path=str(MODELS_DIR / name), model_id=name)
        assert loaded["event"] == "loaded", loaded
    yield client
    client.close()


@pytest.fixture(scope="session")
def slow_worker() -> Iterator[WorkerClient]:
    """A worker that sleeps after each step, so tests can act in the middle of a generation."""
    client = WorkerClient(env={"MLXK_RUNTIME_STEP_DELAY_S": "0.05"})
    for name in ("tiny-qwen2-bpe", "tiny-llama-spm"):
        assert client.call("load", model_path=str(MODELS_DIR / name), model_id=name)["event"] == "loaded"
    yield client
    client.close()


@pytest.fixture(scope="session")
def mlx_reference() -> Any:
    """mlx-lm loaded in the test process, for parity checks; cached per model."""
    from mlx_lm.utils import load

    cache: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in cache:
            cache[name] = load(str(MODELS_DIR / name))
        return cache[name]

    return get
