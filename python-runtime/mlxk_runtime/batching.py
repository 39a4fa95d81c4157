"""Continuous batching: generations in flight on the same model are stepped together by mlx-lm's BatchGenerator.

A batched generation keeps its own `Generation` object (stop strings, reasoning split, budget, usage and timing);
only its token source changes: a `_Slot` stands in for the `stream_generate` iterator and yields the same kind of
responses (text from a per-request detokenizer, token, generation_tokens, finish_reason), so `Generation.step`
runs unchanged. A lone generation, and one whose parameters a batch cannot honour (a seed, logits processors such
as penalties or logit_bias, logprobs), keeps the un-batched `stream_generate` path. A constraint mask is batched:
each sequence brings its own as a per-sequence logits processor.
"""

from __future__ import annotations

import logging
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .generation import Generation
from .model_loading import LoadedModel

log = logging.getLogger("mlxk_runtime")


@dataclass
class _Response:
    """The fields of mlx-lm's GenerationResponse that `Generation.step` reads."""

    text: str
    token: int
    generation_tokens: int
    finish_reason: str | None


def batchable(gen: Generation) -> bool:
    """Whether a batch can honour this request's parameters exactly."""
    p = gen.params
    # A seed needs the global random state to itself; logits processors (repetition, presence and frequency
    # penalties, logit_bias) need the exact token history and a per-request hook; logprobs need the full
    # distribution of each step. The batch provides none of these.
    return p.seed is None and not p.logits_processor_args() and not p.logprobs


def _model_batchable(loaded: LoadedModel) -> bool:
    from mlx_lm.models.cache import make_prompt_cache

    return all(hasattr(c, "merge") for c in make_prompt_cache(loaded.model))


class _Slot:
    """One sequence of a batch, in the place of `Generation._stream`; `close` removes it from the batch."""

    def __init__(self, batch: ModelBatch, uid: int, gen: Generation) -> None:
        self.batch = batch
        self.uid = uid
        self.detokenizer = gen.loaded.tokenizer.detokenizer
        self.prefix = gen.prefix
        self.pending: deque[_Response] = deque()
        self.error: Exception | None = None
        self.count = 0
        self.closed = False

    def ready(self) -> bool:
        return bool(self.pending) or self.error is not None

    def push(self, token: int, finish_reason: str | None) -> None:
        # Same detokenization and counting as mlx_lm.stream_generate: EOS is counted but not decoded.
        self.count += 1
        if finish_reason != "stop":
            self.detokenizer.add_token(token)
        if finish_reason is not None:
            self.detokenizer.finalize()
        self.pending.append(_Response(self.detokenizer.last_segment, token, self.count, finish_reason))

    def __iter__(self) -> _Slot:
        return self

    def __next__(self) -> _Response:
        if self.error is not None:
            raise self.error
        if not self.pending:
            raise StopIteration
        return self.pending.popleft()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.batch.remove(self.uid)


