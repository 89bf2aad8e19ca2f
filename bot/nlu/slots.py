"""Slot extractors: storage, condition, carrier, battery health, account lock, email, yes/no."""

from __future__ import annotations

import re

from bot.nlu.text import normalize

CONDITIONS = ("flawless", "good", "fair", "broken")
CARRIERS = ("unlocked", "att", "verizon", "tmobile", "other")
STORAGE_SIZES = (16, 32, 64, 128, 256, 512, 1024, 2048)

_TB = re.compile(r"\b(\d(?:\.\d)?)\s?(?:tb|terabytes?|tera|t)\b")
_GB = re.compile(r"\b(\d{2,4})\s?(?:gb|gigs?|gigabytes?|g|gbs)\b")
_SIZE_PHRASE = re.compile(r"\bthe (64|128|256|512) (?:one|model|version|variant)\b|"
                          r"\b(?:mine|it|its|it s)(?:'s| is)? (?:actually |really )?(?:the )?(64|128|256|512)\b(?! ?%)|"
                          r"\b(64|128|256|512)(?: ?gb)? (?:was|is) (?:right|correct)\b")
_RAM_AFTER = re.compile(r"\s?(?:of\s)?(?:ram|memory|unified memory)\b")  # "16gb ram" is not storage
_STORAGE_WORDS = re.compile(r"\b(\d{2,4}) ?(?:ssd|storage)\b|\b(?:its|it's|it is) (\d{2,4})\b(?! ?%)")
_BATTERY = [
    re.compile(r"\b(?:batt(?:ery)?|bh|battery health|health|max capacity)\s?(?:health\s?)?"
               r"(?:(?:is|at|of|=|:|shows|says|like|around|about|~|still|now|only|actually|really|more|closer|to|"
               r"maybe|prob|probably|sitting|reads|showing)\s?){0,3}(\d{2,3})\s?(?:%|percent|pct)?"),
    re.compile(r"\b(\d{2,3})\s?(?:%|percent|pct)\s?(?:battery|batt|bh|health|max capacity)"),
    re.compile(r"\b(\d{2,3})\s?(?:bh|battery health)\b"),
]
_NEGATED = re.compile(
    r"\b(?:no|not|never|without|zero|0|nothing|isn(?:'| )?t|aren(?:'| )?t|wasn(?:'| )?t|"
    r"(?:can(?:'| )?t|cannot|couldn(?:'| )?t) (?:find|see|spot))\s"
    r"(?:(?:any|a|single|one|1|visible|real|is|s|was|even)\s){0,3}"
    r"(?:cracks?|cracked|dents?|dented|damage|damaged|issues?|problems?|broken|chips?|scratch(?:es|ed)?|marks?|"
    r"burn ?-?in)\b"
    # "no dents or cracks", "no scratches, dents or cracks": the whole list is denied
    r"(?:(?:\s*,\s*|\s+)(?:or|and|nor)?\s*(?:any\s)?(?:cracks?|cracked|dents?|dented|damage|damaged|chips?|"
    r"scratch(?:es|ed)?|marks?|scuffs?|issues?|problems?)\b)*|"
    # "the screen isn't cracked", "nothing is cracked", "glass is not broken"
    r"\b(?:screen|glass|back|display|it|nothing|none)\s(?:is\s|s\s)?(?:isn t|isnt|is not|not|aren t|never)\s"
    r"(?:been\s)?(?:cracked|broken|shattered|damaged)\b|"
    # "neither the screen nor the back glass is cracked"
    r"\bneither\b[^.;]{0,40}\bnor\b[^.;]{0,40}\b(?:is|are|s)\s(?:cracked|broken|shattered|damaged)\b"
)
_PROTECTOR = re.compile(r"(?:cracked|broken|shattered) (?:screen )?(?:protector|case)|(?:screen )?(?:protector|case) "
                        r"(?:is |was |has |got )?(?:a )?(?:crack(?:ed|s)?|broken|shattered)")
_NO_SCRATCHES = re.compile(r"\b(?:no|not a|not one|not 1|zero|without|without a|0|isn(?:'| )?t a|never a|"
                           r"(?:can'?t|cannot|couldn'?t) (?:find|see|spot) (?:a|one|any)|there'?s not (?:a|one)) "
                           r"(?:single |visible |even a )?(?:scratch|marks?)")
