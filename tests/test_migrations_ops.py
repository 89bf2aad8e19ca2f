"""Migrations as operators meet them: workers starting together on an empty database, and the `alembic` CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from bot.settings import PROJECT_ROOT
from bot.storage.migrate import alembic_config
from tests.conftest import _postgres_url

WORKERS = 4
TRIALS = 3
START_DELAY_S = 4.0  # every process has imported everything by then, so all four upgrade at the same instant
ALEMBIC = Path(sys.executable).parent / "alembic"
MIGRATE_AT = """
import sys, time
from bot.storage.db import make_engine
from bot.storage.migrate import upgrade_to_head
engine = make_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
upgrade_to_head(engine)
"""


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOG_LEVEL": "WARNING", **extra}


@pytest.mark.postgres
@pytest.mark.parametrize("trial", range(TRIALS))
def test_workers_starting_together_on_an_empty_postgres_all_migrate(trial: int) -> None:
    gen = _postgres_url()
    url = next(gen)
    if url is None:
        pytest.skip("PostgreSQL not reachable")
    try:
        start_at = time.time() + START_DELAY_S
        processes = [subprocess.Popen([sys.executable, "-c", MIGRATE_AT, url, str(start_at)], cwd=PROJECT_ROOT,
                                      env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                     for _ in range(WORKERS)]
        failures = []
        for process in processes:
            _, err = process.communicate(timeout=90)
            if process.returncode != 0:
                failures.append(err.decode()[-600:])
        assert not failures, failures[0]
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [_head()]
        engine.dispose()
    finally:
        next(gen, None)


def test_alembic_history_lists_every_revision_from_the_project_root() -> None:
    done = subprocess.run([str(ALEMBIC), "history"], cwd=PROJECT_ROOT, env=_env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    revisions = [r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    assert revisions and all(f"-> {r}" in done.stdout for r in revisions), done.stdout
    assert f"-> {_head()} (head)" in done.stdout


def test_alembic_current_reads_the_bots_database(tmp_path: Path) -> None:
    env = _env(DATABASE_URL=f"sqlite:///{tmp_path / 'ops.db'}")
    upgrade = subprocess.run([str(ALEMBIC), "upgrade", "head"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert upgrade.returncode == 0, upgrade.stderr
    current = subprocess.run([str(ALEMBIC), "current"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert current.returncode == 0 and f"{_head()} (head)" in current.stdout, current.stderr
