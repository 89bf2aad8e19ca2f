"""What a message does besides stating facts: corrects, refines, goes back, names a budget, asks for a task.

Patterns over normalised text (bot.nlu.question_shape.normalize); how a message asks (a question or not, and
which part of it asks) is bot.nlu.question_shape, consent is bot.nlu.consent. Each answers one question about
the message; the reader (bot.nlu.reader) combines them into commands. Precision first: a yes must be unmistakable.
"""

from __future__ import annotations

import re

from bot.nlu.question_shape import asked_part, is_question, normalize

HYPOTHETICAL = re.compile(
    r"\b(?:what if|if|in case|what happens|suppose|supposing|would(?! (?:like|love|prefer|appreciate)| (?:you|u|yall)(?: guys)? (?:buy|take) (?:my|this|it|them)\b))\b|"
    r"(?<!\byou )(?<!\bu )(?<!\bguys )(?<!\bthey )\bsay (?:it|my|the)\b")  # "say my phone...", not "you say my..."

_SEVERAL = re.compile(
    r"\b(?:two|2|three|3|both|several|multiple|a few|couple(?: of)?|bunch of|some) (?:old )?(?:phones|devices|"
    r"iphones|ipads|laptops|tablets|of them|to sell|things)\b|\bboth of (?:them|these)\b|\band (?:also )?(?:my|an?) "
    r"(?:old )?(?:\w+ )?(?:phone|iphone|ipad|galaxy|pixel|macbook|tablet|laptop)\b.{0,20}\btoo\b|"
    r"\b(?:sell|selling|trade in|trading in|get rid of)\b.{0,30}\band (?:also )?my\b|\bboth (?:\d|of them|are|in|good|unlocked)")

FIRST_YEAR, LAST_YEAR = 1990, 2100  # a bare number in this range after "for" or "around" reads as a year

_BUDGET = re.compile(
    r"(?:under|below|less than|around|about|max|maximum|budget(?: is| of)?|up to|no more than|within|for|"
    r"spend|~)\s?\$?\s?(\d{2,4})\b(?! ?(?:gb|tb|%|percent|months?|days?|mah))|\$\s?(\d{2,4})\b|"
    r"\b(\d{2,4}) ?(?:dollars|bucks|usd)\b")

_PRICE_ASK = re.compile(
    r"how much|\bworth\b(?! it)|what (?:would|will|can|do|could) (?:you|u|yall) (?:pay|give|offer)|\bpay me|"
    r"offer me|give me|\bbuy my\b|\bquote\b|\bsell\b|\bselling\b|\btrade\b|\bprice\b|\bcost|\bvs\b|versus|"
    r"\bcompare|\bcheaper\b|good deal|worth it|\bdeal\b|\bsave\b|\bsavings\b|\bupgrade|\bswitch|\banything for\b|"
    r"\bmoney (?:in|for|from)\b|\bcash (?:for|in)\b|\bwhat (?:can|could|would) i get\b")

OWN_STATEMENT = re.compile(r"\b(?:my|mine|it s|its|it is|it has|i have|i ve got|ive got|i got|it got|theres|there s)\b|"
                           r"\bbattery(?: health)? (?:says|is|shows|reads|at)\b")

_OTHER_SCRIPT = re.compile(r"[^\x00-\x7f\u2018-\u201f\u2026\u00a0-\u00ff\U0001F000-\U0001FFFF\u2600-\u27bf]")

_SPANISH = re.compile(
    r"\b(?:hola|quiero|vender|cuanto|cuánto|telefono|teléfono|gracias|por favor|tienen|puedo|celular|precio|"
    r"bonjour|merci|combien|vendre|téléphone|ola|obrigado|quanto)\b")


