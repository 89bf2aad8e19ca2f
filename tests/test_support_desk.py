"""The support desk and Telegram's edge cases, attacked as a review would: identities, groups, edits, limits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from telegram.error import RetryAfter, TimedOut

from bot.app import App
from bot.channels.telegram.limits import IDLE_BUCKET_S, TelegramLimits
from bot.storage.models import Conversation, SupportMessage, Ticket
from tests import test_telegram
from tests.fake_telegram import WAIT_S, FakeTelegram
from tests.tcp_proxy import TcpProxy
from tests.test_faults import pg_behind_proxy  # noqa: F401  (a fixture)
from tests.test_telegram import AGENT, SHOPPER, SUPPORT, _alerted, polling

running = test_telegram.running  # a fixture: a polling bot on SQLite with the support group

OTHER_AGENT = 778
ADMIN = 900
STRANGER = 999


async def _handed_off(fake: FakeTelegram, app: App, shopper: int = SHOPPER) -> tuple[str, int]:
    """A shopper asks for a person; returns the ticket id and its forum topic, once the bot has stored the topic.

    The card is on the fake server a moment before the bot stores which topic it opened: an agent's message
    sent in between would name a topic the bot cannot place yet (no person types that fast)."""
    fake.user_says(shopper, "i want to talk to a real person please")
    card = await fake.wait_for(SUPPORT, "Ticket T-")
    topic = next(s for s in fake.sent if s.text == card).thread_id
    assert topic is not None
    ticket_id = card.split()[2]
    deadline = time.monotonic() + WAIT_S
    while _thread_of(app, ticket_id) != str(topic):
        assert time.monotonic() < deadline, "the bot never stored the ticket's topic"
        await asyncio.sleep(0.02)
    return ticket_id, topic


def _thread_of(app: App, ticket_id: str) -> str | None:
    with app.sessions() as session:
        return session.execute(select(Ticket.support_thread_id).where(Ticket.id == ticket_id)).scalar_one_or_none()


async def _copy_recorded(app: App, agent_message_id: int) -> None:
    """Wait until the bot has stored where an agent's reply was copied to.

    The copy reaches the fake server a moment before the bot records it; an edit in between finds no copy
    to correct (no agent edits that fast)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        with app.sessions() as session:
            relayed = session.execute(select(SupportMessage.relayed_message_id).where(
                SupportMessage.chat_id == str(SUPPORT),
                SupportMessage.message_id == str(agent_message_id))).scalar_one_or_none()
        if relayed is not None:
            return
        assert time.monotonic() < deadline, "the bot never recorded the copy of the agent's reply"
        await asyncio.sleep(0.02)


def _ticket(app: App) -> Ticket:
    with app.sessions() as session:
        return session.execute(select(Ticket)).scalar_one()


def _owner(app: App, chat_id: int = SHOPPER) -> str:
    with app.sessions() as session:
        return session.execute(select(Conversation.owner).where(Conversation.chat_id == str(chat_id))).scalar_one()


