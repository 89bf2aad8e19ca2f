"""Intent rules: ordered, high-precision patterns over normalised text."""

from __future__ import annotations

import re

from bot.nlu.text import normalize

INTENTS = ("greet", "thanks", "help", "trade_in", "compare", "upgrade", "faq", "handoff", "cancel", "restart",
           "fallback")

_HANDOFF = re.compile(
    r"\b(?:human|humans|hooman|(?:a|the|real|actual|live|some) person|agent|representative|rep|real (?:person|people)|someone real|"
    r"live (?:chat|support|agent|person)|customer (?:service|support|care)|support team|"
    r"talk to (?:someone|somebody|some1|a|an|the)|chat with (?:support|someone|a person|an agent)|"
    r"actual (?:employee|person|human)|frustrat|ridiculous|over and over|stole my identity|downgraded|"
    r"(?:don'?t|do not|dont) agree|disagree|wrong (?:email|account)|(?:its|it's|it has) been \d+ (?:days|weeks)|"
    r"have nothing|(?:don'?t|dont|do not) have my (?:phone|device) back|supposed to (?:be|have|arrive) .{0,30}by now|"
    r"nobody (?:answered|replied|got back|responded)|(?:getting|got|keeps? getting|was) declined|failing verification|"
    r"verification (?:fail|keeps)|wrong address|(?:didn'?t|did not|never) (?:make|authori[sz]e) (?:this|that|the) "
    r"(?:purchase|order|payment)|never received|no payment|warranty form|but i own it|"
    r"(?:offer|price|quote) (?:changed|dropped|went down) from|"
    r"speak (?:to|with)|call me|phone number to call|manager|supervisor)\b|"
    r"(?:payout|payment|money|paypal|transfer|deposit)\b.{0,40}\b(?:never|not|hasn'?t|havent|haven'?t|didn'?t|missing|"
    r"still) (?:arrived|came|received|got|showed|paid|been paid|here)|"
    r"(?:haven'?t|havent|didn'?t|did not|never|still not|not) (?:been )?(?:got|gotten|received|get|paid)\b.{0,30}"
    r"(?:payout|payment|money|paid)|"
    r"dispute|counter ?offer.{0,30}(?:unfair|wrong|too low|ridiculous|scam|disagree|not fair|reject)|"
    r"\b(?:arrived|came|showed up|delivered|box was)\b.{0,30}(?:damaged|broken|cracked|smashed|dented)|"
    r"(?:damaged|broken) (?:in|during) (?:shipping|transit|delivery)|warranty claim|"
    r"(?:file|make|start|open) a (?:warranty )?claim|fraud|stolen identity|charged twice|double charged|"
    r"wrong charge|refund (?:never|hasn'?t|not)|scam(?:med)?\b|this is useless|you(?:'re| are) useless|"
    r"useless|stupid bot|not helpful|not helping|doesn'?t help|waste of time|\bugh+\b|\bwtf\b|"
    r"\bwhere(?:'s| is) my (?:paypal |bank |ach )?(?:payment|payout|money|deposit)|"
    r"declined.{0,40}(?:money|charged|left my account)|identity.{0,40}(?:verif|confirm)|"
    r"warranty (?:replacement|repair|claim)|"
    r"counter(?:ed|offer)?\b.{0,60}\b(?:ridiculous|unfair|wrong|too low|scam|joke|not fair|insulting)|"
    r"\b(?:i|we) (?:want|need) (?:someone|somebody)|\bsomeone (?:to|who) (?:look|help|check|call)|"
    r"still no (?:paypal |bank |ach )?(?:payment|payout|money|deposit)|report (?:shipping|transit|delivery) damage|"
    r"(?:showed up|arrived|came) (?:crushed|smashed|broken|damaged)|used my (?:card|account|identity)|"
    r"unauthori[sz]ed|identity theft|hacked"
)
_CANCEL = re.compile(
    r"^(?:/cancel|cancel|stop|nevermind|never mind|nvm|forget it|forget about it|quit|exit|abort|"
    r"no thanks stop|cancel (?:that|this|it|the (?:quote|trade ?in|trade|offer|whole thing)|everything|pls|please)|"
    r"stop (?:this|it|pls|please)|i changed my mind|changed my mind|not interested(?: anymore)?|leave it)\b.{0,40}$|"
    r"(?:don'?t|dont|do not) want to (?:sell|trade|do this|continue)(?: it)? any ?more|^(?:actually )?scratch that"
)
_RESTART = re.compile(r"^(?:/start over|start over|restart|start again|reset|begin again|from the (?:start|top))\b")
_GREET = re.compile(
    r"^(?:/start|start|hi+|hey+|hello+|helo|hiya|howdy|yo+|sup|wassup|whats up|what's up|good (?:morning|afternoon|evening)|"
    r"gm|greetings|hola|heya|hi there|hey there|hello there)(?:\s+(?:there|bot|team|guys|all|everyone|loop|"
    r"loop market|friend|refurbot|whats up|what's up|!+))*[!. ]*$"
)
_THANKS = re.compile(
    r"^(?:thanks?|thank you|thank u|thx|thnx|ty|tysm|cheers|appreciate it|great thanks|cool thanks?|ok thanks?|"
    r"okay thanks?|awesome|perfect thanks|bye|goodbye|good bye|see ya|cya|later|ttyl|have a good (?:day|one)|"
    r"cool|ok cool|got it|great|that'?s all|thats it|all good)\b.{0,40}$"
)
_HELP = re.compile(
    r"^(?:/help|help|help me|menu|options|commands|what can (?:you|u) do|what do (?:you|u) do|how does this work|"
    r"what (?:are|r) (?:you|u)|who (?:are|r) (?:you|u)|what can i do here|\?+)\b.{0,20}$|"
    r"^what (?:are|r) (?:my|the|your|ur) options|^(?:show|give) me (?:the )?(?:menu|options)|"
    r"how do i use (?:this|the|u|you)|what (?:kind of|kinda|sort of) (?:stuff|things)|^what (?:can|do) (?:u|you) help with"
)
_UPGRADE = re.compile(
    r"\bupgrad|\bswitch(?:ing)? (?:to|from)\b|\bmove (?:up )?to\b|\bthinking (?:about|of) (?:getting )?(?:a|an|the)\b|"
    r"\bfor (?:a|an|the) (?:new|newer|refurb)|\btrade (?:in )?(?:my|it) .{0,40}\bfor (?:a|an|the)?\b|\bgo (?:to|from)\b|"
    r"\bworth (?:upgrading|switching)|\breplace (?:my|it)\b.{0,30}\bwith\b|\bget (?:a|the) newer"
)
_TRADE = re.compile(
    r"\bsell|\bselling|\bsold\b|\btrade|\btrde|\btrad in|\btradein|\bbuy ?back|\bworth\b(?! it)|\bquote|\boffer\b|"
    r"how much (?:will|would|do|can|could|does|ya|you|u|r|are)\b.{0,20}\b(?:give|pay|offer|get|buy)|"
    r"\b(?:give|pay|offer) (?:me|for)\b|\bbuy my\b|\bbuy (?:a|an) used\b|\bget for (?:my|it|a)\b|\bcash (?:for|out)\b|"
    r"\bvalue of my\b|\bvalue my\b|what(?:'s| is| s) (?:my|it) (?:phone |device )?(?:worth|value)|\bappraise|"
    r"\bget rid of\b|\bunload\b|\bpay (?:for|me)\b|\bhow much for (?:my|a|an|the)\b|\bwhat can i get\b"
)
_COMPARE = re.compile(
    r"\brefurb|\bvs\.?\b|\bversus\b|\bcompar|\bnew or\b|\bor new\b|\bthan new\b|\bworth it\b|\bcheaper\b|"
    r"\bprice (?:of|for|on)\b|\bhow much (?:is|are|for|does|do) (?:a|an|the|ur|your|you)\b|\bcost|\bsavings?\b|\bsave\b|"
    r"\bdeal on\b|\bbuy(?:ing)? (?:a|an|the)\b|\bin stock\b|\bdo you (?:have|sell|carry)\b|\bprices?\b|"
    r"\bselling (?:a|an|the)\b|\bhow much (?:is|are)\b|\blooking (?:for|to buy)\b|\bwant (?:a|to buy)\b|\bpremium\b"
)
_FAQ = re.compile(
    r"warrant|waranty|warrenty|wrranty|guarantee|\breturns?\b|return policy|refund|exchange|\bgrades?\b|grading|"
    r"batter|batery|battry|shipping|ship (?:it|my|the)|shipped|delivery|deliver|label|payout|get paid|paypal|"
    r"\bach\b|bank|\bship\b|wipe|erase|factory reset|back ?up|my data|icloud|find my|activation|google account|"
    r"samsung account|\block|carrier|any network|\bsim\b|financ|balance on|still owe|green|environment|\beco\b|"
    r"co2|carbon|planet|e-?waste|recycl|sustainab|emission|footprint|inspect|tested|charger|cable|in the box|"
    r"water ?(?:proof|resist)|legit|trustworth|reliable|quality|\bmeans?\b|policy|support hours|hours|cosmetic|"
    r"certified|difference between|used vs|vs used|right to repair|protection plan|insurance|apple ?care|"
    r"counter ?offer|worse shape|worse condition|how old|privacy|\bscam\b|\bfees?\b|free shipping|"
    r"how long (?:is|does|do|will|until)|arrive damaged|damaged in|who (?:is|are) loop|about loop|loop market|"
    r"paid off|payment plan|payments? left|still owe|not paid|worse than i said|worse shape|shipping label|prepaid|"
    r"how many days|deadline|expire|still good|\bfrp\b|allowed|under 18|\d+ ?(?:yr|year)s? old|\bage\b|canada|"
    r"outside the us|international|knock down|lower (?:my|the) (?:offer|price)|at once|more than one|lost in the mail|"
    r"counts as|considered|\bcovered\b|affirm|klarna|step by step|\bprocess\b|how does .{0,30}work|\besn\b|\bimei\b|"
    r"blacklist|forgot .{0,20}password|guaranteed|negotiat|genuine|original parts|knock ?off|weekend|open on|"
    r"drop (?:it )?off|\bups\b|fedex|mail it|what happens|\b18\b|cancel (?:a|my|the) (?:trade|order|quote)|"
    r"eligible|do (?:you|u|yall) (?:take|accept)|too old|get my (?:device|phone) back|decide the price|"
    r"how (?:do|does) (?:you|u|yall) (?:price|decide|value)|protection plan"
)
_QUESTION = re.compile(
    r"^(?:how|what|whats|what's|which|is|are|do|does|did|can|could|will|would|should|why|when|where|who|any|r)\b|\?$|"
    r"\b(?:can i|can u|can you|do (?:u|you|yall)|is (?:it|my|the|there|he|she|that|this)|what if|what happens|"
    r"how (?:many|long|does|do)|(?:when|where) do i)\b"
)
_PRICE_ASK = re.compile(r"how much|\bworth\b(?! it)|what (?:would|will|can|do|could) (?:you|u|yall) (?:pay|give|offer)|"
                        r"\bpay me|offer me|give me|\bbuy my\b|price (?:for|of|on) (?:my|a|an|the)\b(?! trade)|"
                        r"(?<!plans )(?<!plan )\bcost|"
                        r"difference in price")
