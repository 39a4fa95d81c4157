"""Presence/frequency penalties, logit_bias and logprobs through the real worker."""

from __future__ import annotations

import math
from typing import Any

import pytest
from conftest import EXPECTED
from worker_client import WorkerClient, text_of

MODEL = "tiny-qwen2-bpe"
MESSAGES = EXPECTED[MODEL]["cases"][0]["messages"]


def generate(worker: WorkerClient, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("max_tokens", 24)
    events = worker.events(worker.send("generate", model_id=MODEL, messages=MESSAGES, **params))
    assert events[-1]["event"] == "done", events[-1]
    return events


def first_token_id(worker: WorkerClient) -> int:
    events = generate(worker, logprobs=True)
    return next(e for e in events if e["event"] == "token")["logprobs"][0]["token_id"]


def test_logit_bias_changes_the_first_token(worker: WorkerClient) -> None:
    plain = generate(worker)
    first = first_token_id(worker)
    biased = generate(worker, logit_bias={str(first): -100}, logprobs=True)
    assert text_of(biased) != text_of(plain)
    assert next(e for e in biased if e["event"] == "token")["logprobs"][0]["token_id"] != first


def test_positive_logit_bias_forces_a_token(worker: WorkerClient) -> None:
    forced = first_token_id(worker) + 1
    events = generate(worker, logit_bias={str(forced): 100}, logprobs=True, max_tokens=3)
    ids = [lp["token_id"] for lp in entries_of(events)]
    assert ids and all(i == forced for i in ids)


def entries_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [lp for e in events if e["event"] == "token" for lp in e.get("logprobs", [])]


@pytest.mark.parametrize("param", ["presence_penalty", "frequency_penalty"])
def test_penalties_are_applied(worker: WorkerClient, param: str) -> None:
    # The tiny model is too confident for a penalty to flip its greedy answer, but logprobs are taken after the
    # logits processors, so a penalty on tokens already in the context shows in them.
    plain = entries_of(generate(worker, logprobs=True, max_tokens=8))
    penalised = entries_of(generate(worker, logprobs=True, max_tokens=8, **{param: 2.0}))
    n = min(len(plain), len(penalised))
    assert n > 0
    same_prefix = [i for i in range(n) if plain[i]["token_id"] == penalised[i]["token_id"]]
    assert same_prefix
    # A positive penalty lowers the probability of some already seen token that is still chosen.
    assert any(penalised[i]["logprob"] < plain[i]["logprob"] - 1e-4 for i in same_prefix)


def test_zero_penalties_and_empty_bias_are_no_ops(worker: WorkerClient) -> None:
    plain = generate(worker)
    same = generate(worker, presence_penalty=0, frequency_penalty=0, logit_bias={})
    assert text_of(same) == text_of(plain)


@pytest.mark.parametrize(
    "params",
    [
        {"presence_penalty": 2.5},
        {"frequency_penalty": -3},
        {"presence_penalty": "1"},
        {"logit_bias": {"abc": 1}},
        {"logit_bias": {"1": 101}},
        {"logit_bias": [1]},
        {"logit_bias": {"99999999": 1}},
        {"logprobs": "yes"},
        {"logprobs": True, "top_logprobs": 21},
    ],
)
def test_bad_params_are_rejected(worker: WorkerClient, params: dict[str, Any]) -> None:
    events = worker.events(worker.send("generate", model_id=MODEL, messages=MESSAGES, max_tokens=4, **params))
    assert events[-1]["event"] == "error"
    assert events[-1]["error"]["type"] == "bad_request"


def test_greedy_logprobs_are_the_max_and_not_positive(worker: WorkerClient) -> None:
    events = generate(worker, logprobs=True, top_logprobs=3)
    plain = generate(worker)
    assert text_of(events) == text_of(plain)
    entries = entries_of(events)
    assert entries
    for entry in entries:
        assert entry["logprob"] <= 0 and math.isfinite(entry["logprob"])
        top = entry["top_logprobs"]
        assert len(top) == 3
        assert [t["logprob"] for t in top] == sorted((t["logprob"] for t in top), reverse=True)
        assert top[0]["token_id"] == entry["token_id"]
        assert top[0]["logprob"] == pytest.approx(entry["logprob"])
    # Each entry belongs to emitted text; EOS is not reported, so entries ≤ completion tokens.
    assert len(entries) <= events[-1]["usage"]["completion_tokens"]
    assert "".join(e["token"] for e in entries) == text_of(events)


def test_without_logprobs_events_are_unchanged(worker: WorkerClient) -> None:
    events = generate(worker)
    assert all("logprobs" not in e for e in events)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, True),
        ({"presence_penalty": 0, "frequency_penalty": 0, "logit_bias": {}, "logprobs": False}, True),
        ({"presence_penalty": 0.5}, False),
        ({"frequency_penalty": -1}, False),
        ({"logit_bias": {"3": 1}}, False),
        ({"logprobs": True}, False),
    ],
)
def test_processors_and_logprobs_keep_the_unbatched_path(extra: dict[str, Any], expected: bool) -> None:
    from types import SimpleNamespace

    from mlxk_runtime.batching import batchable
    from mlxk_runtime.generation_params import parse_generate

    params = parse_generate({"model_id": MODEL, "prompt": "x", **extra})
    assert batchable(SimpleNamespace(params=params)) is expected  # type: ignore[arg-type]
