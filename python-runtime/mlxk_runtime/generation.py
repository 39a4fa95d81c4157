"""One in-flight generation: prompt rendering, token budget, and stepping mlx-lm's stream one token at a time."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from math import inf
from typing import Any

from .constrained import TokenMask, token_mask
from .errors import WorkerError
from .generation_params import GenerateParams
from .model_loading import THINK_END, THINK_START, LoadedModel
from .prompt_cache import PENALTY_CONTEXT, PrefixUse, PromptCache
from .text_filters import ReasoningSplitter, StopStringScanner
from .tool_calls import ToolCalls, prepare
from .tool_grammars import call_constraint, tool_of_schema

Event = dict[str, Any]


def render_prompt(params: GenerateParams, loaded: LoadedModel) -> tuple[list[int], str]:
    """Token ids and text of the prompt; the text tells whether the template left a <think> open."""
    tok = loaded.tokenizer
    if params.messages is not None:
        messages = params.messages
    else:
        assert params.prompt is not None
        messages = [{"role": "user", "content": params.prompt}]
    if params.chat_template and tok.has_chat_template:
        tools = {"tools": params.tools.tools} if params.tools is not None else {}
        text = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False, **tools)
        ids = list(tok.apply_chat_template(messages, add_generation_prompt=True, **tools))
        return ids, text
    if params.tools is not None:
        raise WorkerError("tools_not_supported", "tools are rendered by the chat template, which this request skips")
    if params.prompt is not None and not params.chat_template:
        text = params.prompt
    else:
        text = "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "
    # Same rule as mlx_lm.stream_generate, so raw prompts tokenize identically to mlx_lm.generate.
    bos = tok.bos_token
    ids = list(tok.encode(text, add_special_tokens=bos is None or not text.startswith(bos)))
    return ids, text


def prompt_opens_reasoning(text: str) -> bool:
    return text.rfind(THINK_START) > text.rfind(THINK_END)


class Generation:
    def __init__(
        self,
        request_id: str,
        params: GenerateParams,
        loaded: LoadedModel,
        received_at: float,
        prompt_cache: PromptCache | None = None,
    ) -> None:
        self.request_id = request_id
        self.params = params
        self.loaded = loaded
        self.received_at = received_at
        self.calls: ToolCalls | None = prepare(loaded.tokenizer, params.tools, params.messages)
        if self.calls is not None:
            self.calls.check_params(params.stop)
            constraint = call_constraint(self.calls.fmt, self.calls.request, loaded, params.constraint)
            if constraint is not None:
                self.params = params = dataclasses.replace(params, constraint=constraint)
        self.prompt_ids, prompt_text = render_prompt(params, loaded)
        if not self.prompt_ids:
            # mlx-lm cannot start from nothing; an empty prompt (or a template that renders none) is the caller's.
            raise WorkerError("bad_request", "the prompt is empty: there is nothing to continue from")
        self.prompt_tokens = len(self.prompt_ids)
        available = loaded.context_length - self.prompt_tokens
        if available <= 0:
            raise WorkerError(
                "context_length_exceeded",
                f"prompt has {self.prompt_tokens} tokens, context length is {loaded.context_length}",
                context_length=loaded.context_length,
                prompt_tokens=self.prompt_tokens,
            )
        requested = params.max_tokens if params.max_tokens is not None else loaded.context_length
        self.max_tokens = min(requested, available)
        self.clamped = params.max_tokens is not None and requested > available
        starts_in_reasoning = loaded.is_reasoning and prompt_opens_reasoning(prompt_text)
        # A constrained answer is kept verbatim: only a reasoning block before it is split off.
        self.splitter = (
            ReasoningSplitter(THINK_START, THINK_END, starts_in_reasoning, leading_only=params.constraint is not None)
            if loaded.is_reasoning
            else None
        )
        self.stops = StopStringScanner(params.stop)
        vocab = getattr(getattr(loaded.model, "args", None), "vocab_size", None)
        if isinstance(vocab, int) and params.top_k >= vocab:
            # Keeping every token is no top-k at all; mlx-lm's sampler refuses such a k instead.
            self.params = params = dataclasses.replace(params, top_k=0)
        if isinstance(vocab, int):
            bad = [t for t in params.logit_bias if t >= vocab]
            if bad:
                raise WorkerError("bad_request", f"logit_bias token id out of range (vocab size {vocab}): {bad[0]}")
        try:
            self.mask: TokenMask | None = (
                token_mask(params.constraint, loaded, starts_in_reasoning) if params.constraint is not None else None
            )
        except WorkerError as e:
            if self.calls is not None:
                tool_of_schema(e)
            raise
        history = PENALTY_CONTEXT if params.logits_processor_args().keys() - {"logit_bias"} else 1
        self.prefix = PrefixUse(prompt_cache, self.prompt_ids, min_rest=history)
        self.completion_tokens = 0
        self._pending_logprobs: list[dict[str, Any]] = []
        self.first_token_at: float | None = None
        self.finished = False
        self._stream: Iterator[Any] | None = None

    def start_event(self) -> Event:
        return {
            "event": "start",
            "prompt_tokens": self.prompt_tokens,
            "max_tokens": self.max_tokens,
            "requested_max_tokens": self.params.max_tokens,
            "clamped": self.clamped,
            "context_length": self.loaded.context_length,
            "reasoning": bool(self.splitter and self.splitter.in_reasoning),
        }

    def _open_stream(self) -> Iterator[Any]:
        import mlx.core as mx
        from mlx_lm.generate import stream_generate
        from mlx_lm.sample_utils import make_sampler

        p = self.params
        if p.seed is not None:
            mx.random.seed(p.seed)
        sampler = make_sampler(
            temp=p.temperature, top_p=p.top_p if p.top_p < 1.0 else 0.0, min_p=p.min_p, top_k=p.top_k
        )
        return stream_generate(
            self.loaded.model,
            self.loaded.tokenizer,
            self.prefix.open_single(self.loaded.model),
            max_tokens=self.max_tokens,
            sampler=sampler,
            logits_processors=self.logits_processors() or None,
            prompt_cache=self.prefix.cache,
        )

    def logits_processors(self) -> list[Any]:
        """Penalties and logit_bias first; the constraint mask last, so nothing can re-allow a masked token."""
        from mlx_lm.sample_utils import make_logits_processors

        processor_args = self.params.logits_processor_args()
        processors = make_logits_processors(**processor_args) if processor_args else []
        if self.calls is not None:
            processors += self.calls.processors(self.loaded.tokenizer)
        return processors + [self.mask] if self.mask is not None else processors

    def _text_events(self, text: str) -> list[Event]:
        if not text:
            return []
        return self._chunk_events(self.splitter.feed(text) if self.splitter else [("content", text)])

    def _chunk_events(self, chunks: list[tuple[str, str]], complete: bool | None = None) -> list[Event]:
        """Token events, and tool_call events once a call closes; `complete` ends the output (§3.7)."""
        if self.calls is not None:
            return self.calls.events(chunks, complete)
        return [{"event": "token", "text": t, "channel": c} for c, t in chunks if t]

    def _flush_events(self, complete: bool) -> list[Event]:
        """`complete`: the model ended the output (EOS, a stop string), rather than the budget or a cancel."""
        events = self._text_events(self.stops.flush())
        events += self._chunk_events(self.splitter.flush() if self.splitter else [], complete)
        return self._attach_logprobs(events)

    def _token_text(self, token: int) -> str:
        return str(self.loaded.tokenizer.decode([token]))

    def _record_logprobs(self, response: Any) -> None:
        """Queues the logprob entry of a sampled token (not the EOS that ends the generation)."""
        if not self.params.logprobs or response.finish_reason == "stop" or response.logprobs is None:
            return
        import mlx.core as mx

        logprobs = response.logprobs.astype(mx.float32).reshape(-1)
        token = int(response.token)
        entry: dict[str, Any] = {
            "token_id": token,
            "token": self._token_text(token),
            "logprob": float(logprobs[token].item()),
            "top_logprobs": [],
        }
        k = self.params.top_logprobs
        if k > 0:
            k = min(k, logprobs.shape[0])
            top = mx.argpartition(-logprobs, kth=k - 1)[:k]
            values = logprobs[top].tolist()
            # A token the constraint masked (-inf, which JSON cannot carry) is no alternative.
            kept = [(t, v) for t, v in zip(top.tolist(), values, strict=True) if v > -inf]
            pairs = sorted(kept, key=lambda tv: -tv[1])
            entry["top_logprobs"] = [
                {"token_id": int(t), "token": self._token_text(int(t)), "logprob": float(v)} for t, v in pairs
            ]
        self._pending_logprobs.append(entry)

    def _attach_logprobs(self, events: list[Event]) -> list[Event]:
        """The first token event carries every entry queued since the last one that carried entries."""
        if self.params.logprobs and events and self._pending_logprobs:
            events[0]["logprobs"] = self._pending_logprobs
            self._pending_logprobs = []
        return events

    def _done(self, finish_reason: str, stop: dict[str, Any] | None) -> Event:
        self.finished = True
        self.prefix.finish()
        now = time.perf_counter()
        total = now - self.received_at
        ttft = (self.first_token_at or now) - self.received_at
        after_first = now - (self.first_token_at or now)
        tps = (self.completion_tokens - 1) / after_first if self.completion_tokens > 1 and after_first > 0 else 0.0
        usage = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.prefix.cached_tokens,
        }
        cache = self.prefix.report()
        return {
            "event": "done",
            "finish_reason": finish_reason,
            "stop": stop,
            "usage": usage,
            "timing": {"ttft_s": round(ttft, 6), "tokens_per_s": round(tps, 3), "total_s": round(total, 6)},
            **({"prompt_cache": cache} if cache is not None else {}),
        }

    def step(self) -> list[Event]:
        """Advance by one sampled token; returns the events it produced (the last one is `done` at the end)."""
        if self.finished:
            return []
        try:
            if self._stream is None:
                self._stream = self._open_stream()
            response = next(self._stream, None)
        except Exception as e:  # noqa: BLE001 - reported to the client as a typed error
            self.close()
            raise WorkerError("generation_failed", f"{type(e).__name__}: {e}") from e
        if response is None:
            return self._flush_events(True) + [self._done("stop", None)]
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self.completion_tokens = response.generation_tokens
        self.prefix.generated(int(response.token))
        self._record_logprobs(response)
        released, match = self.stops.feed(response.text)
        events = self._text_events(released)
        if match is not None:
            self.close()
            events += self._chunk_events(self.splitter.flush() if self.splitter else [], True)
            events = self._attach_logprobs(events)
            return events + [self._done("stop", {"type": "string", "string": match.stop_string})]
        events = self._attach_logprobs(events)
        if self.calls is not None and self.calls.satisfied:
            # parallel_tool_calls false: the one call is made, so the generation ends here.
            self.close()
            return events + self._flush_events(True) + [self._done("stop", {"type": "tool_call"})]
        if response.finish_reason is not None:
            events += self._flush_events(response.finish_reason == "stop")
            if response.finish_reason == "stop":
                return events + [self._done("stop", {"type": "eos", "token_id": int(response.token)})]
            return events + [self._done("length", None)]
        return events

    def cancel(self) -> list[Event]:
        if self.finished:
            return []
        self.close()
        return self._flush_events(False) + [self._done("cancelled", None)]

    def close(self) -> None:
        if self._stream is not None:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
            self._stream = None
