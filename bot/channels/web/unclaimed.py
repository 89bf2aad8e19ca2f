"""Tickets nobody claimed within HANDOFF_UNCLAIMED_MINUTES go back to the bot (they stay open), as in Telegram.

The Telegram support group runs the same check when it is configured; the desk hands each ticket back once,
so running both is harmless. Handback replies are outbox rows (both channels are outbox channels): the
worker is woken, and inboxes are told.
"""

from __future__ import annotations

import asyncio
import logging

from bot.channels.web.deps import WebDeps
from bot.channels.web.hub import DESK
from bot.storage.db import translate_errors
from bot.storage.models import utcnow

log = logging.getLogger(__name__)
CHECK_S = 30.0


def return_unclaimed(deps: WebDeps) -> int:
    """One pass (blocking); returns how many conversations went back to the bot."""
    with translate_errors():
        tickets = deps.desk.return_unclaimed(utcnow(), deps.settings.handoff_unclaimed_minutes)
    for ticket in tickets:
        deps.engine.handback(ticket.conversation_key, deps.engine.say.text("nobody_came", ticket_id=ticket.ticket_id))
    return len(tickets)


async def watch_unclaimed(deps: WebDeps, check_s: float = CHECK_S) -> None:
    """Run the check every `check_s` seconds until cancelled; a failed pass is logged and the next one runs."""
    while True:
        await asyncio.sleep(check_s)
        try:
            returned = await asyncio.to_thread(return_unclaimed, deps)
        except Exception:
            log.exception("unclaimed-ticket check failed")
            continue
        if returned:
            deps.wake()
            deps.hub.publish(DESK, {})
