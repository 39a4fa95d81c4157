"""Validation of `generate` request parameters (docs/runtime-protocol.md §2.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .constrained import Constraint, parse_constraint
from .errors import bad_request
from .tool_request import ToolRequest, parse_tools, template_message


@dataclass
class GenerateParams:
    model_id: str
    messages: list[dict[str, Any]] | None
    prompt: str | None
    chat_template: bool
    max_tokens: int | None
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: dict[int, float] = field(default_factory=dict)
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    logprobs: bool = False
    top_logprobs: int = 0
    constraint: Constraint | None = None
    tools: ToolRequest | None = None

    def logits_processor_args(self) -> dict[str, Any]:
        """Keyword arguments for `make_logits_processors`; empty when no processor applies."""
        args: dict[str, Any] = {}
        if self.repetition_penalty != 1.0:
            args["repetition_penalty"] = self.repetition_penalty
        if self.presence_penalty != 0.0:
            args["presence_penalty"] = self.presence_penalty
        if self.frequency_penalty != 0.0:
            args["frequency_penalty"] = self.frequency_penalty
        if self.logit_bias:
            args["logit_bias"] = dict(self.logit_bias)
        return args


def _number(req: dict[str, Any], key: str, default: float, lo: float, hi: float, lo_open: bool = False) -> float:
    value = req.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{key} must be a number")
    if value < lo or value > hi or (lo_open and value == lo):
        raise bad_request(f"{key} out of range: {value}")
    return float(value)


def _integer(req: dict[str, Any], key: str, minimum: int) -> int | None:
    value = req.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{key} must be an integer")
    if value < minimum:
        raise bad_request(f"{key} must be >= {minimum}")
    return value


def _logit_bias(value: Any) -> dict[int, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("logit_bias must be an object mapping token ids to numbers")
    out: dict[int, float] = {}
    for key, bias in value.items():
        if not isinstance(key, str) or not key.isdigit():
            raise bad_request(f"logit_bias key must be a token id: {key!r}")
        if isinstance(bias, bool) or not isinstance(bias, int | float):
            raise bad_request("logit_bias values must be numbers")
        if bias < -100 or bias > 100:
            raise bad_request(f"logit_bias value out of range: {bias}")
        if bias != 0:
            out[int(key)] = float(bias)
    return out


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                raise bad_request("message content parts must be {type: 'text', text: string}")
        return "".join(parts)
    raise bad_request("message content must be a string or a list of text parts")


def _messages(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise bad_request("messages must be a non-empty list")
    out = []
    for m in value:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise bad_request("each message needs a string role")
        # An assistant message that only calls tools has null content.
        out.append(template_message(m, _content_text(m.get("content") or "")))
    return out


def parse_generate(req: dict[str, Any]) -> GenerateParams:
    model_id = req.get("model_id")
    if not isinstance(model_id, str) or not model_id:
        raise bad_request("model_id must be a non-empty string")
    has_messages = req.get("messages") is not None
    has_prompt = req.get("prompt") is not None
    if has_messages == has_prompt:
        raise bad_request("give exactly one of messages or prompt")
    messages = _messages(req["messages"]) if has_messages else None
    prompt = req.get("prompt")
    if has_prompt and not isinstance(prompt, str):
        raise bad_request("prompt must be a string")
    chat_template = req.get("chat_template", has_messages)
    if not isinstance(chat_template, bool):
        raise bad_request("chat_template must be a boolean")
    stop = req.get("stop") or []
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise bad_request("stop must be a list of strings")
    seed = req.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise bad_request("seed must be an integer")
    if seed is not None:
        # mx.random.seed takes a uint64; OpenAI clients send any int64, and equal seeds must stay equal.
        seed %= 2**64
    logprobs = req.get("logprobs", False)
    if logprobs is None:
        logprobs = False
    if not isinstance(logprobs, bool):
        raise bad_request("logprobs must be a boolean")
    top_logprobs = _integer(req, "top_logprobs", 0) or 0
    if top_logprobs > 20:
        raise bad_request(f"top_logprobs out of range: {top_logprobs}")
    constraint = parse_constraint(req.get("constraint"))
    if constraint is not None and any(stop):
        # A stop string could cut the constrained output short of its grammar and still end with "stop".
        raise bad_request("stop strings cannot be combined with a constraint")
    return GenerateParams(
        model_id=model_id,
        messages=messages,
        prompt=prompt,
        chat_template=chat_template,
        max_tokens=_integer(req, "max_tokens", 1),
        temperature=_number(req, "temperature", 0.0, 0.0, 100.0),
        top_p=_number(req, "top_p", 1.0, 0.0, 1.0, lo_open=True),
        top_k=_integer(req, "top_k", 0) or 0,
        min_p=_number(req, "min_p", 0.0, 0.0, 1.0),
        repetition_penalty=_number(req, "repetition_penalty", 1.0, 0.0, 100.0, lo_open=True),
        presence_penalty=_number(req, "presence_penalty", 0.0, -2.0, 2.0),
        frequency_penalty=_number(req, "frequency_penalty", 0.0, -2.0, 2.0),
        logit_bias=_logit_bias(req.get("logit_bias")),
        seed=seed,
        stop=[s for s in stop if s],
        logprobs=logprobs,
        top_logprobs=top_logprobs if logprobs else 0,
        constraint=constraint,
        tools=parse_tools(req) if has_messages else _no_tools(req),
    )


def _no_tools(req: dict[str, Any]) -> None:
    if req.get("tools"):
        raise bad_request("tools need messages: a raw prompt has no template to render them")
