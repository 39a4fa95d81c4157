"""Continuous batching of generations on the same model (mlxk_runtime.batching)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import EXPECTED, MODELS_DIR
from in_process import in_process_worker, run_until_idle, sent_to, submit
from worker_client import WorkerClient, text_of

from mlxk_runtime.batching import _Slot
from mlxk_runtime.worker import Worker

TIMING_FREE = ("event", "text", "channel", "finish_reason", "stop", "usage", "prompt_tokens", "max_tokens")


@pytest.fixture(scope="module")
def harness() -> Worker:
    # Without the prompt cache: a repeated prompt would report cached tokens the first run did not.
    return in_process_worker(sorted(EXPECTED), prompt_cache_bytes=0)


def events_of(w: Worker, rid: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k in TIMING_FREE} for e in sent_to(w, rid)]


def alone(w: Worker, rid: str, **params: Any) -> list[dict[str, Any]]:
    submit(w, rid, **params)
    assert not w.batcher.batches
    run_until_idle(w)
    assert not w.batcher.batches
    return events_of(w, rid)


def batched_ids(w: Worker) -> set[str]:
    return {rid for rid, g in w.generations.items() if isinstance(g._stream, _Slot)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_concurrent_greedy_equals_sequential(harness: Worker, name: str) -> None:
    w = harness
    cases = EXPECTED[name]["cases"]
    reqs = [{"model_id": name, "messages": c["messages"]} for c in cases] * 2  # more sequences than cases
    reqs.append({"model_id": name, "messages": cases[0]["messages"], "max_tokens": 3})
    sequential = [alone(w, f"{name}-seq-{i}", **r) for i, r in enumerate(reqs)]
    for i, r in enumerate(reqs):
        submit(w, f"{name}-bat-{i}", **r)
    w._step_generations()
    assert batched_ids(w) == {f"{name}-bat-{i}" for i in range(len(reqs))}
    run_until_idle(w)
    assert not w.batcher.batches
    for i, (r, seq) in enumerate(zip(reqs, sequential, strict=True)):
        bat = events_of(w, f"{name}-bat-{i}")
        assert bat == seq
        if "max_tokens" not in r:
            case = cases[i % len(cases)]
            if "reasoning" in case:
                assert text_of(bat, "reasoning") == case["reasoning"]
                assert text_of(bat, "content") == case["content"]
            else:
                assert text_of(bat) == case["text"]
        else:
            assert bat[-1]["finish_reason"] == "length" and bat[-1]["usage"]["completion_tokens"] == 3


def test_cancel_one_batched_sequence_leaves_others_correct(harness: Worker) -> None:
    w = harness
    name = "tiny-qwen2-bpe"
    cases = EXPECTED[name]["cases"][:4]
    rids = [f"cancel-{i}" for i in range(len(cases))]
    for rid, c in zip(rids, cases, strict=True):
        submit(w, rid, model_id=name, messages=c["messages"])
    # Also one cancelled before its prompt was processed.
    submit(w, "cancel-early", model_id=name, messages=cases[0]["messages"])
    w._step_generations()
    assert batched_ids(w) == {*rids, "cancel-early"}
    w._handle("msg", {"id": "c0", "op": "cancel", "target": "cancel-early"})
    while not any(m.get("id") == rids[1] and m["event"] == "token" for m in w.conn.sent):  # type: ignore[attr-defined]
        w._step_generations()
    w._handle("msg", {"id": "c1", "op": "cancel", "target": rids[1]})
    assert len(w.generations) == 3
    run_until_idle(w)
    early = events_of(w, "cancel-early")
    assert early[-1]["finish_reason"] == "cancelled" and early[-1]["usage"]["completion_tokens"] == 0
    cancelled = events_of(w, rids[1])
    assert cancelled[-1]["finish_reason"] == "cancelled"
    assert 1 <= cancelled[-1]["usage"]["completion_tokens"] < 4
    assert cases[1]["text"].startswith(text_of(cancelled))
    for i in (0, 2, 3):
        ev = events_of(w, rids[i])
        assert text_of(ev) == cases[i]["text"] and ev[-1]["finish_reason"] == "stop"
    assert not w.batcher.batches


def test_mixed_sampling_params(harness: Worker) -> None:
    w = harness
    name = "tiny-qwen2-bpe"
    cases = EXPECTED[name]["cases"]
    stop_case = EXPECTED[name]["stop_case"]
    seeded = {"model_id": name, "messages": cases[5]["messages"], "temperature": 1.5, "seed": 7, "max_tokens": 12}
    penalty = {"model_id": name, "messages": cases[4]["messages"], "repetition_penalty": 1.3}
    ref_seeded = alone(w, "mixed-ref-seeded", **seeded)
    ref_penalty = alone(w, "mixed-ref-penalty", **penalty)
    reqs = {
        "greedy": {"model_id": name, "messages": cases[0]["messages"]},
        "hot": {"model_id": name, "messages": cases[1]["messages"], "temperature": 2.0, "top_k": 5, "max_tokens": 10},
        "nucleus": {"model_id": name, "messages": cases[2]["messages"], "temperature": 0.7, "top_p": 0.9},
        "min_p": {"model_id": name, "messages": cases[2]["messages"], "temperature": 0.7, "min_p": 0.2},
        "stop": {"model_id": name, "messages": stop_case["messages"], "stop": stop_case["stop"], "max_tokens": 64},
        "short": {"model_id": name, "messages": cases[3]["messages"], "max_tokens": 2},
        "seeded": seeded,
        "penalty": penalty,
    }
    for rid, r in reqs.items():
        submit(w, f"mixed-{rid}", **r)
    w._step_generations()
    batched = batched_ids(w)
    assert {"mixed-greedy", "mixed-hot", "mixed-nucleus", "mixed-min_p", "mixed-stop", "mixed-short"} <= batched
    assert "mixed-seeded" not in batched and "mixed-penalty" not in batched
    run_until_idle(w)
    ev = {rid: events_of(w, f"mixed-{rid}") for rid in reqs}
    for rid in reqs:
        assert ev[rid][-1]["event"] == "done", ev[rid]
    assert text_of(ev["greedy"]) == cases[0]["text"]
    hot = ev["hot"][-1]
    assert hot["finish_reason"] in ("stop", "length") and 1 <= hot["usage"]["completion_tokens"] <= 10
    assert text_of(ev["stop"]) == stop_case["text"]
    assert ev["stop"][-1]["stop"] == {"type": "string", "string": "END-OF-LIST"}
    assert ev["short"][-1]["finish_reason"] == "length" and ev["short"][-1]["usage"]["completion_tokens"] == 2
    assert cases[3]["text"].startswith(text_of(ev["short"]))
    assert ev["seeded"] == ref_seeded
    assert ev["penalty"] == ref_penalty
    assert not w.batcher.batches


def test_worker_process_concurrent_same_model(worker: WorkerClient) -> None:
    name = "tiny-llama-spm"
    cases = EXPECTED[name]["cases"]
    rids = [worker.send("generate", model_id=name, messages=c["messages"]) for c in cases]
    for rid, case in zip(rids, cases, strict=True):
        events = worker.events(rid)
        assert text_of(events) == case["text"]
        done = events[-1]
        assert done["finish_reason"] == "stop" and done["stop"]["type"] == "eos"
        assert done["usage"]["completion_tokens"] >= 1 and done["timing"]["total_s"] > 0


def test_unload_cancels_batched_sequences_and_drops_the_batch(harness: Worker) -> None:
    w = harness
    name = "tiny-qwen2-bpe-4bit"
    cases = EXPECTED[name]["cases"]
    for i in range(3):
        submit(w, f"unload-{i}", model_id=name, messages=cases[i]["messages"])
    w._step_generations()
    w._step_generations()
    assert name in w.batcher.batches
    w._handle("msg", {"id": "unload", "op": "unload", "model_id": name})
    assert not w.generations and name not in w.batcher.batches
    for i in range(3):
        assert events_of(w, f"unload-{i}")[-1]["finish_reason"] == "cancelled"
    w._handle("msg", {"id": "reload", "op": "load", "model_path": str(MODELS_DIR / name), "model_id": name})
    for i in range(2):
        submit(w, f"reload-{i}", model_id=name, messages=cases[i]["messages"])
    run_until_idle(w)
    for i in range(2):
        assert text_of(events_of(w, f"reload-{i}")) == cases[i]["text"]
