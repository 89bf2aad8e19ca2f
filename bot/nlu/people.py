"""Who the message needs: a person asked for, an always-human complaint, "are you a bot?", a refusal by policy.

Questions *about* these topics are not complaints ("how long does a payout take?"); a first-person statement
that runs into the policy ("i found an iphone on the bus") is a refusal, a question about the rule is not.
"""

from __future__ import annotations

import re

from bot.nlu.question_shape import is_question, normalize, question_core
from bot.nlu.speech_acts import HYPOTHETICAL, OWN_STATEMENT, statement_part

# --- people, complaints, identity ------------------------------------------------------------------------
_IDENTITY = re.compile(
    r"\b(?:am i|are we) (?:talking|chatting|speaking|texting|messaging) (?:to|with) (?:a |an |the )?"
    r"(?:bot|robot|machine|computer|ai|human|real (?:person|human)|person|actual person|program)|"
    r"\b(?:are|r) (?:you|u|ya) (?:a |an )?(?:bot|robot|machine|human|real|ai|person|actual person|computer|"
    r"chatbot|program|automated)\b|\bis (?:this|it) (?:a |an )?(?:bot|robot|real person|human|automated|ai|"
    r"machine|chatbot|live person|computer)\b|\b(?:you|u) (?:a )?(?:bot|robot)\b|\bis (?:anyone|anybody|someone) "
    r"(?:real|there|human)\b|\bwho am i (?:\w+ )?(?:talking|speaking|chatting|texting) (?:to|with)\b|"
    r"\b(?:are|r) (?:you|u) (?:a )?(?:real|actual|live) (?:human|person)\b|"
    r"\b(?:i m|im|i am|we re|we are) (?:talking|chatting|speaking|texting|messaging) (?:to|with) (?:a |an |the )?"
    r"(?:bot|robot|machine|computer|ai|human|real (?:person|human)|person|actual person|program|automated)")
_ASKS_FOR_PERSON = re.compile(
    r"\b(?:human|humans|hooman|agent|representative|rep|real (?:person|people|human)|someone real|"
    r"live (?:chat|support|agent|person)|customer (?:service|support|care)(?! (?:experience|job|jobs|skills|background|role|position))|support team|actual (?:employee|person|"
    r"human)|manager|supervisor|a person|an employee|staff member)\b|"
    r"\b(?:talk|speak|chat) (?:to|with) (?:someone|somebody|some1|a|an|the|support|ur|your)\b|"
    r"\bcall me\b|\bphone number to call\b|\b(?:i|we) (?:want|need) (?:someone|somebody)\b|"
    r"\bsomeone (?:to|who) (?:look|help|check|call|take (?:a|another) look|review|go over)\b|"
    r"\b(?:can|could|will) (?:someone|somebody|anyone|a person|one of you) (?:please )?(?:look|help|check|call|sort|fix|"
    r"contact)\b|\bmember of (?:your |the )?(?:staff|team)\b|"
    r"\b(?:discuss|go over|talk) (?:this |it )?(?:with|to) (?:someone|somebody|a person|a human|staff|your staff|your team)\b|"
    r"\bstaff member\b|\bget me (?:a |an )?(?:real|actual|live) (?:one|person|human)\b|"
    r"\bget me (?:someone|somebody|a person|a human)\b")
