"""Evaluation on the labelled sets in tests/data: NLU and retrieval, tune and held-out parts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.evaluation_chat import (
    conversation_groups,
    fresh_app,
    score_conversations,
    score_questions,
)
from bot.nlu.llm_fallback import understand
from bot.nlu.question_shape import is_question
from bot.settings import PROJECT_ROOT, Settings

DATA = PROJECT_ROOT / "tests" / "data"
SCORED_SLOTS = ("device_model", "storage_gb", "condition", "carrier", "battery_health_pct", "account_locked",
                "target_model")


@dataclass(frozen=True)
class Report:
    """Printable text and machine-readable figures."""

    text: str
    data: dict[str, Any]


def run_eval(settings: Settings, what: str, *, with_llm: bool = False, splits: tuple[str, ...] = ()) -> Report:
    """Run one evaluation; with_llm adds a second run through the configured LLM; `splits` narrows NLU to some."""
    from bot.app import make_understander, open_knowledge
    from bot.llm import build_llm
    from bot.shop import load_shop

    shop = load_shop(settings.path(settings.config_dir), settings.path(settings.knowledge_dir))
    llm = build_llm(settings, shop.name) if with_llm else None
    if with_llm and llm is None:
        raise ConfigError("eval --llm needs OPENAI_BASE_URL (a local server) or OPENAI_API_KEY")
    runs = [("LLM off", None)] + ([("LLM on", llm)] if llm else [])
    reports = []
    if what in ("conversations", "answers"):
        for label, model in runs:  # the engine builds its own LLM from the settings
            run_settings = settings if model is not None else settings.model_copy(update={"llm_provider": "none"})
            reports.append((label, evaluate_chat(run_settings, what, splits)))
        if len(reports) == 1:
            return reports[0][1]
        text = "\n".join(f"== {label} ==\n{r.text}" for label, r in reports)
        return Report(text, {label: r.data for label, r in reports})
    for label, model in runs:
        knowledge = open_knowledge(settings, shop, llm=model)
        report = (evaluate_nlu(make_understander(settings, shop, knowledge.retriever.embedder), knowledge, model,
                               splits=splits) if what == "nlu"
                  else evaluate_retrieval(knowledge))
        reports.append((label, report))
    if len(reports) == 1:
        return reports[0][1]
    text = "\n".join(f"== {label} ==\n{r.text}" for label, r in reports)
    return Report(text, {label: r.data for label, r in reports})


def _load(name: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load((DATA / name).read_text(encoding="utf-8")))


# Which labelled files make up each split. `tune` and `dev` taught the rules and are the learned model's
# training examples (knowledge/intent_examples.yaml), so their figures are fit, not generalisation;
# the held-out files were written later by people who never saw those, the rules or the examples.
NLU_SPLITS = {
    "tune": ("nlu_eval.yaml",),
    "holdout": ("nlu_holdout_fresh.yaml",),
    "holdout2": ("nlu_holdout_2.yaml",),
    "held-out": ("nlu_holdout_fresh.yaml", "nlu_holdout_2.yaml"),  # both held-out sets pooled
    "dev": ("nlu_tune_extra.yaml", "nlu_dev2.yaml", "nlu_dev3.yaml", "nlu_dev4.yaml", "nlu_train4.yaml", "nlu_train5.yaml"),
}


@dataclass
class _Tally:
    """Counts behind the NLU figures of one labelled file; a split adds up the tallies of its files."""

    n: int = 0
    correct: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    slot_total: Counter[str] = field(default_factory=Counter)
    slot_ok: Counter[str] = field(default_factory=Counter)

    def merge(self, other: _Tally) -> None:
        """Add another file's counts to these."""
        self.n, self.correct = self.n + other.n, self.correct + other.correct
        self.confusions.update(other.confusions)
        self.slot_total.update(other.slot_total)
        self.slot_ok.update(other.slot_ok)


