"""Flow model: one small frozen dataclass per step kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Condition:
    """`slot`, `not slot`, `slot == value`, `slot != value` or `slot in [a, b]`."""

    slot: str
    op: str  # truthy | falsy | eq | ne | in
    values: tuple[Any, ...] = ()

    def holds(self, slots: dict[str, Any]) -> bool:
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


@dataclass(frozen=True)
class Say(Step):
    """Send a message (slot values fill {placeholders})."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (label, payload) pairs, e.g. ("Compare", "i:compare")


@dataclass(frozen=True)
class Branch(Step):
    """Go to the first step whose condition holds, else `otherwise` (or on)."""

    cases: tuple[tuple[Condition, str], ...]
    otherwise: str | None


@dataclass(frozen=True)
class Action(Step):
    """Run a registered Python function."""

    name: str


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

    @property
    def slots(self) -> frozenset[str]:
        """Every slot this flow collects."""
        return frozenset(s.slot for s in self.steps if isinstance(s, Collect))
