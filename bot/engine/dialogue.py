"""The command processor: applies a message's commands to the dialogue stack and runs the flows.

It knows the command types and nothing else by name: which flow a purpose or a command starts is each
flow's `triggers`, what carries over is `persisted_slots`, what is derived is `derived_slots`, which
questions apply is `only_if`, and what the bot says is a named response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.domain import Button, Reply
from bot.engine.answering import Answering
from bot.engine.dialogue_parts import DialogueParts
from bot.engine.frames import FlowRunner
from bot.engine.state import ConversationState
from bot.engine.turn import Turn
from bot.flows.executor import ask_reply
from bot.flows.model import Collect, Flow
from bot.nlu.answers import SLOT_TYPES, Checked, check_slot
from bot.nlu.commands import (
    Affirm,
    Answer,
    Cancel,
    Command,
    CorrectSlots,
    Deny,
    GoBack,
    Refuse,
    Restart,
    SetSlots,
    StartFlow,
    WhichTask,
    command_names,
)
from bot.nlu.devices import kind_named
from bot.nlu.reader import CommandReader
from bot.nlu.reading_context import ReadingContext

CLARIFY = "which_device"  # the response that asks which of several candidates was meant


class Dialogue:
    """One turn of conversation over a Turn scratchpad; no I/O of its own beyond the turn's store."""

    def __init__(self, parts: DialogueParts) -> None:
        self.p = parts
        self.say = parts.responses
        self.reader = CommandReader(parts.understander, parts.extractor)
        self.runner = FlowRunner(parts.flows, parts.actions, parts.button_sources, parts.responses,
                                 parts.understander.devices)
        self.answering = Answering(parts, self.runner, self._start, self.active_task)

    # entry points -------------------------------------------------------------------------------------

    def on_text(self, turn: Turn, text: str) -> list[Reply]:
        """Handle typed text."""
        return self.process(turn, self.reader.read(text, self.context(turn)))

    def on_button(self, turn: Turn, payload: str) -> list[Reply]:
        """Handle a pressed button."""
        return self.process(turn, self.reader.read_button(payload, self.context(turn)))

    def resume_prompt(self, turn: Turn) -> list[Reply]:
        """The question the active flow is waiting on, to pick the conversation up again."""
        return self.runner.prompt(turn, resume=True)

    def answer_while_waiting(self, turn: Turn, text: str) -> list[Reply]:
        """While a person is being fetched, a question the cards answer is answered (nothing else happens)."""
        return self.answering.while_waiting(turn, self.reader.read(text, ReadingContext(last_refusal=turn.state.last_refusal)))

    def active_task(self, turn: Turn) -> str | None:
        """The flow in progress, as the replay shows it: none once it only waits on an optional question."""
        step = self.runner.awaited(turn.state)
        return None if step is not None and not step.resume else turn.state.flow

    def context(self, turn: Turn) -> ReadingContext:
        """Where the conversation stands, for the reader."""
        state = turn.state
        flow = self.runner.active_flow(state)
        step = self.runner.awaited(state)
        awaited = step.slot if step is not None else None
        passive = flow is not None and step is not None and not step.resume  # a result on screen, refinable
        return ReadingContext(
            flow_intent=flow.intent if flow is not None else None, awaited=awaited,
            awaited_is_yes_no=awaited is not None and SLOT_TYPES.get(awaited) is bool,
            passive=step is not None and not step.resume, flow_slots=flow.slots if flow is not None else frozenset(),
            slots=dict(state.slots), device=self.runner.device(flow, state.slots),
            last_device=state.last_device if flow is None else state.slots.get("device_model") if passive else None,
            last_task=state.last_task if flow is None else flow.name if passive else None, last_card=state.last_card,
            last_refusal=state.last_refusal if flow is None else None,
            pending=str(state.pending["purpose"]) if state.pending and flow is None else None,
            last_pair=tuple(state.last_pair) if flow is None else (),
            yes_starts=step.yes_starts if passive and step is not None else None,
            candidates=tuple(state.candidates) if awaited is not None else (),
            # the question on screen as the shopper read it: only the optional LLM reads it, so only then rendered
            question=ask_reply(step, state.slots, self.runner.buttons, self.runner.speak).text
            if step is not None and self.reader.generator is not None else None,
        )

    # the processor ------------------------------------------------------------------------------------

    def process(self, turn: Turn, commands: tuple[Command, ...]) -> list[Reply]:
        """Apply the commands in order, then make sure the question the flow waits on is on screen."""
        turn.commands = command_names(commands)
        turn.pending, turn.state.pending = turn.state.pending, None  # offered for one turn only
        out: list[Reply] = []
        for command in commands:
            out.extend(self._apply(turn, command))
        if turn.owner == "bot":
            out.extend(self.runner.prompt(turn, resume=bool(out)))
        # the devices offered by a "which one do you have?" on screen: a typed answer picks among them next turn
        turn.state.candidates = [b.label for r in out if r.response == CLARIFY for b in r.buttons]
        if turn.intent is None:
            flow = self.runner.active_flow(turn.state)
            turn.intent = flow.intent if flow is not None else self.runner.pattern_intent(commands[-1], {})
        return out

    def _apply(self, turn: Turn, command: Command) -> list[Reply]:
        if isinstance(command, Refuse):
            turn.state.last_refusal = command.rule
            if any(command.rule in flow.refused_by for flow in self.p.flows.values()):
                turn.state.refused_shopper = command.rule
        elif isinstance(command, StartFlow | SetSlots | CorrectSlots | Restart | Cancel):
            turn.state.last_refusal = None  # another request: judged on its own
        if isinstance(command, SetSlots | CorrectSlots):
            return self._set_slots(turn, command)
        if isinstance(command, StartFlow):
            return self._start(turn, command)
        if isinstance(command, Answer):
            return self.answering.answer(turn, command)
        if isinstance(command, Affirm | Deny):
            return self._yes_no(turn, command)
        if isinstance(command, GoBack):
            return self._go_back(turn)
        if isinstance(command, WhichTask):
            return self._which_task(turn, command)
        return self.runner.run_pattern(turn, command)

    def _which_task(self, turn: Turn, command: WhichTask) -> list[Reply]:
        """A device named alone: the first task offered for a device starts with it (a quote), and the others
        are a tap away (compare it refurbished vs new); the facts that follow are about it."""
        turn.state.last_device = command.device
        turn.state.fallbacks = 0
        offered = sorted((flow for flow in self.p.flows.values() if flow.offered_for_device and flow.triggers),
                         key=lambda flow: flow.offered_for_device)
        if not offered:
            return self.runner.cannot_handle(turn)
        slot = self.runner.device_slot(offered[0])
        slots = {slot: command.device} if slot else {}
        others = tuple(b for flow in offered[1:] for b in self.answering.offer(StartFlow(flow.triggers[0], slots)))
        note = self.say.reply("which_task", others, device_model=command.device)
        started = self._start(turn, StartFlow(offered[0].triggers[0], slots))
        turn.state.tentative = True  # until the shopper answers it: "compare it" replaces this quote
        return [note, *started]

    def _start(self, turn: Turn, command: StartFlow) -> list[Reply]:
        if self._refuses_shopper(turn.state, command.purpose):  # "but my mom said it's fine": still under 18
            return self._apply(turn, Refuse(str(turn.state.refused_shopper)))
        flow = self.runner.flow_for(command.purpose)
        if flow is None:
            return self.runner.run_pattern(turn, command)
        command = with_pending_facts(command, turn.pending)
        state = turn.state
        active = self.runner.active_flow(state)
        turn.intent = turn.intent or flow.intent
        state.fallbacks = 0
        waiting = self.runner.awaited(state)
        if active is not None and active.name == flow.name and (waiting is None or waiting.resume):
            return self._set_slots(turn, SetSlots(command.slots, from_button=command.from_button))
        if self._resume_interrupted(state, flow.name, command, passive=active is not None and waiting is not None
                                    and not waiting.resume):
            facts = {k: v for k, v in command.slots.items() if k != "device_model"}  # the task's own device stays
            return self._set_slots(turn, SetSlots(facts, from_button=command.from_button))
        self.runner.begin(turn, flow, command.slots)
        notes, values = self._checked(turn, flow, command.slots, from_button=command.from_button)
        state.slots.update(values)
        self.runner.derive(flow, state.slots)
        return self._clarified(turn, notes, self.runner.advance(turn, flow.steps[0].id))

    @staticmethod
    def _resume_interrupted(state: ConversationState, name: str, command: StartFlow, *, passive: bool) -> bool:
        """"Ok, back to my pixel: flawless" after a side comparison: the interrupted task of that kind resumes
        (its device kept) instead of a new one starting with the comparison's device."""
        frame = state.interrupted
        if not passive or frame is None or frame.flow != name:
            return False
        device, kept = command.slots.get("device_model"), frame.slots.get("device_model")
        if device is not None and device != kept and not (isinstance(device, tuple) and kept in device):
            return False  # another device ("my pixel" may name the one being quoted among its candidates)
        state.pop()  # the comparison on screen is done with
        return True

    def _clarified(self, turn: Turn, notes: list[Reply], asked: list[Reply]) -> list[Reply]:
        """A "which one do you have?" with buttons replaces the flow's own question for that slot."""
        if any(n.response == CLARIFY for n in notes) and asked and turn.asked is not None:
            return notes + asked[:-1]
        return notes + asked

    def _refuses_shopper(self, state: ConversationState, purpose: str) -> bool:
        """Whether a rule that refused the shopper earlier also refuses the task this purpose starts."""
        rule = state.refused_shopper
        return rule is not None and any(purpose in flow.triggers and rule in flow.refused_by
                                        for flow in self.p.flows.values())

    def _set_slots(self, turn: Turn, command: SetSlots | CorrectSlots) -> list[Reply]:
        state = turn.state
        state.tentative = False  # answered: the task is the shopper's now
        flow = self.runner.active_flow(state)
        if flow is None:
            return self.runner.cannot_handle(turn)
        step = self.runner.awaited(state)
        from_button = isinstance(command, SetSlots) and command.from_button
        if from_button and not self._button_applies(flow, step, command):  # type: ignore[arg-type]
            if self._resumes_interrupted(state, step, command):  # type: ignore[arg-type]
                return self._set_slots(turn, command)  # "Good" under the trade-in's question, after a side comparison
            return [self.say.reply("stale_button")]
        bound = command.bound if isinstance(command, SetSlots) else None
        if bound is not None and step is not None and step.bind and state.slots.get(step.bind) != bound:
            producer = flow.producer_of(step.bind)  # an Accept under an offer that was replaced: show the new one
            return [self.say.reply("offer_replaced"), *self.runner.advance(turn, producer.id if producer else step.id)]
        notes, values = self._checked(turn, flow, command.slots, from_button=from_button, step=step)
        if not values:
            if notes and step is not None:
                turn.asked = step.id
                if any(n.response == CLARIFY for n in notes):
                    return notes
                return [*notes, ask_reply(step, state.slots, self.runner.buttons, self.runner.speak)]
            return notes or self.runner.cannot_handle(turn)
        awaited = step.slot if step is not None else None
        # A fact that differs from what we had, or a first value for one an offer already priced without
        # (a battery reading after the quote): either way the results that read it are made again.
        changed = {k for k, v in values.items() if (k != awaited and state.slots.get(k, v) != v)
                   or (k != awaited and state.slots.get(k) is None and flow.used_before(state.step, k))}
        state.fallbacks = 0
        turn.intent = turn.intent or flow.intent
        state.slots.update(values)
        notes += self.runner.reconcile(flow, state.slots, changed | set(values))  # a device just named, too
        if changed or isinstance(command, CorrectSlots):
            notes += self.runner.run_pattern(turn, CorrectSlots(values), resume=False)
            start = flow.rerun_from(changed or set(values), state.slots)
            return notes + self.runner.advance(turn, start.id)
        if step is not None and step.slot in values:
            nxt = self.runner.after(flow, step) if step.always_ask else step.id
            return self._clarified(turn, notes, self.runner.advance(turn, nxt))
        return self._clarified(turn, notes, self.runner.advance(turn, state.step or flow.steps[0].id))

    def _resumes_interrupted(self, state: ConversationState, step: Collect | None, command: SetSlots) -> bool:
        """A button of the question the interrupted task waits on, pressed while a side result is on screen:
        that task resumes (the side result is done with) and takes the answer."""
        frame = state.interrupted
        if frame is None or frame.flow is None or frame.flow not in self.p.flows or frame.step is None or (
                step is not None and step.resume):
            return False
        waiting = self.p.flows[frame.flow].step(frame.step)
        if not isinstance(waiting, Collect) or waiting.slot not in command.slots:
            return False
        state.pop()
        return True

    def _button_applies(self, flow: Flow, step: Collect | None, command: SetSlots) -> bool:
        """A button answers the question on screen, or corrects a fact (never a decision asked before)."""
        for slot in command.slots:
            if step is not None and slot == step.slot:
                continue
            earlier = flow.collect_step_for(slot)
            if slot not in flow.slots or earlier is None or earlier.always_ask:
                return False
        return True

    def _checked(self, turn: Turn, flow: Flow, raw: Mapping[str, Any], *, from_button: bool,
                 step: Collect | None = None) -> tuple[list[Reply], dict[str, Any]]:
        """The valid values among `raw` (devices first, so a storage is checked against its device)."""
        notes: list[Reply] = []
        values: dict[str, Any] = {}
        device = self.runner.device(flow, turn.state.slots)
        device_slot = self.runner.device_slot(flow)
        for slot in sorted(raw, key=lambda s: s != device_slot):
            value = raw[slot]
            if slot not in flow.slots:
                continue
            if from_button and value == "skip" and step is not None and step.slot == slot and step.optional:
                value = None
            checked = check_slot(slot, value, devices=self.p.understander.devices,
                                 device=device if slot != device_slot else None)
            if checked.ok:
                values[slot] = checked.value
                if slot == device_slot:
                    device = self.p.shop.catalog.by_name(str(checked.value))
            else:
                notes.append(self._problem(checked, slot))
                if slot == device_slot and not checked.candidates:  # a model we do not buy: whose facts these are
                    turn.state.unknown_kind = kind_named(str(value))
        named = values.get(device_slot) if device_slot else None
        if named is not None and turn.state.unknown_kind is not None:
            device = self.p.shop.catalog.by_name(str(named))
            if device is not None and device.category != turn.state.unknown_kind:
                # "my old iPhone XR, 128 GB, good" then "what about my iPad?": none of the phone's facts (a
                # "macbook pro m2, 512, good" corrected to "a macbook air m2" keeps them)
                for slot in flow.persisted_slots:
                    if slot not in raw:
                        turn.state.slots.pop(slot, None)
            turn.state.unknown_kind = None
        return notes, values

    def _problem(self, checked: Checked, slot: str) -> Reply:
        if checked.candidates:
            return self.say.reply(CLARIFY, tuple(Button(name, f"s:{slot}={name}")
                                                       for name in checked.candidates[:8]))
        values = dict(checked.details)
        if checked.problem == "not_in_catalog":
            values["brands"] = " and ".join(self.p.shop.catalog.brands())
        return self.say.reply(checked.problem or "invalid_value", **values)

    def _yes_no(self, turn: Turn, command: Affirm | Deny) -> list[Reply]:
        step = self.runner.awaited(turn.state)
        if step is None or SLOT_TYPES.get(step.slot) is not bool:
            return self.runner.cannot_handle(turn)
        value = step.on_affirm if isinstance(command, Affirm) else step.on_deny
        return self._set_slots(turn, SetSlots({step.slot: value}))

    def _go_back(self, turn: Turn) -> list[Reply]:
        state = turn.state
        flow, step = self.runner.active_flow(state), self.runner.awaited(state)
        previous = flow.previous_collect(step.id, state.slots) if flow is not None and step is not None else None
        if flow is None or previous is None:
            return [self.say.reply("nothing_to_go_back_to")]
        turn.intent = flow.intent
        state.slots.pop(previous.slot, None)
        return [self.say.reply("going_back"), *self.runner.advance(turn, previous.id)]


def with_pending_facts(command: StartFlow, pending: Mapping[str, Any] | None) -> StartFlow:
    """The task the last answer offered, started now: the facts its question told join the new ones (which win);
    for another device than the one asked about, none of them (they were that device's)."""
    if not pending or pending.get("purpose") != command.purpose:
        return command
    told = dict(pending.get("slots") or {})
    named = command.slots.get("device_model", told.get("device_model"))
    if isinstance(named, tuple | list) and told.get("device_model") in named:
        named = told["device_model"]  # "find my is off for the ipad": the iPad just asked about, not "which one?"
    if told.get("device_model") not in (None, named):
        return command
    return replace(command, slots={**told, **command.slots, "device_model": named} if named else {**told, **command.slots})
