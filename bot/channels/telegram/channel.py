"""The Telegram adapter: updates in, engine outcomes out, and the support group relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram.checks import validated_token, validated_webhook_secret
from bot.channels.telegram.delivery import Outbox
from bot.channels.telegram.render import STORED_PREFIX, keyboard, split_text
from bot.channels.telegram.webhook import WebhookServer
from bot.domain import IncomingMessage, Outcome, Reply
from bot.engine.engine import Engine
from bot.errors import ConfigError
from bot.settings import Settings
from bot.storage import repo
from bot.storage.models import utcnow
from bot.support.desk import SupportDesk, TicketView

log = logging.getLogger(__name__)
CHANNEL = "telegram"
COMMANDS = {  # command -> what the engine receives
    "start": ("text", "/start"), "help": ("text", "help"), "quote": ("button", "i:trade_in"),
    "compare": ("button", "i:compare"), "human": ("button", "i:handoff"), "cancel": ("text", "cancel"),
}
DEEP_LINK = "d:"  # the engine's payload for a /start parameter
MAX_START_PAYLOAD = 64  # Telegram's own limit for a start parameter
COMMAND_HELP = [("start", "Start over with a greeting"), ("help", "What I can do"),
                ("quote", "Get a trade-in quote"), ("compare", "Refurbished vs new"),
                ("human", "Talk to a person"), ("cancel", "Cancel what we're doing")]


class TelegramChannel:
    """Wires python-telegram-bot to the engine and the support desk."""

    def __init__(self, settings: Settings, engine: Engine, desk: SupportDesk, *,
                 outbox: Outbox | None = None, unclaimed_check_s: float = 30.0) -> None:
        self.settings = settings
        self.engine = engine
        self.desk = desk
        self.outbox = outbox or Outbox()
        self.support_chat_id = settings.support_chat_id
        self.unclaimed_check_s = unclaimed_check_s
        self.errors: list[BaseException] = []
        self._support_is_forum: bool | None = None
        self._watch: asyncio.Task[None] | None = None
        self._webhook: WebhookServer | None = None
        self.failed_updates: set[int] = set()  # updates whose turn could not be stored: not acknowledged
        self._apologised: set[int] = set()
        self._retries: dict[int, int] = {}  # polling mode: update id -> attempts so far
        self.retry_delay_s = 5.0
        self._pending_retries: set[asyncio.Task[None]] = set()
        token = validated_token(settings)
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(token).base_url(settings.telegram_api_base_url)
            .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
            .concurrent_updates(True)  # the engine keeps each chat in order; chats run in parallel
            .post_init(self._post_init).post_shutdown(self._post_shutdown).build()
        )
        self._register()

    # lifecycle ----------------------------------------------------------------------------------------

    def _register(self) -> None:
        support = filters.Chat(chat_id=self.support_chat_id) if self.support_chat_id else None
        if support is not None:
            self.app.add_handler(CommandHandler("close", self._agent_close, filters=support))
            self.app.add_handler(MessageHandler(support & filters.TEXT & ~filters.COMMAND, self._agent_message))
        for command in COMMANDS:
            self.app.add_handler(CommandHandler(command, self._command, filters=filters.ChatType.PRIVATE))
        self.app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT, self._text))
        self.app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT, self._not_text))
        self.app.add_handler(CallbackQueryHandler(self._button))
        self.app.add_error_handler(self._error)

    async def _post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMAND_HELP])
        self._watch = asyncio.create_task(self._watch_unclaimed())

    async def _post_shutdown(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._watch:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch

    async def start_polling(self, poll_interval: float = 0.0, timeout: int = 1) -> None:
        """Start without blocking (tests and embedding); stop with stop()."""
        await self.app.initialize()
        await self._post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=poll_interval, timeout=timeout,
                                             drop_pending_updates=False)

    async def start_webhook(self, *, listen: str, port: int, url_path: str, webhook_url: str, secret: str) -> None:
        """Start our webhook server without blocking (see webhook.py: updates are acknowledged after commit)."""
        secret = validated_webhook_secret(secret)
        await self.app.initialize()
        await self._post_init(self.app)
        await self.app.start()
        self._webhook = WebhookServer(self, secret)
        await self._webhook.start(listen, port, url_path)
        try:
            await self.app.bot.set_webhook(url=webhook_url, secret_token=secret, max_connections=40)
        except TelegramError as err:  # a refused webhook must stop start-up, not leave a deaf bot running
            await self.stop()
            raise ConfigError(f"Telegram refused the webhook {webhook_url}: {err}") from err

    async def stop(self) -> None:
        """Stop in the order python-telegram-bot requires: updater, application, shutdown."""
        for task in list(self._pending_retries):
            task.cancel()
        if self._webhook is not None:
            await self._webhook.stop()
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self._post_shutdown(self.app)

    # shopper side --------------------------------------------------------------------------------------

    async def _text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        await self._handle(update, text=message.text)

    async def _command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        name = message.text.split()[0].lstrip("/").split("@")[0].casefold()
        if name == "start" and context.args:  # a deep link: t.me/<bot>?start=quote-iphone-13
            await self._handle(update, text=None, payload=DEEP_LINK + context.args[0][:MAX_START_PAYLOAD])
            return
        kind, value = COMMANDS.get(name, ("text", message.text))
        await self._handle(update, text=value if kind == "text" else None, payload=value if kind == "button" else None)

    async def _not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is not None:
            await self.send(chat.id, self.engine.say.reply("text_only"))

    async def _button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()  # at once, so the spinner stops; answers are not chat messages
        except Exception as err:  # an expired query must not block the press itself
            log.warning("could not answer a callback query: %s", type(err).__name__)
        data = query.data or ""
        message = query.message
        chat_id = message.chat.id if message is not None else None
        if self.support_chat_id and chat_id == self.support_chat_id:
            await self._agent_button(update, data)
            return
        if data.startswith(STORED_PREFIX):
            data = self._load_payload(data[len(STORED_PREFIX):]) or "stale"
        await self._handle(update, payload=data)
        if message is not None and chat_id is not None:
            with contextlib.suppress(Exception):  # tidy: the pressed keyboard goes away
                await self.outbox.call(chat_id, lambda: context.bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message.message_id, reply_markup=None))

    async def _handle(self, update: Update, *, text: str | None = None, payload: str | None = None) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        msg = IncomingMessage(channel=CHANNEL, user_id=str(user.id), chat_id=str(chat.id),
                              message_id=str(update.update_id), text=text, button_payload=payload,
                              display_name=user.full_name)
        outcome = await self.engine.handle(msg)
        if outcome.duplicate and outcome.delivered:
            return  # a redelivered update whose replies already went out
        if not outcome.stored:  # the database is down: say sorry once, and try the update again later
            self.failed_updates.add(update.update_id)
            if update.update_id not in self._apologised:
                self._apologised.add(update.update_id)
                await self.send_all(chat.id, outcome.replies)
            if self._webhook is None:  # polling has acknowledged it already: retry it ourselves
                self._retry_later(update)
            return
        self._apologised.discard(update.update_id)
        self._retries.pop(update.update_id, None)
        await self.send_all(chat.id, outcome.replies)
        if not outcome.duplicate:
            await self._support_side(outcome, msg, user.full_name)
        await asyncio.to_thread(self.engine.mark_delivered, msg)

    async def send_all(self, chat_id: int, replies: tuple[Reply, ...] | list[Reply]) -> None:
        """Deliver replies in order."""
        for reply in replies:
            await self.send(chat_id, reply)

    async def send(self, chat_id: int, reply: Reply, *, thread_id: int | None = None,
                   reply_to: int | None = None, markup: InlineKeyboardMarkup | None = None) -> int | None:
        """Send one reply (split when long); returns the last message id."""
        pieces = split_text(reply.text or "…")
        last: int | None = None
        for n, piece in enumerate(pieces):
            buttons = markup or (keyboard(reply.buttons, self._store_payload) if n == len(pieces) - 1 else None)

            async def call(piece: str = piece, buttons: InlineKeyboardMarkup | None = buttons) -> Any:
                return await self.app.bot.send_message(chat_id=chat_id, text=piece, reply_markup=buttons,
                                                       message_thread_id=thread_id,
                                                       reply_to_message_id=reply_to)

            sent = await self.outbox.call(chat_id, call)
            last = sent.message_id if sent is not None else last
        return last

    def _retry_later(self, update: Update, max_attempts: int = 60) -> None:
        attempts = self._retries.get(update.update_id, 0) + 1
        if attempts > max_attempts:
            log.error("update %s dropped after %d attempts while the database was down", update.update_id, attempts)
            return
        self._retries[update.update_id] = attempts

        async def again() -> None:
            await asyncio.sleep(self.retry_delay_s)
            self.failed_updates.discard(update.update_id)
            await self.app.process_update(update)

        task = asyncio.create_task(again())
        self._pending_retries.add(task)
        task.add_done_callback(self._pending_retries.discard)

    def _store_payload(self, payload: str) -> str:
        with self.engine.sessions() as session, session.begin():
            return repo.store_callback_payload(session, payload)

    def _load_payload(self, key: str) -> str | None:
        with self.engine.sessions() as session:
            return repo.load_callback_payload(session, key)

    # support side --------------------------------------------------------------------------------------

    async def _support_side(self, outcome: Outcome, msg: IncomingMessage, name: str) -> None:
        if not self.support_chat_id or outcome.owner == "bot":
            return
        ticket = self.desk.open_ticket_of(msg.conversation_key)
        if ticket is None:
            return
        if ticket.support_thread_id is None:
            await self._post_ticket(ticket, name)
        elif msg.text:
            await self._to_thread(ticket, f"💬 {name}: {msg.text}")

    async def _post_ticket(self, ticket: TicketView, name: str) -> None:
        assert self.support_chat_id is not None
        thread_id: int | None = None
        if await self._is_forum():
            topic = await self.outbox.call(self.support_chat_id, lambda: self.app.bot.create_forum_topic(
                chat_id=self.support_chat_id, name=f"{ticket.ticket_id} · {name}"[:128]))
            thread_id = topic.message_thread_id if topic is not None else None
        buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Claim", callback_data=f"t:claim:{ticket.ticket_id}"),
                                         InlineKeyboardButton("Close", callback_data=f"t:close:{ticket.ticket_id}")]])
        card = (f"🆕 Ticket {ticket.ticket_id} ({ticket.reason})\nShopper: {name} on {ticket.channel}\n\n"
                f"{ticket.summary}\n\nReply in this {'topic' if thread_id else 'thread'} to answer; /close hands "
                "the chat back to the bot.")
        message_id = await self.send(self.support_chat_id, Reply(card), thread_id=thread_id, markup=buttons)
        if message_id is not None:
            self.desk.remember_message(ticket.ticket_id, str(self.support_chat_id), str(message_id),
                                       thread_id=str(thread_id) if thread_id else f"m{message_id}")

    async def _to_thread(self, ticket: TicketView, text: str) -> None:
        assert self.support_chat_id is not None
        thread = ticket.support_thread_id or ""
        topic = int(thread) if thread.isdigit() else None
        root = int(thread[1:]) if thread.startswith("m") else None
        message_id = await self.send(self.support_chat_id, Reply(text), thread_id=topic, reply_to=root)
        if message_id is not None:
            self.desk.remember_message(ticket.ticket_id, str(self.support_chat_id), str(message_id))

    async def _is_forum(self) -> bool:
        if self._support_is_forum is None:
            chat = await self.outbox.call(self.support_chat_id or 0,
                                          lambda: self.app.bot.get_chat(chat_id=self.support_chat_id))
            self._support_is_forum = bool(getattr(chat, "is_forum", False))
        return self._support_is_forum

    def _is_agent(self, user_id: int | None) -> bool:
        """Anyone in the support group may act, unless agent ids are configured."""
        allowed = self.settings.support_agent_ids
        return user_id is not None and (not allowed or user_id in allowed)

    def _ticket_of(self, update: Update) -> str | None:
        message = update.effective_message
        if message is None:
            return None
        thread = str(message.message_thread_id) if message.is_topic_message and message.message_thread_id else None
        replied = str(message.reply_to_message.message_id) if message.reply_to_message else None
        return self.desk.ticket_for(str(self.support_chat_id), message_id=replied, thread_id=thread)

    async def _agent_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        ticket_id = self._ticket_of(update)
        if message is None or user is None or ticket_id is None or not message.text:
            return
        if not self._is_agent(user.id):
            await self._to_support(update, self.engine.say.text("agents_only_answer"))
            return
        result = self.desk.agent_message(ticket_id, user.full_name, message.text)
        if not result.ok or result.ticket is None:
            await self._to_support(update, result.note)
            return
        await self.send(int(result.ticket.chat_id), Reply(f"👤 {user.first_name} (support): {message.text}"))

    async def _agent_close(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        ticket_id = self._ticket_of(update)
        if ticket_id is None or user is None:
            await self._to_support(update, self.engine.say.text("agents_close_where"))
            return
        await self._close(update, ticket_id, user.id, user.full_name)

    async def _agent_button(self, update: Update, data: str) -> None:
        user = update.effective_user
        parts = data.split(":")
        if len(parts) != 3 or parts[0] != "t" or user is None:
            return
        if not self._is_agent(user.id):
            await self._to_support(update, self.engine.say.text("agents_only_claim"))
            return
        if parts[1] == "claim":
            result = self.desk.claim(parts[2], user.full_name)
            await self._to_support(update, result.note)
            if result.ok and result.ticket is not None:
                await self.send(int(result.ticket.chat_id),
                                Reply(f"👤 {user.first_name} from our support team has joined the chat."))
        elif parts[1] == "close":
            await self._close(update, parts[2], user.id, user.full_name)

    async def _close(self, update: Update, ticket_id: str, user_id: int, name: str) -> None:
        if not self._is_agent(user_id):
            await self._to_support(update, self.engine.say.text("agents_only_close"))
            return
        result = self.desk.close(ticket_id, name)
        await self._to_support(update, result.note)
        if result.ok and result.ticket is not None:
            replies = await asyncio.to_thread(self.engine.handback, result.ticket.conversation_key,
                                              self.engine.say.text("agent_closed"))
            await self.send_all(int(result.ticket.chat_id), replies)

    async def _to_support(self, update: Update, text: str) -> None:
        message = update.effective_message
        thread = message.message_thread_id if message is not None and message.is_topic_message else None
        if self.support_chat_id:
            await self.send(self.support_chat_id, Reply(text), thread_id=thread)

    async def _watch_unclaimed(self) -> None:
        """Tickets nobody claimed in time go back to the bot, with an apology; they stay open."""
        while True:
            await asyncio.sleep(self.unclaimed_check_s)
            await self.return_unclaimed()

    async def return_unclaimed(self) -> None:
        """One pass of the unclaimed-ticket check."""
        try:
            tickets = self.desk.return_unclaimed(utcnow(), self.settings.handoff_unclaimed_minutes)
        except Exception:  # the watcher must survive a bad pass
            log.exception("unclaimed-ticket check failed")
            return
        for ticket in tickets:
            note = self.engine.say.text("nobody_came", ticket_id=ticket.ticket_id)
            replies = await asyncio.to_thread(self.engine.handback, ticket.conversation_key, note)
            await self.send_all(int(ticket.chat_id), replies)

    async def _error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One catch-all: log with the traceback, record it, tell the user sorry."""
        error = context.error
        if error is not None:
            self.errors.append(error)
        log.error("error handling an update", exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(Exception):
                await self.send(update.effective_chat.id,
                                self.engine.say.reply("internal_error"))