_BUYING = re.compile(
    r"\b(?:do |are )?(?:you|u|yall|y'all) (?:sell|selling|have|carry|got)\b|\bselling (?:the|a|an)\b|"
    r"\b(?:looking|lookin|shopping|searching) (?:for|to buy|to get)\b|\bneed (?:a|an) (?:cheap |new |good )?\w+|"
    r"\bfor my (?:kid|kids|son|daughter|mom|mum|dad|wife|husband|girlfriend|boyfriend|grandma|grandpa)\b|"
    r"\bin (?:your|ur) (?:shop|store)\b|\bin stock\b|\brun me\b|\bin (?:green|black|white|blue|pink|purple|gold)\b"
)
_SELLING = re.compile(
    r"\bpaying for\b|\bprice (?:check )?(?:on|for) my\b|\bcan (?:you|u) price my\b|"
    r"(?:don'?t|dont|do not) use (?:it |them )?any ?more|\bcan (?:you|u|yall) (?:do|beat) (?:better|that|it)\b|"
    r"\bworth anything\b|\bgoing rate\b|\binterested in my\b|\bsitting in a drawer\b"
)
_TECH_SUPPORT = re.compile(
    r"\bkeeps? (?:overheating|dropping|crashing|restarting|freezing|disconnecting|dying)|won'?t (?:connect|sync|pair)|"
    r"\bgets? (?:slow|hot)|is (?:that|this|it) normal|what (?:do|should) i do|any ideas|how (?:do i|to|can i) "
    r"(?:fix|stop|speed|turn|transfer|move|back up|screenshot|reset my password)|\bbest (?:case|cases|screen protector|"
    r"charger|earbuds|headphones|phone case)|recommend (?:a|an|me)|any good at|\bbattery drains?\b.{0,20}(?:fix|stop)"
)
_ACQUIRE = re.compile(
    r"(?:want|wanna|looking|thinking|planning|hoping) (?:to get(?! rid)|to buy|to switch to|about getting|of getting)|"
    r"\bput (?:it|that|them) (?:toward|towards)|\bafter (?:the )?trade ?in\b|hand you (?:the|my) old|"
    r"give you my old|\bowner looking\b|\bwant (?:a|an|the)\b"
)
_OWN_OTHER = re.compile(
    r"\b(?:i have|i've got|ive got|i got|my)\b (?:an? )?(?:old |current |broken |dying )?(?:\w+ )?"
    r"(?:phone|android|laptop|dell|hp|iphone|samsung|galaxy|pixel|motorola|tablet)\b|\bowner\b|\bmy (?:old )?\w+ is \d"
)
_MY_DEVICE = re.compile(r"\b(?:my|mine|i have|i got|ive got|i've got|i own|our|have (?:a|an)|want (?:a|an|the))\b")


