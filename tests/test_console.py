"""The console REPL: buttons are numbered and can be picked by number."""

from __future__ import annotations

import asyncio
import io

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
