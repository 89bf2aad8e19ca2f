"""The reading of a message outside a task: small talk, a task to start, a person needed, or a question.

A question is answered first, even when it names a device, and the task it suggests is offered beside the
answer; only a request ("sell my...", "how much for...") starts a task at once.
"""

from __future__ import annotations

import re

from bot.nlu import people
from bot.nlu import question_shape as shape
from bot.nlu import speech_acts as acts
from bot.nlu import task_talk as talk
from bot.nlu.asked_about import AskedAbout, unknown_device
from bot.nlu.commands import TASKS, Answer, CannotHandle, Command, Handoff, SmallTalk, StartFlow
from bot.nlu.in_view import DEVICE_FACT_SLOTS, InViewReader
from bot.nlu.llm_fallback import Extractor, understand
from bot.nlu.reading_context import ReadingContext
from bot.nlu.task_start import task_start, upgrade_if_owned
from bot.nlu.understand import Understander, Understanding, is_owned

__all__ = ["SMALL_TALK", "WHAT_ABOUT_DEVICE", "OpeningReader"]

NEEDS_PERSON = "a problem for a person"  # read as one by the rules and the learned model, not by a named topic
LIKELY_PERSON = 0.5  # the combined confidence above which a first-person problem goes to a person
SMALL_TALK = frozenset({"greet", "help", "thanks"})  # the understanding's purposes that are small talk kinds
# Rules alone never say "fallback" above 0.5; above it the learned model agrees the message is off topic.
SURELY_OFF_TOPIC = 0.5
SHORT_FOLLOW_UP = 4  # words once the device is masked: "and the <phone>?" names a device and asks nothing else
OWN_INSTEAD_WORDS = 9  # "ok, what about my pixel 7 then?": short; a longer message asks more than that
WHAT_ABOUT_DEVICE = re.compile(r"\b(?:what|wat|wut|how) (?:about|abt|bout)\b")  # "ok, what about my pixel 7 then?"
# "I also have my old iPhone 12 in the same box. How about that one?": the device told, then pointed at
_WHAT_ABOUT_THAT = re.compile(r"\b(?:what|how) (?:about|abt) (?:that|this|it|that one|this one|mine|that instead)\b")


