"""Canned replies: greeting, help, fallback, cancel, handoff notes. Wording lives here, once."""

from __future__ import annotations

from bot.domain import Button, Reply

MENU = (
    Button("Sell / trade in my device", "i:trade_in"),
    Button("Refurbished vs new", "i:compare"),
    Button("How refurbished works", "i:faq"),
    Button("Talk to a person", "i:handoff"),
)


def greeting(shop_name: str) -> Reply:
    """Hello, and what the bot can do."""
    return Reply(
        f"Hi! I'm the {shop_name} assistant. I can get you an instant trade-in offer for your old phone, "
        "compare refurbished against new (price, warranty, CO2e saved), answer questions about grades, "
        "warranty and returns, or get you a person. What would you like to do?",
        MENU,
    )


def help_text() -> Reply:
    """What the bot understands, with examples."""
    return Reply(
        "Here's what I can do:\n"
        "• Trade-in quote: \"how much for my iPhone 12 Pro 128GB, cracked screen\"\n"
        "• Compare: \"refurbished Galaxy S23 vs new\" or \"upgrade my S21 to an S24\"\n"
        "• Questions: \"how long is the warranty?\", \"what does Excellent mean?\"\n"
        "• A person: \"talk to a human\" at any time\n"
        "Commands: /start /help /quote /compare /human /cancel",
        MENU,
    )


def fallback(repeated: bool) -> Reply:
    """Did not understand: say what the bot can do instead of guessing."""
    if repeated:
        return Reply("Sorry, I'm still not getting it. Would you like a person to help you?",
                     (Button("Talk to a person", "i:handoff"), *MENU[:2]))
    return Reply(
        "Sorry, I didn't understand that. I can quote a trade-in, compare refurbished vs new for a device, "
        "or answer questions about grades, warranty, returns and shipping.",
        MENU,
    )


def cancelled(had_flow: bool) -> Reply:
    """Confirmation that the current task was dropped."""
    text = "OK, I've cancelled that." if had_flow else "Nothing to cancel."
    return Reply(text + " What would you like to do next?", MENU)


def thanks() -> Reply:
    """A short, friendly close."""
    return Reply("You're welcome! Anything else I can help with?", MENU[:2])


def empty_input() -> Reply:
    """The message had no text we could read."""
    return Reply("I didn't catch any text there. Type a question, or pick one of these:", MENU)


def stale_button() -> Reply:
    """A button from an earlier step was pressed."""
    return Reply("That button belongs to an earlier question, so I've left things as they are.")


def storage_unavailable() -> Reply:
    """The database refused a write: the shopper must know nothing was saved."""
    return Reply("Sorry, I can't save anything right now because of a problem on our side. "
                 "Please try again in a few minutes; nothing you sent before was lost.")


def internal_error() -> Reply:
    """Last-resort apology."""
    return Reply("Sorry, something went wrong on my side. Please try again, or type /human to reach a person.")
