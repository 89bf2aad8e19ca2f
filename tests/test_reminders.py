"""Proactive messages with a frozen clock: the ship-by reminder and the lapse reach the right chat once, nothing
reaches a shopper who opted out or blocked the bot, and the back office receives booking.expired once, signed.

The real engine books a trade-in over the telegram channel; `run_bot.py outbox --drain` (drain_outbox) runs the
scan and delivers to a local fake Bot API and a local aiohttp receiver. Every test runs on SQLite and PostgreSQL;
on PostgreSQL two scans also overlap for real (separate connection pools, one transaction still open).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.app import App, booking_reminders, drain_outbox
from bot.delivery.webhook import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from bot.engine.reminders import BookingReminders
from bot.settings import load_settings
from bot.storage.db import make_engine
from bot.storage.models import OutboxRow, QuoteRow, User
from tests.conftest import ChatHarness, Clock
from tests.fake_telegram import FakeTelegram

SECRET = "reminder-test-secret-0123456789"
SHOPPER = 555_101
EMAIL = "rae.reminded@example.com"
REMINDER = "Reminder: please ship your"
LAPSED = "has lapsed"
REMIND_DAY = {"days": 18}  # Dec 12, 10 am Eastern: three days before the ship-by day
AFTER_SHIP_BY = {"days": 22}  # Dec 16: the ship-by day has passed


@dataclass
class Receiver:
    """A local back office that records every event it is sent."""

    url: str = ""
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def events(self) -> list[dict[str, object]]:
        """The bodies received, verified: a bad signature fails the test."""
        out = []
        for headers, body in self.requests:
            assert verify(SECRET, headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER], body)
            event = json.loads(body)
            assert headers[IDEMPOTENCY_HEADER] == event["event_id"]
            out.append(event)
        return out


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()

    async def hook(request: web.Request) -> web.Response:
        rec.requests.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

    server = web.Application()
    server.router.add_post("/hook", hook)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    rec.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    try:
        yield rec
    finally:
        await runner.cleanup()


@dataclass
class Shop:
    """One booked shopper on Telegram, the settings the drain uses, and the frozen clock."""

    app: App
    chat: ChatHarness
    clock: Clock
    fake: FakeTelegram
    receiver: Receiver

    async def drain(self) -> None:
        """`run_bot.py outbox --drain` at the clock's time: the scan runs, then everything due is delivered."""
        settings = load_settings(database_url=str(self.app.settings.database_url),
                                 index_dir=self.app.settings.index_dir, telegram_bot_token=self.fake.token,
                                 telegram_api_base_url=self.fake.base_url, booking_webhook_url=self.receiver.url,
                                 booking_webhook_secret=SECRET)
        await drain_outbox(settings, clock=self.clock)

    def texts(self, needle: str) -> list[str]:
        """What reached the shopper's Telegram chat containing `needle`."""
        return [t for t in self.fake.texts_to(SHOPPER) if needle in t]

    def booking(self) -> QuoteRow:
        with self.app.sessions() as session:
            return session.execute(select(QuoteRow).where(QuoteRow.booking_id.is_not(None))).scalar_one()


@pytest.fixture
async def shop(make_app: Callable[..., App], database_url: str, clock: Clock, fake: FakeTelegram,
               receiver: Receiver) -> Shop:
    app = make_app(database_url, booking_webhook_url=receiver.url, booking_webhook_secret=SECRET)
    chat = ChatHarness(app, user=str(SHOPPER), channel="telegram")
    chat.say("i want to sell my iphone 13 128gb unlocked, good condition, find my is off")
    chat.say("yes i accept")
    chat.say(EMAIL)
    assert "is booked for" in chat.text_of(chat.say("paypal"))
    return Shop(app, chat, clock, fake, receiver)


async def test_the_reminder_reaches_the_shoppers_chat_once(shop: Shop) -> None:
    await shop.drain()  # the booking's own replies; no reminder yet (18 days early)
    assert shop.texts("is booked for") and not shop.texts(REMINDER)
    shop.clock.advance(**REMIND_DAY)
    await shop.drain()
    await shop.drain()  # a second run (cron, a restart) sends nothing again
    [text] = shop.texts(REMINDER)
    assert "Dec 15, 2026" in text and shop.booking().id in text


