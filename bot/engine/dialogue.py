"""The dialogue manager: route a message to repair, a flow step, an answer or a fallback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.catalog import Device
from bot.domain import Answer, Button, Reply
from bot.engine import replies
from bot.engine.answers import DECISION_SLOTS, from_payload, parse_answer
from bot.engine.turn import Turn
from bot.flows.executor import ActionResult, advance, ask_reply, slot_payload
from bot.flows.model import Collect, Flow
from bot.nlu.intents import looks_like_question
from bot.nlu.llm_fallback import Extractor, understand
from bot.nlu.slots import extract_storage
from bot.nlu.understand import Understander, Understanding
from bot.shop import Shop
from bot.support.handoff import handoff_notice, ticket_summary

FLOW_INTENTS = {"trade_in": "trade_in", "compare": "compare", "upgrade": "upgrade"}
# What a flow may reuse from earlier in the conversation: facts about the shopper's own device.
CARRY = {"trade_in": ("device_model", "device_family", "storage_choice", "storage_gb", "condition", "carrier"),
         "upgrade": ("device_model", "device_family", "storage_choice", "storage_gb", "condition", "carrier"),
         "compare": ()}
SMALL_TALK = frozenset({"greet", "help", "thanks"})
# Rules alone never say "fallback" above 0.5; above it the learned model agrees the message is off topic.
SURELY_OFF_TOPIC = 0.5


class Answerer(Protocol):
    """Anything that answers a knowledge question with sources."""

    def answer(self, question: str) -> Answer: ...



Action = Callable[[Turn, Mapping[str, Any]], ActionResult]


@dataclass(frozen=True)
class DialogueParts:
    """Everything the dialogue manager needs, built once by the composition root."""

    shop: Shop
    understander: Understander
    flows: Mapping[str, Flow]
    actions: Mapping[str, Action]
    button_sources: Mapping[str, Callable[[Mapping[str, Any]], tuple[tuple[str, str], ...]]]
    answerer: Answerer
    extractor: Extractor | None = None


class Dialogue:
    """One turn of conversation over a Turn scratchpad; no I/O of its own beyond the turn's store."""

    def __init__(self, parts: DialogueParts) -> None:
        self.p = parts

    # entry points -------------------------------------------------------------------------------

    def on_text(self, turn: Turn, text: str) -> list[Reply]:
        """Handle typed text."""
        understanding = self.understand(text, in_flow=turn.state.flow is not None)
        turn.intent = understanding.intent
        if understanding.intent == "cancel":
            return self._cancel(turn)
        if understanding.intent == "restart":
            return self._restart(turn)
        if understanding.intent == "handoff":
            return self._handoff(turn, reason="asked for a person")
        if turn.state.flow is not None:
            return self._in_flow(turn, text, understanding)
        return self._route(turn, text, understanding)

    def understand(self, text: str, *, in_flow: bool = False) -> Understanding:
        """Rules, then (outside a flow, where a message is not an answer to a question) the second opinions."""
        return understand(self.p.understander, self.p.extractor, text, in_flow=in_flow)

    def on_button(self, turn: Turn, payload: str) -> list[Reply]:
        """Handle a pressed button (payloads 'i:<intent>' or 's:<slot>=<value>')."""
        if payload.startswith("i:"):
            intent = payload[2:]
            turn.intent = intent
            if intent == "handoff":
                return self._handoff(turn, reason="asked for a person")
            if intent == "cancel":
                return self._cancel(turn)
            return self._route(turn, "", Understanding(intent, 1.0))
        if payload.startswith("s:") and "=" in payload:
            slot, raw = payload[2:].split("=", 1)
            return self._slot_button(turn, slot, raw)
        if payload.startswith("q:"):  # a suggested question
            return self.on_text(turn, payload[2:])
        if payload.startswith("c:") and self.p.shop.catalog.by_name(payload[2:]):  # compare this device
            turn.intent = "compare"
            return self._start_flow(turn, "compare", Understanding("compare", 1.0, {"device_model": payload[2:]}))
        turn.intent = "fallback"
        return [replies.stale_button(), *self._current_prompt(turn)]

    # routing --------------------------------------------------------------------------------------

    def _route(self, turn: Turn, text: str, u: Understanding) -> list[Reply]:
        state = turn.state
        if u.intent in FLOW_INTENTS and FLOW_INTENTS[u.intent] in self.p.flows:
            state.fallbacks = 0
            return self._start_flow(turn, FLOW_INTENTS[u.intent], u)
        if u.intent == "greet":
            state.fallbacks = 0
            return [replies.greeting(self.p.shop.policy["shop"]["name"])]
        if u.intent == "help":
            return [replies.help_text()]
        if u.intent == "thanks":
            return [replies.thanks()]
        if u.intent == "faq" and not text:
            return [Reply("Sure! Ask me anything about refurbished devices: grades, warranty, returns, battery, "
                          "shipping, payouts or how to prepare a trade-in.")]
        return self._answer_or_fallback(turn, text, u)

    def _answer_or_fallback(self, turn: Turn, text: str, u: Understanding) -> list[Reply]:
        asked = text and worth_asking_knowledge(text, u.intent, in_flow=False, confidence=u.confidence)
        answer = self.p.answerer.answer(text) if asked else None
        if answer is not None and answer.confident:
            turn.intent = "faq"
            turn.state.fallbacks = 0
            turn.sources.extend(answer.sources)
            return [Reply(answer.text)]
        if u.device is not None and u.device.unknown:
            return [self._unknown_device(u.device.unknown)]
        turn.intent = "faq" if u.intent == "faq" else "fallback"
        turn.state.fallbacks += 1
        if turn.state.fallbacks >= 2:
            return self._handoff(turn, reason="bot did not understand twice")
        if u.intent == "faq":
            return [Reply("I don't have a reliable answer to that in my knowledge base. "
                          "Would you like a person to help?",
                          (Button("Talk to a person", "i:handoff"), *replies.MENU[:2]))]
        return [replies.fallback(repeated=False)]

    # flows ----------------------------------------------------------------------------------------

    def _start_flow(self, turn: Turn, flow_name: str, u: Understanding) -> list[Reply]:
        state = turn.state
        carried = {k: v for k, v in state.slots.items() if k in CARRY.get(flow_name, ())}
        state.flow, state.step = flow_name, None
        state.slots = carried
        notes = self._apply_slots(turn, dict(u.slots), u)
        first = self.p.flows[flow_name].steps[0]
        if (isinstance(first, Collect) and first.slot == "device_model" and "device_model" not in state.slots
                and u.device is not None and 1 < len(u.device.candidates) <= 8):
            state.step = first.id  # "a macbook air": ask which one, right away
            return [*notes, self._which_device(u.device.candidates)]
        return notes + self._advance(turn, first.id)

    def _in_flow(self, turn: Turn, text: str, u: Understanding) -> list[Reply]:
        state = turn.state
        flow = self.p.flows[state.flow or ""]
        awaited = flow.step(state.step) if state.step else None
        updates = {k: v for k, v in u.slots.items() if k in flow.slots and k not in DECISION_SLOTS}
        notes: list[Reply] = []
        device = self._device(state.slots)
        waiting_for = awaited.slot if isinstance(awaited, Collect) else None
        if "storage_gb" in flow.slots and "storage_gb" not in updates and device and waiting_for != "storage_gb":
            size = extract_storage(text, bare_number=True)  # "actually it's 256"
            if size in device.storage_gb and (size > 100 or waiting_for != "battery_health_pct"):
                updates["storage_gb"] = size
        if isinstance(awaited, Collect) and awaited.slot not in updates:
            parsed = parse_answer(awaited.slot, text, devices=self.p.understander.devices,
                                  device=self._device(state.slots))
            if parsed.ok:
                updates[awaited.slot] = parsed.value
            elif parsed.candidates and not updates:
                return [self._which_device(parsed.candidates)]
            elif parsed.unknown_device and not updates:
                return [self._unknown_device(parsed.unknown_device)]
            elif parsed.problem and not updates:
                return [Reply(parsed.problem), ask_reply(awaited, state.slots, self._buttons)]
        if updates:
            state.fallbacks = 0
            turn.intent = turn.intent if turn.intent not in ("fallback", "faq") else state.flow
            return self._continue_with(turn, flow, awaited, updates, u)
        if u.intent in FLOW_INTENTS and FLOW_INTENTS[u.intent] != state.flow:
            return self._start_flow(turn, FLOW_INTENTS[u.intent], u)
        if u.intent in SMALL_TALK:
            return self._route(turn, text, u) + self._current_prompt(turn, resume=True)
        answer = (self.p.answerer.answer(text)
                  if worth_asking_knowledge(text, u.intent, in_flow=True, confidence=u.confidence) else None)
        if answer is not None and answer.confident:  # a digression: answer it, then resume the flow
            turn.intent = "faq"
            turn.sources.extend(answer.sources)
            return [Reply(answer.text), *self._current_prompt(turn, resume=True)]
        state.fallbacks += 1
        if state.fallbacks >= 3:
            return self._handoff(turn, reason="bot did not understand mid-flow")
        turn.intent = "fallback"
        return [Reply("Sorry, I didn't get that."), *notes, *self._current_prompt(turn)]

    def _continue_with(self, turn: Turn, flow: Flow, awaited: Any, updates: dict[str, Any],
                       u: Understanding) -> list[Reply]:
        state = turn.state
        corrected = [k for k, v in updates.items()
                     if k in state.slots and state.slots[k] != v and (awaited is None or k != awaited.slot)]
        notes = self._apply_slots(turn, updates, u)
        if corrected:
            order = [s.slot for s in flow.steps if isinstance(s, Collect)]
            first = min(corrected, key=lambda k: order.index(k) if k in order else len(order))
            step = flow.collect_step_for(first)
            start = step.id if step else flow.steps[0].id
            notes.insert(0, Reply("Got it, I've updated that."))
        elif isinstance(awaited, Collect) and awaited.slot in state.slots:
            start = awaited.next or flow.following(awaited.id) or awaited.id
            if not awaited.always_ask:
                start = awaited.id  # filled collect steps skip themselves
        else:
            start = state.step or flow.steps[0].id
        return notes + self._advance(turn, start)

    def _slot_button(self, turn: Turn, slot: str, raw: str) -> list[Reply]:
        state = turn.state
        flow = self.p.flows.get(state.flow or "")
        if flow is None or slot not in flow.slots:
            turn.intent = "fallback"
            return [replies.stale_button(), *self._current_prompt(turn)]
        awaited = flow.step(state.step) if state.step else None
        is_awaited = isinstance(awaited, Collect) and awaited.slot == slot
        if not is_awaited and (slot in DECISION_SLOTS or slot not in state.slots):
            turn.intent = "fallback"
            return [replies.stale_button(), *self._current_prompt(turn)]
        try:
            value = from_payload(slot, raw)
        except ValueError:
            return [replies.stale_button(), *self._current_prompt(turn)]
        turn.intent = state.flow
        return self._continue_with(turn, flow, awaited, {slot: value}, Understanding(state.flow or "", 1.0))

    def _apply_slots(self, turn: Turn, updates: dict[str, Any], u: Understanding) -> list[Reply]:
        """Set slots, keeping them consistent: a new device resets a storage it does not come in."""
        state = turn.state
        notes: list[Reply] = []
        if "device_model" in updates:
            device = self.p.shop.catalog.by_name(str(updates["device_model"]))
            if device is None:
                updates.pop("device_model")
            else:
                state.slots["device_family"] = device.family
                state.slots["storage_choice"] = len(device.storage_gb) > 1
                storage = updates.get("storage_gb", state.slots.get("storage_gb"))
                if storage is not None and storage not in device.storage_gb:
                    updates.pop("storage_gb", None)
                    state.slots.pop("storage_gb", None)
                    notes.append(Reply(f"The {device.name} comes with {device.storage_choices}."))
        elif u.device is not None and u.device.unknown and not state.slots.get("device_model"):
            notes.append(self._unknown_device(u.device.unknown))
        device = self.p.shop.catalog.by_name(str(updates.get("device_model", state.slots.get("device_model"))))
        if "storage_gb" in updates and device is not None and updates["storage_gb"] not in device.storage_gb:
            notes.append(Reply(f"The {device.name} comes with {device.storage_choices}."))
            updates.pop("storage_gb")
        state.slots.update(updates)
        return notes

    def _advance(self, turn: Turn, start: str | None) -> list[Reply]:
        state = turn.state
        flow_name = state.flow or ""

        def run_action(name: str, slots: Mapping[str, Any]) -> ActionResult:
            state.slots = dict(slots)
            return self.p.actions[name](turn, slots)

        result = advance(self.p.flows, flow_name, start, state.slots, run_action, self._buttons)
        state.slots = result.slots
        state.flow, state.step = result.flow, result.step
        if result.flow is None:  # keep what we learnt about the shopper's own device for a next flow
            own = CARRY["trade_in"] if flow_name in ("trade_in", "upgrade") else ()
            state.slots = {k: v for k, v in state.slots.items() if k in own}
        return list(result.replies)

    def _current_prompt(self, turn: Turn, *, resume: bool = False) -> list[Reply]:
        state = turn.state
        if not state.flow or not state.step:
            return []
        step = self.p.flows[state.flow].step(state.step)
        if not isinstance(step, Collect):
            return []
        ask = ask_reply(step, state.slots, self._buttons)
        if resume:
            ask = Reply("Back to where we were: " + ask.text, ask.buttons)
        return [ask]

    def resume_prompt(self, turn: Turn) -> list[Reply]:
        """The question the active flow is waiting on, to pick the conversation up again."""
        return self._current_prompt(turn, resume=True)

    def _buttons(self, source: str, slots: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        return self.p.button_sources[source](slots)

    # repairs --------------------------------------------------------------------------------------

    def _cancel(self, turn: Turn) -> list[Reply]:
        state = turn.state
        had_flow = state.flow is not None
        state.flow, state.step, state.slots, state.fallbacks = None, None, {}, 0
        return [replies.cancelled(had_flow)]

    def _restart(self, turn: Turn) -> list[Reply]:
        state = turn.state
        flow = state.flow
        state.slots, state.fallbacks = {}, 0
        if flow is None:
            return [replies.greeting(self.p.shop.policy["shop"]["name"])]
        state.step = None
        return [Reply("Let's start over."), *self._advance(turn, self.p.flows[flow].steps[0].id)]

    def _handoff(self, turn: Turn, *, reason: str) -> list[Reply]:
        state = turn.state
        turn.intent = "handoff"
        quote_line = None
        if state.last_quote_id:
            stored = turn.store.load_quote(state.last_quote_id)
            if stored is not None:
                q, status = stored
                quote_line = f"{q.quote_id} {q.device_model} {q.storage_gb} GB {q.condition} ${q.offer_usd} ({status})"
        summary = ticket_summary(state.visible_slots(), quote_line, turn.store.transcript())
        info = turn.store.open_ticket(reason=reason, summary=summary, slots=state.visible_slots(),
                                      quote_id=state.last_quote_id)
        turn.handoff = info
        turn.owner = "pending_human"
        state.fallbacks = 0
        return [Reply(handoff_notice(info.ticket_id, turn.now, self.p.shop.policy["support"]))]

    # device helpers ---------------------------------------------------------------------------------

    def _device(self, slots: Mapping[str, Any]) -> Device | None:
        name = slots.get("device_model")
        return self.p.shop.catalog.by_name(str(name)) if name else None

    def _which_device(self, candidates: tuple[Device, ...]) -> Reply:
        shown = candidates[:8]
        return Reply("Which one do you have?",
                     tuple(Button(d.name, slot_payload("device_model", d.name)) for d in shown))

    def _unknown_device(self, name: str) -> Reply:
        brands = " and ".join(self.p.shop.catalog.brands())
        return Reply(
            f"Sorry, I don't buy or sell the {name} yet. I currently handle {brands} devices: iPhone 11 and newer, "
            "Galaxy S21 and newer, Pixel 6 and newer, recent iPads and MacBook Airs. "
            "Want to try another device, or talk to a person?",
            (Button("Talk to a person", "i:handoff"),),
        )


def worth_asking_knowledge(text: str, intent: str, *, in_flow: bool, confidence: float = 0.0) -> bool:
    """Whether a message should go to the knowledge base: it asks something, rather than answers the flow.

    Not when the understanding is fairly sure it is off topic ("play some music"): the knowledge base's
    scope check would sometimes find a passage near enough anyway.
    """
    if intent == "fallback" and confidence > SURELY_OFF_TOPIC:
        return False
    words = len(text.split())
    if in_flow:  # a one-word reply to the flow's question is not a digression
        return looks_like_question(text) or words >= 4
    return intent == "faq" or looks_like_question(text) or words >= 2
