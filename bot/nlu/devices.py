"""Recognise catalog devices in free text: aliases, missing spaces, typos, ambiguity, unknown models."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.catalog import Catalog, Device
from bot.nlu.text import normalize, squash

MAX_WINDOW = 6
SEEN_TEXTS = 512  # messages whose mentions are remembered (the reader looks at one message several times)
NEGATION_REACH = 3  # tokens before a mention where "not (a|the)" denies it
_NEGATIONS = frozenset({"not", "isnt", "nor", "never", "no"})
_ARTICLES = frozenset({"a", "an", "the", "my", "one"})
FUZZY_CUTOFF = 0.86
_NOT_A_MODEL_START = frozenset(
    "my a an the for to of i is it and or me your ur our this that with want sell buy trade get in on at from by "
    "into".split())
_VARIANT_SUFFIXES = frozenset({"fe", "lite", "edge", "xl", "neo"})
_PLURALS = {"pros": "pro", "maxes": "max", "maxs": "max", "mx": "max", "minis": "mini", "ultras": "ultra", "pluses": "plus",
            "airs": "air", "ipads": "ipad", "iphones": "iphone", "macbooks": "macbook"}
_BRANDS = frozenset({"apple", "google", "samsung"})
_VARIANT_WORDS = frozenset({"pro", "mini", "air", "max", "plus", "ultra"})
_PLURAL_MODEL = re.compile(r"^([sm]\d{1,2}|\d{2})s$")  # "s24s", "m3s", "14s" (but "6s" is a model of its own)
# "a refurb 15", "the 14 pro": a model number after an article, never a size, a count or a span of time
_SHORT_REFERENCE = re.compile(
    r"\b(?:a|an|the|that|this|refurb|refurbished|new|used)\s+(\d{1,2}[a-z]?(?:\s(?:pro|max|plus|mini|ultra))*)\b"
    r"(?!\s*(?:gb|g|tb|%|percent|days?|months?|years?|weeks?|hours?|dollars?|bucks|usd|mins?|minutes?|or so)\b)")
_CHIP_REFERENCE = re.compile(r"\b(?:a|an|the|that|this|refurb|refurbished|new|used)\s+(m\d)\b")
_MODEL_NEXT = re.compile(r"\d|^(?:pro|air|mini|se|plus|max|ultra|fold|flip)$")
_FAMILY_WORDS = {
    "iphone": "iPhone", "galaxy": "Galaxy", "samsung": "Galaxy", "pixel": "Pixel", "ipad": "iPad",
    "macbook": "MacBook", "mac": "MacBook",
}
_LINE_FAMILIES = frozenset({"macbook", "mac", "ipad"})  # families whose lines ("pro", "mini") are named by a word
_FOREIGN_BRANDS = ("oneplus", "one plus", "motorola", "moto", "xiaomi", "huawei", "nokia", "oppo", "vivo",
                   "sony", "xperia", "lg", "nothing phone", "surface", "blackberry", "razr", "redmi", "zte",
                   "dell", "lenovo", "thinkpad", "asus", "acer", "chromebook", "hp", "razer")
_UNKNOWN_MODEL = re.compile(
    r"\b(iphone|galaxy|pixel|ipad|macbook(?: pro| air)?|note|" + "|".join(_FOREIGN_BRANDS)
    + r")\s?((?:[a-z]{0,2}\d{1,2}[a-z+]{0,5})(?:\s(?:pro|max|plus|ultra|mini|lite|fe|xl|s|r))*)\b"
    # "my ipad 25 days ago", "pixel 2 weeks old": a span of time or an amount, not a model
    r"(?!\s*(?:days?|weeks?|months?|years?|yrs?|hours?|mins?|minutes?|percent|gb|tb|dollars|bucks)\b|%)"
    r"|\biphone ?(?:xr|xs(?: max)?|x)\b"  # the letter-named iPhones of 2017-2018
    # a brand we do not carry and its model's name ("motorola edge", "oneplus nord"), not "motorola phones"
    r"|\b(?:" + "|".join(_FOREIGN_BRANDS) + r")\s(?!phones?\b|devices?\b|ones?\b|stuff\b|and\b|or\b|i\b|is\b|it\b)"
    r"[a-z]{3,}\b"
)


# Kinds of product the shop neither buys nor sells, named in a message about buying or selling them
_OTHER_PRODUCTS = {
    "camera": r"cameras?|dslr|mirrorless|gopro|canon|nikon", "smartwatch": r"smart ?watch(?:es)?|apple watch(?:es)?|"
    r"galaxy watch(?:es)?|pixel watch(?:es)?|fitbit|garmin", "game console": r"consoles?|playstation|ps[345]|xbox|"
    r"nintendo|switch (?:oled|lite)", "TV": r"smart tvs?|televisions?", "drone": r"drones?|dji",
    "pair of headphones": r"headphones|earbuds|airpods", "e-reader": r"kindle|e ?readers?", "desktop computer":
    r"desktops?|imac|mac mini|gaming pc",
}
_OTHER_PRODUCT = re.compile(r"\b(?:" + "|".join(f"(?P<k{i}>{p})" for i, p in enumerate(_OTHER_PRODUCTS.values())) + r")\b")
_TRADES = re.compile(r"\b(?:buy|buying|sell|selling|trade|trading|take|accept|quote|worth|offer|carry|pay)\b")


def other_product(text: str) -> str | None:
    """A kind of product we neither buy nor sell, named about buying or selling it ("do u buy cameras?")."""
    norm = normalize(text)
    match = _OTHER_PRODUCT.search(norm)
    if match is None or not _TRADES.search(norm):
        return None
    return list(_OTHER_PRODUCTS)[int(next(k for k, v in match.groupdict().items() if v)[1:])]


@dataclass(frozen=True)
class DeviceMention:
    """What the text says about a device: a catalog device, candidates, or an unknown model."""

    device: Device | None = None
    candidates: tuple[Device, ...] = ()
    unknown: str | None = None
    span: tuple[int, int] = (0, 0)


class DeviceMatcher:
    """Matches token windows of the text against every alias, exact first, then fuzzy."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._index: dict[str, Device] = {}
        for device in catalog.devices:
            for alias in (device.name, *device.aliases, *_derived_aliases(device)):
                for form in {squash(alias), squash(alias.replace("+", " plus")), squash(alias.replace(" plus", "+"))}:
                    if form and not form.isdigit():
                        self._index.setdefault(form, device)
        self._keys = list(self._index)
        self._seen: dict[str, tuple[DeviceMention, ...]] = {}

    @property
    def catalog(self) -> Catalog:
        """The catalog this matcher reads devices from."""
        return self._catalog

    def find_all(self, text: str) -> list[DeviceMention]:
        """Every device mention in the text, left to right (remembered: one message is read several times)."""
        cached = self._seen.get(text)
        if cached is None:
            if len(self._seen) >= SEEN_TEXTS:
                self._seen.clear()
            cached = self._seen[text] = tuple(self._find_all(text))
        return list(cached)

    def affirmed(self, text: str) -> list[DeviceMention]:
        """The mentions the text does not deny: "it's not an s23, it's the s23+" names only the S23+."""
        tokens = device_tokens(text)
        kept = []
        for mention in self.find_all(text):
            before = [t for t in tokens[max(0, mention.span[0] - NEGATION_REACH):mention.span[0]] if t not in _ARTICLES]
            if not (before and before[-1] in _NEGATIONS):
                kept.append(mention)
        return kept

    def _find_all(self, text: str) -> list[DeviceMention]:
        tokens = device_tokens(text)
        found: list[DeviceMention] = []
        i = 0
        while i < len(tokens):
            if tokens[i] in _BRANDS and i + 1 < len(tokens) and tokens[i + 1] in _FAMILY_WORDS:
                i += 1  # "apple iphone 15 pro max": read the model from the family word on
                continue
            mention = self._match_at(tokens, i)
            if mention is None:
                i += 1
                continue
            found.append(mention)
            i = mention.span[1]
        if not found:
            family = self._family_only(tokens, normalize(text))
            if family is not None:
                found.append(family)
        return found

    def find(self, text: str) -> DeviceMention | None:
        """The first device mention, if any."""
        mentions = self.find_all(text)
        return mentions[0] if mentions else None

    def _match_at(self, tokens: list[str], start: int) -> DeviceMention | None:
        for end in range(min(len(tokens), start + MAX_WINDOW), start, -1):
            key = squash("".join(tokens[start:end]))
            if not key or key.isdigit():
                continue
            device = self._index.get(key)
            if device is not None:
                if end < len(tokens) and tokens[end] in _VARIANT_SUFFIXES:  # "s21 fe" is another phone
                    return DeviceMention(unknown=_title(" ".join(tokens[start:end + 1])), span=(start, end + 1))
                return DeviceMention(device=device, span=(start, end))
        if tokens[start] in _NOT_A_MODEL_START:
            return None
        line = " ".join(tokens[start:start + 2])
        if tokens[start] in _LINE_FAMILIES and start + 1 < len(tokens) and tokens[start + 1] in _VARIANT_WORDS \
                and not self.family_candidates(line):  # "macbook pro m2" is not the MacBook Air (M2): a line we lack
            chip = start + 2 < len(tokens) and re.fullmatch(r"m\d", tokens[start + 2])  # "macbook pro m2"; not "12.9"
            end = start + 3 if chip else start + 2
            return DeviceMention(unknown=_title(" ".join(tokens[start:end])), span=(start, end))
        if tokens[start] in _FAMILY_WORDS:  # "ipad air", "macbook air": a prefix of one or more names
            for end in range(min(len(tokens), start + 3), start + 1, -1):
                matches = self.family_candidates(" ".join(tokens[start:end]))
                matches = _by_generation_or_year(matches, tokens) if len(matches) > 1 else matches
                if len(matches) == 1 and end < len(tokens) and re.fullmatch(r"\d{1,2}", tokens[end]) \
                        and tokens[end] not in matches[0].name:  # "galaxy z fold 4" is not the Fold5
                    return DeviceMention(unknown=_title(" ".join(tokens[start:end + 1])), span=(start, end + 1))
                if len(matches) == 1:
                    return DeviceMention(device=matches[0], span=(start, end))
                if 1 < len(matches) <= 8:
                    return DeviceMention(candidates=matches, span=(start, end))
        for end in range(min(len(tokens), start + MAX_WINDOW), start, -1):
            key = squash("".join(tokens[start:end]))
            if len(key) < 5 or not re.search(r"\d", key) or not re.match(r"[a-z]", key):
                continue
            close = difflib.get_close_matches(key, self._keys, n=1, cutoff=FUZZY_CUTOFF)
            if close and _same_digits(key, close[0]):
                return DeviceMention(device=self._index[close[0]], span=(start, end))
        return None

    def _family_only(self, tokens: list[str], text: str) -> DeviceMention | None:
        unknown = _UNKNOWN_MODEL.search(text)
        if unknown:
            return DeviceMention(unknown=_title(unknown.group(0)))
        for n, token in enumerate(tokens):
            family = _FAMILY_WORDS.get(token) or _fuzzy_family(token)
            following = tokens[n + 1] if n + 1 < len(tokens) else ""
            if family and following in _VARIANT_WORDS and not self.family_candidates(f"{token} {following}"):
                return DeviceMention(unknown=_title(f"{token} {following}"))  # "ipad pro": a line we don't carry
            if family:
                members = _by_generation_or_year(tuple(d for d in self._catalog.devices if d.family == family), tokens)
                return DeviceMention(device=members[0]) if len(members) == 1 else DeviceMention(candidates=members)
        return None

    def resolve_in_family(self, family_of: DeviceMention, text: str) -> DeviceMention | None:
        """Read a short model reference ('a 15', 'the m3') in the family of another mention."""
        prefix = _family_prefix(family_of)
        if prefix is None:
            return None
        tokens = normalize(text).split()
        for start in range(len(tokens)):
            if tokens[start] in _NOT_A_MODEL_START:
                continue
            for end in range(min(len(tokens), start + 3), start, -1):
                device = self._index.get(squash(prefix + "".join(tokens[start:end])))
                if device is not None and device is not family_of.device:
                    return DeviceMention(device=device, span=(start, end))
        return None

    def short_reference(self, family_of: Device, text: str) -> Device | None:
        """Another model of the same family named by its number after an article ("a refurb 15", "the 14 pro")."""
        said = _SHORT_REFERENCE.search(normalize(text))
        chip = _CHIP_REFERENCE.search(normalize(text))
        if said is None and chip is not None:  # "whats the m2 gonna cost me" beside a MacBook Air (M1)
            same_line = [d for d in self._catalog.devices if d.family == family_of.family and d.category == family_of.category
                         and f"({chip.group(1)}," in d.name.casefold()]
            return same_line[0] if len(same_line) == 1 else None
        if said is None:
            return None
        mention = self.resolve_in_family(DeviceMention(device=family_of), said.group(1))
        return mention.device if mention is not None else None

    def pick(self, names: tuple[str, ...], text: str) -> Device | None:
        """The one of these devices a short answer picks: "10th gen", "the air", "m2" (None: no single one)."""
        offered = tuple(d for d in (self._catalog.by_name(n) for n in names) if d is not None)
        tokens = device_tokens(text)
        narrowed = _by_generation_or_year(offered, tokens)
        if len(narrowed) == 1 and len(offered) > 1:
            return narrowed[0]
        said = set(tokens)
        named = {d.name: set(device_tokens(d.name)) for d in offered}
        shared = set.intersection(*named.values()) if named else set()
        picked = [d for d in offered if (named[d.name] - shared) & said]
        return picked[0] if len(picked) == 1 else None

    def family_candidates(self, text: str) -> tuple[Device, ...]:
        """Devices whose canonical name starts with the text (for 'macbook air' style answers)."""
        key = squash(text)
        return tuple(d for d in self._catalog.devices if key and squash(d.name).startswith(key))


