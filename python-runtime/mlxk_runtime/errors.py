"""Typed worker errors; each becomes one protocol `error` event (docs/runtime-protocol.md §2.7)."""

from __future__ import annotations

from typing import Any


class WorkerError(Exception):
    def __init__(self, type_: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message
        self.extra = extra

    def payload(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, **self.extra}


def bad_request(message: str) -> WorkerError:
    return WorkerError("bad_request", message)
