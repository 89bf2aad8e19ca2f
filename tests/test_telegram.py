"""The real python-telegram-bot against a local fake Bot API server: polling, webhook, handoff, faults."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.limits import TelegramLimits
from bot.channels.telegram.render import split_text
from bot.errors import ConfigError
from bot.settings import load_settings
from bot.storage.models import Ticket
from bot.support.desk import SupportDesk
from tests.fake_telegram import FakeTelegram

FAST_OUTBOX = {"outbox_backoff_base_s": 0.01, "outbox_backoff_cap_s": 0.05, "outbox_poll_s": 0.05}  # retries in ms
SHOPPER = 555001
SUPPORT = -1009990001
AGENT = 777


@asynccontextmanager
async def polling(app: App, fake: FakeTelegram, **overrides: Any) -> AsyncIterator[TelegramChannel]:
    """A channel long-polling the fake server for the duration of the block; no handler may have failed."""
    channel = _channel(app, fake, **overrides)
    await channel.start_polling()
    try:
        yield channel
    finally:
        await channel.stop()
    assert not channel.errors, channel.errors


def _channel(app: App, fake: FakeTelegram, *, admins: tuple[int, ...] = (AGENT,), **overrides: Any) -> TelegramChannel:
    fake.admins = list(admins)  # with no SUPPORT_AGENT_IDS, the support group's administrators are the agents
    settings = load_settings(database_url=str(app.settings.database_url), index_dir=app.settings.index_dir,
                             telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url,
                             **{"support_chat_id": SUPPORT, **FAST_OUTBOX, **overrides})
    return TelegramChannel(settings, app.engine, SupportDesk(app.sessions),
                           limits=TelegramLimits(per_chat_rate=50, per_chat_burst=50, global_rate=200))


@pytest.fixture
async def running(make_app: Callable[..., App], sqlite_url: str,
                  fake: FakeTelegram) -> AsyncIterator[tuple[TelegramChannel, FakeTelegram, App]]:
    app = make_app(sqlite_url)
    async with polling(app, fake) as channel:
        yield channel, fake, app


async def test_greets_with_inline_keyboard_and_registers_commands(running: Any) -> None:
    _, fake, _ = running
    fake.user_says(SHOPPER, "/start")
    await fake.wait_for(SHOPPER, "trade-in")
    sent = next(s for s in fake.sent if s.chat_id == SHOPPER)
    labels = [row[0]["text"] for row in sent.reply_markup["inline_keyboard"]]  # type: ignore[index]
    assert "Talk to a person" in labels
    assert any(method == "setMyCommands" for method, _ in fake.calls)


async def test_a_deep_link_from_a_product_page_starts_the_quote(running: Any) -> None:
    _, fake, _ = running
    fake.user_says(SHOPPER, "/start quote-iphone-13")
    await fake.wait_for(SHOPPER, "How much storage does your iPhone 13 have?")
    fake.user_says(SHOPPER + 1, "/start not-a-real-link")
    await fake.wait_for(SHOPPER + 1, "I'm the Loop Market assistant")


async def test_button_press_is_answered_and_moves_the_flow(running: Any) -> None:
    _, fake, _ = running
    fake.user_says(SHOPPER, "sell my iphone 13")
    await fake.wait_for(SHOPPER, "how much storage")
    fake.user_presses(SHOPPER, "s:storage_gb=256")
    await fake.wait_for(SHOPPER, "unlocked, or tied to a carrier")
    assert fake.callback_answers, "the callback query was answered"
    fake.user_presses(SHOPPER, "s:storage_gb=999x")  # garbage from an old keyboard
    await fake.wait_for(SHOPPER, "isn't one I can use")


async def test_long_payloads_are_kept_server_side(running: Any) -> None:
    _, fake, _ = running
    fake.user_says(SHOPPER, "i want to sell something")
    await fake.wait_for(SHOPPER, "which device")
    fake.user_says(SHOPPER, "a macbook air")
    await fake.wait_for(SHOPPER, "which one do you have")
    markup = [s for s in fake.sent if s.chat_id == SHOPPER][-1].reply_markup
    datas = [row[0]["callback_data"] for row in markup["inline_keyboard"]]  # type: ignore[index]
    assert all(len(d.encode()) <= 64 for d in datas)
    fake.user_presses(SHOPPER, datas[1])
    await fake.wait_for(SHOPPER, "How much storage does your MacBook Air (M2, 2022)")


async def test_handoff_end_to_end(running: Any) -> None:
    _, fake, app = running
    fake.user_says(SHOPPER, "how much for my iphone 12 pro 128gb, screen cracked")
    await fake.wait_for(SHOPPER, "unlocked, or tied to a carrier")
    fake.user_says(SHOPPER, "/human")
    await fake.wait_for(SHOPPER, "ticket")
    card = await fake.wait_for(SUPPORT, "Ticket T-")
    assert "iPhone 12 Pro" in card and "storage_gb=128" in card
    topic = [s for s in fake.sent if s.chat_id == SUPPORT][-1].thread_id
    assert topic is not None, "a forum topic per ticket"
    ticket_id = card.split()[2]

    fake.user_presses(SUPPORT, f"t:claim:{ticket_id}", user_id=AGENT, chat_type="supergroup", thread_id=topic)
    await fake.wait_for(SHOPPER, "has joined the chat")
    fake.user_says(SHOPPER, "is 128 the right size?")
    await fake.wait_for(SUPPORT, "is 128 the right size?")
    bot_replies = len(fake.texts_to(SHOPPER))
    fake.user_says(SUPPORT, "Yes, 128 GB is right. I'll hand you back to the bot now.", user_id=AGENT,
                   first_name="Alex", thread_id=topic, chat_type="supergroup")
    await fake.wait_for(SHOPPER, "Alex (support): Yes, 128 GB")
    assert len(fake.texts_to(SHOPPER)) == bot_replies + 1, "the bot stayed silent while a person owned the chat"

    fake.user_says(SUPPORT, "/close", user_id=AGENT, thread_id=topic, chat_type="supergroup")
    await fake.wait_for(SHOPPER, "back with the bot")
    await fake.wait_for(SHOPPER, "Back to where we were: Is your iPhone 12 Pro unlocked")
    fake.user_says(SHOPPER, "unlocked")
    await fake.wait_for(SHOPPER, "Find My")
    with app.sessions() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
    assert (ticket.status, ticket.claimed_by, ticket.claimed_by_name) == ("closed", f"telegram:{AGENT}", "Sam")


async def test_only_configured_agents_may_claim(make_app: Callable[..., App], sqlite_url: str,
                                                fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    async with polling(app, fake, support_agent_ids=[AGENT]):
        fake.user_says(SHOPPER, "talk to a human please")
        card = await fake.wait_for(SUPPORT, "Ticket T-")
        fake.user_presses(SUPPORT, f"t:claim:{card.split()[2]}", user_id=999, chat_type="supergroup")
        await _alerted(fake, "Only support agents")


async def _alerted(fake: FakeTelegram, needle: str, timeout: float = 10.0) -> str:
    """Wait for a pop-up answer to a button press (what only the presser sees)."""
    for _ in range(int(timeout / 0.02)):
        for answer in fake.callback_answers:
            if needle.casefold() in str(answer.get("text", "")).casefold():
                return str(answer["text"])
        await asyncio.sleep(0.02)
    raise AssertionError(f"no pop-up with {needle!r}; got {fake.callback_answers}")


async def test_flood_of_429s_loses_nothing_and_keeps_order(running: Any) -> None:
    channel, fake, _ = running
    fake.fail("sendMessage", "429", times=4, value=1)
    fake.fail("sendMessage", "500", times=2)
    for text in ("hi", "what can you do", "thanks"):
        fake.user_says(SHOPPER, text)
    await fake.wait_for(SHOPPER, "you're welcome", timeout=30)
    texts = fake.texts_to(SHOPPER)
    assert [i for i, t in enumerate(texts) if "I'm the Loop Market assistant" in t] < \
        [i for i, t in enumerate(texts) if "Here's what I can do" in t] < \
        [i for i, t in enumerate(texts) if "welcome" in t]
    assert channel.worker.retries >= 6


async def test_duplicate_update_has_no_second_effect(running: Any) -> None:
    _, fake, _ = running
    fake.user_says(SHOPPER, "hi", update_id=9001)
    await fake.wait_for(SHOPPER, "assistant")
    fake.user_says(SHOPPER, "hi", update_id=9001)
    fake.user_says(SHOPPER, "thanks", update_id=9002)
    await fake.wait_for(SHOPPER, "welcome")
    assert sum("assistant" in t for t in fake.texts_to(SHOPPER)) == 1


async def test_restart_during_handoff_keeps_it(make_app: Callable[..., App], sqlite_url: str,
                                               fake: FakeTelegram) -> None:
    async with polling(make_app(sqlite_url), fake):
        fake.user_says(SHOPPER, "i need a real person")
        card = await fake.wait_for(SUPPORT, "Ticket T-")
    topic = [s for s in fake.sent if s.chat_id == SUPPORT][-1].thread_id

    app = make_app(sqlite_url)  # a new process on the same database
    async with polling(app, fake):
        fake.user_says(SUPPORT, "Hi, I'm here", user_id=AGENT, first_name="Alex", thread_id=topic,
                       chat_type="supergroup")
        await fake.wait_for(SHOPPER, "Alex (support): Hi, I'm here")
        replies = len(fake.texts_to(SHOPPER))
        fake.user_says(SHOPPER, "thanks, so what now?")
        await fake.wait_for(SUPPORT, "thanks, so what now?")  # still relayed to the same thread
        assert len(fake.texts_to(SHOPPER)) == replies, "the bot stays silent: a person owns the chat"
    with app.sessions() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
    assert (ticket.id, ticket.status, ticket.claimed_by, ticket.claimed_by_name) == (
        card.split()[2], "claimed", f"telegram:{AGENT}", "Alex")


async def test_unclaimed_ticket_returns_to_the_bot(make_app: Callable[..., App], sqlite_url: str,
                                                   fake: FakeTelegram) -> None:
    app = make_app(sqlite_url)
    async with polling(app, fake, handoff_unclaimed_minutes=1) as channel:
        fake.user_says(SHOPPER, "let me talk to an agent")
        await fake.wait_for(SUPPORT, "Ticket T-")
        with app.sessions() as session, session.begin():
            ticket = session.execute(select(Ticket)).scalar_one()
            ticket.handed_off_at = ticket.created_at.replace(year=2020)
        await channel.return_unclaimed()
        await fake.wait_for(SHOPPER, "nobody from our team could pick this up yet")
        fake.user_says(SHOPPER, "hi")
        await fake.wait_for(SHOPPER, "I'm the Loop Market assistant")  # the bot answers again
        with app.sessions() as session:
            assert session.execute(select(Ticket)).scalar_one().status == "open"


async def test_webhook_refuses_a_wrong_secret(make_app: Callable[..., App], sqlite_url: str,
                                              fake: FakeTelegram, unused_tcp_port: int) -> None:
    app = make_app(sqlite_url)
    channel = _channel(app, fake)
    await channel.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                webhook_url="https://example.invalid/hook", secret="s3cret-token")
    try:
        assert fake.webhook.get("secret_token") == "s3cret-token"
        update = {"update_id": 77, "message": {"message_id": 1, "date": 0, "text": "hi",
                                               "chat": {"id": SHOPPER, "type": "private"},
                                               "from": {"id": SHOPPER, "is_bot": False, "first_name": "Sam"}}}

        def post(secret: str | None) -> int:
            request = urllib.request.Request(f"http://127.0.0.1:{unused_tcp_port}/hook",
                                             data=json.dumps(update).encode(), method="POST",
                                             headers={"Content-Type": "application/json",
                                                      **({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return int(response.status)
            except urllib.error.HTTPError as err:
                return err.code

        assert await asyncio.to_thread(post, "wrong") == 403
        assert await asyncio.to_thread(post, None) == 403
        assert await asyncio.to_thread(post, "s3cret-tökén") == 403  # non-ASCII: refused, not a 500
        assert fake.texts_to(SHOPPER) == []
        assert await asyncio.to_thread(post, "s3cret-token") == 200
        await fake.wait_for(SHOPPER, "assistant")
    finally:
        await channel.stop()


@pytest.mark.parametrize("secret", [None, "", " ", "has space", "s3cret-tökén", "x" * 257, "semi;colon"])
def test_webhook_secret_telegram_would_refuse_stops_start_up(secret: str | None) -> None:
    from bot.channels.telegram.checks import validated_webhook_secret

    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET must be 1-256 characters"):
        validated_webhook_secret(secret)


def test_webhook_secret_in_telegram_alphabet_is_accepted() -> None:
    from bot.channels.telegram.checks import validated_webhook_secret

    assert validated_webhook_secret("Ab9_-" * 51) == "Ab9_-" * 51


async def test_empty_secret_never_opens_the_webhook(make_app: Callable[..., App], sqlite_url: str,
                                                    fake: FakeTelegram, unused_tcp_port: int) -> None:
    channel = _channel(make_app(sqlite_url), fake)
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        await channel.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                    webhook_url="https://example.invalid/hook", secret="")
    assert fake.webhook == {}


async def test_webhook_refused_by_telegram_stops_start_up(make_app: Callable[..., App], sqlite_url: str,
                                                          fake: FakeTelegram, unused_tcp_port: int) -> None:
    channel = _channel(make_app(sqlite_url), fake)
    fake.fail("setWebhook", "400")
    with pytest.raises(ConfigError, match="Telegram refused the webhook"):
        await channel.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                    webhook_url="https://example.invalid/hook", secret="good-secret")
    with pytest.raises(OSError):  # and nothing is left listening
        await asyncio.open_connection("127.0.0.1", unused_tcp_port)


def test_cli_refuses_webhook_mode_with_an_empty_secret(tmp_path: Path) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123456789:" + "A" * 35, "TELEGRAM_WEBHOOK_SECRET": "",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}
    done = subprocess.run([sys.executable, "run_bot.py", "telegram", "--webhook-url", "https://example.invalid/h"],
                          cwd=Path(__file__).parent.parent, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters" in done.stderr
    assert "Traceback" not in done.stderr and "webhook ready" not in done.stdout


def test_missing_or_malformed_token_is_one_line(tmp_path: Path) -> None:
    from bot.channels.telegram.checks import validated_token

    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        validated_token(load_settings())
    with pytest.raises(ConfigError, match="malformed"):
        validated_token(load_settings(telegram_bot_token="not-a-token"))


def test_long_text_splits_at_paragraphs() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 150 for i in range(12))
    pieces = split_text(text)
    assert all(len(p) <= 4096 for p in pieces) and len(pieces) > 1
    assert all(p.startswith("Paragraph") for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


async def test_group_without_topics_uses_reply_threads(make_app: Callable[..., App], sqlite_url: str,
                                                       fake: FakeTelegram) -> None:
    fake.support_is_forum = False
    app = make_app(sqlite_url)
    async with polling(app, fake):
        fake.user_says(SHOPPER, "my payout never arrived, its been 2 weeks")
        card = await fake.wait_for(SUPPORT, "Ticket T-")
        root = next(s for s in fake.sent if s.chat_id == SUPPORT and s.text == card)
        assert root.thread_id is None and not any(m == "createForumTopic" for m, _ in fake.calls)
        fake.user_says(SHOPPER, "order 1234")
        relayed = await fake.wait_for(SUPPORT, "order 1234")
        relay = next(s for s in fake.sent if s.text == relayed)
        assert relay.reply_to == root.message_id
        fake.user_says(SUPPORT, "Checking it now", user_id=AGENT, first_name="Alex", reply_to=relay.message_id,
                       chat_type="supergroup")
        await fake.wait_for(SHOPPER, "Alex (support): Checking it now")
