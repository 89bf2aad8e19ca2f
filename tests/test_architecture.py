"""Imports point one way (DESIGN.md): SDKs stay at the edges, pricing and flows stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.settings import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "migrations" not in p.parts]


def test_only_channels_and_app_import_telegram() -> None:
    for path in _modules(BOT):
        rel = path.relative_to(BOT).as_posix()
        if rel.startswith("channels/") or rel == "app.py":
            continue
        assert not any(n == "telegram" or n.startswith("telegram.") for n in _imports(path)), rel


def test_pricing_flows_and_domain_are_pure() -> None:
    forbidden = ("sqlalchemy", "telegram", "chromadb", "langchain", "openai", "requests", "httpx", "aiohttp")
    for path in [*_modules(BOT / "pricing"), *_modules(BOT / "flows"), BOT / "domain.py"]:
        for name in _imports(path):
            assert not name.startswith(forbidden), f"{path.relative_to(BOT)} imports {name}"


def test_retrieval_sdks_only_in_knowledge() -> None:
    for path in _modules(BOT):
        rel = path.relative_to(BOT).as_posix()
        if rel.startswith("knowledge/"):
            continue
        for name in _imports(path):
            assert not name.startswith(("chromadb", "langchain_chroma", "rank_bm25")), f"{rel} imports {name}"


def test_lower_layers_do_not_import_upper_ones() -> None:
    layers = {"storage": ("bot.engine", "bot.channels", "bot.app", "bot.nlu", "bot.knowledge"),
              "nlu": ("bot.engine", "bot.channels", "bot.app"),
              "knowledge": ("bot.engine", "bot.channels", "bot.app"),
              "pricing": ("bot.engine", "bot.channels", "bot.app", "bot.storage"),
              "flows": ("bot.engine", "bot.channels", "bot.app", "bot.storage", "bot.nlu")}
    for layer, banned in layers.items():
        for path in _modules(BOT / layer):
            for name in _imports(path):
                assert not name.startswith(banned), f"{path.relative_to(BOT)} imports {name}"


def test_page_rendering_and_password_hashing_stay_in_their_modules() -> None:
    homes = {("aiohttp_jinja2", "jinja2"): "channels/web/", ("argon2",): "support/accounts.py"}
    for path in _modules(BOT):
        rel = path.relative_to(BOT).as_posix()
        for libraries, home in homes.items():
            if rel.startswith(home):
                continue
            for name in _imports(path):
                assert not name.startswith(libraries), f"{rel} imports {name} (only {home} may)"