def _tally(items: list[dict[str, Any]], understander: Any, knowledge: Any, extractor: Any) -> _Tally:
    tally = _Tally(n=len(items))
    for item in items:
        u = understand(understander, extractor, item["text"])
        intent = u.intent
        asked = is_question(item["text"]) or len(item["text"].split()) >= 2
        if intent == "fallback" and asked and u.confidence <= 0.5 and knowledge.answer(item["text"]).confident:
            intent = "faq"  # the engine answers such a message from the knowledge base (same rule)
        if intent == item["intent"]:
            tally.correct += 1
        else:
            tally.confusions[(item["intent"], intent)] += 1
        if "slots" not in item:
            continue  # an intent-only training set
        expected = item.get("slots") or {}
        for slot in SCORED_SLOTS:
            want, got = expected.get(slot), u.slots.get(slot)
            if want is None and got is None:
                continue
            tally.slot_total[slot] += 1
            tally.slot_ok[slot] += want == got
    return tally


def evaluate_nlu(understander: Any, knowledge: Any, extractor: Any = None, splits: tuple[str, ...] = ()) -> Report:
    """Intent accuracy, per-slot accuracy and confusions, as the engine sees an opening message."""
    unknown = set(splits) - set(NLU_SPLITS)
    if unknown:
        raise ConfigError(f"unknown split {', '.join(sorted(unknown))}: choose from {', '.join(NLU_SPLITS)}")
    per_file: dict[str, _Tally] = {}  # each file is scored once, even when two splits (pooled) share it
    data: dict[str, Any] = {}
    lines = []
    for split, files in NLU_SPLITS.items():
        if splits and split not in splits:
            continue
        t = _Tally()
        for name in files:
            if (DATA / name).exists():
                if name not in per_file:
                    per_file[name] = _tally(_load(name), understander, knowledge, extractor)
                t.merge(per_file[name])
        if not t.n:
            continue
        figures: dict[str, Any] = {"n": t.n, "intent_accuracy": round(t.correct / t.n, 4),
                   "slot_accuracy": {s: round(t.slot_ok[s] / t.slot_total[s], 4) for s in t.slot_total},
                   "confusions": [{"expected": e, "got": g, "count": c} for (e, g), c in t.confusions.most_common()]}
        data[split] = figures
        lines.append(f"{split:8} n={t.n:4}  intent={figures['intent_accuracy']:.3f}  " + "  ".join(
            f"{s}={v:.3f}" for s, v in figures["slot_accuracy"].items()))
        lines += [f"         confusion {c['expected']} -> {c['got']}: {c['count']}" for c in figures["confusions"]]
    return Report("\n".join(lines), data)


def evaluate_retrieval(knowledge: Any) -> Report:
    """recall@1, recall@3 and MRR for BM25, vectors and hybrid; out-of-domain rejection; false rejection."""
    items = _load("retrieval_eval.yaml") + [dict(i, split="holdout") for i in _load("retrieval_holdout_fresh.yaml")]
    retriever = knowledge.retriever
    data: dict[str, Any] = {}
    lines = []
    for split in ("tune", "holdout"):
        part = [i for i in items if i["split"] == split]
        inside = [i for i in part if i["docs"]]
        outside = [i for i in part if not i["docs"]]
        figures: dict[str, Any] = {"in_domain": len(inside), "out_of_domain": len(outside)}
        for mode in ("bm25", "vector", "hybrid"):
            r1 = r3 = mrr = 0.0
            for item in inside:
                hits = retriever.search(item["q"], k=10, mode=mode)
                docs = list(dict.fromkeys(h.chunk.doc_id for h in hits))
                ranks = [docs.index(d) + 1 for d in item["docs"] if d in docs]
                best = min(ranks) if ranks else None
                r1 += best == 1
                r3 += bool(best and best <= 3)
                mrr += 1 / best if best else 0
            figures[mode] = {"recall@1": round(r1 / len(inside), 4), "recall@3": round(r3 / len(inside), 4),
                             "mrr": round(mrr / len(inside), 4)}
        rejected = sum(not knowledge.answer(i["q"]).confident for i in outside)
        false_rejected = sum(not knowledge.answer(i["q"]).confident for i in inside)
        figures["ood_rejection"] = round(rejected / len(outside), 4) if outside else None
        figures["false_rejection"] = round(false_rejected / len(inside), 4)
        data[split] = figures
        lines.append(f"{split} (in-domain {len(inside)}, out-of-domain {len(outside)})")
        for mode in ("bm25", "vector", "hybrid"):
            f = figures[mode]
            lines.append(f"  {mode:7} recall@1={f['recall@1']:.3f} recall@3={f['recall@3']:.3f} mrr={f['mrr']:.3f}")
        lines.append(f"  out-of-domain rejection={figures['ood_rejection']:.3f}  "
                     f"in-domain false rejection={figures['false_rejection']:.3f}")
    return Report("\n".join(lines), data)


