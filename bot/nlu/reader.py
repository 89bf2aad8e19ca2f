"""The command generator: a message (and where the conversation stands) in, commands out.

The deterministic reading, in order of precedence: control (back, restart, cancel), people (a person asked
for, an always-human complaint, "are you a bot?"), refusals by policy, then what the message states and asks.
A question is never an Affirm; a device named in a question is context for the answer, not a slot.
"""

from __future__ import annotations

import re
from typing import Any

from bot.catalog import Device
from bot.nlu import consent, payout, people
from bot.nlu import question_shape as shape
from bot.nlu import speech_acts as acts
from bot.nlu import task_talk as talk
from bot.nlu.answers import parse_answer
from bot.nlu.asked_about import AskedAbout, unknown_device
from bot.nlu.buttons import read_payload
from bot.nlu.commands import (
    ASKED_FOR_PERSON,
    TASKS,
    Affirm,
    Answer,
    Cancel,
    CannotHandle,
    Command,
    Deny,
    GoBack,
    Handoff,
    RecallOffer,
    Refuse,
    Restart,
    SetSlots,
    SmallTalk,
    StartFlow,
)
from bot.nlu.decisions import read_decision
from bot.nlu.devices import DeviceMention
from bot.nlu.in_view import RESULT_DEVICES, InViewReader
from bot.nlu.llm_commands import generator_for
from bot.nlu.llm_fallback import Extractor
from bot.nlu.opening import SMALL_TALK, WHAT_ABOUT_DEVICE, OpeningReader
from bot.nlu.reading_context import ReadingContext
from bot.nlu.understand import Understander, upgraded_to

_BATTERY_WORD = re.compile(r"\bbatt(?:ery)?\b")  # "batt is 76% does that hurt the price": the reading is its health
SELLING = frozenset({"trade_in", "upgrade"})  # the understanding's purposes that sell the shopper's device
DEVICE_CHOICES = ("target_model",)  # a device named at the question "another one?" after the upgrade math
BARE_VALUE_WORDS = 2  # "fair", "t mobile": short enough to be nothing but a value
CORRECTION_WORDS = 5  # "oops, i meant 256 sorry": a correction cue around a bare value
BARE_VALUE_SLOTS = ("condition", "carrier", "storage_gb")  # values that cannot be mistaken for anything else
PERCENT = re.compile(r"\b(\d{1,3})\s?(?:%|percent\b|pct\b)")  # a bare battery reading needs its unit
MAX_PERCENT = 100
DECISIONS = ("accept", "reconsider")  # yes/no questions about an offer (others are about the device)


# "forget the ipad, can i sell my macbook instead?": the task's device is switched, not asked about
_SWITCHES_DEVICE = re.compile(r"\b(?:instead|forget (?:the|my|about)|rather sell|i meant|i mean)\b")


