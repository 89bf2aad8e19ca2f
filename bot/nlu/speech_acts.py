"""What a message does besides stating facts: consents, declines, asks for a person, complains, refuses.

Patterns over normalised text (bot.nlu.text.normalize). Each answers one question about the message; the
reader (bot.nlu.reader) combines them into commands. Precision first: a yes must be unmistakable.
"""

from __future__ import annotations

import re

from bot.nlu.text import normalize as _normalize

TAIL_WORDS = 2  # words after the last "?" that make the message's end a statement of its own...
ECHO_WORDS = 3  # ...when what comes before it only echoes the question ("find my?")

# --- consent ---------------------------------------------------------------------------------------------
# A yes is only these phrases and filler, nothing else: "ok, and what if they find a dent?" is not a yes.
_YES_PHRASES = (
    "yes please", "yes", "yeah", "yep", "yup", "ya", "yea", "y", "sure thing", "sure", "ok", "okay", "k", "kk",
    "alright", "all right", "deal", "accept", "accepted", "i accept", "agreed", "i agree", "absolutely",
    "definitely", "of course", "please do", "do it", "lets do it", "let s do it", "lets do this", "go ahead",
    "sounds good", "sounds great", "perfect", "great", "i ll take it", "ill take it", "i will take it",
    "take it", "lets go", "let s go", "book it", "i want it", "that works", "works for me", "fine", "cool",
    "yes i accept", "i accept the offer", "accept the offer", "i ll take the offer", "take the offer",
    "i want the offer", "go for it", "im in", "i m in", "count me in", "lock it in", "confirm", "confirmed",
    "please", "thanks", "thank you", "ty", "awesome", "nice", "good", "yes sir", "for sure", "bet", "ok bet",
    "lol", "haha", "then", "alright then", "ok then", "okay then", "fine then", "i guess so", "works", "yeah sure",
    "sure why not", "why not", "lets", "let s", "do it", "i ll do it", "ill do it", "its a deal", "it s a deal",
)
_NO_PHRASES = (
    "no thanks", "no thank you", "no", "nope", "nah", "decline", "declined", "i decline", "pass", "i ll pass",
    "ill pass", "not now", "not interested", "no deal", "not really", "i don t want it", "dont want it",
    "i dont want it", "no way", "too low", "that s too low", "thats too low", "not for that", "please", "thanks",
    "maybe later", "not today",
)
_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|not sure|unsure|hmm+|let me think|think about it|depends|but|if|unless|wait|hold on|"
    r"idk|dunno|probably|i guess|kinda|kind of|sort of|could you|can you|would you|what about|how about|"
    r"best you can|do better|any higher|more than that|negotiat|counter)\b")
# Wanting the declined offer back: "changed my mind, I'll take the offer".
_WANT_OFFER = re.compile(
    r"\b(?:take|want|accept|i ll take|go with|do|grab|reconsider)\b.{0,12}\b(?:the |your |that |this |ur )?"
    r"(?:offer|deal|quote)\b|\bchanged? my mind\b.{0,30}\b(?:offer|accept|take|sell|yes|do it|deal)\b|"
    r"^(?:actually )?(?:i ll|ill|i will|let s|lets) (?:take|do) it\b|\bon second thought\b.{0,30}\b(?:yes|take|accept|sell)\b")
_GO_BACK = re.compile(
    r"^(?:(?:oops|wait|sorry|no|hmm+|umm?)\s)*(?:go back|back|previous|previous question|undo|back up|"
    r"go back (?:a|one) step|one step back|take me back|can we go back|last question|go back to the last question)"
    r"(?:\s(?:please|pls|a step|one step|to the last question))*$")

# --- people, complaints, identity ------------------------------------------------------------------------
_IDENTITY = re.compile(
    r"\b(?:am i|are we) (?:talking|chatting|speaking|texting|messaging) (?:to|with) (?:a |an |the )?"
    r"(?:bot|robot|machine|computer|ai|human|real (?:person|human)|person|actual person|program)|"
    r"\b(?:are|r) (?:you|u|ya) (?:a |an )?(?:bot|robot|machine|human|real|ai|person|actual person|computer|"
    r"chatbot|program|automated)\b|\bis (?:this|it) (?:a |an )?(?:bot|robot|real person|human|automated|ai|"
    r"machine|chatbot|live person|computer)\b|\b(?:you|u) (?:a )?(?:bot|robot)\b|\bis (?:anyone|anybody|someone) "
    r"(?:real|there|human)\b|\bwho am i (?:talking|speaking|chatting) (?:to|with)\b")
