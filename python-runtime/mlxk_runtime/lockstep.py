"""Keeps the ranks of a distributed worker group in step (docs/distributed.md).

Every rank must issue the same collectives in the same order, so every rank runs the same worker loop on the
same inputs: rank 0 reads the client's requests and shares each loop's batch of them with the group; the other
ranks apply them exactly as rank 0 does and throw their events away. Sampling stays identical because the logits
are identical after the all-reduce and every rank starts from the same random seed.

MLX's ring backend does not always raise when a peer dies: a collective can return an uninitialised buffer. Each
collective therefore carries a tick that every rank contributes; the sum must be `size × tick`, and a tick that
grows by one per collective means a recycled buffer cannot pass for a fresh result. A failed check raises
`GroupLost`; the worker then exits and the client relaunches the group.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

TICK_WRAP = 1 << 24
HOST_INFO_BYTES = 512


class GroupLost(Exception):
    """A rank is gone or the ranks are out of step; nothing the group computes can be trusted any more."""


class Lockstep:
    def __init__(self, group: Any, backend: str) -> None:
        self.group = group
        self.backend = backend
        self.rank: int = group.rank()
        self.size: int = group.size()
        self._tick = 0

    @property
    def leader(self) -> bool:
        return self.rank == 0

    def _next_tick(self) -> int:
        self._tick = self._tick % (TICK_WRAP - 1) + 1
        return self._tick

    def _sum(self, values: Any) -> Any:
        import mlx.core as mx
        from mlx_lm.generate import generation_stream

        try:
            # mlx-lm evaluates the next token's forward pass asynchronously on its own stream, and that pass has
            # collectives of its own. Two streams' collectives would reach the ring in a different order on each
            # rank, so everything queued there finishes before ours starts.
            mx.synchronize(generation_stream)
            out = mx.distributed.all_sum(values, group=self.group, stream=mx.cpu)
            mx.eval(out)
        except Exception as e:  # noqa: BLE001 - the ring backend raises RuntimeError when a peer is lost
            raise GroupLost(f"collective failed: {e}") from e
        return out

    def _checked(self, contribution: list[int], what: str) -> list[int]:
        import mlx.core as mx

        tick = self._next_tick()
        got = self._sum(mx.array([tick, *contribution], dtype=mx.int32)).tolist()
        if not isinstance(got, list) or len(got) != 1 + len(contribution) or got[0] != tick * self.size:
            raise GroupLost(f"the group is out of step at {what} (tick {tick})")
        return [int(v) for v in got[1:]]

    def confirm(self) -> None:
        """Every rank is alive and at the same point; results computed before this call can be trusted."""
        self._checked([], "confirm")

    def agree(self, ok: bool) -> int:
        """How many ranks passed a local check."""
        return self._checked([1 if ok else 0], "agree")[0]

    def share(self, items: list[Any] | None, nap_ms: int = 0) -> tuple[list[Any], int]:
        """Rank 0's `items` (JSON values) and `nap_ms` on every rank; other ranks pass None and 0."""
        import mlx.core as mx
        import numpy as np

        payload = json.dumps(items, separators=(",", ":")).encode("utf-8") if self.leader and items else b""
        length, nap_ms = self._checked([len(payload), nap_ms if self.leader else 0], "share")
        if length == 0:
            return [], nap_ms
        if self.leader:
            buffer = mx.array(np.frombuffer(payload, dtype=np.uint8))
        else:
            buffer = mx.zeros((length,), dtype=mx.uint8)
        data = bytes(np.array(self._sum(buffer), dtype=np.uint8))
        try:
            shared = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise GroupLost(f"shared requests arrived corrupted: {e}") from e
        if not isinstance(shared, list):
            raise GroupLost("shared requests arrived corrupted")
        return shared, nap_ms

    def share_seed(self) -> int:
        """One random seed for the whole group, so sampling with temperature picks the same tokens on every rank."""
        seed = int.from_bytes(os.urandom(3), "little") if self.leader else 0
        return self._checked([seed], "seed")[0]

    def gather_hosts(self) -> list[dict[str, Any]]:
        """Each rank's host name and pid, by rank."""
        import mlx.core as mx
        import numpy as np

        mine = json.dumps({"host": socket.gethostname(), "pid": os.getpid()}).encode("utf-8")[:HOST_INFO_BYTES]
        table = np.zeros((self.size, HOST_INFO_BYTES), dtype=np.uint8)
        table[self.rank, : len(mine)] = np.frombuffer(mine, dtype=np.uint8)
        self._checked([], "gather")
        rows = np.array(self._sum(mx.array(table)), dtype=np.uint8)
        ranks = []
        for r in range(self.size):
            raw = bytes(rows[r]).rstrip(b"\0")
            try:
                info = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise GroupLost(f"rank {r} sent an unreadable host record") from e
            ranks.append({"rank": r, "host": str(info.get("host")), "pid": int(info.get("pid", 0))})
        return ranks

    def topology(self, ranks: list[dict[str, Any]]) -> dict[str, Any]:
        return {"backend": self.backend, "world_size": self.size, "ranks": ranks}
