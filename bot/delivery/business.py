"""The handlers that reach the business, registered with the outbox worker when they are configured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.delivery import email, webhook
from bot.delivery.registry import Handler, Registry
from bot.settings import Settings


def register_business_handlers(registry: Registry, settings: Settings, policy: Mapping[str, Any]) -> None:
    """Booking events (BOOKING_WEBHOOK_URL) and confirmation emails (SMTP_URL); neither set: nothing."""
    if settings.booking_webhook_url and settings.booking_webhook_secret is not None:
        registry.register(webhook.KIND, Handler(webhook.webhook_handler(
            settings.booking_webhook_url, settings.booking_webhook_secret, settings.webhook_timeout_s)))
    if settings.smtp_url is not None and settings.smtp_from:
        registry.register(email.KIND, Handler(email.email_handler(
            settings.smtp_url, settings.smtp_from, templates_dir=settings.path(settings.config_dir) / "emails",
            policy=policy, timeout_s=settings.smtp_timeout_s)))
