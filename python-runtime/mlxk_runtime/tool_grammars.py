"""Forced tool calls (`tool_choice: "required"` or a named tool) as a grammar for constrained decoding.

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
from .errors import WorkerError
from .model_loading import LoadedModel
from .tool_calls import ToolFormat, ToolRequest

NO_PARAMETERS = {"type": "object", "properties": {}, "additionalProperties": False}


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
    return f"start: {call}{more}\n"


def mistral(fmt: ToolFormat, request: ToolRequest, schemas: dict[str, Any], mark: Marker) -> str:
    """`[TOOL_CALLS]name[ARGS]{…}`, the marker before each call."""
    alternatives = []
    for i, function in request.callable_tools():
        schemas[f"tool_{i}"] = parameters(function)
        alternatives.append(f"{lit(function['name'])} {mark('[ARGS]')} @tool_{i}")
    call = f"{mark(fmt.start)} ({' | '.join(alternatives)})"
    return f"start: ({call}){'+' if request.parallel else ''}\n"


GRAMMARS: dict[str, Callable[[ToolFormat, ToolRequest, dict[str, Any], Marker], str]] = {
    "json_tools": json_tools,
    "mistral": mistral,
}


def forced_call(fmt: ToolFormat, request: ToolRequest, loaded: LoadedModel) -> Constraint:
    build = GRAMMARS.get(fmt.parser)
    if build is None:
        raise WorkerError(
            "tool_choice_not_supported",
            f"tool_choice {request.choice!r} cannot be enforced for this model's tool-call format ({fmt.parser});"
            f" it can be for {', '.join(sorted(GRAMMARS))}",
            parser=fmt.parser,
        )
    llt = model_grammars(loaded).llt

    def mark(text: str) -> str:
        return special_token(loaded, llt, text) or lit(text)

    schemas: dict[str, Any] = {}
    lark = build(fmt, request, schemas, mark)
    return Constraint("grammar", lark=lark, schemas=schemas)


def tool_of_schema(error: WorkerError) -> None:
    """A schema error of a forced call names the tool whose `parameters` it is (`tool_index`)."""
    name = error.extra.get("schema_name")
    if isinstance(name, str) and name.startswith("tool_") and name[5:].isdigit():
        error.extra = {**{k: v for k, v in error.extra.items() if k != "schema_name"}, "tool_index": int(name[5:])}