_TRADE_IN_WORDS = re.compile(r"\btrade ?-?ins?\b|\bbuy ?back\b|\bsell(?:ing)? (?:my|it|this)\b")


# "not selling anything, just want the price of a refurb ipad": what the shopper does not want says no intent
_NOT_SELLING = re.compile(
    r"\b(?:not|n t|never|no|nt) (?:looking to |trying to |wanting to |want to |planning to |interested in )?"
    r"(?:sell|selling|trade|trading|trade in|trading in)\b(?: anything| it| mine| my \w+)?")


def classify(text: str, *, devices: int, has_trade_slots: bool) -> tuple[str, float]:
    """The intent of an opening message and a confidence in [0, 1]."""
    norm = _NOT_SELLING.sub(" ", normalize(text))
    if not norm or not re.search(r"\w", norm):
        return "fallback", 1.0
    if _CANCEL.search(norm):
        return "cancel", 0.95
    if _RESTART.search(norm):
        return "restart", 0.95
    if _HANDOFF.search(norm):
        return "handoff", 0.9
    if _GREET.search(norm):
        return "greet", 0.95
    if _THANKS.search(norm):
        return "thanks", 0.9
    if _HELP.search(norm):
        return "help", 0.9
    if _SELLING.search(norm):
        return "trade_in", 0.85
    owns = re.search(r"\bmy (?:old |current )?(?:\w+ )?(?:phone|iphone|galaxy|pixel|ipad|macbook|samsung|s\d\d)", norm)
    if _BUYING.search(norm) and not owns and not _TRADE_IN_WORDS.search(norm) and (
            devices or re.search(r"\b(?:phone|laptop|tablet)s?\b", norm)):
        return "compare", 0.8
    if re.match(r"(?:do|will|would) (?:you|u|yall) (?:take|accept|buy) (?:a|an|phones|devices|ipads|laptops)\b", norm):
        return "faq", 0.75  # "do you take a galaxy s22 with a cracked back": what the shop accepts
    if _FAQ.search(norm) and _QUESTION.search(norm) and not _PRICE_ASK.search(norm) and not has_trade_slots:
        return "faq", 0.8
    if _TECH_SUPPORT.search(norm) and not _TRADE.search(norm) and not _FAQ.search(norm):
        return "fallback", 0.5  # help with a device we cannot give: the knowledge base may still answer
    if devices == 1 and _ACQUIRE.search(norm) and _OWN_OTHER.search(norm) and not _SELLING.search(norm):
        return "upgrade", 0.75
    if not devices and _QUESTION.search(norm) and re.search(r"refurb", norm) and not _PRICE_ASK.search(norm):
        return "faq", 0.7
    if devices >= 2 and re.search(r"\bvs\.?\b|\bversus\b|\bcompare|difference between|which is better", norm) \
            and not _UPGRADE.search(norm):
        return "compare", 0.8
    if devices >= 2:
        return "upgrade", 0.85
    if re.search(r"\btrade (?:in )?(?:my|it)\b.{0,40}\bfor (?:a|an|the)\b|worth upgrading|"
                 r"\b(?:trade|trading|put|putting)\b.{0,60}\btowards? (?:a|an|the)\b", norm) or (
            re.search(r"upgrad\w* (?:my|from|to)|thinking (?:about|of) upgrading", norm) and not _TRADE.search(norm)):
        return "upgrade", 0.7
    refurb_shopping = (re.search(r"refurb", norm) and not re.search(r"\btrade|\bbuy my|\boffer me|\bgive me", norm)
                       and not re.search(r"(?<!you )(?<!u )(?<!yall )(?<!y'all )\bsell", norm))
    if _TRADE.search(norm) and not refurb_shopping and not _SHOP_SELLS.search(norm):
        return "trade_in", 0.9 if devices or _MY_DEVICE.search(norm) else 0.75
    if devices and _COMPARE.search(norm):
        return "compare", 0.85
    if devices and (has_trade_slots or _MY_DEVICE.search(norm)):
        return "trade_in", 0.7
    if devices and not re.search(r"^(?:how (?:do|to|can)|when|should)\b", norm):
        return "compare", 0.5  # a bare device mention: most likely shopping; a how-to question is not
    if _FAQ.search(norm):
        return "faq", 0.5
    return "fallback", 0.3


# "the lowest battery you'll sell", "do you guys sell ipads": the shop selling, which is the shopper buying
_SHOP_SELLS = re.compile(r"\b(?:you|u|yall|y all|ya)(?: ll| will| guys| all)? (?:ever )?(?:sell|selling)\b(?! my\b)")


_ANOTHER = re.compile(
    r"\bget (?:a|an|the|something|me)\b|\bi (?:can|could) get\b|\bcover\b|\bswap\b|\btowards?\b|\bpaying for\b|"
    r"\bsomething (?:newer|new|better)\b|\bnewer\b|\bfor (?:a|an|the) \w+|\bcredit\b|\bend up paying\b|\bupgrad")


def names_trade_in(text: str) -> bool:
    """The message says "trade-in", "buyback" or "sell my" in so many words."""
    return bool(_TRADE_IN_WORDS.search(normalize(text)))


def wants_another(text: str) -> bool:
    """The message speaks of getting another device (an upgrade), not only of selling one."""
    norm = normalize(text)
    return bool(_UPGRADE.search(norm) or _ACQUIRE.search(norm) or _ANOTHER.search(norm))
