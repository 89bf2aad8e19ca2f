"""The one web server: web chat, support console, login, /healthz, the Telegram webhook and the back-office API.

`run_bot.py web` runs it with the outbox worker in the same process: web.message rows go to the shoppers'
open pages; with TELEGRAM_BOT_TOKEN set, the Telegram bot runs here too (its kinds are sent from here, and with
TELEGRAM_WEBHOOK_SECRET its webhook is one more route), as do the business's kinds (booking events, email).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy import text

from bot.app import App
from bot.channels.backoffice import add_backoffice_routes
from bot.channels.telegram.webhook import WebhookServer
from bot.channels.web.auth import add_auth_routes
from bot.channels.web.chat import add_chat_routes
from bot.channels.web.console import add_console_routes
from bot.channels.web.deps import DEPS, WebDeps, deps_of
from bot.channels.web.headers import security_headers
from bot.channels.web.hub import Hub
from bot.channels.web.outbound import WebSender
from bot.channels.web.refusals import refusals
from bot.channels.web.signing import Signer, load_secret
from bot.channels.web.unclaimed import watch_unclaimed
from bot.delivery.business import register_business_handlers
from bot.delivery.registry import Registry
from bot.delivery.roles import Roles
from bot.delivery.worker import DeliveryPolicy, OutboxWorker
from bot.storage.db import translate_errors
from bot.support.accounts import Accounts, LoginPolicy
from bot.support.canned import load_canned
from bot.support.desk import SupportDesk

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = 256 * 1024  # a chat message or a reply is a few kilobytes; Telegram updates are small too
SHUTDOWN_S = 3.0  # open event streams are cut after this long when the server stops
DEFAULT_WEBHOOK_PATH = "telegram"


@dataclass(frozen=True)
class Webhook:
    """The Telegram webhook route: where it is mounted and the endpoint that serves it."""

    path: str
    endpoint: WebhookServer


def make_deps(app: App, hub: Hub, wake: Callable[[], None]) -> WebDeps:
    """The web routes' services over a built App (`wake`: the outbox worker's wake())."""
    settings = app.settings
    signer = Signer(load_secret(settings))
    policy = LoginPolicy(settings.web_login_max_failures, settings.web_login_max_failures_per_address,
                         settings.web_login_window_s, settings.web_session_hours)
    return WebDeps(settings=settings, engine=app.engine, desk=SupportDesk(app.sessions),
                   accounts=Accounts(app.sessions, policy, signer.key()), signer=signer, hub=hub,
                   canned=load_canned(settings.path(settings.config_dir)), wake=wake)


def build_web_app(deps: WebDeps, *, webhook: Webhook | None = None) -> web.Application:
    """The aiohttp application with every route; the back-office API only when BACKOFFICE_TOKEN is set."""
    app = web.Application(client_max_size=MAX_BODY_BYTES,
                          middlewares=[security_headers(deps.settings.web_chat_frame_ancestors), refusals])
    app[DEPS] = deps
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["duration"] = duration
    app.router.add_get("/", root)
    app.router.add_get("/healthz", health)
    app.router.add_static("/static", HERE / "static", append_version=True)
    add_chat_routes(app)
    add_auth_routes(app)
    add_console_routes(app)
    if webhook is not None:
        webhook.endpoint.add_route(app, webhook.path)
    token = deps.settings.backoffice_token
    if token is not None:
        add_backoffice_routes(app, token=token, sessions=deps.engine.sessions, responses=deps.engine.say,
                              on_queued=deps.wake)
    return app


def duration(seconds: int) -> str:
    """A waiting time as agents read it at a glance: 45s, 12m, 3h 05m, 2d 4h."""
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds}s"
    if hours < 1:
        return f"{minutes}m"
    if days < 1:
        return f"{hours}h {minutes % 60:02d}m"
    return f"{days}d {hours % 24}h"


async def root(request: web.Request) -> web.StreamResponse:
    """The bare address opens the web chat."""
    raise web.HTTPFound("/chat")


async def health(request: web.Request) -> web.Response:
    """200 when the database answers (load balancers and monitors), else 503."""
    deps = deps_of(request)

    def ping() -> None:
        with translate_errors(), deps.engine.sessions() as session:
            session.execute(text("SELECT 1"))

    try:
        await asyncio.to_thread(ping)
    except Exception as err:
        log.warning("health check: database unavailable (%s)", type(err).__name__)
        return web.Response(status=503, text="database unavailable")
    return web.Response(text="ok")


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """TLS from a certificate and key file, when both are given."""
    if cert is None or key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(app: App, host: str, port: int, *, webhook_url: str | None = None,
                tls: ssl.SSLContext | None = None, stop: asyncio.Event | None = None) -> None:
    """Run the web server and the outbox worker (and the Telegram bot when configured) until stopped."""
    settings, hub, registry = app.settings, Hub(), Registry()
    WebSender(hub).register(registry)
    register_business_handlers(registry, settings, app.shop.policy)
    channel = None
    webhook: Webhook | None = None
    if settings.telegram_bot_token is not None:
        from bot.channels.telegram.channel import TelegramChannel

        channel = TelegramChannel(settings, app.engine, SupportDesk(app.sessions), registry=registry)
        worker = channel.worker
        secret = settings.telegram_webhook_secret
        if secret is not None:
            path = webhook_url.rstrip("/").rsplit("/", 1)[-1] if webhook_url else DEFAULT_WEBHOOK_PATH
            webhook = Webhook(path, channel.webhook_endpoint(secret.get_secret_value()))
    else:
        worker = OutboxWorker(app.sessions, registry, DeliveryPolicy.from_settings(settings),
                              roles=Roles(app.db, check_s=settings.outbox_role_check_s))
    deps = make_deps(app, hub, worker.wake)
    runner = web.AppRunner(build_web_app(deps, webhook=webhook), access_log=None, shutdown_timeout=SHUTDOWN_S)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if channel is not None:
        await channel.start_embedded()  # starts the worker too
    else:
        worker.start()
    watcher = asyncio.create_task(watch_unclaimed(deps))
    try:
        if channel is not None and webhook is not None and webhook_url:
            await channel.set_webhook(webhook_url, webhook.endpoint.secret)
        await runner.setup()
        await web.TCPSite(runner, host, port, ssl_context=tls).start()
        scheme = "https" if tls else "http"
        print(f"web server ready on {scheme}://{host}:{port} (/chat, /console"
              f"{', /' + webhook.path if webhook else ''})", flush=True)
        waits = [asyncio.create_task(stop.wait())]
        if channel is not None:
            waits.append(asyncio.create_task(channel.stopping.wait()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
    finally:
        watcher.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        if channel is not None:
            await channel.stop()
        else:
            await worker.stop()
    if channel is not None and channel.fatal is not None:
        raise channel.fatal
