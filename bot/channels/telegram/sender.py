"""The outbox's Telegram kinds: shoppers' messages and handoff ticket cards, rendered and sent through PTB.

Every kind here has the `telegram` role (bot/delivery/roles.py): one process sends them, so the token
buckets of TelegramLimits are the whole bot's. Telegram takes no idempotency key, so a row delivered again
after a lease expired (its worker died in the instant after Telegram answered) is a second message; see
bot/delivery/worker.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.channels.telegram.limits import TelegramLimits
from bot.channels.telegram.render import keyboard, split_text
from bot.delivery.enqueue import enqueue
from bot.delivery.registry import Handler, Registry
from bot.delivery.replies import chat_lane, enqueue_replies, message_kind, reply_of, reply_payload
from bot.domain import Reply
from bot.engine.responses import Responses
from bot.errors import PermanentDelivery, RetryableDelivery, StorageError
from bot.storage import repo
from bot.storage.db import translate_errors
from bot.support.desk import SupportDesk, TicketView

log = logging.getLogger(__name__)
T = TypeVar("T")
CHANNEL = "telegram"
ROLE = "telegram"
MESSAGE = message_kind(CHANNEL)
TICKET_CARD = "telegram.ticket_card"
AGENT_RELAY = "telegram.agent_relay"  # an agent's reply copied to the shopper (its copy's id is recorded for edits)
TICKET_BUTTON = "t:"  # callback data of the ticket card's buttons: t:<action>:<ticket id>
MAX_TOPIC_NAME = 128  # Telegram's limit for a forum topic's name
REMEMBER_RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)  # the card is out: recording its id must not re-post it


class TelegramSender:
    """Delivers telegram.message and telegram.ticket_card rows."""

    def __init__(self, bot: Bot, limits: TelegramLimits, sessions: sessionmaker[Session], say: Responses,
                 desk: SupportDesk, support_chat_id: int | None) -> None:
        self.bot, self.limits, self.sessions, self.say = bot, limits, sessions, say
        self.desk, self.support_chat_id = desk, support_chat_id
        self._is_forum: bool | None = None
        self._topics: dict[str, int] = {}  # ticket id -> topic made for a card not yet posted (not made twice)

    def register(self, registry: Registry) -> None:
        """Add the Telegram kinds to the worker's registry."""
        registry.register(MESSAGE, Handler(self.deliver_message, role=ROLE))
        registry.register(TICKET_CARD, Handler(self.deliver_ticket_card, on_dead=self.ticket_card_dead, role=ROLE))
        registry.register(AGENT_RELAY, Handler(self.deliver_agent_relay, on_dead=self.agent_relay_dead, role=ROLE))

    # shoppers' messages ----------------------------------------------------------------------------------

    async def deliver_message(self, payload: Mapping[str, Any]) -> None:
        """Send one stored reply: split at 4096 characters, its buttons under the last piece."""
        chat_id = int(payload["chat_id"])
        reply = reply_of(payload)
        pieces = split_text(reply.text or "…")
        markup = await asyncio.to_thread(keyboard, reply.buttons, self._store_payload) if reply.buttons else None
        thread_id, reply_to = payload.get("thread_id"), payload.get("reply_to")
        for n, piece in enumerate(pieces):
            buttons = markup if n == len(pieces) - 1 else None

            async def send(piece: str = piece, buttons: InlineKeyboardMarkup | None = buttons) -> Any:
                return await self.bot.send_message(chat_id=chat_id, text=piece, reply_markup=buttons,
                                                   message_thread_id=thread_id, reply_to_message_id=reply_to)

            if n > 0:  # once the first piece is out, a row retry would repeat it: the rest retry in place
                await self.limits.call(chat_id, send)
                continue
            try:
                await self.limits.attempt(chat_id, send)
            except PermanentDelivery as err:
                if isinstance(err.__cause__, Forbidden) and chat_id > 0:  # a private chat: the user blocked us
                    await asyncio.to_thread(self._mark_blocked, chat_id)
                raise

    def _store_payload(self, payload: str) -> str:
        with translate_errors(), self.sessions() as session, session.begin():
            return repo.store_callback_payload(session, payload)

    def _mark_blocked(self, chat_id: int) -> None:
        try:
            with translate_errors(), self.sessions() as session, session.begin():
                repo.mark_blocked(session, channel=CHANNEL, external_id=str(chat_id))
        except StorageError:
            log.warning("could not record that chat %s blocked the bot", chat_id)

    # agents' replies to the shopper ------------------------------------------------------------------------

    def queue_agent_relay(self, ticket: TicketView, text: str, agent_message_id: str,
                          thread: tuple[int | None, int | None]) -> None:
        """Write an agent's reply to the shopper to the outbox, in the shopper's lane (once per agent message)."""
        payload: dict[str, Any] = {"chat_id": ticket.chat_id, "text": text, "response": "agent_says", "buttons": [],
                   "ticket_id": ticket.ticket_id, "support_chat_id": self.support_chat_id,
                   "agent_message_id": agent_message_id, "support_thread_id": thread[0], "support_reply_to": thread[1]}
        with translate_errors(), self.sessions() as session, session.begin():
            enqueue(session, AGENT_RELAY, f"{AGENT_RELAY}:{self.support_chat_id}:{agent_message_id}",
                    chat_lane(CHANNEL, ticket.chat_id), payload)

    def queue_to_shopper(self, chat_id: str, key: str, reply: Reply) -> None:
        """Write one message for the shopper (an agent joined, say) to the outbox, in their lane."""
        with translate_errors(), self.sessions() as session, session.begin():
            enqueue_replies(session, channel=CHANNEL, chat_id=chat_id, key=key, replies=[reply])

    async def deliver_agent_relay(self, payload: Mapping[str, Any]) -> None:
        """Send the copy, then map the agent's message to it (so the agent's edits reach the shopper's copy)."""
        chat_id = int(payload["chat_id"])
        text = str(payload["text"])
        sent = await self.limits.attempt(chat_id, lambda: self.bot.send_message(chat_id=chat_id, text=text))
        if sent is None:
            return
        relayed = (str(chat_id), str(sent.message_id))
        for delay in (*REMEMBER_RETRY_DELAYS_S, None):
            try:
                await asyncio.to_thread(_translated, lambda: self.desk.remember_message(
                    str(payload["ticket_id"]), str(payload["support_chat_id"]), str(payload["agent_message_id"]),
                    relayed_to=relayed))
                return
            except StorageError:
                if delay is None:  # the copy is out; only the agent's later edits will not find it
                    log.error("the relay of an agent's reply on ticket %s is sent but not recorded", payload["ticket_id"])
                    return
                await asyncio.sleep(delay)

    def agent_relay_dead(self, session: Session, payload: Mapping[str, Any]) -> None:
        """The shopper never got the agent's reply: tell the agents, in the ticket's thread."""
        support = payload.get("support_chat_id")
        if support is None:
            return
        reply = self.say.reply("agent_reply_not_delivered", ticket_id=payload["ticket_id"])
        enqueue(session, MESSAGE, f"{AGENT_RELAY}:{support}:{payload['agent_message_id']}:dead",
                f"{CHANNEL}:{support}:{payload['ticket_id']}",
                {**reply_payload(str(support), reply), "thread_id": payload.get("support_thread_id"),
                 "reply_to": payload.get("support_reply_to")})

    # ticket cards ------------------------------------------------------------------------------------------

    def queue_ticket_card(self, ticket: TicketView, shopper: str) -> None:
        """Write the ticket's card to the outbox (once per ticket; a second call adds nothing)."""
        if self.support_chat_id is None:
            return
        payload = {"ticket_id": ticket.ticket_id, "conversation_key": ticket.conversation_key,
                   "shopper": shopper, "shopper_chat_id": ticket.chat_id}
        with translate_errors(), self.sessions() as session, session.begin():
            enqueue(session, TICKET_CARD, f"{TICKET_CARD}:{ticket.ticket_id}",
                    f"{CHANNEL}:{self.support_chat_id}:{ticket.ticket_id}", payload)

    async def deliver_ticket_card(self, payload: Mapping[str, Any]) -> None:
        """Post the card (in its own forum topic when the group has topics) and record where it went."""
        support = self.support_chat_id
        if support is None:
            raise PermanentDelivery("SUPPORT_CHAT_ID is not set")
        ticket_id = str(payload["ticket_id"])
        ticket = await self._read(self.desk.open_ticket_of, str(payload["conversation_key"]))
        if ticket is None or ticket.ticket_id != ticket_id or ticket.support_thread_id is not None:
            return  # closed meanwhile, or posted already (delivered again after a lease expired)
        thread_id = self._topics.get(ticket_id)
        if thread_id is None and await self._forum(support):
            name = f"{ticket_id} · {payload['shopper']}"[:MAX_TOPIC_NAME]
            topic = await self.limits.attempt(support, lambda: self.bot.create_forum_topic(chat_id=support, name=name),
                                              maybe_sent_is_done=False)
            assert topic is not None
            thread_id = self._topics[ticket_id] = topic.message_thread_id
        buttons = InlineKeyboardMarkup([[
            InlineKeyboardButton(self.say.text("ticket_card_claim"), callback_data=f"{TICKET_BUTTON}claim:{ticket_id}"),
            InlineKeyboardButton(self.say.text("ticket_card_close"), callback_data=f"{TICKET_BUTTON}close:{ticket_id}"),
        ]])
        where = self.say.text("ticket_card_where_topic" if thread_id else "ticket_card_where_thread")
        card = self.say.text("ticket_card", ticket_id=ticket_id, reason=ticket.reason, shopper=payload["shopper"],
                             channel=ticket.channel, summary=ticket.summary, where=where)
        # A card twice in the team's group is better than none: a timeout after sending is tried again.
        sent = await self.limits.attempt(support, lambda: self.bot.send_message(
            chat_id=support, text=card, reply_markup=buttons, message_thread_id=thread_id), maybe_sent_is_done=False)
        assert sent is not None
        self._topics.pop(ticket_id, None)
        await self._remember(ticket_id, str(support), str(sent.message_id),
                             str(thread_id) if thread_id else f"m{sent.message_id}")

    def ticket_card_dead(self, session: Session, payload: Mapping[str, Any]) -> None:
        """The team never got the card: tell the shopper so (the ticket stays open, waiting for a person)."""
        enqueue_replies(session, channel=CHANNEL, chat_id=str(payload["shopper_chat_id"]),
                        key=f"{TICKET_CARD}:{payload['ticket_id']}:dead",
                        replies=[self.say.reply("ticket_not_posted", ticket_id=payload["ticket_id"])])

    async def _forum(self, support: int) -> bool:
        if self._is_forum is None:
            try:
                chat = await self.bot.get_chat(chat_id=support)
            except TelegramError as err:  # threads by reply work everywhere
                log.warning("could not read the support group: %s", type(err).__name__)
                return False
            self._is_forum = bool(chat.is_forum)
        return self._is_forum

    async def _read(self, call: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.to_thread(_translated, call, *args)
        except StorageError as err:
            raise RetryableDelivery(f"database unavailable: {type(err).__name__}") from err

    async def _remember(self, ticket_id: str, chat_id: str, message_id: str, thread_id: str) -> None:
        for delay in (*REMEMBER_RETRY_DELAYS_S, None):
            try:
                await asyncio.to_thread(_translated, lambda: self.desk.remember_message(
                    ticket_id, chat_id, message_id, thread_id=thread_id))
                return
            except StorageError:
                if delay is None:  # agents' replies to it will not find the ticket: say so where operators look
                    log.error("the card of ticket %s is posted (message %s) but could not be recorded", ticket_id,
                              message_id)
                    return
                await asyncio.sleep(delay)


def _translated(call: Callable[..., T], *args: Any) -> T:
    with translate_errors():
        return call(*args)
