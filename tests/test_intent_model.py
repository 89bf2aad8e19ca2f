"""The learned intent model: trained from operator examples, consulted only when the rules are unsure."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.app import INTENT_EXAMPLES, INTENT_MODEL, ensure_intent_model, make_understander
from bot.errors import ConfigError
from bot.knowledge.embeddings import MiniLMEmbeddings
from bot.nlu.intent_model import L2, IntentExample, IntentModel, LearnedIntents, features, load_examples, train
from bot.nlu.text import normalize
from bot.nlu.understand import Understander
from bot.settings import PROJECT_ROOT, load_settings
from bot.shop import load_shop
from tests.conftest import ChatHarness

SETTINGS = load_settings()
SHOP = load_shop(SETTINGS.path(SETTINGS.config_dir), SETTINGS.path(SETTINGS.knowledge_dir))
DRAWER = "got an old phone collecting dust"  # the rules find no intent in it
# Largest gradient entry of the training objective at the fitted weights: lbfgs reaches ~5e-7, but the test
# re-embeds the examples, and onnxruntime's float32 sums vary with thread scheduling (seen: 1.5e-5 under load);
# a fit that stopped short of the optimum is expected well above this bound (not measured).
AT_OPTIMUM = 1e-4
EXAMPLES_LEARNED = 0.99  # share of the operator's own examples the fitted model reads as labelled

# A tiny operator-written lesson: idle old devices are trade-ins; the rest keeps the model honest.
LESSON = [
    ("my old phone is just collecting dust", "trade_in"), ("got a drawer full of old phones", "trade_in"),
    ("old tablet sitting around doing nothing", "trade_in"), ("an old laptop gathering dust in the closet",
                                                              "trade_in"),
    ("is the warranty 12 months", "faq"), ("how do returns work", "faq"), ("what grades do you have", "faq"),
    ("whats the weather today", "fallback"), ("tell me a joke", "fallback"), ("best pizza near me", "fallback"),
    ("how much is a refurbished iphone 14", "compare"), ("price of a pixel 8 new vs refurb", "compare"),
]


def _examples() -> tuple[IntentExample, ...]:
    return tuple(IntentExample(text, intent) for text, intent in LESSON)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbeddings:
    return MiniLMEmbeddings(threads=2)


def test_an_unsure_rule_is_overruled_by_what_the_examples_teach(embedder: MiniLMEmbeddings) -> None:
    rules_only = Understander(SHOP.catalog)
    before = rules_only.understand(DRAWER)
    assert before.intent != "trade_in"
    model = train(_examples(), [rules_only.view(e.text) for e in _examples()], embedder)
    taught = Understander(SHOP.catalog, LearnedIntents(model, embedder))
    assert taught.understand(DRAWER).intent == "trade_in"
    assert taught.understand(DRAWER, learned=False).intent == before.intent, "answers inside a flow stay rule-only"
    assert taught.understand("cancel").intent == "cancel", "a confident rule is never second-guessed"
    handoff = taught.understand("i want to talk to a real person about my old phone collecting dust")
    assert handoff.intent == "handoff", "a request for a person is never talked away"


def test_training_is_deterministic_and_masks_device_names(embedder: MiniLMEmbeddings) -> None:
    understander = Understander(SHOP.catalog)
    assert understander.view("How much for my iPhone 12 Pro?") == ("how much for my iphone 12 pro", "how much for my phone")
    views = [understander.view(e.text) for e in _examples()]
    first, second = train(_examples(), views, embedder), train(_examples(), views, embedder)
    assert (first.weights == second.weights).all() and first.fingerprint == second.fingerprint


def test_the_shipped_model_is_fitted_to_its_optimum_and_learns_the_operators_examples(
        test_index: Path, embedder: MiniLMEmbeddings) -> None:
    model = IntentModel.load(test_index / INTENT_MODEL)
    assert model is not None
    examples = load_examples(PROJECT_ROOT / "knowledge" / INTENT_EXAMPLES)
    views = [Understander(SHOP.catalog).view(e.text) for e in examples]
    x = features(embedder, [text for text, _ in views], [masked for _, masked in views]).astype(np.float64)
    y = np.eye(len(model.labels))[[model.labels.index(e.intent) for e in examples]]
    p = model.probabilities(x)
    gradient = np.vstack([x.T @ (p - y) / len(examples) + L2 * model.weights, (p - y).mean(axis=0)])
    assert float(np.abs(gradient).max()) < AT_OPTIMUM, "the optimiser stopped short of the optimum"
    assert float((p.argmax(axis=1) == y.argmax(axis=1)).mean()) >= EXAMPLES_LEARNED


def test_the_model_is_retrained_only_when_the_examples_change(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    examples = knowledge / INTENT_EXAMPLES
    examples.write_text(yaml.safe_dump([{"text": t, "intent": i} for t, i in LESSON]))
    settings = load_settings(knowledge_dir=knowledge, index_dir=tmp_path / "index")
    trained = ensure_intent_model(settings, SHOP)
    stored = tmp_path / "index" / INTENT_MODEL
    assert trained is not None and stored.exists()
    written = stored.stat().st_mtime_ns
    assert ensure_intent_model(settings, SHOP) is not None and stored.stat().st_mtime_ns == written
    examples.write_text(yaml.safe_dump([{"text": t, "intent": i} for t, i in LESSON[:-1]]))
    retrained = ensure_intent_model(settings, SHOP)
    assert retrained is not None and retrained.fingerprint != trained.fingerprint
    first = SHOP.catalog.devices[0]  # a new alias changes what is masked as a device name: retrain too
    aliased = replace(first, aliases=(*first.aliases, "my trusty brick"))
    shop = replace(SHOP, catalog=replace(SHOP.catalog, devices=(aliased, *SHOP.catalog.devices[1:])))
    again = ensure_intent_model(settings, shop)
    assert again is not None and again.fingerprint != retrained.fingerprint
    assert make_understander(settings, SHOP).learned is not None


def test_bad_examples_are_named(tmp_path: Path) -> None:
    path = tmp_path / INTENT_EXAMPLES
    path.write_text(yaml.safe_dump([{"text": "sell my s21", "intent": "trade_in"}, {"text": "hi", "intent": "hello"}]))
    with pytest.raises(ConfigError, match="item 2 has intent 'hello'"):
        load_examples(path)
    path.write_text("text: not a list")
    with pytest.raises(ConfigError, match="expected a list"):
        load_examples(path)


def test_no_held_out_message_is_ever_trained_on() -> None:
    shipped = {normalize(e.text) for e in load_examples(PROJECT_ROOT / "knowledge" / INTENT_EXAMPLES)}
    for name in ("nlu_holdout_fresh.yaml", "nlu_holdout_2.yaml"):
        held_out = {normalize(item["text"]) for item in yaml.safe_load((PROJECT_ROOT / "tests" / "data" / name).read_text())}
        assert not shipped & held_out, f"{name} leaked into {INTENT_EXAMPLES}"


@pytest.mark.parametrize("text", ["play some music", "what time is it in london", "can you order me an uber"])
def test_a_clearly_off_topic_message_gets_no_knowledge_answer(chat: ChatHarness, text: str) -> None:
    outcome = chat.say(text)
    assert outcome.sources == () and outcome.intent == "fallback"
    assert "I can quote a trade-in" in ChatHarness.text_of(outcome), "it says what the bot can do instead"


@pytest.mark.parametrize(("text", "flow_or_intent"), [
    ("anything for an old pixel 6 collecting dust?", "trade_in"),  # the rules read a shopper buying
    ("is there money in an old galaxy s22 for me", "trade_in"),
    ("my payout is 2 weeks late, what is going on", "handoff"),  # the rules read a payout question
])
def test_the_shipped_examples_route_what_the_rules_misread(chat: ChatHarness, text: str, flow_or_intent: str) -> None:
    rules_only = Understander(SHOP.catalog).understand(text)
    assert rules_only.intent != flow_or_intent, "the rules alone get this one wrong"
    outcome = chat.say(text)
    assert flow_or_intent in (outcome.flow, outcome.intent)


def test_a_spelled_out_upgrade_is_not_second_guessed(chat: ChatHarness) -> None:
    outcome = chat.say("14pm 512 unlocked -> 16pm, bh 83, small dent")
    assert outcome.intent == "upgrade" and "Upgrade math" in ChatHarness.text_of(outcome)
    assert "iPhone 14 Pro Max → iPhone 16 Pro Max" in ChatHarness.text_of(outcome)


def test_the_understand_command_reads_a_message_as_the_chat_does(chat: ChatHarness) -> None:
    import json
    import subprocess
    import sys

    from tests.conftest import TEST_INDEX

    text = "anything for an old pixel 6 collecting dust?"
    outcome = chat.say(text)
    cli = subprocess.run([sys.executable, "run_bot.py", "understand", text, "--json"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "INDEX_DIR": str(TEST_INDEX), "LOG_LEVEL": "WARNING"})
    reading = json.loads(cli.stdout)
    assert reading["intent"] == outcome.flow == "trade_in"
    assert reading["slots"]["device_model"] == "Pixel 6"
    assert reading["rules"]["intent"] != "trade_in" and max(reading["model"], key=reading["model"].get) == "trade_in"


def test_a_change_to_the_masking_code_retrains_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / INTENT_EXAMPLES).write_text(yaml.safe_dump([{"text": t, "intent": i} for t, i in LESSON]))
    settings = load_settings(knowledge_dir=knowledge, index_dir=tmp_path / "index")
    trained = ensure_intent_model(settings, SHOP)
    assert trained is not None
    import bot.app

    # an edited device matcher masks other words: a model trained on the old views must not be reused
    monkeypatch.setattr(bot.app, "_view_code", lambda: "edited-masking-code")
    again = ensure_intent_model(settings, SHOP)
    assert again is not None and again.fingerprint != trained.fingerprint
