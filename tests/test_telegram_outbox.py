"""Telegram through the outbox, with the real python-telegram-bot against the fake Bot API server.

What a shopper or an agent would notice: every reply arrives once and in order, across restarts, crashes,
redeliveries and a support group that fails for a while or for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.telegram.limits import TelegramLimits
from bot.cli import main
from bot.domain import IncomingMessage
from bot.storage.models import Conversation, OutboxRow, Ticket, User
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import AGENT, SHOPPER, SUPPORT, _channel, polling

SECRET = "outbox-secret"
OTHER = 555002


def _rows(app: App, lane: str | None = None) -> list[OutboxRow]:
    with app.sessions() as session:
        stmt = select(OutboxRow).order_by(OutboxRow.id)
        if lane is not None:
            stmt = stmt.where(OutboxRow.lane == lane)
        return list(session.execute(stmt).scalars())


def _turn(app: App, update_id: int, text: str, chat_id: int = SHOPPER) -> list[str]:
    """A turn as a bot that died before sending would have committed it; returns its replies' texts."""
    outcome = app.engine.handle_sync(IncomingMessage(channel="telegram", user_id=str(chat_id), chat_id=str(chat_id),
                                                     message_id=str(update_id), text=text))
    return [r.text for r in outcome.replies]


async def _until(done: Callable[[], bool], timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def _update(update_id: int, text: str, chat_id: int = SHOPPER) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                "chat": {"id": chat_id, "type": "private"},
                                                "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"}}}


def _post(port: int, update: dict[str, Any]) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=json.dumps(update).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Telegram-Bot-Api-Secret-Token": SECRET})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


async def test_a_turns_replies_are_committed_rows_and_a_restarted_bot_sends_them_in_order(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    expected = [*_turn(app, 101, "hi"), *_turn(app, 102, "what can you do"), *_turn(app, 103, "thanks")]
    rows = _rows(app, f"telegram:{SHOPPER}")
    assert [json.loads(r.payload)["text"] for r in rows] == expected and {r.state for r in rows} == {"pending"}
    assert fake.sent == [], "nothing is sent by the turn itself"
    async with polling(app, fake):  # the bot comes back (a polling bot killed with replies queued)
        await _until(lambda: len(fake.texts_to(SHOPPER)) >= len(expected))
        await asyncio.sleep(0.2)  # a double would arrive now
    assert fake.texts_to(SHOPPER) == expected
    assert {r.state for r in _rows(app)} == {"done"}


async def test_the_webhook_answers_once_the_turn_is_committed_not_once_replies_are_sent(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram, unused_tcp_port: int) -> None:
    app = make_app(sqlite_url)
    channel = _channel(app, fake)
    await channel.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                webhook_url="https://example.invalid/hook", secret=SECRET)
    try:
        fake.fail_chat("sendMessage", SHOPPER, "hang", value=1.5)  # this chat's Telegram is slow
        assert await asyncio.to_thread(_post, unused_tcp_port, _update(71, "hi")) == 200
        assert fake.texts_to(SHOPPER) == [] and len(_rows(app, f"telegram:{SHOPPER}")) == 1, "acknowledged first"
        assert await asyncio.to_thread(_post, unused_tcp_port, _update(72, "hi", chat_id=OTHER)) == 200
        await fake.wait_for(OTHER, "assistant")
        assert fake.texts_to(SHOPPER) == [], "the slow chat held up nobody else"
        await fake.wait_for(SHOPPER, "assistant")
        await asyncio.sleep(0.2)
        assert len(fake.texts_to(SHOPPER)) == 1 and len(fake.texts_to(OTHER)) == 1
    finally:
        await channel.stop()
    assert not channel.errors, channel.errors


async def test_a_redelivery_while_the_replies_wait_adds_nothing(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram, unused_tcp_port: int) -> None:
    app = make_app(sqlite_url)
    channel = _channel(app, fake)
    await channel.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                webhook_url="https://example.invalid/hook", secret=SECRET)
    try:
        fake.fail_chat("sendMessage", SHOPPER, "hang", value=1.0)
        assert await asyncio.to_thread(_post, unused_tcp_port, _update(81, "sell my iphone 13")) == 200
        queued = len(_rows(app))
        assert await asyncio.to_thread(_post, unused_tcp_port, _update(81, "sell my iphone 13")) == 200
        assert len(_rows(app)) == queued, "the redelivered update added no row"
        assert fake.texts_to(SHOPPER) == [], "and it was answered while the first reply still waited"
        await _until(lambda: {r.state for r in _rows(app)} == {"done"})
        await asyncio.sleep(0.2)
    finally:
        await channel.stop()
    assert fake.texts_to(SHOPPER) == [json.loads(r.payload)["text"] for r in _rows(app)], "each reply once"


