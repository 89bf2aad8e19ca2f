"""The shopper's data on every channel: /mydata shows what is stored, /forget deletes it after an explicit yes.

The engine hands every message here first; anything that is not about the shopper's data comes back as None
and goes on to the dialogue. Personal values are shown to their owner unmasked, and never logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.catalog import storage_label
from bot.domain import Reply
from bot.engine.responses import Responses
from bot.engine.state import INTERNAL_SLOTS, ConversationState
from bot.engine.turn import Turn
from bot.nlu.consent import is_no, is_yes
from bot.nlu.question_shape import is_question, normalize
from bot.pricing.quote import CARRIER_NAMES, format_usd
from bot.settings import DEFAULT_RETENTION_DAYS
from bot.storage.privacy import UserRecords, forget_user, user_records

log = logging.getLogger(__name__)
MYDATA, FORGET = "/mydata", "/forget"  # typed on any channel; Telegram's menu sends the same text
FORGET_YES, FORGET_NO = "p:forget=yes", "p:forget=no"  # the confirmation's buttons (config/responses.yaml)
CONFIRMING_FORGET = "forget"  # ConversationState.confirming while the bot waits for the yes
# Deleting cannot be undone, so only these words delete (a mere "ok" or "sure" is asked again): with is_yes,
# nothing else may be in the message, and a question or a hedge is never a yes.
EXPLICIT_YES = frozenset({"yes", "yeah", "yep", "yup", "confirm", "confirmed"})
# Words that restate the request around a yes or a no: "yes, delete my data", "no, don't delete it".
RESTATING = frozenset({"delete", "it", "my", "data", "everything", "all", "of", "forget", "me"})
_DONT = re.compile(r"\b(?:don t|dont|do not)\b")  # "no, don't delete it": the don't restates the no
DATE = "%b %d, %Y"


@dataclass(frozen=True)
class QuoteData:
    """One quote as the shopper sees it in their data."""

    quote_id: str
    device_model: str
    storage_gb: int
    offer_usd: Decimal
    currency: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class TicketData:
    """One open support request."""

    ticket_id: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class ShopperData:
    """Everything stored about one shopper, as /mydata and `run_bot.py privacy export` show it."""

    channel: str
    user_id: str
    display_name: str | None
    email: str | None
    slots: dict[str, Any]
    quotes: tuple[QuoteData, ...]
    messages: int
    open_tickets: tuple[TicketData, ...]

    def to_json(self) -> dict[str, Any]:
        """The export for a program (`privacy export --json`)."""
        return {
            "user": f"{self.channel}:{self.user_id}", "display_name": self.display_name, "email": self.email,
            "slots": dict(self.slots), "messages": self.messages,
            "quotes": [{"quote_id": q.quote_id, "device_model": q.device_model, "storage_gb": q.storage_gb,
                        "offer_usd": str(q.offer_usd), "currency": q.currency, "status": q.status,
                        "created_at": q.created_at.isoformat()} for q in self.quotes],
            "open_tickets": [{"ticket_id": t.ticket_id, "status": t.status, "created_at": t.created_at.isoformat()}
                             for t in self.open_tickets],
        }


def shopper_data(records: UserRecords) -> ShopperData:
    """The stored rows as the shopper's data: slots of every frame (the active one last, so it wins), email."""
    slots: dict[str, Any] = {}
    for raw in records.states:
        state = ConversationState.from_json(raw)
        for frame_slots in (*(f.slots for f in state.stack), state.slots):
            slots.update({k: v for k, v in frame_slots.items() if k not in INTERNAL_SLOTS and v is not None})
    emails = [q.email for q in records.quotes if q.email]
    email = slots.get("email") or (emails[-1] if emails else None)
    return ShopperData(
        channel=records.user.channel, user_id=records.user.external_id, display_name=records.user.display_name,
        email=str(email) if email else None, slots=slots, messages=records.messages,
        quotes=tuple(QuoteData(q.id, q.device_model, q.storage_gb, Decimal(q.offer_usd), q.currency, q.status,
                               q.created_at) for q in records.quotes),
        open_tickets=tuple(TicketData(t.id, t.status, t.created_at) for t in records.open_tickets),
    )


