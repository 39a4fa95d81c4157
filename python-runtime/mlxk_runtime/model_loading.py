"""Loading a local MLX model with mlx-lm, after the safety checks, and describing it for the client."""

from __future__ import annotations

import pkgutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import WorkerError
from .model_checks import context_length, read_json, read_model_config, unsafe_reasons
from .sharding import ShardPlan

# Chat end-of-turn markers that should end generation when the vocabulary has them as one token.
END_MARKERS = (
    "<|im_end|>",
    "<|eot_id|>",
    "<|end|>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "</s>",
    "<end_of_turn>",
    "<|return|>",
)
THINK_START = "<think>"
THINK_END = "</think>"


def loaded_fields(model: Any, context_length: int, already_loaded: bool) -> dict[str, Any]:
    """The `loaded` event's fields that every kind of model reports (§2.2), in one place."""
    return {
        "model_id": model.model_id,
        "model_path": model.model_path,
        "load_time_s": round(model.load_time_s, 4),
        "memory_bytes": model.memory_bytes,
        "context_length": context_length,
        "model_type": model.model_type,
        "already_loaded": already_loaded,
    }


@dataclass
class LoadedModel:
    model_id: str
    model_path: str
    model: Any
    tokenizer: Any
    config: dict[str, Any]
    context_length: int
    model_type: str
    eos_token_ids: list[int]
    is_reasoning: bool
    load_time_s: float
    memory_bytes: int
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self, already_loaded: bool = False) -> dict[str, Any]:
        return {
            **loaded_fields(self, self.context_length, already_loaded),
            "eos_token_ids": self.eos_token_ids,
            "is_reasoning": self.is_reasoning,
            "kind": "generation",
            "tool_calling": self.tool_calling(),
            **self.extra,
        }

    def tool_calling(self) -> dict[str, Any] | None:
        """How the model writes tool calls (§3.7), or None when it cannot take tools."""
        from .tool_calls import tool_format
        from .tool_grammars import GRAMMARS

        fmt = tool_format(self.tokenizer)
        if fmt is None:
            return None
        return {"parser": fmt.parser, "start": fmt.start, "end": fmt.end, "forced": fmt.parser in GRAMMARS}


def supported_model_types() -> list[str]:
    import mlx_lm.models
    from mlx_lm.utils import MODEL_REMAPPING

    # Importing ~150 architecture modules would take seconds; a module is an architecture if it defines Model.
    names: set[str] = set(MODEL_REMAPPING)
    for info in pkgutil.iter_modules(mlx_lm.models.__path__):
        path = Path(mlx_lm.models.__path__[0]) / f"{info.name}.py"
        try:
            source = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if "class Model(" in source and "class ModelArgs" in source:
            names.add(info.name)
    return sorted(names)


def _as_id_list(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return []


def single_token_id(tokenizer: Any, text: str) -> int | None:
    vocab = tokenizer.get_vocab()
    token_id = vocab.get(text)
    return token_id if isinstance(token_id, int) else None


def collect_eos_ids(tokenizer: Any, config: dict[str, Any], generation_config: dict[str, Any]) -> list[int]:
    ids: set[int] = set()
    if isinstance(tokenizer.eos_token_id, int):
        ids.add(tokenizer.eos_token_id)
    ids.update(_as_id_list(config.get("eos_token_id")))
    ids.update(_as_id_list(generation_config.get("eos_token_id")))
    template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else ""
    for marker in END_MARKERS:
        token_id = single_token_id(tokenizer, marker)
        # A marker the template never writes (e.g. </s> of a ChatML model) is ordinary text, not a turn end.
        if token_id is not None and marker in template:
            ids.add(token_id)
    return sorted(ids)


def detect_reasoning(tokenizer: Any) -> bool:
    template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else ""
    vocab_has = single_token_id(tokenizer, THINK_START) is not None and (
        single_token_id(tokenizer, THINK_END) is not None
    )
    return vocab_has or THINK_START in template


def check_model_dir(model_path_str: str, supported: set[str]) -> tuple[Path, dict[str, Any], str]:
    """The safety and format checks that run before anything of the model is loaded."""
    model_path = Path(model_path_str).expanduser().resolve()
    config = read_model_config(model_path)
    reasons = unsafe_reasons(model_path, config)
    if reasons:
        raise WorkerError(
            "unsafe_model",
            "model directory asks to run its own code: " + "; ".join(reasons),
            model_path=str(model_path),
            reasons=reasons,
        )
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise WorkerError("model_load_failed", "config.json has no model_type", model_path=str(model_path))
    if model_type not in supported:
        raise WorkerError(
            "unsupported_model_type",
            f"model_type {model_type!r} is not supported by this mlx-lm",
            model_type=model_type,
        )
    if not any(model_path.glob("*.safetensors")):
        raise WorkerError("model_load_failed", "no *.safetensors weights found", model_path=str(model_path))
    return model_path, config, model_type


def load_model(
    model_path_str: str, model_id: str, supported: set[str], sharded: tuple[Any, ShardPlan] | None = None
) -> LoadedModel:
    """Loads the model whole, or with `sharded=(group, plan)` this rank's shard of it (every rank calls this)."""
    model_path, config, model_type = check_model_dir(model_path_str, supported)
    import mlx.core as mx
    from mlx_lm.utils import load as mlx_load

    started = time.perf_counter()
    try:
        if sharded is None:
            model, tokenizer = mlx_load(
                str(model_path),
                tokenizer_config={"trust_remote_code": False},
                trust_remote_code=False,
            )
        else:
            model, tokenizer = load_shard(model_path, *sharded)
        try:
            generation_config = read_json(model_path / "generation_config.json") or {}
        except ValueError:
            generation_config = {}
        eos_ids = collect_eos_ids(tokenizer, config, generation_config)
        tokenizer.eos_token_ids = set(eos_ids)
    except WorkerError:
        raise
    except Exception as e:  # noqa: BLE001 - any loader failure is a model problem for the client
        raise WorkerError("model_load_failed", f"{type(e).__name__}: {e}", model_path=str(model_path)) from e
    load_time = time.perf_counter() - started
    memory = int(mx.get_active_memory()) or int(mx.get_peak_memory())
    return LoadedModel(
        model_id=model_id,
        model_path=str(model_path),
        model=model,
        tokenizer=tokenizer,
        config=config,
        context_length=context_length(config),
        model_type=model_type,
        eos_token_ids=eos_ids,
        is_reasoning=detect_reasoning(tokenizer),
        load_time_s=load_time,
        memory_bytes=memory,
        extra={"sharding": sharded[1].describe()} if sharded is not None else {},
    )


def load_shard(model_path: Path, group: Any, plan: ShardPlan) -> tuple[Any, Any]:
    """This rank's part of the model through mlx-lm's own `sharded_load`, split the way `plan` says."""
    from mlx_lm.utils import sharded_load

    tensor = group if plan.mode == "tensor" else None
    pipeline = group if plan.mode == "pipeline" else None
    return sharded_load(
        str(model_path),
        pipeline_group=pipeline,
        tensor_group=tensor,
        tokenizer_config={"trust_remote_code": False},
        trust_remote_code=False,
    )