_ASKS_FOR_PERSON = re.compile(
    r"\b(?:human|humans|hooman|agent|representative|rep|operator|real (?:person|people|human)|someone real|"
    r"live (?:chat|support|agent|person)|customer (?:service|support|care)|support team|actual (?:employee|person|"
    r"human)|manager|supervisor|a person|an employee|staff member)\b|"
    r"\b(?:talk|speak|chat) (?:to|with) (?:someone|somebody|some1|a|an|the|support|ur|your)\b|"
    r"\bcall me\b|\bphone number to call\b|\b(?:i|we) (?:want|need) (?:someone|somebody)\b|"
    r"\bsomeone (?:to|who) (?:look|help|check|call)\b")
# Topics the policy always gives to a person, as complaints (not questions about them), by reason.
_COMPLAINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("counteroffer dispute", re.compile(
        r"counter ?(?:ed|offer)?\b.{0,60}\b(?:unfair|wrong|too low|ridiculous|scam|joke|not fair|insulting|"
        r"disagree|reject|dispute|lowball|bs|rip ?off)|(?:offer|price|quote) (?:changed|dropped|went down|was cut|"
        r"got cut) from|(?:don t|dont|do not) agree with (?:the|your) (?:counter|inspection|offer)|"
        r"\bdispute\b|lowball(?:ed|ing)? me|counter ?offer\b.{0,80}\b(?:half|not ok|unacceptable|too low|no damage|wasn t|was not|there was no|never|"
        r"nothing wrong|perfect|mint|bs|bull|lie|lying|rip|steal)|quoted me .{0,40}\b(?:now|but)\b.{0,40}\bcounter")),
    ("payout not received", re.compile(
        r"(?:payout|payment|money|paypal|transfer|deposit|check)\b.{0,40}\b(?:never|not|hasn t|hasnt|havent|"
        r"haven t|didn t|didnt|missing|still) (?:arrived|came|received|got|showed|paid|been paid|here|come)|"
        r"(?:haven t|havent|didn t|didnt|did not|never|still not|not) (?:been )?(?:got|gotten|received|get|paid)\b"
        r".{0,30}(?:payout|payment|money|paid)|\bwhere(?: s| is) my (?:paypal |bank |ach )?(?:payment|payout|money|"
        r"deposit|cash)|still no (?:paypal |bank |ach )?(?:payment|payout|money|deposit)|"
        r"(?:payout|payment|money|deposit|paypal)\b.{0,25}\b(?:late|overdue|delayed|missing|lost)\b|(?:it s|its|it has|been) "
        r"(?:been )?\d+ (?:business )?(?:days|weeks) (?:and|but|since).{0,40}(?:paid|payment|payout|money)|"
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
        r"keeps|issue|problem)|\bi (?:got|bought) from (?:you|u)\b.{0,60}\b(?:won t|wont|doesn t|stopped|died|broke)")),
    ("transit damage", re.compile(
        r"\b(?:arrived|came|showed up|delivered|box was|got here|was delivered)\b.{0,30}(?:damaged|broken|cracked|"
        r"smashed|dented|crushed|shattered)|(?:damaged|broken|crushed) (?:in|during) (?:shipping|transit|delivery)|"
        r"report (?:shipping|transit|delivery) damage")),
    ("identity or payment problem", re.compile(
        r"\bfraud|stolen identity|identity theft|stole my identity|charged twice|double charged|wrong charge|"
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
        r"(?:got|was|been|came back|get) (?:flagged|marked|reported) (?:as )?(?:blacklisted|stolen|lost)")),
    ("order status", re.compile(
        r"\bwhere(?: s| is) my (?:order|package|phone|device|refund|laptop|ipad)\b|\border (?:number|no|#)?\s?#?\d{3,}|"
        r"\bmy order\b.{0,40}(?:hasn t|hasnt|not|never|late|delayed|status|where|still)|"
        r"(?:hasn t|hasnt|never|still hasn t|didn t|didnt) (?:arrived|come|shipped|been delivered|showed up)|"
        r"(?:say|says|said|claim|claims) (?:you |they )?never (?:got|received)|"
        r"(?:delivered|arrived) .{0,40}\b(?:you|your team|they) .{0,20}never (?:got|received)")),
)
_FRUSTRATED = re.compile(
    r"\b(?:useless|stupid bot|dumb bot|not helpful|not helping|doesn t help|waste of time|ugh+|wtf|ffs|"
    r"this is ridiculous|you re useless|you are useless|over and over|frustrat\w*|annoying|terrible bot)\b")
