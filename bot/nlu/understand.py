"""Understand one message: its intent and every slot it states."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.catalog import Catalog
from bot.nlu import slots as extract
from bot.nlu.devices import DeviceMatcher, DeviceMention
from bot.nlu.intents import classify
from bot.nlu.slots import STORAGE_SIZES
from bot.nlu.text import normalize


@dataclass(frozen=True)
class Understanding:
    """The intent, its confidence, the slots stated, and what was said about devices."""

    intent: str
    confidence: float
    slots: dict[str, Any] = field(default_factory=dict)
    device: DeviceMention | None = None
    target: DeviceMention | None = None


class Understander:
    """Deterministic NLU over the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.devices = DeviceMatcher(catalog)

    def understand(self, text: str) -> Understanding:
        """Intent and slots of a free-text message."""
        mentions = self.devices.find_all(text)
        slots = self.slots_in(text)
        known = [m for m in mentions if m.device is not None]
        if len(known) >= 2 and _is_owned(text, known[1]) and not _is_owned(text, known[0]):
            known = [known[1], known[0], *known[2:]]  # "what would the 16 cost if i trade in my 12 pro"
        if known:
            slots["device_model"] = known[0].device.name  # type: ignore[union-attr]
            if "storage_gb" not in slots:
                storage = _bare_storage(text, known[0])
                if storage is not None:
                    slots["storage_gb"] = storage
        trade_slots = any(k in slots for k in ("storage_gb", "condition", "carrier", "battery_health_pct"))
        target = None
        if len(known) >= 2:
            target = known[1]
        elif mentions:
            target = self._target_after(text, mentions[0])
        count = (len(known) or (1 if mentions else 0)) + (1 if target is not None and len(known) < 2 else 0)
        intent, confidence = classify(text, devices=count, has_trade_slots=trade_slots)
        if intent == "upgrade" and target is not None and target.device is not None:
            slots["target_model"] = target.device.name
        elif intent == "upgrade" and len(known) == 1 and not _is_owned(text, known[0]):
            slots["target_model"] = slots.pop("device_model")
            target = known[0]
        else:
            target = None
        if intent == "faq":  # "does it cover a cracked screen" describes no device of theirs
            for name in ("condition", "storage_gb", "carrier", "battery_health_pct", "account_locked"):
                slots.pop(name, None)
        return Understanding(intent, confidence, slots, mentions[0] if mentions else None, target)

    def _target_after(self, text: str, first: DeviceMention) -> DeviceMention | None:
        tokens = normalize(text).split()
        rest = " ".join(tokens[first.span[1]:])
        return self.devices.resolve_in_family(first, rest) if rest else None

    def slots_in(self, text: str) -> dict[str, Any]:
        """Every non-device slot the text states."""
        found: dict[str, Any] = {}
        for name, value in (
            ("storage_gb", extract.extract_storage(text)),
            ("condition", extract.extract_condition(text)),
            ("carrier", extract.extract_carrier(text)),
            ("battery_health_pct", extract.extract_battery(text)),
            ("account_locked", extract.extract_account_locked(text)),
            ("email", extract.extract_email(text)),
        ):
            if value is not None:
                found[name] = value
        return found


def _bare_storage(text: str, mention: DeviceMention) -> int | None:
    """A bare size right after the model ('iphone 16 256') is its storage."""
    tokens = normalize(text).split()
    for token in tokens[mention.span[1]:mention.span[1] + 4]:
        if token.isdigit() and int(token) in STORAGE_SIZES and int(token) >= 32:
            return int(token)
    return None


def _is_owned(text: str, mention: DeviceMention) -> bool:
    """Whether the one device named is the shopper's current one ('my s21')."""
    words = normalize(text).split()
    start = mention.span[0]
    return any(w in ("my", "mine", "have", "got", "own", "in") for w in words[max(0, start - 3):start])
