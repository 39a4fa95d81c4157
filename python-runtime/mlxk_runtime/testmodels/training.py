"""Builds and briefly trains a tiny mlx-lm model until it answers its Q/A pairs greedily and stops on EOS."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
from tokenizers import Tokenizer

from .specs import QA, ModelSpec

CONTEXT_LENGTH = 256


@dataclass
class Example:
    prompt_ids: list[int]
    answer_ids: list[int]
    answer_text: str


def render(spec: ModelSpec, qa: QA) -> str:
    """The prompt as transformers renders it at inference time (its Jinja environment and `tojson`)."""
    from transformers.utils.chat_template_utils import _compile_jinja_template

    return str(
        _compile_jinja_template(spec.chat_template).render(
            messages=qa.conversation(),
            tools=list(qa.tools) or None,
            add_generation_prompt=True,
            bos_token=spec.bos_token or "",
        )
    )


def examples(spec: ModelSpec, tok: Tokenizer) -> list[Example]:
    out = []
    for qa in spec.qa:
        prompt_ids = tok.encode(render(spec, qa), add_special_tokens=False).ids
        end_id = tok.token_to_id(qa.end_token or spec.end_of_turn)
        answer_ids = tok.encode(qa.answer, add_special_tokens=False).ids + [end_id]
        out.append(Example(prompt_ids, answer_ids, qa.answer))
    return out


def model_config(spec: ModelSpec, tok: Tokenizer) -> dict[str, Any]:
    ids = lambda names: [tok.token_to_id(n) for n in names]  # noqa: E731
    config: dict[str, Any] = {
        "model_type": spec.model_type,
        "architectures": [spec.architecture],
        "hidden_size": spec.hidden_size,
        "num_hidden_layers": 2,
        "intermediate_size": spec.hidden_size * 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": spec.hidden_size // 4,
        "rms_norm_eps": 1e-6,
        "vocab_size": tok.get_vocab_size(),
        "max_position_embeddings": CONTEXT_LENGTH,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
    }
    eos = ids(spec.config_eos)
    config["eos_token_id"] = eos[0] if len(eos) == 1 else eos
    if spec.bos_token:
        config["bos_token_id"] = tok.token_to_id(spec.bos_token)
    return config


def build_model(config: dict[str, Any]) -> nn.Module:
    import importlib

    arch = importlib.import_module(f"mlx_lm.models.{config['model_type']}")
    return arch.Model(arch.ModelArgs.from_dict(config))


def greedy(model: nn.Module, prompt_ids: list[int], stop_ids: set[int], limit: int) -> list[int]:
    from mlx_lm.models.cache import make_prompt_cache

    cache = make_prompt_cache(model)
    logits = model(mx.array([prompt_ids]), cache=cache)
    out: list[int] = []
    for _ in range(limit):
        token = int(mx.argmax(logits[0, -1]).item())
        out.append(token)
        if token in stop_ids:
            break
        logits = model(mx.array([[token]]), cache=cache)
    return out


def all_correct(model: nn.Module, data: list[Example], stop_ids: set[int]) -> bool:
    return all(greedy(model, ex.prompt_ids, stop_ids, len(ex.answer_ids) + 2) == ex.answer_ids for ex in data)


def train(spec: ModelSpec, tok: Tokenizer, config: dict[str, Any], budget_s: float = 60.0) -> nn.Module:
    mx.random.seed(spec.seed)
    model = build_model(config)
    data = examples(spec, tok)
    width = max(len(e.prompt_ids) + len(e.answer_ids) for e in data)
    inputs, targets, mask = [], [], []
    for e in data:
        seq = e.prompt_ids + e.answer_ids
        pad = width - len(seq)
        inputs.append(seq[:-1] + [0] * pad)
        targets.append(seq[1:] + [0] * pad)
        # Loss only on the answer (and its end token): the prompt is given at inference time.
        mask.append([0] * (len(e.prompt_ids) - 1) + [1] * len(e.answer_ids) + [0] * pad)
    x, y, m = mx.array(inputs), mx.array(targets), mx.array(mask, dtype=mx.float32)

    def loss_fn(model: nn.Module) -> mx.array:
        logits = model(x)
        return (nn.losses.cross_entropy(logits, y) * m).sum() / m.sum()

    loss_and_grad = nn.value_and_grad(model, loss_fn)
    optimizer = optim.AdamW(learning_rate=3e-3, weight_decay=0.0)
    stop_ids = {tok.token_to_id(t) for t in (spec.end_of_turn, *spec.generation_eos)}
    started = time.perf_counter()
    step = 0
    correct_checks = 0
    while True:
        loss, grads = loss_and_grad(model)
        optimizer.update(model, grads)
        mx.eval(model.parameters(), optimizer.state, loss)
        step += 1
        if step % 25 == 0:
            # Keep training a little past the first all-correct check so 4-bit quantization keeps the answers.
            correct_checks = correct_checks + 1 if all_correct(model, data, stop_ids) else 0
            if correct_checks >= 3 and step >= spec.steps // 2:
                break
            if time.perf_counter() - started > budget_s:
                break
    print(f"  {spec.name}: {step} steps, loss {loss.item():.4f}, {time.perf_counter() - started:.1f}s", flush=True)
    return model
