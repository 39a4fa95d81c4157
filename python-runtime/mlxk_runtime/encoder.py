"""BERT-style encoders (bert, roberta, xlm-roberta) in MLX, loading Hugging Face weight names as they are."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
import mlx.nn as nn

ENCODER_TYPES = ("bert", "roberta", "xlm-roberta")
# Heads that sit on top of the encoder and take no part in an embedding.
_DROPPED_PREFIXES = ("pooler.", "cls.", "lm_head.", "classifier.", "qa_outputs.")


@dataclass(frozen=True)
class EncoderArgs:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_act: str = "gelu"
    # RoBERTa counts positions from padding_idx + 1; BERT from 0.
    position_offset: int = 0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EncoderArgs:
        roberta = config.get("model_type") in ("roberta", "xlm-roberta")
        return cls(
            vocab_size=int(config["vocab_size"]),
            hidden_size=int(config["hidden_size"]),
            num_hidden_layers=int(config["num_hidden_layers"]),
            num_attention_heads=int(config["num_attention_heads"]),
            intermediate_size=int(config["intermediate_size"]),
            max_position_embeddings=int(config["max_position_embeddings"]),
            type_vocab_size=int(config.get("type_vocab_size", 2)),
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
            hidden_act=str(config.get("hidden_act", "gelu")),
            position_offset=int(config.get("pad_token_id", 1)) + 1 if roberta else 0,
        )


def _activation(name: str) -> Any:
    # HF's "gelu" is the exact erf form; "gelu_new"/"gelu_pytorch_tanh" the tanh approximation.
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return nn.gelu_approx
    if name == "relu":
        return nn.relu
    return nn.gelu


class Embeddings(nn.Module):
    def __init__(self, args: EncoderArgs) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(args.vocab_size, args.hidden_size)
        self.position_embeddings = nn.Embedding(args.max_position_embeddings, args.hidden_size)
        self.token_type_embeddings = nn.Embedding(args.type_vocab_size, args.hidden_size)
        self.LayerNorm = nn.LayerNorm(args.hidden_size, eps=args.layer_norm_eps)
        self.position_offset = args.position_offset

    def __call__(self, input_ids: mx.array) -> mx.array:
        positions = mx.arange(input_ids.shape[1]) + self.position_offset
        h = self.word_embeddings(input_ids) + self.position_embeddings(positions)[None]
        # One segment: sentence embeddings never use the second token type.
        h = h + self.token_type_embeddings.weight[0]
        return self.LayerNorm(h)


class Attention(nn.Module):
    def __init__(self, args: EncoderArgs) -> None:
        super().__init__()
        self.heads = args.num_attention_heads
        self.query = nn.Linear(args.hidden_size, args.hidden_size)
        self.key = nn.Linear(args.hidden_size, args.hidden_size)
        self.value = nn.Linear(args.hidden_size, args.hidden_size)
        self.scale = 1.0 / math.sqrt(args.hidden_size // args.num_attention_heads)

    def __call__(self, h: mx.array, mask: mx.array) -> mx.array:
        batch, length, _ = h.shape

        def split(x: mx.array) -> mx.array:
            return x.reshape(batch, length, self.heads, -1).transpose(0, 2, 1, 3)

        out = mx.fast.scaled_dot_product_attention(
            split(self.query(h)), split(self.key(h)), split(self.value(h)), scale=self.scale, mask=mask
        )
        return out.transpose(0, 2, 1, 3).reshape(batch, length, -1)


class DenseNorm(nn.Module):
    """HF's `*Output` block: a projection, then a residual LayerNorm."""

    def __init__(self, dims_in: int, dims_out: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(dims_in, dims_out)
        self.LayerNorm = nn.LayerNorm(dims_out, eps=eps)

    def __call__(self, x: mx.array, residual: mx.array) -> mx.array:
        return self.LayerNorm(self.dense(x) + residual)


class Layer(nn.Module):
    def __init__(self, args: EncoderArgs) -> None:
        super().__init__()
        self.attention = Attention(args)
        self.attention_output = DenseNorm(args.hidden_size, args.hidden_size, args.layer_norm_eps)
        self.intermediate = nn.Linear(args.hidden_size, args.intermediate_size)
        self.output = DenseNorm(args.intermediate_size, args.hidden_size, args.layer_norm_eps)
        self.act = _activation(args.hidden_act)

    def __call__(self, h: mx.array, mask: mx.array) -> mx.array:
        h = self.attention_output(self.attention(h, mask), h)
        return self.output(self.act(self.intermediate(h)), h)


class Encoder(nn.Module):
    def __init__(self, args: EncoderArgs) -> None:
        super().__init__()
        self.args = args
        self.embeddings = Embeddings(args)
        self.layers = [Layer(args) for _ in range(args.num_hidden_layers)]

    def __call__(self, input_ids: mx.array, attention_mask: mx.array) -> mx.array:
        """Hidden states of the last layer, `[batch, length, hidden]`; padded keys are never attended to."""
        h = self.embeddings(input_ids)
        additive = mx.where(attention_mask[:, None, None, :].astype(mx.bool_), 0.0, -1e9).astype(h.dtype)
        for layer in self.layers:
            h = layer(h, additive)
        return h


def sanitize(weights: dict[str, mx.array]) -> dict[str, mx.array]:
    """Maps Hugging Face names (`bert.encoder.layer.0.attention.self.query.weight`, …) onto `Encoder`."""
    out: dict[str, mx.array] = {}
    for name, value in weights.items():
        for prefix in ("bert.", "roberta.", "model."):
            if name.startswith(prefix):
                name = name[len(prefix) :]
        if name.startswith(_DROPPED_PREFIXES) or name.endswith("position_ids"):
            continue
        name = (
            name.replace("encoder.layer.", "layers.")
            .replace(".attention.self.", ".attention.")
            .replace(".attention.output.", ".attention_output.")
            .replace(".intermediate.dense.", ".intermediate.")
        )
        # Checkpoints from before LayerNorm parameters were renamed.
        name = name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        out[name] = value
    return out


def build_encoder(config: dict[str, Any], weights: dict[str, mx.array]) -> Encoder:
    model = Encoder(EncoderArgs.from_config(config))
    weights = sanitize(weights)
    quantization = config.get("quantization")
    if isinstance(quantization, dict):
        # Quantize exactly the layers mlx's converter quantized: those that ship scales.
        nn.quantize(
            model,
            group_size=int(quantization.get("group_size", 64)),
            bits=int(quantization.get("bits", 4)),
            class_predicate=lambda path, _module: f"{path}.scales" in weights,
        )
    model.load_weights(list(weights.items()), strict=True)
    model.eval()
    return model
