"""A booked trade-in reaches the business: the signed event at the back office, the email in the mailbox.

The real engine books through the chat; the outbox rows are written with the booking and delivered by the real
worker to a local HTTP receiver and a local SMTP server (aiosmtpd). With neither configured, no email is promised.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from sqlalchemy import select

from bot.app import App
from bot.delivery.business import register_business_handlers
from bot.delivery.registry import Registry
from bot.delivery.webhook import verify
from bot.delivery.worker import DeliveryPolicy, OutboxWorker
from bot.storage.models import OutboxRow, QuoteRow
from tests.conftest import ChatHarness
from tests.test_booking_email import Mailbox, mailbox  # noqa: F401  (fixture)
from tests.test_booking_events import Receiver, receiver  # noqa: F401  (fixture)

SECRET = "a-long-random-shared-secret-0123456789"
SENDER = "Loop Market <trade-in@loopmarket.example>"
SHOPPER = "jane.doe@example.com"
RETRY_PASSES, RETRY_WAIT_S = 50, 0.05


def _book(chat: ChatHarness) -> str:
    """A whole trade-in to the booking; returns the booking reply's text."""
    chat.say("i want to sell my iphone 13 128gb unlocked, good condition, find my is off")
    chat.say("yes i accept")
    chat.say(SHOPPER)
    return chat.text_of(chat.say("paypal"))


async def _drain(app: App) -> int:
    registry = Registry()
    register_business_handlers(registry, app.settings, app.shop.policy)
    worker = OutboxWorker(app.sessions, registry, DeliveryPolicy.from_settings(app.settings))
    return await worker.drain()


async def test_a_booking_reaches_the_back_office_and_the_shoppers_mailbox(
        make_app: Callable[..., App], sqlite_url: str, receiver: Receiver, mailbox: Mailbox) -> None:  # noqa: F811
    app = make_app(sqlite_url, booking_webhook_url=receiver.url, booking_webhook_secret=SECRET,
                   smtp_url=f"smtp://127.0.0.1:{mailbox.port}", smtp_from=SENDER)
    reply = _book(ChatHarness(app))
    assert f"email a free prepaid shipping label to {SHOPPER}" in reply
    with app.sessions() as session:
        quote = session.execute(select(QuoteRow).where(QuoteRow.status == "accepted")).scalar_one()
        kinds = sorted(r.kind for r in session.execute(select(OutboxRow)).scalars())
    assert kinds == ["booking.email", "booking.webhook"]  # written with the booking, before any delivery
    assert quote.booking_id and quote.booking_id.startswith("bk_") and quote.id not in quote.booking_id

    assert await _drain(app) == 2
    [(headers, body)] = receiver.requests
    assert verify(SECRET, headers["X-Refurbot-Signature"], headers["X-Refurbot-Timestamp"], body)
    event = json.loads(body)
    assert event["type"] == "booking.accepted" and headers["Idempotency-Key"] == event["event_id"]
    assert (event["booking_id"], event["quote_id"], event["device_model"], event["storage_gb"]) == (
        quote.booking_id, quote.id, "iPhone 13", 128)
    assert event["offer_usd"] == f"{quote.offer_usd:.2f}" and event["email"] == SHOPPER
    assert event["payout_method"] == "paypal" and event["channel"] == "test"
    message = mailbox.received()
    assert message["To"] == SHOPPER and quote.booking_id in str(message["Subject"])
    assert quote.id in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    assert await _drain(app) == 0  # delivered once: a second pass sends nothing again
    assert len(receiver.requests) == 1 and len(mailbox.envelopes) == 1


async def test_a_back_office_that_is_down_gets_the_event_once_it_is_back(
        make_app: Callable[..., App], sqlite_url: str, receiver: Receiver) -> None:  # noqa: F811
    app = make_app(sqlite_url, booking_webhook_url=receiver.url, booking_webhook_secret=SECRET,
                   outbox_backoff_base_s=0.01, outbox_backoff_cap_s=0.01)
    _book(ChatHarness(app))
    receiver.script = [(503, {}), (503, {})]
    for _ in range(RETRY_PASSES):  # each retry is due a moment after the failure before it
        await _drain(app)
        if len(receiver.requests) == 3:
            break
        await asyncio.sleep(RETRY_WAIT_S)
    keys = {headers["Idempotency-Key"] for headers, _ in receiver.requests}
    assert len(receiver.requests) == 3 and len(keys) == 1  # the same event, retried until the 200
    with app.sessions() as session:
        row = session.execute(select(OutboxRow)).scalar_one()
    assert (row.state, row.attempts) == ("done", 3)


def test_with_no_back_office_and_no_smtp_no_email_is_promised(chat: ChatHarness) -> None:
    reply = _book(chat)
    assert "is booked for" in reply and "we'll email" not in reply.casefold()
    assert "write to support@loopmarket.example with your quote id" in reply
    with chat.app.sessions() as session:
        assert session.execute(select(OutboxRow).where(OutboxRow.kind.like("booking.%"))).first() is None