async def test_a_killed_worker_leaves_committed_replies_to_the_next_one_each_sent_once(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    slow = _channel(app, fake, outbox_lease_s=1.0)
    slow.limits = slow.sender.limits = TelegramLimits(per_chat_rate=0.1, per_chat_burst=1)  # 10 s between messages
    await slow.start_polling()
    try:
        for text in ("hi", "what can you do", "thanks"):
            fake.user_says(SHOPPER, text)
        # killed once the first reply is sent and recorded (a kill in the middle of a send may repeat that one
        # message: at least once), while the next reply waits for the chat's rate limit
        await _until(lambda: len(fake.texts_to(SHOPPER)) == 1 and len(_rows(app, f"telegram:{SHOPPER}")) >= 3
                     and _rows(app, f"telegram:{SHOPPER}")[0].state == "done")
        task = slow.worker._task
        assert task is not None
        task.cancel()  # killed while the next reply waits for the chat's rate limit
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await slow.stop()
    expected = [json.loads(r.payload)["text"] for r in _rows(app, f"telegram:{SHOPPER}")]
    assert len(expected) >= 3 and fake.texts_to(SHOPPER) == expected[:1]
    async with polling(app, fake):  # the next worker takes the leased row once its lease is over
        await _until(lambda: len(fake.texts_to(SHOPPER)) >= len(expected))
        await asyncio.sleep(0.2)
    assert fake.texts_to(SHOPPER) == expected


async def test_a_shopper_who_blocked_the_bot_is_recorded_and_their_message_is_dead(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    fake.fail_chat("sendMessage", SHOPPER, "403")
    async with polling(app, fake):
        fake.user_says(SHOPPER, "hi")
        await _until(lambda: any(r.state == "dead" for r in _rows(app)))
    dead = _rows(app)[0]
    assert dead.attempts == 1 and dead.last_error == "Forbidden: Forbidden: bot was blocked by the user"
    with app.sessions() as session:
        assert session.execute(select(User.blocked_at).where(User.external_id == str(SHOPPER))).scalar_one()


async def test_a_ticket_card_refused_with_500s_arrives_once_and_threads_replies(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    fake.fail_chat("sendMessage", SUPPORT, "500", times=3)
    async with polling(app, fake):
        fake.user_says(SHOPPER, "i need a real person")
        await fake.wait_for(SUPPORT, "Ticket T-")
        await _until(lambda: _ticket(app).support_thread_id is not None)
        topic = next(s for s in fake.sent if s.chat_id == SUPPORT).thread_id
        fake.user_says(SUPPORT, "Hi, I'm here", user_id=AGENT, first_name="Alex", thread_id=topic,
                       chat_type="supergroup")
        await fake.wait_for(SHOPPER, "Alex (support): Hi, I'm here")
    assert len([t for t in fake.texts_to(SUPPORT) if "Ticket T-" in t]) == 1
    assert sum(m == "createForumTopic" for m, _ in fake.calls) == 1, "one topic, however many attempts"
    card = next(r for r in _rows(app) if r.kind == "telegram.ticket_card")
    assert (card.state, card.attempts) == ("done", 4)


async def test_a_ticket_card_that_never_gets_through_tells_the_shopper_the_truth(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    fake.fail_chat("sendMessage", SUPPORT, "500", times=50)
    async with polling(app, fake, outbox_max_attempts=3):
        fake.user_says(SHOPPER, "i need a real person")
        told = await fake.wait_for(SHOPPER, "couldn't pass your request")
    ticket = _ticket(app)
    assert ticket.id in told and "support@" in told
    assert not any("Ticket T-" in t for t in fake.texts_to(SUPPORT))
    with app.sessions() as session:
        owner = session.execute(select(Conversation.owner).where(Conversation.key == f"telegram:{SHOPPER}")).scalar_one()
    assert (ticket.status, owner) == ("open", "pending_human"), "the ticket still waits for a person"
    card = next(r for r in _rows(app) if r.kind == "telegram.ticket_card")
    assert (card.state, card.attempts) == ("dead", 3)


async def test_outbox_drain_delivers_what_a_stopped_bot_left_and_exits(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(sqlite_url)
    expected = [*_turn(app, 201, "hi"), *_turn(app, 202, "thanks")]
    for name, value in (("DATABASE_URL", sqlite_url), ("TELEGRAM_BOT_TOKEN", fake.token),
                        ("TELEGRAM_API_BASE_URL", fake.base_url)):
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(main, ["outbox", "--drain"]) == 0
    assert fake.texts_to(SHOPPER) == expected
    assert await asyncio.to_thread(main, ["outbox", "--drain"]) == 0  # nothing left: nothing twice
    assert fake.texts_to(SHOPPER) == expected


def _ticket(app: App) -> Ticket:
    with app.sessions() as session:
        return session.execute(select(Ticket)).scalar_one()
