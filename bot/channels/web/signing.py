"""Signed cookie values and CSRF tokens: HMAC-SHA256 under the web secret key, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import Settings

log = logging.getLogger(__name__)
SECRET_FILE = "var/web_secret.key"  # made once when WEB_SECRET_KEY is not set
MIN_SECRET_CHARS = 32


class Signer:
    """Signs values for cookies and derives CSRF tokens bound to a session or a chat."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, purpose: str, value: str) -> str:
        """`value.mac`: the value cannot be changed without the key (the value itself is not secret)."""
        return f"{value}.{self._mac(purpose, value)}"

    def unsign(self, purpose: str, signed: str | None) -> str | None:
        """The value of a signed string, or None when it was not signed by us for this purpose."""
        if not signed or "." not in signed:
            return None
        value, mac = signed.rsplit(".", 1)
        return value if hmac.compare_digest(mac.encode(), self._mac(purpose, value).encode()) else None

    def csrf(self, bound_to: str) -> str:
        """The CSRF token of a session or chat: only a page we rendered for it carries it."""
        return self._mac("csrf", bound_to)

    def csrf_ok(self, bound_to: str, token: str | None) -> bool:
        """Whether a POST carries the CSRF token of its session or chat."""
        return bool(token) and hmac.compare_digest(str(token).encode(), self.csrf(bound_to).encode())

    def key(self) -> bytes:
        """A key for other keyed digests (client addresses), derived so the signing key is never reused as is."""
        return hmac.new(self._secret, b"refurbot:derived", hashlib.sha256).digest()


def load_secret(settings: Settings) -> bytes:
    """WEB_SECRET_KEY, or the key in var/web_secret.key (made on first start, readable by the owner only)."""
    if settings.web_secret_key is not None:
        value = settings.web_secret_key.get_secret_value()
        if len(value) < MIN_SECRET_CHARS:
            raise ConfigError(f"setting WEB_SECRET_KEY is too short: use at least {MIN_SECRET_CHARS} random "
                              "characters (openssl rand -hex 32)")
        return value.encode()
    path = settings.path(Path(SECRET_FILE))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        log.info("made a web secret key in %s (set WEB_SECRET_KEY to choose one)", SECRET_FILE)
    return path.read_text().strip().encode()