def _derived_aliases(device: Device) -> list[str]:
    """Forms people type that follow from the name: 'iPhone 13 Pro' -> '13 pro'; 'Galaxy S23' -> 's23'."""
    name = device.name.casefold()
    out: list[str] = []
    for prefix in ("iphone ", "galaxy "):
        if name.startswith(prefix) and not name.startswith("iphone se"):
            out.append(name.removeprefix(prefix))
    out.append(name.replace("pro max", "promax"))
    return out


def _family_prefix(mention: DeviceMention) -> str | None:
    if mention.device is not None:
        return {"iPhone": "iphone", "Galaxy": "galaxy", "Pixel": "pixel", "iPad": "ipad",
                "MacBook": "macbook air"}.get(mention.device.family)
    if mention.unknown:
        first = mention.unknown.split()[0].casefold()
        return first if first in ("iphone", "galaxy", "pixel", "ipad") else None
    return None


def _same_digits(a: str, b: str) -> bool:
    """Typos never change a model number: 'iphne13' may match 'iphone13', never 'iphone12'."""
    return re.findall(r"\d+", a) == re.findall(r"\d+", b)


_ORDINALS = {"second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th", "sixth": "6th", "seventh": "7th",
             "eighth": "8th", "ninth": "9th", "tenth": "10th"}


