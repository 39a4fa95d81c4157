"""Checks on a model directory that run before any of its content is loaded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .errors import WorkerError

DEFAULT_CONTEXT_LENGTH = 4096
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "context_length", "max_sequence_length", "seq_len")

# Small config files only: tokenizer.json vocabularies legitimately contain tokens such as ".py".
SCANNED_CONFIGS = (
    "config.json",
    "tokenizer_config.json",
    "generation_config.json",
    "special_tokens_map.json",
    "processor_config.json",
    "preprocessor_config.json",
)
PY_REFERENCE = re.compile(r"[\w./-]*\w\.py\b")


def read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return data


def read_model_config(model_path: Path) -> dict[str, Any]:
    if not model_path.is_dir():
        raise WorkerError(
            "model_load_failed", f"model path is not a directory: {model_path}", model_path=str(model_path)
        )
    try:
        config = read_json(model_path / "config.json")
    except (ValueError, UnicodeDecodeError) as e:
        raise WorkerError("model_load_failed", f"config.json is not valid JSON: {e}", model_path=str(model_path)) from e
    if config is None:
        raise WorkerError("model_load_failed", "config.json not found", model_path=str(model_path))
    return config


def _string_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _string_values(k) + _string_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _string_values(v)]
    return []


def unsafe_reasons(model_path: Path, config: dict[str, Any]) -> list[str]:
    reasons: list[str] = []
    if "model_file" in config:
        reasons.append(f"config.json sets model_file={config['model_file']!r} (custom model code)")
    if "auto_map" in config:
        reasons.append("config.json has auto_map (custom model code)")
    try:
        tok_config = read_json(model_path / "tokenizer_config.json") or {}
    except (ValueError, UnicodeDecodeError):
        tok_config = {}
    if "auto_map" in tok_config:
        reasons.append("tokenizer_config.json has auto_map (custom tokenizer code)")
    for name in SCANNED_CONFIGS:
        try:
            data = read_json(model_path / name)
        except (ValueError, UnicodeDecodeError):
            continue
        if data is None:
            continue
        if name == "tokenizer_config.json":
            # Chat templates are text for the model, not file references.
            data = {k: v for k, v in data.items() if k != "chat_template"}
        for s in _string_values(data):
            for ref in PY_REFERENCE.findall(s):
                reasons.append(f"{name} references Python file {ref!r}")
    return sorted(set(reasons))


def context_length(config: dict[str, Any]) -> int:
    for source in (config, config.get("text_config") or {}):
        if not isinstance(source, dict):
            continue
        for key in CONTEXT_KEYS:
            value = source.get(key)
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return DEFAULT_CONTEXT_LENGTH
