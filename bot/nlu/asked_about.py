"""What a question is about, as context for its answer: the devices it names, its asked part, a device fact.

Shared by the reading inside a task and outside one (bot.nlu.reader, bot.nlu.opening). A device named in a
question is context for the answer, never a slot of the task.
"""

from __future__ import annotations

from typing import Any

from bot.nlu import question_shape as shape
from bot.nlu import speech_acts as acts
from bot.nlu.commands import Answer
from bot.nlu.devices import DeviceMention, other_product
from bot.nlu.understand import Understander, Understanding

__all__ = ["AskedAbout", "unknown_device"]


class AskedAbout:
    """Reads the context of a question's answer from its text and understanding."""

    def __init__(self, understander: Understander) -> None:
        self.understander = understander

    def context(self, u: Understanding, mentions: list[DeviceMention], text: str, *,
                in_task: bool = False) -> dict[str, Any]:
        """The context of a question's answer: what it named, and its wording as the cards read it."""
        context: dict[str, Any] = {k: v for k, v in u.slots.items() if k != "email"}
        masked = self.masked(text)
        if masked:
            context["masked"] = masked  # the question with device names as "phone": what a card's paraphrase reads like
        asked = self._asked(text, in_task=in_task)
        if asked:
            context["asked"] = asked  # the question alone, without the story told before it
        named = [m.device.name for m in mentions if m.device is not None]
        if named and "device_model" not in context:
            context["device_model"] = named[0]
        return context

    def masked(self, text: str) -> str | None:
        """The text with its device names masked, when it names one."""
        mentions = self.understander.devices.find_all(text)
        if not any(m.device is not None or m.candidates for m in mentions):
            return None
        return self.understander.view(text, mentions, by_kind=True)[1]

    def _asked(self, text: str, *, in_task: bool) -> str | None:
        """The question of a message that tells a story first, masked like the whole (question_shape.asked_part);
        in a task, also without its lead-in ("before I choose, which one pays sooner?": question_shape.question_core),
        measured on the dev sets: outside a task the lead-in carries too much of the question to drop."""
        asked = shape.question_core(text) if in_task else shape.asked_part(text)
        if asked == text:
            return None
        return self.masked(asked) or asked

    def device_fact(self, text: str) -> Answer | None:
        """A question about one device's catalog facts ("what storage does the pixel 8 come in"), or about two
        side by side ("is a pixel 7 pro worse for the planet than a pixel 7?")."""
        mentions = self.understander.devices.find_all(text)
        named = next((m for m in mentions if m.device is not None or m.unknown), None)
        devices = list(dict.fromkeys(m.device.name for m in mentions if m.device is not None))
        if len(devices) == 1 and named is not None:  # "macbook air m1 vs m2": the second one in the first's family
            second = self.understander.target_after(text, named)
            if second is not None and second.device is not None and second.device.name not in devices:
                devices.append(second.device.name)
        kind = acts.device_fact(text, paired=len(devices) == 2)
        if kind is None:
            return None
        if len(devices) == 2 and kind in PAIRED_FACTS:
            return Answer(text, device_fact=(kind, *devices))
        if named is None or len(devices) > 1:
            return None
        if named.device is not None:
            return Answer(text, device_fact=(kind, named.device.name))
        return Answer(text, unknown_device=named.unknown)

    def pair_in_view(self, text: str, pair: tuple[str, ...]) -> Answer | None:
        """"How do they compare on carbon footprint?" after a side by side: that fact for both devices shown."""
        if len(pair) != 2 or self.understander.devices.find_all(text):
            return None
        first, second = pair
        kind = acts.device_fact(text, paired=True)
        return Answer(text, device_fact=(kind, first, second)) if kind in PAIRED_FACTS else None

    def fits_condition(self, text: str) -> str | None:
        """The trade-in condition a description fits, when the shopper asks which one it is."""
        if not acts.asks_which_condition(text):
            return None
        return self.understander.own_device_facts(acts.statement_part(text) or text).get("condition") or \
            self.understander.own_device_facts(text).get("condition")


PAIRED_FACTS = frozenset({"co2e"})  # facts given for two devices side by side


def unknown_device(u: Understanding, text: str = "") -> str | None:
    """The device the message named that the catalog does not have, if any (not one another company's program
    is asked about: "apple trade in value for an ipad pro?" is answered from what Apple publishes)."""
    if text and acts.about_other_program(text):
        return other_product(text)  # Apple's trade-in values cover iPads we lack, not watches
    if u.device is not None and u.device.unknown:
        return u.device.unknown
    return other_product(text) if text and u.device is None else None
