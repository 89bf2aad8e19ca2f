"""The full bot through the real python-telegram-bot stack vs an echo bot on the same stack, same run.

Run: .venv/bin/python benchmarks/telegram_stack.py [--shoppers 200] [--repeats 5]
Both bots long-poll the local fake Bot API server (127.0.0.1) and answer the same text messages;
the figure is the ratio of their throughputs (how much of the cost is ours). The two runs alternate,
echo first in one repeat and bot first in the next (so drift in the machine's speed falls on both), and the
figure is the median of the per-repeat ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from benchmarks.workload import workload
from bot.app import build_app
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.limits import TelegramLimits
from bot.settings import load_settings
from bot.support.desk import SupportDesk
from tests.fake_telegram import FakeTelegram

RESULTS = Path(__file__).parent / "results"


def messages(shoppers: int) -> list[tuple[int, str]]:
    """(chat id, text) in the order shoppers send them, interleaved across chats."""
    scripts = [[s.text for s in script if s.text] for script in workload(shoppers, seed=3)]
    out: list[tuple[int, str]] = []
    for turn in range(max(len(s) for s in scripts)):
        out += [(700_000 + n, s[turn]) for n, s in enumerate(scripts) if turn < len(s)]
    return out


async def drain(fake: FakeTelegram, done: Any, quiet_s: float = 0.3) -> None:
    """Wait until `done()` holds and no message has been sent for a moment."""
    last, since = -1, time.perf_counter()
    while True:
        count = len(fake.sent)
        if count != last:
            last, since = count, time.perf_counter()
        elif done() and time.perf_counter() - since > quiet_s:
            return
        await asyncio.sleep(0.02)


async def run_echo(load: list[tuple[int, str]]) -> float:
    fake = FakeTelegram()
    await fake.start()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "")

    app = (ApplicationBuilder().token(fake.token).base_url(fake.base_url).concurrent_updates(True).build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    started = time.perf_counter()
    for chat_id, text in load:
        fake.user_says(chat_id, text)
    await drain(fake, lambda: len(fake.sent) >= len(load), quiet_s=0.0)
    elapsed = time.perf_counter() - started
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await fake.stop()
    return len(load) / elapsed


async def run_bot(load: list[tuple[int, str]], database_url: str) -> tuple[float, int]:
    fake = FakeTelegram()
    await fake.start()
    settings = load_settings(database_url=database_url, telegram_bot_token=fake.token,
                             telegram_api_base_url=fake.base_url, log_level="WARNING")
    app = build_app(settings)
    channel = TelegramChannel(settings, app.engine, SupportDesk(app.sessions),
                              limits=TelegramLimits(per_chat_rate=1000, per_chat_burst=1000, global_rate=100_000))
    await channel.start_polling()
    from sqlalchemy import func, select

    from bot.storage.models import OutboxRow, ProcessedEvent

    def processed() -> int:
        with app.sessions() as session:
            return int(session.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one())

    def all_sent() -> bool:
        """Every turn stored and every reply the outbox holds delivered (replies go out after the commit)."""
        with app.sessions() as session:
            pending = session.execute(select(func.count()).select_from(OutboxRow)
                                      .where(OutboxRow.state == "pending")).scalar_one()
        return processed() >= len(load) and not pending

    started = time.perf_counter()
    for chat_id, text in load:
        fake.user_says(chat_id, text)
    await drain(fake, all_sent)
    elapsed = time.perf_counter() - started - 0.3
    replies = len(fake.sent)
    await channel.stop()
    app.close()
    await fake.stop()
    return len(load) / elapsed, replies


def one_repeat(load: list[tuple[int, str]], *, bot_first: bool) -> tuple[float, float, int]:
    """One echo run and one bot run (a fresh database), in the order given: (echo msg/s, bot msg/s, replies)."""
    def bot_run() -> tuple[float, int]:
        with tempfile.TemporaryDirectory() as tmp:
            return asyncio.run(run_bot(load, f"sqlite:///{tmp}/stack.db"))

    if bot_first:
        bot, replies = bot_run()
        echo = asyncio.run(run_echo(load))
    else:
        echo = asyncio.run(run_echo(load))
        bot, replies = bot_run()
    return echo, bot, replies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load = messages(args.shoppers)
    runs = [one_repeat(load, bot_first=bool(n % 2)) for n in range(args.repeats)]
    ratios = [bot / echo for echo, bot, _ in runs]
    report = {"messages": len(load), "repeats": args.repeats,
              "echo_messages_per_s_median": round(statistics.median(e for e, _, _ in runs), 1),
              "bot_messages_per_s_median": round(statistics.median(b for _, b, _ in runs), 1),
              "bot_replies": runs[-1][2], "ratios": [round(r, 3) for r in ratios],
              "ratio_bot_to_echo_median": round(statistics.median(ratios), 3)}
    print(f"{len(load)} messages through python-telegram-bot + fake Bot API (127.0.0.1), {args.repeats} interleaved repeats")
    print(f"echo bot: {report['echo_messages_per_s_median']} msg/s   full bot: {report['bot_messages_per_s_median']} msg/s "
          f"(medians; {report['bot_replies']} replies)")
    print(f"ratio bot/echo per repeat: {report['ratios']}   median: {report['ratio_bot_to_echo_median']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "telegram_stack.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
