"""Trains the two tokenizer kinds the runtime must handle: byte-level BPE and SentencePiece-style byte fallback."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Any

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from .specs import ModelSpec
from .tool_specs import PLAIN_TOKENS


def corpus_lines(spec: ModelSpec) -> list[str]:
    # Repeated so merges favour the taught answers; filler widens the alphabet a little.
    lines = []
    for qa in spec.qa:
        lines += [qa.question, qa.answer] * 4
        if qa.tools or qa.messages:
            from .training import render

            lines += [render(spec, qa)] * 2
    lines += ["system", "user", "assistant", "The quick brown fox jumps over the lazy dog."]
    return lines


def train_bytelevel(spec: ModelSpec) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=list(spec.special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus_lines(spec), trainer)
    return tok


def train_spm_byte_fallback(spec: ModelSpec) -> Tokenizer:
    # Punctuation is isolated so that "END-OF-LIST" is several tokens and a stop string must span them.
    pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first"), pre_tokenizers.Punctuation("isolated")]
    )
    probe = Tokenizer(models.BPE())
    probe.pre_tokenizer = pre_tokenizer
    # A small alphabet leaves rare characters (CJK, emoji, ï) to byte fallback, as real SPM models do.
    trainer = trainers.BpeTrainer(vocab_size=110, limit_alphabet=32, show_progress=False)
    probe.train_from_iterator(corpus_lines(spec), trainer)
    trained = json.loads(probe.to_str())["model"]

    vocab: dict[str, int] = {}
    for token in spec.special_tokens:
        vocab[token] = len(vocab)
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
        vocab.setdefault(token, len(vocab))
    data: dict[str, Any] = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": vocab[t],
                "content": t,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for t in spec.special_tokens
        ],
        "normalizer": None,
        "pre_tokenizer": json.loads(pre_tokenizer.__getstate__()),
        "post_processor": None,
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ],
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": trained["merges"],
        },
    }
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def train_tokenizer(spec: ModelSpec) -> Tokenizer:
    if spec.tokenizer_kind == "bytelevel":
        return train_bytelevel(spec)
    return train_spm_byte_fallback(spec)


def added_tokens_decoder(tok: Tokenizer, tokens: Iterable[str], plain: Collection[str] = ()) -> dict[str, Any]:
    """tokenizer_config.json's `added_tokens_decoder` as transformers writes it; `plain` ones are not special."""
    return {
        str(tok.token_to_id(t)): {
            "content": t,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": t not in plain,
        }
        for t in tokens
    }


def tokenizer_config(spec: ModelSpec, tok: Tokenizer) -> dict[str, Any]:
    added = added_tokens_decoder(tok, spec.special_tokens, PLAIN_TOKENS)
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": added,
        "bos_token": spec.bos_token,
        "eos_token": spec.eos_token,
        "pad_token": spec.special_tokens[0],
        "unk_token": "<unk>" if spec.tokenizer_kind == "spm" else None,
        "model_max_length": 256,
        "clean_up_tokenization_spaces": False,
        "add_bos_token": False,
        "add_eos_token": False,
        "chat_template": spec.chat_template,
    }


def special_tokens_map(spec: ModelSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"eos_token": spec.eos_token, "pad_token": spec.special_tokens[0]}
    if spec.bos_token:
        out["bos_token"] = spec.bos_token
    if spec.tokenizer_kind == "spm":
        out["unk_token"] = "<unk>"
    out["additional_special_tokens"] = [t for t in spec.special_tokens if t not in out.values()]
    return out
