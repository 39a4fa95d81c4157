"""Constrained decoding (mlxk_runtime.constrained, docs/structured-output.md): what each guarantee rests on.

Every answer that ends with finish "stop" parses and validates, on the trained test models and on a random-weight
model, greedy and sampled, alone and batched, on a reasoning model, and on a distributed group; whitespace is
bounded; nothing comes before or after the JSON; a cut answer is "length"; a schema the engine cannot enforce, or
an invalid one, is a typed error before `start`.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import EXPECTED, MODELS_DIR
from in_process import in_process_worker, run_until_idle, sent_to, submit
from test_batching import batched_ids
from worker_client import WorkerClient, text_of

from mlxk_runtime import constrained
from mlxk_runtime.text_filters import ReasoningSplitter
from mlxk_runtime.worker import Worker

RANDOM = "random-qwen2"
MODELS = [*sorted(EXPECTED), RANDOM]
# Every part bounded (string lengths, enums, integer ranges, item counts), so with bounded whitespace no answer can
# run to the budget: each one must end with "stop".
BOUNDED = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 8},
        "kind": {"enum": ["fruit", "tool", "city"]},
        "sizes": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 99}, "maxItems": 3},
            "maxItems": 3,
        },
        "ok": {"type": "boolean"},
    },
    "required": ["name", "kind", "sizes", "ok"],
    "additionalProperties": False,
}
# The most whitespace JSON_OPTIONS allows in one place: one space.
MAX_BLANK_RUN = 1


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Worker:
    """An in-process worker with every test model and a small random-weight model (bench/runtime's maker)."""
    maker = Path(__file__).resolve().parents[2] / "bench" / "runtime" / "make_random_model.py"
    spec = importlib.util.spec_from_file_location("make_random_model", maker)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    random_dir = tmp_path_factory.mktemp("random-model")
    module.main(str(MODELS_DIR / "tiny-qwen2-bpe"), str(random_dir), hidden=64, layers=2)
    worker = in_process_worker(sorted(EXPECTED))
    worker._handle("msg", {"id": "load-random", "op": "load", "model_path": str(random_dir), "model_id": RANDOM})
    assert worker.conn.sent[-1]["event"] == "loaded", worker.conn.sent[-1]  # type: ignore[attr-defined]
    return worker


def generate(w: Worker, rid: str, **params: Any) -> list[dict[str, Any]]:
    submit(w, rid, **params)
    run_until_idle(w)
    return sent_to(w, rid)


def prompt_of(model: str) -> list[dict[str, str]]:
    cases = EXPECTED.get(model, EXPECTED["tiny-qwen2-bpe"])["cases"]
    return cases[0]["messages"]


def assert_valid(events: list[dict[str, Any]], schema: dict[str, Any]) -> Any:
    """A "stop" answer is exactly one JSON value (nothing around it) that validates; returns it."""
    done = events[-1]
    assert done["event"] == "done" and done["finish_reason"] == "stop", done
    assert done["stop"]["type"] == "eos"
    content = text_of(events, "content")
    assert content[:1] in ("{", "[") and content[-1:] in ("}", "]"), repr(content)
    value = json.loads(content)
    jsonschema.validate(value, schema)
    assert longest_blank_run(content) <= MAX_BLANK_RUN, repr(content)
    return value


def longest_blank_run(text: str) -> int:
    """The longest run of whitespace outside JSON strings."""
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    return max((len(m) for m in re.findall(r"\s+", outside)), default=0)


# 1. Every answer that stops is valid: json_object and json_schema, every model, greedy and sampled


@pytest.mark.parametrize("model", MODELS)
def test_json_object_is_one_object_on_every_model(w: Worker, model: str) -> None:
    for temperature, seed in ((0.0, None), (1.0, 1), (1.0, 2)):
        events = generate(
            w,
            f"obj-{model}-{seed}",
            model_id=model,
            messages=prompt_of(model),
            constraint={"type": "json_object"},
            temperature=temperature,
            seed=seed,
            max_tokens=120,
        )
        # An object with free keys and strings may use the whole budget; every one that stops is an object.
        if events[-1]["finish_reason"] == "stop":
            assert isinstance(assert_valid(events, {"type": "object"}), dict)
        else:
            assert events[-1]["finish_reason"] == "length"


@pytest.mark.parametrize("model", MODELS)
def test_bounded_schema_always_stops_and_validates(w: Worker, model: str) -> None:
    budget = 1000 if model == RANDOM else 200
    for temperature, seed in ((0.0, None), (0.7, 3), (1.0, 4), (1.5, 5)):
        events = generate(
            w,
            f"bounded-{model}-{temperature}",
            model_id=model,
            messages=prompt_of(model),
            constraint={"type": "json_schema", "schema": BOUNDED},
            temperature=temperature,
            seed=seed,
            max_tokens=budget,
        )
        assert_valid(events, BOUNDED)


def test_random_model_follows_nested_schemas(w: Worker) -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "minimum": -5, "maximum": 5},
            "price": {"type": "number", "minimum": 0, "maximum": 10},
            "owner": {
                "type": "object",
                "properties": {"role": {"enum": ["admin", "user"]}, "tags": {"$ref": "#/$defs/tags"}},
                "required": ["role", "tags"],
                "additionalProperties": False,
            },
            "note": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 4}]},
        },
        "required": ["id", "price", "owner", "note"],
        "additionalProperties": False,
        "$defs": {"tags": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 1, "maxItems": 2}},
    }
    for seed in range(6):
        events = generate(
            w,
            f"nested-{seed}",
            model_id=RANDOM,
            prompt="x",
            constraint={"type": "json_schema", "schema": schema},
            temperature=1.0,
            seed=seed,
            max_tokens=1000,
        )
        assert_valid(events, schema)


