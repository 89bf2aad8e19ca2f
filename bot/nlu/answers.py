"""Read the answer to the question a flow is waiting on (typed text or a button value)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.catalog import Device
from bot.nlu import consent, payout, speech_acts
from bot.nlu import slots as extract
from bot.nlu.devices import DeviceMatcher
from bot.nlu.text import normalize

# Slots a flow may hold, with the type of their values (pattern flows' slots are the commands' fields).
SLOT_TYPES: dict[str, type] = {
    "device_model": str, "storage_gb": int, "condition": str, "carrier": str, "battery_health_pct": int,
    "account_locked": bool, "grade": str, "email": str, "accept": bool, "payout_method": str,
    "target_model": str, "device_family": str, "storage_choice": bool, "device_kind": str, "quote_id": str,
    "reconsider": bool, "compare_with": str, "budget_usd": int, "budget_kind": str, "budget_ceiling": bool,
    "reason": str, "rule": str, "to_person": bool, "kind": str, "interrupted": bool, "misses": int,
}
PAYOUT_METHODS = ("ach", "paypal")
GRADES = ("fair", "good", "excellent", "premium")
MAX_EMAIL_CHARS = 254  # RFC 5321's limit for a path; longer is not an address
BUDGET_RANGE = (50, 5000)
BUDGET_KINDS = ("laptop", "tablet", "android", "iphone")
_ENUMS: dict[str, tuple[str, ...]] = {"condition": extract.CONDITIONS, "carrier": extract.CARRIERS,
                                     "payout_method": PAYOUT_METHODS, "grade": GRADES, "budget_kind": BUDGET_KINDS}
_DEVICE_SLOTS = ("device_model", "target_model", "compare_with")


@dataclass(frozen=True)
class Checked:
    """A slot value after validation: the value to store, or why not (a response name and its values)."""

    value: Any = None
    ok: bool = False
    problem: str | None = None  # a response name: storage_not_offered, not_in_catalog, which_device, ...
    details: tuple[tuple[str, Any], ...] = ()
    candidates: tuple[str, ...] = ()


def check_slot(slot: str, value: Any, *, devices: DeviceMatcher, device: Device | None) -> Checked:
    """Validate one slot value, from a button exactly as from text; unknown slots are refused."""
    kind = SLOT_TYPES.get(slot)
    if kind is None:
        return Checked(problem="invalid_value")
    if value is None:
        return Checked(None, ok=True)  # a skipped optional question
    if slot in _DEVICE_SLOTS:
        if isinstance(value, tuple):
            return Checked(problem="which_device", candidates=tuple(str(v) for v in value))
        found = devices.catalog.by_name(str(value))
        if found is not None:
            return Checked(found.name, ok=True)
        return Checked(problem="not_in_catalog", details=(("name", str(value)[:60]),))
    try:
        typed = _typed(kind, value)
    except (TypeError, ValueError):  # an over-long typed address is a wrong email, not a wrong button
        return Checked(problem="not_an_email" if slot == "email" else "invalid_value")
    if slot in _ENUMS and typed not in _ENUMS[slot]:
        return Checked(problem="invalid_value")
    if slot == "storage_gb":
        if typed not in extract.STORAGE_SIZES:
            return Checked(problem="invalid_value")
        if device is not None and typed not in device.storage_gb:
            return Checked(problem="storage_not_offered",
                           details=(("device_model", device.name), ("choices", device.storage_choices)))
    if slot == "battery_health_pct" and not 1 <= typed <= 100:
        return Checked(problem="invalid_value")
    if slot == "budget_usd" and not BUDGET_RANGE[0] <= typed <= BUDGET_RANGE[1]:
        return Checked(problem="invalid_value")
    if slot == "email" and (len(typed) > MAX_EMAIL_CHARS or extract.extract_email(typed) != typed):
        return Checked(problem="not_an_email")
    return Checked(typed, ok=True)


def _typed(kind: type, value: Any) -> Any:
    """A value of the slot's type; text from a button ('true', '256') is converted, anything else refused."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).casefold()
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(value)
    if kind is int:
        if isinstance(value, bool):
            raise ValueError(value)
        number = int(str(value))
        if abs(number) > 10**6:
            raise ValueError(value)
        return number
    if not isinstance(value, str) or not value or len(value) > MAX_EMAIL_CHARS or "\x00" in value:
        raise ValueError(value)
    return value
_SKIP = re.compile(r"^(?:skip|dont know|don't know|idk|not sure|no idea|dunno|pass|n/?a|unknown|no clue)\b")


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: a value, a skip, candidates to choose from, or a problem to explain."""

    value: Any = None
    ok: bool = False
    candidates: tuple[Device, ...] = ()
    unknown_device: str | None = None
    problem: str | None = None


def _yes_or_no(text: str) -> bool | None:
    """True or False for an unmistakable yes or no; None for anything else (a question is never a yes)."""
    if consent.is_yes(text):
        return True
    if consent.is_no(text):
        return False
    return None


def parse_answer(slot: str, text: str, *, devices: DeviceMatcher, device: Device | None) -> Parsed:
    """Interpret free text as the value of `slot`."""
    norm = normalize(text)
    if slot in ("device_model", "target_model"):
        mention = devices.find(text)
        if mention is None and device is not None:  # "make that the 16 pro max": read in the device's family
            mention = devices.find(f"{device.family} {text}")
            mention = mention if mention is not None and mention.device is not None else None
        if mention is None:
            return Parsed()
        if mention.device is not None:
            return Parsed(mention.device.name, ok=True)
        return Parsed(candidates=mention.candidates, unknown_device=mention.unknown)
    if slot == "storage_gb":
        size = extract.extract_storage(text, bare_number=True)
        if size is None:
            return Parsed()
        return Parsed(size, ok=True)  # a size the device doesn't come in is refused, with its sizes, by check_slot
    if slot == "battery_health_pct":
        if _SKIP.search(norm):
            return Parsed(None, ok=True)
        percent = extract.extract_battery(text) or extract.extract_percent(text)
        return Parsed(percent, ok=percent is not None)
    if slot == "account_locked":
        stated = extract.extract_account_locked(text)
        if stated is not None:
            return Parsed(stated, ok=True)
        yes = speech_acts.leading_yes_no(text)  # the question: "have you removed it?" yes -> not locked
        return Parsed(not yes, ok=True) if yes is not None else Parsed()
    if slot in ("accept", "reconsider"):
        yes = _yes_or_no(text)  # a decision: only an unmistakable yes or no
        return Parsed(yes, ok=yes is not None)
    if slot == "payout_method":
        method = payout.payout_choice(text, as_answer=True)
        return Parsed(method, ok=method is not None)
    if slot == "email":
        email = extract.extract_email(text)
        if email is None:
            return Parsed(problem="not_an_email")  # a response name
        return Parsed(email, ok=True)
    if slot == "condition":
        condition = extract.extract_condition(text, bare_word=True)
        return Parsed(condition, ok=condition is not None)
    if slot == "carrier":
        carrier = extract.extract_carrier(text)
        # "no" alone says it is not tied to one; "wait no its 256" corrects something else
        if carrier is None and re.search(r"\b(?:none|no carrier|not locked)\b|^(?:no|nope|nah)$", norm.strip()):
            carrier = "unlocked"
        return Parsed(carrier, ok=carrier is not None)
    if slot == "grade":
        match = re.search(r"\b(fair|good|excellent|premium)\b", norm)
        return Parsed(match.group(1), ok=True) if match else Parsed()
    return Parsed()
