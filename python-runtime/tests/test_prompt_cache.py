"""Prompt cache across requests (mlxk_runtime.prompt_cache): same greedy output, less prefill."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MODEL_NAMES, MODELS_DIR
from in_process import in_process_worker, run_until_idle, sent_to, submit
from worker_client import WorkerClient, text_of

from mlxk_runtime.prompt_cache import GROUP_DISABLED_REASON, PENALTY_CONTEXT, PromptCaches
from mlxk_runtime.worker import Worker

QUESTIONS = ["What is the capital of France?", "Say hello in Chinese.", "Describe the café."]
OUTPUT = ("event", "text", "channel", "finish_reason", "stop")


@pytest.fixture(scope="module")
def cached() -> Worker:
    return in_process_worker(MODEL_NAMES)


@pytest.fixture(scope="module")
def uncached() -> Worker:
    return in_process_worker(MODEL_NAMES, prompt_cache_bytes=0)


def events_of(w: Worker, rid: str) -> list[dict[str, Any]]:
    out = sent_to(w, rid)
    assert out[-1]["event"] == "done", out[-1]
    return out


def output(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k in OUTPUT} for e in events]


def generate(w: Worker, rid: str, **params: Any) -> list[dict[str, Any]]:
    submit(w, rid, **params)
    run_until_idle(w)
    return events_of(w, rid)


def next_turn(messages: list[dict[str, str]], events: list[dict[str, Any]], question: str) -> list[dict[str, str]]:
    # What a chat client sends back: the answer's content (a reasoning model's thinking is not part of history).
    answer = text_of(events, "content")
    return [*messages, {"role": "assistant", "content": answer}, {"role": "user", "content": question}]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_a_conversation_reuses_its_prefix_with_the_same_greedy_output(
    cached: Worker, uncached: Worker, name: str
) -> None:
    messages = [{"role": "user", "content": QUESTIONS[0]}]
    for turn, question in enumerate([*QUESTIONS[1:], None]):
        params = {"model_id": name, "messages": messages, "max_tokens": 24}
        with_cache = generate(cached, f"conv-{name}-{turn}", **params)
        without = generate(uncached, f"conv-{name}-{turn}", **params)
        assert output(with_cache) == output(without)
        usage = with_cache[-1]["usage"]
        assert without[-1]["usage"]["cached_tokens"] == 0
        assert "prompt_cache" not in without[-1]
        if turn == 0:
            assert usage["cached_tokens"] == 0
        else:
            # At least the previous turn's prompt up to its answer is shared (a reasoning template drops the
            # thinking, so only the true common prefix is reused).
            assert 0 < usage["cached_tokens"] < usage["prompt_tokens"], usage
        if question is not None:
            messages = next_turn(messages, with_cache, question)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_batched_sequences_start_from_cached_prefixes(cached: Worker, uncached: Worker, name: str) -> None:
    convs = [[{"role": "user", "content": q}] for q in QUESTIONS]
    for i, messages in enumerate(convs):
        first = generate(cached, f"b1-{name}-{i}", model_id=name, messages=messages, max_tokens=16)
        convs[i] = next_turn(messages, first, QUESTIONS[(i + 1) % len(QUESTIONS)])
    for i, messages in enumerate(convs):
        submit(cached, f"b2-{name}-{i}", model_id=name, messages=messages, max_tokens=16)
    cached.batcher.advance(cached.generations)
    assert name in cached.batcher.batches, "the second turns did not batch"
    run_until_idle(cached)
    for i, messages in enumerate(convs):
        batched = events_of(cached, f"b2-{name}-{i}")
        alone = generate(uncached, f"b2-{name}-{i}", model_id=name, messages=messages, max_tokens=16)
        assert output(batched) == output(alone)
        assert batched[-1]["usage"]["cached_tokens"] > 0
    # The batched sequences' KV was kept: the same requests again reuse all but their last prompt token.
    again = generate(cached, f"b3-{name}", model_id=name, messages=convs[0], max_tokens=16)
    assert again[-1]["usage"]["cached_tokens"] == again[-1]["usage"]["prompt_tokens"] - 1


def test_interleaved_conversations_each_keep_their_prefix(cached: Worker) -> None:
    name = "tiny-qwen2-bpe"
    system = {"role": "system", "content": "You are a terse assistant. " * 3}
    convs = [[system, {"role": "user", "content": q}] for q in QUESTIONS]
    previous = [0] * len(convs)
    for turn in range(3):
        for i, messages in enumerate(convs):
            events = generate(cached, f"il-{turn}-{i}", model_id=name, messages=messages, max_tokens=8)
            usage = events[-1]["usage"]
            if turn > 0:
                # Its own history, not just the shared system prompt.
                assert usage["cached_tokens"] >= previous[i], (turn, i, usage)
            previous[i] = usage["prompt_tokens"]
            convs[i] = next_turn(messages, events, QUESTIONS[(i + turn + 1) % len(QUESTIONS)])


def test_a_raw_prompt_repeated_reuses_all_but_its_last_token(cached: Worker, uncached: Worker) -> None:
    params = {"model_id": "tiny-llama-spm", "prompt": "The capital of France is", "max_tokens": 8}
    first = generate(cached, "raw-1", **params)
    second = generate(cached, "raw-2", **params)
    assert second[-1]["usage"]["cached_tokens"] == second[-1]["usage"]["prompt_tokens"] - 1
    assert output(first) == output(second) == output(generate(uncached, "raw-ref", **params))


def test_penalties_see_the_same_history_as_without_the_cache(cached: Worker, uncached: Worker) -> None:
    messages = [{"role": "user", "content": QUESTIONS[2] + " Please be detailed and vivid about it."}]
    params = {"model_id": "tiny-qwen2-bpe", "messages": messages, "max_tokens": 16, "repetition_penalty": 1.5}
    generate(cached, "pen-1", **params)
    second = generate(cached, "pen-2", **params)
    usage = second[-1]["usage"]
    assert usage["cached_tokens"] == usage["prompt_tokens"] - PENALTY_CONTEXT
    assert output(second) == output(generate(uncached, "pen-ref", **params))


def test_a_cancelled_generation_leaves_its_prefix(cached: Worker) -> None:
    messages = [{"role": "user", "content": "Describe the café, then the street outside."}]
    submit(cached, "cx-1", model_id="tiny-qwen2-think", messages=messages, max_tokens=40)
    for _ in range(3):
        cached._step_generations()
    cached._handle("msg", {"id": "cx-cancel", "op": "cancel", "target": "cx-1"})
    done = events_of(cached, "cx-1")[-1]
    assert done["finish_reason"] == "cancelled"
    again = generate(cached, "cx-2", model_id="tiny-qwen2-think", messages=messages, max_tokens=4)
    assert again[-1]["usage"]["cached_tokens"] == again[-1]["usage"]["prompt_tokens"] - 1


def test_a_small_bound_is_never_exceeded() -> None:
    name = "tiny-qwen2-bpe"
    bound = 600_000  # about three entries of this model
    w = in_process_worker([name], prompt_cache_bytes=bound)
    evicted = 0
    for turn in range(3):
        for i in range(8):
            messages = [{"role": "user", "content": f"Conversation {i}: {QUESTIONS[(i + turn) % 3]}" * (turn + 1)}]
            done = generate(w, f"bound-{turn}-{i}", model_id=name, messages=messages, max_tokens=8)[-1]
            state = done["prompt_cache"]
            assert 0 < state["bytes"] <= bound, state
            evicted += state["evicted"]
    store = w.prompt_caches.get(name)
    assert store is not None and store.nbytes <= bound
    assert evicted == store.evictions > 0


def test_unloading_frees_the_cache() -> None:
    name = "tiny-llama-spm"
    w = in_process_worker([name])
    generate(w, "u-1", model_id=name, messages=[{"role": "user", "content": QUESTIONS[0]}], max_tokens=8)
    store = w.prompt_caches.get(name)
    assert store is not None and store.nbytes > 0 and len(store) == 1
    w._handle("msg", {"id": "u-unload", "op": "unload", "model_id": name})
    assert store.nbytes == 0 and len(store) == 0
    assert w.prompt_caches.get(name) is None
    w._handle("msg", {"id": "u-load", "op": "load", "model_path": str(MODELS_DIR / name), "model_id": name})
    again = generate(w, "u-2", model_id=name, messages=[{"role": "user", "content": QUESTIONS[0]}], max_tokens=8)
    assert again[-1]["usage"]["cached_tokens"] == 0


def test_a_group_disables_the_cache_and_says_why() -> None:
    caches = PromptCaches(1 << 30, grouped=True)
    caches.open("m")
    assert caches.get("m") is None
    assert caches.describe() == {"max_bytes": 0, "disabled_reason": GROUP_DISABLED_REASON}


def test_the_worker_flag_sets_the_bound_and_zero_turns_it_off() -> None:
    name = MODEL_NAMES[0]
    for flag, max_bytes in (("0", 0), ("1234567", 1234567)):
        client = WorkerClient(worker_args=("--prompt-cache-bytes", flag))
        try:
            loaded = client.call("load", model_path=str(MODELS_DIR / name), model_id=name)
            assert loaded["prompt_cache"] == {"max_bytes": max_bytes, "disabled_reason": None}
            events = client.events(client.send("generate", model_id=name, prompt="Hi", max_tokens=2))
            assert ("prompt_cache" in events[-1]) == (max_bytes > 0)
        finally:
            client.close()
