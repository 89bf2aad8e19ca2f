"""Starting a task from an opening message: which task, and every fact the message already gave for it."""

from __future__ import annotations

from bot.nlu import speech_acts as acts
from bot.nlu.commands import StartFlow
from bot.nlu.understand import Understander, Understanding, is_owned


def upgrade_if_owned(understander: Understander, text: str, u: Understanding) -> Understanding:
    """Two devices, one of them the shopper's own and a trade-in in view: the upgrade math, not a compare."""
    if u.intent != "compare" or not acts.trades_own(text):
        return u
    known = [m for m in understander.devices.find_all(text) if m.device is not None]
    owned = [m for m in known if is_owned(text, m)]
    others = [m for m in known if m not in owned]
    if len(known) != 2 or len(owned) != 1 or len(others) != 1:
        return u
    slots = {**understander.own_device_facts(text), **{k: v for k, v in u.slots.items() if k != "compare_with"}}
    slots["device_model"], slots["target_model"] = owned[0].device.name, others[0].device.name  # type: ignore[union-attr]
    return Understanding("upgrade", u.confidence, slots, owned[0], others[0])


def task_start(understander: Understander, text: str, u: Understanding) -> StartFlow:
    """Start the task the message asks for, with every fact it gave."""
    slots = dict(u.slots)
    if u.device is not None and u.device.device is None:
        if u.device.candidates:
            slots["device_model"] = tuple(d.name for d in u.device.candidates)  # to clarify
        elif u.device.unknown:
            slots["device_model"] = u.device.unknown  # named back: not in the catalog
    if u.intent == "compare":
        mentions = understander.devices.find_all(text)
        named = [m.device for m in mentions if m.device is not None]
        if len(named) == 1 and mentions:
            second = understander.target_after(text, mentions[0])
            if second is not None and second.device is not None:
                named.append(second.device)
        if len(named) >= 2 and named[0].name != named[1].name:
            slots["device_model"], slots["compare_with"] = named[0].name, named[1].name
        amount = acts.budget(text)
        if amount is not None and isinstance(slots.get("device_model"), tuple):
            slots.pop("device_model")  # "cheapest refurb macbook, budget under 700": a line, not a model
        if amount is not None and "device_model" not in slots:
            slots["budget_usd"] = amount
            if acts.budget_is_ceiling(text):
                slots["budget_ceiling"] = True
            slots.pop("storage_gb", None)
            kind = acts.device_kind_named(text)
            if kind is not None:
                slots["budget_kind"] = kind
    return StartFlow(u.intent, slots)
