"""Several webhook workers share PostgreSQL: order per chat, exactly-once effects, a SIGKILL mid-send."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine, func, select

from bot.storage.migrate import upgrade_to_head
from bot.storage.models import Conversation, Message, OutboxRow, ProcessedEvent
from tests.conftest import _postgres_url
from tests.fake_telegram import FakeTelegram
from tests.workers import SECRET, Worker, start_worker

pytestmark = pytest.mark.postgres
SCRIPT = ["hi", "sell my iphone 13 128gb", "verizon", "light scratches", "find my is off", "skip",
          "how long is the warranty?", "yes"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    gen = _postgres_url()
    url = next(gen)
    if url is None:
        pytest.skip("PostgreSQL not reachable")
    upgrade_to_head(create_engine(url))
    yield url
    next(gen, None)


def _update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": text, "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"}}}


async def _post(session: aiohttp.ClientSession, worker: Worker, update: dict[str, Any]) -> int:
    for _ in range(50):  # like Telegram: retry until acknowledged
        try:
            async with session.post(worker.url, json=update,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                if response.status == 200:
                    return 200
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    return 0


def _workers(n: int, pg_url: str, fake: FakeTelegram, test_index: Path, **env: str) -> list[Worker]:
    return [start_worker(database_url=pg_url, index_dir=str(test_index), api_base=fake.base_url, token=fake.token,
                         extra_env=env) for _ in range(n)]


async def test_workers_keep_order_and_exactly_once(pg_url: str, fake: FakeTelegram, test_index: Path) -> None:
    workers = await asyncio.to_thread(_workers, 3, pg_url, fake, test_index, OUTBOX_POLL_S="0.2")
    rng = random.Random(11)
    chats = [900_000 + n for n in range(12)]
    sent: dict[int, list[int]] = {c: [] for c in chats}
    update_ids = iter(range(1, 10_000))
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            async def shopper(chat_id: int) -> None:
                earlier: list[dict[str, Any]] = []
                for text in SCRIPT:
                    update = _update(next(update_ids), chat_id, text)
                    sent[chat_id].append(update["update_id"])
                    duplicate = rng.choice(earlier) if earlier and rng.random() < 0.4 else None
                    posts = [_post(http, rng.choice(workers), update)]
                    if duplicate is not None:  # an old update delivered again, late and to another worker
                        posts.append(_post(http, rng.choice(workers), duplicate))
                    assert 0 not in await asyncio.gather(*posts)
                    earlier.append(update)

            await asyncio.gather(*(shopper(c) for c in chats))
            await _all_sent(pg_url)  # acknowledged after commit: the one Telegram sender may still be busy
    finally:
        for worker in workers:
            await asyncio.to_thread(worker.stop)

    engine = create_engine(pg_url)
    with engine.connect() as db:
        events = db.execute(select(ProcessedEvent.event_id)).scalars().all()
        assert sorted(int(e) for e in events) == sorted(u for ids in sent.values() for u in ids), "once each"
        for chat_id in chats:
            conversation = db.execute(select(Conversation.id).where(
                Conversation.key == f"telegram:{chat_id}")).scalar_one()
            incoming = db.execute(select(Message.external_id).where(
                Message.conversation_id == conversation, Message.direction == "in").order_by(Message.id)).scalars()
            assert [int(x) for x in incoming] == sent[chat_id], "per-chat order preserved"
            outgoing = db.execute(select(Message.text).where(
                Message.conversation_id == conversation, Message.direction == "out").order_by(Message.id)).scalars()
            assert fake.texts_to(chat_id) == list(outgoing), "every reply delivered once, in order"
    engine.dispose()


async def test_sigkill_mid_turn_then_restart_answers_once(pg_url: str, fake: FakeTelegram, test_index: Path) -> None:
    chat_id = 910_001
    worker = (await asyncio.to_thread(_workers, 1, pg_url, fake, test_index, OUTBOX_LEASE_S="2"))[0]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        assert await _post(http, worker, _update(1, chat_id, "sell my pixel 8 128gb")) == 200
        await fake.wait_for(chat_id, "unlocked, or tied to a carrier")
        fake.fail("sendMessage", "hang", value=600)  # the worker commits the turn, then hangs sending
        assert await _post(http, worker, _update(2, chat_id, "verizon")) == 200  # acknowledged once committed
        for _ in range(100):
            if fake.calls and fake.calls[-1][0] == "sendMessage" and fake.calls[-1][1].get("chat_id") == chat_id:
                break
            await asyncio.sleep(0.05)
        await asyncio.to_thread(worker.kill)  # mid-send: the reply's row stays leased, then is due again
        fake.faults.clear()
        restarted = (await asyncio.to_thread(_workers, 1, pg_url, fake, test_index, OUTBOX_LEASE_S="2"))[0]
        try:
            assert await _post(http, restarted, _update(2, chat_id, "verizon")) == 200  # a late redelivery
            await fake.wait_for(chat_id, "Which best describes it?")
            assert sum("Which best describes it?" in t for t in fake.texts_to(chat_id)) == 1
            assert await _post(http, restarted, _update(3, chat_id, "mint")) == 200
            await fake.wait_for(chat_id, "Find My")  # the conversation carries on where it was
        finally:
            await asyncio.to_thread(restarted.stop)


async def _all_sent(pg_url: str, timeout: float = 60.0) -> None:
    """Wait until the outbox holds nothing pending."""
    engine = create_engine(pg_url)
    try:
        for _ in range(int(timeout / 0.2)):
            with engine.connect() as db:
                if not db.execute(select(func.count()).select_from(OutboxRow)
                                  .where(OutboxRow.state == "pending")).scalar_one():
                    return
            await asyncio.sleep(0.2)
        raise AssertionError("replies still pending")
    finally:
        engine.dispose()