_HYPOTHETICAL = re.compile(r"\b(?:what if|if|in case|what happens|suppose|supposing|say (?:it|my|the)|would)\b")

# --- refusals by policy ----------------------------------------------------------------------------------
_REFUSALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("blacklisted", re.compile(
        r"blacklist|black list|bad (?:esn|imei)|blocked imei|imei (?:is )?(?:blocked|barred|flagged)|"
        r"(?:flagged|blocked) by (?:the )?carrier")),
    ("lost_or_stolen", re.compile(
        r"\bfound (?:a|an|this|the|some|it|someone s|somebody s)\b.{0,25}(?:phone|iphone|galaxy|pixel|ipad|"
        r"macbook|laptop|tablet|device|it)\b|\bfound it\b|\bstolen\b|\bstole\b|reported (?:as )?(?:lost|stolen)|"
        r"(?:isn t|is not|not) (?:mine|my phone|my own)|someone (?:left|lost|forgot) (?:it|their|a|his|her)|"
        r"\b(?:lost|left) (?:behind )?(?:at|in|on) (?:the |a )?(?:bus|train|bar|park|uber|taxi|school)")),
    ("financed", re.compile(
        r"still (?:owe|paying|making payments|on (?:a )?(?:payment plan|financing|installments))|"
        r"(?:financ\w*|installments?|payment plan|monthly payments?|balance)\b.{0,30}\b(?:left|remaining|still|"
        r"on it|owe|owing|due)|not (?:fully |yet )?paid (?:it )?off|(?:on|under) (?:a )?(?:payment plan|financing|"
        r"installment plan)|\bowe \$?\d+|paying (?:it|the phone|for it) off|\d+ (?:more )?(?:months|payments) "
        r"(?:left|to go|remaining)")),
    ("under_age", re.compile(
        r"\b(?:i m|im|i am) (?:only |just )?(?:1[0-7]|[5-9])(?: years? old| yrs? old| yo| y o)?\b"
        r"(?! ?(?:gb|tb|percent|months?|days?|weeks?|hours?|minutes?|mins?|dollars|bucks|\d))|"
        r"\b(?:i m|im|i am) (?:a )?(?:minor|teen|teenager|under ?age|in (?:middle|high) school)\b")),
    ("outside_us", re.compile(
        r"\b(?:i|we) (?:live|am|m|re|are|reside|m based|are based) (?:in|from|out of) (?:the )?(?:canada|mexico|"
        r"uk|united kingdom|england|scotland|ireland|germany|france|spain|italy|india|australia|brazil|"
        r"philippines|nigeria|japan|china|europe|toronto|vancouver|montreal|london|mexico city)\b|"
        r"\b(?:i m|im) (?:in|from|based in) (?:canada|mexico|the uk|uk|england|germany|france|india|australia|"
        r"europe|toronto|vancouver|london)\b|\b(?:hi|hello|hey|greetings|writing|here) from (?:canada|mexico|toronto|"
        r"vancouver|montreal|ottawa|calgary|the uk|london|england|germany|india|australia)\b|"
        r"(?:ship|send|mail)\w* (?:it |my phone |my device )?from (?:canada|"
        r"mexico|the uk|uk|england|germany|india|australia|europe)")),
)
_SEVERAL = re.compile(
    r"\b(?:two|2|three|3|both|several|multiple|a few|couple(?: of)?|bunch of|some) (?:old )?(?:phones|devices|"
    r"iphones|ipads|laptops|tablets|of them|to sell|things)\b|\bboth of (?:them|these)\b|\band (?:also )?(?:my|an?) "
    r"(?:old )?(?:\w+ )?(?:phone|iphone|ipad|galaxy|pixel|macbook|tablet|laptop)\b.{0,20}\btoo\b")
