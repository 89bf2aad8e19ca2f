"""Which handler delivers which kind of outbox row: kinds are added by registering, never by editing the worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

Deliver = Callable[[Mapping[str, Any]], Awaitable[None]]  # raises RetryableDelivery or PermanentDelivery
OnDead = Callable[[Session, Mapping[str, Any]], None]  # runs in the transaction that marks the row dead


@dataclass(frozen=True)
class Handler:
    """How one kind is delivered, what happens when it never can be, and who may send it."""

    deliver: Deliver
    on_dead: OnDead | None = None
    role: str | None = None  # e.g. "telegram": only the process holding this role delivers the kind


class Registry:
    """kind -> Handler."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        """Deliver rows of `kind` with `handler` (a kind has one handler)."""
        if kind in self._handlers:
            raise ValueError(f"outbox kind {kind!r} is registered twice")
        self._handlers[kind] = handler

    def get(self, kind: str) -> Handler | None:
        """The handler of a kind, if any."""
        return self._handlers.get(kind)

    def __iter__(self) -> Iterator[tuple[str, Handler]]:
        return iter(self._handlers.items())

    def __len__(self) -> int:
        return len(self._handlers)
