"""The support group: ticket cards, agents' replies, claims and closes, edits, and the unclaimed-ticket watch.

Security model: agents are the users listed in SUPPORT_AGENT_IDS or, when none are listed, the group's
administrators (getChatAdministrators, cached); nobody else's messages or presses act on a ticket. A
claimed ticket answers to its owner only (by Telegram user id, never by display name); an administrator
may take it over, release or close it. Refusals reach the agent privately (a pop-up for a button, a
direct message for a text), so the shopper's thread stays clean.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram.sender import TICKET_BUTTON
from bot.domain import Reply
from bot.errors import StorageError
from bot.storage.db import translate_errors
from bot.storage.models import utcnow
from bot.support.desk import Agent, DeskResult, SupportDesk, TicketView

if TYPE_CHECKING:
    from bot.channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)
T = TypeVar("T")
ADMIN_CACHE_S = 300.0  # how long the group's administrator list is trusted before asking Telegram again
DESK_RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)  # as the engine's: a database blip is retried, an outage reported
AGENT_PREFIX = "telegram:"  # agents' ids in the desk


class SupportGroup:
    """Everything that happens in the support group, on behalf of one TelegramChannel."""

    def __init__(self, channel: TelegramChannel, chat_id: int, desk: SupportDesk) -> None:
        self.channel, self.chat_id, self.desk = channel, chat_id, desk
        self.say = channel.engine.say
        self.agent_ids = frozenset(channel.settings.support_agent_ids)
        self._admins: frozenset[int] = frozenset()
        self._admins_until = 0.0

    def register(self, add: Callable[[Any], None]) -> None:
        """Add the group's handlers (before the shoppers' ones, so group messages never reach the engine)."""
        group = filters.Chat(chat_id=self.chat_id)
        new = filters.UpdateType.MESSAGE
        for command, handler in (("claim", self._command_claim), ("release", self._command_release),
                                 ("close", self._command_close)):
            add(CommandHandler(command, handler, filters=group & new))
        add(MessageHandler(group & new & filters.TEXT & ~filters.COMMAND, self._agent_message))
        add(MessageHandler(group & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, self._agent_edit))
        add(MessageHandler(group, self._ignore))  # service messages, stickers, other edits: nothing to do
        add(CallbackQueryHandler(self._button, pattern=f"^{TICKET_BUTTON}"))

    # who may act ---------------------------------------------------------------------------------------

    async def _admin_ids(self) -> frozenset[int]:
        if time.monotonic() < self._admins_until:
            return self._admins
        try:  # a read, not a message: outside the group's message budget
            members = await self.channel.app.bot.get_chat_administrators(chat_id=self.chat_id)
        except TelegramError as err:  # could not ask: stay closed, ask again next time
            log.warning("could not read the support group's administrators: %s", type(err).__name__)
            return frozenset()
        self._admins = frozenset(m.user.id for m in members
                                 if m.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR))
        self._admins_until = time.monotonic() + ADMIN_CACHE_S
        return self._admins

    async def agent(self, user: User | None) -> Agent | None:
        """The user as an agent, or None if they may not act on tickets."""
        if user is None:
            return None
        is_admin = user.id in await self._admin_ids()
        if not (user.id in self.agent_ids if self.agent_ids else is_admin):
            return None
        return Agent(AGENT_PREFIX + str(user.id), user.full_name, is_admin=is_admin)

    # the desk, off the event loop ------------------------------------------------------------------------

    async def _desk(self, call: Callable[..., T], *args: Any) -> T:
        """Run a desk operation in a thread, retrying while the database is briefly unavailable."""
        for delay in (*DESK_RETRY_DELAYS_S, None):
            try:
                return await asyncio.to_thread(_translated, call, *args)
            except StorageError:
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    # telling agents --------------------------------------------------------------------------------------

    def _note(self, result: DeskResult) -> str:
        return self.say.text(result.note, **result.values)

    async def _in_thread(self, update: Update, text: str) -> None:
        message = update.effective_message
        thread = message.message_thread_id if message is not None and message.is_topic_message else None
        await self.channel.send(self.chat_id, Reply(text), thread_id=thread)

    async def _privately(self, update: Update, text: str) -> None:
        """A refusal only the agent sees: a pop-up for a press, a direct message (else the thread) for a text."""
        query = update.callback_query
        if query is not None:
            try:
                await query.answer(text, show_alert=True)
                return
            except Exception as err:  # an expired query: fall back to a message
                log.warning("could not answer an agent's press: %s", type(err).__name__)
        user = update.effective_user
        if user is not None and await self.channel.send(user.id, Reply(text)) is not None:
            return
        await self._in_thread(update, text)  # the agent never started a private chat with the bot

    async def _report(self, update: Update, result: DeskResult) -> None:
        """Done: the whole team sees it in the thread; refused: only the agent hears why."""
        if result.ok:
            query = update.callback_query
            if query is not None:
                await _quietly_answer(query)
            await self._in_thread(update, self._note(result))
        else:
            await self._privately(update, self._note(result))

    # tickets ---------------------------------------------------------------------------------------------

    async def after_turn(self, conversation_key: str, shopper: str, text: str | None) -> None:
        """A shopper's turn while a person is wanted: queue the ticket's card once, then relay what they say.

        The card goes through the outbox (retried; if it never gets through the shopper is told). It is
        queued just after the turn commits: if the process dies in between, the next message queues it.
        """
        try:
            ticket = await self._desk(self.desk.open_ticket_of, conversation_key)
        except StorageError:
            log.error("could not read the ticket of a handed-off conversation; it is posted on the next message")
            return
        if ticket is None:
            return
        if ticket.support_thread_id is None:
            try:
                await self._desk(self.channel.sender.queue_ticket_card, ticket, shopper)
            except StorageError:
                log.error("could not queue the card of ticket %s; it is queued on the next message", ticket.ticket_id)
                return
            self.channel.worker.wake()
        elif text:
            await self._to_thread(ticket, self.say.text("shopper_says", shopper=shopper, text=text))

    async def _to_thread(self, ticket: TicketView, text: str) -> None:
        thread = ticket.support_thread_id or ""
        topic = int(thread) if thread.isdigit() else None
        root = int(thread[1:]) if thread.startswith("m") else None
        message_id = await self.channel.send(self.chat_id, Reply(text), thread_id=topic, reply_to=root)
        if message_id is not None:
            await self._remember(ticket.ticket_id, str(message_id))

    async def _remember(self, ticket_id: str, message_id: str, *, thread_id: str | None = None,
                        relayed_to: tuple[str, str] | None = None) -> None:
        """Map a message sent to the group to its ticket; the message itself is out already."""
        try:
            await self._desk(lambda: self.desk.remember_message(ticket_id, str(self.chat_id), message_id,
                                                                thread_id=thread_id, relayed_to=relayed_to))
        except StorageError:  # replies to it will not find the ticket: say so where operators look
            log.error("message %s of ticket %s could not be recorded: database unavailable", message_id, ticket_id)

    async def _ticket_of(self, update: Update) -> str | None:
        message = update.effective_message
        if message is None:
            return None
        thread = str(message.message_thread_id) if message.is_topic_message and message.message_thread_id else None
        replied = str(message.reply_to_message.message_id) if message.reply_to_message else None
        return await self._desk(lambda: self.desk.ticket_for(str(self.chat_id), message_id=replied, thread_id=thread))

    # agents' messages --------------------------------------------------------------------------------------

    async def _ignore(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Other updates in the support group are not shoppers' and not the desk's."""

    async def _agent_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        agent = await self.agent(update.effective_user)
        try:
            ticket_id = await self._ticket_of(update)
            if ticket_id is None:
                return  # team chatter outside any ticket
            if agent is None:
                await self._privately(update, self.say.text("agents_only_answer"))
                return
            result = await self._desk(self.desk.agent_message, ticket_id, agent, message.text)
        except StorageError:  # the shopper would never see it: say so, the agent can send it again
            log.error("an agent's reply was not stored: database unavailable")
            await self._privately(update, self.say.text("desk_not_sent"))
            return
        if not result.ok or result.ticket is None:
            await self._privately(update, self._note(result))
            return
        user = update.effective_user
        text = self.say.text("agent_says", agent=user.first_name if user else agent.name, text=message.text)
        thread = message.message_thread_id if message.is_topic_message else None
        try:  # through the outbox: retried, in order with the bot's replies; the copy's id is recorded when sent
            await self._desk(self.channel.sender.queue_agent_relay, result.ticket, text, str(message.message_id),
                             (thread, None if thread else message.message_id))
        except StorageError:
            await self._privately(update, self.say.text("desk_not_sent"))
            return
        self.channel.worker.wake()

    async def _agent_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An agent corrected a reply: the shopper's copy is edited in place, never sent again."""
        message, user = update.edited_message, update.effective_user
        if message is None or not message.text or await self.agent(user) is None:
            return
        copy = await self._desk(self.desk.relayed_copy, str(self.chat_id), str(message.message_id))
        if copy is None:
            return  # not a reply that reached a shopper
        chat_id, copy_id = copy
        text = self.say.text("agent_says", agent=user.first_name if user else "", text=message.text)
        edited = await self.channel.limits.call(int(chat_id), lambda: self.channel.app.bot.edit_message_text(
            chat_id=int(chat_id), message_id=int(copy_id), text=text), idempotent=True)
        if edited is None:
            await self._privately(update, self.say.text("desk_edit_not_relayed"))

    # claim, release, close -------------------------------------------------------------------------------

    async def _command_claim(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._act(update, "claim", None)

    async def _command_release(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._act(update, "release", None)

    async def _command_close(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._act(update, "close", None)

    async def _button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        message = query.message if query is not None else None
        if query is None or message is None or message.chat.id != self.chat_id:
            if query is not None:
                await _quietly_answer(query)
            return
        parts = (query.data or "").split(":")
        if len(parts) != 3 or parts[1] not in ("claim", "close"):
            await _quietly_answer(query)
            return
        await self._act(update, parts[1], parts[2])

    async def _act(self, update: Update, action: str, ticket_id: str | None) -> None:
        """Claim, release or close the pressed ticket (ticket_id) or the one the command was sent in (None)."""
        agent = await self.agent(update.effective_user)
        if agent is None:
            await self._privately(update, self.say.text("agents_only_claim"))
            return
        operation = {"claim": self.desk.claim, "release": self.desk.release, "close": self.desk.close}[action]
        try:
            ticket_id = ticket_id or await self._ticket_of(update)
            if ticket_id is None:
                await self._privately(update, self.say.text("agents_where"))
                return
            result = await self._desk(operation, ticket_id, agent)
        except StorageError:
            await self._privately(update, self.say.text("desk_not_sent"))
            return
        await self._report(update, result)
        if not result.ok or result.ticket is None:
            return
        shopper_chat = int(result.ticket.chat_id)
        user = update.effective_user
        if action == "claim":
            joined = Reply(self.say.text("agent_joined", agent=user.first_name if user else agent.name),
                           response="agent_joined")
            try:
                await self._desk(self.channel.sender.queue_to_shopper, str(shopper_chat),
                                 f"agent_joined:{result.ticket.ticket_id}:{update.update_id}", joined)
            except StorageError:
                log.error("could not tell the shopper of ticket %s that an agent joined", result.ticket.ticket_id)
            self.channel.worker.wake()
        elif action == "close":
            replies = await asyncio.to_thread(self.channel.engine.handback, result.ticket.conversation_key,
                                              self.say.text("agent_closed"))
            await self._deliver(result.ticket, replies)

    # nobody came -------------------------------------------------------------------------------------------

    async def return_unclaimed(self) -> None:
        """One pass: conversations whose latest handoff nobody claimed in time go back to the bot."""
        try:
            tickets = await self._desk(self.desk.return_unclaimed, utcnow(),
                                       self.channel.settings.handoff_unclaimed_minutes)
        except Exception:  # the watcher must survive a bad pass
            log.exception("unclaimed-ticket check failed")
            return
        for ticket in tickets:
            note = self.say.text("nobody_came", ticket_id=ticket.ticket_id)
            replies = await asyncio.to_thread(self.channel.engine.handback, ticket.conversation_key, note)
            await self._deliver(ticket, replies)

    async def _deliver(self, ticket: TicketView, replies: list[Reply]) -> None:
        """A handback's replies: queued with it on an outbox channel (wake the worker), else sent now."""
        if ticket.channel in self.channel.engine.outbox_channels:
            self.channel.worker.wake()
        else:
            await self.channel.send_all(int(ticket.chat_id), replies)


def _translated(call: Callable[..., T], *args: Any) -> T:
    with translate_errors():
        return call(*args)


async def _quietly_answer(query: Any) -> None:
    try:
        await query.answer()
    except Exception as err:  # an expired query is harmless
        log.warning("could not answer a callback query: %s", type(err).__name__)
