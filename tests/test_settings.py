"""Start-up configuration: a wrong value stops start-up with one clear line naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import PROJECT_ROOT, load_settings
from bot.shop import load_shop


def test_bad_database_url_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings(database_url="mysql://somewhere/db")


def test_unknown_llm_provider_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="LLM_PROVIDER"):
        load_settings(llm_provider="claude-on-a-toaster")


def test_postgres_url_is_normalised_to_the_psycopg_driver() -> None:
    assert load_settings(database_url="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"


def test_malformed_policy_yaml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("shop: [unclosed\n")
    with pytest.raises(ConfigError, match=r"policy\.yaml is not valid YAML"):
        load_shop(tmp_path, PROJECT_ROOT / "knowledge")


def test_pricing_that_pays_more_for_worse_condition_is_refused(tmp_path: Path) -> None:
    config = PROJECT_ROOT / "config"
    (tmp_path / "policy.yaml").write_text((config / "policy.yaml").read_text())
    (tmp_path / "pricing.yaml").write_text((config / "pricing.yaml").read_text().replace("broken: 0.30", "broken: 0.95"))
    with pytest.raises(ConfigError, match="condition_multipliers"):
        load_shop(tmp_path, PROJECT_ROOT / "knowledge")


def test_cli_prints_one_line_not_a_traceback() -> None:
    result = subprocess.run([sys.executable, "run_bot.py", "tickets"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, env={"DATABASE_URL": "oracle://nope", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