def _by_generation_or_year(candidates: tuple[Device, ...], tokens: list[str]) -> tuple[Device, ...]:
    """Narrow 'iphone se' by a generation or year said elsewhere ('a 2nd gen iphone se', 'my 2020 iphone se')."""
    ordinals = {_ORDINALS.get(t, t) for t in tokens if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)", _ORDINALS.get(t, t))}
    years = {int(t) for t in tokens if re.fullmatch(r"20[12]\d", t)}
    chips = {t for t in tokens if re.fullmatch(r"m\d", t)}  # "a macbook air with the m1 chip", "the m1 one"
    narrowed = tuple(d for d in candidates
                     if any(f"({o} generation" in d.name.casefold() for o in ordinals) or d.year in years
                     or any(f"({c}," in d.name.casefold() for c in chips))
    return narrowed or candidates


def device_tokens(text: str) -> list[str]:
    """Normalised tokens with plurals singular and a misspelt family word fixed when a model follows.

    One token per token of normalize(text).split(), so positions (spans) stay comparable.
    """
    tokens = normalize(text).split()
    out = []
    for i, token in enumerate(tokens):
        token = _PLURALS.get(token) or _PLURAL_MODEL.sub(r"\1", token)
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if len(token) >= 4 and token.isalpha() and token not in _FAMILY_WORDS and _MODEL_NEXT.search(following):
            token = _closest_family_word(token, cutoff=0.75) or token  # "pixle 6", "iphne 13", "galxy s22"
        out.append(token)
    return out


