"""Telegram channel (python-telegram-bot 22): the only package, with bot/app.py, that imports telegram."""

import os

# Opt in to python-telegram-bot's future behaviour (RetryAfter.retry_after as a timedelta); delivery handles both.
os.environ.setdefault("PTB_TIMEDELTA", "1")
