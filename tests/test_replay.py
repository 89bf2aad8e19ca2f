"""The replay contract: one output line per input line, every field present, bad lines explained."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT

FIELDS = {"user", "input", "intent", "flow", "slots", "replies", "quote", "sources", "handoff", "latency_ms"}
QUOTE_FIELDS = {"quote_id", "device_model", "storage_gb", "condition", "carrier", "offer_usd", "currency",
                "valid_until", "price_table_version", "breakdown"}


def test_replay_cli_prints_every_contract_field(tmp_path: Path) -> None:
    lines = [
        {"user": "u1", "text": "hi"},
        {"user": "u1", "text": "how much for my iphone 12 pro 128gb, screen cracked"},
        {"user": "u1", "button": "s:carrier=unlocked"},
        {"user": "u1", "text": "yes, find my is off"},
        {"user": "u1", "text": "battery is 85%"},
        {"user": "u2", "text": "how long is the warranty?"},
        {"user": "u2", "text": "i want a human"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json at all\n" + '{"text": "no user"}\n')
    out = tmp_path / "out.jsonl"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
           "INDEX_DIR": str(PROJECT_ROOT / "var" / "test-index"), "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "run_bot.py", "replay", str(source), "--out", str(out)], cwd=PROJECT_ROOT,
                   env=env, check=True, timeout=120)
    results = [json.loads(line) for line in out.read_text().splitlines()]

    assert len(results) == len(lines) + 2
    for result in results[: len(lines)]:
        assert set(result) >= FIELDS, result
        assert all({"text", "buttons", "response"} == set(r) for r in result["replies"])
        assert isinstance(result["commands"], list) and result["commands"], result
    assert results[0]["intent"] == "greet"
    assert results[1]["slots"] == {"device_model": "iPhone 12 Pro", "storage_gb": 128, "condition": "broken"}
    quote = results[4]["quote"]
    assert quote is not None and set(quote) == QUOTE_FIELDS
    assert quote["offer_usd"] > 0 and quote["breakdown"][0]["label"].startswith("Base value")
    assert results[5]["sources"] and {"id", "title", "kind"} == set(results[5]["sources"][0])
    assert results[6]["handoff"]["status"] == "open"
    assert results[7]["error"].startswith("line 8: not valid JSON")
    assert results[8]["error"] == 'line 9: missing "user"'
    assert results[7]["quote"] is None and results[7]["replies"] == []
