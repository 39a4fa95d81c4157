"""A generate request's tool fields (docs/runtime-protocol.md §2.4, §3.7): `tools`, `tool_choice`,
`parallel_tool_calls`, and the messages of an agent history as chat templates read them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
CHOICES = ("none", "auto", "required")
Chunk = tuple[str, Any]


@dataclass(frozen=True)
class ToolRequest:
    """A generate request's `tools`, `tool_choice` and `parallel_tool_calls`, checked."""

    tools: list[dict[str, Any]]
    # "none", "auto", "required", or "function" (then `name` is the tool it must call).
    choice: str
    name: str | None
    parallel: bool

    @property
    def forced(self) -> bool:
        return self.choice in ("required", "function")

    def callable_tools(self) -> list[tuple[int, dict[str, Any]]]:
        """(index in `tools`, function) of each tool a forced call may name."""
        return [(i, t["function"]) for i, t in enumerate(self.tools) if self.name in (None, t["function"]["name"])]


def _tool(value: Any, i: int) -> dict[str, Any]:
    function = value.get("function") if isinstance(value, dict) else None
    if not isinstance(value, dict) or value.get("type") != "function" or not isinstance(function, dict):
        raise bad_request(f"tools[{i}] must be {{type: 'function', function: {{name, parameters}}}}")
    name = function.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise bad_request(f"tools[{i}].function.name must be 1-64 letters, digits, '_' or '-'")
    parameters = function.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise bad_request(f"tools[{i}].function.parameters must be a JSON Schema object")
    return value


def parse_tools(req: dict[str, Any]) -> ToolRequest | None:
    tools = req.get("tools") or []
    choice = req.get("tool_choice")
    parallel = req.get("parallel_tool_calls")
    if not isinstance(tools, list):
        raise bad_request("tools must be a list")
    if parallel is not None and not isinstance(parallel, bool):
        raise bad_request("parallel_tool_calls must be a boolean")
    checked = [_tool(t, i) for i, t in enumerate(tools)]
    names = [t["function"]["name"] for t in checked]
    if len(set(names)) != len(names):
        raise bad_request("tools must have distinct names")
    name = None
    if isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if choice.get("type") != "function" or not isinstance(name, str):
            raise bad_request("tool_choice must be none, auto, required or {type: 'function', function: {name}}")
        if name not in names:
            raise bad_request(f"tool_choice names {name!r}, which is not one of the tools")
        choice = "function"
    elif choice is None:
        choice = "auto"
    elif choice not in CHOICES:
        raise bad_request("tool_choice must be none, auto, required or {type: 'function', function: {name}}")
    if not checked:
        if choice in ("required", "function"):
            raise bad_request(f"tool_choice {choice!r} needs tools")
        return None
    return ToolRequest(checked, choice, name, parallel is not False)


def template_message(message: dict[str, Any], content: str) -> dict[str, Any]:
    """A chat message as templates read it: assistant calls' arguments as objects (as mlx-lm's server passes them),
    a tool result's `tool_call_id` and `name` kept."""
    out: dict[str, Any] = {"role": message["role"], "content": content}
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise bad_request("tool_calls must be a list")
        out["tool_calls"] = [_history_call(c) for c in calls]
    for key in ("tool_call_id", "name"):
        if isinstance(message.get(key), str):
            out[key] = message[key]
    return out


def _history_call(call: Any) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise bad_request("each tool call needs function.name")
    arguments = function.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as e:
            raise bad_request(f"tool call arguments are not JSON: {e}") from e
    return {**call, "function": {**function, "arguments": arguments}}


def uses_tools(messages: list[dict[str, Any]] | None) -> bool:
    return any(m["role"] == "tool" or "tool_calls" in m for m in messages or [])