def render_data(data: ShopperData, say: Responses, *, retention_days: int) -> str:
    """The shopper's data as one message, from named responses."""
    none = say.text("mydata_none")
    slots = [say.text("mydata_slot", slot=_label(say, "slot", name), value=_value(say, name, value))
             for name, value in data.slots.items()]
    quotes = [say.text("mydata_quote", quote_id=q.quote_id, device_model=q.device_model,
                       storage=storage_label(q.storage_gb), offer=format_usd(q.offer_usd),
                       status=_label(say, "quote_status", q.status), date=q.created_at.strftime(DATE))
              for q in data.quotes]
    tickets = [say.text("mydata_ticket", ticket_id=t.ticket_id, status=_label(say, "ticket_status", t.status),
                        date=t.created_at.strftime(DATE)) for t in data.open_tickets]
    return say.text("mydata", name=data.display_name or none, email=data.email or none,
                    slots="\n".join(slots) or none, quotes="\n".join(quotes) or none,
                    tickets="\n".join(tickets) or none, messages=data.messages, retention_days=retention_days)


def _value(say: Responses, slot: str, value: Any) -> str:
    """A slot's value as the shopper reads it: yes / no, a carrier's name, or the value itself."""
    if isinstance(value, bool):
        return say.text("mydata_yes" if value else "mydata_no")
    if slot == "carrier":
        return CARRIER_NAMES.get(str(value), str(value))
    return str(value)


def _label(say: Responses, kind: str, value: str) -> str:
    """A stored name as the shopper reads it ("device_model" -> "Device"); the name itself when none is written."""
    name = f"{kind}_{value}"
    return say.text(name) if name in say else value


def _about_deleting(text: str) -> str:
    """The reply without the words that only restate what is asked ("yes, delete it" -> "yes")."""
    return " ".join(w for w in normalize(text).split() if w not in RESTATING)


def explicit_yes(text: str) -> bool:
    """A yes that may delete data: an unmistakable yes that says yes (or confirm) in so many words."""
    core = _about_deleting(text)
    return "?" not in text and not is_question(text) and is_yes(core) and bool(EXPLICIT_YES & set(core.split()))


def keeps(text: str) -> bool:
    """An unmistakable no to deleting ("no", "no, don't delete it")."""
    return "?" not in text and is_no(_DONT.sub(" ", _about_deleting(text)))


class PrivacyCommands:
    """/mydata and /forget with its confirmation, inside the engine's turn (one transaction with it)."""

    def __init__(self, responses: Responses, *, retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
        self.say = responses
        self.retention_days = retention_days

    def handle(self, turn: Turn, text: str, payload: str | None) -> list[Reply] | None:
        """The replies when the message is about the shopper's data; None to let the dialogue have it."""
        state = turn.state
        waiting = state.confirming == CONFIRMING_FORGET
        command = text.strip().casefold() if payload is None else None
        if payload == FORGET_YES:  # an old button pressed after moving on is asked again, never taken as a yes
            return self._forget(turn) if waiting else self._ask(turn)
        if payload == FORGET_NO or (waiting and command is not None and keeps(text)):
            state.confirming = None
            return [self.say.reply("forget_kept")]
        if command == MYDATA:
            return [self.mydata(turn)]
        if command == FORGET:
            return self._ask(turn)
        if not waiting:
            return None
        if command is not None and explicit_yes(text):
            return self._forget(turn)
        if command is not None and (is_question(text) or is_yes(text) or _about_deleting(text) != normalize(text)):
            # "wait, what does that delete?", a bare "ok", "delete it": explained and asked again; nothing deleted
            turn.intent = "faq" if is_question(text) else None
            return [self.say.reply("forget_explain")]
        state.confirming = None  # anything else: the shopper moved on, the dialogue takes it
        return None

    def mydata(self, turn: Turn) -> Reply:
        """What is stored about this shopper, read in this turn's transaction."""
        user_id = turn.store.user_id
        records = user_records(turn.store.session, user_id=user_id) if user_id is not None else None
        if records is None:
            return self.say.reply("mydata_nothing")
        log.info("data shown to user %s", user_id)  # an id only: the values are the shopper's, not the log's
        text = render_data(shopper_data(records), self.say, retention_days=self.retention_days)
        return Reply(text, self.say.buttons("mydata"), response="mydata")

    def _ask(self, turn: Turn) -> list[Reply]:
        turn.state.confirming = CONFIRMING_FORGET
        return [self.say.reply("forget_confirm")]

    def _forget(self, turn: Turn) -> list[Reply]:
        user_id = turn.store.user_id
        turn.state.clear()  # the engine stores this state at the end of the turn: a fresh conversation
        turn.owner, turn.quote, turn.ended_slots, turn.handoff = "bot", None, None, None
        if user_id is not None:
            done = forget_user(turn.store.session, user_id=user_id, now=turn.now)
            log.info("user %s forgotten: %d messages deleted, %d quotes anonymised, %d tickets closed",
                     user_id, done.messages, done.quotes_anonymised, done.tickets_closed)
        return [self.say.reply("forget_done")]
