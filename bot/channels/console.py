"""A console REPL: type messages, pick buttons by number. The conversation survives restarts.

The outbox worker runs beside the REPL (as in `telegram`): booking events, emails, the reminder scan and the
retention purge go on while you chat, and what the outbox has for a console chat (a reminder, a back-office
status) is printed as the bot's message.
"""

from __future__ import annotations

import asyncio
import io
import sys
import uuid
from collections.abc import Mapping
from typing import Any, TextIO

from bot.delivery.registry import Handler, Registry
from bot.delivery.replies import message_kind, reply_of
from bot.delivery.worker import OutboxWorker
from bot.domain import Button, IncomingMessage, Outcome
from bot.engine.engine import Engine

CHANNEL = "console"


def render(outcome: Outcome, out: TextIO) -> list[Button]:
    """Print the replies; buttons become numbered choices. Returns the buttons on offer."""
    offered: list[Button] = []
    for reply in outcome.replies:
        out.write(f"bot> {reply.text}\n")
        for button in reply.buttons:
            offered.append(button)
            out.write(f"  [{len(offered)}] {button.label}\n")
    out.flush()
    return offered


def register_console(registry: Registry, out: TextIO) -> None:
    """Deliver console.message rows (proactive messages to a console chat) by printing them."""

    async def deliver(payload: Mapping[str, Any]) -> None:
        render(Outcome(replies=(reply_of(payload),)), out)

    registry.register(message_kind(CHANNEL), Handler(deliver))


async def chat(engine: Engine, *, user: str = "local", stdin: TextIO = sys.stdin, out: TextIO = sys.stdout,
               worker: OutboxWorker | None = None) -> None:
    """Run the REPL until end of input or /quit, with the outbox worker (if given) running beside it."""
    if worker is not None:
        worker.start()
    try:
        await _repl(engine, user=user, stdin=stdin, out=out)
    finally:
        if worker is not None:
            await worker.stop()


async def _repl(engine: Engine, *, user: str, stdin: TextIO, out: TextIO) -> None:
    if isinstance(stdin, io.TextIOWrapper):
        stdin.reconfigure(errors="replace")  # a byte that is not UTF-8 (a pasted binary, a Latin-1 terminal) is not the end
    out.write(engine.say.text("console_welcome") + "\n")
    offered: list[Button] = []
    first = True
    while True:
        if first:
            line = "/start"
            first = False
        else:
            out.write("you> ")
            out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            line = line.rstrip("\n")
            if line.strip() in ("/quit", "/exit"):
                break
        pressed = _pressed(line, offered)
        msg = IncomingMessage(channel=CHANNEL, user_id=user, chat_id=user, message_id=str(uuid.uuid4()),
                              text=None if pressed else line, button_payload=pressed.payload if pressed else None)
        outcome = await engine.handle(msg)
        new = render(outcome, out)
        offered = new or offered


def _pressed(line: str, offered: list[Button]) -> Button | None:
    text = line.strip()
    if text.isdigit() and 1 <= int(text) <= len(offered):
        return offered[int(text) - 1]
    return None