def _reminders_queued(shop: Shop) -> int:
    with shop.app.sessions() as session:
        rows = [json.loads(r.payload).get("text", "") for r in session.execute(select(OutboxRow)).scalars()]
    return sum(REMINDER in text for text in rows)


def _scan(shop: Shop, sessions: sessionmaker[Session] | None = None) -> BookingReminders:
    """A worker's reminder scan (on the app's pool, or another process's)."""
    app = shop.app
    return booking_reminders(app.settings, app.shop, sessions or app.sessions, app.engine.say)


async def test_two_workers_and_a_lost_mark_still_queue_one_reminder(shop: Shop) -> None:
    shop.clock.advance(**REMIND_DAY)
    now = shop.clock()
    first, second = _scan(shop), _scan(shop)
    assert first.run(now) == 1 and second.run(now) == 0  # the second worker finds it handled
    with shop.app.sessions() as session, session.begin():  # even if the mark were lost, the key holds
        session.execute(update(QuoteRow).values(reminded_at=None))
    first.run(now)
    assert _reminders_queued(shop) == 1


@pytest.mark.postgres
async def test_a_scan_overlapping_an_open_scan_skips_the_booking_it_holds(shop: Shop) -> None:
    if shop.app.sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    shop.clock.advance(**REMIND_DAY)
    now = shop.clock()
    other_process = make_engine(str(shop.app.settings.database_url))  # its own pool, as another worker has
    try:
        second = _scan(shop, sessionmaker(other_process, expire_on_commit=False))
        with shop.app.sessions() as session, session.begin():
            assert _scan(shop).scan(session, now) == 1  # the first scan holds the booking, not yet committed
            # without SKIP LOCKED the second scan would wait here for the first one's commit
            assert await asyncio.wait_for(asyncio.to_thread(second.run, now), timeout=10) == 0
        assert second.run(now) == 0  # committed: the mark is seen
    finally:
        other_process.dispose()
    assert _reminders_queued(shop) == 1


async def test_nothing_after_stop_reminders_and_again_after_start(shop: Shop) -> None:
    assert "won't send you reminders" in shop.chat.text_of(shop.chat.say("/stop_reminders"))
    shop.clock.advance(**REMIND_DAY)
    await shop.drain()
    assert not shop.texts(REMINDER)
    shop.clock.advance(days=AFTER_SHIP_BY["days"] - REMIND_DAY["days"])
    await shop.drain()
    assert not shop.texts(LAPSED)  # opted out: no message ...
    assert [e["type"] for e in shop.receiver.events()] == ["booking.accepted", "booking.expired"]  # ... the shop hears
    assert "Reminders are on again" in shop.chat.text_of(shop.chat.say("/start_reminders"))


async def test_a_shopper_who_blocked_the_bot_gets_no_reminder(shop: Shop) -> None:
    shop.fake.fail_chat("sendMessage", SHOPPER, "403", times=50)  # Forbidden: bot was blocked by the user
    await shop.drain()
    with shop.app.sessions() as session:
        assert session.execute(select(User.blocked_at).where(User.external_id == str(SHOPPER))).scalar_one()
    shop.fake.faults.clear()
    shop.clock.advance(**REMIND_DAY)
    await shop.drain()
    assert not shop.texts(REMINDER)


async def test_a_lapsed_booking_tells_the_shopper_and_sends_booking_expired_once(shop: Shop) -> None:
    shop.clock.advance(**AFTER_SHIP_BY)
    await shop.drain()
    await shop.drain()
    [text] = shop.texts(LAPSED)
    assert shop.booking().id in text and not shop.texts(REMINDER)  # past the day: no late reminder
    events = shop.receiver.events()
    assert [e["type"] for e in events] == ["booking.accepted", "booking.expired"]
    expired = events[1]
    booking = shop.booking()
    assert (expired["booking_id"], expired["quote_id"], expired["ship_by"], expired["email"]) == (
        booking.booking_id, booking.id, "2026-12-15", EMAIL)
    assert booking.booking_status == "expired"