_BUDGET = re.compile(
    r"(?:under|below|less than|around|about|max|maximum|budget(?: is| of)?|up to|no more than|within|for|"
    r"spend|~)\s?\$?\s?(\d{2,4})\b(?! ?(?:gb|tb|%|percent|months?|days?|mah))|\$\s?(\d{2,4})\b|"
    r"\b(\d{2,4}) ?(?:dollars|bucks|usd)\b")
_PRICE_ASK = re.compile(
    r"how much|\bworth\b(?! it)|what (?:would|will|can|do|could) (?:you|u|yall) (?:pay|give|offer)|\bpay me|"
    r"offer me|give me|\bbuy my\b|\bquote\b|\bsell\b|\bselling\b|\btrade\b|\bprice\b|\bcost|\bvs\b|versus|"
    r"\bcompare|\bcheaper\b|good deal|worth it|\bdeal\b|\bsave\b|\bsavings\b|\bupgrade|\bswitch|\banything for\b|"
    r"\bmoney (?:in|for|from)\b|\bcash (?:for|in)\b|\bwhat (?:can|could|would) i get\b")
_OWN_STATEMENT = re.compile(r"\b(?:my|mine|it s|its|it is|it has|i have|i ve got|ive got|i got|it got|theres|there s)\b")
_QUESTION_START = re.compile(
    r"^(?:how|what|whats|which|is|are|do|does|did|can|could|will|would|should|why|when|where|who|any|may|"
    r"wat|wut|hw|whn|wher)\b|^(?:r|y|u) |\b(?:can i|can u|can you|do (?:u|you|yall)|is (?:it|my|the|there|that|this)|"
    r"what if|what happens|how (?:many|long|does|do|much|soon|late|fast|quick|quickly|often|come)|"
    r"(?:when|where) do i|wondering|i wonder|curious|is that (?:normal|ok|okay|fine|bad)|does (?:that|it) "
    r"(?:matter|count|affect|change|lower))\b|^(?:if|so if|and if|but if|what about|and what about) |"
    r"(?:^|[,;] ?|\b(?:and|but|so|also|btw|quick question) )(?:what|how|why|when|where|which|who|is|are|do|does|did|can|"
    r"could|will|would|should)(?: s)? (?:is|are|does|do|did|can|it|they|you|u|i|the|a|an|my|your|this|that|there|"
    r"happens|mean|means|long|much|many|soon|fast)\b")
_OTHER_SCRIPT = re.compile(r"[^\x00-\x7f\u2018-\u201f\u2026\u00a0-\u00ff\U0001F000-\U0001FFFF\u2600-\u27bf]")
_SPANISH = re.compile(
    r"\b(?:hola|quiero|vender|cuanto|cuánto|telefono|teléfono|gracias|por favor|tienen|puedo|celular|precio|"
    r"bonjour|merci|combien|vendre|téléphone|ola|obrigado|quanto)\b")


def normalize(text: str) -> str:
    """The shared normalisation with apostrophes as spaces: "it's" -> "it s", "don't" -> "don t"."""
    return _normalize(text).replace("'", " ").replace("  ", " ")


def _only_phrases(norm: str, phrases: tuple[str, ...]) -> bool:
    """Whether the text is nothing but these phrases (and the words 'please', 'thanks')."""
    rest = f" {norm} "
    for phrase in sorted(phrases, key=len, reverse=True):
        rest = rest.replace(f" {phrase} ", " ").replace(f" {phrase} ", " ")
    return not rest.strip()


def last_clause(text: str) -> str:
    """What follows a short echo question ("find my? yeah just turned it off", "that's it? fine, yes")."""
    head, mark, tail = text.rpartition("?")
    if mark and len(tail.split()) >= TAIL_WORDS and len(head.split()) <= ECHO_WORDS:
        return tail.strip(" ,.!-")
    return text


def is_question(text: str) -> bool:
    """A question mark, a question word first, or a question phrase ("can i", "what if", "do you").

    A message that asks and then answers itself ("find my? yeah just turned it off") is judged by its end.
    """
    clause = last_clause(text)
    return "?" in clause or bool(_QUESTION_START.search(normalize(clause)))


