"""Embedding models: loading (encoders here, decoders through mlx-lm), then pooling, normalising, truncating
to the model's length and batching for the `embed` op (docs/runtime-protocol.md §2.8)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .embedding_config import EmbeddingConfig, declares_embedding, read_embedding_config
from .encoder import ENCODER_TYPES
from .errors import WorkerError, bad_request
from .model_checks import read_model_config
from .model_loading import check_model_dir, loaded_fields

# One forward pass holds at most this many tokens (padding included); longer requests run in several.
BATCH_TOKENS = 8192
MAX_BATCH = 64


def is_embedding_request(model_path: str, req: dict[str, Any]) -> bool:
    """The client may say what the model is (its own inspection reads model cards); else the files decide."""
    kind = req.get("kind")
    if kind is not None and kind not in ("embedding", "generation"):
        raise bad_request("kind must be 'embedding' or 'generation'")
    if kind is not None:
        return kind == "embedding"
    path = Path(model_path).expanduser().resolve()
    try:
        config = read_model_config(path)
    except WorkerError:
        return False  # the generation loader reports the problem
    return declares_embedding(path, config)


@dataclass
class EmbeddingModel:
    model_id: str
    model_path: str
    model_type: str
    settings: EmbeddingConfig
    dimensions: int
    forward: Any  # (input_ids, attention_mask) -> hidden states [batch, length, hidden]
    tokenizer: Any
    pad_id: int
    load_time_s: float
    memory_bytes: int
    kind: str = "embedding"

    def describe(self, already_loaded: bool = False) -> dict[str, Any]:
        return {
            **loaded_fields(self, self.settings.max_length, already_loaded),
            "eos_token_ids": [],
            "is_reasoning": False,
            "kind": "embedding",
            "embedding": {**self.settings.describe(), "dimensions": self.dimensions},
        }


def load_embedding_model(model_path_str: str, model_id: str, supported: set[str]) -> EmbeddingModel:
    # Encoders are ours, decoders must be an architecture mlx-lm has; the safety checks are the same.
    model_path, config, model_type = check_model_dir(model_path_str, supported | set(ENCODER_TYPES))
    settings = read_embedding_config(model_path, config)
    import mlx.core as mx

    started = time.perf_counter()
    try:
        tokenizer, pad_id = _load_tokenizer(model_path, settings.max_length)
        if settings.family == "encoder":
            forward, dimensions = _load_encoder(model_path, config)
        else:
            forward, dimensions = _load_decoder(model_path)
    except WorkerError:
        raise
    except Exception as e:  # noqa: BLE001 - any loader failure is a model problem for the client
        raise WorkerError("model_load_failed", f"{type(e).__name__}: {e}", model_path=str(model_path)) from e
    return EmbeddingModel(
        model_id=model_id,
        model_path=str(model_path),
        model_type=model_type,
        settings=settings,
        dimensions=dimensions,
        forward=forward,
        tokenizer=tokenizer,
        pad_id=pad_id,
        load_time_s=time.perf_counter() - started,
        memory_bytes=int(mx.get_active_memory()) or int(mx.get_peak_memory()),
    )


def _load_tokenizer(model_path: Path, max_length: int) -> tuple[Any, int]:
    """transformers reads every tokenizer layout; its Rust backend then encodes batches and reports truncation."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    wrapper = AutoTokenizer.from_pretrained(str(model_path), trust_remote_code=False)
    backend = Tokenizer.from_str(wrapper.backend_tokenizer.to_str())
    backend.no_padding()
    backend.enable_truncation(max_length)
    pad_id = wrapper.pad_token_id if isinstance(wrapper.pad_token_id, int) else 0
    return backend, pad_id


def _weights(model_path: Path) -> dict[str, Any]:
    import mlx.core as mx

    weights: dict[str, Any] = {}
    for f in sorted(model_path.glob("model*.safetensors")):
        weights.update(mx.load(str(f)))
    if not weights:
        raise WorkerError("model_load_failed", "no model*.safetensors weights found", model_path=str(model_path))
    return weights


def _load_encoder(model_path: Path, config: dict[str, Any]) -> tuple[Any, int]:
    import mlx.core as mx

    from .encoder import build_encoder

    encoder = build_encoder(config, _weights(model_path))
    mx.eval(encoder.parameters())
    return encoder, encoder.args.hidden_size


def _load_decoder(model_path: Path) -> tuple[Any, int]:
    from mlx_lm.utils import _get_classes, load_model

    def classes(config: dict[str, Any]) -> tuple[Any, Any]:
        model_class, args_class = _get_classes(config)
        return _backbone_class(model_class), args_class

    # Embedders keep no LM head: tying the embeddings leaves none to load.
    model, _ = load_model(model_path, model_config={"tie_word_embeddings": True}, get_model_classes=classes)

    def forward(input_ids: Any, _attention_mask: Any) -> Any:
        # Right padding under a causal mask: no real token ever attends to a pad, so no padding mask is needed.
        return model.model(input_ids)

    return forward, int(model.args.hidden_size)


