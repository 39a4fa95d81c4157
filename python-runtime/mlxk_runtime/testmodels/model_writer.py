"""Writes a trained tiny model as a Hugging Face / MLX model directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten
from tokenizers import Tokenizer

from .specs import ModelSpec
from .tokenizer_build import special_tokens_map, tokenizer_config
from .tool_specs import PLAIN_TOKENS

README = """---
library_name: mlx
tags:
- mlx
- test-fixture
pipeline_tag: text-generation
license: mit
---

# {name}

Tiny {model_type} model trained for a few seconds on a synthetic Q/A set by
`scripts/build-test-models.sh`. It exists only to test the mlxk runtime: its greedy answers are listed in
`../expected.json`. {note}
"""


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def tokenizer_json(spec: ModelSpec, tok: Tokenizer) -> str:
    data = json.loads(tok.to_str())
    for added in data.get("added_tokens", []):
        # Reasoning and tool-call markers are text the model writes, not control tokens (as in Qwen3).
        if added["content"] in PLAIN_TOKENS:
            added["special"] = False
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write_model_dir(
    out: Path, spec: ModelSpec, tok: Tokenizer, config: dict[str, Any], model: nn.Module, note: str = ""
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    weights = dict(tree_flatten(model.parameters()))
    mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "mlx"})
    write_json(out / "config.json", config)
    (out / "tokenizer.json").write_text(tokenizer_json(spec, tok), encoding="utf-8")
    write_json(out / "tokenizer_config.json", tokenizer_config(spec, tok))
    write_json(out / "special_tokens_map.json", special_tokens_map(spec))
    generation_eos = [tok.token_to_id(t) for t in spec.generation_eos]
    generation: dict[str, Any] = {"eos_token_id": generation_eos, "do_sample": False}
    if spec.bos_token:
        generation["bos_token_id"] = tok.token_to_id(spec.bos_token)
    write_json(out / "generation_config.json", generation)
    (out / "README.md").write_text(
        README.format(name=out.name, model_type=spec.model_type, note=note).rstrip() + "\n", encoding="utf-8"
    )
