"""Booking events: the body's contract, the HMAC signature, and the webhook handler against a local receiver."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.delivery.booking_events import EVENT_TYPES, BookingEvent, booking_event, new_booking_id
from bot.delivery.webhook import retry_after_s, sign, verify, webhook_handler, webhook_payload
from bot.errors import ConfigError, PermanentDelivery, RetryableDelivery
from bot.settings import PROJECT_ROOT, load_settings

SECRET = "test-secret-0123456789abcdef"
EMAIL = "sam.shopper@example.com"
TIMEOUT_S = 2.0
SLOW_RECEIVER_S = 1.0


def _event(**overrides: Any) -> BookingEvent:
    values: dict[str, Any] = {
        "booking_id": "bk_testbooking0001", "quote_id": "Q-7F3K9A2C", "device_model": "iPhone 12 Pro",
        "storage_gb": 128, "condition": "good", "carrier": "unlocked", "offer": Decimal("412"), "currency": "USD",
        "payout_method": "paypal", "email": EMAIL, "channel": "telegram", "ship_by": date(2026, 12, 15),
        "occurred_at": datetime(2026, 11, 24, 15, 0, 1, 250_000, tzinfo=UTC),
    }
    values.update(overrides)
    kind = values.pop("type", "booking.accepted")
    return booking_event(kind, **values)


def _readme_verifier() -> Callable[[bytes, dict[str, str], bytes], bool]:
    """The receiver snippet exactly as README.md shows it."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Booking events to your back office", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's booking events section has no Python receiver snippet"
    namespace: dict[str, Any] = {}
    exec(match.group(1), namespace)
    return namespace["verify_refurbot"]  # type: ignore[no-any-return]


# --- the body -----------------------------------------------------------------------------------------------


def test_body_has_the_documented_fields_and_types() -> None:
    body = json.loads(_event().raw_body())
    assert list(body) == ["type", "event_id", "occurred_at", "booking_id", "quote_id", "device_model", "storage_gb",
                          "condition", "carrier", "offer_usd", "currency", "payout_method", "email", "channel",
                          "ship_by", "schema_version"]
    assert body["type"] == "booking.accepted"
    assert re.fullmatch(r"evt_[A-Za-z0-9_-]{16,}", body["event_id"])
    assert body["occurred_at"] == "2026-11-24T15:00:01.250Z"
    assert datetime.fromisoformat(body["occurred_at"]) == datetime(2026, 11, 24, 15, 0, 1, 250_000, tzinfo=UTC)
    assert body["offer_usd"] == "412.00" and isinstance(body["offer_usd"], str)
    assert body["storage_gb"] == 128 and body["schema_version"] == 1
    assert body["ship_by"] == "2026-12-15"
    assert (body["booking_id"], body["quote_id"], body["email"], body["currency"]) == (
        "bk_testbooking0001", "Q-7F3K9A2C", EMAIL, "USD")


@pytest.mark.parametrize(("offer", "shown"), [(Decimal("412"), "412.00"), (Decimal("89.5"), "89.50"),
                                              (Decimal("1234.05"), "1234.05"), (Decimal("0"), "0.00")])
def test_offer_is_a_string_with_two_decimals(offer: Decimal, shown: str) -> None:
    assert json.loads(_event(offer=offer).raw_body())["offer_usd"] == shown


def test_every_event_type_builds_and_each_event_gets_its_own_id() -> None:
    events = [_event(type=kind) for kind in EVENT_TYPES]
    assert [e.to_json()["type"] for e in events] == list(EVENT_TYPES)
    assert len({e.event_id for e in events}) == len(events)


def test_non_utc_time_is_sent_in_utc() -> None:
    from datetime import timedelta, timezone

    eastern = datetime(2026, 11, 24, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert _event(occurred_at=eastern).to_json()["occurred_at"] == "2026-11-24T15:00:00.000Z"


@pytest.mark.parametrize("overrides", [
    {"type": "booking.shipped"},
    {"occurred_at": datetime(2026, 11, 24, 15, 0)},  # naive
    {"offer": Decimal("412.005")},  # not whole cents: never rounded silently
    {"offer": 412.0},  # a float
    {"currency": "usd"},
    {"ship_by": datetime(2026, 12, 15, tzinfo=UTC)},
    {"email": ""},
])
def test_values_the_contract_cannot_carry_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _event(**overrides)


def test_booking_ids_are_random_and_not_derived_from_the_quote() -> None:
    ids = {new_booking_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"bk_[A-Za-z0-9_-]{16}", i) for i in ids)
    assert all(len(i) <= 32 for i in ids)  # fits the String(32) id columns


