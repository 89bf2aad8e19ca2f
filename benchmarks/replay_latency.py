"""Per-message latency of a 1,000-message replay through the engine (SQLite file, real index).

Run: .venv/bin/python benchmarks/replay_latency.py [--messages 1000] [--database-url URL]
Prints p50/p95/p99 per message kind and overall, plus messages/s, and saves JSON in benchmarks/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.channels.replay import replay
from bot.settings import load_settings

TRADE_IN = ["how much for my {model} {storage}gb, {condition}", "unlocked", "find my is off", "skip", "yes",
            "shopper@example.com", "paypal"]
FAQ = ["how long is the warranty", "can i return it if i dont like it", "what does excellent grade mean",
       "when do i get paid", "is refurbished really better for the planet", "how do i wipe my iphone"]
SMALL = ["hi", "what can you do", "thanks", "asdf"]
MODELS = [("iphone 13", 128), ("galaxy s22", 256), ("pixel 7", 128), ("iphone 15 pro", 256), ("iphone 11", 64)]
CONDITIONS = ["like new", "light scratches", "dents on the side", "cracked screen"]


def workload(messages: int, seed: int = 7) -> list[dict[str, str]]:
    """Interleaved conversations: trade-ins, questions and small talk, as shoppers would send them."""
    rng = random.Random(seed)
    lines: list[dict[str, str]] = []
    user = 0
    while len(lines) < messages:
        user += 1
        model, storage = rng.choice(MODELS)
        script = [t.format(model=model, storage=storage, condition=rng.choice(CONDITIONS)) for t in TRADE_IN]
        script = [rng.choice(SMALL[:2]), *script[:rng.randint(3, len(script))], *rng.sample(FAQ, 2)]
        lines += [{"user": f"bench-{user}", "text": t} for t in script]
    return lines[:messages]


def kind_of(text: str) -> str:
    if text in FAQ:
        return "faq"
    if text in SMALL:
        return "small_talk"
    return "trade_in"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(messages: int, database_url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        app = build_app(load_settings(database_url=url, log_level="WARNING"))
        cold_start = time.perf_counter() - started
        lines = [json.dumps(x) for x in workload(messages)]
        latencies: dict[str, list[float]] = {}
        t0 = time.perf_counter()
        async for result in replay(app.engine, lines):
            latencies.setdefault(kind_of(str(result["input"])), []).append(float(result["latency_ms"]))
        wall = time.perf_counter() - t0
        app.close()
    every = [v for values in latencies.values() for v in values]
    report: dict[str, object] = {
        "messages": len(every), "database": "postgresql" if database_url else "sqlite",
        "messages_per_s": round(len(every) / wall, 1), "cold_start_s": round(cold_start, 2),
        "overall_ms": {"p50": round(statistics.median(every), 2), "p95": round(percentile(every, 0.95), 2),
                       "p99": round(percentile(every, 0.99), 2)},
        "by_kind_ms": {k: {"n": len(v), "p50": round(statistics.median(v), 2), "p95": round(percentile(v, 0.95), 2)}
                       for k, v in sorted(latencies.items())},
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    report = asyncio.run(run(args.messages, args.database_url))
    overall = report["overall_ms"]
    print(f"{report['messages']} messages on {report['database']}: {report['messages_per_s']} msg/s, "
          f"cold start {report['cold_start_s']} s")
    print(f"{'kind':<12}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}")
    for kind, figures in report["by_kind_ms"].items():  # type: ignore[attr-defined]
        print(f"{kind:<12}{figures['n']:>6}{figures['p50']:>10}{figures['p95']:>10}")
    print(f"{'overall':<12}{report['messages']:>6}{overall['p50']:>10}{overall['p95']:>10}  p99 {overall['p99']}")  # type: ignore[index]
    out = Path(__file__).parent / "results" / f"replay_latency_{report['database']}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"saved {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


if __name__ == "__main__":
    main()
