"""Generation semantics through the real worker, compared with mlx-lm itself."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import EXPECTED, MODEL_NAMES, MODELS_DIR
from worker_client import WorkerClient, text_of


def generate(worker: WorkerClient, **params: Any) -> list[dict[str, Any]]:
    events = worker.events(worker.send("generate", **params))
    assert events[-1]["event"] == "done", events[-1]
    return events


def reference_text(mlx_reference: Any, name: str, eos_ids: list[int], messages: Any, max_tokens: int) -> str:
    from mlx_lm.generate import generate as mlx_generate

    model, tokenizer = mlx_reference(name)
    tokenizer.eos_token_ids = set(eos_ids)
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    return mlx_generate(model, tokenizer, prompt, max_tokens=max_tokens)


CASES = [(name, i) for name in MODEL_NAMES for i in range(len(EXPECTED[name]["cases"]))]


@pytest.mark.parametrize(("name", "index"), CASES)
def test_streamed_equals_expected_and_mlx_lm(worker: WorkerClient, mlx_reference: Any, name: str, index: int) -> None:
    case = EXPECTED[name]["cases"][index]
    events = generate(worker, model_id=name, messages=case["messages"], max_tokens=64)
    chunks = [e["text"] for e in events if e["event"] == "token"]
    assert all(chunks) and not any("\ufffd" in c for c in chunks)
    done = events[-1]
    assert done["finish_reason"] == "stop" and done["stop"]["type"] == "eos"
    assert done["usage"]["completion_tokens"] < 64
    eos_ids = EXPECTED[name]["eos_token_ids"]
    ref = reference_text(mlx_reference, name, eos_ids, case["messages"], 64)
    if EXPECTED[name]["is_reasoning"]:
        assert events[0]["reasoning"] is True
        assert text_of(events, "reasoning") == case["reasoning"]
        assert text_of(events, "content") == case["content"]
        assert text_of(events, "reasoning") + "</think>" + text_of(events, "content") == ref
    else:
        assert text_of(events) == case["text"] == ref


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_raw_prompt_parity_with_mlx_lm(worker: WorkerClient, mlx_reference: Any, name: str) -> None:
    from mlx_lm.generate import generate as mlx_generate

    prompt = "The capital of France is"
    events = generate(worker, model_id=name, prompt=prompt, max_tokens=20)
    model, tokenizer = mlx_reference(name)
    tokenizer.eos_token_ids = set(EXPECTED[name]["eos_token_ids"])
    ref = mlx_generate(model, tokenizer, prompt, max_tokens=20)
    streamed = text_of(events)
    if EXPECTED[name]["is_reasoning"]:
        # The raw prompt does not open <think>, so a model-written marker is consumed as a channel switch.
        ref = ref.replace("<think>", "").replace("</think>", "")
    assert streamed == ref
    assert events[0]["prompt_tokens"] == len(tokenizer.encode(prompt))


def test_loaded_reports_all_eos_ids(worker: WorkerClient) -> None:
    for name in MODEL_NAMES:
        loaded = worker.call("load", model_path=str(MODELS_DIR / name), model_id=name)
        assert loaded["already_loaded"] is True
        assert loaded["eos_token_ids"] == EXPECTED[name]["eos_token_ids"]
        assert loaded["context_length"] == 256
        assert loaded["is_reasoning"] == EXPECTED[name]["is_reasoning"]


@pytest.mark.parametrize("name", ["tiny-qwen2-bpe", "tiny-llama-spm"])
def test_multi_eos_ends_on_either_id(worker: WorkerClient, mlx_reference: Any, name: str) -> None:
    ends = {}
    for case in EXPECTED[name]["cases"]:
        done = generate(worker, model_id=name, messages=case["messages"], max_tokens=64)[-1]
        ends[done["stop"]["token_id"]] = case["ends_with_token"]
    _, tokenizer = mlx_reference(name)
    assert len(ends) == 2
    assert {tokenizer.convert_tokens_to_ids(t) for t in ends.values()} == set(ends)


@pytest.mark.parametrize("name", ["tiny-qwen2-bpe", "tiny-llama-spm"])
def test_stop_string_spanning_tokens_earliest_wins(worker: WorkerClient, name: str) -> None:
    stop_case = EXPECTED[name]["stop_case"]
    events = generate(worker, model_id=name, messages=stop_case["messages"], stop=stop_case["stop"], max_tokens=64)
    assert text_of(events) == stop_case["text"]
    assert events[-1]["finish_reason"] == "stop"
    assert events[-1]["stop"] == {"type": "string", "string": "END-OF-LIST"}
    # Without the stop string the same answer continues past it, over several tokens.
    full = text_of(generate(worker, model_id=name, messages=stop_case["messages"], max_tokens=64))
    assert full.startswith(stop_case["text"] + "END-OF-LIST")


def test_stop_prefix_is_released_when_it_does_not_complete(worker: WorkerClient) -> None:
    case = EXPECTED["tiny-qwen2-bpe"]["stop_case"]
    events = generate(worker, model_id="tiny-qwen2-bpe", messages=case["messages"], stop=["END-OF-LISTX"])
    assert text_of(events) == "red, green, blue END-OF-LIST and more"
    assert events[-1]["stop"]["type"] == "eos"


def test_finish_reason_length_vs_stop(worker: WorkerClient) -> None:
    messages = EXPECTED["tiny-qwen2-bpe"]["cases"][0]["messages"]
    short = generate(worker, model_id="tiny-qwen2-bpe", messages=messages, max_tokens=3)
    assert short[0]["max_tokens"] == 3 and short[0]["clamped"] is False
    assert short[-1]["finish_reason"] == "length"
    assert short[-1]["usage"]["completion_tokens"] == 3
    full = generate(worker, model_id="tiny-qwen2-bpe", messages=messages, max_tokens=64)
    assert full[-1]["finish_reason"] == "stop"
    assert text_of(full).startswith(text_of(short))


def test_budget_clamped_to_context(worker: WorkerClient) -> None:
    messages = EXPECTED["tiny-qwen2-bpe"]["cases"][0]["messages"]
    start = generate(worker, model_id="tiny-qwen2-bpe", messages=messages, max_tokens=10_000)[0]
    assert start["clamped"] is True and start["requested_max_tokens"] == 10_000
    assert start["max_tokens"] == 256 - start["prompt_tokens"]
    default = generate(worker, model_id="tiny-qwen2-bpe", messages=messages)[0]
    assert default["max_tokens"] == 256 - default["prompt_tokens"] and default["clamped"] is False


def test_context_length_exceeded(worker: WorkerClient) -> None:
    events = worker.events(worker.send("generate", model_id="tiny-qwen2-bpe", prompt="blue " * 300))
    assert len(events) == 1
    error = events[0]["error"]
    assert error["type"] == "context_length_exceeded"
    assert error["context_length"] == 256 and error["prompt_tokens"] > 256


def test_sampling_params_and_seed_are_reproducible(worker: WorkerClient) -> None:
    params = dict(
        model_id="tiny-qwen2-bpe",
        prompt="I am",
        max_tokens=12,
        temperature=1.5,
        top_p=0.95,
        top_k=50,
        min_p=0.01,
        repetition_penalty=1.2,
        seed=7,
    )
    assert text_of(generate(worker, **params)) == text_of(generate(worker, **params))


@pytest.mark.parametrize(
    "params",
    [
        {"prompt": "x"},
        {"model_id": "tiny-qwen2-bpe"},
        {"model_id": "tiny-qwen2-bpe", "prompt": "x", "messages": [{"role": "user", "content": "x"}]},
        {"model_id": "tiny-qwen2-bpe", "prompt": "x", "max_tokens": 0},
        {"model_id": "tiny-qwen2-bpe", "prompt": "x", "temperature": "hot"},
        {"model_id": "tiny-qwen2-bpe", "prompt": "x", "stop": [1]},
    ],
)
def test_bad_generate_params(worker: WorkerClient, params: dict[str, Any]) -> None:
    assert worker.call("generate", **params)["error"]["type"] == "bad_request"


def test_generate_unknown_model(worker: WorkerClient) -> None:
    error = worker.call("generate", model_id="nope", prompt="x")["error"]
    assert error["type"] == "model_not_loaded"