def _closest_family_word(token: str, cutoff: float) -> str | None:
    """The family word a misspelt token stands for ("iphne" -> "iphone"), if any is this close."""
    close = difflib.get_close_matches(token, list(_FAMILY_WORDS), n=1, cutoff=cutoff)
    return close[0] if close else None


def _fuzzy_family(token: str) -> str | None:
    """The family a lone misspelt family word names (stricter: no model number follows to back it up)."""
    if len(token) < 5 or token in ("phone", "phones", "macs", "pixels", "laptop", "tablet"):
        return None
    word = _closest_family_word(token, cutoff=0.8)
    return _FAMILY_WORDS[word] if word else None


def _title(text: str) -> str:
    words = []
    for word in text.split():
        words.append({"iphone": "iPhone", "ipad": "iPad", "macbook": "MacBook", "oneplus": "OnePlus"}.get(
            word, word.upper() if re.fullmatch(r"[a-z]\d+\w*", word) else word.capitalize()))
    return " ".join(words)


_KIND_OF_WORD = {"iphone": "smartphone", "galaxy": "smartphone", "pixel": "smartphone", "phone": "smartphone",
                 "ipad": "tablet", "tab": "tablet", "tablet": "tablet", "macbook": "laptop", "mac": "laptop",
                 "surface": "laptop", "laptop": "laptop", "chromebook": "laptop"}


def kind_named(name: str) -> str:
    """The catalog category a model's name points to ("iPhone Xr": smartphone, "MacBook Pro M2": laptop)."""
    return next((_KIND_OF_WORD[w] for w in normalize(name).split() if w in _KIND_OF_WORD), "smartphone")
