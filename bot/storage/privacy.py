"""The shopper's data: what is stored about one user, deleting it on request, and the retention purge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.models import Conversation, Message, ProcessedEvent, QuoteRow, Ticket, UnansweredQuestion, User

FORGOTTEN = "forgotten"  # the reason of a ticket closed because its shopper asked to be forgotten
OPEN_STATUSES = ("open", "claimed")


@dataclass(frozen=True)
class UserRecords:
    """Every row that belongs to one user (read only: the engine and the CLI render it)."""

    user: User
    states: tuple[dict[str, Any], ...]  # each conversation's stored state (slots live in there)
    quotes: tuple[QuoteRow, ...]
    messages: int
    open_tickets: tuple[Ticket, ...]


@dataclass(frozen=True)
class Forgotten:
    """What a forget deleted or anonymised."""

    messages: int
    quotes_anonymised: int
    tickets_closed: int


@dataclass(frozen=True)
class Purged:
    """What one retention purge deleted."""

    messages: int
    processed_events: int


def find_user(session: Session, *, channel: str, external_id: str) -> User | None:
    """The user with this channel identity, if any."""
    stmt = select(User).where(User.channel == channel, User.external_id == external_id)
    return session.execute(stmt).scalar_one_or_none()


def _conversation_ids(session: Session, user_id: int, *, lock: bool = False) -> list[int]:
    stmt = select(Conversation.id).where(Conversation.user_id == user_id).order_by(Conversation.id)
    if lock:  # a forget from the CLI must not interleave with a turn of the same conversation
        stmt = stmt.with_for_update()
    return [int(i) for i in session.execute(stmt).scalars()]


def user_records(session: Session, *, user_id: int) -> UserRecords | None:
    """Everything stored about one user: name, conversation states, quotes, message count, open tickets."""
    user = session.get(User, user_id)
    if user is None:
        return None
    ids = _conversation_ids(session, user_id)
    states = tuple(session.execute(select(Conversation.state).where(Conversation.id.in_(ids))
                                   .order_by(Conversation.id)).scalars())
    quotes = tuple(session.execute(select(QuoteRow).where(QuoteRow.conversation_id.in_(ids))
                                   .order_by(QuoteRow.created_at, QuoteRow.id)).scalars())
    messages = session.execute(select(func.count()).select_from(Message)
                               .where(Message.conversation_id.in_(ids))).scalar_one()
    tickets = tuple(session.execute(select(Ticket).where(Ticket.conversation_id.in_(ids),
                                                         Ticket.status.in_(OPEN_STATUSES))
                                    .order_by(Ticket.created_at)).scalars())
    return UserRecords(user=user, states=tuple(dict(s or {}) for s in states), quotes=quotes,
                       messages=int(messages), open_tickets=tickets)


def _count(result: Any) -> int:
    """Rows an UPDATE or DELETE touched."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def forget_user(session: Session, *, user_id: int, now: datetime) -> Forgotten:
    """Delete what identifies the user and what they said; keep quote figures anonymised, close open tickets."""
    ids = _conversation_ids(session, user_id, lock=True)
    in_theirs = Message.conversation_id.in_(ids)
    messages = _count(session.execute(delete(Message).where(in_theirs), execution_options={"synchronize_session": False}))
    session.execute(delete(UnansweredQuestion).where(UnansweredQuestion.conversation_id.in_(ids)))
    # The figures stay for the books and the price analytics; nothing ties them to the shopper any more.
    quotes = _count(session.execute(update(QuoteRow).where(QuoteRow.conversation_id.in_(ids))
                                    .values(conversation_id=None, email=None)))
    closed = 0
    for ticket in session.execute(select(Ticket).where(Ticket.conversation_id.in_(ids))).scalars():
        ticket.summary, ticket.slots, ticket.quote_id = "", {}, None  # the transcript summary is their words
        if ticket.status in OPEN_STATUSES:
            ticket.status, ticket.reason, ticket.closed_at, ticket.updated_at = "closed", FORGOTTEN, now, now
            closed += 1
    # The keys stay (a redelivered update must still not run twice); the stored replies and slots go.
    session.execute(update(ProcessedEvent).where(ProcessedEvent.conversation_id.in_(ids)).values(outcome={}))
    for conversation in session.execute(select(Conversation).where(Conversation.id.in_(ids))).scalars():
        conversation.state, conversation.owner, conversation.updated_at = {}, "bot", now
        conversation.version += 1
    user = session.get(User, user_id)
    if user is not None:
        user.display_name = None
    return Forgotten(messages=messages, quotes_anonymised=quotes, tickets_closed=closed)


def purge_expired(session: Session, now: datetime, retention_days: int, processed_days: int) -> Purged:
    """Delete messages older than retention_days and processed-update keys older than processed_days."""
    messages = session.execute(delete(Message).where(Message.created_at < now - timedelta(days=retention_days)),
                               execution_options={"synchronize_session": False})
    processed = session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.created_at < now - timedelta(days=processed_days)),
        execution_options={"synchronize_session": False})
    return Purged(messages=_count(messages), processed_events=_count(processed))


def purge_now(sessions: sessionmaker[Session], now: datetime, retention_days: int, processed_days: int) -> Purged:
    """One retention purge in its own transaction (the outbox worker's periodic job, `run_bot.py privacy purge`)."""
    with sessions() as session, session.begin():
        return purge_expired(session, now, retention_days, processed_days)
