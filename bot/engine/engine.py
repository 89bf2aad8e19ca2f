"""The engine entry point: handle(IncomingMessage) -> Outcome, serialised and idempotent."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
import uuid
import weakref
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from bot.delivery.replies import enqueue_replies
from bot.domain import IncomingMessage, Outcome, Reply
from bot.engine.booking_cancel import BookingCancels
from bot.engine.counteroffer import CounterofferAnswers
from bot.engine.dialogue import Dialogue
from bot.engine.privacy import PrivacyCommands
from bot.engine.reminder_prefs import ReminderPrefs
from bot.engine.responses import Responses
from bot.engine.serialize import outcome_from_json, outcome_to_json
from bot.engine.state import ConversationState
from bot.engine.turn import Turn, TurnStore
from bot.errors import DatabaseReadOnly, DatabaseUnavailable, StorageError
from bot.llm import CallBook, deferred
from bot.nlu.text import clean_input
from bot.storage import repo
from bot.storage.db import translate_errors
from bot.storage.models import Conversation, Message, ProcessedEvent, User, utcnow

log = logging.getLogger(__name__)
RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)
RETRY_BUDGET_S = 5.0  # no retry starts after this long: a stalled database gets the apology within seconds
MAX_LLM_ROUNDS = 3  # completions fetched outside the lock per turn (understanding, then wording, then one more)


class _WantsLLM(Exception):
    """The turn needs a completion: roll back, release the lock, fetch it, run the turn again."""

    def __init__(self, snapshot: str) -> None:
        super().__init__("LLM call wanted")
        self.snapshot = snapshot


class Engine:
    """Loads state, runs the dialogue, saves everything in one transaction per message.

    For the channels in `outbox_channels` (Telegram) the turn's replies are also written to the outbox in the
    turn's transaction, so they are sent exactly when the turn is kept; other channels (console, replay,
    evaluation) show the replies the outcome carries.
    """

    def __init__(self, sessions: sessionmaker[Session], dialogue: Dialogue, responses: Responses,
                 clock: Callable[[], datetime] = utcnow, outbox_channels: Collection[str] = (),
                 privacy: PrivacyCommands | None = None, bookings: CounterofferAnswers | None = None,
                 cancels: BookingCancels | None = None) -> None:
        self.sessions = sessions
        self.dialogue = dialogue
        self.say = responses
        self.privacy = privacy or PrivacyCommands(responses)
        self.bookings = bookings or CounterofferAnswers(responses)
        self.reminders = ReminderPrefs(responses)
        self.cancels = cancels or BookingCancels(responses)
        self.clock = clock
        self.outbox_channels = frozenset(outbox_channels)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def handle(self, msg: IncomingMessage) -> Outcome:
        """Process one message; messages of one conversation never run at the same time."""
        lock = self._locks.get(msg.conversation_key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[msg.conversation_key] = lock
        async with lock:
            return await asyncio.to_thread(self.handle_sync, msg)

    def handle_sync(self, msg: IncomingMessage) -> Outcome:
        """The blocking body of handle(): retries while the database is briefly unavailable."""
        msg = fit_to_columns(msg)
        started = time.monotonic()
        for delay in (*RETRY_DELAYS_S, None):
            try:
                with translate_errors():
                    return self._turn(msg)
            except DatabaseUnavailable:
                if delay is None or time.monotonic() - started + delay > RETRY_BUDGET_S:
                    log.error("database unavailable; message %s not processed", msg.message_id)
                    return Outcome(replies=(self.say.reply("storage_unavailable"),), stored=False)
                time.sleep(delay)
            except DatabaseReadOnly:
                log.error("database is read-only; message %s not processed", msg.message_id)
                return Outcome(replies=(self.say.reply("storage_unavailable"),), stored=False)
            except StorageError:
                log.exception("storage error on message %s", msg.message_id)
                return Outcome(replies=(self.say.reply("storage_unavailable"),), stored=False)
        raise AssertionError("unreachable")

    def _turn(self, msg: IncomingMessage) -> Outcome:
        """Run the turn under the conversation's lock; an LLM call it needs is made outside it, then the turn re-runs."""
        # Each run is a whole turn in one transaction; only the last one commits. A run that wants a completion the
        # book lacks is rolled back (row lock and connection released), the completion is fetched with nothing
        # held, and the turn runs again with the answer at hand. If the conversation changed meanwhile (another
        # worker's turn, an agent's handback), the turn is redone under the lock without the LLM.
        book = CallBook()
        snapshot: str | None = None
        for _ in range(MAX_LLM_ROUNDS):
            try:
                with deferred(book):
                    return self._locked_turn(msg, book, snapshot)
            except _WantsLLM as wants:
                snapshot = wants.snapshot
            book.fetch_next()  # no transaction, no connection, no row lock while the model thinks
        book.close()
        with deferred(book):
            return self._locked_turn(msg, book, snapshot)

    def _locked_turn(self, msg: IncomingMessage, book: CallBook, snapshot: str | None) -> Outcome:
        with self.sessions() as session, session.begin():
            conversation = repo.lock_conversation(session, key=msg.conversation_key, channel=msg.channel,
                                                  chat_id=msg.chat_id)
            now = json.dumps([conversation.version, conversation.owner, conversation.state], sort_keys=True,
                             default=str)
            if snapshot is not None and now != snapshot:
                log.info("conversation %s changed while the LLM was called: turn redone without it", conversation.id)
                book.close(forget=True)
            seen = repo.find_processed(session, channel=msg.channel, event_id=msg.message_id)
            if seen is not None:
                log.info("duplicate %s:%s answered from the stored outcome", msg.channel, msg.message_id)
                return outcome_from_json(seen.outcome, duplicate=True)  # its replies are in the outbox already
            if conversation.user_id is None:
                conversation.user_id = repo.ensure_user(session, channel=msg.channel, external_id=msg.user_id,
                                                        display_name=msg.display_name)
            repo.seen_again(session, user_id=conversation.user_id)  # a blocked bot gets no message
            text = clean_input(msg.text or "")
            repo.add_message(session, conversation_id=conversation.id, direction="in",
                             text=text if msg.button_payload is None else f"[button] {msg.button_payload}",
                             payload=msg.button_payload, external_id=msg.message_id, at=self.clock())
            state = ConversationState.from_json(conversation.state)
            turn = Turn(store=TurnStore(session, conversation.id, conversation.user_id, msg.channel), now=self.clock(),
                        state=state, owner=conversation.owner)
            out = self._respond(turn, msg, text)
            if book.wanted:
                raise _WantsLLM(now)  # rolls this run back: nothing of it is kept
            outcome = Outcome(
                replies=tuple(out), intent=turn.intent, flow=self.dialogue.active_task(turn), slots=_shown_slots(turn),
                quote=turn.quote, sources=tuple(dict.fromkeys(turn.sources)), handoff=turn.handoff,
                owner=turn.owner, commands=turn.commands,
            )
            for reply in out:
                repo.add_message(session, conversation_id=conversation.id, direction="out", text=reply.text, at=turn.now)
            if msg.channel in self.outbox_channels:
                enqueue_replies(session, channel=msg.channel, chat_id=msg.chat_id, key=msg.message_id, replies=out,
                                now=turn.now)
            conversation.state = state.to_json()
            conversation.owner = turn.owner
            conversation.version += 1
            conversation.updated_at = turn.now
            repo.record_processed(session, channel=msg.channel, event_id=msg.message_id,
                                  conversation_id=conversation.id, outcome=outcome_to_json(outcome), at=turn.now)
            log.info("turn conv=%s intent=%s flow=%s step=%s", conversation.id, turn.intent, state.flow, state.step)
            return outcome

    def handback(self, conversation_key: str, note: str) -> list[Reply]:
        """A person is done (or nobody came): the bot owns the conversation again and picks up where it was.

        On an outbox channel the replies are queued in the same transaction; the caller only wakes the worker.
        """
        with translate_errors(), self.sessions() as session, session.begin():
            conversation = repo.get_conversation(session, conversation_key)
            if conversation is None:
                return []
            conversation = repo.lock_conversation(session, key=conversation.key, channel=conversation.channel,
                                                  chat_id=conversation.chat_id)
            state = ConversationState.from_json(conversation.state)
            turn = Turn(store=TurnStore(session, conversation.id), now=self.clock(), state=state)
            out = [Reply(note, () if state.flow else self.say.buttons("greet")), *self.dialogue.resume_prompt(turn)]
            conversation.owner = "bot"
            for reply in out:
                repo.add_message(session, conversation_id=conversation.id, direction="out", text=reply.text,
                                 at=turn.now)
            if conversation.channel in self.outbox_channels:  # a handback has no update id: each is its own
                enqueue_replies(session, channel=conversation.channel, chat_id=conversation.chat_id,
                                key=f"handback:{conversation.id}:{uuid.uuid4().hex}", replies=out)
            return out

    def _respond(self, turn: Turn, msg: IncomingMessage, text: str) -> list[Reply]:
        # The shopper's data is theirs to see or delete whoever owns the conversation, a person included.
        about_data = self.privacy.handle(turn, text, msg.button_payload)
        if about_data is not None:
            if turn.owner == "bot" and turn.state.confirming is None:  # back to the question the flow waits on
                about_data.extend(self.dialogue.resume_prompt(turn))
            return about_data
        prefs = self.reminders.handle(turn, text, msg.button_payload)  # /stop_reminders, /start_reminders
        if prefs is not None:
            if turn.owner == "bot" and turn.state.confirming is None:
                prefs.extend(self.dialogue.resume_prompt(turn))
            return prefs
        # a decision on their booking (a counteroffer's answer, a cancel), whoever owns the chat
        answered = (self.bookings.handle(turn, text, msg.button_payload)
                    or self.cancels.handle(turn, text, msg.button_payload))
        if answered is not None:
            return answered
        if turn.owner != "bot":
            return self._while_human(turn, msg, text)
        if msg.button_payload:
            return self.dialogue.on_button(turn, msg.button_payload[:200])
        if not text or not any(ch.isalnum() for ch in text):
            turn.intent = "fallback"
            return [self.say.reply("empty_input")]
        try:
            return self.dialogue.on_text(turn, text)
        except StorageError:
            raise
        except Exception:  # one bad message must never break the conversation
            log.exception("dialogue failed on message %s", msg.message_id)
            turn.intent = "fallback"
            return [self.say.reply("internal_error")]

    def _while_human(self, turn: Turn, msg: IncomingMessage, text: str) -> list[Reply]:
        """A person owns the conversation: the bot stays quiet except to confirm or withdraw."""
        turn.intent = "handoff"
        if text.strip().casefold() in ("/cancel", "cancel", "/bot"):
            turn.owner = "bot"
            return [self.say.reply("back_with_bot")]
        if turn.owner == "pending_human":
            return self.dialogue.answer_while_waiting(turn, text) or [self.say.reply("added_to_request")]
        return []


