"""Named responses (config/responses.yaml): what the bot says, by name and locale, rendered with values."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain import Button, Reply
from bot.errors import ConfigError
from bot.knowledge.documents import render_policy
from bot.shop import read_yaml

DEFAULT_LOCALE = "en"
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Response:
    """One named response: a text template (policy values already filled) and its buttons."""

    name: str
    text: str
    buttons: tuple[Button, ...] = ()

    @property
    def fields(self) -> frozenset[str]:
        """The {placeholders} this response needs when it is sent."""
        return frozenset(_FIELD.findall(self.text))


class _Lenient(dict[str, Any]):
    """A missing value renders as empty text rather than failing a shopper's turn."""

    def __missing__(self, key: str) -> str:
        return ""


class Responses:
    """Every response of one locale, checked at start-up."""

    def __init__(self, responses: dict[str, Response], locale: str = DEFAULT_LOCALE) -> None:
        self._responses = responses
        self.locale = locale

    def __contains__(self, name: str) -> bool:
        return name in self._responses

    @property
    def names(self) -> frozenset[str]:
        """Every response name."""
        return frozenset(self._responses)

    def reply(self, name: str, /, buttons: tuple[Button, ...] | None = None, **values: Any) -> Reply:
        """The response as a Reply; `buttons` replaces the response's own when given."""
        response = self.get(name)
        text = string.Formatter().vformat(response.text, (), _Lenient(values))
        return Reply(text, response.buttons if buttons is None else buttons, response=name)

    def text(self, name: str, /, **values: Any) -> str:
        """Just the rendered text (for pieces of a larger reply, such as one line of a table)."""
        return self.reply(name, **values).text

    def buttons(self, name: str) -> tuple[Button, ...]:
        """A response's buttons."""
        return self.get(name).buttons

    def get(self, name: str) -> Response:
        """The response with this name; an unknown name is a programming error caught by the tests."""
        try:
            return self._responses[name]
        except KeyError:
            raise ConfigError(f"config/responses.yaml has no response '{name}' for locale '{self.locale}'") from None


def load_responses(path: Path, policy: dict[str, Any], locale: str = DEFAULT_LOCALE) -> Responses:
    """Load, validate and pre-render one locale; any problem is one line naming the file and response."""
    raw = read_yaml(path)
    sets = raw.get("button_sets") or {}
    section = raw.get(locale)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: no '{locale}' section of responses")
    responses: dict[str, Response] = {}
    for name, body in section.items():
        where = f"{path.name}, response '{name}'"
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise ConfigError(f"{where}: needs a 'text'")
        text = render_policy(body["text"], policy, where)
        responses[str(name)] = Response(str(name), text, _buttons(body.get("buttons"), sets, where))
    return Responses(responses, locale)


def _buttons(raw: Any, sets: dict[str, Any], where: str) -> tuple[Button, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        if raw not in sets:
            raise ConfigError(f"{where}: unknown button set '{raw}' (see button_sets)")
        raw = sets[raw]
    buttons = []
    for item in raw:
        if not isinstance(item, dict) or "label" not in item or "payload" not in item:
            raise ConfigError(f"{where}: a button needs a label and a payload: {item!r}")
        buttons.append(Button(str(item["label"]), str(item["payload"])))
    return tuple(buttons)
