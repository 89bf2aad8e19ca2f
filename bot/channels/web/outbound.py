"""What the web channel sends: the outbox kind `web.message` (pushed to the shopper's open pages), and the
console's messages to shoppers and to the Telegram support group, queued in the action's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.channels.web.hub import Hub, chat_topic
from bot.delivery.enqueue import DEAD, enqueue
from bot.delivery.registry import Handler, Registry
from bot.delivery.replies import chat_lane, message_kind, reply_payload
from bot.domain import Reply
from bot.storage.models import OutboxRow
from bot.support.desk import TicketView

CHANNEL = "web"
WEB_MESSAGE = message_kind(CHANNEL)  # web.message
TELEGRAM_MESSAGE = message_kind("telegram")  # delivered by the Telegram sender (bot/channels/telegram/sender.py)


def event_of(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a shopper's page receives for one message row."""
    return {"key": str(payload.get("key", "")), "who": str(payload.get("who", "bot")), "text": str(payload["text"]),
            "buttons": [{"label": str(b["label"]), "payload": str(b["payload"])} for b in payload.get("buttons", ())]}


class WebSender:
    """Delivers web.message rows: each goes to the event streams of the shopper's open pages."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def register(self, registry: Registry) -> None:
        """Add web.message to the worker's registry."""
        registry.register(WEB_MESSAGE, Handler(self.deliver))

    async def deliver(self, payload: Mapping[str, Any]) -> None:
        """Push the message to the chat's open pages (none open: the transcript shows it on the next visit)."""
        self.hub.publish(chat_topic(str(payload["chat_id"])), event_of(payload))


def messages_after(session: Session, chat_id: str, after_id: int) -> list[tuple[int, dict[str, Any]]]:
    """A web chat's message rows after a row id, oldest first (what a reconnecting page may have missed)."""
    rows = session.execute(select(OutboxRow.id, OutboxRow.payload).where(
        OutboxRow.kind == WEB_MESSAGE, OutboxRow.lane == chat_lane(CHANNEL, chat_id), OutboxRow.id > after_id,
        OutboxRow.state != DEAD).order_by(OutboxRow.id)).all()
    return [(int(row_id), json.loads(payload)) for row_id, payload in rows]


def last_message_id(session: Session, chat_id: str) -> tuple[int, dict[str, Any] | None]:
    """The newest message row of a web chat: its id (0 when none) and payload (its buttons are still on offer)."""
    row = session.execute(select(OutboxRow.id, OutboxRow.payload).where(
        OutboxRow.kind == WEB_MESSAGE, OutboxRow.lane == chat_lane(CHANNEL, chat_id))
        .order_by(OutboxRow.id.desc()).limit(1)).first()
    if row is None:
        return int(session.execute(select(func.coalesce(func.max(OutboxRow.id), 0))).scalar_one()), None
    return int(row[0]), json.loads(row[1])


def queue_to_shopper(session: Session, ticket: TicketView, reply: Reply) -> None:
    """A message from an agent to the shopper, on the shopper's own channel (Telegram or web chat)."""
    key = f"{ticket.channel}:console:{ticket.ticket_id}:{uuid.uuid4().hex}"
    payload = {**reply_payload(ticket.chat_id, reply), "key": key, "who": "agent"}
    enqueue(session, message_kind(ticket.channel), key, chat_lane(ticket.channel, ticket.chat_id), payload)


def queue_to_support_group(session: Session, support_chat_id: int | None, ticket: TicketView, text: str) -> None:
    """Tell the Telegram support group, in the ticket's own thread, what happened in the console."""
    thread = ticket.support_thread_id
    if support_chat_id is None or not thread:
        return  # no group, or the ticket's card is not posted there (yet)
    key = f"telegram:console-note:{ticket.ticket_id}:{uuid.uuid4().hex}"
    payload: dict[str, Any] = {"chat_id": str(support_chat_id), "text": text, "buttons": [], "response": None, "key": key,
               "thread_id": int(thread) if thread.isdigit() else None,
               "reply_to": int(thread[1:]) if thread.startswith("m") and thread[1:].isdigit() else None}
    enqueue(session, TELEGRAM_MESSAGE, key, chat_lane("telegram", str(support_chat_id)), payload)
