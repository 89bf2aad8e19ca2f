"""The outbox on real SQLite and PostgreSQL: order per lane, retries, dead rows, crashes, two workers, the CLI."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.delivery.enqueue import enqueue
from bot.delivery.registry import Handler, Registry
from bot.delivery.roles import Roles
from bot.delivery.worker import DeliveryPolicy, OutboxWorker
from bot.errors import PermanentDelivery, RetryableDelivery
from bot.storage.db import make_engine, make_session_factory
from bot.storage.migrate import upgrade_to_head
from bot.storage.models import OutboxRow
from tests.conftest import _postgres_url

FAST = DeliveryPolicy(max_attempts=4, backoff_base_s=0.0, backoff_cap_s=0.0, lease_s=0.5, poll_s=0.02)  # retried at once
KIND = "test.note"


@pytest.fixture
def db(database_url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    yield engine, make_session_factory(engine)
    engine.dispose()


class Receiver:
    """A receiver that keeps what arrived, in order; `script` makes given deliveries fail."""

    def __init__(self, script: Mapping[str, list[Exception]] | None = None) -> None:
        self.got: list[tuple[str, int]] = []  # (lane, n) in arrival order
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.gate: dict[str, asyncio.Event] = {}

    async def deliver(self, payload: Mapping[str, Any]) -> None:
        key = f"{payload['lane']}#{payload['n']}"
        if key in self.gate:
            await self.gate[key].wait()
        failures = self.script.get(key)
        if failures:
            raise failures.pop(0)
        await asyncio.sleep(0)  # let other lanes interleave
        self.got.append((str(payload["lane"]), int(payload["n"])))

    def registry(self, on_dead: Callable[[Session, Mapping[str, Any]], None] | None = None) -> Registry:
        registry = Registry()
        registry.register(KIND, Handler(self.deliver, on_dead=on_dead))
        return registry


def _queue(sessions: sessionmaker[Session], lanes: dict[str, int]) -> None:
    with sessions() as session, session.begin():
        for lane, count in lanes.items():
            for n in range(count):
                enqueue(session, KIND, f"{lane}:{n}", lane, {"lane": lane, "n": n})


def _rows(sessions: sessionmaker[Session]) -> list[OutboxRow]:
    with sessions() as session:
        return list(session.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars())


async def _until(done: Callable[[], bool], timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def test_enqueue_writes_in_the_callers_transaction_and_ignores_a_duplicate_key(db: Any) -> None:
    _, sessions = db
    with sessions() as session, session.begin():
        enqueue(session, KIND, "k1", "lane", {"n": 1})
        enqueue(session, KIND, "k1", "lane", {"n": 2})
    with pytest.raises(RuntimeError), sessions() as session, session.begin():
        enqueue(session, KIND, "k2", "lane", {"n": 3})
        raise RuntimeError("the turn failed: nothing of it may be sent")
    with sessions() as session, session.begin():
        enqueue(session, KIND, "k1", "lane", {"n": 4})  # a redelivered update, later
    rows = _rows(sessions)
    assert [(r.idempotency_key, json.loads(r.payload)["n"], r.state) for r in rows] == [("k1", 1, "pending")]


async def test_lanes_keep_order_and_a_retrying_head_holds_only_its_lane(db: Any) -> None:
    _, sessions = db
    receiver = Receiver({"a#0": [RetryableDelivery("429", retry_after_s=60), RetryableDelivery("busy")]})
    _queue(sessions, {"a": 3, "b": 3})
    worker = OutboxWorker(sessions, receiver.registry(), FAST)
    await worker.drain()
    assert receiver.got == [("b", 0), ("b", 1), ("b", 2)], "lane b did not wait for lane a's head"
    head = next(r for r in _rows(sessions) if r.idempotency_key == "a:0")
    assert (head.state, head.attempts, head.last_error) == ("pending", 1, "429")
    with sessions() as session, session.begin():  # the minute Telegram asked for has passed
        session.get_one(OutboxRow, head.id).next_attempt_at = head.created_at
    await worker.drain()  # fails once more (retried at once: tiny backoff), then succeeds
    assert receiver.got[3:] == [("a", 0), ("a", 1), ("a", 2)]
    head = next(r for r in _rows(sessions) if r.idempotency_key == "a:0")
    assert (head.state, head.attempts, head.delivered_at is not None, head.last_error) == ("done", 3, True, None)


async def test_a_permanent_failure_is_dead_listed_and_revived_from_the_cli(
        db: Any, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _, sessions = db
    receiver = Receiver({"a#0": [PermanentDelivery("Forbidden: bot was blocked by the user")]})
    _queue(sessions, {"a": 2})
    worker = OutboxWorker(sessions, receiver.registry(), FAST)
    assert await worker.drain() == 2
    assert receiver.got == [("a", 1)], "a dead row does not block its lane"

    monkeypatch.setenv("DATABASE_URL", database_url)
    capsys.readouterr()
    assert main(["outbox", "--dead", "--json"]) == 0
    dead = json.loads(capsys.readouterr().out)
    assert [(d["kind"], d["lane"], d["state"], d["attempts"]) for d in dead] == [(KIND, "a", "dead", 1)]
    assert dead[0]["last_error"] == "Forbidden: bot was blocked by the user" and "payload" not in dead[0]
    assert main(["outbox"]) == 0 and "nothing pending" in capsys.readouterr().out

    assert main(["outbox", "--retry", str(dead[0]["id"])]) == 0
    assert main(["outbox", "--retry", "999999"]) == 1
    assert "pending again" in capsys.readouterr().out
    assert await worker.drain() == 1
    assert receiver.got == [("a", 1), ("a", 0)]
    assert main(["outbox", "--dead"]) == 0 and "no dead rows" in capsys.readouterr().out


async def test_out_of_attempts_is_dead_and_its_hook_runs_in_the_same_transaction(db: Any) -> None:
    _, sessions = db
    receiver = Receiver({"a#0": [RetryableDelivery("500 from receiver")] * 10})
    told: list[Any] = []

    def on_dead(session: Session, payload: Mapping[str, Any]) -> None:
        told.append(payload["n"])
        enqueue(session, KIND, "told", "z", {"lane": "z", "n": 0})

    _queue(sessions, {"a": 1})
    worker = OutboxWorker(sessions, receiver.registry(on_dead), FAST)
    worker.start()
    try:
        await _until(lambda: receiver.got == [("z", 0)])
    finally:
        await worker.stop()
    head = next(r for r in _rows(sessions) if r.idempotency_key == "a:0")
    assert (head.state, head.attempts, told) == ("dead", FAST.max_attempts, [0])
    assert head.last_error is not None and "gave up after 4 attempts" in head.last_error


async def test_a_killed_worker_leaves_nothing_lost_and_nothing_doubled(db: Any) -> None:
    _, sessions = db
    receiver = Receiver()
    receiver.gate["a#1"] = asyncio.Event()  # the worker is stuck on a's second row when it dies
    _queue(sessions, {"a": 4, "b": 2})
    first = OutboxWorker(sessions, receiver.registry(), FAST)
    first.start()
    await _until(lambda: ("a", 0) in receiver.got and ("b", 1) in receiver.got)
    assert first._task is not None
    first._task.cancel()  # killed: no clean stop, a:1 stays leased
    with pytest.raises(asyncio.CancelledError):
        await first._task
    receiver.gate.clear()
    second = OutboxWorker(sessions, receiver.registry(), FAST)  # a new process, after the lease expired
    second.start()
    try:
        await _until(lambda: len(receiver.got) == 6)
    finally:
        await second.stop()
    assert Counter(receiver.got) == Counter([("a", n) for n in range(4)] + [("b", n) for n in range(2)])
    assert [n for lane, n in receiver.got if lane == "a"] == [0, 1, 2, 3]
    assert {r.state for r in _rows(sessions)} == {"done"}


@pytest.fixture
def pg_url() -> Iterator[str]:
    gen = _postgres_url()
    url = next(gen)
    if url is None:
        pytest.skip("PostgreSQL not reachable")
    upgrade_to_head(create_engine(url))
    yield url
    next(gen, None)


@pytest.mark.postgres
async def test_two_workers_on_postgres_deliver_each_row_once_and_in_lane_order(pg_url: str) -> None:
    engines = [make_engine(pg_url) for _ in range(3)]  # two workers (as two processes: own pools) and the test
    try:
        sessions = make_session_factory(engines[2])
        lanes = {f"telegram:{n}": 20 for n in range(10)}
        _queue(sessions, lanes)
        receiver = Receiver()
        small_batches = DeliveryPolicy(lease_s=30, poll_s=0.01, batch=3)  # many passes: the workers interleave
        workers = [OutboxWorker(make_session_factory(e), receiver.registry(), small_batches) for e in engines[:2]]
        for worker in workers:
            worker.start()
        try:
            await _until(lambda: len(receiver.got) >= 200, timeout=60)
            await asyncio.sleep(0.2)  # a double would arrive now
        finally:
            for worker in workers:
                await worker.stop()
        assert len(receiver.got) == 200 and len(set(receiver.got)) == 200, "each row delivered exactly once"
        for lane in lanes:
            assert [n for name, n in receiver.got if name == lane] == list(range(20)), f"{lane} in order"
        with sessions() as session:
            assert session.execute(select(func.count()).select_from(OutboxRow)
                                   .where(OutboxRow.state != "done")).scalar_one() == 0
            attempts = session.execute(select(func.max(OutboxRow.attempts))).scalar_one()
        assert attempts == 1, "no row was claimed twice"
    finally:
        for engine in engines:
            engine.dispose()


@pytest.mark.postgres
async def test_only_one_process_holds_the_telegram_role(pg_url: str) -> None:
    engines = [make_engine(pg_url) for _ in range(2)]
    try:
        first, second = (Roles(e, check_s=0.0) for e in engines)
        assert first.holds("telegram") and not second.holds("telegram")
        assert second.holds("email"), "another role is free"
        first.release()
        assert second.holds("telegram") and not first.holds("telegram")
        second.release()
    finally:
        for engine in engines:
            engine.dispose()


@pytest.mark.postgres
async def test_kinds_of_a_role_wait_for_the_process_that_holds_it(pg_url: str) -> None:
    engines = [make_engine(pg_url) for _ in range(2)]
    try:
        holder = Roles(engines[0], check_s=0.0)
        assert holder.holds("telegram")
        sessions = make_session_factory(engines[1])
        receiver = Receiver()
        registry = Registry()
        registry.register("telegram.message", Handler(receiver.deliver, role="telegram"))
        registry.register(KIND, Handler(receiver.deliver))
        with sessions() as session, session.begin():
            enqueue(session, "telegram.message", "t", "telegram:1", {"lane": "telegram:1", "n": 0})
            enqueue(session, KIND, "h", "hooks", {"lane": "hooks", "n": 0})
        other = OutboxWorker(sessions, registry, FAST, roles=Roles(engines[1], check_s=0.0))
        assert await other.drain() == 1
        assert receiver.got == [("hooks", 0)], "the Telegram row waits for the role holder"
        holder.release()
        assert await other.drain() == 1
        assert receiver.got == [("hooks", 0), ("telegram:1", 0)]
        assert other.roles is not None
        other.roles.release()
    finally:
        for engine in engines:
            engine.dispose()


async def test_a_worker_killed_just_as_it_is_woken_stops(db: Any) -> None:
    _, sessions = db
    worker = OutboxWorker(sessions, Receiver().registry(), FAST)
    for _ in range(20):  # the kill lands in the same loop pass as the wake-up, at different points of the wait
        worker.start()
        await asyncio.sleep(FAST.poll_s * 2)
        task = worker._task
        assert task is not None
        worker.wake()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(5):
                await task
        worker._task = None