class OpeningReader:
    """Reads a message when no task waits on a question."""

    def __init__(self, understander: Understander, extractor: Extractor | None, in_view: InViewReader,
                 asked: AskedAbout) -> None:
        self.understander, self.extractor, self.in_view, self.asked = understander, extractor, in_view, asked

    def read(self, text: str, ctx: ReadingContext) -> tuple[Command, ...]:
        """A message outside a task: small talk, a task to start, or a question."""
        fact = self.asked.device_fact(text) or self.asked.pair_in_view(text, ctx.last_pair)
        if fact is not None:
            return (fact,)
        in_view = self.in_view.read(text, ctx)
        if in_view is not None:
            return in_view
        instead = self._own_device_instead(text)
        if instead is not None:
            return (instead,)
        u = understand(self.understander, self.extractor, text)
        question = shape.is_question(text)
        if u.intent in SMALL_TALK and not (question and shape.asked_part(text) != text):
            return (SmallTalk(u.intent),)  # (but "thank you. when can i expect a reply?" asks something)
        if "device_model" not in u.slots and acts.shops_on_budget(text):
            u = Understanding("compare", u.confidence, u.slots, u.device, u.target)  # "a macbook under 700"
        if u.intent not in TASKS and "device_model" in u.slots and acts.requests_task(text):
            u = Understanding("compare", u.confidence, u.slots, u.device, u.target)  # "co2 of a refurb 14 vs new"
        if ctx.pending in TASKS and "device_model" in u.slots and not question and not acts.requests_task(text):
            # "galaxy s22" after "it's on t-mobile and cracked, can i still sell it?": the task just offered
            u = Understanding(ctx.pending, u.confidence, u.slots, u.device, u.target)
        u = upgrade_if_owned(self.understander, text, u)
        if u.intent == "upgrade" and "target_model" in u.slots and talk.wants_side_by_side(text) and \
                not acts.trades_own(text):  # "torn between a refurb s23 and a refurb pixel 8": both to buy
            slots = {k: v for k, v in u.slots.items() if k != "target_model"}
            u = Understanding("compare", u.confidence, {**slots, "compare_with": u.slots["target_model"]}, u.device,
                              u.target)
        task = u.intent if u.intent in TASKS else self.understander.rule_intent(text)
        for_device = self.in_view.task_for_device(text, ctx, str(task)) if task in TASKS else None
        if for_device is not None:
            return (for_device,)
        if u.intent in TASKS:
            start = task_start(self.understander, text, u)
            several = [m for m in self.understander.devices.find_all(text) if m.device is not None]
            if u.intent == "upgrade" and len(several) >= 2 and acts.several_devices(text):
                # the facts next to the first device are its own ("13 mini 128 unlocked good"): the reading of
                # the whole message keeps a bare size after the model, which the facts alone do not
                facts = {k: v for k, v in u.slots.items() if k in DEVICE_FACT_SLOTS}
                first = {**facts, **self.in_view.device_facts(text), "device_model": several[0].device.name}  # type: ignore[union-attr]
                return (SmallTalk("one_at_a_time"), StartFlow("trade_in", first))
            device = "device_model" in start.slots or "budget_usd" in start.slots
            own = acts.states_own_facts(text)
            aside = self._aside(text, u, start) if device else ()
            if aside:
                return (*aside, start)
            fits = self.asked.fits_condition(text) if question else None
            if fits is not None:  # "my ipad's charging port is busted, can i sell it as good?": what it is, by definition
                return (Answer(text, context=self.asked.context(u, [], text), offer=start, fits_condition=fits),)
            if "compare_with" in start.slots and (question or talk.wants_side_by_side(text)) and (
                    talk.asks_between(text) or talk.wants_side_by_side(text)):
                return (start,)  # "a refurb s23 or a pixel 8, which one is cheaper?": the side by side answers it
            if "target_model" in start.slots and question and talk.asks_if_feasible(text):
                return (start,)  # "my s21 for a refurb s23, $300 extra. doable?": the upgrade math answers it
            if (acts.requests_task(text) and (device or own or not question or acts.polite_request(text)
                                              or acts.asks_for_offer(text))) or "budget_usd" in start.slots:
                return (start,)
            if question or not device:
                # "does a refurb galaxy s23 come unlocked for verizon?": the answer first, then the task offered.
                # A question no card answers is declined with the task offered ("am i covered if my m2 dies?" is
                # not a trade-in); a statement of the shopper's own device with no card starts the task.
                short = len((self.asked.masked(text) or text).split()) <= SHORT_FOLLOW_UP  # "and the pixel 8 pro?"
                described = any(k in start.slots for k in DEVICE_FACT_SLOTS)  # "macbook air m1 256, fair-ish?"
                fallback = start if (device or own) and (short or described or not question) else None
                return (Answer(text, context=self.asked.context(u, [], text), otherwise=fallback,
                               offer=start if device else None, unknown_device=unknown_device(u, text),
                               fits_condition=self.asked.fits_condition(text)),)
            return (start,)
        if u.intent == "handoff" and u.confidence >= LIKELY_PERSON and people.about_own_problem(text):
            return (Handoff(NEEDS_PERSON),)  # the rules and the model agree a person is needed: a problem of theirs
        if people.frustrated(text):
            return (SmallTalk("frustrated"),)
        if u.intent == "fallback" and u.confidence > SURELY_OFF_TOPIC:
            if not question:
                return (CannotHandle(),)
            # Most likely off topic ("what time is it in london"): a card may still know it; if not, the menu.
            return (Answer(text, context=self.asked.context(u, [], text), off_topic=True,
                           unknown_device=unknown_device(u, text)),)
        if u.intent == "faq" or question or len(text.split()) >= 2:
            return (Answer(text, context=self.asked.context(u, [], text), unknown_device=unknown_device(u, text)),)
        if u.device is not None and u.device.unknown:
            return (Answer(text, context=self.asked.context(u, [], text), unknown_device=unknown_device(u, text)),)
        return (CannotHandle(),)

    def _aside(self, text: str, u: Understanding, start: StartFlow) -> tuple[Command, ...]:
        """"selling my 11 pro max 256 unlocked, do i have to pay to ship it?": the question beside the request,
        answered first (in the task's journey, and only when a card is sure), then the task starts."""
        aside = shape.question_aside(text)
        if aside is None or acts.requests_task(aside) or acts.asks_for_offer(aside):
            return ()
        request = text[:text.rfind(aside)]
        if not (acts.requests_task(request) or acts.offers_own(request)):
            return ()  # "my 13 is cracked, do you still buy it?": a question about the device, not beside a request
        return (Answer(aside, context=self.asked.context(u, [], aside), aside_of=start.purpose),)

    def _own_device_instead(self, text: str) -> StartFlow | None:
        """"Okay. What about my Galaxy S21 then?" after a model we do not buy: that one, to sell."""
        asked = re.split(r"(?<=[.!?])\s+", text.strip())[-1]  # the last sentence points at the device told before it
        pointed = _WHAT_ABOUT_THAT.search(asked.casefold()) is not None and len(asked.split()) <= OWN_INSTEAD_WORDS
        if not pointed and (not WHAT_ABOUT_DEVICE.search(text.casefold()) or len(text.split()) > OWN_INSTEAD_WORDS):
            return None
        known = [m for m in self.understander.devices.find_all(text) if m.device is not None]
        if len(known) != 1 or not is_owned(text, known[0]):
            return None
        return StartFlow("trade_in", {**self.in_view.device_facts(text), "device_model": known[0].device.name})  # type: ignore[union-attr]
