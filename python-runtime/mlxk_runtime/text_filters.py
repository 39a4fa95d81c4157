"""Incremental text scanners that must never leak a marker split across streamed chunks."""

from __future__ import annotations

from dataclasses import dataclass


def held_prefix_len(text: str, markers: list[str]) -> int:
    """Length of the longest tail of `text` that could still grow into one of `markers`."""
    longest = max((len(m) for m in markers), default=0)
    for k in range(min(longest - 1, len(text)), 0, -1):
        tail = text[-k:]
        if any(m.startswith(tail) for m in markers):
            return k
    return 0


@dataclass
class StopMatch:
    emitted: str
    stop_string: str


class StopStringScanner:
    """Finds the earliest user stop string in a growing text and releases only text that cannot be part of one."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = [s for s in stops if s]
        self._pending = ""

    def feed(self, text: str) -> tuple[str, StopMatch | None]:
        self._pending += text
        if not self.stops:
            out, self._pending = self._pending, ""
            return out, None
        best: tuple[int, str] | None = None
        for s in self.stops:
            i = self._pending.find(s)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, s)
        if best is not None:
            out = self._pending[: best[0]]
            self._pending = ""
            return out, StopMatch(out, best[1])
        keep = held_prefix_len(self._pending, self.stops)
        cut = len(self._pending) - keep
        out, self._pending = self._pending[:cut], self._pending[cut:]
        return out, None

    def flush(self) -> str:
        out, self._pending = self._pending, ""
        return out


class ReasoningSplitter:
    """Splits generated text into reasoning and content channels at <think>/</think>, dropping the markers.

    With `leading_only`, only a reasoning block at the very start is split off; the text after it is content
    verbatim, markers included (a constrained answer must reach the client exactly as the grammar produced it).
    """

    def __init__(self, start: str, end: str, in_reasoning: bool, leading_only: bool = False) -> None:
        self.start = start
        self.end = end
        self.in_reasoning = in_reasoning
        self.leading_only = leading_only
        self._verbatim = False
        self._pending = ""

    def _marker(self) -> str:
        return self.end if self.in_reasoning else self.start

    def feed(self, text: str) -> list[tuple[str, str]]:
        self._pending += text
        if self.leading_only and not self.in_reasoning and not self._verbatim and not self._open_at_start():
            return []
        if self._verbatim:
            out, self._pending = self._pending, ""
            return [("content", out)] if out else []
        chunks: list[tuple[str, str]] = []
        markers = [self.start, self.end]
        while True:
            found = [(i, m) for m in markers if (i := self._pending.find(m)) >= 0]
            if not found:
                break
            i, marker = min(found)
            if i > 0:
                chunks.append((self._channel(), self._pending[:i]))
            self._pending = self._pending[i + len(marker) :]
            # A stray marker (a second </think> after the answer began) is dropped without switching channels:
            # markers never reach the client.
            if marker == self._marker():
                self.in_reasoning = not self.in_reasoning
                if self.leading_only:
                    self._verbatim = True
                    chunks += [("content", self._pending)] if self._pending else []
                    self._pending = ""
                    return chunks
        keep = held_prefix_len(self._pending, markers)
        cut = len(self._pending) - keep
        if cut > 0:
            chunks.append((self._channel(), self._pending[:cut]))
            self._pending = self._pending[cut:]
        return chunks

    def _open_at_start(self) -> bool:
        """Whether the start of the output is decided: a reasoning block opened, or the answer began."""
        if self._pending.startswith(self.start):
            self._pending = self._pending[len(self.start) :]
            self.in_reasoning = True
            return True
        if self.start.startswith(self._pending):
            return False
        self._verbatim = True
        return True

    def flush(self) -> list[tuple[str, str]]:
        out = [(self._channel(), self._pending)] if self._pending else []
        self._pending = ""
        return out

    def _channel(self) -> str:
        return "reasoning" if self.in_reasoning else "content"
