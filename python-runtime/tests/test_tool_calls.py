"""Tool calling (docs/runtime-protocol.md §3.7): the two tool test models render tools with their own templates,
mlx-lm selects their parsers (json_tools, mistral), calls they really emit come out as `tool_call` events and never
as content, and `required` or a named tool is enforced by a grammar on prompts where the model would answer in prose.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from conftest import MODELS_DIR
from worker_client import WorkerClient, text_of

from mlxk_runtime.tool_calls import ToolCallScanner, ToolFormat
from mlxk_runtime.tool_grammars import call_constraint
from mlxk_runtime.tool_request import ToolRequest, parse_tools

EXPECTED: dict[str, Any] = json.loads((MODELS_DIR / "expected-tools.json").read_text(encoding="utf-8"))
TOOL_MODELS = sorted(EXPECTED)
TOOLS = EXPECTED["tiny-qwen2-tools"]["cases"][0]["tools"]
WHO = [{"role": "user", "content": "Who are you?"}]
WEATHER = [{"role": "user", "content": "What is the weather in Paris?"}]
TWO_CITIES = [{"role": "user", "content": "Weather in Paris and Tokyo?"}]


LOADED: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def w() -> Iterator[WorkerClient]:
    # Without the prompt cache, so a repeated prompt reports the same usage.
    client = WorkerClient(worker_args=("--prompt-cache-bytes", "0"))
    for name in [*TOOL_MODELS, "tiny-qwen2-bpe"]:
        LOADED[name] = client.call("load", model_path=str(MODELS_DIR / name), model_id=name)
    yield client
    client.close()


def send(w: WorkerClient, model: str, messages: list[dict[str, Any]], **params: Any) -> str:
    return w.send("generate", model_id=model, messages=messages, max_tokens=params.pop("max_tokens", 80), **params)


def run(w: WorkerClient, model: str, messages: list[dict[str, Any]], **params: Any) -> list[dict[str, Any]]:
    return w.events(send(w, model, messages, **params))


def calls_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "tool_call"]


def raw_text(events: list[dict[str, Any]]) -> str:
    """Every generated character in order: token text (markers put back) and each call's raw text."""
    out = ""
    channel = "content"
    for e in events:
        if e["event"] == "tool_call":
            out += e["text"]
        elif e["event"] == "token":
            if e["channel"] != channel:
                out += "<think>" if e["channel"] == "reasoning" else "</think>"
                channel = e["channel"]
            out += e["text"]
    return out


def test_load_reports_the_parser_mlx_lm_selects(w: WorkerClient) -> None:
    loaded = LOADED
    for name in TOOL_MODELS:
        info = loaded[name]["tool_calling"]
        assert info["parser"] == EXPECTED[name]["tool_parser"], info
        assert info["forced"] is True
    assert loaded["tiny-mistral-tools"]["tool_calling"]["end"] == ""
    assert loaded["tiny-qwen2-bpe"]["tool_calling"] is None


@pytest.mark.parametrize("name", TOOL_MODELS)
def test_trained_answers_split_into_content_and_calls(w: WorkerClient, name: str) -> None:
    for case in EXPECTED[name]["cases"]:
        events = run(w, name, case["messages"], tools=case["tools"])
        assert events[-1]["event"] == "done" and events[-1]["finish_reason"] == "stop", events[-1]
        # Nothing is lost or added: the calls' raw text and the tokens make up what mlx-lm generates.
        assert raw_text(events) == case["text"]
        content = text_of(events, "content")
        calls = calls_of(events)
        if calls:
            assert "[TOOL_CALLS]" not in content and "<tool_call>" not in content
            assert [c["index"] for c in calls] == list(range(len(calls)))
            for c in calls:
                assert c["call"]["id"].startswith("call_") and c["call"]["type"] == "function"
                assert isinstance(json.loads(c["call"]["function"]["arguments"]), dict)


@pytest.mark.parametrize("name", TOOL_MODELS)
def test_parallel_calls_get_distinct_indices(w: WorkerClient, name: str) -> None:
    calls = calls_of(run(w, name, TWO_CITIES, tools=TOOLS))
    assert [
        (c["index"], c["call"]["function"]["name"], json.loads(c["call"]["function"]["arguments"])) for c in calls
    ] == [
        (0, "get_weather", {"city": "Paris"}),
        (1, "get_weather", {"city": "Tokyo"}),
    ]
    assert len({c["call"]["id"] for c in calls}) == 2


