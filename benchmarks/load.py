"""Mixed workload of simulated shoppers through the engine on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/load.py [--shoppers 1000] [--concurrency 32] [--backend sqlite|postgresql|both]
Prints messages/s and p50/p95/p99 per message (overall and per kind), cold start and resident memory;
saves benchmarks/results/load.json and benchmarks/results/latency.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chart import latency_chart
from benchmarks.workload import Step, workload
from bot.app import build_app
from bot.domain import IncomingMessage
from bot.settings import PROJECT_ROOT, load_settings

RESULTS = Path(__file__).parent / "results"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": round(statistics.median(values), 2), "p95": pct(values, 0.95),
            "p99": pct(values, 0.99)}


async def run_backend(url: str, scripts: list[list[Step]], concurrency: int) -> dict[str, object]:
    app = build_app(load_settings(database_url=url, log_level="WARNING"))
    latencies: dict[str, list[float]] = {}
    semaphore = asyncio.Semaphore(concurrency)
    run = uuid.uuid4().hex[:6]

    async def shopper(n: int, script: list[Step]) -> None:
        async with semaphore:
            for i, step in enumerate(script):
                msg = IncomingMessage("bench", f"s{n}", f"{run}-{n}", f"{run}-{n}-{i}", text=step.text,
                                      button_payload=step.button)
                started = time.perf_counter()
                outcome = await app.engine.handle(msg)
                latencies.setdefault(step.kind, []).append((time.perf_counter() - started) * 1000)
                assert outcome.replies or outcome.owner != "bot"

    started = time.perf_counter()
    await asyncio.gather(*(shopper(n, s) for n, s in enumerate(scripts)))
    wall = time.perf_counter() - started
    app.close()
    every = [v for values in latencies.values() for v in values]
    deterministic = [v for k, values in latencies.items() if k != "knowledge" for v in values]
    return {"messages": len(every), "messages_per_s": round(len(every) / wall, 1), "overall_ms": summary(every),
            "deterministic_ms": summary(deterministic),
            "by_kind_ms": {k: summary(v) for k, v in sorted(latencies.items())}, "samples": every}


def cold_start() -> float:
    """Seconds from `python run_bot.py replay` starting to its first reply line, index already built."""
    with tempfile.TemporaryDirectory() as tmp:
        line = Path(tmp) / "one.jsonl"
        line.write_text('{"user": "cold", "text": "hi"}\n')
        started = time.perf_counter()
        subprocess.run([sys.executable, "run_bot.py", "--log-level", "WARNING", "replay", str(line)], cwd=PROJECT_ROOT,
                       check=True, capture_output=True, env={"PATH": "/usr/bin:/bin",
                                                             "DATABASE_URL": f"sqlite:///{tmp}/cold.db"})
        return round(time.perf_counter() - started, 2)


def postgres_database() -> tuple[str | None, str | None]:
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"refurbot_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name
    except Exception as err:
        print(f"PostgreSQL not reachable, skipping it: {type(err).__name__}")
        return None, None


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1, help="shoppers in flight (1: pure per-message latency)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    scripts = workload(args.shoppers)
    report: dict[str, object] = {"shoppers": args.shoppers, "concurrency": args.concurrency}
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            result = asyncio.run(run_backend(f"sqlite:///{tmp}/load.db", scripts, args.concurrency))
            samples["sqlite"] = result.pop("samples")  # type: ignore[assignment]
            report["sqlite"] = result
    if args.backend in ("postgresql", "both"):
        url, name = postgres_database()
        if url and name:
            try:
                result = asyncio.run(run_backend(url, scripts, args.concurrency))
                samples["postgresql"] = result.pop("samples")  # type: ignore[assignment]
                report["postgresql"] = result
            finally:
                drop_database(name)
    report["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["cold_start_s"] = cold_start()
    print(f"{args.shoppers} shoppers, {args.concurrency} at a time")
    print(f"{'backend':<11}{'msgs':>7}{'msg/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'det. p95':>10}")
    for backend in ("sqlite", "postgresql"):
        if backend in report:
            r = report[backend]
            o, d = r["overall_ms"], r["deterministic_ms"]  # type: ignore[index]
            print(f"{backend:<11}{r['messages']:>7}{r['messages_per_s']:>8}{o['p50']:>9}{o['p95']:>9}"  # type: ignore[index]
                  f"{o['p99']:>9}{d['p95']:>10}")
            for kind, k in r["by_kind_ms"].items():  # type: ignore[index]
                print(f"  {kind:<12}{k['n']:>6}   p50 {k['p50']:>7}  p95 {k['p95']:>7}")
    print(f"cold start to first reply: {report['cold_start_s']} s; max resident memory: {report['max_rss_mb']} MB")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(report, indent=2))
    latency_chart(samples, RESULTS / "latency.png", title=f"Per-message latency, {args.shoppers} shoppers")
    print(f"saved {RESULTS / 'load.json'} and {RESULTS / 'latency.png'}")


if __name__ == "__main__":
    main()
