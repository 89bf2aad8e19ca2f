"""The console REPL: buttons are numbered and can be picked by number."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from bot.app import console_worker
from bot.channels.console import chat
from tests.conftest import ChatHarness


def test_console_numbers_buttons_and_accepts_a_number(chat: ChatHarness) -> None:
    stdin = io.StringIO("1\niphone 13 pro\n/quit\n")
    out = io.StringIO()
    asyncio.run(chat_repl(chat, stdin, out))
    text = out.getvalue()
    assert "[1] Sell / trade in my device" in text  # the greeting's buttons, numbered
    assert "Which device would you like to sell?" in text  # "1" pressed the first button
    assert "How much storage does your iPhone 13 Pro have?" in text


async def chat_repl(harness: ChatHarness, stdin: io.StringIO, out: io.StringIO) -> None:
    await chat(harness.app.engine, user="console-test", stdin=stdin, out=out)


def test_the_console_chat_runs_the_outbox_worker_and_prints_a_reminder(make_app: Any, sqlite_url: str,
                                                                      clock: Any) -> None:
    app = make_app(sqlite_url)
    harness = ChatHarness(app, user="console-rae", channel="console")
    harness.say("i want to sell my iphone 13 128gb unlocked, good condition, find my is off")
    harness.say("yes i accept")
    harness.say("rae@example.com")
    assert "is booked for" in harness.text_of(harness.say("paypal"))
    clock.advance(days=18)  # three days before the ship-by day
    out = io.StringIO()
    worker = console_worker(app, out)
    asyncio.run(worker.drain())
    asyncio.run(worker.drain())
    assert out.getvalue().count("bot> Reminder: please ship your iPhone 13") == 1


def test_the_console_chat_starts_and_stops_its_worker(chat: ChatHarness) -> None:
    out = io.StringIO()
    worker = console_worker(chat.app, out)
    asyncio.run(chat_repl_with(chat, io.StringIO("/quit\n"), out, worker))
    assert worker._task is None  # stopped with the REPL
    assert "bot>" in out.getvalue()


async def chat_repl_with(harness: ChatHarness, stdin: io.StringIO, out: io.StringIO, worker: Any) -> None:
    await chat(harness.app.engine, user="console-test", stdin=stdin, out=out, worker=worker)