_REQUEST = re.compile(
    r"how much|\bworth\b(?! it)|\bquote\b|what (?:would|will|can|could|do) (?:you|u|yall)(?: guys)? (?:pay|give|offer)|\bpay me\b|"
    r"\boffer (?:me|for)\b|what (?:can|could|would|will|do) i get\b|\bget for (?:my|it|a|the|this)\b|\bi (?:want|wanna|would like|d like|need|m looking) to "
    r"(?:sell|trade|compare|upgrade|buy)|\bsell my\b|\b(?:could|can|to|d|will|ll) sell (?:it|them|this one)\b|\btrade (?:in )?my\b|\bcompare\b|\bvs\.?\b|\bversus\b|"
    r"\bprice (?:of|for|on|check)\b|\banything for\b|\bmoney (?:in|for|from)\b|\bcash (?:for|in)\b|\bgood deal\b|"
    r"\bworth it\b|\bupgrad\w* (?:my|from|to)\b|\bthinking (?:about|of) (?:getting|a|an|the|upgrading|switching)\b|"
    r"\bprices?\b|\bcost\b|\bcheaper\b|\bsavings?\b|"
    # "ip13 trade in?", "can i trade in an ipad air 5", "would you buy my ipad?": a request with the device named
    r"\btrade ?ins?\W*$|\b(?:the|upgrade|trade ?in) math\b|\bmath on\b|\bdo the math\b|\btrade (?:it|this|them) in\b|\btrade ?-?in (?:price|value|quote|offer)\b|\b(?:resale|buyback|buy ?back) value\b|\b(?:can|could|may) i (?:trade ?in|sell)\b|"
    r"\b(?:would|will|do|can|could) (?:you|u|yall|you guys) (?:buy|take|accept) (?:my|a|an|this|the|that one|it)\b|"
    r"\binterested in (?:buying|taking) (?:it|my|this|them)\b|\bbuy (?:it|this|them) (?:from|off) me\b")

_POLITE_REQUEST = re.compile(
    r"^(?:(?:hi|hey|hello|yo|ok|so)\s)*(?:can|could|may|would) (?:i|you|u|we) (?:please )?(?:get|have|do|make|start|"
    r"give me|send me) (?:a |an |me a |my )?(?:trade ?in |new |free |quick )?(?:quote|offer|estimate|valuation|trade ?in|"
    r"comparison)\b")


def polite_request(text: str) -> bool:
    """A request phrased as a question ("hi can i get a trade in quote?"): a task to start, not a fact to look up."""
    return bool(_POLITE_REQUEST.search(normalize(text)))


# "does that change the price?", "will a crack lower the offer?": a question about a rule, not a price asked for

_ABOUT_PRICE_RULE = re.compile(
    r"\b(?:change|changes|affect|affects|lower|lowers|reduce|reduces|impact|hurt|hurts|drop|drops|knock\w* down|"
    r"matter|matters) (?:for )?(?:the |my |your |its |it s )?(?:trade ?in )?(?:price|offer|quote|value|payout)\b")
# "when should i sell my iphone?": advice about a task, not the task asked for

_ADVICE = re.compile(r"^(?:so |ok |hey |hi )?(?:when|why) (?:should|would|do|is it best to)\b|\bbest time to\b|"
                     r"\bis it (?:better|smart|wise|a good idea) to (?:sell|trade|wait)\b|"
                     # "should i sell my iphone 14 before or after september"
                     r"\bshould (?:i|we) (?:sell|trade) (?:it|my|this|now)\b.{0,40}\b(?:before|after|now or|or wait|wait)\b|"
                     r"\bwhich (?:condition|grade|option|one|category) (?:should|do|would|is|fits|applies)\b")
# "how do u pay me for my trade in", "when do you send the label": how the shop works, asked about

_PROCESS = re.compile(
    r"^(?:so |ok |and |hey |hi |also )?(?:how|when) (?:do|does|will|would|can|is|are) (?:you|u|yall|you guys|i|we|it)"
    r" (?:get )?(?:pay|paid|send|ship|handle|work|inspect|wipe|erase|check|process|decide|grade|receive|get paid|"
    r"know|find|test|return)\b")

