"""Repository functions: explicit session, keyword arguments, one job each."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.storage.models import (
    CallbackPayload,
    Conversation,
    Message,
    ProcessedEvent,
    QuoteRow,
    Ticket,
    UnansweredQuestion,
    User,
    utcnow,
)

BOOKED = "booked"  # the first booking status (bot/engine/booking_status.py moves it on)


def new_id(prefix: str) -> str:
    """A short, unguessable, human-readable id such as Q-7F3K9A2C."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return prefix + "-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _insert_ignore(session: Session, model: type[Any], values: dict[str, Any], keys: list[str]) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=keys))


def lock_conversation(session: Session, *, key: str, channel: str, chat_id: str) -> Conversation:
    """Get or create the conversation row and hold its lock until the transaction ends."""
    stmt = select(Conversation).where(Conversation.key == key).with_for_update()
    found = session.execute(stmt).scalar_one_or_none()
    if found is not None:  # the usual case: one SELECT, no insert to compile
        return found
    now = utcnow()
    _insert_ignore(
        session,
        Conversation,
        {"key": key, "channel": channel, "chat_id": chat_id, "owner": "bot", "state": {},
         "version": 0, "created_at": now, "updated_at": now},
        ["key"],
    )
    return session.execute(stmt).scalar_one()


def get_conversation(session: Session, key: str) -> Conversation | None:
    """The conversation with this key, if any (no lock)."""
    return session.execute(select(Conversation).where(Conversation.key == key)).scalar_one_or_none()


def ensure_user(session: Session, *, channel: str, external_id: str, display_name: str | None) -> int:
    """The id of this channel user, created on first sight."""
    stmt = select(User.id).where(User.channel == channel, User.external_id == external_id)
    found = session.execute(stmt).scalar_one_or_none()
    if found is not None:
        return int(found)
    _insert_ignore(
        session, User,
        {"channel": channel, "external_id": external_id, "display_name": display_name, "created_at": utcnow()},
        ["channel", "external_id"],
    )
    return int(session.execute(stmt).scalar_one())


def find_processed(session: Session, *, channel: str, event_id: str) -> ProcessedEvent | None:
    """The stored outcome of an already processed event, if any."""
    stmt = select(ProcessedEvent).where(ProcessedEvent.channel == channel, ProcessedEvent.event_id == event_id)
    return session.execute(stmt).scalar_one_or_none()


def record_processed(
    session: Session, *, channel: str, event_id: str, conversation_id: int, outcome: dict[str, Any],
    at: datetime | None = None,
) -> None:
    """Remember that an event was processed (at the engine's clock's time), with the outcome to replay on redelivery."""
    session.add(ProcessedEvent(channel=channel, event_id=event_id, conversation_id=conversation_id,
                               outcome=outcome, created_at=at or utcnow()))


def mark_blocked(session: Session, *, channel: str, external_id: str) -> None:
    """This user refuses our messages (blocked the bot); reminders and the like should not be sent."""
    session.execute(update(User).where(User.channel == channel, User.external_id == external_id,
                                       User.blocked_at.is_(None)).values(blocked_at=utcnow()))


def set_reminders(session: Session, *, user_id: int, stopped_at: datetime | None) -> None:
    """Record the shopper's opt-out of proactive messages (stopped_at), or take it back (None)."""
    session.execute(update(User).where(User.id == user_id).values(reminders_stopped_at=stopped_at))


def seen_again(session: Session, *, user_id: int) -> None:
    """The user wrote to us, so they no longer block the bot: messages may reach them again."""
    session.execute(update(User).where(User.id == user_id, User.blocked_at.is_not(None)).values(blocked_at=None))


def is_blocked(session: Session, *, channel: str, external_id: str) -> bool:
    """Whether this user blocked the bot (the last message to them was refused)."""
    stmt = select(User.blocked_at).where(User.channel == channel, User.external_id == external_id)
    return session.execute(stmt).scalar_one_or_none() is not None


def add_message(
    session: Session, *, conversation_id: int, direction: str, text: str,
    payload: str | None = None, external_id: str | None = None, at: datetime | None = None,
) -> None:
    """Append one message to the transcript (at the engine's clock's time, which the retention purge reads)."""
    session.add(Message(conversation_id=conversation_id, direction=direction, text=text,
                        payload=payload, external_id=external_id, created_at=at or utcnow()))


def recent_messages(session: Session, *, conversation_id: int, limit: int = 10) -> list[Message]:
    """The last messages of a conversation, oldest first."""
    stmt = (select(Message).where(Message.conversation_id == conversation_id)
            .order_by(Message.id.desc()).limit(limit))
    return list(reversed(session.execute(stmt).scalars().all()))


