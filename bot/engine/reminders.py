"""Proactive messages about bookings: the ship-by reminder and the lapse (with its booking.expired event).

A scan (run by the outbox worker every REMINDER_SCAN_S, and once by `run_bot.py outbox --drain`) looks at the
bookings that nothing was received for yet. Each message is once-only twice over: the booking's row is locked and
marked in the scan's transaction (reminded_at, or the status `expired`), and every row it queues has an
idempotency key per booking and kind, so two workers or a restart never send anything twice. A shopper who
opted out (/stop_reminders) or blocked the bot gets no message; the back office still hears of a lapse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.replies import enqueue_replies
from bot.domain import Reply
from bot.engine.booking_status import ACTIVE, EXPIRED, booking_values, ship_by_of
from bot.engine.bookings import BookingNotices, queue_event, row_event
from bot.engine.responses import Responses
from bot.storage import repo
from bot.storage.db import translate_errors
from bot.storage.models import Conversation, QuoteRow, User

log = logging.getLogger(__name__)
REMINDER, LAPSED = "ship_by_reminder", "booking_lapsed"  # the responses, and the kinds in the idempotency keys
KEY = "reminder:{booking_id}:{kind}"
DEFAULT_DAYS_BEFORE = 3
UTC_ZONE = ZoneInfo("UTC")
SCAN_LIMIT = 500  # bookings per scan transaction (the next scan takes the rest)


@dataclass(frozen=True)
class ReminderPolicy:
    """How many days before the ship-by day the reminder goes, and in which time zone days are counted."""

    days_before: int = DEFAULT_DAYS_BEFORE
    zone: ZoneInfo = UTC_ZONE


class BookingReminders:
    """The scan: due reminders and lapsed bookings, each handled once, in one transaction."""

    def __init__(self, sessions: sessionmaker[Session], say: Responses, notices: BookingNotices,
                 policy: ReminderPolicy) -> None:
        self.sessions, self.say, self.notices, self.policy = sessions, say, notices, policy

    def run(self, now: datetime) -> int:
        """One scan in its own transaction; returns how many bookings it handled."""
        with translate_errors(), self.sessions() as session, session.begin():
            return self.scan(session, now)

    def scan(self, session: Session, now: datetime) -> int:
        """Remind the bookings whose reminder is due and expire those whose ship-by day passed."""
        today = now.astimezone(self.policy.zone).date()
        stmt = (select(QuoteRow).where(QuoteRow.booking_id.is_not(None), QuoteRow.booking_status.in_(ACTIVE))
                .order_by(QuoteRow.ship_by).limit(SCAN_LIMIT))
        if session.get_bind().dialect.name == "postgresql":  # another worker's scan skips what this one holds
            stmt = stmt.with_for_update(skip_locked=True)
        handled = 0
        for row in session.execute(stmt).scalars():
            ship_by = ship_by_of(row)
            if ship_by < today:
                self._lapse(session, row, now)
                handled += 1
            elif row.reminded_at is None and today >= ship_by - timedelta(days=self.policy.days_before):
                self._remind(session, row, now, today)
                handled += 1
        return handled

    def _remind(self, session: Session, row: QuoteRow, now: datetime, today: date) -> None:
        row.reminded_at = now
        remind_on = ship_by_of(row) - timedelta(days=self.policy.days_before)
        booked_on = (row.decided_at or row.created_at).astimezone(self.policy.zone).date()
        if booked_on >= remind_on:  # booked inside the window: the confirmation just named the day
            return
        days_left = (ship_by_of(row) - today).days
        self._tell(session, row, REMINDER, self.say.reply(REMINDER, days_left=days_left, **booking_values(row)), now)

    def _lapse(self, session: Session, row: QuoteRow, now: datetime) -> None:
        row.booking_status = EXPIRED
        conversation = _conversation(session, row)
        event = row_event("booking.expired", row, channel=conversation.channel if conversation else "", now=now,
                          ship_by=ship_by_of(row))
        if self.notices.webhook and event is not None:
            queue_event(session, event, key=KEY.format(booking_id=row.booking_id, kind=LAPSED))
        self._tell(session, row, LAPSED, self.say.reply(LAPSED, **booking_values(row)), now)
        log.info("booking %s lapsed", row.booking_id)

    def _tell(self, session: Session, row: QuoteRow, kind: str, reply: Reply, now: datetime) -> None:
        """Queue the message to the booking's chat, unless the shopper is gone, opted out or blocked the bot."""
        conversation = _conversation(session, row)
        user = session.get(User, conversation.user_id) if conversation and conversation.user_id else None
        if conversation is None or user is None or user.reminders_stopped_at or user.blocked_at:
            log.info("booking %s: no %s message (the shopper opted out, blocked the bot or was forgotten)",
                     row.booking_id, kind)
            return
        repo.add_message(session, conversation_id=conversation.id, direction="out", text=reply.text, at=now)
        enqueue_replies(session, channel=conversation.channel, chat_id=conversation.chat_id,
                        key=KEY.format(booking_id=row.booking_id, kind=kind), replies=[reply], now=now)


def _conversation(session: Session, row: QuoteRow) -> Conversation | None:
    return session.get(Conversation, row.conversation_id) if row.conversation_id is not None else None
