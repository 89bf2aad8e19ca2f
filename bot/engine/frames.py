"""Running flows on the dialogue stack: start, suspend, resume, patterns on top, and what to ask next."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.catalog import Device
from bot.domain import Button, Reply
from bot.engine.responses import Responses
from bot.engine.state import ConversationState
from bot.engine.turn import Turn
from bot.flows.executor import ActionResult, advance, ask_reply, render, step_after
from bot.flows.loader import RESPONSE_NAME
from bot.flows.model import Collect, Flow, Step
from bot.nlu.answers import check_slot
from bot.nlu.commands import COMMAND_TYPES, CannotHandle, Command
from bot.nlu.devices import DeviceMatcher

Action = Callable[[Turn, Mapping[str, Any]], ActionResult]
ButtonSources = Mapping[str, Callable[[Mapping[str, Any]], tuple[tuple[str, str], ...]]]
MISSES = "misses"  # the pattern slot counting messages not understood in a row
INTERRUPTED = "interrupted"  # the pattern slot telling whether a flow waits underneath


SIDE_BY_SIDE = ("device_model", "compare_with")  # the two devices a side by side shows


class FlowRunner:
    """The flows, their actions and wording, applied to one conversation's stack."""

    def __init__(self, flows: Mapping[str, Flow], actions: Mapping[str, Action], sources: ButtonSources,
                 responses: Responses, devices: DeviceMatcher) -> None:
        self.flows = flows
        self.actions = actions
        self.sources = sources
        self.say = responses
        self.devices = devices
        self.by_trigger = {trigger: flow for flow in flows.values() for trigger in flow.triggers}
        # Repair patterns are started by a command type; their slots are not the shopper's facts.
        self.patterns = frozenset(f.name for f in flows.values() if COMMAND_TYPES & set(f.triggers))

    # where the conversation stands ----------------------------------------------------------------------

    def flow_for(self, trigger: str) -> Flow | None:
        """The flow a purpose (or, for patterns, a command type) starts."""
        return self.by_trigger.get(trigger)

    def active_flow(self, state: ConversationState) -> Flow | None:
        """The flow of the active frame."""
        return self.flows.get(state.flow) if state.flow else None

    def awaited(self, state: ConversationState) -> Collect | None:
        """The question the active flow waits on."""
        flow = self.active_flow(state)
        step = flow.step(state.step) if flow is not None and state.step else None
        return step if isinstance(step, Collect) else None

    @staticmethod
    def device_slot(flow: Flow | None) -> str | None:
        """The slot naming the flow's device: the source of its derived slots."""
        if flow is None:
            return None
        return next((source.split(".")[0] for source in flow.derived_slots.values()), None)

    def device(self, flow: Flow | None, slots: Mapping[str, Any]) -> Device | None:
        """The catalog device the flow is about, if known."""
        slot = self.device_slot(flow)
        name = slots.get(slot) if slot else None
        return self.devices.catalog.by_name(str(name)) if name else None

    def derive(self, flow: Flow, slots: dict[str, Any]) -> None:
        """Fill the flow's derived slots from its device (family, kind, whether storage varies)."""
        device = self.device(flow, slots)
        for slot, source in flow.derived_slots.items():
            attribute = source.split(".", 1)[1]
            if device is None:
                slots.pop(slot, None)
            else:
                slots[slot] = _attribute(device, attribute)

    def reconcile(self, flow: Flow, slots: dict[str, Any], changed: set[str]) -> list[Reply]:
        """After the device changed, drop what the new device cannot have (a storage it doesn't come in)."""
        self.derive(flow, slots)
        device_slot = self.device_slot(flow)
        if device_slot not in changed:
            return []
        device = self.device(flow, slots)
        notes = []
        for slot, value in list(slots.items()):
            if slot == device_slot or slot in flow.derived_slots or value is None:
                continue
            checked = check_slot(slot, value, devices=self.devices, device=device)
            if not checked.ok:
                slots.pop(slot)
                notes.append(self.say.reply(checked.problem or "invalid_value", **dict(checked.details)))
        return notes

    # running ------------------------------------------------------------------------------------------

    def begin(self, turn: Turn, flow: Flow, incoming: Mapping[str, Any] | None = None) -> None:
        """Make `flow` the active frame: the task it interrupts waits underneath (a passive one is left).

        What carries over is about the device talked about so far: a task begun for another device (`incoming`
        names it) starts without that device's storage, condition or carrier."""
        state = turn.state
        active = self.active_flow(state)
        remembered = dict(state.slots)
        waiting = self.awaited(state)
        if active is not None and (waiting is None or waiting.resume) and not state.tentative:
            state.push()  # come back to it when this one ends
        state.tentative = False  # a quote begun on a guess is left, not resumed, when the shopper picks another
        carried = {k: v for k, v in remembered.items() if k in flow.persisted_slots}
        slot = self.device_slot(flow)
        named, before = (incoming or {}).get(slot) if slot else None, carried.get(slot) if slot else None
        if named is not None and before is not None and named != before and not (
                isinstance(named, tuple) and before in named):
            carried = {}  # "selling my pixel 7" after the iPhone 12's upgrade math: none of the iPhone's facts
        state.flow, state.step, state.slots = flow.name, None, carried
        self.derive(flow, state.slots)

    def advance(self, turn: Turn, start: str | None) -> list[Reply]:
        """Run the active flow from `start` until it asks something or ends (then resume what it interrupted)."""
        state = turn.state
        flow = self.active_flow(state)
        if flow is None:
            return []

        def run_action(name: str, slots: Mapping[str, Any]) -> ActionResult:
            state.slots = dict(slots)
            return self.actions[name](turn, slots)

        result = advance(self.flows, flow.name, start, state.slots, run_action, self.buttons, self.speak)
        replies = list(result.replies)
        if result.step is not None:
            state.flow, state.step, state.slots = result.flow, result.step, result.slots
            turn.asked = result.step
            return replies
        ended = self.flows.get(result.flow or flow.name, flow)
        if ended.name not in self.patterns:
            turn.ended_slots = dict(result.slots)
            state.last_task = ended.name
        kept = {k: v for k, v in result.slots.items() if k in ended.persisted_slots}
        state.flow, state.step, state.slots = None, None, kept
        if ended.name not in self.patterns and result.slots.get("device_model"):
            state.last_device = str(result.slots["device_model"])  # follow-up questions are about it
            shown = [result.slots.get(k) for k in SIDE_BY_SIDE]  # "how do they compare on co2?" is about both
            state.last_pair = [str(v) for v in shown] if all(shown) else []
        if state.stack:
            state.pop()
            if state.flow is not None and state.step is None:  # restarted underneath: ask from the top
                replies += self.advance(turn, self.flows[state.flow].steps[0].id)
        return replies

    def run_pattern(self, turn: Turn, command: Command, *, resume: bool = True) -> list[Reply]:
        """Run the pattern flow a command type triggers on top of the stack; the frame underneath resumes."""
        flow = self.flow_for(type(command).__name__)
        state = turn.state
        if flow is None:
            return []
        if isinstance(command, CannotHandle):
            state.fallbacks += 1
        slots = {**state.slots, **_fields(command), INTERRUPTED: state.flow is not None, MISSES: state.fallbacks}
        turn.intent = turn.intent or self.pattern_intent(command, slots)
        state.push()
        state.flow, state.step, state.slots = flow.name, None, slots
        replies = self.advance(turn, flow.steps[0].id)
        if not resume:
            turn.asked = turn.asked if state.flow == flow.name else None
        return replies

    def cannot_handle(self, turn: Turn) -> list[Reply]:
        """Nothing understood: the cannot-handle pattern (menu first, then the offer of a person)."""
        return self.run_pattern(turn, CannotHandle())

    def pattern_intent(self, command: Command, slots: Mapping[str, Any]) -> str:
        """The replay intent of a command's pattern flow (its `intent`, which may name a field: "{kind}")."""
        flow = self.flow_for(type(command).__name__)
        if flow is None:
            return "fallback"
        intent = render(flow.intent, {**_fields(command), **slots})
        return flow.intent_names.get(intent, intent)

    def prompt(self, turn: Turn, *, resume: bool) -> list[Reply]:
        """The active flow's question, unless this turn already asked it (or it may be walked away from)."""
        step = self.awaited(turn.state)
        if step is None or turn.asked == step.id or (resume and not step.resume):
            return []
        turn.asked = step.id
        ask = ask_reply(step, turn.state.slots, self.buttons, self.speak)
        if resume:
            return [self.say.reply("resume_prefix", ask.buttons, question=ask.text)]
        return [ask]

    @staticmethod
    def after(flow: Flow, step: Step) -> str | None:
        """The step after this one."""
        return step_after(flow, step)

    # wording and buttons --------------------------------------------------------------------------------

    def speak(self, value: str, slots: Mapping[str, Any], buttons: tuple[Button, ...] | None) -> Reply:
        """A say/ask value as a Reply: a named response when it names one, else the text itself."""
        if RESPONSE_NAME.match(value):
            name = render(value, slots)
            if name in self.say:
                return self.say.reply(name, buttons or None, **_shown(slots))
        return Reply(render(value, slots), buttons or ())

    def buttons(self, source: str, slots: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """Buttons from a registered source (popular devices, storage sizes...)."""
        return self.sources[source](slots)


def _attribute(device: Device, attribute: str) -> Any:
    """A device attribute a flow may derive a slot from."""
    if attribute == "kind":
        return device.category
    if attribute == "storage_choice":
        return len(device.storage_gb) > 1
    return getattr(device, attribute)


def _fields(command: Command) -> dict[str, Any]:
    """A command's scalar fields, as the slots of its pattern flow."""
    return {k: v for k, v in vars(command).items() if isinstance(v, str | int | bool) or v is None}


def _shown(slots: Mapping[str, Any]) -> dict[str, Any]:
    """Slot values as a response shows them."""
    return {k: ("yes" if v else "no") if isinstance(v, bool) else v for k, v in slots.items() if v is not None}