# 2. Whitespace is bounded, and nothing comes before or after the JSON


def token_ids(w: Worker, model: str, pattern: str) -> list[int]:
    vocab = w.models[model].tokenizer.get_vocab()
    tok = w.models[model].tokenizer
    return [i for i in vocab.values() if re.fullmatch(pattern, tok.decode([i]))]


def test_a_model_that_wants_only_whitespace_still_stops(w: Worker) -> None:
    model = "tiny-qwen2-bpe"
    bias = {str(i): 100 for i in token_ids(w, model, r"\s+")}
    assert bias
    free = generate(w, "ws-free", model_id=model, messages=prompt_of(model), logit_bias=bias, max_tokens=60)
    assert free[-1]["finish_reason"] == "length"  # unconstrained, this bias loops on whitespace
    constraint = {"type": "json_schema", "schema": BOUNDED}
    events = generate(w, "ws-schema", model_id=model, messages=prompt_of(model), logit_bias=bias, constraint=constraint)
    assert_valid(events, BOUNDED)
    # Free strings may still hold spaces (that is content); between the tokens of the JSON there is one at most.
    events = generate(
        w, "ws-object", model_id=model, messages=prompt_of(model), logit_bias=bias, constraint={"type": "json_object"}
    )
    assert longest_blank_run(text_of(events, "content")) <= MAX_BLANK_RUN
    if events[-1]["finish_reason"] == "stop":
        assert_valid(events, {"type": "object"})


def test_nothing_before_or_after_the_json(w: Worker) -> None:
    model = "tiny-qwen2-bpe"
    # Favour a stray "." or letters at every step: the mask allows none of them outside JSON strings.
    bias = {str(i): 50 for i in token_ids(w, model, r"\.|[A-Za-z]+")}
    events = generate(
        w, "around", model_id=model, messages=prompt_of(model), logit_bias=bias, constraint={"type": "json_object"}
    )
    assert_valid(events, {"type": "object"})
    assert len([e for e in events if e["event"] == "start"]) == 1


# 3. Batched: every sequence follows its own schema


def key_schema(i: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f"k{i}": {"enum": [i, i * 10]}, "s": {"type": "string", "maxLength": 3}},
        "required": [f"k{i}", "s"],
        "additionalProperties": False,
    }


