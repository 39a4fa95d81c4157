"""Forced tool calls (`tool_choice: "required"` or a named tool) as a grammar for constrained decoding, and calls
beside a response format (`auto` with a JSON constraint: the answer is the JSON or calls).

The grammar writes a call the way the model's chat template renders one, so mlx-lm's parser reads it back: the
start marker, a name that is one of the tools that may be called, arguments valid against that tool's
`parameters` (an `@tool_<i>` JSON schema, with the engine's whitespace bound), the end marker; several calls when
parallel calls are allowed. Only call formats whose arguments are JSON can be forced this way; for the others
`required` and a named tool are refused (`tool_choice_not_supported`) rather than left to chance.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .constrained import Constraint, model_grammars, special_token
from .errors import WorkerError, bad_request
from .model_loading import LoadedModel
from .tool_calls import ToolFormat
from .tool_request import ToolRequest

NO_PARAMETERS = {"type": "object", "properties": {}, "additionalProperties": False}
RESPONSE = "response"


def lit(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


Marker = Callable[[str], str]


def parameters(function: dict[str, Any]) -> dict[str, Any]:
    # OpenAI: a function without `parameters` takes none.
    value = function.get("parameters")
    return value if isinstance(value, dict) else NO_PARAMETERS


def json_tools(fmt: ToolFormat, request: ToolRequest, schemas: dict[str, Any], mark: Marker) -> str:
    """`<tool_call>\\n{"name": …, "arguments": {…}}\\n</tool_call>` (Qwen2.5, Hermes), calls one per line."""
    names = []
    for i, function in request.callable_tools():
        arguments = dict(parameters(function))
        # `#/$defs/…` references (pydantic writes them) resolve against the root, so the definitions move there.
        definitions = {key: arguments.pop(key) for key in ("$defs", "definitions") if key in arguments}
        schemas[f"tool_{i}"] = {
            "type": "object",
            "properties": {"name": {"const": function["name"]}, "arguments": arguments},
            "required": ["name", "arguments"],
            "additionalProperties": False,
            **definitions,
        }
        names.append(f"@tool_{i}")
    call = f"{mark(fmt.start)} {lit(chr(10))} ({' | '.join(names)}) {lit(chr(10))} {mark(fmt.end)}"
    more = f' ("\\n"? {call})*' if request.parallel else ""
    return f"{call}{more}"


def mistral(fmt: ToolFormat, request: ToolRequest, schemas: dict[str, Any], mark: Marker) -> str:
    """`[TOOL_CALLS]name[ARGS]{…}`, the marker before each call."""
    alternatives = []
    for i, function in request.callable_tools():
        schemas[f"tool_{i}"] = parameters(function)
        alternatives.append(f"{lit(function['name'])} {mark('[ARGS]')} @tool_{i}")
    call = f"{mark(fmt.start)} ({' | '.join(alternatives)})"
    return f"({call}){'+' if request.parallel else ''}"


GRAMMARS: dict[str, Callable[[ToolFormat, ToolRequest, dict[str, Any], Marker], str]] = {
    "json_tools": json_tools,
    "mistral": mistral,
}


def call_constraint(
    fmt: ToolFormat, request: ToolRequest, loaded: LoadedModel, answer: Constraint | None
) -> Constraint | None:
    """The grammar of a forced call, or of "`answer` or calls" when calls may come beside a response format; None
    when calls are free. A forced call's answer is the call, so a response format has no text to apply to."""
    if not request.forced and (answer is None or request.choice == "none"):
        return None
    build = GRAMMARS.get(fmt.parser)
    if build is None:
        what = f"tool_choice {request.choice!r}" if request.forced else "a response format beside tools"
        raise WorkerError(
            "tool_choice_not_supported",
            f"{what} cannot be enforced for this model's tool-call format ({fmt.parser});"
            f" it can be for {', '.join(sorted(GRAMMARS))}",
            parser=fmt.parser,
        )
    if not request.forced and answer is not None and answer.schema is None:
        raise bad_request("only a JSON constraint can be combined with tools")
    llt = model_grammars(loaded).llt

    def mark(text: str) -> str:
        return special_token(loaded, llt, text) or lit(text)

    schemas: dict[str, Any] = {}
    calls = build(fmt, request, schemas, mark)
    if request.forced or answer is None:
        return Constraint("grammar", lark=f"start: {calls}\n", schemas=schemas)
    schemas[RESPONSE] = answer.schema
    return Constraint("grammar", lark=f"start: @{RESPONSE} | ({calls})\n", schemas=schemas)


def tool_of_schema(error: WorkerError) -> None:
    """A schema error of a forced call names the tool whose `parameters` it is (`tool_index`)."""
    name = error.extra.get("schema_name")
    if isinstance(name, str) and name.startswith("tool_") and name[5:].isdigit():
        error.extra = {**{k: v for k, v in error.extra.items() if k != "schema_name"}, "tool_index": int(name[5:])}
