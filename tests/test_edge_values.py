"""Values no column can hold (too long, NUL, lone surrogates) are fitted at the edge, alike on both backends."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.console import chat as console_chat
from bot.channels.replay import replay
from bot.domain import IncomingMessage, Outcome
from bot.storage.models import Conversation, Message, QuoteRow, User
from tests.conftest import ChatHarness

LONG_EMAIL = "a" * 265 + "@example.com"  # 277 characters: longer than the quotes.email column
LONG_NAME = "N" * 300  # longer than users.display_name
LONG_PAYLOAD = "s:condition=" + "x" * 300  # longer than messages.payload
BAD_TEXT = "hi\x00 there \ud800 sell my iphone 13 128gb"


def _send(app: App, *, user: str = "shopper-1", text: str | None = None, payload: str | None = None,
          name: str | None = None) -> Outcome:
    msg = IncomingMessage(channel="test", user_id=user, chat_id=user, message_id=uuid.uuid4().hex, text=text,
                          button_payload=payload, display_name=name)
    return app.engine.handle_sync(msg)


def test_over_long_email_is_refused_as_invalid_not_stored_clipped(
        make_app: Callable[..., App], database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    chat = ChatHarness(make_app(database_url))
    chat.say("sell pixel 8 128gb unlocked like new, google account removed")
    quote = chat.last.quote if chat.last else None
    assert quote is not None
    chat.press("s:accept=true")
    with caplog.at_level(logging.DEBUG):
        outcome = chat.say(LONG_EMAIL)
    assert outcome.stored
    assert any(r.response == "not_an_email" for r in outcome.replies), ChatHarness.text_of(outcome)
    assert LONG_EMAIL[:200] not in caplog.text  # no traceback quoting the address into the log
    done = chat.say("me@example.com")
    assert done.stored
    with chat.app.sessions() as session:
        row = session.get(QuoteRow, quote.quote_id)
    assert row is not None and row.email in (None, "me@example.com")


def test_long_names_ids_and_payloads_do_not_break_the_turn(make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url)
    first = _send(app, user="u" * 300, text="hi", name=LONG_NAME)
    other = _send(app, user="u" * 299 + "v", text="hi", name=LONG_NAME)
    pressed = _send(app, user="u" * 300, payload=LONG_PAYLOAD)
    assert first.stored and other.stored and pressed.stored
    assert pressed.replies  # the bot still answers a button it cannot use
    with app.sessions() as session:
        conversations = session.execute(select(func.count()).select_from(Conversation)).scalar_one()
        names = session.execute(select(User.display_name)).scalars().all()
    assert conversations == 2  # two long ids that share a prefix stay two shoppers
    assert all(name is not None and name.startswith("NNNN") for name in names)


def test_nul_and_lone_surrogates_are_answered_and_stored(make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url)
    said = _send(app, text=BAD_TEXT, name="Sam\x00\ud800")
    pressed = _send(app, payload="s:carrier=\x00\udc80")
    assert said.stored and said.slots.get("device_model") == "iPhone 13"
    assert pressed.stored and pressed.replies
    with app.sessions() as session:
        texts = session.execute(select(Message.text).where(Message.direction == "in")).scalars().all()
    assert all("\x00" not in t for t in texts)


async def test_replay_never_stops_on_values_no_column_holds(make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url)
    lines = [json.dumps(x) for x in (
        {"user": "u" * 300, "text": "hi"},
        {"user": "u1", "text": "hi \u0000 \ud800"},
        {"user": "u1", "button": LONG_PAYLOAD},
        {"user": "u1", "button": "\ud800\u0000"},
        {"user": "u1", "text": "how long is the warranty?"},
    )]
    results = [r async for r in replay(app.engine, lines)]
    assert len(results) == len(lines)
    assert all(r["replies"] for r in results)
    assert results[-1]["sources"]  # the conversation went on normally
    for result in results:
        json.dumps(result, ensure_ascii=False).encode("utf-8")  # every line can be written out as UTF-8


async def test_invalid_utf8_on_the_console_does_not_end_the_chat(make_app: Callable[..., App],
                                                                   sqlite_url: str, tmp_path: Path) -> None:
    app = make_app(sqlite_url)
    stdin = io.TextIOWrapper(io.BytesIO(b"hi \xff\xfe there\nhow long is the warranty?\n/quit\n"), encoding="utf-8")
    out = io.StringIO()
    await asyncio.wait_for(console_chat(app.engine, stdin=stdin, out=out), timeout=60)
    transcript = out.getvalue()
    assert transcript.count("you> ") == 3  # both lines were read, then /quit
    assert "warranty" in transcript.split("you> ")[2].lower()
