"""Cancellation and interleaved generations (on a worker slowed down per step)."""

from __future__ import annotations

from conftest import EXPECTED
from worker_client import WorkerClient, text_of

COLORS = EXPECTED["tiny-qwen2-bpe"]["cases"][3]
CAFE_SPM = EXPECTED["tiny-llama-spm"]["cases"][2]


def test_cancel_mid_generation_then_next_generation_works(slow_worker: WorkerClient) -> None:
    w = slow_worker
    rid = w.send("generate", model_id="tiny-qwen2-bpe", messages=COLORS["messages"])
    assert w.next_event(rid)["event"] == "start"
    first = w.next_event(rid)
    assert first["event"] == "token"
    ok = w.call("cancel", target=rid)
    assert ok == {"id": ok["id"], "event": "ok", "found": True}
    rest = w.events(rid)
    done = rest[-1]
    assert done["event"] == "done" and done["finish_reason"] == "cancelled"
    # Within one token step of the cancel: far fewer tokens than the full answer.
    assert done["usage"]["completion_tokens"] <= 4
    assert COLORS["text"].startswith(first["text"] + text_of(rest))
    assert w.call("cancel", target=rid)["found"] is False
    again = w.events(w.send("generate", model_id="tiny-qwen2-bpe", messages=COLORS["messages"]))
    assert text_of(again) == COLORS["text"] and again[-1]["finish_reason"] == "stop"


def test_two_generations_in_flight_interleave_and_both_complete(slow_worker: WorkerClient) -> None:
    w = slow_worker
    before = len(w.all_events)
    a = w.send("generate", model_id="tiny-qwen2-bpe", messages=COLORS["messages"])
    b = w.send("generate", model_id="tiny-llama-spm", messages=CAFE_SPM["messages"])
    c = w.send("ping")
    ev_a, ev_b = w.events(a), w.events(b)
    assert w.events(c)[-1]["event"] == "pong"
    assert text_of(ev_a) == COLORS["text"] and ev_a[-1]["finish_reason"] == "stop"
    assert text_of(ev_b) == CAFE_SPM["text"] and ev_b[-1]["finish_reason"] == "stop"
    order = [e["id"] for e in w.all_events[before:] if e.get("event") == "token"]
    last_a = len(order) - 1 - order[::-1].index(a)
    first_b = order.index(b)
    assert first_b < last_a, "generations were serialised, not interleaved"
    # The ping was answered while both were generating, not after them.
    ids = [e["id"] for e in w.all_events[before:]]
    assert ids.index(c) < len(ids) - 2


def test_same_model_two_generations(slow_worker: WorkerClient) -> None:
    w = slow_worker
    cases = EXPECTED["tiny-qwen2-bpe"]["cases"]
    rids = [w.send("generate", model_id="tiny-qwen2-bpe", messages=c["messages"]) for c in cases[:3]]
    for rid, case in zip(rids, cases[:3], strict=True):
        assert text_of(w.events(rid)) == case["text"]