def test_batched_sequences_each_follow_their_own_schema(w: Worker) -> None:
    model = "tiny-llama-spm"
    reqs = {
        f"batch-{i}": {
            "model_id": model,
            "messages": EXPECTED[model]["cases"][i % 3]["messages"],
            "constraint": {"type": "json_schema", "schema": key_schema(i)},
            "temperature": 0.0 if i % 2 else 1.0,
            "max_tokens": 120,
        }
        for i in range(4)
    }
    reqs["batch-free"] = {"model_id": model, "messages": EXPECTED[model]["cases"][0]["messages"]}
    greedy_alone = {rid: generate(w, f"{rid}-alone", **r) for rid, r in reqs.items() if r.get("temperature") == 0}
    for rid, r in reqs.items():
        submit(w, rid, **r)
    w._step_generations()
    assert batched_ids(w) == set(reqs)
    run_until_idle(w)
    for i in range(4):
        assert_valid(sent_to(w, f"batch-{i}"), key_schema(i))
    assert text_of(sent_to(w, "batch-free")) == EXPECTED[model]["cases"][0]["text"]
    for rid, alone in greedy_alone.items():
        assert text_of(sent_to(w, rid)) == text_of(alone)


# 4. A reasoning model thinks first, unconstrained, then answers in JSON


def test_reasoning_comes_first_then_the_constrained_answer(w: Worker) -> None:
    model = "tiny-qwen2-think"
    case = EXPECTED[model]["cases"][0]
    for seed in (None, 1):
        events = generate(
            w,
            f"think-{seed}",
            model_id=model,
            messages=case["messages"],
            constraint={"type": "json_schema", "schema": BOUNDED},
            temperature=0.0 if seed is None else 1.0,
            seed=seed,
        )
        assert events[0]["event"] == "start" and events[0]["reasoning"] is True
        if seed is None:
            assert text_of(events, "reasoning") == case["reasoning"]
        assert text_of(events, "reasoning")
        assert_valid(events, BOUNDED)


def test_reasoning_block_is_optional_when_the_prompt_does_not_open_it(w: Worker) -> None:
    events = generate(
        w,
        "think-raw",
        model_id="tiny-qwen2-think",
        prompt="What is 2+2?",
        chat_template=False,
        constraint={"type": "json_object"},
        max_tokens=150,
    )
    assert events[0]["reasoning"] is False
    if events[-1]["finish_reason"] == "stop":
        assert_valid(events, {"type": "object"})


def test_plain_text_think_markers_make_a_grammar_too(w: Worker) -> None:
    loaded = w.models["tiny-qwen2-think"]

    class PlainMarkers:
        def is_special_token(self, _token: int) -> bool:
            return False

    prefix = constrained.reasoning_prefix(loaded, PlainMarkers(), starts_in_reasoning=True)
    assert prefix is not None and "<[" not in prefix
    grammars = constrained.ModelGrammars(loaded)
    tok = loaded.tokenizer
    # "</think>" spelled in plain pieces, as a model without the marker token writes it.
    pieces = [*tok.encode("hm <", add_special_tokens=False), *tok.encode("/think>", add_special_tokens=False)]
    constraint = constrained.Constraint("json_object", schema={"type": "object"})
    matcher = grammars.matcher(constraint, constrained.grammar_of(constraint, prefix))
    answer = tok.encode("{}", add_special_tokens=False)
    assert matcher.try_consume_tokens(pieces + answer) == len(pieces) + len(answer)
    assert matcher.is_stopped()


def test_markers_inside_a_constrained_answer_are_kept_verbatim() -> None:
    splitter = ReasoningSplitter("<think>", "</think>", in_reasoning=True, leading_only=True)
    out = splitter.feed("why</th") + splitter.feed('ink>{"a":"</think><think>"}') + splitter.flush()
    assert "".join(t for c, t in out if c == "reasoning") == "why"
    assert "".join(t for c, t in out if c == "content") == '{"a":"</think><think>"}'
    opening = ReasoningSplitter("<think>", "</think>", in_reasoning=False, leading_only=True)
    out = opening.feed("<th") + opening.feed("ink>r</think>[1]") + opening.flush()
    assert [c for c, t in out] == ["reasoning", "content"] and out[1][1] == "[1]"
    direct = ReasoningSplitter("<think>", "</think>", in_reasoning=False, leading_only=True)
    assert direct.feed('{"<think>":1}') + direct.flush() == [("content", '{"<think>":1}')]


