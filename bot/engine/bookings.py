"""What a booked trade-in tells the business: the signed event to the back office and the confirmation email,
written as outbox rows in the booking's own transaction (delivered later by the worker, never lost)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.delivery import email, webhook
from bot.delivery.booking_events import CENT, BookingEvent, EventType, booking_event, new_booking_id
from bot.delivery.enqueue import enqueue
from bot.domain import Quote
from bot.engine.turn import TurnStore
from bot.storage.models import QuoteRow

BOOKING_LANE = "booking:{booking_id}"  # one lane per booking: its events reach the back office in order


@dataclass(frozen=True)
class BookingNotices:
    """Which of the two ways to reach the business are configured (BOOKING_WEBHOOK_URL, SMTP_URL)."""

    webhook: bool = False
    email: bool = False

    @property
    def any(self) -> bool:
        """Whether anything outside the bot hears of a booking (else the bot promises no email)."""
        return self.webhook or self.email


def announce_accepted(notices: BookingNotices, store: TurnStore, quote: Quote, *, shopper_email: str,
                      payout_method: str | None, ship_by: date, now: datetime) -> str:
    """A new booking id for the accepted quote, and its event and email queued; returns the booking id."""
    booking_id = new_booking_id()
    event = booking_event("booking.accepted", booking_id=booking_id, quote_id=quote.quote_id,
                          device_model=quote.device_model, storage_gb=quote.storage_gb, condition=quote.condition,
                          carrier=quote.carrier, offer=quote.offer_usd, currency=quote.currency,
                          payout_method=payout_method, email=shopper_email, channel=store.channel, ship_by=ship_by,
                          occurred_at=now)
    if notices.webhook:
        queue_event(store.session, event)
    if notices.email:
        enqueue(store.session, email.KIND, f"{email.KIND}:{booking_id}", f"email:{booking_id}",
                email.confirmation_payload(event), now=now)
    return booking_id


def queue_event(session: Session, event: BookingEvent, *, key: str | None = None) -> None:
    """Write one booking event for the back office, in the booking's lane (after its earlier events).

    `key` makes the event once-only ("<booking id>:booking.expired"): a second scan or worker adds nothing.
    """
    enqueue(session, webhook.KIND, f"{webhook.KIND}:{key or event.event_id}",
            BOOKING_LANE.format(booking_id=event.booking_id), webhook.webhook_payload(event), now=event.occurred_at)


def row_event(kind: EventType, row: QuoteRow, *, channel: str, now: datetime, ship_by: date,
              offer: Decimal | None = None) -> BookingEvent | None:
    """The event about a stored booking (offer_usd: `offer`, else the booked one); None when it has no email
    (an erased shopper's booking: the contract's email cannot be filled)."""
    if row.booking_id is None or not row.email:
        return None
    amount = Decimal(row.offer_usd if offer is None else offer).quantize(CENT)
    return booking_event(kind, booking_id=row.booking_id, quote_id=row.id, device_model=row.device_model,
                         storage_gb=row.storage_gb, condition=row.condition, carrier=row.carrier, offer=amount,
                         currency=row.currency, payout_method=row.payout_method, email=row.email, channel=channel,
                         ship_by=ship_by, occurred_at=now)