# "my 13 is still locked to at&t, can i still trade it in?", "would you take one with a cracked back?": whether a
# device like theirs is accepted, a rule asked about (answered, with the quote offered), not the quote asked for
_ELIGIBILITY = re.compile(r"\bcan (?:i|we) still (?:sell|trade|send)\b|"
                          # "... is at 76% battery health, would u still buy it": the fact told first
                          r"\b(?:do|will|would|can|could) (?:you|u|yall) (?:guys )?still (?:take|accept|buy|want)\b|\b(?:do|will|would) (?:you|u|yall) (?:guys )?(?:still )?"
                          r"(?:take|accept|buy)\b.{0,40}\b(?:if|with|that|locked|cracked|broken|damaged)\b|"
                          r"\bis (?:it|that|this|mine) (?:still )?(?:eligible|accepted|ok to (?:sell|trade))\b")
_COMPARES_RULES = re.compile(r"\bhow much (?:less|more|lower|higher)\b.{0,50}\b(?:than|compared (?:to|with)|vs|versus)\b|"
                             r"\b(?:sell|go|worth|fetch|get|pay)s? (?:for |you )?(?:less|more|lower|higher)\b.{0,40}\bthan\b|"
                             r"\bhow much (?:less|lower|more)\b.{0,40}\b(?:worth|pay|get|offer)\b")  # "... locked iphone worth"
# "btw it's locked to tmobile, does that change anything?", "will that hurt the offer": what a fact does to the
# offer, asked about (answered, with the quote offered)
_EFFECT = re.compile(r"\b(?:does|do|will|would|could|can) (?:that|it|this|those|these) (?:change|affect|hurt|lower|reduce|"
                     r"matter|impact|drop|make a difference)\b|"
                     # "battery is at 87%, is that gonna lower what you pay me"
                     r"\bis (?:that|it|this) (?:gonna|going to) (?:change|affect|hurt|lower|reduce|matter|drop|cost me)\b")
# "what does apple give for an iphone 15 pro trade in": another company's program, asked about
_OTHER_PROGRAM = re.compile(r"\b(?:what|how much) (?:does|do|would|will|did) (?:apple|samsung|google|verizon|at t|att|t mobile|"
                            r"tmobile|best buy|amazon|gamestop|carriers?|the carriers?) (?:give|pay|offer|credit)\b|"
                            # "iphone 16 pro max on apple trade-in is up to how much", "how much is apple paying for"
                            r"\b(?:apple|samsung|google|verizon|at t|att|t mobile|tmobile|best buy|amazon|gamestop)(?: s)? "
                            r"(?:trade ?-?in|trade in program|buyback|buy back)\b(?! (?:my|it|this|them)\b)|"
                            r"\b(?:apple|samsung|google|verizon|at t|att|t mobile|tmobile|best buy|amazon|gamestop) (?:is |are )?"
                            r"(?:giving|paying|offering|gives|pays|offers)\b")

_HAD_QUOTE = re.compile(r"\b(?:got|have|had|received|accepted|booked) (?:a |an |my |the |your )?(?:trade ?-?in )?"
                        r"(?:quote|offer|counteroffer|counter offer)\b")

_HOW_MUCH = re.compile(r"\bhow much\b|\bwhat(?: s| is| would| will| does| d)? (?:it|that|this|the total|everything) "
                       r"(?:cost|come to|comes to|run me|add up to|work out to)\b|\bwhat (?:would|will|do|does|should) (?:i|we) (?:pay|spend|end up paying)\b|\bwhat (?:would|will|can|could|do) (?:you|u|yall)(?: guys)? (?:pay|give|offer)")

_OFFER_ASK = re.compile(r"\bwhat (?:would|will|can|could|do) (?:you|u|yall)(?: guys)? (?:pay|give|offer)\b|"
                        r"\bhow much (?:for|would you (?:pay|give)|do you (?:pay|give)|can i get)\b")


def asks_for_offer(text: str) -> bool:
    """"What do u guys pay for used phones": a price asked for, even before the device is named."""
    return bool(_OFFER_ASK.search(normalize(text)))