def _backbone_class(model_class: Any) -> Any:
    class Backbone(model_class):  # type: ignore[misc,valid-type]
        def sanitize(self, weights: dict[str, Any]) -> dict[str, Any]:
            # Saved from the bare backbone (Qwen3-Embedding): no `model.` prefix and no head.
            weights = {k if k.startswith("model.") else f"model.{k}": v for k, v in weights.items()}
            weights = {k: v for k, v in weights.items() if not k.startswith(("lm_head.", "model.lm_head."))}
            return super().sanitize(weights) if hasattr(super(), "sanitize") else weights

    return Backbone


@dataclass(frozen=True)
class EmbedParams:
    model_id: str
    texts: list[str]
    dimensions: int | None


def parse_embed(req: dict[str, Any]) -> EmbedParams:
    model_id = req.get("model_id")
    if not isinstance(model_id, str) or not model_id:
        raise bad_request("model_id must be a non-empty string")
    texts = req.get("input")
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise bad_request("input must be a non-empty list of strings")
    dimensions = req.get("dimensions")
    if dimensions is not None and (not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1):
        raise bad_request("dimensions must be a positive integer")
    return EmbedParams(model_id, texts, dimensions)


def embed(loaded: EmbeddingModel, params: EmbedParams) -> dict[str, Any]:
    """The `embeddings` event: every vector as little-endian float32, row after row, in one base64 string."""
    started = time.perf_counter()
    width = _output_width(loaded, params.dimensions)
    import numpy as np

    encodings = loaded.tokenizer.encode_batch(params.texts, add_special_tokens=True)
    encoded = [e.ids for e in encodings]
    vectors = np.zeros((len(encoded), width), dtype="<f4")
    for batch in _batches(encoded):
        vectors[batch] = _embed_batch(loaded, [encoded[i] for i in batch], width)
    counts = [len(ids) for ids in encoded]
    return {
        "event": "embeddings",
        "model_id": loaded.model_id,
        "count": len(encoded),
        "dimensions": width,
        "data": base64.b64encode(vectors.tobytes()).decode("ascii"),
        "token_counts": counts,
        "truncated": [i for i, e in enumerate(encodings) if e.overflowing],
        "usage": {"prompt_tokens": sum(counts)},
        "timing": {"total_s": round(time.perf_counter() - started, 6)},
    }


def _output_width(loaded: EmbeddingModel, dimensions: int | None) -> int:
    if dimensions is None or dimensions == loaded.dimensions:
        return loaded.dimensions
    if dimensions > loaded.dimensions:
        raise bad_request(f"dimensions must be at most {loaded.dimensions} for this model")
    if not loaded.settings.matryoshka:
        raise bad_request(
            f"this model's embeddings cannot be shortened (it declares no Matryoshka training); "
            f"dimensions may only be {loaded.dimensions}"
        )
    return dimensions


def _batches(encoded: list[list[int]]) -> list[list[int]]:
    """Indices grouped by similar length, so little of each forward pass is padding."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = len(encoded[i])  # sorted: the newest is the longest
        if current and ((len(current) + 1) * longest > BATCH_TOKENS or len(current) >= MAX_BATCH):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def pad_batch(rows: list[list[int]], pad_id: int) -> tuple[Any, Any, Any]:
    """Right-padded ids, the attention mask and each row's length."""
    import mlx.core as mx

    lengths = [len(r) for r in rows]
    longest = max(lengths)
    ids = mx.array([r + [pad_id] * (longest - len(r)) for r in rows])
    mask = mx.array([[1] * n + [0] * (longest - n) for n in lengths])
    return ids, mask, mx.array(lengths)


def pool(hidden: Any, mask: Any, lengths: Any, pooling: str) -> Any:
    import mlx.core as mx

    if pooling == "cls":
        return hidden[:, 0]
    if pooling == "last":
        return hidden[mx.arange(hidden.shape[0]), lengths - 1]
    weights = mask[..., None].astype(hidden.dtype)
    return (hidden * weights).sum(axis=1) / weights.sum(axis=1)


def unit(vectors: Any) -> Any:
    import mlx.core as mx

    return vectors / mx.maximum(mx.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _embed_batch(loaded: EmbeddingModel, rows: list[list[int]], width: int) -> Any:
    import mlx.core as mx
    import numpy as np

    ids, mask, lengths = pad_batch(rows, loaded.pad_id)
    hidden = loaded.forward(ids, mask).astype(mx.float32)
    pooled = pool(hidden, mask, lengths, loaded.settings.pooling)[:, :width]
    if loaded.settings.normalize or width < loaded.dimensions:
        # Matryoshka: a shortened vector is renormalised, whatever the model does at full size.
        pooled = unit(pooled)
    return np.array(pooled, dtype="<f4")
