"""The webhook endpoint: checks Telegram's secret header and acknowledges an update only once it is stored.

python-telegram-bot's built-in server answers 200 as soon as an update arrives, so an update is lost if
the process dies before its turn is committed. Here the turn runs first: 200 right after commit (the
replies are in the outbox by then and the worker sends them, so a slow chat holds up nobody's 200), 503
when the database failed (Telegram redelivers it later), 403 for a wrong secret.
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import Update

from bot.channels.backoffice import add_backoffice_routes

if TYPE_CHECKING:
    from bot.channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    """A small aiohttp server in front of the channel's handlers."""

    def __init__(self, channel: TelegramChannel, secret: str) -> None:
        self.channel = channel
        self.secret = secret
        self.runner: web.AppRunner | None = None

    async def start(self, listen: str, port: int, url_path: str) -> None:
        """Listen on listen:port/url_path."""
        app = web.Application(client_max_size=2 * 1024 * 1024)
        self.add_route(app, url_path)
        app.router.add_get("/healthz", self.health)
        token = self.channel.settings.backoffice_token
        if token is not None:  # the back office's status reports (bot/channels/backoffice.py); absent without a token
            engine = self.channel.engine
            add_backoffice_routes(app, token=token, sessions=engine.sessions, responses=engine.say,
                                  on_queued=self.channel.worker.wake)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, listen, port).start()
        log.info("webhook listening on %s:%d/%s", listen, port, url_path.strip("/"))

    def add_route(self, app: web.Application, url_path: str) -> None:
        """Mount the endpoint on an aiohttp app (ours, or the one web server of run_bot.py web)."""
        app.router.add_post("/" + url_path.strip("/"), self.handle)

    async def stop(self) -> None:
        """Stop listening."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def health(self, request: web.Request) -> web.Response:
        """For the load balancer."""
        return web.Response(text="ok")

    def authentic(self, header: str) -> bool:
        """Whether the request carries our secret; compare_digest raises on non-ASCII text, so compare bytes."""
        if not self.secret:  # never reached through the CLI (settings refuse an empty secret): fail closed anyway
            return False
        return hmac.compare_digest(header.encode("utf-8", "surrogateescape"), self.secret.encode())

    async def handle(self, request: web.Request) -> web.Response:
        """One update from Telegram."""
        if not self.authentic(request.headers.get(SECRET_HEADER, "")):
            return web.Response(status=403, text="forbidden")
        try:
            data: Any = await request.json()
            update = Update.de_json(data, self.channel.app.bot)
        except Exception:
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        await self.channel.app.process_update(update)
        if update.update_id in self.channel.failed_updates:
            self.channel.failed_updates.discard(update.update_id)
            return web.Response(status=503, text="try again later")
        return web.Response(text="ok")
