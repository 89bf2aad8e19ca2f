"""What one turn works with (store, clock, state) and what it produces besides replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.domain import HandoffInfo, Quote, QuoteLine, Source
from bot.engine.state import ConversationState
from bot.nlu.text import mask_personal
from bot.storage import repo
from bot.storage.models import QuoteRow

MAX_QUESTION_CHARS = 500  # an unanswered question is kept for reading, not as a record of everything sent


class TurnStore:
    """The storage one turn may touch, bound to its session and conversation."""

    def __init__(self, session: Session, conversation_id: int, user_id: int | None = None, channel: str = "") -> None:
        self.session = session
        self.conversation_id = conversation_id
        self.user_id = user_id  # users.id of the shopper (their data: bot/engine/privacy.py)
        self.channel = channel  # where the shopper talks to us (telegram, web, ...): named in booking events

    def save_quote(self, quote: Quote, *, created_at: datetime) -> None:
        """Store a quote exactly as shown."""
        repo.save_quote(
            self.session, quote_id=quote.quote_id, conversation_id=self.conversation_id,
            device_model=quote.device_model, storage_gb=quote.storage_gb, condition=quote.condition,
            carrier=quote.carrier, battery_health_pct=quote.battery_health_pct, offer_usd=quote.offer_usd,
            breakdown=[{"label": b.label, "amount_usd": str(b.amount_usd)} for b in quote.breakdown],
            price_table_version=quote.price_table_version, created_at=created_at, valid_until=quote.valid_until,
        )

    def load_quote(self, quote_id: str) -> tuple[Quote, str] | None:
        """A stored quote and its status."""
        row = repo.get_quote(self.session, quote_id)
        return (quote_from_row(row), row.status) if row is not None else None

    def decide_quote(self, quote_id: str, status: str, *, email: str | None = None,
                     payout_method: str | None = None, booking_id: str | None = None,
                     ship_by: date | None = None) -> None:
        """Record accepted / declined / expired."""
        repo.decide_quote(self.session, quote_id=quote_id, status=status, email=email, payout_method=payout_method,
                          booking_id=booking_id, ship_by=ship_by)

    def open_ticket(self, *, reason: str, summary: str, slots: dict[str, Any], quote_id: str | None) -> HandoffInfo:
        """Open (or reuse) this conversation's handoff ticket."""
        ticket = repo.open_ticket(self.session, conversation_id=self.conversation_id, reason=reason,
                                  summary=summary, slots=slots, quote_id=quote_id)
        self.session.flush()
        return HandoffInfo(ticket.id, ticket.status)

    def record_unanswered(self, text: str, flow: str | None) -> None:
        """Remember a question without a reliable answer."""
        repo.record_unanswered(self.session, conversation_id=self.conversation_id,
                               text=mask_personal(text)[:MAX_QUESTION_CHARS], flow=flow)

    def transcript(self, limit: int = 10) -> list[tuple[str, str]]:
        """The last messages as (direction, text)."""
        rows = repo.recent_messages(self.session, conversation_id=self.conversation_id, limit=limit)
        return [(m.direction, m.text) for m in rows]


def quote_from_row(row: QuoteRow) -> Quote:
    """Rebuild the Quote value from its row."""
    return Quote(
        quote_id=row.id, device_model=row.device_model, storage_gb=row.storage_gb, condition=row.condition,
        carrier=row.carrier, offer_usd=Decimal(row.offer_usd), valid_until=row.valid_until,
        price_table_version=row.price_table_version, battery_health_pct=row.battery_health_pct,
        breakdown=tuple(QuoteLine(b["label"], Decimal(str(b["amount_usd"]))) for b in row.breakdown),
        currency=row.currency,
    )


@dataclass
class Turn:
    """Mutable scratchpad of one turn: state in, effects out."""

    store: TurnStore
    now: datetime
    state: ConversationState
    owner: str = "bot"
    intent: str | None = None
    quote: Quote | None = None
    sources: list[Source] = field(default_factory=list)
    handoff: HandoffInfo | None = None
    commands: tuple[str, ...] = ()
    asked: str | None = None  # the step whose question this turn's replies already ask
    ended_slots: dict[str, Any] | None = None  # the slots of a task that ended this turn, as it ended
    pending: dict[str, Any] | None = None  # the task the previous answer offered (state.pending as the turn began)
