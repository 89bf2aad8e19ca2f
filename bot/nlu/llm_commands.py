"""The optional LLM's reading of a message as commands: schema-checked, then merged with the rules' reading.

Active only when an LLM is configured. The model is shown where the conversation stands (the task, the slot
the question on screen asks for, the facts already given, that question) and the message, with email and
other personal data left out or masked, and answers with a JSON array of commands. Every command, slot and
value outside the schema, the catalog or the vocabulary is dropped; no reply, a malformed one or a timeout
leave the deterministic reading as it is. The call goes through bot/llm.py, so it keeps the LLM's timeout,
retry and circuit breaker, and inside the engine it is deferred and made outside the conversation's lock
(like the intent extractor's).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.nlu.answers import GRADES, SLOT_TYPES, check_slot
from bot.nlu.commands import (
    TASKS,
    Affirm,
    Answer,
    Cancel,
    CannotHandle,
    Command,
    CorrectSlots,
    Deny,
    GoBack,
    Handoff,
    Refuse,
    Restart,
    SetSlots,
    SmallTalk,
    StartFlow,
    WhichTask,
)
from bot.nlu.devices import DeviceMatcher
from bot.nlu.people import REFUSAL_RULES
from bot.nlu.question_shape import is_question
from bot.nlu.slots import CARRIERS, CONDITIONS, STORAGE_SIZES
from bot.nlu.text import mask_personal

if TYPE_CHECKING:
    from bot.catalog import Device
    from bot.nlu.reading_context import ReadingContext

log = logging.getLogger(__name__)

# The facts the model may state. Not account_locked (a locked account decides whether an offer can be
# accepted: the rules alone read it), nor email, accept, payout or ids: consent, money and personal data.
MODEL_SLOTS = ("device_model", "target_model", "storage_gb", "condition", "carrier", "battery_health_pct", "grade")
DEVICE_SLOTS = ("device_model", "target_model")
NOT_SENT = frozenset({"email", "quote_id"})  # personal data, and ids the model has no use for
# The small talk the model may name: each is a response in config/responses.yaml that pattern_small_talk says.
SMALL_TALK_KINDS = ("greet", "help", "thanks", "identity", "frustrated", "other_language")
# Commands only the deterministic reading may give: they book, cancel, decline or bring in a person.
RULES_ONLY = (Affirm, Deny, Cancel, Restart, Handoff, Refuse)
# A reading with one of these controls the dialogue: the model's facts are not added to it.
CONTROLS = (*RULES_ONLY, GoBack, WhichTask, CannotHandle)
MAX_COMMANDS = 6  # a message says a few things; a longer list is a model running on
MAX_TEXT_CHARS = 300  # a question or reason from the model: a sentence, not an essay
# The fields each command may carry (all of them required, except an answer's question: the message itself).
SCHEMA: Mapping[str, frozenset[str]] = MappingProxyType({
    "set_slots": frozenset({"slots"}), "start_flow": frozenset({"purpose", "slots"}),
    "answer": frozenset({"question"}), "affirm": frozenset(), "deny": frozenset(), "cancel": frozenset(),
    "go_back": frozenset(), "handoff": frozenset({"reason"}), "refuse": frozenset({"rule"}),
    "small_talk": frozenset({"kind"}), "cannot_handle": frozenset(),
})
OPTIONAL = frozenset({("answer", "question"), ("start_flow", "slots")})
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)  # models like to wrap JSON in a code block


def _quoted(values: Collection[object]) -> str:
    return ", ".join(f'"{v}"' for v in values)


# The prompt's {placeholders} (config/prompts/commands.txt), from the same values the replies are checked against.
VOCABULARY: Mapping[str, str] = MappingProxyType({
    "purposes": _quoted(sorted(TASKS)), "refuse_rules": _quoted(REFUSAL_RULES),
    "small_talk": _quoted(SMALL_TALK_KINDS), "storage_sizes": ", ".join(map(str, STORAGE_SIZES)),
    "conditions": _quoted(CONDITIONS), "carriers": _quoted(CARRIERS), "grades": _quoted(GRADES),
})


@runtime_checkable
class CommandModel(Protocol):
    """The optional LLM as a command generator: its reply to the commands prompt, or None."""

    def propose_commands(self, vocabulary: Mapping[str, str], reading: str) -> str | None: ...


def reading_for(text: str, ctx: ReadingContext) -> str:
    """The user message of the prompt: where the conversation stands and the message, personal data masked."""
    filled = {name: value if isinstance(value, bool | int | float) else mask_personal(str(value))
              for name, value in ctx.slots.items() if name not in NOT_SENT and value is not None}
    return json.dumps({
        "flow": ctx.flow_intent, "awaited_slot": ctx.awaited, "yes_no_question": ctx.awaited_is_yes_no,
        "filled_slots": filled, "last_bot_question": mask_personal(ctx.question) if ctx.question else None,
        "message": mask_personal(text),
    }, ensure_ascii=False)


def parse_commands(reply: str | None, ctx: ReadingContext, devices: DeviceMatcher, text: str) -> tuple[Command, ...]:
    """The model's commands, each checked against the schema, the catalog and the vocabulary; () when unusable."""
    commands: list[Command] = []
    for item in _decoded(reply)[:MAX_COMMANDS]:
        command = _command(item, ctx, devices, text)
        if command is None:
            log.debug("LLM command dropped")
        else:
            commands.append(command)
    return tuple(commands)