def is_yes(text: str) -> bool:
    """An unmistakable yes: yes-phrases only, no question, no hedge ("that's it? fine, yes" ends in one;
    "ok forget it, i'll take it as is. yes" ends in one sentence that is nothing but a yes)."""
    text = last_clause(text)
    if "?" in text:
        return False
    sentences = [s for s in re.split(r"[.!;\n]+", text) if s.strip()]
    if len(sentences) > 1 and not any(_HEDGE.search(normalize(s)) for s in sentences[:-1]):
        text = sentences[-1]
    norm = normalize(text)
    if not norm or _HEDGE.search(norm):
        return False
    words = set(norm.split())
    return _only_phrases(norm, _YES_PHRASES) and not words <= {"please", "thanks", "thank", "you", "ty", "good", "lol",
                                                                "haha", "then"}


def is_no(text: str) -> bool:
    """An unmistakable no."""
    text = last_clause(text)
    norm = normalize(text)
    if not norm or "?" in text:
        return False
    return _only_phrases(norm, _NO_PHRASES) and not set(norm.split()) <= {"please", "thanks"}


def wants_offer(text: str) -> bool:
    """"Changed my mind, I'll take the offer": taking a decline back."""
    norm = normalize(text)
    return "?" not in text and bool(_WANT_OFFER.search(norm)) and not _HEDGE.search(norm.replace("but ", ""))


def goes_back(text: str) -> bool:
    """"back", "go back", "previous question" (also as the last sentence: "oops wrong button. back")."""
    sentences = [s for s in re.split(r"[.!,;]+", text) if s.strip()]
    return bool(sentences) and bool(_GO_BACK.match(normalize(sentences[-1])))


def asks_identity(text: str) -> bool:
    """"Am I talking to a bot?", "are you human?"."""
    return bool(_IDENTITY.search(normalize(text)))


_ABOUT_PEOPLE = re.compile(
    r"\b(?:hours?|what time|how late|how early|how (?:long|fast|soon|quickly)|when (?:can|do|does|are|is|will)|"
    r"open|available|usually|weekends?|email)\b")


def asks_for_person(text: str) -> bool:
    """An explicit request for a person ("talk to a human", "agent please"), not a question about reaching one."""
    norm = normalize(text)
    if not _ASKS_FOR_PERSON.search(norm) or _IDENTITY.search(norm):
        return False
    return not (is_question(text) and _ABOUT_PEOPLE.search(norm))


_REQUEST = re.compile(
    r"how much|\bworth\b(?! it)|\bquote\b|what (?:would|will|can|could|do) (?:you|u|yall) (?:pay|give|offer)|\bpay me\b|"
    r"\boffer (?:me|for)\b|what can i get|\bget for (?:my|it|a)\b|\bi (?:want|wanna|would like|d like|need|m looking) to "
    r"(?:sell|trade|compare|upgrade|buy)|\bsell my\b|\btrade (?:in )?my\b|\bcompare\b|\bvs\.?\b|\bversus\b|"
    r"\bprice (?:of|for|on|check)\b|\banything for\b|\bmoney (?:in|for|from)\b|\bcash (?:for|in)\b|\bgood deal\b|"
    r"\bworth it\b|\bupgrad\w* (?:my|from|to)\b|\bthinking (?:about|of) (?:getting|a|an|the|upgrading|switching)\b|"
    r"\bprices?\b|\bcost\b|\bcheaper\b|\bsavings?\b")


def requests_task(text: str) -> bool:
    """The message asks for a number or a task (a quote, a comparison), not for a policy fact."""
    return bool(_REQUEST.search(normalize(text)))


def complaint(text: str) -> str | None:
    """The always-human topic this message complains about, if it is a complaint rather than a question."""
    norm = normalize(text)
    if _HYPOTHETICAL.search(norm):
        return None
    if is_question(text) and not re.search(r"\b(?:my|mine|i|i ve|ive|im|i m|we|our|me)\b", norm):
        return None  # "what's the window to report shipping damage?" asks about the policy
    return next((reason for reason, pattern in _COMPLAINTS if pattern.search(norm)), None)


def frustrated(text: str) -> bool:
    """"This is useless", "wtf": offer a person."""
    return bool(_FRUSTRATED.search(normalize(text)))


