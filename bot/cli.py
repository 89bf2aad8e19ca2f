"""The command line: chat, replay, index, search, ask, quote, eval, telegram, web, agents, tickets, outbox, privacy."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.catalog import Device
from bot.cli_agents import add_agents_parser
from bot.cli_lists import cmd_tickets, cmd_unanswered
from bot.cli_outbox import add_parser as add_outbox_parser
from bot.cli_output import print_json
from bot.cli_privacy import add_privacy_parser
from bot.errors import ConfigError, PricingError, RefurbotError
from bot.log_masking import install_log_masking
from bot.settings import Settings, load_settings
from bot.shop import Shop

log = logging.getLogger("refurbot")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run one subcommand, and turn known errors into one clear line."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=args.log_level or settings.log_level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        install_log_masking()  # emails, phone numbers and IMEIs never reach a log line (DESIGN.md, Conventions)
        for noisy in ("chromadb", "httpx", "alembic", "onnxruntime"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        return int(args.func(settings, args) or 0)
    except RefurbotError as err:
        print(f"refurbot: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_bot.py", description="Refurbot: refurbished-electronics assistant")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--user", default="local", help="conversation identity (default: local)")
    chat.set_defaults(func=cmd_chat)

    replay = sub.add_parser("replay", help="JSONL in, JSONL out (see DESIGN.md)")
    replay.add_argument("input", type=Path)
    replay.add_argument("--out", type=Path)
    replay.set_defaults(func=cmd_replay)

    index = sub.add_parser("index", help="build or update the knowledge index")
    index.add_argument("--rebuild", action="store_true", help="re-embed everything")
    index.set_defaults(func=cmd_index)

    setup = sub.add_parser("setup", help="apply migrations and build the index if missing or stale")
    setup.set_defaults(func=cmd_setup)

    search = sub.add_parser("search", help="ranked knowledge passages for a query")
    search.add_argument("query")
    search.add_argument("--k", type=int, default=5)
    search.add_argument("--kind")
    search.add_argument("--device")
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)

    ask = sub.add_parser("ask", help="answer a question from the knowledge base")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(func=cmd_ask)

    understand = sub.add_parser("understand", help="how the bot reads an opening message: intent, slots, why")
    understand.add_argument("text")
    understand.add_argument("--json", action="store_true")
    understand.set_defaults(func=cmd_understand)

    quote = sub.add_parser("quote", help="price a trade-in")
    quote.add_argument("model")
    quote.add_argument("--storage", type=int, required=True)
    quote.add_argument("--condition", required=True, choices=["flawless", "good", "fair", "broken"])
    quote.add_argument("--carrier", default="unlocked", choices=["unlocked", "att", "verizon", "tmobile", "other"])
    quote.add_argument("--battery", type=int)
    quote.add_argument("--json", action="store_true")
    quote.set_defaults(func=cmd_quote)

    comparing = sub.add_parser("compare", help="refurbished vs new for a device")
    comparing.add_argument("model")
    comparing.add_argument("--storage", type=int)
    comparing.add_argument("--json", action="store_true")
    comparing.set_defaults(func=cmd_compare)

    evaluate = sub.add_parser("eval", help="evaluate understanding or retrieval on the labelled sets")
    evaluate.add_argument("what", choices=["nlu", "retrieval", "answers", "conversations"])
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--llm", action="store_true", help="also run with the configured LLM, side by side")
    evaluate.add_argument("--split", action="append", help="only this split (nlu: tune, holdout, holdout2, dev); repeatable")
    evaluate.set_defaults(func=cmd_eval)

    telegram = sub.add_parser("telegram", help="run the Telegram bot (polling, or webhook with --webhook-url)")
    telegram.add_argument("--webhook-url", help="public HTTPS URL Telegram posts updates to")
    telegram.add_argument("--listen", default="0.0.0.0", help="address the webhook server binds (default 0.0.0.0)")
    telegram.add_argument("--port", type=int, default=8443)
    telegram.set_defaults(func=cmd_telegram)

    web_cmd = sub.add_parser("web", help="run the web server: web chat, support console, webhook, back-office API")
    web_cmd.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    web_cmd.add_argument("--port", type=int, default=8080)
    web_cmd.add_argument("--webhook-url", help="public HTTPS URL of the Telegram webhook to register (its last "
                         "path segment is the route; default route /telegram, not registered)")
    web_cmd.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM) ...")
    web_cmd.add_argument("--tls-key", type=Path, help="... and this private key")
    web_cmd.set_defaults(func=cmd_web)
    add_agents_parser(sub)

    tickets = sub.add_parser("tickets", help="list handoff tickets")
    tickets.add_argument("--open", action="store_true", help="only tickets not closed")
    tickets.add_argument("--json", action="store_true")
    tickets.set_defaults(func=cmd_tickets)
    unanswered = sub.add_parser("unanswered", help="questions the bot had no reliable answer to, most asked first")
    unanswered.add_argument("--limit", type=int, default=50)
    unanswered.add_argument("--json", action="store_true")
    unanswered.set_defaults(func=cmd_unanswered)
    add_outbox_parser(sub)
    add_privacy_parser(sub)
    return parser


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    """Open the console chat."""
    from bot.app import build_app, console_worker
    from bot.channels.console import chat

    app = build_app(settings)
    try:
        asyncio.run(chat(app.engine, user=args.user, worker=console_worker(app, sys.stdout)))
    finally:
        app.close()
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    """Replay a JSONL file through the engine."""
    from bot.app import build_app
    from bot.channels.replay import replay

    app = build_app(settings)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout

    async def run() -> None:
        with args.input.open(encoding="utf-8", errors="replace") as lines:  # a bad byte never stops replay
            async for result in replay(app.engine, lines):
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
                out.flush()

    try:
        asyncio.run(run())
    finally:
        app.close()
        if args.out:
            out.close()
    return 0


def cmd_index(settings: Settings, args: argparse.Namespace) -> int:
    """Build or update the index and print the one-line summary."""
    from bot.app import ensure_intent_model, make_embedder
    from bot.knowledge.index import build_index, terminal_progress
    from bot.shop import load_shop

    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    summary = build_index(shop, settings.path(settings.knowledge_dir), settings.path(settings.index_dir),
                          make_embedder(settings, threads=2), rebuild=args.rebuild, progress=terminal_progress,
                          chroma_url=settings.chroma_url)
    ensure_intent_model(settings, shop, rebuild=args.rebuild)
    print(summary.line())
    return 0


def cmd_setup(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate the database and make sure the index is current."""
    from bot.app import ensure_index, open_database
    from bot.shop import load_shop

    db, _ = open_database(settings)
    db.dispose()
    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    summary = ensure_index(settings, shop)
    print(summary.line() if summary else "database migrated; knowledge index is up to date")
    return 0


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    """Print ranked chunks."""
    from bot.app import open_knowledge
    from bot.shop import load_shop

    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    kb = open_knowledge(settings, shop)
    hits = kb.retriever.search(args.query, k=args.k, kind=args.kind, device=args.device)
    rows = [{"id": h.chunk.id, "doc_id": h.chunk.doc_id, "kind": h.chunk.kind, "title": h.chunk.title,
             "score": round(h.score, 5), "similarity": round(h.similarity, 4), "bm25_rank": h.bm25_rank,
             "vector_rank": h.vector_rank, "text": h.chunk.text} for h in hits]
    if args.json:
        print_json(rows)
    else:
        for n, row in enumerate(rows, 1):
            print(f"{n}. [{row['kind']}] {row['title']} ({row['score']}): {str(row['text'])[:120]}")
    return 0


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    """Answer a question with the answer cards, as the chat does (the card, its source, or the honest decline)."""
    from bot.app import load_shop_responses, open_knowledge
    from bot.shop import load_shop

    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    answer = open_knowledge(settings, shop).answer(args.question)
    responses = load_shop_responses(settings, shop)
    sources = "; ".join(s.title for s in answer.sources)
    text = (responses.text("answer", answer=answer.text, sources=sources) if answer.confident
            else responses.text("no_reliable_answer"))
    if args.json:
        print_json({"answer": text, "answered": answer.confident, "card": answer.card_id,
                     "score": round(answer.score, 4),
                     "sources": [{"id": s.id, "title": s.title, "kind": s.kind} for s in answer.sources]})
    else:
        print(text)
    return 0


