"""/stop_reminders and /start_reminders on every channel: the shopper's opt-out of proactive messages, stored."""

from __future__ import annotations

import logging

from bot.domain import Reply
from bot.engine.responses import Responses
from bot.engine.turn import Turn
from bot.storage import repo

log = logging.getLogger(__name__)
STOP, START = "/stop_reminders", "/start_reminders"  # typed on any channel; Telegram's menu sends the same text


class ReminderPrefs:
    """The two commands, inside the engine's turn (one transaction with it)."""

    def __init__(self, responses: Responses) -> None:
        self.say = responses

    def handle(self, turn: Turn, text: str, payload: str | None) -> list[Reply] | None:
        """The reply to either command; None for any other message."""
        command = text.strip().casefold() if payload is None else None
        if command not in (STOP, START) or turn.store.user_id is None:
            return None
        stop = command == STOP
        repo.set_reminders(turn.store.session, user_id=turn.store.user_id, stopped_at=turn.now if stop else None)
        log.info("user %s turned reminders %s", turn.store.user_id, "off" if stop else "on")
        return [self.say.reply("reminders_stopped" if stop else "reminders_started")]
