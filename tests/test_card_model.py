"""The card model: a softmax over the cards fitted on their paraphrase vectors, stored as plain arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.knowledge.card_model import fit_card_model, load_card_model, save_card_model


def _clusters() -> tuple[np.ndarray, np.ndarray]:
    """Three cards, each with paraphrase vectors around its own direction."""
    rng = np.random.default_rng(7)
    centres = np.eye(3, 8, dtype=np.float32)
    rows = np.repeat(np.arange(3), 10)
    vectors = centres[rows] + rng.normal(0, 0.05, (30, 8)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), rows


def test_a_new_wording_goes_to_the_card_whose_paraphrases_it_resembles(tmp_path: Path) -> None:
    vectors, rows = _clusters()
    model = fit_card_model(vectors, rows, cards=3)
    question = np.array([0.1, 0.9, 0.2, 0, 0, 0, 0, 0], dtype=np.float32)
    probabilities = model.probabilities(question / np.linalg.norm(question))
    assert int(probabilities.argmax()) == 1 and probabilities[1] > 0.5
    assert abs(float(probabilities.sum()) - 1.0) < 1e-5


def test_a_stored_model_loads_only_for_the_cards_it_was_fitted_on(tmp_path: Path) -> None:
    vectors, rows = _clusters()
    path = tmp_path / "card_model.npz"
    save_card_model(path, fit_card_model(vectors, rows, cards=3))
    loaded = load_card_model(path, 3)
    assert loaded is not None and loaded.weights.shape == (3, 8)
    assert load_card_model(path, 4) is None, "a model for other cards must not be used"
    assert load_card_model(tmp_path / "missing.npz", 3) is None