# Topics the policy always gives to a person, as complaints (not questions about them), by reason.
_COMPLAINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("counteroffer dispute", re.compile(
        r"counter ?(?:offer(?:ed|ing|s)?|ed)?\b.{0,60}\b(?:unfair|wrong|too low|ridiculous|scam|joke|not fair|insulting|"
        r"disagree|reject|dispute|lowball|bs|rip ?off)|(?:offer|price|quote) (?:changed|dropped|went down|was cut|"
        r"got cut) from|(?:don t|dont|do not) agree with (?:the|your) (?:counter|inspection|offer)|"
        r"\bdispute\b|lowball(?:ed|ing)? me|counter ?offer(?:ed|ing|s)?\b.{0,160}\b(?:half|not ok|unacceptable|too low|no damage|wasn t|was not|there was no|never|"
        r"nothing wrong|perfect|flawless|mint|bs|bull|lie|lying|rip|steal|didn t have|did not have|not a (?:single )?scratch|"
        r"want (?:that|it|this) fixed|less than (?:my|the) quote|"
        r"wasnt|werent|weren t|"
        r"upset|not right|isn t right|mistake)|quoted me .{0,40}\b(?:now|but)\b.{0,40}\bcounter")),
    ("payout not received", re.compile(
        r"(?:payout|payment|paypal|ach|bank transfer|passed|inspection)\b.{0,80}\bstill (?:nothing|no sign|waiting|empty)\b|"
        r"(?:payout|payment|money|paypal|transfer|deposit|check)\b.{0,40}\b(?:never|not|hasn t|hasnt|havent|"
        r"haven t|didn t|didnt|missing|still) (?:arrived|came|received|got|showed|paid|been paid|here|come)|"
        r"\bno (?:payment|payout|money|deposit|transfer|paypal payment)\b.{0,20}\b(?:has |have )?(?:arrived|came|"
        r"come|received|yet|showed up)|"
        r"(?:haven t|havent|didn t|didnt|did not|never|still not|not) (?:been )?(?:got|gotten|received|get|paid)\b"
        r".{0,30}(?:payout|payment|money|paid|transfer|deposit|paypal|funds)|\bwhere(?: s| is) my (?:paypal |bank |ach )?(?:payment|payout|money|"
        r"deposit|cash)|still no (?:paypal |bank |ach )?(?:payment|payout|money|deposit)|"
        r"(?:payout|payment|money|deposit|paypal)\b.{0,25}\b(?:late|overdue|delayed|missing|lost)\b|(?:it s|its|it has|been) "
        r"(?:been )?\d+ (?:business )?(?:days|weeks) (?:and|but|since).{0,40}(?:paid|payment|payout|money)|"
        r"(?:nothing|no money|no deposit) (?:has )?(?:in|into|hit|reached|arrived in|shown up in|showed up in) my "
        r"(?:bank |paypal )?account|"
        r"(?:payout|payment|paypal|money|deposit|ach)\b.{0,60}\b(?:it s|its|it has|been) (?:been )?(?:over |more than )?"
        r"(?:a|an|\d+|two|three|four|five|ten) (?:business )?(?:days?|weeks?|months?)")),
    ("warranty claim", re.compile(
        r"warranty (?:claim|replacement|repair|form)|(?:file|make|start|open) a (?:warranty )?claim|"
        r"(?:the|my) (?:refurb\w*|phone|iphone|device|laptop|tablet|ipad|macbook|galaxy|pixel) (?:i|we) (?:bought|"
        r"ordered|got) .{0,40}(?:stopped|died|broke|won t|doesn t|not working|dead)|"
        r"(?:bought|ordered|got) (?:from you|here).{0,40}(?:stopped|died|broke|won t|doesn t|not working|dead)|"
        r"(?:use|claim|make|file|need) (?:my |the |a )?warranty\b|"
        r"(?:i |we )?(?:bought|got|ordered|purchased) (?:it |this |one )?(?:from|here|off|through) (?:you|u|ya|your site|"
        r"loop)\b.{0,80}\b(?:crackl|stopped|died|broke|won t|wont|doesn t|doesnt|not working|dead|defect|glitch|"
        r"keeps|issue|problem)|"
        r"(?:bought|got|ordered|purchased) (?:a |an |the )?(?:refurb\w* )?(?:\w+ ){0,3}from (?:you|u|ya|your site|loop)\b"
        r".{0,160}\b(?:crackl\w*|stopped|died|broke|barely works|won t|wont|doesn t work|not working|dead|defect\w*)|\bi (?:got|bought) from (?:you|u)\b.{0,60}\b(?:won t|wont|doesn t|stopped|died|broke)")),
    ("transit damage", re.compile(
        r"\b(?:arrived|came|showed up|delivered|box was|got here|was delivered)\b.{0,40}(?:damaged|broken|cracked|"
        r"smashed|dent(?:ed)?|crushed|shattered|\bcrack\b)|(?:damaged|broken|crushed) (?:in|during) (?:shipping|"
        r"transit|delivery)|report (?:shipping|transit|delivery) damage|"
        r"\b(?:ups|fedex|usps|dhl|the courier|the mailman|the driver|shipping) (?:must have |probably )?(?:dropped|"
        r"damaged|broke|crushed|smashed|threw)")),
    ("identity or payment problem", re.compile(
        r"\bfraud|stolen identity|someone (?:made|created|opened|set up|used) (?:an |a )?(?:account|order) (?:with|using|in) my (?:email|name|card|address)|"
        # "someone used my email to book a trade-in i never made"
        r"\b(?:someone|somebody|some1) (?:used|is using|has used|took) my (?:email|name|card|account|identity|address|"
        r"paypal|bank)|"
        r"identity theft|stole my identity|charged twice|double charged|wrong charge|"
        r"unauthori[sz]ed|\bhacked\b|used my (?:card|account|identity)|(?:failing|failed) verification|"
        r"verification (?:fail|keeps)|(?:didn t|did not|never) (?:make|authori[sz]e) (?:this|that|the) (?:purchase|"
        r"order|payment)|refund (?:never|hasn t|hasnt|not)|(?:card|payment) (?:keeps )?(?:getting |got |was )?"
        r"declined|(?:keep |keeps )?failing (?:the )?(?:id |identity )?verification|\bid verification\b|"
        r"(?:got )?charged (?:me )?(?:but|and|twice|two times)|charged .{0,30}(?:but|no order|never)")),
    ("locked device", re.compile(
        r"(?:can t|cant|cannot|unable to) (?:remove|turn off|disable|get off|sign out of|log out of|unlock) .{0,25}"
        r"(?:find ?my|icloud|apple ?id|account|activation|google|samsung|lock)|forgot (?:my |the )?(?:apple ?id|"
        r"icloud|password|passcode|google|samsung)|(?:bought|got) it (?:already )?locked|previous owner.{0,30}"
        r"(?:locked|account|icloud)|(?:still )?locked to (?:his|her|their|my (?:dad|mom|father|mother|late)\w*|"
        r"someone|the previous|an old)|can t get (?:in|into it)|cant get (?:in|into it)|"
        r"(?:got|was|been|came back|get) (?:flagged|marked|reported) (?:as )?(?:blacklisted|stolen|lost)\b"
        r"(?!.{0,40}\b(?:found|then|could|can|would|will)\b)|"
        # the inspection's finding disputed: "you guys say my s22 is blacklisted but i bought it new"
        r"\b(?:you|u|ya|your (?:team|inspection|inspector|check)|inspection|inspector)\b(?: guys)? "
        r"(?:say|says|said|claim\w*|told me|flagged|marked|found)\b.{0,30}\b(?:blacklist\w*|stolen|lost|"
        r"locked|icloud locked)|"
        # "u sent my phone back saying its locked", "my trade in got rejected as blacklisted but i own it outright"
        r"\b(?:sent|send|shipped|returned) (?:back )?(?:my|it|the) (?:\w+ ){0,3}?(?:back|device|phone)\b.{0,30}\b(?:saying|because|as|said)\b"
        r".{0,20}\b(?:lock\w*|blacklist\w*|stolen|lost)|\b(?:rejected|refused|declined|denied|returned)\b.{0,20}\b(?:as|for|because)"
        r"\b.{0,20}\b(?:blacklist\w*|stolen|lost|locked)\b")),
    ("order status", re.compile(
        r"\bwhere(?: s| is) my (?:order|package|phone|device|refund|laptop|ipad)\b|"
        # "ordered a 256gb iphone 13 pro and got a 128gb one": the wrong item delivered
        r"\b(?:i |we )?(?:ordered|bought|paid for) (?:a |an |the )?.{0,40}\b(?:and|but) (?:got|received|they sent) "
        r"(?:a|an|the wrong|some)\b(?!.{0,20}\b(?:case|charger|cable|gift|email|label)\b)|"
        r"\b(?:sent|shipped|gave|delivered) (?:me |us )?(?:the |a )?wrong\b|\b(?:got|received) (?:the |a )?wrong "
        r"(?:item|model|phone|color|colour|size|device|one)\b|"
        r"\btracking (?:has |still )?(?:said|says|shows|showing|been)\b.{0,40}\b(?:label created|the whole time|for "
        r"(?:days|weeks|a week)|not moved|no update)|\bwhat(?: s| is) going on with my order\b|"
        r"\border (?:number |no |# ?)?#?[a-z]{0,4}\d{3,}|(?:still )?not (?:been )?(?:delivered|shipped)\b.{0,30}"
        r"\b(?:days?|weeks?|yet|tracking)|tracking (?:hasn t|hasnt|has not|didn t|not|hasn t even|never) "
        r"(?:moved|updated|changed|budged)|"
        r"\bmy order\b.{0,40}(?:hasn t|hasnt|not|never|late|delayed|status|where|still)|"
        r"(?:hasn t|hasnt|never|still hasn t|didn t|didnt) (?:arrived|come|shipped(?! (?:it|them|my|the|out)\b)|"
        r"been delivered|showed up)|"  # "i never shipped it" is the shopper's own (a quote's validity)
        r"(?:say|says|said|claim|claims) (?:you |they )?never (?:got|received)|"
        r"(?:delivered|arrived) .{0,40}\b(?:you|your team|they) .{0,20}never (?:got|received)|"
        r"(?:says|said|shows|showing|marked|tracking says) (?:as |it was |it s |its )?delivered\b.{0,60}\b(?:no package|not here|nothing here|"
        r"can t find|cant find|never (?:got|came|arrived)|isn t here|is not here|no box|missing)")),
)
_FRUSTRATED = re.compile(
    r"\b(?:useless|stupid bot|dumb bot|not helpful|not helping|doesn t help|waste of time|ugh+|wtf|ffs|"
    r"this is ridiculous|you re useless|you are useless|over and over|frustrat\w*|annoying|terrible bot)\b")