_CONDITION_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("broken", re.compile(
        r"crack|crak|cracek|crakc|shatter|smash|\bbroke|busted|won'?t (?:turn|power|boot|charge|hold)|"
        r"(?:doesn'?t|does not|dont|don'?t|will not|wont|cant|can'?t|not) (?:turn(?:ing)? on|power(?:ing)? on|"
        r"boot|charg|hold|work)|\bdead\b|no power|water ?damage|liquid|got wet|fell in|"
        r"(?:face ?id|touch ?id|camera|speaker|mic|button|charging port|port|screen|lcd|display)"
        r"\s(?:is\s|are\s)?(?:not working|broken|busted|dead|doesn'?t work|dont work|messed up)|"
        r"not working|doesn'?t work|black screen|lines on (?:the )?screen|ghost touch|dead pixels|"
        r"bricked|won'?t turn on|for parts|chip(?:ped)? (?:in|on) (?:the )?(?:corner of the )?(?:screen|glass|display)|"
        r"(?:screen|display).{0,30}(?:\bline\b|\blines\b|flicker|goes black|black spot|dead spot|unresponsive)|"
        r"spider ?web|blurry|won'?t focus|(?:dropped|fell|went) (?:it )?in(?:to)? (?:the )?(?:pool|water|toilet|sink|lake)|"
        r"(?:port|button|buttons)\s(?:is |are )?(?:loose|stuck|broken)|stopped (?:working|charging|responding)|"
        r"(?:speaker|mic|microphone)\b.{0,25}(?:blown|crackl|died|dead|distort)|(?:only shows|stuck on) the (?:apple )?logo|"
        r"boot ?loop|(?:doesn'?t|does not|dont|won'?t) respond|\bsnapped\b|"
        r"hinge (?:is |got )?(?:broken|busted|snapped|cracked|loose|dead)|(?:green|pink|purple|white) lines?\b|"
        r"burn ?-?in\b|(?:doesn'?t|does not|dont|won'?t|can'?t|cant) (?:focus|click|press|vibrate)|"
        # "face id quit on my 13 pro", "the camera died last week": a part that stopped working
        r"(?:face ?id|touch ?id|camera|speaker|mic|microphone|charging port|wi ?fi|bluetooth|vibration)\s(?:\w+\s)?"
        r"(?:quit|died|gave out|went out|stopped|failed|is gone|s gone|went dead)\b|"
        r"\b(?:motor|camera|speaker|mic|port|button|face ?id|touch ?id)s? (?:died|is dead|sticks|is sticky)\b")),
    ("fair", re.compile(
        r"\bdent|heav(?:y|ily) (?:scratch|use|wear|scuff)|deep scratch|lots? of scratch|many scratch|"
        r"(?:a )?(?:bunch|lots?|tons?|loads|plenty|a lot) of (?:\w+ )?(?:scratch|scuff|marks|nicks)|"
        r"many (?:\w+ )?(?:scuff|marks)|covered in (?:\w+ )?(?:scratch|scuff|marks)|"
        r"tons of scratch|beat ?up|beaten|\brough\b|well ?used|worn out|chipped|scuffed up|heavily scuffed|"
        r"pretty scratched|very scratched|scratched up|banged up|heavy wear|looks rough|scratches everywhere|"
        r"scratched everywhere|big dent|chipped paint|\bdings?\b|\bdinged\b|(?:bad|big|major) scratch")),
    ("good", re.compile(
        r"light (?:scratch|scuff|wear|marks?)|minor (?:scratch|scuff|wear|marks?)|small scratch|few scratch|"
        r"some scratch|little scratch|normal (?:wear|use)|some wear|signs? of (?:use|wear)|gently used|"
        r"\bscratch(?:es|ed)?\b|scuffs?\b|good (?:condition|shape)|pretty good|decent|lightly used|"
        r"hairline scratch|micro ?scratch|ok condition|okay condition|works fine|\bnicks?\b|swirl|"
        r"tiny (?:scratch|mark|scuff)")),
    ("flawless", re.compile(
        r"like new|\bmint\b(?! green| colou?r| blue)|perfect|pristine|flawless|brand new|new condition|never used|immaculate|"
        r"10/10|no marks|excellent condition|no scratch|not a scratch|spotless|like brand new|basically new|"
        r"always (?:had|in) a case|mint condition|barely used|still sealed|\bsealed\b|unopened|never opened|"
        r"still in (?:the |its |it's )?box|never (?:taken )?out of (?:the )?box")),
]
_RATING = re.compile(r"\b(\d{1,2}) ?(?:/|out of) ?10\b")
_NAMED_CONDITION = re.compile(
    r"\b(flawless|good|fair|broken) (?:condition|shape)\b|\bcondition(?: is|:)? (flawless|good|fair|broken)\b|"
    r"\b(?:unlocked|att|verizon|tmobile|t mobile|sprint|cricket|\d{2,4} ?(?:gb|tb)?) (flawless|good|fair|broken)\b"
    r"(?! (?:morning|deal|price|grade|question|enough|idea|one|news))")