@pytest.mark.parametrize("name", TOOL_MODELS)
def test_parallel_tool_calls_false_stops_after_the_first_call(w: WorkerClient, name: str) -> None:
    events = run(w, name, TWO_CITIES, tools=TOOLS, parallel_tool_calls=False)
    assert [json.loads(c["call"]["function"]["arguments"]) for c in calls_of(events)] == [{"city": "Paris"}]
    assert events[-1]["finish_reason"] == "stop" and events[-1]["stop"] == {"type": "tool_call"}
    assert "Tokyo" not in text_of(events)


def test_text_before_a_call_and_reasoning_before_a_call(w: WorkerClient) -> None:
    events = run(w, "tiny-qwen2-tools", [{"role": "user", "content": "Check the time in Oslo."}], tools=TOOLS)
    assert text_of(events, "content") == "Let me look.\n"
    assert calls_of(events)[0]["call"]["function"]["name"] == "get_time"
    events = run(
        w, "tiny-qwen2-tools", [{"role": "user", "content": "Think, then get the weather in Rome."}], tools=TOOLS
    )
    assert text_of(events, "reasoning") == "\nRome needs a lookup.\n"
    assert json.loads(calls_of(events)[0]["call"]["function"]["arguments"]) == {"city": "Rome"}


def test_call_looking_text_that_does_not_parse_is_content(w: WorkerClient) -> None:
    events = run(w, "tiny-qwen2-tools", [{"role": "user", "content": "Show a broken call."}], tools=TOOLS)
    assert calls_of(events) == []
    assert text_of(events) == '<tool_call>\n{"name": get_weather}\n</tool_call>'


@pytest.mark.parametrize("name", TOOL_MODELS)
def test_a_call_cut_by_the_budget_is_length_with_its_raw_text(w: WorkerClient, name: str) -> None:
    whole = "".join(c["text"] for c in EXPECTED[name]["cases"] if c["messages"] == WEATHER)
    for budget in (2, 6):
        events = run(w, name, WEATHER, tools=TOOLS, max_tokens=budget)
        assert events[-1]["finish_reason"] == "length"
        assert calls_of(events) == []
        assert text_of(events) and whole.startswith(text_of(events))


def test_the_turn_after_a_tool_result_round_trips_through_the_template(w: WorkerClient) -> None:
    for name in TOOL_MODELS:
        case = EXPECTED[name]["cases"][-1]
        assert case["messages"][-1]["role"] == "tool"
        # As OpenAI clients send it: arguments as a JSON string, no content beside the calls.
        messages = [
            {
                **m,
                "tool_calls": [
                    {**c, "function": {**c["function"], "arguments": json.dumps(c["function"]["arguments"])}}
                    for c in m["tool_calls"]
                ],
            }
            if m.get("tool_calls")
            else m
            for m in case["messages"]
        ]
        events = run(w, name, messages, tools=TOOLS)
        assert text_of(events) == "It is sunny in Paris." and calls_of(events) == []


def valid_call(call: dict[str, Any], names: set[str]) -> None:
    function = call["call"]["function"]
    assert function["name"] in names
    tool = next(t for t in TOOLS if t["function"]["name"] == function["name"])
    jsonschema.validate(json.loads(function["arguments"]), tool["function"]["parameters"])


@pytest.mark.parametrize("name", TOOL_MODELS)
def test_required_forces_a_valid_call_where_the_model_would_answer_in_prose(w: WorkerClient, name: str) -> None:
    assert calls_of(run(w, name, WHO, tools=TOOLS)) == []
    events = run(w, name, WHO, tools=TOOLS, tool_choice="required", max_tokens=120)
    assert events[-1]["finish_reason"] == "stop", events
    calls = calls_of(events)
    assert calls, raw_text(events)
    for c in calls:
        valid_call(c, {"get_weather", "get_time"})
    assert text_of(events, "content").strip() == ""


@pytest.mark.parametrize("name", TOOL_MODELS)
def test_a_named_tool_is_the_one_called(w: WorkerClient, name: str) -> None:
    choice = {"type": "function", "function": {"name": "get_time"}}
    for messages in (WHO, WEATHER):
        events = run(w, name, messages, tools=TOOLS, tool_choice=choice, parallel_tool_calls=False, max_tokens=120)
        calls = calls_of(events)
        assert len(calls) == 1 and events[-1]["finish_reason"] == "stop", raw_text(events)
        valid_call(calls[0], {"get_time"})


def test_beside_a_json_response_format_the_answer_is_json_or_calls(w: WorkerClient) -> None:
    json_object = {"type": "json_object"}
    events = run(w, "tiny-qwen2-tools", WEATHER, tools=TOOLS, constraint=json_object)
    assert [json.loads(c["call"]["function"]["arguments"]) for c in calls_of(events)] == [{"city": "Paris"}]
    events = run(w, "tiny-qwen2-tools", WHO, tools=TOOLS, constraint=json_object, max_tokens=120)
    if not calls_of(events):
        assert isinstance(json.loads(text_of(events, "content")), dict), raw_text(events)


