"""Canned replies for agents (config/canned_replies.yaml): a title to pick and the text it puts in the reply box."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError
from bot.shop import read_yaml

CANNED_FILE = "canned_replies.yaml"  # in CONFIG_DIR


@dataclass(frozen=True)
class Canned:
    """One canned reply."""

    title: str
    text: str


def load_canned(config_dir: Path) -> tuple[Canned, ...]:
    """The canned replies, in file order; a missing file means none, a malformed one is a ConfigError."""
    path = config_dir / CANNED_FILE
    if not path.exists():
        return ()
    raw = read_yaml(path).get("replies") or []
    if not isinstance(raw, list):
        raise ConfigError(f"{path.name}: `replies` must be a list of {{title, text}}")
    replies = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not str(item.get("title") or "").strip() or not str(item.get("text") or "").strip():
            raise ConfigError(f"{path.name}: reply {n} needs a non-empty `title` and `text`")
        replies.append(Canned(str(item["title"]).strip(), str(item["text"]).strip()))
    return tuple(replies)