CHAT_SETS = {
    "conversations": {"tune": "conversations_tune.yaml", "dev": "conversations_dev.yaml",
                      "dev2": "conversations_dev2.yaml", "dev3": "conversations_dev3.yaml",
                      "dev4": "conversations_dev4.yaml", "dev5": "conversations_dev5.yaml",
                      "dev6": "conversations_dev6.yaml",
                      "dev7": "conversations_dev7.yaml", "dev8": "conversations_dev8.yaml",
                      "dev9": "conversations_dev9.yaml", "dev10": "conversations_dev10.yaml",
                      "dev11": "conversations_dev11.yaml",
                      "holdout": "conversations_holdout.yaml"},
    "answers": {"tune": "questions_tune.yaml", "dev": "questions_dev.yaml", "dev3": "questions_dev3.yaml",
                "dev5": "questions_dev5.yaml", "dev6": "questions_dev6.yaml",
                "dev7": "questions_dev7.yaml", "dev8": "questions_dev8.yaml", "dev9": "questions_dev9.yaml",
                "dev10": "questions_dev10.yaml", "dev11": "questions_dev11.yaml", "holdout": "questions_holdout.yaml"},
}


def evaluate_chat(settings: Settings, what: str, splits: tuple[str, ...] = ()) -> Report:
    """Conversations (pass^1, pass^3, bookings without a yes) or questions (fact, declines, handoffs)."""
    data: dict[str, Any] = {}
    lines = []
    with fresh_app(settings) as app:
        for split, name in CHAT_SETS[what].items():
            if (splits and split not in splits) or not (DATA / name).exists():
                continue
            if what == "conversations":
                c = score_conversations(app, conversation_groups(_load(name)))
                data[split] = {"n": c.n, "groups": c.groups, "pass^1": c.pass1, "pass^k": c.pass_all,
                               "unconsented_bookings": c.unconsented_bookings, "by_category": c.by_category,
                               "failures": c.failures}
                lines.append(f"{split:8} conversations={c.n:3} groups={c.groups:3}  pass^1={c.pass1:.3f}  "
                             f"pass^k={c.pass_all:.3f}  bookings without a yes={c.unconsented_bookings}")
                lines.append("         " + "  ".join(f"{cat}={ok}/{n}" for cat, (ok, n) in c.by_category.items()))
                if split != "holdout":
                    lines += [f"         FAIL {f}" for f in c.failures]
            else:
                q = score_questions(app, _load(name))
                data[split] = {"n": q.n, "fact_in_reply": q.fact, "out_of_scope_declined": q.declined,
                               "handoff_recall": q.handoff_recall, "needless_handoffs": q.needless_handoffs,
                               "resumed": q.resumed, "failures": q.failures}
                lines.append(f"{split:8} n={q.n:3}  fact in reply={q.fact:.3f}  out-of-scope declined={q.declined:.3f}  "
                             f"handoffs made={q.handoff_recall:.3f}  needless handoffs={q.needless_handoffs:.3f}  "
                             f"flow resumed={q.resumed:.3f}")
                if split != "holdout":
                    lines += [f"         FAIL {f}" for f in q.failures]
    return Report("\n".join(lines), data)
