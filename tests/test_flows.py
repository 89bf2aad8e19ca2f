"""Flow files: validation errors name file, flow and step; the executor runs steps until a pause."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.errors import FlowValidationError
from bot.flows.executor import ActionResult, advance
from bot.flows.loader import Vocabulary, load_flows

VOCAB = Vocabulary(slots=frozenset({"device_model", "storage_gb", "condition", "accept"}),
                   actions=frozenset({"make_quote"}), button_sources=frozenset({"storage_options"}))


def _flows(tmp_path: Path, text: str) -> dict[str, Any]:
    (tmp_path / "demo.yaml").write_text(text)
    return load_flows(tmp_path, VOCAB)


@pytest.mark.parametrize(("body", "message"), [
    ("demo:\n  steps:\n    - ask_twice: x\n", "unknown key or step kind 'ask_twice'"),
    ("demo:\n  steps:\n    - collect: colour\n    - end\n", "unknown slot 'colour'"),
    ("demo:\n  steps:\n    - action: fly\n    - end\n", "unknown action 'fly'"),
    ("demo:\n  steps:\n    - say: hi\n      next: nowhere\n    - end\n", "refers to missing step 'nowhere'"),
    ("demo:\n  steps:\n    - say: hi\n      next: bye\n    - id: lost\n      say: never\n    - id: bye\n      say: bye\n"
     "    - end\n", "'lost'"),
    ("demo:\n  steps:\n    - id: a\n      say: one\n    - id: a\n      say: two\n    - end\n", "duplicate step id"),
    ("demo:\n  steps:\n    - say: hi\n", "the last step must be 'end' or 'link'"),
    ("demo:\n  steps:\n    - link: elsewhere\n", "links to unknown flow 'elsewhere'"),
    ("demo:\n  steps:\n    - branch:\n        - if: colour == red\n          then: x\n    - end\n", "unknown slot 'colour'"),
    ("demo: [unclosed\n", "not valid YAML"),
])
def test_invalid_flow_is_named_precisely(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(FlowValidationError) as err:
        _flows(tmp_path, body)
    assert "demo.yaml" in str(err.value)
    assert message in str(err.value)


def test_unreachable_step_error_names_the_flow_and_step(tmp_path: Path) -> None:
    body = "demo:\n  steps:\n    - say: hi\n    - end\n    - id: orphan\n      say: nobody comes here\n    - end\n"
    with pytest.raises(FlowValidationError) as err:
        _flows(tmp_path, body)
    assert err.value.flow == "demo" and err.value.step == "orphan"


def test_executor_skips_known_slots_branches_and_runs_actions(tmp_path: Path) -> None:
    flows = _flows(tmp_path, """
demo:
  steps:
    - collect: device_model
      ask: Which device?
    - collect: storage_gb
      ask: Storage for {device_model}?
      buttons: storage_options
    - branch:
        - if: condition == broken
          then: sorry
        - else: price
    - id: price
      action: make_quote
    - collect: accept
      ask: Deal?
      buttons: [{label: "Yes", value: true}]
    - end
    - id: sorry
      say: We only quote working devices, {device_model}.
    - end
""")
    calls: list[dict[str, Any]] = []

    def run_action(name: str, slots: Mapping[str, Any]) -> ActionResult:
        calls.append(dict(slots))
        return ActionResult(slots={"quoted": True})

    buttons = lambda source, slots: (("128 GB", "128"),)  # noqa: E731
    first = advance(flows, "demo", "collect_device_model", {"device_model": "Pixel 8"}, run_action, buttons)
    assert first.step == "collect_storage_gb"
    assert first.replies[0].text == "Storage for Pixel 8?"
    assert first.replies[0].buttons[0].payload == "s:storage_gb=128"

    priced = advance(flows, "demo", "collect_storage_gb", {"device_model": "Pixel 8", "storage_gb": 128},
                     run_action, buttons)
    assert calls and priced.step == "collect_accept" and priced.slots["quoted"] is True

    broken = advance(flows, "demo", "collect_storage_gb",
                     {"device_model": "Pixel 8", "storage_gb": 128, "condition": "broken"}, run_action, buttons)
    assert broken.step is None and "Pixel 8" in broken.replies[0].text


def test_shipped_flows_load(chat: Any) -> None:
    assert "trade_in" in chat.app.engine.dialogue.p.flows


def test_an_action_clears_a_slot_with_none_so_it_is_asked_again(tmp_path: Path) -> None:
    flows = _flows(tmp_path, """
demo:
  steps:
    - id: price
      action: make_quote
    - collect: accept
      ask: Deal?
    - end
""")
    result = advance(flows, "demo", "price", {"accept": True, "storage_gb": 64},
                     lambda name, slots: ActionResult(slots={"accept": None}), lambda s, v: ())
    assert result.step == "collect_accept" and "accept" not in result.slots and result.slots["storage_gb"] == 64