# --- refusals by policy ----------------------------------------------------------------------------------
_REFUSALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("blacklisted", re.compile(
        r"blacklist|black list|bad (?:esn|imei)|blocked imei|imei (?:is )?(?:blocked|barred|flagged)|"
        r"(?:flagged|blocked) by (?:the )?carrier")),
    ("lost_or_stolen", re.compile(
        r"\bfound (?:a|an|this|the|some|someone s|somebody s)\b(?! (?:model|name|number|storage|setting|option|"
        r"info|imei|serial|box|receipt|charger|cable))(?!.{0,12}\b(?:in|under|on) (?:the )?(?:settings?|about|box|storage|general|menu)\b)"
        r".{0,25}(?:phone|iphone|galaxy|pixel|ipad|macbook|laptop|tablet|device|it)\b|"
        # "found it on the bus" (a phone found), never "found it! under storage it says 256 gb" (a setting found)
        r"\bfound it (?:on|at|in|near|outside|by|behind|lying|laying|left) (?:the |a |an |some |my )?"
        r"(?!settings?\b|about\b|box\b|menu\b|storage\b|general\b|info\b)[a-z]+|\bstolen\b|\bstole\b|reported (?:as )?(?:lost|stolen)|"
        # "it isn't mine", never "i was looking at my husband's phone, not mine"
        r"\b(?:it|this|that|which|phone|device|one)(?: s| is| was)? (?:isn t|is not|not|wasn t|was not) (?:mine|my phone|my own)\b|"
        r"\bnot (?:mine|my own) to sell\b|someone (?:left|lost|forgot) (?:it|their|a|his|her)|"
        r"\b(?:lost|left) (?:behind )?(?:at|in|on) (?:the |a )?(?:bus|train|bar|park|uber|taxi|school)")),
    ("financed", re.compile(
        r"still (?:owe|pay|paying|making (?:monthly )?payments|on (?:a )?(?:payment plan|financing|installments))|"
        r"\b(?:left|remaining) to pay\b|\bnot (?:yet )?(?:fully|completely|entirely) paid\b|"
        r"\b(?:monthly )?installment plan\b|"
        r"(?:financ\w*|installments?|payment plan|monthly payments?|balance)\b.{0,30}\b(?:left|remaining|still|"
        r"on it|owe|owing|due)|not (?:fully |yet )?paid (?:it )?off|(?:on|under) (?:a )?(?:payment plan|financing|"
        r"installment plan)|\bowe \$?\d+|paying (?:it|the phone|for it) off|\d+ (?:more )?(?:months|payments) "
        r"(?:left|to go|remaining)|(?:months?|payments?) (?:left|remaining|to go) on (?:the|my|a|its|it s) "
        r"(?:installment|payment|financing|phone) ?(?:plan)?")),
    ("under_age", re.compile(
        r"\b(?:i m|im|i am) (?:only |just )?(?:1[0-7]|[5-9])(?: years? old| yrs? old| yo| y o)?\b"
        r"(?! ?(?:gb|tb|percent|months?|days?|weeks?|hours?|minutes?|mins?|dollars|bucks|\d))|"
        r"\b(?:i m|im|i am) (?:a )?(?:minor|teen|teenager|under ?age|in (?:middle|high) school)\b|"
        r"^(?:hi |hey |yo )?(?:i m |im )?1[0-7] ?(?:y ?o|yrs? old|years? old)\b|"
        # "so i turned 16 last month", "i'm only sixteen"
        r"\b(?:i|just) turned (?:1[0-7]|thirteen|fourteen|fifteen|sixteen|seventeen)\b|"
        r"\b(?:i m|im|i am) (?:only |just )?(?:thirteen|fourteen|fifteen|sixteen|seventeen)\b")),
    ("outside_us", re.compile(
        # "i live up in vancouver, bc", "i live in monterrey, mexico": a place abroad, or its province or country
        r"\b(?:i|we) (?:live|am|m|re|are|reside|m based|are based)(?: up| down| over| out)? (?:in|from|out of) "
        r"(?:[a-z]+ ){1,2}(?:bc|b c|ontario|quebec|alberta|manitoba|nova scotia|canada|mexico|uk|england|germany|"
        r"india|australia|nigeria|ghana|kenya|philippines|brazil|france|spain|italy|japan|china|ireland|scotland|"
        r"south africa|pakistan|colombia)\b|"
        r"\b(?:i|we) (?:live|am|m|re|are|reside|m based|are based)(?: up| down| over| out)? (?:in|from|out of) (?:the )?(?:canada|mexico|"
        r"uk|united kingdom|england|scotland|ireland|germany|france|spain|italy|india|australia|brazil|"
        r"philippines|nigeria|japan|china|europe|toronto|vancouver|montreal|london|mexico city)\b|"
        r"\b(?:i m|im) (?:in|from|based in) (?:canada|mexico|the uk|uk|england|germany|france|india|australia|"
        r"europe|toronto|vancouver|london)\b|\b(?:hi|hello|hey|greetings|writing|here) from (?:canada|mexico|toronto|"
        r"vancouver|montreal|ottawa|calgary|the uk|london|england|germany|india|australia)\b|"
        r"(?:ship|send|mail|sell|selling|trade|trading)\w* (?:\w+ ){0,4}?from (?:canada|"
        r"mexico|the uk|uk|england|germany|india|australia|europe|toronto|vancouver|montreal|ottawa|calgary|london)\b")),
)
REFUSAL_RULES = tuple(rule for rule, _ in _REFUSALS)
_REFUSAL_PATTERNS = dict(_REFUSALS)
ALWAYS_HUMAN_RULES = frozenset({"blacklisted"})  # the policy hands a blacklisted device to a person as well  # what a Refuse may name (each has a refuse_{rule} response)

