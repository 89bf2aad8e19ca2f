"""Load flows from YAML and validate them; every error names file, flow and step and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import FlowValidationError
from bot.flows.model import Action, Branch, Collect, Condition, End, Flow, Link, Say, Step

STEP_KINDS = ("collect", "say", "branch", "action", "link", "end")
_CONDITION = re.compile(r"^\s*(not\s+)?(\w+)\s*(?:(==|!=|>=|in)\s*(.+?))?\s*$")
RESPONSE_NAME = re.compile(r"^[a-z{][a-z0-9_{}]*$")  # a say/ask value like this names a response
_FLOW_KEYS = ("description", "steps", "intent", "intent_names", "triggers", "persisted_slots", "derived_slots",
              "extra_slots", "journey", "offered_for_device", "refused_by")
_DERIVED = re.compile(r"^device_model\.(family|kind|brand|storage_choice)$")


@dataclass(frozen=True)
class Vocabulary:
    """What flows may refer to: known slots, actions and button providers."""

    slots: frozenset[str]
    actions: frozenset[str]
    button_sources: frozenset[str]
    responses: frozenset[str] = frozenset()


def load_flows(folder: Path, vocabulary: Vocabulary) -> dict[str, Flow]:
    """Load every *.yaml in the folder and validate the whole set."""
    flows: dict[str, Flow] = {}
    for path in sorted(folder.glob("*.yaml")):
        for flow in parse_file(path, vocabulary):
            if flow.name in flows:
                raise FlowValidationError(path.name, flow.name, None,
                                          f"flow name already used in {flows[flow.name].file}")
            flows[flow.name] = flow
    _check_links(flows)
    return flows


def parse_file(path: Path, vocabulary: Vocabulary) -> list[Flow]:
    """Parse one flow file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise FlowValidationError(path.name, None, None, f"not valid YAML ({err})") from None
    if not isinstance(raw, dict):
        raise FlowValidationError(path.name, None, None, "expected a mapping of flow name to flow")
    return [_parse_flow(path.name, name, body, vocabulary) for name, body in raw.items()]


def _parse_flow(file: str, name: str, body: Any, vocab: Vocabulary) -> Flow:
    if not isinstance(body, dict) or not isinstance(body.get("steps"), list) or not body["steps"]:
        raise FlowValidationError(file, name, None, "needs a non-empty 'steps' list")
    unknown = [k for k in body if k not in _FLOW_KEYS]
    if unknown:
        raise FlowValidationError(file, name, None, f"unknown key '{unknown[0]}' (known: {', '.join(_FLOW_KEYS)})")
    for key in ("persisted_slots", "extra_slots"):
        for slot in body.get(key) or ():
            if slot not in vocab.slots:
                raise FlowValidationError(file, name, None, f"{key} names unknown slot '{slot}'")
    derived = {str(k): str(v) for k, v in (body.get("derived_slots") or {}).items()}
    for slot, source in derived.items():
        if slot not in vocab.slots or not _DERIVED.match(source):
            raise FlowValidationError(file, name, None, f"derived slot '{slot}: {source}' must be a known slot "
                                      "computed as device_model.family, .kind, .brand or .storage_choice")
    steps: list[Step] = []
    for index, raw_step in enumerate(body["steps"]):
        steps.append(_parse_step(file, name, index, raw_step, vocab))
    ids = [s.id for s in steps]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise FlowValidationError(file, name, duplicates[0], "duplicate step id: give each step its own 'id'")
    flow = Flow(name=name, description=str(body.get("description", "")), steps=tuple(steps), file=file,
                intent=str(body.get("intent") or name), triggers=tuple(str(t) for t in body.get("triggers") or ()),
                persisted_slots=tuple(body.get("persisted_slots") or ()), derived_slots=derived,
                extra_slots=tuple(body.get("extra_slots") or ()), journey=str(body.get("journey") or ""),
                intent_names={str(k): str(v) for k, v in (body.get("intent_names") or {}).items()},
                offered_for_device=int(body.get("offered_for_device") or 0),
                refused_by=tuple(str(r) for r in body.get("refused_by") or ()))
    _check_targets(flow)
    _check_reachable(flow)
    return flow