def test_frozen() -> None:
    with pytest.raises(AttributeError):
        _event().booking_id = "bk_other"  # type: ignore[misc]


# --- the signature ------------------------------------------------------------------------------------------


def test_signature_verifies_with_the_readme_snippet_and_fails_when_anything_differs() -> None:
    verify_refurbot = _readme_verifier()
    body = _event().raw_body()
    now = int(time.time())
    headers = {"X-Refurbot-Timestamp": str(now), "X-Refurbot-Signature": sign(SECRET, now, body)}
    assert headers["X-Refurbot-Signature"].startswith("sha256=")
    assert verify_refurbot(SECRET.encode(), headers, body)
    assert verify(SECRET, headers["X-Refurbot-Signature"], now, body, 300)

    assert not verify_refurbot(b"another-secret-0123456789", headers, body)
    assert not verify("another-secret-0123456789", headers["X-Refurbot-Signature"], now, body, 300)
    tampered = body.replace(b"412.00", b"912.00")
    assert not verify_refurbot(SECRET.encode(), headers, tampered)
    assert not verify(SECRET, headers["X-Refurbot-Signature"], now, tampered, 300)
    shifted = {**headers, "X-Refurbot-Timestamp": str(now + 1)}  # the timestamp is signed too
    assert not verify_refurbot(SECRET.encode(), shifted, body)

    stale = now - 301
    old = {"X-Refurbot-Timestamp": str(stale), "X-Refurbot-Signature": sign(SECRET, stale, body)}
    assert not verify_refurbot(SECRET.encode(), old, body)
    assert not verify(SECRET, old["X-Refurbot-Signature"], stale, body, 300)
    assert verify(SECRET, old["X-Refurbot-Signature"], stale, body, 300, now=stale + 10)
    assert not verify(SECRET, headers["X-Refurbot-Signature"], "not-a-number", body, 300)


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k" * 16, b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k" * 16, 1_700_000_000, b"{}") == "sha256=" + expected


# --- the handler against a real local receiver --------------------------------------------------------------


