"""The Telegram adapter: shoppers' updates in, engine outcomes out (the support group: support.py).

Shoppers talk to the bot in private chats only: a conversation in a group would be shared by every
member. Edits of old messages are not new turns (editing "yes" into "cancel" must not withdraw anything).
A turn's replies are written to the outbox with the turn (the engine does it for this channel); the
outbox worker started here sends them (sender.py), so an update is finished, and acknowledged, once its
turn is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
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
from bot.channels.telegram.limits import TelegramLimits
from bot.channels.telegram.profile import ALLOWED_UPDATES, TelegramProfile, load_profile
from bot.channels.telegram.render import STORED_PREFIX, keyboard, split_text
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.support import SupportGroup
from bot.channels.telegram.webhook import WebhookServer
from bot.delivery.periodic import Periodic
from bot.delivery.registry import Registry
from bot.delivery.roles import Roles
from bot.delivery.worker import DeliveryPolicy, OutboxWorker
from bot.domain import IncomingMessage, Reply
from bot.engine.engine import Engine
from bot.errors import ConfigError
from bot.settings import Settings
from bot.shop import read_yaml
from bot.storage import repo
from bot.support.desk import SupportDesk

log = logging.getLogger(__name__)
CHANNEL = "telegram"
COMMANDS = {  # command -> what the engine receives
    "start": ("text", "/start"), "help": ("text", "help"), "quote": ("button", "i:trade_in"),
    "compare": ("button", "i:compare"), "human": ("button", "i:handoff"), "cancel": ("text", "cancel"),
    "mydata": ("text", "/mydata"), "forget": ("text", "/forget"),  # the shopper's data (bot/engine/privacy.py)
    "stop_reminders": ("text", "/stop_reminders"), "start_reminders": ("text", "/start_reminders"),  # reminder_prefs
}
DEEP_LINK = "d:"  # the engine's payload for a /start parameter
MAX_START_PAYLOAD = 64  # Telegram's own limit for a start parameter
PRIVATE_CHAT_URL = "https://t.me/{username}"


class TelegramChannel:
    """Wires python-telegram-bot to the engine and the support desk."""

    def __init__(self, settings: Settings, engine: Engine, desk: SupportDesk, *,
                 limits: TelegramLimits | None = None, unclaimed_check_s: float = 30.0,
                 profile: TelegramProfile | None = None, registry: Registry | None = None,
                 jobs: Sequence[Periodic] = ()) -> None:
        if CHANNEL not in engine.outbox_channels:
            raise ConfigError("the engine does not write Telegram replies to the outbox: build it with "
                              "outbox_channels including 'telegram' (bot/app.py does)")
        self.settings = settings
        self.engine = engine
        self.limits = limits or TelegramLimits()
        self.support_chat_id = settings.support_chat_id
        self.support = SupportGroup(self, settings.support_chat_id, desk) if settings.support_chat_id else None
        config_dir = settings.path(settings.config_dir)
        self.profile = profile or load_profile(config_dir, read_yaml(config_dir / "policy.yaml"))
        self.unclaimed_check_s = unclaimed_check_s
        self.errors: list[BaseException] = []
        self.fatal: ConfigError | None = None  # the bot cannot go on (its database file vanished): stop, one line
        self.stopping = asyncio.Event()
        self._run_polling = False
        self._watch: asyncio.Task[None] | None = None
        self._webhook: WebhookServer | None = None
        self.failed_updates: set[int] = set()  # updates whose turn could not be stored: not acknowledged
        self._apologised: set[int] = set()
        self._retries: dict[int, int] = {}  # polling mode: update id -> attempts so far
        self.retry_delay_s = 5.0
        self._pending_retries: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[Any]] = set()  # tidying calls that must not hold up an update
        token = validated_token(settings)
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(token).base_url(settings.telegram_api_base_url)
            .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
            .concurrent_updates(True)  # the engine keeps each chat in order; chats run in parallel
            .post_init(self._post_init).post_stop(self._post_stop).post_shutdown(self._post_shutdown).build()
        )
        self.sender = TelegramSender(self.app.bot, self.limits, engine.sessions, engine.say, desk,
                                     settings.support_chat_id)
        self.registry = registry or Registry()  # other kinds (a colleague's webhooks, email) may be registered too
        self.sender.register(self.registry)
        with engine.sessions() as session:
            database = session.get_bind().engine
        self.worker = OutboxWorker(engine.sessions, self.registry, DeliveryPolicy.from_settings(settings),
                                   roles=Roles(database, check_s=settings.outbox_role_check_s), jobs=jobs)
        self._register()

    # lifecycle ----------------------------------------------------------------------------------------

    def _register(self) -> None:
        if self.support is not None:
            self.support.register(self.app.add_handler)
        private, new = filters.ChatType.PRIVATE, filters.UpdateType.MESSAGE
        for command in COMMANDS:
            self.app.add_handler(CommandHandler(command, self._command, filters=private & new))
        self.app.add_handler(MessageHandler(private & new & filters.TEXT, self._text))
        self.app.add_handler(MessageHandler(private & new & ~filters.TEXT, self._not_text))
        self.app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, self._edited))
        addressed = filters.COMMAND | filters.Entity(MessageEntity.MENTION) | filters.REPLY
        self.app.add_handler(MessageHandler(filters.ChatType.GROUPS & new & addressed, self._in_a_group))
        self.app.add_handler(CallbackQueryHandler(self._button))
        self.app.add_error_handler(self._error)

    async def _post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await self._describe(app)
        self.worker.start()  # rows committed before a restart go out now
        if self.support is None:
            log.warning("SUPPORT_CHAT_ID is not set: nobody would see a handoff ticket, so shoppers who ask "
                        "for a person are given the support email and hours instead")
        else:
            self._watch = asyncio.create_task(self._watch_unclaimed())

    async def _describe(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Command menus (shoppers' in private chats, agents' in the support group) and descriptions."""
        profile = self.profile
        try:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in profile.shopper_commands],
                                          scope=BotCommandScopeAllPrivateChats())
            if self.support_chat_id:
                await app.bot.set_my_commands([BotCommand(c, d) for c, d in profile.agent_commands],
                                              scope=BotCommandScopeChat(self.support_chat_id))
            await app.bot.set_my_description(profile.description)
            await app.bot.set_my_short_description(profile.short_description)
        except TelegramError as err:  # cosmetic: the bot works without its menus
            log.warning("could not set the bot's commands or description: %s", err)

    async def _post_stop(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """No more updates: let the worker finish what it is sending while the bot can still send."""
        for task in list(self._background):
            task.cancel()
        await self.worker.stop()

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
                                             drop_pending_updates=False, allowed_updates=list(ALLOWED_UPDATES))

    def run_polling(self) -> None:
        """Poll until interrupted (the CLI)."""
        self._run_polling = True
        self.app.run_polling(allowed_updates=list(ALLOWED_UPDATES))

    async def start_webhook(self, *, listen: str, port: int, url_path: str, webhook_url: str, secret: str) -> None:
        """Start our webhook server without blocking (see webhook.py: updates are acknowledged after commit)."""
        endpoint = self.webhook_endpoint(secret)
        await self.start_embedded()
        await endpoint.start(listen, port, url_path)
        await self.set_webhook(webhook_url, endpoint.secret)

    def webhook_endpoint(self, secret: str) -> WebhookServer:
        """The webhook endpoint, to mount on our own server or another one (run_bot.py web)."""
        self._webhook = WebhookServer(self, validated_webhook_secret(secret))
        return self._webhook

    async def start_embedded(self) -> None:
        """Start the bot and its outbox worker without a server of its own (a web server hosts the webhook)."""
        await self.app.initialize()
        await self._post_init(self.app)
        await self.app.start()

    async def set_webhook(self, webhook_url: str, secret: str) -> None:
        """Tell Telegram where to post updates; a refusal stops the bot with one clear line."""
        try:
            await self.app.bot.set_webhook(url=webhook_url, secret_token=secret, max_connections=40,
                                           allowed_updates=list(ALLOWED_UPDATES))
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
        await self._post_stop(self.app)
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

    async def _edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is not None:
            await self.send(chat.id, self.engine.say.reply("shopper_edited"))

    async def _in_a_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shopper's conversation would be every member's: invite them to a private chat."""
        chat = update.effective_chat
        if chat is None or chat.id == self.support_chat_id:
            return
        link = InlineKeyboardMarkup([[InlineKeyboardButton(
            self.engine.say.text("private_only_button"), url=PRIVATE_CHAT_URL.format(username=self.app.bot.username))]])
        await self.send(chat.id, self.engine.say.reply("private_only"), markup=link)

    async def _button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message
        chat = message.chat if message is not None else None
        if chat is not None and chat.type != chat.PRIVATE:  # a bot message forwarded to a family group, say
            with contextlib.suppress(TelegramError):
                await query.answer(self.engine.say.text("private_only_alert", username=self.app.bot.username),
                                   show_alert=True)
            return
        try:
            await query.answer()  # at once, so the spinner stops; answers are not chat messages
        except Exception as err:  # an expired query must not block the press itself
            log.warning("could not answer a callback query: %s", type(err).__name__)
        data = query.data or ""
        chat_id = chat.id if chat is not None else None
        if data.startswith(STORED_PREFIX):
            data = self._load_payload(data[len(STORED_PREFIX):]) or "stale"
        await self._handle(update, payload=data)
        if message is not None and chat_id is not None:  # tidy: the pressed keyboard goes away, in the background
            self._in_background(self.limits.call(chat_id, lambda: context.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message.message_id, reply_markup=None), idempotent=True))

    def _in_background(self, call: Any) -> None:
        task = asyncio.create_task(call)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # a failed tidy-up is not an error

    async def _handle(self, update: Update, *, text: str | None = None, payload: str | None = None) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        msg = IncomingMessage(channel=CHANNEL, user_id=str(user.id), chat_id=str(chat.id),
                              message_id=str(update.update_id), text=text, button_payload=payload,
                              display_name=user.full_name)
        outcome = await self.engine.handle(msg)
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
        self.worker.wake()  # the replies are in the outbox, committed with the turn
        if outcome.duplicate:
            return  # a redelivered update: its replies are in the outbox already, nothing more to do
        if self.support is not None and outcome.owner != "bot":
            await self.support.after_turn(msg.conversation_key, user.full_name, msg.text)

    async def send_all(self, chat_id: int, replies: tuple[Reply, ...] | list[Reply]) -> None:
        """Send replies in order, directly (outside the outbox: notices that belong to no turn)."""
        for reply in replies:
            await self.send(chat_id, reply)

    async def send(self, chat_id: int, reply: Reply, *, thread_id: int | None = None,
                   reply_to: int | None = None, markup: InlineKeyboardMarkup | None = None) -> int | None:
        """Send one reply directly (split when long); returns the last message id."""
        pieces = split_text(reply.text or "…")
        last: int | None = None
        for n, piece in enumerate(pieces):
            buttons = markup or (keyboard(reply.buttons, self._store_payload) if n == len(pieces) - 1 else None)

            async def call(piece: str = piece, buttons: InlineKeyboardMarkup | None = buttons) -> Any:
                return await self.app.bot.send_message(chat_id=chat_id, text=piece, reply_markup=buttons,
                                                       message_thread_id=thread_id,
                                                       reply_to_message_id=reply_to)

            sent = await self.limits.call(chat_id, call)
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

    async def return_unclaimed(self) -> None:
        """One pass of the unclaimed-ticket check (nothing to do without a support group)."""
        if self.support is not None:
            await self.support.return_unclaimed()

    async def _watch_unclaimed(self) -> None:
        """Tickets nobody claimed in time go back to the bot, with an apology; they stay open."""
        while True:
            await asyncio.sleep(self.unclaimed_check_s)
            await self.return_unclaimed()

    async def _error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One catch-all: log with the traceback, record it, tell the user sorry."""
        error = context.error
        if error is not None:
            self.errors.append(error)
        if isinstance(error, ConfigError):  # not this update's fault: nothing more can be stored, so stop
            log.error("stopping: %s", error)
            self.fatal = error
            self.stopping.set()
            if self._run_polling:  # the CLI's blocking loop; embedded callers watch `stopping`
                self.app.stop_running()
            return
        log.error("error handling an update", exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(Exception):
                await self.send(update.effective_chat.id,
                                self.engine.say.reply("internal_error"))