def save_quote(
    session: Session, *, quote_id: str, conversation_id: int | None, device_model: str, storage_gb: int,
    condition: str, carrier: str, battery_health_pct: int | None, offer_usd: Decimal,
    breakdown: list[dict[str, Any]], price_table_version: str, created_at: datetime, valid_until: datetime,
) -> QuoteRow:
    """Store a quote exactly as shown to the shopper."""
    row = QuoteRow(
        id=quote_id, conversation_id=conversation_id, device_model=device_model, storage_gb=storage_gb,
        condition=condition, carrier=carrier, battery_health_pct=battery_health_pct, offer_usd=offer_usd,
        breakdown=breakdown, price_table_version=price_table_version, status="offered",
        created_at=created_at, valid_until=valid_until,
    )
    session.add(row)
    return row


def get_quote(session: Session, quote_id: str) -> QuoteRow | None:
    """One stored quote by id."""
    return session.get(QuoteRow, quote_id)


def lock_booking(session: Session, booking_id: str) -> QuoteRow | None:
    """The booked quote with this booking id, locked until the transaction ends (its status changes one at a time)."""
    stmt = select(QuoteRow).where(QuoteRow.booking_id == booking_id).with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def open_counteroffer(session: Session, *, conversation_id: int) -> QuoteRow | None:
    """The newest booking of this conversation whose counteroffer waits for the shopper's answer, if any."""
    stmt = (select(QuoteRow).where(QuoteRow.conversation_id == conversation_id,
                                   QuoteRow.booking_status == "counteroffer")
            .order_by(QuoteRow.decided_at.desc(), QuoteRow.id.desc()).limit(1))
    return session.execute(stmt).scalars().first()


def active_bookings(session: Session, *, conversation_id: int, statuses: Collection[str]) -> list[QuoteRow]:
    """This conversation's bookings in these statuses, newest first."""
    stmt = (select(QuoteRow).where(QuoteRow.conversation_id == conversation_id, QuoteRow.booking_id.is_not(None),
                                   QuoteRow.booking_status.in_(list(statuses)))
            .order_by(QuoteRow.decided_at.desc(), QuoteRow.id.desc()))
    return list(session.execute(stmt).scalars())


def decide_quote(
    session: Session, *, quote_id: str, status: str, email: str | None = None, payout_method: str | None = None,
    booking_id: str | None = None, ship_by: date | None = None,
) -> None:
    """Record the shopper's decision on a quote (accepted, declined, expired); a new booking starts as booked."""
    row = session.get(QuoteRow, quote_id)
    if row is not None:
        row.status, row.decided_at = status, utcnow()
        row.email, row.payout_method = email or row.email, payout_method or row.payout_method
        if booking_id and row.booking_id is None:
            row.booking_id, row.booking_status, row.ship_by = booking_id, BOOKED, ship_by


def open_ticket(
    session: Session, *, conversation_id: int, reason: str, summary: str, slots: dict[str, Any],
    quote_id: str | None,
) -> Ticket:
    """Create a handoff ticket, or return the conversation's ticket that is still open."""
    stmt = select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status != "closed")
    existing = session.execute(stmt).scalars().first()
    now = utcnow()
    if existing is not None:  # a handoff again: it waits for a person afresh, with its own timeout
        existing.handed_off_at, existing.updated_at, existing.returned_to_bot = now, now, False
        existing.summary, existing.slots, existing.quote_id = summary, slots, quote_id or existing.quote_id
        return existing
    ticket = Ticket(id=new_id("T"), conversation_id=conversation_id, status="open", reason=reason,
                    summary=summary, slots=slots, quote_id=quote_id, created_at=now, updated_at=now,
                    handed_off_at=now)
    session.add(ticket)
    return ticket


def record_unanswered(session: Session, *, conversation_id: int, text: str, flow: str | None) -> None:
    """Remember a question the bot could not answer reliably."""
    session.add(UnansweredQuestion(conversation_id=conversation_id, text=text, flow=flow, created_at=utcnow()))


def list_unanswered(session: Session, *, limit: int = 100) -> list[tuple[str, int, datetime]]:
    """The questions asked most often without a reliable answer: (text, times, last asked), most frequent first."""
    stmt = (select(UnansweredQuestion.text, func.count(), func.max(UnansweredQuestion.created_at))
            .group_by(UnansweredQuestion.text).order_by(func.count().desc(), func.max(UnansweredQuestion.created_at)
                                                        .desc()).limit(limit))
    return [(str(t), int(n), last) for t, n, last in session.execute(stmt).all()]


def list_tickets(session: Session, *, only_open: bool = False) -> list[Ticket]:
    """Tickets, newest first."""
    stmt = select(Ticket).order_by(Ticket.created_at.desc())
    if only_open:
        stmt = stmt.where(Ticket.status != "closed")
    return list(session.execute(stmt).scalars().all())


def store_callback_payload(session: Session, payload: str) -> str:
    """Keep a long button payload server-side; returns its short key."""
    row = CallbackPayload(payload=payload, created_at=utcnow())
    session.add(row)
    session.flush()
    return str(row.id)


def load_callback_payload(session: Session, key: str) -> str | None:
    """The payload stored under a short key."""
    if not key.isdigit():
        return None
    row = session.get(CallbackPayload, int(key))
    return row.payload if row else None
