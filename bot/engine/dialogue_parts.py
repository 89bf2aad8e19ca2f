"""What the dialogue manager is built from: the shop, the understanding, the flows and their actions, the answerer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.domain import Answer as KnowledgeAnswer
from bot.domain import Reply
from bot.engine.responses import Responses
from bot.engine.turn import Turn
from bot.flows.executor import ActionResult
from bot.flows.model import Flow
from bot.nlu.llm_fallback import Extractor
from bot.nlu.understand import Understander
from bot.shop import Shop

__all__ = ["Action", "Answerer", "DialogueParts"]


class Answerer(Protocol):
    """Anything that answers a knowledge question with sources."""

    def answer(self, question: str, context: Mapping[str, Any] | None = None) -> KnowledgeAnswer: ...


Action = Callable[[Turn, Mapping[str, Any]], ActionResult]


@dataclass(frozen=True)
class DialogueParts:
    """Everything the dialogue manager needs, built once by the composition root."""

    shop: Shop
    understander: Understander
    flows: Mapping[str, Flow]
    actions: Mapping[str, Action]
    button_sources: Mapping[str, Callable[[Mapping[str, Any]], tuple[tuple[str, str], ...]]]
    answerer: Answerer
    responses: Responses
    device_facts: Callable[..., Reply | None] = lambda kind, *devices: None  # (fact, device, ...) -> answer
    extractor: Extractor | None = None
    card_context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # card id -> (topic, first question)
