"""A booking's progress: statuses the back office reports (each tells the shopper in their chat), and the shopper's
answer to a counteroffer (which tells the back office). Plain functions over a Session: the HTTP route that calls
them is bot/channels/backoffice.py.

    booked -> label_sent -> received -> inspected -> paid
                                  \\          \\
                                   `-> counteroffer -> counteroffer_accepted -> paid
                                                   `-> counteroffer_declined -> returned
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

from sqlalchemy.orm import Session

from bot.delivery.booking_events import CENT
from bot.delivery.replies import enqueue_replies
from bot.domain import Button, Reply
from bot.engine.responses import Responses
from bot.errors import RefurbotError
from bot.pricing.quote import format_usd
from bot.storage import repo
from bot.storage.models import Conversation, QuoteRow

log = logging.getLogger(__name__)

ReportedStatus = Literal["label_sent", "received", "inspected", "counteroffer", "paid", "returned"]
REPORTED_STATUSES: tuple[ReportedStatus, ...] = get_args(ReportedStatus)
BOOKED = repo.BOOKED
COUNTEROFFER = "counteroffer"
COUNTEROFFER_ACCEPTED, COUNTEROFFER_DECLINED = "counteroffer_accepted", "counteroffer_declined"
PAID = "paid"
EXPIRED = "expired"  # the ship-by day passed with nothing received (bot/engine/reminders.py)
CANCELLED = "cancelled"  # the shopper cancelled it in the chat (bot/engine/booking_cancel.py)
ACTIVE = frozenset({BOOKED, "label_sent"})  # booked, nothing received yet: it may be reminded, lapse or be cancelled
# status -> the statuses the back office may report next (the shopper moves a counteroffer on, not the back office)
NEXT: Mapping[str, frozenset[str]] = {
    BOOKED: frozenset({"label_sent"}),
    "label_sent": frozenset({"received"}),
    "received": frozenset({"inspected", COUNTEROFFER}),
    "inspected": frozenset({PAID, COUNTEROFFER}),
    COUNTEROFFER: frozenset(),
    COUNTEROFFER_ACCEPTED: frozenset({PAID}),
    COUNTEROFFER_DECLINED: frozenset({"returned"}),
    EXPIRED: frozenset({"received"}),  # a parcel that arrives late is still inspected
    CANCELLED: frozenset({"received"}),
}
RESPONSE = "booking_{status}"  # the shopper's message for each reported status (config/responses.yaml)
NOTE_RESPONSE = "booking_note"
MAX_REASON_CHARS = 300
MAX_NOTE_CHARS = 500
MAX_AMOUNT_USD = Decimal("100000.00")  # far above any trade-in: a bigger number is a typo upstream
DATE = "%b %d, %Y"


class StatusRefused(RefurbotError):
    """The back office's status report cannot be applied (the route answers with `http_status`)."""

    http_status = 400


class InvalidReport(StatusRefused):
    """The body is malformed; `field` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


class UnknownBooking(StatusRefused):
    """No booking has this id."""

    http_status = 404


class StatusConflict(StatusRefused):
    """The status does not follow the booking's current one: nothing changed."""

    http_status = 409

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"a booking in status {current!r} cannot become {wanted!r}")
        self.current, self.wanted = current, wanted


@dataclass(frozen=True)
class StatusReport:
    """One status change reported by the back office."""

    status: ReportedStatus
    amount_usd: Decimal | None = None  # counteroffer only
    reason: str | None = None  # counteroffer only
    note: str | None = None


def parse_report(body: Any) -> StatusReport:
    """The report a JSON body carries; anything malformed is an InvalidReport naming the field."""
    if not isinstance(body, dict):
        raise InvalidReport("body", "must be a JSON object")
    status = body.get("status")
    if status not in REPORTED_STATUSES:
        raise InvalidReport("status", f"must be one of {', '.join(REPORTED_STATUSES)}")
    note = _text(body, "note", MAX_NOTE_CHARS, required=False)
    if status != COUNTEROFFER:
        for field in ("amount_usd", "reason"):
            if body.get(field) is not None:
                raise InvalidReport(field, "is only for a counteroffer")
        return StatusReport(status, note=note)
    return StatusReport(status, _amount(body.get("amount_usd")), _text(body, "reason", MAX_REASON_CHARS), note)