_CARRIER_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # MVNOs first: "metro by t-mobile" and "visible (verizon)" are other carriers, not the network they use
    ("other", re.compile(r"\bcricket\b|\b(?:google|project) fi\b|\bmetro(?: ?pcs)?\b|\bus ?cellular\b|\bconsumer cellular\b|\bboost\b|\bmint mobile\b|"
                         r"(?:\b(?:on|with|from|through|carrier is|network is) visible\b|\bvisible (?:wireless|mobile)\b)|\bstraight ?talk\b|\bsprint\b|\bxfinity\b|\bspectrum\b|\btracfone\b")),
    ("tmobile", re.compile(r"\bt[- ]?mobile\b|\btmo\b|\btmobil\b")),
    ("verizon", re.compile(r"\bverizon\b|\bvzw\b|\bverison\b|\bverzion\b")),
    ("att", re.compile(r"\bat ?and ?t\b|\batt\b|\batnt\b|\bat&t\b|\bat t\b")),
    ("unlocked", re.compile(r"\bunlocked\b|\bunlockd\b|\bfactory unlocked\b|\bno carrier\b|\bsim ?free\b|"
                            r"\bnot (?:carrier )?locked (?:to|by) (?:any|a) (?:carrier|network)\b|"
                            r"(?<!carrier )(?<!to )\bunlock\b(?! (?:my|it|the|a|an|this)\b)")),
]
_LISTED_SIZE = re.compile(  # "256, good, unlocked", "the s21? 256 tmobile, ...": a size among the facts
    r"(?:^|[,;/.?!]\s*|\bboth\s+)(\d{2,4})\s*(?=,|;|$|\s+and\b|"
    r"\s+(?:unlocked|locked|at ?& ?t|att|verizon|t ?-?mobile|tmo|sprint|cricket|flawless|good|fair|broken)\b)")
MIN_LISTED_GB = 64  # smaller bare numbers in a list are more likely a count or a percentage than a size
_HALF_TB = re.compile(r"\bhalf an? (?:tb|tera|terabyte|terra)s?\b")
_ONE_TB = re.compile(r"\b(?:one|a|1) (?:tb|tera|terabyte|terra)s?\b")
# "128gb, no wait, 256gb": the size said after the speaker corrects themselves is the one meant
_SELF_CORRECTION = re.compile(
    r"\b(?:no wait|wait no|no sorry|sorry|i mean|i meant|actually|no no|oops|correction|scratch that|my bad|"
    r"make that)\b")
HALF_TB_GB = 512
_NOT_SIZE_BUT_SIZE = re.compile(r"\bnot (?:the )?(\d{2,4})\s?(?:gb|gigs?)?,? but (?:the )?(\d{2,4})\b")
_SIZE_NOT_SIZE = re.compile(r"\b(\d{2,4})\s?(?:gb|gigs?)?,?\s+(?:not|instead of)\s+(?:the\s+)?(\d{2,4})\b")
_DENIED_BEFORE = re.compile(r"\b(?:not|isnt|isn t|never|no longer|wasnt|wasn t|instead of)\s+(?:on\s+|with\s+|from\s+)?$")
_UNLOCKED_NOW = re.compile(r"(?<!not )(?<!isn't )(?<!isnt )(?<!never )\bunlocked\b")
# "still with at&t, i never had it unlocked": the unlocking denied a few words before
_NEGATED_BEFORE = re.compile(
    r"\b(?:never|not|ever|(?:isn|wasn|didn|haven|hasn)(?:'| )?t|don(?:'| )?t think|doubt)\b")
NEGATION_REACH = 20  # characters before "unlocked" where a "never", "not" or "(don't think they) ever" denies it
_LOCKED_TO = re.compile(r"\b(?:locked to|locked with|locked on|carrier locked|still locked)\b"
                        r"|\b(?:t|att|verizon|mobile|sprint|cricket|metro)[ -]locked\b")  # "probably at&t-locked"