_ABOUT_PEOPLE = re.compile(
    r"\b(?:hours?|what time|how late|how early|how (?:long|fast|soon|quickly)|when (?:can|do|does|are|is|will)|"
    r"open|available|usually|weekends?|email|saturdays?|sundays?|mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|"
    r"holidays?|tonight|evenings?|nights?|mornings?|midnight|overnight|after hours|after \d|before \d|at \d)\b")
# "if i ask for a person at midnight, what happens?": how handoffs work, asked about
_ABOUT_ASKING = re.compile(r"^(?:so |and |but )?(?:if|what if|what happens (?:if|when)|when) (?:i|we|you) (?:ask|request|"
                           r"want|need|message|text|write)\b")

def asks_identity(text: str) -> bool:
    """"Am I talking to a bot?", "are you human?"."""
    return bool(_IDENTITY.search(normalize(text)))

def asks_for_person(text: str) -> bool:
    """An explicit request for a person ("talk to a human", "agent please"), not a question about reaching one."""
    norm = normalize(text)
    if not _ASKS_FOR_PERSON.search(norm) or _IDENTITY.search(norm) or _ABOUT_ASKING.search(norm):
        return False
    return not (is_question(text) and _ABOUT_PEOPLE.search(norm))


# "necesito hablar con una persona", "je veux parler à un conseiller": a person asked for in another language
_PERSON_ELSEWHERE = re.compile(r"\b(?:persona|humano|agente|representante|personne|humain|conseiller|atendente|"
                               r"pessoa)\b")


