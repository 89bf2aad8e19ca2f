"""Frozen values shared by every layer: messages in, replies out, quotes, sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class IncomingMessage:
    """One thing a user did: typed text or pressed a button."""

    channel: str
    user_id: str
    chat_id: str
    message_id: str
    text: str | None = None
    button_payload: str | None = None
    sent_at: datetime | None = None
    display_name: str | None = None

    @property
    def conversation_key(self) -> str:
        """The key that identifies this user's conversation on this channel."""
        return f"{self.channel}:{self.chat_id}"


@dataclass(frozen=True)
class Button:
    """A choice offered with a reply; payload is what comes back when pressed."""

    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """A channel-neutral message from the bot."""

    text: str
    buttons: tuple[Button, ...] = ()
    response: str | None = None  # its name in config/responses.yaml, when it came from there


@dataclass(frozen=True)
class Source:
    """A knowledge document an answer was built from."""

    id: str
    title: str
    kind: str


@dataclass(frozen=True)
class QuoteLine:
    """One line of a quote's breakdown."""

    label: str
    amount_usd: Decimal


@dataclass(frozen=True)
class Quote:
    """A trade-in offer as stored and shown."""

    quote_id: str
    device_model: str
    storage_gb: int
    condition: str
    carrier: str
    offer_usd: Decimal
    valid_until: datetime
    price_table_version: str
    breakdown: tuple[QuoteLine, ...]
    battery_health_pct: int | None = None
    currency: str = "USD"

    def to_json(self) -> dict[str, Any]:
        """The replay-contract shape of this quote."""
        return {
            "quote_id": self.quote_id,
            "device_model": self.device_model,
            "storage_gb": self.storage_gb,
            "condition": self.condition,
            "carrier": self.carrier,
            "offer_usd": float(self.offer_usd),
            "currency": self.currency,
            "valid_until": self.valid_until.isoformat(),
            "price_table_version": self.price_table_version,
            "breakdown": [{"label": b.label, "amount_usd": float(b.amount_usd)} for b in self.breakdown],
        }


@dataclass(frozen=True)
class HandoffInfo:
    """The ticket a turn opened or touched."""

    ticket_id: str
    status: str


@dataclass(frozen=True)
class Outcome:
    """Everything one turn produced: replies and what was understood."""

    replies: tuple[Reply, ...]
    intent: str | None = None
    flow: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    quote: Quote | None = None
    sources: tuple[Source, ...] = ()
    handoff: HandoffInfo | None = None
    commands: tuple[str, ...] = ()  # what the message was understood as, e.g. ("SetSlots", "Answer")
    duplicate: bool = False
    owner: str = "bot"  # who owns the conversation after this turn: bot | pending_human | human
    stored: bool = True  # False: the database failed, nothing was recorded (the channel may retry later)


@dataclass(frozen=True)
class Answer:
    """A knowledge answer: text composed from passages, its sources, and whether it is trustworthy."""

    text: str
    sources: tuple[Source, ...]
    score: float
    confident: bool
    card_id: str | None = None  # the answer card it came from
    follow_ups: tuple[tuple[str, str], ...] = ()  # (quote | compare | person | card:<id>, the card's title)
    known_words: bool = True  # False: keyboard mash or another language, nothing to look up