@dataclass
class Receiver:
    """A local back office: answers from a script, records what it got."""

    url: str = ""
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    delay_s: float = 0.0
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()

    async def hook(request: web.Request) -> web.Response:
        rec.requests.append((dict(request.headers), await request.read()))
        if rec.delay_s:
            await asyncio.sleep(rec.delay_s)
        status, headers = rec.script.pop(0) if rec.script else (200, {})
        return web.Response(status=status, headers=headers)

    app = web.Application()
    app.router.add_post("/hooks/refurbot", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = _free_socket()  # bound before the server starts: no race for the port
    site = web.SockSite(runner, sock)
    await site.start()
    rec.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hooks/refurbot"
    try:
        yield rec
    finally:
        await runner.cleanup()


async def test_post_carries_the_headers_and_a_verifiable_signature(receiver: Receiver) -> None:
    event = _event()
    await webhook_handler(receiver.url, SECRET, TIMEOUT_S)(webhook_payload(event))
    [(headers, body)] = receiver.requests
    assert body == event.raw_body()
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "refurbot"
    assert headers["Idempotency-Key"] == event.event_id
    assert headers["X-Refurbot-Timestamp"].isdigit()
    assert abs(int(headers["X-Refurbot-Timestamp"]) - time.time()) < 60
    assert _readme_verifier()(SECRET.encode(), headers, body)
    assert verify(SECRET, headers["X-Refurbot-Signature"], headers["X-Refurbot-Timestamp"], body, 300)


async def test_500_then_200_retries_with_the_same_key_and_body(receiver: Receiver) -> None:
    receiver.script = [(500, {}), (200, {})]
    handler = webhook_handler(receiver.url, SECRET, TIMEOUT_S)
    payload = webhook_payload(_event())
    with pytest.raises(RetryableDelivery, match="500") as err:
        await handler(payload)
    assert err.value.retry_after_s is None
    await handler(payload)
    (first, body1), (second, body2) = receiver.requests
    assert first["Idempotency-Key"] == second["Idempotency-Key"] and body1 == body2


async def test_410_gone_is_permanent(receiver: Receiver) -> None:
    receiver.script = [(410, {})]
    with pytest.raises(PermanentDelivery, match="receiver gone: stop"):
        await webhook_handler(receiver.url, SECRET, TIMEOUT_S)(webhook_payload(_event()))


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_other_4xx_is_permanent_and_names_the_status(receiver: Receiver, status: int) -> None:
    receiver.script = [(status, {})]
    with pytest.raises(PermanentDelivery, match=str(status)):
        await webhook_handler(receiver.url, SECRET, TIMEOUT_S)(webhook_payload(_event()))


async def test_429_honours_retry_after(receiver: Receiver) -> None:
    receiver.script = [(429, {"Retry-After": "7"})]
    with pytest.raises(RetryableDelivery) as err:
        await webhook_handler(receiver.url, SECRET, TIMEOUT_S)(webhook_payload(_event()))
    assert err.value.retry_after_s == 7


async def test_503_with_retry_after_is_retryable(receiver: Receiver) -> None:
    receiver.script = [(503, {"Retry-After": "120"})]
    with pytest.raises(RetryableDelivery) as err:
        await webhook_handler(receiver.url, SECRET, TIMEOUT_S)(webhook_payload(_event()))
    assert err.value.retry_after_s == 120


async def test_receiver_down_is_retryable() -> None:
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(RetryableDelivery, match="unreachable"):
        await webhook_handler(f"http://127.0.0.1:{port}/hooks", SECRET, TIMEOUT_S)(webhook_payload(_event()))


async def test_a_slow_receiver_times_out_as_retryable(receiver: Receiver) -> None:
    receiver.delay_s = SLOW_RECEIVER_S
    with pytest.raises(RetryableDelivery, match="timed out"):
        await webhook_handler(receiver.url, SECRET, 0.2)(webhook_payload(_event()))


async def test_a_shared_client_is_used_when_given(receiver: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        handler = webhook_handler(receiver.url, SECRET, TIMEOUT_S, client=client)
        await handler(webhook_payload(_event()))
        await handler(webhook_payload(_event(type="booking.cancelled")))
    assert [json.loads(body)["type"] for _, body in receiver.requests] == ["booking.accepted", "booking.cancelled"]


@pytest.mark.parametrize("payload", [{}, {"body": "{}"}, {"body": b"{}", "idempotency_key": "evt_x"},
                                     {"body": "{}", "idempotency_key": ""}])
async def test_a_malformed_payload_is_permanent(payload: dict[str, Any]) -> None:
    with pytest.raises(PermanentDelivery, match="malformed"):
        await webhook_handler("http://127.0.0.1:9/never", SECRET, TIMEOUT_S)(payload)


async def test_the_body_is_never_logged(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    receiver.script = [(500, {}), (200, {})]
    handler = webhook_handler(receiver.url, SECRET, TIMEOUT_S)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(RetryableDelivery) as err:
            await handler(webhook_payload(_event()))
        await handler(webhook_payload(_event()))
    assert EMAIL not in caplog.text and SECRET not in caplog.text
    assert EMAIL not in str(err.value)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC).timestamp()
    assert retry_after_s("7", now=now) == 7
    assert retry_after_s("Tue, 24 Nov 2026 15:01:30 GMT", now=now) == 90
    assert retry_after_s("Tue, 24 Nov 2026 14:00:00 GMT", now=now) == 0  # in the past: now
    assert retry_after_s(None, now=now) is None
    assert retry_after_s("soon", now=now) is None
    assert retry_after_s("99999999", now=now) == 86_400  # capped at a day


# --- settings -----------------------------------------------------------------------------------------------


def test_webhook_secret_is_required_with_the_url() -> None:
    with pytest.raises(ConfigError, match="BOOKING_WEBHOOK_SECRET") as err:
        load_settings(booking_webhook_url="https://backoffice.example/hooks")
    assert "BOOKING_WEBHOOK_URL" in str(err.value)


def test_webhook_settings() -> None:
    settings = load_settings(booking_webhook_url="https://backoffice.example/hooks", booking_webhook_secret=SECRET,
                             webhook_timeout_s=3)
    assert settings.booking_webhook_secret is not None
    assert settings.booking_webhook_secret.get_secret_value() == SECRET
    assert SECRET not in repr(settings)
    assert settings.webhook_timeout_s == 3
    assert load_settings().booking_webhook_url is None


@pytest.mark.parametrize(("overrides", "setting"), [
    ({"booking_webhook_url": "http://backoffice.example/hooks", "booking_webhook_secret": SECRET},
     "BOOKING_WEBHOOK_URL"),  # personal data over plain http, off this machine
    ({"booking_webhook_url": "ftp://backoffice.example/", "booking_webhook_secret": SECRET}, "BOOKING_WEBHOOK_URL"),
    ({"booking_webhook_url": "https://backoffice.example/hooks", "booking_webhook_secret": "short"},
     "BOOKING_WEBHOOK_SECRET"),
    ({"webhook_timeout_s": 0}, "WEBHOOK_TIMEOUT_S"),
])
def test_bad_webhook_settings_name_the_setting(overrides: dict[str, Any], setting: str) -> None:
    with pytest.raises(ConfigError, match=setting) as err:
        load_settings(**overrides)
    assert "short" not in str(err.value)