def asks_for_person_elsewhere(text: str) -> bool:
    """A person asked for in a language the bot does not speak (read only once the message is known to be one)."""
    return bool(_PERSON_ELSEWHERE.search(normalize(text)))


# "is there a deadline to report shipping damage or can i tell u whenever?": the rule asked, no problem told
_ASKS_RULE = re.compile(r"\b(?:deadline|how long do (?:i|we) have|how many days|time limit|window to|how soon do (?:i|we)|"
                        r"by when)\b")


def complaint(text: str) -> str | None:
    """The always-human topic this message complains about, if it is a complaint rather than a question."""
    norm = normalize(text)
    if HYPOTHETICAL.search(norm):
        return None
    if is_question(text) and _ASKS_RULE.search(norm) and not re.search(r"\b(?:my|our|mine)\b", norm):
        return None
    if is_question(text) and not re.search(r"\b(?:my|mine|i|i ve|ive|im|i m|we|our|me)\b", norm):
        # "what's the window to report shipping damage?" asks about the policy; "the box came crushed. what
        # now" tells of a problem before it asks
        norm = normalize(statement_part(text))
        if not norm.strip():
            return None
    return next((reason for reason, pattern in _COMPLAINTS if pattern.search(norm)), None)

# "where is my order from best buy", "my amazon renewed order hasn't shipped": another store's order (no order of ours)
_OTHER_SHOP = re.compile(r"\b(?:amazon|best ?buy|walmart|target|ebay|back ?market|gazelle|swappa|decluttr|costco|"
                         r"gamestop|newegg|apple store|the apple store|verizon store|at t store|t mobile store)\b")


