"""The console's read side: tickets by state with waiting times, one ticket's whole context, internal notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, Message, QuoteRow, Ticket, TicketNote, User, utcnow

BUCKETS = ("pending", "mine", "others", "closed")  # the inbox's sections, in order
CLOSED_SHOWN = 50  # the most recent closed tickets listed
TRANSCRIPT_SHOWN = 200  # the last messages shown on a ticket's page


@dataclass(frozen=True)
class InboxRow:
    """One ticket in the inbox."""

    ticket_id: str
    bucket: str  # pending | mine | others | closed
    reason: str
    channel: str
    shopper: str
    claimed_by_name: str | None
    waiting_s: int  # since the latest handoff (closed: how long it was open)


@dataclass(frozen=True)
class Line:
    """One transcript message: who said it (shopper | bot | agent), what, when."""

    who: str
    text: str
    at: datetime


@dataclass(frozen=True)
class QuoteLine:
    """A quote of the conversation, with its booking when it was accepted."""

    quote_id: str
    device: str
    offer_usd: Decimal
    status: str
    booking_id: str | None
    booking_status: str | None


@dataclass(frozen=True)
class Note:
    """An internal note: only agents see it."""

    agent_name: str
    text: str
    at: datetime


@dataclass(frozen=True)
class TicketDetail:
    """Everything the ticket page shows."""

    row: InboxRow
    status: str
    claimed_by: str | None
    summary: str
    slots: dict[str, Any]
    transcript: tuple[Line, ...]
    quotes: tuple[QuoteLine, ...]
    notes: tuple[Note, ...]


WHO = {"in": "shopper", "out": "bot", "agent": "agent"}


def _bucket(ticket: Ticket, agent_id: str) -> str:
    if ticket.status == "closed":
        return "closed"
    if ticket.status == "claimed":
        return "mine" if ticket.claimed_by == agent_id else "others"
    return "pending"


def _row(ticket: Ticket, conversation: Conversation, shopper: str | None, agent_id: str, now: datetime) -> InboxRow:
    since = ticket.handed_off_at or ticket.created_at
    until = ticket.closed_at if ticket.status == "closed" and ticket.closed_at else now
    return InboxRow(ticket.id, _bucket(ticket, agent_id), ticket.reason, conversation.channel, shopper or "",
                    ticket.claimed_by_name, max(0, int((until - since).total_seconds())))


def inbox(session: Session, agent_id: str, now: datetime | None = None) -> dict[str, list[InboxRow]]:
    """Tickets by bucket: open ones longest-waiting first, then the most recently closed."""
    now = now or utcnow()
    base = (select(Ticket, Conversation, User.display_name).join(Conversation, Conversation.id == Ticket.conversation_id)
            .outerjoin(User, User.id == Conversation.user_id))
    open_rows = session.execute(base.where(Ticket.status != "closed").order_by(
        func.coalesce(Ticket.handed_off_at, Ticket.created_at))).all()
    closed_rows = session.execute(base.where(Ticket.status == "closed").order_by(Ticket.closed_at.desc())
                                  .limit(CLOSED_SHOWN)).all()
    buckets: dict[str, list[InboxRow]] = {name: [] for name in BUCKETS}
    for ticket, conversation, shopper in [*open_rows, *closed_rows]:
        row = _row(ticket, conversation, shopper, agent_id, now)
        buckets[row.bucket].append(row)
    return buckets


def desk_version(session: Session) -> str:
    """Changes whenever a ticket, its transcript or its notes change (the live views compare it)."""
    tickets = session.execute(select(func.count(), func.max(Ticket.updated_at))).one()
    messages = session.execute(select(func.max(Message.id)).join(Ticket, Ticket.conversation_id
                                                                  == Message.conversation_id)).scalar_one()
    notes = session.execute(select(func.max(TicketNote.id))).scalar_one()
    return f"{tickets[0]}|{tickets[1]}|{messages}|{notes}"


def ticket_detail(session: Session, ticket_id: str, agent_id: str, now: datetime | None = None) -> TicketDetail | None:
    """One ticket with its shopper's transcript, slots, quotes and bookings, and the notes."""
    found = session.execute(select(Ticket, Conversation, User.display_name)
                            .join(Conversation, Conversation.id == Ticket.conversation_id)
                            .outerjoin(User, User.id == Conversation.user_id).where(Ticket.id == ticket_id)).first()
    if found is None:
        return None
    ticket, conversation, shopper = found
    messages = session.execute(select(Message).where(Message.conversation_id == conversation.id)
                               .order_by(Message.id.desc()).limit(TRANSCRIPT_SHOWN)).scalars().all()
    quotes = session.execute(select(QuoteRow).where(QuoteRow.conversation_id == conversation.id)
                             .order_by(QuoteRow.created_at)).scalars().all()
    notes = session.execute(select(TicketNote).where(TicketNote.ticket_id == ticket.id)
                            .order_by(TicketNote.id)).scalars().all()
    return TicketDetail(
        row=_row(ticket, conversation, shopper, agent_id, now or utcnow()), status=ticket.status,
        claimed_by=ticket.claimed_by, summary=ticket.summary, slots=dict(ticket.slots or {}),
        transcript=tuple(Line(WHO.get(m.direction, m.direction), m.text, m.created_at) for m in reversed(messages)),
        quotes=tuple(QuoteLine(q.id, q.device_model, q.offer_usd, q.status, q.booking_id, q.booking_status)
                     for q in quotes),
        notes=tuple(Note(n.agent_name, n.text, n.created_at) for n in notes),
    )


def add_note(session: Session, *, ticket_id: str, agent_id: str, agent_name: str, text: str) -> bool:
    """Add an internal note to a ticket; False when there is no such ticket."""
    if session.get(Ticket, ticket_id) is None:
        return False
    session.add(TicketNote(ticket_id=ticket_id, agent_id=agent_id, agent_name=agent_name, text=text,
                           created_at=utcnow()))
    return True
