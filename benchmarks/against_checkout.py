"""Same-run comparison of the per-message cost against another checkout (e.g. the previous main).

Run: .venv/bin/python benchmarks/against_checkout.py --baseline /path/to/other/checkout [--rounds 3]
Runs benchmarks/replay_latency.py of each checkout in turn, interleaved (A B A B ...), each in its own
process with its own index, and prints the median over rounds of each figure side by side. Create the
baseline with `git worktree add /tmp/base <commit>`; it builds its own index on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FIGURES = (("overall p50 ms", ("overall_ms", "p50")), ("overall p95 ms", ("overall_ms", "p95")),
           ("faq p50 ms", ("by_kind_ms", "faq", "p50")), ("trade_in p50 ms", ("by_kind_ms", "trade_in", "p50")),
           ("messages/s", ("messages_per_s",)))


def one_run(checkout: Path, messages: int) -> dict[str, object]:
    """replay_latency.py of one checkout, in a fresh process; its saved JSON report."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "LOG_LEVEL": "WARNING"}
    (checkout / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "benchmarks/replay_latency.py", "--messages", str(messages)], cwd=checkout,
                   env=env, check=True, capture_output=True, timeout=1800)
    return dict(json.loads((checkout / "benchmarks" / "results" / "replay_latency_sqlite.json").read_text()))


def pick(report: dict[str, object], path: tuple[str, ...]) -> float:
    value: object = report
    for key in path:
        value = value[key]  # type: ignore[index]
    return float(value)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=600)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, object]]] = {"baseline": [], "this": []}
    for _ in range(args.rounds):
        runs["baseline"].append(one_run(args.baseline.resolve(), args.messages))
        runs["this"].append(one_run(HERE, args.messages))
    print(f"median of {args.rounds} interleaved rounds, {args.messages} messages each (SQLite)")
    print(f"{'figure':<18}{'baseline':>10}{'this':>10}{'ratio':>8}")
    for label, path in FIGURES:
        base = statistics.median(pick(r, path) for r in runs["baseline"])
        this = statistics.median(pick(r, path) for r in runs["this"])
        print(f"{label:<18}{base:>10.2f}{this:>10.2f}{this / base if base else 0:>8.2f}")


if __name__ == "__main__":
    main()