def test_none_makes_no_call(w: WorkerClient) -> None:
    events = run(w, "tiny-qwen2-tools", WEATHER, tools=TOOLS, tool_choice="none", max_tokens=30)
    assert calls_of(events) == [] and "<tool_call>" not in text_of(events)


def test_batched_tool_generations_equal_alone(w: WorkerClient) -> None:
    prompts = (WEATHER, TWO_CITIES, WHO)
    alone = [raw_text(run(w, "tiny-qwen2-tools", m, tools=TOOLS)) for m in prompts]
    ids = [send(w, "tiny-qwen2-tools", m, tools=TOOLS) for m in prompts]
    assert [raw_text(w.events(i)) for i in ids] == alone


def error_of(w: WorkerClient, model: str, **params: Any) -> dict[str, Any]:
    events = run(w, model, params.pop("messages", WEATHER), **params)
    assert events[-1]["event"] == "error", events
    return events[-1]["error"]


def test_refusals_before_start(w: WorkerClient) -> None:
    assert error_of(w, "tiny-qwen2-bpe", tools=TOOLS)["type"] == "tools_not_supported"
    history = [*WEATHER, {"role": "tool", "tool_call_id": "x", "content": "sunny"}]
    assert error_of(w, "tiny-qwen2-bpe", messages=history)["type"] == "tools_not_supported"
    assert error_of(w, "tiny-qwen2-tools", tools=TOOLS, tool_choice="required", stop=["x"])["type"] == "bad_request"
    unsupported = [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "array", "uniqueItems": True}}}
    ]
    error = error_of(w, "tiny-qwen2-tools", tools=unsupported, tool_choice="required")
    assert error["type"] == "unsupported_schema" and error["tool_index"] == 0 and error["keyword"] == "uniqueItems"


@pytest.mark.parametrize(
    "request_fields",
    [
        {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}},
        {"tool_choice": "required"},
        {"tools": TOOLS, "tool_choice": "sometimes"},
        {"tools": [{"type": "code_interpreter"}]},
        {"tools": [{"type": "function", "function": {"name": "has space"}}]},
        {"tools": TOOLS + TOOLS[:1]},
        {"tools": TOOLS, "parallel_tool_calls": "no"},
    ],
)
def test_bad_tool_requests(request_fields: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="tool"):
        parse_tools(request_fields)


def fmt(parser: str, start: str, end: str) -> ToolFormat:
    def parse(text: str, _tools: Any) -> Any:
        return json.loads(text)

    return ToolFormat(parser, start, end, parse)


def test_the_scanner_never_leaks_a_marker_split_over_chunks() -> None:
    request = ToolRequest(TOOLS, "auto", None, True)
    text = 'Hi <tool_call>{"name": "get_time", "arguments": {"city": "Oslo"}}</tool_call> bye <tool'
    for size in (1, 2, 3, 7):
        scanner = ToolCallScanner(fmt("json_tools", "<tool_call>", "</tool_call>"), request)
        chunks: list[Any] = []
        for i in range(0, len(text), size):
            chunks += scanner.feed(text[i : i + size])
        chunks += scanner.flush(complete=False)
        content = "".join(t for c, t in chunks if c == "content")
        assert content == "Hi  bye <tool"
        assert [t[0][0]["function"]["name"] for c, t in chunks if c == "tool_call"] == ["get_time"]


def test_an_open_call_at_the_end_of_the_output() -> None:
    request = ToolRequest(TOOLS, "auto", None, True)
    text = '<tool_call>{"name": "get_time", "arguments": {}}'
    scanner = ToolCallScanner(fmt("json_tools", "<tool_call>", "</tool_call>"), request)
    assert scanner.feed(text) == []
    # The model ended its turn: a whole call even without its end marker, as mlx-lm's server reads it.
    assert scanner.flush(complete=True)[0][0] == "tool_call"
    scanner = ToolCallScanner(fmt("json_tools", "<tool_call>", "</tool_call>"), request)
    scanner.feed(text)
    assert scanner.flush(complete=False) == [("content", text)]


def test_formats_without_a_grammar_refuse_forced_calls() -> None:
    from mlxk_runtime.errors import WorkerError

    with pytest.raises(WorkerError) as raised:
        call_constraint(
            fmt("qwen3_coder", "<tool_call>", "</tool_call>"), ToolRequest(TOOLS, "required", None, True), None, None
        )  # type: ignore[arg-type]
    assert raised.value.type == "tool_choice_not_supported" and raised.value.extra["parser"] == "qwen3_coder"
