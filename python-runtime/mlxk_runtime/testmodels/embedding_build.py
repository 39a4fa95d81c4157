"""Builds the tiny embedding test models: a real tokenizer, a brief contrastive training on paraphrase groups,
and the sentence-transformers files (modules.json, 1_Pooling) that tell the runtime how to pool."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
from mlx.utils import tree_flatten
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from ..embeddings import pad_batch, pool, unit
from .embedding_specs import TOPICS, EmbedderSpec
from .model_writer import write_json
from .tokenizer_build import added_tokens_decoder

BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
TEMPERATURE = 0.1
README = """---
library_name: sentence-transformers
pipeline_tag: sentence-similarity
tags:
- mlx
- sentence-transformers
- test-fixture
{extra_tags}license: mit
---

# {name}

Tiny {model_type} embedding model trained for a few seconds, contrastively, on paraphrase groups by
`scripts/build-test-models.sh`. It exists only to test the mlxk runtime: what it must rank is in
`../expected-embeddings.json`.
"""


def sentences() -> tuple[list[str], list[int]]:
    texts = [t for group in TOPICS for t in group]
    labels = [g for g, group in enumerate(TOPICS) for _ in group]
    return texts, labels


def train_tokenizer(spec: EmbedderSpec) -> Tokenizer:
    texts = sentences()[0] * 3
    if spec.tokenizer_kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(
            vocab_size=spec.vocab_size, special_tokens=list(BERT_SPECIALS), show_progress=False
        )
        tok.train_from_iterator(texts, trainer)
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
        )
        return tok
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=list(QWEN_SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    # Qwen3-Embedding's tokenizer appends <|endoftext|>, whose state is the sentence's embedding.
    eot = tok.token_to_id("<|endoftext|>")
    tok.post_processor = processors.TemplateProcessing(
        single="$A <|endoftext|>", pair="$A <|endoftext|> $B:1 <|endoftext|>:1", special_tokens=[("<|endoftext|>", eot)]
    )
    return tok


def model_config(spec: EmbedderSpec, tok: Tokenizer) -> dict[str, Any]:
    common = {
        "model_type": spec.model_type,
        "architectures": [spec.architecture],
        "hidden_size": spec.hidden_size,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": spec.hidden_size * 2,
        "vocab_size": tok.get_vocab_size(),
        "torch_dtype": "float32",
    }
    if spec.model_type == "bert":
        return {
            **common,
            "max_position_embeddings": 128,
            "type_vocab_size": 2,
            "layer_norm_eps": 1e-12,
            "hidden_act": "gelu",
            "pad_token_id": tok.token_to_id("[PAD]"),
        }
    return {
        **common,
        "num_key_value_heads": 2,
        "head_dim": spec.hidden_size // 4,
        "rms_norm_eps": 1e-6,
        "max_position_embeddings": 512,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "eos_token_id": tok.token_to_id("<|endoftext|>"),
    }


def build_network(spec: EmbedderSpec, config: dict[str, Any]) -> tuple[nn.Module, Any]:
    """The module to train and its forward pass, the same ones the runtime runs."""
    if spec.model_type == "bert":
        from ..encoder import Encoder, EncoderArgs

        encoder = Encoder(EncoderArgs.from_config(config))
        return encoder, encoder
    from .training import build_model

    model = build_model(config)
    return model, lambda ids, _mask: model.model(ids)


def train(spec: EmbedderSpec, tok: Tokenizer, config: dict[str, Any], budget_s: float = 30.0) -> nn.Module:
    mx.random.seed(spec.seed)
    module, forward = build_network(spec, config)
    texts, labels = sentences()
    rows = [e.ids[: spec.max_seq_length] for e in tok.encode_batch(texts)]
    ids, mask, lengths = pad_batch(rows, 0)
    same = mx.array(labels)[:, None] == mx.array(labels)[None, :]
    eye = mx.eye(len(texts), dtype=mx.bool_)
    positives = (same & ~eye).astype(mx.float32)

    def embed_all() -> mx.array:
        return unit(pool(forward(ids, mask), mask, lengths, spec.pooling))

    def separated() -> bool:
        sims = embed_all() @ embed_all().T
        near = mx.where(positives > 0, sims, 2.0).min(axis=1)
        far = mx.where(same, -2.0, sims).max(axis=1)
        # A margin, so that a rebuild on other float math still ranks every paraphrase first.
        return bool((near - far > 0.2).all().item())

    def loss_fn(_module: nn.Module) -> mx.array:
        vectors = embed_all()
        logits = mx.where(eye, -1e9, vectors @ vectors.T / TEMPERATURE)
        log_probs = logits - mx.logsumexp(logits, axis=1, keepdims=True)
        # Supervised contrastive loss: every other sentence of the group is a positive.
        return -((log_probs * positives).sum(axis=1) / positives.sum(axis=1)).mean()

    loss_and_grad = nn.value_and_grad(module, loss_fn)
    optimizer = optim.AdamW(learning_rate=2e-3, weight_decay=0.0)
    started = time.perf_counter()
    step = 0
    while step < spec.steps and time.perf_counter() - started < budget_s:
        loss, grads = loss_and_grad(module)
        optimizer.update(module, grads)
        mx.eval(module.parameters(), optimizer.state, loss)
        step += 1
        if step % 10 == 0 and separated():
            break
    print(f"  {spec.name}: {step} steps, loss {loss.item():.4f}, {time.perf_counter() - started:.1f}s", flush=True)
    return module


def tokenizer_files(spec: EmbedderSpec, tok: Tokenizer, out: Path) -> None:
    (out / "tokenizer.json").write_text(tok.to_str(pretty=True) + "\n", encoding="utf-8")
    specials = BERT_SPECIALS if spec.tokenizer_kind == "wordpiece" else QWEN_SPECIALS
    added = added_tokens_decoder(tok, specials)
    config: dict[str, Any] = {"added_tokens_decoder": added, "model_max_length": spec.max_seq_length}
    if spec.tokenizer_kind == "wordpiece":
        vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
        (out / "vocab.txt").write_text("".join(f"{t}\n" for t, _ in vocab), encoding="utf-8")
        names = dict(
            zip(("pad_token", "unk_token", "cls_token", "sep_token", "mask_token"), BERT_SPECIALS, strict=True)
        )
        config.update(tokenizer_class="BertTokenizer", do_lower_case=True, **names)
    else:
        names = {"pad_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}
        config.update(tokenizer_class="Qwen2Tokenizer", padding_side="left", **names)
    write_json(out / "tokenizer_config.json", config)
    write_json(out / "special_tokens_map.json", names)


def sentence_transformers_files(spec: EmbedderSpec, out: Path) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if spec.normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        (out / "2_Normalize").mkdir(exist_ok=True)
        # sentence-transformers writes an empty folder; git keeps none, so it gets an (empty) config.
        write_json(out / "2_Normalize" / "config.json", {})
    write_json(out / "modules.json", modules)
    (out / "1_Pooling").mkdir(exist_ok=True)
    pooling = {
        "word_embedding_dimension": spec.hidden_size,
        "pooling_mode_cls_token": spec.pooling == "cls",
        "pooling_mode_mean_tokens": spec.pooling == "mean",
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": spec.pooling == "last",
        "include_prompt": True,
    }
    write_json(out / "1_Pooling" / "config.json", pooling)
    write_json(out / "sentence_bert_config.json", {"max_seq_length": spec.max_seq_length, "do_lower_case": False})
    st_config: dict[str, Any] = {"similarity_fn_name": "cosine"}
    if spec.matryoshka:
        st_config["matryoshka_dimensions"] = [spec.hidden_size, spec.hidden_size // 2, spec.hidden_size // 4]
    write_json(out / "config_sentence_transformers.json", st_config)


def write_embedder_dir(
    out: Path, spec: EmbedderSpec, tok: Tokenizer, config: dict[str, Any], module: nn.Module
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    weights = dict(tree_flatten(module.parameters()))
    if spec.model_type == "bert":
        weights = {_hf_bert_name(k): v for k, v in weights.items()}
    else:
        # As Qwen3-Embedding ships: the bare backbone, without the `model.` prefix of a causal LM.
        weights = {k.removeprefix("model."): v for k, v in weights.items()}
    mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "mlx"})
    write_json(out / "config.json", config)
    tokenizer_files(spec, tok, out)
    sentence_transformers_files(spec, out)
    tags = "- matryoshka\n" if spec.matryoshka else ""
    readme = README.format(name=spec.name, model_type=spec.model_type, extra_tags=tags)
    (out / "README.md").write_text(readme, encoding="utf-8")


def _hf_bert_name(name: str) -> str:
    """Our encoder's parameter names back to Hugging Face's BertModel names, as real checkpoints have them."""
    name = name.replace("layers.", "encoder.layer.")
    name = name.replace(".attention.query", ".attention.self.query").replace(".attention.key", ".attention.self.key")
    name = name.replace(".attention.value", ".attention.self.value")
    name = name.replace(".attention_output.", ".attention.output.")
    return name.replace(".intermediate.", ".intermediate.dense.")


def expected_entry(spec: EmbedderSpec) -> dict[str, Any]:
    return {
        "model_type": spec.model_type,
        "tokenizer": spec.tokenizer_kind,
        "family": "encoder" if spec.model_type == "bert" else "decoder",
        "pooling": spec.pooling,
        "normalize": spec.normalize,
        "max_length": spec.max_seq_length,
        "dimensions": spec.hidden_size,
        "matryoshka": spec.matryoshka,
        "topics": [list(group) for group in TOPICS],
    }


def build_embedders(out: Path, only: set[str] | None = None) -> dict[str, Any]:
    import shutil

    from .embedding_specs import EMBEDDER_SPECS

    expected: dict[str, Any] = {}
    for name, spec in EMBEDDER_SPECS.items():
        if only is not None and name not in only:
            continue
        shutil.rmtree(out / name, ignore_errors=True)
        tok = train_tokenizer(spec)
        config = model_config(spec, tok)
        write_embedder_dir(out / name, spec, tok, config, train(spec, tok, config))
        expected[name] = expected_entry(spec)
    return expected


def verify_embedder(path: Path, entry: dict[str, Any]) -> list[str]:
    """Through the runtime's own loader: each sentence is nearer its paraphrases than any other group."""
    import base64

    import numpy as np

    from ..embeddings import EmbedParams, embed, load_embedding_model
    from ..model_loading import supported_model_types

    loaded = load_embedding_model(str(path), path.name, set(supported_model_types()))
    problems = [
        f"{path.name}: {key} is {loaded.settings.describe()[key]!r}, want {entry[key]!r}"
        for key in ("family", "pooling", "normalize", "max_length", "matryoshka")
        if loaded.settings.describe()[key] != entry[key]
    ]
    texts = [t for group in entry["topics"] for t in group]
    event = embed(loaded, EmbedParams(path.name, texts, None))
    vectors = np.frombuffer(base64.b64decode(event["data"]), dtype="<f4").reshape(len(texts), -1)
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = vectors @ vectors.T
    size = len(entry["topics"][0])
    for i, text in enumerate(texts):
        group = i // size
        near = [sims[i, j] for j in range(len(texts)) if j // size == group and j != i]
        far = [sims[i, j] for j in range(len(texts)) if j // size != group]
        if min(near) <= max(far):
            problems.append(f"{path.name}: {text!r} is not nearer its paraphrases ({min(near):.3f} <= {max(far):.3f})")
    return problems
