"""Read the answer to the question a flow is waiting on (typed text or a button value)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.catalog import Device
from bot.nlu import slots as extract
from bot.nlu.devices import DeviceMatcher
from bot.nlu.text import normalize

# Slots a flow may collect, with the type of their values.
SLOT_TYPES: dict[str, type] = {
    "device_model": str, "storage_gb": int, "condition": str, "carrier": str, "battery_health_pct": int,
    "account_locked": bool, "grade": str, "email": str, "accept": bool, "payout_method": str,
    "target_model": str, "device_family": str, "storage_choice": bool,
}
DECISION_SLOTS = frozenset({"accept", "payout_method", "email"})  # never "corrected" by a stray mention
_SKIP = re.compile(r"^(?:skip|dont know|don't know|idk|not sure|no idea|dunno|pass|n/?a|unknown|no clue)\b")


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: a value, a skip, candidates to choose from, or a problem to explain."""

    value: Any = None
    ok: bool = False
    candidates: tuple[Device, ...] = ()
    unknown_device: str | None = None
    problem: str | None = None


def from_payload(slot: str, raw: str) -> Any:
    """Convert a button value back to the slot's type."""
    kind = SLOT_TYPES.get(slot, str)
    if raw == "skip":
        return None
    if kind is bool:
        return raw.casefold() in ("true", "yes", "1")
    if kind is int:
        return int(raw)
    return raw


def parse_answer(slot: str, text: str, *, devices: DeviceMatcher, device: Device | None) -> Parsed:
    """Interpret free text as the value of `slot`."""
    norm = normalize(text)
    if slot == "device_model":
        mention = devices.find(text)
        if mention is None:
            return Parsed()
        if mention.device is not None:
            return Parsed(mention.device.name, ok=True)
        return Parsed(candidates=mention.candidates, unknown_device=mention.unknown)
    if slot == "storage_gb":
        size = extract.extract_storage(text, bare_number=True)
        if size is None:
            return Parsed()
        if device is not None and size not in device.storage_gb:
            return Parsed(problem=f"The {device.name} comes with {device.storage_choices}.")
        return Parsed(size, ok=True)
    if slot == "battery_health_pct":
        if _SKIP.search(norm):
            return Parsed(None, ok=True)
        percent = extract.extract_battery(text) or extract.extract_percent(text)
        return Parsed(percent, ok=percent is not None)
    if slot == "account_locked":
        stated = extract.extract_account_locked(text)
        if stated is not None:
            return Parsed(stated, ok=True)
        yes = extract.extract_yes_no(text)  # the question: "have you removed it?" yes -> not locked
        return Parsed(not yes, ok=True) if yes is not None else Parsed()
    if slot == "accept":
        yes = extract.extract_yes_no(text)
        return Parsed(yes, ok=yes is not None)
    if slot == "payout_method":
        if re.search(r"paypal|pay pal", norm):
            return Parsed("paypal", ok=True)
        if re.search(r"\bach\b|bank|direct deposit|transfer|checking|account", norm):
            return Parsed("ach", ok=True)
        return Parsed()
    if slot == "email":
        email = extract.extract_email(text)
        if email is None:
            return Parsed(problem="That doesn't look like an email address (for example name@example.com).")
        return Parsed(email, ok=True)
    if slot == "condition":
        condition = extract.extract_condition(text, bare_word=True)
        return Parsed(condition, ok=condition is not None)
    if slot == "carrier":
        carrier = extract.extract_carrier(text)
        if carrier is None and re.search(r"\b(?:none|no carrier|not locked|no)\b", norm):
            carrier = "unlocked"
        return Parsed(carrier, ok=carrier is not None)
    if slot == "grade":
        match = re.search(r"\b(fair|good|excellent|premium)\b", norm)
        return Parsed(match.group(1), ok=True) if match else Parsed()
    return Parsed()
