"""Validate what a language model extracted: only catalog devices and known values survive."""

from __future__ import annotations

from typing import Any, Protocol

from bot.nlu.devices import DeviceMatcher
from bot.nlu.slots import CARRIERS, CONDITIONS, STORAGE_SIZES
from bot.nlu.understand import Understander, Understanding

FLOW_INTENTS = ("trade_in", "compare", "upgrade")


class Extractor(Protocol):
    """The optional LLM's understanding fallback: intent and slots as raw JSON."""

    def extract(self, text: str, intents: tuple[str, ...]) -> dict[str, Any] | None: ...

ALLOWED_INTENTS = ("greet", "thanks", "help", "trade_in", "compare", "upgrade", "faq", "handoff", "cancel",
                   "fallback")
CONFIDENT = 0.6  # the deterministic understanding wins at or above this


def validated(raw: dict[str, Any] | None, devices: DeviceMatcher) -> Understanding | None:
    """An Understanding from the model's JSON, with every value checked; None if the intent is unusable."""
    if not raw or raw.get("intent") not in ALLOWED_INTENTS:
        return None
    slots: dict[str, Any] = {}
    for key in ("device_model", "target_model"):
        name = raw.get(key)
        if isinstance(name, str) and name.strip():
            mention = devices.find(name)
            if mention is not None and mention.device is not None:
                slots[key] = mention.device.name
    storage = raw.get("storage_gb")
    if isinstance(storage, int) and not isinstance(storage, bool) and storage in STORAGE_SIZES:
        slots["storage_gb"] = storage
    if raw.get("condition") in CONDITIONS:
        slots["condition"] = raw["condition"]
    if raw.get("carrier") in CARRIERS:
        slots["carrier"] = raw["carrier"]
    return Understanding(str(raw["intent"]), 0.55, slots)


def merge(deterministic: Understanding, extracted: Understanding) -> Understanding:
    """The model's intent, with the deterministic slots taking precedence over the model's."""
    slots = {**extracted.slots, **deterministic.slots}
    return Understanding(extracted.intent, extracted.confidence, slots, deterministic.device, deterministic.target)


def understand(understander: Understander, extractor: Extractor | None, text: str, *,
               in_flow: bool = False) -> Understanding:
    """Rules first; outside a flow the learned model, then the LLM, when unsure (only validated values count).

    In a flow a message usually answers the question asked ("my email is not valid" at the email step):
    there the rules alone decide, since a second opinion would read it as an opening message.
    """
    understanding = understander.understand(text, learned=not in_flow)
    no_device = understanding.intent in FLOW_INTENTS and "device_model" not in understanding.slots
    if extractor is None or in_flow or (understanding.confidence >= CONFIDENT and not no_device):
        return understanding
    extracted = validated(extractor.extract(text, ALLOWED_INTENTS), understander.devices)
    if extracted is None or extracted.intent == "fallback":
        return understanding
    return merge(understanding, extracted)
