"""The flow executor: pure; runs steps until one needs the user's answer or the flow ends."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Button, Reply
from bot.flows.model import Action, Branch, Collect, End, Flow, Link, Say, Step

MAX_STEPS_PER_TURN = 100
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class ActionResult:
    """What a registered action produced: replies, slot updates, and an outcome the flow may branch on."""

    replies: tuple[Reply, ...] = ()
    slots: Mapping[str, Any] = field(default_factory=dict)  # updates; None removes the slot
    outcome: str = "ok"  # looked up in the action step's `next` mapping; unmapped outcomes fall through


@dataclass(frozen=True)
class Advance:
    """Where the flow stopped: awaiting a collect step, or finished (step None)."""

    replies: tuple[Reply, ...]
    slots: dict[str, Any]
    flow: str | None
    step: str | None


ActionRunner = Callable[[str, Mapping[str, Any]], ActionResult]
ButtonSource = Callable[[str, Mapping[str, Any]], tuple[tuple[str, str], ...]]
Speaker = Callable[[str, Mapping[str, Any], tuple[Button, ...] | None], Reply]  # a say/ask value -> Reply
BIND_MARK = "@"  # "s:accept=true@Q-123": the press counts only while the bound slot still holds Q-123


def slot_payload(slot: str, value: object, bound: object = None) -> str:
    """The button payload that sets a slot (optionally bound to the value of another slot)."""
    return f"s:{slot}={value}" + (f"{BIND_MARK}{bound}" if bound is not None else "")


def literal(text: str, slots: Mapping[str, Any], buttons: tuple[Button, ...] | None) -> Reply:
    """A speaker for flows without named responses: the text with its {slot} placeholders filled."""
    return Reply(render(text, slots), buttons or ())


def render(template: str, slots: Mapping[str, Any]) -> str:
    """Fill {slot} placeholders; unknown or empty slots render as empty text."""
    return _PLACEHOLDER.sub(lambda m: _show(slots.get(m.group(1))), template)


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def step_after(flow: Flow, step: Step) -> str | None:
    """The step that runs after this one when nothing redirects."""
    return step.next or flow.following(step.id)


def applies(step: Collect, slots: Mapping[str, Any]) -> bool:
    """Whether a collect step is asked at all with these slots."""
    return step.only_if is None or step.only_if.holds(slots)


def ask_reply(step: Collect, slots: Mapping[str, Any], buttons_from: ButtonSource,
              speak: Speaker = literal) -> Reply:
    """The question of a collect step, with its buttons."""
    pairs = buttons_from(step.button_source, slots) if step.button_source else step.buttons
    bound = slots.get(step.bind) if step.bind else None
    buttons = [Button(label, slot_payload(step.slot, value, bound)) for label, value in pairs]
    if step.optional:
        buttons.append(Button("Skip", slot_payload(step.slot, "skip")))
    return speak(step.ask, slots, tuple(buttons))


def advance(
    flows: Mapping[str, Flow],
    flow_name: str,
    step_id: str | None,
    slots: Mapping[str, Any],
    run_action: ActionRunner,
    buttons_from: ButtonSource,
    speak: Speaker = literal,
) -> Advance:
    """Run from step_id until a collect step needs an answer or the flow ends."""
    current = dict(slots)
    replies: list[Reply] = []
    flow = flows[flow_name]
    for _ in range(MAX_STEPS_PER_TURN):
        if step_id is None:
            return Advance(tuple(replies), current, None, None)
        step = flow.step(step_id)
        if isinstance(step, Collect):
            if (step.slot in current and not step.always_ask) or not applies(step, current):
                step_id = step_after(flow, step)
                continue
            replies.append(ask_reply(step, current, buttons_from, speak))
            return Advance(tuple(replies), current, flow.name, step.id)
        if isinstance(step, Say):
            buttons = tuple(Button(label, payload) for label, payload in step.buttons)
            replies.append(speak(step.text, current, buttons or None))
            step_id = step_after(flow, step)
        elif isinstance(step, Branch):
            step_id = next((target for cond, target in step.cases if cond.holds(current)), None)
            if step_id is None:
                step_id = step.otherwise or step_after(flow, step)
        elif isinstance(step, Action):
            result = run_action(step.name, current)
            replies.extend(result.replies)
            for slot, value in result.slots.items():  # None clears a slot (e.g. a decision to ask again)
                if value is None:
                    current.pop(slot, None)
                else:
                    current[slot] = value
            target = step.outcomes.get(result.outcome)
            step_id = None if target == "end" else target or step_after(flow, step)
        elif isinstance(step, Link):
            flow = flows[step.flow]
            step_id = flow.steps[0].id
        elif isinstance(step, End):
            step_id = None
    raise RuntimeError(f"flow '{flow.name}' ran {MAX_STEPS_PER_TURN} steps without pausing: a loop?")