_ACCOUNT = r"(?:icloud|apple ?id|google|samsung)(?: account| acct)?"
_LOCKED = re.compile(
    rf"icloud (?:is )?still on|still on (?:my |the |his |her )?(?:icloud|apple ?id)|"
    rf"still (?:linked|signed|logged)(?: in)? ?to .{{0,15}}(?:icloud|apple ?id|account)|"
    rf"still (?:has|have|got) (?:my |his |her |the |a |their )?(?:\w+ )?{_ACCOUNT}\b|"
    rf"{_ACCOUNT} (?:is )?still (?:on|signed in|logged in|active|there)|"
    rf"(?:signed|logged) ?in(?:to| to)? (?:my |the |his |her )?{_ACCOUNT} still|"
    r"icloud ?lock|activation ?lock|find ?my (?:iphone |phone )?(?:is )?(?:actually |really |probably |likely |most likely |prob )?(?:still )?(?:turned |switched )?"
    r"(?:on|enabled)\b|"
    r"google ?lock|frp|samsung account lock|locked to (?:my |an |a |someone'?s |the )?(?:icloud|apple|account|"
    r"google|samsung)|can'?t (?:sign|log) out|forgot (?:my )?(?:apple ?id|password|icloud)|\blocked icloud")
_STILL_LOCKED = re.compile(r"\b(?:find ?my|icloud|activation lock|google account|samsung account|account)\b[^.!?]{0,25}"
                           r"\bstill (?:turned |switched )?(?:on|enabled|active|signed in|logged in|there)\b")
_UNLOCKED_ACCOUNT = re.compile(
    r"(?:signed|logged) (?:it )?out|turned (?:it )?off|turned off find ?my|switched off find ?my|disabled find ?my|"
    r"removed (?:it |my |the )?(?:from (?:my |the )?)?(?:icloud|account|acct|google|apple ?id|samsung)|"
    r"removed (?:both|all)\b[^.?!]{0,12}\b(?:icloud|accounts?|acct|google|apple ?id|samsung)|"
    r"(?:switched|turned|shut) (?:it |that |them |those |both )?off\b|"
    r"(?:removed|disabled|deleted|deactivated|shut off|switched off|turned off) (?:the |my |it from )?"
    r"(?:find ?my|activation lock|frp|icloud lock)|"
    r"(?:took|taken|take|signed|logged|got) (?:off|out of) (?:my |the |his |her )?(?:icloud|apple ?id|google|samsung|"
    r"accounts?|accts?)|(?:took|taken) (?:my |the )?(?:icloud|apple ?id|google|samsung)(?: account| accts?)? off|"
    r"not (?:icloud |account )?locked|no activation lock|no icloud lock|already (?:erased|reset|wiped)|"
    r"(?:icloud|apple ?id|google|samsung|find ?my(?: iphone| phone| mobile| device)?|frp|activation lock|accounts?|accts?)"
    r"(?: account| accounts| accts?)? (?:is |are |was |were |has been |have been |s )?(?:already |all |been )?"
    r"(?:off|removed|disabled|turned off|deleted|gone|signed out|logged out)\b|"
    r"(?:no|without) (?:any )?(?:accounts?|icloud|find ?my|locks?) (?:on it|left|attached)|factory reset (?:it|already|done)|"
    r"\bno (?:google|samsung|icloud|apple ?id)(?: account| accts?)?\b(?! password)|"
    r"(?:find ?my(?: iphone| phone| ipad| mac| device)?|icloud|activation lock) (?:is |was |has been )?(?:now )?"
    r"(?:switched off|shut off|deactivated|disabled|off)\b|"
    r"(?:samsung|google|icloud|apple id)\b[^.?!]{0,25}\b(?:both|all) (?:removed|signed out|logged out|off|gone|deleted)\b")
# "i haven't signed out", "didnt turn off find my": the removal named, denied just before it
_NOT_DONE_BEFORE = re.compile(r"\b(?:haven'?t|haven t|have not|didn'?t|didn t|did not|not yet|can'?t|can t|cannot|"
                              r"couldn'?t|couldn t|forgot to|need to|still need to|have to|how do i|how to)\s+(?:\w+\s+)?$")
