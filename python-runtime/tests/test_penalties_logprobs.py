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
    events = worker.events(worker.send("generate", model_id=MODEL, messages=MESSAGES, max_tokens=24, **params))
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
    ids = [lp["token_id"] for e in events if e["event"] == "token" for lp in e.get("logprobs", [])]
    assert ids and all(i == forced for i in ids)


@pytest.mark.parametrize("param", ["presence_penalty", "frequency_penalty"])
def test_penalties_are_applied(worker: WorkerClient, param: str) -> None:
    plain = generate(worker, max_tokens=64)
    penalised = generate(worker, max_tokens=64, **{param: 2.0})
    rewarded = generate(worker, max_tokens=64, **{param: -2.0})
    assert penalised[-1]["event"] == rewarded[-1]["event"] == "done"
    # A strong penalty either way changes greedy output of a tiny model on a repetitive answer.
    assert text_of(penalised) != text_of(plain) or text_of(rewarded) != text_of(plain)


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
    entries = [lp for e in events if e["event"] == "token" for lp in e.get("logprobs", [])]
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
