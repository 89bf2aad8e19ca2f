"""A turn's replies as outbox rows: kind `<channel>.message`, one lane per chat, keys that make redelivery a no-op."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.delivery.enqueue import enqueue
from bot.domain import Button, Reply

MESSAGE_KIND = "{channel}.message"


def message_kind(channel: str) -> str:
    """The outbox kind of a channel's chat messages, e.g. telegram.message."""
    return MESSAGE_KIND.format(channel=channel)


def chat_lane(channel: str, chat_id: str) -> str:
    """The ordering lane of one chat: its messages go out one after another, in order."""
    return f"{channel}:{chat_id}"


def reply_payload(chat_id: str, reply: Reply) -> dict[str, Any]:
    """What a message row stores: where it goes and the typed reply (the channel renders it when sending)."""
    return {"chat_id": chat_id, "text": reply.text, "response": reply.response,
            "buttons": [{"label": b.label, "payload": b.payload} for b in reply.buttons]}


def reply_of(payload: Mapping[str, Any]) -> Reply:
    """The reply a message row stores."""
    return Reply(str(payload["text"]), tuple(Button(str(b["label"]), str(b["payload"])) for b in payload["buttons"]),
                 payload.get("response"))


def enqueue_replies(session: Session, *, channel: str, chat_id: str, key: str, replies: Iterable[Reply],
                    now: datetime | None = None) -> None:
    """Write replies in order; `key` names what caused them (an update id), so the same cause adds nothing again.

    The payload carries its idempotency key too: a receiver that may be shown a row twice (the web chat's event
    stream after a reconnect) shows it once.
    """
    for n, reply in enumerate(replies):
        idempotency_key = f"{channel}:{key}:{n}"
        enqueue(session, message_kind(channel), idempotency_key, chat_lane(channel, chat_id),
                {**reply_payload(chat_id, reply), "key": idempotency_key}, now=now)
