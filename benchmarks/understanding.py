"""What the learned intent model costs per opening message, against the rules alone, in the same run.

Run: .venv/bin/python benchmarks/understanding.py [--rounds 3]
Understands every labelled opening message in tests/data (about 2,300) with the rules alone and with the
rules plus the learned model, interleaved round by round; prints p50/p95 per message for both, the ratio of
medians, and the training time of the model on knowledge/intent_examples.yaml.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import INTENT_EXAMPLES, make_understander
from bot.evaluation import DATA, NLU_SPLITS
from bot.knowledge.embeddings import MiniLMEmbeddings
from bot.nlu.intent_model import load_examples, train
from bot.settings import load_settings
from bot.shop import load_shop


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = load_settings(log_level="WARNING")
    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    understander = make_understander(settings, shop)
    if understander.learned is None:
        sys.exit("no trained intent model: run `python run_bot.py setup` first")
    texts = [item["text"] for files in NLU_SPLITS.values() for name in files if (DATA / name).exists()
             for item in yaml.safe_load((DATA / name).read_text(encoding="utf-8"))]
    timings: dict[bool, list[float]] = {False: [], True: []}
    understander.understand("warm up")
    for _ in range(args.rounds):
        for text in texts:
            for learned in (False, True):
                started = time.perf_counter()
                understander.understand(text, learned=learned)
                timings[learned].append((time.perf_counter() - started) * 1000)
    examples = load_examples(settings.path(settings.knowledge_dir) / INTENT_EXAMPLES)
    started = time.perf_counter()
    train(examples, [understander.view(e.text) for e in examples], MiniLMEmbeddings(threads=2))
    training = time.perf_counter() - started
    rules, both = statistics.median(timings[False]), statistics.median(timings[True])
    print(f"{len(texts)} opening messages x {args.rounds} rounds, interleaved")
    print(f"rules alone          p50 {rules:6.2f} ms   p95 {pct(timings[False], 0.95):6.2f} ms")
    print(f"rules + learned      p50 {both:6.2f} ms   p95 {pct(timings[True], 0.95):6.2f} ms   "
          f"(ratio of medians {both / rules:.1f}x, +{both - rules:.2f} ms)")
    print(f"training on {len(examples)} examples: {training:.1f} s")


if __name__ == "__main__":
    main()
