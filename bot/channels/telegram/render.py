"""Replies as Telegram sees them: text split at 4096 characters, inline keyboards, short callback data."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import Button

MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
STORED_PREFIX = "k:"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, then line, then word boundaries."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), -1)
        if cut < limit // 2:
            cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def keyboard(buttons: tuple[Button, ...], store: Callable[[str], str]) -> InlineKeyboardMarkup | None:
    """One button per row (long labels read well on phones); long payloads are stored server-side."""
    if not buttons:
        return None
    rows = []
    for button in buttons:
        data = button.payload
        if len(data.encode()) > MAX_CALLBACK_BYTES or data.startswith(STORED_PREFIX):
            data = STORED_PREFIX + store(button.payload)
        rows.append([InlineKeyboardButton(button.label[:64], callback_data=data)])
    return InlineKeyboardMarkup(rows)
