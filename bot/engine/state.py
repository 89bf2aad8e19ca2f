"""Conversation state as stored in the database (JSON), and what the replay shows of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

INTERNAL_SLOTS = frozenset({"device_family", "storage_choice", "accept"})


@dataclass
class ConversationState:
    """Where a conversation is: active flow and step, slots, recent fallbacks, last quote."""

    flow: str | None = None
    step: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    fallbacks: int = 0
    last_quote_id: str | None = None

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> ConversationState:
        """Rebuild from the stored JSON; unknown keys are ignored, missing ones defaulted."""
        raw = raw or {}
        return cls(
            flow=raw.get("flow"), step=raw.get("step"), slots=dict(raw.get("slots") or {}),
            fallbacks=int(raw.get("fallbacks") or 0), last_quote_id=raw.get("last_quote_id"),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON stored in conversations.state."""
        return asdict(self)

    def visible_slots(self) -> dict[str, Any]:
        """Slots as the replay contract shows them (internal helpers left out)."""
        return {k: v for k, v in self.slots.items() if k not in INTERNAL_SLOTS and v is not None}