def cmd_understand(settings: Settings, args: argparse.Namespace) -> int:
    """Intent and slots of an opening message, with the rules' reading and the learned model's probabilities."""
    from bot.app import ensure_intent_model, make_understander
    from bot.shop import load_shop

    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    ensure_intent_model(settings, shop)
    understander = make_understander(settings, shop)
    from bot.nlu.commands import describe
    from bot.nlu.reader import CommandReader
    from bot.nlu.reading_context import ReadingContext

    commands = CommandReader(understander).read(args.text, ReadingContext())  # as an opening message
    final = understander.understand(args.text)
    rules = understander.understand(args.text, learned=False)
    learned = understander.learned.probabilities(understander.view(args.text)) if understander.learned else {}
    top = dict(sorted(learned.items(), key=lambda item: -item[1])[:3])
    if args.json:
        print_json({"commands": [describe(c) for c in commands],
                     "intent": final.intent, "confidence": round(final.confidence, 4), "slots": final.slots,
                     "rules": {"intent": rules.intent, "confidence": round(rules.confidence, 4)},
                     "model": {k: round(v, 4) for k, v in top.items()}})
        return 0
    print("commands: " + "; ".join(describe(c) for c in commands))
    print(f"intent: {final.intent} ({final.confidence:.2f})")
    print(f"slots: {json.dumps(final.slots)}")
    print(f"rules: {rules.intent} ({rules.confidence:.2f})")
    print("model: " + (", ".join(f"{k} {v:.2f}" for k, v in top.items()) or "not trained (run `run_bot.py index`)"))
    return 0


