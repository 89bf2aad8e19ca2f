"""Booking events: the JSON body the shop's back office receives, built from plain values (no I/O)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

EventType = Literal[
    "booking.accepted",
    "booking.cancelled",
    "booking.expired",
    "counteroffer.accepted",
    "counteroffer.declined",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

# The body is a contract other systems rely on: add fields freely, bump this only for a breaking change.
SCHEMA_VERSION = 1
BOOKING_ID_PREFIX = "bk_"
EVENT_ID_PREFIX = "evt_"
BOOKING_ID_BYTES = 12  # 96 random bits: unguessable, and short enough for a String(32) column
EVENT_ID_BYTES = 16
CENT = Decimal("0.01")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def new_booking_id() -> str:
    """A fresh, unguessable booking id (random, never derived from the quote id)."""
    return BOOKING_ID_PREFIX + secrets.token_urlsafe(BOOKING_ID_BYTES)


def new_event_id() -> str:
    """A fresh event id, unique per event: receivers deduplicate by it."""
    return EVENT_ID_PREFIX + secrets.token_urlsafe(EVENT_ID_BYTES)


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z and milliseconds (two events of one booking in one second still sort)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class BookingEvent:
    """Something that happened to a booking, as the back office is told about it."""

    type: EventType
    event_id: str
    occurred_at: datetime
    booking_id: str
    quote_id: str
    device_model: str
    storage_gb: int
    condition: str
    carrier: str
    offer_usd: Decimal
    currency: str
    payout_method: str | None
    email: str
    channel: str
    ship_by: date
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        """The event body as a JSON object (the documented contract, field for field)."""
        return {
            "type": self.type,
            "event_id": self.event_id,
            "occurred_at": utc_timestamp(self.occurred_at),
            "booking_id": self.booking_id,
            "quote_id": self.quote_id,
            "device_model": self.device_model,
            "storage_gb": self.storage_gb,
            "condition": self.condition,
            "carrier": self.carrier,
            # A string, as the quote shows it: a JSON number would invite float rounding in receivers.
            "offer_usd": f"{self.offer_usd:.2f}",
            "currency": self.currency,
            "payout_method": self.payout_method,
            "email": self.email,
            "channel": self.channel,
            "ship_by": self.ship_by.isoformat(),
            "schema_version": self.schema_version,
        }

    def raw_body(self) -> bytes:
        """The exact bytes sent and signed: compact UTF-8 JSON."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def booking_event(
    type: EventType,
    *,
    booking_id: str,
    quote_id: str,
    device_model: str,
    storage_gb: int,
    condition: str,
    carrier: str,
    offer: Decimal,
    currency: str,
    payout_method: str | None,
    email: str,
    channel: str,
    ship_by: date,
    occurred_at: datetime,
    event_id: str | None = None,
) -> BookingEvent:
    """Build one event from plain values; a value the contract cannot carry is a ValueError (a bug upstream)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown booking event type {type!r} (one of {', '.join(EVENT_TYPES)})")
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at is naive: pass a timezone-aware UTC datetime")
    if isinstance(ship_by, datetime):  # a datetime is a date too; the contract carries a day
        raise ValueError("ship_by is a datetime: pass its date()")
    if not isinstance(offer, Decimal) or not offer.is_finite() or offer != offer.quantize(CENT):
        raise ValueError(f"offer must be a Decimal in whole cents, got {offer!r}")
    if not _CURRENCY.match(currency):
        raise ValueError(f"currency must be an ISO 4217 code such as USD, got {currency!r}")
    if isinstance(storage_gb, bool) or not isinstance(storage_gb, int):
        raise ValueError(f"storage_gb must be an int, got {storage_gb!r}")
    for name, value in (("booking_id", booking_id), ("quote_id", quote_id), ("email", email)):
        if not value:
            raise ValueError(f"{name} is empty")
    return BookingEvent(
        type=type,
        event_id=event_id or new_event_id(),
        occurred_at=occurred_at.astimezone(UTC),
        booking_id=booking_id,
        quote_id=quote_id,
        device_model=device_model,
        storage_gb=storage_gb,
        condition=condition,
        carrier=carrier,
        offer_usd=offer.quantize(CENT),
        currency=currency,
        payout_method=payout_method,
        email=email,
        channel=channel,
        ship_by=ship_by,
    )
