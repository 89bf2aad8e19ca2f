"""The engine on both backends: state survives restarts, redeliveries have no second effect, bad input."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from bot.app import App
from bot.domain import IncomingMessage, Outcome
from bot.errors import DatabaseReadOnly
from bot.storage.models import Message, QuoteRow, Ticket
from tests.conftest import ChatHarness


def _count(app: App, model: type) -> int:
    with app.sessions() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_restart_resumes_the_flow_where_it_was(make_app: Callable[..., App], database_url: str) -> None:
    first = ChatHarness(make_app(database_url))
    first.say("sell my galaxy s23 256gb")
    asked = first.say("t-mobile")
    assert "condition" in ChatHarness.text_of(asked).lower() or "describes" in ChatHarness.text_of(asked).lower()
    first.app.close()

    second = ChatHarness(make_app(database_url))  # a new process would build exactly this
    outcome = second.say("light scratches")
    assert outcome.flow == "trade_in"
    assert outcome.slots["device_model"] == "Galaxy S23"
    assert outcome.slots["carrier"] == "tmobile"
    assert outcome.slots["condition"] == "good"


def test_redelivered_message_has_no_second_effect(make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url)
    chat = ChatHarness(app)
    chat.say("sell my iphone 13 128gb unlocked flawless, find my is off")
    first = chat.say("90%", message_id="update-42")
    quotes, messages = _count(app, QuoteRow), _count(app, Message)
    again = chat.say("90%", message_id="update-42")
    assert again.duplicate
    assert [r.text for r in again.replies] == [r.text for r in first.replies]
    assert again.quote is not None and first.quote is not None and again.quote.quote_id == first.quote.quote_id
    assert (_count(app, QuoteRow), _count(app, Message)) == (quotes, messages)


def test_handoff_records_a_ticket_with_context(make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url)
    chat = ChatHarness(app)
    chat.say("how much for my pixel 8 pro 256gb")
    outcome = chat.say("i want to talk to a human")
    assert outcome.handoff is not None and outcome.handoff.status == "open"
    with app.sessions() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
    assert ticket.slots["device_model"] == "Pixel 8 Pro"
    assert "how much for my pixel 8 pro" in ticket.summary


def test_concurrent_messages_of_one_chat_are_serialised(make_app: Callable[..., App], database_url: str) -> None:
    app = make_app(database_url)

    texts = ["sell my iphone 12 64gb", "verizon", "mint", "find my is off"]

    async def burst() -> list[Outcome]:
        msgs = [IncomingMessage("test", "u9", "u9", f"m{i}", text=t) for i, t in enumerate(texts)]
        # all five in flight at once: the conversation lock must run them one by one, in order
        return list(await asyncio.gather(*(app.engine.handle(msg) for msg in msgs)))

    outcomes = asyncio.run(burst())
    last = outcomes[-1]
    assert last.quote is not None, "each answer saw the previous one's state"
    assert last.slots == {"device_model": "iPhone 12", "storage_gb": 64, "carrier": "verizon",
                          "condition": "flawless", "account_locked": False}
    with app.sessions() as session:
        incoming = session.execute(select(Message.text).where(Message.direction == "in")
                                   .order_by(Message.id)).scalars().all()
    assert incoming == texts


@pytest.mark.parametrize("text", [
    "", "   \n\t ", "a" * 20_000, "hi\x00\x07\x1b[31m there", "😀😀😀", "привет こんにちは مرحبا iphone 12",
    "<script>alert(1)</script>", "'; DROP TABLE conversations; --",
])
def test_bad_input_gets_a_friendly_reply(chat: ChatHarness, text: str) -> None:
    outcome = chat.say(text)
    assert outcome.replies and all(r.text.strip() for r in outcome.replies)
    assert "Traceback" not in ChatHarness.text_of(outcome)


@pytest.mark.parametrize("payload", ["s:accept=true", "i:teleport", "garbage", "s:storage_gb=not-a-number", ""])
def test_unknown_or_stale_buttons_are_answered_gracefully(chat: ChatHarness, payload: str) -> None:
    chat.say("sell my iphone 14")
    outcome = chat.press(payload) if payload else chat.say("")
    assert outcome.replies
    assert chat.say("128gb").slots.get("storage_gb") == 128  # the flow carries on


def test_read_only_database_file_is_refused_clearly(make_app: Callable[..., App], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    app = make_app(url)
    ChatHarness(app).say("hi")
    app.close()
    path = tmp_path / "ro.db"
    before = path.read_bytes()
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP)
    try:
        with pytest.raises(DatabaseReadOnly, match="read-only"):
            make_app(url)
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    assert path.read_bytes() == before


def test_database_that_refuses_writes_gets_an_apology_not_a_crash(make_app: Callable[..., App],
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    app = make_app(f"sqlite:///{path}")
    read_only = create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                                           check_same_thread=False))
    app.engine.sessions = sessionmaker(read_only)
    outcome = ChatHarness(app).say("hi")
    assert "can't save" in ChatHarness.text_of(outcome)
    read_only.dispose()
