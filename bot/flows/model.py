"""Flow model: one small frozen dataclass per step kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Condition:
    """`slot`, `not slot`, `slot == value`, `slot != value`, `slot >= number` or `slot in [a, b]`."""

    slot: str
    op: str  # truthy | falsy | eq | ne | ge | in
    values: tuple[Any, ...] = ()

    def holds(self, slots: Mapping[str, Any]) -> bool:
        """Evaluate against the current slots."""
        value = slots.get(self.slot)
        if self.op == "truthy":
            return bool(value)
        if self.op == "falsy":
            return not value
        if self.op == "eq":
            return bool(value == self.values[0])
        if self.op == "ne":
            return bool(value != self.values[0])
        if self.op == "ge":
            return isinstance(value, int | float) and value >= self.values[0]
        return value in self.values


@dataclass(frozen=True)
class Step:
    """Common fields: id, and where to go next (None: the following step)."""

    id: str
    next: str | None


@dataclass(frozen=True)
class Collect(Step):
    """Ask for a slot unless it is already known."""

    slot: str
    ask: str
    buttons: tuple[tuple[str, str], ...] = ()  # (label, value) pairs
    button_source: str | None = None  # a registered provider of buttons
    optional: bool = False  # offers a Skip button; skipping stores None and moves on
    always_ask: bool = False  # ask even when the slot is already filled (decisions)
    only_if: Condition | None = None  # skipped unless it holds (no carrier question for a laptop)
    resume: bool = True  # re-asked after an interruption; False for a question one may just walk away from
    bind: str | None = None  # buttons carry this slot's value; a press is honoured only while it is unchanged
    on_affirm: Any = True  # the value an unambiguous yes gives ("have you removed it?" yes -> not locked)
    on_deny: Any = False
    topic: str | None = None  # what a short question asked at this step is about ("which one's faster?" at payout)
    yes_starts: str | None = None  # a result on screen: a typed "yes, do it" starts this task (its main button)


@dataclass(frozen=True)
class Say(Step):
    """Send a message (slot values fill {placeholders})."""

    text: str  # a response name (config/responses.yaml; may contain {slot}) or literal text
    buttons: tuple[tuple[str, str], ...] = ()  # (label, payload) pairs, e.g. ("Compare", "i:compare")


@dataclass(frozen=True)
class Branch(Step):
    """Go to the first step whose condition holds, else `otherwise` (or on)."""

    cases: tuple[tuple[Condition, str], ...]
    otherwise: str | None


@dataclass(frozen=True)
class Action(Step):
    """Run a registered Python function; the outcome it returns picks the next step."""

    name: str
    outcomes: Mapping[str, str] = field(default_factory=dict)  # outcome -> step id (or "end")
    uses: tuple[str, ...] = ()  # slots it reads: correcting one re-runs it
    sets: tuple[str, ...] = ()  # slots it produces (a quote id)


@dataclass(frozen=True)
class Link(Step):
    """Continue in another flow, keeping the slots."""

    flow: str


@dataclass(frozen=True)
class End(Step):
    """Finish the flow."""


@dataclass(frozen=True)
class Flow:
    """A named list of steps; the first step is the entry."""

    name: str
    description: str
    steps: tuple[Step, ...]
    file: str
    intent: str = ""  # the replay contract's intent while this flow leads (trade_in, compare, ...)
    triggers: tuple[str, ...] = ()  # the purposes (or, for patterns, the command types) that start it
    persisted_slots: tuple[str, ...] = ()  # what it reuses from earlier in the conversation, and keeps after
    derived_slots: Mapping[str, str] = field(default_factory=dict)  # slot -> "device_model.<attribute>"
    extra_slots: tuple[str, ...] = ()  # slots it accepts without a question (e.g. budget_usd)
    journey: str = ""  # buying | selling: which answer cards a question asked inside it is most likely about
    intent_names: Mapping[str, str] = field(default_factory=dict)  # a rendered intent -> the replay's name
    offered_for_device: int = 0  # a device named alone offers this task as a button, in this order (0: not)
    refused_by: tuple[str, ...] = ()  # policy rules about the shopper: once one refused, it refuses this task again

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def following(self, step_id: str) -> str | None:
        """The id of the step written after this one, if any."""
        ids = [s.id for s in self.steps]
        index = ids.index(step_id)
        return ids[index + 1] if index + 1 < len(ids) else None

    def collect_step_for(self, slot: str) -> Collect | None:
        """The first step that collects this slot."""
        return next((s for s in self.steps if isinstance(s, Collect) and s.slot == slot), None)

    def first_dependent(self, slots: set[str]) -> Step | None:
        """The earliest step that collects or uses one of these slots: where a correction re-runs from."""
        for step in self.steps:
            if isinstance(step, Collect) and step.slot in slots:
                return step
            if isinstance(step, Action) and slots & set(step.uses):
                return step
        return None

    def rerun_from(self, changed: set[str], slots: Mapping[str, Any]) -> Step:
        """Where a correction re-runs from: its first dependent step, or an earlier question still unanswered
        (after "back" cleared one), so that no action runs on a fact that is missing."""
        dependent = self.first_dependent(changed) or self.steps[0]
        for step in self.steps:
            if step is dependent:
                return dependent
            if isinstance(step, Collect) and slots.get(step.slot) is None and not step.optional and not step.always_ask \
                    and (step.only_if is None or step.only_if.holds(slots)):  # a laptop's carrier is not missing
                return step
        return dependent

    def used_before(self, step_id: str | None, slot: str) -> bool:
        """Whether an action before this step has read the slot: a first value for it then changes a result."""
        for step in self.steps:
            if step.id == step_id:
                return False
            if isinstance(step, Action) and slot in step.uses:
                return True
        return False

    def producer_of(self, slot: str) -> Action | None:
        """The action that sets this slot (a quote id), if any."""
        return next((s for s in self.steps if isinstance(s, Action) and slot in s.sets), None)

    def previous_collect(self, step_id: str, filled: Mapping[str, Any]) -> Collect | None:
        """The last question before this step whose answer is known: what "back" re-asks."""
        ids = [s.id for s in self.steps]
        for step in reversed(self.steps[: ids.index(step_id)]):
            if isinstance(step, Collect) and step.slot in filled and not step.always_ask:
                return step
        return None

    @property
    def collected(self) -> frozenset[str]:
        """Every slot this flow asks for."""
        return frozenset(s.slot for s in self.steps if isinstance(s, Collect))

    @property
    def slots(self) -> frozenset[str]:
        """Every slot this flow holds: asked for, derived, produced by its actions, or accepted as given."""
        produced = {slot for s in self.steps if isinstance(s, Action) for slot in s.sets}
        return self.collected | frozenset(self.derived_slots) | produced | frozenset(self.extra_slots)
