"""Tool calling (docs/runtime-protocol.md §3.7).

Nothing here reads a model's call syntax. mlx-lm's tokenizer wrapper selects the model's parser as its server does
(chat-template markers, then the vocabulary, then `tool_parser_type` in tokenizer_config.json); a call is the text
between that parser's markers, handed to the parser when the call closes. The worker adds what mlx-lm's server
lacks: the scanner that keeps call text out of the content while it streams, `tool_choice` and
`parallel_tool_calls`, and a grammar (tool_grammars.py) that forces a call for `required` and a named tool.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import WorkerError, bad_request
from .text_filters import held_prefix_len
from .tool_request import ToolRequest, uses_tools

Chunk = tuple[str, Any]


@dataclass(frozen=True)
class ToolFormat:
    """How a model writes calls, as mlx-lm selected it."""

    parser: str
    start: str
    # Empty: a call runs to the end of the output (mistral).
    end: str
    parse: Callable[[str, Any], Any]


def tool_format(tokenizer: Any) -> ToolFormat | None:
    """None when the model cannot take tools: mlx-lm found no parser, or the template never reads `tools`."""
    if not getattr(tokenizer, "has_tool_calling", False):
        return None
    template = getattr(tokenizer, "chat_template", None)
    texts = template.values() if isinstance(template, dict) else [template] if isinstance(template, str) else []
    if texts and not any("tools" in t for t in texts):
        return None
    parse = tokenizer.tool_parser
    return ToolFormat(
        parse.__module__.rsplit(".", 1)[-1], tokenizer.tool_call_start, tokenizer.tool_call_end or "", parse
    )


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def to_calls(parsed: Any) -> list[dict[str, Any]]:
    """mlx-lm's parsed call(s) in OpenAI's shape; ValueError for anything that is not a call."""
    calls = []
    for item in parsed if isinstance(parsed, list) else [parsed]:
        name = item.get("name") if isinstance(item, dict) else None
        arguments = item.get("arguments", {}) if isinstance(item, dict) else None
        if isinstance(arguments, str):
            arguments = json.loads(arguments)
        if not isinstance(name, str) or not name or not isinstance(arguments, dict):
            raise ValueError(f"not a tool call: {item!r}")
        call_id = item.get("id") if isinstance(item.get("id"), str) and item["id"] else new_call_id()
        function = {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}
        calls.append({"id": call_id, "type": "function", "function": function})
    if not calls:
        raise ValueError("no tool call")
    return calls


class ToolCallScanner:
    """Splits content text into plain text and calls. Text that could begin a start marker is held back; a call
    is held whole until its end marker (or the end of the output), then parsed; one that does not parse is passed
    on as the text it was. Yields ("content", text) and ("tool_call", (calls, raw text)) chunks."""

    def __init__(self, fmt: ToolFormat, request: ToolRequest) -> None:
        self.fmt = fmt
        self.request = request
        self.in_call = False
        self.calls = 0
        # parallel_tool_calls false and one call made: nothing after it is wanted.
        self.satisfied = False
        self._pending = ""

    def feed(self, text: str) -> list[Chunk]:
        if self.satisfied:
            return []
        self._pending += text
        out: list[Chunk] = []
        start, end = self.fmt.start, self.fmt.end
        while not self.satisfied:
            if not self.in_call:
                i = self._pending.find(start)
                if i < 0:
                    break
                out += [("content", self._pending[:i])] if i > 0 else []
                self._pending = self._pending[i:]
                self.in_call = True
                continue
            # Without an end marker a call ends at the output's end; with parallel calls off, a second start
            # marker ends the first call early, so that the model writes no second one (a forced call's grammar
            # already allows only one).
            closer = end or (start if not self.request.parallel and not self.request.forced else "")
            j = self._pending.find(closer, len(start)) if closer else -1
            if j < 0:
                return out
            stop = j + len(end)
            raw, self._pending = self._pending[:stop], self._pending[stop:]
            self.in_call = False
            out += self._close(raw)
        if self.satisfied:
            self._pending = ""
            return out
        keep = held_prefix_len(self._pending, [start])
        cut = len(self._pending) - keep
        if cut > 0:
            out.append(("content", self._pending[:cut]))
            self._pending = self._pending[cut:]
        return out

    def flush(self, complete: bool) -> list[Chunk]:
        """The output ended. `complete`: the model ended it (EOS, a stop string), so an open call is whole if it
        parses; otherwise (budget, cancel) an open call is cut and goes out as the text it was."""
        pending, self._pending = self._pending, ""
        if not pending or self.satisfied:
            return []
        if self.in_call and complete:
            self.in_call = False
            return self._close(pending)
        return [("content", pending)]

    def _close(self, raw: str) -> list[Chunk]:
        body = raw[len(self.fmt.start) :]
        if self.fmt.end and body.endswith(self.fmt.end):
            body = body[: -len(self.fmt.end)]
        try:
            calls = to_calls(self.fmt.parse(body, self.request.tools))
        except Exception:  # noqa: BLE001 - any parser failure means the text was no call
            return [("content", raw)]
        if not self.request.parallel:
            calls = calls[:1]
            self.satisfied = True
        self.calls += len(calls)
        return [("tool_call", (calls, raw))]


class ToolCalls:
    """One generation's tool calling: its scanner (none for `tool_choice: "none"`, whose output is all content)."""

    def __init__(self, fmt: ToolFormat, request: ToolRequest) -> None:
        self.fmt = fmt
        self.request = request
        self.scanner = ToolCallScanner(fmt, request) if request.choice != "none" else None
        self._index = 0

    @property
    def satisfied(self) -> bool:
        return self.scanner is not None and self.scanner.satisfied

    def events(self, chunks: list[tuple[str, str]], end: bool | None = None) -> list[dict[str, Any]]:
        """Token and tool_call events for channel chunks; `end` (complete or not) also flushes the scanner."""
        routed: list[Chunk] = []
        for channel, text in chunks:
            routed += self.scanner.feed(text) if self.scanner and channel == "content" else [(channel, text)]
        if end is not None and self.scanner is not None:
            routed += self.scanner.flush(end)
        events: list[dict[str, Any]] = []
        for channel, value in routed:
            if channel != "tool_call":
                events += [{"event": "token", "text": value, "channel": channel}] if value else []
                continue
            calls, raw = value
            for n, call in enumerate(calls):
                events.append({"event": "tool_call", "index": self._index, "call": call, "text": "" if n else raw})
                self._index += 1
        return events

    def processors(self, tokenizer: Any) -> list[Callable[[Any, Any], Any]]:
        """With `tool_choice: "none"`, a start marker that is one token is never sampled, so no call begins."""
        ids = tokenizer.encode(self.fmt.start, add_special_tokens=False)
        if self.request.choice != "none" or len(ids) != 1:
            return []
        banned = ids[0]

        def ban(_tokens: Any, logits: Any) -> Any:
            import mlx.core as mx

            hit = mx.arange(logits.shape[-1]) == banned
            return mx.where(hit, mx.array(-mx.inf, dtype=logits.dtype), logits)

        return [ban]

    def check_params(self, stop: list[str]) -> None:
        if self.request.forced and stop:
            raise bad_request("stop strings cannot be combined with a forced tool call: one could cut the call")


def prepare(tokenizer: Any, request: ToolRequest | None, messages: list[dict[str, Any]] | None) -> ToolCalls | None:
    """The generation's tool calling, or a typed error when the model cannot take the tools or history."""
    if request is None and not uses_tools(messages):
        return None
    fmt = tool_format(tokenizer)
    if fmt is None:
        raise WorkerError("tools_not_supported", "this model's chat template does not support tool calling")
    return ToolCalls(fmt, request) if request is not None else None