def refusal(text: str) -> str | None:
    """The policy rule a first-person statement runs into (a found phone, a financed one, a seller of 16)."""
    norm = normalize(text)
    for rule, pattern in _REFUSALS:
        if pattern.search(norm):
            general_question = is_question(text) and not _OWN_STATEMENT.search(norm) and not re.search(
                r"\b(?:i (?:found|m|am|live|still)|im)\b", norm)
            return None if general_question else rule
    return None


def several_devices(text: str) -> bool:
    """"I have two to sell", "both of them"."""
    return bool(_SEVERAL.search(normalize(text)))


def budget(text: str) -> int | None:
    """A price the shopper wants to stay around ("a good refurb phone for about $250")."""
    match = _BUDGET.search(text.casefold().replace(",", ""))
    if not match:
        return None
    value = int(next(g for g in match.groups() if g))
    return value if 50 <= value <= 5000 else None


def asks_price_or_request(text: str) -> bool:
    """The message asks for a number or a task (quote, compare, sell), not for a policy fact."""
    return bool(_PRICE_ASK.search(normalize(text)))


def states_own_facts(text: str) -> bool:
    """A question that also tells something about the shopper's own device ("my battery is at 76%, ...")."""
    norm = normalize(text)
    return bool(_OWN_STATEMENT.search(norm)) and not _HYPOTHETICAL.search(norm)


def other_language(text: str) -> bool:
    """Written in another language (another script, or common Spanish / French / Portuguese words)."""
    letters = [ch for ch in text if ch.isalpha()]
    foreign = [ch for ch in letters if _OTHER_SCRIPT.match(ch)]
    if letters and len(foreign) / len(letters) > 0.5:
        return True
    return bool(_SPANISH.search(text.casefold())) and not re.search(r"\b(?:the|my|is|and|you)\b", text.casefold())


_PAYOUT_NAMED = (("paypal", re.compile(r"\bpay ?pal\b")),
                 ("ach", re.compile(r"\bach\b|\bbank (?:transfer|deposit|account)\b|\bdirect deposit\b|\bwire\b")))


def payout_named(text: str) -> str | None:
    """A payout method named outright in a statement ("bank transfer, btw ..."), not in a question."""
    norm = normalize(text)
    if is_question(text) or _HYPOTHETICAL.search(norm):
        return None
    return next((method for method, pattern in _PAYOUT_NAMED if pattern.search(norm)), None)


_CORRECTION = re.compile(
    r"\b(?:actually|sorry|oops|wait|i meant|i mean|meant to say|my bad|correction|not an?|no it s|its an?|it s an?|"
    r"it is an?|mine is an?|mine s an?|my phone is an?|it s the|its the|i have an?|i got an?|typo)\b")


def corrects(text: str) -> bool:
    """The message corrects something said before ("actually it's a 13 pro", "sorry, i meant the s22")."""
    return bool(_CORRECTION.search(normalize(text)))


_DEVICE_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("co2e", re.compile(r"\bco2e?\b|\bcarbon\b|\bfootprint\b|\bemissions?\b|\bkg\b|greenhouse")),
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


def device_fact(text: str) -> str | None:
    """Which catalog fact a question about one device asks for (storage, price new, CO2e, still sold new,
    whether we sell it), if any."""
    norm = normalize(text)
    short = len(norm.split()) <= SHORT_FACT_WORDS
    if not (is_question(text) or short) and not re.search(r"\bavailable\b|\bstorage\b", norm):
        return None
    kind = next((kind for kind, pattern in _DEVICE_FACTS if pattern.search(norm)), None)
    if kind != "available" and _PRICE_ASK_TRADE.search(norm):
        return None
    return kind


SHORT_FACT_WORDS = 6  # "pixel 8 co2 footprint": a short line naming a device and a fact is a question

_PRICE_ASK_TRADE = re.compile(r"\b(?:sell|selling|trade|trading|worth|pay me|offer|quote|vs|versus|compare|"
                              r"refurb\w* (?:price|cost)|how much (?:is|are|for) (?:a |an |the )?refurb)")


_TRADES_OWN = re.compile(r"\btrade|\btrading|\bupgrad|\bcurrently\b|\bi have\b|\bi ve got\b|\bmy current\b")


def trades_own(text: str) -> bool:
    """The message puts the shopper's own device in the deal ("currently have a pixel 6 ... trade in")."""
    return bool(_TRADES_OWN.search(normalize(text)))
