"""Conversation state as stored in the database (JSON), and what the replay shows of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

INTERNAL_SLOTS = frozenset({"device_family", "device_kind", "storage_choice", "accept", "quote_id", "reconsider",
                            "interrupted", "misses", "reason", "rule", "to_person", "kind", "ticket_id", "opening"})


@dataclass
class Frame:
    """A flow waiting underneath the active one (or, with no flow, what the conversation remembers)."""

    flow: str | None
    step: str | None
    slots: dict[str, Any]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Frame:
        """Rebuild a stored frame."""
        return cls(raw.get("flow"), raw.get("step"), dict(raw.get("slots") or {}))


@dataclass
class ConversationState:
    """The dialogue stack: the active frame (flow, step, slots), the frames it interrupted, and counters."""

    flow: str | None = None
    step: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    fallbacks: int = 0  # messages not understood in a row
    last_quote_id: str | None = None
    stack: list[Frame] = field(default_factory=list)  # interrupted frames, the most recent last
    last_card: str | None = None  # the last knowledge card answered: context for a follow-up question
    last_device: str | None = None  # the device last talked about outside a task: "256gb, att" then quotes it
    last_task: str | None = None  # the task that ended last: "and if i got it new instead?" shows it again
    confirming: str | None = None  # a yes the bot waits for outside any flow ("forget": delete the shopper's data)
    last_refusal: str | None = None  # the policy rule that refused the last request: "even for parts?" still runs into it
    tentative: bool = False  # the active task began on a guess (a device named alone): another task replaces it
    candidates: list[str] = field(default_factory=list)  # the devices "which one do you have?" offered last turn
    unknown_kind: str | None = None  # the kind of a model we do not buy, named with facts that may be its own
    refused_shopper: str | None = None  # a rule about the shopper (under 18, outside the US): it holds all along
    # the task the last answer offered, with the facts the question told ("it's on t-mobile and the back is
    # cracked, can i still sell it?"): the device named next, or its button, starts it with them (one turn)
    pending: dict[str, Any] | None = None
    last_pair: list[str] = field(default_factory=list)  # the two devices of the side by side shown last

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> ConversationState:
        """Rebuild from the stored JSON; unknown keys are ignored, missing ones defaulted."""
        raw = raw or {}
        return cls(
            flow=raw.get("flow"), step=raw.get("step"), slots=dict(raw.get("slots") or {}),
            fallbacks=int(raw.get("fallbacks") or 0), last_quote_id=raw.get("last_quote_id"),
            stack=[Frame.from_json(f) for f in raw.get("stack") or () if isinstance(f, dict)],
            last_card=raw.get("last_card"), last_device=raw.get("last_device"), last_task=raw.get("last_task"),
            confirming=raw.get("confirming"), last_refusal=raw.get("last_refusal"),
            tentative=bool(raw.get("tentative")), candidates=[str(c) for c in raw.get("candidates") or ()],
            unknown_kind=raw.get("unknown_kind"), refused_shopper=raw.get("refused_shopper"),
            pending=raw.get("pending") if isinstance(raw.get("pending"), dict) else None,
            last_pair=[str(d) for d in raw.get("last_pair") or ()],
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON stored in conversations.state."""
        return asdict(self)

    def clear(self) -> None:
        """Forget everything: the state of a conversation that has just begun."""
        fresh = ConversationState(refused_shopper=self.refused_shopper)  # starting over does not make one 18
        for name, value in vars(fresh).items():
            setattr(self, name, value)

    def push(self) -> None:
        """Suspend the active frame under a new one."""
        self.stack.append(Frame(self.flow, self.step, dict(self.slots)))
        self.flow, self.step, self.slots = None, None, {}

    def pop(self) -> None:
        """Resume the most recently interrupted frame (or forget everything when there is none)."""
        frame = self.stack.pop() if self.stack else Frame(None, None, {})
        self.flow, self.step, self.slots = frame.flow, frame.step, frame.slots

    @property
    def interrupted(self) -> Frame | None:
        """The frame right under the active one."""
        return self.stack[-1] if self.stack else None

    def visible_slots(self) -> dict[str, Any]:
        """Slots as the replay contract shows them (internal helpers left out)."""
        return {k: v for k, v in self.slots.items() if k not in INTERNAL_SLOTS and v is not None}
