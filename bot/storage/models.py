"""Typed SQLAlchemy 2 models: the tables every conversation, quote and ticket lives in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_users_channel_external"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # refused our messages (blocked the bot)
    reminders_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # /stop_reminders (0010)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner: Mapped[str] = mapped_column(String(16), default="bot")
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | out | agent
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str | None] = mapped_column(String(256))
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuoteRow(Base):
    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    device_model: Mapped[str] = mapped_column(String(128))
    storage_gb: Mapped[int] = mapped_column(Integer)
    condition: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(16))
    battery_health_pct: Mapped[int | None] = mapped_column(Integer)
    offer_usd: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    price_table_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="offered")
    email: Mapped[str | None] = mapped_column(String(256))
    payout_method: Mapped[str | None] = mapped_column(String(16))
    booking_id: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)  # set when accepted
    booking_status: Mapped[str | None] = mapped_column(String(24))  # booked, then as the back office reports
    ship_by: Mapped[date | None] = mapped_column(Date)  # the day the booked device must be shipped by
    counteroffer_usd: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # after inspection, if any
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the ship-by reminder was handled (0010)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | claimed | closed
    reason: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    slots: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    quote_id: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(128))  # the agent's id ("telegram:<user id>"), never a name
    claimed_by_name: Mapped[str | None] = mapped_column(String(128))  # for display only
    support_thread_id: Mapped[str | None] = mapped_column(String(64))
    returned_to_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    handed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the latest handoff: its own timeout
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProcessedEvent(Base):
    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("channel", "event_id", name="uq_processed_channel_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # unused since the outbox (0006)


class CallbackPayload(Base):
    """Button payloads too long for Telegram's 64-byte callback data, kept server-side."""

    __tablename__ = "callback_payloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SupportMessage(Base):
    """A message in the support group that belongs to a ticket (agents reply to any of them)."""

    __tablename__ = "support_messages"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_support_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    relayed_chat_id: Mapped[str | None] = mapped_column(String(64))  # an agent's reply: where its copy went
    relayed_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UnansweredQuestion(Base):
    """A question the bot had no reliable answer to (analytics and `run_bot.py unanswered` list them)."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    text: Mapped[str] = mapped_column(Text)
    flow: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class OutboxRow(Base):
    """Something the bot must send, written in the transaction that decided it (bot/delivery/ sends it)."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
                      Index("ix_outbox_state_next_attempt", "state", "next_attempt_at"),
                      Index("ix_outbox_lane_state", "lane", "state", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # e.g. telegram.message: which handler delivers it
    idempotency_key: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str] = mapped_column(String(200))  # rows of one lane go out strictly in id order
    payload: Mapped[str] = mapped_column(Text)  # JSON text; holds personal data: never logged
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a worker is delivering it until then
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AgentAccount(Base):
    """A person who logs in to the web console: an agent or an admin (run_bot.py agents add)."""

    __tablename__ = "agent_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # the login name, kept as typed, matched casefolded
    name_key: Mapped[str] = mapped_column(String(64), unique=True)  # the casefolded name
    role: Mapped[str] = mapped_column(String(16))  # agent | admin
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, with its parameters and salt
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A logged-in agent's session: the cookie holds the token, the table only its digest."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    account_id: Mapped[int] = mapped_column(ForeignKey("agent_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """A failed login, by account and by (a keyed digest of) the client address: the lock-out counts these."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(96))  # account:<name key> | address:<digest>
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TicketNote(Base):
    """An agent's internal note on a ticket: the shopper never sees it."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[str] = mapped_column(String(128))
    agent_name: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