# "will it come with a charger in the box, or do i need to buy one?": a yes-or-no question about the item itself
_ABOUT_THE_ITEM = re.compile(r"^(?:so |and |but |ok |also )?(?:will|does|do|is|are|can|would|could) (?:it|they|this|that|"
                             r"these|those|the (?:phone|device|laptop|ipad|tablet|macbook|refurb\w*|one))\b"
                             r"(?! (?:cheaper|better|worth|smarter|less|more|a (?:good|better) (?:deal|idea)))")  # a comparison


def asks_about_item(text: str) -> bool:
    """A yes-or-no question about the item itself ("and does it come unlocked?"), not a change to the figures."""
    return bool(_ABOUT_THE_ITEM.match(normalize(asked_part(text))))


def about_other_program(text: str) -> bool:
    """The question is about what another company's program pays or gives ("apple trade in value for an ipad pro?")."""
    return bool(_OTHER_PROGRAM.search(normalize(text)))


def requests_task(text: str) -> bool:
    """The message asks for a number or a task (a quote, a comparison), not for a policy fact."""
    norm = normalize(asked_part(text))
    if _COMPARES_RULES.search(norm) or _HAD_QUOTE.search(norm) or _ELIGIBILITY.search(norm) or (
            _EFFECT.search(norm) or _OTHER_PROGRAM.search(norm)):
        return False  # "how much less is a carrier-locked one worth than an unlocked one?", "got a quote last wk..."
    if _HOW_MUCH.search(norm):
        return True
    if _ABOUT_THE_ITEM.match(norm):
        return False
    if _ABOUT_PRICE_RULE.search(norm) or _ADVICE.search(norm) or _PROCESS.search(norm):
        return False
    if is_question(text) and HYPOTHETICAL.search(norm) and not _OFFER_ASK.search(norm):
        return False  # "will the price still be the same if i send it in later?": a rule, asked about
    return bool(_REQUEST.search(norm))


_ASKS_PRICE = re.compile(r"\bhow much\b|\bprices?\b|\bcosts?\b|\bgoing for\b|\bgo(?:es)? for\b|\bsell(?:s|ing)? for\b|\bhow expensive\b|"
                         r"\b(?:do|would|will) (?:you|u|yall)(?: guys)? (?:charge|want|ask)\b|\bcharg(?:e|ing) for\b|"
                         r"\bgonna cost\b|\bgoing to cost\b|\bset me back\b")


def asks_price(text: str) -> bool:
    """"How much is a refurb 15 in excellent?", "what's the s23 going for": a price asked, of anything."""
    return bool(_ASKS_PRICE.search(normalize(text)))


# "i'm selling my iphone 11, 256 gb": the sale of the shopper's own device, stated (narrower than a price asked
# or a device owned, which a story of switching carriers also has)
_OFFERS_OWN = re.compile(r"\b(?:selling|sell|trading in|trade in|getting rid of) (?:my|this|our|an old|my old)\b|"
                         r"\b(?:thinking (?:about|of)|planning (?:on|to)|looking to|want to|going to) (?:sell|selling|trade in|"
                         r"trading in) (?:a|an|my)\b")  # "I'm thinking about trading in an iPhone 13"


def offers_own(text: str) -> bool:
    """"I'm selling my iPhone 11 Pro Max, 256 GB": the shopper's own device put up for sale (a statement)."""
    return bool(_OFFERS_OWN.search(normalize(text)))


def several_devices(text: str) -> bool:
    """"I have two to sell", "both of them"."""
    return bool(_SEVERAL.search(normalize(text)))

_CEILING = re.compile(r"\b(?:under|below|less than|max|maximum|no more than|at most|up to|within|tops|cap)\b")


def budget_is_ceiling(text: str) -> bool:
    """"Under 700", "no more than 300": options above the amount are not wanted ("around 700" allows a little more)."""
    return bool(_CEILING.search(text.casefold()))


def budget(text: str) -> int | None:
    """A price the shopper wants to stay around ("a good refurb phone for about $250")."""
    match = _BUDGET.search(text.casefold().replace(",", ""))
    if not match:
        return None
    value = int(next(g for g in match.groups() if g))
    if match.group(1) and FIRST_YEAR <= value <= LAST_YEAR:
        return None  # "the projection for 2030" is a year; "$2030" or "2030 dollars" is still money
    return value if 50 <= value <= 5000 else None


