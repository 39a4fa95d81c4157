"""How a model splits across a distributed group, decided the way mlx-lm's `sharded_load` decides it.

Tensor parallelism (`Model.shard`) splits every layer's heads and MLP across the ranks; pipeline parallelism
(`model.model.pipeline`) gives each rank a run of whole layers. `plan_sharding` checks, on a lazily loaded copy
(no weights are read), that the chosen split really works for this model and group size, so a model that cannot
be sharded fails with one clear error on every rank instead of a crash half-way through loading.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import WorkerError

MODES = ("auto", "tensor", "pipeline")


@dataclass
class ShardPlan:
    mode: str  # "tensor" or "pipeline"
    world_size: int
    num_layers: int
    # [start, end) of the layers each rank runs, by rank.
    layers: list[list[int]]

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "world_size": self.world_size, "num_layers": self.num_layers, "layers": self.layers}


class SizeOnlyGroup:
    """Stands in for `mx.distributed.Group` where only rank and size are read (planning, never communicating)."""

    def __init__(self, rank: int, size: int) -> None:
        self._rank = rank
        self._size = size

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size


def pipeline_layers(num_layers: int, size: int) -> list[list[int]]:
    """PipelineMixin's even split: low ranks get the extra layers, and rank r runs the layers after ranks r+1…"""
    base, extra = divmod(num_layers, size)
    split = [base + (1 if r < extra else 0) for r in range(size)]
    ranges = []
    for r in range(size):
        start = sum(split[r + 1 :])
        ranges.append([start, start + split[r]])
    return ranges


def _unshardable(message: str, **extra: Any) -> WorkerError:
    return WorkerError("unshardable_model", message, **extra)


def _try_tensor(model: Any, size: int) -> str | None:
    """None when `Model.shard` works for this group size, else why not (it splits the lazily loaded `model`)."""
    try:
        model.shard(SizeOnlyGroup(0, size))
    except Exception as e:  # noqa: BLE001 - any failure means "not with this group size"
        return f"{type(e).__name__}: {e}"
    # `shard` divides head counts with //; a count that does not divide leaves a broken layer instead of raising.
    for layer in getattr(model, "layers", []) or []:
        attn = getattr(layer, "self_attn", None)
        for name in ("n_heads", "n_kv_heads", "num_heads", "num_key_value_heads"):
            value = getattr(attn, name, None)
            if isinstance(value, int) and value == 0:
                return f"{name} does not divide by {size}"
    return None


def plan_sharding(model_path: Path, config: dict[str, Any], size: int, mode: str = "auto") -> ShardPlan:
    """The split mlx-lm will use for `model_path` on `size` ranks, or an `unshardable_model` error saying why not."""
    from mlx_lm.utils import load_model

    if mode not in MODES:
        raise WorkerError("bad_request", f"sharding must be one of {', '.join(MODES)}, not {mode!r}")
    model_type = config.get("model_type")
    try:
        model, _ = load_model(model_path, lazy=True, strict=False)
    except Exception as e:  # noqa: BLE001
        raise WorkerError("model_load_failed", f"{type(e).__name__}: {e}", model_path=str(model_path)) from e
    has_tensor = hasattr(model, "shard")
    inner = getattr(model, "model", None)
    has_pipeline = inner is not None and hasattr(inner, "pipeline")
    layers = getattr(model, "layers", None)
    num_layers = len(layers) if layers is not None else int(config.get("num_hidden_layers") or 0)
    if not has_tensor and not has_pipeline:
        raise _unshardable(
            f"model_type {model_type!r} supports neither tensor nor pipeline sharding in this mlx-lm",
            model_type=model_type,
        )
    reasons: list[str] = []
    if mode in ("auto", "tensor"):
        if has_tensor:
            # Last use of this lazy copy: the pipeline checks below read only what was noted before.
            why = _try_tensor(model, size)
            if why is None:
                return ShardPlan("tensor", size, num_layers, [[0, num_layers]] * size)
            reasons.append(f"tensor parallel over {size} ranks fails ({why})")
        else:
            reasons.append(f"model_type {model_type!r} has no tensor parallelism")
    if mode in ("auto", "pipeline"):
        if not has_pipeline:
            reasons.append(f"model_type {model_type!r} has no pipeline parallelism")
        elif num_layers < size:
            reasons.append(f"pipeline needs at least one layer per rank ({num_layers} layers, {size} ranks)")
        elif not (model_path / "model.safetensors.index.json").is_file():
            reasons.append("pipeline parallel needs model.safetensors.index.json (convert with mlx_lm.convert)")
        else:
            return ShardPlan("pipeline", size, num_layers, pipeline_layers(num_layers, size))
    raise _unshardable("; ".join(reasons), model_type=model_type, world_size=size, sharding=mode)


def main(argv: list[str] | None = None) -> int:
    """`python -I -m mlxk_runtime.sharding MODEL --world-size N`: the plan as one JSON line (used before launch)."""
    import os

    from .model_checks import read_model_config

    parser = argparse.ArgumentParser(prog="mlxk_runtime.sharding")
    parser.add_argument("model_path")
    parser.add_argument("--world-size", type=int, required=True)
    parser.add_argument("--sharding", default="auto", choices=MODES)
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    path = Path(args.model_path).expanduser().resolve()
    try:
        config = read_model_config(path)
        plan = plan_sharding(path, config, args.world_size, args.sharding)
        print(json.dumps({"ok": True, "plan": plan.describe()}))
    except WorkerError as e:
        print(json.dumps({"ok": False, "error": e.payload()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