async def test_a_renamed_agent_cannot_take_over_a_claim(make_app: Callable[..., App], sqlite_url: str,
                                                        fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    async with polling(app, fake, support_agent_ids=[AGENT, OTHER_AGENT, ADMIN], admins=(ADMIN,)):
        ticket_id, topic = await _handed_off(fake, app)
        fake.user_says(SUPPORT, "/claim", user_id=AGENT, first_name="Alex", thread_id=topic, chat_type="supergroup")
        await fake.wait_for(SHOPPER, "Alex from our support team has joined")
        # another agent renames themselves "Alex" and answers in the same topic
        fake.user_says(SUPPORT, "send it to me instead", user_id=OTHER_AGENT, first_name="Alex", thread_id=topic,
                       chat_type="supergroup")
        notice = await fake.wait_for(OTHER_AGENT, "claimed by Alex")  # told privately, in their own chat
        assert "only they (or an admin)" in notice
        assert not any("send it to me instead" in t for t in fake.texts_to(SHOPPER))
        fake.user_presses(SUPPORT, f"t:close:{ticket_id}", user_id=OTHER_AGENT, chat_type="supergroup", thread_id=topic)
        await _alerted(fake, "claimed by Alex")
        assert _ticket(app).status == "claimed"
        # the owner still answers; an admin can take the ticket over
        fake.user_says(SUPPORT, "I'm on it", user_id=AGENT, first_name="Alex", thread_id=topic, chat_type="supergroup")
        await fake.wait_for(SHOPPER, "Alex (support): I'm on it")
        fake.user_presses(SUPPORT, f"t:claim:{ticket_id}", user_id=ADMIN, chat_type="supergroup", thread_id=topic)
        await fake.wait_for(SUPPORT, "took over ticket")
    ticket = _ticket(app)
    assert (ticket.claimed_by, ticket.status) == (f"telegram:{ADMIN}", "claimed")


async def test_without_agent_ids_only_group_administrators_act(make_app: Callable[..., App], sqlite_url: str,
                                                              fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    async with polling(app, fake, admins=(AGENT,)):
        ticket_id, topic = await _handed_off(fake, app)
        fake.user_says(SUPPORT, "hi I can help you (not staff)", user_id=STRANGER, first_name="Eve",
                       thread_id=topic, chat_type="supergroup")
        await fake.wait_for(STRANGER, "Only support agents")
        fake.user_presses(SUPPORT, f"t:claim:{ticket_id}", user_id=STRANGER, chat_type="supergroup", thread_id=topic)
        await _alerted(fake, "Only support agents")
        assert _owner(app) == "pending_human" and _ticket(app).status == "open"
        fake.user_says(SUPPORT, "Hello, Alex here", user_id=AGENT, first_name="Alex", thread_id=topic,
                       chat_type="supergroup")
        await fake.wait_for(SHOPPER, "Alex (support): Hello, Alex here")
    assert not any("not staff" in t for t in fake.texts_to(SHOPPER))
    assert any(method == "getChatAdministrators" for method, _ in fake.calls)


async def test_release_puts_a_ticket_back_in_the_queue(make_app: Callable[..., App], sqlite_url: str,
                                                       fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    async with polling(app, fake, admins=(AGENT, OTHER_AGENT)):
        _, topic = await _handed_off(fake, app)
        fake.user_says(SUPPORT, "/claim", user_id=AGENT, first_name="Alex", thread_id=topic, chat_type="supergroup")
        await fake.wait_for(SHOPPER, "has joined")
        fake.user_says(SUPPORT, "/release", user_id=AGENT, first_name="Alex", thread_id=topic, chat_type="supergroup")
        await fake.wait_for(SUPPORT, "released ticket")
        assert (_ticket(app).status, _owner(app)) == ("open", "pending_human")
        fake.user_says(SUPPORT, "Taking this one", user_id=OTHER_AGENT, first_name="Bo", thread_id=topic,
                       chat_type="supergroup")
        await fake.wait_for(SHOPPER, "Bo (support): Taking this one")
    assert _ticket(app).claimed_by == f"telegram:{OTHER_AGENT}"


async def test_without_a_support_group_the_shopper_is_told_the_truth(
        make_app: Callable[..., App], sqlite_url: str, fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(sqlite_url, staffed=False)
    caplog.set_level(logging.WARNING)
    async with polling(app, fake, support_chat_id=None):
        fake.user_says(SHOPPER, "can i talk to a human")
        reply = await fake.wait_for(SHOPPER, "support@loopmarket.example")
        assert "ticket" not in reply and "will reply" not in reply
        assert _owner(app) == "bot"
        fake.user_says(SHOPPER, "ok how long is the warranty")
        await fake.wait_for(SHOPPER, "12-month")  # the bot keeps helping: nobody is left waiting
    assert "SUPPORT_CHAT_ID is not set" in caplog.text
    with app.sessions() as session:
        assert session.execute(select(Ticket)).first() is None


async def test_every_handoff_gets_its_own_timeout(make_app: Callable[..., App], sqlite_url: str,
                                                  fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    async with polling(app, fake, handoff_unclaimed_minutes=1) as channel:
        for attempt in range(2):
            if attempt == 0:
                await _handed_off(fake, app)
            else:
                fake.user_says(SHOPPER, "please, a person this time")
                await fake.wait_for(SUPPORT, "please, a person this time")  # the same ticket, relayed
                assert _owner(app) == "pending_human"
            with app.sessions() as session, session.begin():
                ticket = session.execute(select(Ticket)).scalar_one()
                ticket.handed_off_at = ticket.handed_off_at - timedelta(minutes=5)  # type: ignore[operator]
            await channel.return_unclaimed()
            for _ in range(200):
                if sum("nobody from our team" in t for t in fake.texts_to(SHOPPER)) == attempt + 1:
                    break
                await asyncio.sleep(0.02)
            assert sum("nobody from our team" in t for t in fake.texts_to(SHOPPER)) == attempt + 1
            assert _owner(app) == "bot"


async def test_in_a_group_the_bot_invites_to_a_private_chat(running: Any) -> None:
    _, fake, app = running
    family = -4001
    fake.user_says(family, "/quote", user_id=SHOPPER, chat_type="group")
    invite = await fake.wait_for(family, "private chat")
    markup = next(s for s in fake.sent if s.text == invite).reply_markup
    assert markup["inline_keyboard"][0][0]["url"] == "https://t.me/refurbot_test_bot"  # type: ignore[index]
    fake.user_presses(family, "s:storage_gb=128", user_id=SHOPPER, chat_type="group")  # a forwarded keyboard
    await _alerted(fake, "@refurbot_test_bot")
    with app.sessions() as session:
        assert session.execute(select(Conversation).where(Conversation.chat_id == str(family))).first() is None


async def test_a_shoppers_edit_is_not_a_new_turn(running: Any) -> None:
    _, fake, app = running
    first = fake.user_says(SHOPPER, "i need a person, my payout is missing")
    await fake.wait_for(SUPPORT, "Ticket T-")
    fake.user_edits(SHOPPER, first["message"]["message_id"], "cancel")
    await fake.wait_for(SHOPPER, "send it again as a new message")
    assert _owner(app) == "pending_human", "the edit did not withdraw the handoff"
    assert not any(t == "cancel" for t in fake.texts_to(SUPPORT))


async def test_an_agents_edit_corrects_the_shoppers_copy(running: Any) -> None:
    _, fake, app = running
    _, topic = await _handed_off(fake, app)
    sent = fake.user_says(SUPPORT, "Your payout is $50", user_id=AGENT, first_name="Alex", thread_id=topic,
                          chat_type="supergroup")
    copy = await fake.wait_for(SHOPPER, "Alex (support): Your payout is $50")
    await _copy_recorded(app, sent["message"]["message_id"])
    fake.user_edits(SUPPORT, sent["message"]["message_id"], "Your payout is $55", user_id=AGENT, first_name="Alex",
                    chat_type="supergroup", thread_id=topic)
    for _ in range(300):
        edits = [s for s in fake.sent if s.method == "editMessageText" and s.chat_id == SHOPPER]
        if edits:
            break
        await asyncio.sleep(0.02)
    copy_id = next(s.message_id for s in fake.sent if s.text == copy)
    assert [(e.message_id, e.text) for e in edits] == [(copy_id, "👤 Alex (support): Your payout is $55")]
    assert sum("Your payout is" in t for t in fake.texts_to(SHOPPER)) == 1, "never sent twice"


async def test_menus_descriptions_and_allowed_updates(make_app: Callable[..., App], sqlite_url: str,
                                                      fake: FakeTelegram, unused_tcp_port: int) -> None:
    from tests.test_telegram import _channel

    async with polling(make_app(sqlite_url), fake):
        fake.user_says(SHOPPER, "hi")
        await fake.wait_for(SHOPPER, "assistant")
    assert fake.profile["commands:all_private_chats"][:2] == ["start", "help"]
    assert fake.profile[f"commands:chat:{SUPPORT}"] == ["claim", "release", "close"]
    assert "Loop Market" in fake.profile["description"] and len(fake.profile["short_description"]) <= 120
    polled = [p for m, p in fake.calls if m == "getUpdates"]
    assert polled and all(p.get("allowed_updates") == ["message", "edited_message", "callback_query"] for p in polled)
    channel = _channel(make_app(sqlite_url), fake)
    await channel.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                webhook_url="https://example.invalid/hook", secret="a-good-secret")
    await channel.stop()
    assert fake.webhook["allowed_updates"] == ["message", "edited_message", "callback_query"]


@pytest.mark.postgres
async def test_an_agents_reply_during_an_outage_is_not_silently_dropped(
        make_app: Callable[..., App], pg_behind_proxy: tuple[str, TcpProxy], fake: FakeTelegram) -> None:  # noqa: F811
    url, proxy = pg_behind_proxy
    app = make_app(url)
    async with polling(app, fake):
        _, topic = await _handed_off(fake, app)
        for _ in range(250):  # the card's topic is recorded just after it is posted
            if _ticket(app).support_thread_id is not None:
                break
            await asyncio.sleep(0.02)
        proxy.cut()
        fake.user_says(SUPPORT, "Here is your answer", user_id=AGENT, first_name="Alex", thread_id=topic,
                       chat_type="supergroup")
        await fake.wait_for(AGENT, "Not sent", timeout=30)
        proxy.restore()
        fake.user_says(SUPPORT, "Here is your answer", user_id=AGENT, first_name="Alex", thread_id=topic,
                       chat_type="supergroup")
        await fake.wait_for(SHOPPER, "Alex (support): Here is your answer", timeout=15)
    assert sum("Here is your answer" in t for t in fake.texts_to(SHOPPER)) == 1


async def test_a_429_pauses_only_the_chat_it_names() -> None:
    limits = TelegramLimits(per_chat_rate=100, per_chat_burst=100, global_rate=1000)
    limited = {"left": 1}

    async def flooded() -> str:
        if limited["left"]:
            limited["left"] -= 1
            raise RetryAfter(2)
        return "a"

    async def fine() -> str:
        return "b"

    slow = asyncio.create_task(limits.call(1, flooded))
    await asyncio.sleep(0.05)  # chat 1 is now paused for 2 s
    started = time.monotonic()
    assert await limits.call(2, fine) == "b"
    assert time.monotonic() - started < 0.5, "another chat was not held up by chat 1's 429"
    assert await slow == "a"


async def test_groups_get_twenty_messages_a_minute() -> None:
    limits = TelegramLimits(per_chat_rate=100, per_chat_burst=100, global_rate=1000)

    async def send() -> bool:
        return True

    started = time.monotonic()
    for _ in range(4):  # three at once (the burst), the fourth waits for the group's rate
        await limits.call(-100123, send)
    assert time.monotonic() - started >= 2.5
    started = time.monotonic()
    for _ in range(4):
        await limits.call(123, send)  # a private chat is not held to the group rate
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(("cause", "attempts"), [(httpx.ReadTimeout("read"), 1), (httpx.ConnectTimeout("c"), 2)])
async def test_a_timeout_after_sending_is_not_repeated(cause: Exception, attempts: int) -> None:
    limits = TelegramLimits(per_chat_rate=100, per_chat_burst=100, global_rate=1000)
    calls: list[int] = []

    async def send() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise TimedOut() from cause
        return "sent"

    result = await limits.call(5, send)
    assert len(calls) == attempts  # a read timeout may have been delivered: a second copy is worse
    assert result == (None if attempts == 1 else "sent")


async def test_idle_chats_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = TelegramLimits(per_chat_rate=100, per_chat_burst=100, global_rate=1000)

    async def send() -> bool:
        return True

    for chat in range(50):
        await limits.call(chat, send)
    assert limits.tracked_chats == 50
    later = time.monotonic() + IDLE_BUCKET_S + 1
    monkeypatch.setattr("bot.channels.telegram.limits.time.monotonic", lambda: later)
    await limits.call(999, send)
    assert limits.tracked_chats == 1


async def test_a_vanished_sqlite_file_stops_the_telegram_bot(make_app: Callable[..., App], sqlite_url: str,
                                                             fake: FakeTelegram) -> None:
    from pathlib import Path

    from tests.test_telegram import _channel

    app = make_app(sqlite_url)
    channel = _channel(app, fake)
    await channel.start_polling()
    try:
        fake.user_says(SHOPPER, "hi")
        await fake.wait_for(SHOPPER, "assistant")
        Path(sqlite_url.removeprefix("sqlite:///")).unlink()
        fake.user_says(SHOPPER, "sell my iphone 13")
        await asyncio.wait_for(channel.stopping.wait(), timeout=15)
    finally:
        await channel.stop()
    assert channel.fatal is not None and "was deleted or replaced" in str(channel.fatal)
    assert not any("How much storage" in t for t in fake.texts_to(SHOPPER)), "nothing quoted into a missing database"


async def test_an_agents_reply_refused_with_500s_reaches_the_shopper_once(running: Any) -> None:
    _, fake, app = running
    _, topic = await _handed_off(fake, app)
    fake.fail_chat("sendMessage", SHOPPER, "500", times=2)  # the outbox retries it
    fake.user_says(SUPPORT, "Your label is on its way", user_id=AGENT, first_name="Alex", thread_id=topic,
                   chat_type="supergroup")
    await fake.wait_for(SHOPPER, "Alex (support): Your label is on its way")
    await asyncio.sleep(0.3)
    assert sum("Your label is on its way" in t for t in fake.texts_to(SHOPPER)) == 1


async def test_an_agents_reply_that_never_gets_through_tells_the_agents(make_app: Callable[..., App],
                                                                       sqlite_url: str, fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    async with polling(app, fake, outbox_max_attempts=2):
        _, topic = await _handed_off(fake, app)
        fake.fail_chat("sendMessage", SHOPPER, "500", times=10)
        fake.user_says(SUPPORT, "Can you send a photo?", user_id=AGENT, first_name="Alex", thread_id=topic,
                       chat_type="supergroup")
        await fake.wait_for(SUPPORT, "could not be delivered to the shopper")
    assert not any("send a photo" in t for t in fake.texts_to(SHOPPER))