def asks_price_or_request(text: str) -> bool:
    """The message asks for a number or a task (quote, compare, sell), not for a policy fact."""
    return bool(_PRICE_ASK.search(normalize(text)))


def states_own_facts(text: str) -> bool:
    """A question that also tells something about the shopper's own device ("my battery is at 76%, ...")."""
    norm = normalize(text)
    return bool(OWN_STATEMENT.search(norm)) and not HYPOTHETICAL.search(norm)


def other_language(text: str) -> bool:
    """Written in another language (another script, or common Spanish / French / Portuguese words)."""
    letters = [ch for ch in text if ch.isalpha()]
    foreign = [ch for ch in letters if _OTHER_SCRIPT.match(ch)]
    if letters and len(foreign) / len(letters) > 0.5:
        return True
    return bool(_SPANISH.search(text.casefold())) and not re.search(r"\b(?:the|my|is|and|you)\b", text.casefold())

_CORRECTION = re.compile(
    r"\b(?:actually|sorry|oops|wait|i meant|i mean|meant to say|my bad|correction|not an?|no it s|its an?|it s an?|"
    r"it is an?|mine is an?|mine s an?|my phone is an?|it s the|its the|i have an?|i got an?|typo|mine is the|"
    r"nope|go back to|scratch that|i lied|not the|instead|on reflection|rather sell)\b")

_CORRECTION_CUE = re.compile(r"\b(?:oops|oh|sorry|my bad|wait|no|nope|actually|i meant|meant to say|meant|i mean|"
                             r"correction|make that|it s|its|it is|not)\b")


def without_correction_cue(text: str) -> str:
    """The value a correction gives, without its cue words ("oops meant 256" -> "256")."""
    return " ".join(_CORRECTION_CUE.sub(" ", normalize(text)).split())


def corrects(text: str) -> bool:
    """The message corrects something said before ("actually it's a 13 pro", "sorry, i meant the s22")."""
    return bool(_CORRECTION.search(normalize(text)))

_DEVICE_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("co2e", re.compile(r"\bco2e?\b|\bcarbon\b|\bfootprint\b|\bemissions?\b|\bkg\b|greenhouse|"
                        r"\b(?:greener|for the planet|for the environment|eco friendlier|more eco friendly)\b")),
    ("new_price", re.compile(r"\b(?:launch|original|retail|list) price\b|\bmsrp\b|\bcost(?:s|ed)? (?:new|when (?:it )?"
                             r"(?:first )?came out|at launch)|\bwhen (?:it )?(?:first )?came out\b|\bprice (?:new|at launch)\b|"
                             r"\bwhat (?:did|does) (?:it|the \w+ ?\w*) cost new\b")),
    ("sold_new", re.compile(r"\bstill (?:sold|made|available|for sale|being sold|sell\w*) new\b|\bdiscontinued\b|"
                            r"\bstill (?:make|sell) (?:it|them)\b|\bstill sold\b")),
    ("storage", re.compile(r"\bstorage (?:sizes?|options?|capacit\w*|does|do|come)|\bwhat (?:storage|sizes?|capacit\w*)\b|"
                           r"\bhow much storage (?:does|do|can)\b|\bcome in (?:\d|what|which)|\bsizes?\b.{0,10}\?|"
                           r"\b(?:gb|tb) (?:options?|versions?|models?)\b|\bstorage\?")),
    ("available", re.compile(r"\bavailable\b|\bin stock\b|\bdo (?:you|u|yall) (?:sell|carry|have|stock)\b|"
                             r"\bcan i (?:get|buy) (?:a|an|the)\b|\bdo you guys (?:sell|carry|have)\b")),
)


