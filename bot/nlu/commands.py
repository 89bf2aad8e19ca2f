"""What a message asks the dialogue to do: small typed commands, several per message (in the spirit of Rasa CALM).

Understanding turns a message into a tuple of these; the dialogue's command processor applies them to the
conversation's stack. The processor knows these types and nothing about intents, flows or slots by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args


@dataclass(frozen=True)
class SetSlots:
    """Facts the message states (any slot, at any step); a changed value is a correction."""

    slots: Mapping[str, Any] = field(default_factory=dict)
    from_button: bool = False  # values are text from a payload: validated exactly like typed ones
    bound: str | None = None  # a bound button's value (the quote it accepts): honoured only while still current


@dataclass(frozen=True)
class CorrectSlots:
    """Facts the message explicitly corrects ("actually it's 256")."""

    slots: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StartFlow:
    """Start the flow a purpose names (its `triggers`), with what the message already said."""

    purpose: str
    slots: Mapping[str, Any] = field(default_factory=dict)
    from_button: bool = False


@dataclass(frozen=True)
class Answer:
    """A question for the knowledge base; `context` holds what it named (a device is context, not a slot).

    `otherwise`: what to do when no card answers it confidently (a request phrased as a question).
    `offer`: a flow to offer as a button after the answer, with what the message said filled in.
    `device_fact`: a fact about one catalog device, answered from the catalog rather than a card.
    """

    question: str
    context: Mapping[str, Any] = field(default_factory=dict)
    otherwise: StartFlow | None = None
    offer: StartFlow | None = None
    device_fact: tuple[str, ...] | None = None  # (storage | new_price | sold_new | co2e | available, device, ...)
    unknown_device: str | None = None  # a device named that the catalog does not have
    off_topic: bool = False  # most likely off topic: without a card, show what the bot can do
    fits_condition: str | None = None  # "which condition do i pick?": the trade-in condition the description fits
    aside_of: str | None = None  # asked beside a task the same message starts: answered in its journey, or not at all


@dataclass(frozen=True)
class Affirm:
    """An unambiguous yes. A question is never an Affirm."""


@dataclass(frozen=True)
class Deny:
    """An unambiguous no."""


@dataclass(frozen=True)
class Cancel:
    """Drop what we are doing."""


@dataclass(frozen=True)
class Restart:
    """Start the current task over."""


@dataclass(frozen=True)
class GoBack:
    """Re-ask the previous question."""


@dataclass(frozen=True)
class Handoff:
    """A person is needed: asked for, or a topic the policy always gives to a person."""

    reason: str


@dataclass(frozen=True)
class Refuse:
    """The policy refuses what was asked (a lost or stolen phone, a financed one, a seller under 18...);
    `to_person`: the shopper's own case is on the policy's always-human list (a blacklisted phone)."""

    rule: str
    to_person: bool = False


@dataclass(frozen=True)
class SmallTalk:
    """Greeting, thanks, help, "are you a bot?", frustration: answered from a named response."""

    kind: str


@dataclass(frozen=True)
class WhichTask:
    """Just a device name: what would the shopper like to do with it (sell it, or compare)?"""

    device: str


@dataclass(frozen=True)
class RecallOffer:
    """"What was my offer again?": the offer on the table shown again (the task goes on)."""


@dataclass(frozen=True)
class CannotHandle:
    """Nothing in the message could be understood."""


Command = (SetSlots | CorrectSlots | StartFlow | Answer | Affirm | Deny | Cancel | Restart | GoBack | Handoff
           | Refuse | SmallTalk | WhichTask | RecallOffer | CannotHandle)


TASKS = frozenset({"trade_in", "compare", "upgrade"})  # the purposes a StartFlow may name
ASKED_FOR_PERSON = "asked for a person"  # the Handoff reason of "talk to a person" and its button


COMMAND_TYPES = frozenset(t.__name__ for t in get_args(Command))


def command_names(commands: tuple[Command, ...]) -> tuple[str, ...]:
    """The replay contract's `commands` field: the type names, in order."""
    return tuple(type(c).__name__ for c in commands)


def describe(command: Command) -> str:
    """One readable line per command, for `run_bot.py understand`."""
    name = type(command).__name__
    values = {k: v for k, v in vars(command).items() if v not in (None, {}, (), False)}
    shown = ", ".join(f"{k}={dict(v) if isinstance(v, Mapping) else v}" for k, v in values.items())
    return f"{name}({shown})"
