"""How a model directory says it embeds: sentence-transformers' modules.json, its Pooling and Normalize modules,
its max_seq_length, and whether the vectors may be cut short (Matryoshka), read as plain JSON before loading."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .encoder import ENCODER_TYPES
from .errors import WorkerError
from .model_checks import context_length, read_json

POOLING_TYPE = "sentence_transformers.models.Pooling"
NORMALIZE_TYPE = "sentence_transformers.models.Normalize"
# Pooling modes sentence-transformers writes, in the order its Pooling module reads them.
POOLING_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_lasttoken": "last",
}
UNSUPPORTED_POOLING_KEYS = (
    "pooling_mode_max_tokens",
    "pooling_mode_mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens",
)
MATRYOSHKA_TAGS = ("matryoshka", "loss:matryoshkaloss")
# Decoder embedders whose model cards document Matryoshka (MRL) output sizes.
MATRYOSHKA_FAMILIES = ("qwen3",)
# A tokenizer that states no limit says model_max_length = 1e30.
UNSET_MAX_LENGTH = 1_000_000


@dataclass(frozen=True)
class EmbeddingConfig:
    family: str  # "encoder" (bidirectional) or "decoder" (causal)
    pooling: str  # "mean", "cls" or "last"
    normalize: bool
    max_length: int
    matryoshka: bool

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def declares_embedding(model_path: Path, config: dict[str, Any]) -> bool:
    """An embedding model by its own files: sentence-transformers modules, or an encoder that cannot generate."""
    if (model_path / "modules.json").is_file() or any(model_path.glob("*_Pooling/config.json")):
        return True
    return config.get("model_type") in ENCODER_TYPES


def read_embedding_config(model_path: Path, config: dict[str, Any]) -> EmbeddingConfig:
    model_type = str(config.get("model_type", ""))
    family = "encoder" if model_type in ENCODER_TYPES else "decoder"
    modules = _read(model_path, "modules.json")
    modules = modules if isinstance(modules, list) else []
    pooling = _pooling(model_path, modules, family)
    normalize = any(isinstance(m, dict) and m.get("type") == NORMALIZE_TYPE for m in modules)
    if not modules and family == "decoder":
        # Decoder embedders (Qwen3-Embedding, e5-mistral, gte-Qwen) all compare normalised last-token states.
        normalize = True
    return EmbeddingConfig(
        family=family,
        pooling=pooling,
        normalize=normalize,
        max_length=_max_length(model_path, config),
        matryoshka=_matryoshka(model_path, config, family),
    )


def _read(model_path: Path, name: str) -> Any:
    path = model_path / name
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise WorkerError("model_load_failed", f"{name} is not valid JSON: {e}", model_path=str(model_path)) from e


def _pooling(model_path: Path, modules: list[Any], family: str) -> str:
    folder = next(
        (m.get("path") for m in modules if isinstance(m, dict) and m.get("type") == POOLING_TYPE and m.get("path")),
        None,
    )
    # A module path is a folder of the model, never a way out of it.
    inside = isinstance(folder, str) and "/" not in folder and folder not in (".", "..")
    settings = _read(model_path, f"{folder}/config.json") if inside else None
    if settings is None:
        found = sorted(model_path.glob("*_Pooling/config.json"))
        settings = _read(model_path, found[0].relative_to(model_path).as_posix()) if found else None
    if not isinstance(settings, dict):
        # Without a Pooling module: sentence-transformers' default (mean) for encoders, the last token for decoders.
        return "mean" if family == "encoder" else "last"
    chosen = [mode for key, mode in POOLING_KEYS.items() if settings.get(key) is True]
    unsupported = [key for key in UNSUPPORTED_POOLING_KEYS if settings.get(key) is True]
    if unsupported or len(chosen) != 1:
        raise WorkerError(
            "model_load_failed",
            "unsupported pooling: mlxk pools by exactly one of cls, mean or last token "
            f"(the model asks for {', '.join(unsupported + chosen) or 'none'})",
            model_path=str(model_path),
        )
    return chosen[0]


def _max_length(model_path: Path, config: dict[str, Any]) -> int:
    limits = [context_length(config)]
    if config.get("model_type") in ("roberta", "xlm-roberta"):
        # Two positions are taken by the padding offset.
        limits.append(int(config.get("max_position_embeddings", limits[0])) - int(config.get("pad_token_id", 1)) - 1)
    st_config = _read(model_path, "sentence_bert_config.json")
    if isinstance(st_config, dict) and isinstance(st_config.get("max_seq_length"), int):
        limits.append(st_config["max_seq_length"])
    try:
        tok_config = read_json(model_path / "tokenizer_config.json") or {}
    except (ValueError, UnicodeDecodeError):
        tok_config = {}
    tok_max = tok_config.get("model_max_length")
    if isinstance(tok_max, int | float) and 0 < tok_max < UNSET_MAX_LENGTH:
        limits.append(int(tok_max))
    return max(1, min(limits))


def _matryoshka(model_path: Path, config: dict[str, Any], family: str) -> bool:
    st = _read(model_path, "config_sentence_transformers.json")
    for source in (config, st if isinstance(st, dict) else {}):
        if isinstance(source.get("matryoshka_dimensions"), list) and source["matryoshka_dimensions"]:
            return True
    if family == "decoder" and config.get("model_type") in MATRYOSHKA_FAMILIES:
        return True
    readme = model_path / "README.md"
    if readme.is_file():
        head = readme.read_text(encoding="utf-8", errors="replace")[:8192].lower()
        if head.startswith("---") and any(f"- {tag}\n" in head for tag in MATRYOSHKA_TAGS):
            return True
    return False
