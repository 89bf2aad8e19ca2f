"""The mixed shopper workload shared by the benchmarks: trade-ins, comparisons, questions, handoffs."""

from __future__ import annotations

import random
from dataclasses import dataclass

MODELS = [("iphone 13", 128), ("galaxy s22", 256), ("pixel 7", 128), ("iphone 15 pro", 256), ("iphone 11", 64),
          ("galaxy s23 ultra", 512), ("pixel 8 pro", 128), ("iphone 14", 128)]
CONDITIONS = ["like new", "light scratches", "dents on the side", "cracked screen"]
QUESTIONS = ["how long is the warranty", "can i return it if i dont like it", "what does excellent grade mean",
             "when do i get paid for a trade in", "is refurbished really better for the planet",
             "how do i wipe my iphone", "does it come with a charger", "what if my phone arrives damaged"]
COMPARE = ["refurbished {m} vs new", "how much is a refurb {m}", "is a refurbished {m} worth it"]


@dataclass(frozen=True)
class Step:
    """One message of a shopper: text or a button payload, and its kind for the report."""

    kind: str
    text: str | None = None
    button: str | None = None


def shopper_script(rng: random.Random) -> list[Step]:
    """A short realistic session: one main task, sometimes a question on the side."""
    model, storage = rng.choice(MODELS)
    roll = rng.random()
    steps = [Step("small_talk", text=rng.choice(["hi", "hello", "hey there"]))]
    if roll < 0.5:
        steps += [Step("trade_in", text=f"how much for my {model} {storage}gb, {rng.choice(CONDITIONS)}"),
                  Step("trade_in", button="s:carrier=unlocked"), Step("trade_in", text="find my is off"),
                  Step("trade_in", button="s:battery_health_pct=skip"),
                  Step("trade_in", button=rng.choice(["s:accept=true", "s:accept=false"])),
                  Step("trade_in", text="shopper@example.com"), Step("trade_in", button="s:payout_method=paypal")]
    elif roll < 0.7:
        steps += [Step("compare", text=rng.choice(COMPARE).format(m=model)),
                  Step("compare", button=f"s:storage_gb={storage}")]
    elif roll < 0.9:
        steps += [Step("knowledge", text=q) for q in rng.sample(QUESTIONS, 2)]
    else:
        steps += [Step("trade_in", text=f"sell my {model}"), Step("handoff", text="i want to talk to a person"),
                  Step("handoff", text="are you there?")]
    return steps


def workload(shoppers: int, seed: int = 7) -> list[list[Step]]:
    """One script per shopper."""
    rng = random.Random(seed)
    return [shopper_script(rng) for _ in range(shoppers)]