# 5. A cut answer is "length"


def test_a_cut_answer_is_length_and_not_json(w: Worker) -> None:
    events = generate(
        w,
        "cut",
        model_id="tiny-qwen2-bpe",
        messages=prompt_of("tiny-qwen2-bpe"),
        constraint={"type": "json_schema", "schema": BOUNDED},
        max_tokens=4,
    )
    done = events[-1]
    assert done["finish_reason"] == "length" and done["usage"]["completion_tokens"] == 4
    content = text_of(events, "content")
    assert content.startswith("{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


# 6. Grammars: Lark with named JSON schemas (what tool calling builds on)


def test_lark_grammar_with_a_named_schema(w: Worker) -> None:
    call = {
        "type": "object",
        "properties": {"name": {"const": "get_weather"}, "arguments": {"$ref": "#/$defs/args"}},
        "required": ["name", "arguments"],
        "additionalProperties": False,
        "$defs": {
            "args": {
                "type": "object",
                "properties": {"city": {"type": "string", "maxLength": 6}},
                "required": ["city"],
                "additionalProperties": False,
            }
        },
    }
    constraint = {"type": "grammar", "lark": 'start: "<tool_call>" @call "</tool_call>"', "schemas": {"call": call}}
    for seed in (1, 2, 3):
        events = generate(
            w, f"lark-{seed}", model_id=RANDOM, prompt="x", constraint=constraint, temperature=1.0, seed=seed
        )
        assert events[-1]["finish_reason"] == "stop", events[-1]
        text = text_of(events)
        found = re.fullmatch(r"<tool_call>(.*)</tool_call>", text, re.DOTALL)
        assert found, repr(text)
        jsonschema.validate(json.loads(found.group(1)), call)
        assert longest_blank_run(found.group(1)) <= MAX_BLANK_RUN


def test_penalties_and_logprobs_keep_the_mask(w: Worker) -> None:
    events = generate(
        w,
        "penalised",
        model_id="tiny-qwen2-bpe",
        messages=prompt_of("tiny-qwen2-bpe"),
        constraint={"type": "json_schema", "schema": BOUNDED},
        repetition_penalty=1.5,
        frequency_penalty=1.0,
        logprobs=True,
        top_logprobs=3,
    )
    assert_valid(events, BOUNDED)
    entries = [e for ev in events for e in ev.get("logprobs", [])]
    assert entries
    # Logprobs of the masked distribution: a forced token is certain, and a masked one is never an alternative.
    assert any(e["logprob"] == 0.0 and e["top_logprobs"] == [e["top_logprobs"][0]] for e in entries)
    assert all(alt["logprob"] > float("-inf") for e in entries for alt in e["top_logprobs"])


# 7. Errors before `start`


@pytest.mark.parametrize(
    ("constraint", "error"),
    [
        (
            {"type": "json_schema", "schema": {"type": "array", "uniqueItems": True}},
            ("unsupported_schema", "uniqueItems"),
        ),
        ({"type": "json_schema", "schema": {"type": "string", "format": "isbn"}}, ("unsupported_schema", "format")),
        ({"type": "json_schema", "schema": {"not": {"type": "string"}}}, ("unsupported_schema", "not")),
        ({"type": "json_schema", "schema": {"type": "string", "pattern": "(?=a)b"}}, ("unsupported_schema", "pattern")),
        ({"type": "json_schema", "schema": {"type": "nope"}}, ("invalid_schema", None)),
        ({"type": "json_schema", "schema": {"type": "object", "properties": 5}}, ("invalid_schema", None)),
        ({"type": "json_schema", "schema": {"type": "integer", "minimum": 5, "maximum": 2}}, ("invalid_schema", None)),
        ({"type": "json_schema", "schema": {"$ref": "#/$defs/missing"}}, ("invalid_schema", None)),
        ({"type": "grammar", "lark": "start: undefined_rule"}, ("invalid_grammar", None)),
        ({"type": "grammar", "lark": "start: /(?=a)b/"}, ("invalid_grammar", None)),
        (
            {"type": "grammar", "lark": 'start: %json {"type": "array", "uniqueItems": true}'},
            ("unsupported_schema", "uniqueItems"),
        ),
        ({"type": "grammar", "lark": "start: @missing"}, ("invalid_grammar", None)),
        ({"type": "json_schema"}, ("bad_request", None)),
        ({"type": "xml"}, ("bad_request", None)),
        ({"type": "grammar", "lark": ""}, ("bad_request", None)),
        ({"type": "grammar", "lark": "start: @a", "schemas": {"a b": {}}}, ("bad_request", None)),
        ("json", ("bad_request", None)),
    ],
)
def test_constraints_that_cannot_be_enforced_fail_before_start(w: Worker, constraint: Any, error: Any) -> None:
    rid = f"err-{json.dumps(constraint)}"
    events = generate(w, rid, model_id="tiny-qwen2-bpe", prompt="x", constraint=constraint)
    assert [e["event"] for e in events] == ["error"], events
    assert events[0]["error"]["type"] == error[0], events[0]
    if error[0] == "unsupported_schema":
        assert events[0]["error"]["keyword"] == error[1]


def test_a_named_schema_error_names_the_schema(w: Worker) -> None:
    constraint = {"type": "grammar", "lark": "start: @args", "schemas": {"args": {"type": "object", "if": {}}}}
    (event,) = generate(w, "err-named", model_id="tiny-qwen2-bpe", prompt="x", constraint=constraint)
    assert event["error"] == {**event["error"], "type": "unsupported_schema", "keyword": "if", "schema_name": "args"}


def test_stop_strings_cannot_cut_a_constrained_answer(w: Worker) -> None:
    (event,) = generate(
        w, "err-stop", model_id="tiny-qwen2-bpe", prompt="x", constraint={"type": "json_object"}, stop=["}"]
    )
    assert event["error"]["type"] == "bad_request" and "stop" in event["error"]["message"]


def test_compiled_grammars_are_reused(w: Worker) -> None:
    schema = {"type": "object", "properties": {"reuse": {"type": "boolean"}}, "required": ["reuse"]}
    for i in range(3):
        generate(
            w, f"reuse-{i}", model_id="tiny-qwen2-bpe", prompt="x", constraint={"type": "json_schema", "schema": schema}
        )
    compiled = constrained._models[w.models["tiny-qwen2-bpe"].tokenizer].compiled
    assert sum("reuse" in grammar for grammar in compiled) == 1
    assert len(compiled) <= constrained.COMPILED_PER_MODEL


# 8. A distributed group applies the same mask on every rank


@pytest.fixture(scope="module")
def group() -> Iterator[WorkerClient]:
    from test_distributed import start_group, stop_group

    client = start_group()
    try:
        loaded = client.call("load", model_path=str(MODELS_DIR / "tiny-qwen2-bpe"), model_id="tiny-qwen2-bpe")
        assert loaded["event"] == "loaded", loaded
        yield client
    finally:
        stop_group(client)


def test_a_group_generates_what_one_process_generates(group: WorkerClient, worker: WorkerClient) -> None:
    from test_distributed import comparable

    base = {"model_id": "tiny-qwen2-bpe", "messages": prompt_of("tiny-qwen2-bpe"), "max_tokens": 120}
    runs = [
        {**base, "constraint": {"type": "json_schema", "schema": BOUNDED}},
        {**base, "constraint": {"type": "json_schema", "schema": BOUNDED}, "temperature": 1.0, "seed": 11},
    ]
    for params in runs:
        on_group = group.events(group.send("generate", **params))
        assert_valid(on_group, BOUNDED)
        assert comparable(on_group) == comparable(worker.events(worker.send("generate", **params)))
    # Two at once (batched on every rank), then the group is still in step.
    rids = [group.send("generate", **{**runs[1], "seed": s}) for s in (1, 2)]
    for rid in rids:
        assert_valid(group.events(rid), BOUNDED)
    assert group.call("ping")["event"] == "pong"