class ModelBatch:
    """A BatchGenerator for one model and the slots of the generations in it."""

    def __init__(self, loaded: LoadedModel, on_empty: Callable[[ModelBatch], None]) -> None:
        from mlx_lm.generate import BatchGenerator

        self.loaded = loaded
        self.on_empty = on_empty
        self.generator: Any = BatchGenerator(loaded.model, stop_tokens=[[t] for t in loaded.eos_token_ids])
        self.slots: dict[int, _Slot] = {}
        self.samplers: dict[tuple[float, float, float, int], Any] = {}
        self.broken = False

    def _sampler(self, gen: Generation) -> Any:
        from mlx_lm.sample_utils import make_sampler

        p = gen.params
        if p.temperature == 0:
            return None  # the generator's shared greedy sampler: one batched argmax
        key = (p.temperature, p.top_p if p.top_p < 1.0 else 0.0, p.min_p, p.top_k)
        if key not in self.samplers:
            # Equal parameters share one sampler object, so the batch samples them in one call.
            self.samplers[key] = make_sampler(temp=key[0], top_p=key[1], min_p=key[2], top_k=key[3])
        return self.samplers[key]

    def add(self, gen: Generation) -> None:
        cache, rest = gen.prefix.fetch()
        (uid,) = self.generator.insert(
            [rest],
            max_tokens=[gen.max_tokens],
            caches=[cache],
            all_tokens=[gen.prompt_ids[: gen.prefix.cached_tokens]],
            samplers=[self._sampler(gen)],
            logits_processors=[gen.logits_processors()],
        )
        slot = _Slot(self, uid, gen)
        self.slots[uid] = slot
        gen._stream = slot

    def remove(self, uid: int) -> None:
        slot = self.slots.pop(uid, None)
        if slot is not None and not self.broken:
            try:
                # A cancelled or stopped sequence leaves its KV for the next request that shares its prefix.
                for cache, tokens in self.generator.remove([uid], return_prompt_caches=True).values():
                    slot.prefix.keep(list(tokens), cache)
            except Exception as e:  # noqa: BLE001 - the rest of the batch fails at its next step
                log.exception("cannot remove a sequence from its batch")
                self.broken = True
                for slot in self.slots.values():
                    slot.error = e
        if not self.slots:
            self.on_empty(self)

    def step(self) -> None:
        """One BatchGenerator step: a token for every sequence past its prompt, or a chunk of prompt processing."""
        try:
            _, responses = self.generator.next()
        except Exception as e:  # noqa: BLE001 - every sequence of the batch fails with it
            log.exception("batched generation crashed")
            self.broken = True
            for slot in self.slots.values():
                slot.error = e
            return
        for r in responses:
            slot = self.slots.get(r.uid)
            if slot is not None:
                slot.push(int(r.token), r.finish_reason)
                if r.finish_reason is not None:
                    # The generator has already dropped the sequence.
                    slot.closed = True
                    slot.prefix.keep(list(r.all_tokens), r.prompt_cache)
                    del self.slots[r.uid]
        if not self.slots:
            self.on_empty(self)

    def close(self) -> None:
        self.generator.close()


class Batcher:
    """Puts new generations that share a model into that model's batch and steps each batch once per loop."""

    def __init__(self) -> None:
        self.batches: dict[str, ModelBatch] = {}
        # Weak, so an unloaded model's memory is not kept alive by this cache.
        self._model_ok: dict[str, tuple[weakref.ref[LoadedModel], bool]] = {}

    def _drop(self, batch: ModelBatch) -> None:
        if self.batches.get(batch.loaded.model_id) is batch:
            del self.batches[batch.loaded.model_id]
        batch.close()

    def _can_batch(self, loaded: LoadedModel) -> bool:
        known = self._model_ok.get(loaded.model_id)
        if known is None or known[0]() is not loaded:
            try:
                ok = _model_batchable(loaded)
            except Exception:  # noqa: BLE001 - treat as not batchable
                ok = False
            known = self._model_ok[loaded.model_id] = (weakref.ref(loaded), ok)
        return known[1]

    def advance(self, generations: dict[str, Generation]) -> None:
        for batch in list(self.batches.values()):
            if batch.broken:
                self._drop(batch)
        in_flight: dict[str, int] = {}
        for gen in generations.values():
            if not gen.finished:
                in_flight[gen.loaded.model_id] = in_flight.get(gen.loaded.model_id, 0) + 1
        for gen in generations.values():
            if gen.finished or gen._stream is not None or not batchable(gen):
                continue
            model_id = gen.loaded.model_id
            batch = self.batches.get(model_id)
            if batch is not None and batch.loaded is not gen.loaded:
                continue
            try:
                if batch is None:
                    if in_flight.get(model_id, 0) < 2 or not self._can_batch(gen.loaded):
                        continue
                    batch = self.batches[model_id] = ModelBatch(gen.loaded, self._drop)
                batch.add(gen)
            except Exception:  # noqa: BLE001 - the generation keeps the un-batched path
                log.exception("cannot batch generation %s", gen.request_id)
        for batch in list(self.batches.values()):
            batch.step()

    @staticmethod
    def ready(gen: Generation) -> bool:
        """Whether `gen.step()` has something to report; a batched sequence may still be in prompt processing."""
        stream = gen._stream
        return not isinstance(stream, _Slot) or stream.ready()