_CONTRACTED_IS = re.compile(r"(?<=[a-z])['’]s\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def extract_storage(text: str, *, bare_number: bool = False) -> int | None:
    """Storage in GB ('256gb', '256 gigs', '1tb' -> 1024); a bare '256' only when asked for."""
    norm = normalize(text)
    if _HALF_TB.search(norm):
        return HALF_TB_GB
    if _ONE_TB.search(norm) and 1024 in STORAGE_SIZES:
        return 1024
    corrected = _SELF_CORRECTION.search(norm)
    if corrected and corrected.start() > 0:
        later = extract_storage(norm[corrected.end():])
        if later is not None and extract_storage(norm[:corrected.start()]) not in (None, later):
            return later
    match = _TB.search(norm)
    if match and not _DENIED_BEFORE.search(norm[:match.start()]):
        size = int(float(match.group(1)) * 1024)
        return size if size in STORAGE_SIZES else None
    listed = _LISTED_SIZE.search(text.casefold())  # "256, good, unlocked", "both 128": a size among the facts
    if listed and int(listed.group(1)) in STORAGE_SIZES and int(listed.group(1)) >= MIN_LISTED_GB:
        return int(listed.group(1))
    pair = _SIZE_NOT_SIZE.search(norm)  # "it's the 512 not 256": the size kept, not the one denied
    if pair and int(pair.group(1)) in STORAGE_SIZES and int(pair.group(2)) in STORAGE_SIZES:
        return int(pair.group(1))
    pair = _NOT_SIZE_BUT_SIZE.search(norm)  # "not 128 but 256"
    if pair and int(pair.group(1)) in STORAGE_SIZES and int(pair.group(2)) in STORAGE_SIZES:
        return int(pair.group(2))
    for match in _GB.finditer(norm):
        size = int(match.group(1))
        if size in STORAGE_SIZES and not _RAM_AFTER.match(norm, match.end()) and not _DENIED_BEFORE.search(
                norm[:match.start()]):
            return size
    for match in _STORAGE_WORDS.finditer(norm):  # "256ssd", "its 256"
        size = int(match.group(1) or match.group(2))
        if size in STORAGE_SIZES and size >= 32:
            return size
    match = _SIZE_PHRASE.search(norm)  # "the 256 one", "mine is 128", "256 was right"
    if match:
        return int(next(g for g in match.groups() if g))
    if bare_number:
        numbers = [int(n) for n in re.findall(r"\b(\d{2,4})\b", norm) if int(n) in STORAGE_SIZES]
        return numbers[0] if len(numbers) == 1 else None
    return None


_LEADING_CONDITION = re.compile(r"^(?:it'?s |it s |it is |i'?d say |i d say |probably |prob |def |definitely )?"
                                r"(flawless|good|fair|broken)\b")


def extract_condition(text: str, *, bare_word: bool = False) -> str | None:
    """The worst condition the text describes, per the shop's definitions."""
    norm = normalize(text)
    stripped = _NEGATED.sub(" ", _PROTECTOR.sub(" ", norm))
    described = [value for value, pattern in _CONDITION_PATTERNS if pattern.search(stripped)]
    rating = _RATING.search(text.casefold())  # "9/10" (normalize() would split the slash)
    if rating and 1 <= int(rating.group(1)) <= 10:
        score = int(rating.group(1))
        described.append("flawless" if score == 10 else "good" if score >= 8 else "fair")
    named = _NAMED_CONDITION.search(norm)
    if named:
        described.append(next(g for g in named.groups() if g))
    if not described and _NO_SCRATCHES.search(norm):
        described.append("flawless")
    leading = _LEADING_CONDITION.match(norm) if bare_word else None
    if leading:  # "it's good. barely used, a couple of faint marks": the answer given, then its description
        described.append(leading.group(1))
    if described:  # the worst condition described wins: "like new but the screen is cracked" is broken
        return max(described, key=CONDITIONS.index)
    if bare_word:
        for value in CONDITIONS:
            if re.search(rf"\b{value}\b", norm):
                return value
        if re.search(r"\b(?:new|excellent|great)\b", norm):
            return "flawless"
        if re.search(r"\b(?:ok|okay|fine|alright)\b", norm):
            return "good"
        if re.search(r"\b(?:bad|poor|terrible)\b", norm):
            return "fair"
    return None


_BARE_CONDITION = re.compile(
    r"(?:^|[,.;/]|\b(?:unlocked|att|verizon|tmobile|t mobile|sprint|cricket|metro|\d{2,4} ?(?:gb|tb)?|pro|max|plus|"
    r"ultra|mini|mine is|mine s|its|it s|it is|is in|in)\b)\s?(flawless|good|fair|broken|mint|excellent|great|decent|ok|okay)"
    r"\b(?=\s*(?:$|[,.;!/]|-|and\b|but\b|batt|battery|bh\b|samsung|google|find|icloud|acct|account|condition|shape|"
    r"unlocked|at&t|att\b|verizon|t-?mobile|tmo\b|boost|cricket|metro|visible|\d))")
_BARE_VALUES = {"mint": "flawless", "excellent": "flawless", "great": "good", "decent": "good", "ok": "good",
                "okay": "good"}


def extract_condition_in_listing(text: str) -> str | None:
    """A condition word in a list of facts ("iphone 12 256gb att good. battery 81%"): only for an opening
    message that names a device, where "good" cannot mean "sounds good"."""
    match = _BARE_CONDITION.search(text.casefold()) or _BARE_CONDITION.search(normalize(text))
    if not match:
        return None
    word = match.group(1)
    return _BARE_VALUES.get(word, word)


def extract_carrier(text: str) -> str | None:
    """The carrier the phone is tied to, or 'unlocked' ("bought at verizon but it's unlocked now")."""
    norm = normalize(text.replace("&", " and "))
    unlocked_now = any(not _NEGATED_BEFORE.search(norm[max(0, m.start() - NEGATION_REACH):m.start()])
                       for m in _UNLOCKED_NOW.finditer(norm))
    if unlocked_now and not _LOCKED_TO.search(norm):
        return "unlocked"
    for value, pattern in _CARRIER_PATTERNS:
        if any(not _DENIED_BEFORE.search(norm[:m.start()]) for m in pattern.finditer(norm)):
            return value  # "it's on boost actually, not t-mobile": the carrier denied is not the answer
    return None


_BATTERY_UNKNOWN = re.compile(
    r"(?:no idea|not sure|dont know|don't know|do not know|idk|unsure|no clue|dunno|can'?t check|cant check)\b"
    r".{0,30}\bbatt(?:ery)?\b|\bbatt(?:ery)?(?: health)?\b.{0,20}(?:no idea|not sure|unknown|idk|dunno|no clue)")


def battery_unknown(text: str) -> bool:
    """The shopper says they don't know the battery health ("no idea about battery health tbh")."""
    return bool(_BATTERY_UNKNOWN.search(normalize(text)))


_CORRECTED_NUMBER = re.compile(r"\b(?:no wait|wait no|no|actually|i mean|sorry|oops|correction|make that|or rather)"
                               r"\W+(?:it s |its |more like )?(\d{2,3})\b(?! ?(?:gb|tb|dollars|bucks))")


def extract_battery(text: str) -> int | None:
    """Battery health in percent ('battery 84%', 'batt health 79'; 'battery 90... no wait 80' is 80)."""
    norm = normalize(text)
    first = next((m for p in _BATTERY if (m := p.search(norm))), None)
    if first is not None:
        corrected = _CORRECTED_NUMBER.search(norm, first.end())
        if corrected and 1 <= int(corrected.group(1)) <= 100:
            return int(corrected.group(1))
    for pattern in _BATTERY:
        match = pattern.search(norm)
        if match and 1 <= int(match.group(1)) <= 100:
            return int(match.group(1))
    return None


def extract_account_locked(text: str) -> bool | None:
    """True for an activation/Google/Samsung lock, False when the shopper says it is removed."""
    norm = _CONTRACTED_IS.sub(" is", normalize(text))  # "find my's off", "samsung account's off"
    removed = _UNLOCKED_ACCOUNT.search(norm)
    still = _STILL_LOCKED.search(norm)  # "find my is still on. i thought i'd turned it off": what is, not what was
    if removed and not still and not _NOT_DONE_BEFORE.search(norm[:removed.start()]):
        return False
    if removed or _LOCKED.search(norm):  # "i havent turned off find my yet": still locked
        return True
    return None


def without_emails(text: str) -> str:
    """The text with its email addresses blanked: "linda@att.net" names no carrier, "pixel7@gmail.com" no phone."""
    return _EMAIL.sub(" ", text)


def extract_email(text: str) -> str | None:
    """The email address in the text; of several, the last ("a@gmial.com oops i mean a@gmail.com")."""
    found = _EMAIL.findall(text)
    return found[-1].rstrip(".") if found else None


def extract_percent(text: str) -> int | None:
    """A bare percentage or number 1-100 (an answer to 'what is the battery health?')."""
    match = re.search(r"\b(\d{1,3})\s?%?", normalize(text))
    if match and 1 <= int(match.group(1)) <= 100:
        return int(match.group(1))
    return None
