"""What Telegram shows about the bot (config/telegram.yaml): command menus per scope, descriptions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.knowledge.documents import render_policy
from bot.shop import read_yaml

PROFILE_FILE = "telegram.yaml"  # in CONFIG_DIR
# Only what the bot handles: Telegram then sends nothing else (no channel posts, polls, member updates).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
MAX_DESCRIPTION = 512  # Telegram's limits for setMyDescription and setMyShortDescription
MAX_SHORT_DESCRIPTION = 120


@dataclass(frozen=True)
class TelegramProfile:
    """The bot's descriptions and its two command menus: shoppers' (private chats) and agents' (support group)."""

    description: str
    short_description: str
    shopper_commands: tuple[tuple[str, str], ...]
    agent_commands: tuple[tuple[str, str], ...]


def _commands(raw: Any, where: str, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}: '{key}' must map each command to its description")
    return tuple((str(name), str(text)) for name, text in raw.items())


def load_profile(config_dir: Path, policy: dict[str, Any]) -> TelegramProfile:
    """Read config/telegram.yaml, with {{ policy.x }} placeholders filled."""
    path = config_dir / PROFILE_FILE
    where = f"config/{PROFILE_FILE}"
    raw = read_yaml(path)
    try:
        profile = TelegramProfile(
            description=render_policy(str(raw["description"]), policy, where).strip(),
            short_description=render_policy(str(raw["short_description"]), policy, where).strip(),
            shopper_commands=_commands(raw.get("shopper_commands"), where, "shopper_commands"),
            agent_commands=_commands(raw.get("agent_commands"), where, "agent_commands"),
        )
    except KeyError as err:
        raise ConfigError(f"{where} needs '{err.args[0]}'") from None
    if len(profile.description) > MAX_DESCRIPTION or len(profile.short_description) > MAX_SHORT_DESCRIPTION:
        raise ConfigError(f"{where}: Telegram allows {MAX_DESCRIPTION} characters of description and "
                          f"{MAX_SHORT_DESCRIPTION} of short_description")
    return profile