def cmd_quote(settings: Settings, args: argparse.Namespace) -> int:
    """Price a trade-in exactly as the chat does (the quote is not stored)."""
    from bot.pricing.quote import quote_trade_in
    from bot.shop import load_shop
    from bot.storage.models import utcnow
    from bot.storage.repo import new_id

    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    quote = quote_trade_in(_find_device(shop, args.model), storage_gb=args.storage, condition=args.condition, carrier=args.carrier,
                           battery_health_pct=args.battery, rules=shop.rules, quote_id=new_id("Q"), now=utcnow(),
                           table_version=shop.table_version)
    if args.json:
        print_json(quote.to_json())
    else:
        from bot.app import load_shop_responses
        from bot.engine.trade_in import TradeInActions

        print(TradeInActions(shop, load_shop_responses(settings, shop)).offer_reply(quote, locked=False).text)
    return 0


def _find_device(shop: Shop, model: str) -> Device:
    from bot.nlu.devices import DeviceMatcher

    mention = DeviceMatcher(shop.catalog).find(model)
    device = shop.catalog.by_name(model) or (mention.device if mention else None)
    if device is None:
        raise PricingError(f"'{model}' is not in the catalog (try the name as the maker writes it)")
    return device


def cmd_compare(settings: Settings, args: argparse.Namespace) -> int:
    """Print the comparison the chat shows."""
    from bot.app import load_shop_responses
    from bot.engine.compare import CompareActions
    from bot.engine.trade_in import TradeInActions
    from bot.shop import load_shop

    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    responses = load_shop_responses(settings, shop)
    actions = CompareActions(shop, TradeInActions(shop, responses), responses)
    figures = actions.comparison(_find_device(shop, args.model), args.storage)
    if args.json:
        print_json(figures.to_json())
    else:
        print(actions.render(figures).text)
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    """Evaluate NLU or retrieval on tests/data, tune and held-out parts side by side."""
    from bot.evaluation import run_eval

    report = run_eval(settings, args.what, with_llm=args.llm, splits=tuple(args.split or ()))
    if args.json:
        print_json(report.data)
    else:
        print(report.text)
    return 0


def cmd_telegram(settings: Settings, args: argparse.Namespace) -> int:
    """Run the Telegram bot until interrupted."""
    from bot.app import build_app, periodic_jobs
    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.telegram.checks import validated_token, validated_webhook_secret
    from bot.delivery.business import register_business_handlers
    from bot.delivery.registry import Registry
    from bot.support.desk import SupportDesk

    validated_token(settings)  # fail fast, before loading anything
    secret = settings.telegram_webhook_secret
    if args.webhook_url:
        validated_webhook_secret(secret.get_secret_value() if secret is not None else None)
    app = build_app(settings, staffed=settings.support_chat_id is not None)  # no group: nobody sees tickets
    registry = Registry()
    register_business_handlers(registry, settings, app.shop.policy)  # booking events and emails, when configured
    jobs = periodic_jobs(settings, app.shop, app.sessions, app.engine.say)  # reminders, the retention purge
    channel = TelegramChannel(settings, app.engine, SupportDesk(app.sessions), registry=registry, jobs=jobs)
    try:
        if args.webhook_url:
            path = args.webhook_url.rstrip("/").rsplit("/", 1)[-1]
            asyncio.run(_serve_webhook(channel, args.listen, args.port, path, args.webhook_url,
                                       secret.get_secret_value()))  # type: ignore[union-attr]
        else:
            channel.run_polling()
            if channel.fatal is not None:
                raise channel.fatal
    finally:
        app.close()
    return 0


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """Run the one web server (and the outbox worker, and the Telegram bot when configured) until interrupted."""
    from bot.app import build_app
    from bot.channels.web.server import serve, tls_context

    if (args.tls_cert is None) != (args.tls_key is None):
        raise ConfigError("give both --tls-cert and --tls-key, or neither")
    tls = tls_context(args.tls_cert, args.tls_key)
    app = build_app(settings, staffed=True)  # the console sees every ticket
    try:
        asyncio.run(serve(app, args.host, args.port, webhook_url=args.webhook_url, tls=tls))
    finally:
        app.close()
    return 0


async def _serve_webhook(channel: Any, listen: str, port: int, path: str, url: str, secret: str) -> None:
    """Run the webhook server until SIGINT or SIGTERM."""
    import signal

    stop = channel.stopping  # also set when the bot cannot go on (its database vanished)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await channel.start_webhook(listen=listen, port=port, url_path=path, webhook_url=url, secret=secret)
    print(f"webhook ready on {listen}:{port}/{path}", flush=True)
    try:
        await stop.wait()
    finally:
        await channel.stop()
    if channel.fatal is not None:
        raise channel.fatal
