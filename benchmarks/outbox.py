"""The outbox: booking events per second delivered to a local back office, and what a booking reply pays for it.

Run: .venv/bin/python benchmarks/outbox.py [--events 500] [--rounds 3]
1. Events: N booking.webhook rows (one booking each) are enqueued in a fresh SQLite database and drained by the
   real worker to a local aiohttp receiver that checks nothing but counts; median events/s over the rounds.
2. The booking reply: the same whole trade-in, booked with the webhook configured and without it, interleaved,
   median latency of the accepting turn (delivery is the worker's job, after the commit).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app, open_database
from bot.delivery import webhook
from bot.delivery.booking_events import booking_event, new_booking_id
from bot.delivery.business import register_business_handlers
from bot.delivery.enqueue import enqueue
from bot.delivery.registry import Registry
from bot.delivery.worker import DeliveryPolicy, OutboxWorker
from bot.domain import IncomingMessage
from bot.settings import load_settings

SECRET = "benchmark-secret-0123456789abcdef"
TRADE_IN = ["i want to sell my iphone 13 128gb unlocked, good condition, find my is off", "yes i accept",
            "shopper@example.com"]
ACCEPTING = "paypal"  # the turn that books


async def _receiver() -> tuple[web.AppRunner, str, list[int]]:
    count = [0]

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        count[0] += 1
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/hook", count


async def events_per_second(events: int, url: str, tmp: Path) -> float:
    """Enqueue `events` booking events, then time the worker draining them."""
    settings = load_settings(database_url=f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}",
                             booking_webhook_url=url, booking_webhook_secret=SECRET)
    db, sessions = open_database(settings)  # migrated to head
    now = datetime.now(UTC)
    with sessions() as session, session.begin():
        for n in range(events):
            event = booking_event("booking.accepted", booking_id=new_booking_id(), quote_id=f"Q-BENCH{n:05d}",
                                  device_model="iPhone 13", storage_gb=128, condition="good", carrier="unlocked",
                                  offer=Decimal("150.00"), currency="USD", payout_method="paypal",
                                  email="shopper@example.com", channel="telegram", ship_by=date.today(),
                                  occurred_at=now)
            enqueue(session, webhook.KIND, event.event_id, f"booking:{event.booking_id}", webhook.webhook_payload(event))
    registry = Registry()
    register_business_handlers(registry, settings, {})
    worker = OutboxWorker(sessions, registry, DeliveryPolicy.from_settings(settings))
    started = time.perf_counter()
    delivered = await worker.drain()
    elapsed = time.perf_counter() - started
    db.dispose()
    assert delivered == events, (delivered, events)
    return events / elapsed


def booking_turn_ms(url: str | None, tmp: Path) -> float:
    """Latency of the turn that books, with the back office configured (url) or not."""
    overrides = {"booking_webhook_url": url, "booking_webhook_secret": SECRET} if url else {}
    app = build_app(load_settings(database_url=f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}", **overrides))
    try:
        user = uuid.uuid4().hex[:8]
        for n, text in enumerate(TRADE_IN):
            app.engine.handle_sync(IncomingMessage("bench", user, user, f"{user}-{n}", text=text))
        started = time.perf_counter()
        outcome = app.engine.handle_sync(IncomingMessage("bench", user, user, f"{user}-x", text=ACCEPTING))
        elapsed = (time.perf_counter() - started) * 1000
        assert outcome.quote is not None
        return elapsed
    finally:
        app.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bookings", type=int, default=15)
    args = parser.parse_args()
    runner, url, count = await _receiver()
    with tempfile.TemporaryDirectory() as tmp:
        rates = [await events_per_second(args.events, url, Path(tmp)) for _ in range(args.rounds)]
        with_hook: list[float] = []
        without: list[float] = []
        for _ in range(args.bookings):  # interleaved: both see the same machine
            with_hook.append(await asyncio.to_thread(booking_turn_ms, url, Path(tmp)))
            without.append(await asyncio.to_thread(booking_turn_ms, None, Path(tmp)))
    await runner.cleanup()
    print(f"events delivered: {args.events} x {args.rounds} rounds, median {statistics.median(rates):.0f} events/s "
          f"(rounds: {', '.join(f'{r:.0f}' for r in rates)}); receiver counted {count[0]}")
    print(f"booking turn: median {statistics.median(with_hook):.1f} ms with the webhook queued, "
          f"{statistics.median(without):.1f} ms without ({args.bookings} interleaved pairs)")


if __name__ == "__main__":
    asyncio.run(main())
