"""Reading a pressed button: its payload names a purpose, a slot value, a question, a card or a deep link.

Payloads: 'i:<purpose>', 's:<slot>=<value>[@bound]' (bound: the quote the button belongs to), 'q:<question>',
'c:<device>' (compare it), 'k:<card id>' (that answer), 'f:<purpose>|slot=value|...' (a task, facts filled),
'd:<prefix>-<device>' (a /start deep link from a shop's product page), 'o:accept|decline:<booking id>' (the shopper's
answer to a booking's counteroffer: counteroffer_answer() reads it, the engine records it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.nlu.commands import (
    ASKED_FOR_PERSON,
    TASKS,
    Answer,
    Cancel,
    CannotHandle,
    Command,
    Handoff,
    SetSlots,
    SmallTalk,
    StartFlow,
)
from bot.nlu.understand import Understander

if TYPE_CHECKING:
    from bot.nlu.reader import CommandReader
    from bot.nlu.reading_context import ReadingContext

COUNTEROFFER = "o"  # payload kind: o:<answer>:<booking id>
COUNTEROFFER_ANSWERS = {"accept": True, "decline": False}
DEEP_LINKS = {"quote": "trade_in", "sell": "trade_in", "tradein": "trade_in", "compare": "compare",
              "upgrade": "upgrade"}  # t.me/<bot>?start=<prefix>-<device>


@dataclass(frozen=True)
class CounterofferAnswer:
    """The shopper accepted or declined the counteroffer made on one booking."""

    booking_id: str
    accepted: bool


def counteroffer_answer(payload: str) -> CounterofferAnswer | None:
    """The counteroffer answer a pressed button carries, or None when the payload is something else."""
    kind, _, rest = payload.partition(":")
    answer, _, booking_id = rest.partition(":")
    if kind != COUNTEROFFER or answer not in COUNTEROFFER_ANSWERS or not booking_id:
        return None
    return CounterofferAnswer(booking_id, COUNTEROFFER_ANSWERS[answer])


def read_payload(payload: str, ctx: ReadingContext, reader: CommandReader) -> tuple[Command, ...]:
    """The commands of a pressed button (the payloads are listed at the top of this module)."""
    kind, _, rest = payload.partition(":")
    if kind == "i":
        if rest == "handoff":
            return (Handoff(ASKED_FOR_PERSON),)
        if rest == "cancel":
            return (Cancel(),)
        if rest == "faq":
            return (SmallTalk("ask_anything"),)
        if rest in TASKS:
            return (StartFlow(rest),)
    if kind == "s" and "=" in rest:
        slot, raw = rest.split("=", 1)
        value, _, bound = raw.partition("@")
        return (SetSlots({slot: value}, from_button=True, bound=bound or None),)
    if kind == "q" and rest:
        return reader.read(rest, ctx)
    if kind == "d":  # a deep link from a shop's product page: "quote-iphone-13", "compare-pixel-8"
        return deep_link(rest, reader.understander)
    if kind == "k" and rest:  # a related answer card
        return (Answer("", context={"card": rest}),)
    if kind == "c" and rest:
        return (StartFlow("compare", {"device_model": rest}),)
    if kind == "f" and rest:
        purpose, *pairs = rest.split("|")
        if purpose in TASKS:
            facts = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
            return (StartFlow(purpose, facts, from_button=True),)
    return (CannotHandle(),)


def deep_link(link: str, understander: Understander) -> tuple[Command, ...]:
    """Start the task a deep link names, with its device; anything else greets as /start does."""
    prefix, _, device_text = link.partition("-")
    purpose = DEEP_LINKS.get(prefix.casefold())
    mention = understander.devices.find(device_text.replace("-", " ").replace("_", " "))
    if purpose is None or mention is None or mention.device is None:
        return (SmallTalk("greet"),)
    return (StartFlow(purpose, {"device_model": mention.device.name}),)