def _parse_step(file: str, flow: str, index: int, raw: Any, vocab: Vocabulary) -> Step:
    if raw == "end":
        return End(id=f"end_{index}", next=None)
    if not isinstance(raw, dict):
        raise FlowValidationError(file, flow, f"#{index + 1}", "a step must be a mapping such as {say: ...}")
    kinds = [k for k in raw if k in STEP_KINDS]
    unknown = [k for k in raw if k not in STEP_KINDS and k not in _OPTIONS]
    label = str(raw.get("id") or f"#{index + 1}")
    if unknown:
        raise FlowValidationError(file, flow, label, f"unknown key or step kind '{unknown[0]}' "
                                  f"(step kinds: {', '.join(STEP_KINDS)})")
    if len(kinds) != 1:
        raise FlowValidationError(file, flow, label, f"needs exactly one of: {', '.join(STEP_KINDS)}")
    kind = kinds[0]
    value = raw[kind]
    step_id = str(raw.get("id") or _default_id(kind, value, index))
    raw_next = raw.get("next")
    outcomes = {str(k): str(v) for k, v in raw_next.items()} if isinstance(raw_next, dict) else {}
    nxt = None if raw_next is None or outcomes else str(raw_next)
    if outcomes and kind != "action":
        raise FlowValidationError(file, flow, step_id, "only an action's 'next' may map outcomes to steps")
    if kind == "collect":
        if value not in vocab.slots:
            raise FlowValidationError(file, flow, step_id, f"unknown slot '{value}' (known: {sorted(vocab.slots)})")
        buttons, source = raw.get("buttons"), None
        if isinstance(buttons, str):
            if buttons not in vocab.button_sources:
                raise FlowValidationError(file, flow, step_id, f"unknown button source '{buttons}'")
            source, buttons = buttons, ()
        for key in ("bind",):
            if raw.get(key) is not None and raw[key] not in vocab.slots:
                raise FlowValidationError(file, flow, step_id, f"{key} names unknown slot '{raw[key]}'")
        only_if = raw.get("only_if")
        return Collect(id=step_id, next=nxt, slot=value, ask=_text(file, flow, step_id, raw.get("ask", ""), vocab),
                       buttons=_buttons(file, flow, step_id, buttons or ()), button_source=source,
                       optional=bool(raw.get("optional", False)), always_ask=bool(raw.get("always_ask", False)),
                       only_if=_parse_condition(file, flow, step_id, str(only_if), vocab) if only_if else None,
                       resume=bool(raw.get("resume", True)), bind=raw.get("bind"),
                       on_affirm=raw.get("on_affirm", True), on_deny=raw.get("on_deny", False),
                       topic=str(raw["topic"]) if raw.get("topic") else None,
                       yes_starts=str(raw["yes_starts"]) if raw.get("yes_starts") else None)
    if kind == "say":
        return Say(id=step_id, next=nxt, text=_text(file, flow, step_id, value, vocab),
                   buttons=_buttons(file, flow, step_id, raw.get("buttons") or ()))
    if kind == "action":
        if value not in vocab.actions:
            raise FlowValidationError(file, flow, step_id, f"unknown action '{value}' (known: {sorted(vocab.actions)})")
        for key in ("uses", "sets"):
            for slot in raw.get(key) or ():
                if slot not in vocab.slots:
                    raise FlowValidationError(file, flow, step_id, f"{key} names unknown slot '{slot}'")
        return Action(id=step_id, next=nxt, name=str(value), outcomes=outcomes,
                      uses=tuple(raw.get("uses") or ()), sets=tuple(raw.get("sets") or ()))
    if kind == "link":
        return Link(id=step_id, next=None, flow=str(value))
    if kind == "end":
        return End(id=step_id, next=None)
    return _parse_branch(file, flow, step_id, nxt, value, vocab)


def _buttons(file: str, flow: str, step_id: str, raw: Any) -> tuple[tuple[str, str], ...]:
    """Buttons as (label, value): a plain value, or a mapping {label: ..., value: ...}."""
    pairs: list[tuple[str, str]] = []
    for item in raw:
        if isinstance(item, dict) and "label" in item and "value" in item:
            pairs.append((str(item["label"]), str(item["value"])))
        elif isinstance(item, str | int):
            pairs.append((str(item).capitalize(), str(item)))
        else:
            raise FlowValidationError(file, flow, step_id, f"a button is a value or {{label, value}}: {item!r}")
    return tuple(pairs)


_OPTIONS = ("id", "next", "ask", "buttons", "optional", "always_ask", "only_if", "resume", "bind", "on_affirm",
            "on_deny", "uses", "sets", "topic", "yes_starts")


