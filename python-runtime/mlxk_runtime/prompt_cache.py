"""Prompt cache across requests (docs/runtime-protocol.md §3.6).

Per loaded model, mlx-lm's `LRUPromptCache` keeps the KV caches of finished and cancelled generations, keyed by
the tokens each one holds (prompt plus generated). A new generation starts from a copy of the entry that shares
the longest token prefix with its prompt, trimmed back to where the two diverge, and prefills only the rest. The
bound is bytes only: the least recently added entries are evicted first until the model's cache fits.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

log = logging.getLogger("mlxk_runtime")

# The KV of one long conversation is tens to hundreds of MB on small models and GBs on large ones; an eighth of
# the machine keeps a few such conversations without crowding out the model, which shares the same memory.
DEFAULT_FRACTION = 8
DEFAULT_CAP_BYTES = 8 << 30
# mlx-lm's penalty processors look at this many trailing tokens of history, and they see only the tokens that
# were fed to stream_generate: that many must be prefilled, not taken from the cache, for identical output.
PENALTY_CONTEXT = 20
# In a group every rank holds its own layers or heads, so a byte bound would evict different entries on different
# ranks, which would then prefill different token counts and put the group's collectives out of step.
GROUP_DISABLED_REASON = "off in a distributed group: KV bytes differ per rank, so ranks would evict differently"
_KEY = "model"


def default_max_bytes() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError):
        return DEFAULT_CAP_BYTES // 4
    return min(DEFAULT_CAP_BYTES, total // DEFAULT_FRACTION)


class PromptCache:
    """One model's cache of KV states, with the counters the worker reports."""

    def __init__(self, max_bytes: int) -> None:
        from mlx_lm.models.cache import LRUPromptCache

        self.max_bytes = max_bytes
        self._lru = LRUPromptCache(max_size=sys.maxsize)
        self.evictions = 0

    @property
    def nbytes(self) -> int:
        return int(self._lru.nbytes)

    def __len__(self) -> int:
        return len(self._lru)

    def fetch(self, tokens: list[int], min_rest: int = 1) -> tuple[list[Any] | None, int]:
        """A private copy of the best cache for `tokens` and how many leading tokens it already holds."""
        from mlx_lm.models.cache import can_trim_prompt_cache, trim_prompt_cache

        cache, rest = self._lru.fetch_nearest_cache(_KEY, tokens)
        if cache is None:
            return None, 0
        reused = len(tokens) - len(rest)
        # The last prompt token must go through the model to give the first logits (an exact hit holds it already).
        excess = reused - max(0, len(tokens) - max(1, min_rest))
        if excess > 0:
            if not can_trim_prompt_cache(cache) or excess >= reused:
                return None, 0
            trim_prompt_cache(cache, excess)
            reused -= excess
        return cache, reused

    def keep(self, tokens: list[int], cache: list[Any] | None) -> int:
        """Stores the KV of `tokens`; returns how many entries that evicted."""
        if not tokens or not cache:
            return 0
        offsets = {getattr(c, "offset", len(tokens)) for c in cache}
        if offsets != {len(tokens)}:
            # A cache that does not hold exactly these tokens would give wrong answers later; drop it.
            log.warning("prompt cache: KV holds %s tokens, expected %d; not kept", sorted(offsets), len(tokens))
            return 0
        self._lru.insert_cache(_KEY, list(tokens), cache)
        before = len(self._lru)
        self._lru.trim_to(n_bytes=self.max_bytes)
        evicted = before - len(self._lru)
        self.evictions += evicted
        return evicted

    def clear(self) -> None:
        self._lru.trim_to(n_sequences=0)


class PrefixUse:
    """One generation's use of its model's prompt cache: what it reused, and what it gives back at the end."""

    def __init__(self, store: PromptCache | None, prompt_ids: list[int], min_rest: int = 1) -> None:
        self.store = store
        self.prompt_ids = prompt_ids
        self.min_rest = min_rest
        self.cached_tokens = 0
        self.evicted = 0
        # The un-batched path's own KV cache and the tokens it holds.
        self.cache: list[Any] | None = None
        self.tokens: list[int] = []
        self._kept = False

    def fetch(self) -> tuple[list[Any] | None, list[int]]:
        """The cache to start from (None: a fresh one) and the prompt tokens still to prefill."""
        cache, self.cached_tokens = self.store.fetch(self.prompt_ids, self.min_rest) if self.store else (None, 0)
        return cache, self.prompt_ids[self.cached_tokens :]

    def open_single(self, model: Any) -> list[int]:
        """For stream_generate: fetches, owns the cache it will extend, and returns the tokens to prefill."""
        from mlx_lm.models.cache import make_prompt_cache

        cache, rest = self.fetch()
        self.cache = cache if cache is not None else make_prompt_cache(model)
        self.tokens = list(self.prompt_ids)
        return rest

    def generated(self, token: int) -> None:
        if self.cache is not None:
            self.tokens.append(token)

    def keep(self, tokens: list[int], cache: list[Any] | None) -> None:
        if self.store is not None and not self._kept:
            self._kept = True
            self.evicted += self.store.keep(tokens, cache)

    def finish(self) -> None:
        """Keeps the un-batched path's cache (a batched sequence was kept when it left its batch)."""
        if self.cache is not None:
            self.keep(self.tokens, self.cache)
            self.cache = None

    def report(self) -> dict[str, Any] | None:
        """The `prompt_cache` field of `done`: the model's cache once this generation's KV was kept."""
        if self.store is None:
            return None
        return {"bytes": self.store.nbytes, "entries": len(self.store), "evicted": self.evicted}


class PromptCaches:
    """The worker's prompt caches, one per loaded model, all under the same byte bound."""

    def __init__(self, max_bytes: int | None, grouped: bool) -> None:
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self.disabled_reason = GROUP_DISABLED_REASON if grouped else None
        self._by_model: dict[str, PromptCache] = {}

    def open(self, model_id: str) -> None:
        if self.disabled_reason is None and self.max_bytes > 0 and model_id not in self._by_model:
            self._by_model[model_id] = PromptCache(self.max_bytes)

    def get(self, model_id: str) -> PromptCache | None:
        return self._by_model.get(model_id)

    def drop(self, model_id: str) -> None:
        store = self._by_model.pop(model_id, None)
        if store is not None:
            store.clear()

    def describe(self) -> dict[str, Any]:
        """The `prompt_cache` field of `loaded`."""
        enabled = self.disabled_reason is None and self.max_bytes > 0
        return {"max_bytes": self.max_bytes if enabled else 0, "disabled_reason": self.disabled_reason}
