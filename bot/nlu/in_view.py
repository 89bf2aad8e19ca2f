"""Reading a message outside a task against what was just talked about: the device in view, the last answer.

"256gb, at&t, beat up" after a device was named quotes that device; "and the co2?" after a comparison is about
the device compared; "and fair?" after the grades is read with that answer; a device named alone asks what
to do with it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.nlu import question_shape as shape
from bot.nlu import speech_acts as acts
from bot.nlu.commands import Answer, Command, StartFlow, WhichTask
from bot.nlu.devices import device_tokens
from bot.nlu.understand import Understander

if TYPE_CHECKING:
    from bot.catalog import Device
    from bot.nlu.reading_context import ReadingContext

NAME_FILLERS = frozenset({"my", "a", "an", "the", "i", "have", "got", "its", "it's", "old", "hi", "hey", "hello",
                          # a device named again to correct it: "sorry it's the s21 ultra", "oops, i mean the 13 pro"
                          "sorry", "oops", "actually", "mean", "meant", "wait", "no", "is", "it", "one"})
RESULT_TASKS = ("compare", "upgrade")  # tasks whose result a follow-up question can ask to see again
RESULT_DEVICES = ("target_model", "compare_with")  # the other devices a result on screen shows
COMPARE_REFINES = ("storage_gb", "grade")  # what changes the figures of a comparison ("unlocked?" asks, not refines)
RESULT_FACTS = ("target_model", "storage_gb", "condition", "carrier", "account_locked", "battery_health_pct")
SIBLING_MAX_WORDS = 8  # "ok and what about the pro max version?"
_VARIANT = re.compile(r"\b(pro max|pro|plus|ultra|mini|m[1-9])\b")
_VARIANT_SUFFIX = re.compile(r"\s*(?:\s(?:pro max|pro|plus|ultra|mini)|\+)$", re.I)  # "iPhone 15 Pro" -> "iPhone 15"
REFINE_MAX_WORDS = 14  # "what would the 512 gb version cost, new versus refurbished?" still refines the result
DEVICE_FACT_SLOTS = ("storage_gb", "condition", "carrier", "account_locked", "battery_health_pct")


class InViewReader:
    """The readings that depend on the device or answer in view rather than on a task's question."""

    def __init__(self, understander: Understander) -> None:
        self.understander = understander

    def device_facts(self, text: str) -> dict[str, Any]:
        """The facts about a device the text states (storage, condition, carrier, lock, battery)."""
        return {k: v for k, v in self.understander.slots_in(text).items() if k in DEVICE_FACT_SLOTS}

    def read(self, text: str, ctx: ReadingContext) -> tuple[Command, ...] | None:
        """A follow-up, a device named alone, or facts about the device in view; None: none of these."""
        sibling = self._sibling(text, ctx)
        if sibling is not None:
            return (sibling,)
        refined = self._refines_result(text, ctx)
        if refined is not None:
            return (refined,)
        follow_up = self._follow_up(text, ctx)
        if follow_up is not None:
            return follow_up
        if ctx.last_card is not None and shape.follows_up(text):  # "what about a macbook" after the battery answer
            named = [(m.device or m.candidates[0]).name for m in self.understander.devices.find_all(text)
                     if m.device is not None or m.candidates]  # "a macbook": any of them says what kind it is
            return (Answer(text, context={"device_model": named[0]} if named else {}),)
        alone = self._device_alone(text)
        if alone is not None:
            return (WhichTask(alone),)
        if ctx.last_device is not None and not shape.is_question(text) and not self.understander.devices.find_all(text):
            facts = self.device_facts(text)
            if facts:
                return (StartFlow("trade_in", {**facts, "device_model": ctx.last_device}),)
        return None

    def task_for_device(self, text: str, ctx: ReadingContext, task: str) -> StartFlow | None:
        """"Ok let's do the trade-in part" after the upgrade math: the task for that device, with what is known."""
        if ctx.last_device is None or shape.is_question(text) or self.understander.devices.find_all(text) \
                or acts.budget(text) or acts.device_kind_named(text):
            return None
        known = ctx.slots if ctx.slots.get("device_model") == ctx.last_device else {}
        facts = {k: v for k, v in known.items() if k in DEVICE_FACT_SLOTS and v is not None}
        return StartFlow(task, {**facts, **self.device_facts(text), "device_model": ctx.last_device})

    def _sibling(self, text: str, ctx: ReadingContext) -> StartFlow | None:
        """"What about the m3 one?", "and the pro?" after a comparison: the same line's other model, compared."""
        if ctx.last_device is None or ctx.last_task not in RESULT_TASKS or len(text.split()) > SIBLING_MAX_WORDS:
            return None
        if any(m.device is not None for m in self.understander.devices.find_all(text)):
            return None
        device = self.sibling_of(text, ctx.last_device)
        if device is None:
            return None
        facts = {k: v for k, v in ctx.slots.items() if k in RESULT_FACTS and v is not None
                 and (k != "storage_gb" or v in device.storage_gb)}
        return StartFlow(ctx.last_task, {**facts, "device_model": device.name})

    def sibling_of(self, text: str, name: str) -> Device | None:
        """The model of the same line the text names by its variant alone ("the pro max", "the m3 one")."""
        said = _VARIANT.search(shape.normalize(text))
        shown = self.understander.catalog.by_name(name)
        if said is None or shown is None:
            return None
        variant = said.group(1)
        base = _VARIANT_SUFFIX.sub("", shown.name)
        wanted = {f"{base} {variant}".casefold(), f"{base}{'+' if variant == 'plus' else ''}".casefold()}
        for device in self.understander.catalog.devices:
            if device.family != shown.family or device.name == shown.name:
                continue
            chip = variant.startswith("m") and variant[1:].isdigit() and f"({variant.upper()}," in device.name
            if chip or device.name.casefold() in wanted - {base.casefold()}:
                return device
        return None

    def _refines_result(self, text: str, ctx: ReadingContext) -> StartFlow | None:
        """"And the 512 one?", "512gb?" after a comparison: the same result again, with the new size or grade."""
        if ctx.last_device is None or ctx.last_task not in RESULT_TASKS or len(text.split()) > REFINE_MAX_WORDS:
            return None
        in_view = {ctx.last_device, *(str(ctx.slots[k]) for k in RESULT_DEVICES if ctx.slots.get(k))}
        if any(m.device is None or m.device.name not in in_view for m in self.understander.devices.find_all(text)):
            return None
        facts = self.device_facts(text)
        if ctx.last_task == "compare":  # a refurbished device to buy has sizes and grades, not a carrier of its own
            facts = {k: v for k, v in facts.items() if k in COMPARE_REFINES}
        if not facts or (acts.states_own_facts(text) and ctx.last_task == "compare") or acts.asks_about_item(text):
            return None  # "mine is 128gb, unlocked": the shopper's own phone, a trade-in
        known = {k: v for k, v in ctx.slots.items() if k in RESULT_FACTS and v is not None}
        return StartFlow(ctx.last_task, {**known, **facts, "device_model": ctx.last_device})

    def _follow_up(self, text: str, ctx: ReadingContext) -> tuple[Command, ...] | None:
        """A question about the device just talked about, naming no other device: "and the co2?", "vs new?"."""
        if ctx.last_device is None or not shape.is_question(text):
            return None
        in_view = {ctx.last_device, *(str(ctx.slots[k]) for k in RESULT_DEVICES if ctx.slots.get(k))}
        if any(m.device is None or m.device.name not in in_view for m in self.understander.devices.find_all(text)):
            return None  # another device: a question of its own
        kind = acts.device_fact(text)
        if kind is not None:
            return (Answer(text, device_fact=(kind, ctx.last_device)),)
        if ctx.last_task in RESULT_TASKS and acts.asks_about_result(text):
            facts = {k: v for k, v in ctx.slots.items() if k in RESULT_FACTS and v is not None}
            return (StartFlow(ctx.last_task, {**facts, "device_model": ctx.last_device}),)
        return None

    def _device_alone(self, text: str) -> str | None:
        """The device, when the message is nothing but its name ("iphone 14 plus", "my pixel 7")."""
        if shape.is_question(text):
            return None
        mentions = self.understander.devices.find_all(text)
        if len(mentions) != 1 or mentions[0].device is None:
            return None
        start, end = mentions[0].span
        rest = [t for i, t in enumerate(device_tokens(text)) if not start <= i < end]
        return mentions[0].device.name if all(t in NAME_FILLERS for t in rest) else None