def device_fact(text: str, *, paired: bool = False) -> str | None:
    """Which catalog fact a question about one device asks for (storage, price new, CO2e, still sold new,
    whether we sell it), if any; `paired`: about two devices ("m1 vs m2 co2"), where "vs" is no price ask."""
    norm = normalize(text)
    short = len(norm.split()) <= SHORT_FACT_WORDS
    if not (is_question(text) or short) and not re.search(r"\bavailable\b|\bstorage\b", norm):
        return None
    kind = next((kind for kind, pattern in _DEVICE_FACTS if pattern.search(norm)), None)
    if kind != "available" and _PRICE_ASK_TRADE.search(norm) and not (paired and kind == "co2e"):
        return None
    return kind

_RESULT_ASK = re.compile(
    r"\b(?:gonna|going to|will it|would it) cost me\b|\bwhat (?:would|will|do) i (?:still )?(?:have to )?pay\b|"
    r"\bout of pocket\b|\bcheaper\b|\bsav(?:e|es|ing|ings)\b|\bhow much (?:is it|would it|will it|does it|do i|would i|will i|less|more)\b|"
    r"\b(?:price|cost) difference\b|\bdifference in (?:price|cost)\b|\bdiff in price\b|\bnew instead\b|"
    r"\b(?:buy|buying|get|getting|got|went with) (?:it |one |the \w+ |a )?new\b|\bvs\.? (?:just )?(?:buying )?new\b|"
    r"\bversus new\b|\bworth it\b|^(?:and |so |ok |what about |how about )?(?:the |its |it s )?(?:price|prices|cost)s?"
    r"(?: then| too| though)?$")  # "and price?" after the co2 of a comparison


def asks_about_result(text: str) -> bool:
    """A follow-up about the comparison or upgrade just shown: its prices, savings, new vs refurbished."""
    return bool(_RESULT_ASK.search(normalize(text)))

SHORT_FACT_WORDS = 6  # "pixel 8 co2 footprint": a short line naming a device and a fact is a question

_PRICE_ASK_TRADE = re.compile(r"\b(?:sell|selling|trade|trading|worth|pay me|offer|quote|vs|versus|compare|"
                              r"refurb\w* (?:price|cost)|how much (?:is|are|for) (?:a |an |the )?refurb)")

_TRADES_OWN = re.compile(r"\btrade|\btrading|\bupgrad|\bcurrently\b|\bi have\b|\bi ve got\b|\bmy current\b")


def trades_own(text: str) -> bool:
    """The message puts the shopper's own device in the deal ("currently have a pixel 6 ... trade in")."""
    return bool(_TRADES_OWN.search(normalize(text)))

_LEADING_YES = re.compile(r"^(?:y|ya|yes|yea|yeah|yep|yup|sure|ok|okay|done|already did|i did|did it|correct|right|"
                          r"it s off|its off|all off|already removed|removed it|all removed|all done|signed out)\b")

_LEADING_NO = re.compile(r"^(?:n|no|nope|nah|not yet|not really|i haven t|havent|haven t|didn t|didnt|still on|"
                         r"still there|still signed in|still logged in|not removed)\b")


def leading_yes_no(text: str) -> bool | None:
    """A yes or no that opens an answer to a factual question ("yes it's removed", "not yet, still on")."""
    if is_question(text):
        return None
    norm = normalize(text)
    if _LEADING_NO.search(norm):
        return False
    if _LEADING_YES.search(norm):
        return True
    return None

_KINDS = (("laptop", re.compile(r"\b(?:laptops?|macbooks?|notebooks?|computers?)\b")),
          ("tablet", re.compile(r"\b(?:tablets?|ipads?)\b")),
          ("android", re.compile(r"\b(?:android|samsung|galaxy|pixel|google)\b")),
          ("iphone", re.compile(r"\b(?:iphones?|apple phone)\b")))


def device_kind_named(text: str) -> str | None:
    """The kind of device a budget question is about: laptop, tablet, android or iphone (None: any phone)."""
    norm = normalize(text)
    return next((kind for kind, pattern in _KINDS if pattern.search(norm)), None)

_SELLING_WORDS = re.compile(r"\b(?:sell|selling|sold|trade|trading|offer(?:ed)? me|pay me|paid|worth|quote|payout)\b")


