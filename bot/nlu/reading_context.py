"""Where the conversation stands, as the command reader needs to know it (built by the dialogue each turn)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.catalog import Device


@dataclass(frozen=True)
class ReadingContext:
    """Where the conversation stands, as far as reading a message needs to know."""

    flow_intent: str | None = None  # the active task's intent (trade_in, compare, ...), None outside a task
    awaited: str | None = None  # the slot the question on screen asks for
    awaited_is_yes_no: bool = False
    passive: bool = False  # the question on screen may be walked away from (after a decline, refine storage)
    flow_slots: frozenset[str] = frozenset()  # slots the active task holds
    slots: Mapping[str, Any] = field(default_factory=dict)
    device: Device | None = None  # the active task's device
    last_device: str | None = None  # outside a task: the device talked about last
    last_task: str | None = None  # outside a task: the task that ended last (compare, upgrade, ...)
    last_card: str | None = None  # the knowledge card answered last
    last_refusal: str | None = None  # the policy rule the last request ran into (a found phone, a blacklisted one)
    question: str | None = None  # the bot's last question as shown, for the optional LLM (None: not known)
    candidates: tuple[str, ...] = ()  # the devices "which one do you have?" offered (a typed "10th gen" picks one)
    last_pair: tuple[str, ...] = ()  # outside a task: the two devices of the side by side shown last
    pending: str | None = None  # outside a task: the task the last answer offered ("galaxy s22" next starts it)
    yes_starts: str | None = None  # a result on screen whose main button a typed yes presses (a task's purpose)