def _shown_slots(turn: Turn) -> dict[str, Any]:
    """What the replay shows as understood: the active task's slots, those of a task that just ended, or, between
    tasks, the device the conversation is about (a question after a comparison is still about that device)."""
    if turn.ended_slots is not None and turn.state.flow is None:
        return ConversationState(slots=turn.ended_slots).visible_slots()
    if turn.state.flow is None and turn.state.last_device is not None:
        return {"device_model": turn.state.last_device}
    return turn.state.visible_slots()


def _chars(column: InstrumentedAttribute[Any]) -> int:
    """The declared length of a String column."""
    kind = column.expression.type
    assert isinstance(kind, String) and kind.length is not None
    return kind.length


# What an incoming message may carry, from the columns it is stored in (bot/storage/models.py).
MAX_ID_CHARS = min(_chars(User.external_id), _chars(Conversation.chat_id), _chars(Message.external_id),
                   _chars(ProcessedEvent.event_id))
MAX_NAME_CHARS = _chars(User.display_name)
MAX_PAYLOAD_CHARS = _chars(Message.payload)
ID_DIGEST_CHARS = 16  # an over-long id keeps its head and a digest of the whole, so two long ids stay two
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # NUL and lone surrogates: PostgreSQL refuses both
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """The text with NUL and lone surrogates replaced by U+FFFD (both backends, and UTF-8 output, take it)."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def _fit_id(value: str) -> str:
    clean = storable(value)
    if len(clean) <= MAX_ID_CHARS:
        return clean
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:ID_DIGEST_CHARS]
    return f"{clean[:MAX_ID_CHARS - ID_DIGEST_CHARS - 1]}~{digest}"


def fit_to_columns(msg: IncomingMessage) -> IncomingMessage:
    """The message as the database can hold it, alike on SQLite and PostgreSQL: clean text, ids and names that fit."""
    return replace(
        msg, user_id=_fit_id(msg.user_id), chat_id=_fit_id(msg.chat_id), message_id=_fit_id(msg.message_id),
        text=None if msg.text is None else storable(msg.text),
        button_payload=None if msg.button_payload is None else storable(msg.button_payload)[:MAX_PAYLOAD_CHARS],
        display_name=None if msg.display_name is None else storable(msg.display_name)[:MAX_NAME_CHARS],
    )