def other_shops_order(text: str, reason: str) -> bool:
    """An order problem about another store's order: that store can look it up, we cannot."""
    return reason == "order status" and bool(_OTHER_SHOP.search(normalize(text)))


def frustrated(text: str) -> bool:
    """"This is useless", "wtf": offer a person."""
    return bool(_FRUSTRATED.search(normalize(text)))

_OWN_CASE = re.compile(r"\b(?:(?:i|we) (?:found|m|am|live|still|bought|got)|im|we re|can i (?:sell|trade)|i want to sell|"
                       r"i can (?:ship|send|mail))\b|^(?:selling|trading in|sell)\b|"
                       r"^(?:found|bought|got|picked up)\b")
# "buying a new pixel on a payment plan or a refurbished one": financing of a purchase, not of a phone for sale
_BUYING = re.compile(r"\b(?:buy|buying|purchase|purchasing|grab|grabbing|order|ordering)\b")
_SELLING = re.compile(r"\b(?:sell|selling|trade|trading|trade ?in|quote|offer|pay me|worth|"
                      r"(?:you|u|yall) (?:still )?(?:buy|take|accept) (?:it|my|this|them))\b")  # "can you buy it?" is ours to buy


def refusal(text: str) -> str | None:
    """The policy rule a first-person statement runs into (a found phone, a financed one, a seller of 16)."""
    norm = normalize(text)
    if is_question(text) and HYPOTHETICAL.search(norm) and not _OWN_CASE.search(norm):
        return None  # "does the warranty cover my phone if it gets stolen?": a rule asked about
    for rule, pattern in _REFUSALS:
        if rule == "financed" and _BUYING.search(norm) and not _SELLING.search(norm):
            continue
        if pattern.search(norm):
            # "do you buy blacklisted phones?" asks about the rule; "found an iphone on the bus, can i sell it?"
            # and "carrier says my imei is blacklisted, can i sell it to u" tell of the shopper's own case
            general_question = is_question(text) and not OWN_STATEMENT.search(norm) and not _OWN_CASE.search(norm)
            # "the carrier told me the imei is blacklisted. does that kill the deal?": told before it is asked
            told = normalize(statement_part(text)) if general_question else ""
            return None if general_question and not pattern.search(told) else rule
    return None