def _decoded(reply: str | None) -> list[Any]:
    """The reply's list of command objects: a JSON array (also as {"commands": [...]} or one command)."""
    if reply is None:
        return []
    body = reply.strip()
    fenced = _FENCE.match(body)
    try:
        data = json.loads(fenced.group(1) if fenced else body)
    except ValueError:
        return []
    if isinstance(data, dict):
        data = data["commands"] if set(data) == {"commands"} else [data]
    return data if isinstance(data, list) else []


def _command(item: Any, ctx: ReadingContext, devices: DeviceMatcher, text: str) -> Command | None:
    """One command object as a typed command, or None when anything in it is outside the schema."""
    if not isinstance(item, dict) or not isinstance(item.get("command"), str):
        return None
    name = item["command"]
    fields = {k: v for k, v in item.items() if k != "command"}
    allowed = SCHEMA.get(name)
    if allowed is None or not set(fields) <= allowed or any(
            f not in fields for f in allowed if (name, f) not in OPTIONAL):
        return None
    held = ctx.slots.get("device_model")
    device = ctx.device or (devices.catalog.by_name(held) if isinstance(held, str) else None)
    if name == "set_slots":
        slots = _slots(fields["slots"], ctx.flow_slots, devices, device)
        return SetSlots(slots) if slots else None
    if name == "start_flow":
        purpose = fields["purpose"]
        if not isinstance(purpose, str) or purpose not in TASKS:
            return None
        if purpose == ctx.flow_intent and not ctx.passive:  # the task in progress: its facts
            slots = _slots(fields.get("slots", {}), ctx.flow_slots, devices, device)
            return SetSlots(slots) if slots else None
        return StartFlow(purpose, _slots(fields.get("slots", {}), MODEL_SLOTS, devices, None))
    if name == "answer":
        question = fields.get("question", text)
        if not isinstance(question, str):
            return None
        return Answer(question.strip()[:MAX_TEXT_CHARS] or text)
    if name == "handoff":
        reason = fields["reason"]
        return Handoff(reason.strip()[:MAX_TEXT_CHARS]) if isinstance(reason, str) and reason.strip() else None
    if name == "refuse":
        return Refuse(fields["rule"]) if fields["rule"] in REFUSAL_RULES else None
    if name == "small_talk":
        return SmallTalk(fields["kind"]) if fields["kind"] in SMALL_TALK_KINDS else None
    plain: dict[str, Command] = {"affirm": Affirm(), "deny": Deny(), "cancel": Cancel(), "go_back": GoBack(),
                                 "cannot_handle": CannotHandle()}
    return plain[name]


def _slots(raw: Any, allowed: Collection[str], devices: DeviceMatcher, device: Device | None) -> dict[str, Any]:
    """The slots the model may state and the task holds, with catalog devices and vocabulary values only."""
    if not isinstance(raw, dict):
        return {}
    named = [k for k in DEVICE_SLOTS if k in raw]
    found = {k: _value(k, raw[k], devices, None) for k in named}
    named_device = devices.catalog.by_name(str(found["device_model"])) if found.get("device_model") else None
    for name in raw:
        if name not in DEVICE_SLOTS:
            found[name] = _value(name, raw[name], devices, named_device or device)  # a storage the device comes in
    return {k: v for k, v in found.items() if v is not None and k in allowed and k in MODEL_SLOTS}


def _value(name: str, value: Any, devices: DeviceMatcher, device: Device | None) -> Any:
    """One value from the model, or None unless the catalog or the vocabulary has it."""
    if name not in MODEL_SLOTS:
        return None
    if name in DEVICE_SLOTS:
        mention = devices.find(value) if isinstance(value, str) and value.strip() else None
        return mention.device.name if mention is not None and mention.device is not None else None
    if isinstance(value, bool) or not isinstance(value, SLOT_TYPES[name]):
        return None  # strict types: "256" is not a size, true is not a number
    checked = check_slot(name, value, devices=devices, device=device)
    return checked.value if checked.ok else None


