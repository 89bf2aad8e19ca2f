"""Understand one message: its intent and every slot it states."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.catalog import CATEGORY_WORDS, Catalog, Device
from bot.nlu import slots as extract
from bot.nlu.devices import SEEN_TEXTS, DeviceMatcher, DeviceMention
from bot.nlu.intent_model import LearnedIntents
from bot.nlu.intents import classify, names_trade_in, wants_another
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


# How much the rules' vote weighs against the learned model's probabilities (x the rule's confidence).
# Chosen on development data; first readings before training on them, rules alone -> rules + model:
# dev3 0.891 -> 0.938, train4 (written to be hard) 0.743 -> 0.867, train5 0.739 -> 0.900.
RULE_WEIGHT = 0.5
# Intents the rules decide alone (anchored, precise patterns): a request for a person, cancel, start over,
# hello, help, thanks.
_RULES_ONLY = frozenset({"handoff", "cancel", "restart", "greet", "help", "thanks"})
_DESCRIBES_OWN_DEVICE = frozenset({"trade_in", "upgrade", "handoff"})
_OWN_DEVICE_FACTS = ("condition", "battery_health_pct", "account_locked")  # kept only when the intent describes it


MASK_WORD = "phone"  # what a device mention reads as to the learned model (trained that way)


def _kind_word(mention: DeviceMention) -> str:
    """The word for the kind of device a mention names (its candidates' kind when they share one)."""
    kinds = {d.category for d in ((mention.device,) if mention.device is not None else mention.candidates)}
    return CATEGORY_WORDS.get(kinds.pop(), MASK_WORD) if len(kinds) == 1 else MASK_WORD


class Understander:
    """NLU over the catalog: rules, with a learned model's second opinion on opening messages."""

    def __init__(self, catalog: Catalog, learned: LearnedIntents | None = None) -> None:
        self.catalog = catalog
        self.devices = DeviceMatcher(catalog)
        self.learned = learned
        self._slots_seen: dict[str, dict[str, Any]] = {}

    def view(self, text: str, mentions: list[DeviceMention] | None = None, *,
             by_kind: bool = False) -> tuple[str, str]:
        """The text as the learned model reads it: normalised, and with each device mention masked as "phone"
        (`by_kind`: as the kind of device it is, "tablet" or "laptop" too, as the answer cards are worded)."""
        tokens = normalize(text).split()
        masked = list(tokens)
        for mention in reversed(mentions if mentions is not None else self.devices.find_all(text)):
            start, end = mention.span
            if end > start:
                masked[start:end] = [_kind_word(mention) if by_kind else MASK_WORD]
        return " ".join(tokens), " ".join(masked)

    def understand(self, text: str, *, learned: bool = True) -> Understanding:
        """Intent and slots of a free-text message; `learned`: ask the learned model too (not for flow answers)."""
        mentions = self.devices.find_all(text)
        slots = self.slots_in(text)
        known = [m for m in mentions if m.device is not None]
        kept = kept_devices(text, known)
        new_ones = [m for m in kept if upgraded_to(text, m)]  # "upgrading to a pixel 8": the upgrade's target
        if kept and len(kept) < len(known):
            # "i'm keeping my iphone 14 and my ipad air, but the macbook air has to go": the one for sale
            known = [m for m in known if m not in kept]
            mentions = [m for m in mentions if m not in kept]
        known, taken_back = _after_corrections(text, known)  # "my iphone 13 wait no its the 13 pro": the second
        mentions = [m for m in mentions if m.device is None or m in known]
        if len(known) >= 2 and is_owned(text, known[1]) and not is_owned(text, known[0]):
            known = [known[1], known[0], *known[2:]]  # "what would the 16 cost if i trade in my 12 pro"
        if known:
            slots["device_model"] = known[0].device.name  # type: ignore[union-attr]
        named = known[0] if known else next((m for m in mentions if m.unknown), None)
        if named is not None and "storage_gb" not in slots:  # "galaxy s20 128": a size even for a model we lack
            storage = _bare_storage(text, named)
            if storage is None and named.device is not None and len(known) == 1:
                storage = _only_size_of(text, named.device)  # "pixel 7. tmobile. like new. 128"
            if storage is not None:
                slots["storage_gb"] = storage
        if known and "condition" not in slots and ("storage_gb" in slots or "carrier" in slots):
            listed = extract.extract_condition_in_listing(text)
            if listed is not None:
                slots["condition"] = listed
        trade_slots = any(k in slots for k in ("storage_gb", "condition", "carrier", "battery_health_pct"))
        target = None
        if len(known) >= 2:
            target = known[1]
        elif new_ones and known:
            target = new_ones[0]
        elif mentions:
            target = self.target_after(text, mentions[0])
            if target is not None and target.device is not None and target.device.name in taken_back:
                target = None  # "... no, it's the 13 pro; my sister has the regular 13": not a second device
        count = (len(known) or (1 if mentions else 0)) + (1 if target is not None and len(known) < 2 else 0)
        intent, confidence = classify(text, devices=count, has_trade_slots=trade_slots)
        # Spelled out, nothing is left to second-guess: "how much for my iphone 12 128gb, cracked" is a trade-in,
        # "14pm 512 unlocked -> 16pm" an upgrade (the model, reading device names masked, took such messages for
        # trade-ins). Cross-validated: no loss on either, and the model's cost is saved.
        spelled_out = (intent == "trade_in" and confidence >= 0.9 and bool(known) and (
            trade_slots or names_trade_in(text))) or (intent == "upgrade" and len(known) >= 2 and trade_slots)
        if learned and self.learned is not None and intent not in _RULES_ONLY and not spelled_out:
            rule_intent = intent
            intent, confidence = _combined(intent, confidence, self.learned.probabilities(self.view(text, mentions)))
            if intent == "upgrade" and rule_intent == "trade_in" and len(known) == 1 and target is None \
                    and not wants_another(text):
                intent = "trade_in"  # "i want to trade in my iphone 14 pro", "ip13 trade in?": nothing to get
        if intent == "upgrade" and target is not None and target.device is not None:
            slots["target_model"] = target.device.name
        elif intent == "upgrade" and len(known) == 1 and not is_owned(text, known[0]):
            slots["target_model"] = slots.pop("device_model")
            target = known[0]
        else:
            target = None
        # Only a trade-in (or an upgrade, or a problem for a person) describes the shopper's own device:
        # "does it cover a cracked screen" or "where's the nearest t-mobile store" state nothing about it.
        if intent not in _DESCRIBES_OWN_DEVICE:
            for name in _OWN_DEVICE_FACTS:
                slots.pop(name, None)
            if intent != "compare":  # a shopper buying "an unlocked 256 GB iphone 13" still wants those
                slots.pop("storage_gb", None)
                slots.pop("carrier", None)
        return Understanding(intent, confidence, slots, mentions[0] if mentions else None, target)

    def own_device_facts(self, text: str) -> dict[str, Any]:
        """What the text says about the shopper's own device (condition, battery, account lock), whatever the intent."""
        found = {k: v for k, v in self.slots_in(text).items() if k in _OWN_DEVICE_FACTS}
        if "condition" not in found:
            listed = extract.extract_condition_in_listing(text)  # "pixel 6 128 unlocked, good"
            if listed is not None:
                found["condition"] = listed
        return found

    def rule_intent(self, text: str) -> str:
        """What the rules alone read the message as (no learned model): for cancel, restart and selling."""
        mentions = self.devices.find_all(text)
        known = sum(1 for m in mentions if m.device is not None) or (1 if mentions else 0)
        trade = any(k in self.slots_in(text) for k in ("storage_gb", "condition", "carrier", "battery_health_pct"))
        return classify(text, devices=known, has_trade_slots=trade)[0]

    def target_after(self, text: str, first: DeviceMention) -> DeviceMention | None:
        """A second model named by its number only, in the first one's family ('iphone 14 vs 15')."""
        tokens = normalize(text).split()
        rest = " ".join(tokens[first.span[1]:])
        return self.devices.resolve_in_family(first, rest) if rest else None

    def size_after_model(self, text: str, mention: DeviceMention) -> int | None:
        """A bare size right after the model ("iphone 11 128 broken back glass") is its storage."""
        return _bare_storage(text, mention)

    def slots_in(self, text: str) -> dict[str, Any]:
        """Every non-device slot the text states."""
        cached = self._slots_seen.get(text)
        if cached is None:
            if len(self._slots_seen) >= SEEN_TEXTS:
                self._slots_seen.clear()
            cached = self._slots_seen[text] = self._slots_in(text)
        return dict(cached)

    def _slots_in(self, text: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        email = extract.extract_email(text)
        text = extract.without_emails(text)  # an address's words are not facts ("linda@att.net": no carrier)
        for name, value in (
            ("storage_gb", extract.extract_storage(text)),
            ("condition", extract.extract_condition(text)),
            ("carrier", extract.extract_carrier(text)),
            ("battery_health_pct", extract.extract_battery(text)),
            ("account_locked", extract.extract_account_locked(text)),
            ("email", email),
        ):
            if value is not None:
                found[name] = value
        if "battery_health_pct" not in found and extract.battery_unknown(text):
            found["battery_health_pct"] = None  # said not to know it: the optional question is not asked
        return found


def _combined(rule_intent: str, rule_confidence: float, learned: dict[str, float]) -> tuple[str, float]:
    """The rules' vote added to the model's probabilities; the confidence is the winner's share of the total."""
    vote = RULE_WEIGHT * rule_confidence
    scores = {intent: p + (vote if intent == rule_intent else 0.0) for intent, p in learned.items()}
    scores.setdefault(rule_intent, vote)
    best = max(scores, key=lambda intent: scores[intent])
    return best, scores[best] / (1.0 + vote)


def _bare_storage(text: str, mention: DeviceMention) -> int | None:
    """A bare size right after the model ('iphone 16 256') is its storage."""
    tokens = normalize(text).split()
    for token in tokens[mention.span[1]:mention.span[1] + 4]:
        if token.isdigit() and int(token) in STORAGE_SIZES and int(token) >= 32:
            return int(token)
    return None


def _only_size_of(text: str, device: Device) -> int | None:
    """The one bare number in the text that is a storage size of the device (not a percentage or a price)."""
    norm = normalize(text)
    sizes = {int(n) for n in re.findall(r"(?<![$\d.])\b(\d{2,4})\b(?! ?(?:%|percent|dollars|bucks|usd|months?|days?|"
                                          r"years?|weeks?|hours?|mins?|minutes?))", norm)
             if int(n) in device.storage_gb and int(n) >= 32}
    return sizes.pop() if len(sizes) == 1 else None


def is_owned(text: str, mention: DeviceMention) -> bool:
    """Whether the one device named is the shopper's current one ('my s21')."""
    words = normalize(text).split()
    start = mention.span[0]
    return any(w in ("my", "mine", "have", "got", "own", "in") for w in words[max(0, start - 3):start])


# Words right before a device that say the shopper keeps it (or already got it as the new one): not for sale
_KEPT_BEFORE = re.compile(r"\b(?:keeping|keep|i ll keep|holding on to|hanging on to|not selling|staying with|"
                          r"just got|just bought|picked up|upgraded to|switched to)(?: the| my| a| an| new| brand new)*$")
# "talked me into upgrading to a galaxy s24 ... it's an iphone 13": the device upgraded to is never the one for sale
_NEW_ONE_BEFORE = re.compile(r"\b(?:upgrad(?:ed|ing) to|switch(?:ed|ing) to|mov(?:ed|ing) to|got me|bought me|gave me)"
                             r"(?: the| my| a| an| new| brand new| shiny)*$")
# "got the 16 pro last wk": a device acquired lately is the new one, not the one to sell
_GOT_LATELY = re.compile(r"^(?:i )?(?:got|bought)(?: the| a| an| my| new)* \S+(?: \S+){0,3} (?:last (?:wk|week|month)|"
                         r"yesterday|recently|this (?:week|month))\b")
KEPT_REACH = 4  # words before the model in which "keeping" or "just got" still speaks of it


# Between two models, words that take the first one back: "wanna sell my iphone 13 wait no its the 13 pro"
_TAKES_BACK = re.compile(r"\b(?:wait no|no wait|actually|i mean|i meant|sorry|oops|correction|scratch that|my bad|"
                         r"nope|not the|no it(?:'| )?s)\b")
TAKE_BACK_REACH = 8  # words between the two models in which a correction still speaks of the first


def _after_corrections(text: str, known: list[DeviceMention]) -> tuple[list[DeviceMention], set[str]]:
    """The devices named, without those the message itself corrects to the next one (and those models' names)."""
    tokens = normalize(text).split()
    taken_back: set[str] = set()
    for n, mention in enumerate(known[:-1]):
        between = tokens[mention.span[1]:known[n + 1].span[0]]
        if len(between) <= TAKE_BACK_REACH and _TAKES_BACK.search(" ".join(between)):
            taken_back.add(mention.device.name if mention.device else "")
    # the model taken back is gone from the whole message ("my sister has the regular 13" is not mine either)
    return [m for m in known if (m.device.name if m.device else "") not in taken_back], taken_back


def upgraded_to(text: str, mention: DeviceMention) -> bool:
    """The device is the one the shopper upgrades (or upgraded) to ("talked me into upgrading to a galaxy s24")."""
    tokens = normalize(text).split()
    return bool(_NEW_ONE_BEFORE.search(" ".join(tokens[max(0, mention.span[0] - KEPT_REACH):mention.span[0]])))


def kept_device(text: str, mention: DeviceMention) -> bool:
    """The shopper keeps this device ("i'm keeping my iphone 14", "got the 16 pro last wk, selling my 12 mini")."""
    tokens = normalize(text).split()
    start = mention.span[0]
    before = " ".join(tokens[max(0, start - KEPT_REACH):start])
    lately = start <= KEPT_REACH and bool(_GOT_LATELY.search(" ".join(tokens[: mention.span[1] + KEPT_REACH])))
    if upgraded_to(text, mention):
        return True
    return (bool(_KEPT_BEFORE.search(before)) or lately) and not wants_another(" ".join(tokens[max(0, start - KEPT_REACH):]))


_LIST_JOIN = frozenset({"and", "my", "the", "also", "plus", "or", "an", "a", "old"})


def kept_devices(text: str, known: list[DeviceMention]) -> list[DeviceMention]:
    """The devices the shopper keeps; "keeping my iphone 14 and my ipad air" keeps both."""
    tokens = normalize(text).split()
    kept: list[DeviceMention] = []
    for n, mention in enumerate(known):
        between = tokens[known[n - 1].span[1]:mention.span[0]] if n else []
        listed = n > 0 and known[n - 1] in kept and all(t.strip(",") in _LIST_JOIN for t in between)
        if listed or kept_device(text, mention):
            kept.append(mention)
    return kept
