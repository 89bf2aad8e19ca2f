"""Start-up checks of the Telegram settings: each problem is one ConfigError line that says how to fix it."""

from __future__ import annotations

import re

from bot.errors import ConfigError
from bot.settings import Settings

TOKEN_PATTERN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Telegram's own rule for secret_token

__all__ = ["validated_token", "validated_webhook_secret"]


def validated_token(settings: Settings) -> str:
    """The bot token, or one clear ConfigError line."""
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in .env")
    token = settings.telegram_bot_token.get_secret_value().strip()
    if not TOKEN_PATTERN.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN looks malformed: it should look like 123456789:AAE... (from @BotFather)")
    return token


def validated_webhook_secret(secret: str | None) -> str:
    """The webhook secret, or one clear ConfigError line: Telegram accepts only 1-256 of A-Z a-z 0-9 _ -.

    An empty secret would switch authentication off (every request would match it), and one Telegram
    rejects would fail setWebhook after start-up looked fine.
    """
    if secret is None or not WEBHOOK_SECRET.fullmatch(secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
                          "(Telegram's rule), for example the output of: openssl rand -hex 32")
    return secret