def shops_on_budget(text: str) -> bool:
    """A budget for buying ("cheapest refurb macbook, budget under 700"), not an amount offered for a trade-in."""
    return budget(text) is not None and not _SELLING_WORDS.search(normalize(text))


MIN_TOLD_WORDS = 3  # "its got a cracked back": a statement before the comma; "ok, and" is only a lead-in


def statement_part(text: str) -> str:
    """The sentences of a message that state something rather than ask ("face id stopped working. does that
    matter?" -> "face id stopped working")."""
    parts = re.findall(r"[^.!?]+[.!?]*", text)
    kept = []
    for part in parts:
        if part.rstrip().endswith("?") or is_question(part):
            # "its got a cracked back, does that matter?": what is told before the question in its sentence
            told, comma, asked = part.strip().rpartition(",")
            part = told if comma and len(told.split()) >= MIN_TOLD_WORDS and not is_question(told) and \
                is_question(asked) and not HYPOTHETICAL.search(normalize(told)) else ""
        if part and not HYPOTHETICAL.search(normalize(part)):
            kept.append(part)
    return " ".join(p.strip() for p in kept)

_REFINES = re.compile(r"^(?:and |so |ok |okay )?(?:what|how) about\b|^and (?:the|a|an|in|for)\b|^(?:the|in) \w+ (?:one|version)\b")

REFINE_WORDS = 7  # "what about the 256gb one": short, about the figures on screen


_SWAPS = re.compile(r"\b(?:instead|numbers|the math|what about|how about|what if i (?:get|got|went with|chose)|"
                    r"(?:look|be|work out) with)\b")


def swaps_target(text: str) -> bool:
    """"How would the numbers look with a Pixel 9 Pro?", "what about the 15 pro instead": another model to buy."""
    return refines(text) or bool(_SWAPS.search(normalize(text)))


def refines(text: str) -> bool:
    """A short follow-up that changes one thing about the figures on screen."""
    return len(text.split()) <= REFINE_WORDS and bool(_REFINES.search(normalize(text)))

_UNSURE = re.compile(r"\b(?:can t tell|cannot tell|can t decide|not sure|unsure|don t know|dont know|no idea|no clue)\b")

_NOT_DONE = re.compile(r"\b(?:haven t|havent|have not|didn t|didnt|did not) (?:done|do|turned|removed|signed|logged|"
                       r"switched|disabled|gotten|got)\b|\bnot (?:yet|done)\b|\bstill (?:on|there|signed in|logged in)\b")

_WHICH_CONDITION = re.compile(
    r"\bwhich (?:condition|grade|category|option|one)\b|\bwhat (?:condition|grade) (?:is|would|should|does|do)\b|"
    r"\b(?:would|should|do|can) i (?:choose|pick|select|put|go with|say|mark|call it) (?:flawless|good|fair|broken)\b|"
    r"\bcounts? as (?:flawless|good|fair|broken)\b|\b(?:is|s) (?:that|it|this|mine) still (?:flawless|good|fair|broken)\b|\b(?:sell|list|send|mark|rate|grade|put) (?:it|mine|this|that) (?:in |as )"
    r"(?:flawless|good|fair|broken)\b|\b(?:is|s) (?:that|it|this|mine) (?:flawless|good|fair|broken)\b|"
    r"\bwhat condition\b|\bwhich condition\b|"
    r"\b(?:flawless|good|fair|broken) or (?:flawless|good|fair|broken)\W*$")  # "... no cracks, works. good or fair?"


def asks_which_condition(text: str) -> bool:
    """"Would I choose Fair when I get my quote?", "which condition do i pick": a trade-in condition asked about."""
    return is_question(text) and bool(_WHICH_CONDITION.search(normalize(text)))


def unsure(text: str) -> bool:
    """The shopper says they cannot tell ("i can't tell which one it falls under")."""
    return bool(_UNSURE.search(normalize(text)))


def denies(statement: str) -> bool:
    """A statement that answers a yes-or-no question about the device with a no ("i haven't done that yet")."""
    return leading_yes_no(statement) is False or bool(_NOT_DONE.search(normalize(statement)))