def _text(file: str, flow: str, step_id: str, value: Any, vocab: Vocabulary) -> str:
    """A response name (checked, unless it is built from a slot such as {kind}) or literal text."""
    text = str(value)
    if vocab.responses and RESPONSE_NAME.match(text) and "{" not in text and text not in vocab.responses:
        raise FlowValidationError(file, flow, step_id, f"unknown response '{text}' (see config/responses.yaml)")
    return text


def _default_id(kind: str, value: Any, index: int) -> str:
    if kind in ("collect", "action", "link") and isinstance(value, str):
        return f"{kind}_{value}"
    return f"{kind}_{index + 1}"


def _parse_branch(file: str, flow: str, step_id: str, nxt: str | None, value: Any, vocab: Vocabulary) -> Branch:
    if not isinstance(value, list) or not value:
        raise FlowValidationError(file, flow, step_id, "branch needs a list of {if: ..., then: step} cases")
    cases: list[tuple[Condition, str]] = []
    otherwise: str | None = None
    for case in value:
        if isinstance(case, dict) and "else" in case:
            otherwise = str(case["else"])
            continue
        if not isinstance(case, dict) or "if" not in case or "then" not in case:
            raise FlowValidationError(file, flow, step_id, "each branch case needs 'if' and 'then'")
        cases.append((_parse_condition(file, flow, step_id, str(case["if"]), vocab), str(case["then"])))
    return Branch(id=step_id, next=nxt, cases=tuple(cases), otherwise=otherwise)


def _parse_condition(file: str, flow: str, step_id: str, text: str, vocab: Vocabulary) -> Condition:
    match = _CONDITION.match(text)
    if not match:
        raise FlowValidationError(file, flow, step_id, f"cannot read condition '{text}'")
    negated, slot, op, raw_value = match.groups()
    if slot not in vocab.slots:
        raise FlowValidationError(file, flow, step_id, f"condition uses unknown slot '{slot}'")
    if op is None:
        return Condition(slot, "falsy" if negated else "truthy")
    parsed = yaml.safe_load(raw_value)
    if op == ">=":
        if not isinstance(parsed, int | float) or isinstance(parsed, bool):
            raise FlowValidationError(file, flow, step_id, f"'>=' needs a number: {text}")
        return Condition(slot, "ge", (parsed,))
    if op == "in":
        if not isinstance(parsed, list):
            raise FlowValidationError(file, flow, step_id, f"'in' needs a list: {text}")
        return Condition(slot, "in", tuple(parsed))
    return Condition(slot, "eq" if op == "==" else "ne", (parsed,))


def _targets(step: Step) -> Iterable[str]:
    if step.next:
        yield step.next
    if isinstance(step, Action):
        yield from (t for t in step.outcomes.values() if t != "end")
    if isinstance(step, Branch):
        yield from (target for _, target in step.cases)
        if step.otherwise:
            yield step.otherwise


def _check_targets(flow: Flow) -> None:
    ids = {s.id for s in flow.steps}
    for step in flow.steps:
        for target in _targets(step):
            if target not in ids:
                raise FlowValidationError(flow.file, flow.name, step.id, f"refers to missing step '{target}'")


def _check_reachable(flow: Flow) -> None:
    seen: set[str] = set()
    todo = [flow.steps[0].id]
    while todo:
        step_id = todo.pop()
        if step_id in seen:
            continue
        seen.add(step_id)
        step = flow.step(step_id)
        todo.extend(_targets(step))
        falls_through = not isinstance(step, End | Link) and step.next is None
        if isinstance(step, Branch) and step.otherwise:
            falls_through = False
        if falls_through:
            following = flow.following(step_id)
            if following:
                todo.append(following)
            elif not isinstance(step, End | Link):
                raise FlowValidationError(flow.file, flow.name, step.id,
                                          "the last step must be 'end' or 'link' (or say where to go with 'next')")
    unreachable = [s.id for s in flow.steps if s.id not in seen]
    if unreachable:
        raise FlowValidationError(flow.file, flow.name, unreachable[0], "is unreachable: no step leads to it")


def _check_links(flows: dict[str, Flow]) -> None:
    for flow in flows.values():
        for step in flow.steps:
            if isinstance(step, Link) and step.flow not in flows:
                raise FlowValidationError(flow.file, flow.name, step.id, f"links to unknown flow '{step.flow}'")