def unsure(rules: tuple[Command, ...], text: str) -> bool:
    """Whether the rules only guessed: nothing understood, or a statement with nothing found taken for a question."""
    if all(isinstance(c, CannotHandle) for c in rules):
        return True
    answers = [c for c in rules if isinstance(c, Answer)]
    guessed = all(a.device_fact is None and a.otherwise is None and a.offer is None for a in answers)
    only_talk = all(isinstance(c, Answer | SmallTalk) for c in rules)
    return bool(answers) and guessed and only_talk and not is_question(text)


def worth_asking(rules: tuple[Command, ...], text: str) -> bool:
    """Whether the model's reading could change what happens: the rules are unsure, or they read a yes."""
    return unsure(rules, text) or any(isinstance(c, Affirm) for c in rules)


def merge(rules: tuple[Command, ...], model: tuple[Command, ...], *, text: str,
          filled: Collection[str] = ()) -> tuple[Command, ...]:
    """The commands to apply: the rules' reading, with the model's where the rules are unsure.

    The deterministic reading keeps the last word on money, consent and handoff. A yes books a trade-in, a no
    declines an offer, a cancel drops a task and a handoff or refusal brings in a person or ends the task, so
    Affirm, Deny, Cancel, Restart, Handoff and Refuse come from the rules alone: the model's are dropped, and
    its mistakes can never book, decline, cancel or page anyone. The model may only make a reading more
    careful: a question is never a yes, so when it reads the message as a question the rules' Affirm is dropped
    and the question answered (the offer stays on screen). Where the rules are unsure (nothing understood, or
    a statement in which they found nothing, taken for a question: no card is likely to fit it), the model's
    commands are used; a guessed question keeps the rules' Answer, which carries the context it named. The
    model's facts only fill slots: never one the rules set, never one the conversation already holds, so
    corrections stay with the rules and a device named in passing never replaces the one being quoted.
    """
    proposed = _new_facts_only(tuple(c for c in model if not isinstance(c, (*RULES_ONLY, CannotHandle))),
                               rules, filled)
    question = next((c for c in proposed if isinstance(c, Answer)), None)
    if any(isinstance(c, Affirm) for c in rules):
        return rules if question is None else (*(c for c in rules if not isinstance(c, Affirm)), question)
    if unsure(rules, text):
        guessed = next((c for c in rules if isinstance(c, Answer)), None)
        taken = tuple(guessed if isinstance(c, Answer) and guessed is not None else c for c in proposed)
        return taken or rules
    extra = {k: v for c in proposed if isinstance(c, SetSlots) for k, v in c.slots.items()}
    if not extra or any(isinstance(c, CONTROLS) for c in rules):
        return rules
    for n, c in enumerate(rules):
        if isinstance(c, SetSlots | StartFlow):
            return (*rules[:n], replace(c, slots={**extra, **c.slots}), *rules[n + 1:])
    return (SetSlots(extra), *rules)


def _new_facts_only(commands: tuple[Command, ...], rules: tuple[Command, ...],
                    filled: Collection[str]) -> tuple[Command, ...]:
    """The model's commands, its SetSlots cut to slots neither the rules nor the conversation have set."""
    taken = {k for c in rules if isinstance(c, SetSlots | CorrectSlots | StartFlow) for k in c.slots}
    out: list[Command] = []
    for c in commands:
        if isinstance(c, SetSlots):
            new = {k: v for k, v in c.slots.items() if k not in taken and k not in filled}
            if not new:
                continue
            c = SetSlots(new)
        out.append(c)
    return tuple(out)


class CommandGenerator:
    """The LLM's second reading of a message, asked for only where it can change what happens."""

    def __init__(self, model: CommandModel, devices: DeviceMatcher) -> None:
        self.model = model
        self.devices = devices

    def read(self, text: str, ctx: ReadingContext, rules: tuple[Command, ...]) -> tuple[Command, ...]:
        """The commands to apply: the rules' own, or merged with the model's (see `merge`)."""
        if not worth_asking(rules, text):
            return rules
        reply = self.model.propose_commands(VOCABULARY, reading_for(text, ctx))
        proposed = parse_commands(reply, ctx, self.devices, text)
        filled = {k for k, v in ctx.slots.items() if v is not None}
        return merge(rules, proposed, text=text, filled=filled)


def generator_for(model: object, devices: DeviceMatcher) -> CommandGenerator | None:
    """A command generator when the configured LLM can be one (None without an LLM)."""
    return CommandGenerator(model, devices) if isinstance(model, CommandModel) else None