# After a refusal: the same request pressed again ("even for parts?", "what if nobody claims it", "come on,
# nobody will know", "can't i just sell it and pay it off?"), not a new question
_PRESSES = re.compile(
    r"\b(?:what if|suppose|supposing|even (?:if|for|just|as)|for parts|as (?:a )?broken|at least|anyway|come on|"
    r"nobody (?:will|would|ll) know|no one (?:will|would) know|nobody claims|no one claims|comes? forward|"
    r"(?:can t|cant|couldn t|could) i (?:just|still)|is there (?:really )?no way|no way (?:to|at all)|"
    r"would that change|does that change|still not|why not|please just|just this once|make an exception|at all|"
    r"(?:can t|cant|cannot|won t|wont) (?:you |u )?(?:just )?(?:take|buy|give|accept|quote|make)|really (?:can t|cant|no)|"
    # "what if i mail it from my aunt's house in seattle?", "i can send it from my brother's address"
    r"(?:send|ship|mail)\w* (?:it|the phone|the device|my phone) (?:from|to|using|with) (?:his|her|their|my|a)\b|"
    r"(?:use|using) (?:his|her|their|my \w+ s|a) (?:us )?(?:address|house|place)|"
    r"my (?:mom|dad|mother|father|parents?) (?:\w+ )?(?:said|says|say|is ok|is fine|lets|let me|allowed|agrees?|"
    r"approved|signed|gave))\b")
MAX_PRESSING_WORDS = 40


def presses_refused(text: str) -> bool:
    """The refused request asked again in other words (see _PRESSES)."""
    norm = normalize(text)
    return len(norm.split()) <= MAX_PRESSING_WORDS and bool(_PRESSES.search(norm))


_FIRST_PERSON = re.compile(r"\b(?:my|mine|i|i ve|ive|im|i m|we|our|me|us)\b")


def own_case_for_person(text: str, rule: str) -> bool:
    """A refusal a person should look at too: the shopper tells of their own blacklisted phone (not a question
    about the rule, "can i trade in a phone that's blacklisted?")."""
    if rule not in ALWAYS_HUMAN_RULES:
        return False
    told = statement_part(text) if is_question(text) else text
    if is_question(text) and not told.strip():  # "...it says it's blacklisted and i bought it new, what do i do now"
        core = question_core(text)
        told = text[:-len(core)] if core != text and text.endswith(core) else ""
    norm = normalize(told)
    return bool(norm.strip()) and bool(_FIRST_PERSON.search(norm) or _REFUSAL_PATTERNS[rule].search(norm))


def about_own_problem(text: str) -> bool:
    """The message tells of the shopper's own situation (a statement), not a question about a policy."""
    norm = normalize(text)
    return bool(_FIRST_PERSON.search(norm)) and not HYPOTHETICAL.search(norm) and not is_question(text)
