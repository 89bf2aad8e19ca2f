"""What the web routes need, built once by the server and kept on the aiohttp app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.channels.web.hub import Hub
from bot.channels.web.signing import Signer
from bot.engine.engine import Engine
from bot.settings import Settings
from bot.support.accounts import Accounts
from bot.support.canned import Canned
from bot.support.desk import SupportDesk


@dataclass(frozen=True)
class WebDeps:
    """The services behind the web routes."""

    settings: Settings
    engine: Engine
    desk: SupportDesk
    accounts: Accounts
    signer: Signer
    hub: Hub
    canned: tuple[Canned, ...]
    wake: Callable[[], None]  # the outbox worker: rows were queued, look now

    def secure(self, request: web.Request) -> bool:
        """Whether the page was served over TLS (directly, or by the proxy WEB_TLS_PROXY says is in front)."""
        return request.secure or self.settings.web_tls_proxy


DEPS = web.AppKey("refurbot_web", WebDeps)


def deps_of(request: web.Request) -> WebDeps:
    """The services of the app serving this request."""
    return request.app[DEPS]
