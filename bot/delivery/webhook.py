"""Signed webhooks to the back office: the HMAC scheme, and the outbox handler that POSTs one event."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import SecretStr

from bot.delivery.booking_events import BookingEvent
from bot.errors import PermanentDelivery, RetryableDelivery

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any]], Awaitable[None]]

KIND = "booking.webhook"  # the outbox row kind this handler delivers
SIGNATURE_PREFIX = "sha256="
TIMESTAMP_HEADER = "X-Refurbot-Timestamp"
SIGNATURE_HEADER = "X-Refurbot-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "refurbot"
DEFAULT_TOLERANCE_S = 300  # Stripe's default: five minutes of clock skew, and no older replays
MAX_RETRY_AFTER_S = 86_400.0  # a receiver asking for more than a day is capped: the outbox's backoff takes over
HTTP_OK_MIN, HTTP_OK_MAX = 200, 299
HTTP_GONE = 410
HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVER_ERROR_MIN = 500


def _key(secret: str | bytes | SecretStr) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes | SecretStr, timestamp: int, raw_body: bytes) -> str:
    """The signature header value: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">."""
    signed = str(timestamp).encode("ascii") + b"." + raw_body
    return SIGNATURE_PREFIX + hmac.new(_key(secret), signed, hashlib.sha256).hexdigest()


def verify(
    secret: str | bytes | SecretStr,
    header: str,
    timestamp: str | int,
    raw_body: bytes,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    *,
    now: float | None = None,
) -> bool:
    """True when the signature matches the body and timestamp, and the timestamp is fresh (receivers, tests)."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - moment) > tolerance_s:  # a replay of an old, validly signed request
        return False
    return hmac.compare_digest(sign(secret, moment, raw_body).encode("ascii"), header.encode("utf-8", "replace"))


def webhook_payload(event: BookingEvent) -> dict[str, str]:
    """What the outbox stores for one event: the exact body to send, its idempotency key, its ordering key."""
    return {
        "body": event.raw_body().decode("utf-8"),
        "idempotency_key": event.event_id,
        "ordering_key": event.booking_id,  # events of one booking are delivered one after the other
    }


def webhook_handler(
    url: str,
    secret: str | SecretStr,
    timeout_s: float,
    client: httpx.AsyncClient | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> Handler:
    """The outbox handler that POSTs a payload made by webhook_payload, signed, and classifies the answer."""
    key = _key(secret)
    # One client for the handler's life: a new one per delivery builds a TLS context each time (most of the
    # cost of a delivery to a fast receiver) and never reuses the connection.
    clients: list[httpx.AsyncClient] = [client] if client is not None else []

    async def deliver(payload: Mapping[str, Any]) -> None:
        body, idempotency_key = _body_and_key(payload)
        timestamp = int(clock())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(key, timestamp, body),
            IDEMPOTENCY_HEADER: idempotency_key,
            "User-Agent": USER_AGENT,
        }
        try:
            if not clients:
                clients.append(httpx.AsyncClient(timeout=timeout_s))
            response = await clients[0].post(url, content=body, headers=headers, timeout=timeout_s)
        except httpx.TimeoutException as err:
            raise RetryableDelivery(f"webhook timed out after {timeout_s:g} s ({type(err).__name__})") from err
        except httpx.TransportError as err:  # refused, reset, DNS, TLS: the receiver may be back later
            raise RetryableDelivery(f"webhook unreachable ({type(err).__name__})") from err
        # Only ids and the status: the body holds personal data (the shopper's email).
        log.debug("webhook %s answered %s", idempotency_key, response.status_code)
        _classify(response, now=clock())

    return deliver


def _body_and_key(payload: Mapping[str, Any]) -> tuple[bytes, str]:
    body, idempotency_key = payload.get("body"), payload.get("idempotency_key")
    if not isinstance(body, str) or not isinstance(idempotency_key, str) or not idempotency_key:
        # Retrying cannot repair a row written wrong: it goes dead with the reason.
        raise PermanentDelivery("malformed webhook payload: needs 'body' (str) and 'idempotency_key' (str)")
    return body.encode("utf-8"), idempotency_key


def _classify(response: httpx.Response, *, now: float) -> None:
    status = response.status_code
    if HTTP_OK_MIN <= status <= HTTP_OK_MAX:
        return
    if status == HTTP_GONE:
        raise PermanentDelivery("receiver gone: stop (HTTP 410)")
    if status == HTTP_TOO_MANY_REQUESTS or status >= HTTP_SERVER_ERROR_MIN:
        raise RetryableDelivery(f"receiver answered HTTP {status}",
                                retry_after_s=retry_after_s(response.headers.get("Retry-After"), now=now))
    # Other 4xx (and 3xx, never followed): the request itself is refused; sending it again changes nothing.
    raise PermanentDelivery(f"receiver refused the event: HTTP {status} {response.reason_phrase}".rstrip())


def retry_after_s(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.fromtimestamp(now, UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