class CommandReader:
    """Reads typed text and button payloads as commands."""

    def __init__(self, understander: Understander, extractor: Extractor | None = None) -> None:
        self.understander = understander
        self.in_view = InViewReader(understander)
        self.asked = AskedAbout(understander)
        self.extractor = extractor  # the optional LLM's reading of an opening message the rules are unsure of
        self.generator = generator_for(extractor, understander.devices)  # the LLM's commands (None: no LLM)
        self.opening = OpeningReader(understander, extractor, self.in_view, self.asked)

    # typed text -----------------------------------------------------------------------------------------

    def read(self, text: str, ctx: ReadingContext) -> tuple[Command, ...]:
        """The commands of one typed message: the rules' reading, merged with the optional LLM's (llm_commands)."""
        commands = self._read_rules(text, ctx)
        return commands if self.generator is None else self.generator.read(text, ctx, commands)

    def _read_rules(self, text: str, ctx: ReadingContext) -> tuple[Command, ...]:
        """The deterministic reading of one typed message."""
        if not any(ch.isalnum() for ch in text):
            return (CannotHandle(),)
        control = self._control(text, ctx)
        if control is not None:
            return control
        if ctx.last_refusal is not None and people.presses_refused(text) and not self._names_new_device(text, ctx):
            return (Refuse(ctx.last_refusal),)  # "even for parts?", "what if nobody claims it?": still no
        in_task = ctx.flow_intent is not None and not ctx.passive
        if in_task:
            return self._in_task(text, ctx)
        if ctx.passive and ctx.awaited:
            answered = self._answers_awaited(text, ctx)
            if answered is not None:
                return answered
        return self.opening.read(text, ctx)

    def _control(self, text: str, ctx: ReadingContext) -> tuple[Command, ...] | None:
        """Back, start over, cancel, a person, a complaint, "are you a bot?", a refusal: these win."""
        if talk.goes_back(text):
            return (GoBack(),)
        if talk.recalls_offer(text):
            return (RecallOffer(),)
        decided = read_decision(text, ctx, self.understander.devices) if ctx.awaited in DECISIONS else None
        if decided is not None:
            return decided
        u = self.understander
        rule_intent = u.rule_intent(text)  # the rules alone: cancel and restart are anchored patterns
        if rule_intent == "restart":
            return (Restart(),)
        if rule_intent == "cancel" and not (ctx.flow_intent is not None and self._states_facts(text)):
            return (Cancel(),)  # "scratch that, it's unlocked" / "nvm, 256 was right" correct; they don't cancel
        if people.asks_identity(text):
            return (SmallTalk("identity"),)
        reason = people.complaint(text)
        if reason is not None and people.other_shops_order(text, reason):
            return (SmallTalk("other_shop"),)
        if reason is not None:
            return (Handoff(reason),)
        if people.asks_for_person(text):
            return (Handoff(ASKED_FOR_PERSON),)
        selling = ctx.flow_intent in SELLING or rule_intent in SELLING or acts.asks_price_or_request(text)
        rule = people.refusal(text)
        if rule is not None and (selling or rule in ("lost_or_stolen", "blacklisted", "financed")):
            return (Refuse(rule, to_person=people.own_case_for_person(text, rule)),)
        if acts.other_language(text):  # a person asked for in another language is still a person asked for
            return (Handoff(ASKED_FOR_PERSON),) if people.asks_for_person_elsewhere(text) else (SmallTalk("other_language"),)
        return None

    def _in_task(self, text: str, ctx: ReadingContext) -> tuple[Command, ...]:
        """A message while a task waits on a question: its answer, other facts, a side question, or a new task."""
        if ctx.awaited is not None and talk.holds_on(text) and not self._states_facts(text):
            return (SmallTalk("hold_on"),)  # "hang on, let me check the settings": the question stays
        question = shape.is_question(text) and not (ctx.awaited_is_yes_no and consent.rhetorical_yes(text))
        mentions = self.understander.devices.affirmed(text)
        if len(mentions) > 1:  # "upgrading to a galaxy s24 ... it's an iphone 13": not the one upgraded to
            mentions = [m for m in mentions if not upgraded_to(text, m)] or mentions
        known = [m.device for m in mentions if m.device is not None]
        if ctx.awaited == "device_model" and ctx.candidates and not known:
            picked = self.understander.devices.pick(ctx.candidates, text)  # "10th gen" under "which one?"
            if picked is not None:
                return (SetSlots({**self._stated(text, ctx, mentions, lenient=False), "device_model": picked.name}),)
            if not question and self._states_facts(text):  # "it has 256 gb": kept, and "which one?" asked again
                return (SetSlots({**self._stated(text, ctx, mentions, lenient=False), "device_model": ctx.candidates}),)
        target = ctx.slots.get("target_model")
        if target and not known and (acts.corrects(text) or acts.refines(text) or shape.follows_up(text)):
            sibling = self.in_view.sibling_of(text, str(target))  # "what about the 9 pro instead" in the upgrade math
            if sibling is not None:
                return (self._new_target(sibling.name, ctx),)
        if target and len(known) == 1 and known[0].name not in (target, ctx.device.name if ctx.device else None) \
                and acts.swaps_target(text):  # "how would the numbers look with a pixel 9 pro?" in the upgrade math
            return (self._new_target(known[0].name, ctx),)
        if not known and not mentions and question and ctx.device is not None:
            nearby = self.understander.devices.short_reference(ctx.device, text)  # "how much is a refurb 15?"
            known = [nearby] if nearby is not None else []
        other_device = self._names_other_device(known, ctx)
        if ctx.awaited_is_yes_no and not question:
            if consent.accepts_offer_only(text) and ctx.awaited not in DECISIONS:
                return (CannotHandle(),)  # "accept" at "have you removed Find My?" answers nothing
            if consent.is_yes(text):
                return (Affirm(),)
            if consent.is_no(text):
                return (Deny(),)
        if question and ctx.awaited == "device_model" and len(known) == 1 and (
                WHAT_ABOUT_DEVICE.search(text.casefold()) or len(text.split()) <= BARE_VALUE_WORDS):
            # "ok, what about my pixel 7 then?" at "which device would you like to sell?": the answer to it
            return (SetSlots({**self.in_view.device_facts(text), "device_model": known[0].name}),)
        if question:
            fact = self.asked.device_fact(text)
            if fact is not None:
                return (fact,)
            result = self._about_result_shown(text, ctx, known)
            if result is not None:
                return (result,)
            commands: list[Command] = []
            stated = acts.statement_part(text)
            # "256. and what's a refurbished 15 going for?": the size answers the task; the other device is asked about
            stated_for_task = not self._names_other_device(
                [m.device for m in self.understander.devices.affirmed(stated) if m.device is not None], ctx) \
                if stated else not other_device
            battery = PERCENT.search(stated or text) if _BATTERY_WORD.search(text.casefold()) else None
            if stated_for_task and (acts.states_own_facts(text) or stated or battery):
                short_answer = bool(stated) and len(stated.split()) <= BARE_VALUE_WORDS  # "256. and what's...?"
                facts = self._stated(stated or text, ctx, mentions, lenient=short_answer)
                facts.pop("device_model", None)
                if ctx.awaited_is_yes_no and ctx.awaited is not None:
                    facts.pop(ctx.awaited, None)  # "sure... do i need to reset it first": a question is never a yes
                if acts.unsure(text) or acts.asks_which_condition(text):
                    facts.pop("condition", None)  # "mine has a few scratches, i can't tell which one it is"
                if battery is not None and "battery_health_pct" not in facts and int(battery.group(1)) <= MAX_PERCENT:
                    facts["battery_health_pct"] = int(battery.group(1))  # "does battery matter? mine is at 76%"
                if facts:
                    commands.append(SetSlots(facts))
            if ctx.awaited_is_yes_no and ctx.awaited not in DECISIONS and stated and acts.denies(stated):
                commands.append(Deny())  # "oh dear, i haven't done that yet. is that a problem?": a no, then a question
            u = self.understander.understand(text, learned=False)
            if ctx.flow_intent in SELLING and other_device and u.intent not in SELLING and not commands and acts.asks_price(text):
                # "btw how much is a refurbished 15 in excellent?" while selling: its prices, and the task stays
                return (Answer(text, device_fact=("prices", next(d.name for d in known if d.name != ctx.device.name))),)  # type: ignore[union-attr]
            # (never the task in progress again: a device in a side question is not the one being quoted)
            if u.intent in TASKS and acts.asks_price_or_request(text) and (
                    u.intent != ctx.flow_intent or _SWITCHES_DEVICE.search(text.casefold())) and (
                    not commands or (bool(stated) and stated_for_task)):
                return (*commands, StartFlow(u.intent, u.slots))  # "and what would a refurb 15 cost?" mid trade-in
            # the answer first, then the facts: the reply answers the question and the task's next question follows
            answer = Answer(text, context=self.asked.context(u, mentions, text, in_task=True), unknown_device=unknown_device(u, text),
                            fits_condition=self.asked.fits_condition(text))
            return (answer, *commands)
        if ctx.flow_intent in SELLING and other_device and ctx.awaited != "device_model" and acts.asks_price(text) \
                and talk.asks_to_buy(text):  # "sorry, first please tell me the price of a refurbished pixel 8"
            return (Answer(text, device_fact=("prices", next(d.name for d in known if d.name != ctx.device.name))),)  # type: ignore[union-attr]
        if other_device and ctx.awaited != "device_model" and not acts.corrects(text):
            u = self.understander.understand(text, learned=False)
            facts = self._stated(text, ctx, mentions, lenient=False)
            facts.pop("device_model", None)
            commands = [SetSlots(facts)] if facts and acts.states_own_facts(text) else []
            if u.intent in TASKS and u.intent != ctx.flow_intent and acts.asks_price_or_request(text):
                return (*commands, StartFlow(u.intent, u.slots))
            return (*commands, Answer(text, context=self.asked.context(u, mentions, text, in_task=True), unknown_device=unknown_device(u, text)))
        facts = self._stated(text, ctx, mentions, lenient=True)
        named = {d.name for d in known}
        if ctx.device is not None and len(named) == 2 and ctx.device.name in named and acts.corrects(text):
            # "it's not the regular iphone 13 at all, it's the iphone 13 pro max": the other one is the device
            facts["device_model"] = next(name for name in named if name != ctx.device.name)
        if ctx.device is not None and not known and acts.corrects(text):
            sibling = self.in_view.sibling_of(text, ctx.device.name)  # "oh wait, it's actually the pro max"
            if sibling is not None:
                facts["device_model"] = sibling.name
        if len({d.name for d in known}) >= 2 and acts.several_devices(text):
            first = known[0]
            return (SmallTalk("one_at_a_time"), SetSlots({"device_model": first.name}))
        if not facts and len(text.split()) <= BARE_VALUE_WORDS:
            facts = self._bare_value(text, ctx)  # "fair" after the offer: a new answer to an earlier question
        if not facts and acts.corrects(text) and len(text.split()) <= CORRECTION_WORDS:
            value = acts.without_correction_cue(text)  # "oops meant 256": the value, without the "oops meant"
            if value and len(value.split()) <= BARE_VALUE_WORDS:
                facts = self._bare_value(value, ctx)
        if facts:
            return (SetSlots(facts),)
        u = self.understander.understand(text, learned=False)
        if u.intent in TASKS and u.intent != ctx.flow_intent and (known or acts.asks_price_or_request(text)):
            return (StartFlow(u.intent, u.slots),)
        if u.intent in SMALL_TALK:
            return (SmallTalk(u.intent),)
        if people.frustrated(text):
            return (SmallTalk("frustrated"),)
        if len(text.split()) >= 3:
            return (Answer(text, context=self.asked.context(u, mentions, text, in_task=True), unknown_device=unknown_device(u, text)),)
        return (CannotHandle(),)

    @staticmethod
    def _about_result_shown(text: str, ctx: ReadingContext, known: list[Device]) -> Answer | None:
        """"vs just buying the 8 new?" at the offer under the upgrade math: the other device's price, new and
        refurbished, and the offer stays on screen."""
        target = next((str(ctx.slots[k]) for k in RESULT_DEVICES if ctx.slots.get(k)), None)
        if target is None or not acts.asks_about_result(text) or any(d.name != target for d in known):
            return None
        return Answer(text, device_fact=("new_price", target))

    def _bare_value(self, text: str, ctx: ReadingContext) -> dict[str, Any]:
        """A one- or two-word value of a question the task asked before ("fair", "t-mobile", "256")."""
        for slot in BARE_VALUE_SLOTS:  # a fact the task holds or will ask for: "fair" at the carrier question
            if slot == ctx.awaited or (slot not in ctx.slots and slot not in ctx.flow_slots):
                continue
            parsed = parse_answer(slot, text, devices=self.understander.devices, device=ctx.device)
            if parsed.ok and parsed.value is not None:
                return {slot: parsed.value}
        percent = PERCENT.search(text)  # "76%" after an offer that says a weak battery changes it
        if percent and "battery_health_pct" in ctx.flow_slots and 1 <= int(percent.group(1)) <= MAX_PERCENT:
            return {"battery_health_pct": int(percent.group(1))}
        return {}

    def _answers_awaited(self, text: str, ctx: ReadingContext) -> tuple[Command, ...] | None:
        """At a question one may walk away from, only a clear answer to it counts as one."""
        assert ctx.awaited is not None
        if ctx.yes_starts is not None and consent.is_yes(text):
            return (StartFlow(ctx.yes_starts, {}),)  # "yes, please go ahead with that" under the upgrade math
        if ctx.awaited_is_yes_no:
            taken = consent.wants_offer(text) or (ctx.awaited in DECISIONS and consent.accepts_offer_only(text))
            return (Affirm(),) if taken else None
        if ctx.awaited in DEVICE_CHOICES:  # "and if i went with the 16 plus instead?": the math for another one
            target = ctx.slots.get(ctx.awaited)
            family = self.understander.catalog.by_name(str(target)) if target else None
            parsed = parse_answer(ctx.awaited, text, devices=self.understander.devices, device=family)
            own = ctx.slots.get("device_model")  # "i've turned off find my on the iphone 11" names the own device
            return (SetSlots({ctx.awaited: parsed.value}),) if parsed.ok and parsed.value not in (target, own) else None
        refining = acts.refines(text)  # "what about the 256gb one"
        if shape.is_question(text) and len(text.split()) > BARE_VALUE_WORDS and not refining:
            return None  # "256gb?" still picks the size; a longer question is a question
        parsed = parse_answer(ctx.awaited, text, devices=self.understander.devices, device=ctx.device)
        if parsed.ok and (len(text.split()) <= 3 or refining):
            return (SetSlots({ctx.awaited: parsed.value}),)
        return None

    def _states_facts(self, text: str) -> bool:
        """Whether the message gives a fact about a device (a value or a model), whatever else it says."""
        return bool(self.understander.slots_in(text)) or any(
            m.device is not None for m in self.understander.devices.affirmed(text))

    def _stated(self, text: str, ctx: ReadingContext, mentions: list[DeviceMention], *,
                lenient: bool) -> dict[str, Any]:
        """Every fact about the task's device the message states: the awaited one read leniently."""
        found: dict[str, Any] = {}
        if lenient and ctx.awaited:
            parsed = parse_answer(ctx.awaited, text, devices=self.understander.devices, device=ctx.device)
            if parsed.ok:
                found[ctx.awaited] = parsed.value
            elif parsed.candidates:
                found[ctx.awaited] = tuple(d.name for d in parsed.candidates)
            elif parsed.unknown_device:
                found[ctx.awaited] = parsed.unknown_device
            elif parsed.problem and ctx.awaited == "email" and not self.understander.slots_in(text):
                found[ctx.awaited] = text.strip()  # validated (and refused with a reason) by the processor
        for name, value in self.understander.slots_in(text).items():
            if name in ctx.flow_slots and name not in found and name != "email":
                found[name] = value
        if "payout_method" in ctx.flow_slots and "payout_method" not in found and not (
                ctx.awaited in DECISIONS and consent.names_amount(text)):  # "apply $999 and book it, payout paypal"
            method = payout.payout_named(text)
            if method is not None:
                found["payout_method"] = method
        email = self.understander.slots_in(text).get("email")
        if email and "email" in ctx.flow_slots:
            found["email"] = email
        known = [m.device for m in mentions if m.device is not None]
        if "storage_gb" in ctx.flow_slots and "storage_gb" not in found and mentions:
            size = self.understander.size_after_model(text, mentions[0])
            if size is not None:
                found["storage_gb"] = size
        # A new device replaces the task's only when said as a correction ("actually it's a 13 pro"), or when
        # none is known yet; otherwise it is another device talked about ("might get a refurb s23").
        replaces = ctx.device is None or (bool(known) and known[0].name != ctx.device.name and acts.corrects(text))
        if known and "device_model" not in found and "device_model" in ctx.flow_slots and replaces:
            found["device_model"] = known[0].name
        if "target_model" in ctx.flow_slots and ctx.awaited == "target_model" and len(known) >= 1:
            found["target_model"] = known[-1].name
            if found.get("device_model") == known[-1].name:
                found.pop("device_model")
        return {k: v for k, v in found.items() if k in ctx.flow_slots}

    def _names_new_device(self, text: str, ctx: ReadingContext) -> bool:
        """Whether the message names a device other than the one talked about last."""
        return any(m.device is not None and m.device.name != ctx.last_device for m in self.understander.devices.find_all(text))

    @staticmethod
    def _new_target(name: str, ctx: ReadingContext) -> Command:
        """Another model to buy under the upgrade math; at the trade-in it led to, the math is made again."""
        if "target_model" in ctx.flow_slots:
            return SetSlots({"target_model": name})
        return StartFlow("upgrade", {"target_model": name})  # the device and its facts carry over

    @staticmethod
    def _names_other_device(devices: list[Device], ctx: ReadingContext) -> bool:
        """Whether these devices include one that is not the task's."""
        return ctx.device is not None and any(d.name != ctx.device.name for d in devices)

    # buttons --------------------------------------------------------------------------------------------

    def read_button(self, payload: str, ctx: ReadingContext) -> tuple[Command, ...]:
        """The commands of a pressed button (see bot/nlu/buttons.py for the payloads)."""
        return read_payload(payload, ctx, self)