def _amount(raw: Any) -> Decimal:
    if not isinstance(raw, str):  # a JSON number invites float rounding: the amount is a string, as in the events
        raise InvalidReport("amount_usd", 'must be a string of dollars and cents, such as "123.00"')
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        raise InvalidReport("amount_usd", 'must be a string of dollars and cents, such as "123.00"') from None
    if not amount.is_finite() or amount != amount.quantize(CENT) or not Decimal(0) < amount <= MAX_AMOUNT_USD:
        raise InvalidReport("amount_usd", f"must be more than 0 and at most {MAX_AMOUNT_USD}, in whole cents")
    return amount.quantize(CENT)


def _text(body: Mapping[str, Any], field: str, limit: int, *, required: bool = True) -> str | None:
    raw = body.get(field)
    if raw is None and not required:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidReport(field, "must be a non-empty string")
    if len(raw) > limit:
        raise InvalidReport(field, f"must be at most {limit} characters")
    return raw.strip()


@dataclass(frozen=True)
class StatusResult:
    """What the back office is answered."""

    booking_id: str
    status: str

    def to_json(self) -> dict[str, str]:
        """The 200 body."""
        return {"booking_id": self.booking_id, "status": self.status}


def apply_report(session: Session, booking_id: str, report: StatusReport, *, say: Responses) -> StatusResult:
    """Move the booking to the reported status and queue the shopper's message, in the caller's transaction."""
    row = repo.lock_booking(session, booking_id)
    if row is None:
        raise UnknownBooking(f"no booking {booking_id!r}")
    current = row.booking_status or BOOKED
    if report.status not in NEXT.get(current, frozenset()):
        raise StatusConflict(current, report.status)
    row.booking_status = report.status
    if report.status == COUNTEROFFER:
        row.counteroffer_usd = report.amount_usd
    replies = [_status_reply(say, row, report)]
    if report.note:
        replies.append(say.reply(NOTE_RESPONSE, note=report.note))
    tell_shopper(session, row, f"backoffice:{booking_id}:{report.status}", replies)
    log.info("booking %s is now %s", booking_id, report.status)
    return StatusResult(booking_id, report.status)


def booking_values(row: QuoteRow) -> dict[str, Any]:
    """What every booking response may name."""
    paid = row.counteroffer_usd if row.booking_status == PAID and row.counteroffer_usd is not None else row.offer_usd
    return {"quote_id": row.id, "booking_id": row.booking_id, "device_model": row.device_model,
            "offer": format_usd(Decimal(row.offer_usd)), "amount": format_usd(Decimal(paid)),
            "ship_by": f"{ship_by_of(row):{DATE}}"}


def _status_reply(say: Responses, row: QuoteRow, report: StatusReport) -> Reply:
    name = RESPONSE.format(status=report.status)
    values = booking_values(row)
    if report.status != COUNTEROFFER or report.amount_usd is None:
        return say.reply(name, **values)
    values.update(amount=format_usd(report.amount_usd), reason=report.reason)
    buttons = tuple(Button(b.label, b.payload.format(booking_id=row.booking_id)) for b in say.buttons(name))
    return say.reply(name, buttons, **values)


def tell_shopper(session: Session, row: QuoteRow, key: str, replies: list[Reply]) -> None:
    """Queue replies to the chat the booking was made in, and keep them in its transcript."""
    conversation = session.get(Conversation, row.conversation_id) if row.conversation_id is not None else None
    if conversation is None:  # the shopper's data was deleted (/forget): nobody to tell
        return
    for reply in replies:
        repo.add_message(session, conversation_id=conversation.id, direction="out", text=reply.text)
    enqueue_replies(session, channel=conversation.channel, chat_id=conversation.chat_id, key=key, replies=replies)


def ship_by_of(row: QuoteRow) -> date:
    return row.ship_by or row.valid_until.date()  # bookings made before 0008 kept no ship-by day
