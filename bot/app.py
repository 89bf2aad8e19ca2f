"""Composition root: build every service from Settings, in order, and close them in reverse."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as SqlEngine
from sqlalchemy.orm import Session, sessionmaker

from bot.catalog import storage_label
from bot.engine.booking_cancel import BookingCancels
from bot.engine.bookings import BookingNotices
from bot.engine.compare import CompareActions
from bot.engine.counteroffer import CounterofferAnswers
from bot.engine.device_facts import DeviceFacts
from bot.engine.dialogue import Dialogue
from bot.engine.dialogue_parts import DialogueParts
from bot.engine.engine import Engine
from bot.engine.privacy import PrivacyCommands
from bot.engine.reminders import DEFAULT_DAYS_BEFORE, BookingReminders, ReminderPolicy
from bot.engine.repairs import RepairActions
from bot.engine.responses import Responses, load_responses
from bot.engine.trade_in import TradeInActions
from bot.flows.loader import Vocabulary, load_flows
from bot.knowledge.answer import KnowledgeBase, Thresholds
from bot.knowledge.embeddings import Embedder, MiniLMEmbeddings
from bot.knowledge.index import (
    IndexSummary,
    build_index,
    current_content,
    discard_broken_store,
    is_stale,
    terminal_progress,
)
from bot.knowledge.retriever import HybridRetriever
from bot.llm import LLM, build_embeddings, build_llm
from bot.nlu.answers import SLOT_TYPES
from bot.nlu.intent_model import IntentModel, LearnedIntents, load_examples
from bot.nlu.intent_model import fingerprint as intent_fingerprint
from bot.nlu.intent_model import train as train_intents
from bot.nlu.understand import Understander
from bot.settings import Settings
from bot.shop import Shop, load_shop, read_yaml
from bot.storage.db import PgTimeouts, make_engine, make_session_factory
from bot.storage.migrate import upgrade_to_head
from bot.storage.models import utcnow
from bot.storage.privacy import purge_now

if TYPE_CHECKING:
    from bot.delivery.periodic import Periodic
    from bot.delivery.worker import OutboxWorker

log = logging.getLogger(__name__)
RESPONSES = "responses.yaml"  # in CONFIG_DIR: every reply, by name
INTENT_EXAMPLES = "intent_examples.yaml"  # in KNOWLEDGE_DIR: operator-edited training data
INTENT_MODEL = "intent_model.npz"  # in INDEX_DIR: derived; retrained when examples, device names or recipe change
OUTBOX_CHANNELS = frozenset({"telegram", "web"})  # channels whose replies the outbox sends (console and replay print them)
POPULAR = ("iPhone 13", "iPhone 14 Pro", "iPhone 15", "Galaxy S23", "Pixel 8", "MacBook Air (M1, 2020)")
POPULAR_TARGETS = ("iPhone 15", "iPhone 16 Pro", "Galaxy S24", "Pixel 9")


@dataclass
class App:
    """Every long-lived service of a running bot."""

    settings: Settings
    db: SqlEngine
    sessions: sessionmaker[Session]
    shop: Shop
    knowledge: KnowledgeBase
    engine: Engine
    llm: LLM | None = None

    def close(self) -> None:
        """Release the database connections."""
        self.db.dispose()


def open_database(settings: Settings) -> tuple[SqlEngine, sessionmaker[Session]]:
    """Connect and migrate the database."""
    timeouts = PgTimeouts(settings.db_connect_timeout_s, settings.db_statement_timeout_ms,
                          settings.db_keepalives_idle_s, settings.db_keepalives_interval_s, settings.db_keepalives_count)
    db = make_engine(settings.resolved_database_url, timeouts)
    upgrade_to_head(db)
    return db, make_session_factory(db)


def make_embedder(settings: Settings, *, threads: int = 2) -> Embedder:
    """The configured embedding model: local MiniLM (default) or OpenAI's (EMBEDDINGS=openai).

    Two threads even for one query: 6.8 -> 4.4 ms per message vector on this 2-core machine, and with 32
    shoppers in flight throughput held (183 msg/s on PostgreSQL, benchmarks/load.py --concurrency 32).
    """
    if settings.embeddings == "openai":
        embedder: Embedder = build_embeddings(settings)
        return embedder
    return MiniLMEmbeddings(threads=threads)


def ensure_index(settings: Settings, shop: Shop, *, rebuild: bool = False) -> IndexSummary | None:
    """Build the knowledge index (and the intent model) when missing, stale, or a rebuild is asked for."""
    index_dir, knowledge_dir = settings.path(settings.index_dir), settings.path(settings.knowledge_dir)
    ensure_intent_model(settings, shop, rebuild=rebuild)
    embedder = make_embedder(settings, threads=2)
    damaged = settings.chroma_url is None and discard_broken_store(index_dir, embedder.model_id)  # the open check
    if not (rebuild or damaged) and not is_stale(index_dir, current_content(shop, knowledge_dir, embedder.model_id)):
        return None
    summary = build_index(shop, knowledge_dir, index_dir, embedder, rebuild=rebuild,
                          progress=terminal_progress, chroma_url=settings.chroma_url)
    log.info("%s", summary.line())
    return summary


def ensure_intent_model(settings: Settings, shop: Shop, *, rebuild: bool = False) -> IntentModel | None:
    """Train the learned intent model when its examples (or the recipe) changed; None without examples."""
    examples_path = settings.path(settings.knowledge_dir) / INTENT_EXAMPLES
    if not examples_path.exists():
        return None
    examples = load_examples(examples_path)
    embedder = MiniLMEmbeddings(threads=2)  # always local: a vector per opening message must cost no API call
    model_path = settings.path(settings.index_dir) / INTENT_MODEL
    stored = None if rebuild else IntentModel.load(model_path)
    context = _intent_context(embedder, shop)
    if stored is not None and stored.fingerprint == intent_fingerprint(examples, context):
        return stored
    started = time.perf_counter()
    understander = Understander(shop.catalog)
    model = train_intents(examples, [understander.view(e.text) for e in examples], embedder, context)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(model_path)
    log.info("trained the intent model on %d examples in %.1f s", len(examples), time.perf_counter() - started)
    return model


def _intent_context(embedder: Embedder, shop: Shop) -> str:
    """What the intent features depend on besides the examples: the vectors, the device names masked out, and
    the code that masks them (a stored model trained on other views is retrained, not reused)."""
    names = sorted(alias for d in shop.catalog.devices for alias in (d.name, *d.aliases))
    return f"{embedder.model_id}|{hashlib.sha256(json.dumps(names).encode()).hexdigest()[:16]}|{_view_code()}"


def _view_code() -> str:
    """A digest of the modules that turn an example into the text the model reads (device masking)."""
    from bot.nlu import devices, text, understand

    digest = hashlib.sha256()
    for module in (devices, text, understand):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


def make_understander(settings: Settings, shop: Shop, embedder: Embedder | None = None) -> Understander:
    """Rules plus the stored learned intent model, if any (ensure_index keeps it current; not re-checked here)."""
    examples_path = settings.path(settings.knowledge_dir) / INTENT_EXAMPLES
    model = IntentModel.load(settings.path(settings.index_dir) / INTENT_MODEL) if examples_path.exists() else None
    if model is None:
        return Understander(shop.catalog)
    local = embedder if isinstance(embedder, MiniLMEmbeddings) else MiniLMEmbeddings(threads=2)
    return Understander(shop.catalog, LearnedIntents(model, local))


def open_knowledge(settings: Settings, shop: Shop, *, auto_index: bool = True, llm: LLM | None = None) -> KnowledgeBase:
    """The knowledge base over a current index (built first when allowed)."""
    if auto_index:
        ensure_index(settings, shop)
    index_dir = settings.path(settings.index_dir)
    synonyms = read_yaml(settings.path(settings.config_dir) / "synonyms.yaml")
    retriever = HybridRetriever(index_dir, make_embedder(settings), {str(k): str(v) for k, v in synonyms.items()},
                                chroma_url=settings.chroma_url)
    retriever.embed("warm up")  # load the model now, not on a shopper's first question
    thresholds = Thresholds() if settings.retrieval_min_score is None else Thresholds(settings.retrieval_min_score)
    return KnowledgeBase(retriever, thresholds, phraser=llm)


def load_shop_responses(settings: Settings, shop: Shop) -> Responses:
    """config/responses.yaml, with the policy values filled in."""
    return load_responses(settings.path(settings.config_dir) / RESPONSES, shop.policy)


def booking_notices(settings: Settings) -> BookingNotices:
    """Which ways to reach the business are configured (BOOKING_WEBHOOK_URL, SMTP_URL)."""
    return BookingNotices(webhook=bool(settings.booking_webhook_url), email=settings.smtp_url is not None)


def build_dialogue(shop: Shop, settings: Settings, knowledge: KnowledgeBase, llm: LLM | None = None,
                   responses: Responses | None = None, *, staffed: bool = True) -> Dialogue:
    """Flows, actions, button sources, responses and NLU wired into the dialogue manager."""
    responses = responses or load_shop_responses(settings, shop)
    trade_in = TradeInActions(shop, responses, booking_notices(settings))
    comparing = CompareActions(shop, trade_in, responses)
    repairs = RepairActions(shop, staffed=staffed)
    actions = {
        "make_quote": trade_in.make_quote,
        "accept_quote": trade_in.accept_quote,
        "decline_quote": trade_in.decline_quote,
        "reopen_quote": trade_in.reopen_quote,
        "show_offer": trade_in.show_offer,
        "show_comparison": comparing.show_comparison,
        "show_side_by_side": comparing.show_side_by_side,
        "show_budget_options": comparing.show_budget_options,
        "show_upgrade_estimate": comparing.show_upgrade_estimate,
        "show_upgrade": comparing.show_upgrade,
        "drop_interrupted": repairs.drop_interrupted,
        "restart_interrupted": repairs.restart_interrupted,
        "open_ticket": repairs.open_ticket,
    }
    sources: dict[str, Callable[[Mapping[str, Any]], tuple[tuple[str, str], ...]]] = {
        "popular_devices": lambda slots: tuple((name, name) for name in POPULAR),
        "popular_targets": lambda slots: tuple((name, name) for name in POPULAR_TARGETS),
        "storage_options": lambda slots: _storage_buttons(shop, slots),
    }
    vocabulary = Vocabulary(frozenset(SLOT_TYPES), frozenset(actions), frozenset(sources), responses.names)
    flows = load_flows(settings.path(settings.flows_dir), vocabulary)
    understander = make_understander(settings, shop, knowledge.retriever.embedder)
    facts = DeviceFacts(shop, comparing, responses)
    parts = DialogueParts(shop=shop, understander=understander, flows=flows, actions=actions,
                          button_sources=sources, answerer=knowledge, responses=responses,
                          device_facts=facts.answer, extractor=llm,
                          card_context={card.id: (card.topic, card.questions[0]) for card in knowledge.cards.cards})
    return Dialogue(parts)


def _storage_buttons(shop: Shop, slots: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    device = shop.catalog.by_name(str(slots.get("device_model")))
    if device is None:
        return ()
    return tuple((storage_label(s), str(s)) for s in device.storage_gb)


def booking_reminders(settings: Settings, shop: Shop, sessions: sessionmaker[Session],
                      responses: Responses) -> BookingReminders:
    """The ship-by reminder and lapse scan, with the days and the time zone from the policy."""
    trade_in, support = shop.policy.get("trade_in", {}), shop.policy.get("support", {})
    policy = ReminderPolicy(days_before=int(trade_in.get("ship_by_reminder_days", DEFAULT_DAYS_BEFORE)),
                            zone=ZoneInfo(str(support.get("timezone", "UTC"))))
    return BookingReminders(sessions, responses, booking_notices(settings), policy)


def periodic_jobs(settings: Settings, shop: Shop, sessions: sessionmaker[Session],
                  responses: Responses) -> list[Periodic]:
    """What the outbox worker runs besides delivering: the reminder scan and the retention purge."""
    from bot.delivery.periodic import Periodic

    reminders = booking_reminders(settings, shop, sessions, responses)

    def purge(now: datetime) -> int:
        done = purge_now(sessions, now, settings.retention_days, settings.processed_retention_days)
        return done.messages + done.processed_events

    return [Periodic("reminders", settings.reminder_scan_s, reminders.run),
            Periodic("retention purge", settings.retention_purge_s, purge)]


QUIET_IN_CHAT = ("bot.delivery", "bot.engine.reminders")  # the worker's INFO lines would interleave with the chat


def console_worker(app: App, out: TextIO) -> OutboxWorker:
    """The outbox worker of `run_bot.py chat`: business handlers, console messages and the periodic jobs, quietly."""
    from bot.channels.console import register_console
    from bot.delivery.business import register_business_handlers
    from bot.delivery.registry import Registry
    from bot.delivery.roles import Roles
    from bot.delivery.worker import DeliveryPolicy, OutboxWorker

    for name in QUIET_IN_CHAT:  # warnings and errors still show
        logging.getLogger(name).setLevel(logging.WARNING)
    registry = Registry()
    register_business_handlers(registry, app.settings, app.shop.policy)
    register_console(registry, out)
    jobs = periodic_jobs(app.settings, app.shop, app.sessions, app.engine.say)
    return OutboxWorker(app.sessions, registry, DeliveryPolicy.from_settings(app.settings), clock=app.engine.clock,
                        roles=Roles(app.db, check_s=app.settings.outbox_role_check_s), jobs=jobs)


async def drain_outbox(settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> int:
    """Run the periodic jobs once, deliver every due row this process may send, then stop (`outbox --drain`)."""
    from telegram import Bot

    from bot.channels.telegram.checks import validated_token
    from bot.channels.telegram.limits import TelegramLimits
    from bot.channels.telegram.sender import TelegramSender
    from bot.delivery.business import register_business_handlers
    from bot.delivery.registry import Registry
    from bot.delivery.roles import Roles
    from bot.delivery.worker import DeliveryPolicy, OutboxWorker
    from bot.support.desk import SupportDesk

    db, sessions = open_database(settings)
    registry = Registry()
    roles = Roles(db, check_s=settings.outbox_role_check_s)
    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    responses = load_shop_responses(settings, shop)
    worker = OutboxWorker(sessions, registry, DeliveryPolicy.from_settings(settings), roles=roles, clock=clock,
                          jobs=periodic_jobs(settings, shop, sessions, responses))
    try:
        register_business_handlers(registry, settings, shop.policy)
        if settings.telegram_bot_token is None:  # the business's rows go out; Telegram's wait for a bot with a token
            log.warning("TELEGRAM_BOT_TOKEN is not set: Telegram rows are left for a bot that has it")
            return await worker.drain()
        bot = Bot(validated_token(settings), base_url=settings.telegram_api_base_url,
                  base_file_url=settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        TelegramSender(bot, TelegramLimits(), sessions, responses, SupportDesk(sessions),
                       settings.support_chat_id).register(registry)
        async with bot:
            return await worker.drain()
    finally:
        await asyncio.to_thread(roles.release)
        db.dispose()


def build_app(settings: Settings, *, clock: Callable[[], datetime] = utcnow, auto_index: bool = True,
              staffed: bool = True) -> App:
    """Build the whole bot: database, shop data, knowledge, dialogue, engine (staffed: a desk sees tickets)."""
    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    db, sessions = open_database(settings)
    llm = build_llm(settings, shop.name)
    knowledge = open_knowledge(settings, shop, auto_index=auto_index, llm=llm)
    responses = load_shop_responses(settings, shop)
    dialogue = build_dialogue(shop, settings, knowledge, llm, responses, staffed=staffed)
    privacy = PrivacyCommands(responses, retention_days=settings.retention_days)
    bookings = CounterofferAnswers(responses, booking_notices(settings))
    cancels = BookingCancels(responses, booking_notices(settings))
    engine = Engine(sessions, dialogue, responses, clock=clock, outbox_channels=OUTBOX_CHANNELS, privacy=privacy,
                    bookings=bookings, cancels=cancels)
    return App(settings, db, sessions, shop, knowledge, engine, llm)
